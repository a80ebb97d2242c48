#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* podman and RootlessKit decide which features to use by grepping this
 * text for the option names, so every slirp4netns option keeps its exact
 * spelling here. */
static const char help_text[] =
    "Usage: hutch-slirp [OPTION]... PID|PATH|FD [TAPNAME]\n"
    "User-mode networking (libslirp) for an unprivileged network namespace.\n"
    "\n"
    "-c, --configure          bring up the interface (address, route, MTU)\n"
    "-e, --exit-fd=FD         exit when FD is closed or becomes readable\n"
    "-r, --ready-fd=FD        write \"1\" to FD when the network is configured\n"
    "-m, --mtu=MTU            specify MTU (default=65520, 1500 as slirp4netns, max=65521)\n"
    "-6, --enable-ipv6        enable IPv6 (fd00::/64)\n"
    "-a, --api-socket=PATH    specify API socket path\n"
    "--cidr=CIDR              specify network address CIDR (default=10.0.2.0/24)\n"
    "--disable-host-loopback  prohibit connecting to 127.0.0.1:* on the host namespace\n"
    "--netns-type=TYPE        specify network namespace type ([path|pid|tapfd], default=pid)\n"
    "--userns-path=PATH       specify user namespace path\n"
    "--enable-sandbox         create a new mount namespace with an empty root and drop "
    "capabilities\n"
    "--enable-seccomp         enable seccomp to limit syscalls\n"
    "--outbound-addr=IPv4     sets outbound ipv4 address (or interface) to bound to\n"
    "--outbound-addr6=IPv6    sets outbound ipv6 address (or interface) to bound to\n"
    "--disable-dns            disables 10.0.2.3 (or configured internal ip) to host dns "
    "redirect\n"
    "--macaddress=MAC         specify the MAC address of the TAP (only valid with -c)\n"
    "--target-type=TYPE       specify the target type ([netns], default=netns)\n"
    "--outbound-allow=CIDR    allow guest connections only to these networks (repeatable);\n"
    "                         everything else is refused and logged\n"
    "--resolv-conf=FILE       forward DNS to the name servers of FILE instead of "
    "/etc/resolv.conf\n"
    "--debug                  log debug messages\n"
    "-h, --help               show this help and exit\n"
    "-v, --version            show version and exit\n";

const char *net_options_help(void)
{
	return help_text;
}

enum {
	OPT_CIDR = 0x100,
	OPT_DISABLE_HOST_LOOPBACK,
	OPT_NETNS_TYPE,
	OPT_USERNS_PATH,
	OPT_ENABLE_SANDBOX,
	OPT_ENABLE_SECCOMP,
	OPT_OUTBOUND_ADDR,
	OPT_OUTBOUND_ADDR6,
	OPT_DISABLE_DNS,
	OPT_MACADDRESS,
	OPT_TARGET_TYPE,
	OPT_OUTBOUND_ALLOW,
	OPT_RESOLV_CONF,
	OPT_DEBUG,
};

static const struct option long_options[] = {
    {"configure", no_argument, NULL, 'c'},
    {"exit-fd", required_argument, NULL, 'e'},
    {"ready-fd", required_argument, NULL, 'r'},
    {"mtu", required_argument, NULL, 'm'},
    {"enable-ipv6", no_argument, NULL, '6'},
    {"api-socket", required_argument, NULL, 'a'},
    {"cidr", required_argument, NULL, OPT_CIDR},
    {"disable-host-loopback", no_argument, NULL, OPT_DISABLE_HOST_LOOPBACK},
    {"netns-type", required_argument, NULL, OPT_NETNS_TYPE},
    {"userns-path", required_argument, NULL, OPT_USERNS_PATH},
    {"enable-sandbox", no_argument, NULL, OPT_ENABLE_SANDBOX},
    {"enable-seccomp", no_argument, NULL, OPT_ENABLE_SECCOMP},
    {"outbound-addr", required_argument, NULL, OPT_OUTBOUND_ADDR},
    {"outbound-addr6", required_argument, NULL, OPT_OUTBOUND_ADDR6},
    {"disable-dns", no_argument, NULL, OPT_DISABLE_DNS},
    {"macaddress", required_argument, NULL, OPT_MACADDRESS},
    {"target-type", required_argument, NULL, OPT_TARGET_TYPE},
    {"outbound-allow", required_argument, NULL, OPT_OUTBOUND_ALLOW},
    {"resolv-conf", required_argument, NULL, OPT_RESOLV_CONF},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

/* A decimal number in [min, max] with nothing after it. */
static int parse_ulong_range(const char *s, unsigned long min, unsigned long max,
			     unsigned long *out)
{
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	char *end = NULL;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int net_parse_mtu(const char *s, unsigned *out, hutch_error *err)
{
	unsigned long v;
	if (parse_ulong_range(s, NET_MTU_MIN, NET_MTU_MAX, &v) < 0)
		return hutch_fail_plain(err, EINVAL, "invalid MTU \"%s\": expected %d to %d", s,
					NET_MTU_MIN, NET_MTU_MAX);
	*out = (unsigned)v;
	return 0;
}

int net_parse_port(const char *s, uint16_t *out, hutch_error *err)
{
	unsigned long v;
	if (parse_ulong_range(s, 1, 65535, &v) < 0)
		return hutch_fail_plain(err, EINVAL, "invalid port \"%s\": expected 1 to 65535", s);
	*out = (uint16_t)v;
	return 0;
}

int net_parse_fd(const char *s, int *out, hutch_error *err)
{
	unsigned long v;
	if (parse_ulong_range(s, 0, INT_MAX, &v) < 0)
		return hutch_fail_plain(err, EINVAL, "invalid file descriptor \"%s\"", s);
	*out = (int)v;
	return 0;
}

int net_parse_mac(const char *s, uint8_t mac[6], hutch_error *err)
{
	unsigned v[6];
	char tail;
	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
				      &v[4], &v[5], &tail) != 6)
		return hutch_fail_plain(
		    err, EINVAL, "invalid MAC address \"%s\": expected xx:xx:xx:xx:xx:xx", s);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	/* A multicast or all-zero address cannot be an interface's address. */
	if ((mac[0] & 1) != 0 || (v[0] | v[1] | v[2] | v[3] | v[4] | v[5]) == 0)
		return hutch_fail_plain(err, EINVAL,
					"invalid MAC address \"%s\": not a unicast address", s);
	return 0;
}

int net_parse_address(const char *s, int *family, struct in_addr *v4, struct in6_addr *v6,
		      hutch_error *err)
{
	if (s != NULL && inet_pton(AF_INET, s, v4) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (s != NULL && inet_pton(AF_INET6, s, v6) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return hutch_fail_plain(err, EINVAL, "invalid IP address \"%s\"", s ? s : "(null)");
}

int net_parse_cidr(const char *s, struct net_cidr *out, hutch_error *err)
{
	char buf[INET6_ADDRSTRLEN + 8];
	if (strlen(s) >= sizeof(buf))
		return hutch_fail_plain(err, EINVAL, "invalid network \"%s\"", s);
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	struct net_cidr c = {0};
	if (net_parse_address(buf, &c.family, &c.addr.v4, &c.addr.v6, NULL) < 0)
		return hutch_fail_plain(err, EINVAL, "invalid network \"%s\": bad address", s);
	unsigned long max = c.family == AF_INET ? 32 : 128, prefix = max;
	if (slash != NULL && parse_ulong_range(slash + 1, 0, max, &prefix) < 0)
		return hutch_fail_plain(err, EINVAL,
					"invalid network \"%s\": prefix must be 0 to %lu", s, max);
	c.prefix = (unsigned)prefix;
	/* Host bits set ("10.0.2.5/24") are almost always a typo for
	 * something else: refuse rather than guess. */
	const uint8_t *bytes =
	    c.family == AF_INET ? (const uint8_t *)&c.addr.v4 : c.addr.v6.s6_addr;
	for (unsigned bit = c.prefix; bit < max; bit++) {
		if (bytes[bit / 8] & (0x80 >> (bit % 8)))
			return hutch_fail_plain(
			    err, EINVAL, "invalid network \"%s\": address has bits set past /%u", s,
			    c.prefix);
	}
	*out = c;
	return 0;
}

bool net_cidr_contains(const struct net_cidr *net, int family, const void *addr)
{
	if (family != net->family)
		return false;
	const uint8_t *a = addr;
	const uint8_t *n =
	    net->family == AF_INET ? (const uint8_t *)&net->addr.v4 : net->addr.v6.s6_addr;
	unsigned full = net->prefix / 8, rest = net->prefix % 8;
	if (memcmp(a, n, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00 >> rest);
	return (a[full] & mask) == (n[full] & mask);
}

int net_parse_guest_cidr(const char *s, struct in_addr *network, unsigned *prefix, hutch_error *err)
{
	struct net_cidr c;
	if (net_parse_cidr(s, &c, err) < 0)
		return -1;
	if (c.family != AF_INET || strchr(s, '/') == NULL)
		return hutch_fail_plain(err, EINVAL,
					"invalid CIDR \"%s\": expected an IPv4 network such as "
					"10.0.2.0/24",
					s);
	/* The guest takes network+100, so the network needs at least 128
	 * addresses; a /0 would swallow the host's own networks. */
	if (c.prefix < 8 || c.prefix > 25)
		return hutch_fail_plain(err, EINVAL, "invalid CIDR \"%s\": prefix must be 8 to 25",
					s);
	*network = c.addr.v4;
	*prefix = c.prefix;
	return 0;
}

/* --outbound-addr accepts an address or an interface name whose first
 * address of the family is used. */
static int parse_outbound(const char *s, int family, void *sa, hutch_error *err)
{
	struct sockaddr_in *sin = sa;
	struct sockaddr_in6 *sin6 = sa;
	if (family == AF_INET && inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return 0;
	}
	if (family == AF_INET6 && inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	if (strlen(s) >= IFNAMSIZ)
		return hutch_fail_plain(err, EINVAL, "invalid outbound address \"%s\"", s);
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) < 0)
		return hutch_fail(err, errno, "list interfaces for outbound address %s", s);
	int found = -1;
	for (struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    strcmp(i->ifa_name, s) != 0)
			continue;
		memcpy(sa, i->ifa_addr,
		       family == AF_INET ? sizeof(struct sockaddr_in)
					 : sizeof(struct sockaddr_in6));
		found = 0;
		break;
	}
	freeifaddrs(ifa);
	if (found < 0)
		return hutch_fail_plain(err, EINVAL,
					"invalid outbound address \"%s\": neither an IPv%d address "
					"nor an interface with one",
					s, family == AF_INET ? 4 : 6);
	return 0;
}

static void derive_addresses(struct net_options *o)
{
	uint32_t net = ntohl(o->network.s_addr);
	uint32_t mask = o->prefix == 0 ? 0 : 0xffffffffu << (32 - o->prefix);
	o->netmask.s_addr = htonl(mask);
	o->gateway.s_addr = htonl(net + 2);
	o->dns.s_addr = htonl(net + 3);
	o->dhcp_start.s_addr = htonl(net + 15);
	o->guest.s_addr = htonl(net + 100);
	inet_pton(AF_INET6, "fd00::", &o->network6);
	inet_pton(AF_INET6, "fd00::2", &o->gateway6);
	inet_pton(AF_INET6, "fd00::3", &o->dns6);
	inet_pton(AF_INET6, "fd00::100", &o->guest6);
}

static int add_outbound_allow(struct net_options *o, const char *s, hutch_error *err)
{
	struct net_cidr c;
	if (net_parse_cidr(s, &c, err) < 0)
		return hutch_error_prefix(err, "--outbound-allow");
	struct net_cidr *v = realloc(o->outbound_allow, (o->n_outbound_allow + 1) * sizeof(*v));
	if (v == NULL)
		return hutch_fail(err, ENOMEM, "--outbound-allow");
	v[o->n_outbound_allow++] = c;
	o->outbound_allow = v;
	return 0;
}

static int parse_one(struct net_options *o, int c, const char *arg, bool *mtu_given,
		     hutch_error *err)
{
	switch (c) {
	case 'c':
		o->configure = true;
		return 0;
	case 'e':
		return net_parse_fd(arg, &o->exit_fd, err);
	case 'r':
		return net_parse_fd(arg, &o->ready_fd, err);
	case 'm':
		*mtu_given = true;
		return net_parse_mtu(arg, &o->mtu, err);
	case '6':
		o->enable_ipv6 = true;
		return 0;
	case 'a':
		if (*arg == '\0')
			return hutch_fail_plain(err, EINVAL, "--api-socket: empty path");
		o->api_socket = arg;
		return 0;
	case OPT_CIDR:
		return net_parse_guest_cidr(arg, &o->network, &o->prefix, err);
	case OPT_DISABLE_HOST_LOOPBACK:
		o->disable_host_loopback = true;
		return 0;
	case OPT_NETNS_TYPE:
		if (strcmp(arg, "pid") == 0)
			o->netns_type = NET_NETNS_PID;
		else if (strcmp(arg, "path") == 0)
			o->netns_type = NET_NETNS_PATH;
		else if (strcmp(arg, "tapfd") == 0)
			o->netns_type = NET_NETNS_TAPFD;
		else
			return hutch_fail_plain(err, EINVAL,
						"invalid --netns-type \"%s\": expected pid, path "
						"or tapfd",
						arg);
		return 0;
	case OPT_USERNS_PATH:
		o->userns_path = arg;
		return 0;
	case OPT_ENABLE_SANDBOX:
		o->enable_sandbox = true;
		return 0;
	case OPT_ENABLE_SECCOMP:
		o->enable_seccomp = true;
		return 0;
	case OPT_OUTBOUND_ADDR:
		o->outbound_addr_set = true;
		return parse_outbound(arg, AF_INET, &o->outbound_addr, err);
	case OPT_OUTBOUND_ADDR6:
		o->outbound_addr6_set = true;
		return parse_outbound(arg, AF_INET6, &o->outbound_addr6, err);
	case OPT_DISABLE_DNS:
		o->disable_dns = true;
		return 0;
	case OPT_MACADDRESS:
		o->macaddress_set = true;
		return net_parse_mac(arg, o->macaddress, err);
	case OPT_TARGET_TYPE:
		if (strcmp(arg, "netns") != 0)
			return hutch_fail_plain(
			    err, EINVAL, "unsupported --target-type \"%s\": only netns", arg);
		return 0;
	case OPT_OUTBOUND_ALLOW:
		return add_outbound_allow(o, arg, err);
	case OPT_RESOLV_CONF:
		o->resolv_conf = arg;
		return 0;
	case OPT_DEBUG:
		o->debug = true;
		return 0;
	case 'h':
		o->help = true;
		return 0;
	case 'v':
		o->version = true;
		return 0;
	default:
		return hutch_fail_plain(err, EINVAL, "unknown option (see --help)");
	}
}

int net_options_parse(int argc, char **argv, const char *program_name, struct net_options *o,
		      hutch_error *err)
{
	*o = (struct net_options){.ready_fd = -1, .exit_fd = -1, .prefix = 24};
	inet_pton(AF_INET, "10.0.2.0", &o->network);
	bool mtu_given = false;

	/* getopt keeps state in globals: start over for every call (the
	 * unit tests parse many vectors) and report errors ourselves. */
	optind = 0;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "ce:r:m:6a:hv", long_options, NULL)) != -1) {
		if (c == '?' || c == ':') {
			const char *bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
			net_options_free(o);
			return hutch_fail_plain(err, EINVAL, "%s: %s (see --help)", bad,
						c == ':' ? "missing argument" : "unknown option");
		}
		if (parse_one(o, c, optarg, &mtu_given, err) < 0) {
			net_options_free(o);
			return -1;
		}
	}
	if (o->help || o->version)
		return 0;

	if (!mtu_given) {
		const char *base = strrchr(program_name, '/');
		base = base ? base + 1 : program_name;
		o->mtu = strcmp(base, "slirp4netns") == 0 ? NET_MTU_SLIRP4NETNS_DEFAULT
							  : NET_MTU_HUTCH_DEFAULT;
	}
	int npos = argc - optind;
	const char *fail = NULL;
	if (npos < 1)
		fail = "missing PID|PATH argument";
	else if (npos > 2)
		fail = "too many arguments";
	else if (o->enable_ipv6 && o->mtu < NET_MTU_MIN_IPV6)
		fail = "IPv6 needs an MTU of at least 1280";
	else if (o->macaddress_set && !o->configure)
		fail = "--macaddress needs --configure";
	else if (o->netns_type == NET_NETNS_TAPFD && o->configure)
		fail = "--configure cannot be used with --netns-type=tapfd";
	else if (o->netns_type == NET_NETNS_TAPFD && o->userns_path != NULL)
		fail = "--userns-path cannot be used with --netns-type=tapfd";
	if (fail != NULL) {
		net_options_free(o);
		return hutch_fail_plain(err, EINVAL, "%s (see --help)", fail);
	}
	o->target = argv[optind];
	o->tapname = npos == 2 ? argv[optind + 1] : "tap0";
	if (o->netns_type == NET_NETNS_PID) {
		unsigned long pid;
		if (parse_ulong_range(o->target, 1, INT_MAX, &pid) < 0) {
			net_options_free(o);
			return hutch_fail_plain(err, EINVAL, "invalid PID \"%s\"", o->target);
		}
	} else if (o->netns_type == NET_NETNS_TAPFD) {
		int fd;
		if (net_parse_fd(o->target, &fd, err) < 0) {
			net_options_free(o);
			return -1;
		}
	}
	if (strlen(o->tapname) == 0 || strlen(o->tapname) >= IFNAMSIZ ||
	    strchr(o->tapname, '/') != NULL) {
		net_options_free(o);
		return hutch_fail_plain(err, EINVAL, "invalid interface name \"%s\"", o->tapname);
	}
	derive_addresses(o);
	return 0;
}

void net_options_free(struct net_options *o)
{
	free(o->outbound_allow);
	o->outbound_allow = NULL;
	o->n_outbound_allow = 0;
}
