/* hutchd's shared state and the pieces of its HTTP API. */
#ifndef HUTCH_DAEMON_H
#define HUTCH_DAEMON_H

#include <json-c/json.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"
#include "store.h"

#define HUTCH_API_VERSION "1.44"
#define HUTCH_API_MIN_VERSION "1.24"
/* Bodies of requests other than image loads are small JSON documents. */
#define HUTCH_MAX_BODY (1024 * 1024)

struct hutchd {
	char runtime_dir[4096]; /* $XDG_RUNTIME_DIR/hutch */
	char socket_path[4200];
	char root[4096];
	struct store *store;
	char **insecure; /* registries allowed plain HTTP */
	int max_parallel;
	uid_t uid;
	time_t started;
	volatile bool stopping;
	/* hutch.conf: passed to every container's hutch-slirp */
	char **slirp_outbound_allow;	 /* CIDRs the containers may reach (NULL: any) */
	char *slirp_resolv_conf;	 /* the name servers slirp forwards DNS to */
	struct ctr_registry *containers; /* containers.c */
};

/* The request being served: method, the path without /v1.N, its body. */
struct request {
	struct hutchd *d;
	struct MHD_Connection *conn;
	const char *method;
	char path[4096];
	int api_minor; /* N of a /v1.N prefix; 0 without one (the current version) */
	/* Body: kept in memory up to HUTCH_MAX_BODY, or spooled to a file
	 * for uploads (image load). */
	char *body;
	size_t body_len;
	bool body_too_large;
	int upload_fd;
	char upload_path[4096];
	bool spool;
	/* Run when the request is freed (after a hijacked connection's
	 * handler has returned). */
	void (*cleanup)(void *cls);
	void *cleanup_cls;
};

/* Replies (all return an MHD result for the access handler). */
enum MHD_Result reply_json(struct request *r, unsigned int status, json_object *o);
enum MHD_Result reply_error(struct request *r, unsigned int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The Docker status code for a failure: 404 not found, 400 bad input,
 * 409 conflict, 500 otherwise. */
unsigned int status_for_error(const hutch_error *err);
enum MHD_Result reply_hutch_error(struct request *r, const hutch_error *err);
/* A streaming reply fed from fd (closed when done). */
enum MHD_Result reply_stream(struct request *r, int fd, const char *content_type);
/* A streaming reply produced by reader; free_cls(cls) runs when it is
 * done (also when queueing fails). header/value: one more header, or NULL. */
enum MHD_Result reply_callback(struct request *r, const char *content_type,
			       MHD_ContentReaderCallback reader, void *cls,
			       MHD_ContentReaderFreeCallback free_cls, const char *header,
			       const char *value);
/* Api-Version and Server, which every reply carries. */
void response_common_headers(struct MHD_Response *resp);

const char *query_arg(struct request *r, const char *key);
bool query_bool(struct request *r, const char *key);

/* Routes. */
enum MHD_Result api_system(struct request *r);
enum MHD_Result api_images(struct request *r);
enum MHD_Result api_containers(struct request *r);
enum MHD_Result api_system_df(struct request *r);
enum MHD_Result api_volumes(struct request *r);
/* GET /system/df's Volumes: each volume with UsageData (api-volumes.c). */
json_object *api_volumes_df(struct hutchd *d);

/* Serve HTTP on listen_fd until hutchd->stopping; returns after stop. */
struct MHD_Daemon *server_start(struct hutchd *d, int listen_fd, hutch_error *err);
void server_stop(struct MHD_Daemon *mhd);

/* Removing a snapshot tree happens inside the user sandbox. */
int hutchd_remove_tree(void *ctx, const char *path, hutch_error *err);
/* Remove a tree now: plainly, then in the sandbox what that left
 * (files of subordinate ids); a failure is logged (containers.c). */
void hutchd_remove_tree_or_log(struct hutchd *d, const char *path);
/* The sandbox holder pid (started on demand), 0 if none can be had. */
pid_t hutchd_sandbox(struct hutchd *d);

#endif
