#include "netconf.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

int netconf_link_up(const char *ifname, unsigned mtu, const uint8_t *mac, hutch_error *err)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hutch_fail(err, errno, "socket for configuring %s", ifname);
	struct ifreq ifr = {0};
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (mac != NULL) {
		/* The MAC can only change while the link is down, so it goes
		 * first. */
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
		if (ioctl(fd, SIOCSIFHWADDR, &ifr) < 0)
			return hutch_fail(err, errno, "set MAC address of %s", ifname);
	}
	if (mtu != 0) {
		ifr.ifr_mtu = (int)mtu;
		if (ioctl(fd, SIOCSIFMTU, &ifr) < 0)
			return hutch_fail(err, errno, "set MTU %u on %s", mtu, ifname);
	}
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return hutch_fail(err, errno, "get flags of %s", ifname);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return hutch_fail(err, errno, "bring %s up", ifname);
	return 0;
}

/* One rtnetlink request with room for a few attributes. */
struct nl_request {
	struct nlmsghdr hdr;
	union {
		struct ifaddrmsg ifa;
		struct rtmsg rt;
	} body;
	char attrs[128];
};

static void nl_put_attr(struct nl_request *req, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->hdr.nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->hdr.nlmsg_len = NLMSG_ALIGN(req->hdr.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Send the request and wait for the kernel's acknowledgement, which
 * carries the errno of the operation (0 on success). */
static int nl_transact(struct nl_request *req, const char *what, hutch_error *err)
{
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return hutch_fail(err, errno, "netlink socket for %s", what);
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	req->hdr.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->hdr.nlmsg_seq = 1;
	if (sendto(fd, req, req->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return hutch_fail(err, errno, "netlink send for %s", what);
	char buf[4096];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hutch_fail(err, errno, "netlink receive for %s", what);
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = NLMSG_DATA(h);
			if (e->error != 0)
				return hutch_fail(err, -e->error, "%s", what);
			return 0;
		}
	}
}

int netconf_add_address(const char *ifname, int family, const void *addr, unsigned prefix,
			hutch_error *err)
{
	unsigned index = if_nametoindex(ifname);
	if (index == 0)
		return hutch_fail(err, errno, "find interface %s", ifname);
	struct nl_request req = {0};
	req.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.hdr.nlmsg_type = RTM_NEWADDR;
	req.hdr.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	req.body.ifa.ifa_family = (unsigned char)family;
	req.body.ifa.ifa_prefixlen = (unsigned char)prefix;
	req.body.ifa.ifa_index = index;
	size_t len = family == AF_INET ? 4 : 16;
	nl_put_attr(&req, IFA_LOCAL, addr, len);
	nl_put_attr(&req, IFA_ADDRESS, addr, len);
	if (family == AF_INET) {
		uint32_t a;
		memcpy(&a, addr, 4);
		uint32_t host_mask = prefix >= 32 ? 0 : 0xffffffffu >> prefix;
		uint32_t brd = a | htonl(host_mask);
		nl_put_attr(&req, IFA_BROADCAST, &brd, 4);
	} else {
		uint32_t flags = IFA_F_NODAD;
		nl_put_attr(&req, IFA_FLAGS, &flags, sizeof(flags));
	}
	if (nl_transact(&req, "add address", err) < 0)
		return hutch_error_prefix(err, "%s", ifname);
	return 0;
}

int netconf_add_default_route(const char *ifname, int family, const void *gateway, hutch_error *err)
{
	unsigned index = if_nametoindex(ifname);
	if (index == 0)
		return hutch_fail(err, errno, "find interface %s", ifname);
	struct nl_request req = {0};
	req.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.hdr.nlmsg_type = RTM_NEWROUTE;
	req.hdr.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	req.body.rt.rtm_family = (unsigned char)family;
	req.body.rt.rtm_table = RT_TABLE_MAIN;
	req.body.rt.rtm_protocol = RTPROT_BOOT;
	req.body.rt.rtm_scope = RT_SCOPE_UNIVERSE;
	req.body.rt.rtm_type = RTN_UNICAST;
	nl_put_attr(&req, RTA_GATEWAY, gateway, family == AF_INET ? 4 : 16);
	uint32_t oif = index;
	nl_put_attr(&req, RTA_OIF, &oif, sizeof(oif));
	if (nl_transact(&req, "add default route", err) < 0)
		return hutch_error_prefix(err, "%s", ifname);
	return 0;
}
