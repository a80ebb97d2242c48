/* The node table: one node per inode of the merged view, found by its
 * presented inode number, alive while the kernel holds a lookup reference
 * or a child or an operation holds it. Node ids handed to the kernel are
 * table keys, never pointers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ovl.h"

/* The table is open-addressed (linear probing) with the ids in the slots:
 * finding a node, or finding that there is none, reads one or two cache
 * lines of the table and no node. With one node per allocation chained
 * from buckets, a cold find over 20000 files spent a fifth of the request
 * thread's time walking chains, each step a cache miss. Kept at most half
 * full; a power of two. */
#define INITIAL_SLOTS 8192

int ovl_table_init(struct ovl_fs *fs)
{
	fs->nslots = INITIAL_SLOTS;
	fs->slots = calloc(fs->nslots, sizeof(*fs->slots));
	return fs->slots == NULL ? -ENOMEM : 0;
}

/* Layers on one device keep their own inode numbers (they are unique
 * already). Otherwise the device's index in the stack goes into the top
 * bits, as the kernel's xino does: unique across devices and stable as long
 * as the layer stack is the same. An inode number too large for that is
 * hashed into a separate range. */
ino_t ovl_make_ino(const struct ovl_fs *fs, int layer, ino_t ino)
{
	if (fs->single_dev)
		return ino;
	uint64_t d = fs->layers[layer].dev_index;
	if (ino < (1ULL << 56) && d < 127)
		return (ino_t)(ino | (d << 56));
	uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ULL ^ (d + 1) * 0xC2B2AE3D27D4EB4FULL;
	return (ino_t)((h >> 1) | (1ULL << 63));
}

/* The root is node 1; another inode that happens to have number 1 gets a
 * reserved id instead. */
fuse_ino_t ovl_nodeid_for_ino(ino_t ino)
{
	return ino == FUSE_ROOT_ID ? (fuse_ino_t)((1ULL << 63) | 0x7fff1ULL) : (fuse_ino_t)ino;
}

/* Inode numbers made together are mostly close together (the files of one
 * directory, say), and a listing looks them up in a row: runs of 64
 * numbers keep their order in the table, so such lookups read neighbouring
 * slots; the runs themselves are scattered, so that no pattern of numbers
 * piles up in one place. */
static size_t home_of(const struct ovl_fs *fs, fuse_ino_t id)
{
	uint64_t h = (uint64_t)(id >> 6) * 0x9E3779B97F4A7C15ULL;
	return (size_t)((h >> 20 << 6) | (id & 63)) & (fs->nslots - 1);
}

/* The slot holding id, or the free slot where it would go. */
static size_t slot_of(const struct ovl_fs *fs, fuse_ino_t id)
{
	size_t i = home_of(fs, id);
	while (fs->slots[i].node != NULL && fs->slots[i].id != id)
		i = (i + 1) & (fs->nslots - 1);
	return i;
}

static struct ovl_node *table_find(struct ovl_fs *fs, fuse_ino_t id)
{
	return fs->slots[slot_of(fs, id)].node;
}

static int table_grow(struct ovl_fs *fs)
{
	struct ovl_fs bigger = {.nslots = fs->nslots * 2};
	bigger.slots = calloc(bigger.nslots, sizeof(*bigger.slots));
	if (bigger.slots == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < fs->nslots; i++)
		if (fs->slots[i].node != NULL)
			bigger.slots[slot_of(&bigger, fs->slots[i].id)] = fs->slots[i];
	free(fs->slots);
	fs->slots = bigger.slots;
	fs->nslots = bigger.nslots;
	return 0;
}

static int table_insert(struct ovl_fs *fs, struct ovl_node *n)
{
	/* Without memory for a bigger table, fill this one up to 90%. */
	if ((fs->nnodes + 1) * 2 > fs->nslots && table_grow(fs) < 0 &&
	    (fs->nnodes + 1) * 10 > fs->nslots * 9)
		return -ENOMEM;
	fs->slots[slot_of(fs, n->nodeid)] = (struct ovl_slot){.id = n->nodeid, .node = n};
	fs->nnodes++;
	return 0;
}

/* Take n out, moving back later entries of its probe run so that every
 * entry stays reachable from its home slot without tombstones. */
static void table_remove(struct ovl_fs *fs, struct ovl_node *n)
{
	size_t mask = fs->nslots - 1;
	size_t i = slot_of(fs, n->nodeid);
	if (fs->slots[i].node != n)
		return;
	for (size_t j = (i + 1) & mask; fs->slots[j].node != NULL; j = (j + 1) & mask) {
		size_t home = home_of(fs, fs->slots[j].id);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			fs->slots[i] = fs->slots[j];
			i = j;
		}
	}
	fs->slots[i] = (struct ovl_slot){0};
	fs->nnodes--;
}

struct ovl_node *ovl_node_by_id(struct ovl_fs *fs, fuse_ino_t nodeid)
{
	if (nodeid == FUSE_ROOT_ID)
		return fs->root;
	pthread_mutex_lock(&fs->table_lock);
	struct ovl_node *n = table_find(fs, nodeid);
	pthread_mutex_unlock(&fs->table_lock);
	return n;
}

struct ovl_node *ovl_node_hold(struct ovl_fs *fs, fuse_ino_t nodeid)
{
	pthread_mutex_lock(&fs->table_lock);
	struct ovl_node *n = nodeid == FUSE_ROOT_ID ? fs->root : table_find(fs, nodeid);
	if (n != NULL)
		n->refs++;
	pthread_mutex_unlock(&fs->table_lock);
	return n;
}

struct ovl_node *ovl_node_find_ino(struct ovl_fs *fs, ino_t ino)
{
	if (fs->root != NULL && fs->root->ino == ino)
		return fs->root;
	return ovl_node_by_id(fs, ovl_nodeid_for_ino(ino));
}

struct ovl_node *ovl_node_get(struct ovl_fs *fs, ino_t ino, struct ovl_node *parent,
			      const char *name, mode_t type, bool count_lookup)
{
	if (fs->root != NULL && ino == fs->root->ino)
		return fs->root;
	fuse_ino_t id = ovl_nodeid_for_ino(ino);
	pthread_mutex_lock(&fs->table_lock);
	struct ovl_node *n = table_find(fs, id);
	if (n != NULL) {
		if (count_lookup)
			n->nlookup++;
		pthread_mutex_unlock(&fs->table_lock);
		return n;
	}
	n = calloc(1, sizeof(*n));
	char *nm = strdup(name);
	if (n == NULL || nm == NULL) {
		pthread_mutex_unlock(&fs->table_lock);
		free(n);
		free(nm);
		return NULL;
	}
	n->nodeid = id;
	n->ino = ino;
	n->nlookup = count_lookup ? 1 : 0;
	n->parent = parent;
	n->name = nm;
	n->type = type;
	n->keep_fd = -1;
	if (table_insert(fs, n) < 0) {
		pthread_mutex_unlock(&fs->table_lock);
		free(n);
		free(nm);
		return NULL;
	}
	pthread_mutex_init(&n->lock, NULL);
	if (parent != NULL)
		parent->refs++;
	pthread_mutex_unlock(&fs->table_lock);
	return n;
}

/* Free n and drop the reference it held on its parent, walking up while
 * parents become unused (table_lock held). */
static void release_locked(struct ovl_fs *fs, struct ovl_node *n)
{
	while (n != NULL && n != fs->root && n->nlookup == 0 && n->refs == 0) {
		table_remove(fs, n);
		struct ovl_node *parent = n->parent;
		if (n->keep_fd >= 0)
			close(n->keep_fd);
		ovl_dir_cache_free(n);
		while (n->aliases != NULL) {
			struct ovl_alias *a = n->aliases;
			n->aliases = a->next;
			a->parent->refs--;
			release_locked(fs, a->parent);
			free(a->name);
			free(a);
		}
		free(n->span);
		free(n->name);
		pthread_mutex_destroy(&n->lock);
		free(n);
		if (parent == NULL)
			break;
		parent->refs--;
		n = parent;
	}
}

void ovl_node_ref(struct ovl_fs *fs, struct ovl_node *n)
{
	pthread_mutex_lock(&fs->table_lock);
	n->refs++;
	pthread_mutex_unlock(&fs->table_lock);
}

void ovl_node_unref(struct ovl_fs *fs, struct ovl_node *n)
{
	pthread_mutex_lock(&fs->table_lock);
	n->refs--;
	release_locked(fs, n);
	pthread_mutex_unlock(&fs->table_lock);
}

void ovl_node_forget(struct ovl_fs *fs, struct ovl_node *n, uint64_t nlookup)
{
	pthread_mutex_lock(&fs->table_lock);
	n->nlookup = nlookup > n->nlookup ? 0 : n->nlookup - nlookup;
	release_locked(fs, n);
	pthread_mutex_unlock(&fs->table_lock);
}

int ovl_node_move(struct ovl_fs *fs, struct ovl_node *n, struct ovl_node *parent, const char *name)
{
	char *nm = NULL;
	if (parent != NULL) {
		nm = strdup(name);
		if (nm == NULL)
			return -ENOMEM;
	}
	pthread_mutex_lock(&fs->table_lock);
	struct ovl_node *old = n->parent;
	if (parent != NULL)
		parent->refs++;
	n->parent = parent;
	if (nm != NULL) {
		free(n->name);
		n->name = nm;
	}
	n->loc_valid = false;
	if (old != NULL) {
		old->refs--;
		release_locked(fs, old);
	}
	pthread_mutex_unlock(&fs->table_lock);
	return 0;
}

static bool same_name(const struct ovl_node *p1, const char *n1, const struct ovl_node *p2,
		      const char *n2)
{
	return p1 == p2 && n1 != NULL && n2 != NULL && strcmp(n1, n2) == 0;
}

void ovl_node_note_name(struct ovl_fs *fs, struct ovl_node *n, struct ovl_node *parent,
			const char *name)
{
	if (n->type == S_IFDIR || n == fs->root)
		return;
	pthread_mutex_lock(&fs->table_lock);
	bool known = same_name(n->parent, n->name, parent, name);
	for (struct ovl_alias *a = n->aliases; a != NULL && !known; a = a->next)
		known = same_name(a->parent, a->name, parent, name);
	if (!known && n->parent != NULL) {
		struct ovl_alias *a = calloc(1, sizeof(*a));
		if (a != NULL && (a->name = strdup(name)) != NULL) {
			a->parent = parent;
			parent->refs++;
			a->next = n->aliases;
			n->aliases = a;
		} else {
			free(a); /* without it the name is found again on lookup */
		}
	}
	pthread_mutex_unlock(&fs->table_lock);
}

bool ovl_node_known_as(struct ovl_fs *fs, ino_t ino, const struct ovl_node *parent,
		       const char *name)
{
	fuse_ino_t id = ovl_nodeid_for_ino(ino);
	pthread_mutex_lock(&fs->table_lock);
	const struct ovl_node *n = table_find(fs, id);
	bool known = n != NULL && n->ino == ino && n->nlookup > 0 &&
		     same_name(n->parent, n->name, parent, name);
	for (const struct ovl_alias *a = n != NULL ? n->aliases : NULL; a != NULL && !known;
	     a = a->next)
		known = n->nlookup > 0 && same_name(a->parent, a->name, parent, name);
	pthread_mutex_unlock(&fs->table_lock);
	return known;
}

bool ovl_node_is_last_name(const struct ovl_node *n, const struct ovl_node *parent,
			   const char *name)
{
	if (n->aliases != NULL)
		return false;
	return same_name(n->parent, n->name, parent, name);
}

bool ovl_node_remove_name(struct ovl_fs *fs, struct ovl_node *n, struct ovl_node *parent,
			  const char *name)
{
	if (same_name(n->parent, n->name, parent, name)) {
		struct ovl_alias *a = n->aliases;
		if (a == NULL) {
			ovl_node_move(fs, n, NULL, NULL);
			return false;
		}
		/* Promote another name: the alias's parent reference becomes
		 * the primary one. */
		pthread_mutex_lock(&fs->table_lock);
		n->aliases = a->next;
		struct ovl_node *old = n->parent;
		n->parent = a->parent;
		free(n->name);
		n->name = a->name;
		free(a);
		n->loc_valid = false;
		old->refs--;
		release_locked(fs, old);
		pthread_mutex_unlock(&fs->table_lock);
		return true;
	}
	pthread_mutex_lock(&fs->table_lock);
	for (struct ovl_alias **pa = &n->aliases; *pa != NULL; pa = &(*pa)->next) {
		struct ovl_alias *a = *pa;
		if (same_name(a->parent, a->name, parent, name)) {
			*pa = a->next;
			a->parent->refs--;
			release_locked(fs, a->parent);
			free(a->name);
			free(a);
			break;
		}
	}
	bool named = n->parent != NULL;
	pthread_mutex_unlock(&fs->table_lock);
	return named;
}

int ovl_node_rename_name(struct ovl_fs *fs, struct ovl_node *n, struct ovl_node *oldparent,
			 const char *oldname, struct ovl_node *newparent, const char *newname)
{
	if (same_name(n->parent, n->name, oldparent, oldname) || n->parent == NULL)
		return ovl_node_move(fs, n, newparent, newname);
	ovl_node_remove_name(fs, n, oldparent, oldname);
	ovl_node_note_name(fs, n, newparent, newname);
	return 0;
}

static bool is_below(const struct ovl_node *n, const struct ovl_node *top)
{
	for (; n != NULL; n = n->parent)
		if (n == top)
			return true;
	return false;
}

void ovl_node_invalidate_tree(struct ovl_fs *fs, struct ovl_node *top)
{
	pthread_mutex_lock(&fs->table_lock);
	for (size_t i = 0; i < fs->nslots; i++) {
		struct ovl_node *n = fs->slots[i].node;
		if (n != NULL && is_below(n, top)) {
			n->loc_valid = false;
			ovl_dir_cache_drop(n);
			/* Its file may be a metadata-only copy now. */
			__atomic_store_n(&n->meta, OVL_META_UNKNOWN, __ATOMIC_RELEASE);
			__atomic_add_fetch(&n->copyup_gen, 1, __ATOMIC_RELEASE);
		}
	}
	top->loc_valid = false;
	ovl_dir_cache_drop(top);
	pthread_mutex_unlock(&fs->table_lock);
}
