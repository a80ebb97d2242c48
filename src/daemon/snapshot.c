#include "snapshot.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "helper.h"
#include "json-util.h"

int snapshot_create(struct hutchd *d, pid_t holder, const struct descriptor *layer,
		    const char *diff_id, const char *chain_id, const char *parent_chain,
		    hutch_error *err)
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
	return helper_unpack(holder, blob, tmp, dest, diff_id,
			     json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN), &result,
			     err);
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
