/* Reading a container's ctr.log (Docker's json-file format, one
 * {"log","stream","time"} object per line, appended by the monitor) and
 * turning its entries into what Docker clients read: multiplexed frames
 * without a tty, raw bytes with one, optionally with timestamps. Used by
 * GET /containers/{id}/logs and by attach with logs=1. */
#ifndef HUTCH_DAEMON_CTR_LOG_H
#define HUTCH_DAEMON_CTR_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct log_options {
	bool out, errs;	  /* which streams */
	bool tty;	  /* raw output, no frame headers */
	bool timestamps;  /* prefix each entry with its RFC 3339 time */
	int64_t since_ns; /* entries before are skipped (0: none) */
	int64_t until_ns; /* entries after end the log (0: none) */
	long tail;	  /* the last N lines only (-1: all) */
};

struct log_reader {
	int fd; /* -1 while the file does not exist yet */
	char path[4096];
	struct log_options opt;
	char *buf; /* unparsed bytes: at most one partial line at EOF */
	size_t len, cap;
	bool past_until;	  /* an entry after until was seen: nothing more */
	struct json_tokener *tok; /* one parser for all lines */
};

/* Docker's 8-byte frame header: stream (1 stdout, 2 stderr), three zero
 * bytes, the payload size as a 32-bit big-endian number. */
void stream_frame_header(unsigned char hdr[8], int stream, size_t len);

/* Open path and position it for opt.tail. A missing file is an empty log. */
int log_reader_open(struct log_reader *lr, const char *path, const struct log_options *opt,
		    hutch_error *err);
void log_reader_close(struct log_reader *lr);

/* Read what the file has now and render the entries into out (grown as
 * needed; *out_len is what was appended). Returns 1 when something was
 * rendered, 0 at the current end of the file, -1 on error. */
int log_reader_next(struct log_reader *lr, char **out, size_t *out_len, size_t *out_cap,
		    hutch_error *err);

#endif
