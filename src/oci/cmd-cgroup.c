/* pause, resume, update: the commands that need the container's cgroup. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "file-util.h"
#include "json-util.h"
#include "log.h"
#include "oci.h"
#include "options.h"

static const struct opt_spec no_specs[] = {{NULL, 0, false, 0}};

static int ignore_opt(void *ctx, int id, const char *value, hutch_error *err)
{
	return 0;
}

static int pause_or_resume(const char *cmd, bool pause, struct global_options *g, int argc,
			   char **argv)
{
	struct opt_result res;
	hutch_error err = {0};
	if (opts_parse(argc, argv, no_specs, false, ignore_opt, NULL, &res, &err) < 0)
		return oci_fail(&err, "%s", cmd);
	if (res.help)
		return oci_command_help(cmd);
	if (res.n_positional != 1) {
		log_error("%s: expected exactly one container id", cmd);
		return 1;
	}
	if (oci_require_root(g) < 0)
		return 1;
	if (container_pause(g->root, res.positional[0], pause, &err) < 0)
		return oci_fail(&err, "%s container %s", cmd, res.positional[0]);
	return 0;
}

int cmd_pause(struct global_options *g, int argc, char **argv)
{
	return pause_or_resume("pause", true, g, argc, argv);
}

int cmd_resume(struct global_options *g, int argc, char **argv)
{
	return pause_or_resume("resume", false, g, argc, argv);
}

static int on_update(void *ctx, int id, const char *value, hutch_error *err)
{
	if (id == 1)
		*(const char **)ctx = value;
	return 0;
}

int cmd_update(struct global_options *g, int argc, char **argv)
{
	static const struct opt_spec specs[] = {{"resources", 'r', true, 1}, {NULL, 0, false, 0}};
	const char *file = NULL;
	struct opt_result res;
	hutch_error err = {0};
	if (opts_parse(argc, argv, specs, false, on_update, &file, &res, &err) < 0)
		return oci_fail(&err, "update");
	if (res.help)
		return oci_command_help("update");
	if (res.n_positional != 1 || file == NULL) {
		log_error("update: usage: hutch-oci update --resources FILE|- ID");
		return 1;
	}
	const char *id = res.positional[0];
	char *text = NULL;
	size_t len = 0;
	int r = strcmp(file, "-") == 0
		    ? read_fd_all(STDIN_FILENO, "stdin", 1 << 20, &text, &len, &err)
		    : read_file_all(file, 1 << 20, &text, &len, &err);
	if (r < 0)
		return oci_fail(&err, "update container %s", id);
	_cleanup_json_ json_object *resources = NULL;
	r = json_parse_buffer(text, len, strcmp(file, "-") == 0 ? "stdin" : file, &resources, &err);
	free(text);
	if (r < 0)
		return oci_fail(&err, "update container %s", id);
	if (!json_object_is_type(resources, json_type_object)) {
		log_error("update container %s: the resources must be a JSON object", id);
		return 1;
	}
	if (oci_require_root(g) < 0)
		return 1;
	if (container_update(g->root, id, resources, &err) < 0)
		return oci_fail(&err, "update container %s", id);
	return 0;
}
