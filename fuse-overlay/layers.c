/* The layer stack: paths inside layers, lookup of a name across the layers
 * of a directory, whiteouts and opaque directories in every form the
 * container tools write. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ovl.h"

static int path_rec(const struct ovl_node *n, char *buf, size_t size, size_t *len)
{
	if (n->parent == NULL) {
		*len = 0;
		return 0;
	}
	if (n->parent->parent != NULL) {
		int r = path_rec(n->parent, buf, size, len);
		if (r < 0)
			return r;
		if (*len + 1 >= size)
			return -ENAMETOOLONG;
		buf[(*len)++] = '/';
	}
	size_t l = strlen(n->name);
	if (*len + l >= size)
		return -ENAMETOOLONG;
	memcpy(buf + *len, n->name, l);
	*len += l;
	return 0;
}

static bool attached(const struct ovl_node *n)
{
	for (; n != NULL; n = n->parent)
		if (n->nodeid == FUSE_ROOT_ID)
			return true;
	return false;
}

int ovl_node_path(const struct ovl_node *n, char *buf, size_t size)
{
	if (n->nodeid == FUSE_ROOT_ID) {
		snprintf(buf, size, ".");
		return 0;
	}
	if (!attached(n))
		return -ENOENT;
	size_t len = 0;
	int r = path_rec(n, buf, size, &len);
	if (r < 0)
		return r;
	buf[len] = '\0';
	return 0;
}

int ovl_child_path(const struct ovl_node *parent, const char *name, char *buf, size_t size)
{
	if (parent->nodeid == FUSE_ROOT_ID) {
		if ((size_t)snprintf(buf, size, "%s", name) >= size)
			return -ENAMETOOLONG;
		return 0;
	}
	int r = ovl_node_path(parent, buf, size);
	if (r < 0)
		return r;
	size_t l = strlen(buf);
	if ((size_t)snprintf(buf + l, size - l, "/%s", name) >= size - l)
		return -ENAMETOOLONG;
	return 0;
}

int ovl_abs_path(const struct ovl_fs *fs, int layer, const char *rel, char *buf, size_t size)
{
	int n = strcmp(rel, ".") == 0 ? snprintf(buf, size, "%s", fs->layers[layer].path)
				      : snprintf(buf, size, "%s/%s", fs->layers[layer].path, rel);
	return (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int ovl_open_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno != ENOSYS)
		return -errno;
	/* Before Linux 5.6: one component at a time. */
	char buf[PATH_MAX];
	if (rel[0] == '/' || (size_t)snprintf(buf, sizeof(buf), "%s", rel) >= sizeof(buf))
		return -EXDEV;
	int cur = dirfd;
	char *save = NULL;
	char *comp = strtok_r(buf, "/", &save);
	while (comp != NULL) {
		char *next = strtok_r(NULL, "/", &save);
		int r = -EXDEV;
		int f = -1;
		if (strcmp(comp, "..") != 0 && strcmp(comp, ".") != 0) {
			f = openat(cur, comp,
				   next != NULL ? O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
						: flags | O_NOFOLLOW | O_CLOEXEC);
			r = f < 0 ? -errno : 0;
		}
		if (cur != dirfd)
			close(cur);
		if (r < 0)
			return r;
		cur = f;
		comp = next;
	}
	return cur == dirfd ? -ENOENT : cur;
}

bool ovl_stat_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* Name of the ".wh." form of rel's whiteout: "dir/.wh.name". */
static int whiteout_path(const char *rel, char *buf, size_t size)
{
	const char *slash = strrchr(rel, '/');
	int n = slash == NULL ? snprintf(buf, size, OVL_WH_PREFIX "%s", rel)
			      : snprintf(buf, size, "%.*s/" OVL_WH_PREFIX "%s", (int)(slash - rel),
					 rel, slash + 1);
	return (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* An upper directory chmodded without owner read (0311) through the mount
 * still tells its opacity (see ovl_owner_grant); a lower layer is never
 * changed. */
static bool xattr_says_yes(const struct ovl_fs *fs, int layer, const char *abs, const char *name)
{
	char v[4];
	ssize_t r = ovl_is_upper(fs, layer) ? ovl_upper_getxattr(abs, false, name, v, sizeof(v))
					    : lgetxattr(abs, name, v, sizeof(v));
	return r == 1 && (v[0] == 'y' || v[0] == 'Y');
}

int ovl_dir_is_opaque(const struct ovl_fs *fs, int layer, const char *rel)
{
	char p[PATH_MAX];
	if (strcmp(rel, ".") == 0)
		snprintf(p, sizeof(p), OVL_WH_OPAQUE);
	else if ((size_t)snprintf(p, sizeof(p), "%s/" OVL_WH_OPAQUE, rel) >= sizeof(p))
		return -ENAMETOOLONG;
	struct stat st;
	if (fstatat(fs->layers[layer].fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (ovl_abs_path(fs, layer, rel, p, sizeof(p)) < 0)
		return -ENAMETOOLONG;
	if (xattr_says_yes(fs, layer, p, OVL_XATTR_OPAQUE_USER) ||
	    xattr_says_yes(fs, layer, p, OVL_XATTR_OPAQUE_TRUSTED))
		return 1;
	return 0;
}

int ovl_probe(const struct ovl_fs *fs, const int *span, int nspan, const char *rel, struct stat *st,
	      int *layer_out)
{
	return ovl_probe_wh(fs, span, nspan, rel, st, layer_out, NULL);
}

int ovl_probe_wh(const struct ovl_fs *fs, const int *span, int nspan, const char *rel,
		 struct stat *st, int *layer_out, int *wh_layer)
{
	char wh[PATH_MAX];
	if (wh_layer != NULL)
		*wh_layer = -1;
	if (whiteout_path(rel, wh, sizeof(wh)) < 0)
		return -ENAMETOOLONG;
	for (int i = 0; i < nspan; i++) {
		int l = span[i];
		if (fstatat(fs->layers[l].fd, rel, st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (ovl_stat_is_whiteout(st)) {
				if (wh_layer != NULL)
					*wh_layer = l;
				return -ENOENT;
			}
			*layer_out = l;
			return 0;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return -errno;
		/* A whiteout in the last layer hides nothing: unless the
		 * caller asks where whiteouts are, the answer is the same. */
		if (wh_layer == NULL && i == nspan - 1)
			break;
		struct stat whst;
		if (fstatat(fs->layers[l].fd, wh, &whst, AT_SYMLINK_NOFOLLOW) == 0) {
			if (wh_layer != NULL)
				*wh_layer = l;
			return -ENOENT;
		}
	}
	return -ENOENT;
}

bool ovl_exists_below(const struct ovl_fs *fs, const int *span, int nspan, int above,
		      const char *rel)
{
	int i = 0;
	while (i < nspan && span[i] <= above)
		i++;
	struct stat st;
	int l;
	return ovl_probe(fs, span + i, nspan - i, rel, &st, &l) == 0;
}

/* The span of a directory found at rel: every layer of the parent's span
 * from the found layer down holding a directory there, cut after an opaque
 * one, at a whiteout or at a non-directory. */
static int compute_span(struct ovl_fs *fs, const int *pspan, int npspan, int top, const char *rel,
			int **out, int *nout)
{
	int *span = malloc(sizeof(int) * (size_t)(npspan > 0 ? npspan : 1));
	if (span == NULL)
		return -ENOMEM;
	int n = 0;
	char wh[PATH_MAX];
	if (strcmp(rel, ".") != 0 && whiteout_path(rel, wh, sizeof(wh)) < 0) {
		free(span);
		return -ENAMETOOLONG;
	}
	for (int i = 0; i < npspan; i++) {
		int l = pspan[i];
		if (l < top)
			continue;
		struct stat st;
		if (fstatat(fs->layers[l].fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (strcmp(rel, ".") != 0 &&
			    fstatat(fs->layers[l].fd, wh, &st, AT_SYMLINK_NOFOLLOW) == 0)
				break;
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			break;
		span[n++] = l;
		if (ovl_dir_is_opaque(fs, l, rel) == 1)
			break;
	}
	free(*out);
	*out = span;
	*nout = n;
	return 0;
}

/* Location of a node: recomputed under the node's lock when it was
 * invalidated (by a change made under tree_lock held for writing), so
 * concurrent readers holding tree_lock for reading compute it once. */
static int locate_locked(struct ovl_fs *fs, struct ovl_node *n)
{
	char rel[PATH_MAX];
	int r;
	if (n == fs->root) {
		int all[fs->nlayers];
		for (int i = 0; i < fs->nlayers; i++)
			all[i] = i;
		r = compute_span(fs, all, fs->nlayers, 0, ".", &n->span, &n->nspan);
		if (r < 0)
			return r;
		n->layer = 0;
		return 0;
	}
	if (n->parent == NULL)
		return -ENOENT;
	r = ovl_node_locate(fs, n->parent);
	if (r < 0)
		return r;
	r = ovl_node_path(n, rel, sizeof(rel));
	if (r < 0)
		return r;
	struct stat st;
	int layer;
	r = ovl_probe(fs, n->parent->span, n->parent->nspan, rel, &st, &layer);
	if (r < 0)
		return r;
	n->layer = layer;
	if (S_ISDIR(st.st_mode))
		return compute_span(fs, n->parent->span, n->parent->nspan, layer, rel, &n->span,
				    &n->nspan);
	return 0;
}

int ovl_node_locate(struct ovl_fs *fs, struct ovl_node *n)
{
	if (__atomic_load_n(&n->loc_valid, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&n->lock);
	int r = 0;
	if (!n->loc_valid) {
		r = locate_locked(fs, n);
		if (r == 0)
			__atomic_store_n(&n->loc_valid, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&n->lock);
	return r;
}

int ovl_node_set_location(struct ovl_fs *fs, struct ovl_node *n, int layer, const char *rel,
			  const struct stat *st)
{
	if (__atomic_load_n(&n->loc_valid, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&n->lock);
	int r = 0;
	if (!n->loc_valid) {
		n->layer = layer;
		if (S_ISDIR(st->st_mode))
			r = compute_span(fs, n->parent->span, n->parent->nspan, layer, rel,
					 &n->span, &n->nspan);
		if (r == 0)
			__atomic_store_n(&n->loc_valid, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&n->lock);
	return r;
}

/* The origin xattr: "INO" or "INO:PENDING" where PENDING counts the names
 * of a hard-linked lower file not yet linked into upper. Without it the
 * file's inode number would change at a remount. */
static int read_origin(const char *abs, ino_t *ino, long *pending)
{
	char v[64];
	ssize_t r = ovl_upper_getxattr(abs, false, OVL_XATTR_ORIGIN, v, sizeof(v) - 1);
	if (r <= 0)
		return -1;
	v[r] = '\0';
	char *end;
	unsigned long long i = strtoull(v, &end, 10);
	if (end == v)
		return -1;
	*ino = (ino_t)i;
	*pending = *end == ':' ? strtol(end + 1, NULL, 10) : -1;
	return 0;
}

ino_t ovl_entry_ino(const struct ovl_fs *fs, int layer, const char *rel, const struct stat *st,
		    long *pending_links)
{
	*pending_links = -1;
	if (ovl_is_upper(fs, layer) && !S_ISLNK(st->st_mode)) {
		char abs[PATH_MAX];
		ino_t ino;
		if (ovl_abs_path(fs, layer, rel, abs, sizeof(abs)) == 0 &&
		    read_origin(abs, &ino, pending_links) == 0)
			return ino;
	}
	return ovl_make_ino(fs, layer, st->st_ino);
}

int ovl_tmpname(struct ovl_fs *fs, char *buf, size_t size)
{
	unsigned long c = atomic_fetch_add(&fs->tmp_counter, 1);
	return (size_t)snprintf(buf, size, "#hutch-%d-%lu", (int)getpid(), c) >= size
		   ? -ENAMETOOLONG
		   : 0;
}

/* Whiteouts are hard links to one 0/0 device in the work dir, as the
 * kernel overlay makes them: a link costs much less than a new inode,
 * which is most of the work of an rm -rf of a lower tree. A new shared
 * device is made when there is none yet (one per mount: the work dir's
 * "#hutch-" entries are cleared at mount) or it has all the links the
 * filesystem allows. */
static int link_shared_whiteout(struct ovl_fs *fs, const char *rel)
{
	static const char shared[] = "#hutch-whiteout";
	for (int attempt = 0; attempt < 2; attempt++) {
		if (linkat(fs->workfd, shared, fs->layers[0].fd, rel, 0) == 0)
			return 0;
		struct stat st;
		if (errno != EMLINK &&
		    (errno != ENOENT || fstatat(fs->workfd, shared, &st, AT_SYMLINK_NOFOLLOW) == 0))
			return -errno;
		char tmp[64];
		int r = ovl_tmpname(fs, tmp, sizeof(tmp));
		if (r < 0)
			return r;
		if (mknodat(fs->workfd, tmp, S_IFCHR | 0, makedev(0, 0)) < 0)
			return -errno;
		if (renameat(fs->workfd, tmp, fs->workfd, shared) < 0) {
			r = -errno;
			unlinkat(fs->workfd, tmp, 0);
			return r;
		}
	}
	return -EMLINK;
}

int ovl_make_whiteout(struct ovl_fs *fs, const char *rel)
{
	int up = fs->layers[0].fd;
	if (fs->mknod_whiteout) {
		if (link_shared_whiteout(fs, rel) == 0 ||
		    mknodat(up, rel, S_IFCHR | 0, makedev(0, 0)) == 0)
			return 0;
		if (errno != EPERM && errno != EOPNOTSUPP && errno != EINVAL)
			return -errno;
	}
	char wh[PATH_MAX];
	if (whiteout_path(rel, wh, sizeof(wh)) < 0)
		return -ENAMETOOLONG;
	int fd = openat(up, wh, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int ovl_make_escaped_whiteout(struct ovl_fs *fs, const char *rel, mode_t mode)
{
	if (fs->opts.noxattrs)
		return -EPERM; /* no way to tell it from our own whiteouts */
	/* Reading and setting a user xattr needs read and write permission on
	 * the inode (whatever the fd): the owner (the daemon) keeps both, so
	 * such a device shows at least mode 0600. */
	int fd = openat(fs->layers[0].fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			0600);
	if (fd < 0)
		return -errno;
	int r = fsetxattr(fd, OVL_XATTR_ESCAPED_WH, "y", 1, 0) < 0 ? -errno : 0;
	if (r == 0 && fchmod(fd, (mode & 07777) | S_IRUSR | S_IWUSR) < 0)
		r = -errno;
	close(fd);
	char dir[PATH_MAX];
	const char *slash = strrchr(rel, '/');
	if (r == 0) {
		if (slash == NULL)
			snprintf(dir, sizeof(dir), ".");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
		char abs[PATH_MAX];
		r = ovl_abs_path(fs, 0, dir, abs, sizeof(abs));
		if (r == 0 && lsetxattr(abs, OVL_XATTR_ESCAPED_WH_DIR, "y", 1, 0) < 0)
			r = -errno;
	}
	if (r < 0)
		unlinkat(fs->layers[0].fd, rel, 0);
	return r;
}

bool ovl_is_escaped_whiteout(const struct ovl_fs *fs, int layer, const char *rel)
{
	char abs[PATH_MAX];
	char v[4];
	return !fs->opts.noxattrs && ovl_abs_path(fs, layer, rel, abs, sizeof(abs)) == 0 &&
	       lgetxattr(abs, OVL_XATTR_ESCAPED_WH, v, sizeof(v)) > 0;
}

int ovl_remove_whiteout(struct ovl_fs *fs, const char *rel)
{
	int up = fs->layers[0].fd;
	struct stat st;
	if (fstatat(up, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && ovl_stat_is_whiteout(&st)) {
		if (unlinkat(up, rel, 0) < 0)
			return -errno;
	}
	char wh[PATH_MAX];
	if (whiteout_path(rel, wh, sizeof(wh)) < 0)
		return -ENAMETOOLONG;
	if (unlinkat(up, wh, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int ovl_set_opaque(struct ovl_fs *fs, const char *rel)
{
	char abs[PATH_MAX];
	if (ovl_abs_path(fs, 0, rel, abs, sizeof(abs)) < 0)
		return -ENAMETOOLONG;
	if (lsetxattr(abs, OVL_XATTR_OPAQUE_USER, "y", 1, 0) == 0)
		return 0;
	char p[PATH_MAX];
	if ((size_t)snprintf(p, sizeof(p), "%s/" OVL_WH_OPAQUE, rel) >= sizeof(p))
		return -ENAMETOOLONG;
	int fd = openat(fs->layers[0].fd, p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}
