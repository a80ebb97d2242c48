#include "error.h"

#include <stdio.h>
#include <string.h>

int hutch_vfail(hutch_error *err, int errnum, const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	err->errnum = errnum;
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (n < 0)
		n = 0;
	if (errnum != 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	return -1;
}

int hutch_fail(hutch_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hutch_vfail(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int hutch_fail_plain(hutch_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hutch_vfail(err, 0, fmt, ap);
	va_end(ap);
	if (err != NULL)
		err->errnum = errnum;
	return -1;
}

int hutch_error_prefix(hutch_error *err, const char *fmt, ...)
{
	if (err == NULL)
		return -1;
	char prefix[HUTCH_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	char old[HUTCH_ERROR_MAX];
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return -1;
}

void hutch_error_clear(hutch_error *err)
{
	if (err == NULL)
		return;
	err->errnum = 0;
	err->msg[0] = '\0';
}
