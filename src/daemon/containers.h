/* hutchd's view of containers: the registry of container records (by id,
 * name and id prefix), their status as the monitors report it, and the
 * waits on status changes. The files and protocols shared with
 * hutch-monitor are in docs/architecture/containers.md.
 *
 * A struct ctr is reference counted; the registry holds one reference
 * while the container exists. Fields other than the immutable ones are
 * read and written under the registry lock (ctr_lock/ctr_unlock). */
#ifndef HUTCH_DAEMON_CONTAINERS_H
#define HUTCH_DAEMON_CONTAINERS_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "daemon.h"
#include "error.h"

#define CTR_ID_LEN 64

enum ctr_status {
	CTR_CREATED,
	CTR_RUNNING,
	CTR_EXITED,
	CTR_REMOVING,
};

struct ctr {
	/* immutable after load/create */
	char id[CTR_ID_LEN + 1];
	char dir[4096];	    /* ROOT/containers/<id> */
	char run_dir[4096]; /* RUNTIME/containers/<id> */
	bool tty, open_stdin, stdin_once, auto_remove;

	/* under the registry lock */
	char name[256]; /* without the leading '/' */
	json_object *record; /* container.json */
	json_object *state;  /* state.json as last read */
	enum ctr_status status;
	pid_t monitor_pid;
	int monitor_pidfd;
	bool starting;	      /* a start is in progress */
	unsigned generation; /* bumped on every status change (for waits) */
	int refs;
};

/* Load every container at hutchd start: sweep .removing-* leftovers,
 * rebuild names and pins, re-adopt live monitors, settle dead ones. */
int containers_init(struct hutchd *d, hutch_error *err);
void containers_shutdown(struct hutchd *d);

/* Find by full id, name (with or without '/') or unique id prefix, and
 * take a reference. ENOENT: "No such container: NAME". */
int ctr_find(struct hutchd *d, const char *name_or_id, struct ctr **out, hutch_error *err);
void ctr_put(struct ctr *c);

/* All containers, each with a reference (free with ctr_put_all). */
int ctr_list(struct hutchd *d, struct ctr ***out, size_t *n);
void ctr_put_all(struct ctr **all, size_t n);

void ctr_lock(struct hutchd *d);
void ctr_unlock(struct hutchd *d);

/* Re-read state.json (under the lock) and wake waiters when the status
 * changed. Called by the monitor watcher and by handlers that need the
 * freshest state. */
void ctr_refresh(struct hutchd *d, struct ctr *c);

/* Wait until c->generation differs from gen or the status is one of the
 * wanted ones (bit 1 << status); timeout_ms < 0 waits forever. Returns 0,
 * or -ETIMEDOUT. Called without the lock held. */
int ctr_wait_change(struct hutchd *d, struct ctr *c, unsigned gen, unsigned status_mask,
		    int timeout_ms);

/* Docker's status word ("created", "running", "exited", "removing") and
 * the inspect document (container.json merged with state.json). */
const char *ctr_status_name(enum ctr_status s);
json_object *ctr_inspect(struct hutchd *d, struct ctr *c);

/* Attach sessions that arrive before the monitor exists (docker run
 * attaches, then starts): the stream fd and the header line are queued
 * on the container and handed to the monitor's attach.sock by the start
 * handler, before the container runs. When the container is already
 * running the attach is handed over at once. Takes ownership of fd. */
int ctr_attach(struct hutchd *d, struct ctr *c, int fd, bool in, bool out, bool errs,
	       hutch_error *err);

/* Send a ctl.sock request and return the reply (caller puts). */
int ctr_ctl(struct ctr *c, json_object *request, json_object **reply, hutch_error *err);

#endif
