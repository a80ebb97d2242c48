/* state.json: the container's status as hutchd and `docker inspect` see
 * it, written atomically by the monitor at each change; its last write
 * (exited) is the monitor's last act. */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

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

int state_file_write(const struct monitor *m, hutch_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/state.json", m->dir);
	_cleanup_json_ json_object *doc = state_document(m);
	return json_write_file_atomic(path, doc, 0600, err);
}
