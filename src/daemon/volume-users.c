/* Volumes and the containers that use them (see volume-users.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "events.h"
#include "json-util.h"
#include "log.h"
#include "volume-users.h"
#include "volumes.h"

/* The volume mounts of a container's record (its Mounts, as inspect
 * shows them), with a reference; called with the registry lock held. */
static json_object *volume_mounts_locked(struct ctr *c)
{
	json_object *mounts, *out = json_object_new_array();
	if (!json_object_object_get_ex(c->record, "Mounts", &mounts))
		return out;
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i), *type;
		if (json_object_object_get_ex(m, "Type", &type) &&
		    strcmp(json_object_get_string(type), "volume") == 0)
			json_object_array_add(out, json_object_get(m));
	}
	return out;
}

static const char *mount_field(json_object *m, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(m, key, &v) ? json_object_get_string(v) : "";
}

json_object *volume_users(struct hutchd *d, const char *name)
{
	json_object *ids = json_object_new_array();
	struct ctr **cs;
	size_t n;
	if (ctr_list(d, &cs, &n) < 0)
		return ids;
	for (size_t i = 0; i < n; i++) {
		ctr_lock(d);
		_cleanup_json_ json_object *mounts = volume_mounts_locked(cs[i]);
		ctr_unlock(d);
		for (size_t k = 0; k < json_object_array_length(mounts); k++)
			if (strcmp(mount_field(json_object_array_get_idx(mounts, k), "Name"),
				   name) == 0) {
				json_object_array_add(ids, json_object_new_string(cs[i]->id));
				break;
			}
	}
	ctr_put_all(cs, n);
	return ids;
}

static json_object *driver_attribute(void)
{
	json_object *a = json_object_new_object();
	json_object_object_add(a, "driver", json_object_new_string("local"));
	return a;
}

void volume_created_event(struct hutchd *d, const char *name)
{
	events_emit(d, "volume", "create", name, driver_attribute());
}

int volume_remove_unused(struct hutchd *d, const char *name, int64_t *reclaimed, hutch_error *err)
{
	_cleanup_json_ json_object *volume = NULL;
	if (volume_inspect(d->root, name, &volume, err) < 0)
		return -1;
	_cleanup_json_ json_object *users = volume_users(d, name);
	size_t n = json_object_array_length(users);
	if (n > 0) {
		char ids[4096] = "";
		size_t len = 0;
		for (size_t i = 0; i < n && len < sizeof(ids); i++)
			len += (size_t)snprintf(
			    ids + len, sizeof(ids) - len, "%s%s", i ? ", " : "",
			    json_object_get_string(json_object_array_get_idx(users, i)));
		return hutch_fail_plain(err, EBUSY, "remove %s: volume is in use - [%s]", name,
					ids);
	}
	char data[4400], gone[4400];
	snprintf(data, sizeof(data), "%s/volumes/%s/_data", d->root, name);
	int64_t size = ctr_tree_size(data);
	if (volume_detach(d->root, name, gone, sizeof(gone), err) < 0)
		return -1;
	/* Out of the store now; what a crash leaves of it is swept at start.
	 * A bind volume's device is not in this tree and stays. */
	hutchd_remove_tree_or_log(d, gone);
	if (reclaimed != NULL)
		*reclaimed = size;
	events_emit(d, "volume", "destroy", name, driver_attribute());
	return 0;
}

int ctr_remove_with_volumes(struct hutchd *d, struct ctr *c, hutch_error *err)
{
	ctr_lock(d);
	_cleanup_json_ json_object *mounts = volume_mounts_locked(c);
	ctr_unlock(d);
	if (ctr_remove(d, c, err) < 0)
		return -1;
	volumes_lock_exclusive();
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		const char *name = mount_field(json_object_array_get_idx(mounts, i), "Name");
		_cleanup_json_ json_object *volume = NULL;
		if (volume_inspect(d->root, name, &volume, NULL) < 0 ||
		    !volume_is_anonymous(volume))
			continue;
		hutch_error verr = {0};
		/* Docker logs a volume still in use by another container and
		 * goes on; the container's removal stands. */
		if (volume_remove_unused(d, name, NULL, &verr) < 0)
			log_info("container %.12s removed, its volume kept: %s", c->id, verr.msg);
	}
	volumes_unlock();
	return 0;
}

void volume_mount_events(struct hutchd *d, struct ctr *c, const char *action)
{
	ctr_lock(d);
	_cleanup_json_ json_object *mounts = volume_mounts_locked(c);
	ctr_unlock(d);
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i), *rw;
		json_object *a = driver_attribute();
		json_object_object_add(a, "container", json_object_new_string(c->id));
		if (strcmp(action, "mount") == 0) {
			json_object_object_add(
			    a, "destination",
			    json_object_new_string(mount_field(m, "Destination")));
			json_object_object_add(a, "propagation", json_object_new_string(""));
			bool writable =
			    !json_object_object_get_ex(m, "RW", &rw) || json_object_get_boolean(rw);
			json_object_object_add(a, "read/write",
					       json_object_new_string(writable ? "true" : "false"));
		}
		events_emit(d, "volume", action, mount_field(m, "Name"), a);
	}
}

void volumes_sweep(struct hutchd *d)
{
	char **left = NULL;
	size_t n = 0;
	if (volume_leftovers(d->root, &left, &n) < 0)
		log_warning("volumes: cannot list %s/volumes: %s", d->root, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		log_info("volumes: removing %s, left by a create or removal cut short", left[i]);
		hutchd_remove_tree_or_log(d, left[i]);
		free(left[i]);
	}
	free(left);
}
