/* The OCI config model: releasing a config. Every function accepts a
 * half-parsed struct (arrays are allocated zeroed and counted at once), so
 * the parser can bail out at any error and free what it has. */
#include <stdlib.h>

#include "cleanup.h"
#include "oci-config-internal.h"
#include "oci-config.h"

static void capabilities_free(struct oci_capabilities *c)
{
	if (c == NULL)
		return;
	strv_free(c->bounding);
	strv_free(c->effective);
	strv_free(c->inheritable);
	strv_free(c->permitted);
	strv_free(c->ambient);
	free(c);
}

void oci_process_clear(struct oci_process *p)
{
	free(p->user.additional_gids);
	free(p->user.username);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	capabilities_free(p->capabilities);
	for (size_t i = 0; i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
}

void oci_process_free(struct oci_process *p)
{
	if (p == NULL)
		return;
	oci_process_clear(p);
	free(p);
}

static void seccomp_free(struct oci_seccomp *s)
{
	if (s == NULL)
		return;
	free(s->default_action);
	strv_free(s->architectures);
	strv_free(s->flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		struct oci_seccomp_syscall *sc = &s->syscalls[i];
		strv_free(sc->names);
		free(sc->action);
		for (size_t j = 0; j < sc->n_args; j++)
			free(sc->args[j].op);
		free(sc->args);
	}
	free(s->syscalls);
	free(s);
}

void oci_linux_clear(struct oci_linux *l)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	for (size_t i = 0; i < l->n_sysctl; i++) {
		free(l->sysctl[i].key);
		free(l->sysctl[i].value);
	}
	free(l->sysctl);
	seccomp_free(l->seccomp);
	free(l->rootfs_propagation);
	strv_free(l->masked_paths);
	strv_free(l->readonly_paths);
	free(l->mount_label);
}

static void mount_clear(struct oci_mount *m)
{
	free(m->destination);
	free(m->type);
	free(m->source);
	strv_free(m->options);
	free(m->uid_mappings);
	free(m->gid_mappings);
}

static void hook_clear(struct oci_hook *h)
{
	free(h->path);
	strv_free(h->args);
	strv_free(h->env);
}

void oci_config_free(struct oci_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->oci_version);
	free(cfg->root_path);
	oci_process_free(cfg->process);
	free(cfg->hostname);
	free(cfg->domainname);
	for (size_t i = 0; i < cfg->n_mounts; i++)
		mount_clear(&cfg->mounts[i]);
	free(cfg->mounts);
	for (int kind = 0; kind < OCI_HOOK_KIND_COUNT; kind++) {
		for (size_t i = 0; i < cfg->hooks.count[kind]; i++)
			hook_clear(&cfg->hooks.list[kind][i]);
		free(cfg->hooks.list[kind]);
	}
	oci_linux_clear(&cfg->linux_cfg);
	if (cfg->raw != NULL)
		json_object_put(cfg->raw);
	free(cfg);
}
