/* Merged directory listings. A directory's listing is built once from all
 * the layers of its span (top first; whiteouts and ".wh." names hide lower
 * entries and never show) and kept on the node, so later lookups in it are
 * answered from memory instead of probing every layer. A removed name is
 * marked removed in place (so rm -rf keeps using the listing); other
 * changes made through the mount drop it; lower layers never change.
 * Readdir offsets belong to names and survive a rebuilt listing, so
 * readdir needs no open-directory state (see ops-dir.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "ovl.h"

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603ULL;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void ovl_dir_cache_put(struct dir_cache *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->entries[i].name);
	free(c->entries);
	free(c->hash);
	free(c->stats);
	free(c);
}

/* One claim on entry i's stat taken at build time is over; the last one
 * frees them all. Every claimer copies before it counts down, so nobody
 * reads the array once the count reaches 0. */
static void stat_done(struct dir_cache *c)
{
	if (atomic_fetch_sub(&c->stats_left, 1) == 1) {
		free(c->stats);
		c->stats = NULL;
	}
}

bool ovl_dir_cache_take_stat(struct dir_cache *c, size_t i, struct stat *st)
{
	if (!__atomic_exchange_n(&c->entries[i].prestat, false, __ATOMIC_ACQ_REL))
		return false;
	if (st != NULL)
		*st = c->stats[i];
	stat_done(c);
	return true;
}

void ovl_dir_cache_drop(struct ovl_node *dir)
{
	struct dir_cache *c = __atomic_exchange_n(&dir->cache, NULL, __ATOMIC_ACQ_REL);
	if (c == NULL)
		return;
	ovl_dir_cache_put(dir->old_cache);
	dir->old_cache = c;
}

void ovl_dir_cache_free(struct ovl_node *dir)
{
	ovl_dir_cache_drop(dir);
	ovl_dir_cache_put(dir->old_cache);
	dir->old_cache = NULL;
}

/* Index of name in the open-addressed table, or of the empty slot where it
 * would go. */
static size_t slot_of(const struct dir_cache *c, const char *name)
{
	size_t i = name_hash(name) & (c->hsize - 1);
	while (c->hash[i] != 0 && strcmp(c->entries[c->hash[i] - 1].name, name) != 0)
		i = (i + 1) & (c->hsize - 1);
	return i;
}

const struct dir_entry *ovl_dir_cache_find(const struct dir_cache *c, const char *name)
{
	size_t i = slot_of(c, name);
	if (c->hash[i] == 0)
		return NULL;
	const struct dir_entry *e = &c->entries[c->hash[i] - 1];
	return e->layer < 0 ? NULL : e;
}

size_t ovl_dir_cache_after(const struct dir_cache *c, uint64_t off)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->entries[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void ovl_dir_cache_remove(struct ovl_node *dir, const char *name)
{
	struct dir_cache *c = dir->cache;
	if (c == NULL)
		return;
	size_t i = slot_of(c, name);
	if (c->hash[i] == 0)
		return;
	struct dir_entry *e = &c->entries[c->hash[i] - 1];
	ovl_dir_cache_take_stat(c, (size_t)(e - c->entries), NULL);
	if (e->layer >= 0) {
		/* Open directory handles share the listing: the entry keeps
		 * its place (their offsets stay valid) and stops showing,
		 * which POSIX allows for a name removed after opendir. */
		e->layer = -1;
		c->live--;
	}
}

/* A listing under construction also remembers hidden names (whiteouts) so
 * lower layers cannot bring them back; those have layer -1. */
static int add_entry(struct dir_cache *c, size_t *cap, const char *name, unsigned char type,
		     int layer, ino_t ino)
{
	if ((c->n + 1) * 2 > c->hsize) {
		size_t nh = c->hsize * 2;
		size_t *h = calloc(nh, sizeof(size_t));
		if (h == NULL)
			return -ENOMEM;
		free(c->hash);
		c->hash = h;
		c->hsize = nh;
		for (size_t i = 0; i < c->n; i++)
			c->hash[slot_of(c, c->entries[i].name)] = i + 1;
	}
	if (c->n == *cap) {
		size_t nc = *cap * 2;
		struct dir_entry *e = realloc(c->entries, nc * sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		c->entries = e;
		*cap = nc;
	}
	char *nm = strdup(name);
	if (nm == NULL)
		return -ENOMEM;
	size_t s = slot_of(c, name);
	c->entries[c->n] =
	    (struct dir_entry){.name = nm, .d_type = type, .layer = layer, .d_ino = ino};
	c->hash[s] = ++c->n;
	return 0;
}

static bool is_escaped_whiteout(int dfd, const char *name)
{
	char p[PATH_MAX];
	char v[4];
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != 0)
		return false;
	snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dfd, name);
	return lgetxattr(p, OVL_XATTR_ESCAPED_WH, v, sizeof(v)) > 0;
}

/* Open the directory rel of a layer for reading; NULL with *errp 0 when the
 * layer has no directory there. */
static DIR *open_layer_dir(struct ovl_fs *fs, int layer, const char *rel, int *errp)
{
	*errp = 0;
	int fd = openat(fs->layers[layer].fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*errp = errno == ENOENT || errno == ENOTDIR ? 0 : errno;
		return NULL;
	}
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		*errp = errno;
		close(fd);
	}
	return d;
}

static int read_layer(struct ovl_fs *fs, struct dir_cache *c, size_t *cap, int layer, DIR *d)
{
	int fd = dirfd(d);
	/* Only a directory marked as holding escaped whiteouts needs its empty
	 * regular files checked for being one. */
	char v[4];
	bool escaped =
	    !fs->opts.noxattrs && fgetxattr(fd, OVL_XATTR_ESCAPED_WH_DIR, v, sizeof(v)) > 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		int r = 0;
		if (ovl_is_whiteout_name(name)) {
			const char *target = name + sizeof(OVL_WH_PREFIX) - 1;
			if (*target != '\0' && strcmp(name, OVL_WH_OPAQUE) != 0 &&
			    c->hash[slot_of(c, target)] == 0)
				r = add_entry(c, cap, target, DT_UNKNOWN, -1, 0);
		} else if (c->hash[slot_of(c, name)] == 0) {
			unsigned char type = de->d_type;
			bool wh = false;
			if (type == DT_CHR || type == DT_UNKNOWN) {
				struct stat st;
				if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
					wh = ovl_stat_is_whiteout(&st);
					type = IFTODT(st.st_mode);
				}
			}
			if (escaped && type == DT_REG && is_escaped_whiteout(dirfd(d), name))
				type = DT_CHR;
			r = add_entry(c, cap, name, type, wh ? -1 : layer, de->d_ino);
		}
		if (r < 0)
			return r;
		errno = 0;
	}
	return errno != 0 ? -errno : 0;
}

static int by_offset(const void *a, const void *b)
{
	uint64_t x = ((const struct dir_entry *)a)->off, y = ((const struct dir_entry *)b)->off;
	return x < y ? -1 : x > y;
}

/* Drop the hidden names and give the others their offsets: the one they
 * had in the old listing (removed names included: one that comes back
 * may show again or not to a reader already past it, as POSIX allows for
 * a name added while a directory is read), new ones after all of those. */
static void finish(struct dir_cache *c, const struct dir_cache *old)
{
	size_t w = 0;
	uint64_t next = old != NULL ? old->next_off : OVL_DIR_FIRST_OFF;
	for (size_t i = 0; i < c->n; i++) {
		struct dir_entry *e = &c->entries[i];
		if (e->layer < 0) {
			free(e->name);
			continue;
		}
		size_t k = old != NULL ? old->hash[slot_of(old, e->name)] : 0;
		e->off = k != 0 ? old->entries[k - 1].off : next++;
		/* The same file as before keeps the hint that the kernel knows
		 * it (checked again before use, see ops-dir.c). */
		const struct dir_entry *was = k != 0 ? &old->entries[k - 1] : NULL;
		if (was != NULL && was->layer == e->layer && was->d_ino == e->d_ino)
			e->given_ino = __atomic_load_n(&was->given_ino, __ATOMIC_RELAXED);
		c->entries[w++] = *e;
	}
	c->n = w;
	c->live = w;
	c->next_off = next;
	if (old != NULL)
		qsort(c->entries, c->n, sizeof(*c->entries), by_offset);
	memset(c->hash, 0, c->hsize * sizeof(size_t));
	for (size_t i = 0; i < c->n; i++)
		c->hash[slot_of(c, c->entries[i].name)] = i + 1;
}

/* A listing built ahead (prefetch.c) also takes the stat of each entry of
 * a lower layer: those never change, and the READDIRPLUS that sends the
 * entry then needs no fstatat of its own. Upper entries are stat'ed when
 * sent, as they may change meanwhile. A stat is used once: a later listing
 * of the same entries stats again, so it never serves an old atime long. At
 * most this many per listing, so a huge directory does not hold the tree
 * lock for long while it is built ahead. */
#define PRESTAT_MAX 8192

static void prestat(struct ovl_fs *fs, struct dir_cache *c, const int *span, DIR *const *dirs,
		    int nspan)
{
	size_t want = 0;
	for (size_t i = 0; i < c->n && want < PRESTAT_MAX; i++)
		if (!ovl_is_upper(fs, c->entries[i].layer))
			want++;
	if (want == 0 || (c->stats = malloc(c->n * sizeof(*c->stats))) == NULL)
		return;
	size_t taken = 0;
	for (size_t i = 0; i < c->n && taken < want; i++) {
		struct dir_entry *e = &c->entries[i];
		if (ovl_is_upper(fs, e->layer))
			continue;
		int k = 0;
		while (k < nspan && span[k] != e->layer)
			k++;
		if (k < nspan && dirs[k] != NULL &&
		    fstatat(dirfd(dirs[k]), e->name, &c->stats[i], AT_SYMLINK_NOFOLLOW) == 0) {
			e->prestat = true;
			taken++;
		}
	}
	atomic_init(&c->stats_left, taken);
	if (taken == 0) {
		free(c->stats);
		c->stats = NULL;
	}
}

static struct dir_cache *build(struct ovl_fs *fs, struct ovl_node *dir, bool ahead, int *errp)
{
	char rel[PATH_MAX];
	int r = ovl_node_path(dir, rel, sizeof(rel));
	if (r < 0) {
		*errp = -r;
		return NULL;
	}
	int nspan = dir->nspan;
	DIR *dirs[nspan > 0 ? nspan : 1];
	memset(dirs, 0, sizeof(dirs));
	struct dir_cache *c = calloc(1, sizeof(*c));
	size_t cap = 16;
	*errp = ENOMEM;
	if (c == NULL)
		goto fail;
	atomic_init(&c->refs, 1);
	c->hsize = 32;
	c->hash = calloc(c->hsize, sizeof(size_t));
	c->entries = malloc(cap * sizeof(*c->entries));
	if (c->hash == NULL || c->entries == NULL)
		goto fail;
	for (int i = 0; i < nspan; i++) {
		dirs[i] = open_layer_dir(fs, dir->span[i], rel, errp);
		if (*errp != 0)
			goto fail;
		r = dirs[i] == NULL ? 0 : read_layer(fs, c, &cap, dir->span[i], dirs[i]);
		if (r < 0) {
			*errp = -r;
			goto fail;
		}
	}
	finish(c, dir->old_cache);
	ovl_dir_cache_put(dir->old_cache);
	dir->old_cache = NULL;
	if (ahead)
		prestat(fs, c, dir->span, dirs, nspan);
	for (int i = 0; i < nspan; i++)
		if (dirs[i] != NULL)
			closedir(dirs[i]);
	*errp = 0;
	return c;
fail:
	for (int i = 0; i < nspan; i++)
		if (dirs[i] != NULL)
			closedir(dirs[i]);
	ovl_dir_cache_put(c);
	return NULL;
}

struct dir_cache *ovl_dir_cache_get(struct ovl_fs *fs, struct ovl_node *dir, int *errp)
{
	pthread_mutex_lock(&dir->lock);
	struct dir_cache *c = dir->cache;
	if (c == NULL) {
		c = build(fs, dir, false, errp);
		dir->cache = c;
	}
	if (c != NULL)
		atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&dir->lock);
	return c;
}

bool ovl_dir_cache_build_ahead(struct ovl_fs *fs, struct ovl_node *dir)
{
	if (__atomic_load_n(&dir->cache, __ATOMIC_ACQUIRE) != NULL)
		return false;
	pthread_mutex_lock(&dir->lock);
	bool build_now = dir->cache == NULL;
	if (build_now) {
		int err;
		dir->cache = build(fs, dir, true, &err);
	}
	pthread_mutex_unlock(&dir->lock);
	return build_now && dir->cache != NULL;
}
