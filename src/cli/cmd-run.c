/* hutch run and hutch create: create the container (pulling the image when
 * it is missing), and for run attach before the start, as docker does, so
 * no output is lost, then exit with the container's exit code.
 *
 * Exit codes follow docker run: 125 when hutch itself fails (a bad flag,
 * the daemon refusing the create), 126 when the command cannot be run,
 * 127 when it is not found, otherwise the container's own status. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "json-util.h"
#include "run-config.h"
#include "session.h"
#include "tty.h"

#define EXIT_HUTCH 125
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

static int run_fail(const char *cmd, const char *msg)
{
	fprintf(stderr, "hutch: %s\n\nRun 'hutch %s --help' for more information\n", msg, cmd);
	return EXIT_HUTCH;
}

/* "busybox" → "busybox:latest", as docker names what it did not find. */
static void full_reference(const char *image, char *out, size_t size)
{
	const char *slash = strrchr(image, '/');
	const char *last = slash ? slash + 1 : image;
	bool tagged = strchr(last, ':') != NULL || strchr(image, '@') != NULL;
	snprintf(out, size, "%s%s", image, tagged ? "" : ":latest");
}

/* POST /containers/create; *status is the HTTP status. */
static int create_call(const struct run_config *rc, long *status, char **reply, hutch_error *err)
{
	char path[1024] = "/containers/create";
	if (rc->name) {
		_cleanup_free_ char *n = client_escape(rc->name);
		snprintf(path, sizeof(path), "/containers/create?name=%s", n);
	}
	if (rc->platform) {
		_cleanup_free_ char *p = client_escape(rc->platform);
		size_t l = strlen(path);
		snprintf(path + l, sizeof(path) - l, "%splatform=%s", rc->name ? "&" : "?", p);
	}
	const char *body = json_object_to_json_string_ext(rc->body, JSON_C_TO_STRING_PLAIN);
	struct client_request req = {
	    .method = "POST", .path = path, .body = body, .body_len = strlen(body)};
	return client_call(&req, status, reply, err);
}

static bool is_no_such_image(long status, const char *reply)
{
	return status == 404 && reply && strstr(reply, "No such image") != NULL;
}

/* Create the container, pulling its image first when it is missing (or
 * always, with --pull always). Writes the id; returns 0 or an exit code. */
static int create_container(const char *cmd, const struct run_config *rc, char *id, size_t idsize)
{
	char ref[1024];
	full_reference(rc->image, ref, sizeof(ref));
	/* Progress goes to stderr: stdout carries the id or the output. */
	if (rc->pull == PULL_ALWAYS && pull_image(rc->image, rc->platform, stderr, rc->quiet))
		return EXIT_HUTCH;
	hutch_error err = {0};
	long status = 0;
	_cleanup_free_ char *reply = NULL;
	if (create_call(rc, &status, &reply, &err) < 0)
		return run_fail(cmd, err.msg);
	if (is_no_such_image(status, reply) && rc->pull == PULL_MISSING) {
		fprintf(stderr, "Unable to find image '%s' locally\n", ref);
		if (pull_image(rc->image, rc->platform, stderr, rc->quiet))
			return EXIT_HUTCH;
		free(reply);
		reply = NULL;
		if (create_call(rc, &status, &reply, &err) < 0)
			return run_fail(cmd, err.msg);
	}
	if (status >= 400) {
		client_error_message(reply, status, &err);
		return run_fail(cmd, err.msg);
	}
	_cleanup_json_ json_object *o = NULL;
	const char *cid = NULL;
	if (json_parse_buffer(reply, strlen(reply), "create reply", &o, &err) < 0 ||
	    json_get_string(o, "create reply", "Id", true, &cid, &err) < 0)
		return run_fail(cmd, err.msg);
	snprintf(id, idsize, "%s", cid);
	json_object *warnings = NULL;
	if (json_object_object_get_ex(o, "Warnings", &warnings) &&
	    json_object_is_type(warnings, json_type_array))
		for (size_t i = 0; i < json_object_array_length(warnings); i++)
			fprintf(stderr, "WARNING: %s\n",
				json_object_get_string(json_object_array_get_idx(warnings, i)));
	return 0;
}

int start_error_exit_code(const char *msg)
{
	if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory"))
		return EXIT_NOT_FOUND;
	if (strstr(msg, "permission denied") || strstr(msg, "is a directory"))
		return EXIT_CANNOT_RUN;
	return EXIT_HUTCH;
}

/* A failed start: docker's message and exit code; with --rm the container
 * goes (hutchd removes it itself, this is for a start that never reached
 * the monitor). */
static int start_failed(const char *id, bool auto_remove, hutch_error *err)
{
	run_fail("run", err->msg);
	if (auto_remove) {
		char path[256];
		snprintf(path, sizeof(path), "/containers/%s?force=1", id);
		hutch_error ignored = {0};
		client_json("DELETE", path, NULL, &ignored);
	}
	return start_error_exit_code(err->msg);
}

static int start_container(const char *id, hutch_error *err)
{
	char path[256];
	snprintf(path, sizeof(path), "/containers/%s/start", id);
	return client_json("POST", path, NULL, err);
}

/* The exit code from a wait reply read after the stream ended; when the
 * wait failed, from the container's state (if it still exists). */
static int collect_exit_code(struct raw_http *wait, const char *id)
{
	hutch_error err = {0};
	_cleanup_free_ char *body = NULL;
	size_t len = 0;
	if (wait->fd >= 0 && (wait->status != 0 || raw_http_read_head(wait, &err) == 0) &&
	    raw_http_read_body(wait, &body, &len, &err) == 0 && wait->status == 200) {
		_cleanup_json_ json_object *o = NULL;
		int64_t code = 0;
		json_object *e = NULL;
		const char *msg = NULL;
		if (json_parse_buffer(body, len, "wait reply", &o, &err) == 0 &&
		    json_get_int64(o, "", "StatusCode", true, &code, &err) == 0) {
			if (json_object_object_get_ex(o, "Error", &e) && e &&
			    json_get_string(e, "", "Message", false, &msg, NULL) == 0 && msg &&
			    msg[0]) {
				fprintf(stderr, "hutch: Error waiting for container: %s\n", msg);
				return EXIT_HUTCH;
			}
			return (int)code;
		}
	}
	raw_http_close(wait);
	char path[256];
	snprintf(path, sizeof(path), "/containers/%s/json", id);
	_cleanup_json_ json_object *inspect = NULL;
	hutch_error ierr = {0};
	json_object *state = NULL;
	int64_t code = 0;
	if (client_json("GET", path, &inspect, &ierr) == 0 &&
	    json_object_object_get_ex(inspect, "State", &state) &&
	    json_get_int64(state, "State", "ExitCode", true, &code, NULL) == 0)
		return (int)code;
	fprintf(stderr, "hutch: Error waiting for container: %s\n",
		err.msg[0] ? err.msg : ierr.msg);
	return EXIT_HUTCH;
}

int attached_start(const struct attached_start *a)
{
	hutch_error err = {0};
	const char *cmd = a->is_run ? "run" : "start";
	if (a->tty && a->interactive && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "hutch: the input device is not a TTY\n");
		return 1;
	}
	/* The wait goes first so the exit cannot slip by between the start
	 * and the wait; its reply is read once the stream has ended. */
	struct raw_http wait = {.fd = -1};
	char path[512];
	snprintf(path, sizeof(path), "/containers/%s/wait?condition=%s", a->id,
		 a->auto_remove ? "removed" : "next-exit");
	if (raw_http_send(&wait, "POST", path, NULL, false, &err) < 0)
		return a->is_run ? run_fail(cmd, err.msg) : cli_fail(&err);
	struct raw_http stream = {.fd = -1};
	session_attach_path(path, sizeof(path), a->id, a->interactive);
	if (hijack_open(&stream, "POST", path, NULL, &err) < 0) {
		raw_http_close(&wait);
		return a->is_run ? run_fail(cmd, err.msg) : cli_fail(&err);
	}
	/* hutchd (like Docker since API 1.30) sends the wait's headers once
	 * the wait is registered: with them read, the exit cannot be missed. */
	struct pollfd pfd = {.fd = wait.fd, .events = POLLIN};
	if (poll(&pfd, 1, 5000) == 1 && raw_http_read_head(&wait, &err) < 0)
		raw_http_close(&wait);
	if (!a->no_start && start_container(a->id, &err) < 0) {
		raw_http_close(&stream);
		raw_http_close(&wait);
		if (!a->is_run)
			return cli_fail(&err);
		return start_failed(a->id, a->auto_remove, &err);
	}
	char base[256];
	snprintf(base, sizeof(base), "/containers/%s", a->id);
	struct session_opts so = {
	    .resize_base = base,
	    .kill_base = base,
	    .tty = a->tty,
	    .send_stdin = a->interactive,
	    .sig_proxy = a->sig_proxy,
	    .detach_keys = a->detach_keys,
	};
	int end = session_pump(&stream, &so, &err);
	raw_http_close(&stream);
	if (end < 0) {
		raw_http_close(&wait);
		fprintf(stderr, "hutch: %s\n", err.msg);
		return a->is_run ? EXIT_HUTCH : 1;
	}
	if (end == PUMP_DETACHED) {
		raw_http_close(&wait);
		return 0;
	}
	int code = collect_exit_code(&wait, a->id);
	raw_http_close(&wait);
	return code;
}

static int run_or_create(int argc, char **argv, bool is_run)
{
	const char *cmd = is_run ? "run" : "create";
	struct run_config rc;
	hutch_error err = {0};
	if (run_config_parse(argc, argv, is_run, &rc, &err) < 0) {
		run_config_free(&rc);
		return run_fail(cmd, err.msg);
	}
	if (rc.help) {
		run_config_free(&rc);
		return 0;
	}
	if (rc.detach_keys) {
		struct detach_keys k;
		if (detach_keys_parse(rc.detach_keys, &k, &err) < 0) {
			run_config_free(&rc);
			return run_fail(cmd, err.msg);
		}
	}
	if (rc.tty && !rc.detach) {
		unsigned rows, cols;
		if (tty_terminal_size(&rows, &cols)) {
			/* The terminal's size from the first moment (API 1.42+). */
			json_object *host = NULL, *size = json_object_new_array();
			json_object_object_get_ex(rc.body, "HostConfig", &host);
			json_object_array_add(size, json_object_new_int((int)rows));
			json_object_array_add(size, json_object_new_int((int)cols));
			json_object_object_add(host, "ConsoleSize", size);
		}
	}
	if (is_run && !rc.detach && rc.tty && rc.interactive && !isatty(STDIN_FILENO)) {
		/* Before the create, so nothing is left behind. */
		fprintf(stderr, "hutch: the input device is not a TTY\n");
		run_config_free(&rc);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	char id[128];
	int rcode = create_container(cmd, &rc, id, sizeof(id));
	if (rcode != 0) {
		run_config_free(&rc);
		return rcode;
	}
	if (!is_run || rc.detach) {
		if (is_run && start_container(id, &err) < 0) {
			rcode = start_failed(id, rc.auto_remove, &err);
			run_config_free(&rc);
			return rcode;
		}
		printf("%s\n", id);
		run_config_free(&rc);
		return 0;
	}
	struct attached_start a = {
	    .id = id,
	    .is_run = true,
	    .tty = rc.tty,
	    .interactive = rc.interactive,
	    .auto_remove = rc.auto_remove,
	    .sig_proxy = rc.sig_proxy,
	    .detach_keys = rc.detach_keys,
	};
	rcode = attached_start(&a);
	run_config_free(&rc);
	return rcode;
}

int cmd_run(int argc, char **argv)
{
	return run_or_create(argc, argv, true);
}

int cmd_create(int argc, char **argv)
{
	return run_or_create(argc, argv, false);
}
