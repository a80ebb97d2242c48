#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "json-util.h"

enum manifest_kind manifest_kind_of(const char *body, size_t len, const char *content_type)
{
	_cleanup_json_ json_object *o = NULL;
	if (json_parse_buffer(body, len, "manifest", &o, NULL) < 0 ||
	    !json_object_is_type(o, json_type_object))
		return MANIFEST_KIND_UNKNOWN;
	const char *mt = NULL;
	json_object *v;
	if (json_object_object_get_ex(o, "mediaType", &v) &&
	    json_object_is_type(v, json_type_string))
		mt = json_object_get_string(v);
	if (mt == NULL || mt[0] == '\0')
		mt = content_type;
	if (mt != NULL) {
		if (strncmp(mt, MT_OCI_INDEX, strlen(MT_OCI_INDEX)) == 0 ||
		    strncmp(mt, MT_DOCKER_LIST, strlen(MT_DOCKER_LIST)) == 0)
			return MANIFEST_KIND_INDEX;
		if (strncmp(mt, MT_OCI_MANIFEST, strlen(MT_OCI_MANIFEST)) == 0 ||
		    strncmp(mt, MT_DOCKER_MANIFEST, strlen(MT_DOCKER_MANIFEST)) == 0)
			return MANIFEST_KIND_IMAGE;
	}
	if (json_object_object_get_ex(o, "manifests", &v))
		return MANIFEST_KIND_INDEX;
	if (json_object_object_get_ex(o, "layers", &v) &&
	    json_object_object_get_ex(o, "config", &v))
		return MANIFEST_KIND_IMAGE;
	return MANIFEST_KIND_UNKNOWN;
}

static int parse_descriptor(json_object *o, const char *where, struct descriptor *d,
			    hutch_error *err)
{
	const char *mt = NULL, *dg = NULL;
	int64_t size = -1;
	if (!json_object_is_type(o, json_type_object))
		return hutch_fail_plain(err, EINVAL, "%s: expected an object", where);
	if (json_get_string(o, where, "mediaType", false, &mt, err) < 0 ||
	    json_get_string(o, where, "digest", true, &dg, err) < 0 ||
	    json_get_int64(o, where, "size", false, &size, err) < 0)
		return -1;
	if (digest_check(dg, where, err) < 0)
		return -1;
	if (size < -1)
		return hutch_fail_plain(err, EINVAL, "%s: negative size", where);
	snprintf(d->media_type, sizeof(d->media_type), "%s", mt ? mt : "");
	snprintf(d->digest, sizeof(d->digest), "%s", dg);
	d->size = size;
	return 0;
}

int manifest_parse(const char *body, size_t len, struct image_manifest *m, hutch_error *err)
{
	memset(m, 0, sizeof(*m));
	_cleanup_json_ json_object *o = NULL;
	if (json_parse_buffer(body, len, "manifest", &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_object))
		return hutch_fail_plain(err, EINVAL, "manifest: expected a JSON object");
	int64_t version = 0;
	if (json_get_int64(o, "manifest", "schemaVersion", false, &version, err) < 0)
		return -1;
	if (version != 2)
		return hutch_fail_plain(err, EINVAL,
					"manifest: schemaVersion %lld is not supported (want 2)",
					(long long)version);
	json_object *cfg = NULL, *layers = NULL;
	if (json_get_object(o, "manifest", "config", true, &cfg, err) < 0 ||
	    json_get_array(o, "manifest", "layers", true, &layers, err) < 0)
		return -1;
	if (parse_descriptor(cfg, "manifest.config", &m->config, err) < 0)
		return -1;
	size_t n = json_object_array_length(layers);
	if (n > MANIFEST_MAX_LAYERS)
		return hutch_fail_plain(err, E2BIG, "manifest: %zu layers (at most %d)", n,
					MANIFEST_MAX_LAYERS);
	for (size_t i = 0; i < n; i++) {
		char where[64];
		snprintf(where, sizeof(where), "manifest.layers[%zu]", i);
		if (parse_descriptor(json_object_array_get_idx(layers, i), where, &m->layers[i],
				     err) < 0)
			return -1;
		if (!manifest_layer_type_supported(m->layers[i].media_type))
			return hutch_fail_plain(err, ENOTSUP, "%s: unsupported layer type \"%s\"",
						where, m->layers[i].media_type);
	}
	m->n_layers = n;
	return 0;
}

bool manifest_layer_type_supported(const char *mt)
{
	/* An empty media type is allowed: libarchive detects the compression. */
	return mt[0] == '\0' || strcmp(mt, MT_OCI_LAYER) == 0 ||
	       strcmp(mt, MT_OCI_LAYER_GZIP) == 0 || strcmp(mt, MT_OCI_LAYER_ZSTD) == 0 ||
	       strcmp(mt, MT_DOCKER_LAYER_GZIP) == 0 ||
	       strcmp(mt, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip") == 0 ||
	       strcmp(mt, "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip") == 0;
}

static bool is_attestation(json_object *entry)
{
	json_object *ann, *v;
	if (json_object_object_get_ex(entry, "annotations", &ann) &&
	    json_object_object_get_ex(ann, "vnd.docker.reference.type", &v) &&
	    strcmp(json_object_get_string(v), "attestation-manifest") == 0)
		return true;
	return false;
}

static const char *str_field(json_object *o, const char *key)
{
	json_object *v;
	if (o != NULL && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

int manifest_select_platform(const char *body, size_t len, const struct platform *want,
			     struct descriptor *out, hutch_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	if (json_parse_buffer(body, len, "index", &o, err) < 0)
		return -1;
	json_object *list = NULL;
	if (json_get_array(o, "index", "manifests", true, &list, err) < 0)
		return -1;
	int best = -1, best_score = 0;
	size_t n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i);
		json_object *p = NULL;
		if (!json_object_is_type(e, json_type_object) || is_attestation(e))
			continue;
		json_object_object_get_ex(e, "platform", &p);
		const char *os = str_field(p, "os"), *arch = str_field(p, "architecture");
		const char *variant = str_field(p, "variant");
		if (strcmp(os, want->os) != 0 || strcmp(arch, want->architecture) != 0)
			continue;
		/* Score: exact variant 3, want has none and entry is the
		 * default variant 2, any other 1. */
		int score = 1;
		if (want->variant[0] != '\0') {
			if (strcmp(variant, want->variant) != 0)
				continue;
			score = 3;
		} else if (variant[0] == '\0' ||
			   (strcmp(arch, "arm64") == 0 && strcmp(variant, "v8") == 0)) {
			score = 2;
		}
		if (score > best_score) {
			best_score = score;
			best = (int)i;
		}
	}
	if (best < 0)
		return hutch_fail_plain(
		    err, ENOENT, "no matching manifest for %s/%s%s%s in the index", want->os,
		    want->architecture, want->variant[0] ? "/" : "", want->variant);
	char where[64];
	snprintf(where, sizeof(where), "index.manifests[%d]", best);
	return parse_descriptor(json_object_array_get_idx(list, (size_t)best), where, out, err);
}

void platform_native(struct platform *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->os, sizeof(p->os), "linux");
	struct utsname u;
	const char *m = uname(&u) == 0 ? u.machine : "x86_64";
	if (strcmp(m, "x86_64") == 0)
		snprintf(p->architecture, sizeof(p->architecture), "amd64");
	else if (strcmp(m, "aarch64") == 0)
		snprintf(p->architecture, sizeof(p->architecture), "arm64");
	else if (strncmp(m, "armv7", 5) == 0) {
		snprintf(p->architecture, sizeof(p->architecture), "arm");
		snprintf(p->variant, sizeof(p->variant), "v7");
	} else if (strcmp(m, "i686") == 0 || strcmp(m, "i386") == 0)
		snprintf(p->architecture, sizeof(p->architecture), "386");
	else
		snprintf(p->architecture, sizeof(p->architecture), "%s", m);
}

int platform_parse(const char *s, struct platform *p, hutch_error *err)
{
	memset(p, 0, sizeof(*p));
	char buf[100];
	snprintf(buf, sizeof(buf), "%s", s);
	char *arch = strchr(buf, '/');
	if (arch == NULL || arch == buf || arch[1] == '\0')
		return hutch_fail_plain(err, EINVAL,
					"invalid platform \"%s\" (want os/arch[/variant])", s);
	*arch++ = '\0';
	char *variant = strchr(arch, '/');
	if (variant != NULL)
		*variant++ = '\0';
	snprintf(p->os, sizeof(p->os), "%s", buf);
	snprintf(p->architecture, sizeof(p->architecture), "%s", arch);
	if (variant != NULL)
		snprintf(p->variant, sizeof(p->variant), "%s", variant);
	return 0;
}

int image_config_diff_ids(const char *body, size_t len, char ***diff_ids, size_t *n,
			  hutch_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	if (json_parse_buffer(body, len, "image config", &o, err) < 0)
		return -1;
	json_object *rootfs = NULL;
	if (json_get_object(o, "config", "rootfs", true, &rootfs, err) < 0)
		return -1;
	_cleanup_strv_ char **ids = NULL;
	size_t count = 0;
	if (json_get_strv(rootfs, "config.rootfs", "diff_ids", true, &ids, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		char where[64];
		snprintf(where, sizeof(where), "config.rootfs.diff_ids[%zu]", i);
		if (digest_check(ids[i], where, err) < 0)
			return -1;
	}
	*diff_ids = steal_pointer(&ids);
	*n = count;
	return 0;
}
