# Image handling shared by hutchd and its helpers: references, digests,
# manifests, registry auth, the store, the registry client and the layer
# unpacker. Included from src/daemon/local.mk.
noinst_LIBRARIES += libhutch-image.a
libhutch_image_a_SOURCES = \
	src/image/digest.c src/image/digest.h \
	src/image/reference.c src/image/reference.h \
	src/image/auth.c src/image/auth.h \
	src/image/manifest.c src/image/manifest.h \
	src/image/whiteout.c src/image/whiteout.h \
	src/image/store.c src/image/store.h src/image/store-sync.c \
	src/image/unpack.c src/image/unpack.h \
	src/image/writeback.c src/image/writeback.h \
	src/image/gunzip.c src/image/gunzip.h \
	src/image/registry.c src/image/registry.h
libhutch_image_a_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(ARCHIVE_CFLAGS) $(CRYPTO_CFLAGS) \
	$(JSONC_CFLAGS) -I$(top_srcdir)/src/image

IMAGE_LIBS = libhutch-image.a $(HUTCH_LIBS) $(CURL_LIBS) $(ARCHIVE_LIBS) $(CRYPTO_LIBS) \
	$(JSONC_LIBS) -lpthread

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-image-reference tests/unit/test-image-parsers \
	tests/unit/test-image-gunzip
tests_unit_test_image_reference_SOURCES = tests/unit/test-image-reference.c
tests_unit_test_image_reference_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/src/image
tests_unit_test_image_reference_LDADD = $(IMAGE_LIBS) $(CMOCKA_LIBS)
tests_unit_test_image_parsers_SOURCES = tests/unit/test-image-parsers.c
tests_unit_test_image_parsers_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/src/image
tests_unit_test_image_parsers_LDADD = $(IMAGE_LIBS) $(CMOCKA_LIBS)
tests_unit_test_image_gunzip_SOURCES = tests/unit/test-image-gunzip.c
tests_unit_test_image_gunzip_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/src/image
tests_unit_test_image_gunzip_LDADD = $(IMAGE_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test-image-reference tests/unit/test-image-parsers \
	tests/unit/test-image-gunzip
endif
