/* What the container route files share (api-containers.c,
 * api-containers-list.c). */
#ifndef HUTCH_DAEMON_API_CONTAINERS_H
#define HUTCH_DAEMON_API_CONTAINERS_H

#include "containers.h"
#include "daemon.h"

/* A reply without a body (204, 304, ...). */
enum MHD_Result reply_empty(struct request *r, unsigned int status);
/* An integer query parameter: def when absent, EINVAL for junk. */
int query_int(struct request *r, const char *key, long def, long *out, hutch_error *err);

/* GET /containers/json, POST /containers/prune, GET /containers/{id}/top. */
enum MHD_Result api_containers_list(struct request *r);
enum MHD_Result api_containers_prune(struct request *r);
enum MHD_Result api_container_top(struct request *r, struct ctr *c);

/* The unpacked size of one snapshot (its meta.json), 0 when unknown. */
int64_t ctr_snapshot_size(struct store *s, const char *chain_id);

#endif
