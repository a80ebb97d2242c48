/* The time formats of the Docker API: RFC 3339 with nanoseconds in UTC
 * (inspect documents, ctr.log, log timestamps) and "SECONDS[.FRACTION]"
 * (the since/until query parameters). Times are nanoseconds since the
 * epoch. */
#ifndef HUTCH_DAEMON_TIMEFMT_H
#define HUTCH_DAEMON_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define RFC3339_NANO_LEN 31 /* "2026-11-29T09:00:01.123456789Z" + NUL */

int64_t time_now_ns(void);

/* Always nine fraction digits, as Docker prints log timestamps. */
void format_rfc3339_nano(int64_t ns, char out[RFC3339_NANO_LEN]);

/* "2026-11-29T09:00:01.5Z" or with a "+01:00" offset; -1 if malformed. */
int parse_rfc3339(const char *s, int64_t *out_ns);

/* A since/until parameter; an empty or missing one gives 0. what names
 * the parameter in the error. */
int parse_unix_timestamp(const char *s, const char *what, int64_t *out_ns, hutch_error *err);

#endif
