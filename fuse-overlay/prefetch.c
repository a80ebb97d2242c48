/* Building listings ahead. A program walking a tree (find, du, ls -R, a
 * package manager's scan) reads one directory after another and waits for
 * each: for every entry the daemon stats the layer file, and the kernel
 * then makes an inode for it. Both are serial, so one CPU does all the
 * work while another is idle. When a directory that is part of such a walk
 * is read, its subdirectories are queued here, and a thread builds their
 * listings, with the stats of their lower entries (dirs.c), while the
 * kernel is still busy with the directory before: by the time the walk
 * reaches them, the daemon's share is mostly done.
 *
 * The queue holds node ids, never pointers: the kernel may forget a node at
 * any time, so the thread takes a reference before it builds. Its newest
 * entries come first (a walk goes depth first, into the subdirectories of
 * the directory it just read), each batch in listing order; a full queue
 * forgets its oldest. A listing built ahead is an ordinary listing: every
 * change through the mount drops it, under the tree lock the thread holds
 * for reading while it builds one directory, and it goes with its node on
 * forget. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include "log.h"
#include "ovl.h"

#define QUEUE_SIZE 256

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	fuse_ino_t ids[QUEUE_SIZE]; /* a ring: head is the next to build */
	size_t head, n;
	bool started, failed;
} pf = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, false, false};

static fuse_ino_t pop(void)
{
	pthread_mutex_lock(&pf.lock);
	while (pf.n == 0)
		pthread_cond_wait(&pf.wake, &pf.lock);
	fuse_ino_t id = pf.ids[pf.head];
	pf.head = (pf.head + 1) % QUEUE_SIZE;
	pf.n--;
	pthread_mutex_unlock(&pf.lock);
	return id;
}

/* With -d: which listings were built ahead (the tests wait for it). */
static void log_built(const struct ovl_node *d)
{
	char rel[PATH_MAX];
	if (hutch_log_get_level() >= HUTCH_LOG_DEBUG && ovl_node_path(d, rel, sizeof(rel)) == 0)
		log_debug("listing of %s built ahead", rel);
}

static void *build_ahead(void *arg)
{
	struct ovl_fs *fs = arg;
	for (;;) {
		fuse_ino_t id = pop();
		pthread_rwlock_rdlock(&fs->tree_lock);
		struct ovl_node *d = ovl_node_hold(fs, id);
		if (d != NULL && d->type == S_IFDIR && ovl_node_locate(fs, d) == 0 &&
		    ovl_dir_cache_build_ahead(fs, d))
			log_built(d);
		pthread_rwlock_unlock(&fs->tree_lock);
		if (d != NULL)
			ovl_node_unref(fs, d);
	}
	return NULL;
}

/* Start the thread (pf.lock held); signals stay with the main thread. */
static void start(struct ovl_fs *fs)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pf.started = pthread_create(&t, &attr, build_ahead, fs) == 0;
	pf.failed = !pf.started;
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void ovl_prefetch_dirs(struct ovl_fs *fs, const fuse_ino_t *ids, size_t n)
{
	if (n == 0)
		return;
	pthread_mutex_lock(&pf.lock);
	if (!pf.started && !pf.failed)
		start(fs);
	for (size_t k = n; pf.started && k-- > 0;) {
		/* In front, last first, so ids[0] comes next. */
		if (pf.n == QUEUE_SIZE)
			pf.n--; /* the oldest goes */
		pf.head = (pf.head + QUEUE_SIZE - 1) % QUEUE_SIZE;
		pf.ids[pf.head] = ids[k];
		pf.n++;
	}
	pthread_cond_signal(&pf.wake);
	pthread_mutex_unlock(&pf.lock);
}
