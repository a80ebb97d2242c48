/* Owner bits granted for a moment. The daemon, without CAP_DAC_OVERRIDE
 * (any unprivileged user), cannot read or write the user.hutch.* records
 * of an upper file chmodded 0200 or 0444 through the mount, nor copy data
 * into it: it owns the file, so it adds the missing owner bits for the
 * call and takes them away after.
 *
 * A daemon killed in between would leave the bits set for good (a 0200
 * file readable by its owner). So every grant is first written down in
 * the work dir, as "grant-INO" holding the bits added and the file's path
 * in upper; the mount after such a kill takes the bits away again and
 * drops the records. The records cost three system calls on a path that
 * only such modes take. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "ovl.h"

#define GRANT_PREFIX "grant-"

/* Set once at mount, before any request (ovl_grant_setup). */
static int grant_workfd = -1;
static const char *grant_upper;

static void record_name(ino_t ino, char *buf, size_t size)
{
	snprintf(buf, size, GRANT_PREFIX "%" PRIu64, (uint64_t)ino);
}

/* The path in upper of abs, or NULL when abs is not there (a file kept
 * open after its unlink is reached through /proc/self/fd and is gone at
 * the next mount anyway). */
static const char *upper_relative(const char *abs)
{
	size_t n = grant_upper != NULL ? strlen(grant_upper) : 0;
	if (n == 0 || strncmp(abs, grant_upper, n) != 0 || abs[n] != '/' || abs[n + 1] == '\0')
		return NULL;
	return abs + n + 1;
}

static void grant_record(const char *abs, ino_t ino, mode_t bits)
{
	const char *rel = upper_relative(abs);
	if (grant_workfd < 0 || rel == NULL)
		return;
	char name[40];
	record_name(ino, name, sizeof(name));
	_cleanup_close_ int fd =
	    openat(grant_workfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* Without a record (a full disk) the grant still goes ahead: only a
	 * kill in the next instant would then leave the bits. */
	if (fd < 0 || dprintf(fd, "%o %s\n", (unsigned)bits, rel) < 0)
		log_warning("work dir: record of owner bits granted on %s: %s", rel,
			    strerror(errno));
}

void ovl_grant_forget(const char *abs, ino_t ino)
{
	if (grant_workfd < 0 || upper_relative(abs) == NULL)
		return;
	char name[40];
	record_name(ino, name, sizeof(name));
	unlinkat(grant_workfd, name, 0);
}

/* Test hook: HUTCH_OVERLAY_FAULT=owner-grant kills the daemon right after
 * it granted itself owner bits (tests/bats/overlay/metacopy.bats). */
static void fault_point(void)
{
	const char *f = getenv("HUTCH_OVERLAY_FAULT");
	if (f != NULL && strcmp(f, "owner-grant") == 0)
		raise(SIGKILL);
}

void ovl_grant_undo(int workfd, int upperfd, const char *name)
{
	char buf[PATH_MAX + 32];
	ssize_t len = 0;
	{
		_cleanup_close_ int fd = openat(workfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0)
			len = read(fd, buf, sizeof(buf) - 1);
	}
	unsigned bits = 0;
	int off = 0;
	if (len > 0) {
		buf[len] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
	}
	if (len <= 0 || sscanf(buf, "%o %n", &bits, &off) < 1 || off == 0 ||
	    (bits & ~(unsigned)(S_IRUSR | S_IWUSR)) != 0) {
		log_warning("work dir: dropped a malformed grant record %s", name);
		unlinkat(workfd, name, 0);
		return;
	}
	const char *rel = buf + off;
	/* The record's path, beneath upper and through no symlink: an O_PATH
	 * fd, as the mode may deny its owner any other open. */
	_cleanup_close_ int fd = ovl_open_beneath(upperfd, rel, O_PATH);
	struct stat st;
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (fd >= 0 && fstat(fd, &st) == 0 &&
	    (uint64_t)st.st_ino == strtoull(name + strlen(GRANT_PREFIX), NULL, 10) &&
	    (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) && (st.st_mode & bits) != 0) {
		if (chmod(self, st.st_mode & 07777 & ~bits) == 0)
			log_warning("work dir: took back owner bits %o that a killed daemon left "
				    "on %s",
				    bits, rel);
		else
			log_warning("%s: take back owner bits %o: %s", rel, bits, strerror(errno));
	}
	unlinkat(workfd, name, 0);
}

void ovl_grant_setup(int workfd, const char *upper_path)
{
	grant_workfd = workfd;
	grant_upper = upper_path;
}

bool ovl_grant_is_record(const char *name)
{
	return strncmp(name, GRANT_PREFIX, strlen(GRANT_PREFIX)) == 0;
}

static pthread_mutex_t grant_lock = PTHREAD_MUTEX_INITIALIZER;

bool ovl_grant_bits(const char *abs, const struct stat *old, mode_t bits)
{
	grant_record(abs, old->st_ino, bits & ~old->st_mode);
	if (chmod(abs, (old->st_mode & 07777) | bits) == 0) {
		fault_point();
		return true;
	}
	ovl_grant_forget(abs, old->st_ino);
	return false;
}

bool ovl_owner_grant(const char *abs, bool follow, mode_t bits, struct stat *old)
{
	pthread_mutex_lock(&grant_lock);
	if ((follow ? stat(abs, old) : lstat(abs, old)) == 0 &&
	    (S_ISREG(old->st_mode) || S_ISDIR(old->st_mode)) && old->st_uid == geteuid() &&
	    (old->st_mode & bits) != bits && ovl_grant_bits(abs, old, bits))
		return true;
	pthread_mutex_unlock(&grant_lock);
	return false;
}

void ovl_owner_ungrant(const char *abs, const struct stat *old)
{
	if (chmod(abs, old->st_mode & 07777) == 0)
		ovl_grant_forget(abs, old->st_ino);
	pthread_mutex_unlock(&grant_lock);
}

ssize_t ovl_upper_getxattr(const char *abs, bool follow, const char *name, void *v, size_t size)
{
	ssize_t r = follow ? getxattr(abs, name, v, size) : lgetxattr(abs, name, v, size);
	struct stat old;
	if (r < 0 && errno == EACCES && ovl_owner_grant(abs, follow, S_IRUSR, &old)) {
		r = follow ? getxattr(abs, name, v, size) : lgetxattr(abs, name, v, size);
		int e = errno;
		ovl_owner_ungrant(abs, &old);
		errno = e;
	}
	return r;
}
