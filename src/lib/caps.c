/* process.capabilities through libcap.
 *
 * The bounding set is cut first, while the process still holds
 * CAP_SETPCAP; the effective, permitted and inheritable sets are set after
 * the uid switch (which PR_SET_KEEPCAPS survived), and the ambient set is
 * raised last because the kernel only lets a capability into it when it is
 * already permitted and inheritable. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "log.h"

static void cap_name_freep(char **name)
{
	if (*name != NULL)
		cap_free(*name);
}
#define _cleanup_cap_name_ __attribute__((cleanup(cap_name_freep)))

int caps_from_name(const char *name)
{
	/* libcap also takes numbers and "all"; a config names capabilities
	 * only by their CAP_ name. */
	if (name == NULL || strncasecmp(name, "CAP_", 4) != 0)
		return -1;
	cap_value_t v;
	if (cap_from_name(name, &v) < 0)
		return -1;
	/* Known to libcap but not to the running kernel. */
	if (v < 0 || v >= cap_max_bits())
		return -1;
	return (int)v;
}

int caps_last_supported(void)
{
	return (int)cap_max_bits() - 1;
}

/* The capabilities of one set as a bit mask over cap values. Unknown names
 * are skipped with a warning naming the set. */
struct cap_mask {
	uint64_t bits;
};

/* A config usually lists an unknown capability in several sets: say so
 * once per name, not once per set. */
static bool first_warning_for(const char *name)
{
	static char *warned[16];
	static size_t n_warned;
	for (size_t i = 0; i < n_warned; i++)
		if (strcmp(warned[i], name) == 0)
			return false;
	if (n_warned < sizeof(warned) / sizeof(warned[0])) {
		warned[n_warned] = strdup(name);
		if (warned[n_warned] != NULL)
			n_warned++;
	}
	return true;
}

static struct cap_mask mask_from_names(char **names, const char *set_name)
{
	struct cap_mask m = {0};
	for (char **n = names; n != NULL && *n != NULL; n++) {
		int v = caps_from_name(*n);
		if (v < 0 || v >= 64) {
			if (first_warning_for(*n))
				log_warning("capability %s in process.capabilities.%s is unknown "
					    "to this kernel or libcap, skipped",
					    *n, set_name);
			continue;
		}
		m.bits |= UINT64_C(1) << v;
	}
	return m;
}

static bool mask_has(struct cap_mask m, int cap)
{
	return cap >= 0 && cap < 64 && (m.bits & (UINT64_C(1) << cap)) != 0;
}

int caps_apply_bounding(const struct oci_capabilities *caps, hutch_error *err)
{
	struct cap_mask keep = mask_from_names(caps != NULL ? caps->bounding : NULL, "bounding");
	int last = caps_last_supported();
	for (int c = 0; c <= last; c++) {
		if (mask_has(keep, c))
			continue;
		int in_bound = cap_get_bound((cap_value_t)c);
		if (in_bound <= 0)
			continue;
		if (cap_drop_bound((cap_value_t)c) < 0) {
			_cleanup_cap_name_ char *name = cap_to_name((cap_value_t)c);
			return hutch_fail(err, errno, "drop %s from the capability bounding set",
					  name != NULL ? name : "?");
		}
	}
	return 0;
}

bool caps_config_has(const struct oci_capabilities *caps, enum caps_set set, int cap)
{
	if (caps == NULL)
		return false;
	char **names = NULL;
	switch (set) {
	case CAPS_SET_BOUNDING:
		names = caps->bounding;
		break;
	case CAPS_SET_EFFECTIVE:
		names = caps->effective;
		break;
	case CAPS_SET_PERMITTED:
		names = caps->permitted;
		break;
	case CAPS_SET_INHERITABLE:
		names = caps->inheritable;
		break;
	case CAPS_SET_AMBIENT:
		names = caps->ambient;
		break;
	}
	for (char **n = names; n != NULL && *n != NULL; n++)
		if (caps_from_name(*n) == cap)
			return true;
	return false;
}

static void cap_freep(cap_t *c)
{
	if (*c != NULL)
		cap_free(*c);
}
#define _cleanup_cap_ __attribute__((cleanup(cap_freep)))

static int set_flag_from_mask(cap_t c, cap_flag_t flag, struct cap_mask m, hutch_error *err)
{
	for (int v = 0; v < 64; v++) {
		if (!mask_has(m, v))
			continue;
		cap_value_t value = (cap_value_t)v;
		if (cap_set_flag(c, flag, 1, &value, CAP_SET) < 0)
			return hutch_fail(err, errno, "capability set: add %d", v);
	}
	return 0;
}

static void raise_ambient(struct cap_mask ambient, struct cap_mask permitted,
			  struct cap_mask inheritable)
{
	for (int v = 0; v < 64; v++) {
		if (!mask_has(ambient, v))
			continue;
		if (cap_set_ambient((cap_value_t)v, CAP_SET) == 0)
			continue;
		_cleanup_cap_name_ char *name = cap_to_name((cap_value_t)v);
		/* The kernel keeps a capability out of the ambient set unless
		 * it is permitted and inheritable. Configs that list ambient
		 * capabilities without inheritable ones are common (`runc spec`
		 * writes them since inheritable sets were dropped for
		 * CVE-2022-29162), and runc skips them silently: so do we,
		 * unless the config did everything the kernel asks for. */
		if (mask_has(permitted, v) && mask_has(inheritable, v))
			log_warning("cannot raise ambient capability %s: %s",
				    name != NULL ? name : "?", strerror(errno));
		else
			log_debug("ambient capability %s skipped: it is not both permitted and "
				  "inheritable",
				  name != NULL ? name : "?");
	}
}

int caps_apply_sets_keeping(const struct oci_capabilities *caps, int extra, hutch_error *err)
{
	struct cap_mask eff = {0}, perm = {0}, inh = {0}, amb = {0};
	if (caps != NULL) {
		eff = mask_from_names(caps->effective, "effective");
		perm = mask_from_names(caps->permitted, "permitted");
		inh = mask_from_names(caps->inheritable, "inheritable");
		amb = mask_from_names(caps->ambient, "ambient");
	}
	if (extra >= 0 && extra < 64) {
		eff.bits |= UINT64_C(1) << extra;
		perm.bits |= UINT64_C(1) << extra;
	}

	_cleanup_cap_ cap_t c = cap_init();
	if (c == NULL)
		return hutch_fail(err, errno, "capability set");
	if (set_flag_from_mask(c, CAP_EFFECTIVE, eff, err) < 0 ||
	    set_flag_from_mask(c, CAP_PERMITTED, perm, err) < 0 ||
	    set_flag_from_mask(c, CAP_INHERITABLE, inh, err) < 0)
		return -1;
	if (cap_set_proc(c) < 0)
		return hutch_fail(err, errno,
				  "set the effective, permitted and inheritable capabilities");

	/* Ambient capabilities inherited from the runtime must not leak
	 * into the container; kernels before 4.3 have no ambient set. */
	if (cap_reset_ambient() < 0 && amb.bits != 0)
		return hutch_fail(err, errno, "reset the ambient capability set");
	raise_ambient(amb, perm, inh);
	return 0;
}

int caps_apply_sets(const struct oci_capabilities *caps, hutch_error *err)
{
	return caps_apply_sets_keeping(caps, -1, err);
}

int caps_drop_current(int cap, hutch_error *err)
{
	_cleanup_cap_ cap_t c = cap_get_proc();
	if (c == NULL)
		return hutch_fail(err, errno, "read the process capabilities");
	cap_value_t v = (cap_value_t)cap;
	if (cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) < 0 ||
	    cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_CLEAR) < 0)
		return hutch_fail(err, errno, "capability set: clear %d", cap);
	if (cap_set_proc(c) < 0) {
		_cleanup_cap_name_ char *name = cap_to_name(v);
		return hutch_fail(err, errno, "drop %s", name != NULL ? name : "?");
	}
	return 0;
}
