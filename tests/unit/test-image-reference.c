/* Unit tests for image reference parsing: docker.io/library defaults,
 * tags, digests, registry ports and the errors for malformed names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "reference.h"

#define DG "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void parse_ok(const char *s, const char *domain, const char *path, const char *tag,
		     const char *digest)
{
	struct image_ref r;
	hutch_error err = {0};
	int rc = image_ref_parse(s, true, &r, &err);
	if (rc != 0)
		fail_msg("%s: %s", s, err.msg);
	assert_string_equal(r.domain, domain);
	assert_string_equal(r.path, path);
	assert_string_equal(r.tag, tag);
	assert_string_equal(r.digest, digest);
}

static void test_docker_hub_defaults(void **state)
{
	parse_ok("busybox", "docker.io", "library/busybox", "latest", "");
	parse_ok("busybox:1.36", "docker.io", "library/busybox", "1.36", "");
	parse_ok("user/app", "docker.io", "user/app", "latest", "");
	parse_ok("docker.io/busybox", "docker.io", "library/busybox", "latest", "");
	parse_ok("index.docker.io/library/busybox:x", "docker.io", "library/busybox", "x", "");
}

static void test_registry_with_port(void **state)
{
	parse_ok("127.0.0.1:5000/busybox", "127.0.0.1:5000", "busybox", "latest", "");
	parse_ok("127.0.0.1:5000/a/b:v1.2", "127.0.0.1:5000", "a/b", "v1.2", "");
	parse_ok("localhost/x", "localhost", "x", "latest", "");
	parse_ok("quay.io/org/repo_x.y-z:t", "quay.io", "org/repo_x.y-z", "t", "");
	/* A first component without '.', ':' or "localhost" is a path. */
	parse_ok("foo/bar", "docker.io", "foo/bar", "latest", "");
}

static void test_digests(void **state)
{
	parse_ok("busybox@" DG, "docker.io", "library/busybox", "", DG);
	parse_ok("h:1/x:t@" DG, "h:1", "x", "t", DG);
}

static void parse_bad(const char *s, const char *needle)
{
	struct image_ref r;
	hutch_error err = {0};
	assert_int_equal(image_ref_parse(s, true, &r, &err), -1);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("%s: error \"%s\" lacks \"%s\"", s, err.msg, needle);
}

static void test_bad_references(void **state)
{
	parse_bad("", "empty");
	parse_bad("Busybox", "lowercase");
	parse_bad("busybox:", "bad tag");
	parse_bad("busybox:-x", "bad tag");
	parse_bad("busybox@sha256:abc", "bad digest");
	parse_bad("a//b", "lowercase");
	parse_bad("a/../b", "lowercase");
	parse_bad("host:99999999/x", "bad registry");
	parse_bad("x_", "lowercase");
}

static void test_names(void **state)
{
	struct image_ref r;
	char buf[600];
	assert_int_equal(image_ref_parse("busybox", true, &r, NULL), 0);
	image_ref_name(&r, buf, sizeof(buf));
	assert_string_equal(buf, "docker.io/library/busybox:latest");
	image_ref_familiar(buf, buf, sizeof(buf));
	assert_string_equal(buf, "busybox:latest");
	image_ref_familiar("docker.io/user/x:1", buf, sizeof(buf));
	assert_string_equal(buf, "user/x:1");
	image_ref_familiar("127.0.0.1:5000/library/x:1", buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:5000/library/x:1");
	assert_int_equal(image_ref_parse("busybox@" DG, true, &r, NULL), 0);
	image_ref_name(&r, buf, sizeof(buf));
	assert_string_equal(buf, "docker.io/library/busybox@" DG);
	assert_string_equal(image_ref_registry_host("docker.io"), "registry-1.docker.io");
	assert_string_equal(image_ref_registry_host("h:5"), "h:5");
	/* Without default_tag, no tag stays empty. */
	assert_int_equal(image_ref_parse("busybox", false, &r, NULL), 0);
	assert_string_equal(r.tag, "");
}

static void test_id_prefix(void **state)
{
	assert_true(image_ref_is_id_prefix("abcd"));
	assert_true(image_ref_is_id_prefix(DG));
	assert_false(image_ref_is_id_prefix("abc"));
	assert_false(image_ref_is_id_prefix("busybox"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_docker_hub_defaults),
	    cmocka_unit_test(test_registry_with_port),
	    cmocka_unit_test(test_digests),
	    cmocka_unit_test(test_bad_references),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_id_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
