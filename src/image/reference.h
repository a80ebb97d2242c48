/* Image references as the docker CLI writes them: [domain/]path[:tag][@digest].
 * A missing domain means docker.io, a one-component path on docker.io gets
 * "library/", and a missing tag (without digest) means "latest". */
#ifndef HUTCH_IMAGE_REFERENCE_H
#define HUTCH_IMAGE_REFERENCE_H

#include <stdbool.h>

#include "error.h"

#define REFERENCE_DEFAULT_DOMAIN "docker.io"
#define REFERENCE_MAX 512

struct image_ref {
	char domain[256];	  /* "docker.io", "127.0.0.1:5000" */
	char path[REFERENCE_MAX]; /* "library/busybox" */
	char tag[129];		  /* "latest", "" when only a digest was given */
	char digest[72];	  /* "sha256:...", or "" */
};

/* Parse s; with default_tag true a reference without tag and digest gets
 * "latest". Errors say what is wrong with the reference. */
int image_ref_parse(const char *s, bool default_tag, struct image_ref *ref, hutch_error *err);

/* "domain/path" (the repository). */
void image_ref_repo(const struct image_ref *ref, char *buf, size_t size);

/* The canonical stored name: "domain/path:tag", or "domain/path@digest"
 * when there is no tag. */
void image_ref_name(const struct image_ref *ref, char *buf, size_t size);

/* A canonical name shortened the way docker shows it: "busybox:latest"
 * for "docker.io/library/busybox:latest", "user/x:1" for docker.io/user/x. */
void image_ref_familiar(const char *canonical, char *buf, size_t size);

/* The host to talk to for a domain: docker.io's API lives on
 * registry-1.docker.io. */
const char *image_ref_registry_host(const char *domain);

/* True when s looks like an image id or an id prefix ("sha256:abc..." or
 * at least 4 hex digits, as docker accepts short ids). */
bool image_ref_is_id_prefix(const char *s);

#endif
