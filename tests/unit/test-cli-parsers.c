/* Unit tests for the CLI's parsers: -p specs, detach keys, the stream
 * demultiplexer and run's flags into the create body (the --format
 * templates have test-cli-template.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attach.h"
#include "json-util.h"
#include "run-config.h"

/* The bindings of one key as "ip/port" strings joined with spaces. */
static void bindings_of(json_object *b, const char *key, char *out, size_t size)
{
	json_object *list = NULL;
	out[0] = '\0';
	if (!json_object_object_get_ex(b, key, &list))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *ip = "", *port = "";
		json_get_string(e, "", "HostIp", false, &ip, NULL);
		json_get_string(e, "", "HostPort", false, &port, NULL);
		size_t l = strlen(out);
		snprintf(out + l, size - l, "%s%s/%s", l ? " " : "", ip, port);
	}
}

static int publish(const char *spec, json_object **b, json_object **e, hutch_error *err)
{
	*b = json_object_new_object();
	*e = json_object_new_object();
	return publish_parse(spec, *b, *e, err);
}

static void test_publish_valid(void **state)
{
	(void)state;
	hutch_error err = {0};
	json_object *b, *e;
	char got[256];
	assert_int_equal(publish("127.0.0.1:8080:80", &b, &e, &err), 0);
	bindings_of(b, "80/tcp", got, sizeof(got));
	assert_string_equal(got, "127.0.0.1/8080");
	assert_true(json_object_object_get_ex(e, "80/tcp", NULL));
	json_object_put(b);
	json_object_put(e);

	assert_int_equal(publish("53/udp", &b, &e, &err), 0);
	bindings_of(b, "53/udp", got, sizeof(got));
	assert_string_equal(got, "/");
	json_object_put(b);
	json_object_put(e);

	assert_int_equal(publish("[::1]::80", &b, &e, &err), 0);
	bindings_of(b, "80/tcp", got, sizeof(got));
	assert_string_equal(got, "::1/");
	json_object_put(b);
	json_object_put(e);

	/* Ranges pair up; a host range for one port is left to the daemon. */
	assert_int_equal(publish("8000-8001:80-81", &b, &e, &err), 0);
	bindings_of(b, "81/tcp", got, sizeof(got));
	assert_string_equal(got, "/8001");
	json_object_put(b);
	json_object_put(e);
	assert_int_equal(publish("8000-8009:80", &b, &e, &err), 0);
	bindings_of(b, "80/tcp", got, sizeof(got));
	assert_string_equal(got, "/8000-8009");
	json_object_put(b);
	json_object_put(e);
}

static void expect_publish_error(const char *spec, const char *msg)
{
	hutch_error err = {0};
	json_object *b, *e;
	assert_int_equal(publish(spec, &b, &e, &err), -1);
	assert_string_equal(err.msg, msg);
	json_object_put(b);
	json_object_put(e);
}

static void test_publish_errors(void **state)
{
	(void)state;
	expect_publish_error("abc", "invalid containerPort: abc");
	expect_publish_error("0", "invalid containerPort: 0");
	expect_publish_error("99999:80", "invalid hostPort: 99999");
	expect_publish_error("1.2.3:80:80", "invalid IP address: 1.2.3");
	expect_publish_error("80/xtp", "invalid proto: xtp");
	expect_publish_error("1:2:3:4", "invalid port format for --publish: 1:2:3:4");
	expect_publish_error("8000-8002:80-81",
			     "invalid ranges specified for container and host Ports: 80-81 and "
			     "8000-8002");
	expect_publish_error("90-80", "invalid containerPort: 90-80");
}

static void test_detach_keys(void **state)
{
	(void)state;
	struct detach_keys k;
	hutch_error err = {0};
	assert_int_equal(detach_keys_parse("ctrl-p,ctrl-q", &k, &err), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(k.keys[0], 16);
	assert_int_equal(k.keys[1], 17);
	assert_int_equal(detach_keys_parse("a,ctrl-@,ctrl-[,ctrl-_", &k, &err), 0);
	assert_int_equal(k.n, 4);
	assert_int_equal(k.keys[0], 'a');
	assert_int_equal(k.keys[1], 0);
	assert_int_equal(k.keys[2], 27);
	assert_int_equal(k.keys[3], 31);
	assert_int_equal(detach_keys_parse("", &k, &err), 0);
	assert_int_equal(k.n, 0);
	assert_int_equal(detach_keys_parse("ctrl-1", &k, &err), -1);
	assert_non_null(strstr(err.msg, "invalid detach keys (ctrl-1)"));
	assert_int_equal(detach_keys_parse("ab", &k, &err), -1);
}

/* Feed frames to demux_feed in chunks of every size and compare what
 * reaches fds 1 and 2 (redirected to pipes). */
static void test_demux(void **state)
{
	(void)state;
	static const unsigned char frames[] = {
	    1,	 0,   0, 0, 0, 0, 0, 3, 'o', 'u', 't', 2, 0, 0, 0, 0, 0, 0, 4,	 'e', 'r',
	    'r', '!', 1, 0, 0, 0, 0, 0, 0,   0,	  1,   0, 0, 0, 0, 0, 0, 2, 'h', 'i'};
	for (size_t chunk = 1; chunk <= sizeof(frames); chunk++) {
		int out[2], errp[2];
		assert_int_equal(pipe(out), 0);
		assert_int_equal(pipe(errp), 0);
		int saved1 = dup(1), saved2 = dup(2);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		struct demux d = {0};
		for (size_t off = 0; off < sizeof(frames); off += chunk) {
			size_t n = sizeof(frames) - off < chunk ? sizeof(frames) - off : chunk;
			assert_int_equal(demux_feed(&d, (const char *)frames + off, n), 0);
		}
		dup2(saved1, 1);
		dup2(saved2, 2);
		close(saved1);
		close(saved2);
		close(out[1]);
		close(errp[1]);
		char o[64] = "", e[64] = "";
		assert_true(read(out[0], o, sizeof(o) - 1) >= 0);
		assert_true(read(errp[0], e, sizeof(e) - 1) >= 0);
		close(out[0]);
		close(errp[0]);
		assert_string_equal(o, "outhi");
		assert_string_equal(e, "err!");
	}
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;
	json_object_object_get_ex(o, key, &v);
	return v;
}

static void test_run_config(void **state)
{
	(void)state;
	char *argv[] = {"run",		"-d",
			"-e",		"A=1",
			"--name",	"web",
			"-p",		"127.0.0.1:80:8080",
			"-v",		"/src:/dst:ro",
			"--mount",	"type=tmpfs,target=/t,tmpfs-size=1m",
			"--entrypoint", "",
			"-l",		"k=v",
			"--rm",		"--cap-drop",
			"ALL",		"--read-only",
			"--pull",	"never",
			"busybox",	"sh",
			"-c",		"echo"};
	int argc = (int)(sizeof(argv) / sizeof(argv[0]));
	struct run_config rc;
	hutch_error err = {0};
	assert_int_equal(run_config_parse(argc, argv, true, &rc, &err), 0);
	assert_true(rc.detach);
	assert_true(rc.auto_remove);
	assert_string_equal(rc.name, "web");
	assert_string_equal(rc.image, "busybox");
	assert_int_equal(rc.pull, PULL_NEVER);
	json_object *c = rc.body, *h = member(c, "HostConfig");
	assert_string_equal(json_object_to_json_string(member(c, "Cmd")),
			    "[ \"sh\", \"-c\", \"echo\" ]");
	assert_string_equal(json_object_to_json_string(member(c, "Entrypoint")), "[ \"\" ]");
	assert_string_equal(json_object_to_json_string(member(c, "Env")), "[ \"A=1\" ]");
	assert_string_equal(json_object_get_string(member(member(c, "Labels"), "k")), "v");
	assert_false(json_object_get_boolean(member(c, "AttachStdout")));
	assert_string_equal(json_object_to_json_string(member(h, "Binds")),
			    "[ \"\\/src:\\/dst:ro\" ]");
	json_object *m = json_object_array_get_idx(member(h, "Mounts"), 0);
	assert_string_equal(json_object_get_string(member(m, "Type")), "tmpfs");
	assert_int_equal(json_object_get_int64(member(member(m, "TmpfsOptions"), "SizeBytes")),
			 1024 * 1024);
	assert_true(json_object_get_boolean(member(h, "ReadonlyRootfs")));
	assert_true(json_object_get_boolean(member(h, "AutoRemove")));
	assert_non_null(member(member(h, "PortBindings"), "8080/tcp"));
	run_config_free(&rc);

	/* Boolean flags take values; short ones combine. */
	char *bools[] = {"run",		"--rm=false", "-dit", "--sig-proxy=false",
			 "--init=true", "busybox"};
	assert_int_equal(run_config_parse(6, bools, true, &rc, &err), 0);
	assert_false(rc.auto_remove);
	assert_true(rc.detach && rc.interactive && rc.tty);
	assert_false(rc.sig_proxy);
	assert_true(json_object_get_boolean(member(member(rc.body, "HostConfig"), "Init")));
	run_config_free(&rc);
	char *notbool[] = {"run", "--privileged=maybe", "busybox"};
	assert_int_equal(run_config_parse(3, notbool, true, &rc, &err), -1);
	assert_string_equal(
	    err.msg, "invalid argument \"maybe\" for \"--privileged\" flag: not true or false");
	run_config_free(&rc);

	char *bad[] = {"run", "--mount", "type=bind,source=/a,bogus=1", "busybox"};
	assert_int_equal(run_config_parse(4, bad, true, &rc, &err), -1);
	assert_non_null(strstr(err.msg, "unexpected key 'bogus'"));
	run_config_free(&rc);
	char *relative[] = {"run", "-v", "/a:rel", "busybox"};
	assert_int_equal(run_config_parse(4, relative, true, &rc, &err), -1);
	assert_non_null(strstr(err.msg, "mount path must be absolute"));
	run_config_free(&rc);
	char *create_d[] = {"create", "-d", "busybox"};
	assert_int_equal(run_config_parse(3, create_d, false, &rc, &err), -1);
	run_config_free(&rc);
	char *none[] = {"run", "-it"};
	assert_int_equal(run_config_parse(2, none, true, &rc, &err), -1);
	assert_string_equal(err.msg, "\"hutch run\" requires at least 1 argument");
	run_config_free(&rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_publish_valid), cmocka_unit_test(test_publish_errors),
	    cmocka_unit_test(test_detach_keys),	  cmocka_unit_test(test_demux),
	    cmocka_unit_test(test_run_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
