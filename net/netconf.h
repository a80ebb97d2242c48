/* Configuring interfaces of the network namespace the calling thread is
 * in: link state, MTU and MAC with ioctls, addresses and routes with
 * rtnetlink messages built by hand (a few dozen bytes each; no library
 * needed). */
#ifndef HUTCH_NET_NETCONF_H
#define HUTCH_NET_NETCONF_H

#include <netinet/in.h>
#include <stdint.h>

#include "error.h"

/* Bring the interface up, with MTU mtu (0 keeps it) and MAC mac (NULL
 * keeps the kernel's random one). */
int netconf_link_up(const char *ifname, unsigned mtu, const uint8_t *mac, hutch_error *err);

/* Add an address: family AF_INET or AF_INET6, addr in network order. IPv6
 * addresses are added without duplicate address detection, so they are
 * usable at once rather than a second or two later. */
int netconf_add_address(const char *ifname, int family, const void *addr, unsigned prefix,
			hutch_error *err);

/* Add the default route of the family through gateway on ifname. */
int netconf_add_default_route(const char *ifname, int family, const void *gateway,
			      hutch_error *err);

#endif
