/* The /images endpoints of the Docker Engine API. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "cleanup.h"
#include "containers.h"
#include "daemon.h"
#include "events.h"
#include "images.h"
#include "json-util.h"
#include "log.h"
#include "pull.h"
#include "reference.h"

static enum MHD_Result images_create(struct request *r)
{
	const char *from = query_arg(r, "fromImage");
	const char *tag = query_arg(r, "tag");
	if (query_arg(r, "fromSrc") != NULL)
		return reply_error(r, 501, "importing from a tarball (fromSrc) is not supported");
	if (from == NULL || from[0] == '\0')
		return reply_error(r, 400, "fromImage is required");
	char ref[1200];
	if (tag != NULL && tag[0] != '\0')
		snprintf(ref, sizeof(ref), "%s%c%s", from,
			 strncmp(tag, "sha256:", 7) == 0 ? '@' : ':', tag);
	else
		snprintf(ref, sizeof(ref), "%s", from);
	hutch_error err = {0};
	_cleanup_free_ char *creds = NULL;
	const char *xra = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Registry-Auth");
	if (auth_decode_registry_header(xra, &creds, &err) < 0)
		return reply_error(r, 400, "%s", err.msg);
	struct pull *p = NULL;
	if (pull_prepare(r->d, ref, query_arg(r, "platform"), creds, &p, &err) < 0) {
		/* Docker's wording for an unknown or private repository. */
		if (err.errnum == ENOENT || err.errnum == EACCES)
			return reply_error(
			    r, 404,
			    "pull access denied for %s, repository does not exist or "
			    "may require 'docker login': %s",
			    from, err.msg);
		return reply_hutch_error(r, &err);
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		pull_free(p);
		return reply_error(r, 500, "pipe: %s", strerror(errno));
	}
	if (pull_start(p, fds[1], &err) < 0) {
		close(fds[0]);
		close(fds[1]);
		pull_free(p);
		return reply_hutch_error(r, &err);
	}
	return reply_stream(r, fds[0], "application/json");
}

static enum MHD_Result images_list(struct request *r)
{
	struct store *s = r->d->store;
	_cleanup_free_ struct store_image *all = NULL;
	size_t n = 0;
	if (store_image_list(s, &all, &n) < 0)
		return reply_error(r, 500, "out of memory");
	_cleanup_json_ json_object *out = json_object_new_array();
	json_object *seen = json_object_new_object();
	for (size_t i = 0; i < n; i++) {
		struct store_image_info info;
		hutch_error err = {0};
		if (store_image_info_load(s, all[i].manifest, &info, &err) < 0) {
			log_warning("image %s: %s", all[i].name, err.msg);
			continue;
		}
		if (!json_object_object_get_ex(seen, info.config, NULL)) {
			json_object_object_add(seen, info.config, NULL);
			json_object_array_add(out, image_summary(s, all, n, info.config, &info));
		}
		store_image_info_free(&info);
	}
	json_object_put(seen);
	return reply_json(r, 200, out);
}

static enum MHD_Result images_inspect(struct request *r, const char *name)
{
	struct store *s = r->d->store;
	struct store_image e;
	bool by_id;
	hutch_error err = {0};
	if (image_lookup(s, name, &e, &by_id, &err) < 0)
		return reply_hutch_error(r, &err);
	struct store_image_info info;
	if (store_image_info_load(s, e.manifest, &info, &err) < 0)
		return reply_error(r, 500, "image %s is damaged: %s", name, err.msg);
	_cleanup_free_ struct store_image *all = NULL;
	size_t n = 0;
	store_image_list(s, &all, &n);
	_cleanup_json_ json_object *o = image_inspect(s, all, n, info.config, &info);
	store_image_info_free(&info);
	return reply_json(r, 200, o);
}

static void add_deleted(json_object *out, const char *key, const char *val)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, key, json_object_new_string(val));
	json_object_array_add(out, o);
}

/* Docker's image events: the image id as the actor, the name as an
 * attribute. */
static void image_event(struct hutchd *d, const char *action, const char *id, const char *name)
{
	json_object *attrs = json_object_new_object();
	if (name != NULL)
		json_object_object_add(attrs, "name", json_object_new_string(name));
	events_emit(d, "image", action, id, attrs);
}

static enum MHD_Result images_delete(struct request *r, const char *name)
{
	struct store *s = r->d->store;
	struct store_image e;
	bool by_id;
	hutch_error err = {0};
	if (image_lookup(s, name, &e, &by_id, &err) < 0)
		return reply_hutch_error(r, &err);
	struct store_image_info info;
	if (store_image_info_load(s, e.manifest, &info, &err) < 0) {
		/* A damaged image can still be untagged. */
		memset(&info, 0, sizeof(info));
	}
	char config[DIGEST_STR_LEN + 1];
	snprintf(config, sizeof(config), "%s", info.config);
	store_image_info_free(&info);
	_cleanup_free_ struct store_image *all = NULL;
	size_t n = 0;
	store_image_list(s, &all, &n);
	/* The entries of the same image (same config; same manifest when the
	 * config cannot be read). */
	size_t same = 0;
	for (size_t i = 0; i < n; i++) {
		struct store_image_info other;
		bool match = strcmp(all[i].manifest, e.manifest) == 0;
		if (!match && config[0] &&
		    store_image_info_load(s, all[i].manifest, &other, NULL) == 0) {
			match = strcmp(other.config, config) == 0;
			store_image_info_free(&other);
		}
		if (match)
			all[same++] = all[i];
	}
	bool force = query_bool(r, "force");
	if (by_id && same > 1 && !force)
		return reply_error(r, 409,
				   "conflict: unable to delete %.12s (must be forced) - image is "
				   "referenced in multiple repositories",
				   config[0] ? config + 7 : name);
	/* Docker's rules for an image that containers use: never while one
	 * runs, by id only with force, and its last name only with force
	 * (the image then stays, nameless, for its containers). */
	char running[CTR_ID_LEN + 1], stopped[CTR_ID_LEN + 1];
	int users = config[0] ? ctr_image_users(r->d, config, running, stopped) : 0;
	if (by_id && running[0])
		return reply_error(r, 409,
				   "conflict: unable to delete %.12s (cannot be forced) - image is "
				   "being used by running container %.12s",
				   config + 7, running);
	if (by_id && stopped[0] && !force)
		return reply_error(r, 409,
				   "conflict: unable to delete %.12s (must be forced) - image is "
				   "being used by stopped container %.12s",
				   config + 7, stopped);
	if (!by_id && same == 1 && users > 0 && !force)
		return reply_error(r, 409,
				   "conflict: unable to remove repository reference \"%s\" (must "
				   "force) - container %.12s is using its referenced image %.12s",
				   name, running[0] ? running : stopped, config + 7);
	_cleanup_json_ json_object *out = json_object_new_array();
	size_t untagged = 0;
	for (size_t i = 0; i < same; i++) {
		if (!by_id && strcmp(all[i].name, e.name) != 0)
			continue;
		if (store_image_remove(s, all[i].name, &err) < 0)
			return reply_hutch_error(r, &err);
		char fam[700];
		image_ref_familiar(all[i].name, fam, sizeof(fam));
		add_deleted(out, "Untagged", fam);
		image_event(r->d, "untag", config[0] ? config : all[i].manifest, fam);
		untagged++;
	}
	if (untagged == same) {
		if (config[0] && users == 0) {
			add_deleted(out, "Deleted", config);
			image_event(r->d, "delete", config, NULL);
		}
		struct store_gc_result gc;
		if (store_gc(s, &gc, &err) < 0)
			log_error("rmi %s: garbage collection: %s", name, err.msg);
		for (size_t i = 0; i < json_object_array_length(gc.deleted); i++) {
			const char *dg =
			    json_object_get_string(json_object_array_get_idx(gc.deleted, i));
			if (strcmp(dg, config) != 0)
				add_deleted(out, "Deleted", dg);
		}
		json_object_put(gc.deleted);
	}
	return reply_json(r, 200, out);
}

static enum MHD_Result images_tag(struct request *r, const char *name)
{
	struct store *s = r->d->store;
	const char *repo = query_arg(r, "repo"), *tag = query_arg(r, "tag");
	if (repo == NULL || repo[0] == '\0')
		return reply_error(r, 400, "repo is required");
	char target[1200];
	snprintf(target, sizeof(target), "%s%s%s", repo, tag && tag[0] ? ":" : "",
		 tag && tag[0] ? tag : "");
	struct image_ref ref;
	hutch_error err = {0};
	if (image_ref_parse(target, true, &ref, &err) < 0)
		return reply_hutch_error(r, &err);
	if (ref.digest[0])
		return reply_error(r, 400, "refusing to create a tag with a digest reference");
	struct store_image e;
	bool by_id;
	if (image_lookup(s, name, &e, &by_id, &err) < 0)
		return reply_hutch_error(r, &err);
	char canon[700];
	image_ref_name(&ref, canon, sizeof(canon));
	if (store_image_set(s, canon, e.manifest, e.repo_digest, &err) < 0)
		return reply_hutch_error(r, &err);
	struct store_image_info info;
	if (store_image_info_load(s, e.manifest, &info, NULL) == 0) {
		char fam[700];
		image_ref_familiar(canon, fam, sizeof(fam));
		image_event(r->d, "tag", info.config, fam);
		store_image_info_free(&info);
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Api-Version", HUTCH_API_VERSION);
	enum MHD_Result ret = MHD_queue_response(r->conn, 201, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Whether a container was made from the image of manifest. */
static bool image_in_use(struct hutchd *d, const char *manifest)
{
	struct store_image_info info;
	if (store_image_info_load(d->store, manifest, &info, NULL) < 0)
		return false;
	char running[CTR_ID_LEN + 1], stopped[CTR_ID_LEN + 1];
	bool used = ctr_image_users(d, info.config, running, stopped) > 0;
	store_image_info_free(&info);
	return used;
}

/* Every image here has a name (there are no dangling images), so plain
 * prune only collects unreferenced blobs and snapshots; dangling=false
 * ("prune -a") removes every image no container was made from. */
static enum MHD_Result images_prune(struct request *r)
{
	struct store *s = r->d->store;
	hutch_error err = {0};
	_cleanup_json_ json_object *out = json_object_new_object();
	json_object *deleted = json_object_new_array();
	json_object_object_add(out, "ImagesDeleted", deleted);
	const char *filters = query_arg(r, "filters");
	bool all = false;
	if (filters != NULL && filters[0]) {
		_cleanup_json_ json_object *f = NULL;
		if (json_parse_buffer(filters, strlen(filters), "filters", &f, &err) < 0)
			return reply_error(r, 400, "%s", err.msg);
		json_object *dang;
		if (json_object_object_get_ex(f, "dangling", &dang)) {
			/* {"dangling":{"false":true}} or {"dangling":["false"]} */
			if (json_object_is_type(dang, json_type_object))
				all = json_object_object_get_ex(dang, "false", NULL) ||
				      json_object_object_get_ex(dang, "0", NULL);
			else if (json_object_is_type(dang, json_type_array) &&
				 json_object_array_length(dang) > 0) {
				const char *v =
				    json_object_get_string(json_object_array_get_idx(dang, 0));
				all = strcmp(v, "false") == 0 || strcmp(v, "0") == 0;
			}
		}
	}
	if (all) {
		_cleanup_free_ struct store_image *imgs = NULL;
		size_t n = 0;
		store_image_list(s, &imgs, &n);
		for (size_t i = 0; i < n; i++) {
			if (image_in_use(r->d, imgs[i].manifest))
				continue;
			if (store_image_remove(s, imgs[i].name, &err) < 0)
				return reply_hutch_error(r, &err);
			char fam[700];
			image_ref_familiar(imgs[i].name, fam, sizeof(fam));
			add_deleted(deleted, "Untagged", fam);
		}
	}
	struct store_gc_result gc;
	if (store_gc(s, &gc, &err) < 0) {
		json_object_put(gc.deleted);
		return reply_hutch_error(r, &err);
	}
	for (size_t i = 0; i < json_object_array_length(gc.deleted); i++)
		add_deleted(deleted, "Deleted",
			    json_object_get_string(json_object_array_get_idx(gc.deleted, i)));
	json_object_put(gc.deleted);
	json_object_object_add(out, "SpaceReclaimed",
			       json_object_new_int64((int64_t)gc.bytes_reclaimed));
	return reply_json(r, 200, out);
}

struct name_list {
	const char *names[64];
	size_t n;
};

static enum MHD_Result collect_names(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct name_list *nl = cls;
	if (strcmp(key, "names") == 0 && value != NULL && nl->n < 64)
		nl->names[nl->n++] = value;
	return MHD_YES;
}

/* /images/{name}/{action}: names contain slashes ("host:5000/a/b:t"), so
 * the action is the last component. */
static bool split_name(const char *path, const char *action, char *name, size_t size)
{
	const char *p = path + strlen("/images/");
	size_t len = strlen(p), al = strlen(action);
	if (len <= al + 1 || p[len - al - 1] != '/' || strcmp(p + len - al, action) != 0)
		return false;
	snprintf(name, size, "%.*s", (int)(len - al - 1), p);
	return true;
}

enum MHD_Result api_images(struct request *r)
{
	const char *m = r->method;
	const char *path = r->path;
	char name[2048];
	bool get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
	if (post && strcmp(path, "/images/create") == 0)
		return images_create(r);
	if (get && strcmp(path, "/images/json") == 0)
		return images_list(r);
	if (post && strcmp(path, "/images/prune") == 0)
		return images_prune(r);
	if (post && strcmp(path, "/images/load") == 0)
		return api_images_load(r);
	if (get && strcmp(path, "/images/get") == 0) {
		struct name_list nl = {.n = 0};
		MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_names, &nl);
		const char **names = nl.names;
		size_t n = nl.n;
		return api_images_save(r, (const char *const *)names, n);
	}
	if (strncmp(path, "/images/", 8) == 0) {
		if (get && split_name(path, "json", name, sizeof(name)))
			return images_inspect(r, name);
		if (get && split_name(path, "get", name, sizeof(name))) {
			const char *one[] = {name};
			return api_images_save(r, one, 1);
		}
		if (post && split_name(path, "tag", name, sizeof(name)))
			return images_tag(r, name);
		if (strcmp(m, "DELETE") == 0 && path[8] != '\0')
			return images_delete(r, path + 8);
	}
	return reply_error(r, 404, "page not found: %s %s", m, path);
}
