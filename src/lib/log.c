#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_program = "hutch";
static int log_fd = STDERR_FILENO;
static enum hutch_log_format log_format = HUTCH_LOG_TEXT;
static enum hutch_log_level log_level = HUTCH_LOG_WARNING;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void hutch_log_set_program(const char *name)
{
	log_program = name;
}

int hutch_log_open(const char *target, hutch_error *err)
{
	if (target == NULL || *target == '\0') {
		/* Back to stderr: a file opened by an earlier call is closed, or
		 * a process that switches back and forth would leak one fd each
		 * time (the monitor does, around the container's creation). */
		if (log_fd != STDERR_FILENO)
			close(log_fd);
		log_fd = STDERR_FILENO;
		return 0;
	}
	if (strncmp(target, "file:", 5) == 0)
		target += 5;
	int fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return hutch_fail(err, errno, "open log file %s", target);
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void hutch_log_set_format(enum hutch_log_format format)
{
	log_format = format;
}

void hutch_log_set_level(enum hutch_log_level level)
{
	log_level = level;
}

enum hutch_log_level hutch_log_get_level(void)
{
	return log_level;
}

int hutch_log_parse_format(const char *s, enum hutch_log_format *out, hutch_error *err)
{
	if (strcmp(s, "text") == 0)
		*out = HUTCH_LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = HUTCH_LOG_JSON;
	else
		return hutch_fail(err, EINVAL, "unknown log format '%s' (expected text or json)",
				  s);
	return 0;
}

int hutch_log_parse_level(const char *s, enum hutch_log_level *out, hutch_error *err)
{
	if (strcasecmp(s, "error") == 0 || strcasecmp(s, "fatal") == 0 ||
	    strcasecmp(s, "panic") == 0)
		*out = HUTCH_LOG_ERROR;
	else if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0)
		*out = HUTCH_LOG_WARNING;
	else if (strcasecmp(s, "info") == 0)
		*out = HUTCH_LOG_INFO;
	else if (strcasecmp(s, "debug") == 0 || strcasecmp(s, "trace") == 0)
		*out = HUTCH_LOG_DEBUG;
	else
		return hutch_fail(err, EINVAL,
				  "unknown log level '%s' (expected error, warning, info or debug)",
				  s);
	return 0;
}

static void write_line(int fd, const char *buf, size_t len)
{
	/* One write per line; a short write on a pipe or file is retried so the
	 * line is never cut. */
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void format_time(char *buf, size_t size)
{
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%06ldZ", (long)tv.tv_usec);
}

static void emit_text(int fd, enum hutch_log_level level, const char *msg, int with_time)
{
	char line[4096 + 256];
	char stamp[64] = "";
	if (with_time)
		format_time(stamp, sizeof(stamp));
	int n = snprintf(line, sizeof(line), "%s%s%s: %s: %s\n", stamp, with_time ? " " : "",
			 log_program, level_names[level], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	write_line(fd, line, (size_t)n);
}

static void emit_json(int fd, enum hutch_log_level level, const char *msg)
{
	char stamp[64];
	format_time(stamp, sizeof(stamp));
	json_object *o = json_object_new_object();
	if (o == NULL)
		return;
	json_object_object_add(o, "msg", json_object_new_string(msg));
	json_object_object_add(o, "level", json_object_new_string(level_names[level]));
	json_object_object_add(o, "time", json_object_new_string(stamp));
	size_t len = 0;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	char *line = malloc(len + 2);
	if (line != NULL) {
		memcpy(line, s, len);
		line[len] = '\n';
		write_line(fd, line, len + 1);
		free(line);
	}
	json_object_put(o);
}

static void log_message(enum hutch_log_level level, const char *msg)
{
	if (level > log_level)
		return;
	int saved = errno;
	if (log_format == HUTCH_LOG_JSON)
		emit_json(log_fd, level, msg);
	else
		emit_text(log_fd, level, msg, log_fd != STDERR_FILENO);
	/* A caller that reads only stderr must still see why we failed. */
	if (log_fd != STDERR_FILENO && level == HUTCH_LOG_ERROR)
		emit_text(STDERR_FILENO, level, msg, 0);
	errno = saved;
}

void hutch_log(enum hutch_log_level level, const char *fmt, ...)
{
	if (level > log_level)
		return;
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_message(level, msg);
}

void hutch_log_error(const hutch_error *err)
{
	log_message(HUTCH_LOG_ERROR, hutch_error_isset(err) ? err->msg : "unknown error");
}
