/* Open files: open/create, read and write (spliced where the kernel
 * allows), flush, fsync, fallocate, lseek. A file opened before a copy-up
 * follows its node to the upper copy on its next read, so it never serves
 * the stale lower content after another descriptor wrote. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "ovl.h"

/* fd, just opened on n's upper file with flags: a read-only open of a
 * metadata-only copy reads the lower file that has the data. */
static int data_fd(struct ovl_fs *fs, struct ovl_node *n, int fd, int flags)
{
	if (fd < 0 || n->type != S_IFREG || (flags & O_ACCMODE) != O_RDONLY ||
	    __atomic_load_n(&n->meta, __ATOMIC_ACQUIRE) == OVL_META_NONE || fs->opts.noxattrs)
		return fd;
	/* Only O_RDONLY: the kernel's open flags may carry bits of its own
	 * (the exec open's), which openat2 refuses. */
	int data = ovl_metacopy_open_data(fs, n, fd, O_RDONLY);
	if (data == -ENODATA)
		return fd;
	close(fd);
	return data;
}

int ovl_open_node(struct ovl_fs *fs, struct ovl_node *n, int flags)
{
	flags = (flags & ~(O_CREAT | O_EXCL | O_NOCTTY)) | O_CLOEXEC;
	char rel[PATH_MAX];
	int r = ovl_node_locate(fs, n);
	if (r == 0)
		r = ovl_node_path(n, rel, sizeof(rel));
	if (r == -ENOENT && n->keep_fd >= 0) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", n->keep_fd);
		int fd = open(p, flags);
		return n->keep_upper ? data_fd(fs, n, fd < 0 ? -errno : fd, flags)
				     : (fd < 0 ? -errno : fd);
	}
	if (r < 0)
		return r;
	int fd = openat(fs->layers[n->layer].fd, rel, flags | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	return ovl_is_upper(fs, n->layer) ? data_fd(fs, n, fd, flags) : fd;
}

void ovl_node_keep(struct ovl_fs *fs, struct ovl_node *n, int layer, const char *rel)
{
	if (n == NULL || n->keep_fd >= 0)
		return;
	n->keep_fd = openat(fs->layers[layer].fd, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	n->keep_upper = ovl_is_upper(fs, layer);
}

/* With the writeback cache the kernel may read pages of a file opened
 * write-only and handles O_APPEND itself.
 *
 * O_DIRECT stays with the kernel, which already bypasses this mount's
 * page cache for such a file. On the layer file it would need buffers
 * aligned to the block size, which the daemon's are not (a WRITE's data
 * sits behind its header): reads and writes failed with EINVAL. */
static int adjust_flags(const struct ovl_fs *fs, int flags)
{
	flags &= ~O_DIRECT;
	if (fs->opts.writeback) {
		if ((flags & O_ACCMODE) == O_WRONLY)
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		flags &= ~O_APPEND;
	}
	return flags;
}

static struct ovl_file *file_new(struct ovl_fs *fs, struct ovl_node *n, int fd, int flags)
{
	struct ovl_file *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->fs = fs;
	f->fd = fd;
	f->flags = flags & ~(O_CREAT | O_EXCL | O_TRUNC);
	f->node = n;
	f->gen = __atomic_load_n(&n->copyup_gen, __ATOMIC_ACQUIRE);
	pthread_mutex_init(&f->lock, NULL);
	ovl_node_ref(fs, n);
	pthread_mutex_lock(&n->lock);
	n->open_count++;
	pthread_mutex_unlock(&n->lock);
	return f;
}

static void set_open_flags(struct ovl_fs *fs, struct fuse_file_info *fi)
{
	/* Content changes only through this mount, so what the kernel cached
	 * stays valid across opens. */
	fi->keep_cache = 1;
	/* Without the writeback cache every write reached the layer before
	 * it returned, and locks are the kernel's: a close has nothing to
	 * flush, which saves a round trip per file. With the writeback cache
	 * the kernel needs the flush to send its dirty pages. */
	if (!fs->opts.writeback || (fi->flags & O_ACCMODE) == O_RDONLY)
		fi->noflush = 1;
}

void ovl_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	int flags = adjust_flags(fs, fi->flags);
	bool writing = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	if (writing && !fs->has_upper) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/* A file already in upper opens under the shared lock; only a copy-up
	 * needs the exclusive one. */
	pthread_rwlock_rdlock(&fs->tree_lock);
	struct ovl_node *n = ovl_node_by_id(fs, ino);
	int r = n == NULL ? -ESTALE : ovl_node_locate(fs, n);
	bool copy = false;
	if (r == -ENOENT && n->parent == NULL && n->keep_fd >= 0) {
		/* Unlinked but still in use: reopened through the kept fd,
		 * for writing only when that is the upper file. */
		r = writing && !n->keep_upper ? -EROFS : 0;
		copy = r == 0 && writing && ovl_metacopy_state(fs, n) == OVL_META_YES;
	} else if (r == 0 && writing) {
		/* A lower file, or a metadata-only copy, needs its data in
		 * upper first. */
		copy = n->layer != 0 || ovl_metacopy_state(fs, n) == OVL_META_YES;
	}
	if (copy) {
		pthread_rwlock_unlock(&fs->tree_lock);
		pthread_rwlock_wrlock(&fs->tree_lock);
		n = ovl_node_by_id(fs, ino);
		r = n == NULL
			? -ESTALE
			: ovl_copy_up(fs, n, (flags & O_TRUNC) ? OVL_COPY_EMPTY : OVL_COPY_DATA);
	}
	int fd = r < 0 ? r : ovl_open_node(fs, n, flags);
	if (fd >= 0 && (flags & O_TRUNC) && ovl_kills_setid(fs)) {
		/* The truncate cleared the real set-id bits, not the ones
		 * xattr_permissions keeps; the kernel fetches the attributes
		 * again after an O_TRUNC open. */
		mode_t setid = ovl_fd_write_cleared_bits(fs, fd);
		if (setid != 0)
			ovl_fd_clear_mode_bits(fs, fd, setid);
	}
	struct ovl_file *f = NULL;
	if (fd >= 0) {
		f = file_new(fs, n, fd, flags);
		if (f == NULL) {
			close(fd);
			fd = -ENOMEM;
		}
	}
	struct stat st;
	if (f != NULL && !writing && n->type == S_IFREG && fstat(fd, &st) == 0) {
		f->direct = ovl_direct_read_wanted(fs, f, fi->flags, &st);
		ovl_prefill(fs, f, ino, &st);
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)f;
	set_open_flags(fs, fi);
	fi->direct_io = f->direct;
	if (fuse_reply_open(req, fi) == -ENOENT)
		ovl_op_release(NULL, ino, fi); /* the opener was interrupted */
}

/* Prepare a new name in the merged dir parent: the parent exists in upper,
 * the name is free and any whiteout hiding a lower entry of that name is
 * gone. Returns 1 when a lower entry of that name exists (a directory made
 * there must be opaque). */
int ovl_prepare_new_name(struct ovl_fs *fs, struct ovl_node *parent, const char *name, char *rel,
			 size_t size)
{
	if (!fs->has_upper)
		return -EROFS;
	if (ovl_is_whiteout_name(name))
		return -EINVAL;
	int r = ovl_copy_up_dir_chain(fs, parent);
	if (r < 0)
		return r;
	r = ovl_child_path(parent, name, rel, size);
	if (r < 0)
		return r;
	struct stat st;
	int layer, wh_layer;
	if (ovl_probe_wh(fs, parent->span, parent->nspan, rel, &st, &layer, &wh_layer) == 0)
		return -EEXIST;
	ovl_dir_cache_drop(parent);
	if (wh_layer < 0)
		return 0; /* no layer has the name: nothing to uncover */
	if (wh_layer == 0) {
		r = ovl_remove_whiteout(fs, rel);
		if (r < 0)
			return r;
	}
	/* A whiteout in a layer means a layer below it has the name. */
	return 1;
}

/* Answer a create (or tmpfile) request with the new open file f, or with
 * the error r (closing the fd opened for it). */
static void reply_create(fuse_req_t req, int r, int fd, struct ovl_file *f,
			 const struct fuse_entry_param *e, struct fuse_file_info *fi)
{
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)f;
	set_open_flags(f->fs, fi);
	if (fuse_reply_create(req, e, fi) == -ENOENT)
		ovl_op_release(NULL, e->ino, fi);
}

/* open(O_TMPFILE) in the merged dir parent (see session-io.c): an unnamed
 * file in upper's filesystem (in the work dir, so the parent need not be
 * copied up) whose node has no name, only the kept fd, until linkat()
 * gives it one (ovl_op_link). */
static void create_tmpfile(fuse_req_t req, fuse_ino_t parent, mode_t mode,
			   struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	int flags = adjust_flags(fs, fi->flags);
	flags &= ~(O_TMPFILE | O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
	if ((flags & O_ACCMODE) == O_RDONLY) {
		fuse_reply_err(req, EINVAL); /* the kernel refuses that itself */
		return;
	}
	if (!fs->has_upper) {
		fuse_reply_err(req, EROFS);
		return;
	}
	uid_t uid;
	gid_t gid;
	ovl_creator_ids(fs, req, &uid, &gid);
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	struct ovl_file *f = NULL;
	int fd = -1;

	pthread_rwlock_wrlock(&fs->tree_lock);
	struct ovl_node *p = ovl_node_by_id(fs, parent);
	int r = p == NULL ? -ESTALE : ovl_node_locate(fs, p);
	if (r == 0 && p->type != S_IFDIR)
		r = -ENOTDIR;
	if (r == 0) {
		char prel[PATH_MAX];
		bool sg;
		if (ovl_node_path(p, prel, sizeof(prel)) == 0)
			gid = ovl_inherit_gid(fs, p, prel, gid, &sg);
		mode_t real = fs->opts.xattr_permissions ? (mode | S_IRUSR | S_IWUSR) : mode;
		/* Not O_EXCL: the file must stay linkable; whether the
		 * caller may link it is the kernel's business. */
		fd = openat(fs->workfd, ".", flags | O_TMPFILE | O_CLOEXEC, real & 07777);
		r = fd < 0 ? -errno : 0;
	}
	if (r == 0)
		r = ovl_set_new_owner(fs, fd, NULL, uid, gid, S_IFREG | (mode & 07777));
	struct stat st;
	if (r == 0 && fstat(fd, &st) < 0)
		r = -errno;
	struct ovl_node *n = NULL;
	if (r == 0) {
		n = ovl_node_get(fs, ovl_make_ino(fs, 0, st.st_ino), NULL, "", S_IFREG, true);
		r = n == NULL ? -ENOMEM : 0;
	}
	if (r == 0 && n->parent != NULL)
		r = ovl_node_move(fs, n, NULL, NULL); /* a recycled inode number */
	if (r == 0) {
		if (n->keep_fd >= 0)
			close(n->keep_fd);
		n->keep_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		n->keep_upper = true;
		__atomic_store_n(&n->meta, OVL_META_NONE, __ATOMIC_RELEASE);
		r = n->keep_fd < 0 ? -errno : ovl_node_stat(fs, n, &e.attr);
	}
	if (r == 0) {
		e.ino = n->nodeid;
		ovl_fill_entry(fs, &e);
		f = file_new(fs, n, fd, flags);
		r = f == NULL ? -ENOMEM : 0;
	}
	if (r < 0 && n != NULL)
		ovl_node_forget(fs, n, 1);
	pthread_rwlock_unlock(&fs->tree_lock);
	reply_create(req, r, fd, f, &e, fi);
}

void ovl_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		   struct fuse_file_info *fi)
{
	if (strcmp(name, "/") == 0) {
		create_tmpfile(req, parent, mode, fi);
		return;
	}
	struct ovl_fs *fs = ovl_fs_of(req);
	int flags = adjust_flags(fs, fi->flags);
	uid_t uid;
	gid_t gid;
	ovl_creator_ids(fs, req, &uid, &gid);
	struct fuse_entry_param e;
	char rel[PATH_MAX];
	int fd = -1;
	struct ovl_file *f = NULL;

	pthread_rwlock_wrlock(&fs->tree_lock);
	struct ovl_node *p = ovl_node_by_id(fs, parent);
	int r = p == NULL ? -ESTALE : ovl_prepare_new_name(fs, p, name, rel, sizeof(rel));
	if (r >= 0) {
		char prel[PATH_MAX];
		bool sg;
		if (ovl_node_path(p, prel, sizeof(prel)) == 0)
			gid = ovl_inherit_gid(fs, p, prel, gid, &sg);
		mode_t real = fs->opts.xattr_permissions ? (mode | S_IRUSR | S_IWUSR) : mode;
		fd = openat(fs->layers[0].fd, rel,
			    (flags & ~O_TRUNC) | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			    real & 07777);
		r = fd < 0 ? -errno : 0;
	}
	if (r >= 0) {
		r = ovl_set_new_owner(fs, fd, rel, uid, gid, S_IFREG | (mode & 07777));
		if (r < 0)
			unlinkat(fs->layers[0].fd, rel, 0);
	}
	struct stat st;
	if (r >= 0 && fstat(fd, &st) < 0)
		r = -errno;
	if (r >= 0)
		r = ovl_new_entry(fs, p, name, rel, &st, false, &e);
	if (r >= 0) {
		struct ovl_node *n = ovl_node_by_id(fs, e.ino);
		f = n == NULL ? NULL : file_new(fs, n, fd, flags);
		if (f == NULL)
			r = -ENOMEM;
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	reply_create(req, r, fd, f, &e, fi);
}

/* The descriptor to use for f: after a copy-up of its node, a file opened
 * on the lower copy moves to the upper one. */
static int file_fd(struct ovl_fs *fs, struct ovl_file *f)
{
	unsigned gen = __atomic_load_n(&f->node->copyup_gen, __ATOMIC_ACQUIRE);
	if (gen == f->gen)
		return f->fd;
	pthread_mutex_lock(&f->lock);
	if (f->gen != gen) {
		pthread_rwlock_rdlock(&fs->tree_lock);
		int fd = ovl_open_node(fs, f->node, f->flags);
		pthread_rwlock_unlock(&fs->tree_lock);
		if (fd >= 0) {
			if (f->nold < (int)(sizeof(f->old_fds) / sizeof(f->old_fds[0])))
				f->old_fds[f->nold++] = f->fd;
			else
				close(f->fd);
			__atomic_store_n(&f->fd, fd, __ATOMIC_RELEASE);
		}
		f->gen = gen;
	}
	int fd = f->fd;
	pthread_mutex_unlock(&f->lock);
	return fd;
}

/* Reads up to this size are copied through a buffer: splicing costs three
 * system calls (header into the pipe, file into the pipe, pipe into
 * /dev/fuse) against two, and only pays off when it saves copying much
 * data. */
#define SMALL_READ (32 * 1024)

static void read_small(fuse_req_t req, int fd, size_t size, off_t off)
{
	static _Thread_local char buf[SMALL_READ];
	ssize_t n = pread(fd, buf, size, off);
	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

void ovl_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct ovl_file *f = (struct ovl_file *)fi->fh;
	if (f->direct)
		ovl_direct_read_note(f, size, fi->lock_owner);
	if (size <= SMALL_READ) {
		read_small(req, file_fd(fs, f), size, off);
		return;
	}
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = file_fd(fs, f);
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, 0);
}

/* With FUSE_HANDLE_KILLPRIV_V2 the kernel leaves clearing set-id bits on
 * a write or fallocate to us: the bits to clear, looked at before the
 * change (writes of the writeback cache's pages clear nothing, as an
 * mmap write does not). */
static mode_t setid_to_clear(struct ovl_fs *fs, int fd, bool writepage)
{
	return ovl_kills_setid(fs) && !writepage ? ovl_fd_write_cleared_bits(fs, fd) : 0;
}

/* After the change: clear them, and make the kernel fetch the attributes
 * again (it keeps the old mode otherwise: the reply to a write carries no
 * attributes). */
static void clear_setid(struct ovl_fs *fs, fuse_ino_t ino, int fd, mode_t bits)
{
	if (bits == 0)
		return;
	int r = ovl_fd_clear_mode_bits(fs, fd, bits);
	if (r < 0)
		log_warning("clearing set-id bits after a write: %s", strerror(-r));
	fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0);
}

void ovl_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in, off_t off,
		      struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct ovl_file *f = (struct ovl_file *)fi->fh;
	int fd = file_fd(fs, f);
	mode_t setid = setid_to_clear(fs, fd, fi->writepage);
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = fd;
	out.buf[0].pos = off;
	ssize_t r = fuse_buf_copy(&out, in, 0);
	if (r > 0)
		clear_setid(fs, ino, fd, setid);
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_write(req, (size_t)r);
}

void ovl_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct ovl_file *f = (struct ovl_file *)fi->fh;
	/* close() of a duplicate reports delayed write errors, as a close of
	 * the caller's descriptor would on a local filesystem. */
	int fd = fcntl(file_fd(fs, f), F_DUPFD_CLOEXEC, 0);
	int r = fd < 0 || close(fd) < 0 ? errno : 0;
	fuse_reply_err(req, r);
}

void ovl_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ovl_file *f = (struct ovl_file *)fi->fh;
	struct ovl_node *n = f->node;
	struct ovl_fs *fs = f->fs;
	close(f->fd);
	for (int i = 0; i < f->nold; i++)
		close(f->old_fds[i]);
	pthread_mutex_destroy(&f->lock);
	free(f);
	pthread_mutex_lock(&n->lock);
	n->open_count--;
	pthread_mutex_unlock(&n->lock);
	ovl_node_unref(fs, n);
	if (req != NULL)
		fuse_reply_err(req, 0);
}

void ovl_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	if (!fs->opts.fsync) {
		fuse_reply_err(req, 0);
		return;
	}
	struct ovl_file *f = (struct ovl_file *)fi->fh;
	int fd = file_fd(fs, f);
	int r = (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? errno : 0;
	fuse_reply_err(req, r);
}

void ovl_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
		      struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct ovl_file *f = (struct ovl_file *)fi->fh;
	int fd = file_fd(fs, f);
	mode_t setid = setid_to_clear(fs, fd, false);
	int r = fallocate(fd, mode, offset, length) < 0 ? errno : 0;
	if (r == 0)
		clear_setid(fs, ino, fd, setid);
	fuse_reply_err(req, r);
}

void ovl_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct ovl_file *f = (struct ovl_file *)fi->fh;
	off_t r = lseek(file_fd(fs, f), off, whence);
	if (r < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, r);
}
