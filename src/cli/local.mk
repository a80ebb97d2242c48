# hutch CLI: build rules.
bin_PROGRAMS += hutch
hutch_SOURCES = \
	src/cli/main.c src/cli/cli.h \
	src/cli/client.c src/cli/client.h \
	src/cli/cmd-pull.c \
	src/cli/cmd-image.c \
	src/cli/cmd-system.c
hutch_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS)
hutch_LDADD = $(HUTCH_LIBS) $(CURL_LIBS)
