/* The slirp network: hutch-slirp on the container's network namespace, and each published port
 * added through its API socket with the socket forwarder ("mode":"socket", spliced TCP, no trip
 * through slirp's stack). "none" and "host" need nothing from us: the config.json hutchd wrote asks
 * for a network namespace or not.
 *
 * hutch-slirp opens /proc/<init>/ns/net. Until its execve the init is not
 * dumpable, so that takes CAP_SYS_PTRACE in the user namespace of its
 * memory (the one it was exec'd in, which it shares with us): in the
 * sandbox we re-exec ourselves there (main.c), and hutch-slirp, root of
 * the sandbox, has it. Without a sandbox nobody has it, and the network
 * is started right after the container's process (then dumpable). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "json-util.h"
#include "log.h"
#include "monitor.h"

/* Relative to the runtime dir, our working directory. */
#define SLIRP_SOCKET "slirp.sock"

static int wait_slirp_ready(struct monitor *m, int ready_fd, hutch_error *err)
{
	char c;
	ssize_t n;
	do
		n = read(ready_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		return 0;
	int status = 0;
	if (wait_child(m->slirp_pid, &status) == 0)
		m->slirp_pid = 0;
	return hutch_fail_plain(err, EIO,
				"hutch-slirp failed to set up the network (status %d; its message "
				"is in monitor.log)",
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int slirp_request(json_object *req, json_object **reply, hutch_error *err)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hutch_fail(err, errno, "socket");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", SLIRP_SOCKET);
	/* hutch-slirp gives a client 5 seconds; so do we. */
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return hutch_fail(err, errno, "connect to hutch-slirp's API socket");
	size_t len = 0;
	const char *text = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &len);
	if (write_all(fd, text, len) < 0)
		return hutch_fail(err, errno, "send to hutch-slirp");
	shutdown(fd, SHUT_WR);
	_cleanup_free_ char *answer = NULL;
	size_t n = 0;
	if (read_fd_all(fd, "hutch-slirp's answer", 65536, &answer, &n, err) < 0)
		return -1;
	return json_parse_buffer(answer, n, "hutch-slirp's answer", reply, err);
}

static int add_port(const struct monitor_port *p, hutch_error *err)
{
	_cleanup_json_ json_object *req = json_object_new_object();
	json_object *args = json_object_new_object();
	json_object_object_add(req, "execute", json_object_new_string("add_hostfwd"));
	json_object_object_add(req, "arguments", args);
	json_object_object_add(args, "proto", json_object_new_string(p->proto));
	json_object_object_add(args, "host_addr", json_object_new_string(p->host_ip));
	json_object_object_add(args, "host_port", json_object_new_int(p->host_port));
	json_object_object_add(args, "guest_port", json_object_new_int(p->container_port));
	json_object_object_add(args, "mode", json_object_new_string("socket"));
	_cleanup_json_ json_object *reply = NULL;
	if (slirp_request(req, &reply, err) < 0)
		return -1;
	json_object *e = NULL, *desc = NULL;
	if (json_object_object_get_ex(reply, "error", &e)) {
		json_object_object_get_ex(e, "desc", &desc);
		return hutch_fail_plain(err, EADDRINUSE, "%s",
					desc != NULL ? json_object_get_string(desc)
						     : "unknown error");
	}
	if (!json_object_object_get_ex(reply, "return", NULL))
		return hutch_fail_plain(err, EPROTO, "unexpected answer from hutch-slirp: %s",
					json_object_to_json_string(reply));
	return 0;
}

/* Without a sandbox: released by `start`, the init still has to reach
 * its execve before its namespaces are ours to open. A few milliseconds. */
static int wait_until_reachable(pid_t pid, hutch_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	int64_t deadline = now_ms() + 5000;
	for (;;) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != EACCES && errno != EPERM)
			return hutch_fail(err, errno, "open %s", path);
		if (now_ms() > deadline)
			return hutch_fail(err, errno,
					  "open %s (the container's process is not the user's "
					  "to reach: is its executable owned by an unmapped user?)",
					  path);
		struct timespec ts = {.tv_nsec = 1000000};
		nanosleep(&ts, NULL);
	}
}

int network_start(struct monitor *m, hutch_error *err)
{
	const struct monitor_config *c = &m->cfg;
	if (c->network != NETWORK_SLIRP)
		return 0;
	if (c->sandbox_pid == 0 && wait_until_reachable(m->init_pid, err) < 0)
		return hutch_error_prefix(err, "network");
	char program[PATH_MAX];
	if (find_program_near_self("hutch-slirp", program, sizeof(program), err) < 0)
		return hutch_error_prefix(err, "network");
	int exit_pipe[2], ready_pipe[2];
	if (pipe2(exit_pipe, O_CLOEXEC) < 0)
		return hutch_fail(err, errno, "pipe");
	if (pipe2(ready_pipe, O_CLOEXEC) < 0) {
		close(exit_pipe[0]);
		close(exit_pipe[1]);
		return hutch_fail(err, errno, "pipe");
	}
	char mtu[32], exit_fd[32], ready_fd[32], target[32];
	snprintf(mtu, sizeof(mtu), "--mtu=%d", c->mtu);
	snprintf(exit_fd, sizeof(exit_fd), "--exit-fd=%d", exit_pipe[0]);
	snprintf(ready_fd, sizeof(ready_fd), "--ready-fd=%d", ready_pipe[1]);
	snprintf(target, sizeof(target), "%d", (int)m->init_pid);
	char **argv = calloc(c->n_slirp_args + 10, sizeof(char *));
	if (argv == NULL)
		return hutch_fail(err, ENOMEM, "network");
	size_t n = 0;
	argv[n++] = program;
	argv[n++] = "--configure";
	argv[n++] = mtu;
	argv[n++] = "--api-socket=" SLIRP_SOCKET;
	argv[n++] = exit_fd;
	argv[n++] = ready_fd;
	for (size_t i = 0; i < c->n_slirp_args; i++)
		argv[n++] = c->slirp_args[i];
	argv[n++] = target;
	argv[n++] = "tap0";
	int keep[] = {exit_pipe[0], ready_pipe[1], -1};
	m->slirp_pid = spawn_program(argv, keep, err);
	free(argv);
	close(exit_pipe[0]);
	close(ready_pipe[1]);
	m->slirp_exit_fd = exit_pipe[1];
	int r = m->slirp_pid < 0 ? -1 : wait_slirp_ready(m, ready_pipe[0], err);
	close(ready_pipe[0]);
	if (m->slirp_pid < 0)
		m->slirp_pid = 0;
	if (r < 0)
		return hutch_error_prefix(err, "network");
	for (size_t i = 0; i < c->n_ports; i++) {
		const struct monitor_port *p = &c->ports[i];
		if (add_port(p, err) < 0)
			return hutch_error_prefix(err, "publish port %s:%d:%d/%s", p->host_ip,
						  p->host_port, p->container_port, p->proto);
	}
	return 0;
}

void network_stop(struct monitor *m)
{
	/* hutch-slirp exits when the exit fd closes (or its target is gone);
	 * it is reaped with the other children. */
	if (m->slirp_exit_fd >= 0) {
		close(m->slirp_exit_fd);
		m->slirp_exit_fd = -1;
	}
}
