#include "auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "cleanup.h"
#include "json-util.h"

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* One auth-param: token '=' ( token / quoted-string ). Returns the position
 * after it or NULL on a syntax error. */
static const char *parse_param(const char *p, char *key, size_t ksize, char *val, size_t vsize)
{
	size_t k = 0;
	while (*p && *p != '=' && *p != ',' && *p != ' ') {
		if (k + 1 < ksize)
			key[k++] = *p;
		p++;
	}
	key[k] = '\0';
	p = skip_space(p);
	if (*p != '=' || k == 0)
		return NULL;
	p = skip_space(p + 1);
	size_t v = 0;
	if (*p == '"') {
		p++;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			if (v + 1 < vsize)
				val[v++] = *p;
			p++;
		}
		if (*p != '"')
			return NULL;
		p++;
	} else {
		while (*p && *p != ',' && *p != ' ') {
			if (v + 1 < vsize)
				val[v++] = *p;
			p++;
		}
	}
	val[v] = '\0';
	return p;
}

int auth_parse_challenge(const char *header, struct auth_challenge *out, hutch_error *err)
{
	memset(out, 0, sizeof(*out));
	const char *p = skip_space(header);
	if (strncasecmp(p, "Bearer", 6) == 0 && (p[6] == ' ' || p[6] == '\0')) {
		out->scheme = AUTH_BEARER;
		p += 6;
	} else if (strncasecmp(p, "Basic", 5) == 0 && (p[5] == ' ' || p[5] == '\0')) {
		out->scheme = AUTH_BASIC;
		p += 5;
	} else {
		return hutch_fail_plain(err, EPROTO,
					"unsupported authentication scheme in \"%.60s\"", header);
	}
	for (;;) {
		p = skip_space(p);
		while (*p == ',')
			p = skip_space(p + 1);
		if (*p == '\0')
			break;
		char key[64], val[1024];
		p = parse_param(p, key, sizeof(key), val, sizeof(val));
		if (p == NULL)
			return hutch_fail_plain(
			    err, EPROTO, "malformed WWW-Authenticate header \"%.80s\"", header);
		if (strcasecmp(key, "realm") == 0)
			snprintf(out->realm, sizeof(out->realm), "%s", val);
		else if (strcasecmp(key, "service") == 0)
			snprintf(out->service, sizeof(out->service), "%s", val);
		else if (strcasecmp(key, "scope") == 0)
			snprintf(out->scope, sizeof(out->scope), "%s", val);
	}
	if (out->scheme == AUTH_BEARER) {
		if (out->realm[0] == '\0')
			return hutch_fail_plain(err, EPROTO, "Bearer challenge without realm");
		if (strncmp(out->realm, "https://", 8) != 0 &&
		    strncmp(out->realm, "http://", 7) != 0)
			return hutch_fail_plain(
			    err, EPROTO, "Bearer realm is not an http(s) URL: %s", out->realm);
	}
	return 0;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

char *auth_base64_decode(const char *in, size_t *outlen)
{
	size_t len = strlen(in);
	char *out = malloc(len * 3 / 4 + 4);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	unsigned int acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '=' || isspace((unsigned char)in[i]))
			continue;
		int v = b64val((unsigned char)in[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

static int creds_from_entry(json_object *entry, char **userpass)
{
	json_object *v;
	if (json_object_object_get_ex(entry, "auth", &v) &&
	    json_object_is_type(v, json_type_string)) {
		char *dec = auth_base64_decode(json_object_get_string(v), NULL);
		if (dec != NULL && strchr(dec, ':') != NULL) {
			*userpass = dec;
			return 1;
		}
		free(dec);
	}
	json_object *u, *pw;
	if (json_object_object_get_ex(entry, "username", &u) &&
	    json_object_object_get_ex(entry, "password", &pw)) {
		if (asprintf(userpass, "%s:%s", json_object_get_string(u),
			     json_object_get_string(pw)) < 0)
			return -1;
		return 1;
	}
	return 0;
}

int auth_lookup_config(const char *config_path, const char *domain, char **userpass,
		       hutch_error *err)
{
	*userpass = NULL;
	_cleanup_json_ json_object *root = NULL;
	if (access(config_path, F_OK) != 0)
		return 0;
	if (json_read_file(config_path, &root, err) < 0)
		return -1;
	json_object *auths;
	if (!json_object_object_get_ex(root, "auths", &auths) ||
	    !json_object_is_type(auths, json_type_object))
		return 0;
	json_object_object_foreach(auths, key, entry)
	{
		/* Keys may be "host", "https://host" or "https://host/v1/". */
		const char *k = key;
		if (strncmp(k, "https://", 8) == 0)
			k += 8;
		else if (strncmp(k, "http://", 7) == 0)
			k += 7;
		size_t hl = strcspn(k, "/");
		bool match = strlen(domain) == hl && strncmp(k, domain, hl) == 0;
		if (!match && strcmp(domain, "docker.io") == 0)
			match = (hl == 15 && strncmp(k, "index.docker.io", 15) == 0) ||
				(hl == 20 && strncmp(k, "registry-1.docker.io", 20) == 0);
		if (match && json_object_is_type(entry, json_type_object)) {
			int r = creds_from_entry(entry, userpass);
			if (r != 0)
				return r < 0 ? hutch_fail(err, ENOMEM, "credentials") : 1;
		}
	}
	return 0;
}

int auth_lookup_default(const char *domain, char **userpass, hutch_error *err)
{
	_cleanup_free_ char *path = NULL;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg) {
		if (asprintf(&path, "%s/hutch/auth.json", xdg) < 0)
			return hutch_fail(err, ENOMEM, "auth path");
	} else if (home && *home) {
		if (asprintf(&path, "%s/.config/hutch/auth.json", home) < 0)
			return hutch_fail(err, ENOMEM, "auth path");
	}
	if (path != NULL) {
		int r = auth_lookup_config(path, domain, userpass, err);
		if (r != 0)
			return r;
		free(path);
		path = NULL;
	}
	const char *dc = getenv("DOCKER_CONFIG");
	if (dc && *dc) {
		if (asprintf(&path, "%s/config.json", dc) < 0)
			return hutch_fail(err, ENOMEM, "auth path");
	} else if (home && *home) {
		if (asprintf(&path, "%s/.docker/config.json", home) < 0)
			return hutch_fail(err, ENOMEM, "auth path");
	}
	if (path == NULL)
		return 0;
	return auth_lookup_config(path, domain, userpass, err);
}

int auth_decode_registry_header(const char *header, char **userpass, hutch_error *err)
{
	*userpass = NULL;
	if (header == NULL || header[0] == '\0')
		return 0;
	size_t len = 0;
	_cleanup_free_ char *dec = auth_base64_decode(header, &len);
	if (dec == NULL)
		return hutch_fail_plain(err, EINVAL, "X-Registry-Auth: invalid base64");
	_cleanup_json_ json_object *o = NULL;
	if (json_parse_buffer(dec, len, "X-Registry-Auth", &o, err) < 0)
		return -1;
	const char *user = NULL, *pass = NULL;
	if (json_get_string(o, "X-Registry-Auth", "username", false, &user, err) < 0 ||
	    json_get_string(o, "X-Registry-Auth", "password", false, &pass, err) < 0)
		return -1;
	if (user == NULL || user[0] == '\0')
		return 0;
	if (asprintf(userpass, "%s:%s", user, pass ? pass : "") < 0)
		return hutch_fail(err, ENOMEM, "credentials");
	return 1;
}
