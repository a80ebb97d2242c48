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
	src/lib/signals.c src/lib/signals.h
