#include "images.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "json-util.h"
#include "reference.h"

static const char *config_of(struct store *s, const char *manifest, char *buf, size_t size)
{
	struct store_image_info info;
	if (store_image_info_load(s, manifest, &info, NULL) < 0)
		return NULL;
	snprintf(buf, size, "%s", info.config);
	store_image_info_free(&info);
	return buf;
}

int image_lookup(struct store *s, const char *name, struct store_image *entry, bool *by_id,
		 hutch_error *err)
{
	*by_id = false;
	struct image_ref ref;
	if (image_ref_parse(name, true, &ref, NULL) == 0) {
		char canon[700];
		image_ref_name(&ref, canon, sizeof(canon));
		if (store_image_get(s, canon, entry) == 1)
			return 0;
		/* repo@digest also finds a tagged entry with that digest. */
		if (ref.digest[0]) {
			_cleanup_free_ struct store_image *all = NULL;
			size_t n = 0;
			char repo[600];
			image_ref_repo(&ref, repo, sizeof(repo));
			store_image_list(s, &all, &n);
			for (size_t i = 0; i < n; i++) {
				size_t rl = strlen(repo);
				if (strncmp(all[i].name, repo, rl) == 0 &&
				    (all[i].name[rl] == ':' || all[i].name[rl] == '@') &&
				    (strcmp(all[i].repo_digest, ref.digest) == 0 ||
				     strcmp(all[i].manifest, ref.digest) == 0)) {
					*entry = all[i];
					return 0;
				}
			}
		}
	}
	if (image_ref_is_id_prefix(name)) {
		const char *prefix = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
		_cleanup_free_ struct store_image *all = NULL;
		size_t n = 0;
		store_image_list(s, &all, &n);
		char found_cfg[DIGEST_STR_LEN + 1] = "";
		for (size_t i = 0; i < n; i++) {
			char cfg[DIGEST_STR_LEN + 1];
			if (config_of(s, all[i].manifest, cfg, sizeof(cfg)) == NULL)
				continue;
			if (strncmp(cfg + 7, prefix, strlen(prefix)) != 0)
				continue;
			if (found_cfg[0] && strcmp(found_cfg, cfg) != 0)
				return hutch_fail_plain(err, EINVAL,
							"image id prefix %s is ambiguous", name);
			snprintf(found_cfg, sizeof(found_cfg), "%s", cfg);
			*entry = all[i];
		}
		if (found_cfg[0]) {
			*by_id = true;
			return 0;
		}
	}
	return hutch_fail_plain(err, ENOENT, "No such image: %s", name);
}

int64_t image_size(struct store *s, const struct store_image_info *info)
{
	int64_t total = 0;
	for (size_t i = 0; i < info->n_layers; i++) {
		char path[PATH_MAX];
		store_snapshot_dir(s, info->chain_ids[i], path, sizeof(path));
		strncat(path, "/meta.json", sizeof(path) - strlen(path) - 1);
		_cleanup_json_ json_object *meta = NULL;
		int64_t sz = -1;
		if (json_read_file(path, &meta, NULL) == 0)
			json_get_int64(meta, "meta", "size", false, &sz, NULL);
		total += sz >= 0 ? sz : (info->layer_sizes[i] > 0 ? info->layer_sizes[i] : 0);
	}
	return total;
}

static void add_names(const struct store_image *entries, size_t n, const char *config_digest,
		      struct store *s, json_object *tags, json_object *digests)
{
	for (size_t i = 0; i < n; i++) {
		char cfg[DIGEST_STR_LEN + 1];
		if (config_of(s, entries[i].manifest, cfg, sizeof(cfg)) == NULL ||
		    strcmp(cfg, config_digest) != 0)
			continue;
		char fam[700];
		image_ref_familiar(entries[i].name, fam, sizeof(fam));
		char *at = strchr(fam, '@');
		if (at == NULL)
			json_object_array_add(tags, json_object_new_string(fam));
		/* repo@digest, once per repository. */
		char repo[700];
		snprintf(repo, sizeof(repo), "%s", fam);
		char *cut = strchr(repo, '@');
		if (cut == NULL) {
			char *slash = strrchr(repo, '/');
			cut = strrchr(slash ? slash : repo, ':');
		}
		if (cut)
			*cut = '\0';
		char rd[800];
		snprintf(rd, sizeof(rd), "%s@%s", repo, entries[i].repo_digest);
		bool dup = false;
		for (size_t k = 0; k < json_object_array_length(digests); k++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(digests, k)),
				   rd) == 0)
				dup = true;
		if (!dup)
			json_object_array_add(digests, json_object_new_string(rd));
	}
}

static int64_t created_unix(json_object *config)
{
	json_object *c;
	if (!json_object_object_get_ex(config, "created", &c))
		return 0;
	struct tm tm = {0};
	const char *s = json_object_get_string(c);
	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return (int64_t)timegm(&tm);
}

json_object *image_summary(struct store *s, const struct store_image *entries, size_t n,
			   const char *config_digest, const struct store_image_info *info)
{
	json_object *o = json_object_new_object();
	json_object *tags = json_object_new_array(), *digests = json_object_new_array();
	add_names(entries, n, config_digest, s, tags, digests);
	int64_t size = image_size(s, info);
	json_object_object_add(o, "Id", json_object_new_string(config_digest));
	json_object_object_add(o, "ParentId", json_object_new_string(""));
	json_object_object_add(o, "RepoTags", tags);
	json_object_object_add(o, "RepoDigests", digests);
	json_object_object_add(o, "Created",
			       json_object_new_int64(created_unix(info->config_json)));
	json_object_object_add(o, "Size", json_object_new_int64(size));
	json_object_object_add(o, "VirtualSize", json_object_new_int64(size));
	json_object_object_add(o, "SharedSize", json_object_new_int(-1));
	json_object *labels = NULL, *cfg;
	if (json_object_object_get_ex(info->config_json, "config", &cfg) &&
	    json_object_object_get_ex(cfg, "Labels", &labels) &&
	    json_object_is_type(labels, json_type_object))
		json_object_object_add(o, "Labels", json_object_get(labels));
	else
		json_object_object_add(o, "Labels", json_object_new_object());
	json_object_object_add(o, "Containers", json_object_new_int(-1));
	return o;
}

static void copy_field(json_object *dst, const char *dkey, json_object *src, const char *skey,
		       json_object *dflt)
{
	json_object *v;
	if (json_object_object_get_ex(src, skey, &v)) {
		json_object_object_add(dst, dkey, json_object_get(v));
		json_object_put(dflt);
	} else {
		json_object_object_add(dst, dkey, dflt);
	}
}

json_object *image_inspect(struct store *s, const struct store_image *entries, size_t n,
			   const char *config_digest, const struct store_image_info *info)
{
	json_object *o = json_object_new_object();
	json_object *cfg = info->config_json;
	json_object *tags = json_object_new_array(), *digests = json_object_new_array();
	add_names(entries, n, config_digest, s, tags, digests);
	json_object_object_add(o, "Id", json_object_new_string(config_digest));
	json_object_object_add(o, "RepoTags", tags);
	json_object_object_add(o, "RepoDigests", digests);
	json_object_object_add(o, "Parent", json_object_new_string(""));
	copy_field(o, "Comment", cfg, "comment", json_object_new_string(""));
	copy_field(o, "Created", cfg, "created", json_object_new_string(""));
	json_object_object_add(o, "Container", json_object_new_string(""));
	copy_field(o, "ContainerConfig", cfg, "container_config", json_object_new_object());
	copy_field(o, "DockerVersion", cfg, "docker_version", json_object_new_string(""));
	copy_field(o, "Author", cfg, "author", json_object_new_string(""));
	copy_field(o, "Config", cfg, "config", json_object_new_object());
	copy_field(o, "Architecture", cfg, "architecture", json_object_new_string(""));
	json_object *v;
	if (json_object_object_get_ex(cfg, "variant", &v))
		json_object_object_add(o, "Variant", json_object_get(v));
	copy_field(o, "Os", cfg, "os", json_object_new_string("linux"));
	int64_t size = image_size(s, info);
	json_object_object_add(o, "Size", json_object_new_int64(size));
	json_object_object_add(o, "VirtualSize", json_object_new_int64(size));
	json_object *gd = json_object_new_object(), *data = json_object_new_object();
	/* Lower dirs top layer first, as overlay's lowerdir option wants. */
	size_t cap = info->n_layers * (PATH_MAX / 8) + 1;
	char *lower = calloc(1, cap + PATH_MAX);
	for (size_t i = info->n_layers; lower && i-- > 0;) {
		char dir[PATH_MAX];
		store_snapshot_dir(s, info->chain_ids[i], dir, sizeof(dir));
		if (lower[0])
			strcat(lower, ":");
		if (strlen(lower) + strlen(dir) + 4 < cap + PATH_MAX) {
			strcat(lower, dir);
			strcat(lower, "/fs");
		}
	}
	json_object_object_add(data, "LowerDir", json_object_new_string(lower ? lower : ""));
	free(lower);
	json_object_object_add(gd, "Data", data);
	json_object_object_add(gd, "Name", json_object_new_string("hutch-overlay"));
	json_object_object_add(o, "GraphDriver", gd);
	json_object *rootfs = json_object_new_object(), *layers = json_object_new_array();
	json_object_object_add(rootfs, "Type", json_object_new_string("layers"));
	for (size_t i = 0; i < info->n_layers; i++)
		json_object_array_add(layers, json_object_new_string(info->diff_ids[i]));
	json_object_object_add(rootfs, "Layers", layers);
	json_object_object_add(o, "RootFS", rootfs);
	json_object *meta = json_object_new_object();
	json_object_object_add(meta, "LastTagTime", json_object_new_string("0001-01-01T00:00:00Z"));
	json_object_object_add(o, "Metadata", meta);
	return o;
}
