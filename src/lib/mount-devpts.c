/* devpts options that work in every mode. runc's default config asks for
 * "gid=5" (the tty group) so that new ptys belong to it; in a user
 * namespace where gid 5 is not mapped (a user without a subgid range) the
 * kernel refuses the whole mount with EINVAL. Dropping the option keeps
 * the pty usable: its group is then the creator's. */
#include "mount-util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool idmap_text_maps(const char *map, uint32_t id)
{
	const char *p = map;
	while (p != NULL && *p != '\0') {
		unsigned long long inside, outside, count;
		if (sscanf(p, "%llu %llu %llu", &inside, &outside, &count) == 3 &&
		    (unsigned long long)id >= inside && (unsigned long long)id < inside + count)
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

/* The value of "gid=N" as a uint32, or false when the word is not one. */
static bool parse_gid_word(const char *word, size_t len, uint32_t *gid)
{
	if (len < 5 || strncmp(word, "gid=", 4) != 0)
		return false;
	uint32_t v = 0;
	for (size_t i = 4; i < len; i++) {
		if (word[i] < '0' || word[i] > '9' || v > (UINT32_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint32_t)(word[i] - '0');
	}
	*gid = v;
	return true;
}

static bool has_word_prefix(const char *data, const char *prefix)
{
	size_t plen = strlen(prefix);
	for (const char *p = data; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, ",");
		if (len >= plen && strncmp(p, prefix, plen) == 0 &&
		    (prefix[plen - 1] == '=' || len == plen))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

char *devpts_adjust_data(const char *data, const char *gid_map, bool *dropped_gid)
{
	const char *in = data ? data : "";
	/* Room for the input plus the two words we may add. */
	size_t cap = strlen(in) + sizeof(",newinstance,ptmxmode=0666");
	char *out = malloc(cap);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	*dropped_gid = false;
	for (const char *p = in; *p != '\0';) {
		size_t len = strcspn(p, ",");
		uint32_t gid;
		bool drop = gid_map != NULL && parse_gid_word(p, len, &gid) &&
			    !idmap_text_maps(gid_map, gid);
		if (drop)
			*dropped_gid = true;
		else if (len > 0) {
			if (o > 0)
				out[o++] = ',';
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	out[o] = '\0';
	if (!has_word_prefix(out, "newinstance"))
		o += (size_t)snprintf(out + o, cap - o, "%snewinstance", o ? "," : "");
	if (!has_word_prefix(out, "ptmxmode="))
		snprintf(out + o, cap - o, "%sptmxmode=0666", o ? "," : "");
	return out;
}
