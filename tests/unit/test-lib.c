/* Unit tests for libhutch's base helpers: errors, JSON accessors, path
 * cleaning and resolution inside a root. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "error.h"
#include "file-util.h"
#include "json-util.h"
#include "path-util.h"

static void test_error_message_ends_with_strerror(void **state)
{
	hutch_error err = {0};
	assert_int_equal(hutch_fail(&err, ENOENT, "open %s", "/x"), -1);
	assert_string_equal(err.msg, "open /x: No such file or directory");
	assert_int_equal(err.errnum, ENOENT);
	hutch_error_prefix(&err, "create container %s", "c1");
	assert_string_equal(err.msg, "create container c1: open /x: No such file or directory");
	hutch_error_clear(&err);
	assert_false(hutch_error_isset(&err));
}

static void test_json_parse_rejects_garbage(void **state)
{
	hutch_error err = {0};
	json_object *o = NULL;
	assert_int_equal(json_parse_buffer("{\"a\":1} x", 9, "t", &o, &err), -1);
	assert_non_null(strstr(err.msg, "trailing data"));
	assert_int_equal(json_parse_buffer("{\"a\":", 5, "t", &o, &err), -1);
	assert_non_null(strstr(err.msg, "unexpected end"));
	assert_int_equal(json_parse_buffer("{\"a\":[1,2]}", 11, "t", &o, &err), 0);
	json_object_put(o);
	/* a bare number at the end of the buffer is a whole document */
	o = NULL;
	assert_int_equal(json_parse_buffer("5", 1, "t", &o, &err), 0);
	assert_int_equal(json_object_get_int(o), 5);
	json_object_put(o);
	assert_int_equal(json_parse_buffer("[1", 2, "t", &o, &err), -1);
	assert_non_null(strstr(err.msg, "unexpected end"));
}

static void test_json_getters_name_the_path(void **state)
{
	hutch_error err = {0};
	_cleanup_json_ json_object *o = NULL;
	const char *doc = "{\"args\":[\"a\",3],\"n\":-1,\"s\":\"x\"}";
	assert_int_equal(json_parse_buffer(doc, strlen(doc), "t", &o, &err), 0);
	char **v = NULL;
	assert_int_equal(json_get_strv(o, "process", "args", true, &v, NULL, &err), -1);
	assert_string_equal(err.msg, "process.args[1]: expected a string");
	uint32_t u = 0;
	assert_int_equal(json_get_uint32(o, "", "n", true, &u, &err), -1);
	assert_non_null(strstr(err.msg, "out of range"));
	const char *s = NULL;
	assert_int_equal(json_get_string(o, "", "s", true, &s, &err), 0);
	assert_string_equal(s, "x");
	assert_int_equal(json_get_string(o, "root", "missing", true, &s, &err), -1);
	assert_string_equal(err.msg, "root.missing: missing required field");
	bool b = false;
	assert_int_equal(json_get_bool(o, "", "s", &b, &err), -1);
}

static void test_path_clean(void **state)
{
	const struct {
		const char *in, *out;
	} cases[] = {
	    {"/", "/"},		{"//a//b/", "/a/b"}, {"/a/./b/../c", "/a/c"},
	    {"/../../x", "/x"}, {"a/../..", ".."},   {"../../a", "../../a"},
	    {"", "."},		{"a/b/..", "a"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *c = path_clean(cases[i].in);
		assert_string_equal(c, cases[i].out);
	}
}

static void test_path_open_in_root_stays_inside(void **state)
{
	char tmpl[] = "/tmp/hutch-test-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char p[512];
	snprintf(p, sizeof(p), "%s/etc", tmpl);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/passwd", tmpl);
	assert_int_equal(write_file_atomic(p, "inside\n", 7, 0644, NULL), 0);
	/* A symlink pointing at the host's /etc/passwd must resolve inside. */
	snprintf(p, sizeof(p), "%s/escape", tmpl);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/up", tmpl);
	assert_int_equal(symlink("../../../../etc/passwd", p), 0);

	_cleanup_close_ int root = open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
	hutch_error err = {0};
	const char *names[] = {"escape", "/up", "../../etc/passwd"};
	for (size_t i = 0; i < 3; i++) {
		_cleanup_close_ int fd = path_open_in_root(root, names[i], O_RDONLY, 0, &err);
		assert_true(fd >= 0);
		char buf[16] = {0};
		assert_int_equal(read(fd, buf, sizeof(buf) - 1), 7);
		assert_string_equal(buf, "inside\n");
	}
	_cleanup_close_ int d = path_mkdir_in_root(root, "/a/b/c", 0755, &err);
	assert_true(d >= 0);
	snprintf(p, sizeof(p), "%s/a/b/c", tmpl);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	_cleanup_close_ int f = path_mkfile_in_root(root, "/x/y/file", 0644, &err);
	assert_true(f >= 0);
	snprintf(p, sizeof(p), "rm -rf '%s'", tmpl);
	assert_int_equal(system(p), 0);
}

static void test_read_file_cap(void **state)
{
	char path[] = "/tmp/hutch-test-file-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, "0123456789", 10), 0);
	close(fd);
	hutch_error err = {0};
	char *buf = NULL;
	size_t len = 0;
	assert_int_equal(read_file_all(path, 4, &buf, &len, &err), -1);
	assert_int_equal(err.errnum, EFBIG);
	assert_int_equal(read_file_all(path, 100, &buf, &len, &err), 0);
	assert_int_equal(len, 10);
	free(buf);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_message_ends_with_strerror),
	    cmocka_unit_test(test_json_parse_rejects_garbage),
	    cmocka_unit_test(test_json_getters_name_the_path),
	    cmocka_unit_test(test_path_clean),
	    cmocka_unit_test(test_path_open_in_root_stays_inside),
	    cmocka_unit_test(test_read_file_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
