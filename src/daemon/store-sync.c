#include "store-sync.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "snapshot.h"

/* How long hutchd must be idle before the syncfs: long enough for the
 * next command of a script (a pull after a pull, a run after a pull) to
 * begin, so the disk's work does not land in the middle of it. */
#define QUIET_MS 1000

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started;
	bool pending;
	bool stopping;
} st = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void sync_now(struct hutchd *d)
{
	size_t n = 0;
	hutch_error err = {0};
	if (store_sync_snapshots(d->store, &n, &err) < 0)
		log_warning("store: %s (the snapshots stay marked unsynced)", err.msg);
	else if (n > 0)
		log_debug("store: %zu snapshot(s) synced", n);
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *sync_main(void *arg)
{
	struct hutchd *d = arg;
	pthread_mutex_lock(&st.lock);
	for (;;) {
		while (!st.pending && !st.stopping)
			pthread_cond_wait(&st.cond, &st.lock);
		if (st.stopping)
			break;
		/* A quiet moment: QUIET_MS without a new snapshot, and no
		 * claim held (no pull or load fetching or unpacking). */
		st.pending = false;
		struct timespec until;
		deadline_in(&until, QUIET_MS);
		int r = 0;
		while (!st.pending && !st.stopping && r != ETIMEDOUT)
			r = pthread_cond_timedwait(&st.cond, &st.lock, &until);
		if (st.stopping)
			break;
		if (st.pending || store_busy(d->store)) {
			st.pending = true;
			continue;
		}
		pthread_mutex_unlock(&st.lock);
		sync_now(d);
		pthread_mutex_lock(&st.lock);
	}
	pthread_mutex_unlock(&st.lock);
	return NULL;
}

void store_sync_schedule(struct hutchd *d)
{
	pthread_mutex_lock(&st.lock);
	st.pending = true;
	if (!st.started && !st.stopping) {
		int r = pthread_create(&st.thread, NULL, sync_main, d);
		if (r == 0)
			st.started = true;
		else
			log_warning("store: cannot start the sync thread (%s): snapshots are "
				    "synced when hutchd stops",
				    strerror(r));
	}
	pthread_cond_signal(&st.cond);
	pthread_mutex_unlock(&st.lock);
}

void store_sync_shutdown(struct hutchd *d)
{
	pthread_mutex_lock(&st.lock);
	st.stopping = true;
	pthread_cond_signal(&st.cond);
	bool started = st.started;
	pthread_mutex_unlock(&st.lock);
	if (started)
		pthread_join(st.thread, NULL);
	sync_now(d);
}

int store_sync_recover(struct hutchd *d, hutch_error *err)
{
	struct store_unsynced u;
	if (store_unsynced_scan(d->store, &u, err) < 0)
		return hutch_error_prefix(err, "store");
	int rc = 0;
	pid_t holder = u.n_lost > 0 ? hutchd_sandbox(d) : 0;
	for (size_t i = 0; i < u.n_lost; i++) {
		const char *chain = u.lost[i];
		log_warning("store: snapshot %s was not synced to disk before the machine went "
			    "down: unpacking it again from its layer",
			    chain);
		hutch_error e = {0};
		if (snapshot_rebuild(d, holder, chain, &e) == 0)
			continue;
		/* Never leave a snapshot that may miss files in use: without
		 * it, a pull of an image that needs it fetches it again. */
		log_warning("store: snapshot %s: %s: removing it", chain, e.msg);
		if (store_snapshot_discard(d->store, chain, err) < 0) {
			rc = hutch_error_prefix(err, "store: remove the unsynced snapshot %s",
						chain);
			break;
		}
	}
	if (rc == 0 && u.n_pending > 0)
		store_sync_schedule(d);
	store_unsynced_free(&u);
	return rc;
}
