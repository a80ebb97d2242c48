/* hutch-overlay's mount options: the -o syntax of fuse-overlayfs, parsed
 * strictly (an unknown option is an error) so a typo never turns into a
 * silently different filesystem. */
#ifndef HUTCH_OVL_OPTIONS_H
#define HUTCH_OVL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* direct_read= default: see "Reads" in docs/architecture/overlay.md. */
#define OVL_DIRECT_READ_DEFAULT (1L << 20)

/* One range of an id mapping: ids [view, view+size) seen through the mount
 * are [host, host+size) on the layers. */
struct ovl_id_range {
	uint32_t view;
	uint32_t host;
	uint32_t size;
};

struct ovl_id_map {
	struct ovl_id_range *ranges;
	size_t n;
};

struct ovl_options {
	char **lowerdirs; /* NULL-terminated, top layer first */
	char *upperdir;	  /* NULL: read-only mount */
	char *workdir;
	struct ovl_id_map uidmap, gidmap;
	bool squash_to_root;
	long squash_to_uid; /* -1: not set */
	long squash_to_gid;
	int xattr_permissions; /* 0, 1 or 2 */
	bool static_nlink;
	bool noxattrs;
	bool noacl;
	double timeout; /* kernel entry/attr cache, seconds */
	bool threaded;
	bool writeback;
	bool fsync;
	/* A change of metadata only copies a file's metadata up; its data
	 * stays below until something changes it (metacopy.c). */
	bool metacopy;
	bool volatile_mode;
	bool read_only;
	unsigned max_write; /* 0: the largest libfuse allows */
	/* Read-only opens of regular files of at least this many bytes
	 * bypass the mount's page cache where the kernel allows it (see
	 * ops-file.c); 0: never. */
	long direct_read_min;
	char *fuse_mount_opts; /* options handed to libfuse, comma separated */
	char *fsname;
};

/* Fill defaults. */
void ovl_options_init(struct ovl_options *o);
void ovl_options_free(struct ovl_options *o);

/* Parse one -o argument (comma separated, may be given several times).
 * A backslash escapes the next character, so "\," and "\:" keep a comma or
 * a colon inside a value. */
int ovl_options_parse(struct ovl_options *o, const char *arg, hutch_error *err);

/* Split "A:B\:C" into {"A", "B:C", NULL}. */
char **ovl_split_layers(const char *s, hutch_error *err);

/* Parse "view:host:size[:view:host:size...]" (fuse-overlayfs's form). */
int ovl_parse_id_map(const char *s, struct ovl_id_map *out, hutch_error *err);

/* Map an id between the layers (host) and the mount (view). An id outside
 * every range maps to the overflow id 65534. An empty map is the identity. */
uint32_t ovl_id_to_view(const struct ovl_id_map *m, uint32_t host);
uint32_t ovl_id_to_host(const struct ovl_id_map *m, uint32_t view);

#endif
