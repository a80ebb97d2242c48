# src/oci: hutch-oci, the OCI runtime front end (a thin layer over libhutch).
bin_PROGRAMS += hutch-oci
hutch_oci_SOURCES = \
	src/oci/main.c src/oci/oci.h \
	src/oci/options.c src/oci/options.h \
	src/oci/cmd-lifecycle.c \
	src/oci/cmd-exec.c \
	src/oci/cmd-info.c \
	src/oci/cmd-cgroup.c
hutch_oci_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
hutch_oci_LDADD = $(HUTCH_LIBS) $(HUTCH_RUNTIME_LIBS)

dist_man_MANS += man/hutch-oci.8

# The side-by-side start-up benchmark ships with the sources.
EXTRA_DIST += bench/runtime-start
