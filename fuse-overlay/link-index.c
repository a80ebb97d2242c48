/* The names of the hard-link index (work/index/<origin inode>) kept in
 * memory. A lookup of a lower file with several links must know whether
 * another of its names was copied up already (then this name is linked to
 * the copy); asking the work dir meant a failing fstatat per such file,
 * and each failing name costs the filesystem a new negative dentry: in a
 * cold find over 20000 lower files with two links each that was a fifth
 * of the daemon's time. Only this mount writes its work dir, so the set
 * read at mount plus every link made since is the index. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "ovl.h"

static size_t slot_of(const struct ovl_link_index *x, uint64_t ino)
{
	size_t i = (size_t)((ino * 0x9E3779B97F4A7C15ULL) >> 17) & (x->cap - 1);
	while (x->slots[i] != 0 && x->slots[i] != ino)
		i = (i + 1) & (x->cap - 1);
	return i;
}

static int grow(struct ovl_link_index *x)
{
	size_t cap = x->cap != 0 ? x->cap * 2 : 64;
	uint64_t *slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -ENOMEM;
	struct ovl_link_index bigger = {.slots = slots, .cap = cap};
	for (size_t i = 0; i < x->cap; i++)
		if (x->slots[i] != 0)
			slots[slot_of(&bigger, x->slots[i])] = x->slots[i];
	free(x->slots);
	x->slots = slots;
	x->cap = cap;
	return 0;
}

/* Add ino (index_lock held or before the threads start). */
static void add_locked(struct ovl_link_index *x, uint64_t ino)
{
	if (ino == 0) {
		x->has_zero = true; /* 0 marks a free slot */
		return;
	}
	if ((x->n + 1) * 2 > x->cap && grow(x) < 0) {
		x->incomplete = true; /* every answer becomes "maybe" */
		return;
	}
	size_t i = slot_of(x, ino);
	if (x->slots[i] == 0) {
		x->slots[i] = ino;
		x->n++;
	}
}

int ovl_link_index_load(struct ovl_fs *fs)
{
	if (fs->indexfd < 0)
		return 0;
	int fd = openat(fs->indexfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -ENOMEM;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char *end;
		unsigned long long ino = strtoull(de->d_name, &end, 10);
		/* Index names are decimal origin numbers; others (".", "..")
		 * can never answer a lookup. */
		if (end != de->d_name && *end == '\0')
			add_locked(&fs->link_index, ino);
	}
	closedir(d);
	return 0;
}

bool ovl_link_index_may_have(struct ovl_fs *fs, ino_t ino)
{
	struct ovl_link_index *x = &fs->link_index;
	pthread_mutex_lock(&fs->index_lock);
	bool maybe = x->incomplete ||
		     (ino == 0 ? x->has_zero : x->cap != 0 && x->slots[slot_of(x, ino)] == ino);
	pthread_mutex_unlock(&fs->index_lock);
	return maybe;
}

void ovl_link_index_note(struct ovl_fs *fs, ino_t ino)
{
	pthread_mutex_lock(&fs->index_lock);
	add_locked(&fs->link_index, ino);
	pthread_mutex_unlock(&fs->index_lock);
}

void ovl_link_index_free(struct ovl_fs *fs)
{
	free(fs->link_index.slots);
	fs->link_index = (struct ovl_link_index){0};
}
