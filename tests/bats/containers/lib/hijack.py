#!/usr/bin/env python3
"""A Docker API client for hijacked and framed streams, for the tests.

hijack.py SOCKET METHOD PATH [options]
  --body JSON        request body (Content-Type: application/json)
  --stdin TEXT       send TEXT once the connection is upgraded, then
                     half-close (shutdown SHUT_WR)
  --no-upgrade       do not ask for the upgrade (plain request)
  --keep-open SECS   without --stdin: wait this long before half-closing
  --headers FILE     write the status line and headers to FILE
  --frames FILE      write one line per frame: "STREAM LENGTH"
  --live FILE        append the raw bytes of the reply body to FILE as
                     they come (the output proper is written at the end), so
                     a test can wait for a word before it acts
  --timeout SECS     give up after SECS (exit 3)

The reply body is demultiplexed when the Content-Type says
application/vnd.docker.multiplexed-stream: stream 1 goes to stdout,
stream 2 to stderr; otherwise it is copied to stdout as is. A chunked
body (logs) is de-chunked first. Exit status 0, or 2 when a multiplexed
stream is malformed.
"""
import argparse
import socket
import sys
import time


def read_headers(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("connection closed before the headers: %r" % data)
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return lines, headers, rest


def read_all(sock, rest, live=None):
    data = bytearray(rest)
    if live:
        live.write(rest)
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(data)
        if live:
            live.write(chunk)
        data += chunk


def read_body(sock, rest, headers, live=None):
    """A plain HTTP body: by its length, its chunks, or to the end."""
    data = bytearray(rest)
    if live:
        live.write(rest)

    def more():
        chunk = sock.recv(65536)
        if chunk and live:
            live.write(chunk)
        return chunk

    if "content-length" in headers:
        want = int(headers["content-length"])
        while len(data) < want:
            chunk = more()
            if not chunk:
                break
            data += chunk
        return bytes(data)
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while not data.endswith(b"0\r\n\r\n"):
            chunk = more()
            if not chunk:
                break
            data += chunk
        return bytes(data)
    return bytes(data) + read_all(sock, b"", live)


def dechunk(data):
    out = bytearray()
    pos = 0
    while pos < len(data):
        end = data.index(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += data[end + 2:end + 2 + size]
        pos = end + 2 + size + 2
    return bytes(out)


def demux(data, frames):
    pos = 0
    outs = {1: sys.stdout.buffer, 2: sys.stderr.buffer, 0: sys.stdout.buffer}
    while pos < len(data):
        if len(data) - pos < 8:
            sys.stderr.write("truncated frame header\n")
            return 2
        stream, size = data[pos], int.from_bytes(data[pos + 4:pos + 8], "big")
        if data[pos + 1:pos + 4] != b"\0\0\0" or stream not in outs:
            sys.stderr.write("bad frame header %r\n" % data[pos:pos + 8])
            return 2
        if pos + 8 + size > len(data):
            sys.stderr.write("truncated frame\n")
            return 2
        if frames:
            frames.write("%d %d\n" % (stream, size))
        out = outs[stream]
        out.write(data[pos + 8:pos + 8 + size])
        # Both streams end up in one place in tests: keep their order.
        out.flush()
        pos += 8 + size
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("method")
    ap.add_argument("path")
    ap.add_argument("--body")
    ap.add_argument("--stdin")
    ap.add_argument("--no-upgrade", action="store_true")
    ap.add_argument("--keep-open", type=float, default=0)
    ap.add_argument("--headers")
    ap.add_argument("--frames")
    ap.add_argument("--live")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(a.timeout)
    sock.connect(a.socket)
    body = a.body.encode() if a.body is not None else b""
    req = "%s %s HTTP/1.1\r\nHost: docker\r\n" % (a.method, a.path)
    if not a.no_upgrade:
        req += "Connection: Upgrade\r\nUpgrade: tcp\r\n"
    else:
        req += "Connection: close\r\n"
    if a.body is not None:
        req += "Content-Type: application/json\r\n"
    req += "Content-Length: %d\r\n\r\n" % len(body)
    sock.sendall(req.encode() + body)
    try:
        lines, headers, rest = read_headers(sock)
        if a.headers:
            with open(a.headers, "w") as f:
                f.write("\n".join(lines) + "\n")
        status = int(lines[0].split()[1])
        if status == 101:
            if a.stdin is not None:
                sock.sendall(a.stdin.encode())
                sock.shutdown(socket.SHUT_WR)
            elif a.keep_open:
                time.sleep(a.keep_open)
                sock.shutdown(socket.SHUT_WR)
        live = open(a.live, "ab", buffering=0) if a.live else None
        if status == 101:
            data = read_all(sock, rest, live)
        else:
            data = read_body(sock, rest, headers, live)
    except socket.timeout:
        sys.stderr.write("timed out\n")
        return 3
    if headers.get("transfer-encoding", "").lower() == "chunked":
        data = dechunk(data)
    if status >= 300 and status != 101:
        sys.stdout.buffer.write(data)
        return 0
    frames = open(a.frames, "w") if a.frames else None
    if headers.get("content-type") == "application/vnd.docker.multiplexed-stream":
        return demux(data, frames)
    sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
