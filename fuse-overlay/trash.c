/* Removing a directory from upper: its whole tree is renamed into the work
 * dir at once (so the merged view changes atomically) and deleted there by
 * a background thread. The caller waits for one rename instead of one
 * unlink per entry; for rm -rf of a lower tree, whose upper copy holds a
 * whiteout for every name, that halves the work done while it waits.
 * Anything the thread has not finished when the daemon ends is a "#hutch-"
 * entry of the work dir, removed at the next mount. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ovl.h"
#include "setup.h"

struct trash_item {
	char name[64];
	struct trash_item *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct trash_item *head;
	bool started;
} trash = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, false};

static void *empty_trash(void *arg)
{
	struct ovl_fs *fs = arg;
	for (;;) {
		pthread_mutex_lock(&trash.lock);
		while (trash.head == NULL)
			pthread_cond_wait(&trash.wake, &trash.lock);
		struct trash_item *it = trash.head;
		trash.head = it->next;
		pthread_mutex_unlock(&trash.lock);
		ovl_remove_dir_tree(fs->workfd, it->name);
		free(it);
	}
	return NULL;
}

/* Hand name (in the work dir) to the thread; false when that cannot be
 * done (no memory, no thread) and the caller removes it itself. */
static bool queue(struct ovl_fs *fs, const char *name)
{
	struct trash_item *it = calloc(1, sizeof(*it));
	if (it == NULL)
		return false;
	snprintf(it->name, sizeof(it->name), "%s", name);
	pthread_mutex_lock(&trash.lock);
	if (!trash.started) {
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		trash.started = pthread_create(&t, &attr, empty_trash, fs) == 0;
		pthread_attr_destroy(&attr);
	}
	bool ok = trash.started;
	if (ok) {
		it->next = trash.head;
		trash.head = it;
		pthread_cond_signal(&trash.wake);
	}
	pthread_mutex_unlock(&trash.lock);
	if (!ok)
		free(it);
	return ok;
}

int ovl_remove_upper_dir(struct ovl_fs *fs, const char *rel)
{
	char tmp[64];
	int r = ovl_tmpname(fs, tmp, sizeof(tmp));
	if (r < 0)
		return r;
	if (renameat(fs->layers[0].fd, rel, fs->workfd, tmp) < 0)
		return -errno;
	if (!queue(fs, tmp))
		ovl_remove_dir_tree(fs->workfd, tmp);
	return 0;
}
