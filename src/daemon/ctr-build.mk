# hutchd: turning a create request into a container directory (ctr_build).
hutchd_SOURCES += \
	src/daemon/ctr-build.c src/daemon/ctr-build.h src/daemon/ctr-build-internal.h \
	src/daemon/ctr-request.c \
	src/daemon/ctr-config.c \
	src/daemon/ctr-user.c \
	src/daemon/ctr-ports.c \
	src/daemon/ctr-mounts.c \
	src/daemon/ctr-etc.c \
	src/daemon/ctr-caps.c \
	src/daemon/ctr-spec.c \
	src/daemon/ctr-limits.c \
	src/daemon/ctr-util.c \
	src/daemon/seccomp-default.c \
	src/daemon/seccomp-profile.c

if HAVE_CMOCKA
# The pure parts, linked without the rest of hutchd.
check_PROGRAMS += tests/unit/test-ctr-build
tests_unit_test_ctr_build_SOURCES = tests/unit/test-ctr-build.c \
	src/daemon/ctr-request.c src/daemon/ctr-config.c src/daemon/ctr-user.c \
	src/daemon/ctr-ports.c src/daemon/ctr-mounts.c src/daemon/ctr-etc.c \
	src/daemon/ctr-caps.c src/daemon/ctr-spec.c src/daemon/ctr-limits.c src/daemon/ctr-util.c \
	src/daemon/seccomp-default.c src/daemon/seccomp-profile.c src/daemon/volumes.c
tests_unit_test_ctr_build_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/src/daemon
tests_unit_test_ctr_build_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test-ctr-build
endif
