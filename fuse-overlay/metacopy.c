/* Metadata-only copies (metacopy=1, the default), as the kernel overlay's
 * metacopy=on makes them. A change of metadata only (chmod, chown, times,
 * xattrs, a link, a rename, the files of a directory tree renamed) copies
 * a lower regular file up as an upper file of the same size without data
 * blocks, with OVL_XATTR_METACOPY naming the lower file that still holds
 * the data. Reads of it are served from that lower file; the first change
 * of the data copies it into the same upper inode (hard links and the
 * inode number stay), makes it durable as a copy-up does, and only then
 * drops the record: a crash in between leaves the metadata-only copy, whose
 * data still comes from below, never zeros.
 *
 * The record is the lower file's layer and path, resolved beneath that
 * layer's root with no symlink and no "..", so a forged one cannot reach
 * outside the layer; one that names no file, or a file that is not the
 * copy's origin, makes reads fail with EIO and says so in the log. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "log.h"
#include "ovl.h"

/* A data copy of this size or more lets other requests be served
 * meanwhile (see loop.c), as a copy-up does. */
#define SLOW_FILL_BYTES (1 << 20)

int ovl_metacopy_mark(int fd, int layer, const char *rel)
{
	char v[PATH_MAX + 16];
	int n = snprintf(v, sizeof(v), "%d:%s", layer, rel);
	if (n < 0 || (size_t)n >= sizeof(v))
		return -ENAMETOOLONG;
	return fsetxattr(fd, OVL_XATTR_METACOPY, v, (size_t)n, 0) < 0 ? -errno : 0;
}

/* Path of n's upper file for the *xattr and open calls: its name in upper
 * (not followed) or, once it has none, the fd it keeps (followed). */
static int upper_path(struct ovl_fs *fs, struct ovl_node *n, char *abs, size_t size, bool *follow)
{
	*follow = n->parent == NULL && n != fs->root;
	if (*follow) {
		if (n->keep_fd < 0 || !n->keep_upper)
			return -ENOENT;
		snprintf(abs, size, "/proc/self/fd/%d", n->keep_fd);
		return 0;
	}
	char rel[PATH_MAX];
	int r = ovl_node_locate(fs, n);
	if (r == 0 && n->layer != 0)
		r = -ENOENT;
	if (r == 0)
		r = ovl_node_path(n, rel, sizeof(rel));
	if (r == 0)
		r = ovl_abs_path(fs, 0, rel, abs, size);
	return r;
}

static void set_state(struct ovl_node *n, int state)
{
	__atomic_store_n(&n->meta, (unsigned char)state, __ATOMIC_RELEASE);
}

int ovl_metacopy_state(struct ovl_fs *fs, struct ovl_node *n)
{
	if (n->type != S_IFREG || !fs->has_upper || fs->opts.noxattrs)
		return OVL_META_NONE;
	int s = __atomic_load_n(&n->meta, __ATOMIC_ACQUIRE);
	if (s != OVL_META_UNKNOWN)
		return s;
	char abs[PATH_MAX];
	bool follow;
	if (upper_path(fs, n, abs, sizeof(abs), &follow) < 0)
		return OVL_META_NONE; /* not in upper: nothing to know yet */
	ssize_t l = ovl_upper_getxattr(abs, follow, OVL_XATTR_METACOPY, NULL, 0);
	/* Still unknown: taken for a metadata-only copy (not remembered),
	 * so a write goes through ovl_metacopy_complete, which can tell,
	 * rather than into a file whose data may still be below. */
	if (l < 0 && errno == EACCES)
		return OVL_META_YES;
	if (l < 0 && errno != ENODATA && errno != ENOTSUP)
		return OVL_META_NONE; /* unknown still: asked again next time */
	s = l >= 0 ? OVL_META_YES : OVL_META_NONE;
	set_state(n, s);
	return s;
}

/* The lower file that record (the xattr's value) names for n, whose upper
 * file has upper_size bytes, opened with flags; -EIO, logged, when it is
 * not there or not n's origin. */
static int open_record(struct ovl_fs *fs, struct ovl_node *n, const char *record, off_t upper_size,
		       int flags)
{
	char *end;
	errno = 0;
	long layer = strtol(record, &end, 10);
	const char *why = NULL;
	int fd = -1;
	if (errno != 0 || end == record || *end != ':' || end[1] == '\0')
		why = "is not LAYER:PATH";
	else if (layer < 1 || layer >= fs->nlayers)
		why = "names no lower layer of this mount";
	if (why == NULL) {
		fd = ovl_open_beneath(fs->layers[layer].fd, end + 1, flags);
		if (fd < 0)
			why = fd == -ENOENT ? "names no file"
			      : fd == -EXDEV || fd == -ELOOP
				  ? "leads outside its layer or through a symlink"
				  : strerror(-fd);
	}
	struct stat st;
	if (why == NULL && fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (why == NULL && !S_ISREG(st.st_mode))
		why = "names no regular file";
	else if (why == NULL && st.st_size != upper_size)
		why = "names a file of another size";
	else if (why == NULL && ovl_make_ino(fs, (int)layer, st.st_ino) != n->ino)
		why = "names a file that is not the copy's origin";
	if (why != NULL) {
		char rel[PATH_MAX];
		if (ovl_node_path(n, rel, sizeof(rel)) < 0)
			snprintf(rel, sizeof(rel), "(unlinked, inode %" PRIu64 ")",
				 (uint64_t)n->ino);
		log_error("metadata-only copy %s in upper: its data record \"%s\" %s; reading it "
			  "fails with EIO",
			  rel, record, why);
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	__atomic_store_n(&n->data_blocks, st.st_blocks, __ATOMIC_RELAXED);
	return fd;
}

int ovl_metacopy_open_data(struct ovl_fs *fs, struct ovl_node *n, int upper_fd, int flags)
{
	char v[PATH_MAX + 16];
	ssize_t l = fgetxattr(upper_fd, OVL_XATTR_METACOPY, v, sizeof(v) - 1);
	struct stat st;
	if (l < 0 && errno != ENODATA && errno != ENOTSUP)
		return -errno;
	if (l >= 0 && fstat(upper_fd, &st) < 0)
		return -errno;
	/* Truncated to 0 before its record went (a crash in between): there
	 * is nothing below to read. */
	if (l < 0 || st.st_size == 0) {
		set_state(n, OVL_META_NONE);
		return -ENODATA;
	}
	v[l] = '\0';
	int fd = open_record(fs, n, v, st.st_size, flags);
	if (fd >= 0)
		set_state(n, OVL_META_YES);
	return fd;
}

/* Open the upper file for writing. Its owner (the daemon, without
 * CAP_DAC_OVERRIDE) must read and write it and its user xattrs for the
 * data copy: a mode without owner read or write gets them until *grant
 * (the bits added) is taken away again. */
static int open_for_fill(const char *abs, bool follow, const struct stat *st, mode_t *grant)
{
	int nofollow = follow ? 0 : O_NOFOLLOW;
	*grant = (S_IRUSR | S_IWUSR) & ~st->st_mode;
	int fd = open(abs, O_WRONLY | O_CLOEXEC | nofollow);
	if (*grant == 0 || (fd < 0 && errno != EACCES))
		return fd < 0 ? -errno : fd;
	if (fd >= 0)
		close(fd);
	if (!ovl_grant_bits(abs, st, *grant)) {
		*grant = 0;
		return -EACCES;
	}
	fd = open(abs, O_WRONLY | O_CLOEXEC | nofollow);
	if (fd < 0) {
		int e = errno;
		if (chmod(abs, st->st_mode & 07777) == 0)
			ovl_grant_forget(abs, st->st_ino);
		*grant = 0;
		return -e;
	}
	return fd;
}

/* Test hook: HUTCH_OVERLAY_FAULT=metacopy-fill makes the daemon die with
 * SIGKILL halfway through the data copy (tests/bats/overlay/metacopy.bats
 * checks that the file still reads its lower data after a remount). */
static void fault_point(int src, int dst, off_t size)
{
	const char *f = getenv("HUTCH_OVERLAY_FAULT");
	if (f == NULL || strcmp(f, "metacopy-fill") != 0)
		return;
	loff_t i = 0, o = 0;
	if (copy_file_range(src, &i, dst, &o, (size_t)(size / 2), 0) < 0)
		log_warning("fault injection: copy_file_range: %s", strerror(errno));
	raise(SIGKILL);
}

/* Copy the data into fd (the upper file, its stat st, grant the mode bits
 * open_for_fill added), keeping what the write would change: times,
 * set-id bits, file capabilities. */
static int fill(struct ovl_fs *fs, struct ovl_node *n, int fd, const struct stat *st, mode_t grant)
{
	int src = ovl_metacopy_open_data(fs, n, fd, O_RDONLY);
	if (src == -ENODATA)
		return 0;
	if (src < 0)
		return src;
	if (st->st_size >= SLOW_FILL_BYTES)
		ovl_loop_detach();
	char cap[256];
	ssize_t capl = fgetxattr(fd, "security.capability", cap, sizeof(cap));
	fault_point(src, fd, st->st_size);
	int r = ovl_copy_data(src, fd, st->st_size);
	close(src);
	struct stat now;
	mode_t mode = (st->st_mode & 07777) | grant;
	if (r == 0 && fstat(fd, &now) == 0 && (now.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && capl > 0 && fgetxattr(fd, "security.capability", NULL, 0) < 0)
		fsetxattr(fd, "security.capability", cap, (size_t)capl, 0);
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	if (r == 0 && futimens(fd, ts) < 0)
		r = -errno;
	if (r == 0 && fs->opts.fsync)
		r = ovl_make_copy_safe(fs, fd);
	return r;
}

int ovl_metacopy_complete(struct ovl_fs *fs, struct ovl_node *n, bool empty)
{
	if (ovl_metacopy_state(fs, n) != OVL_META_YES)
		return 0;
	char abs[PATH_MAX];
	bool follow;
	mode_t grant;
	struct stat st;
	int r = upper_path(fs, n, abs, sizeof(abs), &follow);
	if (r == 0 && (follow ? stat(abs, &st) : lstat(abs, &st)) < 0)
		r = -errno;
	if (r < 0)
		return r;
	int fd = open_for_fill(abs, follow, &st, &grant);
	if (fd < 0)
		return fd;
	r = empty ? (ftruncate(fd, 0) < 0 ? -errno : 0) : fill(fs, n, fd, &st, grant);
	/* Only now, with the data durable, does the file stop reading from
	 * below. */
	if (r == 0 && fremovexattr(fd, OVL_XATTR_METACOPY) < 0 && errno != ENODATA)
		r = -errno;
	/* Without the bits granted, and without the set-id bits a truncation
	 * to 0 cleared. */
	struct stat now;
	if (grant != 0) {
		if (fstat(fd, &now) == 0 && fchmod(fd, now.st_mode & 07777 & ~grant) == 0)
			ovl_grant_forget(abs, st.st_ino);
		else if (r == 0)
			r = -errno;
	}
	close(fd);
	if (r < 0)
		return r;
	set_state(n, OVL_META_NONE);
	__atomic_add_fetch(&n->copyup_gen, 1, __ATOMIC_RELEASE);
	return 0;
}

void ovl_metacopy_present(struct ovl_fs *fs, struct ovl_node *n, const char *rel, struct stat *st)
{
	if (!S_ISREG(st->st_mode) || st->st_size == 0)
		return;
	int s = __atomic_load_n(&n->meta, __ATOMIC_ACQUIRE);
	/* A file whose blocks cover its size has its data (a metadata-only
	 * copy has none; at most an xattr block): no need to ask. */
	if (s == OVL_META_NONE || (s == OVL_META_UNKNOWN && st->st_blocks * 512 >= st->st_size))
		return;
	if (ovl_metacopy_state(fs, n) != OVL_META_YES)
		return;
	blkcnt_t blocks = __atomic_load_n(&n->data_blocks, __ATOMIC_RELAXED);
	char abs[PATH_MAX], v[PATH_MAX + 16];
	if (blocks == 0 && ovl_abs_path(fs, 0, rel, abs, sizeof(abs)) == 0) {
		ssize_t l = ovl_upper_getxattr(abs, false, OVL_XATTR_METACOPY, v, sizeof(v) - 1);
		if (l > 0) {
			v[l] = '\0';
			int fd = open_record(fs, n, v, st->st_size, O_PATH);
			if (fd >= 0)
				close(fd);
			blocks = __atomic_load_n(&n->data_blocks, __ATOMIC_RELAXED);
		}
	}
	if (blocks > 0)
		st->st_blocks = blocks;
}
