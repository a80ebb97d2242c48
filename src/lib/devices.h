/* The container's /dev: the default device set (null, zero, full, random,
 * urandom, tty), linux.devices, the /dev symlinks and /dev/shm.
 *
 * Real root in the initial user namespace makes the nodes with mknod. In a
 * user namespace the kernel forbids mknod of devices, so each node is an
 * empty file with the host's node bind-mounted on it (as runc and crun do
 * rootless): the container gets exactly the devices its owner can open. */
#ifndef HUTCH_DEVICES_H
#define HUTCH_DEVICES_H

#include "error.h"
#include "mount-util.h"

/* The default devices every container gets (a linux.devices entry with the
 * same path replaces one). */
struct default_device {
	const char *path;
	char type;
	unsigned int major, minor;
};
extern const struct default_device default_devices[];
extern const size_t n_default_devices;

/* Make the devices, symlinks and /dev/shm under env->rootfd. Nothing is
 * done when the config bind-mounts a /dev of its own (writing device nodes
 * there would write them into the host's directory). */
int devices_setup(const struct rootfs_env *env, hutch_error *err);

#endif
