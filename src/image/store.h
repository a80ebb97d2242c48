/* The image store under $XDG_DATA_HOME/hutch (or --root):
 *
 *   blobs/sha256/<hex>      content-addressed blobs, verified before the
 *                           rename that makes them visible
 *   tmp/                    downloads in progress (swept on open)
 *   images.json             names -> {manifest, repo digest}, replaced
 *                           atomically
 *   snapshots/<chainhex>/   one unpacked layer per layer chain: fs/ holds
 *                           the layer's files, meta.json its identity,
 *                           "unsynced" (while there) the boot whose page
 *                           cache may still hold its files; committed by
 *                           renaming a snapshots/.tmp-* dir
 *   .lock                   flock: one process owns the store
 *
 * Nothing is reference counted on disk: what images.json reaches is kept,
 * anything else is garbage, so a crash can never leave a count wrong.
 * Blobs and snapshots that a running pull needs are pinned in memory. All
 * functions are thread-safe. */
#ifndef HUTCH_IMAGE_STORE_H
#define HUTCH_IMAGE_STORE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

struct store;

/* Removes a directory tree that may hold files of other (sub)uids; the
 * daemon runs this inside the user sandbox. */
typedef int (*store_remove_tree_fn)(void *ctx, const char *path, hutch_error *err);

int store_open(const char *root, store_remove_tree_fn remove_tree, void *remove_ctx,
	       struct store **out, hutch_error *err);
void store_close(struct store *s);
const char *store_root(const struct store *s);

/* --- blobs --- */
void store_blob_path(const struct store *s, const char *digest, char *buf, size_t size);
bool store_blob_exists(const struct store *s, const char *digest);
/* A new temporary file in tmp/ (its path in path, PATH_MAX bytes). */
int store_blob_tmp(struct store *s, int *fd, char *path, hutch_error *err);
/* fsync fd, check that the digest computed while writing (actual) is the
 * expected one, and rename the temp file into blobs/. On any failure the
 * temp file is removed. */
int store_blob_commit(struct store *s, int fd, const char *tmppath, const char *expected,
		      const char *actual, hutch_error *err);
/* Store a whole buffer under its sha256; digest gets its name. */
int store_blob_put(struct store *s, const void *buf, size_t len,
		   char digest[static DIGEST_STR_LEN + 1], hutch_error *err);
/* Read a blob (at most max bytes) and verify it against its name. */
int store_blob_read(struct store *s, const char *digest, size_t max, char **buf, size_t *len,
		    hutch_error *err);

/* --- claims: one fetch or unpack per key at a time ---
 * Returns 1 when the caller owns key and must call store_release; 0 when
 * another thread held it and has finished (the caller re-checks). */
int store_claim(struct store *s, const char *key);
void store_release(struct store *s, const char *key);
/* Like store_claim without waiting: 1 when claimed, 0 when busy. */
int store_try_claim(struct store *s, const char *key);

/* --- pins: keep blobs/snapshots of running operations out of GC --- */
void store_pin(struct store *s, const char *key);
void store_unpin(struct store *s, const char *key);

/* --- snapshots --- */
void store_snapshot_dir(const struct store *s, const char *chain_id, char *buf, size_t size);
bool store_snapshot_exists(const struct store *s, const char *chain_id);
/* snapshots/.tmp-<hex>-<n>: a fresh name for an unpack in progress. */
void store_snapshot_tmp_name(struct store *s, const char *chain_id, char *buf, size_t size);
/* Take a committed snapshot out of the store (hidden first, then removed
 * in the sandbox; a crash in between leaves a .tmp-* the next open sweeps). */
int store_snapshot_discard(struct store *s, const char *chain_id, hutch_error *err);
/* Whether any claim is held: some pull or load is fetching or unpacking. */
bool store_busy(struct store *s);

/* --- snapshot durability (store-sync.c) ---
 * A snapshot is derived data: its blob is durable before the snapshot is
 * committed, its files are not. The unpack makes meta.json and the marker
 * file STORE_UNSYNCED (holding the boot id of the kernel whose page cache
 * has the files) durable before the rename that commits the snapshot; a
 * later syncfs of the store makes the files durable and then removes the
 * marker. A marker of this boot therefore only means "not synced yet";
 * a marker of another boot means the machine went down before the sync,
 * so the files may be incomplete and the snapshot must be unpacked again
 * from its blob before anything uses it. */
#define STORE_UNSYNCED "unsynced"
#define STORE_BOOT_ID_LEN 36

/* The running kernel's boot id (/proc/sys/kernel/random/boot_id). */
int store_boot_id(char id[static STORE_BOOT_ID_LEN + 1], hutch_error *err);
/* Write the marker into the snapshot directory being made (dirfd) and
 * fsync it; the caller fsyncs the directory. */
int store_mark_unsynced(int dirfd, hutch_error *err);

struct store_unsynced {
	char (*pending)[DIGEST_STR_LEN + 1]; /* chain ids marked in this boot */
	size_t n_pending;
	char (*lost)[DIGEST_STR_LEN + 1]; /* marked in another boot */
	size_t n_lost;
};
int store_unsynced_scan(struct store *s, struct store_unsynced *out, hutch_error *err);
void store_unsynced_free(struct store_unsynced *u);
/* syncfs the store's file system, then remove the markers of this boot
 * found before it; *synced: how many. */
int store_sync_snapshots(struct store *s, size_t *synced, hutch_error *err);

/* --- images.json --- */
struct store_image {
	char name[512];			      /* canonical reference */
	char manifest[DIGEST_STR_LEN + 1];    /* the platform manifest */
	char repo_digest[DIGEST_STR_LEN + 1]; /* what the registry calls it (index or manifest) */
};

int store_image_set(struct store *s, const char *name, const char *manifest,
		    const char *repo_digest, hutch_error *err);
/* 1 and *out when found, 0 when not. */
int store_image_get(struct store *s, const char *name, struct store_image *out);
int store_image_remove(struct store *s, const char *name, hutch_error *err);
/* A snapshot of all entries (caller frees *out). */
int store_image_list(struct store *s, struct store_image **out, size_t *n);

/* --- garbage collection and checking --- */
struct store_gc_result {
	size_t blobs_removed;
	size_t snapshots_removed;
	uint64_t bytes_reclaimed;
	json_object *deleted; /* array of "sha256:..." blob digests (caller puts) */
};
int store_gc(struct store *s, struct store_gc_result *res, hutch_error *err);

/* Verify the whole store: every blob hashes to its name, images.json
 * parses, everything an image needs is present. problems gets one string
 * per finding. Returns the number of problems, or -1 on failure. */
int store_check(struct store *s, json_object *problems, json_object *stats, hutch_error *err);

/* The manifest, config digest, layer digests/sizes and chain ids of a
 * stored image, read from its blobs. */
struct store_image_info {
	char config[DIGEST_STR_LEN + 1];
	size_t n_layers;
	char (*layers)[DIGEST_STR_LEN + 1];
	char (*diff_ids)[DIGEST_STR_LEN + 1];
	char (*chain_ids)[DIGEST_STR_LEN + 1];
	int64_t *layer_sizes;
	int64_t size; /* sum of compressed layer sizes */
	json_object *config_json;
	char manifest_media_type[128];
};
int store_image_info_load(struct store *s, const char *manifest_digest,
			  struct store_image_info *info, hutch_error *err);
void store_image_info_free(struct store_image_info *info);

#endif
