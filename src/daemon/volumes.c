/* The volume store (see volumes.h): directories and their metadata,
 * created and removed so that a crash leaves a whole volume or garbage
 * that the next start sweeps, never a volume without its metadata. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctr-build-internal.h"
#include "file-util.h"
#include "json-util.h"
#include "log.h"
#include "volumes.h"

#define METADATA "volume.json"

static pthread_rwlock_t volumes_rwlock = PTHREAD_RWLOCK_INITIALIZER;

void volumes_lock_shared(void)
{
	pthread_rwlock_rdlock(&volumes_rwlock);
}

void volumes_lock_exclusive(void)
{
	pthread_rwlock_wrlock(&volumes_rwlock);
}

void volumes_unlock(void)
{
	pthread_rwlock_unlock(&volumes_rwlock);
}

bool volume_name_valid(const char *s)
{
	if (strlen(s) < 2)
		return false;
	for (const char *p = s; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9');
		if (!alnum && (p == s || (*p != '_' && *p != '.' && *p != '-')))
			return false;
	}
	return true;
}

int volume_name_error(const char *name, hutch_error *err)
{
	return hutch_fail_plain(err, EINVAL,
				"create %s: \"%s\" includes invalid characters for a local volume "
				"name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you "
				"intended to pass a host directory, use absolute path",
				name, name);
}

static const char *opt(json_object *opts, const char *key)
{
	json_object *v;
	return opts && json_object_object_get_ex(opts, key, &v) ? json_object_get_string(v) : NULL;
}

/* Docker's local driver checks (invalid option, missing required
 * option, quota), then what a rootless daemon can mount: nothing but a
 * bind, and that one only of a directory that exists. */
static int options_check(const char *name, json_object *opts, hutch_error *err)
{
	if (opts == NULL || json_object_object_length(opts) == 0)
		return 0;
	static const char *const known[] = {"type", "o", "device", "size"};
	json_object_object_foreach(opts, key, val)
	{
		(void)val;
		bool ok = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok = ok || strcmp(key, known[i]) == 0;
		if (!ok)
			return hutch_fail_plain(err, EINVAL, "create %s: invalid option: \"%s\"",
						name, key);
	}
	if (opt(opts, "size") != NULL)
		return hutch_fail_plain(
		    err, EINVAL, "create %s: quota size requested but no quota support", name);
	/* Docker's mandatory pairs: device needs type, type and o need device. */
	const char *type = opt(opts, "type"), *o = opt(opts, "o"), *device = opt(opts, "device");
	if (device != NULL && type == NULL)
		return hutch_fail_plain(err, EINVAL, "create %s: missing required option: \"type\"",
					name);
	if ((type != NULL || o != NULL) && device == NULL)
		return hutch_fail_plain(err, EINVAL,
					"create %s: missing required option: \"device\"", name);
	bool bind = false;
	_cleanup_free_ char *words = strdup(o ? o : "");
	char *save = NULL;
	for (char *w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "bind") == 0 || strcmp(w, "rbind") == 0)
			bind = true;
		else
			return hutch_fail_plain(
			    err, EINVAL,
			    "create %s: mount option \"%s\" is not supported: a "
			    "rootless hutchd can only bind a directory "
			    "(type=none, o=bind, device=/path)",
			    name, w);
	}
	if (strcmp(type, "none") != 0 || !bind)
		return hutch_fail_plain(err, EINVAL,
					"create %s: a rootless hutchd cannot mount a file system "
					"(type=%s, o=%s): only a bind of a directory "
					"(type=none, o=bind, device=/path) is supported",
					name, type, o ? o : "");
	if (device[0] != '/')
		return hutch_fail_plain(
		    err, EINVAL, "create %s: device \"%s\" must be an absolute path", name, device);
	struct stat st;
	if (stat(device, &st) < 0)
		return hutch_fail_plain(err, EINVAL, "create %s: device %s: %s", name, device,
					strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return hutch_fail_plain(err, EINVAL, "create %s: device %s is not a directory",
					name, device);
	return 0;
}

static void format_created(time_t t, char out[32])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The document Docker returns, from the metadata (NULL: a volume made
 * before volumes had metadata, dated by its directory). */
static json_object *volume_document(const char *root, const char *name, json_object *meta,
				    const struct stat *dir_st)
{
	json_object *o = json_object_new_object(), *v;
	char path[4400], created[32];
	snprintf(path, sizeof(path), "%s/volumes/%s/_data", root, name);
	format_created(dir_st->st_mtime, created);
	json_object_object_add(
	    o, "CreatedAt",
	    json_object_new_string(meta && json_object_object_get_ex(meta, "CreatedAt", &v)
				       ? json_object_get_string(v)
				       : created));
	json_object_object_add(o, "Driver", json_object_new_string("local"));
	json_object_object_add(o, "Labels",
			       meta && json_object_object_get_ex(meta, "Labels", &v) &&
				       json_object_is_type(v, json_type_object)
				   ? json_object_get(v)
				   : json_object_new_object());
	json_object_object_add(o, "Mountpoint", json_object_new_string(path));
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "Options",
			       meta && json_object_object_get_ex(meta, "Options", &v) &&
				       json_object_is_type(v, json_type_object) &&
				       json_object_object_length(v) > 0
				   ? json_object_get(v)
				   : NULL);
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	return o;
}

int volume_inspect(const char *root, const char *name, json_object **out, hutch_error *err)
{
	char dir[4400], meta_path[4500];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/volumes/%s", root, name);
	if (!volume_name_valid(name) || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return hutch_fail_plain(err, ENOENT, "get %s: no such volume", name);
	snprintf(meta_path, sizeof(meta_path), "%s/" METADATA, dir);
	_cleanup_json_ json_object *meta = NULL;
	hutch_error merr = {0};
	if (json_read_file(meta_path, &meta, &merr) < 0 && merr.errnum != ENOENT)
		log_warning("volume %s: %s (shown without its labels and options)", name, merr.msg);
	*out = volume_document(root, name, meta, &st);
	return 0;
}

const char *volume_host_path(json_object *volume)
{
	json_object *opts, *mp;
	if (json_object_object_get_ex(volume, "Options", &opts) && opt(opts, "device") != NULL)
		return opt(opts, "device");
	json_object_object_get_ex(volume, "Mountpoint", &mp);
	return json_object_get_string(mp);
}

bool volume_is_anonymous(json_object *volume)
{
	json_object *labels;
	return json_object_object_get_ex(volume, "Labels", &labels) &&
	       json_object_object_get_ex(labels, VOLUME_ANONYMOUS_LABEL, NULL);
}

static int fsync_dir(const char *path, hutch_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return hutch_fail(err, errno, "fsync %s", path);
	return 0;
}

/* A temporary volume that lost the race for its name, or failed. */
static void remove_unfinished(const char *tmp)
{
	char p[4500];
	snprintf(p, sizeof(p), "%s/_data", tmp);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/" METADATA, tmp);
	unlink(p);
	rmdir(tmp);
}

int volume_create(const char *root, const char *name, json_object *labels, json_object *options,
		  json_object **out, bool *created, hutch_error *err)
{
	char random_name[65];
	if (name == NULL) {
		ctr_random_hex(random_name, 32);
		name = random_name;
	}
	*created = false;
	if (!volume_name_valid(name))
		return volume_name_error(name, err);
	if (volume_inspect(root, name, out, NULL) == 0)
		return 0;
	if (options_check(name, options, err) < 0)
		return -1;

	char volumes[4200], tmp[4400], data[4500], meta_path[4500], final[4400];
	_cleanup_json_ json_object *meta = NULL;
	snprintf(volumes, sizeof(volumes), "%s/volumes", root);
	if (mkdir_parents(volumes, 0700, err) < 0)
		return hutch_error_prefix(err, "create %s", name);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s-XXXXXX", volumes, name);
	if (mkdtemp(tmp) == NULL)
		return hutch_fail(err, errno, "create %s: mkdir %s", name, tmp);
	if (chmod(tmp, 0755) < 0) {
		hutch_fail(err, errno, "create %s: chmod %s", name, tmp);
		goto fail;
	}
	snprintf(data, sizeof(data), "%s/_data", tmp);
	if (mkdir(data, 0755) < 0) {
		hutch_fail(err, errno, "create %s: mkdir %s", name, data);
		goto fail;
	}
	char now[32];
	format_created(time(NULL), now);
	meta = json_object_new_object();
	json_object_object_add(meta, "CreatedAt", json_object_new_string(now));
	json_object_object_add(meta, "Labels",
			       labels ? json_object_get(labels) : json_object_new_object());
	json_object_object_add(meta, "Options",
			       options ? json_object_get(options) : json_object_new_object());
	snprintf(meta_path, sizeof(meta_path), "%s/" METADATA, tmp);
	/* The write fsyncs the file and tmp, so the rename publishes a
	 * volume whose metadata is on disk. */
	if (json_write_file_atomic(meta_path, meta, 0600, err) < 0) {
		hutch_error_prefix(err, "create %s", name);
		goto fail;
	}
	snprintf(final, sizeof(final), "%s/%s", volumes, name);
	if (rename(tmp, final) < 0) {
		int e = errno;
		remove_unfinished(tmp);
		/* Made by a concurrent create meanwhile: that one is it. */
		if ((e == EEXIST || e == ENOTEMPTY) && volume_inspect(root, name, out, NULL) == 0)
			return 0;
		return hutch_fail(err, e, "create %s: rename %s", name, tmp);
	}
	if (fsync_dir(volumes, err) < 0)
		return hutch_error_prefix(err, "create %s", name);
	*created = true;
	return volume_inspect(root, name, out, err);
fail:
	remove_unfinished(tmp);
	return -1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int volume_list(const char *root, json_object **out, hutch_error *err)
{
	char volumes[4200];
	snprintf(volumes, sizeof(volumes), "%s/volumes", root);
	*out = json_object_new_array();
	DIR *dir = opendir(volumes);
	if (dir == NULL)
		return errno == ENOENT ? 0 : hutch_fail(err, errno, "open %s", volumes);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (!volume_name_valid(e->d_name))
			continue; /* ".", "..", .tmp-* and .removing-* leftovers */
		char **grown = realloc(names, (n + 1) * sizeof(*names));
		if (grown == NULL)
			abort();
		names = grown;
		names[n++] = strdup(e->d_name);
	}
	closedir(dir);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		json_object *v;
		if (volume_inspect(root, names[i], &v, NULL) == 0)
			json_object_array_add(*out, v);
		free(names[i]);
	}
	free(names);
	return 0;
}

int volume_detach(const char *root, const char *name, char *gone, size_t gone_size,
		  hutch_error *err)
{
	char volumes[4200], path[4400];
	snprintf(volumes, sizeof(volumes), "%s/volumes", root);
	snprintf(path, sizeof(path), "%s/%s", volumes, name);
	struct stat st;
	if (!volume_name_valid(name) || stat(path, &st) < 0)
		return hutch_fail_plain(err, ENOENT, "get %s: no such volume", name);
	/* mkdtemp reserves a unique name; renaming a directory over an empty
	 * one replaces it. */
	snprintf(gone, gone_size, "%s/.removing-%s-XXXXXX", volumes, name);
	if (mkdtemp(gone) == NULL)
		return hutch_fail(err, errno, "remove %s: mkdir %s", name, gone);
	if (rename(path, gone) < 0) {
		int e = errno;
		rmdir(gone);
		return hutch_fail(err, e, "remove %s: rename %s", name, path);
	}
	return fsync_dir(volumes, err);
}

int volume_leftovers(const char *root, char ***out, size_t *n)
{
	char volumes[4200];
	snprintf(volumes, sizeof(volumes), "%s/volumes", root);
	*out = NULL;
	*n = 0;
	DIR *dir = opendir(volumes);
	if (dir == NULL)
		return errno == ENOENT ? 0 : -1;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, ".tmp-", 5) != 0 &&
		    strncmp(e->d_name, ".removing-", 10) != 0)
			continue;
		char **grown = realloc(*out, (*n + 1) * sizeof(**out));
		if (grown == NULL)
			abort();
		*out = grown;
		if (asprintf(&(*out)[(*n)++], "%s/%s", volumes, e->d_name) < 0)
			abort();
	}
	closedir(dir);
	return 0;
}
