/* rename(2) in all its forms, across layers.
 *
 * Everything that moves is first made to live entirely in the upper layer:
 * a file is copied up, a directory that draws on lower layers is copied up
 * with its whole merged tree (its lower parts stay at the old path, where a
 * whiteout then hides them). Then the rename is one rename(2) in the upper
 * layer, so a directory rename never fails with EXDEV. A directory landing
 * on a name that a lower layer also has becomes opaque, so nothing of that
 * lower directory shows through it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovl.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif

struct side {
	struct ovl_node *parent;
	const char *name;
	char rel[PATH_MAX];
	bool exists;
	struct stat st;
	int layer;
	struct ovl_node *node; /* referenced when exists */
};

static int resolve(struct ovl_fs *fs, struct side *s)
{
	int r = ovl_node_locate(fs, s->parent);
	if (r < 0)
		return r;
	if (s->parent->type != S_IFDIR)
		return -ENOTDIR;
	if (ovl_is_whiteout_name(s->name))
		return -EINVAL;
	r = ovl_child_path(s->parent, s->name, s->rel, sizeof(s->rel));
	if (r < 0)
		return r;
	r = ovl_probe(fs, s->parent->span, s->parent->nspan, s->rel, &s->st, &s->layer);
	if (r == -ENOENT) {
		s->exists = false;
		return 0;
	}
	if (r < 0)
		return r;
	s->exists = true;
	long pending;
	ino_t ino = ovl_entry_ino(fs, s->layer, s->rel, &s->st, &pending);
	s->node =
	    ovl_node_get(fs, ino, s->parent, s->name, (mode_t)(s->st.st_mode & S_IFMT), false);
	if (s->node == NULL)
		return -ENOMEM;
	ovl_node_ref(fs, s->node);
	return ovl_node_set_location(fs, s->node, s->layer, s->rel, &s->st);
}

static bool is_own_name(const struct side *s)
{
	return s->node->parent == s->parent && strcmp(s->node->name, s->name) == 0;
}

/* Make the entry of one side live entirely in upper. */
static int bring_up(struct ovl_fs *fs, struct side *s)
{
	int r;
	if (S_ISDIR(s->st.st_mode)) {
		r = ovl_node_locate(fs, s->node);
		if (r < 0)
			return r;
		bool lower_part = s->node->nspan > 1 || s->node->span[0] != 0;
		if (lower_part)
			return ovl_copy_up_tree(fs, s->node);
		return 0;
	}
	if (s->layer == 0)
		return 0;
	if (is_own_name(s))
		return ovl_copy_up(fs, s->node, OVL_COPY_META);
	/* Another name of a hard-linked lower file has the node. */
	r = ovl_copy_up(fs, s->node, OVL_COPY_META);
	if (r == 0)
		r = ovl_index_link(fs, s->node->ino, s->rel);
	return r == 1 ? 0 : r < 0 ? r : -EIO;
}

static int dir_is_empty(struct ovl_fs *fs, struct ovl_node *dir)
{
	int err = 0;
	struct dir_cache *c = ovl_dir_cache_get(fs, dir, &err);
	if (c == NULL)
		return -err;
	int r = c->live == 0 ? 0 : -ENOTEMPTY;
	ovl_dir_cache_put(c);
	return r;
}

/* The caller's ids own a RENAME_WHITEOUT whiteout, as on any filesystem. */
struct creator {
	uid_t uid;
	gid_t gid;
};

static int do_rename(struct ovl_fs *fs, struct side *a, struct side *b, unsigned flags,
		     const struct creator *who)
{
	int r = resolve(fs, a);
	if (r == 0)
		r = resolve(fs, b);
	if (r < 0)
		return r;
	if (!a->exists)
		return -ENOENT;
	if ((flags & RENAME_NOREPLACE) && b->exists)
		return -EEXIST;
	if ((flags & RENAME_EXCHANGE) && !b->exists)
		return -ENOENT;
	bool a_dir = S_ISDIR(a->st.st_mode);
	bool b_dir = b->exists && S_ISDIR(b->st.st_mode);
	if (b->exists && a->node == b->node)
		return 0; /* two names of one file: rename(2) does nothing */
	if (!(flags & RENAME_EXCHANGE) && b->exists) {
		if (a_dir && !b_dir)
			return -ENOTDIR;
		if (!a_dir && b_dir)
			return -EISDIR;
		if (b_dir) {
			r = dir_is_empty(fs, b->node);
			if (r < 0)
				return r;
		}
	}
	if (a_dir) {
		/* No directory into itself. */
		for (struct ovl_node *p = b->parent; p != NULL; p = p->parent)
			if (p == a->node)
				return -EINVAL;
	}
	if (b_dir && (flags & RENAME_EXCHANGE)) {
		for (struct ovl_node *p = a->parent; p != NULL; p = p->parent)
			if (p == b->node)
				return -EINVAL;
	}

	r = ovl_copy_up_dir_chain(fs, a->parent);
	if (r == 0)
		r = ovl_copy_up_dir_chain(fs, b->parent);
	if (r == 0)
		r = bring_up(fs, a);
	if (r == 0 && (flags & RENAME_EXCHANGE))
		r = bring_up(fs, b);
	if (r == 0 && !(flags & RENAME_EXCHANGE) && b->exists && b->layer > 0 &&
	    S_ISREG(b->st.st_mode) && b->st.st_nlink > 1) {
		/* Replacing one name of a hard-linked lower file: link it to
		 * the copy first, so the rename takes one link off the file
		 * that its other names show. */
		r = bring_up(fs, b);
		b->layer = 0;
	}
	if (r < 0)
		return r;

	int up = fs->layers[0].fd;
	bool a_lower = ovl_exists_below(fs, a->parent->span, a->parent->nspan, 0, a->rel);
	bool b_lower = ovl_exists_below(fs, b->parent->span, b->parent->nspan, 0, b->rel);
	if (flags & RENAME_EXCHANGE) {
		if (renameat2(up, a->rel, up, b->rel, RENAME_EXCHANGE) < 0)
			return -errno;
		if (a_dir && b_lower)
			r = ovl_set_opaque(fs, b->rel);
		if (r == 0 && b_dir && a_lower)
			r = ovl_set_opaque(fs, a->rel);
	} else {
		if (b->exists && b->layer == 0 && b_dir) {
			r = ovl_remove_upper_dir(fs, b->rel);
		} else if (!b->exists || b->layer != 0) {
			/* Only a whiteout (or nothing) may be in the way. */
			r = ovl_remove_whiteout(fs, b->rel);
		}
		if (r == 0 && b->exists && ovl_node_is_last_name(b->node, b->parent, b->name) &&
		    (b->node->open_count > 0 || b->st.st_nlink > 1))
			ovl_node_keep(fs, b->node, b->layer, b->rel);
		if (r == 0 && renameat(up, a->rel, up, b->rel) < 0)
			r = -errno;
		/* RENAME_WHITEOUT leaves a whiteout object (a 0/0 character
		 * device) at the old name, for the overlay that asked: stored
		 * escaped, and it also covers a lower name. Otherwise a lower
		 * name needs our own whiteout. */
		int wr = r == 0 && (flags & RENAME_WHITEOUT)
			     ? ovl_make_escaped_whiteout(fs, a->rel, 0)
			     : -ENOENT;
		if (wr == 0)
			wr = ovl_set_new_owner(fs, -1, a->rel, who->uid, who->gid, S_IFCHR);
		if (r == 0 && wr != 0 && a_lower)
			r = ovl_make_whiteout(fs, a->rel);
		if (r == 0 && wr != 0 && wr != -ENOENT)
			r = wr; /* renamed, but the requested whiteout is missing */
		if (r == 0 && a_dir && b_lower)
			r = ovl_set_opaque(fs, b->rel);
	}
	if (r < 0)
		return r;

	ovl_dir_cache_drop(a->parent);
	ovl_dir_cache_drop(b->parent);
	if (flags & RENAME_EXCHANGE) {
		r = ovl_node_rename_name(fs, a->node, a->parent, a->name, b->parent, b->name);
		/* b's node may have been renamed onto a's old name by now only
		 * if they were one node, which returned early above. */
		if (r == 0)
			r = ovl_node_rename_name(fs, b->node, b->parent, b->name, a->parent,
						 a->name);
		if (b_dir)
			ovl_node_invalidate_tree(fs, b->node);
	} else {
		if (b->exists) {
			if (!ovl_node_remove_name(fs, b->node, b->parent, b->name))
				b->node->loc_valid = false;
			else
				r = ovl_settle_links(fs, b->node);
		}
		if (r == 0)
			r = ovl_node_rename_name(fs, a->node, a->parent, a->name, b->parent,
						 b->name);
	}
	if (a_dir)
		ovl_node_invalidate_tree(fs, a->node);
	else
		a->node->loc_valid = false;
	return r;
}

void ovl_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		   const char *newname, unsigned int flags)
{
	struct ovl_fs *fs = ovl_fs_of(req);
	if (!fs->has_upper) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) ||
	    ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	struct side a = {.name = name}, b = {.name = newname};
	struct creator who;
	ovl_creator_ids(fs, req, &who.uid, &who.gid);
	pthread_rwlock_wrlock(&fs->tree_lock);
	a.parent = ovl_node_by_id(fs, parent);
	b.parent = ovl_node_by_id(fs, newparent);
	int r = a.parent == NULL || b.parent == NULL ? -ESTALE : do_rename(fs, &a, &b, flags, &who);
	if (a.node != NULL)
		ovl_node_unref(fs, a.node);
	if (b.node != NULL)
		ovl_node_unref(fs, b.node);
	pthread_rwlock_unlock(&fs->tree_lock);
	fuse_reply_err(req, -r);
}
