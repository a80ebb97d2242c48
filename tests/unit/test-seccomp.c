/* Unit tests of the seccomp translation: config names to libseccomp
 * values, and filters really loaded in a child process (actions, errnoRet,
 * argument conditions ANDed on different arguments and ORed on the same
 * one, unknown syscalls skipped). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "json-util.h"
#include "seccomp.h"
#include "terminal.h"

static void test_action_names(void **state)
{
	uint32_t a = 0;
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_ERRNO", false, 0, &a), 0);
	assert_int_equal(a, SCMP_ACT_ERRNO(EPERM));
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_ERRNO", true, 38, &a), 0);
	assert_int_equal(a, SCMP_ACT_ERRNO(38));
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_TRACE", false, 0, &a), 0);
	assert_int_equal(a, SCMP_ACT_TRACE(EPERM));
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_TRACE", true, 7, &a), 0);
	assert_int_equal(a, SCMP_ACT_TRACE(7));
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_KILL", false, 0, &a), 0);
	assert_int_equal(a, SCMP_ACT_KILL_THREAD);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_KILL_THREAD", false, 0, &a), 0);
	assert_int_equal(a, SCMP_ACT_KILL_THREAD);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_KILL_PROCESS", false, 0, &a), 0);
	assert_int_equal(a, SCMP_ACT_KILL_PROCESS);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_TRAP", false, 0, &a), 0);
	assert_int_equal(a, SCMP_ACT_TRAP);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_ALLOW", false, 0, &a), 0);
	assert_int_equal(a, SCMP_ACT_ALLOW);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_LOG", false, 0, &a), 0);
	assert_int_equal(a, SCMP_ACT_LOG);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_NOTIFY", false, 0, &a), 0);
	assert_int_equal(a, SCMP_ACT_NOTIFY);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_FOO", false, 0, &a), -1);
	assert_int_equal(seccomp_action_from_name("scmp_act_allow", false, 0, &a), -1);
}

static void test_arch_op_flag_names(void **state)
{
	uint32_t arch = 0;
	assert_int_equal(seccomp_arch_from_name("SCMP_ARCH_X86_64", &arch), 0);
	assert_int_equal(arch, SCMP_ARCH_X86_64);
	assert_int_equal(seccomp_arch_from_name("SCMP_ARCH_AARCH64", &arch), 0);
	assert_int_equal(arch, SCMP_ARCH_AARCH64);
	assert_int_equal(seccomp_arch_from_name("SCMP_ARCH_X32", &arch), 0);
	assert_int_equal(arch, SCMP_ARCH_X32);
	assert_int_equal(seccomp_arch_from_name("SCMP_ARCH_VAX", &arch), -1);

	enum scmp_compare op;
	const char *ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",	"SCMP_CMP_EQ",
			     "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
	const enum scmp_compare want[] = {SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE,       SCMP_CMP_EQ,
					  SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ};
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(seccomp_op_from_name(ops[i], &op), 0);
		assert_int_equal(op, want[i]);
	}
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_XOR", &op), -1);

	enum scmp_filter_attr attr;
	assert_int_equal(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_TSYNC", &attr), 0);
	assert_int_equal(attr, SCMP_FLTATR_CTL_TSYNC);
	assert_int_equal(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_LOG", &attr), 0);
	assert_int_equal(attr, SCMP_FLTATR_CTL_LOG);
	assert_int_equal(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_SPEC_ALLOW", &attr), 0);
	assert_int_equal(attr, SCMP_FLTATR_CTL_SSB);
	int r = seccomp_flag_from_name("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", &attr);
	assert_true(r == 0 || r == -2);
	assert_int_equal(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_BOGUS", &attr), -1);
}

static void test_features_lists(void **state)
{
	json_object *f = seccomp_features();
	assert_non_null(f);
	const char *s = json_object_to_json_string(f);
	assert_non_null(strstr(s, "\"SCMP_ACT_NOTIFY\""));
	assert_non_null(strstr(s, "\"SCMP_ACT_ERRNO\""));
	assert_non_null(strstr(s, "\"SCMP_CMP_MASKED_EQ\""));
	assert_non_null(strstr(s, "\"SCMP_ARCH_X86_64\""));
	assert_null(strstr(s, "SCMP_ARCH_NATIVE"));
	assert_non_null(strstr(s, "\"SECCOMP_FILTER_FLAG_LOG\""));
	json_object_put(f);
}

/* Run fn in a child with the filter loaded (under no_new_privs, so no
 * privilege is needed); returns the child's wait status. fn returns the
 * exit code. */
static int in_filtered_child(const struct oci_seccomp *sec, int (*fn)(void))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		hutch_error err = {0};
		int fd = -1;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(100);
		if (seccomp_load_config(sec, &fd, &err) < 0) {
			fprintf(stderr, "load: %s\n", err.msg);
			_exit(101);
		}
		_exit(fn());
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static char tmpdir[64];

static int try_mkdir(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/d", tmpdir);
	if (mkdir(path, 0755) == 0)
		return 0;
	return errno == ENOSYS ? 38 : 1;
}

static void test_errno_rule_returns_its_errno(void **state)
{
	char *mk[] = {"mkdir", "mkdirat", "this_syscall_does_not_exist", NULL};
	struct oci_seccomp_syscall rule = {.names = mk,
					   .n_names = 3,
					   .action = "SCMP_ACT_ERRNO",
					   .has_errno_ret = true,
					   .errno_ret = ENOSYS};
	struct oci_seccomp sec = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = &rule, .n_syscalls = 1};
	strcpy(tmpdir, "/tmp/hutch-seccomp-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	int status = in_filtered_child(&sec, try_mkdir);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 38);
	/* Without the filter the same call works. */
	assert_int_equal(try_mkdir(), 0);
	char path[128];
	snprintf(path, sizeof(path), "%s/d", tmpdir);
	rmdir(path);
	rmdir(tmpdir);
}

static int try_getppid(void)
{
	getppid();
	return 0;
}

static void test_kill_process_kills(void **state)
{
	char *names[] = {"getppid", NULL};
	struct oci_seccomp_syscall rule = {
	    .names = names, .n_names = 1, .action = "SCMP_ACT_KILL_PROCESS"};
	struct oci_seccomp sec = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = &rule, .n_syscalls = 1};
	int status = in_filtered_child(&sec, try_getppid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

/* fchmod(fd, mode) results packed as bits: bit i set when mode i failed
 * with EACCES, for the modes 0777, 0700, 0644, 0070. */
static int fchmod_results(void)
{
	static const mode_t modes[] = {0777, 0700, 0644, 0070};
	/* A file of our own: fchmod succeeds unless the filter says no. */
	FILE *f = tmpfile();
	if (f == NULL)
		return 0x80;
	int bits = 0;
	for (int i = 0; i < 4; i++) {
		if (fchmod(fileno(f), modes[i]) == 0)
			continue;
		bits |= errno == EACCES ? 1 << i : 0x40;
	}
	return bits;
}

static int run_fchmod_rule(struct oci_seccomp_arg *args, size_t n)
{
	char *names[] = {"fchmod", NULL};
	struct oci_seccomp_syscall rule = {.names = names,
					   .n_names = 1,
					   .action = "SCMP_ACT_ERRNO",
					   .has_errno_ret = true,
					   .errno_ret = EACCES,
					   .args = args,
					   .n_args = n};
	struct oci_seccomp sec = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = &rule, .n_syscalls = 1};
	int status = in_filtered_child(&sec, fchmod_results);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_conditions(void **state)
{
	/* One condition: only mode 0777. */
	struct oci_seccomp_arg eq[] = {{.index = 1, .value = 0777, .op = "SCMP_CMP_EQ"}};
	assert_int_equal(run_fchmod_rule(eq, 1), 0x1);

	/* Two conditions on the same argument are alternatives (runc). */
	struct oci_seccomp_arg either[] = {{.index = 1, .value = 0777, .op = "SCMP_CMP_EQ"},
					   {.index = 1, .value = 0700, .op = "SCMP_CMP_EQ"}};
	assert_int_equal(run_fchmod_rule(either, 2), 0x3);

	/* Conditions on different arguments must all hold: fd is never
	 * 1000, so nothing is blocked. */
	struct oci_seccomp_arg both[] = {{.index = 0, .value = 1000, .op = "SCMP_CMP_EQ"},
					 {.index = 1, .value = 0777, .op = "SCMP_CMP_EQ"}};
	assert_int_equal(run_fchmod_rule(both, 2), 0);
	struct oci_seccomp_arg both_hold[] = {{.index = 0, .value = 1000, .op = "SCMP_CMP_LT"},
					      {.index = 1, .value = 0777, .op = "SCMP_CMP_EQ"}};
	assert_int_equal(run_fchmod_rule(both_hold, 2), 0x1);

	/* MASKED_EQ: (mode & value) == valueTwo; 0777, 0070 have the group
	 * bits all set. */
	struct oci_seccomp_arg masked[] = {
	    {.index = 1, .value = 0070, .value_two = 0070, .op = "SCMP_CMP_MASKED_EQ"}};
	assert_int_equal(run_fchmod_rule(masked, 1), 0x9);

	struct oci_seccomp_arg ne[] = {{.index = 1, .value = 0644, .op = "SCMP_CMP_NE"}};
	assert_int_equal(run_fchmod_rule(ne, 1), 0xb);
	struct oci_seccomp_arg gt[] = {{.index = 1, .value = 0700, .op = "SCMP_CMP_GT"}};
	assert_int_equal(run_fchmod_rule(gt, 1), 0x1);
	struct oci_seccomp_arg ge[] = {{.index = 1, .value = 0700, .op = "SCMP_CMP_GE"}};
	assert_int_equal(run_fchmod_rule(ge, 1), 0x3);
	struct oci_seccomp_arg lt[] = {{.index = 1, .value = 0644, .op = "SCMP_CMP_LT"}};
	assert_int_equal(run_fchmod_rule(lt, 1), 0x8);
	struct oci_seccomp_arg le[] = {{.index = 1, .value = 0644, .op = "SCMP_CMP_LE"}};
	assert_int_equal(run_fchmod_rule(le, 1), 0xc);
}

static void test_bad_profiles_are_rejected(void **state)
{
	hutch_error err = {0};
	int fd = -1;
	struct oci_seccomp bad_default = {.default_action = "SCMP_ACT_MAYBE"};
	assert_int_equal(seccomp_load_config(&bad_default, &fd, &err), -1);
	assert_non_null(strstr(err.msg, "linux.seccomp.defaultAction: unknown action"));

	struct oci_seccomp notify_default = {.default_action = "SCMP_ACT_NOTIFY"};
	assert_int_equal(seccomp_load_config(&notify_default, &fd, &err), -1);
	assert_non_null(strstr(err.msg, "cannot be the default action"));

	char *arches[] = {"SCMP_ARCH_PDP11", NULL};
	struct oci_seccomp bad_arch = {
	    .default_action = "SCMP_ACT_ALLOW", .architectures = arches, .n_architectures = 1};
	assert_int_equal(seccomp_load_config(&bad_arch, &fd, &err), -1);
	assert_non_null(
	    strstr(err.msg, "architectures[0]: unknown architecture 'SCMP_ARCH_PDP11'"));

	char *flags[] = {"SECCOMP_FILTER_FLAG_NOPE", NULL};
	struct oci_seccomp bad_flag = {
	    .default_action = "SCMP_ACT_ALLOW", .flags = flags, .n_flags = 1};
	assert_int_equal(seccomp_load_config(&bad_flag, &fd, &err), -1);
	assert_non_null(strstr(err.msg, "flags[0]: unknown flag"));

	char *names[] = {"read", NULL};
	struct oci_seccomp_arg arg = {.index = 6, .op = "SCMP_CMP_EQ"};
	struct oci_seccomp_syscall rule = {
	    .names = names, .n_names = 1, .action = "SCMP_ACT_ERRNO", .args = &arg, .n_args = 1};
	struct oci_seccomp bad_index = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = &rule, .n_syscalls = 1};
	assert_int_equal(seccomp_load_config(&bad_index, &fd, &err), -1);
	assert_non_null(strstr(err.msg, "syscalls[0].args[0].index: 6 is out of range"));

	struct oci_seccomp_syscall notify = {
	    .names = names, .n_names = 1, .action = "SCMP_ACT_NOTIFY"};
	struct oci_seccomp no_listener = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = &notify, .n_syscalls = 1};
	assert_int_equal(seccomp_load_config(&no_listener, &fd, &err), -1);
	assert_non_null(strstr(err.msg, "listenerPath: required"));
	assert_int_equal(fd, -1);
}

/* The child: a NOTIFY filter on mkdir, its listener handed over with
 * seccomp_send_to_listener, then a mkdir that only the agent can answer. */
static void notify_child(const char *sock_path, const char *dir)
{
	char *names[] = {"mkdir", "mkdirat", NULL};
	struct oci_seccomp_syscall rule = {
	    .names = names, .n_names = 2, .action = "SCMP_ACT_NOTIFY"};
	struct oci_seccomp sec = {.default_action = "SCMP_ACT_ALLOW",
				  .listener_path = (char *)sock_path,
				  .listener_metadata = "agent-meta",
				  .syscalls = &rule,
				  .n_syscalls = 1};
	hutch_error err = {0};
	int fd = -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    seccomp_load_config(&sec, &fd, &err) < 0 || fd < 0) {
		fprintf(stderr, "load: %s\n", err.msg);
		_exit(10);
	}
	json_object *state = json_object_new_object();
	json_object_object_add(state, "id", json_object_new_string("c1"));
	json_object_object_add(state, "pid", json_object_new_int(getpid()));
	if (seccomp_send_to_listener(sock_path, fd, state, "agent-meta", &err) < 0) {
		fprintf(stderr, "send: %s\n", err.msg);
		_exit(11);
	}
	close(fd);
	char path[128];
	snprintf(path, sizeof(path), "%s/blocked", dir);
	_exit(mkdir(path, 0755) < 0 && errno == ENOMEDIUM ? 0 : 12);
}

static void test_notify_listener_gets_fd_and_state(void **state)
{
	if (seccomp_api_get() < 5)
		skip();
	char dir[] = "/tmp/hutch-notify-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/agent.sock", dir);
	int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lsock >= 0);
	assert_int_equal(bind(lsock, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(lsock, 1), 0);
	/* A child that dies before connecting must fail the test, not hang it. */
	struct timeval limit = {.tv_sec = 10};
	assert_int_equal(setsockopt(lsock, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)), 0);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		notify_child(addr.sun_path, dir);

	int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	assert_true(conn >= 0);
	assert_int_equal(setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)), 0);
	char msg[4096];
	int nfd = -1;
	hutch_error err = {0};
	assert_int_equal(fd_recv(conn, &nfd, msg, sizeof(msg), &err), 0);
	size_t len = strlen(msg);
	for (ssize_t n; (n = read(conn, msg + len, sizeof(msg) - 1 - len)) > 0;)
		len += (size_t)n;
	msg[len] = '\0';
	close(conn);

	json_object *doc = NULL;
	assert_int_equal(json_parse_buffer(msg, len, "listener message", &doc, &err), 0);
	json_object *v;
	assert_true(json_object_object_get_ex(doc, "fds", &v));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "seccompFd");
	assert_true(json_object_object_get_ex(doc, "pid", &v));
	assert_int_equal(json_object_get_int(v), pid);
	assert_true(json_object_object_get_ex(doc, "metadata", &v));
	assert_string_equal(json_object_get_string(v), "agent-meta");
	assert_true(json_object_object_get_ex(doc, "state", &v));
	assert_true(json_object_object_get_ex(v, "id", &v));
	assert_string_equal(json_object_get_string(v), "c1");
	assert_true(json_object_object_get_ex(doc, "ociVersion", &v));
	json_object_put(doc);

	/* Answer the child's mkdir as an agent would. */
	struct pollfd p = {.fd = nfd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 10000), 1);
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	assert_int_equal(seccomp_notify_alloc(&req, &resp), 0);
	assert_int_equal(seccomp_notify_receive(nfd, req), 0);
	assert_int_equal((pid_t)req->pid, pid);
	resp->id = req->id;
	resp->error = -ENOMEDIUM;
	assert_int_equal(seccomp_notify_respond(nfd, resp), 0);
	seccomp_notify_free(req, resp);

	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(nfd);
	close(lsock);
	unlink(addr.sun_path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_action_names),
	    cmocka_unit_test(test_arch_op_flag_names),
	    cmocka_unit_test(test_features_lists),
	    cmocka_unit_test(test_errno_rule_returns_its_errno),
	    cmocka_unit_test(test_kill_process_kills),
	    cmocka_unit_test(test_conditions),
	    cmocka_unit_test(test_bad_profiles_are_rejected),
	    cmocka_unit_test(test_notify_listener_gets_fd_and_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
