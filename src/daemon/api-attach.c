/* POST /containers/{id}/attach: the hijacked connection, after the logged
 * output when logs=1, goes to the container's monitor (ctr_attach), which
 * from then on reads and writes it directly: hutchd copies no bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctr-log.h"
#include "file-util.h"
#include "hijack.h"
#include "log.h"
#include "streams.h"

struct attach {
	struct hutchd *d;
	struct ctr *c;
	bool logs, stream, in, out, errs;
	bool in_flight; /* ctr_attach_begin without its end yet */
};

/* The session is queued, handed over or given up: a start may go on. */
static void attach_settled(struct attach *a)
{
	if (a->in_flight) {
		a->in_flight = false;
		ctr_attach_end(a->d, a->c);
	}
}

static void attach_free(void *cls)
{
	struct attach *a = cls;
	attach_settled(a);
	ctr_put(a->c);
	free(a);
}

/* What ctr.log holds, in the stream's framing. */
static int send_logs(struct attach *a, int fd, hutch_error *err)
{
	struct log_options opt = {.out = a->out, .errs = a->errs, .tty = a->c->tty, .tail = -1};
	struct log_reader lr;
	char path[4200];
	snprintf(path, sizeof(path), "%s/ctr.log", a->c->dir);
	if (log_reader_open(&lr, path, &opt, err) < 0)
		return -1;
	char *out = NULL;
	size_t len = 0, cap = 0;
	int r;
	while ((r = log_reader_next(&lr, &out, &len, &cap, err)) > 0) {
		if (write_all(fd, out, len) < 0) {
			r = hutch_fail(err, errno, "write the log to the client");
			break;
		}
		len = 0;
	}
	free(out);
	log_reader_close(&lr);
	return r < 0 ? -1 : 0;
}

static void attach_hijacked(void *cls, int fd, const char *extra, size_t extra_len)
{
	struct attach *a = cls;
	hutch_error err = {0};
	if (extra_len > 0)
		log_warning("attach to %.12s: %zu bytes sent before the upgrade are dropped",
			    a->c->id, extra_len);
	(void)extra;
	if (a->logs && (a->out || a->errs) && send_logs(a, fd, &err) < 0) {
		log_info("attach to %.12s: %s", a->c->id, err.msg);
		close(fd);
		attach_settled(a);
		return;
	}
	if (!a->stream) {
		close(fd);
		return;
	}
	if (ctr_attach(a->d, a->c, fd, a->in, a->out, a->errs, &err) < 0)
		log_warning("attach to %.12s: %s", a->c->id, err.msg);
	attach_settled(a);
}

enum MHD_Result api_attach(struct request *r, struct ctr *c)
{
	if (strcmp(r->path + strlen(r->path) - 3, "/ws") == 0)
		return reply_error(r, 501,
				   "attaching over a websocket is not supported; use POST "
				   "/containers/{id}/attach");
	if (strcmp(r->method, "POST") != 0)
		return reply_error(r, 405, "method %s not allowed on attach", r->method);
	if (!hijack_requested(r))
		return reply_error(
		    r, 400,
		    "attach needs a hijacked connection: send \"Connection: Upgrade\" "
		    "and \"Upgrade: tcp\"");
	ctr_lock(r->d);
	enum ctr_status status = c->status;
	ctr_unlock(r->d);
	if (status == CTR_REMOVING)
		return reply_error(r, 409, "container %s is being removed", c->id);
	struct attach *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return MHD_NO;
	a->d = r->d;
	a->c = ctr_ref(r->d, c);
	if (a->c == NULL) {
		free(a);
		return reply_error(r, 404, "No such container: %s", c->id);
	}
	a->logs = query_bool(r, "logs");
	a->stream = query_bool(r, "stream");
	a->in = query_bool(r, "stdin");
	a->out = query_bool(r, "stdout");
	a->errs = query_bool(r, "stderr");
	if (a->stream) {
		ctr_attach_begin(r->d, a->c);
		a->in_flight = true;
	}
	return reply_hijack(r, !c->tty, attach_hijacked, a, attach_free);
}
