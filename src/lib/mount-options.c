/* The OCI mount option table: every word runc and crun accept in a mount
 * entry's "options", mapped to what the runtime does with it. Per-mount
 * flags (MS_*) apply to the one mount created; the r- forms ("rro",
 * "rnosuid", ...) apply to the whole tree through mount_setattr(2) with
 * AT_RECURSIVE; words that are neither go to the filesystem as data. */
#include "rootfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

enum option_kind {
	OPT_NOOP,	 /* accepted, means nothing ("defaults") */
	OPT_SET,	 /* set an MS_* flag on this mount */
	OPT_CLEAR,	 /* explicitly clear an MS_* flag */
	OPT_PROPAGATION, /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE [| MS_REC] */
	OPT_BIND,	 /* "bind" */
	OPT_RBIND,	 /* "rbind" */
	OPT_REC_SET,	 /* a MOUNT_ATTR_* set on the whole tree */
	OPT_REC_CLEAR,	 /* a MOUNT_ATTR_* cleared on the whole tree */
	OPT_REC_ATIME,	 /* the atime mode of the whole tree */
	OPT_TMPCOPYUP,
	OPT_IDMAP,
	OPT_RIDMAP,
};

struct option_word {
	const char *name;
	enum option_kind kind;
	unsigned long long value;
};

static const struct option_word option_table[] = {
    {"defaults", OPT_NOOP, 0},
    {"ro", OPT_SET, MS_RDONLY},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"nosuid", OPT_SET, MS_NOSUID},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"nodev", OPT_SET, MS_NODEV},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"noexec", OPT_SET, MS_NOEXEC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"sync", OPT_SET, MS_SYNCHRONOUS},
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", OPT_SET, MS_DIRSYNC},
    {"remount", OPT_SET, MS_REMOUNT},
    {"mand", OPT_SET, MS_MANDLOCK},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"noatime", OPT_SET, MS_NOATIME},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"nodiratime", OPT_SET, MS_NODIRATIME},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"relatime", OPT_SET, MS_RELATIME},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"strictatime", OPT_SET, MS_STRICTATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"lazytime", OPT_SET, MS_LAZYTIME},
    {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"iversion", OPT_SET, MS_I_VERSION},
    {"noiversion", OPT_CLEAR, MS_I_VERSION},
    {"silent", OPT_SET, MS_SILENT},
    {"loud", OPT_CLEAR, MS_SILENT},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"bind", OPT_BIND, 0},
    {"rbind", OPT_RBIND, 0},
    {"private", OPT_PROPAGATION, MS_PRIVATE},
    {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"shared", OPT_PROPAGATION, MS_SHARED},
    {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
    {"slave", OPT_PROPAGATION, MS_SLAVE},
    {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
    {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rro", OPT_REC_SET, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY},
    {"rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID},
    {"rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID},
    {"rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV},
    {"rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV},
    {"rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC},
    {"rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    /* The kernel takes one atime mode at a time: relatime (0), noatime
     * or strictatime. Undoing noatime or strictatime means the default,
     * relatime, which is what runc and crun do too. */
    {"rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME},
    {"ratime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME},
    {"rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME},
    {"rnorelatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME},
    {"rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME},
    {"tmpcopyup", OPT_TMPCOPYUP, 0},
    {"idmap", OPT_IDMAP, 0},
    {"ridmap", OPT_RIDMAP, 0},
};

static const struct option_word *option_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(option_table) / sizeof(option_table[0]); i++)
		if (strcmp(option_table[i].name, name) == 0)
			return &option_table[i];
	return NULL;
}

static int data_append(char **data, const char *word)
{
	size_t old = *data ? strlen(*data) : 0;
	char *n = realloc(*data, old + strlen(word) + 2);
	if (n == NULL)
		return -1;
	if (old > 0)
		n[old++] = ',';
	strcpy(n + old, word);
	*data = n;
	return 0;
}

int mount_options_parse(char *const *options, size_t n, struct mount_options *out, hutch_error *err)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		const char *word = options[i];
		if (word == NULL || word[0] == '\0')
			continue;
		const struct option_word *o = option_lookup(word);
		if (o == NULL) {
			/* "mode=755", "newinstance", "size=64k": the
			 * filesystem's business, passed on untouched. */
			if (data_append(&out->data, word) < 0) {
				mount_options_free(out);
				return hutch_fail(err, ENOMEM, "mount option %s", word);
			}
			continue;
		}
		/* Later words win over earlier ones ("ro,rw" is rw), so each
		 * word also undoes its opposite. */
		switch (o->kind) {
		case OPT_NOOP:
			break;
		case OPT_SET:
			out->flags |= o->value;
			out->clear_flags &= ~o->value;
			break;
		case OPT_CLEAR:
			out->clear_flags |= o->value;
			out->flags &= ~o->value;
			break;
		case OPT_PROPAGATION:
			out->propagation = o->value;
			break;
		case OPT_BIND:
			out->bind = true;
			out->recursive = false;
			break;
		case OPT_RBIND:
			out->bind = true;
			out->recursive = true;
			break;
		case OPT_REC_SET:
			out->rec_attr_set |= o->value;
			out->rec_attr_clr &= ~o->value;
			break;
		case OPT_REC_CLEAR:
			out->rec_attr_clr |= o->value;
			out->rec_attr_set &= ~o->value;
			break;
		case OPT_REC_ATIME:
			out->rec_attr_set = (out->rec_attr_set & ~MOUNT_ATTR__ATIME) | o->value;
			out->rec_attr_clr |= MOUNT_ATTR__ATIME;
			break;
		case OPT_TMPCOPYUP:
			out->tmpcopyup = true;
			break;
		case OPT_IDMAP:
			out->idmap = true;
			out->idmap_recursive = false;
			break;
		case OPT_RIDMAP:
			out->idmap = true;
			out->idmap_recursive = true;
			break;
		}
	}
	return 0;
}

const char *mount_option_name(size_t i)
{
	if (i >= sizeof(option_table) / sizeof(option_table[0]))
		return NULL;
	return option_table[i].name;
}

void mount_options_free(struct mount_options *mo)
{
	free(mo->data);
	mo->data = NULL;
}

int rootfs_propagation_parse(const char *s, unsigned long *flags, hutch_error *err)
{
	const struct option_word *o = s ? option_lookup(s) : NULL;
	if (o == NULL || o->kind != OPT_PROPAGATION)
		return hutch_fail_plain(err, EINVAL,
					"linux.rootfsPropagation: unknown propagation '%s' "
					"(expected private, rprivate, slave, rslave, shared, "
					"rshared, unbindable or runbindable)",
					s ? s : "");
	*flags = (unsigned long)o->value;
	return 0;
}
