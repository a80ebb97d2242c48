#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "helper-archive.h"
#include "json-util.h"
#include "log.h"
#include "sandbox.h"
#include "store.h"
#include "unpack.h"
#include "volume-fill.h"

/* ------------------------------------------------------ the helper side */

/* Make the name path was just given durable: the rename's directory
 * goes to disk before anything that depends on the name. */
static int fsync_parent(const char *path, hutch_error *err)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return hutch_fail(err, errno, "fsync %s", dir);
	return 0;
}

static int fsync_fd(int fd, const char *what, hutch_error *err)
{
	if (fsync(fd) < 0)
		return hutch_fail(err, errno, "fsync %s", what);
	return 0;
}

/* Make meta.json and the unsynced marker durable, with their names: after
 * a power cut, a snapshot that made it under its name always says what
 * it is and whether its files were synced (store.h). */
static int write_meta(const char *tmpdir, json_object *meta, hutch_error *err)
{
	_cleanup_close_ int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return hutch_fail(err, errno, "open %s", tmpdir);
	const char *ms = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN);
	_cleanup_close_ int mfd =
	    openat(dfd, "meta.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (mfd < 0 || write_all(mfd, ms, strlen(ms)) < 0)
		return hutch_fail(err, errno, "write %s/meta.json", tmpdir);
	if (fsync_fd(mfd, "meta.json", err) < 0 || store_mark_unsynced(dfd, err) < 0)
		return -1;
	return fsync_fd(dfd, tmpdir, err);
}

/* Put the unpacked tmpdir in place as dest. */
static int commit_snapshot(const char *tmpdir, const char *dest, bool replace, hutch_error *err)
{
	if (replace) {
		if (renameat2(AT_FDCWD, tmpdir, AT_FDCWD, dest, RENAME_EXCHANGE) == 0) {
			/* tmpdir now holds the old snapshot. */
			tree_remove_at(AT_FDCWD, tmpdir, NULL);
			return fsync_parent(dest, err);
		}
		if (errno != EINVAL && errno != ENOSYS)
			return hutch_fail(err, errno, "exchange %s and %s", tmpdir, dest);
		/* No RENAME_EXCHANGE on this file system: move the old one
		 * aside (a .tmp-* name, swept if we die before removing it). */
		char old[PATH_MAX];
		snprintf(old, sizeof(old), "%s-old", tmpdir);
		if (rename(dest, old) < 0)
			return hutch_fail(err, errno, "rename %s", dest);
		tree_remove_at(AT_FDCWD, old, NULL);
	}
	if (rename(tmpdir, dest) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			return hutch_fail(err, errno, "rename %s to %s", tmpdir, dest);
		/* Someone committed the same chain first: same content. */
		tree_remove_at(AT_FDCWD, tmpdir, NULL);
		return 0;
	}
	/* hutchd names the image next: the snapshot must be found under its
	 * name after a power cut too. */
	return fsync_parent(dest, err);
}

/* Unpack job->blob as the snapshot job->tmpdir and commit it as
 * job->dest. With blob_dest set, blob is a download still in progress
 * that stdin tells us about (see layer_unpack); once it is complete and
 * verified it is fsynced and renamed to blob_dest before the snapshot is
 * renamed: a snapshot in the store always has its blob, the durable truth
 * it can be unpacked again from. */
static int do_unpack(const struct unpack_job *job, hutch_error *err)
{
	if (job->holder > 0 && sandbox_join(job->holder, err) < 0)
		return -1;
	/* Files get exactly the modes the layer asks for. */
	umask(0);
	if (mkdir(job->tmpdir, 0700) < 0)
		return hutch_fail(err, errno, "mkdir %s", job->tmpdir);
	char fs[PATH_MAX];
	snprintf(fs, sizeof(fs), "%s/fs", job->tmpdir);
	if (mkdir(fs, 0755) < 0) {
		hutch_fail(err, errno, "mkdir %s", fs);
		goto fail;
	}
	{
		_cleanup_close_ int root =
		    open(fs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int bfd = open(job->blob, O_RDONLY | O_CLOEXEC);
		if (root < 0 || bfd < 0) {
			hutch_fail(err, errno, "open %s", root < 0 ? fs : job->blob);
			goto fail;
		}
		struct unpack_result res;
		if (layer_unpack(bfd, job->blob_dest ? STDIN_FILENO : -1, root, job->diff_id, &res,
				 err) < 0)
			goto fail;
		_cleanup_json_ json_object *meta = NULL;
		if (json_parse_buffer(job->meta_json, strlen(job->meta_json), "meta", &meta, err) <
		    0)
			goto fail;
		json_object_object_add(meta, "size", json_object_new_int64((int64_t)res.size));
		json_object_object_add(meta, "entries",
				       json_object_new_int64((int64_t)res.entries));
		if (write_meta(job->tmpdir, meta, err) < 0)
			goto fail;
		if (job->blob_dest != NULL) {
			if (fsync_fd(bfd, job->blob, err) < 0)
				goto fail;
			if (rename(job->blob, job->blob_dest) < 0) {
				hutch_fail(err, errno, "rename %s to %s", job->blob,
					   job->blob_dest);
				goto fail;
			}
			if (fsync_parent(job->blob_dest, err) < 0)
				goto fail;
		}
		if (commit_snapshot(job->tmpdir, job->dest, job->replace, err) < 0)
			goto fail;
		printf("{\"size\":%llu,\"entries\":%llu,\"devices_skipped\":%llu,"
		       "\"overridden\":%llu}\n",
		       (unsigned long long)res.size, (unsigned long long)res.entries,
		       (unsigned long long)res.skipped_devices, (unsigned long long)res.overridden);
	}
	return 0;
fail:
	tree_remove_at(AT_FDCWD, job->tmpdir, NULL);
	return -1;
}

int helper_main(int argc, char **argv)
{
	hutch_log_set_program("hutchd helper");
	hutch_error err = {0};
	int rc = -1;
	if (argc >= 9 && strcmp(argv[2], "unpack") == 0) {
		/* ... META [follow BLOB_DEST | replace]: the blob is still
		 * downloading, or DEST exists and is to be replaced. */
		struct unpack_job job = {
		    .holder = (pid_t)atoi(argv[3]),
		    .blob = argv[4],
		    .tmpdir = argv[5],
		    .dest = argv[6],
		    .diff_id = argv[7][0] ? argv[7] : NULL,
		    .meta_json = argv[8],
		    .follow_fd = -1,
		    .blob_dest = argc >= 11 && strcmp(argv[9], "follow") == 0 ? argv[10] : NULL,
		    .replace = argc >= 10 && strcmp(argv[9], "replace") == 0,
		};
		rc = do_unpack(&job, &err);
	} else if (argc >= 5 && strcmp(argv[2], "remove") == 0) {
		pid_t holder = (pid_t)atoi(argv[3]);
		rc = holder > 0 ? sandbox_join(holder, &err) : 0;
		if (rc == 0)
			rc = tree_remove_at(AT_FDCWD, argv[4], &err);
	} else if (argc >= 5 && strcmp(argv[2], "unmount") == 0) {
		rc = sandbox_join((pid_t)atoi(argv[3]), &err);
		/* Lazily: a process of the dead container may still be on
		 * its way out. EINVAL: nothing is mounted there (any more). */
		if (rc == 0 && umount2(argv[4], MNT_DETACH) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			rc = hutch_fail(&err, errno, "unmount %s", argv[4]);
	} else if (argc >= 3 && strncmp(argv[2], "archive-", 8) == 0) {
		return helper_archive_main(argc, argv);
	} else if (argc >= 3 && strcmp(argv[2], "volume-fill") == 0) {
		return helper_volume_fill_main(argc, argv);
	} else {
		hutch_fail_plain(&err, EINVAL, "unknown helper command");
	}
	if (rc < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------ the daemon side */

static int read_into(int fd, char **buf, size_t *len, size_t *cap)
{
	if (*cap - *len < 4096) {
		size_t ncap = *cap ? *cap * 2 : 8192;
		if (ncap > 1024 * 1024)
			return 0; /* enough; drop the rest */
		char *n = realloc(*buf, ncap);
		if (n == NULL)
			return -1;
		*buf = n;
		*cap = ncap;
	}
	ssize_t r = read(fd, *buf + *len, *cap - *len - 1);
	if (r > 0) {
		*len += (size_t)r;
		(*buf)[*len] = '\0';
	}
	return (int)r;
}

int helper_spawn(const char *const *args, int in_fd, pid_t *pid_out, int *out_fd, int *err_fd,
		 hutch_error *err)
{
	/* /proc/self/exe, not its target: an upgrade may have replaced the
	 * file since hutchd started, and helpers must match this hutchd. */
	const char *exe = "/proc/self/exe";
	const char *argv[16] = {"hutchd", HELPER_ARG};
	size_t n = 2;
	for (; args[n - 2] != NULL && n < 15; n++)
		argv[n] = args[n - 2];
	argv[n] = NULL;
	int opipe[2], epipe[2];
	if (pipe2(opipe, O_CLOEXEC) < 0)
		return hutch_fail(err, errno, "pipe");
	if (pipe2(epipe, O_CLOEXEC) < 0) {
		close(opipe[0]);
		close(opipe[1]);
		return hutch_fail(err, errno, "pipe");
	}
	/* Above the fds the child places, so no dup2 clobbers another. */
	int in = in_fd >= 0 ? fcntl(in_fd, F_DUPFD_CLOEXEC, 3) : -1;
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(opipe[0]);
		close(opipe[1]);
		close(epipe[0]);
		close(epipe[1]);
		if (in >= 0)
			close(in);
		return hutch_fail(err, saved, "fork");
	}
	if (pid == 0) {
		/* hutchd blocks SIGTERM for its sigwait and ignores SIGPIPE;
		 * both would survive exec. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* A helper must not outlive a killed hutchd: it would write
		 * into a snapshot directory the next hutchd sweeps away. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (in >= 0)
			dup2(in, 0);
		dup2(opipe[1], 1);
		dup2(epipe[1], 2);
		execv(exe, (char **)argv);
		_exit(127);
	}
	if (in >= 0)
		close(in);
	close(opipe[1]);
	close(epipe[1]);
	*pid_out = pid;
	*out_fd = opipe[0];
	*err_fd = epipe[0];
	return 0;
}

/* Reap the helper; a failure's message is the last line of its stderr
 * (ebuf, consumed), the earlier lines go to our log as warnings. */
static int helper_reap(pid_t pid, char *ebuf, size_t elen, int *exit_status, hutch_error *err)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (exit_status != NULL)
		*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	int rc = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* Warnings come first; the error is the last line. */
		char generic[64];
		snprintf(generic, sizeof(generic), "helper failed (exit status %d)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		const char *msg = generic;
		if (ebuf != NULL) {
			while (elen > 0 && ebuf[elen - 1] == '\n')
				ebuf[--elen] = '\0';
			char *last = strrchr(ebuf, '\n');
			if (elen > 0)
				msg = last ? last + 1 : ebuf;
		}
		rc = hutch_fail_plain(err, EIO, "%s", msg);
		if (!WIFEXITED(status))
			hutch_error_prefix(err, "helper killed by signal %d", WTERMSIG(status));
	}
	if (ebuf != NULL && elen > 0) {
		/* Pass the helper's warnings (skipped devices, ...) to our log. */
		char *save = NULL;
		for (char *line = strtok_r(ebuf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (rc == 0 || strstr(err->msg, line) == NULL)
				log_warning("%s", line);
	}
	free(ebuf);
	return rc;
}

int helper_finish(pid_t pid, int err_fd, int *exit_status, hutch_error *err)
{
	char *ebuf = NULL;
	size_t elen = 0, ecap = 0;
	int r;
	while ((r = read_into(err_fd, &ebuf, &elen, &ecap)) > 0 || (r < 0 && errno == EINTR))
		;
	close(err_fd);
	return helper_reap(pid, ebuf, elen, exit_status, err);
}

int helper_run_status(const char *const *args, int in_fd, char **out, int *exit_status,
		      hutch_error *err)
{
	pid_t pid;
	int ofd, efd;
	if (helper_spawn(args, in_fd, &pid, &ofd, &efd, err) < 0)
		return -1;
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, ocap = 0, elen = 0, ecap = 0;
	struct pollfd p[2] = {{.fd = ofd, .events = POLLIN}, {.fd = efd, .events = POLLIN}};
	int open_fds = 2;
	while (open_fds > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			int r = i == 0 ? read_into(p[i].fd, &obuf, &olen, &ocap)
				       : read_into(p[i].fd, &ebuf, &elen, &ecap);
			if (r <= 0 && !(r < 0 && errno == EINTR)) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	int rc = helper_reap(pid, ebuf, elen, exit_status, err);
	if (out != NULL)
		*out = obuf;
	else
		free(obuf);
	return rc;
}

int helper_run(const char *const *args, char **out, hutch_error *err)
{
	return helper_run_status(args, -1, out, NULL, err);
}

int helper_unpack(const struct unpack_job *job, char **result, hutch_error *err)
{
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)job->holder);
	const char *mode = job->follow_fd >= 0 ? "follow" : job->replace ? "replace" : NULL;
	const char *args[] = {"unpack",
			      pid,
			      job->blob,
			      job->tmpdir,
			      job->dest,
			      job->diff_id ? job->diff_id : "",
			      job->meta_json,
			      mode,
			      job->follow_fd >= 0 ? job->blob_dest : NULL,
			      NULL};
	return helper_run_status(args, job->follow_fd, result, NULL, err);
}

int helper_remove(pid_t holder, const char *path, hutch_error *err)
{
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)holder);
	const char *args[] = {"remove", pid, path, NULL};
	return helper_run(args, NULL, err);
}

int helper_unmount(pid_t holder, const char *path, hutch_error *err)
{
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)holder);
	const char *args[] = {"unmount", pid, path, NULL};
	return helper_run(args, NULL, err);
}
