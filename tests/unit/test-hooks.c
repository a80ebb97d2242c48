/* Unit tests of hooks: real processes run with the state on stdin, their
 * args and env, a timeout that kills, and errors that name the hook. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "file-util.h"
#include "hooks.h"

static char dir[64];

static int setup(void **state)
{
	strcpy(dir, "/tmp/hutch-hooks-XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A config with one hook of kind, running `sh -c script`. */
static struct oci_config *config_with(enum oci_hook_kind kind, struct oci_hook *h)
{
	static struct oci_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.hooks.list[kind] = h;
	cfg.hooks.count[kind] = 1;
	return &cfg;
}

static void test_state_on_stdin_with_args_and_env(void **state)
{
	char script[256], out[128];
	snprintf(out, sizeof(out), "%s/state", dir);
	snprintf(script, sizeof(script), "cat > %s; echo \"$0 $FOO\" >> %s", out, out);
	char *args[] = {"my-hook", "-c", script, NULL};
	char *env[] = {"FOO=bar", NULL};
	struct oci_hook h = {.path = "/bin/sh", .args = args, .n_args = 3, .env = env, .n_env = 1};
	hutch_error err = {0};
	const char *st = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"created\"}";
	assert_int_equal(hooks_run(config_with(OCI_HOOK_PRESTART, &h), OCI_HOOK_PRESTART, st, &err),
			 0);
	char *text = NULL;
	assert_int_equal(read_file_all(out, 4096, &text, NULL, &err), 0);
	/* args[0] is argv[0]; env replaces the runtime's. */
	char want[256];
	snprintf(want, sizeof(want), "%smy-hook bar\n", st);
	assert_string_equal(text, want);
	free(text);
}

static void test_path_is_argv0_and_env_inherited_without_args_or_env(void **state)
{
	char script[128], out[128], text_buf[512];
	snprintf(script, sizeof(script), "%s/hook.sh", dir);
	snprintf(out, sizeof(out), "%s/argv0", dir);
	snprintf(text_buf, sizeof(text_buf), "#!/bin/sh\necho \"$0 $HUTCH_HOOK_TEST\" > %s\n", out);
	FILE *f = fopen(script, "we");
	assert_non_null(f);
	fputs(text_buf, f);
	fclose(f);
	assert_int_equal(chmod(script, 0755), 0);
	/* No env in the hook: it gets the runtime's, as with runc. */
	setenv("HUTCH_HOOK_TEST", "inherited", 1);
	struct oci_hook h = {.path = script};
	hutch_error err = {0};
	assert_int_equal(
	    hooks_run(config_with(OCI_HOOK_PRESTART, &h), OCI_HOOK_PRESTART, "{}", &err), 0);
	unsetenv("HUTCH_HOOK_TEST");
	char *text = NULL;
	assert_int_equal(read_file_all(out, 4096, &text, NULL, &err), 0);
	char want[256];
	snprintf(want, sizeof(want), "%s inherited\n", script);
	assert_string_equal(text, want);
	free(text);
}

static void test_nonzero_exit_names_kind_path_status(void **state)
{
	char *args[] = {"sh", "-c", "echo hook-says-no >&2; exit 3", NULL};
	struct oci_hook h = {.path = "/bin/sh", .args = args, .n_args = 3};
	hutch_error err = {0};
	assert_int_equal(hooks_run(config_with(OCI_HOOK_CREATE_RUNTIME, &h),
				   OCI_HOOK_CREATE_RUNTIME, "{}", &err),
			 -1);
	assert_string_equal(err.msg, "createRuntime hook /bin/sh exited with status 3");
}

static void test_timeout_kills(void **state)
{
	char *args[] = {"sh", "-c", "exec sleep 30", NULL};
	struct oci_hook h = {
	    .path = "/bin/sh", .args = args, .n_args = 3, .has_timeout = true, .timeout = 1};
	hutch_error err = {0};
	time_t start = time(NULL);
	assert_int_equal(
	    hooks_run(config_with(OCI_HOOK_POSTSTART, &h), OCI_HOOK_POSTSTART, "{}", &err), -1);
	assert_true(time(NULL) - start < 5);
	assert_string_equal(err.msg, "poststart hook /bin/sh timed out after 1 s");
}

static void test_missing_binary(void **state)
{
	struct oci_hook h = {.path = "/nonexistent/hook"};
	hutch_error err = {0};
	assert_int_equal(
	    hooks_run(config_with(OCI_HOOK_POSTSTOP, &h), OCI_HOOK_POSTSTOP, "{}", &err), -1);
	assert_string_equal(err.msg,
			    "poststop hook /nonexistent/hook: exec: No such file or directory");
	assert_int_equal(err.errnum, ENOENT);
}

static void test_hook_ignoring_stdin(void **state)
{
	/* Far more state than a pipe holds, and a hook that never reads:
	 * EPIPE is not an error, and we must not block on the write. */
	size_t big = 1 << 20;
	char *st = malloc(big + 1);
	assert_non_null(st);
	memset(st, ' ', big);
	st[big] = '\0';
	char *args[] = {"true", NULL};
	struct oci_hook h = {
	    .path = "/bin/true", .args = args, .n_args = 1, .has_timeout = true, .timeout = 5};
	hutch_error err = {0};
	assert_int_equal(hooks_run(config_with(OCI_HOOK_START_CONTAINER, &h),
				   OCI_HOOK_START_CONTAINER, st, &err),
			 0);
	free(st);
}

static void test_first_failure_stops_the_rest(void **state)
{
	char out[128], script[256];
	snprintf(out, sizeof(out), "%s/second-ran", dir);
	snprintf(script, sizeof(script), "touch %s", out);
	char *fail_args[] = {"false", NULL};
	char *touch_args[] = {"sh", "-c", script, NULL};
	struct oci_hook hooks[2] = {{.path = "/bin/false", .args = fail_args, .n_args = 1},
				    {.path = "/bin/sh", .args = touch_args, .n_args = 3}};
	struct oci_config cfg = {0};
	cfg.hooks.list[OCI_HOOK_CREATE_CONTAINER] = hooks;
	cfg.hooks.count[OCI_HOOK_CREATE_CONTAINER] = 2;
	hutch_error err = {0};
	assert_int_equal(hooks_run(&cfg, OCI_HOOK_CREATE_CONTAINER, "{}", &err), -1);
	assert_non_null(strstr(err.msg, "createContainer hook /bin/false exited with status 1"));
	assert_int_equal(access(out, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_state_on_stdin_with_args_and_env),
	    cmocka_unit_test(test_path_is_argv0_and_env_inherited_without_args_or_env),
	    cmocka_unit_test(test_nonzero_exit_names_kind_path_status),
	    cmocka_unit_test(test_timeout_kills),
	    cmocka_unit_test(test_missing_binary),
	    cmocka_unit_test(test_hook_ignoring_stdin),
	    cmocka_unit_test(test_first_failure_stops_the_rest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
