/* Unpacking one layer tar (plain, gzip or zstd) into a snapshot directory.
 *
 * A layer is hostile input. Every entry is written through directory fds
 * opened one component at a time with O_NOFOLLOW below the snapshot root,
 * so no symlink is ever followed and ".." never appears (names with ".."
 * or a leading "/" are refused outright). An entry whose parent is a
 * symlink, a hard link to a name that is not a file of this layer, and an
 * invalid whiteout stop the unpack with an error; the caller then throws
 * the whole snapshot away. Device nodes cannot be made in a user namespace
 * and are skipped with a warning.
 *
 * The snapshot holds the layer as an overlay lower directory:
 *   ".wh.NAME"        -> a 0/0 character device NAME (overlayfs' whiteout),
 *                        or, where the kernel refuses mknod, an empty file
 *                        ".wh.NAME" (fuse-overlayfs' form)
 *   ".wh..wh..opq"    -> the xattr user.overlay.opaque="y" on the directory
 * Ownership is set with lchown where the id is mapped in the sandbox; else
 * the wanted "uid:gid:0mode" is stored in user.containers.override_stat
 * (the containers/storage format that fuse-overlayfs and hutch-overlay
 * read) and set-id bits are left off the real mode. */
#ifndef HUTCH_IMAGE_UNPACK_H
#define HUTCH_IMAGE_UNPACK_H

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

#define XATTR_OVERRIDE_STAT "user.containers.override_stat"
#define XATTR_OVERLAY_OPAQUE "user.overlay.opaque"

struct unpack_result {
	char diff_id[DIGEST_STR_LEN + 1]; /* sha256 of the uncompressed tar */
	uint64_t size;			  /* bytes of regular file data */
	uint64_t entries;
	uint64_t skipped_devices;
	uint64_t overridden; /* entries whose owner went into the xattr */
};

/* Unpack the layer read from blob_fd into the directory root_fd. With
 * expected_diff_id set, a different uncompressed digest is an error.
 *
 * follow_fd >= 0: blob_fd is still being downloaded, and the layer is
 * unpacked as it arrives. At the end of the data so far, the unpacker
 * reads follow_fd: any byte means more data, a 'v' that the download is
 * complete and verified, EOF that it was abandoned (an error). The unpack
 * succeeds only after a 'v'. */
int layer_unpack(int blob_fd, int follow_fd, int root_fd, const char *expected_diff_id,
		 struct unpack_result *res, hutch_error *err);

/* Remove name (file or whole tree) below dirfd without following
 * symlinks. A missing name is not an error. */
int tree_remove_at(int dirfd, const char *name, hutch_error *err);

#endif
