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
	src/daemon/helper.c src/daemon/helper.h \
	src/daemon/sandbox.c src/daemon/sandbox.h
hutchd_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(CURL_CFLAGS) $(ARCHIVE_CFLAGS) $(CRYPTO_CFLAGS) \
	$(JSONC_CFLAGS) -I$(top_srcdir)/src/image -pthread
hutchd_LDADD = $(IMAGE_LIBS) $(MHD_LIBS)
