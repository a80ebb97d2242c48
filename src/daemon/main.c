/* hutchd: the per-user runtime process. Options and configuration, the
 * runtime directory and its socket, one instance per user, signals. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "daemon.h"
#include "file-util.h"
#include "helper.h"
#include "log.h"
#include "sandbox.h"
#include "store-sync.h"
#include "volume-users.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hutchd [OPTIONS]\n"
		   "\n"
		   "The per-user hutch runtime process: serves the Docker Engine API on\n"
		   "$XDG_RUNTIME_DIR/hutch/hutchd.sock and keeps the image store.\n"
		   "\n"
		   "Options:\n"
		   "  --root DIR                 image store (default $XDG_DATA_HOME/hutch)\n"
		   "  --config FILE              configuration file\n"
		   "                             (default $XDG_CONFIG_HOME/hutch/hutch.conf)\n"
		   "  --log FILE                 log to FILE instead of stderr\n"
		   "  --log-level LEVEL          error, warning, info (default) or debug\n"
		   "  --insecure-registry HOST   allow plain HTTP to HOST[:PORT] (repeatable)\n"
		   "  --max-parallel-downloads N layers downloaded at once (default 4)\n"
		   "  -h, --help                 show this help\n"
		   "  -v, --version              show the version\n"
		   "\n"
		   "Registries on 127.0.0.0/8, ::1 and localhost are always reached over\n"
		   "plain HTTP. See hutchd(8) and hutch.conf(5).\n");
}

struct options {
	char *root;
	char *config;
	char *log;
	char *log_level;
	char **insecure;
	size_t n_insecure;
	int max_parallel;
	char **outbound_allow;
	size_t n_outbound_allow;
	char *resolv_conf;
};

static void options_free(struct options *o)
{
	free(o->root);
	free(o->config);
	free(o->log);
	free(o->log_level);
	strv_free(o->insecure);
	strv_free(o->outbound_allow);
	free(o->resolv_conf);
}

/* Append the words of a comma- or space-separated list to a strv. */
static void add_words(char ***v, size_t *n, const char *list)
{
	_cleanup_free_ char *copy = strdup(list);
	char *save = NULL;
	for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		*v = realloc(*v, (*n + 2) * sizeof(char *));
		(*v)[(*n)++] = strdup(t);
		(*v)[*n] = NULL;
	}
}

static void add_insecure(struct options *o, const char *list)
{
	add_words(&o->insecure, &o->n_insecure, list);
}

/* "10.0.0.0/8", "127.0.0.1", "fd00::/8": what hutch-slirp's
 * --outbound-allow takes. Checked here so a typo fails hutchd's start
 * rather than every container's. */
static bool valid_cidr(const char *s)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof(addr))
		return false;
	memcpy(addr, s, len);
	addr[len] = '\0';
	unsigned char buf[16];
	int max = inet_pton(AF_INET, addr, buf) == 1	? 32
		  : inet_pton(AF_INET6, addr, buf) == 1 ? 128
							: -1;
	if (max < 0)
		return false;
	if (slash == NULL)
		return true;
	char *end;
	long prefix = strtol(slash + 1, &end, 10);
	return slash[1] != '\0' && *end == '\0' && prefix >= 0 && prefix <= max;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	if (e - s >= 2 && ((s[0] == '"' && e[-1] == '"') || (s[0] == '\'' && e[-1] == '\''))) {
		e[-1] = '\0';
		s++;
	}
	return s;
}

/* hutch.conf: "key = value" lines, '#' comments. Options given on the
 * command line win over the file. */
static int read_config(const char *path, bool must_exist, struct options *o, hutch_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return hutch_fail(err, errno, "open %s", path);
	}
	char line[4096];
	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#' || *s == '[')
			continue;
		char *eq = strchr(s, '=');
		if (eq == NULL)
			return hutch_fail_plain(err, EINVAL, "%s:%d: expected key = value", path,
						lineno);
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		if (strcmp(key, "root") == 0) {
			if (o->root == NULL)
				o->root = strdup(val);
		} else if (strcmp(key, "insecure_registries") == 0) {
			add_insecure(o, val);
		} else if (strcmp(key, "max_parallel_downloads") == 0) {
			if (o->max_parallel == 0)
				o->max_parallel = atoi(val);
		} else if (strcmp(key, "log_level") == 0) {
			if (o->log_level == NULL)
				o->log_level = strdup(val);
		} else if (strcmp(key, "slirp_outbound_allow") == 0) {
			size_t first = o->n_outbound_allow;
			add_words(&o->outbound_allow, &o->n_outbound_allow, val);
			for (size_t i = first; i < o->n_outbound_allow; i++)
				if (!valid_cidr(o->outbound_allow[i]))
					return hutch_fail_plain(
					    err, EINVAL,
					    "%s:%d: slirp_outbound_allow: invalid "
					    "network \"%s\" (expected ADDRESS[/PREFIX])",
					    path, lineno, o->outbound_allow[i]);
		} else if (strcmp(key, "slirp_resolv_conf") == 0) {
			if (val[0] != '/')
				return hutch_fail_plain(
				    err, EINVAL,
				    "%s:%d: slirp_resolv_conf: expected an absolute "
				    "path",
				    path, lineno);
			free(o->resolv_conf);
			o->resolv_conf = strdup(val);
		} else if (strcmp(key, "log") == 0) {
			if (o->log == NULL)
				o->log = strdup(val);
		} else {
			hutch_log(HUTCH_LOG_WARNING, "%s:%d: unknown key \"%s\" ignored", path,
				  lineno, key);
		}
	}
	return 0;
}

/* $XDG_RUNTIME_DIR must exist and be ours: the socket, the lock and the
 * sandbox pid live there, and a directory someone else controls could
 * hand them to that someone. */
static int check_runtime_dir(char *out, size_t size, hutch_error *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	uid_t uid = getuid();
	if (xdg == NULL || xdg[0] == '\0')
		return hutch_fail_plain(
		    err, EINVAL,
		    "XDG_RUNTIME_DIR is not set.\n"
		    "hutchd keeps its socket there. A login through systemd-logind sets it to\n"
		    "/run/user/%u (for sessions without a login: loginctl enable-linger). Or use\n"
		    "a private directory:\n"
		    "  export XDG_RUNTIME_DIR=/tmp/hutch-run-%u\n"
		    "  mkdir -p -m 0700 \"$XDG_RUNTIME_DIR\"",
		    (unsigned)uid, (unsigned)uid);
	struct stat st;
	if (stat(xdg, &st) < 0)
		return hutch_fail(err, errno,
				  "XDG_RUNTIME_DIR=%s (create it with: mkdir -p -m 0700 %s)", xdg,
				  xdg);
	if (!S_ISDIR(st.st_mode))
		return hutch_fail_plain(err, ENOTDIR, "XDG_RUNTIME_DIR=%s is not a directory", xdg);
	if (st.st_uid != uid)
		return hutch_fail_plain(
		    err, EPERM,
		    "XDG_RUNTIME_DIR=%s belongs to uid %u, not to you (uid %u).\n"
		    "This happens after su or sudo, which keep the old value. Log in as the user\n"
		    "(machinectl shell USER@, or ssh), or point it at a directory of your own:\n"
		    "  export XDG_RUNTIME_DIR=/tmp/hutch-run-%u\n"
		    "  mkdir -p -m 0700 \"$XDG_RUNTIME_DIR\"",
		    xdg, (unsigned)st.st_uid, (unsigned)uid, (unsigned)uid);
	if (st.st_mode & 0022)
		return hutch_fail_plain(err, EPERM,
					"XDG_RUNTIME_DIR=%s is writable by others (mode %04o); "
					"fix with: chmod 0700 %s",
					xdg, (unsigned)(st.st_mode & 07777), xdg);
	snprintf(out, size, "%s/hutch", xdg);
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return hutch_fail(err, errno, "mkdir %s", out);
	if (lstat(out, &st) < 0)
		return hutch_fail(err, errno, "stat %s", out);
	if (!S_ISDIR(st.st_mode) || st.st_uid != uid)
		return hutch_fail_plain(err, EPERM, "%s is not a directory of yours", out);
	if ((st.st_mode & 0777) != 0700 && chmod(out, 0700) < 0)
		return hutch_fail(err, errno, "chmod 0700 %s", out);
	return 0;
}

/* One hutchd per user: a lock held for our whole life. */
static int take_instance_lock(const char *runtime_dir, const char *sock, hutch_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/hutchd.lock", runtime_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return hutch_fail(err, errno, "open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char buf[32] = "";
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		close(fd);
		return hutch_fail_plain(
		    err, EBUSY, "hutchd is already running for this user (pid %s, socket %s)",
		    buf[0] ? buf : "?", sock);
	}
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		log_warning("write %s: %s", path, strerror(errno));
	return fd; /* kept open (and locked) until exit */
}

/* systemd socket activation: fds start at 3 when LISTEN_PID is us. */
static int activation_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	if (pid == NULL || fds == NULL || atoi(pid) != (int)getpid() || atoi(fds) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	int type = 0;
	socklen_t len = sizeof(type);
	if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return -1;
	fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

static int bind_socket(const char *path, hutch_error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path))
		return hutch_fail_plain(err, ENAMETOOLONG, "socket path %s is too long", path);
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hutch_fail(err, errno, "socket");
	/* We hold the instance lock, so an existing socket is stale. */
	unlink(path);
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 128) < 0) {
		int e = errno;
		close(fd);
		return hutch_fail(err, e, "listen on %s", path);
	}
	return fd;
}

static int default_root(char *out, size_t size, hutch_error *err)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	if (xdg && xdg[0] == '/')
		snprintf(out, size, "%s/hutch", xdg);
	else if (home && home[0] == '/')
		snprintf(out, size, "%s/.local/share/hutch", home);
	else
		return hutch_fail_plain(err, EINVAL,
					"neither XDG_DATA_HOME nor HOME is set: give --root DIR");
	return 0;
}

static pthread_mutex_t sandbox_warned_lock = PTHREAD_MUTEX_INITIALIZER;

pid_t hutchd_sandbox(struct hutchd *d)
{
	static bool warned;
	pid_t pid = 0;
	bool single = false;
	hutch_error err = {0};
	if (sandbox_ensure(d->runtime_dir, &pid, &single, &err) == 0)
		return pid;
	pthread_mutex_lock(&sandbox_warned_lock);
	if (!warned)
		log_warning("no user sandbox (%s): layers are unpacked as your own uid, other "
			    "owners recorded in xattrs",
			    err.msg);
	warned = true;
	pthread_mutex_unlock(&sandbox_warned_lock);
	return 0;
}

int hutchd_remove_tree(void *ctx, const char *path, hutch_error *err)
{
	struct hutchd *d = ctx;
	return helper_remove(hutchd_sandbox(d), path, err);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], SANDBOX_HOLDER_ARG) == 0)
		return sandbox_holder_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], HELPER_ARG) == 0)
		return helper_main(argc, argv);

	hutch_log_set_program("hutchd");
	struct options o = {0};
	enum { OPT_ROOT = 256, OPT_CONFIG, OPT_LOG, OPT_LEVEL, OPT_INSECURE, OPT_PARALLEL };
	static const struct option longopts[] = {
	    {"root", required_argument, NULL, OPT_ROOT},
	    {"config", required_argument, NULL, OPT_CONFIG},
	    {"log", required_argument, NULL, OPT_LOG},
	    {"log-level", required_argument, NULL, OPT_LEVEL},
	    {"insecure-registry", required_argument, NULL, OPT_INSECURE},
	    {"max-parallel-downloads", required_argument, NULL, OPT_PARALLEL},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			o.root = strdup(optarg);
			break;
		case OPT_CONFIG:
			o.config = strdup(optarg);
			break;
		case OPT_LOG:
			o.log = strdup(optarg);
			break;
		case OPT_LEVEL:
			o.log_level = strdup(optarg);
			break;
		case OPT_INSECURE:
			add_insecure(&o, optarg);
			break;
		case OPT_PARALLEL:
			o.max_parallel = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("hutchd version %s (Docker Engine API %s)\n", PACKAGE_VERSION,
			       HUTCH_API_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hutchd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	hutch_error err = {0};
	char cfgpath[PATH_MAX];
	if (o.config)
		snprintf(cfgpath, sizeof(cfgpath), "%s", o.config);
	else if (getenv("XDG_CONFIG_HOME") && getenv("XDG_CONFIG_HOME")[0] == '/')
		snprintf(cfgpath, sizeof(cfgpath), "%s/hutch/hutch.conf",
			 getenv("XDG_CONFIG_HOME"));
	else
		snprintf(cfgpath, sizeof(cfgpath), "%s/.config/hutch/hutch.conf",
			 getenv("HOME") ? getenv("HOME") : "/nonexistent");
	if (read_config(cfgpath, o.config != NULL, &o, &err) < 0)
		goto fail;
	if (o.log && hutch_log_open(o.log, &err) < 0)
		goto fail;
	if (o.log_level) {
		enum hutch_log_level lvl;
		if (hutch_log_parse_level(o.log_level, &lvl, &err) < 0)
			goto fail;
		hutch_log_set_level(lvl);
	} else {
		hutch_log_set_level(HUTCH_LOG_INFO);
	}
	umask(0077);

	static struct hutchd d;
	d.uid = getuid();
	d.started = time(NULL);
	d.insecure = o.insecure;
	d.max_parallel = o.max_parallel > 0 ? o.max_parallel : 4;
	d.slirp_outbound_allow = o.outbound_allow;
	d.slirp_resolv_conf = o.resolv_conf;
	if (check_runtime_dir(d.runtime_dir, sizeof(d.runtime_dir), &err) < 0)
		goto fail;
	snprintf(d.socket_path, sizeof(d.socket_path), "%s/hutchd.sock", d.runtime_dir);
	if (o.root)
		snprintf(d.root, sizeof(d.root), "%s", o.root);
	else if (default_root(d.root, sizeof(d.root), &err) < 0)
		goto fail;
	if (take_instance_lock(d.runtime_dir, d.socket_path, &err) < 0)
		goto fail;

	/* Signals go to the main thread's sigwait, never to a worker. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (store_open(d.root, hutchd_remove_tree, &d, &d.store, &err) < 0)
		goto fail;
	/* Snapshots a power cut may have emptied are unpacked again before
	 * any container or request can use them. */
	if (store_sync_recover(&d, &err) < 0)
		goto fail;
	/* Containers before the socket: a client must never see a registry
	 * that has not re-adopted the running ones yet. */
	volumes_sweep(&d);
	if (containers_init(&d, &err) < 0)
		goto fail;
	int listen_fd = activation_socket();
	bool activated = listen_fd >= 0;
	if (!activated && (listen_fd = bind_socket(d.socket_path, &err)) < 0)
		goto fail;
	struct MHD_Daemon *mhd = server_start(&d, listen_fd, &err);
	if (mhd == NULL)
		goto fail;
	log_info("hutchd %s listening on %s%s, store %s", PACKAGE_VERSION, d.socket_path,
		 activated ? " (socket activation)" : "", d.root);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP)
			continue;
		log_info("signal %d: shutting down", sig);
		break;
	}
	d.stopping = true;
	server_stop(mhd);
	containers_shutdown(&d);
	if (!activated)
		unlink(d.socket_path);
	store_sync_shutdown(&d);
	store_close(d.store);
	log_info("hutchd stopped");
	options_free(&o);
	return 0;
fail:
	hutch_log_error(&err);
	options_free(&o);
	return 1;
}
