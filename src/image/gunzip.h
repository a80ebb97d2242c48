#pragma once
/* gzip decompression of layer blobs with ISA-L's igzip (libisal), which
 * inflates several times faster than zlib (libarchive's gzip filter): on a
 * pull, decompression was half of the CPU time of a whole pull.
 *
 * libisal is loaded at run time (dlopen), like libarchive in hutchd: an
 * idle hutchd stays small, and a machine without libisal2, or a build
 * without its header, simply gets NULL from gunzip_new() and the caller
 * keeps using libarchive's gzip filter. */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct gunzip;

/* A decoder for one gzip stream (one or more members), or NULL when
 * libisal is not available or memory is short. */
struct gunzip *gunzip_new(void);
void gunzip_free(struct gunzip *g);

/* The next piece of compressed input. It must stay valid until
 * gunzip_read() returns 0 (all of it consumed). */
void gunzip_input(struct gunzip *g, const void *buf, size_t len);

/* Decompress into out: the number of bytes written (> 0), 0 when the
 * input given so far is used up, or -1 on corrupt data (gunzip_error()
 * says why). Bytes after the last member that do not start another one
 * are ignored, as gzip -d and libarchive do. */
ssize_t gunzip_read(struct gunzip *g, void *out, size_t cap);

/* At the end of the input: 0 when the stream ended on a complete member,
 * -1 when it was cut short (gunzip_error() says so). */
int gunzip_finish(struct gunzip *g);

const char *gunzip_error(const struct gunzip *g);

/* Whether the first bytes of a blob are a gzip header's magic. */
bool gunzip_magic(const void *buf, size_t len);
