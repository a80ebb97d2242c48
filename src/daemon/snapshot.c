#include "snapshot.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "helper.h"
#include "json-util.h"

/* download_tmp NULL: unpack the layer's blob from the store; else unpack
 * the download being written to download_tmp, told about on follow_fd. */
static int unpack_snapshot(struct hutchd *d, pid_t holder, const struct descriptor *layer,
			   const char *download_tmp, int follow_fd, const char *diff_id,
			   const char *chain_id, const char *parent_chain, hutch_error *err)
{
	struct store *s = d->store;
	char blob[PATH_MAX], tmp[PATH_MAX], dest[PATH_MAX];
	store_blob_path(s, layer->digest, blob, sizeof(blob));
	store_snapshot_tmp_name(s, chain_id, tmp, sizeof(tmp));
	store_snapshot_dir(s, chain_id, dest, sizeof(dest));
	_cleanup_json_ json_object *meta = json_object_new_object();
	json_object_object_add(meta, "chain_id", json_object_new_string(chain_id));
	json_object_object_add(meta, "diff_id", json_object_new_string(diff_id));
	json_object_object_add(meta, "parent",
			       json_object_new_string(parent_chain ? parent_chain : ""));
	json_object_object_add(meta, "layer", json_object_new_string(layer->digest));
	json_object_object_add(meta, "media_type", json_object_new_string(layer->media_type));
	_cleanup_free_ char *result = NULL;
	const char *meta_json = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN);
	if (download_tmp != NULL)
		return helper_unpack(holder, download_tmp, tmp, dest, diff_id, meta_json, follow_fd,
				     blob, &result, err);
	return helper_unpack(holder, blob, tmp, dest, diff_id, meta_json, -1, NULL, &result, err);
}

int snapshot_create(struct hutchd *d, pid_t holder, const struct descriptor *layer,
		    const char *diff_id, const char *chain_id, const char *parent_chain,
		    hutch_error *err)
{
	return unpack_snapshot(d, holder, layer, NULL, -1, diff_id, chain_id, parent_chain, err);
}

int snapshot_create_following(struct hutchd *d, pid_t holder, const struct descriptor *layer,
			      const char *download_tmp, int follow_fd, const char *diff_id,
			      const char *chain_id, const char *parent_chain, hutch_error *err)
{
	return unpack_snapshot(d, holder, layer, download_tmp, follow_fd, diff_id, chain_id,
			       parent_chain, err);
}

int snapshot_ensure(struct hutchd *d, pid_t holder, const struct descriptor *layer,
		    const char *diff_id, const char *chain_id, const char *parent_chain,
		    hutch_error *err)
{
	struct store *s = d->store;
	for (;;) {
		if (store_snapshot_exists(s, chain_id))
			return 0;
		if (store_claim(s, chain_id) == 1)
			break;
	}
	int rc = 0;
	if (!store_snapshot_exists(s, chain_id))
		rc = snapshot_create(d, holder, layer, diff_id, chain_id, parent_chain, err);
	store_release(s, chain_id);
	return rc;
}
