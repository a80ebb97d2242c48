/* overlay-ops: system calls that shell tools cannot make, for the overlay
 * tests. Each subcommand prints what it saw and exits non-zero on a
 * mismatch, with a message saying which.
 *
 *   rename FLAGS A B        renameat2 with FLAGS "exchange", "noreplace",
 *                           "whiteout" or "none"; prints the errno name
 *   tmpfile linkable|excl DIR NAME
 *                           O_TMPFILE in DIR, write, fchmod, truncate, link it
 *                           as NAME (with O_EXCL the link must fail)
 *   mmap-shared FILE        write through a shared mapping, check with read
 *   unlink-open FILE        open, unlink, read back, print nlink
 *   cache-coherence FILE LINK
 *                           FILE (a lower file of 64 KiB, LINK another name
 *                           of it) is read into the page cache through a
 *                           descriptor kept open; writes through LINK (the
 *                           copy-up), a shared mapping, truncate and O_TRUNC
 *                           must each show through that descriptor, its
 *                           mapping and a new open
 *   direct-coherence FILE   FILE (at least 1 MiB) is read through a read-only
 *                           descriptor (a direct-io open, with direct_read=1);
 *                           writes through a shared mapping of another
 *                           descriptor (before and after msync and close) and
 *                           through another descriptor (before and after its
 *                           close) must show in its reads; shared and private
 *                           mappings of it must work and agree with its reads
 *   locks FILE              POSIX record locks and flock across processes
 *   random-io FILE REF SEED STEPS
 *                           random pwrite/truncate/punch-hole/mmap/read and
 *                           chmod/utimens/setxattr on FILE and REF (plain
 *                           dir), compare after each step; FILE is opened
 *                           for writing only at the first change of data,
 *                           so the metadata changes before it copy up a
 *                           lower FILE's metadata only
 *   random-tree DIR REF SEED STEPS
 *                           random write/truncate/fallocate/mmap-write/
 *                           rename/link/unlink/create and chmod/utimens/
 *                           setxattr on names d0..d2/f0..f5 in DIR and REF,
 *                           one name held open for reading throughout; after
 *                           each step every name must exist alike, hold the
 *                           same bytes and mode, and share inodes (and link
 *                           counts) alike, and the held descriptors read
 *                           alike
 *   parallel-writers FILE THREADS MIB
 *                           each thread writes its own region; verify all
 *   readers-during-write FILE THREADS
 *                           FILE (a lower file of 'A's, a multiple of 4 KiB,
 *                           made a metadata-only copy by a chmod) is read
 *                           by THREADS readers (pread, O_DIRECT, a shared
 *                           mapping made first, a new open per block)
 *                           while it is opened for writing (the data copy)
 *                           and overwritten with 'B's block by block: a
 *                           block must hold only 'A's and 'B's throughout,
 *                           never zeros, and only 'B's once written
 *   compare A B             byte-compare two files
 *   readdir-paused DIR CMD  read DIR in small getdents64 calls; after the
 *                           first, run CMD with sh -c, then read on; print
 *                           every name seen, one a line
 *   setxattr FILE NAME VALUE / getxattr FILE NAME / listxattr FILE
 *                           (no dependency on the attr package) */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "overlay-ops: %s: %s\n", what, strerror(errno));
	return 1;
}

static int fail(const char *what)
{
	fprintf(stderr, "overlay-ops: %s\n", what);
	return 1;
}

static const char *errname(int e)
{
	switch (e) {
	case 0:
		return "OK";
	case EEXIST:
		return "EEXIST";
	case ENOENT:
		return "ENOENT";
	case EXDEV:
		return "EXDEV";
	case EINVAL:
		return "EINVAL";
	case EPERM:
		return "EPERM";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case ENOTEMPTY:
		return "ENOTEMPTY";
	case EISDIR:
		return "EISDIR";
	case ENOTDIR:
		return "ENOTDIR";
	default:
		return strerror(e);
	}
}

static int cmd_rename(char **a)
{
	unsigned flags = 0;
	if (strcmp(a[0], "exchange") == 0)
		flags = RENAME_EXCHANGE;
	else if (strcmp(a[0], "noreplace") == 0)
		flags = RENAME_NOREPLACE;
	else if (strcmp(a[0], "whiteout") == 0)
		flags = RENAME_WHITEOUT;
	else if (strcmp(a[0], "none") != 0)
		return fail("rename: unknown flag");
	int r = renameat2(AT_FDCWD, a[1], AT_FDCWD, a[2], flags);
	printf("%s\n", errname(r < 0 ? errno : 0));
	return 0;
}

/* O_TMPFILE in DIR: write, fchmod 0640 and truncate the unnamed file
 * (link count 0), then link it as NAME; "excl" opens with O_EXCL, after
 * which linking must fail. Prints OK, or the error of the open or link. */
static int cmd_tmpfile(char **a)
{
	bool excl = strcmp(a[0], "excl") == 0;
	if (!excl && strcmp(a[0], "linkable") != 0)
		return fail("tmpfile: linkable or excl");
	int fd = open(a[1], O_TMPFILE | O_RDWR | O_CLOEXEC | (excl ? O_EXCL : 0), 0644);
	if (fd < 0) {
		printf("open %s\n", errname(errno));
		return 0;
	}
	struct stat st;
	if (write(fd, "tmpfile\nand more", 16) != 16)
		return die("write tmpfile");
	if (fchmod(fd, 0640) < 0 || ftruncate(fd, 8) < 0 || fstat(fd, &st) < 0)
		return die("change tmpfile");
	if (st.st_nlink != 0 || (st.st_mode & 07777) != 0640 || st.st_size != 8)
		return fail("tmpfile: unexpected nlink, mode or size before linking");
	char p[64], dst[4096];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	snprintf(dst, sizeof(dst), "%s/%s", a[1], a[2]);
	if (linkat(AT_FDCWD, p, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) < 0) {
		printf("link %s\n", errname(errno));
		return 0;
	}
	if (fstat(fd, &st) < 0 || st.st_nlink != 1)
		return fail("tmpfile: link count after linking is not 1");
	printf("OK\n");
	return 0;
}

static int cmd_mmap_shared(char **a)
{
	int fd = open(a[0], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return die("open");
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size < 8192)
		return fail("mmap-shared needs a file of at least 8 KiB");
	char *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return die("mmap");
	memcpy(m + 4090, "MAPPED-ACROSS-PAGES", 19);
	if (msync(m, (size_t)st.st_size, MS_SYNC) < 0)
		return die("msync");
	munmap(m, (size_t)st.st_size);
	close(fd);
	fd = open(a[0], O_RDONLY | O_CLOEXEC);
	char buf[19];
	if (fd < 0 || pread(fd, buf, sizeof(buf), 4090) != (ssize_t)sizeof(buf))
		return die("read back");
	if (memcmp(buf, "MAPPED-ACROSS-PAGES", 19) != 0)
		return fail("data written through the mapping is not in the file");
	printf("OK\n");
	return 0;
}

static int cmd_unlink_open(char **a)
{
	int fd = open(a[0], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return die("open");
	if (unlink(a[0]) < 0)
		return die("unlink");
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return die("read after unlink");
	buf[n] = '\0';
	if (pwrite(fd, "W", 1, 0) != 1)
		return die("write after unlink");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return die("fstat after unlink");
	printf("nlink=%lu content=%s", (unsigned long)st.st_nlink, buf);
	return 0;
}

/* The bytes at off, through fd and through a new open of path, are want. */
static int expect_at(int fd, const char *path, off_t off, const char *want, const char *step)
{
	size_t n = strlen(want);
	char buf[64];
	int fresh = open(path, O_RDONLY | O_CLOEXEC);
	if (fresh < 0)
		return die(step);
	for (int i = 0; i < 2; i++) {
		int f = i == 0 ? fd : fresh;
		ssize_t got = pread(f, buf, n, off);
		if (got != (ssize_t)n || memcmp(buf, want, n) != 0) {
			fprintf(stderr, "overlay-ops: after %s, %s reads %.*s, not %s\n", step,
				i == 0 ? "the descriptor opened before" : "a new open",
				got < 0 ? 0 : (int)got, buf, want);
			close(fresh);
			return 1;
		}
	}
	close(fresh);
	return 0;
}

/* A shared writable mapping of size bytes of path, through a new
 * descriptor left in *fd; NULL (said why) on failure. */
static char *map_for_writing(const char *path, size_t size, int *fd)
{
	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd < 0) {
		die("open for the mapping");
		return NULL;
	}
	char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (map == MAP_FAILED) {
		die("mmap for writing");
		close(*fd);
		return NULL;
	}
	return map;
}

static int cmd_cache_coherence(char **a)
{
	const char *path = a[0];
	enum { SIZE = 65536 };
	static char buf[SIZE];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return die("open");
	if (read(fd, buf, SIZE) != SIZE)
		return fail("the file must hold 64 KiB");
	const char *map = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return die("mmap");

	/* Copy-up, through the other name. */
	int w = open(a[1], O_WRONLY | O_CLOEXEC);
	if (w < 0 || pwrite(w, "COPIED-UP", 9, 100) != 9 || close(w) < 0)
		return die("write through the other name");
	if (expect_at(fd, path, 100, "COPIED-UP", "the copy-up"))
		return 1;
	if (memcmp(map + 100, "COPIED-UP", 9) != 0)
		return fail("the mapping made before the copy-up shows the old bytes");

	/* A shared writable mapping of another descriptor. */
	int rw;
	char *wmap = map_for_writing(path, SIZE, &rw);
	if (wmap == NULL)
		return 1;
	memcpy(wmap + 5000, "MAPPED", 6);
	if (msync(wmap, SIZE, MS_SYNC) < 0)
		return die("msync");
	munmap(wmap, SIZE);
	close(rw);
	if (expect_at(fd, path, 5000, "MAPPED", "the write through a mapping"))
		return 1;
	if (memcmp(map + 5000, "MAPPED", 6) != 0)
		return fail(
		    "the read-only mapping does not show the write through another mapping");
	munmap((void *)map, SIZE);

	/* Truncation, then a rewrite with O_TRUNC. */
	if (truncate(path, 6000) < 0)
		return die("truncate");
	if (pread(fd, buf, SIZE, 0) != 6000)
		return fail("after truncate the descriptor opened before reads past the new end");
	if (expect_at(fd, path, 5000, "MAPPED", "truncate"))
		return 1;
	w = open(a[1], O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (w < 0 || write(w, "REWRITTEN", 9) != 9 || close(w) < 0)
		return die("rewrite with O_TRUNC");
	if (pread(fd, buf, SIZE, 0) != 9)
		return fail("after O_TRUNC the descriptor opened before reads the old length");
	if (expect_at(fd, path, 0, "REWRITTEN", "the rewrite with O_TRUNC"))
		return 1;
	close(fd);
	printf("OK\n");
	return 0;
}

/* The bytes at off of the mapping map are want. */
static int expect_mapped(const char *map, off_t off, const char *want, const char *step)
{
	size_t n = strlen(want);
	if (memcmp(map + off, want, n) == 0)
		return 0;
	fprintf(stderr, "overlay-ops: after %s, the mapping shows %.*s, not %s\n", step, (int)n,
		map + off, want);
	return 1;
}

static int cmd_direct_coherence(char **a)
{
	const char *path = a[0];
	enum { SIZE = 1 << 20 };
	static char buf[SIZE];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return die("open");
	if (pread(fd, buf, SIZE, 0) != SIZE)
		return fail("the file must hold at least 1 MiB");

	/* Dirty pages of a shared writable mapping: a direct read writes
	 * them back before it reads. */
	int rw;
	char *wmap = map_for_writing(path, SIZE, &rw);
	if (wmap == NULL)
		return 1;
	memcpy(wmap + 300000, "MAPPED", 6);
	if (expect_at(fd, path, 300000, "MAPPED", "a write through a shared mapping, before msync"))
		return 1;
	if (msync(wmap, SIZE, MS_SYNC) < 0)
		return die("msync");
	if (expect_at(fd, path, 300000, "MAPPED", "msync"))
		return 1;
	munmap(wmap, SIZE);
	close(rw);
	if (expect_at(fd, path, 300000, "MAPPED", "closing the mapped descriptor"))
		return 1;

	/* A writer on another descriptor (with the writeback cache its
	 * data sits in dirty pages until written back). */
	int w = open(path, O_WRONLY | O_CLOEXEC);
	if (w < 0 || pwrite(w, "WRITTEN", 7, 700000) != 7)
		return die("write through another descriptor");
	if (expect_at(fd, path, 700000, "WRITTEN",
		      "a write on another descriptor, before its close"))
		return 1;
	if (close(w) < 0)
		return die("close of the writer");
	if (expect_at(fd, path, 700000, "WRITTEN", "closing the writer"))
		return 1;

	/* Mappings of the read-only descriptor itself. */
	const char *shared = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (shared == MAP_FAILED)
		return die("MAP_SHARED of the read-only descriptor");
	const char *private = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (private == MAP_FAILED)
		return die("MAP_PRIVATE of the read-only descriptor");
	if (expect_mapped(shared, 300000, "MAPPED", "MAP_SHARED") ||
	    expect_mapped(shared, 700000, "WRITTEN", "MAP_SHARED") ||
	    expect_mapped(private, 300000, "MAPPED", "MAP_PRIVATE") ||
	    expect_mapped(private, 700000, "WRITTEN", "MAP_PRIVATE"))
		return 1;
	w = open(path, O_WRONLY | O_CLOEXEC);
	if (w < 0 || pwrite(w, "LATER", 5, 900000) != 5 || close(w) < 0)
		return die("write while mapped");
	if (expect_mapped(shared, 900000, "LATER", "a write while mapped") ||
	    expect_at(fd, path, 900000, "LATER", "a write while mapped"))
		return 1;
	if (pread(fd, buf, SIZE, 0) != SIZE || memcmp(buf, shared, SIZE) != 0)
		return fail("reads of the descriptor and its shared mapping differ");
	munmap((void *)shared, SIZE);
	munmap((void *)private, SIZE);
	close(fd);
	printf("OK\n");
	return 0;
}

static int cmd_locks(char **a)
{
	int fd = open(a[0], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return die("open");
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
	if (fcntl(fd, F_SETLK, &fl) < 0)
		return die("F_SETLK");
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return die("flock");
	pid_t pid = fork();
	if (pid == 0) {
		int fd2 = open(a[0], O_RDWR | O_CLOEXEC);
		struct flock t = {
		    .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
		int posix_blocked =
		    fcntl(fd2, F_SETLK, &t) < 0 && (errno == EAGAIN || errno == EACCES);
		struct flock g = t;
		fcntl(fd2, F_GETLK, &g);
		int flock_blocked = flock(fd2, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
		_exit(posix_blocked && g.l_pid == getppid() && flock_blocked ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return fail("a second process was not kept out by the locks");
	printf("OK\n");
	return 0;
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int compare_fds(int a, int b, const char *step)
{
	struct stat sa, sb;
	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return die("fstat");
	if (sa.st_size != sb.st_size) {
		fprintf(stderr, "overlay-ops: %s: size %lld, reference %lld\n", step,
			(long long)sa.st_size, (long long)sb.st_size);
		return 1;
	}
	static char ba[1 << 16], bb[1 << 16];
	for (off_t off = 0; off < sa.st_size; off += sizeof(ba)) {
		ssize_t na = pread(a, ba, sizeof(ba), off), nb = pread(b, bb, sizeof(bb), off);
		if (na != nb || na < 0 || memcmp(ba, bb, (size_t)na) != 0) {
			fprintf(stderr, "overlay-ops: %s: content differs in the 64 KiB at %lld\n",
				step, (long long)off);
			return 1;
		}
	}
	return 0;
}

static int cmd_compare(char **a)
{
	int x = open(a[0], O_RDONLY | O_CLOEXEC), y = open(a[1], O_RDONLY | O_CLOEXEC);
	if (x < 0 || y < 0)
		return die("open");
	if (compare_fds(x, y, "compare"))
		return 1;
	printf("OK\n");
	return 0;
}

/* A change of metadata only, to the names path and ref: mode, times or an
 * xattr (on a lower file, a metadata-only copy-up). */
static int meta_step(const char *path, const char *ref, int k, char *what, size_t wl)
{
	uint64_t kind = rnd() % 3;
	if (kind == 0) {
		mode_t mode = rnd() % 2 ? 0600 : 0644;
		snprintf(what, wl, "step %d chmod %o %s", k, (unsigned)mode, path);
		if (chmod(path, mode) < 0 || chmod(ref, mode) < 0)
			return die(what);
	} else if (kind == 1) {
		struct timespec ts[2] = {{.tv_sec = (time_t)(rnd() % 1000000000)},
					 {.tv_sec = (time_t)(rnd() % 1000000000)}};
		snprintf(what, wl, "step %d utimens %s", k, path);
		if (utimensat(AT_FDCWD, path, ts, 0) < 0 || utimensat(AT_FDCWD, ref, ts, 0) < 0)
			return die(what);
	} else {
		char v[32];
		snprintf(v, sizeof(v), "%llu", (unsigned long long)(rnd() % 1000));
		snprintf(what, wl, "step %d setxattr %s", k, path);
		if (setxattr(path, "user.random", v, strlen(v), 0) < 0 ||
		    setxattr(ref, "user.random", v, strlen(v), 0) < 0)
			return die(what);
	}
	return 0;
}

/* Apply one random change to both files; mmap writes go through a shared
 * mapping of FILE but a plain pwrite on REF. *fp is FILE opened for
 * writing, opened here at the first change of data; until then reads go
 * through ro. */
static int random_step(const char *path, const char *ref, int ro, int *fp, int r, int k, char *what,
		       size_t wl)
{
	struct stat st;
	fstat(r, &st);
	off_t size = st.st_size;
	off_t max = size + 65536;
	uint64_t op = rnd() % 100;
	static char buf[65536];
	/* The first steps change metadata or read only, through the
	 * descriptor opened before: a lower FILE is then a metadata-only
	 * copy when the first change of data comes. */
	if (*fp < 0 && k < 6)
		op = op < 60 ? 92 : 85;
	if (op >= 92)
		return meta_step(path, ref, k, what, wl);
	if (*fp < 0 && op < 85) {
		*fp = open(path, O_RDWR | O_CLOEXEC);
		if (*fp < 0)
			return die("open for writing");
	}
	int f = op < 85 ? *fp : ro;
	if (op < 55) {
		/* Small writes at random offsets: a database rewriting pages. */
		size_t len = 1 + rnd() % (op < 40 ? 512 : 65536);
		off_t off = (off_t)(rnd() % (uint64_t)max);
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)(rnd() & 0xff);
		snprintf(what, wl, "step %d pwrite %zu@%lld", k, len, (long long)off);
		if (pwrite(f, buf, len, off) != (ssize_t)len ||
		    pwrite(r, buf, len, off) != (ssize_t)len)
			return die(what);
	} else if (op < 65) {
		off_t len = (off_t)(rnd() % (uint64_t)max);
		snprintf(what, wl, "step %d truncate %lld", k, (long long)len);
		if (ftruncate(f, len) < 0 || ftruncate(r, len) < 0)
			return die(what);
	} else if (op < 75 && size > 0) {
		off_t off = (off_t)(rnd() % (uint64_t)size);
		off_t len = 1 + (off_t)(rnd() % 100000);
		snprintf(what, wl, "step %d punch %lld@%lld", k, (long long)len, (long long)off);
		if (fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) < 0 ||
		    fallocate(r, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) < 0)
			return die(what);
	} else if (op < 85 && size > 16) {
		off_t off = (off_t)(rnd() % (uint64_t)(size - 16));
		snprintf(what, wl, "step %d mmap-write 16@%lld", k, (long long)off);
		char *map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
		if (map == MAP_FAILED)
			return die(what);
		for (int i = 0; i < 16; i++)
			buf[i] = (char)(rnd() & 0xff);
		memcpy(map + off, buf, 16);
		msync(map, (size_t)size, MS_SYNC);
		munmap(map, (size_t)size);
		if (pwrite(r, buf, 16, off) != 16)
			return die(what);
	} else {
		off_t off = size > 0 ? (off_t)(rnd() % (uint64_t)size) : 0;
		snprintf(what, wl, "step %d read at %lld", k, (long long)off);
		ssize_t a = pread(f, buf, 4096, off);
		static char b2[4096];
		ssize_t b = pread(r, b2, 4096, off);
		if (a != b || (a > 0 && memcmp(buf, b2, (size_t)a) != 0))
			return fail(what);
	}
	return 0;
}

static int cmd_random_io(char **a)
{
	rng_state = strtoull(a[2], NULL, 10) * 2654435761ULL + 1;
	int steps = atoi(a[3]);
	/* Opened read-only first: that descriptor must follow the copy-ups
	 * (of metadata, then of data). */
	int ro = open(a[0], O_RDONLY | O_CLOEXEC);
	int f = -1;
	int r = open(a[1], O_RDWR | O_CLOEXEC);
	if (ro < 0 || r < 0)
		return die("open");
	char what[160];
	for (int k = 0; k < steps; k++) {
		if (random_step(a[0], a[1], ro, &f, r, k, what, sizeof(what)))
			return 1;
		if ((k % 8 == 0 || k == steps - 1) &&
		    ((f >= 0 && compare_fds(f, r, what)) || compare_fds(ro, r, what)))
			return 1;
	}
	printf("OK %d steps\n", steps);
	return 0;
}

#define TREE_DIRS 3
#define TREE_FILES 6

static void tree_name(char *buf, size_t size, const char *root, int k)
{
	snprintf(buf, size, "%s/d%d/f%d", root, k / TREE_FILES, k % TREE_FILES);
}

/* Compare the two trees name by name. */
static int tree_compare(const char *a, const char *b, const char *step)
{
	const int n = TREE_DIRS * TREE_FILES;
	struct stat sa[TREE_DIRS * TREE_FILES], sb[TREE_DIRS * TREE_FILES];
	bool ea[TREE_DIRS * TREE_FILES], eb[TREE_DIRS * TREE_FILES];
	char pa[4096], pb[4096];
	for (int k = 0; k < n; k++) {
		tree_name(pa, sizeof(pa), a, k);
		tree_name(pb, sizeof(pb), b, k);
		ea[k] = lstat(pa, &sa[k]) == 0;
		eb[k] = lstat(pb, &sb[k]) == 0;
		if (ea[k] != eb[k]) {
			fprintf(stderr, "overlay-ops: %s: %s %s\n", step, pa,
				ea[k] ? "exists, not in the reference" : "is missing");
			return 1;
		}
		if (!ea[k])
			continue;
		if (sa[k].st_mode != sb[k].st_mode) {
			fprintf(stderr, "overlay-ops: %s: %s has mode %o, reference %o\n", step, pa,
				(unsigned)sa[k].st_mode, (unsigned)sb[k].st_mode);
			return 1;
		}
		if (sa[k].st_nlink != sb[k].st_nlink) {
			fprintf(stderr, "overlay-ops: %s: %s has %lu links, reference %lu\n", step,
				pa, (unsigned long)sa[k].st_nlink, (unsigned long)sb[k].st_nlink);
			return 1;
		}
		int fa = open(pa, O_RDONLY | O_CLOEXEC), fb = open(pb, O_RDONLY | O_CLOEXEC);
		if (fa < 0 || fb < 0)
			return die(pa);
		int r = compare_fds(fa, fb, step);
		close(fa);
		close(fb);
		if (r)
			return r;
	}
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (ea[i] && ea[j] &&
			    (sa[i].st_ino == sa[j].st_ino) != (sb[i].st_ino == sb[j].st_ino)) {
				fprintf(stderr, "overlay-ops: %s: names %d and %d %s one inode\n",
					step, i, j,
					sa[i].st_ino == sa[j].st_ino ? "share" : "do not share");
				return 1;
			}
	return 0;
}

static int tree_step(const char *root, int op, int x, int y, off_t off, const char *data,
		     size_t len)
{
	char px[4096], py[4096];
	tree_name(px, sizeof(px), root, x);
	tree_name(py, sizeof(py), root, y);
	int fd;
	struct stat st;
	switch (op) {
	case 5: /* metadata only: a metadata-only copy-up of a lower file */
		if (lstat(px, &st) < 0)
			return errno == ENOENT ? 0 : -1;
		if (off % 3 == 0)
			return chmod(px, off % 2 ? 0600 : 0644);
		if (off % 3 == 1) {
			struct timespec ts[2] = {{.tv_sec = off}, {.tv_sec = off * 7}};
			return utimensat(AT_FDCWD, px, ts, 0);
		}
		return setxattr(px, "user.random", data, 8, 0);
	case 6: /* a write through a shared mapping */
		fd = open(px, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT ? 0 : -1;
		if (fstat(fd, &st) == 0 && st.st_size >= 16) {
			char *map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
					 MAP_SHARED, fd, 0);
			if (map == MAP_FAILED) {
				close(fd);
				return -1;
			}
			memcpy(map + off % (st.st_size - 15), data, 16);
			msync(map, (size_t)st.st_size, MS_SYNC);
			munmap(map, (size_t)st.st_size);
		}
		return close(fd);
	case 7: /* fallocate: punch a hole or extend */
		fd = open(px, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT ? 0 : -1;
		int r = off % 2 ? fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off / 2,
					    (off_t)len)
				: fallocate(fd, 0, off, (off_t)len);
		close(fd);
		return r;
	case 0: /* write into an existing file, or create it */
		fd = open(px, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		if (pwrite(fd, data, len, off) != (ssize_t)len) {
			close(fd);
			return -1;
		}
		return close(fd);
	case 1:
		return truncate(px, off) < 0 && errno != ENOENT ? -1 : 0;
	case 2:
		return rename(px, py) < 0 && errno != ENOENT ? -1 : 0;
	case 3:
		return link(px, py) < 0 && errno != ENOENT && errno != EEXIST ? -1 : 0;
	default:
		return unlink(px) < 0 && errno != ENOENT ? -1 : 0;
	}
}

static int cmd_random_tree(char **a)
{
	rng_state = strtoull(a[2], NULL, 10) * 2654435761ULL + 7;
	int steps = atoi(a[3]);
	const int n = TREE_DIRS * TREE_FILES;
	static char data[70000];
	char what[160];
	/* One name held open for reading in both trees: its descriptor must
	 * follow the copy-ups of the file it opened. */
	int held_a = -1, held_b = -1;
	for (int k = 0; k < steps; k++) {
		int op = (int)(rnd() % 100);
		op = op < 30   ? 0
		     : op < 38 ? 1
		     : op < 53 ? 2
		     : op < 65 ? 3
		     : op < 75 ? 4
		     : op < 90 ? 5
		     : op < 95 ? 6
			       : 7;
		int x = (int)(rnd() % (uint64_t)n), y = (int)(rnd() % (uint64_t)n);
		if (k % 40 == 0) {
			char pa[4096], pb[4096];
			tree_name(pa, sizeof(pa), a[0], x);
			tree_name(pb, sizeof(pb), a[1], x);
			if (held_a >= 0) {
				close(held_a);
				close(held_b);
			}
			held_a = open(pa, O_RDONLY | O_CLOEXEC);
			held_b = open(pb, O_RDONLY | O_CLOEXEC);
			if ((held_a < 0) != (held_b < 0))
				return fail("a name opens in one tree only");
			if (held_a < 0)
				held_b = -1;
		}
		off_t off = (off_t)(rnd() % 70000);
		size_t len = 1 + rnd() % 4096;
		for (size_t i = 0; i < len; i++)
			data[i] = (char)(rnd() & 0xff);
		snprintf(what, sizeof(what), "step %d op %d names %d %d", k, op, x, y);
		if (getenv("OVERLAY_OPS_VERBOSE") != NULL)
			fprintf(stderr, "%s\n", what);
		if (tree_step(a[1], op, x, y, off, data, len) < 0)
			return die(what);
		if (tree_step(a[0], op, x, y, off, data, len) < 0)
			return die(what);
		if (tree_compare(a[0], a[1], what))
			return 1;
		if (held_a >= 0 && compare_fds(held_a, held_b, "the descriptor held open"))
			return 1;
	}
	printf("OK %d steps\n", steps);
	return 0;
}

struct writer {
	int fd;
	int index;
	size_t bytes;
};

static void *writer_main(void *p)
{
	struct writer *w = p;
	char buf[65536];
	memset(buf, 'A' + w->index % 26, sizeof(buf));
	for (size_t done = 0; done < w->bytes; done += sizeof(buf))
		if (pwrite(w->fd, buf, sizeof(buf), (off_t)(w->index * w->bytes + done)) !=
		    (ssize_t)sizeof(buf))
			return (void *)1;
	return NULL;
}

static int cmd_parallel_writers(char **a)
{
	int n = atoi(a[1]);
	size_t bytes = (size_t)atoi(a[2]) << 20;
	int fd = open(a[0], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || n < 1 || n > 64)
		return die("open");
	pthread_t t[64];
	struct writer w[64];
	for (int i = 0; i < n; i++) {
		w[i] = (struct writer){.fd = fd, .index = i, .bytes = bytes};
		pthread_create(&t[i], NULL, writer_main, &w[i]);
	}
	for (int i = 0; i < n; i++) {
		void *res;
		pthread_join(t[i], &res);
		if (res != NULL)
			return fail("a writer failed");
	}
	char buf[65536];
	for (int i = 0; i < n; i++) {
		for (size_t done = 0; done < bytes; done += sizeof(buf)) {
			if (pread(fd, buf, sizeof(buf), (off_t)(i * bytes + done)) !=
			    (ssize_t)sizeof(buf))
				return die("read back");
			for (size_t k = 0; k < sizeof(buf); k++)
				if (buf[k] != 'A' + i % 26)
					return fail("a region holds another writer's data");
		}
	}
	printf("OK\n");
	return 0;
}

/* readers-during-write: what each reader does and sees. */
struct block_reader {
	const char *path;
	off_t size;
	int kind;	     /* 0 pread, 1 O_DIRECT, 2 shared mapping, 3 open per block */
	atomic_int *written; /* the writer is done */
	const char *error;
};

#define RW_BLOCK 4096

static bool block_is(const unsigned char *b, const char *allowed)
{
	for (size_t i = 0; i < RW_BLOCK; i++)
		if (strchr(allowed, b[i]) == NULL || b[i] == '\0')
			return false;
	return true;
}

static void *block_reader_main(void *arg)
{
	struct block_reader *r = arg;
	unsigned char *buf = aligned_alloc(RW_BLOCK, RW_BLOCK);
	int fd = open(r->path, O_RDONLY | O_CLOEXEC | (r->kind == 1 ? O_DIRECT : 0));
	unsigned char *map = fd < 0 || r->kind != 2
				 ? NULL
				 : mmap(NULL, (size_t)r->size, PROT_READ, MAP_SHARED, fd, 0);
	if (buf == NULL || fd < 0 || map == MAP_FAILED) {
		r->error = "open or map";
		return NULL;
	}
	/* Passes while the writer runs, then one after it is done: that one
	 * must see only 'B's. */
	for (bool last = false; !last && r->error == NULL;) {
		last = atomic_load(r->written);
		for (off_t off = 0; off < r->size && r->error == NULL; off += RW_BLOCK) {
			const unsigned char *b = buf;
			if (r->kind == 2) {
				b = map + off;
			} else {
				int rfd = r->kind == 3 ? open(r->path, O_RDONLY | O_CLOEXEC) : fd;
				if (rfd < 0 || pread(rfd, buf, RW_BLOCK, off) != RW_BLOCK)
					r->error = "a short read";
				if (r->kind == 3 && rfd >= 0)
					close(rfd);
			}
			if (r->error == NULL && !block_is(b, last ? "B" : "AB"))
				r->error =
				    last ? "a block written before shows old data"
					 : "a block holds bytes other than the old or new ones";
		}
	}
	if (map != NULL)
		munmap(map, (size_t)r->size);
	close(fd);
	free(buf);
	return NULL;
}

static int cmd_readers_during_write(char **a)
{
	struct stat st;
	int n = atoi(a[1]);
	if (stat(a[0], &st) < 0 || st.st_size % RW_BLOCK != 0 || n < 1 || n > 64)
		return fail("FILE must be a multiple of 4 KiB, THREADS 1 to 64");
	atomic_int written = 0;
	pthread_t t[64];
	struct block_reader r[64];
	for (int i = 0; i < n; i++) {
		r[i] = (struct block_reader){a[0], st.st_size, i % 4, &written, NULL};
		pthread_create(&t[i], NULL, block_reader_main, &r[i]);
	}
	int fd = open(a[0], O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return die("open for writing");
	char b[RW_BLOCK];
	memset(b, 'B', sizeof(b));
	for (off_t off = 0; off < st.st_size; off += RW_BLOCK)
		if (pwrite(fd, b, sizeof(b), off) != (ssize_t)sizeof(b))
			return die("write");
	close(fd);
	atomic_store(&written, 1);
	const char *error = NULL;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		if (r[i].error != NULL && error == NULL)
			error = r[i].error;
	}
	if (error != NULL)
		return fail(error);
	printf("OK\n");
	return 0;
}

static int cmd_setxattr(char **a)
{
	if (lsetxattr(a[0], a[1], a[2], strlen(a[2]), 0) < 0) {
		printf("%s\n", errname(errno));
		return 1;
	}
	return 0;
}

static int cmd_getxattr(char **a)
{
	char v[4096];
	ssize_t n = lgetxattr(a[0], a[1], v, sizeof(v) - 1);
	if (n < 0) {
		printf("%s\n", errno == ENODATA ? "ENODATA" : errname(errno));
		return 1;
	}
	v[n] = '\0';
	printf("%s\n", v);
	return 0;
}

static int cmd_listxattr(char **a)
{
	char v[65536];
	ssize_t n = llistxattr(a[0], v, sizeof(v));
	if (n < 0)
		return die("listxattr");
	for (char *p = v; p < v + n; p += strlen(p) + 1)
		printf("%s\n", p);
	return 0;
}

/* struct linux_dirent64 as getdents64 fills it. */
struct dirent64_rec {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int cmd_readdir_paused(char **a)
{
	int fd = open(a[0], O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return die(a[0]);
	/* Small reads: a few entries each, so the directory takes many. */
	char buf[512] __attribute__((aligned(8)));
	bool ran = false;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n < 0)
			return die("getdents64");
		if (n == 0)
			break;
		for (long pos = 0; pos < n;) {
			struct dirent64_rec *d = (struct dirent64_rec *)(buf + pos);
			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
				printf("%s\n", d->d_name);
			pos += d->d_reclen;
		}
		if (!ran) {
			fflush(stdout);
			int st = system(a[1]);
			if (st != 0)
				return fail("the command failed");
			ran = true;
		}
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int nargs;
		int (*fn)(char **);
	} cmds[] = {
	    {"rename", 3, cmd_rename},
	    {"tmpfile", 3, cmd_tmpfile},
	    {"mmap-shared", 1, cmd_mmap_shared},
	    {"unlink-open", 1, cmd_unlink_open},
	    {"cache-coherence", 2, cmd_cache_coherence},
	    {"direct-coherence", 1, cmd_direct_coherence},
	    {"locks", 1, cmd_locks},
	    {"random-io", 4, cmd_random_io},
	    {"parallel-writers", 3, cmd_parallel_writers},
	    {"random-tree", 4, cmd_random_tree},
	    {"readers-during-write", 2, cmd_readers_during_write},
	    {"compare", 2, cmd_compare},
	    {"setxattr", 3, cmd_setxattr},
	    {"getxattr", 2, cmd_getxattr},
	    {"listxattr", 1, cmd_listxattr},
	    {"readdir-paused", 2, cmd_readdir_paused},
	};
	if (argc < 2)
		return fail("usage: overlay-ops COMMAND ARGS... (see the source)");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			if (argc - 2 != cmds[i].nargs)
				return fail("wrong number of arguments");
			return cmds[i].fn(argv + 2);
		}
	return fail("unknown command");
}
