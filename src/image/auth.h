/* Registry authentication: the WWW-Authenticate challenge of a 401 reply
 * (RFC 7235 auth-params as the distribution token spec uses them) and
 * credentials from the docker CLI's config.json. */
#ifndef HUTCH_IMAGE_AUTH_H
#define HUTCH_IMAGE_AUTH_H

#include <stdbool.h>

#include "error.h"

enum auth_scheme {
	AUTH_NONE = 0,
	AUTH_BASIC,
	AUTH_BEARER,
};

struct auth_challenge {
	enum auth_scheme scheme;
	char realm[1024];
	char service[256];
	char scope[512];
};

/* Parse a WWW-Authenticate header value, e.g.
 * Bearer
 * realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"
 * Unknown schemes and parameters are an error / ignored respectively. */
int auth_parse_challenge(const char *header, struct auth_challenge *out, hutch_error *err);

/* Look up "user:password" for a registry domain in a docker config.json
 * ("auths": {"host": {"auth": base64(user:pass)}} or "username"/"password").
 * docker.io is also found under its legacy key https://index.docker.io/v1/.
 * Returns 1 and a malloc'ed string when found, 0 when not. */
int auth_lookup_config(const char *config_path, const char *domain, char **userpass,
		       hutch_error *err);

/* Credentials for domain from $XDG_CONFIG_HOME/hutch/auth.json, then
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
int auth_lookup_default(const char *domain, char **userpass, hutch_error *err);

/* Decode an X-Registry-Auth header (base64url JSON with "username",
 * "password" or "identitytoken") to "user:password". 0 when empty. */
int auth_decode_registry_header(const char *header, char **userpass, hutch_error *err);

/* Standard base64 decoding (padding optional; '-' and '_' accepted as in
 * base64url). Returns the malloc'ed NUL-terminated result or NULL. */
char *auth_base64_decode(const char *in, size_t *outlen);

#endif
