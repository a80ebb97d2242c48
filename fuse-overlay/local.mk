# fuse-overlay: hutch-overlay, the FUSE overlay filesystem (libfuse3
# low-level API), its unit tests and its test helper program.
bin_PROGRAMS += hutch-overlay
hutch_overlay_SOURCES = \
	fuse-overlay/ovl.h \
	fuse-overlay/main.c \
	fuse-overlay/options.c fuse-overlay/options.h \
	fuse-overlay/setup.c fuse-overlay/setup.h \
	fuse-overlay/session-io.c \
	fuse-overlay/loop.c \
	fuse-overlay/layers.c \
	fuse-overlay/owner-grant.c \
	fuse-overlay/inodes.c \
	fuse-overlay/dirs.c \
	fuse-overlay/prefetch.c \
	fuse-overlay/copyup.c \
	fuse-overlay/metacopy.c \
	fuse-overlay/link-index.c \
	fuse-overlay/ownership.c \
	fuse-overlay/ops-entry.c \
	fuse-overlay/ops-file.c \
	fuse-overlay/direct-read.c \
	fuse-overlay/prefill.c \
	fuse-overlay/ops-dir.c \
	fuse-overlay/ops-names.c \
	fuse-overlay/trash.c \
	fuse-overlay/ops-rename.c \
	fuse-overlay/ops-xattr.c
hutch_overlay_CFLAGS = $(AM_CFLAGS) $(FUSE3_CFLAGS)
hutch_overlay_LDADD = $(HUTCH_LIBS) $(FUSE3_LIBS) -lpthread

noinst_PROGRAMS += tests/tools/overlay-ops
tests_tools_overlay_ops_SOURCES = tests/tools/overlay-ops.c
tests_tools_overlay_ops_CFLAGS = $(AM_CFLAGS)

dist_man_MANS += man/hutch-overlay.1

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-overlay-options
tests_unit_test_overlay_options_SOURCES = tests/unit/test-overlay-options.c \
	fuse-overlay/options.c fuse-overlay/options.h
tests_unit_test_overlay_options_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/fuse-overlay
tests_unit_test_overlay_options_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_overlay_options_LDADD = $(HUTCH_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test-overlay-options

check_PROGRAMS += tests/unit/test-overlay-layers
tests_unit_test_overlay_layers_SOURCES = tests/unit/test-overlay-layers.c \
	fuse-overlay/ovl.h fuse-overlay/layers.c fuse-overlay/owner-grant.c fuse-overlay/dirs.c \
	fuse-overlay/inodes.c \
	fuse-overlay/link-index.c \
	fuse-overlay/ownership.c fuse-overlay/options.c fuse-overlay/options.h
tests_unit_test_overlay_layers_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/fuse-overlay
tests_unit_test_overlay_layers_CFLAGS = $(AM_CFLAGS) $(FUSE3_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_overlay_layers_LDADD = $(HUTCH_LIBS) $(FUSE3_LIBS) $(CMOCKA_LIBS) -lpthread
TESTS += tests/unit/test-overlay-layers
endif

# The side-by-side benchmark and the black-box tests ship with the sources.
EXTRA_DIST += bench/overlay-io bench/overlay-reads tests/bats/overlay
