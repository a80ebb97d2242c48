#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "gunzip.h"
#include "whiteout.h"
#include "writeback.h"

#define COPY_BUF (1024 * 1024)
/* How much of a download in progress is read between two starts of its
 * writeback, so that its fsync at the end finds little left to write. */
#define BLOB_WRITEBACK_EVERY (8 << 20)

/* Directory times are set after the whole layer is written, because
 * creating a child changes its parent's mtime. */
struct deferred_dir {
	char *path;
	struct timespec times[2];
};

/* The compressed blob: a complete file, or one still being downloaded
 * (follow_fd >= 0), which is read as it grows. */
struct blob_source {
	int fd;
	int follow_fd; /* hutchd's word: 'm' more data, 'v' complete; EOF: abandoned */
	bool complete;
	char *buf;
	struct writeback *wb;
	size_t unflushed; /* bytes read since its writeback was last started */
	/* The first chunk, read ahead to see the compression (then handed
	 * out before anything else). */
	const void *peeked;
	size_t peeked_len;
};

struct unpacker {
	int root_fd;
	struct blob_source src;
	struct archive *raw; /* decompresses the blob, unless gz does */
	struct gunzip *gz;   /* gzip blobs, when libisal is there (gunzip.h) */
	struct archive *tar; /* parses the decompressed stream */
	digest_ctx *diff;    /* hashes the decompressed stream: the diff_id */
	char *buf;
	/* The parent directory of the previous entry, kept open because tar
	 * entries come grouped by directory. */
	char cached_dir[PATH_MAX];
	int cached_fd;
	struct deferred_dir *dirs;
	size_t n_dirs, cap_dirs;
	struct unpack_result *res;
	bool chown_works; /* false once lchown said the sandbox maps nothing */
};

/* Wait for hutchd's next word about a blob being downloaded. */
static int follow_wait(struct blob_source *src)
{
	char words[256];
	for (;;) {
		ssize_t r = read(src->follow_fd, words, sizeof(words));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (memchr(words, 'v', (size_t)r) != NULL)
			src->complete = true;
		return 0;
	}
}

/* The next chunk of the compressed blob: its length, 0 at the end of the
 * blob, -1 with *why set on failure. */
static ssize_t blob_next(struct blob_source *src, const void **out, const char **why)
{
	if (src->peeked_len > 0) {
		size_t n = src->peeked_len;
		*out = src->peeked;
		src->peeked_len = 0;
		return (ssize_t)n;
	}
	for (;;) {
		ssize_t n = read(src->fd, src->buf, COPY_BUF);
		if (n > 0) {
			src->unflushed += (size_t)n;
			if (src->follow_fd >= 0 && src->unflushed >= BLOB_WRITEBACK_EVERY) {
				int dup = fcntl(src->fd, F_DUPFD_CLOEXEC, 0);
				if (dup >= 0)
					writeback_file(src->wb, dup);
				src->unflushed = 0;
			}
			*out = src->buf;
			return n;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = strerror(errno);
			return -1;
		}
		/* Only the end once the download is complete and verified;
		 * until then, the end of what has arrived so far. */
		if (src->follow_fd < 0 || src->complete)
			return 0;
		if (follow_wait(src) < 0) {
			*why = "the layer's download was abandoned";
			return -1;
		}
	}
}

static la_ssize_t read_blob(struct archive *a, void *data, const void **out)
{
	const char *why = NULL;
	ssize_t n = blob_next(data, out, &why);
	if (n < 0)
		archive_set_error(a, EIO, "read layer: %s", why);
	return n;
}

/* The next piece of the decompressed stream into u->buf, hashed for the
 * diff_id: its length, 0 at its end, -1 with *why set on failure. */
static ssize_t decompress_next(struct unpacker *u, const char **why)
{
	ssize_t n;
	if (u->gz == NULL) {
		n = archive_read_data(u->raw, u->buf, COPY_BUF);
		if (n < 0) {
			*why = archive_error_string(u->raw) ? archive_error_string(u->raw)
							    : "decompression failed";
			return -1;
		}
	} else {
		while ((n = gunzip_read(u->gz, u->buf, COPY_BUF)) == 0) {
			const void *in;
			ssize_t got = blob_next(&u->src, &in, why);
			if (got < 0)
				return -1;
			if (got == 0) {
				if (gunzip_finish(u->gz) < 0) {
					*why = gunzip_error(u->gz);
					return -1;
				}
				return 0;
			}
			gunzip_input(u->gz, in, (size_t)got);
		}
		if (n < 0) {
			*why = gunzip_error(u->gz);
			return -1;
		}
	}
	digest_update(u->diff, u->buf, (size_t)n);
	return n;
}

static la_ssize_t read_decompressed(struct archive *a, void *data, const void **out)
{
	struct unpacker *u = data;
	const char *why = NULL;
	ssize_t n = decompress_next(u, &why);
	if (n < 0) {
		archive_set_error(a, EIO, "%s", why);
		return -1;
	}
	*out = u->buf;
	return n;
}

int tree_remove_at(int at, const char *name, hutch_error *err)
{
	struct stat st;
	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return hutch_fail(err, errno, "stat %s", name);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(at, name, 0) < 0 && errno != ENOENT)
			return hutch_fail(err, errno, "remove %s", name);
		return 0;
	}
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hutch_fail(err, errno, "open %s", name);
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return hutch_fail(err, errno, "open %s", name);
	}
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (tree_remove_at(dirfd(d), e->d_name, err) < 0) {
			rc = hutch_error_prefix(err, "%s", name);
			break;
		}
	}
	closedir(d);
	if (rc == 0 && unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = hutch_fail(err, errno, "remove %s", name);
	return rc;
}

/* Open the directory that holds rel (a cleaned path), creating missing
 * directories when create is set. Each component is opened with
 * O_NOFOLLOW below the previous one, so a symlink anywhere on the way
 * stops the walk: the layer cannot write through a link, whatever it
 * points to. *base gets a pointer to the last component of rel. The fd
 * belongs to the cache; do not close it. */
static int open_parent(struct unpacker *u, const char *rel, bool create, const char **base,
		       hutch_error *err)
{
	const char *slash = strrchr(rel, '/');
	*base = slash ? slash + 1 : rel;
	size_t dlen = slash ? (size_t)(slash - rel) : 0;
	if (u->cached_fd >= 0 && strlen(u->cached_dir) == dlen &&
	    strncmp(u->cached_dir, rel, dlen) == 0)
		return u->cached_fd;
	if (u->cached_fd >= 0 && u->cached_fd != u->root_fd)
		close(u->cached_fd);
	u->cached_fd = -1;
	int cur = u->root_fd;
	const char *p = rel;
	while (p < rel + dlen) {
		const char *e = memchr(p, '/', (size_t)(rel + dlen - p));
		size_t len = e ? (size_t)(e - p) : (size_t)(rel + dlen - p);
		char comp[NAME_MAX + 1];
		if (len > NAME_MAX) {
			if (cur != u->root_fd)
				close(cur);
			return hutch_fail_plain(err, ENAMETOOLONG, "layer entry %s: name too long",
						rel);
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		int next = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST) {
				int e2 = errno;
				if (cur != u->root_fd)
					close(cur);
				return hutch_fail(err, e2, "layer entry %s: mkdir %.*s", rel,
						  (int)(p + len - rel), rel);
			}
			next = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		int e2 = errno;
		if (cur != u->root_fd)
			close(cur);
		if (next < 0) {
			if (e2 == ENOTDIR || e2 == ELOOP)
				return hutch_fail_plain(err, EPERM,
							"layer entry %s: parent %.*s is not a "
							"directory (a symlink?): refused",
							rel, (int)(p + len - rel), rel);
			return hutch_fail(err, e2, "layer entry %s: open %.*s", rel,
					  (int)(p + len - rel), rel);
		}
		cur = next;
		p += len + 1;
	}
	snprintf(u->cached_dir, sizeof(u->cached_dir), "%.*s", (int)dlen, rel);
	u->cached_fd = cur;
	return cur;
}

static void forget_cache(struct unpacker *u)
{
	if (u->cached_fd >= 0 && u->cached_fd != u->root_fd)
		close(u->cached_fd);
	u->cached_fd = -1;
	u->cached_dir[0] = '\0';
}

/* Make room for a new entry: an existing directory stays when the new
 * entry is a directory too (tar semantics); anything else goes. */
static int clear_slot(struct unpacker *u, int parent, const char *name, bool new_is_dir,
		      bool *exists_as_dir, hutch_error *err)
{
	struct stat st;
	*exists_as_dir = false;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return hutch_fail(err, errno, "stat %s", name);
	}
	if (S_ISDIR(st.st_mode) && new_is_dir) {
		*exists_as_dir = true;
		return 0;
	}
	/* The cached parent could lie inside what we remove. */
	if (S_ISDIR(st.st_mode))
		forget_cache(u);
	return tree_remove_at(parent, name, err);
}

/* xattrs that would let a layer forge what hutch itself records (owner
 * overrides, overlay opaque/whiteout markers) are never copied. */
static bool xattr_allowed(const char *name)
{
	if (strncmp(name, "user.containers.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0 ||
	    strncmp(name, "trusted.", 8) == 0 || strncmp(name, "user.fuseoverlayfs.", 19) == 0)
		return false;
	return strncmp(name, "user.", 5) == 0 || strncmp(name, "security.", 9) == 0;
}

static void apply_xattrs(struct archive_entry *ae, const char *procpath, const char *rel)
{
	if (archive_entry_xattr_reset(ae) <= 0)
		return;
	const char *name;
	const void *value;
	size_t size;
	while (archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
		if (!xattr_allowed(name)) {
			log_warning("layer entry %s: xattr %s not kept", rel, name);
			continue;
		}
		if (setxattr(procpath, name, value, size, 0) < 0)
			log_warning("layer entry %s: set xattr %s: %s", rel, name, strerror(errno));
	}
}

/* Owner and mode, for real when the sandbox maps the ids, else recorded
 * in the override xattr. Set-id bits stay only on files whose owner is
 * real: a set-id file owned by the user's own uid would hand the user's
 * identity to whoever could run it. */
static int apply_owner_mode(struct unpacker *u, int parent, const char *name, const char *rel,
			    struct archive_entry *ae, mode_t type, hutch_error *err)
{
	uid_t uid = (uid_t)archive_entry_uid(ae);
	gid_t gid = (gid_t)archive_entry_gid(ae);
	mode_t mode = archive_entry_perm(ae) & 07777;
	bool real = false;
	if (u->chown_works) {
		if (fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) == 0)
			real = true;
		else if (errno != EINVAL && errno != EPERM)
			return hutch_fail(err, errno, "layer entry %s: chown", rel);
	}
	if (type == S_IFLNK) {
		/* Symlinks have no mode and cannot carry user xattrs. */
		return 0;
	}
	mode_t real_mode = real ? mode : (mode & 0777);
	if (fchmodat(parent, name, real_mode, 0) < 0)
		return hutch_fail(err, errno, "layer entry %s: chmod", rel);
	if (!real) {
		char procpath[64], val[64];
		_cleanup_close_ int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return hutch_fail(err, errno, "layer entry %s: open", rel);
		snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", fd);
		snprintf(val, sizeof(val), "%u:%u:0%o", (unsigned)uid, (unsigned)gid,
			 (unsigned)mode);
		if (setxattr(procpath, XATTR_OVERRIDE_STAT, val, strlen(val), 0) < 0)
			return hutch_fail(err, errno, "layer entry %s: set %s", rel,
					  XATTR_OVERRIDE_STAT);
		u->res->overridden++;
	}
	return 0;
}

static int write_file_data(struct unpacker *u, int fd, const char *rel, int64_t size,
			   hutch_error *err)
{
	const void *block;
	size_t len;
	la_int64_t offset;
	int64_t end = 0; /* where the last block ended */
	for (;;) {
		int r = archive_read_data_block(u->tar, &block, &len, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return hutch_fail_plain(err, EIO, "layer entry %s: %s", rel,
						archive_error_string(u->tar));
		const char *b = block;
		while (len > 0) {
			ssize_t w = pwrite(fd, b, len, offset);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return hutch_fail(err, errno, "layer entry %s: write", rel);
			}
			b += w;
			len -= (size_t)w;
			offset += w;
		}
		end = offset;
	}
	/* Sparse files end in a hole that no block covers. */
	if (end != size && ftruncate(fd, size) < 0)
		return hutch_fail(err, errno, "layer entry %s: truncate", rel);
	u->res->size += (uint64_t)size;
	return 0;
}

static int make_whiteout(struct unpacker *u, const char *target, hutch_error *err)
{
	const char *name;
	int parent = open_parent(u, target, true, &name, err);
	if (parent < 0)
		return -1;
	bool isdir;
	if (clear_slot(u, parent, name, false, &isdir, err) < 0)
		return -1;
	if (mknodat(parent, name, S_IFCHR | 0, makedev(0, 0)) == 0)
		return 0;
	/* Without mknod the whiteout keeps the layer's own spelling. */
	char wh[NAME_MAX + 8];
	snprintf(wh, sizeof(wh), WHITEOUT_PREFIX "%s", name);
	int fd = openat(parent, wh, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return hutch_fail(err, errno, "whiteout %s", target);
	close(fd);
	return 0;
}

static int make_opaque(struct unpacker *u, const char *dir, hutch_error *err)
{
	int fd;
	if (dir[0] == '\0') {
		fd = dup(u->root_fd);
	} else {
		const char *name;
		int parent = open_parent(u, dir, true, &name, err);
		if (parent < 0)
			return -1;
		if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
			return hutch_fail(err, errno, "opaque directory %s", dir);
		fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return hutch_fail_plain(err, EPERM, "opaque marker in %s: not a directory", dir);
	char procpath[64];
	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", fd);
	int r = setxattr(procpath, XATTR_OVERLAY_OPAQUE, "y", 1, 0);
	int e = errno;
	close(fd);
	if (r < 0)
		return hutch_fail(err, e, "opaque directory %s: set %s", dir, XATTR_OVERLAY_OPAQUE);
	return 0;
}

static int make_hardlink(struct unpacker *u, const char *rel, const char *parent_name_rel,
			 const char *link_target, hutch_error *err)
{
	char target[PATH_MAX];
	if (layer_path_clean(link_target, target, sizeof(target), err) < 0)
		return hutch_error_prefix(err, "hard link %s", rel);
	const char *tname;
	int tparent = open_parent(u, target, false, &tname, err);
	if (tparent < 0)
		return hutch_error_prefix(err, "hard link %s", rel);
	int tfd = openat(tparent, tname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0)
		return hutch_fail_plain(err, EPERM,
					"hard link %s: target %s is not in this layer: refused",
					rel, target);
	_cleanup_close_ int tfd_owned = tfd;
	struct stat st;
	if (fstat(tfd, &st) < 0 || S_ISDIR(st.st_mode))
		return hutch_fail_plain(
		    err, EPERM, "hard link %s: target %s is a directory: refused", rel, target);
	const char *name;
	int parent = open_parent(u, parent_name_rel, true, &name, err);
	if (parent < 0)
		return -1;
	bool isdir;
	if (clear_slot(u, parent, name, false, &isdir, err) < 0)
		return -1;
	parent = open_parent(u, parent_name_rel, true, &name, err);
	if (parent < 0)
		return -1;
	char procpath[64];
	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", tfd);
	/* Linking the opened inode (not a path) means a rename racing with
	 * us cannot redirect the link. */
	if (linkat(AT_FDCWD, procpath, parent, name, AT_SYMLINK_FOLLOW) < 0)
		return hutch_fail(err, errno, "hard link %s to %s", rel, target);
	return 0;
}

static int defer_dir(struct unpacker *u, const char *rel, struct archive_entry *ae)
{
	if (u->n_dirs == u->cap_dirs) {
		u->cap_dirs = u->cap_dirs ? u->cap_dirs * 2 : 256;
		struct deferred_dir *n = realloc(u->dirs, u->cap_dirs * sizeof(*n));
		if (n == NULL)
			return -1;
		u->dirs = n;
	}
	struct deferred_dir *d = &u->dirs[u->n_dirs++];
	d->path = strdup(rel);
	d->times[0].tv_sec =
	    archive_entry_atime_is_set(ae) ? archive_entry_atime(ae) : archive_entry_mtime(ae);
	d->times[0].tv_nsec = 0;
	d->times[1].tv_sec = archive_entry_mtime(ae);
	d->times[1].tv_nsec = archive_entry_mtime_nsec(ae);
	return d->path ? 0 : -1;
}

static int unpack_entry(struct unpacker *u, struct archive_entry *ae, hutch_error *err)
{
	char rel[PATH_MAX];
	const char *raw = archive_entry_pathname(ae);
	if (layer_path_clean(raw, rel, sizeof(rel), err) < 0)
		return -1;
	enum layer_entry_kind kind;
	char target[PATH_MAX];
	if (layer_entry_classify(rel, &kind, target, sizeof(target), err) < 0)
		return -1;
	if (kind == LAYER_ENTRY_WHITEOUT)
		return make_whiteout(u, target, err);
	if (kind == LAYER_ENTRY_OPAQUE)
		return make_opaque(u, target, err);
	if (kind == LAYER_ENTRY_IGNORED) {
		log_debug("layer entry %s: reserved whiteout name skipped", rel);
		return 0;
	}
	const char *hardlink = archive_entry_hardlink(ae);
	if (hardlink != NULL)
		return make_hardlink(u, rel, rel, hardlink, err);

	mode_t type = archive_entry_filetype(ae);
	if (rel[0] == '\0') {
		/* "./": the layer's root directory itself. */
		if (type != AE_IFDIR)
			return hutch_fail_plain(err, EPERM, "layer root entry is not a directory");
		return defer_dir(u, "", ae) < 0 ? hutch_fail(err, ENOMEM, "unpack") : 0;
	}
	if (type == AE_IFCHR || type == AE_IFBLK) {
		/* mknod of a real device needs CAP_MKNOD in the initial user
		 * namespace, which the sandbox never has. */
		log_warning("layer entry %s: device node %u:%u skipped (not possible in a user "
			    "namespace)",
			    rel, (unsigned)archive_entry_rdevmajor(ae),
			    (unsigned)archive_entry_rdevminor(ae));
		u->res->skipped_devices++;
		return 0;
	}
	if (type == AE_IFSOCK) {
		log_warning("layer entry %s: socket skipped", rel);
		return 0;
	}
	const char *name;
	int parent = open_parent(u, rel, true, &name, err);
	if (parent < 0)
		return -1;
	bool isdir;
	if (clear_slot(u, parent, name, type == AE_IFDIR, &isdir, err) < 0)
		return -1;
	parent = open_parent(u, rel, true, &name, err);
	if (parent < 0)
		return -1;

	switch (type) {
	case AE_IFDIR:
		if (!isdir && mkdirat(parent, name, 0700) < 0)
			return hutch_fail(err, errno, "layer entry %s: mkdir", rel);
		break;
	case AE_IFREG: {
		_cleanup_close_ int fd = openat(
		    parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return hutch_fail(err, errno, "layer entry %s: create", rel);
		/* No writeback is started for it: a snapshot is synced after
		 * the pull (store.h), and on ext4 (data=ordered) every journal
		 * commit before then, such as the blob's fsync, would wait for
		 * the writes of all files whose writeback had begun. */
		if (write_file_data(u, fd, rel, archive_entry_size(ae), err) < 0)
			return -1;
		break;
	}
	case AE_IFLNK: {
		const char *lt = archive_entry_symlink(ae);
		if (lt == NULL || lt[0] == '\0')
			return hutch_fail_plain(err, EINVAL, "layer entry %s: empty symlink", rel);
		/* Any target is fine: links are stored, never followed here. */
		if (symlinkat(lt, parent, name) < 0)
			return hutch_fail(err, errno, "layer entry %s: symlink", rel);
		break;
	}
	case AE_IFIFO:
		if (mknodat(parent, name, S_IFIFO | 0600, 0) < 0)
			return hutch_fail(err, errno, "layer entry %s: mkfifo", rel);
		break;
	default:
		return hutch_fail_plain(err, EINVAL, "layer entry %s: unknown file type 0%o", rel,
					(unsigned)type);
	}
	if (apply_owner_mode(u, parent, name, rel, ae, type, err) < 0)
		return -1;
	/* Most entries carry no xattrs: no fd to open for them. */
	if (type != AE_IFLNK && archive_entry_xattr_reset(ae) > 0) {
		_cleanup_close_ int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			char procpath[64];
			snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", fd);
			apply_xattrs(ae, procpath, rel);
		}
	}
	if (type == AE_IFDIR)
		return defer_dir(u, rel, ae) < 0 ? hutch_fail(err, ENOMEM, "unpack") : 0;
	struct timespec ts[2] = {
	    {.tv_sec = archive_entry_mtime(ae), .tv_nsec = archive_entry_mtime_nsec(ae)},
	    {.tv_sec = archive_entry_mtime(ae), .tv_nsec = archive_entry_mtime_nsec(ae)},
	};
	utimensat(parent, name, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static void apply_dir_times(struct unpacker *u)
{
	forget_cache(u);
	for (size_t i = u->n_dirs; i-- > 0;) {
		struct deferred_dir *d = &u->dirs[i];
		if (d->path[0] == '\0') {
			futimens(u->root_fd, d->times);
			continue;
		}
		const char *name;
		hutch_error e = {0};
		int parent = open_parent(u, d->path, false, &name, &e);
		if (parent >= 0)
			utimensat(parent, name, d->times, AT_SYMLINK_NOFOLLOW);
	}
}

int layer_unpack(int blob_fd, int follow_fd, int root_fd, const char *expected_diff_id,
		 struct unpack_result *res, hutch_error *err)
{
	memset(res, 0, sizeof(*res));
	struct unpacker u = {.root_fd = root_fd,
			     .src = {.fd = blob_fd, .follow_fd = follow_fd},
			     .cached_fd = -1,
			     .res = res,
			     .chown_works = true};
	int rc = -1;
	u.buf = malloc(COPY_BUF);
	u.src.buf = malloc(COPY_BUF);
	if (follow_fd >= 0)
		u.src.wb = writeback_start();
	u.diff = digest_new();
	u.raw = archive_read_new();
	u.tar = archive_read_new();
	if (u.buf == NULL || u.src.buf == NULL || u.diff == NULL || u.raw == NULL ||
	    u.tar == NULL) {
		hutch_fail(err, ENOMEM, "unpack");
		goto out;
	}
	/* A look at the first bytes: gzip goes to libisal when we have it,
	 * everything else (zstd, plain, ...) to libarchive's filters. */
	const char *why = NULL;
	ssize_t first = blob_next(&u.src, &u.src.peeked, &why);
	if (first < 0) {
		hutch_fail_plain(err, EIO, "layer: read layer: %s", why);
		goto out;
	}
	u.src.peeked_len = (size_t)first;
	if (gunzip_magic(u.src.peeked, u.src.peeked_len))
		u.gz = gunzip_new();
	struct archive_entry *ae;
	if (u.gz == NULL) {
		archive_read_support_filter_all(u.raw);
		archive_read_support_format_raw(u.raw);
		if (archive_read_open(u.raw, &u.src, NULL, read_blob, NULL) != ARCHIVE_OK ||
		    archive_read_next_header(u.raw, &ae) != ARCHIVE_OK) {
			hutch_fail_plain(err, EINVAL, "layer: %s", archive_error_string(u.raw));
			goto out;
		}
	}
	archive_read_support_format_tar(u.tar);
	if (archive_read_open(u.tar, &u, NULL, read_decompressed, NULL) != ARCHIVE_OK) {
		hutch_fail_plain(err, EINVAL, "layer: not a tar archive: %s",
				 archive_error_string(u.tar));
		goto out;
	}
	for (;;) {
		int r = archive_read_next_header(u.tar, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			hutch_fail_plain(err, EINVAL, "layer: %s", archive_error_string(u.tar));
			goto out;
		}
		res->entries++;
		if (unpack_entry(&u, ae, err) < 0)
			goto out;
	}
	/* The diff_id covers the whole decompressed stream, including the
	 * padding after the tar's end marker. */
	for (;;) {
		ssize_t n = decompress_next(&u, &why);
		if (n < 0) {
			hutch_fail_plain(err, EIO, "layer: %s", why);
			goto out;
		}
		if (n == 0)
			break;
	}
	/* The stream ended, so the download did (read_blob); a blob that
	 * was abandoned has failed above. */
	digest_final(u.diff, res->diff_id);
	if (expected_diff_id &&
	    digest_verify(expected_diff_id, res->diff_id, "layer (uncompressed, diff_id)", err) < 0)
		goto out;
	apply_dir_times(&u);
	rc = 0;
out:
	forget_cache(&u);
	for (size_t i = 0; i < u.n_dirs; i++)
		free(u.dirs[i].path);
	free(u.dirs);
	if (u.tar)
		archive_read_free(u.tar);
	if (u.raw)
		archive_read_free(u.raw);
	digest_free(u.diff);
	gunzip_free(u.gz);
	free(u.buf);
	free(u.src.buf);
	writeback_stop(u.src.wb);
	return rc;
}
