/* Looking images up by the names docker users type (a reference, a
 * familiar name, an id or id prefix) and describing them in Docker's JSON. */
#ifndef HUTCH_DAEMON_IMAGES_H
#define HUTCH_DAEMON_IMAGES_H

#include <json-c/json.h>

#include "daemon.h"
#include "store.h"

/* Find the image that name means. *entry is one of its store entries (the
 * named one when name is a reference). by_id tells whether an id matched.
 * ENOENT: "No such image: name"; EINVAL: ambiguous id prefix. */
int image_lookup(struct store *s, const char *name, struct store_image *entry, bool *by_id,
		 hutch_error *err);

/* Docker's /images/json entry or /images/{name}/json document for the
 * image of manifest (all entries sharing its config are its tags). */
json_object *image_summary(struct store *s, const struct store_image *entries, size_t n,
			   const char *config_digest, const struct store_image_info *info);
json_object *image_inspect(struct store *s, const struct store_image *entries, size_t n,
			   const char *config_digest, const struct store_image_info *info);

/* Uncompressed size from the snapshots' meta.json, else compressed. */
int64_t image_size(struct store *s, const struct store_image_info *info);

/* The load and save endpoints (image-archive.c). */
enum MHD_Result api_images_load(struct request *r);
enum MHD_Result api_images_save(struct request *r, const char *const *names, size_t n);

#endif
