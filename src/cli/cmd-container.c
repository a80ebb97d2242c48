/* hutch start, stop, restart, kill, rm, wait, rename, port, top and
 * container prune: one request per named container, docker's output
 * (the name as given on success, "Error response from daemon: ..." for
 * each failure, exit 1 when any failed). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "container-util.h"
#include "json-util.h"

/* POST/DELETE /containers/NAME{suffix} for every name from argv[first];
 * prints each name that worked. */
static int each_container(int argc, char **argv, int first, const char *method, const char *suffix)
{
	int rc = 0;
	for (int i = first; i < argc; i++) {
		char path[1024];
		container_path(path, sizeof(path), argv[i], suffix);
		hutch_error err = {0};
		if (client_json(method, path, NULL, &err) < 0) {
			cli_fail(&err);
			rc = 1;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return rc;
}

/* stop and restart share -t/--time/--timeout and -s/--signal. */
static int stop_or_restart(int argc, char **argv, const char *action)
{
	static const struct option longopts[] = {
	    {"time", required_argument, NULL, 't'},
	    {"timeout", required_argument, NULL, 't'},
	    {"signal", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *timeout = NULL, *sig = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+t:s:", longopts, NULL)) != -1) {
		if (c == 't') {
			char *end;
			long t = strtol(optarg, &end, 10);
			if (*end || end == optarg || t < -1)
				return usage_fail(action, "invalid timeout: %s", optarg);
			timeout = optarg;
		} else if (c == 's') {
			sig = optarg;
		} else if (c == 'h') {
			printf(
			    "Usage: hutch %s [OPTIONS] CONTAINER [CONTAINER...]\n\n%s\n\n"
			    "Options:\n"
			    "  -s, --signal SIGNAL   signal to send (default: the container's "
			    "stop signal)\n"
			    "  -t, --time SECONDS    seconds to wait before killing (default 10, "
			    "-1 forever)\n",
			    action,
			    strcmp(action, "stop") == 0
				? "Stop running containers: the stop signal, then SIGKILL "
				  "after the timeout."
				: "Restart containers (stop as 'hutch stop' does, then start).");
			return 0;
		} else {
			return usage_fail(action, NULL);
		}
	}
	if (optind >= argc)
		return usage_fail(action, "\"hutch %s\" requires at least 1 argument", action);
	char suffix[256];
	_cleanup_free_ char *esig = sig ? client_escape(sig) : NULL;
	snprintf(suffix, sizeof(suffix), "/%s%s%s%s%s", action, timeout || esig ? "?" : "",
		 timeout ? "t=" : "", timeout ? timeout : "",
		 esig ? (timeout ? "&signal=" : "signal=") : "");
	if (esig)
		strncat(suffix, esig, sizeof(suffix) - strlen(suffix) - 1);
	return each_container(argc, argv, optind, "POST", suffix);
}

int cmd_stop(int argc, char **argv)
{
	return stop_or_restart(argc, argv, "stop");
}

int cmd_restart(int argc, char **argv)
{
	return stop_or_restart(argc, argv, "restart");
}

int cmd_kill(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"signal", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *sig = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+s:", longopts, NULL)) != -1) {
		if (c == 's') {
			sig = optarg;
		} else if (c == 'h') {
			printf("Usage: hutch kill [OPTIONS] CONTAINER [CONTAINER...]\n\n"
			       "Send a signal to running containers.\n\nOptions:\n"
			       "  -s, --signal SIGNAL   signal to send: a name (KILL, SIGHUP) or a "
			       "number (default KILL)\n");
			return 0;
		} else {
			return usage_fail("kill", NULL);
		}
	}
	if (optind >= argc)
		return usage_fail("kill", "\"hutch kill\" requires at least 1 argument");
	char suffix[256] = "/kill";
	if (sig) {
		_cleanup_free_ char *e = client_escape(sig);
		snprintf(suffix, sizeof(suffix), "/kill?signal=%s", e);
	}
	return each_container(argc, argv, optind, "POST", suffix);
}

int cmd_rm(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"volumes", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false, volumes = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+fv", longopts, NULL)) != -1) {
		if (c == 'f') {
			force = true;
		} else if (c == 'v') {
			volumes = true;
		} else if (c == 'h') {
			printf("Usage: hutch rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"
			       "Remove containers.\n\nOptions:\n"
			       "  -f, --force     kill and remove a running container\n"
			       "  -v, --volumes   also remove its anonymous volumes\n");
			return 0;
		} else {
			return usage_fail("rm", NULL);
		}
	}
	if (optind >= argc)
		return usage_fail("rm", "\"hutch rm\" requires at least 1 argument");
	char suffix[64];
	snprintf(suffix, sizeof(suffix), "?force=%d&v=%d", force, volumes);
	return each_container(argc, argv, optind, "DELETE", suffix);
}

static int attach_to(const char *name, bool with_stdin, bool sig_proxy, const char *keys,
		     bool running);

int cmd_start(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"attach", no_argument, NULL, 'a'},
	    {"interactive", no_argument, NULL, 'i'},
	    {"detach-keys", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool attach = false, interactive = false;
	const char *keys = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+ai", longopts, NULL)) != -1) {
		if (c == 'a') {
			attach = true;
		} else if (c == 'i') {
			interactive = true;
		} else if (c == 'k') {
			keys = optarg;
		} else if (c == 'h') {
			printf("Usage: hutch start [OPTIONS] CONTAINER [CONTAINER...]\n\n"
			       "Start containers.\n\nOptions:\n"
			       "  -a, --attach            attach stdout/stderr, exit with the "
			       "container's code\n"
			       "  -i, --interactive       attach stdin too\n"
			       "      --detach-keys KEYS  keys that detach from a tty (default "
			       "ctrl-p,ctrl-q)\n");
			return 0;
		} else {
			return usage_fail("start", NULL);
		}
	}
	if (optind >= argc)
		return usage_fail("start", "\"hutch start\" requires at least 1 argument");
	if (!attach && !interactive)
		return each_container(argc, argv, optind, "POST", "/start");
	if (argc - optind > 1) {
		fprintf(stderr, "you cannot start and attach multiple containers at once\n");
		return 1;
	}
	return attach_to(argv[optind], interactive, true, keys, false);
}

/* start -a and attach: the container's settings decide tty and stdin. */
static int attach_to(const char *name, bool with_stdin, bool sig_proxy, const char *keys,
		     bool running)
{
	_cleanup_json_ json_object *info = NULL;
	hutch_error err = {0};
	if (container_inspect(name, &info, &err) < 0)
		return cli_fail(&err);
	json_object *config = NULL, *host = NULL, *state = NULL;
	json_object_object_get_ex(info, "Config", &config);
	json_object_object_get_ex(info, "HostConfig", &host);
	json_object_object_get_ex(info, "State", &state);
	const char *id = NULL;
	json_get_string(info, "", "Id", false, &id, NULL);
	bool tty = false, open_stdin = false, auto_remove = false, is_running = false;
	json_get_bool(config, "Config", "Tty", &tty, NULL);
	json_get_bool(config, "Config", "OpenStdin", &open_stdin, NULL);
	json_get_bool(host, "HostConfig", "AutoRemove", &auto_remove, NULL);
	json_get_bool(state, "State", "Running", &is_running, NULL);
	if (running && !is_running) {
		fprintf(stderr, "You cannot attach to a stopped container, start it first\n");
		return 1;
	}
	struct attached_start a = {
	    .id = id ? id : name,
	    .no_start = running,
	    .tty = tty,
	    .interactive = with_stdin && open_stdin,
	    .auto_remove = auto_remove,
	    .sig_proxy = sig_proxy,
	    .detach_keys = keys,
	};
	return attached_start(&a);
}

int cmd_attach(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"no-stdin", no_argument, NULL, 'n'},
	    {"sig-proxy", optional_argument, NULL, 's'},
	    {"detach-keys", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool no_stdin = false, sig_proxy = true;
	const char *keys = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c == 'n') {
			no_stdin = true;
		} else if (c == 's') {
			if (strcmp(optarg, "true") != 0 && strcmp(optarg, "false") != 0)
				return usage_fail("attach", "invalid --sig-proxy value: %s",
						  optarg);
			sig_proxy = strcmp(optarg, "true") == 0;
		} else if (c == 'k') {
			keys = optarg;
		} else if (c == 'h') {
			printf(
			    "Usage: hutch attach [OPTIONS] CONTAINER\n\n"
			    "Attach to a running container's output (and input, when it was "
			    "created\nwith -i), and exit with its exit code.\n\nOptions:\n"
			    "      --detach-keys KEYS  keys that detach from a tty (default "
			    "ctrl-p,ctrl-q)\n"
			    "      --no-stdin          do not attach stdin\n"
			    "      --sig-proxy BOOL    forward signals to the container (default "
			    "true)\n");
			return 0;
		} else {
			return usage_fail("attach", NULL);
		}
	}
	if (optind != argc - 1)
		return usage_fail("attach", "\"hutch attach\" requires exactly 1 argument");
	return attach_to(argv[optind], !no_stdin, sig_proxy, keys, true);
}

int cmd_wait(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("Usage: hutch wait CONTAINER [CONTAINER...]\n\n"
		       "Block until containers stop, then print their exit codes.\n");
		return 0;
	}
	if (argc < 2)
		return usage_fail("wait", "\"hutch wait\" requires at least 1 argument");
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		char path[1024];
		container_path(path, sizeof(path), argv[i], "/wait");
		hutch_error err = {0};
		_cleanup_json_ json_object *o = NULL;
		int64_t code = 0;
		if (client_json("POST", path, &o, &err) < 0 ||
		    json_get_int64(o, "wait reply", "StatusCode", true, &code, &err) < 0) {
			cli_fail(&err);
			rc = 1;
			continue;
		}
		printf("%lld\n", (long long)code);
	}
	return rc;
}

int cmd_rename(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("Usage: hutch rename CONTAINER NEW_NAME\n\nRename a container.\n");
		return 0;
	}
	if (argc != 3)
		return usage_fail("rename", "\"hutch rename\" requires exactly 2 arguments");
	_cleanup_free_ char *name = client_escape(argv[2]);
	char suffix[600];
	snprintf(suffix, sizeof(suffix), "/rename?name=%s", name);
	char path[2048];
	container_path(path, sizeof(path), argv[1], suffix);
	hutch_error err = {0};
	if (client_json("POST", path, NULL, &err) < 0)
		return cli_fail(&err);
	return 0;
}

/* "IP:PORT" with IPv6 addresses in brackets; an empty IP is 0.0.0.0. */
static void host_address(json_object *binding, char *out, size_t size)
{
	const char *ip = "", *port = "";
	json_get_string(binding, "", "HostIp", false, &ip, NULL);
	json_get_string(binding, "", "HostPort", false, &port, NULL);
	if (ip[0] == '\0')
		ip = "0.0.0.0";
	snprintf(out, size, strchr(ip, ':') ? "[%s]:%s" : "%s:%s", ip, port);
}

int cmd_port(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("Usage: hutch port CONTAINER [PRIVATE_PORT[/PROTO]]\n\n"
		       "List the container's published ports, or where one port is "
		       "published.\n");
		return 0;
	}
	if (argc < 2 || argc > 3)
		return usage_fail("port", "\"hutch port\" requires 1 or 2 arguments");
	_cleanup_json_ json_object *info = NULL;
	hutch_error err = {0};
	if (container_inspect(argv[1], &info, &err) < 0)
		return cli_fail(&err);
	json_object *ns = NULL, *ports = NULL;
	json_object_object_get_ex(info, "NetworkSettings", &ns);
	if (ns)
		json_object_object_get_ex(ns, "Ports", &ports);
	char want[64] = "";
	if (argc == 3)
		snprintf(want, sizeof(want), "%s%s", argv[2], strchr(argv[2], '/') ? "" : "/tcp");
	bool found = false;
	if (ports && json_object_is_type(ports, json_type_object)) {
		json_object_object_foreach(ports, key, bindings)
		{
			if (want[0] && strcmp(key, want) != 0)
				continue;
			for (size_t i = 0; json_object_is_type(bindings, json_type_array) &&
					   i < json_object_array_length(bindings);
			     i++) {
				char addr[128];
				host_address(json_object_array_get_idx(bindings, i), addr,
					     sizeof(addr));
				if (want[0])
					printf("%s\n", addr);
				else
					printf("%s -> %s\n", key, addr);
				found = true;
			}
		}
	}
	if (want[0] && !found) {
		fprintf(stderr, "Error: No public port '%s' published for %s\n", want, argv[1]);
		return 1;
	}
	return 0;
}

int cmd_top(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("Usage: hutch top CONTAINER [ps OPTIONS]\n\n"
		       "Show the processes of a container (ps -ef, or the given ps options).\n");
		return 0;
	}
	if (argc < 2)
		return usage_fail("top", "\"hutch top\" requires at least 1 argument");
	char suffix[1024] = "/top";
	if (argc > 2) {
		char args[512] = "";
		for (int i = 2; i < argc; i++) {
			size_t l = strlen(args);
			snprintf(args + l, sizeof(args) - l, "%s%s", i > 2 ? " " : "", argv[i]);
		}
		_cleanup_free_ char *e = client_escape(args);
		snprintf(suffix, sizeof(suffix), "/top?ps_args=%s", e);
	}
	char path[2048];
	container_path(path, sizeof(path), argv[1], suffix);
	hutch_error err = {0};
	_cleanup_json_ json_object *o = NULL;
	if (client_json("GET", path, &o, &err) < 0)
		return cli_fail(&err);
	json_object *titles = NULL, *procs = NULL;
	json_object_object_get_ex(o, "Titles", &titles);
	json_object_object_get_ex(o, "Processes", &procs);
	struct table *t = table_new(20, 3);
	for (size_t i = 0; titles && i < json_object_array_length(titles); i++)
		table_cell(t, json_object_get_string(json_object_array_get_idx(titles, i)));
	table_end_row(t);
	for (size_t r = 0; procs && r < json_object_array_length(procs); r++) {
		json_object *row = json_object_array_get_idx(procs, r);
		for (size_t i = 0; row && i < json_object_array_length(row); i++)
			table_cell(t, json_object_get_string(json_object_array_get_idx(row, i)));
		table_end_row(t);
	}
	table_print(t, stdout);
	table_free(t);
	return 0;
}

int cmd_container_prune(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"filter", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+f", longopts, NULL)) != -1) {
		if (c == 'f') {
			force = true;
		} else if (c == 'F') {
			fprintf(stderr, "hutch: --filter is not supported by container prune\n");
			return 1;
		} else if (c == 'h') {
			printf("Usage: hutch container prune [OPTIONS]\n\n"
			       "Remove all stopped containers.\n\nOptions:\n"
			       "  -f, --force   do not ask for confirmation\n");
			return 0;
		} else {
			return usage_fail("container prune", NULL);
		}
	}
	if (!force) {
		int yes = confirm("WARNING! This will remove all stopped containers.");
		if (yes <= 0)
			return yes < 0;
	}
	int64_t space = 0;
	if (prune_containers(&space) < 0)
		return 1;
	char sz[32];
	format_size(space, sz, sizeof(sz));
	printf("Total reclaimed space: %s\n", sz);
	return 0;
}
