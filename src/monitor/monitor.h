/* hutch-monitor: one process per running container (and one per exec),
 * between hutchd and the container. The files and protocols it shares
 * with hutchd are defined in docs/architecture/containers.md; this header
 * holds the monitor's own pieces, one file per concern:
 *
 *   main.c          command line, process set-up, the run sequence
 *   config.c        monitor.json
 *   loop.c          the single-threaded epoll loop
 *   spawn.c         finding and starting hutch-overlay and hutch-slirp
 *   overlay.c       the rootfs mount
 *   network.c       hutch-slirp and the port forwards
 *   container.c     create/start/delete through libhutch, the stdio
 *   output.c        reading the container's output, ctr.log
 *   stream.c        an attach stream: framing, buffering
 *   input.c         a child's stdin, fed from the streams
 *   attach.c        attach.sock
 *   ctl.c           ctl.sock
 *   state-file.c    state.json
 *   exec.c          `hutch-monitor exec`
 */
#ifndef HUTCH_MONITOR_H
#define HUTCH_MONITOR_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "find-program.h"

/* ---- monitor.json (config.c) ---------------------------------------- */

struct monitor_port {
	char proto[8];	  /* "tcp" or "udp" */
	char host_ip[64]; /* "0.0.0.0" when monitor.json left it empty */
	int host_port;
	int container_port;
};

enum monitor_network {
	NETWORK_SLIRP,
	NETWORK_NONE,
	NETWORK_HOST,
};

struct monitor_config {
	char *id;
	char *name;
	char **lower; /* top first */
	size_t n_lower;
	char *upper, *work, *rootfs, *runtime_dir;
	pid_t sandbox_pid;
	bool tty, open_stdin, stdin_once;
	enum monitor_network network;
	int mtu;
	char **slirp_args;
	size_t n_slirp_args;
	struct monitor_port *ports;
	size_t n_ports;
	char *log_path;
	int64_t log_max_bytes;
	int stop_signal;
};

int monitor_config_load(const char *dir, struct monitor_config *cfg, hutch_error *err);
void monitor_config_clear(struct monitor_config *cfg);

/* ---- the event loop (loop.c) ------------------------------------------ */

struct watch;
typedef void (*watch_fn)(struct watch *w, uint32_t events);

struct watch {
	int fd;
	uint32_t events;
	watch_fn fn;
	void *ctx;
	bool active;
};

/* One epoll instance for the whole process; handlers run one event at a
 * time, so a handler may free any other watch. */
int loop_init(hutch_error *err);
int loop_watch(struct watch *w, int fd, uint32_t events, watch_fn fn, void *ctx, hutch_error *err);
void loop_update(struct watch *w, uint32_t events);
void loop_unwatch(struct watch *w);
/* Wait up to timeout_ms (-1: forever) for one event and handle it. */
int loop_run_once(int timeout_ms);

/* SIGCHLD, SIGTERM, SIGINT through a signalfd (blocked from here on). */
int signals_open(hutch_error *err);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t now_ms(void);

/* "2026-11-29T09:00:01.123456789Z" */
void rfc3339_now(char *buf, size_t size);
#define RFC3339_ZERO "0001-01-01T00:00:00Z"

/* ---- helper programs (spawn.c) ---------------------------------------- */

/* fork + exec argv; keep_fds (-1 terminated, may be NULL) stay open in
 * the child at their numbers; stdin/stdout become /dev/null, stderr stays
 * ours (monitor.log). */
pid_t spawn_program(char *const argv[], const int *keep_fds, hutch_error *err);

/* Wait for a child, retrying on EINTR; the wait status. */
int wait_child(pid_t pid, int *status);

/* ---- unix sockets (ctl.c) --------------------------------------------- */

/* Listen on name relative to the current directory (the runtime dir: its
 * absolute path can be longer than sun_path). */
int unix_listen(const char *name, hutch_error *err);

/* Read one line (without its '\n') from a non-blocking stream socket,
 * taking a file descriptor that came with it. Bytes after the newline
 * stay in the socket. Returns 1 when the line is complete, 0 when more
 * must arrive, -1 on EOF, error or a line longer than size-1. */
int sock_read_line(int fd, char *buf, size_t size, size_t *len, int *passed_fd);

/* ---- one attach stream (stream.c) ------------------------------------- */

#define STREAM_BUFFER_MAX (1024 * 1024)

struct stream {
	struct watch w;
	int fd;
	bool tty; /* raw bytes instead of frames */
	bool want_stdout, want_stderr, want_stdin;
	bool input_closed; /* the client half-closed (or we stop reading) */
	bool input_paused; /* the container's stdin is full */
	bool closing;	   /* shut down once the buffer is written */
	bool peer_ends;	   /* close without shutdown: another holder of the
			    * connection (hutchd, for an exec) ends it */
	char *buf;	   /* output waiting for the client */
	size_t len, cap;
	struct stream *next;
	void (*on_input)(struct stream *s, const char *data, size_t len);
	void (*on_input_end)(struct stream *s);
	void (*on_gone)(struct stream *s); /* after it was closed and unwatched */
	void *ctx;
};

/* Start serving a stream on fd (taken). */
int stream_open(struct stream *s, int fd, hutch_error *err);
/* Queue output of stream 1 (stdout) or 2 (stderr); false when the client
 * was dropped (buffer over STREAM_BUFFER_MAX or a write error). */
bool stream_send(struct stream *s, int which, const char *data, size_t len);
/* Stop reading input (the container's stdin is gone or full). */
void stream_pause_input(struct stream *s, bool pause);
/* Shut the stream down once everything queued is written. */
void stream_finish(struct stream *s);
void stream_close(struct stream *s);

/* ---- a child's stdin (input.c) ------------------------------------------ */

struct input_queue {
	struct watch w;
	int fd; /* owned */
	bool tty;
	char *buf;
	size_t len;
	bool closing, closed;
	void (*on_ready)(void *ctx); /* the queue has room again */
	void *ctx;
};

/* Take fd (-1: no stdin). */
void input_init(struct input_queue *q, int fd, bool tty, void (*on_ready)(void *ctx), void *ctx);
void input_write(struct input_queue *q, const char *data, size_t len);
bool input_full(const struct input_queue *q);
/* End the input once the queue is written (stdin_once). */
void input_close(struct input_queue *q);
void input_free(struct input_queue *q);

/* ---- the container's stdio, shared by run and exec (container.c) ------ */

struct child_stdio {
	/* our ends */
	int in;	 /* container's stdin (pipe write end), or -1 */
	int out; /* stdout pipe read end, or the pty master */
	int err; /* stderr pipe read end, or -1 with a tty */
	/* the container's ends while it is being created */
	int child_in, child_out, child_err;
	/* tty: the console socket the init sends the master to */
	int console_listen;
	char console_name[64];
};

/* Every fd -1. */
void child_stdio_reset(struct child_stdio *io);
int child_stdio_prepare(struct child_stdio *io, bool tty, bool with_stdin, const char *name,
			hutch_error *err);
/* Swap our fds 0-2 for the container's ends around a libhutch call (the
 * init inherits them) and back. */
int child_stdio_install(struct child_stdio *io, int saved[3], hutch_error *err);
void child_stdio_restore(int saved[3]);
/* After the create: close the container's ends; with a tty accept the
 * master from the console socket. */
int child_stdio_finish(struct child_stdio *io, hutch_error *err);
void child_stdio_close(struct child_stdio *io);

/* Docker's exit code for a start failure: 127 command not found, 126 not
 * executable, 128 anything else. */
int start_error_code(const hutch_error *err);

/* Write a frame (or raw bytes) to a blocking-ish fd, for messages. */
void stream_write_message(int fd, bool tty, int which, const char *text);

/* ---- reading a child's output (output.c) ------------------------------ */

typedef void (*output_fn)(void *ctx, int which, const char *data, size_t len);

struct output_source {
	struct watch w;
	int fd;	   /* not owned */
	int which; /* 1 stdout, 2 stderr */
	bool done;
	output_fn on_data;
	void *ctx;
};

/* Watch fd (-1: a source that is done already). */
int output_source_start(struct output_source *s, int fd, int which, output_fn on_data, void *ctx,
			hutch_error *err);
/* Read what is left (after the writer's exit) until it would block. */
void output_source_drain(struct output_source *s);

/* ---- a control socket (ctl.c) ----------------------------------------- */

/* Reply to one request (op already checked to be a string); the reply is
 * taken. */
typedef json_object *(*ctl_handler)(void *ctx, const char *op, json_object *req);

struct ctl_server {
	int listen_fd;
	struct watch w;
	struct ctl_conn *conns;
	char name[128];
	ctl_handler handle;
	void *ctx;
};

int ctl_server_start(struct ctl_server *s, const char *name, ctl_handler handle, void *ctx,
		     hutch_error *err);
void ctl_server_stop(struct ctl_server *s);
json_object *ctl_error_reply(const char *msg);
json_object *ctl_ok_reply(void);
/* {"op":"resize","h":H,"w":W} on a pty master (fd < 0: no terminal). */
json_object *ctl_resize(int master, json_object *req);

/* ---- the run monitor (main.c and friends) ----------------------------- */

struct monitor {
	struct monitor_config cfg;
	char dir[PATH_MAX];	 /* ROOT/containers/<id> */
	char oci_root[PATH_MAX]; /* RUNTIME/containers/<id>/oci */
	int ready_fd, go_fd;
	struct watch go_watch, signal_watch;
	int signal_fd;

	/* overlay.c */
	bool overlay_mounted;
	/* network.c */
	pid_t slirp_pid;
	int slirp_exit_fd;
	/* container.c */
	bool created, started, exited;
	pid_t init_pid;
	int exit_code;
	struct child_stdio io;
	struct output_source sources[2];
	struct input_queue input;
	/* output.c */
	int log_fd;
	int64_t log_bytes;
	/* attach.c */
	int attach_listen;
	struct watch attach_watch;
	struct stream *clients;
	struct pending_attach *pending;
	/* ctl.c */
	struct ctl_server ctl;
	/* state-file.c */
	char started_at[64], finished_at[64];
	char error[HUTCH_ERROR_MAX];
	bool finishing;
};

/* overlay.c */
int overlay_mount(struct monitor *m, hutch_error *err);
void overlay_unmount(struct monitor *m);

/* network.c */
int network_start(struct monitor *m, hutch_error *err);
void network_stop(struct monitor *m);

/* container.c */
int container_setup(struct monitor *m, hutch_error *err);
int container_begin(struct monitor *m, hutch_error *err);
void container_remove(struct monitor *m);
void container_reaped(struct monitor *m, int status);
int container_signal_init(struct monitor *m, int signo, hutch_error *err);

/* output.c */
int output_open_log(struct monitor *m, hutch_error *err);
int output_start(struct monitor *m, hutch_error *err);
/* Read what is left after the container's exit. */
void output_drain(struct monitor *m);

/* attach.c */
int attach_listen_start(struct monitor *m, hutch_error *err);
void attach_broadcast(struct monitor *m, int which, const char *data, size_t len);
void attach_finish_all(struct monitor *m);
bool attach_idle(const struct monitor *m);
void attach_close_all(struct monitor *m);
void attach_stdin_ready(void *monitor);
void attach_take_pending(struct monitor *m);

/* ctl.c */
int ctl_listen_start(struct monitor *m, hutch_error *err);

/* state-file.c */
json_object *state_document(const struct monitor *m);
int state_file_write(const struct monitor *m, hutch_error *err);
/* Room kept aside for the last state.json write (state-file.c). */
void state_reserve_create(const struct monitor *m);
void state_reserve_remove(const struct monitor *m);

/* exec.c */
int exec_main(int argc, char **argv);

#endif
