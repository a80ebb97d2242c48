/* docker save / docker load: image archives in both layouts docker uses
 * since 25.0 — an OCI image layout (oci-layout, index.json, blobs/) plus
 * the legacy manifest.json naming config and layers. Loading accepts
 * either; every blob is hashed on the way in, and a file under
 * blobs/sha256/ whose content does not match its name fails the load. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "daemon.h"
#include "events.h"
#include "file-util.h"
#include "images.h"
#include "json-util.h"
#include "log.h"
#include "manifest.h"
#include "path-util.h"
#include "reference.h"
#include "snapshot.h"
#include "whiteout.h"

#define ARCHIVE_MAX_FILES 4096
#define ARCHIVE_META_MAX (4 * 1024 * 1024)

/* ---------------------------------------------------------------- save */

struct save_job {
	struct hutchd *d;
	int fd;
	char **manifests; /* per image: manifest digest */
	char **names;	  /* per image: canonical name */
	size_t n;
};

static int add_bytes(struct archive *a, const char *path, const void *buf, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return -1;
	return archive_write_data(a, buf, len) == (la_ssize_t)len ? 0 : -1;
}

static int add_dir(struct archive *a, const char *path)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0755);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : -1;
}

static int add_blob(struct save_job *j, struct archive *a, const char *digest, json_object *done)
{
	if (json_object_object_get_ex(done, digest, NULL))
		return 0;
	json_object_object_add(done, digest, NULL);
	char path[PATH_MAX], name[128];
	store_blob_path(j->d->store, digest, path, sizeof(path));
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest_hex(digest));
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return -1;
	/* Heap, not a static __thread array: glibc clears TLS blocks in
	 * every thread, which would cost each connection thread its size. */
	enum { BUF_SIZE = 256 * 1024 };
	_cleanup_free_ char *buf = malloc(BUF_SIZE);
	if (buf == NULL)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf, BUF_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		if (archive_write_data(a, buf, (size_t)n) != n)
			return -1;
	}
	return 0;
}

static void *save_thread(void *arg)
{
	struct save_job *j = arg;
	struct store *s = j->d->store;
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	_cleanup_json_ json_object *done = json_object_new_object();
	_cleanup_json_ json_object *index = json_object_new_object();
	_cleanup_json_ json_object *legacy = json_object_new_array();
	json_object *idx_manifests = json_object_new_array();
	json_object_object_add(index, "schemaVersion", json_object_new_int(2));
	json_object_object_add(index, "mediaType", json_object_new_string(MT_OCI_INDEX));
	json_object_object_add(index, "manifests", idx_manifests);
	int rc = archive_write_open_fd(a, j->fd) == ARCHIVE_OK ? 0 : -1;
	if (rc == 0)
		rc = add_dir(a, "blobs/") | add_dir(a, "blobs/sha256/");
	for (size_t i = 0; i < j->n && rc == 0; i++) {
		struct store_image_info info;
		hutch_error err = {0};
		if (store_image_info_load(s, j->manifests[i], &info, &err) < 0) {
			log_error("save %s: %s", j->names[i], err.msg);
			rc = -1;
			break;
		}
		rc |= add_blob(j, a, j->manifests[i], done);
		rc |= add_blob(j, a, info.config, done);
		json_object *layers = json_object_new_array();
		for (size_t l = 0; l < info.n_layers && rc == 0; l++) {
			rc |= add_blob(j, a, info.layers[l], done);
			char p[128];
			snprintf(p, sizeof(p), "blobs/sha256/%s", digest_hex(info.layers[l]));
			json_object_array_add(layers, json_object_new_string(p));
		}
		char mpath[PATH_MAX];
		store_blob_path(s, j->manifests[i], mpath, sizeof(mpath));
		struct stat st;
		stat(mpath, &st);
		json_object *desc = json_object_new_object();
		json_object_object_add(desc, "mediaType",
				       json_object_new_string(info.manifest_media_type[0]
								  ? info.manifest_media_type
								  : MT_OCI_MANIFEST));
		json_object_object_add(desc, "digest", json_object_new_string(j->manifests[i]));
		json_object_object_add(desc, "size", json_object_new_int64(st.st_size));
		json_object *ann = json_object_new_object();
		json_object *tags = json_object_new_array();
		if (j->names[i][0] != '\0' && strchr(j->names[i], '@') == NULL) {
			json_object_object_add(ann, "io.containerd.image.name",
					       json_object_new_string(j->names[i]));
			const char *slash = strrchr(j->names[i], '/');
			const char *colon = strrchr(slash ? slash : j->names[i], ':');
			if (colon)
				json_object_object_add(ann, "org.opencontainers.image.ref.name",
						       json_object_new_string(colon + 1));
			char fam[700];
			image_ref_familiar(j->names[i], fam, sizeof(fam));
			json_object_array_add(tags, json_object_new_string(fam));
		}
		json_object_object_add(desc, "annotations", ann);
		json_object_array_add(idx_manifests, desc);
		json_object *lm = json_object_new_object();
		char cp[128];
		snprintf(cp, sizeof(cp), "blobs/sha256/%s", digest_hex(info.config));
		json_object_object_add(lm, "Config", json_object_new_string(cp));
		json_object_object_add(lm, "RepoTags", tags);
		json_object_object_add(lm, "Layers", layers);
		json_object_array_add(legacy, lm);
		store_image_info_free(&info);
	}
	if (rc == 0) {
		static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
		const char *is = json_object_to_json_string_ext(index, JSON_C_TO_STRING_PLAIN);
		const char *ls = json_object_to_json_string_ext(legacy, JSON_C_TO_STRING_PLAIN);
		rc = add_bytes(a, "oci-layout", layout, strlen(layout)) |
		     add_bytes(a, "index.json", is, strlen(is)) |
		     add_bytes(a, "manifest.json", ls, strlen(ls));
	}
	if (rc < 0)
		log_error("save: %s",
			  archive_error_string(a) ? archive_error_string(a) : "write failed");
	/* On failure the tar stays unterminated, so the client sees a
	 * truncated archive rather than a valid-looking partial one. */
	if (rc == 0)
		archive_write_close(a);
	archive_write_free(a);
	close(j->fd);
	for (size_t i = 0; i < j->n; i++) {
		store_unpin(s, j->manifests[i]);
		free(j->manifests[i]);
		free(j->names[i]);
	}
	free(j->manifests);
	free(j->names);
	free(j);
	return NULL;
}

enum MHD_Result api_images_save(struct request *r, const char *const *names, size_t n)
{
	if (n == 0)
		return reply_error(r, 400, "no image names given");
	struct save_job *j = calloc(1, sizeof(*j));
	j->d = r->d;
	j->manifests = calloc(n, sizeof(char *));
	j->names = calloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		struct store_image e;
		bool by_id;
		hutch_error err = {0};
		if (image_lookup(r->d->store, names[i], &e, &by_id, &err) < 0) {
			for (size_t k = 0; k < j->n; k++) {
				store_unpin(r->d->store, j->manifests[k]);
				free(j->manifests[k]);
				free(j->names[k]);
			}
			free(j->manifests);
			free(j->names);
			free(j);
			return reply_hutch_error(r, &err);
		}
		store_pin(r->d->store, e.manifest);
		j->manifests[j->n] = strdup(e.manifest);
		j->names[j->n] = strdup(by_id ? "" : e.name);
		j->n++;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return reply_error(r, 500, "pipe: %s", strerror(errno));
	j->fd = fds[1];
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, save_thread, j) != 0) {
		close(fds[0]);
		close(fds[1]);
		return reply_error(r, 500, "cannot start the save thread");
	}
	pthread_attr_destroy(&attr);
	return reply_stream(r, fds[0], "application/x-tar");
}

/* ---------------------------------------------------------------- load */

struct loaded_file {
	char path[256];
	char digest[DIGEST_STR_LEN + 1];
	char link[256]; /* symlink target, resolved, or "" */
};

struct loader {
	struct hutchd *d;
	struct loaded_file *files;
	size_t n;
	char *manifest_json, *index_json;
	size_t manifest_len, index_len;
	json_object *out; /* lines for the reply */
	char **pins;
	size_t n_pins;
};

static void loader_pin(struct loader *l, const char *digest)
{
	l->pins = realloc(l->pins, (l->n_pins + 1) * sizeof(char *));
	l->pins[l->n_pins++] = strdup(digest);
	store_pin(l->d->store, digest);
}

static const char *file_digest(struct loader *l, const char *path)
{
	char clean[256];
	if (layer_path_clean(path, clean, sizeof(clean), NULL) < 0)
		return NULL;
	for (int hops = 0; hops < 8; hops++) {
		size_t i;
		for (i = 0; i < l->n; i++)
			if (strcmp(l->files[i].path, clean) == 0)
				break;
		if (i == l->n)
			return NULL;
		if (l->files[i].link[0] == '\0')
			return l->files[i].digest;
		snprintf(clean, sizeof(clean), "%s", l->files[i].link);
	}
	return NULL;
}

static int spool_entry(struct loader *l, struct archive *a, const char *path, hutch_error *err)
{
	struct store *s = l->d->store;
	int fd;
	char tmp[PATH_MAX];
	if (store_blob_tmp(s, &fd, tmp, err) < 0)
		return -1;
	_cleanup_digest_ digest_ctx *h = digest_new();
	enum { BUF_SIZE = 256 * 1024 };
	_cleanup_free_ char *buf = malloc(BUF_SIZE);
	if (buf == NULL || h == NULL) {
		close(fd);
		unlink(tmp);
		return hutch_fail(err, ENOMEM, "load");
	}
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, BUF_SIZE);
		if (n < 0) {
			close(fd);
			unlink(tmp);
			return hutch_fail_plain(err, EINVAL, "archive: %s",
						archive_error_string(a));
		}
		if (n == 0)
			break;
		if (write_all(fd, buf, (size_t)n) < 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return hutch_fail(err, e, "write %s", tmp);
		}
		digest_update(h, buf, (size_t)n);
	}
	char actual[DIGEST_STR_LEN + 1];
	digest_final(h, actual);
	/* A file named after its digest must have that digest. */
	if (strncmp(path, "blobs/sha256/", 13) == 0) {
		char named[DIGEST_STR_LEN + 16];
		snprintf(named, sizeof(named), "sha256:%s", path + 13);
		if (digest_verify(named, actual, path, err) < 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
	}
	int rc = store_blob_commit(s, fd, tmp, actual, actual, err);
	close(fd);
	if (rc < 0)
		return -1;
	loader_pin(l, actual);
	struct loaded_file *f = &l->files[l->n++];
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->digest, sizeof(f->digest), "%s", actual);
	return 0;
}

static int read_archive(struct loader *l, int fd, hutch_error *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	int rc = 0;
	if (archive_read_open_fd(a, fd, 256 * 1024) != ARCHIVE_OK) {
		rc = hutch_fail_plain(err, EINVAL, "not an image archive: %s",
				      archive_error_string(a));
		goto out;
	}
	struct archive_entry *e;
	for (;;) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = hutch_fail_plain(err, EINVAL, "not an image archive: %s",
					      archive_error_string(a));
			goto out;
		}
		char path[256];
		if (layer_path_clean(archive_entry_pathname(e), path, sizeof(path), err) < 0) {
			rc = hutch_error_prefix(err, "image archive");
			goto out;
		}
		mode_t type = archive_entry_filetype(e);
		if (type == AE_IFDIR || path[0] == '\0')
			continue;
		if (l->n >= ARCHIVE_MAX_FILES) {
			rc = hutch_fail_plain(err, E2BIG, "image archive has too many files");
			goto out;
		}
		if (type == AE_IFLNK || archive_entry_hardlink(e)) {
			/* Old docker saves link duplicate layers to one copy. */
			const char *t = archive_entry_hardlink(e);
			char joined[512];
			if (t == NULL) {
				t = archive_entry_symlink(e);
				const char *slash = strrchr(path, '/');
				snprintf(joined, sizeof(joined), "%.*s%s%s",
					 slash ? (int)(slash - path) : 0, path, slash ? "/" : "",
					 t);
			} else {
				snprintf(joined, sizeof(joined), "%s", t);
			}
			char *resolved = path_clean(joined);
			struct loaded_file *f = &l->files[l->n++];
			snprintf(f->path, sizeof(f->path), "%s", path);
			snprintf(f->link, sizeof(f->link), "%s",
				 resolved ? resolved + (resolved[0] == '/') : "");
			free(resolved);
			continue;
		}
		if (type != AE_IFREG)
			continue;
		if (strcmp(path, "manifest.json") == 0 || strcmp(path, "index.json") == 0) {
			char **dst = path[0] == 'm' ? &l->manifest_json : &l->index_json;
			size_t *dlen = path[0] == 'm' ? &l->manifest_len : &l->index_len;
			la_int64_t size = archive_entry_size(e);
			if (size < 0 || size > ARCHIVE_META_MAX) {
				rc = hutch_fail_plain(err, E2BIG, "%s is too large", path);
				goto out;
			}
			free(*dst);
			*dst = malloc((size_t)size + 1);
			la_ssize_t got = archive_read_data(a, *dst, (size_t)size);
			if (got != size) {
				rc = hutch_fail_plain(err, EINVAL, "%s: short read", path);
				goto out;
			}
			(*dst)[size] = '\0';
			*dlen = (size_t)size;
			continue;
		}
		if (strcmp(path, "oci-layout") == 0 || strcmp(path, "repositories") == 0)
			continue;
		if (spool_entry(l, a, path, err) < 0) {
			rc = -1;
			goto out;
		}
	}
out:
	archive_read_free(a);
	return rc;
}

static const char *layer_media_type(struct store *s, const char *digest)
{
	char path[PATH_MAX];
	store_blob_path(s, digest, path, sizeof(path));
	unsigned char magic[4] = {0};
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, magic, 4) == 4) {
		if (magic[0] == 0x1f && magic[1] == 0x8b)
			return MT_OCI_LAYER_GZIP;
		if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
			return MT_OCI_LAYER_ZSTD;
	}
	return MT_OCI_LAYER;
}

static void out_line(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_line(struct loader *l, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "stream", json_object_new_string(buf));
	json_object_array_add(l->out, o);
}

/* Unpack every layer of a stored manifest and record its names. */
static int finish_image(struct loader *l, const char *manifest, const char *repo_digest,
			char **names, size_t n_names, hutch_error *err)
{
	struct store *s = l->d->store;
	struct store_image_info info;
	if (store_image_info_load(s, manifest, &info, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < info.n_layers && rc == 0; i++) {
		if (!store_blob_exists(s, info.layers[i])) {
			rc = hutch_fail_plain(err, ENOENT, "layer %s is not in the archive",
					      info.layers[i]);
			break;
		}
		loader_pin(l, info.chain_ids[i]);
		struct descriptor d = {.size = info.layer_sizes[i]};
		snprintf(d.digest, sizeof(d.digest), "%s", info.layers[i]);
		rc = snapshot_ensure(l->d, hutchd_sandbox(l->d), &d, info.diff_ids[i],
				     info.chain_ids[i], i ? info.chain_ids[i - 1] : NULL, err);
	}
	if (rc == 0 && n_names == 0) {
		/* Every stored image has a name; an unnamed one gets one from
		 * its id, as docker shows "Loaded image ID". */
		char name[128];
		snprintf(name, sizeof(name), "localhost/image-%.12s:latest",
			 digest_hex(info.config));
		rc = store_image_set(s, name, manifest, repo_digest, err);
		if (rc == 0)
			out_line(l, "Loaded image ID: %s (named %s)\n", info.config, name);
	}
	for (size_t i = 0; i < n_names && rc == 0; i++) {
		struct image_ref ref;
		char canon[700], fam[700];
		if (image_ref_parse(names[i], true, &ref, err) < 0) {
			rc = -1;
			break;
		}
		image_ref_name(&ref, canon, sizeof(canon));
		rc = store_image_set(s, canon, manifest, repo_digest, err);
		image_ref_familiar(canon, fam, sizeof(fam));
		if (rc == 0) {
			out_line(l, "Loaded image: %s\n", fam);
			json_object *attrs = json_object_new_object();
			json_object_object_add(attrs, "name", json_object_new_string(fam));
			events_emit(l->d, "image", "load", info.config, attrs);
		}
	}
	store_image_info_free(&info);
	return rc;
}

static int load_from_index(struct loader *l, hutch_error *err)
{
	struct store *s = l->d->store;
	_cleanup_json_ json_object *idx = NULL;
	if (json_parse_buffer(l->index_json, l->index_len, "index.json", &idx, err) < 0)
		return -1;
	json_object *list;
	if (json_get_array(idx, "index.json", "manifests", true, &list, err) < 0)
		return -1;
	size_t loaded = 0;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *d = json_object_array_get_idx(list, i);
		const char *digest = NULL, *mt = NULL;
		char where[64];
		snprintf(where, sizeof(where), "index.json manifests[%zu]", i);
		if (json_get_string(d, where, "digest", true, &digest, err) < 0 ||
		    json_get_string(d, where, "mediaType", false, &mt, err) < 0 ||
		    digest_check(digest, where, err) < 0)
			return -1;
		char manifest[DIGEST_STR_LEN + 1];
		snprintf(manifest, sizeof(manifest), "%s", digest);
		_cleanup_free_ char *body = NULL;
		size_t len = 0;
		if (store_blob_read(s, manifest, MANIFEST_MAX_SIZE, &body, &len, err) < 0)
			return hutch_error_prefix(err, "%s", where);
		if (manifest_kind_of(body, len, mt) == MANIFEST_KIND_INDEX) {
			struct platform p;
			struct descriptor chosen;
			platform_native(&p);
			if (manifest_select_platform(body, len, &p, &chosen, err) < 0)
				return -1;
			snprintf(manifest, sizeof(manifest), "%s", chosen.digest);
		}
		json_object *ann;
		char *names[1] = {NULL};
		size_t n_names = 0;
		if (json_object_object_get_ex(d, "annotations", &ann)) {
			json_object *v;
			if (json_object_object_get_ex(ann, "io.containerd.image.name", &v) ||
			    json_object_object_get_ex(ann, "org.opencontainers.image.ref.name",
						      &v)) {
				struct image_ref ref;
				const char *nm = json_object_get_string(v);
				/* A bare tag ("latest") names no repository. */
				if (nm && strpbrk(nm, "/:") &&
				    image_ref_parse(nm, true, &ref, NULL) == 0) {
					names[0] = (char *)nm;
					n_names = 1;
				}
			}
		}
		if (finish_image(l, manifest, digest, names, n_names, err) < 0)
			return -1;
		loaded++;
	}
	if (loaded == 0)
		return hutch_fail_plain(err, EINVAL, "index.json lists no image");
	return 0;
}

static int load_from_manifest_json(struct loader *l, hutch_error *err)
{
	struct store *s = l->d->store;
	_cleanup_json_ json_object *list = NULL;
	if (json_parse_buffer(l->manifest_json, l->manifest_len, "manifest.json", &list, err) < 0)
		return -1;
	if (!json_object_is_type(list, json_type_array) || json_object_array_length(list) == 0)
		return hutch_fail_plain(err, EINVAL, "manifest.json: expected a non-empty array");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *m = json_object_array_get_idx(list, i);
		char where[64];
		snprintf(where, sizeof(where), "manifest.json[%zu]", i);
		const char *cfg_path = NULL;
		json_object *layers = NULL;
		if (json_get_string(m, where, "Config", true, &cfg_path, err) < 0 ||
		    json_get_array(m, where, "Layers", true, &layers, err) < 0)
			return -1;
		const char *cfg = file_digest(l, cfg_path);
		if (cfg == NULL)
			return hutch_fail_plain(err, ENOENT, "%s: config %s is not in the archive",
						where, cfg_path);
		/* Rebuild an OCI manifest over the blobs as they are. */
		_cleanup_json_ json_object *man = json_object_new_object();
		json_object_object_add(man, "schemaVersion", json_object_new_int(2));
		json_object_object_add(man, "mediaType", json_object_new_string(MT_OCI_MANIFEST));
		json_object *cd = json_object_new_object();
		char path[PATH_MAX];
		struct stat st;
		store_blob_path(s, cfg, path, sizeof(path));
		stat(path, &st);
		json_object_object_add(cd, "mediaType", json_object_new_string(MT_OCI_CONFIG));
		json_object_object_add(cd, "digest", json_object_new_string(cfg));
		json_object_object_add(cd, "size", json_object_new_int64(st.st_size));
		json_object_object_add(man, "config", cd);
		json_object *ls = json_object_new_array();
		for (size_t k = 0; k < json_object_array_length(layers); k++) {
			const char *lp =
			    json_object_get_string(json_object_array_get_idx(layers, k));
			const char *ld = lp ? file_digest(l, lp) : NULL;
			if (ld == NULL)
				return hutch_fail_plain(err, ENOENT,
							"%s: layer %s is not in the archive", where,
							lp ? lp : "?");
			store_blob_path(s, ld, path, sizeof(path));
			stat(path, &st);
			json_object *ldesc = json_object_new_object();
			json_object_object_add(ldesc, "mediaType",
					       json_object_new_string(layer_media_type(s, ld)));
			json_object_object_add(ldesc, "digest", json_object_new_string(ld));
			json_object_object_add(ldesc, "size", json_object_new_int64(st.st_size));
			json_object_array_add(ls, ldesc);
		}
		json_object_object_add(man, "layers", ls);
		size_t mlen;
		const char *ms =
		    json_object_to_json_string_length(man, JSON_C_TO_STRING_PLAIN, &mlen);
		char mdigest[DIGEST_STR_LEN + 1];
		if (store_blob_put(s, ms, mlen, mdigest, err) < 0)
			return -1;
		loader_pin(l, mdigest);
		_cleanup_strv_ char **names = NULL;
		size_t n_names = 0;
		if (json_get_strv(m, where, "RepoTags", false, &names, &n_names, err) < 0)
			return -1;
		if (finish_image(l, mdigest, mdigest, names, n_names, err) < 0)
			return -1;
	}
	return 0;
}

enum MHD_Result api_images_load(struct request *r)
{
	if (r->upload_fd < 0)
		return reply_error(r, 400, "no image archive in the request body");
	struct loader l = {.d = r->d};
	l.files = calloc(ARCHIVE_MAX_FILES, sizeof(*l.files));
	l.out = json_object_new_array();
	hutch_error err = {0};
	int rc = -1;
	if (l.files == NULL) {
		hutch_fail(&err, ENOMEM, "load");
		goto out;
	}
	lseek(r->upload_fd, 0, SEEK_SET);
	if (read_archive(&l, r->upload_fd, &err) < 0)
		goto out;
	/* Prefer the OCI index: it keeps the original manifest digests. */
	if (l.index_json != NULL)
		rc = load_from_index(&l, &err);
	else if (l.manifest_json != NULL)
		rc = load_from_manifest_json(&l, &err);
	else
		rc = hutch_fail_plain(&err, EINVAL,
				      "not an image archive: no manifest.json or index.json");
out:
	for (size_t i = 0; i < l.n_pins; i++) {
		store_unpin(r->d->store, l.pins[i]);
		free(l.pins[i]);
	}
	free(l.pins);
	free(l.files);
	free(l.manifest_json);
	free(l.index_json);
	enum MHD_Result ret;
	if (rc < 0) {
		/* Blobs of a failed load are garbage now: collect them. */
		struct store_gc_result gc;
		hutch_error gerr = {0};
		store_gc(r->d->store, &gc, &gerr);
		json_object_put(gc.deleted);
		json_object_put(l.out);
		return reply_error(r,
				   err.errnum == ENOENT || err.errnum == EINVAL ||
					   err.errnum == EBADMSG || err.errnum == E2BIG
				       ? 400
				       : 500,
				   "%s", err.msg);
	}
	/* Docker answers a load with JSON lines {"stream": "..."}. */
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (size_t i = 0; buf && i < json_object_array_length(l.out); i++) {
		size_t sl;
		const char *s = json_object_to_json_string_length(
		    json_object_array_get_idx(l.out, i), JSON_C_TO_STRING_PLAIN, &sl);
		if (len + sl + 2 > cap) {
			cap = (len + sl + 2) * 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				break;
		}
		memcpy(buf + len, s, sl);
		len += sl;
		buf[len++] = '\n';
	}
	json_object_put(l.out);
	if (buf == NULL)
		return MHD_NO;
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Api-Version", HUTCH_API_VERSION);
	ret = MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}
