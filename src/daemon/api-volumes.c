/* The /volumes routes of the Docker Engine API: list, create, inspect,
 * remove, prune; and GET /system/df's Volumes. The store is volumes.c,
 * who uses what is volume-users.c. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-containers.h"
#include "api-filters.h"
#include "cleanup.h"
#include "ctr-build-internal.h"
#include "events.h"
#include "json-util.h"
#include "volume-users.h"
#include "volumes.h"

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;
	json_object_object_get_ex(o, key, &v);
	return v != NULL && !json_object_is_type(v, json_type_null) ? v : NULL;
}

/* ------------------------------------------------------------------ list */

/* Docker's name and driver filters are regular expressions that may
 * match anywhere (filters.Args.Match); an exact value always matches. */
static bool any_regex_matches(json_object *list, const char *s)
{
	if (list == NULL)
		return true;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		const char *want = api_filter_value(list, i);
		regex_t re;
		if (strcmp(want, s) == 0)
			return true;
		if (regcomp(&re, want, REG_EXTENDED | REG_NOSUB) != 0)
			continue;
		bool hit = regexec(&re, s, 0, NULL, 0) == 0;
		regfree(&re);
		if (hit)
			return true;
	}
	return false;
}

static enum MHD_Result route_list(struct request *r)
{
	static const char *const allowed[] = {"name", "driver", "label", "dangling", NULL};
	hutch_error err = {0};
	_cleanup_json_ json_object *filters = NULL, *all = NULL;
	bool dangling = false;
	if (api_filters_parse(r, allowed, &filters, &err) < 0 ||
	    api_filter_bool(filters, "dangling", false, &dangling, &err) < 0)
		return reply_error(r, 400, "%s", err.msg);
	bool by_dangling = api_filter_values(filters, "dangling") != NULL;
	if (volume_list(r->d->root, &all, &err) < 0)
		return reply_hutch_error(r, &err);
	json_object *out_list = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *v = json_object_array_get_idx(all, i);
		const char *name = json_object_get_string(member(v, "Name"));
		if (!any_regex_matches(api_filter_values(filters, "name"), name) ||
		    !any_regex_matches(api_filter_values(filters, "driver"), "local") ||
		    !api_labels_match(member(v, "Labels"), filters, "label", false))
			continue;
		if (by_dangling) {
			_cleanup_json_ json_object *users = volume_users(r->d, name);
			if ((json_object_array_length(users) == 0) != dangling)
				continue;
		}
		json_object_array_add(out_list, json_object_get(v));
	}
	_cleanup_json_ json_object *out = json_object_new_object();
	json_object_object_add(out, "Volumes", out_list);
	json_object_object_add(out, "Warnings", json_object_new_array());
	return reply_json(r, 200, out);
}

/* ---------------------------------------------------------------- create */

static const struct ctr_field create_fields[] = {
    {.name = "Name", .kind = CF_STRING},	   {.name = "Driver", .kind = CF_STRING},
    {.name = "DriverOpts", .kind = CF_STRMAP},	   {.name = "Labels", .kind = CF_STRMAP},
    {.name = "ClusterVolumeSpec", .kind = CF_ANY},
};

static enum MHD_Result route_create(struct request *r)
{
	hutch_error err = {0};
	if (r->body == NULL || r->body_len == 0)
		return reply_error(r, 400, "invalid JSON: got EOF while reading request body");
	_cleanup_json_ json_object *req = NULL;
	if (json_parse_buffer(r->body, r->body_len, "volume config", &req, &err) < 0 ||
	    ctr_json_check(req, "CreateOptions", create_fields,
			   sizeof(create_fields) / sizeof(create_fields[0]), &err) < 0)
		return reply_error(r, 400, "%s", err.msg);
	json_object *name_v = member(req, "Name"), *driver_v = member(req, "Driver");
	const char *name = name_v && json_object_get_string_len(name_v) > 0
			       ? json_object_get_string(name_v)
			       : NULL;
	const char *driver = driver_v ? json_object_get_string(driver_v) : "";
	if (driver[0] != '\0' && strcmp(driver, "local") != 0)
		return reply_error(r, 404,
				   "create %s: error looking up volume plugin %s: plugin \"%s\" "
				   "not found",
				   name ? name : "", driver, driver);
	if (member(req, "ClusterVolumeSpec") != NULL)
		return reply_error(r, 503,
				   "This node is not a swarm manager. Cluster volumes require a "
				   "swarm manager");
	_cleanup_json_ json_object *volume = NULL;
	bool created = false;
	volumes_lock_shared();
	int rc = volume_create(r->d->root, name, member(req, "Labels"), member(req, "DriverOpts"),
			       &volume, &created, &err);
	volumes_unlock();
	if (rc < 0)
		return reply_hutch_error(r, &err);
	if (created)
		volume_created_event(r->d, json_object_get_string(member(volume, "Name")));
	return reply_json(r, 201, volume);
}

/* ------------------------------------------------------- inspect, remove */

static enum MHD_Result route_inspect(struct request *r, const char *name)
{
	hutch_error err = {0};
	_cleanup_json_ json_object *volume = NULL;
	if (volume_inspect(r->d->root, name, &volume, &err) < 0)
		return reply_hutch_error(r, &err);
	return reply_json(r, 200, volume);
}

static enum MHD_Result route_remove(struct request *r, const char *name)
{
	hutch_error err = {0};
	volumes_lock_exclusive();
	int rc = volume_remove_unused(r->d, name, NULL, &err);
	volumes_unlock();
	/* force makes an unknown volume no error; one in use stays 409. */
	if (rc < 0 && !(err.errnum == ENOENT && query_bool(r, "force")))
		return reply_hutch_error(r, &err);
	return reply_empty(r, 204);
}

/* ----------------------------------------------------------------- prune */

static enum MHD_Result route_prune(struct request *r)
{
	static const char *const allowed[] = {"label", "label!", "all", NULL};
	hutch_error err = {0};
	_cleanup_json_ json_object *filters = NULL, *all = NULL;
	bool every = false;
	if (api_filters_parse(r, allowed, &filters, &err) < 0 ||
	    api_filter_bool(filters, "all", false, &every, &err) < 0)
		return reply_error(r, 400, "%s", err.msg);
	/* Clients of API < 1.42 knew prune as removing every unused volume. */
	if (r->api_minor > 0 && r->api_minor < 42)
		every = true;
	_cleanup_json_ json_object *out = json_object_new_object();
	json_object *deleted = json_object_new_array();
	json_object_object_add(out, "VolumesDeleted", deleted);
	int64_t reclaimed = 0;
	volumes_lock_exclusive();
	if (volume_list(r->d->root, &all, &err) < 0) {
		volumes_unlock();
		return reply_hutch_error(r, &err);
	}
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *v = json_object_array_get_idx(all, i);
		json_object *labels = member(v, "Labels");
		/* Since API 1.42 only anonymous volumes, unless all=true. */
		if ((!every && !volume_is_anonymous(v)) ||
		    !api_labels_match(labels, filters, "label", false) ||
		    !api_labels_match(labels, filters, "label!", true))
			continue;
		const char *name = json_object_get_string(member(v, "Name"));
		int64_t size = 0;
		hutch_error verr = {0};
		if (volume_remove_unused(r->d, name, &size, &verr) < 0)
			continue; /* in use (or gone meanwhile): not pruned */
		reclaimed += size;
		json_object_array_add(deleted, json_object_new_string(name));
	}
	volumes_unlock();
	json_object_object_add(out, "SpaceReclaimed", json_object_new_int64(reclaimed));
	events_emit_prune(r->d, "volume", reclaimed);
	return reply_json(r, 200, out);
}

/* ------------------------------------------------------------- system df */

json_object *api_volumes_df(struct hutchd *d)
{
	_cleanup_json_ json_object *all = NULL;
	json_object *out = json_object_new_array();
	if (volume_list(d->root, &all, NULL) < 0)
		return out;
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *v = json_object_array_get_idx(all, i);
		_cleanup_json_ json_object *users =
		    volume_users(d, json_object_get_string(member(v, "Name")));
		json_object *usage = json_object_new_object();
		json_object_object_add(usage, "Size",
				       json_object_new_int64(ctr_tree_size(
					   json_object_get_string(member(v, "Mountpoint")))));
		json_object_object_add(
		    usage, "RefCount",
		    json_object_new_int64((int64_t)json_object_array_length(users)));
		json_object_object_add(v, "UsageData", usage);
		json_object_array_add(out, json_object_get(v));
	}
	return out;
}

/* ---------------------------------------------------------------- router */

enum MHD_Result api_volumes(struct request *r)
{
	const char *m = r->method, *rest = r->path + strlen("/volumes");
	if (rest[0] == '\0' && strcmp(m, "GET") == 0)
		return route_list(r);
	if (strcmp(rest, "/create") == 0 && strcmp(m, "POST") == 0)
		return route_create(r);
	if (strcmp(rest, "/prune") == 0 && strcmp(m, "POST") == 0)
		return route_prune(r);
	if (rest[0] == '/' && rest[1] != '\0' && strchr(rest + 1, '/') == NULL) {
		if (strcmp(m, "GET") == 0)
			return route_inspect(r, rest + 1);
		if (strcmp(m, "DELETE") == 0)
			return route_remove(r, rest + 1);
	}
	return reply_error(r, 404, "page not found");
}
