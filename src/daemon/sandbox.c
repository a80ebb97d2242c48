#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
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
#include "idmap.h"
#include "log.h"

static pthread_mutex_t sandbox_lock = PTHREAD_MUTEX_INITIALIZER;

/* A pid from the pid file is only trusted while it is still our holder:
 * the pid could have been reused by any other process of the user. */
static bool is_holder(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* argv[0]\0argv[1]\0... */
	size_t first = strlen(buf);
	return (size_t)n > first + 1 && strcmp(buf + first + 1, SANDBOX_HOLDER_ARG) == 0;
}

static bool holder_single(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	_cleanup_free_ char *map = NULL;
	size_t len = 0;
	if (read_file_all(path, 4096, &map, &len, NULL) < 0)
		return true;
	/* One line means only the user's own uid is mapped. */
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += map[i] == '\n';
	return lines <= 1;
}

static int read_byte(int fd, char want, const char *what, hutch_error *err)
{
	char c = 0;
	ssize_t n;
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != want)
		return hutch_fail_plain(err, EPROTO, "sandbox holder failed while %s", what);
	return 0;
}

static int map_ids(pid_t pid, bool gid, bool *single, hutch_error *err)
{
	struct oci_id_mapping *maps = NULL;
	size_t n = 0;
	bool one = false;
	if (idmap_default_for_caller(gid, &maps, &n, &one, err) < 0)
		return -1;
	int r = idmap_write(pid, gid, maps, n, err);
	if (r < 0 && !one) {
		/* A subid range that newuidmap refuses (a broken setuid bit, a
		 * range that is not ours) should not make hutch unusable: fall
		 * back to the single id and say why. */
		log_warning("sandbox: %s; using only your own %s", err->msg, gid ? "gid" : "uid");
		hutch_error_clear(err);
		struct oci_id_mapping own = {0, gid ? (uint32_t)getgid() : (uint32_t)getuid(), 1};
		r = idmap_write(pid, gid, &own, 1, err);
		one = true;
	}
	free(maps);
	if (single && one)
		*single = true;
	return r;
}

static int start_holder(const char *runtime_dir, pid_t *out, bool *single, hutch_error *err)
{
	int ready[2], go[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return hutch_fail(err, errno, "pipe");
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return hutch_fail(err, errno, "pipe");
	}
	/* /proc/self/exe, not its target: an upgrade may have replaced the
	 * file since hutchd started, and helpers must match this hutchd. */
	const char *exe = "/proc/self/exe";
	pid_t pid = fork();
	if (pid < 0)
		return hutch_fail(err, errno, "fork");
	if (pid == 0) {
		/* Only async-signal-safe calls between fork and exec: the
		 * parent is multi-threaded. */
		/* hutchd blocks SIGTERM for its sigwait and ignores SIGPIPE;
		 * both would survive exec. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		dup2(ready[1], 3);
		dup2(go[0], 4);
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		char *argv[] = {"hutchd", SANDBOX_HOLDER_ARG, "3", "4", NULL};
		execv(exe, argv);
		_exit(127);
	}
	close(ready[1]);
	close(go[0]);
	bool one = false;
	int rc = read_byte(ready[0], 'u', "creating the user namespace", err);
	if (rc == 0)
		rc = map_ids(pid, false, &one, err);
	if (rc == 0)
		rc = map_ids(pid, true, &one, err);
	if (rc == 0 && write(go[1], "g", 1) != 1)
		rc = hutch_fail(err, errno, "sandbox holder");
	if (rc == 0)
		rc = read_byte(ready[0], 'm', "creating the mount namespace", err);
	close(ready[0]);
	close(go[1]);
	if (rc < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return hutch_error_prefix(err, "start the user sandbox");
	}
	char path[PATH_MAX], buf[32];
	snprintf(path, sizeof(path), "%s/sandbox.pid", runtime_dir);
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (write_file_atomic(path, buf, (size_t)len, 0600, err) < 0)
		return -1;
	log_info("sandbox: holder %d started (%s)", (int)pid,
		 one ? "single uid" : "subordinate id range");
	*out = pid;
	*single = one;
	return 0;
}

/* The live holder named by sandbox.pid, or 0. */
static pid_t live_holder(const char *runtime_dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/sandbox.pid", runtime_dir);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (read_file_all(path, 64, &buf, &len, NULL) < 0)
		return 0;
	pid_t p = (pid_t)atoi(buf);
	return p > 0 && is_holder(p) ? p : 0;
}

int sandbox_ensure(const char *runtime_dir, pid_t *pid, bool *single, hutch_error *err)
{
	pthread_mutex_lock(&sandbox_lock);
	int rc = 0;
	pid_t p = live_holder(runtime_dir);
	if (p > 0) {
		*pid = p;
		*single = holder_single(p);
	} else {
		rc = start_holder(runtime_dir, pid, single, err);
	}
	pthread_mutex_unlock(&sandbox_lock);
	return rc;
}

pid_t sandbox_running(const char *runtime_dir)
{
	pthread_mutex_lock(&sandbox_lock);
	pid_t p = live_holder(runtime_dir);
	pthread_mutex_unlock(&sandbox_lock);
	return p;
}

int sandbox_holder_main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	int ready = atoi(argv[2]), go = atoi(argv[3]);
	/* Its own session: a terminal hangup or hutchd's death must not take
	 * the sandbox (and the containers in it) down. */
	setsid();
	if (unshare(CLONE_NEWUSER) < 0) {
		fprintf(stderr, "hutchd sandbox: unshare user namespace: %s\n", strerror(errno));
		return 1;
	}
	if (write(ready, "u", 1) != 1)
		return 1;
	char c;
	if (read(go, &c, 1) != 1)
		return 1;
	if (unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr, "hutchd sandbox: unshare mount namespace: %s\n", strerror(errno));
		return 1;
	}
	/* Mounts made inside (FUSE overlays) must not propagate out, while
	 * host mounts still appear inside. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		fprintf(stderr, "hutchd sandbox: make / a slave: %s\n", strerror(errno));
		return 1;
	}
	if (write(ready, "m", 1) != 1)
		return 1;
	close(ready);
	close(go);
	/* Nobody reads our stderr from here on; do not keep a pipe open. */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0)
		dup2(devnull, 2);
	prctl(PR_SET_NAME, "hutch-sandbox");
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	for (;;)
		pause();
}
