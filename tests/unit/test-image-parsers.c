/* Unit tests for the image parsers: WWW-Authenticate challenges, platform
 * selection in an index, layer path and whiteout rules, digests and chain
 * ids, manifests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "digest.h"
#include "manifest.h"
#include "registry.h"
#include "whiteout.h"

static void test_bearer_challenge(void **state)
{
	struct auth_challenge c;
	hutch_error err = {0};
	assert_int_equal(auth_parse_challenge("Bearer realm=\"https://auth.docker.io/token\","
					      "service=\"registry.docker.io\",scope=\"repository:"
					      "library/busybox:pull\"",
					      &c, &err),
			 0);
	assert_int_equal(c.scheme, AUTH_BEARER);
	assert_string_equal(c.realm, "https://auth.docker.io/token");
	assert_string_equal(c.service, "registry.docker.io");
	assert_string_equal(c.scope, "repository:library/busybox:pull");
	/* Unquoted values, spaces after commas, escaped quotes. */
	assert_int_equal(
	    auth_parse_challenge("bearer realm=http://127.0.0.1:1/t, service=\"a\\\"b\"", &c, &err),
	    0);
	assert_string_equal(c.realm, "http://127.0.0.1:1/t");
	assert_string_equal(c.service, "a\"b");
	assert_int_equal(auth_parse_challenge("Basic realm=\"x\"", &c, &err), 0);
	assert_int_equal(c.scheme, AUTH_BASIC);
}

static void test_bad_challenges(void **state)
{
	struct auth_challenge c;
	hutch_error err = {0};
	assert_int_equal(auth_parse_challenge("Negotiate abc", &c, &err), -1);
	assert_non_null(strstr(err.msg, "unsupported"));
	assert_int_equal(auth_parse_challenge("Bearer service=\"x\"", &c, &err), -1);
	assert_non_null(strstr(err.msg, "without realm"));
	assert_int_equal(auth_parse_challenge("Bearer realm=\"unterminated", &c, &err), -1);
	assert_int_equal(auth_parse_challenge("Bearer realm=\"file:///etc/passwd\"", &c, &err), -1);
}

static void test_base64(void **state)
{
	char *s = auth_base64_decode("dXNlcjpwYXNz", NULL);
	assert_string_equal(s, "user:pass");
	free(s);
	assert_null(auth_base64_decode("!!", NULL));
}

#define D(c)                                                                                       \
	"sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
	    c c c c c c c c c c c c c c c c c c c c c c c c

static const char index_json[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":["
    "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D(
	"a") "\",\"size\":1,"
	     "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
	     "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D(
		 "b") "\",\"size\":1,"
		      "\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"},"
		      "\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}},"
		      "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D(
			  "c") "\",\"size\":1,"
			       "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
			       "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D(
				   "d") "\",\"size\":1,"
					"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
					"\"variant\":\"v6\"}},"
					"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D(
					    "e") "\",\"size\":1,"
						 "\"platform\":{\"os\":\"linux\",\"architecture\":"
						 "\"arm\",\"variant\":\"v7\"}}]}";

static void select_ok(const char *plat, const char *want)
{
	struct platform p;
	struct descriptor d;
	hutch_error err = {0};
	assert_int_equal(platform_parse(plat, &p, &err), 0);
	if (manifest_select_platform(index_json, strlen(index_json), &p, &d, &err) != 0)
		fail_msg("%s: %s", plat, err.msg);
	assert_string_equal(d.digest, want);
}

static void test_platform_selection(void **state)
{
	select_ok("linux/amd64", D("c"));
	select_ok("linux/arm64", D("a"));
	select_ok("linux/arm/v7", D("e"));
	select_ok("linux/arm/v6", D("d"));
	struct platform p;
	struct descriptor d;
	hutch_error err = {0};
	/* An attestation manifest is never picked, even when asked for. */
	assert_int_equal(platform_parse("unknown/unknown", &p, &err), 0);
	assert_int_equal(manifest_select_platform(index_json, strlen(index_json), &p, &d, &err),
			 -1);
	assert_non_null(strstr(err.msg, "no matching manifest"));
	assert_int_equal(platform_parse("linux/s390x", &p, &err), 0);
	assert_int_equal(manifest_select_platform(index_json, strlen(index_json), &p, &d, &err),
			 -1);
	assert_int_equal(platform_parse("linux", &p, &err), -1);
	assert_int_equal(manifest_kind_of(index_json, strlen(index_json), NULL),
			 MANIFEST_KIND_INDEX);
}

static void test_manifest_parse(void **state)
{
	static const char ok[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
	    "\"config\":{\"digest\":\"" D(
		"1") "\",\"size\":10},"
		     "\"layers\":[{\"mediaType\":\"" MT_DOCKER_LAYER_GZIP "\","
		     "\"digest\":\"" D("2") "\",\"size\":5},"
					    "{\"mediaType\":\"" MT_OCI_LAYER_ZSTD
					    "\",\"digest\":\"" D("3") "\"}]}";
	struct image_manifest *m = malloc(sizeof(*m));
	hutch_error err = {0};
	assert_int_equal(manifest_parse(ok, strlen(ok), m, &err), 0);
	assert_int_equal(m->n_layers, 2);
	assert_string_equal(m->layers[1].digest, D("3"));
	assert_int_equal(manifest_kind_of(ok, strlen(ok), NULL), MANIFEST_KIND_IMAGE);
	/* A digest that could name a file outside blobs/ is refused. */
	static const char evil[] =
	    "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:../../x\"},"
	    "\"layers\":[]}";
	assert_int_equal(manifest_parse(evil, strlen(evil), m, &err), -1);
	assert_non_null(strstr(err.msg, "invalid digest"));
	assert_int_equal(manifest_parse("not json", 8, m, &err), -1);
	static const char foreign[] = "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D(
	    "1") "\"},"
		 "\"layers\":[{\"mediaType\":\"text/plain\",\"digest\":\"" D("2") "\"}]}";
	assert_int_equal(manifest_parse(foreign, strlen(foreign), m, &err), -1);
	assert_non_null(strstr(err.msg, "unsupported layer type"));
	free(m);
}

static void clean_ok(const char *in, const char *want)
{
	char out[256];
	hutch_error err = {0};
	if (layer_path_clean(in, out, sizeof(out), &err) != 0)
		fail_msg("%s: %s", in, err.msg);
	assert_string_equal(out, want);
}

static void test_layer_paths(void **state)
{
	char out[256];
	hutch_error err = {0};
	clean_ok("./etc/passwd", "etc/passwd");
	clean_ok("etc//x/./y/", "etc/x/y");
	clean_ok("./", "");
	assert_int_equal(layer_path_clean("../etc/passwd", out, sizeof(out), &err), -1);
	assert_non_null(strstr(err.msg, "\"..\""));
	assert_int_equal(layer_path_clean("a/b/../../..", out, sizeof(out), &err), -1);
	assert_int_equal(layer_path_clean("/etc/passwd", out, sizeof(out), &err), -1);
	assert_non_null(strstr(err.msg, "absolute"));
	assert_int_equal(layer_path_clean("", out, sizeof(out), &err), -1);
}

static void classify(const char *p, enum layer_entry_kind want_kind, const char *want_target)
{
	enum layer_entry_kind k;
	char target[256];
	hutch_error err = {0};
	if (layer_entry_classify(p, &k, target, sizeof(target), &err) != 0)
		fail_msg("%s: %s", p, err.msg);
	assert_int_equal(k, want_kind);
	if (want_target)
		assert_string_equal(target, want_target);
}

static void test_whiteouts(void **state)
{
	classify("etc/passwd", LAYER_ENTRY_NORMAL, NULL);
	classify("etc/.wh.passwd", LAYER_ENTRY_WHITEOUT, "etc/passwd");
	classify(".wh.tmp", LAYER_ENTRY_WHITEOUT, "tmp");
	classify("var/.wh..wh..opq", LAYER_ENTRY_OPAQUE, "var");
	classify(".wh..wh..opq", LAYER_ENTRY_OPAQUE, "");
	classify("x/.wh..wh.plnk", LAYER_ENTRY_IGNORED, NULL);
	classify("x/.whfoo", LAYER_ENTRY_NORMAL, NULL);
	enum layer_entry_kind k;
	char target[256];
	hutch_error err = {0};
	/* ".wh..." would whiteout "..": refused. */
	assert_int_equal(layer_entry_classify("a/.wh...", &k, target, sizeof(target), &err), -1);
	assert_int_equal(layer_entry_classify("a/.wh.", &k, target, sizeof(target), &err), -1);
	assert_int_equal(layer_entry_classify("a/.wh..", &k, target, sizeof(target), &err), -1);
}

static void test_digests(void **state)
{
	char d[DIGEST_STR_LEN + 1];
	digest_buffer("", 0, d);
	assert_string_equal(
	    d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	_cleanup_digest_ digest_ctx *c = digest_new();
	digest_update(c, "ab", 2);
	digest_update(c, "c", 1);
	digest_final(c, d);
	assert_string_equal(
	    d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hutch_error err = {0};
	assert_int_equal(digest_verify(D("a"), d, "layer", &err), -1);
	assert_non_null(strstr(err.msg, "digest mismatch"));
	assert_false(digest_is_valid("sha256:ABC"));
	assert_false(digest_is_valid("sha512:"
				     "00"));
	assert_false(digest_is_valid(D("a") "0"));
	assert_true(digest_is_valid(D("a")));
	/* Chain ids: the first is the diff_id, the next hashes "parent diff". */
	char chain[DIGEST_STR_LEN + 1];
	digest_chain_id(NULL, D("a"), chain);
	assert_string_equal(chain, D("a"));
	digest_chain_id(D("a"), D("b"), chain);
	char expect[DIGEST_STR_LEN + 1];
	digest_buffer(D("a") " " D("b"), 2 * DIGEST_STR_LEN + 1, expect);
	assert_string_equal(chain, expect);
}

static void test_insecure_registries(void **state)
{
	const char *const list[] = {"lab.example:5000", "10.0.0.5", NULL};
	assert_true(registry_is_insecure("127.0.0.1:5000", NULL));
	assert_true(registry_is_insecure("127.1.2.3", NULL));
	assert_true(registry_is_insecure("localhost:80", NULL));
	assert_true(registry_is_insecure("[::1]:5000", NULL));
	assert_false(registry_is_insecure("docker.io", NULL));
	assert_false(registry_is_insecure("128.0.0.1:5000", NULL));
	/* A name that merely starts like loopback is not loopback. */
	assert_false(registry_is_insecure("127.0.0.1.evil.example", NULL));
	assert_true(registry_is_insecure("lab.example:5000", list));
	assert_false(registry_is_insecure("lab.example:5001", list));
	assert_true(registry_is_insecure("10.0.0.5:5000", list));
}

static void test_docker_config_credentials(void **state)
{
	char dir[] = "/tmp/hutch-unit-auth-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	/* dXNlcjpwYXNz = user:pass, Ym9iOnB3 = bob:pw */
	fputs("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dXNlcjpwYXNz\"},"
	      "\"reg.example:5000\":{\"auth\":\"Ym9iOnB3\"},"
	      "\"plain.example\":{\"username\":\"u\",\"password\":\"p\"}}}",
	      f);
	fclose(f);
	char *up = NULL;
	hutch_error err = {0};
	assert_int_equal(auth_lookup_config(path, "docker.io", &up, &err), 1);
	assert_string_equal(up, "user:pass");
	free(up);
	assert_int_equal(auth_lookup_config(path, "reg.example:5000", &up, &err), 1);
	assert_string_equal(up, "bob:pw");
	free(up);
	assert_int_equal(auth_lookup_config(path, "plain.example", &up, &err), 1);
	assert_string_equal(up, "u:p");
	free(up);
	assert_int_equal(auth_lookup_config(path, "reg.example", &up, &err), 0);
	assert_int_equal(auth_lookup_config("/nonexistent/config.json", "x", &up, &err), 0);
	/* X-Registry-Auth: base64url of {"username":"a","password":"b"} */
	assert_int_equal(
	    auth_decode_registry_header("eyJ1c2VybmFtZSI6ImEiLCJwYXNzd29yZCI6ImIifQ==", &up, &err),
	    1);
	assert_string_equal(up, "a:b");
	free(up);
	assert_int_equal(auth_decode_registry_header("", &up, &err), 0);
	assert_int_equal(auth_decode_registry_header("!!!", &up, &err), -1);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bearer_challenge),
	    cmocka_unit_test(test_bad_challenges),
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_platform_selection),
	    cmocka_unit_test(test_manifest_parse),
	    cmocka_unit_test(test_layer_paths),
	    cmocka_unit_test(test_whiteouts),
	    cmocka_unit_test(test_digests),
	    cmocka_unit_test(test_insecure_registries),
	    cmocka_unit_test(test_docker_config_credentials),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
