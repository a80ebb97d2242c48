#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of the test registry.

    proxy.py PORTFILE UPSTREAM [--rate BYTES_PER_S] [--die-after BYTES]
             [--cut-once BYTES] [--garbage-manifest] [--bearer USER:PASS]
             [--redirect-blobs LOG]

Listens on a free 127.0.0.1 port (written to PORTFILE) and forwards GET and
HEAD requests to UPSTREAM (host:port). Blob bodies can be slowed down
(--rate), or the whole proxy can exit abruptly after sending BYTES of blob
data (--die-after: "the registry dies mid-pull"), or cut the one blob
response during which BYTES of blob data have gone out, once, and serve
everything after it in full (--cut-once: a transfer that a retry
completes); --garbage-manifest
replaces manifest bodies by text that is not JSON.

--bearer USER:PASS makes the proxy a registry with token auth: /v2/ requests
without "Authorization: Bearer <token>" get a 401 challenge pointing at its
/token endpoint, which wants Basic USER:PASS. --redirect-blobs LOG answers
blob requests with a redirect to the same proxy under the name "localhost"
(another host for the client) and appends to LOG, per redirected request,
whether it carried an Authorization header.
"""
import base64
import http.client
import http.server
import os
import socket
import sys
import threading
import time

args = sys.argv[1:]
portfile, upstream = args[0], args[1]
rate = die_after = cut_once = None
garbage = "--garbage-manifest" in args
bearer = args[args.index("--bearer") + 1] if "--bearer" in args else None
redirect_log = args[args.index("--redirect-blobs") + 1] if "--redirect-blobs" in args else None
TOKEN = "hutch-test-token-42"
if "--rate" in args:
    rate = int(args[args.index("--rate") + 1])
if "--die-after" in args:
    die_after = int(args[args.index("--die-after") + 1])
if "--cut-once" in args:
    cut_once = int(args[args.index("--cut-once") + 1])
sent = 0
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def forward(self, body=True):
        global sent
        conn = http.client.HTTPConnection(upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        conn.request(self.command, self.path, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        is_manifest = "/manifests/" in self.path
        if garbage and is_manifest and resp.status == 200:
            data = b"this is not JSON at all <html>"
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in ("content-length", "transfer-encoding", "connection"):
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not body:
            return
        if "/blobs/" not in self.path or (rate is None and die_after is None and
                                           cut_once is None):
            self.wfile.write(data)
            return
        chunk = 16384
        for i in range(0, len(data), chunk):
            part = data[i:i + chunk]
            with lock:
                if die_after is not None and sent + len(part) > die_after:
                    self.wfile.write(part[:max(0, die_after - sent)])
                    self.wfile.flush()
                    os._exit(0)
                cut = cut_once is not None and sent < cut_once <= sent + len(part)
                sent += len(part)
            if cut:
                # Short of the promised Content-Length: the client sees a
                # transfer that broke off and retries it.
                self.wfile.write(part[:len(part) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.wfile.write(part)
            self.wfile.flush()
            if rate:
                time.sleep(len(part) / rate)

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def gate(self):
        """True when the request may go on; else a reply was sent."""
        port = self.server.server_address[1]
        auth = self.headers.get("Authorization", "")
        if self.path.startswith("/redirected/"):
            with open(redirect_log, "a") as f:
                f.write("auth=%s\n" % ("yes" if auth else "no"))
            self.path = self.path[len("/redirected"):]
            return True
        if bearer and self.path.startswith("/token"):
            want = "Basic " + base64.b64encode(bearer.encode()).decode()
            if auth != want:
                self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"bad login"}]}')
                return False
            self.reply(200, ('{"token":"%s"}' % TOKEN).encode(),
                       [("Content-Type", "application/json")])
            return False
        if bearer and auth != "Bearer " + TOKEN:
            realm = "http://127.0.0.1:%d/token" % port
            self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"login"}]}',
                       [("WWW-Authenticate",
                         'Bearer realm="%s",service="hutch-test"' % realm)])
            return False
        if redirect_log and "/blobs/" in self.path:
            self.reply(307, b"", [("Location",
                                   "http://localhost:%d/redirected%s" % (port, self.path))])
            return False
        return True

    def do_GET(self):
        if self.gate():
            self.forward()

    def do_HEAD(self):
        if self.gate():
            self.forward(body=False)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
