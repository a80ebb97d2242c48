/* The one error convention of hutch.
 *
 * A fallible function returns a negative value and fills a hutch_error with
 * the errno and a message that names the object ("open /x/config.json: No
 * such file or directory"). A caller that wants to add context prefixes the
 * message with hutch_error_prefix(), so the final text reads from the
 * outermost operation down to the system call that failed. */
#ifndef HUTCH_ERROR_H
#define HUTCH_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define HUTCH_ERROR_MAX 2048

typedef struct hutch_error {
	int errnum;		   /* errno of the failure, 0 if none applies */
	char msg[HUTCH_ERROR_MAX]; /* empty when no error was recorded */
} hutch_error;

/* Record a failure: the message is the formatted text followed by
 * ": strerror(errnum)" when errnum is not 0. Returns -1 so a caller can
 * write `return hutch_fail(err, errno, "open %s", path);`. A NULL err is
 * allowed and ignored. */
int hutch_fail(hutch_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a failure whose message needs no strerror text (bad input rather
 * than a failed system call); errnum is still kept for the exit status. */
int hutch_fail_plain(hutch_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like hutch_fail() but takes a va_list. */
int hutch_vfail(hutch_error *err, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Put "context: " in front of an already recorded message. Returns -1. */
int hutch_error_prefix(hutch_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forget a recorded error. */
void hutch_error_clear(hutch_error *err);

/* True when an error was recorded. */
static inline int hutch_error_isset(const hutch_error *err)
{
	return err != NULL && err->msg[0] != '\0';
}

#endif
