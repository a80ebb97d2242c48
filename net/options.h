/* hutch-slirp's command line: slirp4netns's options and spelling, plus
 * hutch's egress policy. Parsing is kept apart from the program so the
 * unit tests can feed it argument vectors and check every rejection. */
#ifndef HUTCH_NET_OPTIONS_H
#define HUTCH_NET_OPTIONS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define NET_MTU_MIN 68
#define NET_MTU_MIN_IPV6 1280
#define NET_MTU_MAX 65521
/* What hutch uses by itself: the largest MTU libslirp and TCP's 16-bit
 * window arithmetic handle well; fewer frames means fewer wake-ups. */
#define NET_MTU_HUTCH_DEFAULT 65520
/* slirp4netns's default, kept when the program is called by that name. */
#define NET_MTU_SLIRP4NETNS_DEFAULT 1500

enum net_netns_type {
	NET_NETNS_PID = 0, /* target is a process id */
	NET_NETNS_PATH,	   /* target is a path to a network namespace */
	NET_NETNS_TAPFD,   /* target is an open TAP file descriptor */
};

/* An IPv4 or IPv6 network. */
struct net_cidr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	unsigned prefix;
};

struct net_options {
	const char *target;  /* PID, namespace path or TAP fd */
	const char *tapname; /* interface name inside the namespace */
	enum net_netns_type netns_type;
	const char *userns_path;

	bool configure;
	int ready_fd; /* -1 when not given */
	int exit_fd;  /* -1 when not given */
	unsigned mtu;
	bool enable_ipv6;
	bool disable_host_loopback;
	bool disable_dns;
	bool enable_sandbox;
	bool enable_seccomp;
	const char *api_socket;
	const char *resolv_conf; /* private resolv.conf for slirp's DNS forwarder */

	/* The guest network: 10.0.2.0/24 unless --cidr. */
	struct in_addr network, netmask, gateway, dns, guest, dhcp_start;
	unsigned prefix;
	struct in6_addr network6, gateway6, dns6, guest6;

	bool outbound_addr_set, outbound_addr6_set;
	struct sockaddr_in outbound_addr;
	struct sockaddr_in6 outbound_addr6;

	bool macaddress_set;
	uint8_t macaddress[6];

	/* Egress policy: active when at least one --outbound-allow is given. */
	struct net_cidr *outbound_allow;
	size_t n_outbound_allow;

	bool debug;
	bool help;
	bool version;
};

/* Parse argv into opts. program_name decides the default MTU (1500 when
 * the program runs under the name slirp4netns, 65520 otherwise). On
 * success with --help/--version, opts->help/opts->version is set and the
 * positional arguments may be missing. Free with net_options_free(). */
int net_options_parse(int argc, char **argv, const char *program_name, struct net_options *opts,
		      hutch_error *err);
void net_options_free(struct net_options *opts);

/* The building blocks, exposed for the unit tests and the API socket. */
int net_parse_cidr(const char *s, struct net_cidr *out, hutch_error *err);
int net_parse_guest_cidr(const char *s, struct in_addr *network, unsigned *prefix,
			 hutch_error *err);
int net_parse_mtu(const char *s, unsigned *out, hutch_error *err);
int net_parse_port(const char *s, uint16_t *out, hutch_error *err);
int net_parse_fd(const char *s, int *out, hutch_error *err);
int net_parse_mac(const char *s, uint8_t mac[6], hutch_error *err);
/* An address literal of either family; sets *family. */
int net_parse_address(const char *s, int *family, struct in_addr *v4, struct in6_addr *v6,
		      hutch_error *err);

/* True when addr (family AF_INET/AF_INET6, in network byte order) is
 * inside the network. */
bool net_cidr_contains(const struct net_cidr *net, int family, const void *addr);

/* The text of --help. */
const char *net_options_help(void);

#endif
