#include "timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t time_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void format_rfc3339_nano(int64_t ns, char out[RFC3339_NANO_LEN])
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	char date[24];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, RFC3339_NANO_LEN, "%.19s.%09dZ", date, (int)(ns % 1000000000));
}

/* Up to nine digits of a fraction, as nanoseconds; *p moves past them. */
static int64_t parse_fraction(const char **p)
{
	int64_t nano = 0;
	int digits = 0;
	for (; **p >= '0' && **p <= '9'; (*p)++, digits++)
		if (digits < 9)
			nano = nano * 10 + (**p - '0');
	for (; digits < 9; digits++)
		nano *= 10;
	return nano;
}

int parse_rfc3339(const char *s, int64_t *out_ns)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	int64_t nano = 0;
	if (*p == '.') {
		p++;
		nano = parse_fraction(&p);
	}
	long offset = 0;
	if (*p == '+' || *p == '-') {
		int h = 0, m = 0;
		if (sscanf(p + 1, "%2d:%2d", &h, &m) != 2)
			return -1;
		offset = (h * 60L + m) * 60L * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z') {
		return -1;
	}
	*out_ns = ((int64_t)timegm(&tm) - offset) * 1000000000 + nano;
	return 0;
}

int parse_unix_timestamp(const char *s, const char *what, int64_t *out_ns, hutch_error *err)
{
	*out_ns = 0;
	if (s == NULL || s[0] == '\0')
		return 0;
	char *end = NULL;
	errno = 0;
	long long sec = strtoll(s, &end, 10);
	const char *p = end;
	int64_t nano = 0;
	if (*p == '.') {
		p++;
		nano = parse_fraction(&p);
	}
	if (errno != 0 || end == s || *p != '\0' || sec < 0)
		return hutch_fail_plain(
		    err, EINVAL,
		    "%s: expected a unix timestamp (seconds[.nanoseconds]), got "
		    "\"%s\"",
		    what, s);
	*out_ns = (int64_t)sec * 1000000000 + nano;
	return 0;
}
