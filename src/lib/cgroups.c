/* Optional cgroups: where the container's cgroup goes, whether we may
 * have one at all, and the operations on a recorded cgroup.
 *
 * The recorded path (kept in the container state) is the cgroup directory
 * on cgroup v2, and on v1 the directories of every hierarchy joined with
 * commas; the file system type of the first one tells which is which, so
 * the record needs no format of its own.
 *
 * Whether we may create a cgroup is found out by trying: the first mkdir
 * failing with EACCES, EPERM or EROFS means "no delegation" (rootless on
 * v1 or hybrid, rootless v2 outside a delegated subtree, root inside a
 * user namespace). Then the container runs without a cgroup after one
 * warning, unless the config names a cgroupsPath, which is an error. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroups.h"
#include "cleanup.h"
#include "file-util.h"
#include "log.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define DEFAULT_PARENT "hutch-oci"

static bool fs_is(const char *path, long magic)
{
	struct statfs sfs;
	return statfs(path, &sfs) == 0 && (long)sfs.f_type == magic;
}

enum cgroup_layout cgroup_detect_layout(void)
{
	if (fs_is(CGROUP_ROOT, CGROUP2_SUPER_MAGIC))
		return CGROUP_LAYOUT_UNIFIED;
	if (!fs_is(CGROUP_ROOT, TMPFS_MAGIC))
		return CGROUP_LAYOUT_NONE;
	if (fs_is(CGROUP_ROOT "/unified", CGROUP2_SUPER_MAGIC))
		return CGROUP_LAYOUT_HYBRID;
	return CGROUP_LAYOUT_LEGACY;
}

const char *cgroup_layout_name(enum cgroup_layout layout)
{
	switch (layout) {
	case CGROUP_LAYOUT_UNIFIED:
		return "unified (cgroup v2)";
	case CGROUP_LAYOUT_HYBRID:
		return "hybrid (cgroup v1 with a cgroup2 unified mount)";
	case CGROUP_LAYOUT_LEGACY:
		return "legacy (cgroup v1)";
	case CGROUP_LAYOUT_NONE:
		break;
	}
	return "none";
}

/* ---- file helpers ---- */

int cgroup_write(const char *dir, const char *file, const char *value, hutch_error *err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return hutch_fail(err, ENOMEM, "cgroup %s", dir);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return hutch_fail_plain(err, ENOENT,
					"cgroup %s: %s does not exist (its controller is not "
					"enabled or not delegated)",
					dir, file);
	if (fd < 0)
		return hutch_fail(err, errno, "open %s", path);
	if (write_all(fd, value, strlen(value)) < 0)
		return hutch_fail(err, errno, "write '%s' to %s", value, path);
	return 0;
}

bool cgroup_has_file(const char *dir, const char *file)
{
	_cleanup_free_ char *path = NULL;
	return asprintf(&path, "%s/%s", dir, file) >= 0 && access(path, F_OK) == 0;
}

/* rmdir of a cgroup fails with EBUSY for a moment after its last process
 * exited (the kernel frees it asynchronously): retry for a second. */
static int rmdir_retrying(const char *dir, hutch_error *err)
{
	for (int i = 0; i < 100; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	return hutch_fail(err, errno, "remove cgroup %s", dir);
}

int cgroup_rmdir_tree(const char *dir, hutch_error *err)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : hutch_fail(err, errno, "open cgroup %s", dir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *sub = NULL;
		if (asprintf(&sub, "%s/%s", dir, e->d_name) < 0)
			return hutch_fail(err, ENOMEM, "cgroup %s", dir);
		if (cgroup_rmdir_tree(sub, err) < 0)
			return -1;
	}
	return rmdir_retrying(dir, err);
}

static int append_pid(pid_t **pids, size_t *n, pid_t pid)
{
	pid_t *grown = realloc(*pids, (*n + 1) * sizeof(pid_t));
	if (grown == NULL)
		return -1;
	grown[(*n)++] = pid;
	*pids = grown;
	return 0;
}

static int read_pids_into(const char *dir, pid_t **pids, size_t *n, hutch_error *err)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	if (asprintf(&path, "%s/cgroup.procs", dir) < 0)
		return hutch_fail(err, ENOMEM, "cgroup %s", dir);
	if (read_file_all(path, 16 << 20, &text, NULL, err) < 0)
		return -1;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save))
		if (append_pid(pids, n, (pid_t)atol(l)) < 0)
			return hutch_fail(err, ENOMEM, "cgroup %s", dir);

	_cleanup_closedir_ DIR *d = opendir(dir);
	if (d == NULL)
		return hutch_fail(err, errno, "open cgroup %s", dir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *sub = NULL;
		if (asprintf(&sub, "%s/%s", dir, e->d_name) < 0)
			return hutch_fail(err, ENOMEM, "cgroup %s", dir);
		if (read_pids_into(sub, pids, n, err) < 0)
			return -1;
	}
	return 0;
}

int cgroup_read_pids_tree(const char *dir, pid_t **pids, size_t *n, hutch_error *err)
{
	*pids = NULL;
	*n = 0;
	if (read_pids_into(dir, pids, n, err) < 0) {
		free(*pids);
		*pids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* ---- where the cgroup goes ---- */

int cgroup_systemd_path(const char *spec, bool root, char **out, hutch_error *err)
{
	const char *c1 = strchr(spec, ':');
	const char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
	if (c1 == NULL || c2 == NULL || strchr(c2 + 1, ':') != NULL)
		return hutch_fail_plain(err, EINVAL,
					"linux.cgroupsPath '%s': the systemd cgroup manager "
					"expects slice:prefix:name",
					spec);
	_cleanup_free_ char *slice = strndup(spec, (size_t)(c1 - spec));
	_cleanup_free_ char *prefix = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
	const char *name = c2 + 1;
	if (slice == NULL || prefix == NULL)
		return hutch_fail(err, ENOMEM, "cgroupsPath");
	if (slice[0] == '\0') {
		free(slice);
		slice = strdup(root ? "system.slice" : "user.slice");
		if (slice == NULL)
			return hutch_fail(err, ENOMEM, "cgroupsPath");
	}
	size_t sl = strlen(slice);
	if (sl < 7 || strcmp(slice + sl - 6, ".slice") != 0 || strchr(slice, '/') != NULL ||
	    name[0] == '\0' || strchr(name, '/') != NULL || strchr(prefix, '/') != NULL)
		return hutch_fail_plain(err, EINVAL,
					"linux.cgroupsPath '%s': not a valid systemd "
					"slice:prefix:name",
					spec);

	/* systemd nests a slice in the slices its dashes name:
	 * "a-b.slice" lives in "a.slice/a-b.slice"; "-.slice" is the root. */
	size_t cap = 2 * sl + strlen(prefix) + strlen(name) + 32;
	_cleanup_free_ char *path = calloc(1, cap);
	if (path == NULL)
		return hutch_fail(err, ENOMEM, "cgroupsPath");
	if (strcmp(slice, "-.slice") != 0) {
		const char *base_end = slice + sl - 6;
		for (const char *p = slice; p <= base_end; p++) {
			if (p != base_end && *p != '-')
				continue;
			if (p == slice || p[-1] == '-')
				return hutch_fail_plain(
				    err, EINVAL, "linux.cgroupsPath '%s': bad slice name", spec);
			size_t len = strlen(path);
			snprintf(path + len, cap - len, "%s%.*s.slice", len > 0 ? "/" : "",
				 (int)(p - slice), slice);
		}
	}
	size_t len = strlen(path);
	if (strlen(name) > 6 && strcmp(name + strlen(name) - 6, ".slice") == 0)
		snprintf(path + len, cap - len, "%s%s", len > 0 ? "/" : "", name);
	else
		snprintf(path + len, cap - len, "%s%s%s%s.scope", len > 0 ? "/" : "", prefix,
			 prefix[0] != '\0' ? "-" : "", name);
	*out = steal_pointer(&path);
	return 0;
}

/* The line of /proc/self/cgroup for a hierarchy: "0::/path" for v2,
 * "4:memory:/path" for v1. Returns the path part, caller frees. */
static char *own_cgroup(const char *controllers)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	if (f == NULL)
		return NULL;
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	while (getline(&line, &size, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		if ((size_t)(c2 - c1 - 1) == strlen(controllers) &&
		    strncmp(c1 + 1, controllers, strlen(controllers)) == 0)
			return strdup(c2 + 1);
	}
	return NULL;
}

/* A v1 hierarchy this process belongs to and where it is mounted. */
struct v1_hierarchy {
	char *controllers; /* "memory", "cpu,cpuacct", "name=systemd" */
	char *own;	   /* our cgroup in it, relative to its root */
	char *mountpoint;  /* NULL when not mounted here */
	char *mount_root;  /* the cgroup the mount shows as its root */
};

static void v1_hierarchies_free(struct v1_hierarchy *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].controllers);
		free(h[i].own);
		free(h[i].mountpoint);
		free(h[i].mount_root);
	}
	free(h);
}

/* Whether every controller of a hierarchy is among a mount's options. */
static bool options_hold(const char *options, const char *controllers)
{
	_cleanup_free_ char *want = strdup(controllers);
	if (want == NULL)
		return false;
	char *save = NULL;
	for (char *c = strtok_r(want, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(c);
		bool found = false;
		for (const char *p = options; !found && (p = strstr(p, c)) != NULL; p += len)
			found = (p == options || p[-1] == ',') && (p[len] == ',' || p[len] == '\0');
		if (!found)
			return false;
	}
	return true;
}

/* mountinfo: "id parent maj:min root mountpoint opts [tags] - fstype src superopts" */
static void find_v1_mount(struct v1_hierarchy *h)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return;
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	while (getline(&line, &size, f) > 0) {
		char root[4096], mnt[4096], fstype[64], superopts[1024];
		const char *sep = strstr(line, " - ");
		if (sep == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, superopts) != 2)
			continue;
		if (strcmp(fstype, "cgroup") != 0 || !options_hold(superopts, h->controllers))
			continue;
		h->mountpoint = strdup(mnt);
		h->mount_root = strdup(root);
		return;
	}
}

static int v1_hierarchies(struct v1_hierarchy **out, size_t *n, hutch_error *err)
{
	*out = NULL;
	*n = 0;
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	if (f == NULL)
		return hutch_fail(err, errno, "open /proc/self/cgroup");
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	struct v1_hierarchy *list = NULL;
	size_t count = 0;
	while (getline(&line, &size, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL || c2 == c1 + 1) /* the v2 line has no controllers */
			continue;
		struct v1_hierarchy *grown = realloc(list, (count + 1) * sizeof(*list));
		if (grown == NULL) {
			v1_hierarchies_free(list, count);
			return hutch_fail(err, ENOMEM, "cgroup hierarchies");
		}
		list = grown;
		list[count] = (struct v1_hierarchy){
		    .controllers = strndup(c1 + 1, (size_t)(c2 - c1 - 1)), .own = strdup(c2 + 1)};
		count++;
		if (list[count - 1].controllers == NULL || list[count - 1].own == NULL) {
			v1_hierarchies_free(list, count);
			return hutch_fail(err, ENOMEM, "cgroup hierarchies");
		}
		find_v1_mount(&list[count - 1]);
	}
	*out = list;
	*n = count;
	return 0;
}

/* Our own cgroup as seen inside a mount whose root is mount_root. */
static const char *relative_to_mount(const char *own, const char *mount_root)
{
	size_t len = strlen(mount_root);
	if (strcmp(mount_root, "/") == 0)
		return own;
	if (strncmp(own, mount_root, len) == 0 && (own[len] == '/' || own[len] == '\0'))
		return own + len;
	return own;
}

static int join_path(char **out, const char *a, const char *b, const char *c)
{
	/* a + "/" + b + "/" + c with the slashes folded. */
	_cleanup_free_ char *raw = NULL;
	if (asprintf(&raw, "%s/%s/%s", a, b, c != NULL ? c : "") < 0)
		return -1;
	char *w = raw;
	for (const char *r = raw; *r != '\0'; r++)
		if (!(*r == '/' && w > raw && w[-1] == '/'))
			*w++ = *r;
	while (w > raw + 1 && w[-1] == '/')
		w--;
	*w = '\0';
	*out = steal_pointer(&raw);
	return 0;
}

static bool is_denied(int e)
{
	return e == EACCES || e == EPERM || e == EROFS;
}

/* The v1 directories for spec, comma-joined. */
static int v1_dirs_for(const char *spec, char ***dirs, size_t *n, hutch_error *err)
{
	struct v1_hierarchy *h = NULL;
	size_t nh = 0;
	if (v1_hierarchies(&h, &nh, err) < 0)
		return -1;
	char **list = calloc(nh + 1, sizeof(char *));
	size_t count = 0;
	int ret = 0;
	for (size_t i = 0; list != NULL && i < nh; i++) {
		if (h[i].mountpoint == NULL) {
			log_debug("cgroup v1 hierarchy %s is not mounted here, skipped",
				  h[i].controllers);
			continue;
		}
		const char *base =
		    spec[0] == '/' ? "/" : relative_to_mount(h[i].own, h[i].mount_root);
		if (join_path(&list[count], h[i].mountpoint, base, spec) < 0) {
			ret = hutch_fail(err, ENOMEM, "cgroup path");
			break;
		}
		count++;
	}
	v1_hierarchies_free(h, nh);
	if (list == NULL)
		return hutch_fail(err, ENOMEM, "cgroup path");
	if (ret < 0 || count == 0) {
		strv_free(list);
		return ret < 0 ? ret
			       : hutch_fail_plain(err, ENOENT, "no cgroup v1 hierarchy is mounted");
	}
	*dirs = list;
	*n = count;
	return 0;
}

/* The v2 directory for spec. A relative spec goes under the subtree we
 * were delegated: the parent of our own cgroup when we may write there
 * (a systemd user scope sits in app.slice, which the user owns), else our
 * own cgroup. */
static int v2_dir_for(const char *spec, char **dir, hutch_error *err)
{
	if (spec[0] == '/') {
		if (join_path(dir, CGROUP_ROOT, spec, NULL) < 0)
			return hutch_fail(err, ENOMEM, "cgroup path");
		return 0;
	}
	_cleanup_free_ char *own = own_cgroup("");
	if (own == NULL)
		return hutch_fail_plain(err, ENOENT, "cannot find our cgroup in /proc/self/cgroup");
	_cleanup_free_ char *own_dir = NULL, *parent_dir = NULL;
	if (join_path(&own_dir, CGROUP_ROOT, own, NULL) < 0 ||
	    join_path(&parent_dir, own_dir, "..", NULL) < 0)
		return hutch_fail(err, ENOMEM, "cgroup path");
	const char *base =
	    strcmp(own, "/") != 0 && access(parent_dir, W_OK) == 0 ? parent_dir : own_dir;
	_cleanup_free_ char *resolved = realpath(base, NULL);
	if (resolved == NULL)
		return hutch_fail(err, errno, "cgroup %s", base);
	if (access(resolved, W_OK) < 0)
		return hutch_fail(err, errno, "cgroup %s is not delegated to us", resolved);
	if (join_path(dir, resolved, spec, NULL) < 0)
		return hutch_fail(err, ENOMEM, "cgroup path");
	return 0;
}

static int record_dirs(char **dirs, size_t n, char **out, hutch_error *err)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++) {
		if (strchr(dirs[i], ',') != NULL)
			return hutch_fail_plain(err, EINVAL,
						"cgroup path %s: a comma is not allowed", dirs[i]);
		len += strlen(dirs[i]) + 1;
	}
	char *s = calloc(1, len);
	if (s == NULL)
		return hutch_fail(err, ENOMEM, "cgroup path");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, dirs[i]);
	}
	*out = s;
	return 0;
}

/* Split a recorded path back into its directories. */
static int recorded_dirs(const char *path, char ***dirs, size_t *n, hutch_error *err)
{
	_cleanup_free_ char *copy = strdup(path);
	size_t count = 1;
	for (const char *p = path; *p != '\0'; p++)
		count += *p == ',';
	char **list = calloc(count + 1, sizeof(char *));
	if (copy == NULL || list == NULL) {
		free(list);
		return hutch_fail(err, ENOMEM, "cgroup path");
	}
	size_t i = 0;
	char *save = NULL;
	for (char *d = strtok_r(copy, ",", &save); d != NULL; d = strtok_r(NULL, ",", &save)) {
		if ((list[i] = strdup(d)) == NULL) {
			strv_free(list);
			return hutch_fail(err, ENOMEM, "cgroup path");
		}
		i++;
	}
	*dirs = list;
	*n = i;
	return 0;
}

static bool recorded_is_v2(char **dirs, size_t n)
{
	return n == 1 && fs_is(dirs[0], CGROUP2_SUPER_MAGIC);
}

int cgroup_enter(const char *path, pid_t pid, hutch_error *err)
{
	if (path == NULL)
		return 0;
	_cleanup_strv_ char **dirs = NULL;
	size_t n = 0;
	if (recorded_dirs(path, &dirs, &n, err) < 0)
		return -1;
	char value[24];
	snprintf(value, sizeof(value), "%d", (int)pid);
	for (size_t i = 0; i < n; i++)
		if (cgroup_write(dirs[i], "cgroup.procs", value, err) < 0)
			return hutch_error_prefix(err, "move process %d into its cgroup", (int)pid);
	return 0;
}

/* The cgroup spec (a path, absolute or relative) for a container. */
static int cgroup_spec(const struct oci_config *cfg, const char *id, enum cgroup_manager manager,
		       char **spec, hutch_error *err)
{
	const char *explicit = cfg->linux_cfg.cgroups_path;
	if (explicit != NULL && explicit[0] != '\0') {
		if (manager == CGROUP_MANAGER_SYSTEMD && strchr(explicit, ':') != NULL) {
			_cleanup_free_ char *p = NULL;
			if (cgroup_systemd_path(explicit, geteuid() == 0, &p, err) < 0)
				return -1;
			/* There is no systemd to ask for a scope; use the path it
			 * would have given, through the cgroup file system. */
			if (asprintf(spec, "%s%s", geteuid() == 0 ? "/" : "", p) < 0)
				return hutch_fail(err, ENOMEM, "cgroup path");
			log_debug("systemd cgroup manager: no systemd to ask, using cgroupfs at "
				  "%s for %s",
				  *spec, explicit);
			return 0;
		}
		*spec = strdup(explicit);
	} else if (asprintf(spec, DEFAULT_PARENT "/%s", id) < 0) {
		*spec = NULL;
	}
	if (*spec == NULL)
		return hutch_fail(err, ENOMEM, "cgroup path");
	return 0;
}

static int create_and_join(enum cgroup_layout layout, const char *spec, pid_t pid,
			   const struct cgroup_resources *res, const struct oci_config *cfg,
			   char **record, hutch_error *err)
{
	_cleanup_strv_ char **dirs = NULL;
	size_t n = 0;
	if (layout == CGROUP_LAYOUT_UNIFIED) {
		dirs = calloc(2, sizeof(char *));
		if (dirs == NULL)
			return hutch_fail(err, ENOMEM, "cgroup path");
		if (v2_dir_for(spec, &dirs[0], err) < 0 || cgroup_v2_create(dirs[0], err) < 0)
			return -1;
		n = 1;
	} else {
		if (v1_dirs_for(spec, &dirs, &n, err) < 0 || cgroup_v1_create(dirs, n, err) < 0)
			return -1;
	}
	if (record_dirs(dirs, n, record, err) < 0)
		return -1;

	char value[24];
	snprintf(value, sizeof(value), "%d", (int)pid);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		r = cgroup_write(dirs[i], "cgroup.procs", value, err);
	if (r == 0)
		r = layout == CGROUP_LAYOUT_UNIFIED ? cgroup_v2_apply(dirs[0], res, err)
						    : cgroup_v1_apply(dirs, n, res, cfg, err);
	if (r < 0) {
		hutch_error ignored = {0};
		for (size_t i = 0; i < n; i++)
			cgroup_rmdir_tree(dirs[i], &ignored);
		free(*record);
		*record = NULL;
		return -1;
	}
	return 0;
}

/* On v1 and hybrid hosts the controller hierarchies belong to real root
 * and are not delegated to users. Finding that out through the full
 * creation path reads mountinfo once per hierarchy before failing with
 * EACCES (about 2 ms of every rootless start here), so an unprivileged
 * caller looks at the permission of one hierarchy first. An explicit
 * cgroupsPath always takes the full path: an administrator may have
 * chown'ed a v1 subtree to the user. */
static bool v1_hierarchies_closed_to_us(enum cgroup_layout layout)
{
	if (layout != CGROUP_LAYOUT_HYBRID && layout != CGROUP_LAYOUT_LEGACY)
		return false;
	static const char *const probes[] = {CGROUP_ROOT "/pids", CGROUP_ROOT "/memory",
					     CGROUP_ROOT "/cpu"};
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		if (faccessat(AT_FDCWD, probes[i], F_OK, AT_EACCESS) < 0)
			continue;
		return faccessat(AT_FDCWD, probes[i], W_OK, AT_EACCESS) < 0 && errno == EACCES;
	}
	return false;
}

int cgroup_create(const struct oci_config *cfg, const char *id, pid_t pid,
		  enum cgroup_manager manager, char **path_out, hutch_error *err)
{
	*path_out = NULL;
	if (manager == CGROUP_MANAGER_DISABLED) {
		log_debug("cgroup manager disabled: container %s runs without a cgroup", id);
		return 0;
	}
	const char *explicit = cfg->linux_cfg.cgroups_path;
	bool demanded = explicit != NULL && explicit[0] != '\0';

	struct cgroup_resources res;
	if (cgroup_resources_parse(cfg->linux_cfg.resources, &res, err) < 0)
		return -1;
	_cleanup_free_ char *spec = NULL;
	if (cgroup_spec(cfg, id, manager, &spec, err) < 0)
		return -1;

	enum cgroup_layout layout = cgroup_detect_layout();
	hutch_error cerr = {0};
	if (layout == CGROUP_LAYOUT_NONE) {
		hutch_fail_plain(&cerr, ENOENT, "no cgroup file system is mounted at %s",
				 CGROUP_ROOT);
	} else if (!demanded && v1_hierarchies_closed_to_us(layout)) {
		hutch_fail_plain(&cerr, EACCES,
				 "the cgroup v1 hierarchies under %s are not writable by us",
				 CGROUP_ROOT);
	} else if (create_and_join(layout, spec, pid, &res, cfg, path_out, &cerr) == 0) {
		log_debug("container %s: cgroup %s (%s)", id, *path_out,
			  cgroup_layout_name(layout));
		return 0;
	}

	bool no_delegation = layout == CGROUP_LAYOUT_NONE || is_denied(cerr.errnum);
	if (!no_delegation || demanded) {
		*err = cerr;
		return hutch_error_prefix(err, "cgroup %s%s", spec,
					  no_delegation ? " (linux.cgroupsPath demands it, but "
							  "cgroups are not delegated to us)"
							: "");
	}
	log_warning("running without a cgroup: resource limits in the config are not applied "
		    "(%s host, %s)",
		    cgroup_layout_name(layout), cerr.msg);
	return 0;
}

static int no_cgroup(const char *what, hutch_error *err)
{
	return hutch_fail_plain(err, ENOTSUP,
				"container has no cgroup (rootless without cgroup delegation): "
				"%s is not available",
				what);
}

int cgroup_freeze(const char *path, bool freeze, hutch_error *err)
{
	if (path == NULL)
		return no_cgroup(freeze ? "pause" : "resume", err);
	_cleanup_strv_ char **dirs = NULL;
	size_t n = 0;
	if (recorded_dirs(path, &dirs, &n, err) < 0)
		return -1;
	if (recorded_is_v2(dirs, n))
		return cgroup_v2_freeze(dirs[0], freeze, err);
	return cgroup_v1_freeze(dirs, n, freeze, err);
}

int cgroup_update(const char *path, json_object *resources, hutch_error *err)
{
	if (path == NULL)
		return no_cgroup("update", err);
	struct cgroup_resources res;
	if (cgroup_resources_parse(resources, &res, err) < 0)
		return -1;
	_cleanup_strv_ char **dirs = NULL;
	size_t n = 0;
	if (recorded_dirs(path, &dirs, &n, err) < 0)
		return -1;
	if (recorded_is_v2(dirs, n))
		return cgroup_v2_apply(dirs[0], &res, err);
	return cgroup_v1_apply(dirs, n, &res, NULL, err);
}

int cgroup_destroy(const char *path, hutch_error *err)
{
	if (path == NULL)
		return 0;
	_cleanup_strv_ char **dirs = NULL;
	size_t n = 0;
	if (recorded_dirs(path, &dirs, &n, err) < 0)
		return -1;
	int ret = 0;
	for (size_t i = 0; i < n; i++)
		if (cgroup_rmdir_tree(dirs[i], err) < 0)
			ret = -1;
	return ret;
}

int cgroup_pids(const char *path, pid_t **pids, size_t *n, hutch_error *err)
{
	*pids = NULL;
	*n = 0;
	if (path == NULL)
		return no_cgroup("listing its processes", err);
	_cleanup_strv_ char **dirs = NULL;
	size_t nd = 0;
	if (recorded_dirs(path, &dirs, &nd, err) < 0)
		return -1;
	/* Every process is in every hierarchy: one directory tells all. */
	return cgroup_read_pids_tree(dirs[0], pids, n, err);
}

int cgroup_kill(const char *path, int sig, hutch_error *err)
{
	if (path == NULL)
		return no_cgroup("kill --all", err);
	_cleanup_strv_ char **dirs = NULL;
	size_t nd = 0;
	if (recorded_dirs(path, &dirs, &nd, err) < 0)
		return -1;
	if (sig == SIGKILL && recorded_is_v2(dirs, nd) && cgroup_has_file(dirs[0], "cgroup.kill"))
		return cgroup_write(dirs[0], "cgroup.kill", "1", err);

	hutch_error ferr = {0};
	bool frozen = cgroup_freeze(path, true, &ferr) == 0;
	if (!frozen)
		log_debug("kill --all without freezing: %s", ferr.msg);
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int ret = cgroup_read_pids_tree(dirs[0], &pids, &n, err);
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			ret = hutch_fail(err, errno, "kill %d", (int)pids[i]);
	if (frozen)
		cgroup_freeze(path, false, NULL);
	return ret;
}
