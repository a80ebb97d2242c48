/* Unit tests for the pure parts of hutchd's stream endpoints: Docker's
 * time formats (src/daemon/timefmt.c) and reading ctr.log into what
 * Docker clients read (src/daemon/ctr-log.c): frames, raw tty output,
 * timestamps, tail, since/until, partial and malformed lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctr-log.h"
#include "file-util.h"
#include "timefmt.h"

/* --- time formats --- */

static void rfc3339_round_trip(void **state)
{
	(void)state;
	int64_t ns = 0;
	assert_int_equal(parse_rfc3339("2026-11-29T09:00:01.123456789Z", &ns), 0);
	assert_true(ns == 1795942801123456789LL);
	char out[RFC3339_NANO_LEN];
	format_rfc3339_nano(ns, out);
	assert_string_equal(out, "2026-11-29T09:00:01.123456789Z");
	/* Fewer digits, an offset, no fraction. */
	assert_int_equal(parse_rfc3339("2026-11-29T09:00:01.5Z", &ns), 0);
	assert_true(ns == 1795942801500000000LL);
	assert_int_equal(parse_rfc3339("2026-11-29T10:00:01+01:00", &ns), 0);
	assert_true(ns == 1795942801000000000LL);
	format_rfc3339_nano(1795942801000000000LL, out);
	assert_string_equal(out, "2026-11-29T09:00:01.000000000Z");
	assert_int_equal(parse_rfc3339("yesterday", &ns), -1);
	assert_int_equal(parse_rfc3339("2026-11-29T09:00:01", &ns), -1);
}

static void unix_timestamps(void **state)
{
	(void)state;
	hutch_error err = {0};
	int64_t ns = -1;
	assert_int_equal(parse_unix_timestamp(NULL, "since", &ns, &err), 0);
	assert_true(ns == 0);
	assert_int_equal(parse_unix_timestamp("1700000000", "since", &ns, &err), 0);
	assert_true(ns == 1700000000000000000LL);
	assert_int_equal(parse_unix_timestamp("1700000000.25", "since", &ns, &err), 0);
	assert_true(ns == 1700000000250000000LL);
	assert_int_equal(parse_unix_timestamp("1700000000.000000001", "until", &ns, &err), 0);
	assert_true(ns == 1700000000000000001LL);
	assert_int_equal(parse_unix_timestamp("12abc", "until", &ns, &err), -1);
	assert_non_null(strstr(err.msg, "until"));
	assert_non_null(strstr(err.msg, "12abc"));
	assert_int_equal(parse_unix_timestamp("-5", "since", &ns, &err), -1);
}

/* --- ctr.log --- */

static char log_path[64];

static int write_log(const char *text)
{
	snprintf(log_path, sizeof(log_path), "/tmp/test-streams-XXXXXX");
	int fd = mkstemp(log_path);
	if (fd < 0)
		return -1;
	int r = write_all(fd, text, strlen(text));
	close(fd);
	return r;
}

#define LINE(data, stream, secs)                                                                   \
	"{\"log\":\"" data "\",\"stream\":\"" stream "\",\"time\":\"2026-11-29T09:00:0" secs       \
	".000000001Z\"}\n"

static const char *three =
    LINE("out1\\n", "stdout", "1") LINE("err1\\n", "stderr", "2") LINE("out2\\n", "stdout", "3");

/* Everything the reader gives now, as one string. */
static char *read_all_log(const struct log_options *opt, size_t *len)
{
	struct log_reader lr;
	hutch_error err = {0};
	assert_int_equal(log_reader_open(&lr, log_path, opt, &err), 0);
	char *out = NULL;
	size_t cap = 0;
	*len = 0;
	while (log_reader_next(&lr, &out, len, &cap, &err) > 0)
		;
	assert_int_equal(err.errnum, 0);
	log_reader_close(&lr);
	if (out == NULL)
		out = calloc(1, 1);
	return out;
}

static void frames_and_streams(void **state)
{
	(void)state;
	assert_int_equal(write_log(three), 0);
	struct log_options opt = {.out = true, .errs = true, .tail = -1};
	size_t len;
	char *out = read_all_log(&opt, &len);
	assert_int_equal(len, 3 * (8 + 5));
	const unsigned char want_hdr[8] = {1, 0, 0, 0, 0, 0, 0, 5};
	assert_memory_equal(out, want_hdr, 8);
	assert_memory_equal(out + 8, "out1\n", 5);
	assert_int_equal((unsigned char)out[13], 2);
	assert_memory_equal(out + 21, "err1\n", 5);
	free(out);
	opt.out = false;
	out = read_all_log(&opt, &len);
	assert_int_equal(len, 13);
	assert_memory_equal(out + 8, "err1\n", 5);
	free(out);
	/* A tty container's log is raw. */
	opt = (struct log_options){.out = true, .errs = true, .tty = true, .tail = -1};
	out = read_all_log(&opt, &len);
	assert_int_equal(len, 15);
	assert_memory_equal(out, "out1\nerr1\nout2\n", 15);
	free(out);
	unlink(log_path);
}

static void tail_since_until_timestamps(void **state)
{
	(void)state;
	assert_int_equal(write_log(three), 0);
	struct log_options opt = {.out = true, .errs = true, .tty = true, .tail = 1};
	size_t len;
	char *out = read_all_log(&opt, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(out, "out2\n", 5);
	free(out);
	opt.tail = 2;
	out = read_all_log(&opt, &len);
	assert_int_equal(len, 10);
	assert_memory_equal(out, "err1\nout2\n", 10);
	free(out);
	opt.tail = 0;
	out = read_all_log(&opt, &len);
	assert_int_equal(len, 0);
	free(out);
	opt.tail = 99;
	out = read_all_log(&opt, &len);
	assert_int_equal(len, 15);
	free(out);
	/* since and until are inclusive. */
	opt = (struct log_options){.out = true, .errs = true, .tty = true, .tail = -1};
	assert_int_equal(parse_rfc3339("2026-11-29T09:00:02.000000001Z", &opt.since_ns), 0);
	out = read_all_log(&opt, &len);
	assert_int_equal(len, 10);
	assert_memory_equal(out, "err1\nout2\n", 10);
	free(out);
	opt.until_ns = opt.since_ns;
	out = read_all_log(&opt, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(out, "err1\n", 5);
	free(out);
	opt = (struct log_options){.out = true, .tty = true, .timestamps = true, .tail = 1};
	out = read_all_log(&opt, &len);
	out = realloc(out, len + 1);
	out[len] = '\0';
	assert_string_equal(out, "2026-11-29T09:00:03.000000001Z out2\n");
	free(out);
	unlink(log_path);
}

static void partial_and_malformed_lines(void **state)
{
	(void)state;
	/* The monitor may be in the middle of a line; a crash may have left
	 * junk. */
	assert_int_equal(write_log("not json\n" LINE("a\\n", "stdout", "1") "{\"log\":\"b"), 0);
	struct log_options opt = {.out = true, .errs = true, .tty = true, .tail = -1};
	struct log_reader lr;
	hutch_error err = {0};
	assert_int_equal(log_reader_open(&lr, log_path, &opt, &err), 0);
	char *out = NULL;
	size_t len = 0, cap = 0;
	assert_int_equal(log_reader_next(&lr, &out, &len, &cap, &err), 1);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "a\n", 2);
	len = 0;
	assert_int_equal(log_reader_next(&lr, &out, &len, &cap, &err), 0);
	FILE *f = fopen(log_path, "a");
	fputs("\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-29T09:00:02Z\"}\n", f);
	fclose(f);
	assert_int_equal(log_reader_next(&lr, &out, &len, &cap, &err), 1);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "b\n", 2);
	free(out);
	log_reader_close(&lr);
	unlink(log_path);
	/* A log that does not exist yet is empty, and read once it does. */
	assert_int_equal(log_reader_open(&lr, log_path, &opt, &err), 0);
	out = NULL;
	len = cap = 0;
	assert_int_equal(log_reader_next(&lr, &out, &len, &cap, &err), 0);
	f = fopen(log_path, "w");
	fputs(LINE("late\\n", "stdout", "1"), f);
	fclose(f);
	assert_int_equal(log_reader_next(&lr, &out, &len, &cap, &err), 1);
	assert_memory_equal(out, "late\n", 5);
	free(out);
	log_reader_close(&lr);
	unlink(log_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rfc3339_round_trip),
	    cmocka_unit_test(unix_timestamps),
	    cmocka_unit_test(frames_and_streams),
	    cmocka_unit_test(tail_since_until_timestamps),
	    cmocka_unit_test(partial_and_malformed_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
