#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "namespaces.h"
#include "file-util.h"
#include "json-util.h"
#include "oci-config.h"

int state_root_default(char **out, hutch_error *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	bool use_xdg =
	    geteuid() != 0 || (xdg != NULL && *xdg != '\0' && !userns_caller_is_initial());
	if (!use_xdg) {
		*out = strdup("/run/hutch-oci");
	} else {
		if (xdg == NULL || *xdg == '\0')
			return hutch_fail_plain(
			    err, EINVAL,
			    "XDG_RUNTIME_DIR is not set: set it (a 0700 directory "
			    "of your own, e.g. /run/user/%u) or pass --root DIR",
			    (unsigned)geteuid());
		if (asprintf(out, "%s/hutch-oci", xdg) < 0)
			*out = NULL;
	}
	if (*out == NULL)
		return hutch_fail(err, ENOMEM, "state root");
	return 0;
}

int state_validate_id(const char *id, hutch_error *err)
{
	size_t len = strlen(id);
	if (len == 0 || len > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return hutch_fail_plain(err, EINVAL, "invalid container id '%s'", id);
	for (const char *p = id; *p != '\0'; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			return hutch_fail_plain(
			    err, EINVAL,
			    "invalid container id '%s': only letters, digits and "
			    "_+-. are allowed",
			    id);
	}
	return 0;
}

int state_path(char *buf, size_t size, const char *root, const char *id, const char *name)
{
	int n = name != NULL ? snprintf(buf, size, "%s/%s/%s", root, id, name)
			     : snprintf(buf, size, "%s/%s", root, id);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int lock_dir(const char *path, const char *id, hutch_error *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return hutch_fail_plain(err, ENOENT, "container %s does not exist", id);
		return hutch_fail(err, errno, "open %s", path);
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return hutch_fail(err, e, "lock %s", path);
		}
	}
	/* The directory may have been deleted while we waited for the lock. */
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_nlink == 0) {
		close(fd);
		return hutch_fail_plain(err, ENOENT, "container %s does not exist", id);
	}
	return fd;
}

int state_dir_create(const char *root, const char *id, hutch_error *err)
{
	char path[4096];
	if (state_path(path, sizeof(path), root, id, NULL) < 0)
		return hutch_fail(err, errno, "state directory of %s", id);
	if (mkdir(root, 0700) < 0 && errno != EEXIST) {
		if (errno != ENOENT || mkdir_parents(root, 0700, err) < 0)
			return hutch_fail(err, errno, "create state root %s", root);
	}
	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return hutch_fail_plain(err, EEXIST, "container %s already exists", id);
		return hutch_fail(err, errno, "mkdir %s", path);
	}
	int fd = lock_dir(path, id, err);
	if (fd < 0)
		rmdir(path);
	return fd;
}

int state_dir_lock(const char *root, const char *id, hutch_error *err)
{
	char path[4096];
	if (state_path(path, sizeof(path), root, id, NULL) < 0)
		return hutch_fail(err, errno, "state directory of %s", id);
	return lock_dir(path, id, err);
}

int state_dir_remove(const char *root, const char *id, hutch_error *err)
{
	char path[4096];
	if (state_path(path, sizeof(path), root, id, NULL) < 0)
		return hutch_fail(err, errno, "state directory of %s", id);
	_cleanup_closedir_ DIR *d = opendir(path);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return hutch_fail(err, errno, "open %s", path);
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
			return hutch_fail(err, errno, "remove %s/%s", path, e->d_name);
	}
	if (rmdir(path) < 0 && errno != ENOENT)
		return hutch_fail(err, errno, "remove %s", path);
	return 0;
}

int state_set_created_now(struct container_state *st, hutch_error *err)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char buf[64];
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", ts.tv_nsec);
	free(st->created);
	st->created = strdup(buf);
	if (st->created == NULL)
		return hutch_fail(err, ENOMEM, "state");
	return 0;
}

static void add_string(json_object *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_object_add(o, key, json_object_new_string(value));
}

int state_write(const char *root, const struct container_state *st, hutch_error *err)
{
	char path[4096];
	if (state_path(path, sizeof(path), root, st->id, "state.json") < 0)
		return hutch_fail(err, errno, "state of %s", st->id);
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
	add_string(o, "id", st->id);
	json_object_object_add(o, "pid", json_object_new_int(st->pid));
	json_object_object_add(o, "startTime", json_object_new_uint64(st->start_time));
	add_string(o, "bundle", st->bundle);
	add_string(o, "rootfs", st->rootfs);
	add_string(o, "created", st->created);
	json_object_object_add(o, "owner", json_object_new_int64(st->owner));
	if (st->annotations != NULL)
		json_object_object_add(o, "annotations", json_object_get(st->annotations));
	add_string(o, "cgroupPath", st->cgroup_path);
	json_object_object_add(o, "paused", json_object_new_boolean(st->paused));
	json_object_object_add(o, "noPivot", json_object_new_boolean(st->no_pivot));
	size_t len = 0;
	const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	return state_replace_file(path, text, len, 0600, err);
}

int state_replace_file(const char *path, const void *buf, size_t len, int mode, hutch_error *err)
{
	char tmp[4096];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return hutch_fail(err, ENAMETOOLONG, "write %s", path);
	_cleanup_close_ int fd =
	    open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
	if (fd < 0)
		return hutch_fail(err, errno, "create %s", tmp);
	if (write_all(fd, buf, len) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return hutch_fail(err, e, "write %s", path);
	}
	return 0;
}

int state_write_pid_file(const char *path, pid_t pid, hutch_error *err)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	return state_replace_file(path, buf, (size_t)n, 0644, err);
}

static int dup_member(json_object *o, const char *key, char **out, hutch_error *err)
{
	const char *s = NULL;
	if (json_get_string(o, "state", key, false, &s, err) < 0)
		return -1;
	if (s != NULL && (*out = strdup(s)) == NULL)
		return hutch_fail(err, ENOMEM, "state");
	return 0;
}

int state_read(const char *root, const char *id, struct container_state *st, hutch_error *err)
{
	memset(st, 0, sizeof(*st));
	char path[4096];
	if (state_path(path, sizeof(path), root, id, "state.json") < 0)
		return hutch_fail(err, errno, "state of %s", id);
	_cleanup_json_ json_object *o = NULL;
	if (json_read_file(path, &o, err) < 0) {
		if (err->errnum == ENOENT) {
			hutch_error_clear(err);
			return hutch_fail_plain(err, ENOENT, "container %s does not exist", id);
		}
		return -1;
	}
	int64_t pid = 0, owner = 0;
	json_object *v = NULL;
	if (json_get_int64(o, "state", "pid", true, &pid, err) < 0 ||
	    json_get_int64(o, "state", "owner", false, &owner, err) < 0)
		return -1;
	st->pid = (pid_t)pid;
	st->owner = (uid_t)owner;
	if (json_object_object_get_ex(o, "startTime", &v))
		st->start_time = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "annotations", &v) &&
	    json_object_is_type(v, json_type_object))
		st->annotations = json_object_get(v);
	if (json_get_bool(o, "state", "paused", &st->paused, err) < 0 ||
	    json_get_bool(o, "state", "noPivot", &st->no_pivot, err) < 0)
		return -1;
	if ((st->id = strdup(id)) == NULL)
		return hutch_fail(err, ENOMEM, "state");
	if (dup_member(o, "bundle", &st->bundle, err) < 0 ||
	    dup_member(o, "rootfs", &st->rootfs, err) < 0 ||
	    dup_member(o, "created", &st->created, err) < 0 ||
	    dup_member(o, "cgroupPath", &st->cgroup_path, err) < 0) {
		state_clear(st);
		return -1;
	}
	return 0;
}

void state_clear(struct container_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->cgroup_path);
	if (st->annotations != NULL)
		json_object_put(st->annotations);
	memset(st, 0, sizeof(*st));
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list(const char *root, char ***ids, size_t *n, hutch_error *err)
{
	*ids = NULL;
	*n = 0;
	_cleanup_closedir_ DIR *d = opendir(root);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return hutch_fail(err, errno, "open %s", root);
	}
	size_t cap = 0, count = 0;
	_cleanup_strv_ char **list = NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		if (count + 2 > cap) {
			cap = cap ? cap * 2 : 16;
			char **nl = realloc(list, cap * sizeof(*nl));
			if (nl == NULL)
				return hutch_fail(err, ENOMEM, "list %s", root);
			list = nl;
		}
		if ((list[count] = strdup(e->d_name)) == NULL)
			return hutch_fail(err, ENOMEM, "list %s", root);
		list[++count] = NULL;
	}
	if (count > 0)
		qsort(list, count, sizeof(*list), compare_strings);
	*ids = steal_pointer(&list);
	*n = count;
	return 0;
}

int proc_start_time(pid_t pid, unsigned long long *start_time, bool *alive)
{
	char path[64], buf[1024];
	*alive = false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? 0 : -1;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	/* The command name may hold spaces and parentheses: fields restart
	 * after its last ')'. */
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return -1;
	p += 2;
	char state = *p;
	/* Fields 3..22: state is field 3, start time field 22. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return -1;
		p++;
	}
	*start_time = strtoull(p, NULL, 10);
	*alive = state != 'Z' && state != 'X' && state != 'x';
	return 0;
}

enum container_status state_status(const char *root, const struct container_state *st)
{
	unsigned long long start = 0;
	bool alive = false;
	if (st->pid <= 0 || proc_start_time(st->pid, &start, &alive) < 0 || !alive ||
	    start != st->start_time)
		return CONTAINER_STOPPED;
	if (st->paused)
		return CONTAINER_PAUSED;
	char fifo[4096];
	if (state_path(fifo, sizeof(fifo), root, st->id, STATE_EXEC_FIFO) == 0 &&
	    access(fifo, F_OK) == 0)
		return CONTAINER_CREATED;
	return CONTAINER_RUNNING;
}

const char *container_status_name(enum container_status s)
{
	switch (s) {
	case CONTAINER_CREATING:
		return "creating";
	case CONTAINER_CREATED:
		return "created";
	case CONTAINER_RUNNING:
		return "running";
	case CONTAINER_PAUSED:
		return "paused";
	case CONTAINER_STOPPED:
		return "stopped";
	}
	return "unknown";
}

json_object *state_to_json(const struct container_state *st, enum container_status status)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
	add_string(o, "id", st->id);
	json_object_object_add(o, "pid",
			       json_object_new_int(status == CONTAINER_STOPPED ? 0 : st->pid));
	json_object_object_add(o, "status", json_object_new_string(container_status_name(status)));
	add_string(o, "bundle", st->bundle);
	add_string(o, "rootfs", st->rootfs);
	add_string(o, "created", st->created);
	json_object_object_add(o, "annotations",
			       st->annotations != NULL ? json_object_get(st->annotations)
						       : json_object_new_object());
	/* runc reports the owner by name; a uid without a passwd entry is
	 * shown as its number. */
	struct passwd *pw = getpwuid(st->owner);
	char uid_buf[16];
	snprintf(uid_buf, sizeof(uid_buf), "%u", (unsigned)st->owner);
	json_object_object_add(o, "owner",
			       json_object_new_string(pw != NULL ? pw->pw_name : uid_buf));
	return o;
}

char *state_hook_json(const char *id, pid_t pid, const char *status, const char *bundle,
		      json_object *annotations)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "status", json_object_new_string(status));
	if (pid > 0)
		json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "bundle", json_object_new_string(bundle));
	if (annotations != NULL)
		json_object_object_add(o, "annotations", json_object_get(annotations));
	return strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}
