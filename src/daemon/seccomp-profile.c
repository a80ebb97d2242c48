/* A Docker seccomp profile (what `docker run --security-opt
 * seccomp=FILE` sends: the file's JSON) turned into OCI linux.seccomp for
 * this container: archMap reduced to this machine's architectures, and
 * the syscall rules whose includes/excludes (capabilities, architectures,
 * minimum kernel) do not hold for it dropped, as Docker's daemon does. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "ctr-build-internal.h"

/* Go's name of this machine's architecture, as profiles spell it, and
 * libseccomp's. */
#if defined(__x86_64__)
#define GO_ARCH "amd64"
#define SCMP_NATIVE "SCMP_ARCH_X86_64"
#elif defined(__aarch64__)
#define GO_ARCH "arm64"
#define SCMP_NATIVE "SCMP_ARCH_AARCH64"
#elif defined(__i386__)
#define GO_ARCH "386"
#define SCMP_NATIVE "SCMP_ARCH_X86"
#elif defined(__arm__)
#define GO_ARCH "arm"
#define SCMP_NATIVE "SCMP_ARCH_ARM"
#elif defined(__riscv) && __riscv_xlen == 64
#define GO_ARCH "riscv64"
#define SCMP_NATIVE "SCMP_ARCH_RISCV64"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define GO_ARCH "ppc64le"
#define SCMP_NATIVE "SCMP_ARCH_PPC64LE"
#elif defined(__s390x__)
#define GO_ARCH "s390x"
#define SCMP_NATIVE "SCMP_ARCH_S390X"
#else
#define GO_ARCH ""
#define SCMP_NATIVE ""
#endif

static bool strings_contain(json_object *arr, const char *s)
{
	size_t n =
	    arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), s) == 0)
			return true;
	}
	return false;
}

static bool has_cap(char *const *caps, const char *cap)
{
	for (size_t i = 0; caps != NULL && caps[i] != NULL; i++)
		if (strcmp(caps[i], cap) == 0)
			return true;
	return false;
}

/* "4.8" <= the running kernel's major.minor. */
static bool kernel_at_least(const char *version)
{
	unsigned want_major = 0, want_minor = 0, major = 0, minor = 0;
	struct utsname u;
	if (sscanf(version, "%u.%u", &want_major, &want_minor) < 1 || uname(&u) < 0 ||
	    sscanf(u.release, "%u.%u", &major, &minor) < 1)
		return true;
	return major > want_major || (major == want_major && minor >= want_minor);
}

/* includes: every listed capability held, this architecture listed, the
 * kernel new enough. excludes: none of the capabilities held, this
 * architecture not listed. */
static bool rule_applies(json_object *rule, char *const *caps)
{
	json_object *inc = ctr_member(rule, "includes"), *exc = ctr_member(rule, "excludes");
	json_object *ic = ctr_member(inc, "caps"), *ia = ctr_member(inc, "arches");
	size_t n =
	    ic && json_object_is_type(ic, json_type_array) ? json_object_array_length(ic) : 0;
	for (size_t i = 0; i < n; i++)
		if (!has_cap(caps, json_object_get_string(json_object_array_get_idx(ic, i))))
			return false;
	if (ia != NULL && json_object_array_length(ia) > 0 && !strings_contain(ia, GO_ARCH))
		return false;
	const char *min = ctr_member_string(inc, "minKernel");
	if (min[0] != '\0' && !kernel_at_least(min))
		return false;
	json_object *ec = ctr_member(exc, "caps");
	n = ec && json_object_is_type(ec, json_type_array) ? json_object_array_length(ec) : 0;
	for (size_t i = 0; i < n; i++)
		if (has_cap(caps, json_object_get_string(json_object_array_get_idx(ec, i))))
			return false;
	return !strings_contain(ctr_member(exc, "arches"), GO_ARCH);
}

static json_object *copy(json_object *v)
{
	json_object *c = NULL;
	if (json_object_deep_copy(v, &c, NULL) < 0)
		return NULL;
	return c;
}

/* architectures, or the archMap entry of this machine with its
 * sub-architectures. */
static json_object *profile_architectures(json_object *profile)
{
	json_object *archs = ctr_member(profile, "architectures");
	if (archs != NULL)
		return copy(archs);
	json_object *out = json_object_new_array(), *map = ctr_member(profile, "archMap");
	size_t n =
	    map && json_object_is_type(map, json_type_array) ? json_object_array_length(map) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(map, i);
		if (strcmp(ctr_member_string(e, "architecture"), SCMP_NATIVE) != 0)
			continue;
		json_object_array_add(out, json_object_new_string(SCMP_NATIVE));
		json_object *sub = ctr_member(e, "subArchitectures");
		size_t ns = sub ? json_object_array_length(sub) : 0;
		for (size_t k = 0; k < ns; k++)
			json_object_array_add(out,
					      json_object_get(json_object_array_get_idx(sub, k)));
	}
	return out;
}

static const struct ctr_field arg_fields[] = {
    {"index", CF_INT, "uint", NULL, NULL, 0, NULL},
    {"value", CF_INT, "uint64", NULL, NULL, 0, NULL},
    {"valueTwo", CF_INT, "uint64", NULL, NULL, 0, NULL},
    {"op", CF_STRING, "seccomp.Operator", NULL, NULL, 0, NULL},
};
static const struct ctr_field filter_fields[] = {
    {"caps", CF_STRV, NULL, NULL, NULL, 0, NULL},
    {"arches", CF_STRV, NULL, NULL, NULL, 0, NULL},
    {"minKernel", CF_STRING, NULL, NULL, NULL, 0, NULL},
};
static const struct ctr_field syscall_fields[] = {
    {"name", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"names", CF_STRV, NULL, NULL, NULL, 0, NULL},
    {"action", CF_STRING, "seccomp.Action", NULL, NULL, 0, NULL},
    {"errnoRet", CF_INT, "uint", NULL, NULL, 0, NULL},
    {"args", CF_STRUCT_ARRAY, "[]*seccomp.Arg", NULL, arg_fields, 4, "Arg"},
    {"includes", CF_STRUCT, "seccomp.Filter", NULL, filter_fields, 3, "Filter"},
    {"excludes", CF_STRUCT, "seccomp.Filter", NULL, filter_fields, 3, "Filter"},
};
static const struct ctr_field arch_fields[] = {
    {"architecture", CF_STRING, "seccomp.Arch", NULL, NULL, 0, NULL},
    {"subArchitectures", CF_STRV, "[]seccomp.Arch", NULL, NULL, 0, NULL},
};
static const struct ctr_field profile_fields[] = {
    {"defaultAction", CF_STRING, "seccomp.Action", NULL, NULL, 0, NULL},
    {"defaultErrnoRet", CF_INT, "uint", NULL, NULL, 0, NULL},
    {"architectures", CF_STRV, "[]seccomp.Arch", NULL, NULL, 0, NULL},
    {"archMap", CF_STRUCT_ARRAY, "[]seccomp.Architecture", NULL, arch_fields, 2, "Architecture"},
    {"flags", CF_STRV, NULL, NULL, NULL, 0, NULL},
    {"listenerPath", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"listenerMetadata", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"syscalls", CF_STRUCT_ARRAY, "[]*seccomp.Syscall", NULL, syscall_fields, 7, "Syscall"},
};

int seccomp_profile_check(json_object *profile, hutch_error *err)
{
	if (ctr_json_check(profile, "seccomp.Seccomp", profile_fields,
			   sizeof(profile_fields) / sizeof(profile_fields[0]), err) < 0)
		return hutch_error_prefix(err, "seccomp profile");
	if (ctr_member_string(profile, "defaultAction")[0] == '\0')
		return hutch_fail_plain(err, EINVAL, "seccomp profile: defaultAction is missing");
	json_object *sc = ctr_member(profile, "syscalls");
	size_t n = sc ? json_object_array_length(sc) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(sc, i);
		if (ctr_member_string(r, "action")[0] == '\0')
			return hutch_fail_plain(err, EINVAL,
						"seccomp profile: syscalls[%zu] has no action", i);
		if (ctr_member_string(r, "name")[0] == '\0' && ctr_member(r, "names") == NULL)
			return hutch_fail_plain(
			    err, EINVAL, "seccomp profile: syscalls[%zu] names no syscall", i);
	}
	return 0;
}

json_object *seccomp_profile_to_oci(json_object *profile, char *const *caps)
{
	json_object *out = json_object_new_object();
	static const char *const plain[] = {"defaultAction", "defaultErrnoRet", "flags",
					    "listenerPath", "listenerMetadata"};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		json_object *v = ctr_member(profile, plain[i]);
		if (v != NULL && !(json_object_is_type(v, json_type_string) &&
				   json_object_get_string_len(v) == 0))
			json_object_object_add(out, plain[i], copy(v));
	}
	json_object_object_add(out, "architectures", profile_architectures(profile));
	json_object *syscalls = json_object_new_array(), *sc = ctr_member(profile, "syscalls");
	size_t n = sc ? json_object_array_length(sc) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(sc, i);
		if (!rule_applies(r, caps))
			continue;
		json_object *o = json_object_new_object();
		json_object *names = ctr_member(r, "names");
		if (names == NULL) {
			/* The old single "name" spelling. */
			names = json_object_new_array();
			json_object_array_add(names,
					      json_object_new_string(ctr_member_string(r, "name")));
		} else {
			names = copy(names);
		}
		json_object_object_add(o, "names", names);
		json_object_object_add(o, "action", copy(ctr_member(r, "action")));
		if (ctr_member(r, "errnoRet") != NULL)
			json_object_object_add(o, "errnoRet", copy(ctr_member(r, "errnoRet")));
		if (ctr_member(r, "args") != NULL &&
		    json_object_array_length(ctr_member(r, "args")))
			json_object_object_add(o, "args", copy(ctr_member(r, "args")));
		json_object_array_add(syscalls, o);
	}
	json_object_object_add(out, "syscalls", syscalls);
	return out;
}
