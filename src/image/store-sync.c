/* Snapshot durability: the "unsynced" marker, the deferred syncfs, and
 * the marked snapshots a restart finds (see store.h). */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

int store_boot_id(char id[static STORE_BOOT_ID_LEN + 1], hutch_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	if (read_file_all(BOOT_ID_PATH, 128, &buf, &len, err) < 0)
		return -1;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (len != STORE_BOOT_ID_LEN)
		return hutch_fail_plain(err, EINVAL, "%s: unexpected content \"%s\"", BOOT_ID_PATH,
					buf);
	memcpy(id, buf, len + 1);
	return 0;
}

int store_mark_unsynced(int dirfd, hutch_error *err)
{
	char id[STORE_BOOT_ID_LEN + 1];
	if (store_boot_id(id, err) < 0)
		return -1;
	_cleanup_close_ int fd = openat(dirfd, STORE_UNSYNCED,
					O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, id, STORE_BOOT_ID_LEN) < 0 || fsync(fd) < 0)
		return hutch_fail(err, errno, "write the snapshot's %s marker", STORE_UNSYNCED);
	return 0;
}

/* The boot id a snapshot's marker names: 1 and id filled when marked,
 * 0 when not marked; an unreadable marker counts as another boot's. */
static int marker_boot(int snapdir_fd, char id[static STORE_BOOT_ID_LEN + 1])
{
	_cleanup_close_ int fd =
	    openat(snapdir_fd, STORE_UNSYNCED, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : 1;
	ssize_t n = read(fd, id, STORE_BOOT_ID_LEN);
	id[n == STORE_BOOT_ID_LEN ? STORE_BOOT_ID_LEN : 0] = '\0';
	return 1;
}

/* Call fn for every committed snapshot that holds a marker, with whether
 * the marker is of this boot. */
typedef void (*marked_fn)(void *ctx, const char *name, bool this_boot);

static int for_each_marked(struct store *s, marked_fn fn, void *ctx, hutch_error *err)
{
	char boot[STORE_BOOT_ID_LEN + 1];
	if (store_boot_id(boot, err) < 0)
		return -1;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/snapshots", store_root(s));
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (d == NULL)
		return hutch_fail(err, errno, "open %s", dir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* unpacks in progress, removals */
		_cleanup_close_ int sfd =
		    openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0)
			continue;
		char id[STORE_BOOT_ID_LEN + 1];
		if (marker_boot(sfd, id) == 1)
			fn(ctx, e->d_name, strcmp(id, boot) == 0);
	}
	return 0;
}

static void add_name(char (**v)[DIGEST_STR_LEN + 1], size_t *n, const char *hex)
{
	char(*nv)[DIGEST_STR_LEN + 1] = realloc(*v, (*n + 1) * sizeof(**v));
	if (nv == NULL)
		return;
	*v = nv;
	snprintf((*v)[(*n)++], DIGEST_STR_LEN + 1, "sha256:%.64s", hex);
}

static void collect(void *ctx, const char *name, bool this_boot)
{
	struct store_unsynced *u = ctx;
	if (this_boot)
		add_name(&u->pending, &u->n_pending, name);
	else
		add_name(&u->lost, &u->n_lost, name);
}

int store_unsynced_scan(struct store *s, struct store_unsynced *out, hutch_error *err)
{
	memset(out, 0, sizeof(*out));
	if (for_each_marked(s, collect, out, err) < 0) {
		store_unsynced_free(out);
		return -1;
	}
	return 0;
}

void store_unsynced_free(struct store_unsynced *u)
{
	free(u->pending);
	free(u->lost);
	memset(u, 0, sizeof(*u));
}

int store_sync_snapshots(struct store *s, size_t *synced, hutch_error *err)
{
	*synced = 0;
	/* Only snapshots committed before the syncfs starts: their files
	 * were all written before their rename, so it covers them. */
	struct store_unsynced u;
	if (store_unsynced_scan(s, &u, err) < 0)
		return -1;
	int rc = 0;
	if (u.n_pending > 0) {
		_cleanup_close_ int fd = open(store_root(s), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || syncfs(fd) < 0) {
			rc = hutch_fail(err, errno, "syncfs %s", store_root(s));
			goto out;
		}
		/* Unsynced markers of another boot stay: a syncfs cannot bring
		 * back what that boot lost. A removal lost to a power cut only
		 * makes the next start check the snapshot again. */
		for (size_t i = 0; i < u.n_pending; i++) {
			char path[PATH_MAX];
			store_snapshot_dir(s, u.pending[i], path, sizeof(path) - 16);
			size_t l = strlen(path);
			snprintf(path + l, sizeof(path) - l, "/%s", STORE_UNSYNCED);
			if (unlink(path) == 0)
				(*synced)++;
		}
	}
out:
	store_unsynced_free(&u);
	return rc;
}
