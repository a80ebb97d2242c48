/* Image manifests, indexes and configs (OCI image spec and Docker's
 * schema2): parsing with validation of everything that later becomes a
 * file name, and platform selection in an index. */
#ifndef HUTCH_IMAGE_MANIFEST_H
#define HUTCH_IMAGE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* The Accept header of a manifest request. */
#define MANIFEST_ACCEPT                                                                            \
	MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST

#define MANIFEST_MAX_SIZE (4 * 1024 * 1024)
#define CONFIG_MAX_SIZE (8 * 1024 * 1024)
#define MANIFEST_MAX_LAYERS 256

struct descriptor {
	char media_type[128];
	char digest[DIGEST_STR_LEN + 1];
	int64_t size;
};

struct image_manifest {
	struct descriptor config;
	struct descriptor layers[MANIFEST_MAX_LAYERS];
	size_t n_layers;
};

struct platform {
	char os[32];
	char architecture[32];
	char variant[32];
};

enum manifest_kind {
	MANIFEST_KIND_UNKNOWN = 0,
	MANIFEST_KIND_IMAGE,
	MANIFEST_KIND_INDEX,
};

/* Tell an image manifest from an index by its mediaType field, falling
 * back to the Content-Type of the reply, then to the shape of the JSON. */
enum manifest_kind manifest_kind_of(const char *body, size_t len, const char *content_type);

/* Parse an image manifest (schema2 or OCI). */
int manifest_parse(const char *body, size_t len, struct image_manifest *m, hutch_error *err);

/* Pick the manifest for want from an index or manifest list. Attestation
 * manifests (platform unknown/unknown, or annotated
 * vnd.docker.reference.type=attestation-manifest) are never chosen; a
 * variant is matched when want has one, else the first entry of the
 * architecture wins ("v8" is preferred for arm64 as docker does). */
int manifest_select_platform(const char *body, size_t len, const struct platform *want,
			     struct descriptor *out, hutch_error *err);

/* The platform of this machine (linux/amd64, linux/arm64/v8, ...). */
void platform_native(struct platform *p);

/* Parse "os/arch[/variant]". */
int platform_parse(const char *s, struct platform *p, hutch_error *err);

/* From an image config: the diff_ids (rootfs.diff_ids), which must be as
 * many as the manifest's layers. *diff_ids is a strv. */
int image_config_diff_ids(const char *body, size_t len, char ***diff_ids, size_t *n,
			  hutch_error *err);

/* True for layer media types we can unpack (tar, gzip, zstd, docker's). */
bool manifest_layer_type_supported(const char *media_type);

#endif
