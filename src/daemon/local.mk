# hutchd: build rules.
include src/image/local.mk

bin_PROGRAMS += hutchd
hutchd_SOURCES = \
	src/daemon/main.c \
	src/daemon/daemon.h \
	src/daemon/server.c \
	src/daemon/api-system.c \
	src/daemon/api-images.c \
	src/daemon/images.c src/daemon/images.h \
	src/daemon/image-archive.c \
	src/daemon/pull.c src/daemon/pull.h \
	src/daemon/snapshot.c src/daemon/snapshot.h \
	src/daemon/store-sync.c src/daemon/store-sync.h \
	src/daemon/helper.c src/daemon/helper.h \
	src/daemon/sandbox.c src/daemon/sandbox.h \
	src/daemon/lazy-libs.c \
	src/daemon/containers.c src/daemon/containers.h src/daemon/ctr-internal.h \
	src/daemon/ctr-monitor.c src/daemon/ctr-inspect.c \
	src/daemon/ctr-names.c src/daemon/ctr-names.h \
	src/daemon/api-containers.c src/daemon/api-containers.h \
	src/daemon/api-containers-list.c \
	src/daemon/events.c src/daemon/events.h \
	src/daemon/hijack.c src/daemon/hijack.h \
	src/daemon/timefmt.c src/daemon/timefmt.h \
	src/daemon/helper-archive.c src/daemon/helper-archive.h \
	src/daemon/streams.h src/daemon/api-streams.c \
	src/daemon/ctr-log.c src/daemon/ctr-log.h \
	src/daemon/api-attach.c src/daemon/api-logs.c src/daemon/api-exec.c \
	src/daemon/api-archive.c \
	src/daemon/volume-fill.c src/daemon/volume-fill.h \
	src/daemon/volumes.c src/daemon/volumes.h \
	src/daemon/volume-users.c src/daemon/volume-users.h \
	src/daemon/api-volumes.c src/daemon/api-filters.c src/daemon/api-filters.h
include src/daemon/ctr-build.mk
hutchd_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(CURL_CFLAGS) $(ARCHIVE_CFLAGS) $(CRYPTO_CFLAGS) \
	$(JSONC_CFLAGS) -I$(top_srcdir)/src/image -pthread
# Not linked with libcurl and libarchive: lazy-libs.c loads them on first
# use, which keeps an idle hutchd small.
hutchd_LDADD = libhutch-image.a $(HUTCH_LIBS) $(CRYPTO_LIBS) $(JSONC_LIBS) $(MHD_LIBS) \
	-lpthread -ldl

dist_man_MANS += man/hutchd.8 man/hutch.conf.5 man/hutch.1

# systemd user units: hutchd.socket starts hutchd.service on demand.
systemduserunitdir = $(prefix)/lib/systemd/user
systemduserunit_DATA = contrib/systemd/hutchd.socket contrib/systemd/hutchd.service
CLEANFILES += contrib/systemd/hutchd.service
EXTRA_DIST += contrib/systemd/hutchd.socket contrib/systemd/hutchd.service.in \
	tests/bats/images bench/pull bench/run
contrib/systemd/hutchd.service: contrib/systemd/hutchd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) contrib/systemd && \
	sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/contrib/systemd/hutchd.service.in >$@

if HAVE_CMOCKA
# The pure parts of the stream endpoints: time formats and ctr.log.
check_PROGRAMS += tests/unit/test-streams
tests_unit_test_streams_SOURCES = tests/unit/test-streams.c src/daemon/timefmt.c \
	src/daemon/ctr-log.c
tests_unit_test_streams_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/src/daemon
tests_unit_test_streams_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test-streams
endif
