/* The seccomp names of the runtime-spec (SCMP_ACT_*, SCMP_ARCH_*,
 * SCMP_CMP_*, SECCOMP_FILTER_FLAG_*) translated to libseccomp's values.
 * Names missing from an older libseccomp are compiled out, so a newer
 * profile on an older library reports them as unknown rather than failing
 * to build. */
#include <errno.h>
#include <string.h>

#include "seccomp.h"

#define SECCOMP_LIBSECCOMP_AT_LEAST(major, minor)                                                  \
	(SCMP_VER_MAJOR > (major) || (SCMP_VER_MAJOR == (major) && SCMP_VER_MINOR >= (minor)))

struct name_value {
	const char *name;
	uint32_t value;
};

static const struct name_value arch_names[] = {
    {"SCMP_ARCH_NATIVE", SCMP_ARCH_NATIVE},
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
    {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#endif
#ifdef SCMP_ARCH_M68K
    {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#endif
#ifdef SCMP_ARCH_SH
    {"SCMP_ARCH_SH", SCMP_ARCH_SH},
    {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#endif
};

static const struct name_value op_names[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* Actions that carry no errno. ERRNO and TRACE are handled apart because
 * their value depends on errnoRet. SCMP_ACT_KILL is the historical name of
 * KILL_THREAD. */
static const struct name_value plain_action_names[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

/* Flags of seccomp(2) as the runtime-spec spells them; attr is the filter
 * attribute libseccomp sets the flag through, supported false when this
 * libseccomp has no such attribute. */
struct flag_name {
	const char *name;
	enum scmp_filter_attr attr;
	bool supported;
};

static const struct flag_name flag_names[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, true},
    {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, true},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, true},
#if SECCOMP_LIBSECCOMP_AT_LEAST(2, 6)
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SCMP_FLTATR_CTL_WAITKILL, true},
#else
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", _SCMP_FLTATR_MIN, false},
#endif
};

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static const struct name_value *lookup(const struct name_value *table, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

int seccomp_action_from_name(const char *name, bool has_errno_ret, uint32_t errno_ret,
			     uint32_t *action)
{
	uint32_t ret = has_errno_ret ? errno_ret : EPERM;
	if (strcmp(name, "SCMP_ACT_ERRNO") == 0) {
		*action = SCMP_ACT_ERRNO(ret);
		return 0;
	}
	if (strcmp(name, "SCMP_ACT_TRACE") == 0) {
		*action = SCMP_ACT_TRACE(ret);
		return 0;
	}
	const struct name_value *nv =
	    lookup(plain_action_names, N_ELEMENTS(plain_action_names), name);
	if (nv == NULL)
		return -1;
	*action = nv->value;
	return 0;
}

int seccomp_arch_from_name(const char *name, uint32_t *arch)
{
	const struct name_value *nv = lookup(arch_names, N_ELEMENTS(arch_names), name);
	if (nv == NULL)
		return -1;
	*arch = nv->value;
	return 0;
}

int seccomp_op_from_name(const char *name, enum scmp_compare *op)
{
	const struct name_value *nv = lookup(op_names, N_ELEMENTS(op_names), name);
	if (nv == NULL)
		return -1;
	*op = (enum scmp_compare)nv->value;
	return 0;
}

int seccomp_flag_from_name(const char *name, enum scmp_filter_attr *attr)
{
	for (size_t i = 0; i < N_ELEMENTS(flag_names); i++) {
		if (strcmp(flag_names[i].name, name) != 0)
			continue;
		if (!flag_names[i].supported)
			return -2;
		*attr = flag_names[i].attr;
		return 0;
	}
	return -1;
}

static json_object *names_array(const struct name_value *table, size_t n)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; arr != NULL && i < n; i++)
		json_object_array_add(arr, json_object_new_string(table[i].name));
	return arr;
}

json_object *seccomp_features(void)
{
	json_object *o = json_object_new_object();
	if (o == NULL)
		return NULL;
	json_object_object_add(o, "enabled", json_object_new_boolean(1));

	json_object *actions = names_array(plain_action_names, N_ELEMENTS(plain_action_names));
	json_object_array_add(actions, json_object_new_string("SCMP_ACT_ERRNO"));
	json_object_array_add(actions, json_object_new_string("SCMP_ACT_TRACE"));
	json_object_object_add(o, "actions", actions);
	json_object_object_add(o, "operators", names_array(op_names, N_ELEMENTS(op_names)));
	/* SCMP_ARCH_NATIVE is a libseccomp alias, not a spec architecture. */
	json_object_object_add(o, "archs", names_array(arch_names + 1, N_ELEMENTS(arch_names) - 1));

	json_object *known = json_object_new_array();
	json_object *supported = json_object_new_array();
	for (size_t i = 0; i < N_ELEMENTS(flag_names); i++) {
		json_object_array_add(known, json_object_new_string(flag_names[i].name));
		if (flag_names[i].supported)
			json_object_array_add(supported,
					      json_object_new_string(flag_names[i].name));
	}
	json_object_object_add(o, "knownFlags", known);
	json_object_object_add(o, "supportedFlags", supported);
	return o;
}
