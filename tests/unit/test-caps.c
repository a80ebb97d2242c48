/* Unit tests of capabilities and process attributes, applied for real in
 * a child process that unshares a user namespace (so they run the same as
 * root and as an unprivileged user): names, the bounding set, the five
 * sets, rlimits and the whole identity finalization. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "caps.h"
#include "process-attrs.h"

static void test_names(void **state)
{
	assert_int_equal(caps_from_name("CAP_CHOWN"), CAP_CHOWN);
	assert_int_equal(caps_from_name("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
	assert_int_equal(caps_from_name("CAP_NET_RAW"), CAP_NET_RAW);
	assert_int_equal(caps_from_name("cap_kill"), CAP_KILL);
	assert_int_equal(caps_from_name("CAP_NOT_A_THING"), -1);
	assert_int_equal(caps_from_name("12"), -1);
	assert_int_equal(caps_from_name("all"), -1);
	assert_int_equal(caps_from_name(NULL), -1);
	assert_true(caps_last_supported() >= CAP_AUDIT_READ);

	char *eff[] = {"CAP_KILL", "CAP_BOGUS", NULL};
	struct oci_capabilities caps = {.effective = eff, .n_effective = 2};
	assert_true(caps_config_has(&caps, CAPS_SET_EFFECTIVE, CAP_KILL));
	assert_false(caps_config_has(&caps, CAPS_SET_EFFECTIVE, CAP_CHOWN));
	assert_false(caps_config_has(&caps, CAPS_SET_PERMITTED, CAP_KILL));
	assert_false(caps_config_has(NULL, CAPS_SET_EFFECTIVE, CAP_KILL));
}

/* "CapBnd:\t0000000000000021" from /proc/self/status. */
static unsigned long long status_hex(const char *key)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long v = ~0ULL;
	size_t len = strlen(key);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, len) == 0 && line[len] == ':')
			v = strtoull(line + len + 1, NULL, 16);
	if (f != NULL)
		fclose(f);
	return v;
}

static unsigned long long status_dec(const char *key)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long v = ~0ULL;
	size_t len = strlen(key);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, len) == 0 && line[len] == ':')
			v = strtoull(line + len + 1, NULL, 10);
	if (f != NULL)
		fclose(f);
	return v;
}

/* Run fn in a child inside a new user namespace (where it holds every
 * capability); returns its exit code, or skips when user namespaces are
 * not available. */
static uid_t outer_uid;
static gid_t outer_gid;

static int in_userns_child(int (*fn)(void))
{
	/* Inside the new namespace our ids read as the overflow id. */
	outer_uid = geteuid();
	outer_gid = getegid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(77);
		_exit(fn());
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	return WEXITSTATUS(status);
}

static int apply_bounding_and_sets(void)
{
	char *bnd[] = {"CAP_CHOWN", "CAP_KILL", "CAP_FROM_THE_FUTURE", NULL};
	char *eff[] = {"CAP_KILL", NULL};
	char *inh[] = {"CAP_KILL", NULL};
	char *amb[] = {"CAP_KILL", NULL};
	struct oci_capabilities caps = {.bounding = bnd,
					.n_bounding = 3,
					.effective = eff,
					.n_effective = 1,
					.permitted = eff,
					.n_permitted = 1,
					.inheritable = inh,
					.n_inheritable = 1,
					.ambient = amb,
					.n_ambient = 1};
	hutch_error err = {0};
	if (caps_apply_bounding(&caps, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (status_hex("CapBnd") != ((1ULL << CAP_CHOWN) | (1ULL << CAP_KILL)))
		return 2;
	if (caps_apply_sets(&caps, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 3;
	}
	if (status_hex("CapEff") != 1ULL << CAP_KILL || status_hex("CapPrm") != 1ULL << CAP_KILL ||
	    status_hex("CapInh") != 1ULL << CAP_KILL || status_hex("CapAmb") != 1ULL << CAP_KILL)
		return 4;
	/* NULL capabilities: every set empty. */
	if (caps_apply_sets(NULL, &err) < 0 || status_hex("CapEff") != 0 ||
	    status_hex("CapAmb") != 0)
		return 5;
	return 0;
}

static void test_bounding_and_sets(void **state)
{
	assert_int_equal(in_userns_child(apply_bounding_and_sets), 0);
}

static int apply_rlimits(void)
{
	struct rlimit cur;
	getrlimit(RLIMIT_NOFILE, &cur);
	struct oci_rlimit lower = {.resource = RLIMIT_NOFILE,
				   .type = "RLIMIT_NOFILE",
				   .soft = 100,
				   .hard = cur.rlim_max > 200 ? 200 : cur.rlim_max};
	struct oci_process p = {.rlimits = &lower, .n_rlimits = 1};
	hutch_error err = {0};
	if (process_apply_rlimits(&p, &err) < 0)
		return 1;
	getrlimit(RLIMIT_NOFILE, &cur);
	if (cur.rlim_cur != 100)
		return 2;
	/* Raising the hard limit again needs CAP_SYS_RESOURCE in the initial
	 * user namespace, which a user namespace never grants. */
	struct oci_rlimit raise = {.resource = RLIMIT_NOFILE,
				   .type = "RLIMIT_NOFILE",
				   .soft = 100,
				   .hard = cur.rlim_max + 1};
	p.rlimits = &raise;
	if (process_apply_rlimits(&p, &err) == 0)
		return 3;
	if (strstr(err.msg, "set RLIMIT_NOFILE to soft 100") == NULL ||
	    strstr(err.msg, "CAP_SYS_RESOURCE") == NULL ||
	    strstr(err.msg, "Operation not permitted") == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return 4;
	}
	struct oci_rlimit inverted = {
	    .resource = RLIMIT_CORE, .type = "RLIMIT_CORE", .soft = 10, .hard = 5};
	p.rlimits = &inverted;
	if (process_apply_rlimits(&p, &err) == 0 || strstr(err.msg, "above its hard") == NULL)
		return 5;
	return 0;
}

static void test_rlimits(void **state)
{
	assert_int_equal(in_userns_child(apply_rlimits), 0);
}

/* The whole finalization in a user namespace mapping only our uid to 0:
 * setgroups is denied there, no_new_privileges is off, and the seccomp
 * filter must still load (with borrowed CAP_SYS_ADMIN) and work. */
static int finalize(void)
{
	hutch_error err = {0};
	char *eff[] = {"CAP_CHOWN", NULL};
	struct oci_capabilities caps = {.bounding = eff,
					.n_bounding = 1,
					.effective = eff,
					.n_effective = 1,
					.permitted = eff,
					.n_permitted = 1};
	uint32_t extra_gid = 1234;
	struct oci_process p = {.capabilities = &caps,
				.user = {.uid = 0,
					 .gid = 0,
					 .has_umask = true,
					 .umask = 027,
					 .additional_gids = &extra_gid,
					 .n_additional_gids = 1}};
	char *names[] = {"getppid", NULL};
	struct oci_seccomp_syscall rule = {.names = names,
					   .n_names = 1,
					   .action = "SCMP_ACT_ERRNO",
					   .has_errno_ret = true,
					   .errno_ret = ENOSYS};
	struct oci_seccomp sec = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = &rule, .n_syscalls = 1};
	int fd = -2;
	if (process_finalize_identity(&p, &sec, false, &fd, &err) < 0) {
		fprintf(stderr, "finalize: %s\n", err.msg);
		return 1;
	}
	if (fd != -1)
		return 2;
	if (status_dec("NoNewPrivs") != 0 || status_dec("Seccomp") != 2)
		return 3;
	/* CAP_SYS_ADMIN was only borrowed for the load. */
	if (status_hex("CapEff") != 1ULL << CAP_CHOWN || status_hex("CapPrm") != 1ULL << CAP_CHOWN)
		return 4;
	if (umask(0) != 027)
		return 5;
	errno = 0;
	if (syscall(SYS_getppid) != -1 || errno != ENOSYS)
		return 6;
	return 0;
}

/* procfs map files take one write(2) each, and no O_CREAT/O_TRUNC. */
static int write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int finalize_in_mapped_userns(void)
{
	char uid_map[64], gid_map[64];
	/* The child of unshare writes its own maps: only its own ids. */
	snprintf(uid_map, sizeof(uid_map), "0 %u 1", (unsigned)outer_uid);
	snprintf(gid_map, sizeof(gid_map), "0 %u 1", (unsigned)outer_gid);
	if (write_proc("/proc/self/setgroups", "deny") < 0)
		return 10;
	if (write_proc("/proc/self/uid_map", uid_map) < 0)
		return 11;
	if (write_proc("/proc/self/gid_map", gid_map) < 0)
		return 12;
	return finalize();
}

static void test_finalize_identity(void **state)
{
	assert_int_equal(in_userns_child(finalize_in_mapped_userns), 0);
}

static int unmapped_uid(void)
{
	struct oci_process p = {.user = {.uid = 4242, .gid = 0}};
	hutch_error err = {0};
	int fd;
	/* A fresh user namespace maps nothing at all. */
	if (process_finalize_identity(&p, NULL, false, &fd, &err) == 0)
		return 1;
	if (strstr(err.msg, "is not mapped in the container's user namespace") == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	return 0;
}

static void test_unmapped_id_is_named(void **state)
{
	assert_int_equal(in_userns_child(unmapped_uid), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_bounding_and_sets),
	    cmocka_unit_test(test_rlimits),
	    cmocka_unit_test(test_finalize_identity),
	    cmocka_unit_test(test_unmapped_id_is_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
