/* A client for OCI distribution registries (libcurl): manifests and blobs,
 * Bearer token and Basic authentication, plain HTTP only for loopback and
 * configured insecure registries, parallel blob downloads straight into
 * the store with their digests checked before they become visible.
 *
 * Credentials are attached only to requests for the registry (and its
 * token realm); libcurl drops custom Authorization headers when a redirect
 * goes to another host, which is how blob redirects to a CDN stay
 * credential-free. */
#ifndef HUTCH_IMAGE_REGISTRY_H
#define HUTCH_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "manifest.h"
#include "reference.h"
#include "store.h"

struct registry;

struct registry_options {
	const char *userpass;	     /* "user:password" or NULL */
	const char *const *insecure; /* NULL-terminated registry domains allowed plain HTTP */
	int max_parallel;	     /* concurrent blob downloads (default 4) */
	int retries;		     /* per request (default 3) */
	long timeout_s;		     /* stall timeout: no byte for this long (default 60) */
};

int registry_open(const struct image_ref *ref, const struct registry_options *opts,
		  struct registry **out, hutch_error *err);
void registry_close(struct registry *r);

/* GET /v2/<repo>/manifests/<reference>. digest gets the sha256 of the
 * body; when reference is a digest the body must match it. */
int registry_get_manifest(struct registry *r, const char *reference, char **body, size_t *len,
			  char *content_type, size_t ct_size,
			  char digest[static DIGEST_STR_LEN + 1], hutch_error *err);

/* A small blob (config) into memory, verified. */
int registry_get_blob(struct registry *r, const char *digest, size_t max, char **body, size_t *len,
		      hutch_error *err);

/* Events of a blob download, for progress output. BLOB_WRITING comes
 * each time the transfer (re)starts writing its temp file from the first
 * byte, with the file's path as message: a second one means a retry has
 * truncated what a reader of the file saw so far. */
enum blob_event {
	BLOB_STARTED,
	BLOB_WRITING,
	BLOB_PROGRESS,
	BLOB_VERIFYING,
	BLOB_DONE,
	BLOB_FAILED,
};
typedef void (*blob_event_fn)(void *ctx, size_t index, enum blob_event ev, int64_t current,
			      int64_t total, const char *message);

/* Takes over a download whose digest and size were verified: the callee
 * owns fd and the temp file and must store_blob_commit() them (or close
 * and unlink). It lets the fsync before the rename run in another thread
 * instead of stalling every other transfer of the loop. */
typedef void (*blob_verified_fn)(void *ctx, size_t index, int fd, const char *tmppath,
				 const char *digest);

/* Download blobs[i] for each i with want[i] set, at most max_parallel at
 * once, into the store (temp file, digest check, rename — or, with
 * on_verified, hand-over to the caller). on_event and on_verified are
 * called from this thread. Returns 0 when all succeeded; failures are
 * reported per blob and the first one is returned in err. */
int registry_fetch_blobs(struct registry *r, struct store *s, const struct descriptor *blobs,
			 const bool *want, size_t n, blob_event_fn on_event,
			 blob_verified_fn on_verified, void *ctx, hutch_error *err);

/* docker login: check credentials against domain's /v2/ endpoint (and
 * its token service). */
int registry_check_login(const char *domain, const char *userpass, const char *const *insecure,
			 hutch_error *err);

/* True when domain may be reached over plain HTTP: loopback addresses,
 * "localhost", or one of the insecure list. */
bool registry_is_insecure(const char *domain, const char *const *insecure);

#endif
