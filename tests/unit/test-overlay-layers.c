/* Unit tests for hutch-overlay's layer rules on real temporary directories:
 * whiteouts in both forms, opaque directories, merged listings, inode
 * numbers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "ovl.h"

struct fixture {
	char root[64];
	struct ovl_fs fs;
};

static void touch(const char *root, const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static void mkdir_in(const char *root, const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

/* Two lower layers "top" and "bottom" (no upper), all on one device. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/test-overlay-layers.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	mkdir_in(f->root, "top");
	mkdir_in(f->root, "bottom");
	f->fs.nlayers = 2;
	f->fs.layers = calloc(2, sizeof(struct ovl_layer));
	const char *names[] = {"top", "bottom"};
	for (int i = 0; i < 2; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", f->root, names[i]);
		f->fs.layers[i].path = strdup(p);
		f->fs.layers[i].fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(f->fs.layers[i].fd >= 0);
	}
	f->fs.single_dev = true;
	f->fs.workfd = f->fs.indexfd = -1;
	pthread_rwlock_init(&f->fs.tree_lock, NULL);
	pthread_mutex_init(&f->fs.table_lock, NULL);
	assert_int_equal(ovl_table_init(&f->fs), 0);
	struct ovl_node *r = calloc(1, sizeof(*r));
	r->nodeid = FUSE_ROOT_ID;
	r->name = strdup("");
	r->type = S_IFDIR;
	r->keep_fd = -1;
	pthread_mutex_init(&r->lock, NULL);
	f->fs.root = r;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < 2; i++) {
		close(f->fs.layers[i].fd);
		free(f->fs.layers[i].path);
	}
	free(f->fs.layers);
	ovl_dir_cache_free(f->fs.root);
	free(f->fs.root->span);
	free(f->fs.root->name);
	free(f->fs.root);
	free(f->fs.slots);
	free(f);
	return 0;
}

static struct dir_cache *root_listing(struct fixture *f)
{
	f->fs.root->loc_valid = false;
	ovl_dir_cache_drop(f->fs.root);
	assert_int_equal(ovl_node_locate(&f->fs, f->fs.root), 0);
	int err = 0;
	struct dir_cache *c = ovl_dir_cache_get(&f->fs, f->fs.root, &err);
	assert_non_null(c);
	return c;
}

/* The top and bottom layer directories of the fixture (PATH_MAX each). */
static void layer_paths(const struct fixture *f, char *top, char *bottom)
{
	snprintf(top, PATH_MAX, "%s/top", f->root);
	snprintf(bottom, PATH_MAX, "%s/bottom", f->root);
}

static void test_top_layer_wins_and_whiteout_files_hide(void **state)
{
	struct fixture *f = *state;
	char top[PATH_MAX], bottom[PATH_MAX];
	layer_paths(f, top, bottom);
	touch(bottom, "both");
	touch(top, "both");
	touch(bottom, "hidden");
	touch(top, ".wh.hidden");
	touch(bottom, "kept");
	struct dir_cache *c = root_listing(f);
	assert_int_equal(c->n, 2);
	assert_int_equal(ovl_dir_cache_find(c, "both")->layer, 0);
	assert_int_equal(ovl_dir_cache_find(c, "kept")->layer, 1);
	assert_null(ovl_dir_cache_find(c, "hidden"));
	assert_null(ovl_dir_cache_find(c, ".wh.hidden"));
	ovl_dir_cache_put(c);

	struct stat st;
	int layer;
	assert_int_equal(
	    ovl_probe(&f->fs, f->fs.root->span, f->fs.root->nspan, "hidden", &st, &layer), -ENOENT);
	assert_int_equal(
	    ovl_probe(&f->fs, f->fs.root->span, f->fs.root->nspan, "kept", &st, &layer), 0);
	assert_int_equal(layer, 1);
	int wh;
	assert_int_equal(
	    ovl_probe_wh(&f->fs, f->fs.root->span, f->fs.root->nspan, "hidden", &st, &layer, &wh),
	    -ENOENT);
	assert_int_equal(wh, 0);
	assert_int_equal(
	    ovl_probe_wh(&f->fs, f->fs.root->span, f->fs.root->nspan, "nothing", &st, &layer, &wh),
	    -ENOENT);
	assert_int_equal(wh, -1);
}

static void test_opaque_marker_file_cuts_the_span(void **state)
{
	struct fixture *f = *state;
	char top[PATH_MAX], bottom[PATH_MAX];
	layer_paths(f, top, bottom);
	mkdir_in(bottom, "d");
	mkdir_in(top, "d");
	touch(bottom, "d/below");
	touch(top, "d/above");
	assert_int_equal(ovl_dir_is_opaque(&f->fs, 0, "d"), 0);
	touch(top, "d/.wh..wh..opq");
	assert_int_equal(ovl_dir_is_opaque(&f->fs, 0, "d"), 1);
	struct dir_cache *c = root_listing(f);
	assert_non_null(ovl_dir_cache_find(c, "d"));
	ovl_dir_cache_put(c);
	/* The directory node's span stops at the opaque layer. */
	struct ovl_node *d =
	    ovl_node_get(&f->fs, ovl_make_ino(&f->fs, 0, 1000), f->fs.root, "d", S_IFDIR, true);
	assert_non_null(d);
	assert_int_equal(ovl_node_locate(&f->fs, d), 0);
	assert_int_equal(d->nspan, 1);
	int err = 0;
	c = ovl_dir_cache_get(&f->fs, d, &err);
	assert_non_null(c);
	assert_int_equal(c->n, 1);
	assert_non_null(ovl_dir_cache_find(c, "above"));
	assert_null(ovl_dir_cache_find(c, "below"));
	ovl_dir_cache_put(c);
	ovl_node_forget(&f->fs, d, 1);
}

static void test_opaque_xattr(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/top/x", f->root);
	assert_int_equal(mkdir(p, 0755), 0);
	if (setxattr(p, "user.overlay.opaque", "y", 1, 0) < 0)
		skip();
	assert_int_equal(ovl_dir_is_opaque(&f->fs, 0, "x"), 1);
	assert_int_equal(setxattr(p, "user.overlay.opaque", "n", 1, 0), 0);
	assert_int_equal(ovl_dir_is_opaque(&f->fs, 0, "x"), 0);
}

static void test_whiteout_device_detection(void **state)
{
	struct stat st = {.st_mode = S_IFCHR, .st_rdev = 0};
	assert_true(ovl_stat_is_whiteout(&st));
	st.st_rdev = makedev(1, 3);
	assert_false(ovl_stat_is_whiteout(&st));
	st.st_mode = S_IFREG;
	st.st_rdev = 0;
	assert_false(ovl_stat_is_whiteout(&st));
	assert_true(ovl_is_whiteout_name(".wh.foo"));
	assert_true(ovl_is_whiteout_name(".wh..wh..opq"));
	assert_false(ovl_is_whiteout_name(".whx"));
	assert_false(ovl_is_whiteout_name("foo.wh."));
}

static void test_inode_numbers(void **state)
{
	struct fixture *f = *state;
	/* One device: numbers kept. */
	assert_int_equal(ovl_make_ino(&f->fs, 1, 4242), 4242);
	/* Several devices: the device's index goes into the top bits. */
	f->fs.single_dev = false;
	f->fs.layers[0].dev_index = 0;
	f->fs.layers[1].dev_index = 1;
	ino_t a = ovl_make_ino(&f->fs, 0, 4242), b = ovl_make_ino(&f->fs, 1, 4242);
	assert_true(a != b);
	assert_int_equal(a, 4242);
	assert_int_equal(b, (ino_t)((1ULL << 56) | 4242));
	/* Stable: the same input gives the same number. */
	assert_int_equal(ovl_make_ino(&f->fs, 1, 4242), b);
	/* Huge numbers are hashed into their own range, still per device. */
	ino_t h0 = ovl_make_ino(&f->fs, 0, (ino_t)(1ULL << 60)),
	      h1 = ovl_make_ino(&f->fs, 1, (ino_t)(1ULL << 60));
	assert_true(h0 != h1);
	assert_true(h0 >> 63);
	f->fs.single_dev = true;
	/* The root's number never becomes a node id other than 1. */
	assert_true(ovl_nodeid_for_ino(FUSE_ROOT_ID) != FUSE_ROOT_ID);
	assert_int_equal(ovl_nodeid_for_ino(77), 77);
}

static void test_link_index_names_in_memory(void **state)
{
	struct fixture *f = *state;
	char idx[PATH_MAX];
	snprintf(idx, sizeof(idx), "%s/index", f->root);
	assert_int_equal(mkdir(idx, 0700), 0);
	touch(idx, "12");
	touch(idx, "stray");
	f->fs.indexfd = open(idx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->fs.indexfd >= 0);
	pthread_mutex_init(&f->fs.index_lock, NULL);
	assert_int_equal(ovl_link_index_load(&f->fs), 0);
	assert_true(ovl_link_index_may_have(&f->fs, 12));
	assert_false(ovl_link_index_may_have(&f->fs, 13));
	assert_false(ovl_link_index_may_have(&f->fs, 0));
	/* Links made later are noted; the set grows past its first size. */
	for (ino_t i = 1000; i < 1500; i++)
		ovl_link_index_note(&f->fs, i * 7919);
	ovl_link_index_note(&f->fs, 0);
	for (ino_t i = 1000; i < 1500; i++)
		assert_true(ovl_link_index_may_have(&f->fs, i * 7919));
	assert_true(ovl_link_index_may_have(&f->fs, 0));
	assert_true(ovl_link_index_may_have(&f->fs, 12));
	assert_false(ovl_link_index_may_have(&f->fs, 1001));
	ovl_link_index_free(&f->fs);
	close(f->fs.indexfd);
	f->fs.indexfd = -1;
}

static void test_node_table_counts_lookups(void **state)
{
	struct fixture *f = *state;
	struct ovl_node *n = ovl_node_get(&f->fs, 555, f->fs.root, "n", S_IFREG, true);
	assert_non_null(n);
	assert_ptr_equal(ovl_node_get(&f->fs, 555, f->fs.root, "n", S_IFREG, true), n);
	assert_int_equal(n->nlookup, 2);
	assert_ptr_equal(ovl_node_by_id(&f->fs, 555), n);
	ovl_node_forget(&f->fs, n, 1);
	assert_ptr_equal(ovl_node_by_id(&f->fs, 555), n);
	ovl_node_forget(&f->fs, n, 1);
	assert_null(ovl_node_by_id(&f->fs, 555)); /* freed on the last forget */
	assert_int_equal(f->fs.nnodes, 0);
}

/* Many nodes: the table grows, and removals in any order leave every
 * other node findable (entries move back into the freed slots). */
static void test_node_table_grows_and_removes(void **state)
{
	struct fixture *f = *state;
	enum { N = 20000 };
	struct ovl_node **nodes = calloc(N, sizeof(*nodes));
	for (size_t i = 0; i < N; i++) {
		/* Ids that share low bits, as inode numbers of one directory
		 * often do. */
		nodes[i] = ovl_node_get(&f->fs, 1000 + i * 4096, f->fs.root, "x", S_IFREG, true);
		assert_non_null(nodes[i]);
	}
	assert_int_equal(f->fs.nnodes, N);
	assert_true(f->fs.nslots >= 2 * N);
	for (size_t i = 0; i < N; i += 3) {
		ovl_node_forget(&f->fs, nodes[i], 1);
		nodes[i] = NULL;
	}
	for (size_t i = N; i-- > 0;) {
		fuse_ino_t id = 1000 + i * 4096;
		assert_ptr_equal(ovl_node_by_id(&f->fs, id), nodes[i]);
	}
	for (size_t i = 0; i < N; i++)
		if (nodes[i] != NULL)
			ovl_node_forget(&f->fs, nodes[i], 1);
	assert_int_equal(f->fs.nnodes, 0);
	for (size_t i = 0; i < f->fs.nslots; i++)
		assert_null(f->fs.slots[i].node);
	free(nodes);
}

static void test_hard_link_aliases(void **state)
{
	struct fixture *f = *state;
	struct ovl_node *n = ovl_node_get(&f->fs, 777, f->fs.root, "a", S_IFREG, true);
	ovl_node_note_name(&f->fs, n, f->fs.root, "b");
	ovl_node_note_name(&f->fs, n, f->fs.root, "b"); /* once only */
	assert_false(ovl_node_is_last_name(n, f->fs.root, "a"));
	/* The primary name goes: the alias takes over. */
	assert_true(ovl_node_remove_name(&f->fs, n, f->fs.root, "a"));
	assert_string_equal(n->name, "b");
	assert_true(ovl_node_is_last_name(n, f->fs.root, "b"));
	/* A rename of the only name moves the node. */
	assert_int_equal(ovl_node_rename_name(&f->fs, n, f->fs.root, "b", f->fs.root, "c"), 0);
	assert_string_equal(n->name, "c");
	assert_false(ovl_node_remove_name(&f->fs, n, f->fs.root, "c"));
	assert_null(n->parent);
	ovl_node_forget(&f->fs, n, 1);
	assert_int_equal(f->fs.nnodes, 0);
}

static void test_removed_name_is_marked_in_place(void **state)
{
	struct fixture *f = *state;
	char bottom[PATH_MAX];
	snprintf(bottom, sizeof(bottom), "%s/bottom", f->root);
	touch(bottom, "a");
	touch(bottom, "b");
	struct dir_cache *c = root_listing(f);
	ovl_dir_cache_remove(f->fs.root, "a");
	/* Offsets of open handles stay valid: the entry keeps its place. */
	assert_int_equal(c->n, 2);
	assert_int_equal(c->live, 1);
	assert_null(ovl_dir_cache_find(c, "a"));
	assert_non_null(ovl_dir_cache_find(c, "b"));
	ovl_dir_cache_remove(f->fs.root, "a");
	ovl_dir_cache_remove(f->fs.root, "missing");
	assert_int_equal(c->live, 1);
	ovl_dir_cache_put(c);
}

/* A listing built ahead carries the stats of its lower entries, each
 * handed out once; upper entries are left to be stat'ed when sent. */
static void test_listing_built_ahead_has_lower_stats(void **state)
{
	struct fixture *f = *state;
	char top[PATH_MAX], bottom[PATH_MAX], p[PATH_MAX];
	layer_paths(f, top, bottom);
	touch(top, "up");
	touch(bottom, "low");
	snprintf(p, sizeof(p), "%s/low", bottom);
	assert_int_equal(truncate(p, 4321), 0);
	touch(bottom, "gone");
	f->fs.has_upper = true; /* "top" is the upper layer */
	assert_int_equal(ovl_node_locate(&f->fs, f->fs.root), 0);
	ovl_dir_cache_build_ahead(&f->fs, f->fs.root);
	struct dir_cache *c = f->fs.root->cache;
	assert_non_null(c);
	assert_int_equal(atomic_load(&c->stats_left), 2);
	const struct dir_entry *up = ovl_dir_cache_find(c, "up");
	const struct dir_entry *low = ovl_dir_cache_find(c, "low");
	assert_false(ovl_dir_cache_take_stat(c, (size_t)(up - c->entries), NULL));
	struct stat st;
	assert_true(ovl_dir_cache_take_stat(c, (size_t)(low - c->entries), &st));
	assert_int_equal(st.st_size, 4321);
	assert_false(ovl_dir_cache_take_stat(c, (size_t)(low - c->entries), &st));
	/* A removal gives up its entry's stat; the last one frees them. */
	ovl_dir_cache_remove(f->fs.root, "gone");
	assert_int_equal(atomic_load(&c->stats_left), 0);
	assert_null(c->stats);
	/* Built already: nothing happens. */
	ovl_dir_cache_build_ahead(&f->fs, f->fs.root);
	assert_ptr_equal(f->fs.root->cache, c);
	/* A listing built for a request has no stats. */
	ovl_dir_cache_drop(f->fs.root);
	int err = 0;
	c = ovl_dir_cache_get(&f->fs, f->fs.root, &err);
	assert_non_null(c);
	assert_null(c->stats);
	ovl_dir_cache_put(c);
}

static uint64_t offset_of(const struct dir_cache *c, const char *name)
{
	const struct dir_entry *e = ovl_dir_cache_find(c, name);
	assert_non_null(e);
	return e->off;
}

static void test_offsets_survive_a_rebuilt_listing(void **state)
{
	struct fixture *f = *state;
	char top[PATH_MAX], bottom[PATH_MAX];
	layer_paths(f, top, bottom);
	touch(bottom, "a");
	touch(bottom, "b");
	touch(bottom, "c");
	struct dir_cache *c = root_listing(f);
	uint64_t a = offset_of(c, "a"), b = offset_of(c, "b"), cc = offset_of(c, "c");
	assert_true(a >= OVL_DIR_FIRST_OFF && b >= OVL_DIR_FIRST_OFF && cc >= OVL_DIR_FIRST_OFF);
	ovl_dir_cache_put(c);
	/* "c" moves to the top layer (a copy-up), which is read first; "new"
	 * comes; "a" goes. */
	touch(top, "c");
	touch(top, "new");
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/a", bottom);
	assert_int_equal(unlink(p), 0);
	ovl_dir_cache_drop(f->fs.root);
	int err = 0;
	c = ovl_dir_cache_get(&f->fs, f->fs.root, &err);
	assert_non_null(c);
	assert_int_equal(c->n, 3);
	assert_int_equal(offset_of(c, "b"), b);
	assert_int_equal(offset_of(c, "c"), cc);
	uint64_t nw = offset_of(c, "new");
	assert_true(nw > a && nw > b && nw > cc);
	for (size_t i = 1; i < c->n; i++)
		assert_true(c->entries[i - 1].off < c->entries[i].off);
	/* A reader that stopped after "b" goes on with what follows it. */
	size_t i = ovl_dir_cache_after(c, b);
	assert_true(i < c->n && c->entries[i].off > b);
	assert_int_equal(ovl_dir_cache_after(c, nw), c->n);
	assert_int_equal(ovl_dir_cache_after(c, 0), 0);
	ovl_dir_cache_put(c);
}

static void test_escaped_whiteout_lists_as_a_device(void **state)
{
	struct fixture *f = *state;
	char top[PATH_MAX], dev[PATH_MAX];
	snprintf(top, sizeof(top), "%s/top", f->root);
	snprintf(dev, sizeof(dev), "%s/dev", top);
	touch(top, "dev");
	touch(top, "plain");
	if (setxattr(dev, OVL_XATTR_ESCAPED_WH, "y", 1, 0) < 0)
		skip(); /* no user xattrs on this /tmp */
	assert_true(ovl_is_escaped_whiteout(&f->fs, 0, "dev"));
	assert_false(ovl_is_escaped_whiteout(&f->fs, 0, "plain"));
	/* Without the directory's mark a listing does not look. */
	struct dir_cache *c = root_listing(f);
	assert_int_equal(ovl_dir_cache_find(c, "dev")->d_type, DT_REG);
	ovl_dir_cache_put(c);
	assert_int_equal(setxattr(top, OVL_XATTR_ESCAPED_WH_DIR, "y", 1, 0), 0);
	c = root_listing(f);
	assert_int_equal(ovl_dir_cache_find(c, "dev")->d_type, DT_CHR);
	assert_int_equal(ovl_dir_cache_find(c, "plain")->d_type, DT_REG);
	ovl_dir_cache_put(c);
	struct stat st;
	assert_int_equal(stat(dev, &st), 0);
	ovl_present_stat(&f->fs, 0, "dev", &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_top_layer_wins_and_whiteout_files_hide, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_opaque_marker_file_cuts_the_span, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_opaque_xattr, setup, teardown),
	    cmocka_unit_test(test_whiteout_device_detection),
	    cmocka_unit_test_setup_teardown(test_inode_numbers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_index_names_in_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_table_counts_lookups, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_table_grows_and_removes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hard_link_aliases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removed_name_is_marked_in_place, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_listing_built_ahead_has_lower_stats, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_offsets_survive_a_rebuilt_listing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_escaped_whiteout_lists_as_a_device, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
