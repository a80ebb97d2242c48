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
	char name[256];	     /* without the leading '/' */
	json_object *record; /* container.json */
	json_object *state;  /* state.json as last read */
	enum ctr_status status;
	pid_t monitor_pid;
	int monitor_pidfd;
	bool starting;	     /* a start is in progress */
	bool die_deferred;   /* exited during the start: "die" follows "start" */
	unsigned generation; /* bumped on every status change (for waits) */
	int refs;
	bool removed;		   /* gone from the registry and from disk */
	struct ctr_attach *attach; /* attach sessions waiting for the start */
	bool attach_ready;	   /* the monitor's attach.sock takes sessions */
	unsigned attaching;	   /* attach sessions past their 101, not yet
				    * queued or handed over */
	unsigned exits;		   /* times it exited (wait condition=next-exit) */
};

struct ctr_attach; /* a queued attach session (containers.c) */
struct ctr_registry;

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
/* Emit the container's "die" event with its exit code (lock held). */
void ctr_announce_die_locked(struct hutchd *d, struct ctr *c);

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

/* An attach request is in flight from its 101 (begin, called before the
 * reply is queued) until its session is queued or handed over (end): a
 * client that got the 101 may start the container at once, and the start
 * waits for these, or the container's first output could come before the
 * session reached the monitor and be lost to it. */
void ctr_attach_begin(struct hutchd *d, struct ctr *c);
void ctr_attach_end(struct hutchd *d, struct ctr *c);

/* Send a ctl.sock request and return the reply (caller puts). A reply
 * {"error":"..."} is returned as a failure with that message. */
int ctr_ctl(struct ctr *c, json_object *request, json_object **reply, hutch_error *err);
/* The same with another socket of the runtime directory (an exec
 * monitor's exec-<id>.sock). */
int ctr_ctl_at(struct ctr *c, const char *sock, json_object *request, json_object **reply,
	       hutch_error *err);

/* ---- used by the container routes (api-containers.c) ---- */

/* Wait until pred(c, arg) holds (evaluated under the lock); timeout_ms < 0
 * waits forever. cancel (may be NULL) is polled twice a second, e.g. to
 * notice a client that went away. Returns 0, -ETIMEDOUT, or -ECANCELED
 * (cancelled, or hutchd is stopping). Called without the lock held. */
typedef bool (*ctr_pred)(struct ctr *c, void *arg);
int ctr_wait_until(struct hutchd *d, struct ctr *c, ctr_pred pred, void *arg, int timeout_ms,
		   bool (*cancel)(void *arg), void *cancel_arg);

/* A name is free and now reserved for a create in progress (EEXIST with
 * Docker's conflict message otherwise); released by ctr_name_release. */
int ctr_name_reserve(struct hutchd *d, const char *name, hutch_error *err);
void ctr_name_release(struct hutchd *d, const char *name);
/* Take ROOT/containers/<id>, written by ctr_build, into the registry and
 * return it with a reference. */
int ctr_register(struct hutchd *d, const char *id, struct ctr **out, hutch_error *err);
/* Rename (Docker's conflict message when taken); rewrites container.json
 * and monitor.json. */
int ctr_rename(struct hutchd *d, struct ctr *c, const char *name, hutch_error *err);
/* Remove a container that does not run (EBUSY when it does): its
 * directories, pins, name. A removal already under way is waited for. */
int ctr_remove(struct hutchd *d, struct ctr *c, hutch_error *err);

/* Spawn the monitor and run the start handshake (ctr-monitor.c). EALREADY
 * when it already runs; a command that is not found or not executable is
 * EINVAL with Docker's message. */
int ctr_start(struct hutchd *d, struct ctr *c, hutch_error *err);
/* Signal the container through its monitor (ENOTCONN when not running). */
int ctr_kill(struct hutchd *d, struct ctr *c, int signo, hutch_error *err);
/* Docker's stop: signo (StopSignal when 0), then SIGKILL after timeout_s
 * seconds (< 0: never); returns once the monitor has exited. EALREADY
 * when the container was not running. */
int ctr_stop(struct hutchd *d, struct ctr *c, int signo, int timeout_s, hutch_error *err);
/* The monitor whose pid is in RUNTIME/containers/<id>/monitor.pid, opened
 * as a pidfd, when it is alive and is c's monitor; -1 otherwise. */
int ctr_monitor_open(struct ctr *c, pid_t *pid);
/* Start watching a monitor: its exit refreshes c (takes the pidfd). */
void ctr_watch_monitor(struct hutchd *d, struct ctr *c, pid_t pid, int pidfd);

/* The containers made from image_id (a config digest): the number, and
 * the id of one running and one stopped user ("" when none). */
int ctr_image_users(struct hutchd *d, const char *image_id, char running[CTR_ID_LEN + 1],
		    char stopped[CTR_ID_LEN + 1]);

/* Docker's summary for GET /containers/json; size adds SizeRw/SizeRootFs. */
json_object *ctr_summary(struct hutchd *d, struct ctr *c, bool size);
/* Bytes in the container's writable layer. */
int64_t ctr_size_rw(struct ctr *c);
/* Bytes of the regular files and symlinks in a directory tree. */
int64_t ctr_tree_size(const char *path);

#endif
