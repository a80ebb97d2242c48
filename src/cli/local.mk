# hutch CLI: build rules.
bin_PROGRAMS += hutch
hutch_SOURCES = \
	src/cli/main.c src/cli/cli.h \
	src/cli/client.c src/cli/client.h \
	src/cli/cmd-pull.c \
	src/cli/cmd-image.c \
	src/cli/cmd-system.c \
	src/cli/raw-http.c src/cli/attach.c src/cli/attach.h \
	src/cli/tty.c src/cli/tty.h \
	src/cli/session.c src/cli/session.h \
	src/cli/run-config.c src/cli/run-config.h \
	src/cli/cmd-run.c \
	src/cli/container-util.c src/cli/container-util.h src/cli/listing.c src/cli/listing.h \
	src/cli/template.c src/cli/template.h src/cli/template-internal.h \
	src/cli/template-lex.c src/cli/template-lex.h src/cli/template-parse.c \
	src/cli/template-eval.c src/cli/template-funcs.c src/cli/template-printf.c \
	src/cli/cmd-container.c src/cli/cmd-ps.c src/cli/cmd-logs.c src/cli/cmd-inspect.c \
	src/cli/cmd-exec.c src/cli/cmd-cp.c src/cli/cmd-df.c src/cli/cmd-volume.c
# libhutch-image.a for its base64 decoder (cp's path stat header).
hutch_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) $(ARCHIVE_CFLAGS) \
	-I$(top_srcdir)/src/image
hutch_LDADD = libhutch-image.a $(HUTCH_LIBS) $(CURL_LIBS) $(ARCHIVE_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-cli-parsers
tests_unit_test_cli_parsers_SOURCES = tests/unit/test-cli-parsers.c \
	src/cli/attach.c src/cli/run-config.c
tests_unit_test_cli_parsers_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/src/cli
tests_unit_test_cli_parsers_LDADD = $(HUTCH_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test-cli-parsers
check_PROGRAMS += tests/unit/test-cli-template
tests_unit_test_cli_template_SOURCES = tests/unit/test-cli-template.c \
	src/cli/template.c src/cli/template-lex.c src/cli/template-parse.c \
	src/cli/template-eval.c src/cli/template-funcs.c src/cli/template-printf.c
tests_unit_test_cli_template_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/src/cli
tests_unit_test_cli_template_LDADD = $(HUTCH_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/test-cli-template
endif
