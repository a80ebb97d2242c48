/* Copy-up: giving a lower file a copy in the upper layer before it is
 * changed. The copy is built under a temporary name in the work dir (data
 * with its holes, ownership, mode, xattrs, times and the origin record) and
 * renamed into place, so a crash never leaves a half-copied file visible.
 *
 * Hard links: a lower file with several names is copied once. The copy is
 * also linked as work/index/<origin inode>, and its origin xattr counts the
 * lower names not yet linked in; the next name of the same lower file that
 * is looked up is linked to the copy instead of copied again, so all names
 * stay one inode with one content. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "ovl.h"

/* Where a copy's metadata goes: a path (not followed) or, when fd is not
 * -1, an open file without a name yet. */
struct dest {
	const char *path;
	int fd;
};

static int dest_setxattr(const struct dest *d, const char *name, const void *v, size_t n)
{
	return (d->fd >= 0 ? fsetxattr(d->fd, name, v, n, 0) : lsetxattr(d->path, name, v, n, 0)) <
		       0
		   ? -errno
		   : 0;
}

/* Copy the xattrs of src to dst, leaving out the overlay's own (opacity
 * belongs to the layer, not to the copy) except the escaped-whiteout
 * marks, which are part of what the file is. */
static int copy_xattrs(struct ovl_fs *fs, const char *src, const struct dest *dst)
{
	if (fs->opts.noxattrs)
		return 0;
	ssize_t len = llistxattr(src, NULL, 0);
	if (len <= 0)
		return len < 0 && errno != ENOTSUP ? -errno : 0;
	_cleanup_free_ char *names = malloc((size_t)len);
	if (names == NULL)
		return -ENOMEM;
	len = llistxattr(src, names, (size_t)len);
	if (len < 0)
		return -errno;
	for (char *nm = names; nm < names + len; nm += strlen(nm) + 1) {
		bool content = strcmp(nm, OVL_XATTR_ESCAPED_WH) == 0 ||
			       strcmp(nm, OVL_XATTR_ESCAPED_WH_DIR) == 0;
		if ((!content &&
		     strncmp(nm, OVL_XATTR_PREFIX, sizeof(OVL_XATTR_PREFIX) - 1) == 0) ||
		    strcmp(nm, OVL_XATTR_OPAQUE_USER) == 0 ||
		    strncmp(nm, "trusted.overlay.", 16) == 0 ||
		    strncmp(nm, "user.overlay.", 13) == 0)
			continue;
		ssize_t vl = lgetxattr(src, nm, NULL, 0);
		if (vl < 0)
			continue;
		_cleanup_free_ char *v = malloc((size_t)vl + 1);
		if (v == NULL)
			return -ENOMEM;
		vl = lgetxattr(src, nm, v, (size_t)vl);
		if (vl < 0)
			continue;
		/* security.* and trusted.* may be refused to an unprivileged
		 * user; the copy goes on without them as the kernel's does. */
		int r = dest_setxattr(dst, nm, v, (size_t)vl);
		if (r < 0 && r != -EPERM && r != -ENOTSUP && r != -EACCES)
			return r;
	}
	return 0;
}

/* Copy the data of src to dst keeping holes: only the data extents are
 * copied (SEEK_DATA/SEEK_HOLE), by copy_file_range where the kernel can,
 * and the size is set at the end so a trailing hole stays a hole. */
int ovl_copy_data(int src, int dst, off_t size)
{
	off_t pos = 0;
	bool use_cfr = true;
	_cleanup_free_ char *buf = NULL;
	while (pos < size) {
		off_t data = lseek(src, pos, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole is left */
			data = pos;    /* no SEEK_DATA: copy everything */
		}
		off_t hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0)
			hole = size;
		if (hole > size)
			hole = size;
		off_t in = data;
		while (in < hole) {
			size_t chunk = (size_t)(hole - in < (1 << 30) ? hole - in : (1 << 30));
			ssize_t r = -1;
			if (use_cfr) {
				loff_t i = in, o = in;
				r = copy_file_range(src, &i, dst, &o, chunk, 0);
				if (r < 0 && (errno == EXDEV || errno == ENOSYS ||
					      errno == EINVAL || errno == EOPNOTSUPP)) {
					use_cfr = false;
					continue;
				}
			} else {
				if (buf == NULL && (buf = malloc(1 << 20)) == NULL)
					return -ENOMEM;
				r = pread(src, buf, chunk < (1 << 20) ? chunk : (1 << 20), in);
				if (r > 0) {
					for (ssize_t w = 0; w < r;) {
						ssize_t k =
						    pwrite(dst, buf + w, (size_t)(r - w), in + w);
						if (k < 0)
							return -errno;
						w += k;
					}
				}
			}
			if (r < 0)
				return -errno;
			if (r == 0)
				break; /* the file shrank under us */
			in += r;
		}
		pos = hole;
	}
	if (ftruncate(dst, size) < 0)
		return -errno;
	return 0;
}

/* Ownership of the copy: the lower owner when we may chown; otherwise,
 * with xattr_permissions, the ownership is kept in the override xattr so
 * the merged view does not change. */
static int copy_owner(struct ovl_fs *fs, const char *src_abs, const struct dest *dst,
		      const struct stat *st)
{
	if (st->st_uid == fs->euid && st->st_gid == fs->egid)
		return 0;
	if ((dst->fd >= 0 ? fchown(dst->fd, st->st_uid, st->st_gid)
			  : lchown(dst->path, st->st_uid, st->st_gid)) == 0)
		return 0;
	if (errno != EPERM && errno != EINVAL)
		return -errno;
	const char *ox = ovl_override_xattr(fs);
	if (ox == NULL || S_ISLNK(st->st_mode))
		return 0;
	char v[64];
	if (lgetxattr(src_abs, ox, v, sizeof(v)) > 0)
		return 0; /* copied with the other xattrs */
	int n = snprintf(v, sizeof(v), "%u:%u:0%o", (unsigned)st->st_uid, (unsigned)st->st_gid,
			 (unsigned)(st->st_mode & 07777));
	return dest_setxattr(dst, ox, v, (size_t)n);
}

static int write_origin(const struct dest *dst, ino_t ino, long pending)
{
	char v[64];
	int n = pending >= 0 ? snprintf(v, sizeof(v), "%" PRIu64 ":%ld", (uint64_t)ino, pending)
			     : snprintf(v, sizeof(v), "%" PRIu64, (uint64_t)ino);
	return dest_setxattr(dst, OVL_XATTR_ORIGIN, v, (size_t)n);
}

/* Count down the pending names in the origin record of a linked-in name's
 * copy (abs, a regular file). Reading and setting a user xattr need read
 * and write permission, which a copy chmodded 0444 or 0200 through the
 * mount denies a daemon without CAP_DAC_OVERRIDE: the count would stay
 * too high for good and every name would show too many links. */
static void count_down_origin(const char *abs, ino_t ino)
{
	struct stat old;
	bool granted = false;
	for (;;) {
		char v[64];
		ssize_t l = lgetxattr(abs, OVL_XATTR_ORIGIN, v, sizeof(v) - 1);
		int r = l < 0 ? -errno : 0;
		if (l > 0) {
			v[l] = '\0';
			char *colon = strchr(v, ':');
			long pending = colon != NULL ? strtol(colon + 1, NULL, 10) : 0;
			r = write_origin(&(struct dest){abs, -1}, ino,
					 pending > 0 ? pending - 1 : 0);
		}
		if (r != -EACCES || granted ||
		    !(granted = ovl_owner_grant(abs, false, S_IRUSR | S_IWUSR, &old)))
			break;
	}
	if (granted)
		ovl_owner_ungrant(abs, &old);
}

int ovl_index_link(struct ovl_fs *fs, ino_t ino, const char *rel)
{
	if (fs->indexfd < 0 || !ovl_link_index_may_have(fs, ino))
		return 0;
	char name[32];
	snprintf(name, sizeof(name), "%" PRIu64, (uint64_t)ino);
	pthread_mutex_lock(&fs->index_lock);
	int ret = 0;
	if (linkat(fs->indexfd, name, fs->layers[0].fd, rel, 0) == 0) {
		char abs[PATH_MAX];
		ret = 1;
		if (ovl_abs_path(fs, 0, rel, abs, sizeof(abs)) == 0)
			count_down_origin(abs, ino);
	} else if (errno != ENOENT) {
		ret = -errno;
	}
	pthread_mutex_unlock(&fs->index_lock);
	return ret;
}

/* A tree copy-up (a directory rename) copies many files. Each is written
 * under its temporary name in the work dir first; only when all are
 * written are they synced and renamed into place. The syncs then cost
 * about one journal commit, not one each (see batch_commit).
 * Until then none of them shows, so a crash never shows a half-written
 * copy. Directory times are put back last, as the renames change them. */
struct pending {
	char tmp[64]; /* empty for a directory's times */
	char *rel;
	struct timespec times[2];
};

struct copy_batch {
	struct pending *v;
	size_t n, cap;
};

static int batch_add(struct copy_batch *b, const char *tmp, const char *rel,
		     const struct timespec *times)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct pending *v = realloc(b->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	struct pending *p = &b->v[b->n];
	memset(p, 0, sizeof(*p));
	p->rel = strdup(rel);
	if (p->rel == NULL)
		return -ENOMEM;
	if (tmp != NULL)
		snprintf(p->tmp, sizeof(p->tmp), "%s", tmp);
	if (times != NULL) {
		p->times[0] = times[0];
		p->times[1] = times[1];
	}
	b->n++;
	return 0;
}

/* Make the data of a copy safe to show: after a crash, the name renamed
 * into upper must not show an empty or partial copy hiding the lower data.
 *
 * ext4 and XFS allocate a file's blocks (and convert unwritten extents,
 * and set the on-disk size) when the data is written back, in a journal
 * transaction; the rename that follows lands in the same transaction or a
 * later one, and transactions commit in order, each commit flushing the
 * device cache first. So once the data is written (not synced), a crash
 * shows the copy either complete or not at all, and the journal commit
 * with its cache flush that fsync() would force per file is left to the
 * filesystem: copy-up then waits for one data write, not for a commit.
 * Elsewhere (btrfs, NFS, ...) the copy is synced. */
int ovl_make_copy_safe(const struct ovl_fs *fs, int fd)
{
	int r = fs->upper_orders_renames
		    ? sync_file_range(fd, 0, 0,
				      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					  SYNC_FILE_RANGE_WAIT_AFTER)
		    : fsync(fd);
	return r < 0 ? -errno : 0;
}

/* With start_only, start writing the file back and return (a hint: a
 * failure only costs time); else wait until it is safe to show. */
static int sync_tmp(struct ovl_fs *fs, const char *tmp, bool start_only)
{
	int fd = openat(fs->workfd, tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return start_only ? 0 : -errno;
	int r = 0;
	if (start_only)
		sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	else
		r = ovl_make_copy_safe(fs, fd);
	close(fd);
	return r;
}

/* Sync and rename the files into place, then set the directory times;
 * with keep false (the copy failed) only remove the temporary files. */
static int batch_commit(struct ovl_fs *fs, struct copy_batch *b, bool keep)
{
	int r = 0;
	/* Writeback is started for every file first: on a filesystem that
	 * allocates blocks at writeback (ext4, XFS) most allocations then
	 * land in the journal commit the first fsync waits for, and the
	 * later ones find little left to do. Without it each fsync is a
	 * commit of its own. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < b->n && keep && r == 0 && fs->opts.fsync; i++)
			if (b->v[i].tmp[0] != '\0')
				r = sync_tmp(fs, b->v[i].tmp, pass == 0);
	for (size_t i = 0; i < b->n; i++) {
		struct pending *p = &b->v[i];
		if (p->tmp[0] == '\0') {
			if (keep && r == 0)
				utimensat(fs->layers[0].fd, p->rel, p->times, AT_SYMLINK_NOFOLLOW);
		} else if (!keep || r != 0 ||
			   renameat(fs->workfd, p->tmp, fs->layers[0].fd, p->rel) < 0) {
			if (keep && r == 0)
				r = -errno;
			unlinkat(fs->workfd, p->tmp, 0);
		}
		free(p->rel);
	}
	free(b->v);
	*b = (struct copy_batch){0};
	return r;
}

/* A metadata-only copy of a regular file with one name: built as an
 * unnamed file in the work dir (O_TMPFILE), its metadata set through its
 * fd, and linked into upper complete, in one step: no temporary name to
 * create, look up and rename, which was most of the cost of a chmod of a
 * lower file. -EOPNOTSUPP where the filesystem has no O_TMPFILE. */
static int copy_up_meta_tmpfile(struct ovl_fs *fs, int layer, const char *rel,
				const struct stat *st, ino_t ino)
{
	/* Made with the lower file's permission bits where the umask lets
	 * them through, so the fchmod is mostly left out; the owner can write
	 * its xattrs meanwhile. */
	mode_t mode = st->st_mode & 07777;
	int fd = openat(fs->workfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC,
			(mode & 0777) | S_IRUSR | S_IWUSR);
	if (fd < 0)
		return errno == EISDIR || errno == EINVAL ? -EOPNOTSUPP : -errno;
	struct stat made;
	char src_abs[PATH_MAX], self[64];
	struct dest dst = {NULL, fd};
	int r = ovl_abs_path(fs, layer, rel, src_abs, sizeof(src_abs));
	if (r == 0 && ftruncate(fd, st->st_size) < 0)
		r = -errno;
	if (r == 0)
		r = ovl_metacopy_mark(fd, layer, rel);
	if (r == 0)
		r = copy_xattrs(fs, src_abs, &dst);
	if (r == 0)
		r = copy_owner(fs, src_abs, &dst, st);
	if (r == 0)
		r = write_origin(&dst, ino, -1);
	if (r == 0 && (fstat(fd, &made) < 0 || (made.st_mode & 07777) != mode) &&
	    fchmod(fd, mode) < 0)
		r = -errno;
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	if (r == 0 && futimens(fd, ts) < 0)
		r = -errno;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (r == 0 && linkat(AT_FDCWD, self, fs->layers[0].fd, rel, AT_SYMLINK_FOLLOW) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* A data copy-up from this size on lets other requests be served
 * meanwhile (see loop.c); smaller ones finish sooner than the hand-off. */
#define SLOW_COPY_BYTES (1 << 20)

/* Copy rel from layer (stat st) into upper at rel, with what the caller
 * needs: OVL_COPY_EMPTY copies no data (the caller truncates the copy),
 * OVL_COPY_META none either for a regular file with data when metacopy is
 * on (its size, and a record of where the data is). *meta tells what the
 * upper file is now: OVL_META_YES for a metadata-only copy, OVL_META_NONE
 * for a complete one, OVL_META_UNKNOWN when another name's copy was
 * linked in (the index). */
static int copy_up_path(struct ovl_fs *fs, int layer, const char *rel, const struct stat *st,
			enum ovl_copy what, struct copy_batch *batch, unsigned char *meta)
{
	ino_t ino = ovl_make_ino(fs, layer, st->st_ino);
	bool linked = S_ISREG(st->st_mode) && st->st_nlink > 1;
	*meta = OVL_META_UNKNOWN;
	if (linked) {
		int r = ovl_index_link(fs, ino, rel);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	bool meta_only = what == OVL_COPY_META && fs->opts.metacopy && !fs->opts.noxattrs &&
			 S_ISREG(st->st_mode) && st->st_size > 0;
	bool data = what == OVL_COPY_DATA || (what == OVL_COPY_META && !meta_only);
	if (meta_only && !linked) {
		int r = copy_up_meta_tmpfile(fs, layer, rel, st, ino);
		if (r != -EOPNOTSUPP) {
			*meta = OVL_META_YES;
			return r;
		}
	}
	char tmp[64], src_abs[PATH_MAX], tmp_abs[PATH_MAX];
	int r = ovl_tmpname(fs, tmp, sizeof(tmp));
	if (r < 0)
		return r;
	if (ovl_abs_path(fs, layer, rel, src_abs, sizeof(src_abs)) < 0)
		return -ENAMETOOLONG;
	/* The work dir sits next to upper; its path is upper's sibling that
	 * the kernel resolves through /proc for us. */
	snprintf(tmp_abs, sizeof(tmp_abs), "/proc/self/fd/%d/%s", fs->workfd, tmp);

	int src = -1, dst = -1;
	switch (st->st_mode & S_IFMT) {
	case S_IFDIR:
		if (mkdirat(fs->workfd, tmp, 0700) < 0)
			return -errno;
		break;
	case S_IFREG:
		if (data && st->st_size >= SLOW_COPY_BYTES)
			ovl_loop_detach();
		if (data) {
			src = openat(fs->layers[layer].fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (src < 0)
				return -errno;
		}
		dst = openat(fs->workfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (dst < 0) {
			r = -errno;
			if (src >= 0)
				close(src);
			return r;
		}
		if (meta_only) {
			/* The size, no blocks; the record says where the data
			 * is. */
			r = ftruncate(dst, st->st_size) < 0 ? -errno : 0;
			if (r == 0)
				r = ovl_metacopy_mark(dst, layer, rel);
		} else if (data) {
			r = ovl_copy_data(src, dst, st->st_size);
			close(src);
		}
		if (r < 0)
			goto fail;
		break;
	case S_IFLNK: {
		char target[PATH_MAX];
		ssize_t l = readlinkat(fs->layers[layer].fd, rel, target, sizeof(target) - 1);
		if (l < 0)
			return -errno;
		target[l] = '\0';
		if (symlinkat(target, fs->workfd, tmp) < 0)
			return -errno;
		break;
	}
	default:
		if (mknodat(fs->workfd, tmp, st->st_mode, st->st_rdev) < 0)
			return -errno;
		break;
	}
	struct dest dst_path = {tmp_abs, -1};
	r = copy_xattrs(fs, src_abs, &dst_path);
	if (r == 0)
		r = copy_owner(fs, src_abs, &dst_path, st);
	/* The mode last: setting a user xattr needs write permission, which
	 * a read-only lower mode would take from the daemon. */
	if (r == 0 && !S_ISLNK(st->st_mode)) {
		if (!fs->opts.noxattrs)
			r = write_origin(&dst_path, ino, linked ? (long)st->st_nlink - 1 : -1);
		if (r == 0 && fchmodat(fs->workfd, tmp, st->st_mode & 07777, 0) < 0)
			r = -errno;
	}
	if (r == 0) {
		struct timespec ts[2] = {st->st_atim, st->st_mtim};
		if (utimensat(fs->workfd, tmp, ts, AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
	}
	if (r == 0 && linked) {
		char name[32];
		snprintf(name, sizeof(name), "%" PRIu64, (uint64_t)ino);
		ovl_link_index_note(fs, ino);
		if (linkat(fs->workfd, tmp, fs->indexfd, name, 0) < 0 && errno != EEXIST)
			r = -errno;
	}
	if (r == 0 && dst >= 0 && batch != NULL && !linked && data) {
		r = batch_add(batch, tmp, rel, NULL);
		if (r < 0)
			goto fail;
		close(dst);
		return 0;
	}
	/* The data must be on disk before the name shows it, or a crash
	 * could leave an empty copy hiding the lower file. A copy without
	 * data needs nothing: its metadata reaches the journal before the
	 * rename does. */
	bool has_data = data && st->st_size > 0;
	if (r == 0 && dst >= 0 && has_data && fs->opts.fsync)
		r = ovl_make_copy_safe(fs, dst);
	if (r == 0 && renameat(fs->workfd, tmp, fs->layers[0].fd, rel) < 0)
		r = -errno;
	if (r == 0) {
		if (dst >= 0)
			close(dst);
		*meta = meta_only ? OVL_META_YES : OVL_META_NONE;
		return 0;
	}
fail:
	if (dst >= 0)
		close(dst);
	unlinkat(fs->workfd, tmp, S_ISDIR(st->st_mode) ? AT_REMOVEDIR : 0);
	return r;
}

static int insert_upper_in_span(struct ovl_node *n)
{
	if (n->nspan > 0 && n->span[0] == 0)
		return 0;
	int *s = malloc(sizeof(int) * (size_t)(n->nspan + 1));
	if (s == NULL)
		return -ENOMEM;
	s[0] = 0;
	for (int i = 0; i < n->nspan; i++)
		s[i + 1] = n->span[i];
	free(n->span);
	n->span = s;
	n->nspan++;
	return 0;
}

int ovl_copy_up_dir_chain(struct ovl_fs *fs, struct ovl_node *dir)
{
	int r = ovl_node_locate(fs, dir);
	if (r < 0)
		return r;
	if (dir->nspan > 0 && dir->span[0] == 0)
		return 0;
	return ovl_copy_up(fs, dir, OVL_COPY_META);
}

int ovl_copy_up(struct ovl_fs *fs, struct ovl_node *n, enum ovl_copy what)
{
	if (!fs->has_upper)
		return -EROFS;
	int r = ovl_node_locate(fs, n);
	bool kept_upper = r == -ENOENT && n->parent == NULL && n->keep_fd >= 0 && n->keep_upper;
	if (r < 0 && !kept_upper)
		return r;
	/* In upper already: a metadata-only copy gets its data when the
	 * caller needs it. */
	if (kept_upper || (n->layer == 0 && n->type != S_IFDIR))
		return what == OVL_COPY_META ? 0
					     : ovl_metacopy_complete(fs, n, what == OVL_COPY_EMPTY);
	if (n->layer == 0 && n->nspan > 0 && n->span[0] == 0)
		return 0;
	if (n->parent == NULL)
		return -ENOENT;
	r = ovl_copy_up_dir_chain(fs, n->parent);
	if (r < 0)
		return r;
	char rel[PATH_MAX];
	r = ovl_node_path(n, rel, sizeof(rel));
	if (r < 0)
		return r;
	struct stat st;
	if (fstatat(fs->layers[n->layer].fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	unsigned char meta;
	r = copy_up_path(fs, n->layer, rel, &st, what, NULL, &meta);
	if (r < 0)
		return r;
	__atomic_store_n(&n->data_blocks, st.st_blocks, __ATOMIC_RELAXED);
	__atomic_store_n(&n->meta, meta, __ATOMIC_RELEASE);
	n->layer = 0;
	if (S_ISDIR(st.st_mode)) {
		r = insert_upper_in_span(n);
		if (r < 0)
			return r;
	}
	__atomic_add_fetch(&n->copyup_gen, 1, __ATOMIC_RELEASE);
	ovl_dir_cache_drop(n->parent);
	/* Another name's copy linked in may be a metadata-only one. */
	if (what != OVL_COPY_META && meta == OVL_META_UNKNOWN)
		return ovl_metacopy_complete(fs, n, what == OVL_COPY_EMPTY);
	return 0;
}

static int copy_up_tree_rec(struct ovl_fs *fs, struct ovl_node *dir, int depth,
			    struct copy_batch *batch)
{
	if (depth > 256)
		return -ELOOP;
	int r = ovl_node_locate(fs, dir);
	if (r < 0)
		return r;
	/* Copying the entries changes the new directory's times: keep the
	 * lower ones to put back at the end. */
	bool fresh = dir->nspan > 0 && dir->span[0] != 0;
	struct stat dst;
	char drel[PATH_MAX];
	if (fresh && (ovl_node_path(dir, drel, sizeof(drel)) < 0 ||
		      fstatat(fs->layers[dir->span[0]].fd, drel, &dst, AT_SYMLINK_NOFOLLOW) < 0))
		fresh = false;
	r = ovl_copy_up_dir_chain(fs, dir);
	if (r < 0)
		return r;
	int err = 0;
	struct dir_cache *c = ovl_dir_cache_get(fs, dir, &err);
	if (c == NULL)
		return -err;
	char rel[PATH_MAX];
	for (size_t i = 0; i < c->n && r == 0; i++) {
		const struct dir_entry *e = &c->entries[i];
		if (e->layer < 0)
			continue;
		r = ovl_child_path(dir, e->name, rel, sizeof(rel));
		if (r < 0)
			break;
		struct stat st;
		if (fstatat(fs->layers[e->layer].fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			long pending;
			ino_t ino = ovl_entry_ino(fs, e->layer, rel, &st, &pending);
			struct ovl_node *child =
			    ovl_node_get(fs, ino, dir, e->name, S_IFDIR, false);
			if (child == NULL) {
				r = -ENOMEM;
				break;
			}
			ovl_node_ref(fs, child);
			child->loc_valid = false;
			r = copy_up_tree_rec(fs, child, depth + 1, batch);
			ovl_node_unref(fs, child);
		} else if (e->layer != 0) {
			unsigned char meta;
			r = copy_up_path(fs, e->layer, rel, &st, OVL_COPY_META, batch, &meta);
		}
	}
	ovl_dir_cache_put(c);
	if (r == 0 && fresh) {
		struct timespec ts[2] = {dst.st_atim, dst.st_mtim};
		r = batch_add(batch, NULL, drel, ts);
	}
	return r;
}

int ovl_copy_up_tree(struct ovl_fs *fs, struct ovl_node *dir)
{
	ovl_loop_detach(); /* a whole tree takes a while */
	struct copy_batch batch = {0};
	int r = copy_up_tree_rec(fs, dir, 0, &batch);
	int c = batch_commit(fs, &batch, r == 0);
	if (r == 0)
		r = c;
	ovl_node_invalidate_tree(fs, dir);
	return r;
}

int ovl_settle_links(struct ovl_fs *fs, struct ovl_node *n)
{
	if (n->type != S_IFREG || n->parent == NULL || fs->indexfd < 0)
		return 0;
	int r = ovl_node_locate(fs, n);
	if (r < 0 || n->layer == 0)
		return r == -ENOENT ? 0 : r;
	char idx[32], rel[PATH_MAX];
	struct stat st;
	snprintf(idx, sizeof(idx), "%" PRIu64, (uint64_t)n->ino);
	if (!ovl_link_index_may_have(fs, n->ino) || fstatat(fs->indexfd, idx, &st, 0) < 0)
		return 0; /* never copied up */
	r = ovl_copy_up_dir_chain(fs, n->parent);
	if (r == 0)
		r = ovl_node_path(n, rel, sizeof(rel));
	if (r == 0)
		r = ovl_index_link(fs, n->ino, rel);
	if (r < 0)
		return r;
	n->loc_valid = false;
	ovl_dir_cache_drop(n->parent);
	return 0;
}
