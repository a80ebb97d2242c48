# src/monitor: hutch-monitor, one process per running container and per
# exec (see docs/architecture/containers.md).
bin_PROGRAMS += hutch-monitor
hutch_monitor_SOURCES = \
	src/monitor/monitor.h \
	src/monitor/main.c \
	src/monitor/config.c \
	src/monitor/loop.c \
	src/monitor/spawn.c \
	src/monitor/overlay.c \
	src/monitor/network.c \
	src/monitor/container.c \
	src/monitor/output.c \
	src/monitor/stream.c \
	src/monitor/input.c \
	src/monitor/attach.c \
	src/monitor/ctl.c \
	src/monitor/state-file.c \
	src/monitor/exec.c
hutch_monitor_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
hutch_monitor_LDADD = $(HUTCH_LIBS) $(HUTCH_RUNTIME_LIBS)

dist_man_MANS += man/hutch-monitor.8
