/* docker cp inside the user sandbox.
 *
 * The helper joins the sandbox and finds the container's root file
 * system: for a running container its own mount namespace (what the
 * container sees, its /etc files and volumes included), else the overlay
 * its monitor mounted (in the sandbox's mount namespace, or in the user's
 * view without a sandbox); for a stopped one it mounts the same overlay
 * itself with hutch-overlay in a private mount namespace, so nobody else
 * sees it, and unmounts it when done. Every path is resolved inside that root
 * (openat2 RESOLVE_IN_ROOT): the container's symlinks and ".." can
 * never lead out of it. Files are read and written through descriptors;
 * the final component of a path is never followed, as Docker does. */
#include "helper-archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "find-program.h"
#include "json-util.h"
#include "log.h"
#include "overlay-options.h"
#include "sandbox-join.h"
#include "path-util.h"
#include "sandbox.h"
#include "timefmt.h"
#include "unpack.h"

/* ------------------------------------------------ the container's root */

static bool is_mountpoint(const char *path)
{
	struct stat st, parent;
	char up[PATH_MAX];
	snprintf(up, sizeof(up), "%s/..", path);
	return stat(path, &st) == 0 && stat(up, &parent) == 0 && st.st_dev != parent.st_dev;
}

/* The options the monitor mounts the container's rootfs with
 * (monitor.json's lower, upper and work). */
static int overlay_options(json_object *layout, char *buf, size_t size, hutch_error *err)
{
	_cleanup_strv_ char **lower = NULL;
	size_t n_lower = 0;
	struct overlay_layout l = {0};
	if (json_get_strv(layout, "monitor.json", "lower", true, &lower, &n_lower, err) < 0 ||
	    json_get_string(layout, "monitor.json", "upper", true, &l.upper, err) < 0 ||
	    json_get_string(layout, "monitor.json", "work", true, &l.work, err) < 0)
		return -1;
	l.lower = lower;
	l.n_lower = n_lower;
	/* Ownership that a single uid cannot store is kept in xattrs. */
	l.xattr_permissions = sandbox_maps_single_uid();
	return overlay_options_build(&l, buf, size, err);
}

/* Without a sandbox: a user namespace of our own (the user as root) so
 * that a private mount namespace and a FUSE mount are allowed. */
static int own_user_namespace(hutch_error *err)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return hutch_fail(err, errno,
				  "a stopped container's files need a user namespace: unshare");
	char map[64];
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (write_file_string("/proc/self/setgroups", "deny", err) < 0 ||
	    write_file_string("/proc/self/uid_map", map, err) < 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	return write_file_string("/proc/self/gid_map", map, err);
}

/* Mount the stopped container's overlay where only we see it. */
static int mount_private(json_object *layout, bool own_userns, struct ctr_fs *fs, hutch_error *err)
{
	char options[16384], program[PATH_MAX];
	const char *rootfs = NULL;
	if (json_get_string(layout, "monitor.json", "rootfs", true, &rootfs, err) < 0 ||
	    overlay_options(layout, options, sizeof(options), err) < 0 ||
	    find_program_near_self("hutch-overlay", program, sizeof(program), err) < 0)
		return -1;
	if (own_userns ? own_user_namespace(err) < 0 : unshare(CLONE_NEWNS) < 0)
		return err->errnum ? -1 : hutch_fail(err, errno, "unshare a mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return hutch_fail(err, errno, "make our mounts private");
	snprintf(fs->mnt, sizeof(fs->mnt), "%s", rootfs);
	/* A container that never ran has no writable layer yet. */
	const char *upper = NULL, *work = NULL;
	if (json_get_string(layout, "monitor.json", "upper", true, &upper, err) < 0 ||
	    json_get_string(layout, "monitor.json", "work", true, &work, err) < 0 ||
	    mkdir_parents(upper, 0700, err) < 0 || mkdir_parents(work, 0700, err) < 0 ||
	    mkdir_parents(fs->mnt, 0700, err) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return hutch_fail(err, errno, "fork");
	if (pid == 0) {
		/* It serves the mount in the foreground and goes with us. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 0);
		dup2(null, 1);
		execl(program, "hutch-overlay", "-f", "-o", options, "hutch-cp", fs->mnt,
		      (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", program, strerror(errno));
		_exit(127);
	}
	fs->overlay_pid = pid;
	for (int i = 0; i < 1000; i++) {
		if (is_mountpoint(fs->mnt))
			return 0;
		int status = 0;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fs->overlay_pid = 0;
			return hutch_fail_plain(err, EIO, "hutch-overlay could not mount %s",
						fs->mnt);
		}
		usleep(10 * 1000);
	}
	return hutch_fail_plain(err, ETIMEDOUT, "hutch-overlay did not mount %s in 10 s", fs->mnt);
}

/* A running container's own mount namespace: its root with everything
 * mounted on it (the /etc files hutchd writes, volumes). Its pid was read
 * by hutchd; if the container has gone since, setns fails. */
static int join_container_mounts(pid_t ctr_pid, struct ctr_fs *fs)
{
	char ns[64];
	snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)ctr_pid);
	_cleanup_close_ int nsfd = open(ns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNS) < 0)
		return -1;
	fs->rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fs->rootfd < 0 ? -1 : 0;
}

int enter_container_fs(pid_t holder, const char *ctr_dir, pid_t ctr_pid, struct ctr_fs *fs,
		       hutch_error *err)
{
	fs->rootfd = -1;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/monitor.json", ctr_dir);
	_cleanup_json_ json_object *layout = NULL;
	const char *rootfs = NULL;
	if (json_read_file(path, &layout, err) < 0 ||
	    json_get_string(layout, "monitor.json", "rootfs", true, &rootfs, err) < 0)
		return -1;
	/* libarchive is loaded on first use (lazy-libs.c): from our own file
	 * system, before the container's may be the only one we see. */
	archive_read_free(archive_read_new());
	if (holder > 0 && sandbox_join(holder, err) < 0)
		return -1;
	if (ctr_pid > 0 && holder > 0 && join_container_mounts(ctr_pid, fs) == 0)
		return 0;
	/* Without a sandbox the monitor mounted the overlay in the user's
	 * own view. A container that stopped meanwhile has an empty rootfs/
	 * left: its files are then read through our own mount. */
	if (!(ctr_pid > 0 && is_mountpoint(rootfs)) &&
	    mount_private(layout, holder <= 0, fs, err) < 0)
		return -1;
	fs->rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->rootfd < 0)
		return hutch_fail(err, errno, "open %s", rootfs);
	return 0;
}

void leave_container_fs(struct ctr_fs *fs)
{
	if (fs->rootfd >= 0)
		close(fs->rootfd);
	if (fs->overlay_pid <= 0)
		return;
	if (umount2(fs->mnt, 0) < 0 && umount2(fs->mnt, MNT_DETACH) < 0)
		log_warning("unmount %s: %s", fs->mnt, strerror(errno));
	/* hutch-overlay exits once unmounted; a stuck one is killed. */
	for (int i = 0; i < 200; i++) {
		if (waitpid(fs->overlay_pid, NULL, WNOHANG) == fs->overlay_pid)
			return;
		usleep(10 * 1000);
	}
	kill(fs->overlay_pid, SIGKILL);
	waitpid(fs->overlay_pid, NULL, 0);
}

/* ------------------------------------------------------- the target */

struct target {
	int parentfd;
	char base[NAME_MAX + 1];    /* in parentfd; "." for the directory itself */
	char arcname[NAME_MAX + 1]; /* the top name in the archive */
	char dir[PATH_MAX];	    /* the parent's path in the container */
	char path[PATH_MAX];	    /* the whole path, cleaned */
	struct stat st;
};

/* Docker's rules: the last component is not followed, unless the path
 * ends in "/" or "/." (then it must be a directory); "/." archives a
 * directory's contents under ".". Relative paths start at the root. */
static int resolve_target(int rootfd, const char *path, struct target *t, hutch_error *err)
{
	memset(t, 0, sizeof(*t));
	t->parentfd = -1;
	size_t plen = strlen(path);
	bool dot = plen >= 2 && strcmp(path + plen - 2, "/.") == 0;
	bool whole = dot || (plen > 0 && path[plen - 1] == '/') || strcmp(path, ".") == 0;
	char abs[PATH_MAX + 2];
	snprintf(abs, sizeof(abs), "%s%s", path[0] == '/' ? "" : "/", path);
	_cleanup_free_ char *clean = path_clean(abs);
	if (clean == NULL)
		return hutch_fail_plain(err, ENOMEM, "out of memory");
	snprintf(t->path, sizeof(t->path), "%s", clean);
	const char *slash = strrchr(clean, '/');
	if (strcmp(clean, "/") == 0 || whole) {
		t->parentfd = path_open_in_root(rootfd, clean, O_PATH | O_DIRECTORY, 0, err);
		snprintf(t->base, sizeof(t->base), ".");
		snprintf(t->arcname, sizeof(t->arcname), "%s",
			 dot || strcmp(clean, "/") == 0 ? "." : slash + 1);
		snprintf(t->dir, sizeof(t->dir), "%s", clean);
	} else {
		snprintf(t->dir, sizeof(t->dir), "%.*s", (int)(slash - clean), clean);
		if (t->dir[0] == '\0')
			snprintf(t->dir, sizeof(t->dir), "/");
		snprintf(t->base, sizeof(t->base), "%s", slash + 1);
		snprintf(t->arcname, sizeof(t->arcname), "%s", slash + 1);
		t->parentfd = path_open_in_root(rootfd, t->dir, O_PATH | O_DIRECTORY, 0, err);
	}
	if (t->parentfd < 0)
		return -1;
	if (fstatat(t->parentfd, t->base, &t->st, AT_SYMLINK_NOFOLLOW) < 0)
		return hutch_fail(err, errno, "stat %s", path);
	return 0;
}

/* Go's os.FileMode bits, which the docker CLI decodes. */
static uint32_t go_file_mode(mode_t m)
{
	uint32_t g = m & 0777;
	if (m & S_ISUID)
		g |= 1u << 23;
	if (m & S_ISGID)
		g |= 1u << 22;
	if (m & S_ISVTX)
		g |= 1u << 20;
	switch (m & S_IFMT) {
	case S_IFDIR:
		g |= 1u << 31;
		break;
	case S_IFLNK:
		g |= 1u << 27;
		break;
	case S_IFIFO:
		g |= 1u << 25;
		break;
	case S_IFSOCK:
		g |= 1u << 24;
		break;
	case S_IFCHR:
		g |= (1u << 26) | (1u << 21);
		break;
	case S_IFBLK:
		g |= 1u << 26;
		break;
	}
	return g;
}

/* The X-Docker-Container-Path-Stat document. */
static char *stat_json(const struct target *t)
{
	char mtime[RFC3339_NANO_LEN], link[PATH_MAX] = "";
	format_rfc3339_nano((int64_t)t->st.st_mtim.tv_sec * 1000000000 + t->st.st_mtim.tv_nsec,
			    mtime);
	if (S_ISLNK(t->st.st_mode)) {
		char raw[PATH_MAX];
		ssize_t n = readlinkat(t->parentfd, t->base, raw, sizeof(raw) - 1);
		if (n > 0) {
			raw[n] = '\0';
			char joined[PATH_MAX * 2];
			snprintf(joined, sizeof(joined), "%s/%s", raw[0] == '/' ? "" : t->dir, raw);
			_cleanup_free_ char *clean = path_clean(joined);
			snprintf(link, sizeof(link), "%s", clean ? clean : raw);
		}
	}
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(t->arcname));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)t->st.st_size));
	json_object_object_add(o, "mode", json_object_new_int64(go_file_mode(t->st.st_mode)));
	json_object_object_add(o, "mtime", json_object_new_string(mtime));
	json_object_object_add(o, "linkTarget", json_object_new_string(link));
	return strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* ---------------------------------------------------------- archive-get */

struct tar_writer {
	struct archive *a;
	struct seen_link {
		dev_t dev;
		ino_t ino;
		char *name;
	} * links;
	size_t n_links, cap_links;
	char buf[65536];
};

static int archive_fail(struct archive *a, const char *what, hutch_error *err)
{
	return hutch_fail_plain(err, EIO, "%s: %s", what, archive_error_string(a));
}

/* The first name of a multiply linked file; later ones become links. */
static const char *remember_link(struct tar_writer *w, const struct stat *st, const char *name)
{
	for (size_t i = 0; i < w->n_links; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
			return w->links[i].name;
	if (w->n_links == w->cap_links) {
		size_t ncap = w->cap_links ? w->cap_links * 2 : 16;
		struct seen_link *n = realloc(w->links, ncap * sizeof(*n));
		if (n == NULL)
			return NULL;
		w->links = n;
		w->cap_links = ncap;
	}
	w->links[w->n_links++] = (struct seen_link){st->st_dev, st->st_ino, strdup(name)};
	return NULL;
}

static int copy_file_data(struct tar_writer *w, int fd, off_t size, const char *name,
			  hutch_error *err)
{
	off_t left = size;
	while (left > 0) {
		size_t want = left < (off_t)sizeof(w->buf) ? (size_t)left : sizeof(w->buf);
		ssize_t n = read(fd, w->buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hutch_fail(err, errno, "read %s", name);
		if (n == 0) {
			/* It shrank while we read: pad, the header said size. */
			memset(w->buf, 0, want);
			n = (ssize_t)want;
		}
		if (archive_write_data(w->a, w->buf, (size_t)n) < 0)
			return archive_fail(w->a, "write the archive", err);
		left -= n;
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int tar_add(struct tar_writer *w, int dirfd, const char *name, const char *arcname,
		   hutch_error *err);

static int tar_add_children(struct tar_writer *w, int dfd, const char *arcname, hutch_error *err)
{
	DIR *dir = fdopendir(dfd);
	if (dir == NULL) {
		close(dfd);
		return hutch_fail(err, errno, "open directory %s", arcname);
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (nn == NULL) {
				rc = hutch_fail_plain(err, ENOMEM, "out of memory");
				break;
			}
			names = nn;
		}
		names[n++] = strdup(de->d_name);
	}
	/* Sorted, so the same tree always gives the same archive. */
	if (rc == 0 && n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char child[PATH_MAX];
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", arcname, names[i]) >=
		    sizeof(child))
			rc = hutch_fail_plain(err, ENAMETOOLONG, "%s/%s: name too long", arcname,
					      names[i]);
		else
			rc = tar_add(w, dirfd(dir), names[i], child, err);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return rc;
}

static int tar_add(struct tar_writer *w, int dirfd, const char *name, const char *arcname,
		   hutch_error *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : hutch_fail(err, errno, "stat %s", arcname);
	if (S_ISSOCK(st.st_mode))
		return 0; /* tar has no sockets */
	struct archive_entry *e = archive_entry_new();
	if (e == NULL)
		return hutch_fail_plain(err, ENOMEM, "out of memory");
	archive_entry_set_pathname(e, arcname);
	archive_entry_set_perm(e, st.st_mode & 07777);
	archive_entry_set_uid(e, st.st_uid);
	archive_entry_set_gid(e, st.st_gid);
	archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	_cleanup_close_ int fd = -1;
	int rc = 0;
	switch (st.st_mode & S_IFMT) {
	case S_IFREG: {
		archive_entry_set_filetype(e, AE_IFREG);
		const char *first = st.st_nlink > 1 ? remember_link(w, &st, arcname) : NULL;
		if (first != NULL) {
			archive_entry_set_hardlink(e, first);
			archive_entry_set_size(e, 0);
			break;
		}
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			rc = hutch_fail(err, errno, "open %s", arcname);
		archive_entry_set_size(e, st.st_size);
		break;
	}
	case S_IFDIR:
		archive_entry_set_filetype(e, AE_IFDIR);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			rc = hutch_fail(err, errno, "open %s", arcname);
		break;
	case S_IFLNK: {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		if (n < 0) {
			rc = hutch_fail(err, errno, "readlink %s", arcname);
			break;
		}
		target[n] = '\0';
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, target);
		break;
	}
	case S_IFIFO:
		archive_entry_set_filetype(e, AE_IFIFO);
		break;
	default: /* character and block devices */
		archive_entry_set_filetype(e, S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
		archive_entry_set_rdevmajor(e, major(st.st_rdev));
		archive_entry_set_rdevminor(e, minor(st.st_rdev));
		break;
	}
	if (rc == 0 && archive_write_header(w->a, e) != ARCHIVE_OK)
		rc = archive_fail(w->a, "write the archive", err);
	archive_entry_free(e);
	if (rc < 0)
		return rc;
	if (S_ISREG(st.st_mode) && fd >= 0)
		return copy_file_data(w, fd, st.st_size, arcname, err);
	if (S_ISDIR(st.st_mode)) {
		int dfd = fd;
		fd = -1;
		return tar_add_children(w, dfd, arcname, err);
	}
	return 0;
}

static int archive_get(const struct target *t, hutch_error *err)
{
	struct tar_writer *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return hutch_fail_plain(err, ENOMEM, "out of memory");
	w->a = archive_write_new();
	int rc = 0;
	if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(w->a, STDOUT_FILENO) != ARCHIVE_OK)
		rc = archive_fail(w->a, "start the archive", err);
	if (rc == 0)
		rc = tar_add(w, t->parentfd, t->base, t->arcname, err);
	/* A failure leaves the archive unterminated, so it cannot pass for a
	 * complete one. */
	if (rc == 0 && archive_write_close(w->a) != ARCHIVE_OK)
		rc = archive_fail(w->a, "finish the archive", err);
	archive_write_free(w->a);
	for (size_t i = 0; i < w->n_links; i++)
		free(w->links[i].name);
	free(w->links);
	free(w);
	return rc;
}

/* ---------------------------------------------------------- archive-put */

struct dir_time {
	char *path;
	struct timespec mtime;
};

struct extractor {
	int rootfd;
	const char *dest; /* cleaned, in the container */
	bool no_overwrite_dir_non_dir, copy_uid_gid;
	bool chown_warned;
	struct dir_time *dirs;
	size_t n_dirs, cap_dirs;
	char buf[65536];
};

/* An entry's name below dest: "./a//b" -> "a/b"; ".." is refused. */
static int entry_name(const char *raw, char *out, size_t size, hutch_error *err)
{
	_cleanup_free_ char *clean = NULL;
	char abs[PATH_MAX + 2];
	snprintf(abs, sizeof(abs), "/%s", raw);
	for (const char *p = raw; *p != '\0';) {
		size_t n = strcspn(p, "/");
		if (n == 2 && strncmp(p, "..", 2) == 0)
			return hutch_fail_plain(err, EINVAL,
						"archive entry \"%s\": \"..\" is not allowed", raw);
		p += n + (p[n] == '/');
	}
	clean = path_clean(abs);
	if (clean == NULL)
		return hutch_fail_plain(err, ENOMEM, "out of memory");
	snprintf(out, size, "%s", clean + 1);
	return 0;
}

static void remember_dir_time(struct extractor *x, const char *path, struct archive_entry *e)
{
	if (x->n_dirs == x->cap_dirs) {
		size_t ncap = x->cap_dirs ? x->cap_dirs * 2 : 32;
		struct dir_time *n = realloc(x->dirs, ncap * sizeof(*n));
		if (n == NULL)
			return;
		x->dirs = n;
		x->cap_dirs = ncap;
	}
	x->dirs[x->n_dirs++] =
	    (struct dir_time){strdup(path), {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
}

/* Make room for the new entry: Docker's rules for what may replace what. */
static int clear_place(struct extractor *x, int parentfd, const char *base, const char *path,
		       mode_t type, bool *keep_dir, hutch_error *err)
{
	struct stat st;
	*keep_dir = false;
	if (fstatat(parentfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : hutch_fail(err, errno, "stat %s", path);
	bool new_dir = type == AE_IFDIR;
	if (S_ISDIR(st.st_mode) && new_dir) {
		*keep_dir = true;
		return 0;
	}
	if (x->no_overwrite_dir_non_dir && S_ISDIR(st.st_mode) != new_dir)
		return hutch_fail_plain(err, EINVAL,
					new_dir ? "cannot overwrite non-directory \"%s\" with "
						  "directory \"%s\""
						: "cannot overwrite directory \"%s\" with "
						  "non-directory \"%s\"",
					path, path);
	if (S_ISDIR(st.st_mode))
		return tree_remove_at(parentfd, base, err);
	if (unlinkat(parentfd, base, 0) < 0)
		return hutch_fail(err, errno, "remove %s", path);
	return 0;
}

static int write_entry_data(struct extractor *x, struct archive *a, int fd, const char *path,
			    hutch_error *err)
{
	for (;;) {
		la_ssize_t n = archive_read_data(a, x->buf, sizeof(x->buf));
		if (n == 0)
			return 0;
		if (n < 0)
			return hutch_fail_plain(err, EINVAL, "read the archive at %s: %s", path,
						archive_error_string(a));
		if (write_all(fd, x->buf, (size_t)n) < 0)
			return hutch_fail(err, errno, "write %s", path);
	}
}

/* The link's target is opened by its parent, and linked by name without
 * following it: no /proc needed (the container's /proc does not show us). */
static int make_hard_link(struct extractor *x, const char *target_raw, int parentfd,
			  const char *base, const char *path, hutch_error *err)
{
	char rel[PATH_MAX], target[PATH_MAX * 2];
	if (entry_name(target_raw, rel, sizeof(rel), err) < 0)
		return -1;
	if (rel[0] == '\0')
		return hutch_fail_plain(err, EINVAL, "hard link %s to the destination itself",
					path);
	snprintf(target, sizeof(target), "%s/%s", strcmp(x->dest, "/") == 0 ? "" : x->dest, rel);
	char *slash = strrchr(target, '/');
	*slash = '\0';
	_cleanup_close_ int tdir =
	    path_open_in_root(x->rootfd, target[0] ? target : "/", O_PATH | O_DIRECTORY, 0, err);
	if (tdir < 0)
		return hutch_error_prefix(err, "hard link %s", path);
	if (linkat(tdir, slash + 1, parentfd, base, 0) < 0)
		return hutch_fail(err, errno, "hard link %s to %s/%s", path, target, slash + 1);
	return 0;
}

static int extract_entry(struct extractor *x, struct archive *a, struct archive_entry *e,
			 hutch_error *err)
{
	char rel[PATH_MAX], path[PATH_MAX * 2];
	if (entry_name(archive_entry_pathname(e), rel, sizeof(rel), err) < 0)
		return -1;
	if (rel[0] == '\0')
		return 0; /* "." is the destination itself, which exists */
	snprintf(path, sizeof(path), "%s/%s", strcmp(x->dest, "/") == 0 ? "" : x->dest, rel);
	char parent[PATH_MAX * 2];
	snprintf(parent, sizeof(parent), "%s", path);
	char *slash = strrchr(parent, '/');
	const char *base = path + (slash - parent) + 1;
	*slash = '\0';
	_cleanup_close_ int pfd =
	    path_mkdir_in_root(x->rootfd, parent[0] ? parent : "/", 0755, err);
	if (pfd < 0)
		return -1;
	mode_t type = archive_entry_filetype(e);
	mode_t perm = archive_entry_perm(e) & 07777;
	const char *hardlink = archive_entry_hardlink(e);
	bool keep_dir = false;
	if (clear_place(x, pfd, base, path, hardlink ? AE_IFREG : type, &keep_dir, err) < 0)
		return -1;
	if (hardlink != NULL)
		return make_hard_link(x, hardlink, pfd, base, path, err);
	switch (type) {
	case AE_IFDIR:
		if (!keep_dir && mkdirat(pfd, base, 0700) < 0)
			return hutch_fail(err, errno, "mkdir %s", path);
		remember_dir_time(x, path, e);
		break;
	case AE_IFREG: {
		_cleanup_close_ int fd =
		    openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return hutch_fail(err, errno, "create %s", path);
		if (write_entry_data(x, a, fd, path, err) < 0)
			return -1;
		break;
	}
	case AE_IFLNK:
		if (symlinkat(archive_entry_symlink(e), pfd, base) < 0)
			return hutch_fail(err, errno, "symlink %s", path);
		break;
	case AE_IFIFO:
		if (mkfifoat(pfd, base, 0600) < 0)
			return hutch_fail(err, errno, "mkfifo %s", path);
		break;
	default:
		/* No mknod in a user namespace; sockets are not archived. */
		log_warning("%s: device or socket entry skipped", path);
		return 0;
	}
	if (x->copy_uid_gid &&
	    fchownat(pfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
		     AT_SYMLINK_NOFOLLOW) < 0 &&
	    !x->chown_warned) {
		log_warning("%s: keeping the owner root: %s (ids not mapped in the sandbox)", path,
			    strerror(errno));
		x->chown_warned = true;
	}
	if (type != AE_IFLNK && fchmodat(pfd, base, perm, 0) < 0)
		return hutch_fail(err, errno, "chmod %s", path);
	struct timespec times[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
				    {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
	if (type != AE_IFDIR)
		utimensat(pfd, base, times, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static void apply_dir_times(struct extractor *x)
{
	/* Last, as every entry written into a directory changes its time. */
	for (size_t i = x->n_dirs; i > 0; i--) {
		struct dir_time *d = &x->dirs[i - 1];
		hutch_error err = {0};
		int fd = d->path ? path_open_in_root(x->rootfd, d->path,
						     O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, &err)
				 : -1;
		if (fd >= 0) {
			struct timespec t[2] = {d->mtime, d->mtime};
			futimens(fd, t);
			close(fd);
		}
		free(d->path);
	}
	free(x->dirs);
}

static int archive_put(int rootfd, const struct target *t, const char *path, bool no_overwrite,
		       bool copy_uid_gid, hutch_error *err)
{
	/* The destination is followed to the end, as Docker does. */
	struct stat st;
	if (fstatat(t->parentfd, t->base, &st, 0) < 0)
		return hutch_fail(err, errno, "stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return hutch_fail_plain(err, ENOTDIR, "extraction point is not a directory");
	struct extractor *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return hutch_fail_plain(err, ENOMEM, "out of memory");
	x->rootfd = rootfd;
	x->dest = t->path;
	x->no_overwrite_dir_non_dir = no_overwrite;
	x->copy_uid_gid = copy_uid_gid;
	struct archive *a = archive_read_new();
	/* Docker's compressions, and only where libarchive has them built
	 * in: its fallback runs an external program (ARCHIVE_WARN), which
	 * here would be found in the container's file system. */
	int (*const filters[])(struct archive *) = {archive_read_support_filter_gzip,
						    archive_read_support_filter_bzip2,
						    archive_read_support_filter_xz};
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		/* Registered even when it warns: ask a throwaway reader first. */
		struct archive *probe = archive_read_new();
		bool built_in = filters[i](probe) == ARCHIVE_OK;
		archive_read_free(probe);
		if (built_in)
			filters[i](a);
		else
			log_warning("a compression of docker cp is not built into libarchive");
	}
	archive_read_support_format_tar(a);
	int rc = 0;
	if (archive_read_open_fd(a, STDIN_FILENO, 65536) != ARCHIVE_OK)
		rc = hutch_fail_plain(err, EINVAL, "read the archive: %s", archive_error_string(a));
	struct archive_entry *e;
	while (rc == 0) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = hutch_fail_plain(err, EINVAL, "read the archive: %s",
					      archive_error_string(a));
			break;
		}
		rc = extract_entry(x, a, e, err);
	}
	archive_read_free(a);
	apply_dir_times(x);
	free(x);
	return rc;
}

/* --------------------------------------------------------------- main */

static int exit_status(const hutch_error *err)
{
	switch (err->errnum) {
	case ENOENT:
		return ARCHIVE_EXIT_NOT_FOUND;
	case ENOTDIR:
		return ARCHIVE_EXIT_NOT_DIR;
	case EINVAL:
	case ENAMETOOLONG:
	case ELOOP:
		return ARCHIVE_EXIT_BAD_INPUT;
	default:
		return 1;
	}
}

int helper_archive_main(int argc, char **argv)
{
	hutch_error err = {0};
	if (argc < 7) {
		fprintf(stderr, "usage: hutchd __helper archive-OP HOLDER CTR_DIR CTR_PID PATH\n");
		return 1;
	}
	const char *op = argv[2], *path = argv[6];
	pid_t holder = (pid_t)atoi(argv[3]), ctr_pid = (pid_t)atoi(argv[5]);
	bool no_overwrite = argc > 7 && strcmp(argv[7], "1") == 0;
	bool copy_uid_gid = argc > 8 && strcmp(argv[8], "1") == 0;
	struct ctr_fs fs = {.rootfd = -1};
	struct target t = {.parentfd = -1};
	int rc = enter_container_fs(holder, argv[4], ctr_pid, &fs, &err);
	/* Files keep exactly the modes the archive asks for. */
	umask(0);
	if (rc == 0)
		rc = resolve_target(fs.rootfd, path, &t, &err);
	if (rc == 0 && strcmp(op, "archive-put") == 0) {
		rc = archive_put(fs.rootfd, &t, path, no_overwrite, copy_uid_gid, &err);
	} else if (rc == 0) {
		_cleanup_free_ char *st = stat_json(&t);
		if (st == NULL || write_all(STDOUT_FILENO, st, strlen(st)) < 0 ||
		    write_all(STDOUT_FILENO, "\n", 1) < 0)
			rc = hutch_fail(&err, errno ? errno : ENOMEM, "write the stat");
		if (rc == 0 && strcmp(op, "archive-get") == 0)
			rc = archive_get(&t, &err);
	}
	if (t.parentfd >= 0)
		close(t.parentfd);
	leave_container_fs(&fs);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return exit_status(&err);
	}
	return 0;
}
