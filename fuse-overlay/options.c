#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

#define OVERFLOW_ID 65534

void ovl_options_init(struct ovl_options *o)
{
	memset(o, 0, sizeof(*o));
	o->squash_to_uid = -1;
	o->squash_to_gid = -1;
	o->timeout = 3600.0;
	o->threaded = true;
	o->fsync = true;
	o->metacopy = true;
	o->direct_read_min = OVL_DIRECT_READ_DEFAULT;
}

void ovl_options_free(struct ovl_options *o)
{
	strv_free(o->lowerdirs);
	free(o->upperdir);
	free(o->workdir);
	free(o->uidmap.ranges);
	free(o->gidmap.ranges);
	free(o->fuse_mount_opts);
	free(o->fsname);
	memset(o, 0, sizeof(*o));
}

/* Split s at unescaped sep, dropping the escaping backslashes. */
static char **split_escaped(const char *s, char sep, bool keep_empty)
{
	size_t cap = 4, n = 0;
	char **v = calloc(cap + 1, sizeof(char *));
	char *cur = malloc(strlen(s) + 1);
	size_t len = 0;
	if (v == NULL || cur == NULL)
		goto oom;
	for (const char *p = s;; p++) {
		if (*p == '\\' && p[1] != '\0') {
			cur[len++] = *++p;
			continue;
		}
		if (*p != sep && *p != '\0') {
			cur[len++] = *p;
			continue;
		}
		cur[len] = '\0';
		if (len > 0 || keep_empty) {
			if (n == cap) {
				char **nv = realloc(v, (cap * 2 + 1) * sizeof(char *));
				if (nv == NULL)
					goto oom;
				v = nv;
				cap *= 2;
			}
			v[n] = strdup(cur);
			if (v[n] == NULL)
				goto oom;
			v[++n] = NULL;
		}
		len = 0;
		if (*p == '\0')
			break;
	}
	free(cur);
	return v;
oom:
	free(cur);
	strv_free(v);
	return NULL;
}

char **ovl_split_layers(const char *s, hutch_error *err)
{
	char **v = split_escaped(s, ':', true);
	if (v == NULL) {
		hutch_fail(err, ENOMEM, "split lowerdir");
		return NULL;
	}
	if (v[0] == NULL) {
		free(v);
		hutch_fail_plain(err, EINVAL, "lowerdir is empty");
		return NULL;
	}
	for (char **p = v; *p != NULL; p++) {
		if (**p == '\0') {
			strv_free(v);
			hutch_fail_plain(err, EINVAL, "lowerdir %s has an empty layer", s);
			return NULL;
		}
	}
	return v;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX || *s == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int ovl_parse_id_map(const char *s, struct ovl_id_map *out, hutch_error *err)
{
	_cleanup_strv_ char **f = split_escaped(s, ':', true);
	if (f == NULL)
		return hutch_fail(err, ENOMEM, "parse id mapping");
	size_t n = 0;
	while (f[n] != NULL)
		n++;
	if (n == 0 || n % 3 != 0)
		return hutch_fail_plain(
		    err, EINVAL, "id mapping \"%s\" is not view:host:size[:view:host:size...]", s);
	struct ovl_id_range *r = calloc(n / 3, sizeof(*r));
	if (r == NULL)
		return hutch_fail(err, ENOMEM, "parse id mapping");
	for (size_t i = 0; i < n / 3; i++) {
		if (parse_u32(f[3 * i], &r[i].view) < 0 ||
		    parse_u32(f[3 * i + 1], &r[i].host) < 0 ||
		    parse_u32(f[3 * i + 2], &r[i].size) < 0 || r[i].size == 0) {
			free(r);
			return hutch_fail_plain(err, EINVAL, "id mapping \"%s\": bad number", s);
		}
	}
	free(out->ranges);
	out->ranges = r;
	out->n = n / 3;
	return 0;
}

uint32_t ovl_id_to_view(const struct ovl_id_map *m, uint32_t host)
{
	if (m->n == 0)
		return host;
	for (size_t i = 0; i < m->n; i++)
		if (host >= m->ranges[i].host && host - m->ranges[i].host < m->ranges[i].size)
			return m->ranges[i].view + (host - m->ranges[i].host);
	return OVERFLOW_ID;
}

uint32_t ovl_id_to_host(const struct ovl_id_map *m, uint32_t view)
{
	if (m->n == 0)
		return view;
	for (size_t i = 0; i < m->n; i++)
		if (view >= m->ranges[i].view && view - m->ranges[i].view < m->ranges[i].size)
			return m->ranges[i].host + (view - m->ranges[i].view);
	return OVERFLOW_ID;
}

static int parse_bool(const char *name, const char *val, bool *out, hutch_error *err)
{
	if (val == NULL || strcmp(val, "1") == 0 || strcmp(val, "yes") == 0 ||
	    strcmp(val, "true") == 0 || strcmp(val, "on") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(val, "0") == 0 || strcmp(val, "no") == 0 || strcmp(val, "false") == 0 ||
	    strcmp(val, "off") == 0) {
		*out = false;
		return 0;
	}
	return hutch_fail_plain(err, EINVAL, "option %s: expected 0 or 1, got \"%s\"", name, val);
}

static int parse_long(const char *name, const char *val, long min, long max, long *out,
		      hutch_error *err)
{
	char *end;
	if (val == NULL || *val == '\0')
		return hutch_fail_plain(err, EINVAL, "option %s needs a value", name);
	errno = 0;
	long v = strtol(val, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return hutch_fail_plain(err, EINVAL, "option %s: bad value \"%s\"", name, val);
	*out = v;
	return 0;
}

static int append_fuse_opt(struct ovl_options *o, const char *opt, hutch_error *err)
{
	char *n;
	if (o->fuse_mount_opts == NULL)
		n = strdup(opt);
	else if (asprintf(&n, "%s,%s", o->fuse_mount_opts, opt) < 0)
		n = NULL;
	if (n == NULL)
		return hutch_fail(err, ENOMEM, "option %s", opt);
	free(o->fuse_mount_opts);
	o->fuse_mount_opts = n;
	return 0;
}

/* Options that libfuse's mount code understands and that we hand on. */
static const char *const fuse_flag_opts[] = {
    "allow_other",  "allow_root", "default_permissions",
    "auto_unmount", "nosuid",	  "suid",
    "nodev",	    "dev",	  "noexec",
    "exec",	    "noatime",	  "atime",
    "relatime",	    "norelatime", "diratime",
    "nodiratime",   "async",	  "sync",
    "dirsync",	    "rw",	  "lazytime",
    "nolazytime",   NULL,
};

/* Options accepted for compatibility that change nothing here. */
static const char *const ignored_opts[] = {
    "context", "fscontext", "defcontext", "rootcontext", "debug_fuse", "plugins", "redirect_dir",
    "index",   "xino",	    "userxattr",  "nfs_export",	 "max_read",   NULL};

static bool in_list(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

static int parse_one(struct ovl_options *o, char *opt, hutch_error *err)
{
	char *val = strchr(opt, '=');
	if (val != NULL)
		*val++ = '\0';
	const char *name = opt;
	long l;

	if (strcmp(name, "lowerdir") == 0) {
		if (val == NULL)
			return hutch_fail_plain(err, EINVAL, "option lowerdir needs a value");
		char **v = ovl_split_layers(val, err);
		if (v == NULL)
			return -1;
		strv_free(o->lowerdirs);
		o->lowerdirs = v;
	} else if (strcmp(name, "upperdir") == 0 || strcmp(name, "workdir") == 0) {
		if (val == NULL || *val == '\0')
			return hutch_fail_plain(err, EINVAL, "option %s needs a value", name);
		char **slot = name[0] == 'u' ? &o->upperdir : &o->workdir;
		free(*slot);
		*slot = strdup(val);
		if (*slot == NULL)
			return hutch_fail(err, ENOMEM, "option %s", name);
	} else if (strcmp(name, "uidmapping") == 0 || strcmp(name, "gidmapping") == 0) {
		if (val == NULL)
			return hutch_fail_plain(err, EINVAL, "option %s needs a value", name);
		if (ovl_parse_id_map(val, name[0] == 'u' ? &o->uidmap : &o->gidmap, err) < 0)
			return hutch_error_prefix(err, "option %s", name);
	} else if (strcmp(name, "squash_to_root") == 0) {
		o->squash_to_root = true;
	} else if (strcmp(name, "squash_to_uid") == 0) {
		if (parse_long(name, val, 0, UINT32_MAX - 1, &o->squash_to_uid, err) < 0)
			return -1;
	} else if (strcmp(name, "squash_to_gid") == 0) {
		if (parse_long(name, val, 0, UINT32_MAX - 1, &o->squash_to_gid, err) < 0)
			return -1;
	} else if (strcmp(name, "xattr_permissions") == 0) {
		if (parse_long(name, val, 0, 2, &l, err) < 0)
			return -1;
		o->xattr_permissions = (int)l;
	} else if (strcmp(name, "static_nlink") == 0) {
		o->static_nlink = true;
	} else if (strcmp(name, "noxattrs") == 0) {
		bool b = true;
		if (val != NULL && parse_bool(name, val, &b, err) < 0)
			return -1;
		o->noxattrs = b;
	} else if (strcmp(name, "noacl") == 0) {
		o->noacl = true;
	} else if (strcmp(name, "timeout") == 0) {
		char *end;
		if (val == NULL)
			return hutch_fail_plain(err, EINVAL, "option timeout needs a value");
		errno = 0;
		double d = strtod(val, &end);
		if (errno != 0 || end == val || *end != '\0' || d < 0 || d > 86400)
			return hutch_fail_plain(err, EINVAL, "option timeout: bad value \"%s\"",
						val);
		o->timeout = d;
	} else if (strcmp(name, "threaded") == 0) {
		if (parse_bool(name, val, &o->threaded, err) < 0)
			return -1;
	} else if (strcmp(name, "writeback") == 0) {
		if (parse_bool(name, val, &o->writeback, err) < 0)
			return -1;
	} else if (strcmp(name, "fsync") == 0) {
		if (parse_bool(name, val, &o->fsync, err) < 0)
			return -1;
	} else if (strcmp(name, "metacopy") == 0) {
		if (parse_bool(name, val, &o->metacopy, err) < 0)
			return -1;
	} else if (strcmp(name, "volatile") == 0) {
		o->volatile_mode = true;
		o->fsync = false;
	} else if (strcmp(name, "ro") == 0) {
		o->read_only = true;
		return append_fuse_opt(o, "ro", err);
	} else if (strcmp(name, "max_write") == 0) {
		if (parse_long(name, val, 4096, 1 << 24, &l, err) < 0)
			return -1;
		o->max_write = (unsigned)l;
	} else if (strcmp(name, "direct_read") == 0) {
		if (parse_long(name, val, 0, LONG_MAX, &l, err) < 0)
			return -1;
		o->direct_read_min = l;
	} else if (strcmp(name, "fsname") == 0) {
		if (val == NULL)
			return hutch_fail_plain(err, EINVAL, "option fsname needs a value");
		free(o->fsname);
		o->fsname = strdup(val);
		if (o->fsname == NULL)
			return hutch_fail(err, ENOMEM, "option fsname");
	} else if (in_list(fuse_flag_opts, name) && val == NULL) {
		return append_fuse_opt(o, name, err);
	} else if (in_list(ignored_opts, name)) {
		return 0;
	} else {
		return hutch_fail_plain(err, EINVAL, "unknown option \"%s\"", name);
	}
	return 0;
}

int ovl_options_parse(struct ovl_options *o, const char *arg, hutch_error *err)
{
	/* Split at unescaped commas but keep the backslashes: the layer list
	 * still needs its "\:" escapes. */
	_cleanup_free_ char *copy = strdup(arg);
	if (copy == NULL)
		return hutch_fail(err, ENOMEM, "parse options");
	char *start = copy;
	for (char *p = copy;; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p != ',' && *p != '\0')
			continue;
		bool last = *p == '\0';
		*p = '\0';
		if (*start != '\0') {
			/* Remove "\," escapes now that the split is done. */
			char *w = start;
			for (char *r = start; *r != '\0'; r++) {
				if (r[0] == '\\' && r[1] == ',')
					r++;
				*w++ = *r;
			}
			*w = '\0';
			if (parse_one(o, start, err) < 0)
				return -1;
		}
		if (last)
			break;
		start = p + 1;
	}
	return 0;
}
