# net: hutch-slirp, user-mode networking (libslirp) for a network namespace,
# a drop-in for slirp4netns with an egress policy and a fast port forwarder.
bin_PROGRAMS += hutch-slirp
hutch_slirp_SOURCES = \
	net/main.c \
	net/options.c net/options.h \
	net/tap.c net/tap.h \
	net/netconf.c net/netconf.h \
	net/loop.c net/loop.h \
	net/ack.c net/ack.h \
	net/gso.c net/gso.h \
	net/offload.c net/offload.h \
	net/egress.c net/egress.h \
	net/api.c net/api.h \
	net/api-request.c net/api-request.h \
	net/forward.c net/forward.h \
	net/sandbox.c net/sandbox.h
hutch_slirp_CFLAGS = $(AM_CFLAGS) $(SLIRP_CFLAGS) $(JSONC_CFLAGS) $(SECCOMP_CFLAGS) $(CAP_CFLAGS)
hutch_slirp_LDADD = $(HUTCH_LIBS) $(SLIRP_LIBS) $(SECCOMP_LIBS) $(CAP_LIBS)
dist_man_MANS += man/hutch-slirp.1
EXTRA_DIST += bench/net-throughput tests/bats/net

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-net-options tests/unit/test-net-egress tests/unit/test-net-api \
	tests/unit/test-net-ack tests/unit/test-net-gso tests/unit/test-net-offload
tests_unit_test_net_options_SOURCES = tests/unit/test-net-options.c net/options.c
tests_unit_test_net_options_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/net
tests_unit_test_net_options_LDADD = $(UNIT_LDADD)
tests_unit_test_net_egress_SOURCES = tests/unit/test-net-egress.c net/egress.c net/options.c
tests_unit_test_net_egress_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/net
tests_unit_test_net_egress_LDADD = $(UNIT_LDADD)
tests_unit_test_net_api_SOURCES = tests/unit/test-net-api.c net/api-request.c net/options.c
tests_unit_test_net_api_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/net
tests_unit_test_net_api_LDADD = $(UNIT_LDADD)
tests_unit_test_net_ack_SOURCES = tests/unit/test-net-ack.c net/ack.c
tests_unit_test_net_ack_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/net
tests_unit_test_net_ack_LDADD = $(UNIT_LDADD)
tests_unit_test_net_gso_SOURCES = tests/unit/test-net-gso.c net/gso.c
tests_unit_test_net_gso_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/net
tests_unit_test_net_gso_LDADD = $(UNIT_LDADD)
tests_unit_test_net_offload_SOURCES = tests/unit/test-net-offload.c net/offload.c
tests_unit_test_net_offload_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/net
tests_unit_test_net_offload_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test-net-options tests/unit/test-net-egress tests/unit/test-net-api \
	tests/unit/test-net-ack tests/unit/test-net-gso tests/unit/test-net-offload
endif

# Small programs the black-box tests drive (the harness puts tests/tools on
# PATH).
noinst_PROGRAMS += tests/tools/net-api-client
tests_tools_net_api_client_SOURCES = tests/tools/net-api-client.c
noinst_PROGRAMS += tests/tools/net-echo
tests_tools_net_echo_SOURCES = tests/tools/net-echo.c
noinst_PROGRAMS += tests/tools/net-tapfd
tests_tools_net_tapfd_SOURCES = tests/tools/net-tapfd.c
