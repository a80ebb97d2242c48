/* Unit tests for the pure rules of the rootfs code: the OCI mount option
 * table, rootfsPropagation names, devpts option fixing, id-map lookups and
 * the namespaced-sysctl rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "mount-util.h"
#include "rootfs.h"
#include "sysctl.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static struct mount_options parse_ok(const char *csv)
{
	char buf[512];
	char *words[32];
	size_t n = 0;
	strncpy(buf, csv, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w != NULL;
	     w = strtok_r(NULL, ",", &save))
		words[n++] = w;
	struct mount_options mo;
	hutch_error err = {0};
	assert_int_equal(mount_options_parse(words, n, &mo, &err), 0);
	assert_false(hutch_error_isset(&err));
	return mo;
}

/* Each single-flag word sets or clears exactly its flag. */
static void test_every_flag_word(void **state)
{
	static const struct {
		const char *word;
		unsigned long set, clear;
	} cases[] = {
	    {"ro", MS_RDONLY, 0},
	    {"rw", 0, MS_RDONLY},
	    {"nosuid", MS_NOSUID, 0},
	    {"suid", 0, MS_NOSUID},
	    {"nodev", MS_NODEV, 0},
	    {"dev", 0, MS_NODEV},
	    {"noexec", MS_NOEXEC, 0},
	    {"exec", 0, MS_NOEXEC},
	    {"sync", MS_SYNCHRONOUS, 0},
	    {"async", 0, MS_SYNCHRONOUS},
	    {"dirsync", MS_DIRSYNC, 0},
	    {"remount", MS_REMOUNT, 0},
	    {"mand", MS_MANDLOCK, 0},
	    {"nomand", 0, MS_MANDLOCK},
	    {"noatime", MS_NOATIME, 0},
	    {"atime", 0, MS_NOATIME},
	    {"nodiratime", MS_NODIRATIME, 0},
	    {"diratime", 0, MS_NODIRATIME},
	    {"relatime", MS_RELATIME, 0},
	    {"norelatime", 0, MS_RELATIME},
	    {"strictatime", MS_STRICTATIME, 0},
	    {"nostrictatime", 0, MS_STRICTATIME},
	    {"lazytime", MS_LAZYTIME, 0},
	    {"nolazytime", 0, MS_LAZYTIME},
	    {"iversion", MS_I_VERSION, 0},
	    {"noiversion", 0, MS_I_VERSION},
	    {"silent", MS_SILENT, 0},
	    {"loud", 0, MS_SILENT},
	    {"nosymfollow", MS_NOSYMFOLLOW, 0},
	    {"symfollow", 0, MS_NOSYMFOLLOW},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mount_options mo = parse_ok(cases[i].word);
		if (mo.flags != cases[i].set || mo.clear_flags != cases[i].clear)
			fail_msg("%s: flags %#lx clear %#lx", cases[i].word, mo.flags,
				 mo.clear_flags);
		assert_null(mo.data);
		assert_false(mo.bind);
		assert_int_equal(mo.propagation, 0);
		assert_true(mo.rec_attr_set == 0 && mo.rec_attr_clr == 0);
		mount_options_free(&mo);
	}
}

static void test_later_word_wins(void **state)
{
	struct mount_options mo = parse_ok("ro,nosuid,rw");
	assert_int_equal(mo.flags, MS_NOSUID);
	assert_int_equal(mo.clear_flags, MS_RDONLY);
	mount_options_free(&mo);
	mo = parse_ok("rw,ro");
	assert_int_equal(mo.flags, MS_RDONLY);
	assert_int_equal(mo.clear_flags, 0);
	mount_options_free(&mo);
	mo = parse_ok("rbind,bind");
	assert_true(mo.bind);
	assert_false(mo.recursive);
	mount_options_free(&mo);
}

static void test_bind_and_rbind(void **state)
{
	struct mount_options mo = parse_ok("bind");
	assert_true(mo.bind);
	assert_false(mo.recursive);
	assert_int_equal(mo.flags, 0);
	mount_options_free(&mo);
	mo = parse_ok("rbind,ro");
	assert_true(mo.bind);
	assert_true(mo.recursive);
	assert_int_equal(mo.flags, MS_RDONLY);
	mount_options_free(&mo);
}

static void test_propagation_words(void **state)
{
	static const struct {
		const char *word;
		unsigned long prop;
	} cases[] = {
	    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
	    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
	    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
	    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mount_options mo = parse_ok(cases[i].word);
		assert_int_equal(mo.propagation, cases[i].prop);
		assert_int_equal(mo.flags, 0);
		mount_options_free(&mo);
		unsigned long p = 0;
		hutch_error err = {0};
		assert_int_equal(rootfs_propagation_parse(cases[i].word, &p, &err), 0);
		assert_int_equal(p, cases[i].prop);
	}
}

static void test_rootfs_propagation_rejects_other_words(void **state)
{
	hutch_error err = {0};
	unsigned long p = 0;
	assert_int_equal(rootfs_propagation_parse("ro", &p, &err), -1);
	assert_non_null(strstr(err.msg, "linux.rootfsPropagation"));
	assert_non_null(strstr(err.msg, "'ro'"));
	assert_int_equal(err.errnum, EINVAL);
	assert_int_equal(rootfs_propagation_parse("sharedd", &p, &err), -1);
	assert_int_equal(rootfs_propagation_parse(NULL, &p, &err), -1);
}

static void test_recursive_attributes(void **state)
{
	struct mount_options mo = parse_ok("rro,rnosuid,rnodev,rnoexec,rnodiratime,rnosymfollow");
	assert_true(mo.rec_attr_set ==
		    (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
		     MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW));
	assert_true(mo.rec_attr_clr == 0);
	assert_int_equal(mo.flags, 0);
	mount_options_free(&mo);

	mo = parse_ok("rrw,rsuid,rdev,rexec,rdiratime,rsymfollow");
	assert_true(mo.rec_attr_clr ==
		    (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
		     MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW));
	assert_true(mo.rec_attr_set == 0);
	mount_options_free(&mo);

	/* The opposite word undoes the earlier one. */
	mo = parse_ok("rro,rrw");
	assert_true(mo.rec_attr_set == 0);
	assert_true(mo.rec_attr_clr == MOUNT_ATTR_RDONLY);
	mount_options_free(&mo);
}

/* mount_setattr takes one atime mode and wants the whole atime mask in
 * attr_clr whenever it changes it. */
static void test_recursive_atime(void **state)
{
	static const struct {
		const char *word;
		unsigned long long mode;
	} cases[] = {
	    {"rnoatime", MOUNT_ATTR_NOATIME},	      {"ratime", MOUNT_ATTR_RELATIME},
	    {"rrelatime", MOUNT_ATTR_RELATIME},	      {"rnorelatime", MOUNT_ATTR_STRICTATIME},
	    {"rstrictatime", MOUNT_ATTR_STRICTATIME}, {"rnostrictatime", MOUNT_ATTR_RELATIME},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mount_options mo = parse_ok(cases[i].word);
		assert_true((mo.rec_attr_set & MOUNT_ATTR__ATIME) == cases[i].mode);
		assert_true(mo.rec_attr_clr == MOUNT_ATTR__ATIME);
		mount_options_free(&mo);
	}
	struct mount_options mo = parse_ok("rnoatime,rro,rrelatime");
	assert_true(mo.rec_attr_set == MOUNT_ATTR_RDONLY);
	assert_true(mo.rec_attr_clr == MOUNT_ATTR__ATIME);
	mount_options_free(&mo);
}

static void test_unknown_words_are_data(void **state)
{
	struct mount_options mo = parse_ok("nosuid,mode=755,newinstance,size=65536k,ro");
	assert_string_equal(mo.data, "mode=755,newinstance,size=65536k");
	assert_int_equal(mo.flags, MS_NOSUID | MS_RDONLY);
	mount_options_free(&mo);
	assert_null(mo.data);
	mo = parse_ok("defaults");
	assert_null(mo.data);
	assert_int_equal(mo.flags, 0);
	mount_options_free(&mo);
}

static void test_empty_and_special_words(void **state)
{
	char *words[] = {"", "tmpcopyup", "ridmap"};
	struct mount_options mo;
	hutch_error err = {0};
	assert_int_equal(mount_options_parse(words, 3, &mo, &err), 0);
	assert_true(mo.tmpcopyup);
	assert_true(mo.idmap);
	assert_true(mo.idmap_recursive);
	assert_null(mo.data);
	mount_options_free(&mo);
	mo = parse_ok("idmap");
	assert_true(mo.idmap);
	assert_false(mo.idmap_recursive);
	mount_options_free(&mo);
	assert_int_equal(mount_options_parse(NULL, 0, &mo, &err), 0);
	assert_int_equal(mo.flags, 0);
	assert_null(mo.data);
}

/* Words are case-sensitive, as in runc: "RO" is filesystem data. */
static void test_case_matters(void **state)
{
	struct mount_options mo = parse_ok("RO,Bind");
	assert_int_equal(mo.flags, 0);
	assert_false(mo.bind);
	assert_string_equal(mo.data, "RO,Bind");
	mount_options_free(&mo);
}

/* Every word the table lists parses as an option, not as data. */
static void test_option_names_are_all_known(void **state)
{
	size_t n = 0;
	for (const char *w; (w = mount_option_name(n)) != NULL; n++) {
		char *words[] = {(char *)w};
		struct mount_options mo;
		hutch_error err = {0};
		assert_int_equal(mount_options_parse(words, 1, &mo, &err), 0);
		if (mo.data != NULL)
			fail_msg("%s parsed as data", w);
	}
	assert_true(n >= 60);
	assert_null(mount_option_name(n));
}

static void test_remount_needed_only_for_per_mount_flags(void **state)
{
	assert_true(mount_flags_need_remount(MS_RDONLY, 0));
	assert_true(mount_flags_need_remount(0, MS_NOSUID));
	assert_true(mount_flags_need_remount(MS_NOATIME, 0));
	assert_false(mount_flags_need_remount(0, 0));
	assert_false(mount_flags_need_remount(MS_SYNCHRONOUS | MS_LAZYTIME, 0));
}

static void test_idmap_text_maps(void **state)
{
	const char *map = "         0       1000          1\n"
			  "         1     200000      65536\n";
	assert_true(idmap_text_maps(map, 0));
	assert_true(idmap_text_maps(map, 1));
	assert_true(idmap_text_maps(map, 5));
	assert_true(idmap_text_maps(map, 65536));
	assert_false(idmap_text_maps(map, 65537));
	assert_false(idmap_text_maps("         0       1000          1\n", 5));
	assert_false(idmap_text_maps("", 0));
}

static void test_devpts_data(void **state)
{
	bool dropped = true;
	const char *single = "         0       1000          1\n";
	char *d = devpts_adjust_data("newinstance,ptmxmode=0666,mode=0620,gid=5", single, &dropped);
	assert_string_equal(d, "newinstance,ptmxmode=0666,mode=0620");
	assert_true(dropped);
	free(d);
	/* gid 5 mapped: kept. */
	d = devpts_adjust_data("mode=0620,gid=5", "0 1000 1\n1 200000 65536\n", &dropped);
	assert_string_equal(d, "mode=0620,gid=5,newinstance,ptmxmode=0666");
	assert_false(dropped);
	free(d);
	/* Outside a user namespace nothing is dropped. */
	d = devpts_adjust_data("gid=5", NULL, &dropped);
	assert_string_equal(d, "gid=5,newinstance,ptmxmode=0666");
	assert_false(dropped);
	free(d);
	/* The caller's ptmxmode is kept; "gidx=5" is not a gid option. */
	d = devpts_adjust_data("ptmxmode=0600,gidx=5", single, &dropped);
	assert_string_equal(d, "ptmxmode=0600,gidx=5,newinstance");
	assert_false(dropped);
	free(d);
	d = devpts_adjust_data(NULL, single, &dropped);
	assert_string_equal(d, "newinstance,ptmxmode=0666");
	free(d);
}

static void test_sysctl_rules(void **state)
{
	struct sysctl_namespaces all = {.ipc = true, .net = true, .uts = true};
	struct sysctl_namespaces none = {0};
	hutch_error err = {0};
	const char *ipc[] = {"kernel.msgmax",	       "kernel.sem",	    "kernel.shmmax",
			     "kernel.shm_rmid_forced", "fs.mqueue.msg_max", "kernel/shmall"};
	for (size_t i = 0; i < sizeof(ipc) / sizeof(ipc[0]); i++) {
		assert_int_equal(sysctl_check(ipc[i], &all, &err), 0);
		assert_int_equal(sysctl_check(ipc[i], &none, &err), -1);
		assert_non_null(strstr(err.msg, "IPC namespace"));
	}
	assert_int_equal(sysctl_check("net.ipv4.ip_forward", &all, &err), 0);
	assert_int_equal(sysctl_check("net/ipv4/conf/eth0.100/forwarding", &all, &err), 0);
	assert_int_equal(sysctl_check("net.ipv4.ip_forward", &none, &err), -1);
	assert_non_null(strstr(err.msg, "network namespace"));
	assert_int_equal(sysctl_check("kernel.hostname", &all, &err), 0);
	assert_int_equal(sysctl_check("kernel.domainname", &none, &err), -1);
	assert_non_null(strstr(err.msg, "UTS namespace"));
	/* Host-wide parameters are refused whatever the namespaces. */
	const char *host[] = {"vm.swappiness", "kernel.pid_max", "kernel.msgmaxx", "fs.file-max",
			      "kernel.shmmaxx"};
	for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
		assert_int_equal(sysctl_check(host[i], &all, &err), -1);
		assert_non_null(strstr(err.msg, "not namespaced"));
		assert_int_equal(err.errnum, EPERM);
	}
	/* Keys that would leave /proc/sys are invalid. */
	const char *bad[] = {"",       "../../etc/passwd", "net/../../x", "/net/ipv4",
			     "net//x", "net.ipv4 x",	   ".net"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sysctl_check(bad[i], &all, &err), -1);
		assert_non_null(strstr(err.msg, "invalid key"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_flag_word),
	    cmocka_unit_test(test_later_word_wins),
	    cmocka_unit_test(test_bind_and_rbind),
	    cmocka_unit_test(test_propagation_words),
	    cmocka_unit_test(test_rootfs_propagation_rejects_other_words),
	    cmocka_unit_test(test_recursive_attributes),
	    cmocka_unit_test(test_recursive_atime),
	    cmocka_unit_test(test_unknown_words_are_data),
	    cmocka_unit_test(test_empty_and_special_words),
	    cmocka_unit_test(test_case_matters),
	    cmocka_unit_test(test_option_names_are_all_known),
	    cmocka_unit_test(test_remount_needed_only_for_per_mount_flags),
	    cmocka_unit_test(test_idmap_text_maps),
	    cmocka_unit_test(test_devpts_data),
	    cmocka_unit_test(test_sysctl_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
