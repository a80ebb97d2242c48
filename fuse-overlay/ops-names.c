/* Making and removing names: mkdir, mknod, symlink, link, unlink, rmdir.
 * New names always go to the upper layer; a removed name that a lower
 * layer still has is covered by a whiteout. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "ovl.h"

static void reply_entry_or_err(fuse_req_t req, int r, struct fuse_entry_param *e)
{
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, e);
}

enum new_kind { NEW_DIR, NEW_NODE, NEW_SYMLINK };

static void make_name(fuse_req_t req, fuse_ino_t parent, const char *name, enum new_kind kind,
		      mode_t mode, dev_t rdev, const char *target)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	uid_t uid;
	gid_t gid;
	ovl_creator_ids(fs, req, &uid, &gid);
	char rel[PATH_MAX];
	struct fuse_entry_param e;
	/* A 0/0 character device is how this overlay stores its own
	 * whiteouts: one made through the mount is stored escaped. */
	bool escaped = kind == NEW_NODE && S_ISCHR(mode) && rdev == makedev(0, 0);
	pthread_rwlock_wrlock(&fs->tree_lock);
	struct ovl_node *p = ovl_node_by_id(fs, parent);
	int r = p == NULL ? -ESTALE : ovl_prepare_new_name(fs, p, name, rel, sizeof(rel));
	bool lower_has = r == 1;
	mode_t real = fs->opts.xattr_permissions ? (mode | S_IRUSR | S_IWUSR) : mode;
	if (r >= 0) {
		char prel[PATH_MAX];
		bool sg = false;
		if (ovl_node_path(p, prel, sizeof(prel)) == 0)
			gid = ovl_inherit_gid(fs, p, prel, gid, &sg);
		if (sg && kind == NEW_DIR)
			mode |= S_ISGID;
		switch (kind) {
		case NEW_DIR:
			r = mkdirat(fs->layers[0].fd, rel,
				    (real | (fs->opts.xattr_permissions ? S_IXUSR : 0)) & 07777);
			break;
		case NEW_NODE:
			r = escaped ? 0 : mknodat(fs->layers[0].fd, rel, real, rdev);
			break;
		case NEW_SYMLINK:
			r = symlinkat(target, fs->layers[0].fd, rel);
			mode = S_IFLNK | 0777;
			break;
		}
		r = r < 0 ? -errno : 0;
		if (r == 0 && escaped)
			r = ovl_make_escaped_whiteout(fs, rel, real);
	}
	if (r == 0 && kind == NEW_DIR && lower_has)
		r = ovl_set_opaque(fs, rel);
	if (r == 0)
		r = ovl_set_new_owner(fs, -1, rel, uid, gid,
				      (kind == NEW_DIR ? S_IFDIR : 0) | mode);
	struct stat st;
	if (r == 0 && fstatat(fs->layers[0].fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	if (r == 0)
		r = ovl_new_entry(fs, p, name, rel, &st, escaped, &e);
	pthread_rwlock_unlock(&fs->tree_lock);
	reply_entry_or_err(req, r, &e);
}

void ovl_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	make_name(req, parent, name, NEW_DIR, mode, 0, NULL);
}

void ovl_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	make_name(req, parent, name, NEW_NODE, mode, rdev, NULL);
}

void ovl_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	make_name(req, parent, name, NEW_SYMLINK, 0, 0, link);
}

void ovl_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	char oldrel[PATH_MAX], rel[PATH_MAX];
	struct fuse_entry_param e;
	pthread_rwlock_wrlock(&fs->tree_lock);
	struct ovl_node *n = ovl_node_by_id(fs, ino);
	struct ovl_node *p = ovl_node_by_id(fs, newparent);
	int r = n == NULL || p == NULL ? -ESTALE : 0;
	if (r == 0 && n->type == S_IFDIR)
		r = -EPERM;
	/* A file without a name: an O_TMPFILE file (the kernel lets only
	 * those be linked once their link count is 0), reached through the
	 * fd its node keeps. A lower file unlinked while open has no upper
	 * copy to link. */
	bool detached = r == 0 && n->parent == NULL;
	if (detached && (n->keep_fd < 0 || !n->keep_upper))
		r = -ENOENT;
	if (r == 0 && !detached)
		r = ovl_copy_up(fs, n, OVL_COPY_META);
	if (r == 0)
		r = ovl_prepare_new_name(fs, p, newname, rel, sizeof(rel));
	if (r >= 0 && detached) {
		char kept[64];
		snprintf(kept, sizeof(kept), "/proc/self/fd/%d", n->keep_fd);
		r = linkat(AT_FDCWD, kept, fs->layers[0].fd, rel, AT_SYMLINK_FOLLOW) < 0 ? -errno
											 : 0;
		if (r == 0)
			r = ovl_node_move(fs, n, p, newname);
	} else if (r >= 0) {
		r = ovl_node_path(n, oldrel, sizeof(oldrel));
		if (r == 0 && linkat(fs->layers[0].fd, oldrel, fs->layers[0].fd, rel, 0) < 0)
			r = -errno;
	}
	if (r == 0) {
		ovl_dir_cache_drop(p);
		r = ovl_do_lookup(fs, p, newname, &e);
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	reply_entry_or_err(req, r, &e);
}

/* Take a name out of the merged view: remove the upper entry if any, then
 * whiteout when a lower layer still has the name. The node leaves the
 * tree; a node still in use keeps an fd to its file. */
static int remove_name(struct ovl_fs *fs, struct ovl_node *p, const char *name, bool dir)
{
	int r = ovl_node_locate(fs, p);
	if (r < 0)
		return r;
	if (!fs->has_upper)
		return -EROFS;
	if (ovl_is_whiteout_name(name))
		return -ENOENT;
	char rel[PATH_MAX];
	r = ovl_child_path(p, name, rel, sizeof(rel));
	if (r < 0)
		return r;
	struct stat st;
	int layer;
	r = ovl_find_child(fs, p, name, rel, &st, &layer);
	if (r < 0)
		return r;
	/* A name that shows from a lower layer needs a whiteout; one that
	 * shows from upper, only when a lower layer has it too. */
	bool in_lower = layer > 0;
	if (dir && !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!dir && S_ISDIR(st.st_mode))
		return -EISDIR;
	long pending;
	ino_t ino = ovl_entry_ino(fs, layer, rel, &st, &pending);
	struct ovl_node *n = ovl_node_get(fs, ino, p, name, (mode_t)(st.st_mode & S_IFMT), false);
	if (n == NULL)
		return -ENOMEM;
	ovl_node_ref(fs, n);
	r = ovl_node_set_location(fs, n, layer, rel, &st);
	if (r == 0 && dir) {
		int err = 0;
		struct dir_cache *c = ovl_dir_cache_get(fs, n, &err);
		if (c == NULL)
			r = -err;
		else if (c->live > 0)
			r = -ENOTEMPTY;
		ovl_dir_cache_put(c);
	}
	bool own_name = n->parent == p && strcmp(n->name, name) == 0;
	if (r == 0 && !dir && layer > 0 && S_ISREG(st.st_mode) && st.st_nlink > 1) {
		/* Removing one name of a hard-linked lower file: copy the file
		 * up (through whichever name its node has) and link this name
		 * to the copy, so the other names count one link less. */
		r = ovl_copy_up(fs, n, OVL_COPY_META);
		if (r == 0 && !own_name) {
			r = ovl_copy_up_dir_chain(fs, p);
			if (r == 0)
				r = ovl_index_link(fs, ino, rel);
			r = r == 1 ? 0 : r < 0 ? r : -EIO;
		}
		if (r == 0)
			layer = 0;
	}
	if (r == 0)
		r = ovl_copy_up_dir_chain(fs, p);
	bool lower_has = r == 0 && (in_lower || ovl_exists_below(fs, p->span, p->nspan, 0, rel));
	if (r == 0 && ovl_node_is_last_name(n, p, name) && (n->open_count > 0 || st.st_nlink > 1))
		ovl_node_keep(fs, n, layer, rel);
	if (r == 0 && layer == 0) {
		if (dir)
			r = ovl_remove_upper_dir(fs, rel);
		else if (unlinkat(fs->layers[0].fd, rel, 0) < 0)
			r = -errno;
	}
	if (r == 0 && lower_has)
		r = ovl_make_whiteout(fs, rel);
	if (r == 0) {
		ovl_dir_cache_remove(p, name);
		if (!ovl_node_remove_name(fs, n, p, name))
			ovl_dir_cache_drop(n);
		else
			r = ovl_settle_links(fs, n);
	}
	ovl_node_unref(fs, n);
	return r;
}

static void do_remove(fuse_req_t req, fuse_ino_t parent, const char *name, bool dir)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	pthread_rwlock_wrlock(&fs->tree_lock);
	struct ovl_node *p = ovl_node_by_id(fs, parent);
	int r = p == NULL ? -ESTALE : remove_name(fs, p, name, dir);
	pthread_rwlock_unlock(&fs->tree_lock);
	fuse_reply_err(req, -r);
}

void ovl_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	do_remove(req, parent, name, false);
}

void ovl_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	do_remove(req, parent, name, true);
}
