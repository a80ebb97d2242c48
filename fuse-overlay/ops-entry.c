/* Lookup, attributes and the other per-inode operations that do not work
 * on open files or change names. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ovl.h"

struct ovl_node *ovl_req_node(fuse_req_t req, fuse_ino_t nodeid)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct ovl_node *n = ovl_node_by_id(fs, nodeid);
	if (n == NULL) {
		fuse_reply_err(req, ESTALE);
		return NULL;
	}
	return n;
}

/* The inode number and link count the merged view shows. */
static void present_counts(struct ovl_fs *fs, struct ovl_node *n, struct stat *st, ino_t ino,
			   long pending)
{
	st->st_ino = ino;
	if (pending >= 0 && st->st_nlink > 0)
		st->st_nlink = st->st_nlink - 1 + (nlink_t)pending;
	if (S_ISDIR(st->st_mode) && (fs->opts.static_nlink || (n != NULL && n->nspan > 1)))
		st->st_nlink = 1; /* a merged directory's count is unknown */
}

/* Attributes as the merged view shows them. */
static void present(struct ovl_fs *fs, struct ovl_node *n, int layer, const char *rel,
		    struct stat *st, ino_t ino, long pending)
{
	if (n != NULL && ovl_is_upper(fs, layer))
		ovl_metacopy_present(fs, n, rel, st);
	ovl_present_stat(fs, layer, rel, st);
	present_counts(fs, n, st, ino, pending);
}

void ovl_fill_entry(struct ovl_fs *fs, struct fuse_entry_param *e)
{
	e->attr_timeout = fs->opts.timeout;
	e->entry_timeout = fs->opts.timeout;
	e->generation = 0;
}

int ovl_find_child(struct ovl_fs *fs, struct ovl_node *parent, const char *name, const char *rel,
		   struct stat *st, int *layer)
{
	struct dir_cache *c = __atomic_load_n(&parent->cache, __ATOMIC_ACQUIRE);
	if (c == NULL)
		return ovl_probe(fs, parent->span, parent->nspan, rel, st, layer);
	/* The merged listing knows the answer: one stat, in the right layer,
	 * and none at all for a name that is not there. */
	const struct dir_entry *de = ovl_dir_cache_find(c, name);
	if (de == NULL)
		return -ENOENT;
	*layer = de->layer;
	if (fstatat(fs->layers[*layer].fd, rel, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* The rest of a lookup of name (at rel in layer, stat st) in parent: its
 * node, location and attributes. */
static int lookup_found(struct ovl_fs *fs, struct ovl_node *parent, const char *name,
			const char *rel, struct stat *st, int layer, struct fuse_entry_param *e)
{
	if (layer > 0 && fs->has_upper && S_ISREG(st->st_mode) && st->st_nlink > 1) {
		/* Another name of this lower file may have been copied up:
		 * link this name to the copy (needs the write lock). */
		ino_t origin = ovl_make_ino(fs, layer, st->st_ino);
		char idx[32];
		struct stat ist;
		snprintf(idx, sizeof(idx), "%llu", (unsigned long long)origin);
		if (ovl_link_index_may_have(fs, origin) && fstatat(fs->indexfd, idx, &ist, 0) == 0)
			return -EAGAIN;
	}

	long pending;
	ino_t ino = ovl_entry_ino(fs, layer, rel, st, &pending);
	struct ovl_node *n =
	    ovl_node_get(fs, ino, parent, name, (mode_t)(st->st_mode & S_IFMT), true);
	if (n == NULL)
		return -ENOMEM;
	if (n->parent == NULL && n != fs->root) {
		/* A node whose last known name went away is seen again under
		 * another name (a hard link): move it there. */
		ovl_node_forget(fs, n, 1);
		return -EAGAIN;
	}
	int r = ovl_node_set_location(fs, n, layer, rel, st);
	if (r < 0) {
		ovl_node_forget(fs, n, 1);
		return r;
	}
	ovl_node_note_name(fs, n, parent, name);
	present(fs, n, layer, rel, st, ino, pending);
	e->ino = n->nodeid;
	e->attr = *st;
	ovl_fill_entry(fs, e);
	return 0;
}

int ovl_do_lookup(struct ovl_fs *fs, struct ovl_node *parent, const char *name,
		  struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	if (ovl_is_whiteout_name(name))
		return -ENOENT;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	int r = ovl_node_locate(fs, parent);
	if (r < 0)
		return r;
	if (parent->type != S_IFDIR)
		return -ENOTDIR;
	char rel[PATH_MAX];
	r = ovl_child_path(parent, name, rel, sizeof(rel));
	if (r < 0)
		return r;

	struct stat st;
	int layer = -1;
	r = ovl_find_child(fs, parent, name, rel, &st, &layer);
	if (r < 0)
		return r;
	return lookup_found(fs, parent, name, rel, &st, layer, e);
}

int ovl_lookup_listed(struct ovl_fs *fs, struct ovl_node *parent, const char *name, const char *rel,
		      int layer, struct stat *st, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	return lookup_found(fs, parent, name, rel, st, layer, e);
}

int ovl_new_entry(struct ovl_fs *fs, struct ovl_node *parent, const char *name, const char *rel,
		  struct stat *st, bool escaped_whiteout, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	ino_t ino = ovl_make_ino(fs, 0, st->st_ino);
	struct ovl_node *n =
	    ovl_node_get(fs, ino, parent, name, (mode_t)(st->st_mode & S_IFMT), true);
	if (n == NULL)
		return -ENOMEM;
	if (n->parent != parent || strcmp(n->name, name) != 0) {
		/* A node of a recycled inode number still known to the kernel:
		 * it is this file now. */
		int r = ovl_node_move(fs, n, parent, name);
		if (r < 0) {
			ovl_node_forget(fs, n, 1);
			return r;
		}
	}
	n->loc_valid = false;
	__atomic_store_n(&n->meta, OVL_META_NONE, __ATOMIC_RELEASE); /* a new file */
	int r = ovl_node_set_location(fs, n, 0, rel, st);
	if (r < 0) {
		ovl_node_forget(fs, n, 1);
		return r;
	}
	/* A new file: nothing has set security.capability on it. */
	n->caps_absent = true;
	/* The caller knows whether it made an escaped whiteout: an empty
	 * file needs no getxattr to tell. */
	if (escaped_whiteout)
		ovl_present_as_whiteout_device(st);
	ovl_present_owner(fs, 0, rel, st);
	present_counts(fs, n, st, ino, -1);
	e->ino = n->nodeid;
	e->attr = *st;
	ovl_fill_entry(fs, e);
	return 0;
}

gid_t ovl_inherit_gid(struct ovl_fs *fs, struct ovl_node *parent, const char *prel, gid_t gid,
		      bool *setgid_dir)
{
	struct stat pst;
	*setgid_dir = false;
	if (fstatat(fs->layers[0].fd, prel, &pst, AT_SYMLINK_NOFOLLOW) < 0)
		return gid;
	if (fs->opts.xattr_permissions != 0)
		ovl_present_stat(fs, 0, prel, &pst);
	else
		pst.st_gid = ovl_id_to_view(&fs->opts.gidmap, pst.st_gid);
	if (!(pst.st_mode & S_ISGID))
		return gid;
	*setgid_dir = true;
	return pst.st_gid;
}

/* The write-locked retry of a lookup: does what ovl_do_lookup() refused to
 * do under the read lock (link a hard link to its copied-up file, move a
 * detached node to its new name). */
static int lookup_locked_write(struct ovl_fs *fs, struct ovl_node *parent, const char *name,
			       struct fuse_entry_param *e)
{
	int r = ovl_node_locate(fs, parent);
	if (r < 0)
		return r;
	char rel[PATH_MAX];
	r = ovl_child_path(parent, name, rel, sizeof(rel));
	if (r < 0)
		return r;
	struct stat st;
	int layer;
	r = ovl_probe(fs, parent->span, parent->nspan, rel, &st, &layer);
	if (r < 0)
		return r;
	if (layer > 0 && fs->has_upper && S_ISREG(st.st_mode) && st.st_nlink > 1) {
		r = ovl_copy_up_dir_chain(fs, parent);
		if (r < 0)
			return r;
		r = ovl_index_link(fs, ovl_make_ino(fs, layer, st.st_ino), rel);
		if (r < 0)
			return r;
		ovl_dir_cache_drop(parent);
	}
	long pending;
	r = ovl_probe(fs, parent->span, parent->nspan, rel, &st, &layer);
	if (r < 0)
		return r;
	ino_t ino = ovl_entry_ino(fs, layer, rel, &st, &pending);
	struct ovl_node *n = ovl_node_find_ino(fs, ino);
	if (n != NULL && n->parent == NULL && n != fs->root) {
		r = ovl_node_move(fs, n, parent, name);
		if (r < 0)
			return r;
	}
	if (n != NULL)
		n->loc_valid = false;
	return ovl_do_lookup(fs, parent, name, e);
}

void ovl_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct fuse_entry_param e;
	pthread_rwlock_rdlock(&fs->tree_lock);
	struct ovl_node *p = ovl_node_by_id(fs, parent);
	int r = p == NULL ? -ESTALE : ovl_do_lookup(fs, p, name, &e);
	pthread_rwlock_unlock(&fs->tree_lock);
	if (r == -EAGAIN) {
		pthread_rwlock_wrlock(&fs->tree_lock);
		p = ovl_node_by_id(fs, parent);
		r = p == NULL ? -ESTALE : lookup_locked_write(fs, p, name, &e);
		pthread_rwlock_unlock(&fs->tree_lock);
	}
	if (r == -ENOENT) {
		/* A negative entry the kernel may cache as long as positive
		 * ones: names only appear through this mount. */
		memset(&e, 0, sizeof(e));
		ovl_fill_entry(fs, &e);
		fuse_reply_entry(req, &e);
		return;
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

void ovl_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct ovl_node *n = ovl_node_by_id(fs, ino);
	if (n != NULL)
		ovl_node_forget(fs, n, nlookup);
	fuse_reply_none(req);
}

void ovl_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	for (size_t i = 0; i < count; i++) {
		struct ovl_node *n = ovl_node_by_id(fs, forgets[i].ino);
		if (n != NULL)
			ovl_node_forget(fs, n, forgets[i].nlookup);
	}
	fuse_reply_none(req);
}

int ovl_node_stat(struct ovl_fs *fs, struct ovl_node *n, struct stat *st)
{
	int r = ovl_node_locate(fs, n);
	char rel[PATH_MAX];
	if (r == 0)
		r = ovl_node_path(n, rel, sizeof(rel));
	if (r == -ENOENT && n->keep_fd >= 0) {
		/* Unlinked while in use: its attributes are still there. */
		if (fstat(n->keep_fd, st) < 0)
			return -errno;
		/* Its other names (hard links) may still be there: count them
		 * as for any copied-up file, minus the index link. */
		char p[64], v[64];
		long pending = -1;
		snprintf(p, sizeof(p), "/proc/self/fd/%d", n->keep_fd);
		ssize_t l = getxattr(p, OVL_XATTR_ORIGIN, v, sizeof(v) - 1);
		if (l > 0) {
			v[l] = '\0';
			char *colon = strchr(v, ':');
			if (colon != NULL)
				pending = strtol(colon + 1, NULL, 10);
		}
		present(fs, NULL, -1, "", st, n->ino, pending);
		return 0;
	}
	if (r < 0)
		return r;
	if (fstatat(fs->layers[n->layer].fd, rel, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	/* The node knows its inode number; the origin record only adds the
	 * names of a copied-up hard-linked file not linked in yet, and such a
	 * file has its index link besides its name. */
	long pending = -1;
	if (S_ISREG(st->st_mode) && st->st_nlink > 1)
		ovl_entry_ino(fs, n->layer, rel, st, &pending);
	present(fs, n, n->layer, rel, st, n->ino, pending);
	return 0;
}

void ovl_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct stat st;
	pthread_rwlock_rdlock(&fs->tree_lock);
	struct ovl_node *n = ovl_node_by_id(fs, ino);
	int r = n == NULL ? -ESTALE : ovl_node_stat(fs, n, &st);
	if (r == -ENOENT && fi != NULL) {
		struct ovl_file *f = (struct ovl_file *)fi->fh;
		if (fstat(f->fd, &st) == 0) {
			present(fs, NULL, -1, "", &st, n->ino, -1);
			r = 0;
		}
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, fs->opts.timeout);
}

/* utimensat() on a name in upper or, for a file without a name, on the
 * /proc path of its fd (which has to be followed). */
static int set_times(int dirfd, const char *path, int follow, const struct stat *attr, int to_set)
{
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_ATIME)
		ts[0] = attr->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_MTIME)
		ts[1] = attr->st_mtim;
	if (utimensat(dirfd, path, ts, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* Truncate, clearing set-id bits as a truncate by an unprivileged user
 * does: the layer's truncate clears the real ones, the ones
 * xattr_permissions keeps are ours to clear when the kernel leaves that to
 * us (FUSE_HANDLE_KILLPRIV_V2). The reply carries the new attributes. */
static int truncate_fd(struct ovl_fs *fs, int fd, off_t size)
{
	mode_t setid = ovl_kills_setid(fs) ? ovl_fd_write_cleared_bits(fs, fd) : 0;
	if (ftruncate(fd, size) < 0)
		return -errno;
	return setid != 0 ? ovl_fd_clear_mode_bits(fs, fd, setid) : 0;
}

static int truncate_at(struct ovl_fs *fs, int dirfd, const char *path, int follow, off_t size)
{
	int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return -errno;
	int r = truncate_fd(fs, fd, size);
	close(fd);
	return r;
}

static int do_setattr(struct ovl_fs *fs, struct ovl_node *n, struct stat *attr, int to_set,
		      struct fuse_file_info *fi)
{
	/* A file without a name (O_TMPFILE, or an upper file unlinked while
	 * open) is changed through the fd its node keeps; a lower file in
	 * that state can no longer be copied up. */
	bool detached = n->parent == NULL && n != fs->root;
	char rel[PATH_MAX];
	int dirfd = fs->layers[0].fd;
	/* Metadata changes leave the data below (metacopy); a new size needs
	 * it, unless the file is emptied. */
	enum ovl_copy what = !(to_set & FUSE_SET_ATTR_SIZE) ? OVL_COPY_META
			     : attr->st_size == 0	    ? OVL_COPY_EMPTY
							    : OVL_COPY_DATA;
	if (detached && (n->keep_fd < 0 || !n->keep_upper))
		return -ENOENT;
	int r = ovl_copy_up(fs, n, what);
	if (r < 0)
		return r;
	if (detached) {
		snprintf(rel, sizeof(rel), "/proc/self/fd/%d", n->keep_fd);
		dirfd = AT_FDCWD;
	} else {
		r = ovl_node_path(n, rel, sizeof(rel));
		if (r < 0)
			return r;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (fi != NULL) {
			struct ovl_file *f = (struct ovl_file *)fi->fh;
			r = truncate_fd(fs, f->fd, attr->st_size);
		} else {
			r = truncate_at(fs, dirfd, rel, detached, attr->st_size);
		}
		if (r < 0)
			return r;
	}
	const char *where = detached ? NULL : rel;
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		r = ovl_chown(fs, n->keep_fd, where, n->type == S_IFLNK,
			      (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1,
			      (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1);
		if (r < 0)
			return r;
	}
	if (to_set & FUSE_SET_ATTR_MODE) {
		r = ovl_chmod(fs, n->keep_fd, where, n->type, attr->st_mode);
		if (r < 0)
			return r;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
		      FUSE_SET_ATTR_MTIME_NOW)) {
		r = set_times(dirfd, rel, detached, attr, to_set);
		if (r < 0)
			return r;
	}
	return 0;
}

void ovl_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		    struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	if (!fs->has_upper) {
		fuse_reply_err(req, EROFS);
		return;
	}
	struct stat st;
	pthread_rwlock_wrlock(&fs->tree_lock);
	struct ovl_node *n = ovl_node_by_id(fs, ino);
	int r = n == NULL ? -ESTALE : do_setattr(fs, n, attr, to_set, fi);
	if (r == 0) {
		r = ovl_node_stat(fs, n, &st);
		if (r == -ENOENT && fi != NULL) {
			struct ovl_file *f = (struct ovl_file *)fi->fh;
			r = fstat(f->fd, &st) < 0 ? -errno : 0;
			present(fs, NULL, -1, "", &st, n->ino, -1);
		}
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, fs->opts.timeout);
}

void ovl_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct statvfs sv;
	if (fstatvfs(fs->layers[0].fd, &sv) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fuse_reply_statfs(req, &sv);
}

void ovl_op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	char rel[PATH_MAX], target[PATH_MAX];
	pthread_rwlock_rdlock(&fs->tree_lock);
	struct ovl_node *n = ovl_node_by_id(fs, ino);
	int r = n == NULL ? -ESTALE : ovl_node_locate(fs, n);
	if (r == 0)
		r = ovl_node_path(n, rel, sizeof(rel));
	ssize_t l = -1;
	if (r == 0) {
		l = readlinkat(fs->layers[n->layer].fd, rel, target, sizeof(target) - 1);
		if (l < 0)
			r = -errno;
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	target[l] = '\0';
	fuse_reply_readlink(req, target);
}
