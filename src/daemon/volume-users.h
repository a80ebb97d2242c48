/* Volumes and the containers that use them: who uses a volume, removing
 * one nobody uses, a container's anonymous volumes going with it (Docker's
 * rm -v and AutoRemove), volume events, and leftovers swept at start. */
#ifndef HUTCH_DAEMON_VOLUME_USERS_H
#define HUTCH_DAEMON_VOLUME_USERS_H

#include <json-c/json.h>
#include <stdint.h>

#include "containers.h"
#include "daemon.h"

/* The ids of the containers (running or not) whose Mounts name the
 * volume, as an array of strings (caller puts). */
json_object *volume_users(struct hutchd *d, const char *name);

/* Remove the volume unless a container uses it: EBUSY with Docker's
 * "remove NAME: volume is in use - [ID, ...]", ENOENT "get NAME: no such
 * volume". Emits "destroy". *reclaimed (may be NULL): bytes freed. The
 * caller holds volumes_lock_exclusive. */
int volume_remove_unused(struct hutchd *d, const char *name, int64_t *reclaimed, hutch_error *err);

/* ctr_remove, then the anonymous volumes of c that no other container
 * uses, as Docker's rm -v does (named volumes stay). */
int ctr_remove_with_volumes(struct hutchd *d, struct ctr *c, hutch_error *err);

/* Docker's volume "mount" (at start) or "unmount" (at exit) events for
 * each volume c uses. */
void volume_mount_events(struct hutchd *d, struct ctr *c, const char *action);

/* A volume's "create" event (attribute driver=local). */
void volume_created_event(struct hutchd *d, const char *name);

/* At start: remove what crashed creates and removals left. */
void volumes_sweep(struct hutchd *d);

#endif
