#!/usr/bin/env bats
# hutch-overlay clears set-user-ID and set-group-ID bits (and file
# capabilities) on write, truncate, fallocate, O_TRUNC and chown as a plain
# directory does: where the kernel grants FUSE_HANDLE_KILLPRIV_V2 it leaves
# that to the daemon (and no longer asks for security.capability before
# every write).
# modes: sub solo userns

load ../helpers
load lib

setup() {
	ovl_init
	require_cmd python3
	REF=$BATS_TEST_TMPDIR/ref
	mkdir -p "$REF/low" "$O/l2/low"
	make_files "$REF/low"
	make_files "$O/l2/low"
}

teardown() {
	ovl_teardown
}

# Files with set-id bits in dir $1, one for each kind of change.
make_files() {
	local f
	for f in write append ftrunc trunc falloc otrunc chown sgid-nox sgid-x plain; do
		echo data >"$1/$f"
	done
	chmod 6755 "$1/write" "$1/append" "$1/ftrunc" "$1/trunc" "$1/falloc" "$1/otrunc" \
		"$1/chown"
	chmod 2644 "$1/sgid-nox"
	chmod 2775 "$1/sgid-x"
	chmod 4700 "$1/plain"
}

# Change the files of dir $1 and print their modes (and sizes).
change_files() {
	(
		cd "$1" || exit 1
		dd if=/dev/zero of=write bs=1 count=1 conv=notrunc status=none
		echo more >>append
		truncate -s 2 ftrunc # open + ftruncate
		python3 -c 'import os; os.truncate("trunc", 1)'
		fallocate -l 8192 falloc
		: >otrunc
		chown "$(id -u)" chown
		echo more >>sgid-nox
		echo more >>sgid-x
		cat plain >/dev/null
		stat -c '%n %a %s' * | sort
	)
}

# The same on files made in dir $1 (through the mount: new upper files).
changes_on_new_files() {
	mkdir "$1/new"
	make_files "$1/new"
	change_files "$1/new"
}

expect_plain() { # mount options
	want=$(change_files "$REF/low")
	want_new=$(changes_on_new_files "$REF")
	ovl_mount "$1"
	got=$(change_files "$O/m/low")
	diff <(echo "$want") <(echo "$got")
	got_new=$(changes_on_new_files "$O/m")
	diff <(echo "$want_new") <(echo "$got_new")
	# The modes were stored, not only shown.
	ovl_umount
	ovl_mount "$1"
	diff <(echo "$want") <(cd "$O/m/low" && stat -c '%n %a %s' * | sort)
	diff <(echo "$want_new") <(cd "$O/m/new" && stat -c '%n %a %s' * | sort)
}

@test "set-id bits go on write, truncate, fallocate, O_TRUNC and chown as on a plain directory" {
	expect_plain ""
	# The bits that stay were set for real.
	grep -qx 'sgid-nox 2644 10' <(echo "$want")
	grep -qx 'plain 4700 5' <(echo "$want")
	grep -qx 'write 755 5' <(echo "$want")
}

@test "xattr_permissions=2: set-id bits kept in the xattr go as on a plain directory" {
	overlay-ops setxattr "$O/l2/low/write" user.probe y >/dev/null 2>&1 || skip "no user xattrs on $O"
	expect_plain "xattr_permissions=2"
}

@test "a write through a file opened before chmod u+s clears the bit" {
	echo data >"$O/l2/f"
	ovl_mount
	exec 7>>"$O/m/f"
	chmod 4755 "$O/m/f"
	[ "$(stat -c %a "$O/m/f")" = 4755 ]
	echo more >&7
	exec 7>&-
	[ "$(stat -c %a "$O/m/f")" = 755 ]
	[ "$(stat -c %a "$O/u/f")" = 755 ]
}

@test "file capabilities go on write" {
	skip_unless_mode userns
	require_cmd setcap
	echo data >"$O/l2/f"
	ovl_mount
	setcap cap_net_raw+ep "$O/m/f" || skip "setcap refused here"
	[ -n "$(getcap "$O/m/f")" ]
	echo more >>"$O/m/f"
	[ -z "$(getcap "$O/m/f")" ]
	ovl_umount
	ovl_mount
	[ -z "$(getcap "$O/m/f")" ]
}

# The daemon answers the kernel's question for security.capability on a
# file made through the mount without asking the layer, until an xattr is
# set on it: a capability set later must show, and go on write and chown
# as on a plain directory.
@test "file capabilities of a file made through the mount show, and go on write and chown" {
	skip_unless_mode userns
	require_cmd setcap
	ovl_mount
	local d
	for d in "$O/m" "$REF"; do
		echo data >"$d/new"
		setcap cap_net_raw+ep "$d/new" || skip "setcap refused here"
		getcap "$d/new" >"$d.caps-set"
		echo more >>"$d/new"
		getcap "$d/new" >"$d.caps-written"
		setcap cap_net_raw+ep "$d/new"
		chown "$(id -u)" "$d/new"
		getcap "$d/new" >"$d.caps-chowned"
		setcap cap_net_raw+ep "$d/new"
		sed -i "s|^$d/||" "$d".caps-*
	done
	grep -q cap_net_raw "$O/m.caps-set"
	diff "$REF.caps-set" "$O/m.caps-set"
	diff "$REF.caps-written" "$O/m.caps-written"
	diff "$REF.caps-chowned" "$O/m.caps-chowned"
	[ -n "$(getcap "$O/m/new")" ]
	ovl_umount
	ovl_mount
	[ -n "$(getcap "$O/m/new")" ]
}
