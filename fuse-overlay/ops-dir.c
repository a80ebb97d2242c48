/* Reading merged directories. Readdir works from the directory node's
 * listing, whose offsets belong to names and survive a rebuilt listing
 * (dirs.c), so an open directory needs no state of its own: where the
 * kernel allows, opendir answers ENOSYS once and the kernel sends no
 * OPENDIR or RELEASEDIR at all (two round trips per directory listed,
 * one of which the lister waits for), and caches listings itself. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovl.h"

void ovl_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	if (fs->no_opendir) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	pthread_rwlock_rdlock(&fs->tree_lock);
	struct ovl_node *n = ovl_node_by_id(fs, ino);
	int r = n == NULL ? -ESTALE : ovl_node_locate(fs, n);
	if (r == 0 && n->type != S_IFDIR)
		r = -ENOTDIR;
	pthread_rwlock_unlock(&fs->tree_lock);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = 0;
	/* The kernel may keep the listing: it drops it itself whenever a
	 * name in the directory changes through the mount. */
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

/* The inode number readdir reports, the same as stat's. */
static ino_t entry_ino(struct ovl_fs *fs, struct ovl_node *dir, const struct dir_entry *e)
{
	if (e->layer != 0 || !fs->has_upper)
		return ovl_make_ino(fs, e->layer, e->d_ino);
	char rel[PATH_MAX];
	struct stat st = {.st_ino = e->d_ino, .st_mode = DTTOIF(e->d_type)};
	long pending;
	if (ovl_child_path(dir, e->name, rel, sizeof(rel)) < 0)
		return ovl_make_ino(fs, 0, e->d_ino);
	return ovl_entry_ino(fs, 0, rel, &st, &pending);
}

/* Whether the kernel already holds the node a listing gave it for this
 * name. Such an entry is sent without attributes: the kernel keeps its
 * dentry and attributes for `timeout` seconds, and every change comes
 * through the mount and drops them. A directory listed again (rm -rf
 * reads each one twice, a listing is built again after a change) then
 * costs no stat per entry here and no refresh of every inode in the
 * kernel. A hint that turns out wrong (the kernel dropped the dentry
 * meanwhile) costs a LOOKUP, never a wrong answer. */
static bool kernel_has(struct ovl_fs *fs, struct ovl_node *d, const struct dir_entry *de,
		       ino_t given)
{
	return given != 0 && fs->opts.timeout > 0 && ovl_node_known_as(fs, given, d, de->name);
}

/* Subdirectories of one reply to build ahead (prefetch.c): a READDIRPLUS
 * reply holds at most a few hundred entries. */
#define AHEAD_MAX 256
struct ahead {
	fuse_ino_t ids[AHEAD_MAX];
	size_t n;
};

/* Whether reading d is part of a walk down a tree, so that its
 * subdirectories will be read next: its parent was read too. A single
 * ls of a directory builds nothing ahead. */
static bool walking(const struct ovl_node *d)
{
	return d->parent != NULL && __atomic_load_n(&d->parent->cache, __ATOMIC_ACQUIRE) != NULL;
}

/* The paths of a directory's entries in the layers, made by appending
 * each name to the directory's path, which is found once per reply, and
 * only when an entry with a stat taken ahead needs it. */
struct dir_path {
	char buf[PATH_MAX];
	size_t len; /* of the directory's path and its slash */
	int state;  /* 0: not found yet, 1: found, -errno: cannot be */
};

static int dir_path_init(struct dir_path *p, const struct ovl_node *d)
{
	int r = ovl_node_path(d, p->buf, sizeof(p->buf));
	if (r < 0)
		return r;
	p->len = strlen(p->buf);
	if (strcmp(p->buf, ".") == 0)
		p->len = 0;
	else if (p->len + 1 < sizeof(p->buf))
		p->buf[p->len++] = '/';
	else
		return -ENAMETOOLONG;
	return 1;
}

static int child_path(struct dir_path *p, const struct ovl_node *d, const char *name)
{
	if (p->state == 0)
		p->state = dir_path_init(p, d);
	size_t l = strlen(name);
	if (p->state < 0)
		return p->state;
	if (p->len + l >= sizeof(p->buf))
		return -ENAMETOOLONG;
	memcpy(p->buf + p->len, name, l + 1);
	return 0;
}

/* Fill buf with the entries after offset off of the directory node d
 * (tree_lock held); returns the bytes used. Subdirectories it sends are
 * added to ahead when that is not NULL. */
static size_t fill_dir(fuse_req_t req, struct ovl_fs *fs, struct ovl_node *d, struct dir_cache *c,
		       char *buf, size_t size, off_t off, bool plus, struct ahead *ahead)
{
	size_t used = 0;
	size_t i = off < OVL_DIR_FIRST_OFF - 1 ? 0 : ovl_dir_cache_after(c, (uint64_t)off);
	struct dir_path dpath;
	dpath.state = 0; /* (the buffer needs no clearing) */
	/* "." and ".." first, at offsets 1 and 2. */
	for (off_t dot = off; dot < OVL_DIR_FIRST_OFF - 1; dot++) {
		struct fuse_entry_param e;
		memset(&e, 0, sizeof(e));
		struct ovl_node *pp = d->parent;
		e.attr.st_ino = dot == 0 ? d->ino : pp != NULL ? pp->ino : fs->root->ino;
		e.attr.st_mode = S_IFDIR;
		const char *name = dot == 0 ? "." : "..";
		size_t need =
		    plus ? fuse_add_direntry_plus(req, buf + used, size - used, name, &e, dot + 1)
			 : fuse_add_direntry(req, buf + used, size - used, name, &e.attr, dot + 1);
		if (need > size - used)
			return used;
		used += need;
	}
	for (; i < c->n; i++) {
		struct dir_entry *de = &c->entries[i];
		if (de->layer < 0)
			continue; /* removed since the listing was built */
		struct fuse_entry_param e;
		ino_t given = __atomic_load_n(&de->given_ino, __ATOMIC_RELAXED);
		bool known = plus && kernel_has(fs, d, de, given);
		bool looked_up = false;
		struct stat st;
		if (known)
			ovl_dir_cache_take_stat(c, i, NULL); /* not needed: let it go */
		else if (plus && ovl_dir_cache_take_stat(c, i, &st))
			looked_up =
			    child_path(&dpath, d, de->name) == 0 &&
			    ovl_lookup_listed(fs, d, de->name, dpath.buf, de->layer, &st, &e) == 0;
		else if (plus && !known)
			looked_up = ovl_do_lookup(fs, d, de->name, &e) == 0;
		if (looked_up) {
			__atomic_store_n(&de->given_ino, e.attr.st_ino, __ATOMIC_RELAXED);
		} else {
			/* Names only (node id 0); with readdirplus the kernel
			 * looks the entry up by itself if it needs to. */
			memset(&e, 0, sizeof(e));
			e.attr.st_mode = DTTOIF(de->d_type);
			e.attr.st_ino = known ? given : entry_ino(fs, d, de);
		}
		size_t need = plus ? fuse_add_direntry_plus(req, buf + used, size - used, de->name,
							    &e, (off_t)de->off)
				   : fuse_add_direntry(req, buf + used, size - used, de->name,
						       &e.attr, (off_t)de->off);
		if (need > size - used) {
			if (looked_up) {
				struct ovl_node *n = ovl_node_by_id(fs, e.ino);
				if (n != NULL)
					ovl_node_forget(fs, n, 1);
			}
			break;
		}
		used += need;
		if (ahead != NULL && ahead->n < AHEAD_MAX && de->d_type == DT_DIR &&
		    (looked_up || known))
			ahead->ids[ahead->n++] = looked_up ? e.ino : ovl_nodeid_for_ino(given);
	}
	return used;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	char *buf = malloc(size);
	if (buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	size_t used = 0;
	struct ahead ahead = {.n = 0};
	pthread_rwlock_rdlock(&fs->tree_lock);
	struct ovl_node *d = ovl_node_by_id(fs, ino);
	int r = d == NULL ? -ESTALE : ovl_node_locate(fs, d);
	struct dir_cache *c = NULL;
	if (r == 0 && d->type != S_IFDIR)
		r = -ENOTDIR;
	if (r == 0) {
		int err = 0;
		c = ovl_dir_cache_get(fs, d, &err);
		r = c == NULL ? -err : 0;
	}
	if (r == 0)
		used = fill_dir(req, fs, d, c, buf, size, off, plus,
				plus && walking(d) ? &ahead : NULL);
	ovl_dir_cache_put(c);
	pthread_rwlock_unlock(&fs->tree_lock);
	/* A directory removed while open reads as empty, as on a local
	 * filesystem. */
	if (r < 0 && r != -ENOENT)
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, buf, used);
	free(buf);
	/* After the reply: the kernel's work on it and the builds overlap. */
	ovl_prefetch_dirs(fs, ahead.ids, ahead.n);
}

void ovl_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, false);
}

void ovl_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, true);
}

void ovl_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

void ovl_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	if (!fs->opts.fsync || !fs->has_upper) {
		fuse_reply_err(req, 0);
		return;
	}
	char rel[PATH_MAX];
	pthread_rwlock_rdlock(&fs->tree_lock);
	struct ovl_node *d = ovl_node_by_id(fs, ino);
	int r = d == NULL ? -ESTALE : ovl_node_locate(fs, d);
	if (r == 0)
		r = ovl_node_path(d, rel, sizeof(rel));
	int fd = -1;
	if (r == 0 && d->nspan > 0 && d->span[0] == 0) {
		fd = openat(fs->layers[0].fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = fd < 0 ? -errno : 0;
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	if (fd >= 0) {
		r = (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
		close(fd);
	}
	fuse_reply_err(req, r < 0 ? -r : 0);
}
