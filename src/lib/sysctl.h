/* linux.sysctl: kernel parameters written under the container's /proc/sys.
 *
 * Only parameters that belong to one of the container's own namespaces are
 * allowed; any other one would change the whole host, so it is refused
 * before the container is built, with the reason. */
#ifndef HUTCH_SYSCTL_H
#define HUTCH_SYSCTL_H

#include <stdbool.h>

#include "error.h"
#include "oci-config.h"

/* The namespaces of the container a sysctl may belong to. */
struct sysctl_namespaces {
	bool ipc; /* kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* */
	bool net; /* net.* */
	bool uts; /* kernel.hostname, kernel.domainname */
};

/* Check one key ("net.ipv4.ip_forward", or the path form
 * "net/ipv4/ip_forward") against the namespaces the container has. */
int sysctl_check(const char *key, const struct sysctl_namespaces *ns, hutch_error *err);

/* Check every key of the config. A namespace counts when the config lists
 * it, created or joined by path: a joined one (a pod's network namespace,
 * podman's rootless network) belongs to the container just the same, and
 * the kernel checks the writer's privilege over it anyway. */
int sysctl_check_config(const struct oci_config *cfg, hutch_error *err);

/* Write every sysctl of the config under /proc/sys (in the container, after
 * pivot_root); refuses to write to anything that is not procfs. */
int sysctl_apply(const struct oci_config *cfg, hutch_error *err);

#endif
