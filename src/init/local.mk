# src/init: hutch-init, the init for `--init`. Static, so it runs in any
# image; no sanitizers (they cannot link statically).
bin_PROGRAMS += hutch-init
hutch_init_SOURCES = src/init/init.c
hutch_init_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
hutch_init_LDFLAGS = -static
