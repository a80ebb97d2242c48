#include "reference.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A path component: lowercase alphanumerics separated by one '.', one or
 * two '_', or any number of '-' (the distribution reference grammar). */
static bool component_valid(const char *s, size_t len)
{
	if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (is_lower_alnum(s[i]))
			continue;
		if (s[i] == '.') {
			if (!is_lower_alnum(s[i + 1]))
				return false;
		} else if (s[i] == '_') {
			if (s[i + 1] == '_')
				i++;
			if (!is_lower_alnum(s[i + 1]))
				return false;
		} else if (s[i] == '-') {
			while (s[i + 1] == '-')
				i++;
			if (!is_lower_alnum(s[i + 1]))
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static bool domain_valid(const char *s, size_t len)
{
	if (len == 0 || len > 255)
		return false;
	/* host[:port]; an IPv6 literal in brackets is allowed too. */
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!(isalnum((unsigned char)c) || c == '.' || c == '-' || c == ':' || c == '[' ||
		      c == ']'))
			return false;
	}
	const char *colon = s[0] == '[' ? memchr(s, ']', len) : s;
	if (colon == NULL)
		return false;
	colon = memchr(colon, ':', len - (size_t)(colon - s));
	if (colon != NULL) {
		size_t plen = len - (size_t)(colon - s) - 1;
		if (plen == 0 || plen > 5)
			return false;
		for (size_t i = 0; i < plen; i++)
			if (!isdigit((unsigned char)colon[1 + i]))
				return false;
	}
	return true;
}

static bool tag_valid(const char *t)
{
	size_t len = strlen(t);
	if (len == 0 || len > 128)
		return false;
	if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return false;
	return true;
}

int image_ref_parse(const char *s, bool default_tag, struct image_ref *ref, hutch_error *err)
{
	memset(ref, 0, sizeof(*ref));
	if (s == NULL || s[0] == '\0')
		return hutch_fail_plain(err, EINVAL, "invalid reference format: empty name");
	if (strlen(s) >= REFERENCE_MAX)
		return hutch_fail_plain(err, EINVAL, "invalid reference format: name too long");
	char buf[REFERENCE_MAX];
	snprintf(buf, sizeof(buf), "%s", s);

	char *at = strchr(buf, '@');
	if (at != NULL) {
		*at = '\0';
		if (!digest_is_valid(at + 1))
			return hutch_fail_plain(
			    err, EINVAL, "invalid reference format: bad digest in \"%s\"", s);
		snprintf(ref->digest, sizeof(ref->digest), "%s", at + 1);
	}
	/* The tag follows the last ':' after the last '/', so a registry port
	 * ("host:5000/x") is never taken for a tag. */
	char *slash = strrchr(buf, '/');
	char *colon = strrchr(slash ? slash : buf, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (!tag_valid(colon + 1))
			return hutch_fail_plain(err, EINVAL,
						"invalid reference format: bad tag in \"%s\"", s);
		snprintf(ref->tag, sizeof(ref->tag), "%s", colon + 1);
	}

	char *name = buf;
	char *first_slash = strchr(name, '/');
	if (first_slash != NULL) {
		size_t dlen = (size_t)(first_slash - name);
		bool is_domain = memchr(name, '.', dlen) || memchr(name, ':', dlen) ||
				 (dlen == 9 && strncmp(name, "localhost", 9) == 0);
		for (size_t i = 0; i < dlen && !is_domain; i++)
			if (isupper((unsigned char)name[i]))
				is_domain = true;
		if (is_domain) {
			if (!domain_valid(name, dlen))
				return hutch_fail_plain(
				    err, EINVAL, "invalid reference format: bad registry in \"%s\"",
				    s);
			snprintf(ref->domain, sizeof(ref->domain), "%.*s", (int)dlen, name);
			name = first_slash + 1;
		}
	}
	if (ref->domain[0] == '\0')
		snprintf(ref->domain, sizeof(ref->domain), "%s", REFERENCE_DEFAULT_DOMAIN);
	if (strcmp(ref->domain, "index.docker.io") == 0)
		snprintf(ref->domain, sizeof(ref->domain), "%s", REFERENCE_DEFAULT_DOMAIN);

	for (const char *c = name;;) {
		const char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		if (!component_valid(c, len))
			return hutch_fail_plain(err, EINVAL,
						"invalid reference format: repository name must be "
						"lowercase: \"%s\"",
						s);
		if (e == NULL)
			break;
		c = e + 1;
	}
	if (strcmp(ref->domain, REFERENCE_DEFAULT_DOMAIN) == 0 && strchr(name, '/') == NULL)
		snprintf(ref->path, sizeof(ref->path), "library/%s", name);
	else
		snprintf(ref->path, sizeof(ref->path), "%s", name);
	if (strlen(ref->domain) + strlen(ref->path) + 1 > 255)
		return hutch_fail_plain(err, EINVAL,
					"invalid reference format: repository name too long");
	if (default_tag && ref->tag[0] == '\0' && ref->digest[0] == '\0')
		snprintf(ref->tag, sizeof(ref->tag), "latest");
	return 0;
}

void image_ref_repo(const struct image_ref *ref, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", ref->domain, ref->path);
}

void image_ref_name(const struct image_ref *ref, char *buf, size_t size)
{
	if (ref->tag[0] != '\0')
		snprintf(buf, size, "%s/%s:%s", ref->domain, ref->path, ref->tag);
	else
		snprintf(buf, size, "%s/%s@%s", ref->domain, ref->path, ref->digest);
}

void image_ref_familiar(const char *canonical, char *buf, size_t size)
{
	const char *s = canonical;
	static const char prefix[] = REFERENCE_DEFAULT_DOMAIN "/";
	if (strncmp(s, prefix, sizeof(prefix) - 1) == 0) {
		s += sizeof(prefix) - 1;
		if (strncmp(s, "library/", 8) == 0 && strchr(s + 8, '/') == NULL)
			s += 8;
	}
	snprintf(buf, size, "%s", s);
}

const char *image_ref_registry_host(const char *domain)
{
	if (strcmp(domain, REFERENCE_DEFAULT_DOMAIN) == 0)
		return "registry-1.docker.io";
	return domain;
}

bool image_ref_is_id_prefix(const char *s)
{
	if (strncmp(s, "sha256:", 7) == 0)
		s += 7;
	size_t n = 0;
	for (; s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n >= 4 && n <= DIGEST_HEX_LEN;
}
