# Unit tests (cmocka) for pure logic. Black-box tests live in tests/bats and
# are driven by tests/run, which needs root to prepare the test users.
if HAVE_CMOCKA
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS)
UNIT_LDADD = $(HUTCH_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-lib
tests_unit_test_lib_SOURCES = tests/unit/test-lib.c
tests_unit_test_lib_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_lib_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test-lib
endif
