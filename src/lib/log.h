/* Logging for every hutch program: text lines for people, JSON lines
 * ({"msg","level","time"}) for callers such as podman and containerd that
 * parse a runtime's log file. Each message is one write(2), so lines from
 * several processes sharing a log file never interleave. */
#ifndef HUTCH_LOG_H
#define HUTCH_LOG_H

#include "error.h"

enum hutch_log_level {
	HUTCH_LOG_ERROR = 0,
	HUTCH_LOG_WARNING,
	HUTCH_LOG_INFO,
	HUTCH_LOG_DEBUG,
};

enum hutch_log_format {
	HUTCH_LOG_TEXT = 0,
	HUTCH_LOG_JSON,
};

/* The program name shown in text messages ("hutch-oci: error: ..."). */
void hutch_log_set_program(const char *name);

/* Send log lines to a file instead of stderr. target is "PATH" or
 * "file:PATH" (runc's and crun's spelling); NULL or "" means stderr. While a
 * file is the target, errors are also echoed to stderr as text. */
int hutch_log_open(const char *target, hutch_error *err);

void hutch_log_set_format(enum hutch_log_format format);
void hutch_log_set_level(enum hutch_log_level level);
enum hutch_log_level hutch_log_get_level(void);

/* Parse "text"/"json" and "error"/"warn"/"warning"/"info"/"debug". */
int hutch_log_parse_format(const char *s, enum hutch_log_format *out, hutch_error *err);
int hutch_log_parse_level(const char *s, enum hutch_log_level *out, hutch_error *err);

void hutch_log(enum hutch_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Log a recorded hutch_error at error level. */
void hutch_log_error(const hutch_error *err);

#define log_error(...) hutch_log(HUTCH_LOG_ERROR, __VA_ARGS__)
#define log_warning(...) hutch_log(HUTCH_LOG_WARNING, __VA_ARGS__)
#define log_info(...) hutch_log(HUTCH_LOG_INFO, __VA_ARGS__)
#define log_debug(...) hutch_log(HUTCH_LOG_DEBUG, __VA_ARGS__)

#endif
