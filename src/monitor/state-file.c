/* state.json: the container's status as hutchd and `docker inspect` see
 * it, written atomically by the monitor at each change; its last write
 * (exited) is the monitor's last act. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#include "json-util.h"
#include "monitor.h"

static const char *status_word(const struct monitor *m)
{
	if (m->exited || m->error[0] != '\0')
		return "exited";
	return m->started ? "running" : "created";
}

json_object *state_document(const struct monitor *m)
{
	json_object *doc = json_object_new_object();
	bool running = m->started && !m->exited && m->error[0] == '\0';
	json_object_object_add(doc, "Status", json_object_new_string(status_word(m)));
	json_object_object_add(doc, "Pid", json_object_new_int(running ? m->init_pid : 0));
	json_object_object_add(doc, "MonitorPid",
			       json_object_new_int(m->exited || m->error[0] ? 0 : getpid()));
	json_object_object_add(
	    doc, "StartedAt",
	    json_object_new_string(m->started_at[0] ? m->started_at : RFC3339_ZERO));
	json_object_object_add(
	    doc, "FinishedAt",
	    json_object_new_string(m->finished_at[0] ? m->finished_at : RFC3339_ZERO));
	json_object_object_add(doc, "ExitCode", json_object_new_int(m->exit_code));
	json_object_object_add(doc, "Error", json_object_new_string(m->error));
	json_object_object_add(doc, "OOMKilled", json_object_new_boolean(0));
	json_object *ports = json_object_new_array();
	for (size_t i = 0; i < m->cfg.n_ports; i++) {
		const struct monitor_port *p = &m->cfg.ports[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "proto", json_object_new_string(p->proto));
		json_object_object_add(o, "host_ip", json_object_new_string(p->host_ip));
		json_object_object_add(o, "host_port", json_object_new_int(p->host_port));
		json_object_object_add(o, "container_port", json_object_new_int(p->container_port));
		json_object_array_add(ports, o);
	}
	json_object_object_add(doc, "Ports", ports);
	return doc;
}

/* A container that fills its writable layer fills the store, and the
 * write that records its exit needs room for a new file (state.json is
 * replaced by a rename). So while the monitor runs, a few pages wait next
 * to state.json in a file of their own, made while there was room and
 * given back when a write of state.json finds the disk full. */
#define STATE_RESERVE_BYTES (64 * 1024)

static void reserve_path(const struct monitor *m, char *path, size_t size)
{
	snprintf(path, size, "%s/state.reserve", m->dir);
}

void state_reserve_create(const struct monitor *m)
{
	char path[PATH_MAX];
	reserve_path(m, path, sizeof(path));
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_warning("space reserve %s: %s (the exit may not be recorded on a full disk)",
			    path, strerror(errno));
		return;
	}
	/* posix_fallocate writes the blocks itself where the filesystem
	 * cannot allocate them (NFS before v4.2). */
	int rc = posix_fallocate(fd, 0, STATE_RESERVE_BYTES);
	if (rc != 0) {
		log_warning("space reserve %s: %s (the exit may not be recorded on a full disk)",
			    path, strerror(rc));
		unlink(path);
	}
}

void state_reserve_remove(const struct monitor *m)
{
	char path[PATH_MAX];
	reserve_path(m, path, sizeof(path));
	unlink(path);
}

int state_file_write(const struct monitor *m, hutch_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/state.json", m->dir);
	_cleanup_json_ json_object *doc = state_document(m);
	int rc = json_write_file_atomic(path, doc, 0600, err);
	if (rc < 0 && err->errnum == ENOSPC) {
		char reserve[PATH_MAX];
		reserve_path(m, reserve, sizeof(reserve));
		if (unlink(reserve) == 0) {
			log_warning("%s: the disk is full, using the space reserve", err->msg);
			*err = (hutch_error){0};
			rc = json_write_file_atomic(path, doc, 0600, err);
		}
	}
	return rc;
}
