# Test programs and unit tests of the security part of libhutch (process
# identity, capabilities, seccomp, terminal, hooks, cgroups). The test
# harness puts the build's tests/tools on PATH for the bats suites.
noinst_PROGRAMS += tests/tools/recvtty tests/tools/seccomp-listener

tests_tools_recvtty_SOURCES = tests/tools/recvtty.c tests/tools/tool-socket.c tests/tools/tool-socket.h
tests_tools_recvtty_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_tools_recvtty_LDADD = $(HUTCH_LIBS) $(HUTCH_RUNTIME_LIBS)

tests_tools_seccomp_listener_SOURCES = tests/tools/seccomp-listener.c tests/tools/tool-socket.c tests/tools/tool-socket.h
tests_tools_seccomp_listener_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(SECCOMP_CFLAGS)
tests_tools_seccomp_listener_LDADD = $(HUTCH_LIBS) $(HUTCH_RUNTIME_LIBS)

if HAVE_CMOCKA
SECURITY_UNIT_TESTS = tests/unit/test-seccomp tests/unit/test-caps tests/unit/test-hooks \
	tests/unit/test-terminal tests/unit/test-cgroups
check_PROGRAMS += $(SECURITY_UNIT_TESTS)
TESTS += $(SECURITY_UNIT_TESTS)

tests_unit_test_seccomp_SOURCES = tests/unit/test-seccomp.c
tests_unit_test_seccomp_CFLAGS = $(UNIT_CFLAGS) $(SECCOMP_CFLAGS)
tests_unit_test_seccomp_LDADD = $(UNIT_LDADD) $(HUTCH_RUNTIME_LIBS)

tests_unit_test_caps_SOURCES = tests/unit/test-caps.c
tests_unit_test_caps_CFLAGS = $(UNIT_CFLAGS) $(CAP_CFLAGS)
tests_unit_test_caps_LDADD = $(UNIT_LDADD) $(HUTCH_RUNTIME_LIBS)

tests_unit_test_hooks_SOURCES = tests/unit/test-hooks.c
tests_unit_test_hooks_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hooks_LDADD = $(UNIT_LDADD) $(HUTCH_RUNTIME_LIBS)

tests_unit_test_terminal_SOURCES = tests/unit/test-terminal.c
tests_unit_test_terminal_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_terminal_LDADD = $(UNIT_LDADD) $(HUTCH_RUNTIME_LIBS)

tests_unit_test_cgroups_SOURCES = tests/unit/test-cgroups.c
tests_unit_test_cgroups_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cgroups_LDADD = $(UNIT_LDADD) $(HUTCH_RUNTIME_LIBS)
endif
