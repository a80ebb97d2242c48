/* Creating snapshots (one unpacked layer each) through the sandbox helper. */
#ifndef HUTCH_DAEMON_SNAPSHOT_H
#define HUTCH_DAEMON_SNAPSHOT_H

#include "daemon.h"
#include "manifest.h"

/* Unpack layer (its blob must be in the store) as snapshot chain_id; the
 * caller holds the claim on chain_id. */
int snapshot_create(struct hutchd *d, pid_t holder, const struct descriptor *layer,
		    const char *diff_id, const char *chain_id, const char *parent_chain,
		    hutch_error *err);

/* snapshot_create while the layer's blob is still being downloaded into
 * download_tmp: the helper unpacks it as it arrives (follow_fd: see
 * helper_unpack) and, once told it is complete and verified, moves it
 * into the store before it commits the snapshot. */
int snapshot_create_following(struct hutchd *d, pid_t holder, const struct descriptor *layer,
			      const char *download_tmp, int follow_fd, const char *diff_id,
			      const char *chain_id, const char *parent_chain, hutch_error *err);

/* Make sure snapshot chain_id exists: claim it, unpack unless another
 * thread did, release. */
int snapshot_ensure(struct hutchd *d, pid_t holder, const struct descriptor *layer,
		    const char *diff_id, const char *chain_id, const char *parent_chain,
		    hutch_error *err);

/* Unpack snapshot chain_id again from its blob, as its meta.json
 * describes it, and swap it for the one in the store atomically (used for
 * snapshots whose files a power cut may have lost). */
int snapshot_rebuild(struct hutchd *d, pid_t holder, const char *chain_id, hutch_error *err);

#endif
