#include "snapshot.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "helper.h"
#include "json-util.h"
#include "store-sync.h"

static json_object *snapshot_meta(const struct descriptor *layer, const char *diff_id,
				  const char *chain_id, const char *parent_chain)
{
	json_object *meta = json_object_new_object();
	json_object_object_add(meta, "chain_id", json_object_new_string(chain_id));
	json_object_object_add(meta, "diff_id", json_object_new_string(diff_id));
	json_object_object_add(meta, "parent",
			       json_object_new_string(parent_chain ? parent_chain : ""));
	json_object_object_add(meta, "layer", json_object_new_string(layer->digest));
	json_object_object_add(meta, "media_type", json_object_new_string(layer->media_type));
	return meta;
}

/* download_tmp NULL: unpack the layer's blob from the store; else unpack
 * the download being written to download_tmp, told about on follow_fd.
 * replace: the snapshot exists and is unpacked again. */
static int unpack_snapshot(struct hutchd *d, pid_t holder, const struct descriptor *layer,
			   const char *download_tmp, int follow_fd, const char *diff_id,
			   const char *chain_id, const char *parent_chain, bool replace,
			   hutch_error *err)
{
	struct store *s = d->store;
	char blob[PATH_MAX], tmp[PATH_MAX], dest[PATH_MAX];
	store_blob_path(s, layer->digest, blob, sizeof(blob));
	store_snapshot_tmp_name(s, chain_id, tmp, sizeof(tmp));
	store_snapshot_dir(s, chain_id, dest, sizeof(dest));
	_cleanup_json_ json_object *meta = snapshot_meta(layer, diff_id, chain_id, parent_chain);
	_cleanup_free_ char *result = NULL;
	struct unpack_job job = {
	    .holder = holder,
	    .blob = download_tmp ? download_tmp : blob,
	    .tmpdir = tmp,
	    .dest = dest,
	    .diff_id = diff_id,
	    .meta_json = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN),
	    .follow_fd = download_tmp ? follow_fd : -1,
	    .blob_dest = download_tmp ? blob : NULL,
	    .replace = replace,
	};
	if (helper_unpack(&job, &result, err) < 0)
		return -1;
	/* Its files reach the disk later, when hutchd is idle. */
	store_sync_schedule(d);
	return 0;
}

int snapshot_create(struct hutchd *d, pid_t holder, const struct descriptor *layer,
		    const char *diff_id, const char *chain_id, const char *parent_chain,
		    hutch_error *err)
{
	return unpack_snapshot(d, holder, layer, NULL, -1, diff_id, chain_id, parent_chain, false,
			       err);
}

int snapshot_create_following(struct hutchd *d, pid_t holder, const struct descriptor *layer,
			      const char *download_tmp, int follow_fd, const char *diff_id,
			      const char *chain_id, const char *parent_chain, hutch_error *err)
{
	return unpack_snapshot(d, holder, layer, download_tmp, follow_fd, diff_id, chain_id,
			       parent_chain, false, err);
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

int snapshot_rebuild(struct hutchd *d, pid_t holder, const char *chain_id, hutch_error *err)
{
	char path[PATH_MAX];
	store_snapshot_dir(d->store, chain_id, path, sizeof(path) - 16);
	size_t l = strlen(path);
	snprintf(path + l, sizeof(path) - l, "/meta.json");
	/* meta.json was made durable before the snapshot's rename. */
	_cleanup_json_ json_object *meta = NULL;
	if (json_read_file(path, &meta, err) < 0)
		return -1;
	const char *stored_chain = NULL, *diff_id = NULL, *parent = NULL, *digest = NULL,
		   *media_type = NULL;
	if (json_get_string(meta, path, "chain_id", true, &stored_chain, err) < 0 ||
	    json_get_string(meta, path, "diff_id", true, &diff_id, err) < 0 ||
	    json_get_string(meta, path, "parent", true, &parent, err) < 0 ||
	    json_get_string(meta, path, "layer", true, &digest, err) < 0 ||
	    json_get_string(meta, path, "media_type", true, &media_type, err) < 0)
		return -1;
	if (strcmp(stored_chain, chain_id) != 0)
		return hutch_fail_plain(err, EINVAL, "%s: chain_id %s is not the snapshot's name",
					path, stored_chain);
	if (digest_check(diff_id, "diff_id", err) < 0 || digest_check(digest, "layer", err) < 0)
		return hutch_error_prefix(err, "%s", path);
	if (!store_blob_exists(d->store, digest))
		return hutch_fail_plain(err, ENOENT, "its layer blob %s is not in the store",
					digest);
	struct descriptor layer = {0};
	snprintf(layer.digest, sizeof(layer.digest), "%s", digest);
	snprintf(layer.media_type, sizeof(layer.media_type), "%s", media_type);
	/* The unpack verifies the diff_id again. */
	return unpack_snapshot(d, holder, &layer, NULL, -1, diff_id, chain_id,
			       parent[0] ? parent : NULL, true, err);
}
