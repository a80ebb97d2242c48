/* Unit tests for the subordinate id files and id map formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "idmap.h"
#include "log.h"

static char *write_temp(const char *content)
{
	char *path = strdup("/tmp/hutch-test-subid.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

static void test_ranges_by_name_are_contiguous(void **state)
{
	char *path = write_temp("alice:100000:65536\n"
				"bob:300000:1000\n"
				"alice:500000:10\n");
	struct oci_id_mapping *r = NULL;
	size_t n = 0;
	hutch_error err = {0};
	assert_int_equal(idmap_read_subid(path, "alice", 1000, &r, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].container_id, 1);
	assert_int_equal(r[0].host_id, 100000);
	assert_int_equal(r[0].size, 65536);
	assert_int_equal(r[1].container_id, 65537);
	assert_int_equal(r[1].host_id, 500000);
	assert_int_equal(r[1].size, 10);
	free(r);
	unlink(path);
	free(path);
}

static void test_numeric_owner_matches_uid(void **state)
{
	char *path = write_temp("1234:200000:500\nother:1:2\n");
	struct oci_id_mapping *r = NULL;
	size_t n = 0;
	hutch_error err = {0};
	assert_int_equal(idmap_read_subid(path, "nobody-by-this-name", 1234, &r, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].host_id, 200000);
	assert_int_equal(r[0].size, 500);
	free(r);
	unlink(path);
	free(path);
}

static void test_comments_blank_and_malformed_lines_are_skipped(void **state)
{
	char *path = write_temp("# a comment\n"
				"\n"
				"   \n"
				"alice:notanumber:10\n"
				"alice:100:0\n"
				"alice:100\n"
				"alice:1:2:3\n"
				"alice:4294967295:2\n"
				"  alice : 7000 : 5   # trailing comment\n");
	struct oci_id_mapping *r = NULL;
	size_t n = 0;
	hutch_error err = {0};
	assert_int_equal(idmap_read_subid(path, "alice", 1, &r, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].container_id, 1);
	assert_int_equal(r[0].host_id, 7000);
	assert_int_equal(r[0].size, 5);
	free(r);
	unlink(path);
	free(path);
}

static void test_no_range_and_missing_file(void **state)
{
	char *path = write_temp("bob:100000:65536\n");
	struct oci_id_mapping *r = NULL;
	size_t n = 7;
	hutch_error err = {0};
	assert_int_equal(idmap_read_subid(path, "alice", 1000, &r, &n, &err), 0);
	assert_int_equal(n, 0);
	free(r);
	unlink(path);
	free(path);
	n = 7;
	assert_int_equal(idmap_read_subid("/nonexistent/subuid", "alice", 1000, &r, &n, &err), 0);
	assert_int_equal(n, 0);
}

static void test_unreadable_file_is_an_error(void **state)
{
	struct oci_id_mapping *r = NULL;
	size_t n = 0;
	hutch_error err = {0};
	/* A directory cannot be read as a file. */
	assert_int_equal(idmap_read_subid("/", "alice", 1000, &r, &n, &err), -1);
	assert_true(hutch_error_isset(&err));
}

static void test_format(void **state)
{
	struct oci_id_mapping m[2] = {{0, 1000, 1}, {1, 100000, 65536}};
	char *s = idmap_format(m, 2);
	assert_string_equal(s, "0 1000 1\n1 100000 65536\n");
	free(s);
}

int main(void)
{
	hutch_log_set_level(HUTCH_LOG_ERROR); /* the malformed-line warnings */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ranges_by_name_are_contiguous),
	    cmocka_unit_test(test_numeric_owner_matches_uid),
	    cmocka_unit_test(test_comments_blank_and_malformed_lines_are_skipped),
	    cmocka_unit_test(test_no_range_and_missing_file),
	    cmocka_unit_test(test_unreadable_file_is_an_error),
	    cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
