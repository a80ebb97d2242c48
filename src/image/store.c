#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "json-util.h"
#include "log.h"
#include "manifest.h"

struct key_entry {
	char key[DIGEST_STR_LEN + 8];
	int count;
	struct key_entry *next;
};

struct store {
	char root[PATH_MAX];
	int lock_fd;
	pthread_mutex_t lock;
	pthread_cond_t released;
	json_object *images; /* the parsed images.json "images" object */
	struct key_entry *claims;
	struct key_entry *pins;
	unsigned long tmp_counter;
	store_remove_tree_fn remove_tree;
	void *remove_ctx;
};

#define IMAGES_FILE "images.json"

const char *store_root(const struct store *s)
{
	return s->root;
}

static int mkdir_in(const char *root, const char *sub, hutch_error *err)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, sub);
	return mkdir_parents(p, 0700, err);
}

static int load_images(struct store *s, hutch_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", s->root, IMAGES_FILE);
	if (access(path, F_OK) != 0) {
		s->images = json_object_new_object();
		return 0;
	}
	_cleanup_json_ json_object *root = NULL;
	if (json_read_file(path, &root, err) < 0)
		return hutch_error_prefix(err, "image index");
	json_object *images = NULL;
	if (json_get_object(root, IMAGES_FILE, "images", true, &images, err) < 0)
		return -1;
	json_object_object_foreach(images, name, entry)
	{
		const char *m = NULL;
		if (json_get_string(entry, name, "manifest", true, &m, err) < 0 ||
		    digest_check(m, name, err) < 0)
			return hutch_error_prefix(err, "%s", path);
	}
	s->images = json_object_get(images);
	return 0;
}

static int save_images_locked(struct store *s, hutch_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", s->root, IMAGES_FILE);
	_cleanup_json_ json_object *root = json_object_new_object();
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "images", json_object_get(s->images));
	return json_write_file_atomic(path, root, 0600, err);
}

/* Remove what a crash may have left: temp downloads, half-written index
 * files and unfinished snapshot directories. None of them is ever
 * reachable from images.json, so removing them cannot lose anything. */
static int sweep(struct store *s, hutch_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/tmp", s->root);
	_cleanup_closedir_ DIR *d = opendir(path);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			if (unlinkat(dirfd(d), e->d_name, 0) == 0)
				log_info("store: removed leftover download tmp/%s", e->d_name);
		}
	}
	_cleanup_closedir_ DIR *r = opendir(s->root);
	if (r != NULL) {
		struct dirent *e;
		while ((e = readdir(r)) != NULL)
			if (strncmp(e->d_name, IMAGES_FILE ".tmp.", strlen(IMAGES_FILE) + 5) == 0)
				unlinkat(dirfd(r), e->d_name, 0);
	}
	snprintf(path, sizeof(path), "%s/snapshots", s->root);
	_cleanup_closedir_ DIR *sd = opendir(path);
	if (sd != NULL) {
		struct dirent *e;
		while ((e = readdir(sd)) != NULL) {
			if (strncmp(e->d_name, ".tmp-", 5) != 0)
				continue;
			char full[PATH_MAX];
			snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
			log_info("store: removing unfinished snapshot %s", e->d_name);
			if (s->remove_tree(s->remove_ctx, full, err) < 0)
				return -1;
		}
	}
	return 0;
}

int store_open(const char *root, store_remove_tree_fn remove_tree, void *remove_ctx,
	       struct store **out, hutch_error *err)
{
	_cleanup_free_ struct store *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return hutch_fail(err, ENOMEM, "store");
	if (strlen(root) >= sizeof(s->root) - 128)
		return hutch_fail_plain(err, ENAMETOOLONG, "store root %s: path too long", root);
	snprintf(s->root, sizeof(s->root), "%s", root);
	s->remove_tree = remove_tree;
	s->remove_ctx = remove_ctx;
	s->lock_fd = -1;
	if (mkdir_parents(root, 0700, err) < 0 || mkdir_in(root, "blobs/sha256", err) < 0 ||
	    mkdir_in(root, "tmp", err) < 0 || mkdir_in(root, "snapshots", err) < 0)
		return hutch_error_prefix(err, "store");
	/* Set-id files and subordinate-owned snapshots live below: nobody
	 * else may even traverse the store. */
	if (chmod(root, 0700) < 0)
		return hutch_fail(err, errno, "chmod 0700 %s", root);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/.lock", root);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return hutch_fail(err, errno, "open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return hutch_fail_plain(
			    err, EBUSY, "store %s is in use by another hutchd process", root);
		return hutch_fail(err, e, "lock %s", path);
	}
	s->lock_fd = fd;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->released, NULL);
	if (sweep(s, err) < 0 || load_images(s, err) < 0) {
		close(fd);
		return -1;
	}
	*out = steal_pointer(&s);
	return 0;
}

static void free_keys(struct key_entry *k)
{
	while (k != NULL) {
		struct key_entry *n = k->next;
		free(k);
		k = n;
	}
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->images)
		json_object_put(s->images);
	free_keys(s->claims);
	free_keys(s->pins);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s);
}

/* ---------------------------------------------------------------- blobs */

void store_blob_path(const struct store *s, const char *digest, char *buf, size_t size)
{
	snprintf(buf, size, "%s/blobs/sha256/%s", s->root, digest_hex(digest));
}

bool store_blob_exists(const struct store *s, const char *digest)
{
	if (!digest_is_valid(digest))
		return false;
	char p[PATH_MAX];
	store_blob_path(s, digest, p, sizeof(p));
	return access(p, F_OK) == 0;
}

int store_blob_tmp(struct store *s, int *fd, char *path, hutch_error *err)
{
	snprintf(path, PATH_MAX, "%s/tmp/blob-XXXXXX", s->root);
	int f = mkostemp(path, O_CLOEXEC);
	if (f < 0)
		return hutch_fail(err, errno, "create temporary file in %s/tmp", s->root);
	*fd = f;
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		return 0;
	*slash = '\0';
	_cleanup_close_ int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return -1;
	return fsync(d);
}

int store_blob_commit(struct store *s, int fd, const char *tmppath, const char *expected,
		      const char *actual, hutch_error *err)
{
	if (digest_verify(expected, actual, "blob", err) < 0) {
		unlink(tmppath);
		return -1;
	}
	if (fsync(fd) < 0) {
		int e = errno;
		unlink(tmppath);
		return hutch_fail(err, e, "fsync %s", tmppath);
	}
	char final[PATH_MAX];
	store_blob_path(s, expected, final, sizeof(final));
	if (rename(tmppath, final) < 0) {
		int e = errno;
		unlink(tmppath);
		return hutch_fail(err, e, "rename %s to %s", tmppath, final);
	}
	fsync_dir_of(final);
	return 0;
}

int store_blob_put(struct store *s, const void *buf, size_t len,
		   char digest[static DIGEST_STR_LEN + 1], hutch_error *err)
{
	digest_buffer(buf, len, digest);
	if (store_blob_exists(s, digest))
		return 0;
	char tmp[PATH_MAX];
	_cleanup_close_ int fd = -1;
	if (store_blob_tmp(s, &fd, tmp, err) < 0)
		return -1;
	if (write_all(fd, buf, len) < 0) {
		int e = errno;
		unlink(tmp);
		return hutch_fail(err, e, "write %s", tmp);
	}
	return store_blob_commit(s, fd, tmp, digest, digest, err);
}

int store_blob_read(struct store *s, const char *digest, size_t max, char **buf, size_t *len,
		    hutch_error *err)
{
	if (digest_check(digest, "blob", err) < 0)
		return -1;
	char p[PATH_MAX];
	store_blob_path(s, digest, p, sizeof(p));
	_cleanup_free_ char *data = NULL;
	size_t n = 0;
	if (read_file_all(p, max, &data, &n, err) < 0)
		return -1;
	char actual[DIGEST_STR_LEN + 1];
	digest_buffer(data, n, actual);
	if (digest_verify(digest, actual, p, err) < 0)
		return -1;
	*buf = steal_pointer(&data);
	*len = n;
	return 0;
}

/* ------------------------------------------------------- claims and pins */

static struct key_entry **find_key(struct key_entry **list, const char *key)
{
	for (struct key_entry **p = list; *p != NULL; p = &(*p)->next)
		if (strcmp((*p)->key, key) == 0)
			return p;
	return NULL;
}

static void add_key(struct key_entry **list, const char *key)
{
	struct key_entry **p = find_key(list, key);
	if (p != NULL) {
		(*p)->count++;
		return;
	}
	struct key_entry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		abort();
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->count = 1;
	e->next = *list;
	*list = e;
}

static void drop_key(struct key_entry **list, const char *key)
{
	struct key_entry **p = find_key(list, key);
	if (p == NULL)
		return;
	if (--(*p)->count > 0)
		return;
	struct key_entry *e = *p;
	*p = e->next;
	free(e);
}

int store_claim(struct store *s, const char *key)
{
	pthread_mutex_lock(&s->lock);
	if (find_key(&s->claims, key) == NULL) {
		add_key(&s->claims, key);
		pthread_mutex_unlock(&s->lock);
		return 1;
	}
	while (find_key(&s->claims, key) != NULL)
		pthread_cond_wait(&s->released, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int store_try_claim(struct store *s, const char *key)
{
	pthread_mutex_lock(&s->lock);
	int r = find_key(&s->claims, key) == NULL;
	if (r)
		add_key(&s->claims, key);
	pthread_mutex_unlock(&s->lock);
	return r;
}

void store_release(struct store *s, const char *key)
{
	pthread_mutex_lock(&s->lock);
	drop_key(&s->claims, key);
	pthread_cond_broadcast(&s->released);
	pthread_mutex_unlock(&s->lock);
}

void store_pin(struct store *s, const char *key)
{
	pthread_mutex_lock(&s->lock);
	add_key(&s->pins, key);
	pthread_mutex_unlock(&s->lock);
}

void store_unpin(struct store *s, const char *key)
{
	pthread_mutex_lock(&s->lock);
	drop_key(&s->pins, key);
	pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------ snapshots */

void store_snapshot_dir(const struct store *s, const char *chain_id, char *buf, size_t size)
{
	snprintf(buf, size, "%s/snapshots/%s", s->root, digest_hex(chain_id));
}

bool store_snapshot_exists(const struct store *s, const char *chain_id)
{
	char p[PATH_MAX];
	store_snapshot_dir(s, chain_id, p, sizeof(p));
	size_t l = strlen(p);
	snprintf(p + l, sizeof(p) - l, "/meta.json");
	return access(p, F_OK) == 0;
}

void store_snapshot_tmp_name(struct store *s, const char *chain_id, char *buf, size_t size)
{
	pthread_mutex_lock(&s->lock);
	unsigned long n = ++s->tmp_counter;
	pthread_mutex_unlock(&s->lock);
	snprintf(buf, size, "%s/snapshots/.tmp-%.12s-%d-%lu", s->root, digest_hex(chain_id),
		 (int)getpid(), n);
}

int store_snapshot_discard(struct store *s, const char *chain_id, hutch_error *err)
{
	char full[PATH_MAX], doomed[PATH_MAX];
	store_snapshot_dir(s, chain_id, full, sizeof(full));
	/* Hide it first so nothing starts to use a half-removed snapshot;
	 * the sweep on start finishes a crash here. */
	snprintf(doomed, sizeof(doomed), "%s/snapshots/.tmp-gc-%s", s->root, digest_hex(chain_id));
	if (rename(full, doomed) < 0)
		return hutch_fail(err, errno, "rename %s", full);
	return s->remove_tree(s->remove_ctx, doomed, err);
}

bool store_busy(struct store *s)
{
	pthread_mutex_lock(&s->lock);
	bool busy = s->claims != NULL;
	pthread_mutex_unlock(&s->lock);
	return busy;
}

/* --------------------------------------------------------------- images */

int store_image_set(struct store *s, const char *name, const char *manifest,
		    const char *repo_digest, hutch_error *err)
{
	pthread_mutex_lock(&s->lock);
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "manifest", json_object_new_string(manifest));
	json_object_object_add(entry, "repo_digest",
			       json_object_new_string(repo_digest ? repo_digest : manifest));
	_cleanup_json_ json_object *old = NULL;
	json_object *prev;
	if (json_object_object_get_ex(s->images, name, &prev))
		old = json_object_get(prev);
	json_object_object_add(s->images, name, entry);
	int r = save_images_locked(s, err);
	if (r < 0) {
		/* Keep memory equal to disk. */
		if (old != NULL)
			json_object_object_add(s->images, name, json_object_get(old));
		else
			json_object_object_del(s->images, name);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static void entry_to_image(const char *name, json_object *entry, struct store_image *out)
{
	json_object *v;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	if (json_object_object_get_ex(entry, "manifest", &v))
		snprintf(out->manifest, sizeof(out->manifest), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(entry, "repo_digest", &v) &&
	    digest_is_valid(json_object_get_string(v)))
		snprintf(out->repo_digest, sizeof(out->repo_digest), "%s",
			 json_object_get_string(v));
	else
		snprintf(out->repo_digest, sizeof(out->repo_digest), "%s", out->manifest);
}

int store_image_get(struct store *s, const char *name, struct store_image *out)
{
	pthread_mutex_lock(&s->lock);
	json_object *entry;
	int found = json_object_object_get_ex(s->images, name, &entry) ? 1 : 0;
	if (found)
		entry_to_image(name, entry, out);
	pthread_mutex_unlock(&s->lock);
	return found;
}

int store_image_remove(struct store *s, const char *name, hutch_error *err)
{
	pthread_mutex_lock(&s->lock);
	json_object *entry;
	int r = 0;
	if (json_object_object_get_ex(s->images, name, &entry)) {
		_cleanup_json_ json_object *old = json_object_get(entry);
		json_object_object_del(s->images, name);
		r = save_images_locked(s, err);
		if (r < 0)
			json_object_object_add(s->images, name, json_object_get(old));
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

int store_image_list(struct store *s, struct store_image **out, size_t *n)
{
	pthread_mutex_lock(&s->lock);
	size_t count = (size_t)json_object_object_length(s->images);
	struct store_image *v = calloc(count + 1, sizeof(*v));
	if (v == NULL) {
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	size_t i = 0;
	json_object_object_foreach(s->images, name, entry) entry_to_image(name, entry, &v[i++]);
	pthread_mutex_unlock(&s->lock);
	*out = v;
	*n = i;
	return 0;
}

/* ---------------------------------------------------------- image info */

void store_image_info_free(struct store_image_info *info)
{
	free(info->layers);
	free(info->diff_ids);
	free(info->chain_ids);
	free(info->layer_sizes);
	if (info->config_json)
		json_object_put(info->config_json);
	memset(info, 0, sizeof(*info));
}

int store_image_info_load(struct store *s, const char *manifest_digest,
			  struct store_image_info *info, hutch_error *err)
{
	memset(info, 0, sizeof(*info));
	_cleanup_free_ char *mbuf = NULL, *cbuf = NULL;
	size_t mlen = 0, clen = 0;
	_cleanup_free_ struct image_manifest *m = malloc(sizeof(*m));
	if (m == NULL)
		return hutch_fail(err, ENOMEM, "manifest");
	if (store_blob_read(s, manifest_digest, MANIFEST_MAX_SIZE, &mbuf, &mlen, err) < 0 ||
	    manifest_parse(mbuf, mlen, m, err) < 0)
		return hutch_error_prefix(err, "manifest %s", manifest_digest);
	_cleanup_json_ json_object *mj = NULL;
	if (json_parse_buffer(mbuf, mlen, "manifest", &mj, NULL) == 0) {
		json_object *v;
		if (json_object_object_get_ex(mj, "mediaType", &v))
			snprintf(info->manifest_media_type, sizeof(info->manifest_media_type), "%s",
				 json_object_get_string(v));
	}
	if (store_blob_read(s, m->config.digest, CONFIG_MAX_SIZE, &cbuf, &clen, err) < 0)
		return hutch_error_prefix(err, "image config");
	_cleanup_strv_ char **diff_ids = NULL;
	size_t nd = 0;
	if (image_config_diff_ids(cbuf, clen, &diff_ids, &nd, err) < 0)
		return -1;
	if (nd != m->n_layers)
		return hutch_fail_plain(err, EINVAL,
					"image config has %zu diff_ids but the manifest %zu layers",
					nd, m->n_layers);
	snprintf(info->config, sizeof(info->config), "%s", m->config.digest);
	info->n_layers = nd;
	info->layers = calloc(nd + 1, sizeof(*info->layers));
	info->diff_ids = calloc(nd + 1, sizeof(*info->diff_ids));
	info->chain_ids = calloc(nd + 1, sizeof(*info->chain_ids));
	info->layer_sizes = calloc(nd + 1, sizeof(*info->layer_sizes));
	if (!info->layers || !info->diff_ids || !info->chain_ids || !info->layer_sizes) {
		store_image_info_free(info);
		return hutch_fail(err, ENOMEM, "image info");
	}
	for (size_t i = 0; i < nd; i++) {
		snprintf(info->layers[i], sizeof(info->layers[i]), "%s", m->layers[i].digest);
		snprintf(info->diff_ids[i], sizeof(info->diff_ids[i]), "%s", diff_ids[i]);
		digest_chain_id(i ? info->chain_ids[i - 1] : NULL, diff_ids[i], info->chain_ids[i]);
		info->layer_sizes[i] = m->layers[i].size;
		info->size += m->layers[i].size > 0 ? m->layers[i].size : 0;
	}
	if (json_parse_buffer(cbuf, clen, "image config", &info->config_json, err) < 0) {
		store_image_info_free(info);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ GC */

struct mark_set {
	char (*keys)[DIGEST_STR_LEN + 1];
	size_t n, cap;
};

static void mark(struct mark_set *m, const char *key)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->keys = realloc(m->keys, m->cap * sizeof(*m->keys));
		if (m->keys == NULL)
			abort();
	}
	snprintf(m->keys[m->n++], DIGEST_STR_LEN + 1, "%s", key);
}

static bool marked(const struct mark_set *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->keys[i], key) == 0)
			return true;
	return false;
}

/* Mark everything images.json reaches. A broken image (missing blob)
 * marks what it can and is reported by store_check, never a reason to
 * delete more. */
static void mark_reachable(struct store *s, struct mark_set *m)
{
	_cleanup_free_ struct store_image *imgs = NULL;
	size_t n = 0;
	if (store_image_list(s, &imgs, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		mark(m, imgs[i].manifest);
		mark(m, imgs[i].repo_digest);
		struct store_image_info info;
		hutch_error e = {0};
		if (store_image_info_load(s, imgs[i].manifest, &info, &e) < 0) {
			/* Keep what the manifest names even if the config is bad. */
			_cleanup_free_ char *mbuf = NULL;
			size_t mlen;
			_cleanup_free_ struct image_manifest *man = malloc(sizeof(*man));
			if (man &&
			    store_blob_read(s, imgs[i].manifest, MANIFEST_MAX_SIZE, &mbuf, &mlen,
					    NULL) == 0 &&
			    manifest_parse(mbuf, mlen, man, NULL) == 0) {
				mark(m, man->config.digest);
				for (size_t l = 0; l < man->n_layers; l++)
					mark(m, man->layers[l].digest);
			}
			continue;
		}
		mark(m, info.config);
		for (size_t l = 0; l < info.n_layers; l++) {
			mark(m, info.layers[l]);
			mark(m, info.chain_ids[l]);
		}
		store_image_info_free(&info);
	}
}

int store_gc(struct store *s, struct store_gc_result *res, hutch_error *err)
{
	memset(res, 0, sizeof(*res));
	res->deleted = json_object_new_array();
	struct mark_set m = {0};
	mark_reachable(s, &m);
	pthread_mutex_lock(&s->lock);
	for (struct key_entry *p = s->pins; p; p = p->next)
		mark(&m, p->key);
	for (struct key_entry *p = s->claims; p; p = p->next)
		mark(&m, p->key);
	pthread_mutex_unlock(&s->lock);

	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->root);
	DIR *d = opendir(dir);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char dg[DIGEST_STR_LEN + 16];
			snprintf(dg, sizeof(dg), "sha256:%s", e->d_name);
			if (!digest_is_valid(dg) || marked(&m, dg))
				continue;
			struct stat st;
			if (fstatat(dirfd(d), e->d_name, &st, 0) == 0)
				res->bytes_reclaimed += (uint64_t)st.st_size;
			if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
				res->blobs_removed++;
				json_object_array_add(res->deleted, json_object_new_string(dg));
			}
		}
		closedir(d);
	}
	snprintf(dir, sizeof(dir), "%s/snapshots", s->root);
	d = opendir(dir);
	int rc = 0;
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char dg[DIGEST_STR_LEN + 16];
			snprintf(dg, sizeof(dg), "sha256:%s", e->d_name);
			if (!digest_is_valid(dg) || marked(&m, dg))
				continue;
			if (store_snapshot_discard(s, dg, err) < 0) {
				char full[PATH_MAX];
				store_snapshot_dir(s, dg, full, sizeof(full));
				if (access(full, F_OK) == 0)
					continue; /* not hidden: left as it was */
				rc = -1;
				break;
			}
			res->snapshots_removed++;
		}
		closedir(d);
	}
	free(m.keys);
	return rc;
}

/* ---------------------------------------------------------------- check */

static void problem(json_object *problems, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void problem(json_object *problems, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_array_add(problems, json_object_new_string(buf));
}

int store_check(struct store *s, json_object *problems, json_object *stats, hutch_error *err)
{
	size_t before = json_object_array_length(problems);
	size_t blobs = 0, snapshots = 0;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->root);
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (d == NULL)
		return hutch_fail(err, errno, "open %s", dir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char dg[DIGEST_STR_LEN + 16];
		snprintf(dg, sizeof(dg), "sha256:%s", e->d_name);
		if (!digest_is_valid(dg)) {
			problem(problems, "blobs/sha256/%s: not a digest name", e->d_name);
			continue;
		}
		_cleanup_close_ int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
		char actual[DIGEST_STR_LEN + 1];
		hutch_error ie = {0};
		if (fd < 0 || digest_file(fd, actual, NULL, &ie) < 0) {
			problem(problems, "blobs/sha256/%s: unreadable", e->d_name);
			continue;
		}
		if (strcmp(actual, dg) != 0)
			problem(problems, "blobs/sha256/%s: content hashes to %s", e->d_name,
				actual);
		blobs++;
	}
	snprintf(dir, sizeof(dir), "%s/snapshots", s->root);
	_cleanup_closedir_ DIR *sd = opendir(dir);
	if (sd == NULL)
		return hutch_fail(err, errno, "open %s", dir);
	while ((e = readdir(sd)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strncmp(e->d_name, ".tmp-", 5) == 0) {
			pthread_mutex_lock(&s->lock);
			bool busy = s->claims != NULL;
			pthread_mutex_unlock(&s->lock);
			if (!busy)
				problem(problems, "snapshots/%s: unfinished snapshot", e->d_name);
			continue;
		}
		char dg[DIGEST_STR_LEN + 16];
		snprintf(dg, sizeof(dg), "sha256:%s", e->d_name);
		if (!digest_is_valid(dg)) {
			problem(problems, "snapshots/%s: not a chain id", e->d_name);
			continue;
		}
		if (!store_snapshot_exists(s, dg))
			problem(problems, "snapshots/%s: no meta.json", e->d_name);
		snapshots++;
	}
	_cleanup_free_ struct store_image *imgs = NULL;
	size_t n = 0;
	if (store_image_list(s, &imgs, &n) < 0)
		return hutch_fail(err, ENOMEM, "image list");
	for (size_t i = 0; i < n; i++) {
		struct store_image_info info;
		hutch_error ie = {0};
		if (store_image_info_load(s, imgs[i].manifest, &info, &ie) < 0) {
			problem(problems, "image %s: %s", imgs[i].name, ie.msg);
			continue;
		}
		for (size_t l = 0; l < info.n_layers; l++) {
			if (!store_blob_exists(s, info.layers[l]))
				problem(problems, "image %s: layer blob %s missing", imgs[i].name,
					info.layers[l]);
			if (!store_snapshot_exists(s, info.chain_ids[l]))
				problem(problems, "image %s: snapshot %s missing", imgs[i].name,
					info.chain_ids[l]);
		}
		store_image_info_free(&info);
	}
	struct store_unsynced u;
	if (store_unsynced_scan(s, &u, err) < 0)
		return -1;
	for (size_t i = 0; i < u.n_lost; i++)
		problem(problems,
			"snapshots/%s: written before a restart of the machine and never synced "
			"(restart hutchd to unpack it again)",
			digest_hex(u.lost[i]));
	size_t unsynced = u.n_pending;
	store_unsynced_free(&u);
	if (stats != NULL) {
		json_object_object_add(stats, "Images", json_object_new_int64((int64_t)n));
		json_object_object_add(stats, "UnsyncedSnapshots",
				       json_object_new_int64((int64_t)unsynced));
		json_object_object_add(stats, "Blobs", json_object_new_int64((int64_t)blobs));
		json_object_object_add(stats, "Snapshots",
				       json_object_new_int64((int64_t)snapshots));
	}
	return (int)(json_object_array_length(problems) - before);
}
