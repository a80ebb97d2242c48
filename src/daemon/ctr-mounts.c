/* The container's own mounts: HostConfig.Binds ("src:dst[:opts]"),
 * HostConfig.Mounts (bind, volume, tmpfs), HostConfig.Tmpfs and the
 * anonymous volumes of Config.Volumes, with Docker's rules and messages.
 * Named volumes (volumes.c) are made on first use (volume-fill.c then
 * copies the image's content in); a missing bind source is created (as a
 * directory) only for the -v form, as Docker does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "ctr-build-internal.h"
#include "file-util.h"
#include "json-util.h"
#include "volumes.h"

void ctr_mounts_free(struct ctr_mount *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].source);
		free(m[i].target);
		free(m[i].propagation);
		free(m[i].tmpfs_options);
		free(m[i].host_path);
		json_object_put(m[i].volume_labels);
		json_object_put(m[i].volume_options);
	}
	free(m);
}

static void mount_clear(struct ctr_mount *m)
{
	free(m->source);
	free(m->target);
	free(m->propagation);
	free(m->tmpfs_options);
	free(m->host_path);
	json_object_put(m->volume_labels);
	json_object_put(m->volume_options);
	*m = (struct ctr_mount){0};
}

static const char *type_name(enum ctr_mount_type t)
{
	return t == CTR_MOUNT_BIND ? "bind" : t == CTR_MOUNT_VOLUME ? "volume" : "tmpfs";
}

/* A path without repeated or trailing slashes. */
static char *clean_path(const char *p)
{
	char *out = malloc(strlen(p) + 1), *o = out;
	if (out == NULL)
		abort();
	for (const char *s = p; *s; s++)
		if (!(*s == '/' && o > out && o[-1] == '/'))
			*o++ = *s;
	while (o > out + 1 && o[-1] == '/')
		o--;
	*o = '\0';
	return out;
}

static bool is_propagation(const char *s)
{
	static const char *const names[] = {"private", "rprivate", "shared",
					    "rshared", "slave",	   "rslave"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

static int target_check(const char *type, const char *target, const char *spec, hutch_error *err)
{
	if (target[0] != '/') {
		if (spec != NULL)
			return hutch_fail_plain(err, EINVAL,
						"invalid volume specification: '%s': invalid mount "
						"config for type \"%s\": invalid mount path: '%s' "
						"mount path must be absolute",
						spec, type, target);
		return hutch_fail_plain(err, EINVAL,
					"invalid mount config for type \"%s\": invalid mount path: "
					"'%s' mount path must be absolute",
					type, target);
	}
	if (strcmp(target, "/") == 0)
		return hutch_fail_plain(err, EINVAL,
					"invalid specification: destination can't be '/'");
	return 0;
}

int ctr_bind_parse(const char *spec, struct ctr_mount *out, hutch_error *err)
{
	*out = (struct ctr_mount){.from_binds = true};
	_cleanup_free_ char *copy = strdup(spec);
	if (copy == NULL)
		return hutch_fail(err, ENOMEM, "bind");
	char *parts[4] = {0};
	size_t n = 0;
	for (char *p = copy, *c; n < 4; p = c + 1) {
		parts[n++] = p;
		c = strchr(p, ':');
		if (c == NULL)
			break;
		*c = '\0';
	}
	if (n > 3 || spec[0] == '\0')
		return hutch_fail_plain(err, EINVAL, "invalid volume specification: '%s'", spec);
	for (size_t i = 0; i < n; i++)
		if (parts[i][0] == '\0')
			return hutch_fail_plain(err, EINVAL, "invalid volume specification: '%s'",
						spec);
	const char *src = n >= 2 ? parts[0] : NULL;
	const char *dst = n >= 2 ? parts[1] : parts[0];
	const char *mode = n == 3 ? parts[2] : NULL;

	out->type = src == NULL || src[0] != '/' ? CTR_MOUNT_VOLUME : CTR_MOUNT_BIND;
	if (target_check(type_name(out->type), dst, spec, err) < 0)
		return -1;
	if (out->type == CTR_MOUNT_VOLUME && src != NULL && !volume_name_valid(src))
		return volume_name_error(src, err);
	if (mode != NULL) {
		_cleanup_free_ char *m = strdup(mode);
		char *save = NULL;
		int rw_seen = 0, label_seen = 0, prop_seen = 0;
		for (char *t = strtok_r(m, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (strcmp(t, "ro") == 0 || strcmp(t, "rw") == 0) {
				out->readonly = strcmp(t, "ro") == 0;
				rw_seen++;
			} else if (strcmp(t, "z") == 0 || strcmp(t, "Z") == 0) {
				label_seen++; /* SELinux relabeling: nothing to do here */
			} else if (is_propagation(t) && out->type == CTR_MOUNT_BIND) {
				free(out->propagation);
				out->propagation = strdup(t);
				prop_seen++;
			} else if (strcmp(t, "nocopy") == 0 && out->type == CTR_MOUNT_VOLUME) {
				out->nocopy = true; /* no filling from the image */
			} else if (strcmp(t, "consistent") == 0 || strcmp(t, "cached") == 0 ||
				   strcmp(t, "delegated") == 0) {
				/* macOS file sharing hints */
			} else {
				mount_clear(out);
				return hutch_fail_plain(err, EINVAL, "invalid mode: %s", mode);
			}
		}
		if (rw_seen > 1 || label_seen > 1 || prop_seen > 1) {
			mount_clear(out);
			return hutch_fail_plain(err, EINVAL, "invalid mode: %s", mode);
		}
	}
	out->source = src ? (out->type == CTR_MOUNT_BIND ? clean_path(src) : strdup(src)) : NULL;
	out->target = clean_path(dst);
	return 0;
}

int ctr_mount_parse(json_object *mo, struct ctr_mount *out, hutch_error *err)
{
	*out = (struct ctr_mount){0};
	const char *type = ctr_member_string(mo, "Type");
	const char *src = ctr_member_string(mo, "Source");
	const char *target = ctr_member_string(mo, "Target");
	json_object *ro = ctr_member(mo, "ReadOnly");
	json_object *bo = ctr_member(mo, "BindOptions"), *vo = ctr_member(mo, "VolumeOptions"),
		    *to = ctr_member(mo, "TmpfsOptions");
	if (strcmp(type, "bind") == 0)
		out->type = CTR_MOUNT_BIND;
	else if (strcmp(type, "volume") == 0)
		out->type = CTR_MOUNT_VOLUME;
	else if (strcmp(type, "tmpfs") == 0)
		out->type = CTR_MOUNT_TMPFS;
	else
		return hutch_fail_plain(
		    err, EINVAL, "invalid mount config for type \"%s\": mount type unknown", type);
#define MOUNT_ERR(...)                                                                             \
	hutch_fail_plain(err, EINVAL, "invalid mount config for type \"%s\": " __VA_ARGS__)
	if (target[0] == '\0')
		return MOUNT_ERR("field Target must not be empty", type);
	if (target_check(type, target, NULL, err) < 0)
		return -1;
	if (bo != NULL && out->type != CTR_MOUNT_BIND)
		return MOUNT_ERR("field BindOptions must not be specified", type);
	if (vo != NULL && out->type != CTR_MOUNT_VOLUME)
		return MOUNT_ERR("field VolumeOptions must not be specified", type);
	if (to != NULL && out->type != CTR_MOUNT_TMPFS)
		return MOUNT_ERR("field TmpfsOptions must not be specified", type);
	switch (out->type) {
	case CTR_MOUNT_BIND: {
		if (src[0] == '\0')
			return MOUNT_ERR("field Source must not be empty", type);
		if (src[0] != '/')
			return MOUNT_ERR("invalid mount path: '%s' mount path must be absolute",
					 type, src);
		const char *prop = ctr_member_string(bo, "Propagation");
		if (prop[0] != '\0' && !is_propagation(prop))
			return MOUNT_ERR("invalid propagation mode: %s", type, prop);
		if (prop[0] != '\0')
			out->propagation = strdup(prop);
		json_object *nr = ctr_member(bo, "NonRecursive");
		out->non_recursive = nr && json_object_get_boolean(nr);
		out->source = clean_path(src);
		break;
	}
	case CTR_MOUNT_VOLUME:
		if (src[0] != '\0' && !volume_name_valid(src))
			return volume_name_error(src, err);
		if (ctr_member(vo, "DriverConfig") != NULL) {
			const char *drv = ctr_member_string(ctr_member(vo, "DriverConfig"), "Name");
			if (drv[0] != '\0' && strcmp(drv, "local") != 0)
				return MOUNT_ERR("volume driver \"%s\" is not supported (only "
						 "local volumes)",
						 type, drv);
		}
		if (ctr_member_string(vo, "Subpath")[0] != '\0')
			return MOUNT_ERR("VolumeOptions.Subpath is not supported", type);
		/* --mount volume-label=, volume-opt=: for a volume made here */
		if (ctr_member(vo, "Labels") != NULL)
			out->volume_labels = json_object_get(ctr_member(vo, "Labels"));
		if (ctr_member(ctr_member(vo, "DriverConfig"), "Options") != NULL)
			out->volume_options =
			    json_object_get(ctr_member(ctr_member(vo, "DriverConfig"), "Options"));
		out->source = src[0] ? strdup(src) : NULL;
		json_object *nocopy = ctr_member(vo, "NoCopy");
		out->nocopy = nocopy != NULL && json_object_get_boolean(nocopy);
		break;
	case CTR_MOUNT_TMPFS: {
		if (src[0] != '\0')
			return MOUNT_ERR("field Source must not be specified", type);
		json_object *sz = ctr_member(to, "SizeBytes"), *mode = ctr_member(to, "Mode");
		if (sz != NULL && json_object_get_int64(sz) < 0)
			return MOUNT_ERR("invalid tmpfs size: %lld", type,
					 (long long)json_object_get_int64(sz));
		char opts[128] = "";
		size_t l = 0;
		if (sz != NULL && json_object_get_int64(sz) > 0)
			l += (size_t)snprintf(opts + l, sizeof(opts) - l, "size=%lld",
					      (long long)json_object_get_int64(sz));
		if (mode != NULL)
			snprintf(opts + l, sizeof(opts) - l, "%smode=%llo", l ? "," : "",
				 (unsigned long long)json_object_get_int64(mode) & 07777);
		out->tmpfs_options = strdup(opts);
		break;
	}
	}
#undef MOUNT_ERR
	out->readonly = ro && json_object_get_boolean(ro);
	out->target = clean_path(target);
	return 0;
}

/* Tmpfs options as Docker accepts them for --tmpfs. */
static int tmpfs_options_check(const char *target, const char *opts, hutch_error *err)
{
	static const char *const words[] = {
	    "ro",    "rw",    "exec",	 "noexec",   "suid",	    "nosuid",	  "dev",
	    "nodev", "atime", "noatime", "relatime", "strictatime", "nodiratime", "diratime"};
	static const char *const keys[] = {
	    "size=", "mode=", "nr_inodes=", "nr_blocks=", "uid=", "gid=", "huge=", "mpol="};
	_cleanup_free_ char *copy = strdup(opts);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool ok = false;
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && !ok; i++)
			ok = strcmp(t, words[i]) == 0;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !ok; i++)
			ok =
			    strncmp(t, keys[i], strlen(keys[i])) == 0 && t[strlen(keys[i])] != '\0';
		if (!ok)
			return hutch_fail_plain(err, EINVAL, "invalid tmpfs option for %s: \"%s\"",
						target, t);
	}
	return 0;
}

static int add_mount(struct ctr_mount **all, size_t *n, struct ctr_mount *m, hutch_error *err)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*all)[i].target, m->target) == 0) {
			hutch_fail_plain(err, EINVAL, "Duplicate mount point: %s", m->target);
			mount_clear(m);
			return -1;
		}
	}
	struct ctr_mount *na = realloc(*all, (*n + 1) * sizeof(*na));
	if (na == NULL)
		abort();
	na[(*n)++] = *m;
	*all = na;
	return 0;
}

int ctr_mounts_collect(json_object *config, json_object *host, struct ctr_mount **out, size_t *n,
		       hutch_error *err)
{
	struct ctr_mount *all = NULL;
	size_t count = 0;
	json_object *binds = ctr_member(host, "Binds"), *mounts = ctr_member(host, "Mounts"),
		    *tmpfs = ctr_member(host, "Tmpfs"), *volumes = ctr_member(config, "Volumes");
	size_t nb = binds ? json_object_array_length(binds) : 0;
	for (size_t i = 0; i < nb; i++) {
		struct ctr_mount m;
		if (ctr_bind_parse(json_object_get_string(json_object_array_get_idx(binds, i)), &m,
				   err) < 0 ||
		    add_mount(&all, &count, &m, err) < 0)
			goto fail;
	}
	size_t nm = mounts ? json_object_array_length(mounts) : 0;
	for (size_t i = 0; i < nm; i++) {
		struct ctr_mount m;
		if (ctr_mount_parse(json_object_array_get_idx(mounts, i), &m, err) < 0 ||
		    add_mount(&all, &count, &m, err) < 0)
			goto fail;
	}
	if (tmpfs != NULL) {
		json_object_object_foreach(tmpfs, target, opts)
		{
			struct ctr_mount m = {.type = CTR_MOUNT_TMPFS};
			if (target_check("tmpfs", target, NULL, err) < 0 ||
			    tmpfs_options_check(target, json_object_get_string(opts), err) < 0)
				goto fail;
			m.target = clean_path(target);
			m.tmpfs_options = strdup(json_object_get_string(opts));
			if (add_mount(&all, &count, &m, err) < 0)
				goto fail;
		}
	}
	if (volumes != NULL) {
		json_object_object_foreach(volumes, target, v)
		{
			(void)v;
			if (target_check("volume", target, NULL, err) < 0)
				goto fail;
			_cleanup_free_ char *t = clean_path(target);
			bool covered = false;
			for (size_t i = 0; i < count && !covered; i++)
				covered = strcmp(all[i].target, t) == 0;
			if (covered)
				continue;
			struct ctr_mount m = {.type = CTR_MOUNT_VOLUME};
			m.target = steal_pointer(&t);
			if (add_mount(&all, &count, &m, err) < 0)
				goto fail;
		}
	}
	*out = all;
	*n = count;
	return 0;
fail:
	ctr_mounts_free(all, count);
	return -1;
}

int ctr_mounts_prepare(const char *root, struct ctr_mount *m, size_t n, hutch_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct ctr_mount *e = &m[i];
		if (e->type == CTR_MOUNT_BIND) {
			struct stat st;
			if (stat(e->source, &st) < 0) {
				if (errno != ENOENT)
					return hutch_fail(err, errno, "bind source %s", e->source);
				if (!e->from_binds)
					return hutch_fail_plain(
					    err, EINVAL,
					    "invalid mount config for type "
					    "\"bind\": bind source path does not "
					    "exist: %s",
					    e->source);
				if (mkdir_parents(e->source, 0755, err) < 0)
					return hutch_error_prefix(err, "create bind source");
			}
			e->host_path = strdup(e->source);
		} else if (e->type == CTR_MOUNT_VOLUME) {
			/* Docker marks the volumes it names itself as anonymous. */
			_cleanup_json_ json_object *labels = json_object_new_object(),
						   *volume = NULL;
			if (e->volume_labels != NULL) {
				json_object_object_foreach(e->volume_labels, k, v)
				{
					json_object_object_add(labels, k, json_object_get(v));
				}
			}
			if (e->source == NULL)
				json_object_object_add(labels, VOLUME_ANONYMOUS_LABEL,
						       json_object_new_string(""));
			if (volume_create(root, e->source, labels, e->volume_options, &volume,
					  &e->volume_created, err) < 0)
				return -1;
			if (e->source == NULL)
				e->source = strdup(
				    json_object_get_string(json_object_object_get(volume, "Name")));
			e->host_path = strdup(volume_host_path(volume));
			struct stat st;
			if (stat(e->host_path, &st) < 0 || !S_ISDIR(st.st_mode))
				return hutch_fail_plain(err, EINVAL,
							"error while mounting volume '%s': %s is "
							"not a directory any more",
							e->source, e->host_path);
		}
	}
	return 0;
}

json_object *ctr_mount_oci(const struct ctr_mount *m)
{
	json_object *o = json_object_new_object(), *opts = json_object_new_array();
	json_object_object_add(o, "destination", json_object_new_string(m->target));
	if (m->type == CTR_MOUNT_TMPFS) {
		json_object_object_add(o, "type", json_object_new_string("tmpfs"));
		json_object_object_add(o, "source", json_object_new_string("tmpfs"));
		/* Docker's defaults; the request's words come later and win. */
		json_object_array_add(opts, json_object_new_string("nosuid"));
		json_object_array_add(opts, json_object_new_string("nodev"));
		json_object_array_add(opts, json_object_new_string("noexec"));
		_cleanup_free_ char *copy = strdup(m->tmpfs_options ? m->tmpfs_options : "");
		char *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_object_array_add(opts, json_object_new_string(t));
	} else {
		json_object_object_add(o, "type", json_object_new_string("bind"));
		json_object_object_add(o, "source", json_object_new_string(m->host_path));
		json_object_array_add(opts,
				      json_object_new_string(m->non_recursive ? "bind" : "rbind"));
		json_object_array_add(
		    opts, json_object_new_string(m->propagation ? m->propagation : "rprivate"));
	}
	if (m->readonly)
		json_object_array_add(opts, json_object_new_string("ro"));
	json_object_object_add(o, "options", opts);
	return o;
}

json_object *ctr_mount_inspect(const struct ctr_mount *m)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "Type", json_object_new_string(type_name(m->type)));
	if (m->type == CTR_MOUNT_VOLUME) {
		json_object_object_add(o, "Name", json_object_new_string(m->source));
		json_object_object_add(o, "Driver", json_object_new_string("local"));
	}
	json_object_object_add(o, "Source",
			       json_object_new_string(m->host_path ? m->host_path : ""));
	json_object_object_add(o, "Destination", json_object_new_string(m->target));
	json_object_object_add(o, "Mode", json_object_new_string(m->readonly ? "ro" : ""));
	json_object_object_add(o, "RW", json_object_new_boolean(!m->readonly));
	json_object_object_add(
	    o, "Propagation",
	    json_object_new_string(
		m->type == CTR_MOUNT_BIND ? (m->propagation ? m->propagation : "rprivate") : ""));
	return o;
}
