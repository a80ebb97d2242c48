#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* IPC parameters that the kernel keeps per IPC namespace. */
static const char *const ipc_keys[] = {
    "kernel.msgmax",	  "kernel.msgmnb",	"kernel.msgmni",      "kernel.sem",
    "kernel.shmall",	  "kernel.shmmax",	"kernel.shmmni",      "kernel.shm_rmid_forced",
    "kernel.shm_next_id", "kernel.msg_next_id", "kernel.sem_next_id",
};

static bool key_chars_ok(const char *key)
{
	if (key[0] == '\0' || key[0] == '/' || key[0] == '.')
		return false;
	for (const char *p = key; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.' ||
			  *p == '/' || *p == ':' || *p == '@';
		if (!ok)
			return false;
	}
	/* No ".." component in the path form: it would climb out of
	 * /proc/sys. */
	if (strchr(key, '/') != NULL) {
		for (const char *p = key; *p;) {
			size_t n = strcspn(p, "/");
			if ((n == 2 && strncmp(p, "..", 2) == 0) || n == 0)
				return false;
			p += n;
			if (*p == '/')
				p++;
		}
	}
	return true;
}

/* The dotted form of a key, for the namespace rules. */
static void dotted(const char *key, char *out, size_t size)
{
	snprintf(out, size, "%s", key);
	if (strchr(key, '/') != NULL)
		for (char *p = out; *p; p++)
			if (*p == '/')
				*p = '.';
}

/* A namespaced key is allowed only when the container has that namespace
 * of its own; otherwise writing it would change the host. */
static int need_own_namespace(bool have, const char *key, const char *kind, hutch_error *err)
{
	if (have)
		return 0;
	return hutch_fail_plain(err, EPERM,
				"linux.sysctl: %s needs %s namespace of the container's own (it "
				"would change the host's)",
				key, kind);
}

int sysctl_check(const char *key, const struct sysctl_namespaces *ns, hutch_error *err)
{
	if (key == NULL || !key_chars_ok(key) || strlen(key) >= PATH_MAX - 16)
		return hutch_fail_plain(err, EINVAL, "linux.sysctl: invalid key '%s'",
					key ? key : "");
	char d[PATH_MAX];
	dotted(key, d, sizeof(d));
	for (size_t i = 0; i < sizeof(ipc_keys) / sizeof(ipc_keys[0]); i++)
		if (strcmp(d, ipc_keys[i]) == 0)
			return need_own_namespace(ns->ipc, key, "an IPC", err);
	if (strncmp(d, "fs.mqueue.", 10) == 0)
		return need_own_namespace(ns->ipc, key, "an IPC", err);
	if (strncmp(d, "net.", 4) == 0)
		return need_own_namespace(ns->net, key, "a network", err);
	if (strcmp(d, "kernel.hostname") == 0 || strcmp(d, "kernel.domainname") == 0)
		return need_own_namespace(ns->uts, key, "a UTS", err);
	return hutch_fail_plain(err, EPERM,
				"linux.sysctl: %s is not namespaced: setting it would change "
				"the whole host, refused",
				key);
}

static bool ns_listed(const struct oci_config *cfg, enum oci_namespace_type t)
{
	for (size_t i = 0; i < cfg->linux_cfg.n_namespaces; i++)
		if (cfg->linux_cfg.namespaces[i].type == t)
			return true;
	return false;
}

int sysctl_check_config(const struct oci_config *cfg, hutch_error *err)
{
	struct sysctl_namespaces ns = {
	    .ipc = ns_listed(cfg, OCI_NS_IPC),
	    .net = ns_listed(cfg, OCI_NS_NETWORK),
	    .uts = ns_listed(cfg, OCI_NS_UTS),
	};
	for (size_t i = 0; i < cfg->linux_cfg.n_sysctl; i++)
		if (sysctl_check(cfg->linux_cfg.sysctl[i].key, &ns, err) < 0)
			return -1;
	return 0;
}

int sysctl_apply(const struct oci_config *cfg, hutch_error *err)
{
	for (size_t i = 0; i < cfg->linux_cfg.n_sysctl; i++) {
		const struct oci_sysctl *s = &cfg->linux_cfg.sysctl[i];
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "/proc/sys/%s", s->key);
		/* The dotted form names a path; the path form is used as is
		 * (it may hold dots, e.g. an interface "eth0.100"). */
		if (strchr(s->key, '/') == NULL)
			for (char *p = path + 10; *p; p++)
				if (*p == '.')
					*p = '/';
		_cleanup_close_ int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return hutch_fail(err, errno, "sysctl %s: open %s", s->key, path);
		/* If the config left the image's own /proc directory in place,
		 * a write here would land in a file of the image, silently. */
		struct statfs sf;
		if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
			return hutch_fail_plain(
			    err, ENOENT, "sysctl %s: %s is not on procfs (is /proc mounted?)",
			    s->key, path);
		const char *v = s->value ? s->value : "";
		if (write_all(fd, v, strlen(v)) < 0)
			return hutch_fail(err, errno, "sysctl %s: write '%s' to %s", s->key, v,
					  path);
	}
	return 0;
}
