/* Unit tests for hutch-overlay's option parser: the fuse-overlayfs syntax,
 * escapes, id mappings, and strictness about unknown options. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "error.h"
#include "options.h"

static void test_layers_and_dirs(void **state)
{
	struct ovl_options o;
	hutch_error err = {0};
	ovl_options_init(&o);
	assert_int_equal(ovl_options_parse(&o, "lowerdir=/a:/b:/c,upperdir=/u,workdir=/w", &err),
			 0);
	assert_string_equal(o.lowerdirs[0], "/a");
	assert_string_equal(o.lowerdirs[1], "/b");
	assert_string_equal(o.lowerdirs[2], "/c");
	assert_null(o.lowerdirs[3]);
	assert_string_equal(o.upperdir, "/u");
	assert_string_equal(o.workdir, "/w");
	ovl_options_free(&o);
}

static void test_escaped_colon_and_comma(void **state)
{
	struct ovl_options o;
	hutch_error err = {0};
	ovl_options_init(&o);
	assert_int_equal(ovl_options_parse(&o, "lowerdir=/x\\:y:/p\\,q", &err), 0);
	assert_string_equal(o.lowerdirs[0], "/x:y");
	assert_string_equal(o.lowerdirs[1], "/p,q");
	assert_null(o.lowerdirs[2]);
	ovl_options_free(&o);
}

static void test_empty_layer_rejected(void **state)
{
	struct ovl_options o;
	hutch_error err = {0};
	ovl_options_init(&o);
	assert_int_equal(ovl_options_parse(&o, "lowerdir=/a::/b", &err), -1);
	assert_non_null(strstr(err.msg, "empty layer"));
	ovl_options_free(&o);
}

static void test_unknown_option_is_an_error(void **state)
{
	struct ovl_options o;
	hutch_error err = {0};
	ovl_options_init(&o);
	assert_int_equal(ovl_options_parse(&o, "lowerdir=/a,frobnicate=1", &err), -1);
	assert_string_equal(err.msg, "unknown option \"frobnicate\"");
	assert_int_equal(err.errnum, EINVAL);
	ovl_options_free(&o);
}

static void test_flags_and_values(void **state)
{
	struct ovl_options o;
	hutch_error err = {0};
	ovl_options_init(&o);
	assert_true(o.threaded);
	assert_true(o.fsync);
	assert_true(o.metacopy);
	assert_int_equal(o.direct_read_min, 1 << 20);
	assert_int_equal(
	    ovl_options_parse(&o,
			      "squash_to_root,squash_to_uid=5,squash_to_gid=6,"
			      "xattr_permissions=2,static_nlink,noacl,timeout=2.5,"
			      "threaded=0,writeback=1,fsync=0,max_write=65536,direct_read=0,"
			      "context=\"system_u:object_r:container_file_t:s0\"",
			      &err),
	    0);
	assert_true(o.squash_to_root);
	assert_int_equal(o.squash_to_uid, 5);
	assert_int_equal(o.squash_to_gid, 6);
	assert_int_equal(o.xattr_permissions, 2);
	assert_true(o.static_nlink);
	assert_true(o.noacl);
	assert_true(o.timeout > 2.4 && o.timeout < 2.6);
	assert_false(o.threaded);
	assert_true(o.writeback);
	assert_false(o.fsync);
	assert_int_equal(o.max_write, 65536);
	assert_int_equal(o.direct_read_min, 0);
	assert_int_equal(ovl_options_parse(&o, "direct_read=4096", &err), 0);
	assert_int_equal(o.direct_read_min, 4096);
	assert_int_equal(ovl_options_parse(&o, "metacopy=0", &err), 0);
	assert_false(o.metacopy);
	assert_int_equal(ovl_options_parse(&o, "metacopy=on", &err), 0);
	assert_true(o.metacopy);
	assert_int_equal(ovl_options_parse(&o, "metacopy=off", &err), 0);
	assert_false(o.metacopy);
	assert_int_equal(ovl_options_parse(&o, "metacopy=sometimes", &err), -1);
	ovl_options_free(&o);
}

static void test_bad_values(void **state)
{
	struct ovl_options o;
	hutch_error err = {0};
	ovl_options_init(&o);
	assert_int_equal(ovl_options_parse(&o, "xattr_permissions=3", &err), -1);
	assert_int_equal(ovl_options_parse(&o, "timeout=-1", &err), -1);
	assert_int_equal(ovl_options_parse(&o, "direct_read=-1", &err), -1);
	assert_int_equal(ovl_options_parse(&o, "direct_read=1M", &err), -1);
	assert_int_equal(ovl_options_parse(&o, "direct_read", &err), -1);
	assert_int_equal(ovl_options_parse(&o, "threaded=maybe", &err), -1);
	assert_int_equal(ovl_options_parse(&o, "squash_to_uid=x", &err), -1);
	assert_int_equal(ovl_options_parse(&o, "upperdir=", &err), -1);
	ovl_options_free(&o);
}

static void test_fuse_options_passed_on(void **state)
{
	struct ovl_options o;
	hutch_error err = {0};
	ovl_options_init(&o);
	assert_int_equal(ovl_options_parse(&o, "allow_other,ro", &err), 0);
	assert_int_equal(ovl_options_parse(&o, "nodev", &err), 0);
	assert_string_equal(o.fuse_mount_opts, "allow_other,ro,nodev");
	assert_true(o.read_only);
	ovl_options_free(&o);
}

static void test_id_map(void **state)
{
	struct ovl_id_map m = {0};
	hutch_error err = {0};
	assert_int_equal(ovl_parse_id_map("0:1000:1:1:100000:65536", &m, &err), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(ovl_id_to_view(&m, 1000), 0);
	assert_int_equal(ovl_id_to_view(&m, 100000), 1);
	assert_int_equal(ovl_id_to_view(&m, 100009), 10);
	assert_int_equal(ovl_id_to_view(&m, 5), 65534);
	assert_int_equal(ovl_id_to_host(&m, 0), 1000);
	assert_int_equal(ovl_id_to_host(&m, 65536), 165535);
	assert_int_equal(ovl_id_to_host(&m, 70000), 65534);
	assert_int_equal(ovl_parse_id_map("0:1000", &m, &err), -1);
	assert_int_equal(ovl_parse_id_map("0:1000:0", &m, &err), -1);
	assert_int_equal(ovl_parse_id_map("0:-1:5", &m, &err), -1);
	free(m.ranges);
	struct ovl_id_map empty = {0};
	assert_int_equal(ovl_id_to_view(&empty, 42), 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layers_and_dirs),
	    cmocka_unit_test(test_escaped_colon_and_comma),
	    cmocka_unit_test(test_empty_layer_rejected),
	    cmocka_unit_test(test_unknown_option_is_an_error),
	    cmocka_unit_test(test_flags_and_values),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_fuse_options_passed_on),
	    cmocka_unit_test(test_id_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
