/* Unit tests for the API request parser of hutch-slirp: slirp4netns's
 * request shapes and every class of malformed request. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api-request.h"
#include "options.h"

static struct net_options opts;

static int setup(void **state)
{
	char *argv[] = {"hutch-slirp", "1", NULL};
	hutch_error err = {0};
	return net_options_parse(2, argv, "hutch-slirp", &opts, &err);
}

static int setup_ipv6(void **state)
{
	char *argv[] = {"hutch-slirp", "-6", "1", NULL};
	hutch_error err = {0};
	return net_options_parse(3, argv, "hutch-slirp", &opts, &err);
}

static int parse(const char *json, struct api_request *req, hutch_error *err)
{
	hutch_error_clear(err);
	return api_request_parse(json, strlen(json), &opts, req, err);
}

static void expect_error(const char *json, const char *fragment)
{
	struct api_request req;
	hutch_error err = {0};
	if (parse(json, &req, &err) != -1)
		fail_msg("accepted: %s", json);
	if (strstr(err.msg, fragment) == NULL)
		fail_msg("error for %s is \"%s\", expected \"%s\"", json, err.msg, fragment);
}

static void test_add_documented_shape(void **state)
{
	struct api_request req;
	hutch_error err = {0};
	assert_int_equal(parse("{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", "
			       "\"host_addr\": \"127.0.0.1\", \"host_port\": 8080, \"guest_addr\": "
			       "\"10.0.2.100\", \"guest_port\": 80}}",
			       &req, &err),
			 0);
	assert_int_equal(req.command, API_ADD_HOSTFWD);
	assert_false(req.udp);
	assert_int_equal(req.mode, API_MODE_SLIRP);
	char addr[64];
	int port;
	api_sockaddr_text(&req.host, addr, sizeof(addr), &port);
	assert_string_equal(addr, "127.0.0.1");
	assert_int_equal(port, 8080);
	api_sockaddr_text(&req.guest, addr, sizeof(addr), &port);
	assert_string_equal(addr, "10.0.2.100");
	assert_int_equal(port, 80);
}

static void test_add_defaults(void **state)
{
	struct api_request req;
	hutch_error err = {0};
	assert_int_equal(parse("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\","
			       "\"host_port\":5353,\"guest_port\":53,\"mode\":\"socket\"}}",
			       &req, &err),
			 0);
	assert_true(req.udp);
	assert_int_equal(req.mode, API_MODE_SOCKET);
	assert_false(req.keep_source);
	char addr[64];
	int port;
	api_sockaddr_text(&req.host, addr, sizeof(addr), &port);
	assert_string_equal(addr, "0.0.0.0");
	api_sockaddr_text(&req.guest, addr, sizeof(addr), &port);
	assert_string_equal(addr, "10.0.2.100");
	/* podman spells "not given" as an empty string. */
	assert_int_equal(parse("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
			       "\"host_addr\":\"\",\"host_port\":8080,\"guest_addr\":\"\","
			       "\"guest_port\":80}}",
			       &req, &err),
			 0);
	api_sockaddr_text(&req.host, addr, sizeof(addr), &port);
	assert_string_equal(addr, "0.0.0.0");
	api_sockaddr_text(&req.guest, addr, sizeof(addr), &port);
	assert_string_equal(addr, "10.0.2.100");
	/* An IPv6 host address defaults to the guest's IPv6 address. */
	assert_int_equal(parse("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
			       "\"host_addr\":\"::1\",\"host_port\":1,\"guest_port\":2,"
			       "\"mode\":\"socket\"}}",
			       &req, &err),
			 0);
	api_sockaddr_text(&req.guest, addr, sizeof(addr), &port);
	assert_string_equal(addr, "fd00::100");
}

static void test_list_and_remove(void **state)
{
	struct api_request req;
	hutch_error err = {0};
	assert_int_equal(parse("{\"execute\":\"list_hostfwd\"}", &req, &err), 0);
	assert_int_equal(req.command, API_LIST_HOSTFWD);
	assert_int_equal(
	    parse(" {\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":42}}\n", &req, &err), 0);
	assert_int_equal(req.command, API_REMOVE_HOSTFWD);
	assert_int_equal(req.id, 42);
}

static void test_malformed_requests(void **state)
{
	expect_error("", "unexpected end");
	expect_error("{\"execute\":", "unexpected end");
	expect_error("{execute: list_hostfwd}", "invalid JSON");
	expect_error("{\"execute\":\"list_hostfwd\"} trailing", "trailing data");
	expect_error("[\"list_hostfwd\"]", "expected a JSON object");
	expect_error("42\n", "expected a JSON object");
	expect_error("{}", "execute: missing required field");
	expect_error("{\"execute\":7}", "execute: expected a string");
	expect_error("{\"execute\":\"reboot\"}", "unknown command");
	expect_error("{\"execute\":\"list_hostfwd\",\"arguments\":[]}", "arguments: expected");
	expect_error("{\"execute\":\"add_hostfwd\"}", "arguments: missing");
	/* slirp4netns crashes on this one. */
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"host_port\":8080,"
		     "\"guest_port\":80}}",
		     "arguments.proto: missing");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"sctp\","
		     "\"host_port\":8080,\"guest_port\":80}}",
		     "neither \"tcp\" nor \"udp\"");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":1,"
		     "\"host_port\":8080,\"guest_port\":80}}",
		     "arguments.proto: expected a string");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"guest_port\":80}}",
		     "arguments.host_port: missing");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_port\":8080}}",
		     "arguments.guest_port: missing");
	/* slirp4netns accepts this one. */
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_port\":91535,\"guest_port\":80}}",
		     "91535 is not a port");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_port\":0,\"guest_port\":80}}",
		     "0 is not a port");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_port\":80,\"guest_port\":-1}}",
		     "-1 is not a port");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_port\":\"80\",\"guest_port\":80}}",
		     "arguments.host_port: expected an integer");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_port\":80.5,\"guest_port\":80}}",
		     "arguments.host_port: expected an integer");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_port\":99999999999999999999999,\"guest_port\":80}}",
		     "host_port");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_addr\":\"localhost\",\"host_port\":80,\"guest_port\":80}}",
		     "arguments.host_addr: \"localhost\" is not an IP address");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_addr\":\"127.0.0.1\",\"host_port\":80,\"guest_addr\":\"10.0.2\","
		     "\"guest_port\":80}}",
		     "arguments.guest_addr");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_addr\":12,\"host_port\":80,\"guest_port\":80}}",
		     "arguments.host_addr: expected a string");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_port\":80,\"guest_port\":80,\"mode\":\"fast\"}}",
		     "arguments.mode");
	/* IPv6 through slirp needs --enable-ipv6. */
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_addr\":\"::1\",\"host_port\":80,\"guest_port\":80}}",
		     "--enable-ipv6");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_port\":80,\"guest_port\":80,\"keep_source\":true}}",
		     "keep_source needs");
	expect_error("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
		     "\"host_port\":80,\"guest_port\":80,\"mode\":\"socket\",\"keep_source\":1}}",
		     "arguments.keep_source: expected true or false");
	expect_error("{\"execute\":\"remove_hostfwd\",\"arguments\":{}}", "arguments.id: missing");
	expect_error("{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":\"1\"}}",
		     "arguments.id: expected an integer");
	expect_error("{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":0}}", "not an id");
}

static void test_oversized_request(void **state)
{
	char big[API_REQUEST_MAX + 64];
	int n = snprintf(big, sizeof(big), "{\"execute\":\"list_hostfwd\",\"pad\":\"");
	memset(big + n, 'x', sizeof(big) - (size_t)n - 3);
	strcpy(big + sizeof(big) - 3, "\"}");
	expect_error(big, "larger than 4096");
}

static void test_ipv6_with_enable_ipv6(void **state)
{
	struct api_request req;
	hutch_error err = {0};
	assert_int_equal(parse("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
			       "\"host_addr\":\"::\",\"host_port\":8080,\"guest_port\":80}}",
			       &req, &err),
			 0);
	assert_int_equal(req.host.ss_family, AF_INET6);
	assert_int_equal(req.guest.ss_family, AF_INET6);
}

static int teardown(void **state)
{
	net_options_free(&opts);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_documented_shape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_and_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversized_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_with_enable_ipv6, setup_ipv6, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
