/* Which opens bypass the mount's page cache (FOPEN_DIRECT_IO).
 *
 * A buffered read of a FUSE file reaches the daemon as readahead requests
 * of 128 KiB, whose data the kernel copies into freshly allocated pages of
 * the mount's own page cache and then again to the reader. A direct read
 * is one request of up to max_write, spliced from the layer's page cache
 * straight into the reader's buffer: a 512 MiB file reads three to four
 * times faster with reads of 128 KiB to 1 MiB. The price: every read() is
 * a round trip whatever its size (4 KiB reads are three times slower),
 * nothing is cached for the next open, and every mmap() of such a file
 * drops the pages other opens cached. Hence direct reads only where they
 * win (measured in docs/architecture/overlay.md, "Reads"):
 *
 *  - the kernel granted FUSE_DIRECT_IO_ALLOW_MMAP (Linux 6.6+): shared
 *    mappings of such files work, and a direct read first writes back
 *    the inode's dirty cached pages (shared writable mappings, the
 *    writeback cache), so it sees what a buffered reader would;
 *  - not with the writeback cache: the kernel then owns the file's size,
 *    and a direct read below it but beyond what has been written back
 *    (an extending write still cached elsewhere in the file) came back
 *    short from the layer file, where a buffered read sees zeros;
 *  - read-only opens of regular files of at least direct_read= bytes;
 *  - not executables (the kernel's exec open) and not ELF files: the
 *    dynamic loader maps libraries in every process, and each mapping of a
 *    direct-io file would drop the cached pages of all the others;
 *  - not a file whose earlier readers showed the page cache serves them
 *    better: it was mapped or spliced (page-cache reads through a direct
 *    open), read in small pieces, or opened DIRECT_OPENS_MAX times, after
 *    which caching it pays for reading it again. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovl.h"

/* The open flag of the kernel's exec and uselib (__FMODE_EXEC), passed on
 * in FUSE_OPEN's flags. */
#define OPEN_EXEC 040

/* A direct read smaller than this counts as small: below it a request per
 * read() costs more than the copy into the page cache it saves. */
#define SMALL_READ (64 * 1024)
/* When small reads through one direct open outnumber the big ones by this
 * much, the file is read through the page cache from then on. A big read
 * counts four small ones: the kernel splits a read() of 1 MiB into a
 * request of max_write and a small one for the rest. */
#define SMALL_READS_MAX 16
/* Direct opens of one file before its reads go to the page cache: a file
 * read over and over is served faster from there (512 MiB: 0.15-0.18 s
 * against 0.21-0.23 s direct), which pays back the one slower buffered
 * read that fills it within some ten more reads. */
#define DIRECT_OPENS_MAX 3

static void use_cache_from_now_on(struct ovl_node *n)
{
	__atomic_store_n(&n->cache_reads, true, __ATOMIC_RELAXED);
}

bool ovl_direct_read_wanted(struct ovl_fs *fs, struct ovl_file *f, int open_flags,
			    const struct stat *st)
{
	struct ovl_node *n = f->node;
	if (fs->opts.direct_read_min <= 0 || fs->opts.writeback ||
	    !(__atomic_load_n(&fs->init_granted, __ATOMIC_ACQUIRE) & OVL_FUSE_DIRECT_IO_ALLOW_MMAP))
		return false;
	if ((open_flags & (O_ACCMODE | O_TRUNC)) != O_RDONLY || (open_flags & OPEN_EXEC) ||
	    __atomic_load_n(&n->cache_reads, __ATOMIC_RELAXED))
		return false;
	if (!S_ISREG(st->st_mode) || st->st_size < fs->opts.direct_read_min)
		return false;
	char magic[4];
	if (pread(f->fd, magic, sizeof(magic), 0) == sizeof(magic) &&
	    memcmp(magic, "\177ELF", sizeof(magic)) == 0)
		return false;
	if (__atomic_add_fetch(&n->direct_opens, 1, __ATOMIC_RELAXED) >= DIRECT_OPENS_MAX)
		use_cache_from_now_on(n);
	return true;
}

void ovl_direct_read_note(struct ovl_file *f, size_t size, uint64_t lock_owner)
{
	/* The kernel names a lock owner in every direct read and in none
	 * that fills the page cache: this open is mapped, or spliced from. */
	if (lock_owner == 0) {
		use_cache_from_now_on(f->node);
		return;
	}
	int balance =
	    __atomic_add_fetch(&f->small_reads, size < SMALL_READ ? 1 : -4, __ATOMIC_RELAXED);
	if (balance >= SMALL_READS_MAX)
		use_cache_from_now_on(f->node);
	else if (balance < -1000000)
		__atomic_store_n(&f->small_reads, 0, __ATOMIC_RELAXED);
}
