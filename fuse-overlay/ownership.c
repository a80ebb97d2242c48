/* Ownership as the merged view shows it: uidmapping/gidmapping translate
 * between the ids stored on the layers and the ids seen through the mount;
 * squash_* options replace them; with xattr_permissions the ownership and
 * mode a user without the right to chown cannot store for real is kept in
 * an xattr ("uid:gid:mode", the format of containers/storage) and shown
 * instead of the real one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ovl.h"

const char *ovl_override_xattr(const struct ovl_fs *fs)
{
	switch (fs->opts.xattr_permissions) {
	case 1:
		return OVL_XATTR_OVERRIDE_PRIV;
	case 2:
		return OVL_XATTR_OVERRIDE_USER;
	default:
		return NULL;
	}
}

bool ovl_xattr_is_private(const struct ovl_fs *fs, const char *name)
{
	if (strncmp(name, OVL_XATTR_PREFIX, sizeof(OVL_XATTR_PREFIX) - 1) == 0 ||
	    strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0)
		return true;
	const char *ox = ovl_override_xattr(fs);
	return ox != NULL && strcmp(name, ox) == 0;
}

struct override {
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

static int parse_override(const char *v, struct override *o)
{
	unsigned u, g, m;
	if (sscanf(v, "%u:%u:%o", &u, &g, &m) != 3)
		return -1;
	o->uid = u;
	o->gid = g;
	o->mode = m & 07777;
	return 0;
}

/* The override in v, len bytes as a getxattr call returned them (v has
 * room for one more). */
static int override_from(char *v, ssize_t len, struct override *o)
{
	if (len <= 0)
		return -1;
	v[len] = '\0';
	return parse_override(v, o);
}

static int read_override(const struct ovl_fs *fs, const char *abs, struct override *o)
{
	const char *ox = ovl_override_xattr(fs);
	char v[64];
	return ox == NULL ? -1 : override_from(v, lgetxattr(abs, ox, v, sizeof(v) - 1), o);
}

void ovl_present_stat(const struct ovl_fs *fs, int layer, const char *rel, struct stat *st)
{
	if (S_ISREG(st->st_mode) && st->st_size == 0 && layer >= 0 &&
	    ovl_is_escaped_whiteout(fs, layer, rel))
		ovl_present_as_whiteout_device(st);
	ovl_present_owner(fs, layer, rel, st);
}

void ovl_present_as_whiteout_device(struct stat *st)
{
	st->st_mode = S_IFCHR | (st->st_mode & 07777);
	st->st_rdev = makedev(0, 0);
}

void ovl_present_owner(const struct ovl_fs *fs, int layer, const char *rel, struct stat *st)
{
	struct override o;
	char abs[PATH_MAX];
	if (fs->opts.xattr_permissions != 0 && layer >= 0 && !S_ISLNK(st->st_mode) &&
	    ovl_abs_path(fs, layer, rel, abs, sizeof(abs)) == 0 &&
	    read_override(fs, abs, &o) == 0) {
		st->st_uid = o.uid;
		st->st_gid = o.gid;
		st->st_mode = (st->st_mode & S_IFMT) | o.mode;
	} else {
		st->st_uid = ovl_id_to_view(&fs->opts.uidmap, st->st_uid);
		st->st_gid = ovl_id_to_view(&fs->opts.gidmap, st->st_gid);
	}
	if (fs->opts.squash_to_root) {
		st->st_uid = 0;
		st->st_gid = 0;
	}
	if (fs->opts.squash_to_uid >= 0)
		st->st_uid = (uid_t)fs->opts.squash_to_uid;
	if (fs->opts.squash_to_gid >= 0)
		st->st_gid = (gid_t)fs->opts.squash_to_gid;
}

void ovl_creator_ids(const struct ovl_fs *fs, fuse_req_t req, uid_t *uid, gid_t *gid)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	*uid = ctx->uid;
	*gid = ctx->gid;
}

/* The file an ownership change goes to: a name in upper (a symlink there
 * is not followed) or, for a file without a name (O_TMPFILE), its fd
 * reached through /proc (which has to be followed). The *at calls go from
 * the upper layer's fd, a shorter walk than the absolute path the xattr
 * calls (which have no *at form) need. */
struct target {
	char path[PATH_MAX];
	bool by_fd;
	int dirfd;
	const char *name; /* relative to dirfd */
	int at_flags;
};

static int target_of(const struct ovl_fs *fs, int fd, const char *rel, struct target *t)
{
	t->by_fd = rel == NULL;
	if (t->by_fd) {
		snprintf(t->path, sizeof(t->path), "/proc/self/fd/%d", fd);
		t->dirfd = AT_FDCWD;
		t->name = t->path;
		t->at_flags = 0;
		return 0;
	}
	t->dirfd = fs->layers[0].fd;
	t->name = rel;
	t->at_flags = AT_SYMLINK_NOFOLLOW;
	return ovl_abs_path(fs, 0, rel, t->path, sizeof(t->path));
}

static int target_stat(const struct target *t, struct stat *st)
{
	return fstatat(t->dirfd, t->name, st, t->at_flags);
}

static int target_read_override(const struct ovl_fs *fs, const struct target *t, struct override *o)
{
	const char *ox = ovl_override_xattr(fs);
	if (ox == NULL)
		return -1;
	if (!t->by_fd)
		return read_override(fs, t->path, o);
	char v[64];
	return override_from(v, getxattr(t->path, ox, v, sizeof(v) - 1), o);
}

/* The xattr's value: "uid:gid:mode", mode in octal. */
static size_t format_override(char v[64], uid_t uid, gid_t gid, mode_t mode)
{
	return (size_t)snprintf(v, 64, "%u:%u:0%o", (unsigned)uid, (unsigned)gid,
				(unsigned)(mode & 07777));
}

static int write_override(const struct ovl_fs *fs, const struct target *t, uid_t uid, gid_t gid,
			  mode_t mode)
{
	char v[64];
	size_t n = format_override(v, uid, gid, mode);
	const char *ox = ovl_override_xattr(fs);
	if ((t->by_fd ? setxattr(t->path, ox, v, n, 0) : lsetxattr(t->path, ox, v, n, 0)) < 0)
		return -errno;
	return 0;
}

static int target_chown(const struct target *t, uid_t uid, gid_t gid)
{
	return fchownat(t->dirfd, t->name, uid, gid, t->at_flags);
}

/* The real mode of a file whose presented mode lives in the xattr: the
 * owner (us) keeps read and write (and search on directories) so the daemon
 * can still serve it. */
static mode_t real_mode_for(mode_t type, mode_t mode)
{
	return (mode & 07777) | S_IRUSR | S_IWUSR | (S_ISDIR(type) ? S_IXUSR : 0);
}

int ovl_set_new_owner(struct ovl_fs *fs, int fd, const char *rel, uid_t view_uid, gid_t view_gid,
		      mode_t mode)
{
	struct target t;
	if (target_of(fs, fd, rel, &t) < 0)
		return -ENAMETOOLONG;
	if (fs->opts.xattr_permissions != 0 && !S_ISLNK(mode)) {
		if (fd >= 0 ? fchmod(fd, real_mode_for(mode, mode)) < 0
			    : fchmodat(fs->layers[0].fd, rel, real_mode_for(mode, mode), 0) < 0)
			return -errno;
		return write_override(fs, &t, view_uid, view_gid, mode);
	}
	uid_t hu = ovl_id_to_host(&fs->opts.uidmap, view_uid);
	gid_t hg = ovl_id_to_host(&fs->opts.gidmap, view_gid);
	if (hu == fs->euid && hg == fs->egid)
		return 0;
	if (target_chown(&t, hu, hg) < 0) {
		/* Creating as an id we cannot own (a user without a subuid
		 * range): the file stays ours, as on any filesystem that
		 * ignores ownership. */
		if (errno == EPERM || errno == EINVAL)
			return 0;
		return -errno;
	}
	return 0;
}

int ovl_chown(struct ovl_fs *fs, int fd, const char *rel, bool is_link, uid_t view_uid,
	      gid_t view_gid)
{
	struct target t;
	if (target_of(fs, fd, rel, &t) < 0)
		return -ENAMETOOLONG;
	if (fs->opts.xattr_permissions != 0 && !is_link) {
		struct stat st;
		if (target_stat(&t, &st) < 0)
			return -errno;
		struct override o;
		if (target_read_override(fs, &t, &o) < 0) {
			o.uid = ovl_id_to_view(&fs->opts.uidmap, st.st_uid);
			o.gid = ovl_id_to_view(&fs->opts.gidmap, st.st_gid);
			o.mode = st.st_mode & 07777;
		}
		if (view_uid != (uid_t)-1)
			o.uid = view_uid;
		if (view_gid != (gid_t)-1)
			o.gid = view_gid;
		/* chown drops set-id bits, as the kernel does on a real chown. */
		if (!S_ISDIR(st.st_mode))
			o.mode &= ~(mode_t)(S_ISUID | S_ISGID);
		return write_override(fs, &t, o.uid, o.gid, o.mode);
	}
	uid_t hu = view_uid == (uid_t)-1 ? (uid_t)-1 : ovl_id_to_host(&fs->opts.uidmap, view_uid);
	gid_t hg = view_gid == (gid_t)-1 ? (gid_t)-1 : ovl_id_to_host(&fs->opts.gidmap, view_gid);
	if (target_chown(&t, hu, hg) < 0)
		return -errno;
	return 0;
}

int ovl_chmod(struct ovl_fs *fs, int fd, const char *rel, mode_t type, mode_t mode)
{
	if (S_ISLNK(type))
		return 0;
	struct target t;
	if (target_of(fs, fd, rel, &t) < 0)
		return -ENAMETOOLONG;
	if (fs->opts.xattr_permissions != 0) {
		struct stat st;
		if (target_stat(&t, &st) < 0)
			return -errno;
		struct override o;
		if (target_read_override(fs, &t, &o) < 0) {
			o.uid = ovl_id_to_view(&fs->opts.uidmap, st.st_uid);
			o.gid = ovl_id_to_view(&fs->opts.gidmap, st.st_gid);
		}
		if (fchmodat(t.dirfd, t.name, real_mode_for(type, mode), 0) < 0)
			return -errno;
		return write_override(fs, &t, o.uid, o.gid, mode);
	}
	if (fchmodat(t.dirfd, t.name, mode & 07777, 0) < 0)
		return -errno;
	return 0;
}

/* The bits a write clears from mode: set-user-ID, and set-group-ID when
 * group execute is set (without it the bit marks mandatory locking and
 * stays), as the kernel does for a writer without CAP_FSETID. */
static mode_t write_cleared_bits(mode_t mode)
{
	mode_t bits = mode & S_ISUID;
	if ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		bits |= S_ISGID;
	return bits;
}

static int fd_read_override(const struct ovl_fs *fs, int fd, struct override *o)
{
	const char *ox = ovl_override_xattr(fs);
	char v[64];
	return ox == NULL ? -1 : override_from(v, fgetxattr(fd, ox, v, sizeof(v) - 1), o);
}

mode_t ovl_fd_write_cleared_bits(const struct ovl_fs *fs, int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	mode_t bits = write_cleared_bits(st.st_mode);
	struct override o;
	if (fs->opts.xattr_permissions != 0 && fd_read_override(fs, fd, &o) == 0)
		bits |= write_cleared_bits(o.mode);
	return bits;
}

int ovl_fd_clear_mode_bits(const struct ovl_fs *fs, int fd, mode_t bits)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	/* The layer's own write or truncate cleared the real bits already,
	 * unless the daemon holds CAP_FSETID (real root). */
	if ((st.st_mode & bits) != 0 && fchmod(fd, st.st_mode & 07777 & ~bits) < 0)
		return -errno;
	struct override o;
	if (fs->opts.xattr_permissions != 0 && fd_read_override(fs, fd, &o) == 0 &&
	    (o.mode & bits) != 0) {
		char v[64];
		size_t n = format_override(v, o.uid, o.gid, o.mode & ~bits);
		if (fsetxattr(fd, ovl_override_xattr(fs), v, n, 0) < 0)
			return -errno;
	}
	return 0;
}
