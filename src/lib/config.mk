# libhutch: config sources (appended to libhutch_a_SOURCES).
# The OCI config model (parse and validate config.json), the documents
# hutch-oci writes (spec, features) and signal names.
libhutch_a_SOURCES += \
	src/lib/oci-config.h src/lib/oci-config-internal.h \
	src/lib/oci-config.c \
	src/lib/oci-config-process.c \
	src/lib/oci-config-linux.c \
	src/lib/oci-config-free.c \
	src/lib/oci-spec.c \
	src/lib/cap-names.c src/lib/cap-names.h \
	src/lib/signals.c src/lib/signals.h

# Fixtures of the config tests (also used by the sanitizer build in make check).
EXTRA_DIST += tests/unit/data/oci

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-oci-config
tests_unit_test_oci_config_SOURCES = tests/unit/test-oci-config.c
tests_unit_test_oci_config_CFLAGS = $(UNIT_CFLAGS) \
	-DOCI_TEST_DATA=\"$(abs_top_srcdir)/tests/unit/data/oci\"
# features asks the seccomp code what this libseccomp supports.
tests_unit_test_oci_config_LDADD = $(UNIT_LDADD) $(HUTCH_RUNTIME_LIBS)
TESTS += tests/unit/test-oci-config

check_PROGRAMS += tests/unit/test-signals
tests_unit_test_signals_SOURCES = tests/unit/test-signals.c
tests_unit_test_signals_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_signals_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test-signals
endif
