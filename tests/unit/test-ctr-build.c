/* Unit tests for the pure parts of container creation (src/daemon/ctr-*.c):
 * request type checks, the image config merge, env, commands, users from
 * passwd/group and from layered snapshot dirs with whiteouts, port specs,
 * bind and mount specs, capabilities, security options, /etc files, and
 * the shape of the OCI config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "ctr-build-internal.h"
#include "file-util.h"
#include "json-util.h"
#include "volumes.h"

static json_object *J(const char *s)
{
	json_object *o = json_tokener_parse(s);
	if (o == NULL)
		fail_msg("bad test JSON: %s", s);
	return o;
}

static const char *str_at(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

/* --- request checks --- */

static void normalize_fails(const char *req, const char *want)
{
	_cleanup_json_ json_object *r = J(req);
	json_object *config = NULL, *host = NULL;
	hutch_error err = {0};
	if (ctr_request_normalize(r, &config, &host, &err) == 0)
		fail_msg("accepted: %s", req);
	assert_int_equal(err.errnum, EINVAL);
	if (strstr(err.msg, want) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", req, err.msg, want);
}

static void test_request_types(void **state)
{
	(void)state;
	normalize_fails("{\"Cmd\": 5}", "cannot unmarshal number into Go struct field Config.Cmd");
	normalize_fails("{\"Env\": \"A=1\"}", "Config.Env of type []string");
	normalize_fails("{\"Env\": [1]}", "Config.Env");
	normalize_fails("{\"Tty\": \"yes\"}",
			"unmarshal string into Go struct field Config.Tty of type bool");
	normalize_fails("{\"Labels\": {\"a\": 1}}", "Config.Labels of type map[string]string");
	normalize_fails("{\"ExposedPorts\": [\"80/tcp\"]}",
			"Config.ExposedPorts of type nat.PortSet");
	normalize_fails("{\"HostConfig\": []}", "HostConfig");
	normalize_fails("{\"HostConfig\": {\"Binds\": \"/a:/b\"}}",
			"HostConfig.Binds of type []string");
	normalize_fails("{\"HostConfig\": {\"Memory\": \"1g\"}}",
			"HostConfig.Memory of type int64");
	normalize_fails("{\"HostConfig\": {\"Memory\": 1.5}}", "HostConfig.Memory");
	normalize_fails(
	    "{\"HostConfig\": {\"PortBindings\": {\"80/tcp\": [{\"HostPort\": 8080}]}}}",
	    "PortBinding.HostPort of type string");
	normalize_fails(
	    "{\"HostConfig\": {\"Mounts\": [{\"Type\": \"bind\", \"ReadOnly\": \"y\"}]}}",
	    "Mount.ReadOnly of type bool");
	normalize_fails("{\"HostConfig\": {\"LogConfig\": {\"Type\": 3}}}", "LogConfig.Type");
	normalize_fails("{\"HostConfig\": {\"ConsoleSize\": [1]}}", "ConsoleSize of type [2]uint");
}

static void test_request_defaults(void **state)
{
	(void)state;
	_cleanup_json_ json_object *r =
	    J("{\"Image\": \"busybox\", \"Cmd\": \"echo hi\", \"Entrypoint\": null, "
	      "\"Unknown\": 1, \"HostConfig\": {\"Privileged\": true}}");
	_cleanup_json_ json_object *config = NULL, *host = NULL;
	hutch_error err = {0};
	assert_int_equal(ctr_request_normalize(r, &config, &host, &err), 0);
	json_object *cmd = NULL;
	assert_true(json_object_object_get_ex(config, "Cmd", &cmd));
	assert_true(json_object_is_type(cmd, json_type_array));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(cmd, 0)), "echo hi");
	assert_false(json_object_object_get_ex(config, "Unknown", NULL));
	assert_string_equal(str_at(config, "WorkingDir"), "");
	assert_string_equal(str_at(host, "NetworkMode"), "default");
	json_object *lc = NULL;
	assert_true(json_object_object_get_ex(host, "LogConfig", &lc));
	assert_string_equal(str_at(lc, "Type"), "json-file");
	json_object *shm = NULL;
	assert_true(json_object_object_get_ex(host, "ShmSize", &shm));
	assert_int_equal(json_object_get_int64(shm), 67108864);

	/* What the docker CLI sends for "no preference" means the default. */
	_cleanup_json_ json_object *cli =
	    J("{\"HostConfig\": {\"ShmSize\": 0, \"NetworkMode\": \"\", "
	      "\"LogConfig\": {\"Type\": \"\", \"Config\": {}}, "
	      "\"OomScoreAdj\": 0, \"Privileged\": false}}");
	_cleanup_json_ json_object *c2 = NULL, *h2 = NULL;
	assert_int_equal(ctr_request_normalize(cli, &c2, &h2, &err), 0);
	assert_int_equal(json_object_get_int64(json_object_object_get(h2, "ShmSize")), 67108864);
	assert_string_equal(str_at(h2, "NetworkMode"), "default");
	assert_string_equal(str_at(json_object_object_get(h2, "LogConfig"), "Type"), "json-file");
}

/* --- merge, env, command --- */

static json_object *merged(const char *user, const char *image)
{
	json_object *config = NULL, *host = NULL;
	_cleanup_json_ json_object *r = J(user);
	hutch_error err = {0};
	assert_int_equal(ctr_request_normalize(r, &config, &host, &err), 0);
	json_object_put(host);
	_cleanup_json_ json_object *ic = image ? J(image) : NULL;
	if (ctr_config_merge(config, ic, &err) < 0)
		fail_msg("merge: %s", err.msg);
	return config;
}

static char *command_of(json_object *config)
{
	char **argv = NULL;
	size_t argc = 0;
	hutch_error err = {0};
	if (ctr_config_command(config, &argv, &argc, &err) < 0)
		return strdup(err.msg);
	char buf[512] = "";
	for (size_t i = 0; i < argc; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "",
			 argv[i]);
	strv_free(argv);
	return strdup(buf);
}

static void expect_command(const char *user, const char *image, const char *want)
{
	_cleanup_json_ json_object *c = merged(user, image);
	_cleanup_free_ char *got = command_of(c);
	if (strcmp(got, want) != 0)
		fail_msg("%s + %s: got \"%s\", want \"%s\"", user, image, got, want);
}

static void test_entrypoint_cmd_rules(void **state)
{
	(void)state;
	const char *img = "{\"Entrypoint\": [\"/ep\"], \"Cmd\": [\"img-cmd\"]}";
	expect_command("{}", img, "/ep img-cmd");
	expect_command("{\"Cmd\": [\"mine\"]}", img, "/ep mine");
	/* A request Entrypoint drops the image's Cmd. */
	expect_command("{\"Entrypoint\": [\"/mine\"]}", img, "/mine");
	expect_command("{\"Entrypoint\": [\"/mine\"], \"Cmd\": [\"x\"]}", img, "/mine x");
	/* An empty Entrypoint clears the image's, the image Cmd stays. */
	expect_command("{\"Entrypoint\": []}", img, "img-cmd");
	/* --entrypoint "" */
	expect_command("{\"Entrypoint\": [\"\"], \"Cmd\": [\"echo\", \"hi\"]}", img, "echo hi");
	expect_command("{}", "{\"Cmd\": [\"sh\"]}", "sh");
	expect_command("{}", "{}", "no command specified");
	expect_command("{}", NULL, "no command specified");
	expect_command("{\"Entrypoint\": [\"\"]}", img, "no command specified");
}

static void test_merge_fields(void **state)
{
	(void)state;
	_cleanup_json_ json_object *c = merged(
	    "{\"Env\": [\"A=mine\", \"C\"], \"Labels\": {\"l\": \"mine\"}, "
	    "\"ExposedPorts\": {\"53/udp\": {}}}",
	    "{\"Env\": [\"A=img\", \"B=img\", \"C=img\"], \"User\": \"1000\", "
	    "\"WorkingDir\": \"/srv\", \"StopSignal\": \"SIGQUIT\", "
	    "\"Labels\": {\"l\": \"img\", \"m\": \"img\"}, \"ExposedPorts\": {\"80/tcp\": {}}}");
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(c, "Env"),
							   JSON_C_TO_STRING_PLAIN),
			    "[\"A=mine\",\"C\",\"B=img\"]");
	assert_string_equal(str_at(c, "User"), "1000");
	assert_string_equal(str_at(c, "WorkingDir"), "/srv");
	assert_string_equal(str_at(c, "StopSignal"), "SIGQUIT");
	json_object *labels = json_object_object_get(c, "Labels");
	assert_string_equal(str_at(labels, "l"), "mine");
	assert_string_equal(str_at(labels, "m"), "img");
	json_object *ports = json_object_object_get(c, "ExposedPorts");
	assert_true(json_object_object_get_ex(ports, "80/tcp", NULL));
	assert_true(json_object_object_get_ex(ports, "53/udp", NULL));

	/* The process env: PATH default, HOSTNAME, TERM with a tty; "C"
	 * alone unsets. */
	_cleanup_strv_ char **env = ctr_env_build(json_object_object_get(c, "Env"), "h1", true);
	assert_string_equal(env[0],
			    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(ctr_env_get(env, "HOSTNAME"), "h1");
	assert_string_equal(ctr_env_get(env, "TERM"), "xterm");
	assert_string_equal(ctr_env_get(env, "A"), "mine");
	assert_string_equal(ctr_env_get(env, "B"), "img");
	assert_null(ctr_env_get(env, "C"));

	_cleanup_json_ json_object *c2 = merged("{\"Env\": [\"PATH=/x\"]}", NULL);
	_cleanup_strv_ char **env2 = ctr_env_build(json_object_object_get(c2, "Env"), "h", false);
	assert_string_equal(ctr_env_get(env2, "PATH"), "/x");
	assert_null(ctr_env_get(env2, "TERM"));

	hutch_error err = {0};
	_cleanup_json_ json_object *bad = J("{\"Env\": [\"=x\"]}");
	assert_int_equal(ctr_config_merge(bad, NULL, &err), -1);
	assert_string_equal(err.msg, "invalid environment variable: =x");
	_cleanup_json_ json_object *wd = J("{\"WorkingDir\": \"rel\"}");
	assert_int_equal(ctr_config_merge(wd, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "needs to be an absolute path"));
}

/* --- users --- */

static const char *passwd = "root:x:0:0:root:/root:/bin/sh\n"
			    "# comment\n"
			    "user:x:1000:1000:user:/home/user:/bin/sh\n"
			    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char *group = "root:x:0:\n"
			   "wheel:x:10:user,other\n"
			   "user:x:1000:\n"
			   "audio:x:29:user\n"
			   "nogroup:x:65534:\n";

static void expect_user(const char *spec, uint32_t uid, uint32_t gid, const char *groups,
			const char *home)
{
	struct ctr_user u;
	hutch_error err = {0};
	if (ctr_user_resolve(spec, passwd, group, NULL, &u, &err) < 0)
		fail_msg("%s: %s", spec, err.msg);
	assert_int_equal(u.uid, uid);
	assert_int_equal(u.gid, gid);
	char buf[128] = "";
	for (size_t i = 0; i < u.n_groups; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%u", i ? "," : "",
			 u.groups[i]);
	assert_string_equal(buf, groups);
	assert_string_equal(u.home, home);
	ctr_user_free(&u);
}

static void test_user_specs(void **state)
{
	(void)state;
	expect_user("", 0, 0, "", "/root");
	expect_user("root", 0, 0, "", "/root");
	expect_user("user", 1000, 1000, "10,29", "/home/user");
	expect_user("1000", 1000, 1000, "10,29", "/home/user");
	expect_user("4242", 4242, 0, "", "/");
	expect_user("user:audio", 1000, 29, "", "/home/user");
	expect_user("user:4000", 1000, 4000, "", "/home/user");
	expect_user("4242:4242", 4242, 4242, "", "/");
	expect_user("nobody:nogroup", 65534, 65534, "", "/nonexistent");

	struct ctr_user u;
	hutch_error err = {0};
	assert_int_equal(ctr_user_resolve("ghost", passwd, group, NULL, &u, &err), -1);
	assert_string_equal(err.msg,
			    "unable to find user ghost: no matching entries in passwd file");
	assert_int_equal(ctr_user_resolve("user:ghosts", passwd, group, NULL, &u, &err), -1);
	assert_string_equal(err.msg,
			    "unable to find group ghosts: no matching entries in group file");
	assert_int_equal(ctr_user_resolve("99999999999", passwd, group, NULL, &u, &err), -1);
	assert_non_null(strstr(err.msg, "must be in range"));
	/* No passwd file at all: numbers still work, names do not. */
	assert_int_equal(ctr_user_resolve("5:6", NULL, NULL, NULL, &u, &err), 0);
	assert_int_equal(u.uid, 5);
	assert_int_equal(u.gid, 6);
	ctr_user_free(&u);
	assert_int_equal(ctr_user_resolve("user", NULL, NULL, NULL, &u, &err), -1);

	_cleanup_json_ json_object *add = J("[\"audio\", \"777\"]");
	assert_int_equal(ctr_user_resolve("root", passwd, group, add, &u, &err), 0);
	assert_int_equal(u.n_groups, 2);
	assert_int_equal(u.groups[0], 29);
	assert_int_equal(u.groups[1], 777);
	ctr_user_free(&u);
	_cleanup_json_ json_object *bad = J("[\"nope\"]");
	assert_int_equal(ctr_user_resolve("root", passwd, group, bad, &u, &err), -1);
}

static void write_at(const char *dir, const char *rel, const char *text)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
	*slash = '/';
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_layers_whiteouts(void **state)
{
	(void)state;
	char root[] = "/tmp/ctr-layers-XXXXXX";
	assert_non_null(mkdtemp(root));
	char top[4200], mid[4200], bottom[4200];
	snprintf(top, sizeof(top), "%s/top", root);
	snprintf(mid, sizeof(mid), "%s/mid", root);
	snprintf(bottom, sizeof(bottom), "%s/bottom", root);
	write_at(bottom, "etc/passwd", "bottom\n");
	write_at(bottom, "etc/group", "bottom-group\n");
	write_at(bottom, "etc/shadow", "bottom-shadow\n");
	write_at(mid, "etc/passwd", "mid\n");
	write_at(mid, "etc/.wh.group", "");
	write_at(top, "etc/hostname", "x\n");
	char *lowers[] = {top, mid, bottom, NULL};
	hutch_error err = {0};
	char *c = NULL;
	assert_int_equal(ctr_layers_read_file(lowers, 3, "etc/passwd", &c, &err), 0);
	assert_string_equal(c, "mid\n");
	free(c);
	/* Whited out in mid: gone, although bottom has it. */
	assert_int_equal(ctr_layers_read_file(lowers, 3, "etc/group", &c, &err), 0);
	assert_null(c);
	assert_int_equal(ctr_layers_read_file(lowers, 3, "etc/shadow", &c, &err), 0);
	assert_string_equal(c, "bottom-shadow\n");
	free(c);
	assert_int_equal(ctr_layers_read_file(lowers, 3, "etc/nothing", &c, &err), 0);
	assert_null(c);
	/* A whole /etc whited out hides everything below it. */
	write_at(top, ".wh.etc", "");
	assert_int_equal(ctr_layers_read_file(lowers, 3, "etc/shadow", &c, &err), 0);
	assert_null(c);
	char p[4300];
	snprintf(p, sizeof(p), "%s/.wh.etc", top);
	unlink(p);
	/* The overlay's own whiteout: a 0/0 character device (root only). */
	snprintf(p, sizeof(p), "%s/etc/shadow", top);
	if (mknod(p, S_IFCHR | 0600, makedev(0, 0)) == 0) {
		assert_int_equal(ctr_layers_read_file(lowers, 3, "etc/shadow", &c, &err), 0);
		assert_null(c);
	}
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* --- ports --- */

static void test_port_specs(void **state)
{
	(void)state;
	uint16_t port, first, last;
	char proto[4];
	hutch_error err = {0};
	assert_int_equal(ctr_port_key_parse("80/tcp", &port, proto, &err), 0);
	assert_int_equal(port, 80);
	assert_string_equal(proto, "tcp");
	assert_int_equal(ctr_port_key_parse("53/udp", &port, proto, &err), 0);
	assert_string_equal(proto, "udp");
	assert_int_equal(ctr_port_key_parse("8080", &port, proto, &err), 0);
	assert_string_equal(proto, "tcp");
	assert_int_equal(ctr_port_key_parse("abc/tcp", &port, proto, &err), -1);
	assert_string_equal(err.msg, "invalid port specification: \"abc\"");
	assert_int_equal(ctr_port_key_parse("70000", &port, proto, &err), -1);
	assert_int_equal(ctr_port_key_parse("0/tcp", &port, proto, &err), -1);
	assert_int_equal(ctr_port_key_parse("80/xyz", &port, proto, &err), -1);
	assert_non_null(strstr(err.msg, "invalid proto"));
	assert_int_equal(ctr_port_key_parse("80/sctp", &port, proto, &err), -1);
	assert_non_null(strstr(err.msg, "sctp is not supported"));

	assert_int_equal(ctr_host_port_parse("", &first, &last, &err), 0);
	assert_int_equal(first, 0);
	assert_int_equal(ctr_host_port_parse("0", &first, &last, &err), 0);
	assert_int_equal(first, 0);
	assert_int_equal(ctr_host_port_parse("8080", &first, &last, &err), 0);
	assert_int_equal(first, 8080);
	assert_int_equal(last, 8080);
	assert_int_equal(ctr_host_port_parse("8000-8010", &first, &last, &err), 0);
	assert_int_equal(first, 8000);
	assert_int_equal(last, 8010);
	assert_int_equal(ctr_host_port_parse("9-1", &first, &last, &err), -1);
	assert_int_equal(ctr_host_port_parse("x", &first, &last, &err), -1);
	assert_string_equal(err.msg, "invalid port specification: \"x\"");
	assert_int_equal(ctr_host_port_parse("65536", &first, &last, &err), -1);
}

static void test_ports_collect_and_choose(void **state)
{
	(void)state;
	_cleanup_json_ json_object *config =
	    J("{\"ExposedPorts\": {\"80/tcp\": {}, \"53/udp\": {}}}");
	_cleanup_json_ json_object *host =
	    J("{\"PublishAllPorts\": true, \"PortBindings\": {\"8080\": [{\"HostIp\": "
	      "\"127.0.0.1\", \"HostPort\": \"\"}], \"80/tcp\": [{\"HostPort\": \"0\"}]}}");
	struct ctr_port *ports = NULL;
	size_t n = 0;
	hutch_error err = {0};
	if (ctr_ports_collect(config, host, &ports, &n, &err) < 0)
		fail_msg("%s", err.msg);
	/* 8080 and 80 bound explicitly, 53/udp by -P. */
	assert_int_equal(n, 3);
	json_object *exposed = json_object_object_get(config, "ExposedPorts");
	assert_true(json_object_object_get_ex(exposed, "8080/tcp", NULL));
	assert_int_equal(ctr_ports_choose(ports, n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_not_equal(ports[i].host_port, 0);
		for (size_t j = 0; j < i; j++)
			if (strcmp(ports[i].proto, ports[j].proto) == 0)
				assert_int_not_equal(ports[i].host_port, ports[j].host_port);
	}
	_cleanup_json_ json_object *js = ctr_ports_json(ports, n);
	assert_int_equal(json_object_array_length(js), 3);
	free(ports);

	_cleanup_json_ json_object *bad_ip =
	    J("{\"PortBindings\": {\"80\": [{\"HostIp\": \"1.2.3\"}]}}");
	_cleanup_json_ json_object *c2 = J("{}");
	assert_int_equal(ctr_ports_collect(c2, bad_ip, &ports, &n, &err), -1);
	assert_string_equal(err.msg, "invalid IP address: 1.2.3");
	_cleanup_json_ json_object *bad_port =
	    J("{\"PortBindings\": {\"80\": [{\"HostPort\": \"http\"}]}}");
	assert_int_equal(ctr_ports_collect(c2, bad_port, &ports, &n, &err), -1);
	assert_string_equal(err.msg, "invalid port specification: \"http\"");

	/* A host port range gets its first free port. */
	struct ctr_port r = {.proto = "tcp",
			     .host_ip = "127.0.0.1",
			     .host_port = 20000,
			     .host_port_last = 20100,
			     .container_port = 1};
	assert_int_equal(ctr_ports_choose(&r, 1, &err), 0);
	assert_true(r.host_port >= 20000 && r.host_port <= 20100);
}

/* --- mounts --- */

static void bind_fails(const char *spec, const char *want)
{
	struct ctr_mount m;
	hutch_error err = {0};
	if (ctr_bind_parse(spec, &m, &err) == 0)
		fail_msg("accepted: %s", spec);
	if (strstr(err.msg, want) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", spec, err.msg, want);
}

static void test_bind_specs(void **state)
{
	(void)state;
	struct ctr_mount m;
	hutch_error err = {0};
	assert_int_equal(ctr_bind_parse("/host//dir/:/data:ro", &m, &err), 0);
	assert_int_equal(m.type, CTR_MOUNT_BIND);
	assert_string_equal(m.source, "/host/dir");
	assert_string_equal(m.target, "/data");
	assert_true(m.readonly);
	assert_true(m.from_binds);
	free(m.source), free(m.target), free(m.propagation);

	assert_int_equal(ctr_bind_parse("/a:/b:rw,rshared,Z", &m, &err), 0);
	assert_false(m.readonly);
	assert_string_equal(m.propagation, "rshared");
	free(m.source), free(m.target), free(m.propagation);

	assert_int_equal(ctr_bind_parse("myvol:/v", &m, &err), 0);
	assert_int_equal(m.type, CTR_MOUNT_VOLUME);
	assert_string_equal(m.source, "myvol");
	free(m.source), free(m.target);

	assert_int_equal(ctr_bind_parse("/anon", &m, &err), 0);
	assert_int_equal(m.type, CTR_MOUNT_VOLUME);
	assert_null(m.source);
	free(m.target);

	bind_fails("/a:rel", "mount path must be absolute");
	bind_fails("/a:/", "destination can't be '/'");
	bind_fails("/a:/b:rx", "invalid mode: rx");
	bind_fails("/a:/b:ro,rw", "invalid mode: ro,rw");
	bind_fails("a:b:c:d", "invalid volume specification: 'a:b:c:d'");
	bind_fails(":/b", "invalid volume specification");
	bind_fails("bad name!:/b", "includes invalid characters for a local volume name");
	bind_fails("myvol:/v:rshared", "invalid mode");
}

static void mount_fails(const char *js, const char *want)
{
	_cleanup_json_ json_object *o = J(js);
	struct ctr_mount m;
	hutch_error err = {0};
	if (ctr_mount_parse(o, &m, &err) == 0)
		fail_msg("accepted: %s", js);
	if (strstr(err.msg, want) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", js, err.msg, want);
}

static void test_mount_specs(void **state)
{
	(void)state;
	mount_fails("{\"Type\": \"nfs\", \"Target\": \"/x\"}",
		    "invalid mount config for type \"nfs\": mount type unknown");
	mount_fails("{\"Type\": \"bind\", \"Target\": \"/x\"}",
		    "invalid mount config for type \"bind\": field Source must not be empty");
	mount_fails("{\"Type\": \"bind\", \"Source\": \"/s\"}", "field Target must not be empty");
	mount_fails("{\"Type\": \"bind\", \"Source\": \"/s\", \"Target\": \"x\"}",
		    "invalid mount path: 'x' mount path must be absolute");
	mount_fails("{\"Type\": \"tmpfs\", \"Source\": \"/s\", \"Target\": \"/x\"}",
		    "field Source must not be specified");
	mount_fails("{\"Type\": \"bind\", \"Source\": \"/s\", \"Target\": \"/x\", "
		    "\"TmpfsOptions\": {}}",
		    "field TmpfsOptions must not be specified");
	mount_fails("{\"Type\": \"bind\", \"Source\": \"/s\", \"Target\": \"/x\", "
		    "\"BindOptions\": {\"Propagation\": \"weird\"}}",
		    "invalid propagation mode: weird");

	/* Collected: binds, mounts, tmpfs, and an anonymous volume for each
	 * Config.Volumes path not covered. */
	_cleanup_json_ json_object *config = J("{\"Volumes\": {\"/data\": {}, \"/covered\": {}}}");
	_cleanup_json_ json_object *host =
	    J("{\"Binds\": [\"/src:/covered\"], \"Mounts\": [{\"Type\": \"tmpfs\", \"Target\": "
	      "\"/t\", \"TmpfsOptions\": {\"SizeBytes\": 1048576, \"Mode\": 448}}], "
	      "\"Tmpfs\": {\"/run\": \"size=64m,exec\"}}");
	struct ctr_mount *all = NULL;
	size_t n = 0;
	hutch_error err = {0};
	if (ctr_mounts_collect(config, host, &all, &n, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 4);
	assert_string_equal(all[1].tmpfs_options, "size=1048576,mode=700");
	assert_string_equal(all[2].target, "/run");
	assert_int_equal(all[3].type, CTR_MOUNT_VOLUME);
	assert_string_equal(all[3].target, "/data");
	_cleanup_json_ json_object *oci = ctr_mount_oci(&all[2]);
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(oci, "options"),
							   JSON_C_TO_STRING_PLAIN),
			    "[\"nosuid\",\"nodev\",\"noexec\",\"size=64m\",\"exec\"]");
	ctr_mounts_free(all, n);

	_cleanup_json_ json_object *dup = J("{\"Binds\": [\"/a:/x\", \"/b:/x/\"]}");
	_cleanup_json_ json_object *empty = J("{}");
	assert_int_equal(ctr_mounts_collect(empty, dup, &all, &n, &err), -1);
	assert_string_equal(err.msg, "Duplicate mount point: /x");
	_cleanup_json_ json_object *badtmpfs = J("{\"Tmpfs\": {\"/t\": \"size=1m,bogus\"}}");
	assert_int_equal(ctr_mounts_collect(empty, badtmpfs, &all, &n, &err), -1);
	assert_non_null(strstr(err.msg, "invalid tmpfs option"));
}

static void test_mounts_prepare(void **state)
{
	(void)state;
	char root[] = "/tmp/ctr-mounts-XXXXXX";
	assert_non_null(mkdtemp(root));
	char missing[4200];
	snprintf(missing, sizeof(missing), "%s/not/there", root);
	struct ctr_mount m = {
	    .type = CTR_MOUNT_BIND, .source = strdup(missing), .target = strdup("/x")};
	hutch_error err = {0};
	/* The Mounts form refuses a missing source... */
	assert_int_equal(ctr_mounts_prepare(root, &m, 1, &err), -1);
	char want[4400];
	snprintf(want, sizeof(want),
		 "invalid mount config for type \"bind\": bind source path does not exist: %s",
		 missing);
	assert_string_equal(err.msg, want);
	/* ... the -v form creates it. */
	m.from_binds = true;
	assert_int_equal(ctr_mounts_prepare(root, &m, 1, &err), 0);
	struct stat st;
	assert_int_equal(stat(missing, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	struct ctr_mount v[2] = {
	    {.type = CTR_MOUNT_VOLUME, .source = strdup("named"), .target = strdup("/n")},
	    {.type = CTR_MOUNT_VOLUME, .target = strdup("/anon")}};
	assert_int_equal(ctr_mounts_prepare(root, v, 2, &err), 0);
	snprintf(want, sizeof(want), "%s/volumes/named/_data", root);
	assert_string_equal(v[0].host_path, want);
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(strlen(v[1].source), 64);
	assert_int_equal(stat(v[1].host_path, &st), 0);
	free(m.source), free(m.target), free(m.host_path);
	for (int i = 0; i < 2; i++)
		free(v[i].source), free(v[i].target), free(v[i].host_path);
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* The volume store: create (and create again), metadata, options,
 * volumes without metadata, leftovers, detach. */
static void test_volume_store(void **state)
{
	(void)state;
	char root[] = "/tmp/volume-store-XXXXXX";
	assert_non_null(mkdtemp(root));
	hutch_error err = {0};
	bool created = false;
	_cleanup_json_ json_object *labels = json_tokener_parse("{\"k\":\"v\"}");
	json_object *v = NULL;
	assert_int_equal(volume_create(root, "vol1", labels, NULL, &v, &created, &err), 0);
	assert_true(created);
	assert_string_equal(json_object_get_string(json_object_object_get(v, "Name")), "vol1");
	assert_true(json_object_is_type(json_object_object_get(v, "Options"), json_type_null));
	char path[4400];
	snprintf(path, sizeof(path), "%s/volumes/vol1/volume.json", root);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	char *first = strdup(json_object_to_json_string(v));
	json_object_put(v);
	/* again, with other labels: the same volume, unchanged */
	assert_int_equal(volume_create(root, "vol1", NULL, NULL, &v, &created, &err), 0);
	assert_false(created);
	assert_string_equal(json_object_to_json_string(v), first);
	assert_false(volume_is_anonymous(v));
	free(first);
	json_object_put(v);
	/* a random name */
	assert_int_equal(volume_create(root, NULL, NULL, NULL, &v, &created, &err), 0);
	assert_int_equal(strlen(json_object_get_string(json_object_object_get(v, "Name"))), 64);
	json_object_put(v);
	/* bad names and options */
	assert_int_equal(volume_create(root, "x", NULL, NULL, &v, &created, &err), -1);
	assert_non_null(strstr(err.msg, "includes invalid characters"));
	_cleanup_json_ json_object *bad =
	    json_tokener_parse("{\"type\":\"tmpfs\",\"device\":\"t\"}");
	assert_int_equal(volume_create(root, "vol2", NULL, bad, &v, &created, &err), -1);
	assert_non_null(strstr(err.msg, "create vol2: a rootless hutchd cannot mount"));
	char opts[4600];
	snprintf(opts, sizeof(opts), "{\"type\":\"none\",\"o\":\"bind\",\"device\":\"%s\"}", root);
	_cleanup_json_ json_object *bind = json_tokener_parse(opts);
	assert_int_equal(volume_create(root, "vol3", NULL, bind, &v, &created, &err), 0);
	assert_string_equal(volume_host_path(v), root);
	json_object_put(v);
	/* made before volumes had metadata: named, no labels */
	snprintf(path, sizeof(path), "%s/volumes/old1/_data", root);
	assert_int_equal(mkdir_parents(path, 0755, &err), 0);
	assert_int_equal(volume_inspect(root, "old1", &v, &err), 0);
	assert_int_equal(json_object_object_length(json_object_object_get(v, "Labels")), 0);
	json_object_put(v);
	assert_int_equal(volume_inspect(root, "../x", &v, &err), -1);
	assert_string_equal(err.msg, "get ../x: no such volume");
	/* leftovers are no volumes; the list is sorted */
	snprintf(path, sizeof(path), "%s/volumes/.tmp-cut-123456", root);
	assert_int_equal(mkdir(path, 0700), 0);
	json_object *all = NULL;
	assert_int_equal(volume_list(root, &all, &err), 0);
	assert_int_equal(json_object_array_length(all), 4);
	assert_string_equal(json_object_get_string(
				json_object_object_get(json_object_array_get_idx(all, 3), "Name")),
			    "vol3");
	json_object_put(all);
	char gone[4400];
	assert_int_equal(volume_detach(root, "vol1", gone, sizeof(gone), &err), 0);
	assert_int_equal(volume_inspect(root, "vol1", &v, &err), -1);
	char **left = NULL;
	size_t n = 0;
	assert_int_equal(volume_leftovers(root, &left, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		free(left[i]);
	free(left);
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* --- capabilities and security --- */

static char *caps_of(const char *add, const char *drop, bool privileged)
{
	_cleanup_json_ json_object *a = add ? J(add) : NULL, *d = drop ? J(drop) : NULL;
	char **caps = NULL;
	hutch_error err = {0};
	if (ctr_caps_compute(a, d, privileged, &caps, &err) < 0)
		return strdup(err.msg);
	char buf[2048] = "";
	for (size_t i = 0; caps[i]; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "",
			 caps[i] + 4);
	strv_free(caps);
	return strdup(buf);
}

static void test_caps(void **state)
{
	(void)state;
	const char *dflt = "CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP "
			   "SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE";
	char *c = caps_of(NULL, NULL, false);
	assert_string_equal(c, dflt);
	free(c);
	c = caps_of("[\"sys_admin\", \"CAP_NET_ADMIN\", \"chown\"]", "[\"NET_RAW\", \"mknod\"]",
		    false);
	assert_string_equal(c, "CHOWN DAC_OVERRIDE FSETID FOWNER SETGID SETUID SETFCAP SETPCAP "
			       "NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE SYS_ADMIN NET_ADMIN");
	free(c);
	c = caps_of("[\"KILL\"]", "[\"ALL\"]", false);
	assert_string_equal(c, "KILL");
	free(c);
	c = caps_of(NULL, "[\"all\"]", false);
	assert_string_equal(c, "");
	free(c);
	c = caps_of("[\"ALL\"]", "[\"SYS_ADMIN\"]", false);
	assert_non_null(strstr(c, "SYS_PTRACE"));
	assert_null(strstr(c, "SYS_ADMIN"));
	free(c);
	c = caps_of(NULL, "[\"ALL\"]", true);
	assert_non_null(strstr(c, "SYS_ADMIN"));
	free(c);
	c = caps_of("[\"FOO\"]", NULL, false);
	assert_string_equal(c, "unknown capability: \"CAP_FOO\"");
	free(c);
}

static void test_security_opts(void **state)
{
	(void)state;
	struct ctr_security s;
	hutch_error err = {0};
	_cleanup_json_ json_object *w = json_object_new_array();
	_cleanup_json_ json_object *o1 =
	    J("[\"seccomp=unconfined\", \"no-new-privileges\", \"apparmor=x\", \"label:disable\"]");
	assert_int_equal(ctr_security_parse(o1, &s, w, &err), 0);
	assert_true(s.seccomp_unconfined);
	assert_true(s.no_new_privileges);
	assert_int_equal(json_object_array_length(w), 2);
	_cleanup_json_ json_object *o2 = J("[\"no-new-privileges:false\", \"seccomp:unconfined\"]");
	assert_int_equal(ctr_security_parse(o2, &s, w, &err), 0);
	assert_false(s.no_new_privileges);
	assert_true(s.seccomp_unconfined);
	_cleanup_json_ json_object *o3 = J("[\"bogus\"]");
	assert_int_equal(ctr_security_parse(o3, &s, w, &err), -1);
	assert_string_equal(err.msg, "invalid --security-opt 1: \"bogus\"");
	_cleanup_json_ json_object *o4 = J("[\"seccomp={}\"]");
	assert_int_equal(ctr_security_parse(o4, &s, w, &err), -1);
}

static bool rule_for(json_object *profile, const char *name, const char **action);

/* A Docker profile, as the docker CLI sends it, becomes OCI seccomp. */
static void test_docker_profile(void **state)
{
	(void)state;
	const char *profile =
	    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1, "
	    "\"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": "
	    "[\"SCMP_ARCH_X86\"]}, {\"architecture\": \"SCMP_ARCH_AARCH64\", "
	    "\"subArchitectures\": [\"SCMP_ARCH_ARM\"]}], "
	    "\"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"}, "
	    "{\"name\": \"getpid\", \"action\": \"SCMP_ACT_ALLOW\"}, "
	    "{\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": "
	    "[\"CAP_SYS_ADMIN\"]}}, "
	    "{\"names\": [\"chown\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"caps\": "
	    "[\"CAP_KILL\"]}}, "
	    "{\"names\": [\"future\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": "
	    "{\"minKernel\": \"99.0\"}}, "
	    "{\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, "
	    "\"value\": 40, \"op\": \"SCMP_CMP_NE\"}]}]}";
	char opt[4096];
	snprintf(opt, sizeof(opt), "seccomp=%s", profile);
	_cleanup_json_ json_object *opts = json_object_new_array();
	json_object_array_add(opts, json_object_new_string(opt));
	_cleanup_json_ json_object *w = json_object_new_array();
	struct ctr_security sec;
	hutch_error err = {0};
	if (ctr_security_parse(opts, &sec, w, &err) < 0)
		fail_msg("%s", err.msg);
	assert_non_null(sec.seccomp_profile);
	char *caps[] = {"CAP_KILL", NULL};
	_cleanup_json_ json_object *oci = seccomp_profile_to_oci(sec.seccomp_profile, caps);
	ctr_security_free(&sec);
	const char *a;
	assert_true(rule_for(oci, "read", &a));
	assert_true(rule_for(oci, "getpid", &a));
	assert_false(rule_for(oci, "mount", &a));  /* needs SYS_ADMIN */
	assert_false(rule_for(oci, "chown", &a));  /* excluded with KILL */
	assert_false(rule_for(oci, "future", &a)); /* kernel too old */
	assert_true(rule_for(oci, "socket", &a));
	assert_string_equal(str_at(oci, "defaultAction"), "SCMP_ACT_ERRNO");
#if defined(__x86_64__)
	assert_string_equal(
	    json_object_to_json_string_ext(json_object_object_get(oci, "architectures"),
					   JSON_C_TO_STRING_PLAIN),
	    "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"]");
#endif

	static const char *const bad[] = {
	    "seccomp=/etc/docker/seccomp.json",
	    "seccomp={\"syscalls\": []}",
	    "seccomp={\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"x\"]}]}",
	    "seccomp={\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": \"x\", "
	    "\"action\": \"SCMP_ACT_ERRNO\"}]}",
	    "seccomp={not json",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		_cleanup_json_ json_object *o = json_object_new_array();
		json_object_array_add(o, json_object_new_string(bad[i]));
		if (ctr_security_parse(o, &sec, w, &err) == 0)
			fail_msg("accepted %s", bad[i]);
		assert_null(sec.seccomp_profile);
	}
}

static bool rule_for(json_object *profile, const char *name, const char **action)
{
	json_object *syscalls = json_object_object_get(profile, "syscalls");
	for (size_t i = 0; i < json_object_array_length(syscalls); i++) {
		json_object *r = json_object_array_get_idx(syscalls, i);
		json_object *names = json_object_object_get(r, "names");
		for (size_t k = 0; k < json_object_array_length(names); k++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(names, k)),
				   name) == 0) {
				*action = str_at(r, "action");
				return true;
			}
	}
	return false;
}

static void test_seccomp_profile(void **state)
{
	(void)state;
	char *none[] = {NULL};
	char *admin[] = {"CAP_SYS_ADMIN", "CAP_SYS_TIME", NULL};
	_cleanup_json_ json_object *p = seccomp_default_profile(none);
	_cleanup_json_ json_object *pa = seccomp_default_profile(admin);
	assert_string_equal(str_at(p, "defaultAction"), "SCMP_ACT_ERRNO");
	const char *a;
	assert_true(rule_for(p, "read", &a));
	assert_string_equal(a, "SCMP_ACT_ALLOW");
	static const char *const denied[] = {"mount",	      "umount2",
					     "pivot_root",    "kexec_load",
					     "init_module",   "keyctl",
					     "add_key",	      "request_key",
					     "reboot",	      "swapon",
					     "bpf",	      "perf_event_open",
					     "userfaultfd",   "open_by_handle_at",
					     "clock_settime", "setns"};
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (rule_for(p, denied[i], &a))
			fail_msg("%s allowed without capabilities", denied[i]);
	assert_true(rule_for(pa, "mount", &a));
	assert_true(rule_for(pa, "clock_settime", &a));
	assert_false(rule_for(pa, "keyctl", &a));
	assert_false(rule_for(pa, "kexec_load", &a));
	/* clone and unshare only with argument rules without SYS_ADMIN. */
	json_object *syscalls = json_object_object_get(p, "syscalls");
	for (size_t i = 0; i < json_object_array_length(syscalls); i++) {
		json_object *r = json_object_array_get_idx(syscalls, i);
		const char *n = json_object_get_string(
		    json_object_array_get_idx(json_object_object_get(r, "names"), 0));
		if (strcmp(n, "clone") == 0 || strcmp(n, "unshare") == 0 ||
		    strcmp(n, "personality") == 0)
			assert_true(json_object_object_get_ex(r, "args", NULL));
	}
	assert_true(rule_for(p, "clone3", &a));
	assert_string_equal(a, "SCMP_ACT_ERRNO");
}

/* --- /etc files --- */

static void test_hosts(void **state)
{
	(void)state;
	_cleanup_json_ json_object *extra =
	    J("[\"db:10.1.2.3\", \"v6:fe80::1\", \"gw:host-gateway\"]");
	char *out = NULL;
	hutch_error err = {0};
	assert_int_equal(ctr_hosts_build("abc123", "", "10.0.2.100", extra, "10.0.2.2", &out, &err),
			 0);
	assert_non_null(strstr(out, "127.0.0.1\tlocalhost\n"));
	assert_non_null(strstr(out, "10.1.2.3\tdb\n"));
	assert_non_null(strstr(out, "fe80::1\tv6\n"));
	assert_non_null(strstr(out, "10.0.2.2\tgw\n"));
	assert_non_null(strstr(out, "10.0.2.100\tabc123\n"));
	free(out);
	assert_int_equal(ctr_hosts_build("h", "example.org", "10.0.2.100", NULL, "x", &out, &err),
			 0);
	assert_non_null(strstr(out, "10.0.2.100\th.example.org h\n"));
	free(out);
	_cleanup_json_ json_object *bad = J("[\"nocolon\"]");
	assert_int_equal(ctr_hosts_build("h", "", NULL, bad, "x", &out, &err), -1);
	assert_string_equal(err.msg, "bad format for add-host: \"nocolon\"");
	_cleanup_json_ json_object *badip = J("[\"x:999.1.1.1\"]");
	assert_int_equal(ctr_hosts_build("h", "", NULL, badip, "x", &out, &err), -1);
	assert_string_equal(err.msg, "invalid IP address in add-host: \"999.1.1.1\"");
}

static void test_resolv(void **state)
{
	(void)state;
	const char *host = "# stub\nnameserver 127.0.0.53\nsearch corp.example\noptions edns0 "
			   "trust-ad\n";
	char *out = NULL;
	hutch_error err = {0};
	assert_int_equal(ctr_resolv_build(host, true, NULL, NULL, NULL, &out, &err), 0);
	assert_string_equal(out,
			    "nameserver 10.0.2.3\nsearch corp.example\noptions edns0 trust-ad\n");
	free(out);
	assert_int_equal(ctr_resolv_build(host, false, NULL, NULL, NULL, &out, &err), 0);
	assert_non_null(strstr(out, "nameserver 127.0.0.53\n"));
	free(out);
	_cleanup_json_ json_object *dns = J("[\"1.1.1.1\", \"::1\"]");
	_cleanup_json_ json_object *search = J("[\"a.example\", \"b.example\"]");
	_cleanup_json_ json_object *opts = J("[\"ndots:2\"]");
	assert_int_equal(ctr_resolv_build(host, true, dns, search, opts, &out, &err), 0);
	assert_string_equal(out, "nameserver 1.1.1.1\nnameserver ::1\nsearch a.example b.example\n"
				 "options ndots:2\n");
	free(out);
	_cleanup_json_ json_object *dot = J("[\".\"]");
	assert_int_equal(ctr_resolv_build(host, true, NULL, dot, NULL, &out, &err), 0);
	assert_null(strstr(out, "search"));
	free(out);
	_cleanup_json_ json_object *bad = J("[\"dns.example\"]");
	assert_int_equal(ctr_resolv_build(host, true, bad, NULL, NULL, &out, &err), -1);
}

/* --- limits --- */

static void test_limits(void **state)
{
	(void)state;
	_cleanup_json_ json_object *ul =
	    J("[{\"Name\": \"nofile\", \"Soft\": 1024, \"Hard\": 2048}, {\"Name\": \"core\", "
	      "\"Soft\": -1, \"Hard\": -1}]");
	json_object *out = NULL;
	hutch_error err = {0};
	assert_int_equal(ctr_rlimits_build(ul, &out, &err), 0);
	assert_string_equal(str_at(json_object_array_get_idx(out, 0), "type"), "RLIMIT_NOFILE");
	json_object_put(out);
	_cleanup_json_ json_object *bad = J("[{\"Name\": \"files\", \"Soft\": 1, \"Hard\": 1}]");
	assert_int_equal(ctr_rlimits_build(bad, &out, &err), -1);
	assert_string_equal(err.msg, "invalid ulimit type: files");
	_cleanup_json_ json_object *inv = J("[{\"Name\": \"nofile\", \"Soft\": 10, \"Hard\": 1}]");
	assert_int_equal(ctr_rlimits_build(inv, &out, &err), -1);

	char names[256];
	_cleanup_json_ json_object *host = J("{\"Memory\": 1048576, \"NanoCpus\": 1500000000, "
					     "\"PidsLimit\": -1, \"CpusetCpus\": \"0\"}");
	_cleanup_json_ json_object *res = ctr_resources_build(host, names, sizeof(names));
	assert_non_null(res);
	assert_string_equal(names, "Memory, NanoCpus, CpusetCpus");
	json_object *cpu = json_object_object_get(res, "cpu");
	assert_int_equal(json_object_get_int64(json_object_object_get(cpu, "quota")), 150000);
	_cleanup_json_ json_object *none = J("{\"Memory\": 0}");
	assert_null(ctr_resources_build(none, names, sizeof(names)));
}

/* --- the OCI config --- */

static void test_spec_shape(void **state)
{
	(void)state;
	_cleanup_json_ json_object *r =
	    J("{\"Image\": \"x\", \"Tty\": true, \"WorkingDir\": \"/w\", \"HostConfig\": "
	      "{\"ReadonlyRootfs\": true, \"Init\": true, \"OomScoreAdj\": 5}}");
	_cleanup_json_ json_object *config = NULL, *host = NULL;
	hutch_error err = {0};
	assert_int_equal(ctr_request_normalize(r, &config, &host, &err), 0);
	char *argv[] = {"sh", "-c", "true", NULL};
	char *env[] = {"PATH=/bin", NULL};
	char *caps[] = {"CAP_KILL", NULL};
	struct ctr_user user = {.uid = 1000, .gid = 1000};
	struct ctr_mount m = {
	    .type = CTR_MOUNT_BIND, .source = "/s", .target = "/a/b", .host_path = "/s"};
	struct ctr_mount m2 = {.type = CTR_MOUNT_TMPFS, .target = "/a", .tmpfs_options = ""};
	struct ctr_mount mounts[] = {m, m2};
	struct ctr_spec_input in = {.config = config,
				    .host = host,
				    .argv = argv,
				    .env = env,
				    .user = &user,
				    .rootfs = "/run/x/rootfs",
				    .hostname = "h",
				    .dir = "/data/c",
				    .network = "host",
				    .mounts = mounts,
				    .n_mounts = 2,
				    .userns = true,
				    .host_uid = 1001,
				    .host_gid = 1002,
				    .init_path = "/usr/bin/hutch-init",
				    .caps = caps};
	_cleanup_json_ json_object *spec = NULL;
	if (ctr_spec_build(&in, &spec, &err) < 0)
		fail_msg("%s", err.msg);
	json_object *proc = json_object_object_get(spec, "process");
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(proc, "args"),
							   JSON_C_TO_STRING_PLAIN),
			    "[\"\\/dev\\/init\",\"--\",\"sh\",\"-c\",\"true\"]");
	assert_string_equal(str_at(proc, "cwd"), "/w");
	assert_true(json_object_get_boolean(json_object_object_get(proc, "terminal")));
	json_object *root = json_object_object_get(spec, "root");
	assert_true(json_object_get_boolean(json_object_object_get(root, "readonly")));
	json_object *linux_ = json_object_object_get(spec, "linux");
	assert_non_null(json_object_object_get(linux_, "seccomp"));
	assert_non_null(json_object_object_get(linux_, "maskedPaths"));
	json_object *maps = json_object_object_get(linux_, "uidMappings");
	assert_int_equal(json_object_get_int(
			     json_object_object_get(json_object_array_get_idx(maps, 0), "hostID")),
			 1001);
	/* host network: no network namespace, /sys bound from the host. */
	const char *ns = json_object_to_json_string(json_object_object_get(linux_, "namespaces"));
	assert_null(strstr(ns, "network"));
	assert_non_null(strstr(ns, "user"));
	json_object *ms = json_object_object_get(spec, "mounts");
	int sys = -1, tmp_a = -1, bind_ab = -1, init = -1;
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *e = json_object_array_get_idx(ms, i);
		const char *d = str_at(e, "destination");
		if (strcmp(d, "/sys") == 0) {
			sys = (int)i;
			assert_string_equal(str_at(e, "type"), "bind");
		} else if (strcmp(d, "/a") == 0) {
			tmp_a = (int)i;
		} else if (strcmp(d, "/a/b") == 0) {
			bind_ab = (int)i;
		} else if (strcmp(d, "/dev/init") == 0) {
			init = (int)i;
		} else if (strcmp(d, "/etc/hosts") == 0) {
			assert_string_equal(str_at(e, "source"), "/data/c/hosts");
			assert_non_null(strstr(json_object_to_json_string(e), "\"ro\""));
		}
	}
	assert_true(sys >= 0 && init >= 0);
	/* Parents before children. */
	assert_true(tmp_a >= 0 && bind_ab > tmp_a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_types),
	    cmocka_unit_test(test_request_defaults),
	    cmocka_unit_test(test_entrypoint_cmd_rules),
	    cmocka_unit_test(test_merge_fields),
	    cmocka_unit_test(test_user_specs),
	    cmocka_unit_test(test_layers_whiteouts),
	    cmocka_unit_test(test_port_specs),
	    cmocka_unit_test(test_ports_collect_and_choose),
	    cmocka_unit_test(test_bind_specs),
	    cmocka_unit_test(test_mount_specs),
	    cmocka_unit_test(test_mounts_prepare),
	    cmocka_unit_test(test_volume_store),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_security_opts),
	    cmocka_unit_test(test_seccomp_profile),
	    cmocka_unit_test(test_docker_profile),
	    cmocka_unit_test(test_hosts),
	    cmocka_unit_test(test_resolv),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_spec_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
