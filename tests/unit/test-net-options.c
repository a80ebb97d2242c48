/* Unit tests for hutch-slirp's command line: slirp4netns compatibility,
 * defaults, and the rejection of every malformed value. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

/* Parse a NULL-terminated list of arguments as if called as prog. */
static int parse_as(const char *prog, struct net_options *o, hutch_error *err, ...)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)prog;
	va_list ap;
	va_start(ap, err);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL;)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return net_options_parse(argc, argv, prog, o, err);
}

#define PARSE(o, err, ...) parse_as("hutch-slirp", o, err, __VA_ARGS__, NULL)

static void assert_addr(struct in_addr a, const char *text)
{
	char buf[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	assert_string_equal(buf, text);
}

static void test_defaults_match_slirp4netns(void **state)
{
	struct net_options o;
	hutch_error err = {0};
	assert_int_equal(PARSE(&o, &err, "1234"), 0);
	assert_string_equal(o.target, "1234");
	assert_string_equal(o.tapname, "tap0");
	assert_int_equal(o.netns_type, NET_NETNS_PID);
	assert_int_equal(o.mtu, 65520);
	assert_int_equal(o.prefix, 24);
	assert_addr(o.network, "10.0.2.0");
	assert_addr(o.netmask, "255.255.255.0");
	assert_addr(o.gateway, "10.0.2.2");
	assert_addr(o.dns, "10.0.2.3");
	assert_addr(o.dhcp_start, "10.0.2.15");
	assert_addr(o.guest, "10.0.2.100");
	assert_int_equal(o.ready_fd, -1);
	assert_int_equal(o.exit_fd, -1);
	assert_false(o.configure);
	net_options_free(&o);
}

static void test_mtu_default_depends_on_program_name(void **state)
{
	struct net_options o;
	hutch_error err = {0};
	assert_int_equal(parse_as("/usr/bin/slirp4netns", &o, &err, "1", "tap0", NULL), 0);
	assert_int_equal(o.mtu, 1500);
	net_options_free(&o);
	assert_int_equal(parse_as("slirp4netns", &o, &err, "--mtu=65520", "1", NULL), 0);
	assert_int_equal(o.mtu, 65520);
	net_options_free(&o);
	assert_int_equal(parse_as("/x/hutch-slirp", &o, &err, "-m", "9000", "1", NULL), 0);
	assert_int_equal(o.mtu, 9000);
	net_options_free(&o);
}

static void test_mtu_range(void **state)
{
	unsigned mtu;
	hutch_error err = {0};
	assert_int_equal(net_parse_mtu("68", &mtu, &err), 0);
	assert_int_equal(net_parse_mtu("65521", &mtu, &err), 0);
	assert_int_equal(mtu, 65521);
	const char *bad[] = {"67", "65522", "0", "-1", "", "1500x", "x", " 1500", "99999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hutch_error_clear(&err);
		assert_int_equal(net_parse_mtu(bad[i], &mtu, &err), -1);
		assert_non_null(strstr(err.msg, "invalid MTU"));
	}
	struct net_options o;
	assert_int_equal(PARSE(&o, &err, "--enable-ipv6", "--mtu=1279", "1"), -1);
	assert_non_null(strstr(err.msg, "1280"));
}

static void test_ports(void **state)
{
	uint16_t port;
	hutch_error err = {0};
	assert_int_equal(net_parse_port("1", &port, &err), 0);
	assert_int_equal(net_parse_port("65535", &port, &err), 0);
	assert_int_equal(port, 65535);
	const char *bad[] = {"0", "65536", "91535", "-80", "80a", "", "0x50"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(net_parse_port(bad[i], &port, &err), -1);
}

static void test_guest_cidr(void **state)
{
	struct net_options o;
	hutch_error err = {0};
	assert_int_equal(PARSE(&o, &err, "--cidr=10.0.3.0/24", "1"), 0);
	assert_addr(o.gateway, "10.0.3.2");
	assert_addr(o.dns, "10.0.3.3");
	assert_addr(o.guest, "10.0.3.100");
	net_options_free(&o);
	assert_int_equal(PARSE(&o, &err, "--cidr", "192.168.0.0/16", "1"), 0);
	assert_addr(o.netmask, "255.255.0.0");
	assert_addr(o.guest, "192.168.0.100");
	net_options_free(&o);

	const char *bad[] = {"10.0.2.5/24", "10.0.2.0/26", "10.0.2.0",	"fd00::/64",
			     "10.0.2.0/33", "10.0.2/24",   "0.0.0.0/0", "10.0.2.0/x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct in_addr net;
		unsigned prefix;
		hutch_error_clear(&err);
		assert_int_equal(net_parse_guest_cidr(bad[i], &net, &prefix, &err), -1);
		assert_non_null(strstr(err.msg, "invalid"));
	}
}

static void test_cidr_and_contains(void **state)
{
	struct net_cidr c;
	hutch_error err = {0};
	struct in_addr a;
	struct in6_addr a6;
	assert_int_equal(net_parse_cidr("127.0.0.0/8", &c, &err), 0);
	inet_pton(AF_INET, "127.1.2.3", &a);
	assert_true(net_cidr_contains(&c, AF_INET, &a));
	inet_pton(AF_INET, "128.0.0.1", &a);
	assert_false(net_cidr_contains(&c, AF_INET, &a));
	inet_pton(AF_INET6, "::1", &a6);
	assert_false(net_cidr_contains(&c, AF_INET6, &a6));

	assert_int_equal(net_parse_cidr("10.0.2.2", &c, &err), 0); /* a host */
	assert_int_equal(c.prefix, 32);
	inet_pton(AF_INET, "10.0.2.2", &a);
	assert_true(net_cidr_contains(&c, AF_INET, &a));
	inet_pton(AF_INET, "10.0.2.3", &a);
	assert_false(net_cidr_contains(&c, AF_INET, &a));

	assert_int_equal(net_parse_cidr("fd00::/61", &c, &err), 0);
	inet_pton(AF_INET6, "fd00:0:0:7::1", &a6);
	assert_true(net_cidr_contains(&c, AF_INET6, &a6));
	inet_pton(AF_INET6, "fd00:0:0:8::1", &a6);
	assert_false(net_cidr_contains(&c, AF_INET6, &a6));

	assert_int_equal(net_parse_cidr("0.0.0.0/0", &c, &err), 0);
	inet_pton(AF_INET, "8.8.8.8", &a);
	assert_true(net_cidr_contains(&c, AF_INET, &a));

	const char *bad[] = {"10.0.0.1/8",  "::1/129", "fd00::1/64",
			     "example.com", "",	       "1.2.3.4/-1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(net_parse_cidr(bad[i], &c, &err), -1);
}

static void test_outbound_allow_repeatable(void **state)
{
	struct net_options o;
	hutch_error err = {0};
	assert_int_equal(
	    PARSE(&o, &err, "--outbound-allow=10.0.2.2/32", "--outbound-allow=fd00::2/128", "1"),
	    0);
	assert_int_equal(o.n_outbound_allow, 2);
	assert_int_equal(o.outbound_allow[0].family, AF_INET);
	assert_int_equal(o.outbound_allow[1].family, AF_INET6);
	net_options_free(&o);
	assert_int_equal(PARSE(&o, &err, "--outbound-allow=10.0.2.2/8", "1"), -1);
	assert_non_null(strstr(err.msg, "--outbound-allow"));
}

static void test_mac(void **state)
{
	uint8_t mac[6];
	hutch_error err = {0};
	assert_int_equal(net_parse_mac("02:00:00:00:00:01", mac, &err), 0);
	assert_int_equal(mac[0], 2);
	assert_int_equal(mac[5], 1);
	const char *bad[] = {"01:00:00:00:00:01",    "00:00:00:00:00:00", "02:00:00:00:00",
			     "02:00:00:00:00:01:03", "zz:00:00:00:00:01", "02-00-00-00-00-01"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(net_parse_mac(bad[i], mac, &err), -1);
	struct net_options o;
	assert_int_equal(PARSE(&o, &err, "--macaddress=02:00:00:00:00:01", "1"), -1);
	assert_non_null(strstr(err.msg, "--configure"));
}

static void test_positional_and_types(void **state)
{
	struct net_options o;
	hutch_error err = {0};
	assert_int_equal(PARSE(&o, &err, "--netns-type=path", "/run/netns/x", "eth0"), 0);
	assert_int_equal(o.netns_type, NET_NETNS_PATH);
	assert_string_equal(o.tapname, "eth0");
	net_options_free(&o);
	assert_int_equal(PARSE(&o, &err, "--netns-type=tapfd", "5"), 0);
	net_options_free(&o);

	assert_int_equal(parse_as("hutch-slirp", &o, &err, NULL), -1);
	assert_non_null(strstr(err.msg, "missing"));
	assert_int_equal(PARSE(&o, &err, "1", "tap0", "extra"), -1);
	assert_int_equal(PARSE(&o, &err, "notapid"), -1);
	assert_int_equal(PARSE(&o, &err, "0"), -1);
	assert_int_equal(PARSE(&o, &err, "--netns-type=bogus", "1"), -1);
	assert_int_equal(PARSE(&o, &err, "--netns-type=tapfd", "-c", "5"), -1);
	assert_int_equal(PARSE(&o, &err, "--netns-type=tapfd", "x"), -1);
	assert_int_equal(PARSE(&o, &err, "1", "a-very-long-interface-name"), -1);
	assert_int_equal(PARSE(&o, &err, "--bogus", "1"), -1);
	assert_non_null(strstr(err.msg, "--bogus"));
	assert_int_equal(PARSE(&o, &err, "1", "--mtu"), -1);
	assert_int_equal(PARSE(&o, &err, "--target-type=bess", "1"), -1);
	assert_int_equal(PARSE(&o, &err, "-r", "x", "1"), -1);
}

static void test_flags_and_help(void **state)
{
	struct net_options o;
	hutch_error err = {0};
	assert_int_equal(PARSE(&o, &err, "-c", "-6", "-r", "3", "-e", "4", "--disable-dns",
			       "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp",
			       "--api-socket=/tmp/x.sock", "--outbound-addr=127.0.0.1", "1"),
			 0);
	assert_true(o.configure && o.enable_ipv6 && o.disable_dns && o.disable_host_loopback);
	assert_true(o.enable_sandbox && o.enable_seccomp && o.outbound_addr_set);
	assert_int_equal(o.ready_fd, 3);
	assert_int_equal(o.exit_fd, 4);
	assert_string_equal(o.api_socket, "/tmp/x.sock");
	net_options_free(&o);
	assert_int_equal(PARSE(&o, &err, "--help"), 0);
	assert_true(o.help);
	/* The words podman and RootlessKit look for in --help. */
	const char *words[] = {"--disable-host-loopback", "--mtu",	  "--enable-sandbox",
			       "--enable-seccomp",	  "--cidr",	  "--outbound-addr",
			       "--enable-ipv6",		  "--netns-type", "--api-socket",
			       "--userns-path",		  "--disable-dns"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		assert_non_null(strstr(net_options_help(), words[i]));
	assert_int_equal(PARSE(&o, &err, "--outbound-addr=not-an-interface-x", "1"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_match_slirp4netns),
	    cmocka_unit_test(test_mtu_default_depends_on_program_name),
	    cmocka_unit_test(test_mtu_range),
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_guest_cidr),
	    cmocka_unit_test(test_cidr_and_contains),
	    cmocka_unit_test(test_outbound_allow_repeatable),
	    cmocka_unit_test(test_mac),
	    cmocka_unit_test(test_positional_and_types),
	    cmocka_unit_test(test_flags_and_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
