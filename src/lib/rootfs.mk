# libhutch: rootfs sources (appended to libhutch_a_SOURCES).
# The container's filesystem view: mounts, devices, pivot_root, masked and
# read-only paths, sysctls, hostname.
libhutch_a_SOURCES += \
	src/lib/rootfs.c src/lib/rootfs.h \
	src/lib/mount-util.c src/lib/mount-util.h \
	src/lib/mount-options.c \
	src/lib/mount-kinds.c \
	src/lib/mount-devpts.c \
	src/lib/mount-copyup.c \
	src/lib/mount-idmap.c \
	src/lib/masked-paths.c \
	src/lib/devices.c src/lib/devices.h \
	src/lib/sysctl.c src/lib/sysctl.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-mount-options
tests_unit_test_mount_options_SOURCES = tests/unit/test-mount-options.c
tests_unit_test_mount_options_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_mount_options_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test-mount-options
endif
