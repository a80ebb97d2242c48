/* A small file's content goes to the kernel with the reply to its first
 * open, so reading it costs no READ round trip.
 *
 * Reading a small file through the mount costs an OPEN and a READ round
 * trip (RELEASE goes after close() returned); on a loaded 2-CPU VM each
 * is 20-30 us, most of it waking the two sides, against 9 us to read the
 * file from a plain directory. Before answering a read-only open of a
 * small regular file, the daemon reads it from the layer (only when the
 * layer has it cached: RWF_NOWAIT, so an open never waits for the disk)
 * and stores it in the mount's page cache (FUSE_NOTIFY_STORE); opens keep
 * the page cache (keep_cache), so the reader finds its pages there.
 *
 * The store writes over whatever the kernel caches for the file, so it must
 * never race with a change of the content:
 *
 *  - no other open of the node may exist: a writer (or a shared writable
 *    mapping, which holds its open until unmapped) could change the pages
 *    between our read of the layer and the store, and a reader's READ in
 *    flight holds the lock of the pages the store waits for, which is a
 *    deadlock when the thread storing is the one that reads /dev/fuse.
 *    The node's lock is held from the check to the end of the store, and
 *    every open counts itself under that lock before it is answered, so
 *    no open can complete meanwhile; the kernel sends RELEASE only when
 *    no READ of that open is in flight any more;
 *  - truncate by name and copy-up take the tree lock exclusively; the
 *    caller holds it shared;
 *  - not with the writeback cache (the kernel then owns size and pages),
 *    nor for a direct-io open.
 *
 * Once per node: the kernel keeps the pages across opens, and storing
 * them again would only cost. If it dropped them meanwhile (memory
 * pressure), the reader's READ fetches them as before. */
#include <errno.h>
#include <sys/uio.h>

#include "log.h"
#include "ovl.h"

/* Files up to this size: the reader usually reads all of a small file,
 * and the store costs a copy of the data (a few us at this size). */
#define PREFILL_MAX (32 * 1024)

void ovl_prefill(struct ovl_fs *fs, struct ovl_file *f, fuse_ino_t ino, const struct stat *st)
{
	struct ovl_node *n = f->node;
	if (fs->opts.writeback || f->direct || !S_ISREG(st->st_mode) || st->st_size <= 0 ||
	    st->st_size > PREFILL_MAX || __atomic_load_n(&n->prefilled, __ATOMIC_RELAXED))
		return;
	static _Thread_local char buf[PREFILL_MAX];
	pthread_mutex_lock(&n->lock);
	if (n->open_count == 1 && !n->prefilled) {
		struct iovec iov = {.iov_base = buf, .iov_len = (size_t)st->st_size};
		ssize_t r = preadv2(f->fd, &iov, 1, 0, RWF_NOWAIT);
		if (r == st->st_size) {
			struct fuse_bufvec data = FUSE_BUFVEC_INIT((size_t)r);
			data.buf[0].mem = buf;
			int e = fuse_lowlevel_notify_store(fs->se, ino, 0, &data, 0);
			if (e == 0)
				__atomic_store_n(&n->prefilled, true, __ATOMIC_RELAXED);
			else
				log_debug("storing the content of node %lu: %s", (unsigned long)ino,
					  strerror(-e));
		}
	}
	pthread_mutex_unlock(&n->lock);
}
