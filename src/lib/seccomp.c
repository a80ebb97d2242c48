/* linux.seccomp turned into a libseccomp filter and loaded.
 *
 * The translation follows runc where the runtime-spec leaves room, so
 * profiles written for Docker, podman and Kubernetes behave the same:
 * rules whose action equals the default are dropped (libseccomp refuses
 * them), syscalls unknown to this libseccomp are skipped (a newer profile on
 * an older library), and several conditions on the same argument index
 * become separate rules (ORed) instead of one impossible AND. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "seccomp.h"

#define SECCOMP_MAX_ARGS 6

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx != NULL)
		seccomp_release(*ctx);
}
#define _cleanup_seccomp_ __attribute__((cleanup(seccomp_releasep)))

static int add_architectures(scmp_filter_ctx ctx, const struct oci_seccomp *sec, hutch_error *err)
{
	for (size_t i = 0; i < sec->n_architectures; i++) {
		uint32_t arch;
		if (seccomp_arch_from_name(sec->architectures[i], &arch) < 0)
			return hutch_fail_plain(err, EINVAL,
						"linux.seccomp.architectures[%zu]: unknown "
						"architecture '%s'",
						i, sec->architectures[i]);
		int r = seccomp_arch_add(ctx, arch);
		/* The native architecture is in every new filter already. */
		if (r < 0 && r != -EEXIST)
			return hutch_fail(err, -r, "seccomp: add architecture %s",
					  sec->architectures[i]);
	}
	return 0;
}

static int set_flags(scmp_filter_ctx ctx, const struct oci_seccomp *sec, hutch_error *err)
{
	for (size_t i = 0; i < sec->n_flags; i++) {
		enum scmp_filter_attr attr;
		int r = seccomp_flag_from_name(sec->flags[i], &attr);
		if (r == -1)
			return hutch_fail_plain(err, EINVAL,
						"linux.seccomp.flags[%zu]: unknown flag '%s'", i,
						sec->flags[i]);
		if (r == -2)
			return hutch_fail_plain(err, EOPNOTSUPP,
						"linux.seccomp.flags[%zu]: %s is not supported by "
						"libseccomp %d.%d",
						i, sec->flags[i], SCMP_VER_MAJOR, SCMP_VER_MINOR);
		r = seccomp_attr_set(ctx, attr, 1);
		if (r < 0)
			return hutch_fail(err, -r, "seccomp: set flag %s", sec->flags[i]);
	}
	return 0;
}

/* Fill cmps from a rule's args; *same_index_repeated tells whether two
 * conditions name the same argument. */
static int build_conditions(const struct oci_seccomp_syscall *sc, size_t rule_index,
			    struct scmp_arg_cmp *cmps, bool *same_index_repeated, hutch_error *err)
{
	unsigned int seen = 0;
	*same_index_repeated = false;
	for (size_t i = 0; i < sc->n_args; i++) {
		const struct oci_seccomp_arg *a = &sc->args[i];
		enum scmp_compare op;
		if (a->index >= SECCOMP_MAX_ARGS)
			return hutch_fail_plain(
			    err, EINVAL,
			    "linux.seccomp.syscalls[%zu].args[%zu].index: %u is "
			    "out of range (0-5)",
			    rule_index, i, a->index);
		if (a->op == NULL || seccomp_op_from_name(a->op, &op) < 0)
			return hutch_fail_plain(err, EINVAL,
						"linux.seccomp.syscalls[%zu].args[%zu].op: unknown "
						"operator '%s'",
						rule_index, i, a->op != NULL ? a->op : "");
		if (seen & (1u << a->index))
			*same_index_repeated = true;
		seen |= 1u << a->index;
		/* MASKED_EQ compares (arg & value) with valueTwo; the other
		 * operators compare the argument with value alone. */
		cmps[i] = (struct scmp_arg_cmp){
		    .arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two};
	}
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct oci_seccomp_syscall *sc, size_t rule_index,
		    uint32_t action, const char *name, hutch_error *err)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR) {
		log_debug("seccomp: syscall %s is unknown to libseccomp %d.%d, rule skipped", name,
			  SCMP_VER_MAJOR, SCMP_VER_MINOR);
		return 0;
	}
	struct scmp_arg_cmp cmps[SECCOMP_MAX_ARGS * 4];
	if (sc->n_args > sizeof(cmps) / sizeof(cmps[0]))
		return hutch_fail_plain(err, EINVAL, "linux.seccomp.syscalls[%zu]: too many args",
					rule_index);
	bool repeated;
	if (build_conditions(sc, rule_index, cmps, &repeated, err) < 0)
		return -1;

	int r;
	if (!repeated) {
		r = seccomp_rule_add_array(ctx, action, nr, (unsigned int)sc->n_args, cmps);
	} else {
		/* Two conditions on one argument can never hold together
		 * in a single BPF rule; runc adds each as its own rule,
		 * which makes them alternatives. Profiles rely on that. */
		r = 0;
		for (size_t i = 0; i < sc->n_args && r >= 0; i++)
			r = seccomp_rule_add_array(ctx, action, nr, 1, &cmps[i]);
	}
	if (r < 0)
		return hutch_fail(err, -r, "seccomp: add rule for %s (linux.seccomp.syscalls[%zu])",
				  name, rule_index);
	return 0;
}

static int add_syscall_rules(scmp_filter_ctx ctx, const struct oci_seccomp *sec,
			     uint32_t default_action, bool *uses_notify, hutch_error *err)
{
	*uses_notify = false;
	for (size_t i = 0; i < sec->n_syscalls; i++) {
		const struct oci_seccomp_syscall *sc = &sec->syscalls[i];
		uint32_t action;
		if (sc->action == NULL || seccomp_action_from_name(sc->action, sc->has_errno_ret,
								   sc->errno_ret, &action) < 0)
			return hutch_fail_plain(
			    err, EINVAL,
			    "linux.seccomp.syscalls[%zu].action: unknown action "
			    "'%s'",
			    i, sc->action != NULL ? sc->action : "");
		/* libseccomp rejects a rule that only repeats the default. */
		if (action == default_action) {
			log_debug("seccomp: linux.seccomp.syscalls[%zu] has the default action, "
				  "skipped",
				  i);
			continue;
		}
		if (action == SCMP_ACT_NOTIFY)
			*uses_notify = true;
		for (size_t j = 0; j < sc->n_names; j++)
			if (add_rule(ctx, sc, i, action, sc->names[j], err) < 0)
				return -1;
	}
	return 0;
}

static bool has_flag(const struct oci_seccomp *sec, const char *flag)
{
	for (size_t i = 0; i < sec->n_flags; i++)
		if (strcmp(sec->flags[i], flag) == 0)
			return true;
	return false;
}

int seccomp_load_config(const struct oci_seccomp *sec, int *notify_fd, hutch_error *err)
{
	*notify_fd = -1;
	if (sec == NULL)
		return 0;

	uint32_t default_action;
	const char *def = sec->default_action != NULL ? sec->default_action : "";
	if (seccomp_action_from_name(def, sec->has_default_errno_ret, sec->default_errno_ret,
				     &default_action) < 0)
		return hutch_fail_plain(err, EINVAL,
					"linux.seccomp.defaultAction: unknown action '%s'", def);
	/* Every syscall of the container, execve first, would wait for a
	 * listener that only gets its fd after the process is started. */
	if (default_action == SCMP_ACT_NOTIFY)
		return hutch_fail_plain(err, EINVAL,
					"linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be "
					"the default action");

	_cleanup_seccomp_ scmp_filter_ctx ctx = seccomp_init(default_action);
	if (ctx == NULL)
		return hutch_fail(err, ENOMEM, "seccomp: create filter");
	/* no_new_privileges is the config's business (process.noNewPrivileges);
	 * libseccomp would otherwise set it on every load. */
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		return hutch_fail(err, -r, "seccomp: clear the no_new_privs attribute");

	bool uses_notify;
	if (add_architectures(ctx, sec, err) < 0 || set_flags(ctx, sec, err) < 0 ||
	    add_syscall_rules(ctx, sec, default_action, &uses_notify, err) < 0)
		return -1;

	if (uses_notify) {
		if (sec->listener_path == NULL)
			return hutch_fail_plain(err, EINVAL,
						"linux.seccomp.listenerPath: required when a rule "
						"uses SCMP_ACT_NOTIFY");
		if (seccomp_api_get() < 5)
			return hutch_fail_plain(
			    err, EOPNOTSUPP,
			    "seccomp: SCMP_ACT_NOTIFY needs libseccomp API level "
			    "5 and kernel 5.0 (API level here: %u)",
			    seccomp_api_get());
		if (has_flag(sec, "SECCOMP_FILTER_FLAG_TSYNC") && seccomp_api_get() < 6)
			return hutch_fail_plain(err, EOPNOTSUPP,
						"seccomp: SECCOMP_FILTER_FLAG_TSYNC with "
						"SCMP_ACT_NOTIFY needs kernel 5.7 (libseccomp API "
						"level 6)");
	}

	/* libseccomp asks the kernel for a listener by itself when the
	 * filter holds a NOTIFY rule. */
	r = seccomp_load(ctx);
	if (r < 0)
		return hutch_fail(err, -r, "seccomp: load filter");

	if (uses_notify) {
		int fd = seccomp_notify_fd(ctx);
		if (fd < 0)
			return hutch_fail(err, -fd, "seccomp: get the notify listener fd");
		/* Our own copy: the context closes its fd when released. */
		*notify_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (*notify_fd < 0)
			return hutch_fail(err, errno, "seccomp: duplicate the notify listener fd");
	}
	return 0;
}
