/* Making committed snapshots durable in the background, and checking the
 * ones a previous run left unsynced (see store.h on the "unsynced"
 * marker). */
#ifndef HUTCH_DAEMON_STORE_SYNC_H
#define HUTCH_DAEMON_STORE_SYNC_H

#include "daemon.h"

/* A snapshot was committed unsynced: syncfs the store once hutchd has
 * been idle (no pull or load at work) for a moment. */
void store_sync_schedule(struct hutchd *d);

/* At start, before anything uses a snapshot: snapshots marked in another
 * boot are unpacked again from their blobs (or removed when that fails);
 * those marked in this boot are scheduled for the sync. */
int store_sync_recover(struct hutchd *d, hutch_error *err);

/* On a clean stop: end the background thread and sync what is left. */
void store_sync_shutdown(struct hutchd *d);

#endif
