# libhutch: the shared code of every hutch program (a static convenience
# library, never installed).
noinst_LIBRARIES += libhutch.a
libhutch_a_SOURCES = \
	src/lib/cleanup.h \
	src/lib/error.c src/lib/error.h \
	src/lib/log.c src/lib/log.h \
	src/lib/json-util.c src/lib/json-util.h \
	src/lib/file-util.c src/lib/file-util.h \
	src/lib/path-util.c src/lib/path-util.h \
	src/lib/find-program.c src/lib/find-program.h
libhutch_a_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)

# Link line for programs using libhutch (append component libraries).
HUTCH_LIBS = libhutch.a $(JSONC_LIBS)

# Parts of libhutch kept by concern, each with its own file list.
include src/lib/config.mk
include src/lib/rootfs.mk
include src/lib/security.mk
include src/lib/runtime.mk
