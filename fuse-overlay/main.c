/* hutch-overlay: a FUSE overlay filesystem for rootless containers.
 *
 *   hutch-overlay -o lowerdir=A:B,upperdir=U,workdir=W [source] MOUNTPOINT
 *
 * The command line is fuse-overlayfs's, so podman (mount_program) and
 * containerd's snapshotter can run it. This file parses it, checks the
 * layers, mounts (directly inside a user namespace that owns the mount
 * namespace, through fusermount3 otherwise: libfuse picks) and runs the
 * multithreaded session loop until SIGTERM/SIGINT or an unmount. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "log.h"
#include "ovl.h"
#include "setup.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hutch-overlay [-f] [-d] -o lowerdir=DIR[:DIR...][,upperdir=DIR,workdir=DIR]"
		"[,OPTION...] [SOURCE] MOUNTPOINT\n"
		"\n"
		"Mount an overlay of the lower dirs (leftmost on top) and a writable upper dir\n"
		"at MOUNTPOINT with FUSE. Without upperdir the mount is read-only.\n"
		"\n"
		"  -f              stay in the foreground\n"
		"  -d              debug: foreground, log every FUSE request\n"
		"  -o OPTIONS      comma-separated mount options:\n"
		"     lowerdir=A:B  lower layers, top first (\\: escapes a colon)\n"
		"     upperdir=DIR  writable layer; workdir=DIR on the same filesystem\n"
		"     uidmapping=VIEW:HOST:N[:...]  gidmapping=...  id translation\n"
		"     squash_to_root, squash_to_uid=N, squash_to_gid=N\n"
		"     xattr_permissions=0|1|2  keep ownership in an xattr (2: "
		"user.containers.override_stat)\n"
		"     static_nlink, noxattrs, noacl, timeout=SECONDS (default 3600)\n"
		"     threaded=0|1, writeback=0|1, fsync=0|1, volatile, max_write=BYTES\n"
		"     direct_read=BYTES  read-only opens of files this big bypass the page\n"
		"                        cache (default 1048576, 0: never)\n"
		"     metacopy=0|1  a change of metadata copies up metadata only, the data\n"
		"                   at the first write (default 1)\n"
		"     allow_other, allow_root, ro, default_permissions, fsname=NAME, context=...\n"
		"  -h, --help      this text\n"
		"  -V, --version   print the version\n"
		"\n"
		"See hutch-overlay(1).\n");
}

static const struct fuse_lowlevel_ops ovl_ops;

/* The largest request size whose read replies libfuse can still splice.
 * It splices a reply only when its pipe holds three pages more than the
 * reply (header and slack); a pipe grows to fs.pipe-max-size at most (1 MiB
 * by default, and only root may exceed it), and a bigger reply is copied
 * through a buffer allocated per request. The kernel asks for that much in
 * one READ for O_DIRECT and direct-I/O reads (buffered reads come in 128
 * KiB readahead requests). */
static unsigned spliceable_request_size(void)
{
	unsigned long pipe_max = 1024 * 1024;
	_cleanup_free_ char *text = NULL;
	size_t len;
	hutch_error err = {0};
	if (read_file_all("/proc/sys/fs/pipe-max-size", 64, &text, &len, &err) == 0)
		pipe_max = strtoul(text, NULL, 10);
	hutch_error_clear(&err);
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
	unsigned long room = pipe_max > 4 * page ? pipe_max - 4 * page : page;
	room -= room % page;
	return room < 1024 * 1024 ? (unsigned)room : 1024 * 1024;
}

static void ovl_init(void *userdata, struct fuse_conn_info *conn)
{
	struct ovl_fs *fs = userdata;
	/* Replies with file data are spliced from the layer's page cache to
	 * /dev/fuse (three times faster than copying through a buffer here).
	 * Not with SPLICE_MOVE: the kernel would then take pages out of the
	 * lower file's page cache, which other mounts of the same image
	 * share, and they would read them from disk again. Write requests
	 * are read into a buffer: splicing them in measured no faster and
	 * adds a pipe round per request. */
	unsigned want = FUSE_CAP_SPLICE_WRITE | FUSE_CAP_PARALLEL_DIROPS | FUSE_CAP_READDIRPLUS |
			FUSE_CAP_CACHE_SYMLINKS | FUSE_CAP_ASYNC_READ | FUSE_CAP_ASYNC_DIO |
			FUSE_CAP_ATOMIC_O_TRUNC;
	if (fs->opts.writeback)
		want |= FUSE_CAP_WRITEBACK_CACHE;
	conn->want |= want & conn->capable;
	/* Directories need no open state (ops-dir.c): opendir answers ENOSYS
	 * where the kernel then stops sending OPENDIR and RELEASEDIR. */
	fs->no_opendir = (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) != 0;
	/* All changes come through this mount: a changed mtime seen in an
	 * attribute refresh must not throw away a valid page cache. */
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_MOVE);
	/* Every readdir brings attributes. With READDIRPLUS_AUTO only the
	 * first request of a listing does, the rest of a directory bigger
	 * than one request (32 KiB, about 200 entries) comes as names only,
	 * and a stat of each of those is a LOOKUP round trip: find and stat
	 * of a directory of 3000 files made 2824 LOOKUPs. */
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	unsigned mw = fs->opts.max_write ? fs->opts.max_write : spliceable_request_size();
	conn->max_write = mw;
	conn->max_readahead = conn->max_readahead > mw ? conn->max_readahead : mw;
	conn->max_background = 64;
	conn->congestion_threshold = 48;
	/* Said in the -d log, as it depends on the upper filesystem. */
	if (fs->has_upper && !fs->opts.fsync)
		log_debug("copy-up: copies are neither written back nor synced (fsync=0)");
	else if (fs->has_upper && fs->upper_orders_renames)
		log_debug("copy-up: each copy's data is written back before its rename "
			  "(the upper layer's journal commits the rename after it)");
	else if (fs->has_upper)
		log_debug("copy-up: each copy is synced before its rename");
}

uint64_t ovl_init_extra_flags(const struct ovl_fs *fs)
{
	/* Direct reads (direct-read.c) only where a shared mapping of such a
	 * file still works and sees what direct reads see. */
	bool direct = fs->opts.direct_read_min > 0 && !fs->opts.writeback;
	/* Lookups and listings in one directory may run in parallel (the
	 * node table and listings have their own locks); libfuse 3.14 leaves
	 * the flag out of its reply even when asked for it. Set-id bits are
	 * ours to clear (ovl_kills_setid), which spares a GETXATTR of
	 * security.capability before writes and a GETATTR before each chown. */
	uint64_t want = FUSE_PARALLEL_DIROPS | FUSE_HANDLE_KILLPRIV_V2;
	return want | (direct ? OVL_FUSE_DIRECT_IO_ALLOW_MMAP : 0);
}

static const struct fuse_lowlevel_ops ovl_ops = {
    .init = ovl_init,
    .lookup = ovl_op_lookup,
    .forget = ovl_op_forget,
    .forget_multi = ovl_op_forget_multi,
    .getattr = ovl_op_getattr,
    .setattr = ovl_op_setattr,
    .readlink = ovl_op_readlink,
    .mknod = ovl_op_mknod,
    .mkdir = ovl_op_mkdir,
    .unlink = ovl_op_unlink,
    .rmdir = ovl_op_rmdir,
    .symlink = ovl_op_symlink,
    .rename = ovl_op_rename,
    .link = ovl_op_link,
    .open = ovl_op_open,
    .read = ovl_op_read,
    .write_buf = ovl_op_write_buf,
    .flush = ovl_op_flush,
    .release = ovl_op_release,
    .fsync = ovl_op_fsync,
    .opendir = ovl_op_opendir,
    .readdir = ovl_op_readdir,
    .readdirplus = ovl_op_readdirplus,
    .releasedir = ovl_op_releasedir,
    .fsyncdir = ovl_op_fsyncdir,
    .statfs = ovl_op_statfs,
    .setxattr = ovl_op_setxattr,
    .getxattr = ovl_op_getxattr,
    .listxattr = ovl_op_listxattr,
    .removexattr = ovl_op_removexattr,
    .create = ovl_op_create,
    .fallocate = ovl_op_fallocate,
    .lseek = ovl_op_lseek,
};

struct cmdline {
	bool foreground;
	bool debug;
	const char *mountpoint;
	const char *source;
};

static int parse_cmdline(int argc, char **argv, struct ovl_options *o, struct cmdline *c,
			 hutch_error *err)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int opt;
	/* '+' would stop at the first non-option; fuse-overlayfs accepts
	 * options after the paths too (mount.fuse3 puts -o last). */
	while ((opt = getopt_long(argc, argv, "fdso:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			c->foreground = true;
			break;
		case 'd':
			c->debug = c->foreground = true;
			break;
		case 's':
			o->threaded = false;
			break;
		case 'o':
			if (ovl_options_parse(o, optarg, err) < 0)
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("hutch-overlay %s\nFUSE library %s\n", PACKAGE_VERSION,
			       fuse_pkgversion());
			exit(0);
		default:
			usage(stderr);
			return hutch_fail_plain(err, EINVAL, "bad command line");
		}
	}
	int rest = argc - optind;
	if (rest < 1 || rest > 2)
		return hutch_fail_plain(err, EINVAL,
					"expected [SOURCE] MOUNTPOINT, got %d argument%s", rest,
					rest == 1 ? "" : "s");
	c->mountpoint = argv[argc - 1];
	c->source = rest == 2 ? argv[optind] : NULL;
	return 0;
}

static int init_root(struct ovl_fs *fs, hutch_error *err)
{
	struct stat st;
	if (fstat(fs->layers[0].fd, &st) < 0)
		return hutch_fail(err, errno, "stat %s", fs->layers[0].path);
	struct ovl_node *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->name = strdup("")) == NULL) {
		free(r);
		return hutch_fail(err, ENOMEM, "root node");
	}
	r->nodeid = FUSE_ROOT_ID;
	r->ino = ovl_make_ino(fs, 0, st.st_ino);
	r->type = S_IFDIR;
	r->keep_fd = -1;
	r->nlookup = 1;
	pthread_mutex_init(&r->lock, NULL);
	fs->root = r;
	if (ovl_node_locate(fs, r) < 0)
		return hutch_fail(err, EIO, "read the root of the layers");
	return 0;
}

int main(int argc, char **argv)
{
	hutch_log_set_program("hutch-overlay");
	/* One malloc arena for all threads. A thread's own arena grows a page
	 * at a time, one mprotect each, up to its high-water mark: the nodes
	 * and listings of a first find over 20000 files took 700 of them,
	 * 10% of the daemon's time; the main arena grows by brk in 128 KiB
	 * steps. Requests allocate little, so threads hardly wait for it. */
	mallopt(M_ARENA_MAX, 1);
	static struct ovl_fs fs;
	struct cmdline c = {0};
	hutch_error err = {0};
	ovl_options_init(&fs.opts);
	if (parse_cmdline(argc, argv, &fs.opts, &c, &err) < 0) {
		hutch_log_error(&err);
		return 1;
	}
	fs.euid = geteuid();
	fs.egid = getegid();
	pthread_rwlock_init(&fs.tree_lock, NULL);
	pthread_mutex_init(&fs.table_lock, NULL);
	pthread_mutex_init(&fs.index_lock, NULL);
	if (ovl_setup_layers(&fs, c.mountpoint, &err) < 0 || ovl_table_init(&fs) < 0 ||
	    init_root(&fs, &err) < 0) {
		hutch_log_error(&err);
		return 1;
	}

	/* Arguments for libfuse: our name, the mount options it knows. */
	char fsname[PATH_MAX + 16];
	snprintf(fsname, sizeof(fsname), "fsname=%s,subtype=hutch-overlay,default_permissions",
		 fs.opts.fsname ? fs.opts.fsname
		 : c.source	? c.source
				: "hutch-overlay");
	char *fargv[8];
	int fargc = 0;
	fargv[fargc++] = argv[0];
	fargv[fargc++] = "-o";
	fargv[fargc++] = fsname;
	if (fs.opts.fuse_mount_opts != NULL) {
		fargv[fargc++] = "-o";
		fargv[fargc++] = fs.opts.fuse_mount_opts;
	}
	if (c.debug) {
		fargv[fargc++] = "-d";
		hutch_log_set_level(HUTCH_LOG_DEBUG);
	}
	fargv[fargc] = NULL;
	struct fuse_args args = FUSE_ARGS_INIT(fargc, fargv);

	fs.se = fuse_session_new(&args, &ovl_ops, sizeof(ovl_ops), &fs);
	fuse_opt_free_args(&args);
	if (fs.se == NULL) {
		log_error("cannot create the FUSE session (bad mount options?)");
		return 1;
	}
	if (fuse_set_signal_handlers(fs.se) != 0) {
		log_error("cannot install signal handlers");
		return 1;
	}
	if (fuse_session_mount(fs.se, c.mountpoint) != 0) {
		log_error("cannot mount on %s", c.mountpoint);
		return 1;
	}
	if (ovl_session_io_install(fs.se) != 0) {
		log_error("cannot set up the FUSE device I/O");
		fuse_session_unmount(fs.se);
		return 1;
	}
	/* Returns in the child once the mount is up; the parent exits 0, so
	 * a caller such as podman sees the mount ready when we return. */
	if (fuse_daemonize(c.foreground) != 0) {
		fuse_session_unmount(fs.se);
		return 1;
	}
	int r = fs.opts.threaded ? ovl_session_loop(fs.se, 16) : fuse_session_loop(fs.se);
	fuse_session_unmount(fs.se);
	fuse_remove_signal_handlers(fs.se);
	fuse_session_destroy(fs.se);
	/* libfuse returns the number of the signal that ended the loop: a
	 * requested stop, not a failure. */
	return r == 0 || r == SIGTERM || r == SIGINT || r == SIGHUP ? 0 : 1;
}
