/* hutch exec: POST /containers/{id}/exec, then POST /exec/{id}/start on
 * a hijacked connection (or detached), and exit with the exec's code. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "container-util.h"
#include "json-util.h"
#include "run-config.h"
#include "session.h"
#include "tty.h"

static void print_help(void)
{
	printf("Usage: hutch exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
	       "Run a command in a running container.\n\nOptions:\n"
	       "  -d, --detach               run it in the background\n"
	       "      --detach-keys KEYS     keys that detach from a tty (default "
	       "ctrl-p,ctrl-q)\n"
	       "  -e, --env NAME[=VALUE]     set an environment variable\n"
	       "  -i, --interactive          attach stdin\n"
	       "      --privileged           give the command all capabilities\n"
	       "  -t, --tty                  give the command a terminal\n"
	       "  -u, --user USER[:GROUP]    user to run as\n"
	       "  -w, --workdir DIR          working directory\n");
}

/* The exec's exit code once its stream ended; hutchd records it when the
 * exec's monitor has been reaped, a moment after the stream closes. */
static int exec_exit_code(const char *exec_id)
{
	char path[256];
	snprintf(path, sizeof(path), "/exec/%s/json", exec_id);
	for (int i = 0; i < 500; i++) {
		hutch_error err = {0};
		_cleanup_json_ json_object *o = NULL;
		if (client_json("GET", path, &o, &err) < 0) {
			cli_fail(&err);
			return 1;
		}
		bool running = false;
		int64_t code = 0;
		json_get_bool(o, "", "Running", &running, NULL);
		json_object *jc = NULL;
		if (!running && json_object_object_get_ex(o, "ExitCode", &jc) && jc != NULL) {
			json_get_int64(o, "", "ExitCode", false, &code, NULL);
			return (int)code;
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "hutch: the exec did not report an exit code\n");
	return 1;
}

int cmd_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"detach", no_argument, NULL, 'd'},
	    {"interactive", no_argument, NULL, 'i'},
	    {"tty", no_argument, NULL, 't'},
	    {"env", required_argument, NULL, 'e'},
	    {"workdir", required_argument, NULL, 'w'},
	    {"user", required_argument, NULL, 'u'},
	    {"privileged", no_argument, NULL, 'P'},
	    {"detach-keys", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool detach = false, interactive = false, tty = false;
	const char *keys = NULL;
	_cleanup_json_ json_object *body = json_object_new_object();
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+dite:w:u:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			detach = true;
			break;
		case 'i':
			interactive = true;
			break;
		case 't':
			tty = true;
			break;
		case 'e':
			run_config_add_env(body, optarg);
			break;
		case 'w':
			json_object_object_add(body, "WorkingDir", json_object_new_string(optarg));
			break;
		case 'u':
			json_object_object_add(body, "User", json_object_new_string(optarg));
			break;
		case 'P':
			json_object_object_add(body, "Privileged", json_object_new_boolean(true));
			break;
		case 'k':
			keys = optarg;
			break;
		case 'h':
			print_help();
			return 0;
		default:
			return usage_fail("exec", NULL);
		}
	}
	if (argc - optind < 2)
		return usage_fail("exec", "\"hutch exec\" requires at least 2 arguments");
	hutch_error err = {0};
	if (keys) {
		struct detach_keys k;
		if (detach_keys_parse(keys, &k, &err) < 0)
			return usage_fail("exec", "%s", err.msg);
	}
	if (tty && interactive && !detach && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "hutch: the input device is not a TTY\n");
		return 1;
	}
	json_object *cmd = json_object_new_array();
	for (int i = optind + 1; i < argc; i++)
		json_object_array_add(cmd, json_object_new_string(argv[i]));
	json_object_object_add(body, "Cmd", cmd);
	json_object_object_add(body, "Tty", json_object_new_boolean(tty));
	json_object_object_add(body, "AttachStdin",
			       json_object_new_boolean(interactive && !detach));
	json_object_object_add(body, "AttachStdout", json_object_new_boolean(!detach));
	json_object_object_add(body, "AttachStderr", json_object_new_boolean(!detach));
	if (keys)
		json_object_object_add(body, "DetachKeys", json_object_new_string(keys));
	char path[1024];
	container_path(path, sizeof(path), argv[optind], "/exec");
	const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	_cleanup_json_ json_object *created = NULL;
	const char *exec_id = NULL;
	if (client_json_body("POST", path, text, &created, &err) < 0 ||
	    json_get_string(created, "exec reply", "Id", true, &exec_id, &err) < 0)
		return cli_fail(&err);

	_cleanup_json_ json_object *start = json_object_new_object();
	json_object_object_add(start, "Detach", json_object_new_boolean(detach));
	json_object_object_add(start, "Tty", json_object_new_boolean(tty));
	unsigned rows, cols;
	if (tty && tty_terminal_size(&rows, &cols)) {
		json_object *size = json_object_new_array();
		json_object_array_add(size, json_object_new_int((int)rows));
		json_object_array_add(size, json_object_new_int((int)cols));
		json_object_object_add(start, "ConsoleSize", size);
	}
	const char *start_body = json_object_to_json_string_ext(start, JSON_C_TO_STRING_PLAIN);
	snprintf(path, sizeof(path), "/exec/%s/start", exec_id);
	if (detach) {
		if (client_json_body("POST", path, start_body, NULL, &err) < 0)
			return cli_fail(&err);
		return 0;
	}
	struct raw_http stream = {.fd = -1};
	if (hijack_open(&stream, "POST", path, start_body, &err) < 0)
		return cli_fail(&err);
	char base[256];
	snprintf(base, sizeof(base), "/exec/%s", exec_id);
	struct session_opts so = {
	    .resize_base = base,
	    .tty = tty,
	    .send_stdin = interactive,
	    .detach_keys = keys,
	};
	int end = session_pump(&stream, &so, &err);
	raw_http_close(&stream);
	if (end < 0)
		return cli_fail(&err);
	if (end == PUMP_DETACHED)
		return 0;
	return exec_exit_code(exec_id);
}
