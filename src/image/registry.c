#include "registry.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "cleanup.h"
#include "json-util.h"
#include "log.h"

#define USER_AGENT "hutch/" PACKAGE_VERSION

struct registry {
	char base[600]; /* "https://host/v2/<repo>" */
	char domain[256];
	char repo[REFERENCE_MAX];
	char *userpass;
	char auth_header[8192]; /* "Authorization: ..." or "" */
	CURL *easy;		/* reused for manifests and small blobs */
	int max_parallel;
	int retries;
	long timeout_s;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool registry_is_insecure(const char *domain, const char *const *insecure)
{
	char host[256];
	snprintf(host, sizeof(host), "%s", domain);
	if (host[0] == '[') {
		char *e = strchr(host, ']');
		if (e)
			*e = '\0';
		memmove(host, host + 1, strlen(host));
	} else {
		char *colon = strchr(host, ':');
		if (colon)
			*colon = '\0';
	}
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127)
		return true;
	if (strcmp(host, "::1") == 0 || strcmp(host, "localhost") == 0)
		return true;
	for (size_t i = 0; insecure && insecure[i]; i++)
		if (strcmp(insecure[i], domain) == 0 || strcmp(insecure[i], host) == 0)
			return true;
	return false;
}

int registry_open(const struct image_ref *ref, const struct registry_options *opts,
		  struct registry **out, hutch_error *err)
{
	pthread_once(&curl_once, curl_init_once);
	struct registry *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return hutch_fail(err, ENOMEM, "registry");
	snprintf(r->domain, sizeof(r->domain), "%s", ref->domain);
	snprintf(r->repo, sizeof(r->repo), "%s", ref->path);
	const char *scheme =
	    registry_is_insecure(ref->domain, opts ? opts->insecure : NULL) ? "http" : "https";
	snprintf(r->base, sizeof(r->base), "%s://%s/v2/%s", scheme,
		 image_ref_registry_host(ref->domain), ref->path);
	if (opts && opts->userpass)
		r->userpass = strdup(opts->userpass);
	r->max_parallel = opts && opts->max_parallel > 0 ? opts->max_parallel : 4;
	r->retries = opts && opts->retries > 0 ? opts->retries : 3;
	r->timeout_s = opts && opts->timeout_s > 0 ? opts->timeout_s : 60;
	r->easy = curl_easy_init();
	if (r->easy == NULL) {
		registry_close(r);
		return hutch_fail(err, ENOMEM, "curl");
	}
	*out = r;
	return 0;
}

void registry_close(struct registry *r)
{
	if (r == NULL)
		return;
	if (r->easy)
		curl_easy_cleanup(r->easy);
	if (r->userpass) {
		explicit_bzero(r->userpass, strlen(r->userpass));
		free(r->userpass);
	}
	explicit_bzero(r->auth_header, sizeof(r->auth_header));
	free(r);
}

/* --------------------------------------------------- in-memory requests */

struct membuf {
	char *data;
	size_t len, max;
	bool overflow;
	char www_auth[2048];
	char content_type[256];
};

static size_t mem_write(char *p, size_t size, size_t n, void *ud)
{
	struct membuf *m = ud;
	size_t len = size * n;
	if (m->len + len > m->max) {
		m->overflow = true;
		return 0;
	}
	char *nd = realloc(m->data, m->len + len + 1);
	if (nd == NULL)
		return 0;
	m->data = nd;
	memcpy(m->data + m->len, p, len);
	m->len += len;
	m->data[m->len] = '\0';
	return len;
}

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
	struct membuf *m = ud;
	size_t len = size * n;
	char line[2048];
	snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
	line[strcspn(line, "\r\n")] = '\0';
	/* A redirect starts a new header block: keep only the last reply's. */
	if (strncmp(line, "HTTP/", 5) == 0) {
		m->www_auth[0] = '\0';
		m->content_type[0] = '\0';
	} else if (strncasecmp(line, "WWW-Authenticate:", 17) == 0) {
		const char *v = line + 17;
		while (*v == ' ')
			v++;
		snprintf(m->www_auth, sizeof(m->www_auth), "%s", v);
	} else if (strncasecmp(line, "Content-Type:", 13) == 0) {
		const char *v = line + 13;
		while (*v == ' ')
			v++;
		snprintf(m->content_type, sizeof(m->content_type), "%s", v);
		m->content_type[strcspn(m->content_type, ";")] = '\0';
	}
	return len;
}

static void setup_common(CURL *c, long timeout_s)
{
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer (the registry died, the network hangs) fails
	 * instead of hanging the pull forever. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
}

static int fetch_token(struct registry *r, const struct auth_challenge *ch, hutch_error *err);

/* One GET into memory with auth negotiation: a 401 with a challenge gets
 * one retry with credentials. Returns the HTTP status. */
static int get_memory(struct registry *r, const char *url, const char *accept, size_t max,
		      struct membuf *m, hutch_error *err)
{
	for (int attempt = 0;; attempt++) {
		free(m->data);
		memset(m, 0, sizeof(*m));
		m->max = max;
		CURL *c = r->easy;
		curl_easy_reset(c);
		setup_common(c, r->timeout_s);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, mem_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, m);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, m);
		struct curl_slist *h = NULL;
		char acc[512];
		if (accept) {
			snprintf(acc, sizeof(acc), "Accept: %s", accept);
			h = curl_slist_append(h, acc);
		}
		if (r->auth_header[0])
			h = curl_slist_append(h, r->auth_header);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		CURLcode cc = curl_easy_perform(c);
		curl_slist_free_all(h);
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (cc != CURLE_OK) {
			if (m->overflow)
				return hutch_fail_plain(
				    err, EFBIG, "GET %s: reply larger than %zu bytes", url, max);
			if (attempt + 1 < r->retries) {
				log_info("GET %s: %s, retrying", url, curl_easy_strerror(cc));
				usleep(200000 * (useconds_t)(attempt + 1));
				continue;
			}
			return hutch_fail_plain(err, EIO, "GET %s: %s", url,
						curl_easy_strerror(cc));
		}
		if (code == 401 && attempt == 0 && m->www_auth[0]) {
			struct auth_challenge ch;
			if (auth_parse_challenge(m->www_auth, &ch, err) < 0)
				return -1;
			if (ch.scheme == AUTH_BEARER) {
				if (fetch_token(r, &ch, err) < 0)
					return -1;
			} else if (r->userpass) {
				/* Basic: base64 of user:password. */
				static const char tbl[] =
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				    "qrstuvwxyz0123456789+/";
				const unsigned char *s = (const unsigned char *)r->userpass;
				size_t sl = strlen(r->userpass), o = 0;
				char b64[4096];
				for (size_t i = 0; i < sl && o + 5 < sizeof(b64); i += 3) {
					unsigned v = (unsigned)s[i] << 16;
					if (i + 1 < sl)
						v |= (unsigned)s[i + 1] << 8;
					if (i + 2 < sl)
						v |= s[i + 2];
					b64[o++] = tbl[(v >> 18) & 63];
					b64[o++] = tbl[(v >> 12) & 63];
					b64[o++] = i + 1 < sl ? tbl[(v >> 6) & 63] : '=';
					b64[o++] = i + 2 < sl ? tbl[v & 63] : '=';
				}
				b64[o] = '\0';
				snprintf(r->auth_header, sizeof(r->auth_header),
					 "Authorization: Basic %s", b64);
			} else {
				return hutch_fail_plain(err, EACCES,
							"GET %s: the registry wants a login "
							"(no credentials for %s)",
							url, r->domain);
			}
			continue;
		}
		if (code >= 500 && attempt + 1 < r->retries) {
			usleep(200000 * (useconds_t)(attempt + 1));
			continue;
		}
		return (int)code;
	}
}

static int fetch_token(struct registry *r, const struct auth_challenge *ch, hutch_error *err)
{
	char scope[600] = "";
	if (ch->scope[0])
		snprintf(scope, sizeof(scope), "%s", ch->scope);
	else if (r->repo[0])
		snprintf(scope, sizeof(scope), "repository:%s:pull", r->repo);
	CURL *c = r->easy;
	char *es = curl_easy_escape(c, scope, 0), *esvc = curl_easy_escape(c, ch->service, 0);
	_cleanup_free_ char *url = NULL;
	int n = asprintf(&url, "%s%c%s%s%s%s", ch->realm, strchr(ch->realm, '?') ? '&' : '?',
			 scope[0] ? "scope=" : "", scope[0] && es ? es : "",
			 ch->service[0] ? "&service=" : "", esvc ? esvc : "");
	curl_free(es);
	curl_free(esvc);
	if (n < 0)
		return hutch_fail(err, ENOMEM, "token url");
	struct membuf m = {.max = 1024 * 1024};
	curl_easy_reset(c);
	setup_common(c, r->timeout_s);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, mem_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
	if (r->userpass) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, r->userpass);
	}
	CURLcode cc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(c, CURLOPT_USERPWD, NULL);
	if (cc != CURLE_OK || code != 200) {
		free(m.data);
		if (cc != CURLE_OK)
			return hutch_fail_plain(err, EIO, "token from %s: %s", ch->realm,
						curl_easy_strerror(cc));
		return hutch_fail_plain(err, EACCES, "token from %s: HTTP %ld%s", ch->realm, code,
					code == 401 ? " (wrong credentials?)" : "");
	}
	_cleanup_json_ json_object *o = NULL;
	int rc = json_parse_buffer(m.data, m.len, "token reply", &o, err);
	free(m.data);
	if (rc < 0)
		return -1;
	const char *tok = NULL;
	if (json_get_string(o, "token reply", "token", false, &tok, err) < 0)
		return -1;
	if (tok == NULL && json_get_string(o, "token reply", "access_token", false, &tok, err) < 0)
		return -1;
	if (tok == NULL || strlen(tok) > sizeof(r->auth_header) - 40)
		return hutch_fail_plain(err, EPROTO, "token from %s: no usable token", ch->realm);
	snprintf(r->auth_header, sizeof(r->auth_header), "Authorization: Bearer %s", tok);
	return 0;
}

static int http_error(const char *what, int code, const struct membuf *m, hutch_error *err)
{
	/* Registries explain themselves in {"errors":[{"code","message"}]}. */
	char detail[512] = "";
	_cleanup_json_ json_object *o = NULL;
	if (m->data && json_parse_buffer(m->data, m->len, "error", &o, NULL) == 0) {
		json_object *errs, *e0, *msg;
		if (json_object_object_get_ex(o, "errors", &errs) &&
		    json_object_is_type(errs, json_type_array) &&
		    (e0 = json_object_array_get_idx(errs, 0)) != NULL &&
		    json_object_object_get_ex(e0, "message", &msg))
			snprintf(detail, sizeof(detail), ": %s", json_object_get_string(msg));
	}
	if (code == 404)
		return hutch_fail_plain(err, ENOENT, "%s: not found%s", what, detail);
	if (code == 401 || code == 403)
		return hutch_fail_plain(err, EACCES, "%s: access denied (HTTP %d)%s", what, code,
					detail);
	return hutch_fail_plain(err, EIO, "%s: HTTP %d%s", what, code, detail);
}

int registry_get_manifest(struct registry *r, const char *reference, char **body, size_t *len,
			  char *content_type, size_t ct_size,
			  char digest[static DIGEST_STR_LEN + 1], hutch_error *err)
{
	char url[1200];
	snprintf(url, sizeof(url), "%s/manifests/%s", r->base, reference);
	struct membuf m = {0};
	int code = get_memory(r, url, MANIFEST_ACCEPT, MANIFEST_MAX_SIZE, &m, err);
	if (code < 0) {
		free(m.data);
		return -1;
	}
	char what[800];
	snprintf(what, sizeof(what), "manifest %s/%s:%s", r->domain, r->repo, reference);
	if (code != 200) {
		http_error(what, code, &m, err);
		free(m.data);
		return -1;
	}
	if (m.data == NULL) {
		m.data = strdup("");
		m.len = 0;
	}
	digest_buffer(m.data, m.len, digest);
	if (strncmp(reference, "sha256:", 7) == 0 &&
	    digest_verify(reference, digest, what, err) < 0) {
		free(m.data);
		return -1;
	}
	snprintf(content_type, ct_size, "%s", m.content_type);
	*body = m.data;
	*len = m.len;
	return 0;
}

int registry_get_blob(struct registry *r, const char *digest, size_t max, char **body, size_t *len,
		      hutch_error *err)
{
	char url[1200];
	snprintf(url, sizeof(url), "%s/blobs/%s", r->base, digest);
	struct membuf m = {0};
	int code = get_memory(r, url, NULL, max, &m, err);
	char what[800];
	snprintf(what, sizeof(what), "blob %s", digest);
	if (code != 200) {
		if (code > 0)
			http_error(what, code, &m, err);
		free(m.data);
		return -1;
	}
	char actual[DIGEST_STR_LEN + 1];
	digest_buffer(m.data ? m.data : "", m.len, actual);
	if (digest_verify(digest, actual, what, err) < 0) {
		free(m.data);
		return -1;
	}
	*body = m.data ? m.data : strdup("");
	*len = m.len;
	return 0;
}

/* ------------------------------------------------ parallel blob downloads */

struct transfer {
	struct registry *r;
	size_t index;
	const struct descriptor *desc;
	CURL *easy;
	struct curl_slist *headers;
	int fd;
	char tmp[PATH_MAX];
	digest_ctx *hash;
	int64_t received;
	int attempts;
	bool too_big;
	int write_errno;
	blob_event_fn on_event;
	blob_verified_fn on_verified;
	void *ctx;
	int64_t last_report;
};

static size_t blob_write(char *p, size_t size, size_t n, void *ud)
{
	struct transfer *t = ud;
	size_t len = size * n;
	/* Never take more than the manifest promised: a hostile registry
	 * could otherwise fill the disk. */
	if (t->desc->size >= 0 && t->received + (int64_t)len > t->desc->size) {
		t->too_big = true;
		return 0;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(t->fd, p + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			t->write_errno = errno;
			return 0;
		}
		off += (size_t)w;
	}
	digest_update(t->hash, p, len);
	/* No sync_file_range here: it blocks while the disk's queue is full,
	 * and that would stall every transfer of the loop. The helper that
	 * follows the download starts the blob's writeback (writeback.h). */
	t->received += (int64_t)len;
	if (t->on_event && t->received - t->last_report >= 256 * 1024) {
		t->last_report = t->received;
		t->on_event(t->ctx, t->index, BLOB_PROGRESS, t->received, t->desc->size, NULL);
	}
	return len;
}

static int transfer_start(struct transfer *t, struct store *s, CURLM *multi, hutch_error *err)
{
	if (t->fd < 0) {
		if (store_blob_tmp(s, &t->fd, t->tmp, err) < 0)
			return -1;
	} else if (ftruncate(t->fd, 0) < 0 || lseek(t->fd, 0, SEEK_SET) < 0) {
		return hutch_fail(err, errno, "truncate %s", t->tmp);
	}
	if (t->hash == NULL)
		t->hash = digest_new();
	else {
		char discard[DIGEST_STR_LEN + 1];
		digest_final(t->hash, discard);
	}
	t->received = 0;
	t->last_report = 0;
	t->too_big = false;
	t->write_errno = 0;
	t->attempts++;
	if (t->easy == NULL)
		t->easy = curl_easy_init();
	else
		curl_easy_reset(t->easy);
	char url[1200];
	snprintf(url, sizeof(url), "%s/blobs/%s", t->r->base, t->desc->digest);
	setup_common(t->easy, t->r->timeout_s);
	/* Blobs are stored exactly as served: no transparent decoding. */
	curl_easy_setopt(t->easy, CURLOPT_ACCEPT_ENCODING, NULL);
	curl_easy_setopt(t->easy, CURLOPT_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(t->easy, CURLOPT_URL, url);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, blob_write);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	if (t->r->auth_header[0])
		t->headers = curl_slist_append(NULL, t->r->auth_header);
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
	curl_multi_add_handle(multi, t->easy);
	if (t->on_event)
		t->on_event(t->ctx, t->index, BLOB_WRITING, 0, t->desc->size, t->tmp);
	return 0;
}

static void transfer_cleanup(struct transfer *t)
{
	if (t->easy)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	if (t->fd >= 0) {
		close(t->fd);
		unlink(t->tmp);
	}
	digest_free(t->hash);
}

/* A finished transfer: commit, retry, or fail. Returns 1 when it was
 * restarted, 0 when done (ok or failed, see *failed). */
static int transfer_finish(struct transfer *t, struct store *s, CURLM *multi, CURLcode cc,
			   hutch_error *terr)
{
	long code = 0;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(multi, t->easy);
	char what[200];
	snprintf(what, sizeof(what), "layer %s", t->desc->digest);
	if (cc == CURLE_OK && code == 200) {
		if (t->on_event)
			t->on_event(t->ctx, t->index, BLOB_VERIFYING, t->received, t->desc->size,
				    NULL);
		char actual[DIGEST_STR_LEN + 1];
		digest_final(t->hash, actual);
		if (t->desc->size >= 0 && t->received != t->desc->size) {
			hutch_fail_plain(terr, EBADMSG, "%s: size %lld, the manifest says %lld",
					 what, (long long)t->received, (long long)t->desc->size);
			unlink(t->tmp);
		} else if (t->on_verified != NULL) {
			if (digest_verify(t->desc->digest, actual, what, terr) < 0) {
				unlink(t->tmp);
			} else {
				t->on_verified(t->ctx, t->index, t->fd, t->tmp, actual);
				t->fd = -1; /* the caller's now */
				return 0;
			}
		} else if (store_blob_commit(s, t->fd, t->tmp, t->desc->digest, actual, terr) < 0) {
			hutch_error_prefix(terr, "%s", what);
		} else {
			close(t->fd);
			t->fd = -1;
			return 0;
		}
		close(t->fd);
		t->fd = -1;
		return 0;
	}
	if (t->too_big)
		hutch_fail_plain(terr, EFBIG, "%s: more data than the manifest's %lld bytes", what,
				 (long long)t->desc->size);
	else if (t->write_errno)
		hutch_fail(terr, t->write_errno, "%s: write %s", what, t->tmp);
	else if (cc != CURLE_OK)
		hutch_fail_plain(terr, EIO, "%s: %s", what, curl_easy_strerror(cc));
	else
		hutch_fail_plain(terr, code == 404 ? ENOENT : EIO, "%s: HTTP %ld", what, code);
	bool retryable = !t->too_big && t->write_errno == 0 && (cc != CURLE_OK || code >= 500);
	if (retryable && t->attempts < t->r->retries) {
		log_info("%s, retrying", terr->msg);
		usleep(300000 * (useconds_t)t->attempts);
		hutch_error_clear(terr);
		if (transfer_start(t, s, multi, terr) == 0)
			return 1;
	}
	return 0;
}

int registry_fetch_blobs(struct registry *r, struct store *s, const struct descriptor *blobs,
			 const bool *want, size_t n, blob_event_fn on_event,
			 blob_verified_fn on_verified, void *ctx, hutch_error *err)
{
	/* Make sure a token exists before starting many transfers at once. */
	if (r->auth_header[0] == '\0') {
		struct membuf m = {0};
		char url[1200];
		snprintf(url, sizeof(url), "%s/tags/list?n=1", r->base);
		get_memory(r, url, NULL, 65536, &m, NULL);
		free(m.data);
	}
	struct transfer *t = calloc(n + 1, sizeof(*t));
	if (t == NULL)
		return hutch_fail(err, ENOMEM, "transfers");
	CURLM *multi = curl_multi_init();
	int rc = 0;
	size_t next = 0, running = 0;
	for (size_t i = 0; i < n; i++) {
		t[i].fd = -1;
		t[i].r = r;
		t[i].index = i;
		t[i].desc = &blobs[i];
		t[i].on_event = on_event;
		t[i].on_verified = on_verified;
		t[i].ctx = ctx;
	}
	for (;;) {
		while (running < (size_t)r->max_parallel && next < n) {
			size_t i = next++;
			if (!want[i])
				continue;
			hutch_error terr = {0};
			if (on_event)
				on_event(ctx, i, BLOB_STARTED, 0, blobs[i].size, NULL);
			if (transfer_start(&t[i], s, multi, &terr) < 0) {
				if (on_event)
					on_event(ctx, i, BLOB_FAILED, 0, 0, terr.msg);
				if (rc == 0 && err)
					*err = terr;
				rc = -1;
				continue;
			}
			running++;
		}
		if (running == 0)
			break;
		int still = 0;
		curl_multi_perform(multi, &still);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct transfer *tr = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&tr);
			hutch_error terr = {0};
			if (transfer_finish(tr, s, multi, msg->data.result, &terr) == 1)
				continue;
			running--;
			if (hutch_error_isset(&terr)) {
				if (on_event)
					on_event(ctx, tr->index, BLOB_FAILED, 0, 0, terr.msg);
				if (rc == 0 && err)
					*err = terr;
				rc = -1;
			} else if (on_event) {
				on_event(ctx, tr->index, BLOB_DONE, tr->received, tr->desc->size,
					 NULL);
			}
		}
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	for (size_t i = 0; i < n; i++)
		transfer_cleanup(&t[i]);
	curl_multi_cleanup(multi);
	free(t);
	return rc;
}

int registry_check_login(const char *domain, const char *userpass, const char *const *insecure,
			 hutch_error *err)
{
	struct image_ref ref = {0};
	snprintf(ref.domain, sizeof(ref.domain), "%s", domain);
	struct registry_options opts = {.userpass = userpass, .insecure = insecure, .retries = 1};
	struct registry *r = NULL;
	if (registry_open(&ref, &opts, &r, err) < 0)
		return -1;
	/* base is "<scheme>://host/v2/" for an empty repository. */
	struct membuf m = {0};
	int code = get_memory(r, r->base, NULL, 65536, &m, err);
	int rc = 0;
	if (code < 0)
		rc = -1;
	else if (code == 401 || code == 403)
		rc = hutch_fail_plain(err, EACCES, "login to %s failed: HTTP %d", domain, code);
	else if (code != 200)
		rc = http_error(domain, code, &m, err);
	free(m.data);
	registry_close(r);
	return rc;
}
