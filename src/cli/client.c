#include "client.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "json-util.h"

static char socket_path[PATH_MAX];
static bool explicit_socket;
static bool no_start;

void client_init(const struct client_options *opts)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const char *env = getenv("HUTCH_SOCKET");
	if (opts->socket) {
		snprintf(socket_path, sizeof(socket_path), "%s", opts->socket);
		explicit_socket = true;
	} else if (env && env[0]) {
		snprintf(socket_path, sizeof(socket_path), "%s", env);
		explicit_socket = true;
	} else {
		const char *xdg = getenv("XDG_RUNTIME_DIR");
		snprintf(socket_path, sizeof(socket_path), "%s/hutch/hutchd.sock",
			 xdg && xdg[0] ? xdg : "/run/user/unknown");
	}
	no_start = opts->no_start || getenv("HUTCH_NO_AUTOSTART") != NULL;
}

const char *client_socket_path(void)
{
	return socket_path;
}

char *client_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r = e ? strdup(e) : NULL;
	curl_free(e);
	return r;
}

/* hutchd next to us (a build tree or the same prefix), else the installed
 * one, else PATH. */
static void hutchd_path(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, size, "%s/hutchd", self);
			if (access(out, X_OK) == 0)
				return;
		}
	}
	snprintf(out, size, "%s/hutchd", HUTCH_BINDIR);
	if (access(out, X_OK) == 0)
		return;
	snprintf(out, size, "hutchd");
}

/* Start hutchd detached (its own session, output to a log file next to
 * the socket) and wait for its socket to answer. */
static int start_daemon(hutch_error *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg == NULL || xdg[0] == '\0')
		return hutch_fail_plain(err, ENOENT,
					"XDG_RUNTIME_DIR is not set, so hutchd cannot be started "
					"(see hutchd(8))");
	char exe[PATH_MAX], logdir[PATH_MAX], logpath[PATH_MAX + 16];
	hutchd_path(exe, sizeof(exe));
	snprintf(logdir, sizeof(logdir), "%s/hutch", xdg);
	mkdir(logdir, 0700);
	snprintf(logpath, sizeof(logpath), "%s/hutchd.log", logdir);
	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return hutch_fail(err, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0)
		return hutch_fail(err, errno, "fork");
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		/* Startup errors (a bad XDG_RUNTIME_DIR) reach the user. */
		dup2(errpipe[1], 2);
		execlp(exe, "hutchd", "--log", logpath, (char *)NULL);
		_exit(127);
	}
	close(errpipe[1]);
	waitpid(pid, NULL, 0);
	fcntl(errpipe[0], F_SETFL, O_NONBLOCK);
	char msg[2048] = "";
	size_t mlen = 0;
	/* A minute's bound: on a loaded machine hutchd's start (dlopen of
	 * its libraries, the store's recovery) can take seconds; a hutchd
	 * that fails says so at once on the pipe. */
	for (int i = 0; i < 1200; i++) {
		ssize_t n = read(errpipe[0], msg + mlen, sizeof(msg) - 1 - mlen);
		if (n > 0)
			mlen += (size_t)n;
		msg[mlen] = '\0';
		struct stat st;
		if (stat(socket_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
			close(errpipe[0]);
			return 0;
		}
		if (n == 0) /* hutchd exited: its stderr closed */
			break;
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	close(errpipe[0]);
	while (mlen > 0 && msg[mlen - 1] == '\n')
		msg[--mlen] = '\0';
	return hutch_fail_plain(err, ECONNREFUSED, "could not start hutchd%s%s",
				mlen ? ":\n" : " (see ", mlen ? msg : logpath);
}

struct transfer {
	const struct client_request *req;
	CURL *curl;
	char *buf;
	size_t len, cap;
	int cb_error;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct transfer *t = ud;
	size_t len = size * n;
	if (t->req->sink != NULL)
		return fwrite(p, 1, len, t->req->sink);
	long code = 0;
	if (t->req->on_data != NULL)
		curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
	/* An error reply is kept whole for the caller, not streamed. */
	if (t->req->on_data != NULL && code < 400) {
		if (t->req->on_data(t->req->ctx, p, len) < 0) {
			t->cb_error = 1;
			return 0;
		}
		return len;
	}
	if (t->len + len + 1 > t->cap) {
		size_t cap = (t->len + len + 1) * 2;
		char *nb = realloc(t->buf, cap);
		if (nb == NULL)
			return 0;
		t->buf = nb;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, p, len);
	t->len += len;
	t->buf[t->len] = '\0';
	if (t->req->on_line == NULL)
		return len;
	/* Hand over complete lines, keep the tail. */
	char *start = t->buf, *nl;
	while ((nl = memchr(start, '\n', (size_t)(t->buf + t->len - start))) != NULL) {
		size_t ll = (size_t)(nl - start);
		if (ll > 0 && start[ll - 1] == '\r')
			ll--;
		if (ll > 0 && t->req->on_line(t->req->ctx, start, ll) < 0)
			t->cb_error = 1;
		start = nl + 1;
	}
	size_t rest = (size_t)(t->buf + t->len - start);
	memmove(t->buf, start, rest);
	t->len = rest;
	t->buf[rest] = '\0';
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	const struct client_request *req = ud;
	size_t len = size * n, nl = strlen(req->want_header);
	if (len > nl + 1 && strncasecmp(p, req->want_header, nl) == 0 && p[nl] == ':') {
		const char *v = p + nl + 1;
		size_t vl = len - nl - 1;
		while (vl > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
			vl--;
		snprintf(req->header_out, req->header_out_size, "%.*s", (int)vl, v);
	}
	return len;
}

static size_t on_upload(char *p, size_t size, size_t n, void *ud)
{
	FILE *f = ud;
	return fread(p, 1, size * n, f);
}

static int perform(const struct client_request *req, long *status, char **reply, CURLcode *cc_out,
		   hutch_error *err)
{
	CURL *c = curl_easy_init();
	if (c == NULL)
		return hutch_fail(err, ENOMEM, "curl");
	char url[8192];
	snprintf(url, sizeof(url), "http://hutchd/v1.44%s", req->path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	struct transfer t = {.req = req, .curl = c};
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
	if (req->want_header && req->header_out && req->header_out_size) {
		req->header_out[0] = '\0';
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, req);
	}
	struct curl_slist *h = NULL;
	char ct[256];
	snprintf(ct, sizeof(ct), "Content-Type: %s",
		 req->content_type ? req->content_type : "application/json");
	h = curl_slist_append(h, ct);
	if (req->upload) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(c, CURLOPT_READDATA, req->upload);
		h = curl_slist_append(h, "Expect:");
	} else if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
	} else if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	CURLcode cc = curl_easy_perform(c);
	*cc_out = cc;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	int rc = 0;
	if (cc != CURLE_OK) {
		if (cc == CURLE_COULDNT_CONNECT)
			rc = hutch_fail_plain(err, ECONNREFUSED,
					      "cannot connect to hutchd at %s: is it running?",
					      socket_path);
		else
			rc = hutch_fail_plain(err, EIO, "talking to hutchd at %s: %s", socket_path,
					      curl_easy_strerror(cc));
	} else if (req->on_line && t.len > 0) {
		req->on_line(req->ctx, t.buf, t.len);
		t.len = 0;
	}
	if (t.cb_error && rc == 0)
		rc = -2; /* the line handler reported the error already */
	if (rc == 0 && reply != NULL && req->on_line == NULL && req->sink == NULL) {
		*reply = t.buf ? t.buf : strdup("");
		t.buf = NULL;
	}
	free(t.buf);
	return rc;
}

int client_call(const struct client_request *req, long *status, char **reply, hutch_error *err)
{
	CURLcode cc = CURLE_OK;
	long st = 0;
	int rc = perform(req, &st, reply, &cc, err);
	if (rc == -1 && cc == CURLE_COULDNT_CONNECT && !explicit_socket && !no_start &&
	    req->upload == NULL) {
		hutch_error_clear(err);
		if (start_daemon(err) < 0)
			return -1;
		rc = perform(req, &st, reply, &cc, err);
	}
	*status = st;
	return rc;
}

void client_error_message(const char *body, long status, hutch_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	const char *msg = NULL;
	if (body && json_parse_buffer(body, strlen(body), "reply", &o, NULL) == 0)
		json_get_string(o, "reply", "message", false, &msg, NULL);
	hutch_fail_plain(err, status == 404 ? ENOENT : EIO, "Error response from daemon: %s",
			 msg ? msg : (body && body[0] ? body : "unknown error"));
}

int client_call_ok(const struct client_request *req, char **reply, hutch_error *err)
{
	long status = 0;
	_cleanup_free_ char *body = NULL;
	int rc = client_call(req, &status, &body, err);
	if (rc == -1)
		return -1;
	if (status >= 400) {
		client_error_message(body, status, err);
		return -1;
	}
	if (reply != NULL)
		*reply = steal_pointer(&body);
	return rc;
}

int client_json_body(const char *method, const char *path, const char *body, json_object **out,
		     hutch_error *err)
{
	struct client_request req = {
	    .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0};
	_cleanup_free_ char *reply = NULL;
	if (client_call_ok(&req, &reply, err) < 0)
		return -1;
	if (out == NULL)
		return 0;
	if (reply == NULL || reply[0] == '\0') {
		*out = NULL;
		return 0;
	}
	return json_parse_buffer(reply, strlen(reply), "hutchd reply", out, err);
}

int client_json(const char *method, const char *path, json_object **out, hutch_error *err)
{
	return client_json_body(method, path, NULL, out, err);
}
