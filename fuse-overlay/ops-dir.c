/* Reading merged directories. An open directory holds a reference on the
 * listing it started with, so offsets stay meaningful while the directory
 * changes (the listing is then a snapshot, as POSIX allows). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovl.h"

struct ovl_dirh {
	struct dir_cache *cache;
	struct ovl_node *node;
};

void ovl_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	int err = 0;
	pthread_rwlock_rdlock(&fs->tree_lock);
	struct ovl_node *n = ovl_node_by_id(fs, ino);
	int r = n == NULL ? -ESTALE : ovl_node_locate(fs, n);
	struct dir_cache *c = NULL;
	if (r == 0 && n->type != S_IFDIR)
		r = -ENOTDIR;
	if (r == 0) {
		c = ovl_dir_cache_get(fs, n, &err);
		if (c == NULL)
			r = -err;
	}
	struct ovl_dirh *d = NULL;
	if (r == 0) {
		d = calloc(1, sizeof(*d));
		if (d == NULL) {
			ovl_dir_cache_put(c);
			r = -ENOMEM;
		} else {
			d->cache = c;
			d->node = n;
			ovl_node_ref(fs, n);
		}
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
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

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct ovl_dirh *d = (struct ovl_dirh *)fi->fh;
	char *buf = malloc(size);
	if (buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	size_t used = 0;
	pthread_rwlock_rdlock(&fs->tree_lock);
	for (size_t i = (size_t)off; i < d->cache->n + 2; i++) {
		struct fuse_entry_param e;
		memset(&e, 0, sizeof(e));
		const char *name;
		const struct dir_entry *de = NULL;
		if (i < 2) {
			name = i == 0 ? "." : "..";
			struct ovl_node *pp = d->node->parent;
			e.attr.st_ino = i == 0	     ? d->node->ino
					: pp != NULL ? pp->ino
						     : fs->root->ino;
			e.attr.st_mode = S_IFDIR;
		} else {
			de = &d->cache->entries[i - 2];
			if (de->layer < 0)
				continue; /* removed since the listing was built */
			name = de->name;
			e.attr.st_mode = DTTOIF(de->d_type);
		}
		bool looked_up = false;
		if (plus && de != NULL) {
			looked_up = ovl_do_lookup(fs, d->node, name, &e) == 0;
			if (!looked_up) {
				/* Let the kernel look it up by itself. */
				memset(&e, 0, sizeof(e));
				e.attr.st_mode = DTTOIF(de->d_type);
			}
		}
		if (de != NULL && !looked_up)
			e.attr.st_ino = entry_ino(fs, d->node, de);
		size_t need;
		if (plus)
			need = fuse_add_direntry_plus(req, buf + used, size - used, name, &e,
						      (off_t)i + 1);
		else
			need = fuse_add_direntry(req, buf + used, size - used, name, &e.attr,
						 (off_t)i + 1);
		if (need > size - used) {
			if (looked_up) {
				struct ovl_node *n = ovl_node_by_id(fs, e.ino);
				if (n != NULL)
					ovl_node_forget(fs, n, 1);
			}
			break;
		}
		used += need;
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

void ovl_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

void ovl_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

void ovl_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	struct ovl_dirh *d = (struct ovl_dirh *)fi->fh;
	ovl_dir_cache_put(d->cache);
	ovl_node_unref(fs, d->node);
	free(d);
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
	struct ovl_dirh *d = (struct ovl_dirh *)fi->fh;
	int r = ovl_node_path(d->node, rel, sizeof(rel));
	int fd = -1;
	if (r == 0 && d->node->loc_valid && d->node->nspan > 0 && d->node->span[0] == 0) {
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
