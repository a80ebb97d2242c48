/* The container's capabilities: Docker's default set, CapAdd and CapDrop
 * with Docker's precedence ("ALL" in CapAdd wins, then "ALL" in CapDrop),
 * every capability for Privileged. Names are taken with or without the
 * CAP_ prefix, in any case, as Docker takes them. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap-names.h"
#include "cleanup.h"
#include "ctr-build-internal.h"

/* Docker's default set, in Docker's order. */
static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",	       "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",	       "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",	   "CAP_AUDIT_WRITE",
};

const char *ctr_cap_canonical(const char *name)
{
	char buf[64];
	size_t off = 0;
	if (strncasecmp(name, "CAP_", 4) != 0)
		off = (size_t)snprintf(buf, sizeof(buf), "CAP_");
	size_t i = 0;
	for (; name[i] && off + i < sizeof(buf) - 1; i++)
		buf[off + i] = (char)toupper((unsigned char)name[i]);
	buf[off + i] = '\0';
	for (size_t c = 0; c < hutch_cap_count; c++)
		if (strcmp(buf, hutch_cap_names[c]) == 0)
			return hutch_cap_names[c];
	return NULL;
}

static bool has(char *const *v, const char *s)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* CapAdd/CapDrop to canonical names; "ALL" stays "ALL". */
static int normalize(json_object *list, char ***out, hutch_error *err)
{
	*out = NULL;
	size_t n = list ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(list, i));
		if (strcasecmp(s, "ALL") == 0) {
			*out = ctr_strv_add(*out, "ALL");
			continue;
		}
		const char *c = ctr_cap_canonical(s);
		if (c == NULL) {
			strv_free(*out);
			*out = NULL;
			char shown[80];
			snprintf(shown, sizeof(shown), "%s%s",
				 strncasecmp(s, "CAP_", 4) == 0 ? "" : "CAP_", s);
			for (char *p = shown; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			return hutch_fail_plain(err, EINVAL, "unknown capability: \"%s\"", shown);
		}
		*out = ctr_strv_add(*out, c);
	}
	return 0;
}

int ctr_caps_compute(json_object *cap_add, json_object *cap_drop, bool privileged, char ***out,
		     hutch_error *err)
{
	_cleanup_strv_ char **add = NULL, **drop = NULL;
	if (normalize(cap_add, &add, err) < 0 || normalize(cap_drop, &drop, err) < 0)
		return -1;
	char **caps = NULL;
	size_t known = hutch_cap_count_kernel();
	if (privileged || has(add, "ALL")) {
		for (size_t c = 0; c < known; c++)
			if (privileged || !has(drop, hutch_cap_names[c]))
				caps = ctr_strv_add(caps, hutch_cap_names[c]);
	} else if (has(drop, "ALL")) {
		for (size_t i = 0; add != NULL && add[i] != NULL; i++)
			if (!has(caps, add[i]))
				caps = ctr_strv_add(caps, add[i]);
	} else {
		for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
			if (!has(drop, default_caps[i]))
				caps = ctr_strv_add(caps, default_caps[i]);
		for (size_t i = 0; add != NULL && add[i] != NULL; i++)
			if (!has(caps, add[i]))
				caps = ctr_strv_add(caps, add[i]);
	}
	if (caps == NULL) {
		caps = calloc(1, sizeof(char *));
		if (caps == NULL)
			abort();
	}
	*out = caps;
	return 0;
}
