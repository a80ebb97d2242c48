# libhutch: runtime sources (appended to libhutch_a_SOURCES): id maps,
# namespaces, the state directory and the container lifecycle.
libhutch_a_SOURCES += \
	src/lib/idmap.c src/lib/idmap.h \
	src/lib/namespaces.c src/lib/namespaces.h \
	src/lib/state.c src/lib/state.h \
	src/lib/self-exe.c src/lib/self-exe.h \
	src/lib/sandbox-join.c src/lib/sandbox-join.h \
	src/lib/overlay-options.c src/lib/overlay-options.h \
	src/lib/container.h src/lib/container-internal.h \
	src/lib/container-sync.c src/lib/container-sync.h \
	src/lib/container-create.c \
	src/lib/container-init.c \
	src/lib/container-exec.c \
	src/lib/container-ops.c \
	src/lib/container-process.c \
	src/lib/container-tty.c

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-idmap
tests_unit_test_idmap_SOURCES = tests/unit/test-idmap.c
tests_unit_test_idmap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_idmap_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test-idmap
endif
