#include "whiteout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int layer_path_clean(const char *name, char *out, size_t size, hutch_error *err)
{
	if (name == NULL || name[0] == '\0')
		return hutch_fail_plain(err, EINVAL, "layer entry with an empty name");
	if (name[0] == '/')
		return hutch_fail_plain(err, EPERM, "layer entry \"%.200s\": absolute path refused",
					name);
	size_t o = 0;
	const char *p = name;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 1 && p[0] == '.') {
			p += len;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return hutch_fail_plain(
			    err, EPERM, "layer entry \"%.200s\": \"..\" component refused", name);
		if (o + len + 2 > size)
			return hutch_fail_plain(err, ENAMETOOLONG,
						"layer entry \"%.200s\": too long", name);
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, p, len);
		o += len;
		p += len;
	}
	out[o] = '\0';
	return 0;
}

int layer_entry_classify(const char *clean, enum layer_entry_kind *kind, char *target, size_t tsize,
			 hutch_error *err)
{
	const char *slash = strrchr(clean, '/');
	const char *base = slash ? slash + 1 : clean;
	size_t dirlen = slash ? (size_t)(slash - clean) : 0;
	*kind = LAYER_ENTRY_NORMAL;
	if (target && tsize)
		target[0] = '\0';
	if (strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) != 0)
		return 0;
	if (strcmp(base, WHITEOUT_OPAQUE) == 0) {
		*kind = LAYER_ENTRY_OPAQUE;
		snprintf(target, tsize, "%.*s", (int)dirlen, clean);
		return 0;
	}
	const char *victim = base + strlen(WHITEOUT_PREFIX);
	if (strncmp(victim, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0) {
		*kind = LAYER_ENTRY_IGNORED;
		return 0;
	}
	if (victim[0] == '\0' || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
		return hutch_fail_plain(err, EPERM, "layer entry \"%.200s\": invalid whiteout name",
					clean);
	*kind = LAYER_ENTRY_WHITEOUT;
	if (dirlen > 0)
		snprintf(target, tsize, "%.*s/%s", (int)dirlen, clean, victim);
	else
		snprintf(target, tsize, "%s", victim);
	return 0;
}
