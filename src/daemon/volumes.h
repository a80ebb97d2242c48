/* The volume store: ROOT/volumes/<name>/_data holds a volume's files and
 * ROOT/volumes/<name>/volume.json its metadata (Docker's local driver
 * keeps the same layout plus a database). A volume appears whole or not
 * at all: it is made as ROOT/volumes/.tmp-<name>-XXXXXX (data directory
 * and fsynced metadata) and renamed into place; a removal renames it to
 * .removing-<name>-XXXXXX first. Leftovers of either are swept when hutchd
 * starts. A volume directory without volume.json (made by hutch before
 * volumes had metadata) is a named local volume without labels.
 *
 * These functions only touch files; who may remove a volume (no
 * container uses it) is decided by the callers under volumes_lock. */
#ifndef HUTCH_DAEMON_VOLUMES_H
#define HUTCH_DAEMON_VOLUMES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Docker (since 23.0) marks anonymous volumes with this label; prune
 * without all=true removes only those. */
#define VOLUME_ANONYMOUS_LABEL "com.docker.volume.anonymous"

/* [a-zA-Z0-9][a-zA-Z0-9_.-]+, Docker's rule for local volume names. */
bool volume_name_valid(const char *name);
/* EINVAL with Docker's message for a bad name. */
int volume_name_error(const char *name, hutch_error *err);

/* Creating a volume and making a container use one take the lock shared
 * (from the volume's creation until the container is registered);
 * removals take it exclusive, so a volume is never removed between a
 * container's choice of it and the container's record. */
void volumes_lock_shared(void);
void volumes_lock_exclusive(void);
void volumes_unlock(void);

/* Create the volume name (NULL: a random 64-hex name) with labels and
 * the local driver's options (each NULL or an object of strings), or find
 * it when it exists (then labels and options are ignored, as Docker
 * does). A rootless daemon can do one kind of options: a bind of an
 * existing directory (type=none, o=bind, device=/abs/dir); everything
 * else is EINVAL saying why. A bad name is EINVAL with Docker's message.
 * *out: Docker's Volume document; *created: whether it is new. */
int volume_create(const char *root, const char *name, json_object *labels, json_object *options,
		  json_object **out, bool *created, hutch_error *err);

/* Docker's Volume document (Name, Driver, Mountpoint, CreatedAt, Labels,
 * Scope, Options). ENOENT "get NAME: no such volume". */
int volume_inspect(const char *root, const char *name, json_object **out, hutch_error *err);

/* Every volume's document, sorted by name (unreadable ones are skipped
 * with a warning). */
int volume_list(const char *root, json_object **out, hutch_error *err);

/* Where a container binds the volume: the device of an o=bind volume,
 * else Mountpoint. */
const char *volume_host_path(json_object *volume);
/* Whether it carries VOLUME_ANONYMOUS_LABEL. */
bool volume_is_anonymous(json_object *volume);
/* Take the volume out of the store: it is renamed to a .removing-*
 * directory, whose path goes to gone (the caller removes that tree, with
 * the sandbox for files of subordinate ids). ENOENT when unknown. */
int volume_detach(const char *root, const char *name, char *gone, size_t gone_size,
		  hutch_error *err);

/* The .tmp-* and .removing-* leftovers of crashed creates and removals,
 * as paths (caller frees each and the array). */
int volume_leftovers(const char *root, char ***out, size_t *n);

#endif
