/* Extended attributes, minus the overlay's own (origin records, opacity,
 * the ownership override): those are hidden, cannot be set and are not
 * listed. Setting or removing one copies the file up first. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "ovl.h"

/* Absolute path of the node's current file (tree_lock held). */
static int node_abs(struct ovl_fs *fs, struct ovl_node *n, char *abs, size_t size)
{
	char rel[PATH_MAX];
	int r = ovl_node_locate(fs, n);
	if (r == 0)
		r = ovl_node_path(n, rel, sizeof(rel));
	if (r == 0)
		r = ovl_abs_path(fs, n->layer, rel, abs, size);
	return r;
}

void ovl_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	if (fs->opts.noxattrs) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	if (ovl_xattr_is_private(fs, name)) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	char abs[PATH_MAX];
	char *buf = NULL;
	ssize_t l = -1;
	pthread_rwlock_rdlock(&fs->tree_lock);
	struct ovl_node *n = ovl_node_by_id(fs, ino);
	int r = n == NULL ? -ESTALE : 0;
	/* The kernel asks for file capabilities before the first write to a
	 * file and before every chown (an untar asks twice per file); a file
	 * made through this mount has none until someone sets an xattr. */
	if (r == 0 && n->caps_absent && strcmp(name, "security.capability") == 0)
		r = -ENODATA;
	if (r == 0)
		r = node_abs(fs, n, abs, sizeof(abs));
	if (r == 0 && size > 0) {
		buf = malloc(size);
		if (buf == NULL)
			r = -ENOMEM;
	}
	if (r == 0) {
		l = lgetxattr(abs, name, buf, size);
		if (l < 0)
			r = -errno;
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	if (r < 0)
		fuse_reply_err(req, -r);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)l);
	else
		fuse_reply_buf(req, buf, (size_t)l);
	free(buf);
}

void ovl_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	if (fs->opts.noxattrs) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	char abs[PATH_MAX];
	char *all = NULL;
	ssize_t l = 0;
	pthread_rwlock_rdlock(&fs->tree_lock);
	struct ovl_node *n = ovl_node_by_id(fs, ino);
	int r = n == NULL ? -ESTALE : node_abs(fs, n, abs, sizeof(abs));
	if (r == 0) {
		l = llistxattr(abs, NULL, 0);
		if (l < 0)
			r = -errno;
	}
	if (r == 0 && l > 0) {
		all = malloc((size_t)l);
		if (all == NULL)
			r = -ENOMEM;
		else if ((l = llistxattr(abs, all, (size_t)l)) < 0)
			r = -errno;
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	if (r < 0) {
		free(all);
		fuse_reply_err(req, -r);
		return;
	}
	/* Filter in place: the visible names are a prefix-compacted list. */
	size_t out = 0;
	for (ssize_t i = 0; i < l;) {
		size_t len = strlen(all + i) + 1;
		if (!ovl_xattr_is_private(fs, all + i)) {
			memmove(all + out, all + i, len);
			out += len;
		}
		i += (ssize_t)len;
	}
	if (size == 0)
		fuse_reply_xattr(req, out);
	else if (size < out)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, all, out);
	free(all);
}

static void change_xattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			 size_t size, int flags, bool remove)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	if (fs->opts.noxattrs) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	if (ovl_xattr_is_private(fs, name)) {
		fuse_reply_err(req, remove ? ENODATA : EPERM);
		return;
	}
	if (!fs->has_upper) {
		fuse_reply_err(req, EROFS);
		return;
	}
	char abs[PATH_MAX];
	pthread_rwlock_wrlock(&fs->tree_lock);
	struct ovl_node *n = ovl_node_by_id(fs, ino);
	int r = n == NULL ? -ESTALE : 0;
	if (r == 0)
		n->caps_absent = false;
	if (r == 0 && remove) {
		/* Nothing to copy up for an attribute that is not there. */
		r = node_abs(fs, n, abs, sizeof(abs));
		if (r == 0 && lgetxattr(abs, name, NULL, 0) < 0)
			r = -errno;
	}
	if (r == 0)
		r = ovl_copy_up(fs, n, OVL_COPY_META);
	if (r == 0)
		r = node_abs(fs, n, abs, sizeof(abs));
	if (r == 0) {
		int k = remove ? lremovexattr(abs, name) : lsetxattr(abs, name, value, size, flags);
		if (k < 0)
			r = -errno;
	}
	pthread_rwlock_unlock(&fs->tree_lock);
	fuse_reply_err(req, -r);
}

void ovl_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		     size_t size, int flags)
{
	change_xattr(req, ino, name, value, size, flags, false);
}

void ovl_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	change_xattr(req, ino, name, NULL, 0, 0, true);
}
