/* Content digests ("sha256:<64 hex>") as the OCI image spec defines them:
 * incremental hashing with OpenSSL's EVP interface, validation of digest
 * strings that come from the network, and a streaming verifier. */
#ifndef HUTCH_IMAGE_DIGEST_H
#define HUTCH_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

typedef struct digest_ctx digest_ctx;

digest_ctx *digest_new(void);
void digest_free(digest_ctx *ctx);
void digest_update(digest_ctx *ctx, const void *buf, size_t len);
/* Finish and write "sha256:<hex>" (DIGEST_STR_LEN + 1 bytes) into out; the
 * context is reset and may be reused. */
void digest_final(digest_ctx *ctx, char out[static DIGEST_STR_LEN + 1]);

#define _cleanup_digest_ __attribute__((cleanup(digest_freep)))
static inline void digest_freep(digest_ctx **p)
{
	digest_free(*p);
}

/* sha256 of a buffer, as "sha256:<hex>". */
void digest_buffer(const void *buf, size_t len, char out[static DIGEST_STR_LEN + 1]);

/* True for "sha256:" followed by exactly 64 lowercase hex digits: the only
 * form we accept, because the hex part becomes a file name in the store. */
bool digest_is_valid(const char *digest);

/* Check a digest string from untrusted input; the error names what. */
int digest_check(const char *digest, const char *what, hutch_error *err);

/* The hex part of a valid digest (a pointer into it). */
const char *digest_hex(const char *digest);

/* Compare a computed digest with an expected one; the error names what. */
int digest_verify(const char *expected, const char *actual, const char *what, hutch_error *err);

/* sha256 of a whole file. */
int digest_file(int fd, char out[static DIGEST_STR_LEN + 1], size_t *size, hutch_error *err);

/* The chain id of a layer stack (OCI image spec, "ChainID"): the first
 * layer's is its diff_id, each next one is sha256("<parent chain> <diff_id>"). */
void digest_chain_id(const char *parent_chain, const char *diff_id,
		     char out[static DIGEST_STR_LEN + 1]);

#endif
