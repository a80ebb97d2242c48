/* Unit tests for signal names as `kill` and the API accept them. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "signals.h"

static void test_names_in_every_spelling(void **state)
{
	assert_int_equal(signal_from_name("KILL"), SIGKILL);
	assert_int_equal(signal_from_name("SIGKILL"), SIGKILL);
	assert_int_equal(signal_from_name("kill"), SIGKILL);
	assert_int_equal(signal_from_name("sigterm"), SIGTERM);
	assert_int_equal(signal_from_name("SigHup"), SIGHUP);
	assert_int_equal(signal_from_name("9"), SIGKILL);
	assert_int_equal(signal_from_name("15"), SIGTERM);
	assert_int_equal(signal_from_name("WINCH"), SIGWINCH);
	assert_int_equal(signal_from_name("SIGUSR2"), SIGUSR2);
	/* Aliases some callers still use. */
	assert_int_equal(signal_from_name("IOT"), SIGABRT);
	assert_int_equal(signal_from_name("SIGCLD"), SIGCHLD);
	assert_int_equal(signal_from_name("POLL"), SIGIO);
}

static void test_realtime_signals(void **state)
{
	assert_int_equal(signal_from_name("SIGRTMIN"), SIGRTMIN);
	assert_int_equal(signal_from_name("RTMIN"), SIGRTMIN);
	assert_int_equal(signal_from_name("SIGRTMIN+3"), SIGRTMIN + 3);
	assert_int_equal(signal_from_name("sigrtmin+3"), SIGRTMIN + 3);
	assert_int_equal(signal_from_name("SIGRTMAX"), SIGRTMAX);
	assert_int_equal(signal_from_name("RTMAX-1"), SIGRTMAX - 1);
	assert_int_equal(signal_from_name("SIGRTMAX-0"), SIGRTMAX);
	assert_int_equal(signal_from_name("64"), 64);
	/* Only the directions and ranges that name a real-time signal. */
	assert_int_equal(signal_from_name("SIGRTMIN-1"), -1);
	assert_int_equal(signal_from_name("SIGRTMAX+1"), -1);
	assert_int_equal(signal_from_name("SIGRTMIN+31"), -1);
	assert_int_equal(signal_from_name("SIGRTMIN+"), -1);
	assert_int_equal(signal_from_name("SIGRTMIN+x"), -1);
	assert_int_equal(signal_from_name("SIGRTMIN+-1"), -1);
}

static void test_rejects(void **state)
{
	assert_int_equal(signal_from_name("0"), -1);
	assert_int_equal(signal_from_name("65"), -1);
	assert_int_equal(signal_from_name("-9"), -1);
	assert_int_equal(signal_from_name("+9"), -1);
	assert_int_equal(signal_from_name("9x"), -1);
	assert_int_equal(signal_from_name(" 9"), -1);
	assert_int_equal(signal_from_name("99999999999999999999"), -1);
	assert_int_equal(signal_from_name("SIGFOO"), -1);
	assert_int_equal(signal_from_name("SIG"), -1);
	assert_int_equal(signal_from_name(""), -1);
	assert_int_equal(signal_from_name("SIGKILLX"), -1);
	assert_int_equal(signal_from_name(NULL), -1);
}

static void test_names_of_numbers(void **state)
{
	char buf[16];
	assert_string_equal(signal_name(SIGKILL, buf), "SIGKILL");
	assert_string_equal(signal_name(SIGABRT, buf), "SIGABRT");
	assert_string_equal(signal_name(SIGCHLD, buf), "SIGCHLD");
	assert_string_equal(signal_name(SIGIO, buf), "SIGIO");
	assert_string_equal(signal_name(SIGRTMIN, buf), "SIGRTMIN");
	assert_string_equal(signal_name(SIGRTMIN + 3, buf), "SIGRTMIN+3");
	assert_null(signal_name(0, buf));
	assert_null(signal_name(65, buf));
	assert_null(signal_name(-1, buf));
	/* Every name written reads back as its number. */
	for (int s = 1; s <= SIGRTMAX; s++) {
		if (signal_name(s, buf) != NULL)
			assert_int_equal(signal_from_name(buf), s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_in_every_spelling),
	    cmocka_unit_test(test_realtime_signals),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_names_of_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
