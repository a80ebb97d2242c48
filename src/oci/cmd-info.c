/* Read-only commands: state, list, ps, features, spec. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "json-util.h"
#include "log.h"
#include "oci-config.h"
#include "oci.h"
#include "options.h"
#include "state.h"

static const struct opt_spec no_specs[] = {{NULL, 0, false, 0}};

static int no_options(void *ctx, int id, const char *value, hutch_error *err)
{
	return 0;
}

/* Parse a command that takes only an ID. */
static int parse_id_only(const char *cmd, int argc, char **argv, const char **id)
{
	struct opt_result res;
	hutch_error err = {0};
	if (opts_parse(argc, argv, no_specs, false, no_options, NULL, &res, &err) < 0)
		return oci_fail(&err, "%s", cmd);
	if (res.help) {
		oci_command_help(cmd);
		return -2;
	}
	if (res.n_positional != 1) {
		log_error("%s: expected exactly one container id (usage: hutch-oci %s ID)", cmd,
			  cmd);
		return 1;
	}
	*id = res.positional[0];
	return 0;
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
}

int cmd_state(struct global_options *g, int argc, char **argv)
{
	const char *id = NULL;
	int r = parse_id_only("state", argc, argv, &id);
	if (r != 0)
		return r == -2 ? 0 : r;
	if (oci_require_root(g) < 0)
		return 1;
	hutch_error err = {0};
	struct container_state st;
	if (state_read(g->root, id, &st, &err) < 0)
		return oci_fail(&err, NULL);
	_cleanup_json_ json_object *o = state_to_json(&st, state_status(g->root, &st));
	print_json(o);
	state_clear(&st);
	return 0;
}

enum { L_FORMAT = 1, L_QUIET };

struct list_opts {
	bool json;
	bool quiet;
};

static int on_list(void *ctx, int id, const char *value, hutch_error *err)
{
	struct list_opts *lo = ctx;
	if (id == L_QUIET) {
		lo->quiet = opt_bool(value);
	} else if (id == L_FORMAT) {
		if (strcmp(value, "json") == 0)
			lo->json = true;
		else if (strcmp(value, "table") == 0)
			lo->json = false;
		else
			return hutch_fail_plain(
			    err, EINVAL, "--format: expected table or json, got '%s'", value);
	}
	return 0;
}

int cmd_list(struct global_options *g, int argc, char **argv)
{
	static const struct opt_spec specs[] = {
	    {"format", 'f', true, L_FORMAT}, {"quiet", 'q', false, L_QUIET}, {NULL, 0, false, 0}};
	struct list_opts lo = {0};
	struct opt_result res;
	hutch_error err = {0};
	if (opts_parse(argc, argv, specs, false, on_list, &lo, &res, &err) < 0)
		return oci_fail(&err, "list");
	if (res.help)
		return oci_command_help("list");
	if (res.n_positional != 0) {
		log_error("list: unexpected argument '%s'", res.positional[0]);
		return 1;
	}
	if (oci_require_root(g) < 0)
		return 1;
	_cleanup_strv_ char **ids = NULL;
	size_t n = 0;
	if (state_list(g->root, &ids, &n, &err) < 0)
		return oci_fail(&err, "list");
	_cleanup_json_ json_object *arr = json_object_new_array();
	if (!lo.json && !lo.quiet)
		printf("%-24s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct container_state st;
		hutch_error e2 = {0};
		/* A directory without a state (a create in progress, or left
		 * behind) is not a container yet. */
		if (state_read(g->root, ids[i], &st, &e2) < 0)
			continue;
		enum container_status s = state_status(g->root, &st);
		json_object *o = state_to_json(&st, s);
		if (lo.json) {
			json_object_array_add(arr, o);
		} else if (lo.quiet) {
			printf("%s\n", st.id);
			json_object_put(o);
		} else {
			json_object *owner = NULL;
			json_object_object_get_ex(o, "owner", &owner);
			printf("%-24s %-8d %-10s %-40s %-32s %s\n", st.id,
			       s == CONTAINER_STOPPED ? 0 : (int)st.pid, container_status_name(s),
			       st.bundle ? st.bundle : "", st.created ? st.created : "",
			       json_object_get_string(owner));
			json_object_put(o);
		}
		state_clear(&st);
	}
	if (lo.json)
		print_json(arr);
	return 0;
}

struct ps_opts {
	bool json;
};

static int on_ps(void *ctx, int id, const char *value, hutch_error *err)
{
	struct ps_opts *po = ctx;
	if (strcmp(value, "json") == 0)
		po->json = true;
	else if (strcmp(value, "table") == 0)
		po->json = false;
	else
		return hutch_fail_plain(err, EINVAL, "--format: expected table or json, got '%s'",
					value);
	return 0;
}

/* The command line of a process for the table, NULs shown as spaces. */
static void proc_cmdline(pid_t pid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	buf[0] = '\0';
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, size - 1);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	for (ssize_t i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
}

int cmd_ps(struct global_options *g, int argc, char **argv)
{
	static const struct opt_spec specs[] = {{"format", 'f', true, 1}, {NULL, 0, false, 0}};
	struct ps_opts po = {0};
	struct opt_result res;
	hutch_error err = {0};
	if (opts_parse(argc, argv, specs, false, on_ps, &po, &res, &err) < 0)
		return oci_fail(&err, "ps");
	if (res.help)
		return oci_command_help("ps");
	if (res.n_positional < 1) {
		log_error("ps: expected a container id");
		return 1;
	}
	if (oci_require_root(g) < 0)
		return 1;
	const char *id = res.positional[0];
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (container_pids(g->root, id, &pids, &n, &err) < 0)
		return oci_fail(&err, "ps %s", id);
	if (po.json) {
		_cleanup_json_ json_object *arr = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, json_object_new_int(pids[i]));
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
		return 0;
	}
	printf("%-8s %s\n", "PID", "CMD");
	for (size_t i = 0; i < n; i++) {
		char cmd[512];
		proc_cmdline(pids[i], cmd, sizeof(cmd));
		printf("%-8d %s\n", (int)pids[i], cmd);
	}
	return 0;
}

int cmd_features(struct global_options *g, int argc, char **argv)
{
	struct opt_result res;
	hutch_error err = {0};
	if (opts_parse(argc, argv, no_specs, false, no_options, NULL, &res, &err) < 0)
		return oci_fail(&err, "features");
	if (res.help)
		return oci_command_help("features");
	_cleanup_json_ json_object *o = oci_features();
	if (o == NULL) {
		log_error("features: out of memory");
		return 1;
	}
	print_json(o);
	return 0;
}

enum { S_ROOTLESS = 1, S_BUNDLE };

struct spec_opts {
	bool rootless;
	const char *bundle;
};

static int on_spec(void *ctx, int id, const char *value, hutch_error *err)
{
	struct spec_opts *so = ctx;
	if (id == S_ROOTLESS)
		so->rootless = opt_bool(value);
	else if (id == S_BUNDLE)
		so->bundle = value;
	return 0;
}

int cmd_spec(struct global_options *g, int argc, char **argv)
{
	static const struct opt_spec specs[] = {{"rootless", 0, false, S_ROOTLESS},
						{"bundle", 'b', true, S_BUNDLE},
						{NULL, 0, false, 0}};
	struct spec_opts so = {0};
	struct opt_result res;
	hutch_error err = {0};
	if (opts_parse(argc, argv, specs, false, on_spec, &so, &res, &err) < 0)
		return oci_fail(&err, "spec");
	if (res.help)
		return oci_command_help("spec");
	if (res.n_positional != 0) {
		log_error("spec: unexpected argument '%s'", res.positional[0]);
		return 1;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", so.bundle != NULL ? so.bundle : ".");
	/* Never overwrite a config someone wrote by hand. */
	if (access(path, F_OK) == 0) {
		log_error("spec: %s exists: remove it first", path);
		return 1;
	}
	_cleanup_json_ json_object *o = oci_spec_default(so.rootless, geteuid(), getegid());
	if (o == NULL) {
		log_error("spec: out of memory");
		return 1;
	}
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		hutch_fail(&err, errno, "create %s", path);
		return oci_fail(&err, "spec");
	}
	if (write(fd, text, strlen(text)) < 0 || write(fd, "\n", 1) < 0) {
		hutch_fail(&err, errno, "write %s", path);
		return oci_fail(&err, "spec");
	}
	return 0;
}
