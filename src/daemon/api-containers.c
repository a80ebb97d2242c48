/* The /containers endpoints of the Docker Engine API: the router and the
 * lifecycle routes (create, start, stop, restart, kill, wait, remove,
 * inspect, rename, resize). Listing, pruning and top are in
 * api-containers-list.c; the streams (attach, logs, exec, archive) in
 * api-streams.c. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-containers.h"
#include "cleanup.h"
#include "containers.h"
#include "ctr-build.h"
#include "ctr-internal.h"
#include "ctr-names.h"
#include "events.h"
#include "json-util.h"
#include "log.h"
#include "signals.h"
#include "streams.h"
#include "volume-users.h"
#include "volumes.h"

enum MHD_Result reply_empty(struct request *r, unsigned int status)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Api-Version", HUTCH_API_VERSION);
	MHD_add_response_header(resp, "Server", "hutchd/" PACKAGE_VERSION);
	enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* An integer query parameter; absent gives def, junk is a 400. */
int query_int(struct request *r, const char *key, long def, long *out, hutch_error *err)
{
	const char *v = query_arg(r, key);
	*out = def;
	if (v == NULL || v[0] == '\0')
		return 0;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (*end != '\0' || errno != 0)
		return hutch_fail_plain(err, EINVAL,
					"invalid value for %s: \"%s\" is not an integer", key, v);
	*out = n;
	return 0;
}

/* ---------------------------------------------------------------- create */

static int pick_name(struct hutchd *d, const char *given, char name[CTR_NAME_MAX], hutch_error *err)
{
	if (given != NULL && given[0] != '\0') {
		if (ctr_name_check(given, name, err) < 0)
			return -1;
		return ctr_name_reserve(d, name, err);
	}
	for (unsigned attempt = 0; attempt < 20; attempt++) {
		ctr_name_random(name, attempt);
		if (ctr_name_reserve(d, name, NULL) == 0)
			return 0;
	}
	return hutch_fail_plain(err, EEXIST, "could not find a free container name");
}

static enum MHD_Result route_create(struct request *r)
{
	hutch_error err = {0};
	if (r->body == NULL || r->body_len == 0)
		return reply_error(r, 400, "config cannot be empty in order to create a container");
	_cleanup_json_ json_object *req = NULL;
	if (json_parse_buffer(r->body, r->body_len, "container config", &req, &err) < 0)
		return reply_error(r, 400, "%s", err.msg);
	if (!json_object_is_type(req, json_type_object))
		return reply_error(r, 400, "container config: expected a JSON object");
	char name[CTR_NAME_MAX];
	if (pick_name(r->d, query_arg(r, "name"), name, &err) < 0)
		return reply_hutch_error(r, &err);
	char id[CTR_ID_LEN + 1] = "";
	json_object *warnings = NULL;
	/* No volume may be removed between the build's choice of it and
	 * the container's record being known (volumes.h). */
	volumes_lock_shared();
	int rc = ctr_build(r->d, req, name, id, &warnings, &err);
	struct ctr *c = NULL;
	if (rc == 0 && (rc = ctr_register(r->d, id, &c, &err)) < 0)
		log_error("container %s was built but cannot be loaded: %s", id, err.msg);
	volumes_unlock();
	ctr_name_release(r->d, name);
	if (rc < 0) {
		json_object_put(warnings);
		return reply_hutch_error(r, &err);
	}
	events_emit(r->d, "container", "create", c->id, ctr_event_attributes(c));
	ctr_put(c);
	_cleanup_json_ json_object *out = json_object_new_object();
	json_object_object_add(out, "Id", json_object_new_string(id));
	json_object_object_add(out, "Warnings", warnings ? warnings : json_object_new_array());
	return reply_json(r, 201, out);
}

/* ------------------------------------------------------ start, stop, kill */

static enum MHD_Result route_start(struct request *r, struct ctr *c)
{
	hutch_error err = {0};
	if (ctr_start(r->d, c, &err) < 0) {
		if (err.errnum == EALREADY)
			return reply_empty(r, 304);
		return reply_hutch_error(r, &err);
	}
	return reply_empty(r, 204);
}

/* ?signal=NAME|NUMBER; 0 when absent. */
static int query_signal(struct request *r, int *out, hutch_error *err)
{
	const char *v = query_arg(r, "signal");
	*out = 0;
	if (v == NULL || v[0] == '\0')
		return 0;
	int s = signal_from_name(v);
	if (s <= 0)
		return hutch_fail_plain(err, EINVAL, "Invalid signal: %s", v);
	*out = s;
	return 0;
}

/* ?t= for stop and restart; Docker's default is 10 s (a negative wait
 * means forever). */
static int query_timeout(struct request *r, int *out, hutch_error *err)
{
	long t;
	if (query_int(r, "t", 10, &t, err) < 0)
		return -1;
	*out = t < 0 ? -1 : (int)(t > 86400 ? 86400 : t);
	return 0;
}

static enum MHD_Result route_stop(struct request *r, struct ctr *c)
{
	hutch_error err = {0};
	int signo, timeout;
	if (query_signal(r, &signo, &err) < 0 || query_timeout(r, &timeout, &err) < 0)
		return reply_hutch_error(r, &err);
	if (ctr_stop(r->d, c, signo, timeout, &err) < 0) {
		if (err.errnum == EALREADY)
			return reply_empty(r, 304);
		return reply_hutch_error(r, &err);
	}
	return reply_empty(r, 204);
}

static enum MHD_Result route_restart(struct request *r, struct ctr *c)
{
	hutch_error err = {0};
	int signo, timeout;
	if (query_signal(r, &signo, &err) < 0 || query_timeout(r, &timeout, &err) < 0)
		return reply_hutch_error(r, &err);
	if (ctr_stop(r->d, c, signo, timeout, &err) < 0 && err.errnum != EALREADY)
		return reply_hutch_error(r, &err);
	hutch_error_clear(&err);
	if (ctr_start(r->d, c, &err) < 0 && err.errnum != EALREADY)
		return reply_hutch_error(r, &err);
	events_emit(r->d, "container", "restart", c->id, ctr_event_attributes(c));
	return reply_empty(r, 204);
}

static enum MHD_Result route_kill(struct request *r, struct ctr *c)
{
	hutch_error err = {0};
	int signo;
	if (query_signal(r, &signo, &err) < 0)
		return reply_hutch_error(r, &err);
	if (ctr_kill(r->d, c, signo ? signo : SIGKILL, &err) < 0) {
		if (err.errnum == ENOTCONN)
			return reply_error(r, 409, "%s", err.msg);
		return reply_hutch_error(r, &err);
	}
	return reply_empty(r, 204);
}

/* ------------------------------------------------------------------ wait */

enum wait_condition { WAIT_NOT_RUNNING, WAIT_NEXT_EXIT, WAIT_REMOVED };

struct wait_job {
	struct hutchd *d;
	struct ctr *c;
	struct MHD_Connection *conn;
	enum wait_condition cond;
	unsigned exits; /* c->exits when the wait began */
	bool sent;
};

static bool wait_done(struct ctr *c, void *arg)
{
	struct wait_job *w = arg;
	if (c->removed)
		return true;
	switch (w->cond) {
	case WAIT_NOT_RUNNING:
		return c->status != CTR_RUNNING && !c->starting;
	case WAIT_NEXT_EXIT:
		return c->exits != w->exits;
	case WAIT_REMOVED:
		return false;
	}
	return true;
}

/* A client that hung up stops its wait (a docker run killed with ^C). */
static bool client_gone(void *arg)
{
	struct wait_job *w = arg;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(w->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return false;
	struct pollfd p = {.fd = ci->connect_fd, .events = POLLRDHUP};
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Runs once the 200 and its headers are out: Docker clients (docker run)
 * wait for the headers before they start the container. */
static ssize_t wait_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct wait_job *w = cls;
	(void)pos;
	if (w->sent)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (ctr_wait_until(w->d, w->c, wait_done, w, -1, client_gone, w) < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	ctr_lock(w->d);
	json_object *v;
	int code =
	    json_object_object_get_ex(w->c->state, "ExitCode", &v) ? json_object_get_int(v) : 0;
	ctr_unlock(w->d);
	w->sent = true;
	int n = snprintf(buf, max, "{\"StatusCode\":%d,\"Error\":null}\n", code);
	return n > 0 && (size_t)n < max ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void wait_free(void *cls)
{
	struct wait_job *w = cls;
	ctr_put(w->c);
	free(w);
}

static enum MHD_Result route_wait(struct request *r, struct ctr *c)
{
	const char *cond = query_arg(r, "condition");
	enum wait_condition wc;
	if (cond == NULL || cond[0] == '\0' || strcmp(cond, "not-running") == 0)
		wc = WAIT_NOT_RUNNING;
	else if (strcmp(cond, "next-exit") == 0)
		wc = WAIT_NEXT_EXIT;
	else if (strcmp(cond, "removed") == 0)
		wc = WAIT_REMOVED;
	else
		return reply_error(r, 400,
				   "invalid condition: \"%s\" (want not-running, next-exit or "
				   "removed)",
				   cond);
	struct wait_job *w = calloc(1, sizeof(*w));
	hutch_error err = {0};
	if (w == NULL || ctr_find(r->d, c->id, &w->c, &err) < 0) {
		free(w);
		return reply_error(r, 404, "No such container: %s", c->id);
	}
	w->d = r->d;
	w->conn = r->conn;
	w->cond = wc;
	ctr_lock(r->d);
	w->exits = c->exits;
	ctr_unlock(r->d);
	struct MHD_Response *resp =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256, wait_reader, w, wait_free);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Api-Version", HUTCH_API_VERSION);
	MHD_add_response_header(resp, "Server", "hutchd/" PACKAGE_VERSION);
	enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---------------------------------------------------------------- remove */

static enum MHD_Result route_delete(struct request *r, struct ctr *c)
{
	hutch_error err = {0};
	ctr_lock(r->d);
	bool running = c->status == CTR_RUNNING || c->starting;
	ctr_unlock(r->d);
	if (running) {
		if (!query_bool(r, "force"))
			return reply_error(r, 409,
					   "You cannot remove a running container %s. Stop the "
					   "container before attempting removal or force remove",
					   c->id);
		if (ctr_stop(r->d, c, SIGKILL, 30, &err) < 0 && err.errnum != EALREADY)
			return reply_hutch_error(r, &err);
		hutch_error_clear(&err);
	}
	/* v: the container's anonymous volumes go with it. */
	if ((query_bool(r, "v") ? ctr_remove_with_volumes(r->d, c, &err)
				: ctr_remove(r->d, c, &err)) < 0)
		return reply_error(r, err.errnum == EBUSY ? 409 : 500, "%s", err.msg);
	return reply_empty(r, 204);
}

/* ---------------------------------------------------- inspect and others */

static enum MHD_Result route_inspect(struct request *r, struct ctr *c)
{
	ctr_refresh(r->d, c);
	_cleanup_json_ json_object *o = ctr_inspect(r->d, c);
	if (query_bool(r, "size")) {
		_cleanup_json_ json_object *s = ctr_summary(r->d, c, true);
		json_object *v;
		if (json_object_object_get_ex(s, "SizeRw", &v))
			json_object_object_add(o, "SizeRw", json_object_get(v));
		if (json_object_object_get_ex(s, "SizeRootFs", &v))
			json_object_object_add(o, "SizeRootFs", json_object_get(v));
	}
	return reply_json(r, 200, o);
}

static enum MHD_Result route_rename(struct request *r, struct ctr *c)
{
	const char *given = query_arg(r, "name");
	hutch_error err = {0};
	char name[CTR_NAME_MAX];
	if (given == NULL || given[0] == '\0')
		return reply_error(r, 400, "Neither old nor new names may be empty");
	if (ctr_name_check(given, name, &err) < 0 || ctr_rename(r->d, c, name, &err) < 0)
		return reply_hutch_error(r, &err);
	return reply_empty(r, 204);
}

static enum MHD_Result route_resize(struct request *r, struct ctr *c)
{
	hutch_error err = {0};
	long h, w;
	if (query_int(r, "h", 0, &h, &err) < 0 || query_int(r, "w", 0, &w, &err) < 0)
		return reply_hutch_error(r, &err);
	if (h < 0 || w < 0 || h > 65535 || w > 65535)
		return reply_error(r, 400, "invalid terminal size %ldx%ld", h, w);
	ctr_lock(r->d);
	bool running = c->status == CTR_RUNNING;
	ctr_unlock(r->d);
	if (!running)
		return reply_error(r, 409, "Container %s is not running", c->id);
	if (!c->tty)
		return reply_error(r, 400, "container %s has no terminal to resize", c->id);
	_cleanup_json_ json_object *req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("resize"));
	json_object_object_add(req, "h", json_object_new_int((int)h));
	json_object_object_add(req, "w", json_object_new_int((int)w));
	_cleanup_json_ json_object *reply = NULL;
	if (ctr_ctl(c, req, &reply, &err) < 0)
		return reply_hutch_error(r, &err);
	return reply_empty(r, 200);
}

static enum MHD_Result route_update(struct request *r, struct ctr *c)
{
	return reply_error(r, 501,
			   "updating the resources of container %s is not supported: hutch sets "
			   "no cgroup limits",
			   c->id);
}

static enum MHD_Result route_pause(struct request *r, struct ctr *c)
{
	return reply_error(
	    r, 501, "pausing container %s is not supported: hutch has no cgroup freezer", c->id);
}

/* ---------------------------------------------------------------- router */

struct route {
	const char *method;
	const char *action;
	enum MHD_Result (*fn)(struct request *r, struct ctr *c);
};

static const struct route routes[] = {
    {"GET", "json", route_inspect},    {"POST", "start", route_start},
    {"POST", "stop", route_stop},      {"POST", "restart", route_restart},
    {"POST", "kill", route_kill},      {"POST", "wait", route_wait},
    {"DELETE", "", route_delete},      {"POST", "rename", route_rename},
    {"POST", "resize", route_resize},  {"POST", "update", route_update},
    {"POST", "pause", route_pause},    {"POST", "unpause", route_pause},
    {"GET", "top", api_container_top},
};

enum MHD_Result api_containers(struct request *r)
{
	const char *m = r->method;
	const char *rest = r->path + strlen("/containers");
	if (strcmp(rest, "/create") == 0 && strcmp(m, "POST") == 0)
		return route_create(r);
	if (strcmp(rest, "/json") == 0 && strcmp(m, "GET") == 0)
		return api_containers_list(r);
	if (strcmp(rest, "/prune") == 0 && strcmp(m, "POST") == 0)
		return api_containers_prune(r);
	if (rest[0] != '/' || rest[1] == '\0')
		return reply_error(r, 404, "page not found: %s %s", m, r->path);
	char key[512];
	size_t klen = strcspn(rest + 1, "/");
	if (klen >= sizeof(key))
		return reply_error(r, 404, "No such container: %.64s...", rest + 1);
	snprintf(key, sizeof(key), "%.*s", (int)klen, rest + 1);
	const char *action = rest + 1 + klen;
	if (*action == '/')
		action++;
	struct ctr *c;
	hutch_error err = {0};
	if (ctr_find(r->d, key, &c, &err) < 0)
		return reply_hutch_error(r, &err);
	size_t i;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(routes[i].method, m) == 0 && strcmp(routes[i].action, action) == 0)
			break;
	if (i == sizeof(routes) / sizeof(routes[0])) {
		/* attach, logs, exec, archive: api-streams.c */
		enum MHD_Result sret = MHD_NO;
		bool streamed = api_container_streams(r, c, action, &sret);
		ctr_put(c);
		return streamed ? sret : reply_error(r, 404, "page not found: %s %s", m, r->path);
	}
	enum MHD_Result ret = routes[i].fn(r, c);
	ctr_put(c);
	return ret;
}
