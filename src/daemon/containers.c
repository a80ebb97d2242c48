/* The container registry: every container of ROOT/containers by id and
 * name, its status as its monitor reports it in state.json, the waits on
 * status changes, and one epoll thread that watches every live monitor
 * through a pidfd. The files are defined in docs/architecture/containers.md.
 *
 * One recursive mutex guards the registry and every struct ctr's mutable
 * fields (recursive so a route may call ctr_refresh or ctr_inspect while
 * it holds ctr_lock); one condition variable is broadcast on every change,
 * which is plenty for the few waiters a per-user daemon has. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "ctr-internal.h"
#include "events.h"
#include "file-util.h"
#include "helper.h"
#include "json-util.h"
#include "log.h"
#include "sandbox.h"
#include "unpack.h"
#include "volume-users.h"

struct ctr_registry {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct ctr **all;
	size_t n, cap;
	char **reserved; /* names of creates in progress */
	size_t n_reserved;
	int epfd;
	int stop_fd; /* eventfd that ends the watcher */
	pthread_t watcher;
	bool watcher_running;
	char dir[4096];	    /* ROOT/containers */
	char run_dir[4096]; /* RUNTIME/containers */
};

void ctr_lock(struct hutchd *d)
{
	pthread_mutex_lock(&d->containers->lock);
}

void ctr_unlock(struct hutchd *d)
{
	pthread_mutex_unlock(&d->containers->lock);
}

static void changed(struct hutchd *d, struct ctr *c)
{
	c->generation++;
	pthread_cond_broadcast(&d->containers->changed);
}

const char *ctr_status_name(enum ctr_status s)
{
	switch (s) {
	case CTR_CREATED:
		return "created";
	case CTR_RUNNING:
		return "running";
	case CTR_EXITED:
		return "exited";
	case CTR_REMOVING:
		return "removing";
	}
	return "dead";
}

/* ------------------------------------------------------------ references */

static void ctr_free(struct ctr *c)
{
	ctr_attach_drop_all(c);
	json_object_put(c->record);
	json_object_put(c->state);
	if (c->monitor_pidfd >= 0)
		close(c->monitor_pidfd);
	free(c);
}

void ctr_put(struct ctr *c)
{
	if (c != NULL && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		ctr_free(c);
}

static struct ctr *ctr_get(struct ctr *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	return c;
}

/* ---------------------------------------------------------------- lookup */

static struct ctr *find_locked(struct ctr_registry *reg, const char *key, hutch_error *err)
{
	const char *name = key[0] == '/' ? key + 1 : key;
	for (size_t i = 0; i < reg->n; i++)
		if (strcmp(reg->all[i]->id, key) == 0)
			return reg->all[i];
	for (size_t i = 0; i < reg->n; i++)
		if (strcmp(reg->all[i]->name, name) == 0)
			return reg->all[i];
	size_t len = strlen(key), hits = 0;
	struct ctr *found = NULL;
	if (len > 0 && len < CTR_ID_LEN && strspn(key, "0123456789abcdef") == len) {
		for (size_t i = 0; i < reg->n; i++)
			if (strncmp(reg->all[i]->id, key, len) == 0) {
				found = reg->all[i];
				hits++;
			}
	}
	if (hits == 1)
		return found;
	if (hits > 1)
		hutch_fail_plain(err, EINVAL, "multiple IDs found with provided prefix: %s", key);
	else
		hutch_fail_plain(err, ENOENT, "No such container: %s", key);
	return NULL;
}

int ctr_find(struct hutchd *d, const char *name_or_id, struct ctr **out, hutch_error *err)
{
	struct ctr_registry *reg = d->containers;
	pthread_mutex_lock(&reg->lock);
	struct ctr *c = find_locked(reg, name_or_id, err);
	if (c != NULL)
		*out = ctr_get(c);
	pthread_mutex_unlock(&reg->lock);
	return c != NULL ? 0 : -1;
}

int ctr_list(struct hutchd *d, struct ctr ***out, size_t *n)
{
	struct ctr_registry *reg = d->containers;
	pthread_mutex_lock(&reg->lock);
	struct ctr **all = calloc(reg->n + 1, sizeof(*all));
	if (all == NULL) {
		pthread_mutex_unlock(&reg->lock);
		return -1;
	}
	for (size_t i = 0; i < reg->n; i++)
		all[i] = ctr_get(reg->all[i]);
	*n = reg->n;
	pthread_mutex_unlock(&reg->lock);
	*out = all;
	return 0;
}

void ctr_put_all(struct ctr **all, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctr_put(all[i]);
	free(all);
}

int ctr_image_users(struct hutchd *d, const char *image_id, char running[CTR_ID_LEN + 1],
		    char stopped[CTR_ID_LEN + 1])
{
	struct ctr_registry *reg = d->containers;
	int n = 0;
	running[0] = stopped[0] = '\0';
	pthread_mutex_lock(&reg->lock);
	for (size_t i = 0; i < reg->n; i++) {
		struct ctr *c = reg->all[i];
		json_object *img;
		if (!json_object_object_get_ex(c->record, "Image", &img) ||
		    strcmp(json_object_get_string(img), image_id) != 0)
			continue;
		n++;
		char *slot = c->status == CTR_RUNNING || c->starting ? running : stopped;
		if (slot[0] == '\0')
			snprintf(slot, CTR_ID_LEN + 1, "%s", c->id);
	}
	pthread_mutex_unlock(&reg->lock);
	return n;
}

/* ----------------------------------------------------------------- names */

static const char *name_owner_locked(struct ctr_registry *reg, const char *name)
{
	for (size_t i = 0; i < reg->n; i++)
		if (strcmp(reg->all[i]->name, name) == 0)
			return reg->all[i]->id;
	for (size_t i = 0; i < reg->n_reserved; i++)
		if (strcmp(reg->reserved[i], name) == 0)
			return "";
	return NULL;
}

static int name_conflict(const char *name, const char *owner, hutch_error *err)
{
	if (owner[0] == '\0')
		return hutch_fail_plain(err, EEXIST,
					"Conflict. The container name \"/%s\" is already being "
					"used by a container that is being created.",
					name);
	return hutch_fail_plain(err, EEXIST,
				"Conflict. The container name \"/%s\" is already in use by "
				"container \"%s\". You have to remove (or rename) that container "
				"to be able to reuse that name.",
				name, owner);
}

int ctr_name_reserve(struct hutchd *d, const char *name, hutch_error *err)
{
	struct ctr_registry *reg = d->containers;
	pthread_mutex_lock(&reg->lock);
	const char *owner = name_owner_locked(reg, name);
	int rc = 0;
	if (owner != NULL) {
		rc = name_conflict(name, owner, err);
	} else {
		char **n = realloc(reg->reserved, (reg->n_reserved + 1) * sizeof(*n));
		char *copy = strdup(name);
		if (n == NULL || copy == NULL) {
			free(copy);
			if (n != NULL)
				reg->reserved = n;
			rc = hutch_fail(err, ENOMEM, "reserve name");
		} else {
			reg->reserved = n;
			reg->reserved[reg->n_reserved++] = copy;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

void ctr_name_release(struct hutchd *d, const char *name)
{
	struct ctr_registry *reg = d->containers;
	pthread_mutex_lock(&reg->lock);
	for (size_t i = 0; i < reg->n_reserved; i++)
		if (strcmp(reg->reserved[i], name) == 0) {
			free(reg->reserved[i]);
			reg->reserved[i] = reg->reserved[--reg->n_reserved];
			break;
		}
	pthread_mutex_unlock(&reg->lock);
}

/* ----------------------------------------------------------------- state */

static enum ctr_status status_from_state(json_object *state)
{
	json_object *v;
	const char *s =
	    json_object_object_get_ex(state, "Status", &v) ? json_object_get_string(v) : "created";
	if (strcmp(s, "running") == 0)
		return CTR_RUNNING;
	if (strcmp(s, "exited") == 0)
		return CTR_EXITED;
	return CTR_CREATED;
}

void ctr_time_now(char *buf, size_t size)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char date[32];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%09ldZ", date, ts.tv_nsec);
}

/* The rootfs of a container whose monitor died is still mounted in the
 * sandbox, served by its hutch-overlay, which the monitor would have
 * unmounted. Unmounting it there also ends that process (a FUSE server
 * stops when its mount goes). Without a live sandbox (a reboot) there is
 * no mount left to undo. */
static void unmount_orphaned_rootfs(struct hutchd *d, const struct ctr *c)
{
	pid_t holder = sandbox_running(d->runtime_dir);
	if (holder == 0)
		return;
	char rootfs[4200];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", c->run_dir);
	hutch_error err = {0};
	if (helper_unmount(holder, rootfs, &err) < 0)
		log_warning("container %.12s: %s", c->id, err.msg);
}

/* A monitor that died without writing its final state (kill -9, a
 * reboot): the container is gone with it. */
static void settle_dead_monitor(struct hutchd *d, struct ctr *c)
{
	unmount_orphaned_rootfs(d, c);
	json_object *st = c->state ? json_object_get(c->state) : json_object_new_object();
	char now[64];
	ctr_time_now(now, sizeof(now));
	json_object_object_add(st, "Status", json_object_new_string("exited"));
	json_object_object_add(st, "ExitCode", json_object_new_int(255));
	json_object_object_add(st, "Error", json_object_new_string("monitor died"));
	json_object_object_add(st, "FinishedAt", json_object_new_string(now));
	json_object_object_add(st, "Pid", json_object_new_int(0));
	json_object_object_add(st, "MonitorPid", json_object_new_int(0));
	char path[4200];
	snprintf(path, sizeof(path), "%s/state.json", c->dir);
	hutch_error err = {0};
	if (json_write_file_atomic(path, st, 0600, &err) < 0)
		log_error("container %.12s: %s", c->id, err.msg);
	log_warning("container %.12s: its monitor died; recorded as exited (255)", c->id);
	json_object_put(c->state);
	c->state = st;
}

static int state_exit_code(json_object *state)
{
	json_object *v;
	return json_object_object_get_ex(state, "ExitCode", &v) ? json_object_get_int(v) : 0;
}

json_object *ctr_event_attributes(struct ctr *c)
{
	json_object *a = json_object_new_object();
	json_object *cfg, *v;
	json_object_object_add(a, "name", json_object_new_string(c->name));
	if (json_object_object_get_ex(c->record, "Config", &cfg) &&
	    json_object_object_get_ex(cfg, "Image", &v))
		json_object_object_add(a, "image", json_object_get(v));
	if (json_object_object_get_ex(cfg, "Labels", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val)
		{
			json_object_object_add(a, key,
					       json_object_new_string(json_object_get_string(val)));
		}
	}
	return a;
}

static void refresh_locked(struct hutchd *d, struct ctr *c, bool announce)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/state.json", c->dir);
	json_object *st = NULL;
	hutch_error err = {0};
	if (json_read_file(path, &st, &err) == 0) {
		json_object_put(c->state);
		c->state = st;
	} else if (!c->removed && c->status != CTR_REMOVING) {
		log_warning("container %.12s: %s", c->id, err.msg);
	}
	if (c->status == CTR_REMOVING || c->removed)
		return;
	enum ctr_status s = status_from_state(c->state);
	if (s == CTR_RUNNING && c->monitor_pidfd < 0 && !c->starting) {
		settle_dead_monitor(d, c);
		s = CTR_EXITED;
	}
	if (s == c->status)
		return;
	enum ctr_status old = c->status;
	c->status = s;
	if (s == CTR_EXITED)
		c->exits++;
	changed(d, c);
	if (announce && s == CTR_EXITED && old != CTR_EXITED) {
		/* A container that ends during its start (`sh -c 'exit 2'`) is
		 * seen by the monitor watcher before ctr_start has announced
		 * the start: Docker's order is start, then die. */
		if (c->starting)
			c->die_deferred = true;
		else
			ctr_announce_die_locked(d, c);
	}
}

void ctr_announce_die_locked(struct hutchd *d, struct ctr *c)
{
	c->die_deferred = false;
	json_object *a = ctr_event_attributes(c);
	char code[16];
	snprintf(code, sizeof(code), "%d", state_exit_code(c->state));
	json_object_object_add(a, "exitCode", json_object_new_string(code));
	events_emit(d, "container", "die", c->id, a);
	volume_mount_events(d, c, "unmount");
}

void ctr_refresh(struct hutchd *d, struct ctr *c)
{
	ctr_lock(d);
	refresh_locked(d, c, true);
	ctr_unlock(d);
}

/* ----------------------------------------------------------------- waits */

void ctr_attach_begin(struct hutchd *d, struct ctr *c)
{
	ctr_lock(d);
	c->attaching++;
	ctr_unlock(d);
}

void ctr_attach_end(struct hutchd *d, struct ctr *c)
{
	ctr_lock(d);
	c->attaching--;
	/* Not a status change (no new generation): only wakes a start. */
	pthread_cond_broadcast(&d->containers->changed);
	ctr_unlock(d);
}

int ctr_wait_until(struct hutchd *d, struct ctr *c, ctr_pred pred, void *arg, int timeout_ms,
		   bool (*cancel)(void *arg), void *cancel_arg)
{
	struct ctr_registry *reg = d->containers;
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (timeout_ms >= 0) {
		end.tv_sec += timeout_ms / 1000;
		end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (end.tv_nsec >= 1000000000L) {
			end.tv_sec++;
			end.tv_nsec -= 1000000000L;
		}
	}
	int rc = 0;
	pthread_mutex_lock(&reg->lock);
	while (!pred(c, arg)) {
		if (d->stopping || (cancel != NULL && cancel(cancel_arg))) {
			rc = -ECANCELED;
			break;
		}
		struct timespec now, slice;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout_ms >= 0 && (now.tv_sec > end.tv_sec ||
					(now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))) {
			rc = -ETIMEDOUT;
			break;
		}
		/* Half a second at most, to notice stops and cancels. */
		slice = now;
		slice.tv_nsec += 500000000L;
		if (slice.tv_nsec >= 1000000000L) {
			slice.tv_sec++;
			slice.tv_nsec -= 1000000000L;
		}
		if (timeout_ms >= 0 && (slice.tv_sec > end.tv_sec || (slice.tv_sec == end.tv_sec &&
								      slice.tv_nsec > end.tv_nsec)))
			slice = end;
		pthread_cond_timedwait(&reg->changed, &reg->lock, &slice);
	}
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

struct change_wait {
	unsigned gen;
	unsigned mask;
};

static bool changed_or_wanted(struct ctr *c, void *arg)
{
	struct change_wait *w = arg;
	return c->generation != w->gen || (w->mask & (1u << c->status)) != 0;
}

int ctr_wait_change(struct hutchd *d, struct ctr *c, unsigned gen, unsigned status_mask,
		    int timeout_ms)
{
	struct change_wait w = {gen, status_mask};
	int rc = ctr_wait_until(d, c, changed_or_wanted, &w, timeout_ms, NULL, NULL);
	return rc == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

/* --------------------------------------------------------------- watcher */

void ctr_watch_monitor(struct hutchd *d, struct ctr *c, pid_t pid, int pidfd)
{
	struct ctr_registry *reg = d->containers;
	ctr_lock(d);
	c->monitor_pid = pid;
	c->monitor_pidfd = pidfd;
	ctr_get(c); /* the watch's reference */
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (epoll_ctl(reg->epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
		log_error("container %.12s: watch monitor %d: %s", c->id, (int)pid,
			  strerror(errno));
		c->monitor_pidfd = -1;
		close(pidfd);
		__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	}
	ctr_unlock(d);
}

/* The monitor exited: its state.json is final (or it died without
 * writing it). */
static void monitor_gone(struct hutchd *d, struct ctr *c)
{
	struct ctr_registry *reg = d->containers;
	ctr_lock(d);
	if (c->monitor_pidfd >= 0) {
		epoll_ctl(reg->epfd, EPOLL_CTL_DEL, c->monitor_pidfd, NULL);
		close(c->monitor_pidfd);
		c->monitor_pidfd = -1;
	}
	c->monitor_pid = 0;
	c->attach_ready = false;
	refresh_locked(d, c, true);
	changed(d, c);
	bool remove = c->auto_remove && c->status == CTR_EXITED && !c->starting;
	ctr_unlock(d);
	if (remove) {
		hutch_error err = {0};
		if (ctr_remove_with_volumes(d, c, &err) < 0 && err.errnum != EBUSY)
			log_error("auto-remove %.12s: %s", c->id, err.msg);
	}
	ctr_put(c);
}

static void *watcher_main(void *arg)
{
	struct hutchd *d = arg;
	struct ctr_registry *reg = d->containers;
	for (;;) {
		struct epoll_event evs[16];
		int n = epoll_wait(reg->epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("monitor watcher: epoll_wait: %s", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				return NULL; /* the stop eventfd */
			monitor_gone(d, evs[i].data.ptr);
		}
	}
}

/* -------------------------------------------------------------- loading */

static void get_bool(json_object *o, const char *key, bool *out)
{
	json_object *v;
	if (o != NULL && json_object_object_get_ex(o, key, &v))
		*out = json_object_get_boolean(v);
}

static void pin_image(struct hutchd *d, struct ctr *c, bool pin)
{
	json_object *chain, *img;
	if (json_object_object_get_ex(c->record, "ChainIds", &chain) &&
	    json_object_is_type(chain, json_type_array))
		for (size_t i = 0; i < json_object_array_length(chain); i++) {
			const char *k = json_object_get_string(json_object_array_get_idx(chain, i));
			if (k == NULL)
				continue;
			if (pin)
				store_pin(d->store, k);
			else
				store_unpin(d->store, k);
		}
	if (json_object_object_get_ex(c->record, "Image", &img) &&
	    json_object_get_string(img) != NULL) {
		if (pin)
			store_pin(d->store, json_object_get_string(img));
		else
			store_unpin(d->store, json_object_get_string(img));
	}
}

static int load_one(struct hutchd *d, const char *id, struct ctr **out, hutch_error *err)
{
	struct ctr_registry *reg = d->containers;
	struct ctr *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return hutch_fail(err, ENOMEM, "container %s", id);
	c->refs = 1;
	c->monitor_pidfd = -1;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->dir, sizeof(c->dir), "%s/%s", reg->dir, id);
	snprintf(c->run_dir, sizeof(c->run_dir), "%s/%s", reg->run_dir, id);
	char path[4200];
	snprintf(path, sizeof(path), "%s/container.json", c->dir);
	if (json_read_file(path, &c->record, err) < 0) {
		ctr_free(c);
		return -1;
	}
	json_object *v, *cfg = NULL, *host = NULL;
	const char *name =
	    json_object_object_get_ex(c->record, "Name", &v) ? json_object_get_string(v) : NULL;
	if (name == NULL || name[0] == '\0') {
		ctr_free(c);
		return hutch_fail_plain(err, EBADMSG, "%s: no Name", path);
	}
	snprintf(c->name, sizeof(c->name), "%s", name[0] == '/' ? name + 1 : name);
	json_object_object_get_ex(c->record, "Config", &cfg);
	json_object_object_get_ex(c->record, "HostConfig", &host);
	get_bool(cfg, "Tty", &c->tty);
	get_bool(cfg, "OpenStdin", &c->open_stdin);
	get_bool(cfg, "StdinOnce", &c->stdin_once);
	get_bool(host, "AutoRemove", &c->auto_remove);
	snprintf(path, sizeof(path), "%s/state.json", c->dir);
	if (json_read_file(path, &c->state, NULL) < 0)
		c->state = json_object_new_object();
	c->status = status_from_state(c->state);
	*out = c;
	return 0;
}

static int add_locked(struct ctr_registry *reg, struct ctr *c)
{
	if (reg->n == reg->cap) {
		size_t cap = reg->cap ? reg->cap * 2 : 64;
		struct ctr **n = realloc(reg->all, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		reg->all = n;
		reg->cap = cap;
	}
	reg->all[reg->n++] = c;
	return 0;
}

int ctr_register(struct hutchd *d, const char *id, struct ctr **out, hutch_error *err)
{
	struct ctr *c;
	if (load_one(d, id, &c, err) < 0)
		return -1;
	pin_image(d, c, true);
	ctr_lock(d);
	if (add_locked(d->containers, c) < 0) {
		ctr_unlock(d);
		pin_image(d, c, false);
		ctr_free(c);
		return hutch_fail(err, ENOMEM, "register container");
	}
	*out = ctr_get(c);
	ctr_unlock(d);
	return 0;
}

/* Most of a container's files are ours, so a plain removal usually does
 * it and saves spawning a helper; what it cannot remove (files of
 * subordinate uids in upper/) the helper removes inside the sandbox. */
void hutchd_remove_tree_or_log(struct hutchd *d, const char *path)
{
	hutch_error err = {0};
	if (tree_remove_at(AT_FDCWD, path, NULL) == 0 && access(path, F_OK) < 0)
		return;
	if (hutchd_remove_tree(d, path, &err) < 0)
		log_warning("remove %s (swept at the next start): %s", path, err.msg);
}

/* Leftovers of removals (.removing-<id>) and of creates (.tmp-<id>, see
 * ctr-build.h) cut short by a crash. */
static void sweep(struct hutchd *d, DIR *dir)
{
	struct ctr_registry *reg = d->containers;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, ".removing-", 10) != 0 &&
		    strncmp(e->d_name, ".tmp-", 5) != 0)
			continue;
		char path[8300];
		snprintf(path, sizeof(path), "%s/%s", reg->dir, e->d_name);
		log_info("sweeping %s", path);
		hutchd_remove_tree_or_log(d, path);
	}
}

static bool is_id(const char *s)
{
	return strlen(s) == CTR_ID_LEN && strspn(s, "0123456789abcdef") == CTR_ID_LEN;
}

/* A container found at start: re-adopt its live monitor, or settle a
 * dead one; AutoRemove containers that exited while hutchd was down go. */
static void adopt(struct hutchd *d, struct ctr *c)
{
	if (c->status == CTR_RUNNING || c->status == CTR_CREATED) {
		pid_t pid = 0;
		int pidfd = ctr_monitor_open(c, &pid);
		if (pidfd >= 0) {
			log_info("container %.12s: re-adopted monitor %d", c->id, (int)pid);
			ctr_watch_monitor(d, c, pid, pidfd);
		}
	}
	ctr_lock(d);
	refresh_locked(d, c, false);
	bool remove = c->auto_remove && c->status == CTR_EXITED;
	ctr_unlock(d);
	if (remove) {
		hutch_error err = {0};
		if (ctr_remove(d, c, &err) < 0)
			log_error("auto-remove %.12s: %s", c->id, err.msg);
	}
}

int containers_init(struct hutchd *d, hutch_error *err)
{
	struct ctr_registry *reg = calloc(1, sizeof(*reg));
	if (reg == NULL)
		return hutch_fail(err, ENOMEM, "container registry");
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&reg->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&reg->changed, &ca);
	pthread_condattr_destroy(&ca);
	reg->epfd = epoll_create1(EPOLL_CLOEXEC);
	reg->stop_fd = eventfd(0, EFD_CLOEXEC);
	d->containers = reg;
	if (reg->epfd < 0 || reg->stop_fd < 0)
		return hutch_fail(err, errno, "epoll");
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(reg->epfd, EPOLL_CTL_ADD, reg->stop_fd, &ev);
	snprintf(reg->dir, sizeof(reg->dir), "%s/containers", d->root);
	snprintf(reg->run_dir, sizeof(reg->run_dir), "%s/containers", d->runtime_dir);
	if (mkdir_parents(reg->dir, 0700, err) < 0 || mkdir_parents(reg->run_dir, 0700, err) < 0)
		return -1;
	int perr = pthread_create(&reg->watcher, NULL, watcher_main, d);
	if (perr != 0)
		return hutch_fail(err, perr, "start the monitor watcher");
	reg->watcher_running = true;

	_cleanup_closedir_ DIR *dir = opendir(reg->dir);
	if (dir == NULL)
		return hutch_fail(err, errno, "open %s", reg->dir);
	sweep(d, dir);
	rewinddir(dir);
	struct dirent *e;
	struct ctr **found = NULL;
	size_t n = 0;
	while ((e = readdir(dir)) != NULL) {
		if (!is_id(e->d_name))
			continue;
		struct ctr *c;
		hutch_error lerr = {0};
		if (load_one(d, e->d_name, &c, &lerr) < 0) {
			log_warning("container %.12s skipped: %s", e->d_name, lerr.msg);
			continue;
		}
		pin_image(d, c, true);
		ctr_lock(d);
		if (add_locked(reg, c) == 0) {
			struct ctr **nf = realloc(found, (n + 1) * sizeof(*nf));
			if (nf != NULL) {
				found = nf;
				found[n++] = ctr_get(c);
			}
		} else {
			ctr_free(c);
		}
		ctr_unlock(d);
	}
	for (size_t i = 0; i < n; i++)
		adopt(d, found[i]);
	ctr_put_all(found, n);
	log_info("%zu container(s) loaded", reg->n);
	return 0;
}

void containers_shutdown(struct hutchd *d)
{
	struct ctr_registry *reg = d->containers;
	if (reg == NULL)
		return;
	if (reg->watcher_running) {
		uint64_t one = 1;
		if (write(reg->stop_fd, &one, sizeof(one)) < 0)
			log_warning("stop the monitor watcher: %s", strerror(errno));
		pthread_join(reg->watcher, NULL);
	}
	/* Monitors keep running: the next hutchd adopts them. */
	for (size_t i = 0; i < reg->n; i++) {
		struct ctr *c = reg->all[i];
		if (c->monitor_pidfd >= 0) {
			close(c->monitor_pidfd);
			c->monitor_pidfd = -1;
			ctr_put(c); /* the watch's reference */
		}
		ctr_put(c);
	}
	free(reg->all);
	for (size_t i = 0; i < reg->n_reserved; i++)
		free(reg->reserved[i]);
	free(reg->reserved);
	if (reg->epfd >= 0)
		close(reg->epfd);
	if (reg->stop_fd >= 0)
		close(reg->stop_fd);
	pthread_mutex_destroy(&reg->lock);
	pthread_cond_destroy(&reg->changed);
	free(reg);
	d->containers = NULL;
}

/* --------------------------------------------------------------- removal */

static bool is_removed(struct ctr *c, void *arg)
{
	(void)arg;
	return c->removed;
}

int ctr_remove(struct hutchd *d, struct ctr *c, hutch_error *err)
{
	struct ctr_registry *reg = d->containers;
	ctr_lock(d);
	if (c->removed) {
		ctr_unlock(d);
		return 0;
	}
	if (c->status == CTR_REMOVING) {
		ctr_unlock(d);
		ctr_wait_until(d, c, is_removed, NULL, -1, NULL, NULL);
		return 0;
	}
	if (c->status == CTR_RUNNING || c->starting) {
		ctr_unlock(d);
		return hutch_fail_plain(err, EBUSY,
					"You cannot remove a running container %s. Stop the "
					"container before attempting removal or force remove",
					c->id);
	}
	c->status = CTR_REMOVING;
	changed(d, c);
	ctr_unlock(d);

	/* Renamed first: a crash mid-removal leaves .removing-<id> for the
	 * next start to sweep, never half a container. */
	char gone[4200];
	snprintf(gone, sizeof(gone), "%s/.removing-%s", reg->dir, c->id);
	if (rename(c->dir, gone) < 0 && errno != ENOENT) {
		int e = errno;
		ctr_lock(d);
		c->status = status_from_state(c->state);
		changed(d, c);
		ctr_unlock(d);
		return hutch_fail(err, e, "rename %s", c->dir);
	}
	hutchd_remove_tree_or_log(d, c->run_dir);
	hutchd_remove_tree_or_log(d, gone);

	ctr_lock(d);
	for (size_t i = 0; i < reg->n; i++)
		if (reg->all[i] == c) {
			memmove(&reg->all[i], &reg->all[i + 1],
				(reg->n - i - 1) * sizeof(*reg->all));
			reg->n--;
			break;
		}
	c->removed = true;
	ctr_attach_drop_all(c);
	changed(d, c);
	ctr_unlock(d);
	pin_image(d, c, false);
	events_emit(d, "container", "destroy", c->id, ctr_event_attributes(c));
	ctr_put(c); /* the registry's reference */
	return 0;
}

/* ---------------------------------------------------------------- rename */

static int rewrite_name(const char *path, const char *key, const char *value, hutch_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	if (json_read_file(path, &o, err) < 0)
		return -1;
	json_object_object_add(o, key, json_object_new_string(value));
	return json_write_file_atomic(path, o, 0600, err);
}

int ctr_rename(struct hutchd *d, struct ctr *c, const char *name, hutch_error *err)
{
	struct ctr_registry *reg = d->containers;
	ctr_lock(d);
	int rc = 0;
	const char *owner = name_owner_locked(reg, name);
	char old[256];
	snprintf(old, sizeof(old), "%s", c->name);
	char path[4200], slashed[300];
	snprintf(slashed, sizeof(slashed), "/%s", name);
	if (c->removed || c->status == CTR_REMOVING) {
		rc = hutch_fail_plain(err, ENOENT, "No such container: %s", c->id);
	} else if (strcmp(old, name) == 0) {
		rc = hutch_fail_plain(err, EINVAL,
				      "Renaming a container with the same name as its current "
				      "name");
	} else if (owner != NULL) {
		rc = name_conflict(name, owner, err);
	} else {
		/* container.json is the truth: the name index is rebuilt from it,
		 * so one atomic rewrite is the whole rename. */
		snprintf(path, sizeof(path), "%s/container.json", c->dir);
		if (rewrite_name(path, "Name", slashed, err) < 0) {
			rc = -1;
		} else {
			json_object_object_add(c->record, "Name", json_object_new_string(slashed));
			snprintf(c->name, sizeof(c->name), "%s", name);
			snprintf(path, sizeof(path), "%s/monitor.json", c->dir);
			hutch_error merr = {0};
			if (rewrite_name(path, "name", name, &merr) < 0)
				log_warning("container %.12s: %s", c->id, merr.msg);
		}
	}
	ctr_unlock(d);
	if (rc == 0) {
		json_object *a = ctr_event_attributes(c);
		char was[300];
		snprintf(was, sizeof(was), "/%s", old);
		json_object_object_add(a, "oldName", json_object_new_string(was));
		events_emit(d, "container", "rename", c->id, a);
	}
	return rc;
}
