/* hutch-overlay's shared state: the layer stack, the node table and the
 * helpers every group of FUSE operations uses.
 *
 * Layers are numbered from the top: layer 0 is the upper (writable) layer
 * when there is one, then the lower layers in the order of lowerdir=.
 *
 * A node is one inode of the merged view. The table keys it by its
 * presented inode number, which is an injective function of the (device,
 * inode) of the file it originally came from (its origin), so a file keeps
 * its node and its number when it is copied up, and every hard link of a
 * file shares one node. Nodes know their place in the merged tree (parent
 * and name) because the underlying file may move between layers: every
 * operation addresses it by path relative to the root of its layer.
 *
 * Locking: fs->tree_lock (rwlock) protects the tree shape (parent, name),
 * nodes' layer/span fields and the directory caches; operations that change
 * the tree or copy up take it for writing. fs->table_lock protects the hash
 * table and the reference counts. Reads and writes on an open file take
 * neither. */
#ifndef HUTCH_OVL_H
#define HUTCH_OVL_H

#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
#include <limits.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "options.h"

/* Private xattrs, never shown in the merged view. */
#define OVL_XATTR_ORIGIN "user.hutch.origin"
#define OVL_XATTR_PREFIX "user.hutch."
#define OVL_XATTR_OPAQUE_USER "user.overlay.opaque"
#define OVL_XATTR_OPAQUE_TRUSTED "trusted.overlay.opaque"
#define OVL_XATTR_OVERRIDE_USER "user.containers.override_stat"
#define OVL_XATTR_OVERRIDE_PRIV "security.containers.override_stat"
/* A 0/0 character device made through the mount (a whiteout of an overlay
 * that uses this mount as a layer, mknod or RENAME_WHITEOUT) cannot be
 * stored as one: that is this overlay's own whiteout. It is an empty
 * regular file with this xattr, and its directory (in that layer) is
 * marked so listings know to look for them. */
#define OVL_XATTR_ESCAPED_WH "user.hutch.escaped-whiteout"
#define OVL_XATTR_ESCAPED_WH_DIR "user.hutch.has-escaped-whiteouts"
/* A metadata-only copy (metacopy.c): the upper file has the size but not
 * the data, which is still in the lower file this names ("N:PATH", N the
 * layer's place in lowerdir= counted from 1, PATH relative to its root). */
#define OVL_XATTR_METACOPY "user.hutch.metacopy"
#define OVL_WH_PREFIX ".wh."
#define OVL_WH_OPAQUE ".wh..wh..opq"

struct ovl_layer {
	char *path; /* absolute */
	int fd;	    /* O_PATH directory of the layer's root */
	dev_t dev;
	unsigned dev_index; /* index among the distinct devices of the stack */
};

struct dir_cache;
struct ovl_node;

/* The origin numbers named in work/index (link-index.c): an open-addressed
 * set, 0 marking a free slot. */
struct ovl_link_index {
	uint64_t *slots;
	size_t cap, n;
	bool has_zero;
	bool incomplete; /* out of memory once: every answer is "maybe" */
};

/* Another name of a hard-linked file that the kernel looked up. */
struct ovl_alias {
	struct ovl_node *parent;
	char *name;
	struct ovl_alias *next;
};

struct ovl_node {
	fuse_ino_t nodeid;
	ino_t ino; /* presented st_ino */
	uint64_t nlookup;
	unsigned refs; /* children and operations in flight */

	struct ovl_node *parent; /* NULL once unlinked */
	char *name;
	/* Names besides (parent, name) known to the kernel (hard links): when
	 * the primary name goes, one of these takes its place. */
	struct ovl_alias *aliases;
	mode_t type; /* S_IFMT bits */
	bool loc_valid;
	int layer; /* topmost layer holding the entry */
	/* Directories: the layers holding this directory, top first, cut
	 * after an opaque one. */
	int *span;
	int nspan;
	struct dir_cache *cache;
	/* The last listing dropped, until the next is built: names it had
	 * keep their readdir offsets in the new one. */
	struct dir_cache *old_cache;

	pthread_mutex_t lock; /* open files and copy-up generation */
	unsigned copyup_gen;
	int open_count;
	/* Reads of this file through direct-io opens (direct-read.c): how
	 * many such opens it had, and whether its readers are better served
	 * by the page cache from now on. */
	unsigned char direct_opens;
	bool cache_reads;
	/* Whether the upper file is a metadata-only copy (OVL_META_*), and
	 * then the blocks its data takes in the lower file. */
	unsigned char meta;
	blkcnt_t data_blocks;
	/* Its content was stored in the kernel's page cache (prefill.c). */
	bool prefilled;
	int keep_fd;	 /* O_PATH fd kept after the last name went away */
	bool keep_upper; /* keep_fd is the upper file (may be written) */
	/* Made through this mount and no xattr set on it since: it has no
	 * security.capability, which the kernel asks for before the first
	 * write and every chown (tree_lock). */
	bool caps_absent;
};

struct ovl_fs {
	struct ovl_options opts;
	struct ovl_layer *layers;
	int nlayers;
	bool has_upper;
	int workfd;			  /* work dir, -1 without upper */
	int indexfd;			  /* work/index: copied-up hard links, by origin */
	struct ovl_link_index link_index; /* its names (under index_lock) */
	bool single_dev;
	bool mknod_whiteout; /* upper accepts 0/0 character devices */
	/* Upper is ext4 or XFS: their journal commits a rename after the
	 * block allocations made before it, so a copy-up's data need only be
	 * written, not synced, before its rename (see copyup.c). */
	bool upper_orders_renames;
	/* The kernel lets opendir answer ENOSYS: no OPENDIR and RELEASEDIR
	 * round trips; readdir works from the node's listing. */
	bool no_opendir;
	/* The kernel's INIT request (session-io.c): its unique id until the
	 * reply is sent, the flags it offered, and the flags hutch-overlay
	 * added to libfuse's reply from those (ovl_init_extra_flags). */
	uint64_t init_unique;
	uint64_t init_offered;
	uint64_t init_granted;
	uid_t euid;
	gid_t egid;
	struct fuse_session *se;

	pthread_rwlock_t tree_lock;
	pthread_mutex_t table_lock;
	pthread_mutex_t index_lock;
	struct ovl_slot {
		fuse_ino_t id;
		struct ovl_node *node; /* NULL: a free slot */
	} * slots;		       /* the node table (inodes.c) */
	size_t nslots;
	size_t nnodes;
	struct ovl_node *root;
	atomic_ulong tmp_counter;
};

static inline struct ovl_fs *ovl_fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static inline bool ovl_is_upper(const struct ovl_fs *fs, int layer)
{
	return fs->has_upper && layer == 0;
}

static inline bool ovl_is_whiteout_name(const char *name)
{
	return strncmp(name, OVL_WH_PREFIX, sizeof(OVL_WH_PREFIX) - 1) == 0;
}

/* session-io.c: /dev/fuse I/O that also passes FUSE_TMPFILE on (to
 * ovl_op_create, as a create of the name "/"). */
int ovl_session_io_install(struct fuse_session *se);

/* Linux 6.6+: a file opened with FOPEN_DIRECT_IO may be mapped shared, and
 * its direct reads first write back dirty cached pages of the inode. Not
 * in the kernel headers of Debian 12 (6.1). */
#define OVL_FUSE_DIRECT_IO_ALLOW_MMAP (1ULL << 36)

/* INIT flags beyond libfuse's that this mount wants (main.c); the ones the
 * kernel offers are added to the INIT reply (session-io.c). */
uint64_t ovl_init_extra_flags(const struct ovl_fs *fs);

/* loop.c: the multithreaded session loop (up to max_threads threads); a
 * quick request is served by the thread that read it. */
int ovl_session_loop(struct fuse_session *se, int max_threads);
/* Called by a request that found it will take long: the thread stops
 * being the one that reads /dev/fuse, so others are not held up. */
void ovl_loop_detach(void);

/* inodes.c */
int ovl_table_init(struct ovl_fs *fs);
ino_t ovl_make_ino(const struct ovl_fs *fs, int layer, ino_t ino);
fuse_ino_t ovl_nodeid_for_ino(ino_t ino);
/* Find or create the node for a presented inode number; a new node is
 * placed at (parent, name). Takes a lookup reference when count_lookup. */
struct ovl_node *ovl_node_get(struct ovl_fs *fs, ino_t ino, struct ovl_node *parent,
			      const char *name, mode_t type, bool count_lookup);
struct ovl_node *ovl_node_by_id(struct ovl_fs *fs, fuse_ino_t nodeid);
struct ovl_node *ovl_node_find_ino(struct ovl_fs *fs, ino_t ino);
/* The node with this id with a reference taken (ovl_node_unref ends it),
 * for a thread that serves no request: the kernel may forget any node
 * meanwhile. NULL when there is none. */
struct ovl_node *ovl_node_hold(struct ovl_fs *fs, fuse_ino_t nodeid);
void ovl_node_ref(struct ovl_fs *fs, struct ovl_node *n);
void ovl_node_unref(struct ovl_fs *fs, struct ovl_node *n);
void ovl_node_forget(struct ovl_fs *fs, struct ovl_node *n, uint64_t nlookup);
/* Move a node in the tree (tree_lock held for writing). NULL parent
 * detaches it. */
int ovl_node_move(struct ovl_fs *fs, struct ovl_node *n, struct ovl_node *parent, const char *name);
/* Hard links: remember that the kernel knows n also as (parent, name). */
void ovl_node_note_name(struct ovl_fs *fs, struct ovl_node *n, struct ovl_node *parent,
			const char *name);
/* A name of n went away (tree_lock held for writing): another known name
 * becomes the primary one, or n is detached. Returns true when n still has
 * a name. */
bool ovl_node_remove_name(struct ovl_fs *fs, struct ovl_node *n, struct ovl_node *parent,
			  const char *name);
/* A name of n moved (tree_lock held for writing). */
int ovl_node_rename_name(struct ovl_fs *fs, struct ovl_node *n, struct ovl_node *oldparent,
			 const char *oldname, struct ovl_node *newparent, const char *newname);
/* Whether the kernel holds a lookup of the node with inode number ino
 * and knows it by the name (parent, name). */
bool ovl_node_known_as(struct ovl_fs *fs, ino_t ino, const struct ovl_node *parent,
		       const char *name);
/* True when (parent, name) is the last name of n the overlay knows. */
bool ovl_node_is_last_name(const struct ovl_node *n, const struct ovl_node *parent,
			   const char *name);
/* Mark the locations of n and every node below it stale. */
void ovl_node_invalidate_tree(struct ovl_fs *fs, struct ovl_node *n);

/* layers.c */
/* Path of a node relative to the layer roots ("." for the root); returns
 * -ENAMETOOLONG or -ENOENT (node unlinked). */
int ovl_node_path(const struct ovl_node *n, char *buf, size_t size);
int ovl_child_path(const struct ovl_node *parent, const char *name, char *buf, size_t size);
/* Absolute path of rel in a layer (for the *xattr calls that have no *at
 * form). */
int ovl_abs_path(const struct ovl_fs *fs, int layer, const char *rel, char *buf, size_t size);
bool ovl_stat_is_whiteout(const struct stat *st);
int ovl_dir_is_opaque(const struct ovl_fs *fs, int layer, const char *rel);
/* Look up name under rel in the given layers (a directory span). Returns 0
 * with *layer_out and *st set, or -ENOENT (absent or whited out). */
int ovl_probe(const struct ovl_fs *fs, const int *span, int nspan, const char *rel, struct stat *st,
	      int *layer_out);
/* Like ovl_probe(); *wh_layer is the layer whose whiteout hid the name, or
 * -1 when no layer of the span has it at all. */
int ovl_probe_wh(const struct ovl_fs *fs, const int *span, int nspan, const char *rel,
		 struct stat *st, int *layer_out, int *wh_layer);
/* True when rel exists in a layer of span below the given layer (so a
 * removal there needs a whiteout). */
bool ovl_exists_below(const struct ovl_fs *fs, const int *span, int nspan, int above,
		      const char *rel);
/* Recompute n's layer and span from its parent (tree_lock held). */
int ovl_node_locate(struct ovl_fs *fs, struct ovl_node *n);
/* Record where a lookup found n (parent located, tree_lock held). */
int ovl_node_set_location(struct ovl_fs *fs, struct ovl_node *n, int layer, const char *rel,
			  const struct stat *st);
/* Presented inode number of rel found in layer with stat st. */
ino_t ovl_entry_ino(const struct ovl_fs *fs, int layer, const char *rel, const struct stat *st,
		    long *pending_links);
/* The overlay's own xattrs of an upper file whose mode denies its owner
 * (the daemon, without CAP_DAC_OVERRIDE) reading or writing them (a file
 * chmodded 0200 or 0444 through the mount): ovl_owner_grant gives the
 * owner the bits for the time, if the daemon owns the file and they are
 * missing, and returns true with old filled; ovl_owner_ungrant puts the
 * mode back. One grant at a time. */
bool ovl_owner_grant(const char *abs, bool follow, mode_t bits, struct stat *old);
void ovl_owner_ungrant(const char *abs, const struct stat *old);
/* Each grant is written down in the work dir first (owner-grant.c):
 * ovl_grant_bits records, then adds bits to the mode of the upper file abs
 * (its stat old), and undoes the record if the chmod fails; once the bits
 * are taken away again, ovl_grant_forget drops the record. At mount,
 * before any request: ovl_grant_setup, then ovl_grant_undo for each work
 * dir entry that ovl_grant_is_record (left by a killed daemon): it takes
 * the bits away if the file still is that inode and has them, and
 * removes the record. */
void ovl_grant_setup(int workfd, const char *upper_path);
/* Open rel beneath the directory dirfd (layers.c): no absolute path, no
 * "..", no symlink on the way (the paths the overlay records were found
 * through directories of that layer). -errno on failure. */
int ovl_open_beneath(int dirfd, const char *rel, int flags);
bool ovl_grant_is_record(const char *name);
void ovl_grant_undo(int workfd, int upperfd, const char *name);
bool ovl_grant_bits(const char *abs, const struct stat *old, mode_t bits);
void ovl_grant_forget(const char *abs, ino_t ino);
/* getxattr (follow) or lgetxattr of an upper file's own xattr, with owner
 * read granted for the call when its mode denies it. */
ssize_t ovl_upper_getxattr(const char *abs, bool follow, const char *name, void *v, size_t size);
/* A fresh name for the work dir ("#hutch-PID-N": leftovers are removed at
 * the next mount). */
int ovl_tmpname(struct ovl_fs *fs, char *buf, size_t size);
int ovl_make_whiteout(struct ovl_fs *fs, const char *rel);
/* Create an escaped whiteout (see OVL_XATTR_ESCAPED_WH) at rel in upper;
 * the caller sets its owner. */
int ovl_make_escaped_whiteout(struct ovl_fs *fs, const char *rel, mode_t mode);
/* True when rel in layer (a regular file of size 0) is an escaped
 * whiteout. */
bool ovl_is_escaped_whiteout(const struct ovl_fs *fs, int layer, const char *rel);
int ovl_remove_whiteout(struct ovl_fs *fs, const char *rel);
int ovl_set_opaque(struct ovl_fs *fs, const char *rel);

/* dirs.c */
/* Readdir offsets: "." is 1, ".." 2, entries from 3 on. */
#define OVL_DIR_FIRST_OFF 3
struct dir_entry {
	char *name;
	unsigned char d_type;
	int layer;   /* -1: removed since the listing was built */
	ino_t d_ino; /* in its layer */
	/* The readdir offset of the entry: a name keeps it across rebuilt
	 * listings, new names get higher ones, so a reader that stopped at
	 * an offset sees every name that stayed exactly once. */
	uint64_t off;
	/* The inode number of the node a listing last gave the kernel with
	 * this name (0: none yet); written under the shared tree_lock, so
	 * only atomically. */
	ino_t given_ino;
	/* The listing's stats[] holds this entry's stat, taken when the
	 * listing was built ahead and not used yet (claimed atomically). */
	bool prestat;
};
struct dir_cache {
	atomic_int refs;
	struct dir_entry *entries; /* by offset */
	size_t n;		   /* entries, removed ones included */
	size_t live;		   /* entries not removed */
	size_t *hash;		   /* open addressing, index+1, 0 = empty */
	size_t hsize;
	uint64_t next_off; /* for the next new name */
	/* Built ahead (prefetch.c): the stats of lower entries, by entry
	 * index, until each was used once (then freed). */
	struct stat *stats;
	atomic_size_t stats_left;
};
/* The merged listing of a directory node, built once and kept until the
 * directory changes (tree_lock held, read or write). Returns a reference. */
struct dir_cache *ovl_dir_cache_get(struct ovl_fs *fs, struct ovl_node *dir, int *errp);
void ovl_dir_cache_put(struct dir_cache *c);
/* Build dir's listing now, with the stats of its lower entries, if it has
 * none (tree_lock held for reading, dir located); true when it did. */
bool ovl_dir_cache_build_ahead(struct ovl_fs *fs, struct ovl_node *dir);
/* Claim the stat of entry i taken when the listing was built ahead: true
 * (and *st filled, when not NULL) the first time only. */
bool ovl_dir_cache_take_stat(struct dir_cache *c, size_t i, struct stat *st);
/* The entry of name, NULL when the listing does not have it (or it was
 * removed). */
const struct dir_entry *ovl_dir_cache_find(const struct dir_cache *c, const char *name);
/* Index of the first entry with an offset above off. */
size_t ovl_dir_cache_after(const struct dir_cache *c, uint64_t off);
/* The directory changed (tree_lock held for writing): its listing is
 * built anew when next needed, keeping the offsets of the names it had. */
void ovl_dir_cache_drop(struct ovl_node *dir);
/* Free the listings of a node that goes away. */
void ovl_dir_cache_free(struct ovl_node *dir);
/* name went away from dir (tree_lock held for writing): mark it removed in
 * dir's listing, if dir has one. */
void ovl_dir_cache_remove(struct ovl_node *dir, const char *name);

/* link-index.c: the hard-link index's names in memory. Read them at mount
 * (indexfd open); a later link into the index is noted first. */
int ovl_link_index_load(struct ovl_fs *fs);
/* False when work/index certainly has no entry for origin ino. */
bool ovl_link_index_may_have(struct ovl_fs *fs, ino_t ino);
void ovl_link_index_note(struct ovl_fs *fs, ino_t ino);
void ovl_link_index_free(struct ovl_fs *fs);

/* copyup.c */
enum ovl_copy {
	/* Only metadata changes: a regular file's data may stay below
	 * (metacopy=1). */
	OVL_COPY_META,
	/* The data is about to change: it must be in the upper file. */
	OVL_COPY_DATA,
	/* The caller truncates the file to 0 at once: no data needed. */
	OVL_COPY_EMPTY,
};
/* Give n a copy in the upper layer with what the caller needs
 * (tree_lock held for writing); completes a metadata-only copy when the
 * data is needed. */
int ovl_copy_up(struct ovl_fs *fs, struct ovl_node *n, enum ovl_copy what);
/* Copy the data extents of src (size bytes) to dst, keeping holes. */
int ovl_copy_data(int src, int dst, off_t size);
/* Make the data of dst durable before a rename or xattr change shows it
 * (sync_file_range on ext4/XFS, fsync elsewhere). */
int ovl_make_copy_safe(const struct ovl_fs *fs, int fd);

/* metacopy.c: metadata-only copies. */
enum { OVL_META_UNKNOWN, OVL_META_NONE, OVL_META_YES };
/* Record in the new copy fd (its data not copied, its size set) that its
 * data is rel in layer. */
int ovl_metacopy_mark(int fd, int layer, const char *rel);
/* Whether n's upper file (located, or the upper fd n keeps) is a
 * metadata-only copy: OVL_META_YES or OVL_META_NONE (tree_lock held). */
int ovl_metacopy_state(struct ovl_fs *fs, struct ovl_node *n);
/* The lower file holding the data of n's metadata-only upper file
 * upper_fd, opened with flags (read-only) beneath its layer's root:
 * -ENODATA when upper_fd has all its data, -EIO (logged) when the record
 * names no file or one that does not fit. */
int ovl_metacopy_open_data(struct ovl_fs *fs, struct ovl_node *n, int upper_fd, int flags);
/* n's upper file needs its data (tree_lock held for writing): copy it
 * from the lower file into the same inode, make it durable, and only then
 * drop the record. With empty (the caller truncates to 0) the file is
 * truncated and the record dropped. Nothing when n's upper file is
 * complete. Bumps n's generation, so handles reading the lower file move
 * to the upper one. */
int ovl_metacopy_complete(struct ovl_fs *fs, struct ovl_node *n, bool empty);
/* st (n's upper file at rel) as the merged view shows it: a metadata-only
 * copy takes the blocks of its data in the lower file. */
void ovl_metacopy_present(struct ovl_fs *fs, struct ovl_node *n, const char *rel, struct stat *st);
/* Make sure the directory node exists in upper. */
int ovl_copy_up_dir_chain(struct ovl_fs *fs, struct ovl_node *dir);
/* Copy up a whole merged tree at rel (for directory renames). */
int ovl_copy_up_tree(struct ovl_fs *fs, struct ovl_node *dir);
/* Link the copied-up file with origin ino (from the index) at rel in upper
 * when it exists; returns 1 when linked, 0 when not indexed. */
int ovl_index_link(struct ovl_fs *fs, ino_t ino, const char *rel);
/* After one name of a hard-linked file went away: when the name the node
 * now goes by is still a lower name of a copied-up file, link it to the
 * copy, so the node shows the copy (tree_lock held for writing). */
int ovl_settle_links(struct ovl_fs *fs, struct ovl_node *n);

/* FUSE_HANDLE_KILLPRIV_V2 granted: set-id bits are ours to clear on write,
 * truncate and fallocate (ops-file.c, ops-entry.c; chown clears them by
 * itself), and the kernel no longer asks for security.capability before
 * every write nor for the attributes before every chown. */
static inline bool ovl_kills_setid(const struct ovl_fs *fs)
{
	return (__atomic_load_n(&fs->init_granted, __ATOMIC_ACQUIRE) & FUSE_HANDLE_KILLPRIV_V2) !=
	       0;
}

/* ownership.c */
void ovl_present_stat(const struct ovl_fs *fs, int layer, const char *rel, struct stat *st);
/* The parts of ovl_present_stat(): an escaped whiteout shown as the 0/0
 * device it stands for, and owner (and, with xattr_permissions, mode). */
void ovl_present_as_whiteout_device(struct stat *st);
void ovl_present_owner(const struct ovl_fs *fs, int layer, const char *rel, struct stat *st);
/* Host ids for a new file created by the caller of req. */
void ovl_creator_ids(const struct ovl_fs *fs, fuse_req_t req, uid_t *uid, gid_t *gid);
/* Ownership of an upper file: rel in upper (and its open fd, or -1), or,
 * with rel NULL, a file that has no name (O_TMPFILE) by its fd. */
int ovl_set_new_owner(struct ovl_fs *fs, int fd, const char *rel, uid_t uid, gid_t gid,
		      mode_t mode);
int ovl_chown(struct ovl_fs *fs, int fd, const char *rel, bool is_link, uid_t view_uid,
	      gid_t view_gid);
int ovl_chmod(struct ovl_fs *fs, int fd, const char *rel, mode_t type, mode_t mode);
/* The bits of the mode the open file fd presents (its real mode, or the
 * one xattr_permissions keeps) that a write by an unprivileged user
 * clears: S_ISUID, and S_ISGID with group execute; 0 for none. */
mode_t ovl_fd_write_cleared_bits(const struct ovl_fs *fs, int fd);
/* Clear bits from the real mode of fd and from the mode kept in its
 * override xattr. */
int ovl_fd_clear_mode_bits(const struct ovl_fs *fs, int fd, mode_t bits);
bool ovl_xattr_is_private(const struct ovl_fs *fs, const char *name);
const char *ovl_override_xattr(const struct ovl_fs *fs);

/* ops-*.c */
struct ovl_file {
	struct ovl_fs *fs;
	int fd;
	int flags;
	unsigned gen;
	struct ovl_node *node;
	pthread_mutex_t lock;
	/* fds replaced after a copy-up, closed at release: a read in another
	 * thread may still be using one. */
	int old_fds[4];
	int nold;
	bool direct;	 /* opened with FOPEN_DIRECT_IO */
	int small_reads; /* small direct reads less big ones (direct-read.c) */
};

/* Whether the new read-only open f (kernel's open flags open_flags) of the
 * regular file st bypasses the mount's page cache (direct-read.c). */
bool ovl_direct_read_wanted(struct ovl_fs *fs, struct ovl_file *f, int open_flags,
			    const struct stat *st);
/* Before answering the read-only open f of node ino (st: its file, the
 * tree_lock held shared): store a small file's content in the kernel's
 * page cache (prefill.c). */
void ovl_prefill(struct ovl_fs *fs, struct ovl_file *f, fuse_ino_t ino, const struct stat *st);
/* A read request of size bytes through the direct-io open f, from a
 * lock_owner the kernel sent (0 for reads into the page cache). */
void ovl_direct_read_note(struct ovl_file *f, size_t size, uint64_t lock_owner);

/* Open a node's current file (tree_lock held); detached nodes are reached
 * through the fd kept when their last name went away. */
int ovl_open_node(struct ovl_fs *fs, struct ovl_node *n, int flags);
int ovl_prepare_new_name(struct ovl_fs *fs, struct ovl_node *parent, const char *name, char *rel,
			 size_t size);
/* Remember an O_PATH fd of n before its name goes away while it is in use. */
void ovl_node_keep(struct ovl_fs *fs, struct ovl_node *n, int layer, const char *rel);
/* trash.c: take an upper directory (only whiteouts are left in it) out of
 * upper at once; it is deleted in the background. */
int ovl_remove_upper_dir(struct ovl_fs *fs, const char *rel);

/* Resolve a node for a request and make its location current; on failure
 * replies with an error and returns NULL. */
struct ovl_node *ovl_req_node(fuse_req_t req, fuse_ino_t nodeid);
int ovl_do_lookup(struct ovl_fs *fs, struct ovl_node *parent, const char *name,
		  struct fuse_entry_param *e);
/* A lookup of a name of parent's listing (at rel) whose stat in layer is
 * known already. */
int ovl_lookup_listed(struct ovl_fs *fs, struct ovl_node *parent, const char *name, const char *rel,
		      int layer, struct stat *st, struct fuse_entry_param *e);
/* prefetch.c: build the listings of these directories (node ids, in the
 * order a walk will read them) ahead, on a thread of their own. */
void ovl_prefetch_dirs(struct ovl_fs *fs, const fuse_ino_t *ids, size_t n);
/* Where name (at rel) in the located dir parent is: from parent's listing
 * when it has one, else by probing its layers. -ENOENT when absent. */
int ovl_find_child(struct ovl_fs *fs, struct ovl_node *parent, const char *name, const char *rel,
		   struct stat *st, int *layer);
/* The entry for a file just created in upper at rel (stat st): no probing,
 * it cannot be anywhere else. escaped_whiteout: it is one (see
 * OVL_XATTR_ESCAPED_WH). */
int ovl_new_entry(struct ovl_fs *fs, struct ovl_node *parent, const char *name, const char *rel,
		  struct stat *st, bool escaped_whiteout, struct fuse_entry_param *e);
/* Group of a new file in parent: the parent's when it is set-group-ID. */
gid_t ovl_inherit_gid(struct ovl_fs *fs, struct ovl_node *parent, const char *prel, gid_t gid,
		      bool *setgid_dir);
int ovl_node_stat(struct ovl_fs *fs, struct ovl_node *n, struct stat *st);
void ovl_fill_entry(struct ovl_fs *fs, struct fuse_entry_param *e);

void ovl_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void ovl_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void ovl_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);
void ovl_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ovl_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		    struct fuse_file_info *fi);
void ovl_op_statfs(fuse_req_t req, fuse_ino_t ino);
void ovl_op_readlink(fuse_req_t req, fuse_ino_t ino);

void ovl_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ovl_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		   struct fuse_file_info *fi);
void ovl_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void ovl_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off,
		      struct fuse_file_info *fi);
void ovl_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ovl_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ovl_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void ovl_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
		      struct fuse_file_info *fi);
void ovl_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi);

void ovl_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ovl_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void ovl_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi);
void ovl_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ovl_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);

void ovl_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void ovl_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void ovl_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void ovl_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void ovl_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void ovl_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void ovl_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		   const char *newname, unsigned int flags);

void ovl_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		     size_t size, int flags);
void ovl_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void ovl_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void ovl_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

#endif
