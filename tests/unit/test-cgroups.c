/* Unit tests of cgroups: systemd path spelling, unit conversions,
 * resources validation, the no-cgroup errors, and (as root, where a
 * cgroup2 file system is writable) a real cgroup v2 life cycle. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include <cmocka.h>

#include "cgroups.h"
#include "file-util.h"
#include "json-util.h"

static void expect_systemd(const char *spec, bool root, const char *want)
{
	char *out = NULL;
	hutch_error err = {0};
	assert_int_equal(cgroup_systemd_path(spec, root, &out, &err), 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_systemd_paths(void **state)
{
	expect_systemd("system.slice:docker:abc", true, "system.slice/docker-abc.scope");
	expect_systemd(":libpod:abc", true, "system.slice/libpod-abc.scope");
	expect_systemd(":libpod:abc", false, "user.slice/libpod-abc.scope");
	expect_systemd("machine-a-b.slice:x:y", true,
		       "machine.slice/machine-a.slice/machine-a-b.slice/x-y.scope");
	expect_systemd("-.slice::c1", true, "c1.scope");
	expect_systemd("user.slice:p:sub.slice", false, "user.slice/sub.slice");

	char *out = NULL;
	hutch_error err = {0};
	assert_int_equal(cgroup_systemd_path("just-a-path", true, &out, &err), -1);
	assert_non_null(strstr(err.msg, "expects slice:prefix:name"));
	assert_int_equal(cgroup_systemd_path("notaslice:p:n", true, &out, &err), -1);
	assert_int_equal(cgroup_systemd_path("a--b.slice:p:n", true, &out, &err), -1);
	assert_int_equal(cgroup_systemd_path("system.slice:p:../x", true, &out, &err), -1);
}

static void test_conversions(void **state)
{
	assert_int_equal(cgroup_shares_to_weight(2), 1);
	assert_int_equal(cgroup_shares_to_weight(1024), 39);
	assert_int_equal(cgroup_shares_to_weight(262144), 10000);
	assert_int_equal(cgroup_blkio_to_io_weight(10), 1);
	assert_int_equal(cgroup_blkio_to_io_weight(500), 4950);
	assert_int_equal(cgroup_blkio_to_io_weight(1000), 10000);
}

static json_object *parse(const char *text)
{
	json_object *o = NULL;
	hutch_error err = {0};
	assert_int_equal(json_parse_buffer(text, strlen(text), "test", &o, &err), 0);
	return o;
}

static void test_resources_parse(void **state)
{
	_cleanup_json_ json_object *good =
	    parse("{\"memory\":{\"limit\":1048576,\"swap\":2097152},\"cpu\":{\"shares\":512,"
		  "\"quota\":50000,\"period\":100000,\"cpus\":\"0\"},\"pids\":{\"limit\":64},"
		  "\"blockIO\":{\"weight\":300}}");
	struct cgroup_resources r;
	hutch_error err = {0};
	assert_int_equal(cgroup_resources_parse(good, &r, &err), 0);
	assert_true(r.has_memory_limit && r.memory_limit == 1048576);
	assert_true(r.has_memory_swap && r.memory_swap == 2097152);
	assert_false(r.has_memory_reservation);
	assert_true(r.has_cpu_shares && r.cpu_shares == 512);
	assert_true(r.has_cpu_quota && r.cpu_quota == 50000);
	assert_string_equal(r.cpus, "0");
	assert_true(r.has_pids_limit && r.pids_limit == 64);
	assert_true(r.has_blkio_weight && r.blkio_weight == 300);

	_cleanup_json_ json_object *swap = parse("{\"memory\":{\"limit\":100,\"swap\":50}}");
	assert_int_equal(cgroup_resources_parse(swap, &r, &err), -1);
	assert_non_null(strstr(err.msg, "memory.swap (50) counts memory plus swap"));

	_cleanup_json_ json_object *weight = parse("{\"blockIO\":{\"weight\":5}}");
	assert_int_equal(cgroup_resources_parse(weight, &r, &err), -1);
	assert_non_null(strstr(err.msg, "blockIO.weight: 5 is out of range"));

	_cleanup_json_ json_object *type = parse("{\"pids\":{\"limit\":\"lots\"}}");
	assert_int_equal(cgroup_resources_parse(type, &r, &err), -1);
	assert_non_null(strstr(err.msg, "linux.resources.pids"));
}

static void test_no_cgroup_errors(void **state)
{
	hutch_error err = {0};
	assert_int_equal(cgroup_freeze(NULL, true, &err), -1);
	assert_string_equal(err.msg, "container has no cgroup (rootless without cgroup "
				     "delegation): pause is not available");
	assert_int_equal(cgroup_freeze(NULL, false, &err), -1);
	assert_non_null(strstr(err.msg, "resume is not available"));
	assert_int_equal(cgroup_update(NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "update is not available"));
	assert_int_equal(cgroup_destroy(NULL, &err), 0);
	assert_int_equal(cgroup_enter(NULL, 1, &err), 0);

	struct oci_config cfg = {0};
	char *path = (char *)"x";
	assert_int_equal(cgroup_create(&cfg, "c1", getpid(), CGROUP_MANAGER_DISABLED, &path, &err),
			 0);
	assert_null(path);
}

/* A cgroup2 mount we may write: the host's unified hierarchy on a
 * unified or hybrid host, when running as root. */
static const char *writable_cgroup2(void)
{
	static const char *const candidates[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	for (size_t i = 0; i < 2; i++) {
		struct statfs sfs;
		if (statfs(candidates[i], &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC &&
		    access(candidates[i], W_OK) == 0)
			return candidates[i];
	}
	return NULL;
}

static void test_v2_life_cycle(void **state)
{
	const char *root = writable_cgroup2();
	if (root == NULL || geteuid() != 0)
		skip();
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/hutch-unit-%d/c1", root, (int)getpid());
	hutch_error err = {0};
	if (cgroup_v2_create(dir, &err) < 0) {
		/* e.g. root in a user namespace: not ours to write */
		if (err.errnum == EACCES || err.errnum == EPERM || err.errnum == EROFS)
			skip();
		fail_msg("%s", err.msg);
	}
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	char pid_text[16];
	snprintf(pid_text, sizeof(pid_text), "%d", (int)child);
	assert_int_equal(cgroup_write(dir, "cgroup.procs", pid_text, &err), 0);

	pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(cgroup_pids(dir, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], child);
	free(pids);

	/* A limit whose controller this tree does not offer names the file
	 * it could not find; where it is offered, it is written. */
	struct cgroup_resources res = {.has_pids_limit = true, .pids_limit = 33};
	char pids_max[300];
	snprintf(pids_max, sizeof(pids_max), "%s/pids.max", dir);
	if (access(pids_max, F_OK) == 0) {
		assert_int_equal(cgroup_v2_apply(dir, &res, &err), 0);
		char *value = NULL;
		assert_int_equal(read_file_all(pids_max, 64, &value, NULL, &err), 0);
		assert_string_equal(value, "33\n");
		free(value);
	} else {
		assert_int_equal(cgroup_v2_apply(dir, &res, &err), -1);
		assert_non_null(strstr(err.msg, "pids.max does not exist (its controller is not "
						"enabled or not delegated)"));
	}

	assert_int_equal(cgroup_freeze(dir, true, &err), 0);
	char events[300], *text = NULL;
	snprintf(events, sizeof(events), "%s/cgroup.events", dir);
	assert_int_equal(read_file_all(events, 4096, &text, NULL, &err), 0);
	assert_non_null(strstr(text, "frozen 1"));
	free(text);
	assert_int_equal(cgroup_freeze(dir, false, &err), 0);

	assert_int_equal(cgroup_kill(dir, SIGKILL, &err), 0);
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	char parent[256];
	snprintf(parent, sizeof(parent), "%s/hutch-unit-%d", root, (int)getpid());
	assert_int_equal(cgroup_destroy(parent, &err), 0);
	assert_int_equal(access(parent, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_systemd_paths),   cmocka_unit_test(test_conversions),
	    cmocka_unit_test(test_resources_parse), cmocka_unit_test(test_no_cgroup_errors),
	    cmocka_unit_test(test_v2_life_cycle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
