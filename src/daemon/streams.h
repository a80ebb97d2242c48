/* The streaming container endpoints: attach, logs, exec, archive (docker
 * cp), and the /exec routes. The container router (api-containers.c)
 * hands /containers/{id}/ACTION requests to api_container_streams. */
#ifndef HUTCH_DAEMON_STREAMS_H
#define HUTCH_DAEMON_STREAMS_H

#include <stdbool.h>

#include "containers.h"
#include "daemon.h"

/* Serve /containers/{id}/ACTION for ACTION attach, attach/ws, logs, exec
 * and archive: returns true with *ret set when the action is one of
 * these, false (nothing sent) otherwise. c is the found container; the
 * caller keeps its reference. */
bool api_container_streams(struct request *r, struct ctr *c, const char *action,
			   enum MHD_Result *ret);

/* /containers/{id}/attach[/ws] (api-attach.c). */
enum MHD_Result api_attach(struct request *r, struct ctr *c);
/* GET /containers/{id}/logs (api-logs.c). */
enum MHD_Result api_logs(struct request *r, struct ctr *c);
/* POST /containers/{id}/exec (api-exec.c). */
enum MHD_Result api_exec_create(struct request *r, struct ctr *c);
/* GET, HEAD, PUT /containers/{id}/archive (api-archive.c). */
enum MHD_Result api_archive(struct request *r, struct ctr *c);

/* /exec/{id}/start, /exec/{id}/resize, /exec/{id}/json (api-exec.c). */
enum MHD_Result api_exec(struct request *r);

/* A second reference to c (the streams outlive the router's); NULL when
 * it has been removed meanwhile. */
struct ctr *ctr_ref(struct hutchd *d, struct ctr *c);

#endif
