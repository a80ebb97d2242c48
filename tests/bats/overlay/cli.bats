#!/usr/bin/env bats
# hutch-overlay: command line, mount-time checks, mounting and unmounting.
# modes: sub solo userns

load ../helpers
load lib

setup() {
	ovl_init
	echo a >"$O/l2/a"
}

teardown() {
	ovl_teardown
	[ -z "${SHM:-}" ] || rm -rf "$SHM"
}

# refuse OPTIONS MESSAGE: the mount fails with MESSAGE and nothing is mounted.
refuse() {
	run with_timeout 10 hutch-overlay -f -o "$1" "${2:-$O/m}"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$3"* ]]
	! ovl_is_mounted "${2:-$O/m}"
}

@test "--help and --version" {
	run hutch-overlay --help
	[ "$status" -eq 0 ]
	[[ "$output" == *lowerdir=* ]]
	[[ "$output" == *xattr_permissions* ]]
	[[ "$output" == *metacopy=0\|1* ]]
	run hutch-overlay --version
	[ "$status" -eq 0 ]
	[[ "$output" == "hutch-overlay "* ]]
}

@test "an unknown option is an error, not a silent no-op" {
	refuse "lowerdir=$O/l2,upperdir=$O/u,workdir=$O/w,bogus_option" "" 'unknown option "bogus_option"'
	refuse "lowerdir=$O/l2,xattr_permissions=7" "" "xattr_permissions"
	run hutch-overlay -o "lowerdir=$O/l2"
	[ "$status" -ne 0 ]
}

@test "a missing lower dir is named in the error" {
	refuse "lowerdir=$O/nope:$O/l2,upperdir=$O/u,workdir=$O/w" "" "lower dir $O/nope"
}

@test "an unreadable lower dir is an error" {
	skip_in_mode userns # root in the namespace reads it anyway
	mkdir "$O/locked"
	chmod 000 "$O/locked"
	refuse "lowerdir=$O/locked,upperdir=$O/u,workdir=$O/w" "" "Permission denied"
}

@test "a work dir on another filesystem than upper is an error" {
	[ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$O")" ] || skip "/dev/shm is on the same device"
	SHM=$(mktemp -d /dev/shm/hutch-ovl.XXXXXX)
	refuse "lowerdir=$O/l2,upperdir=$O/u,workdir=$SHM" "" "not on the filesystem of upper dir"
}

@test "a mount point inside a layer is an error" {
	mkdir "$O/l2/inside"
	refuse "lowerdir=$O/l1:$O/l2,upperdir=$O/u,workdir=$O/w" "$O/l2/inside" "overlaps layer"
}

@test "upper on a filesystem without user xattrs is an error" {
	# ramfs keeps no user xattrs; mounting it needs a user namespace.
	mkdir "$O/ram"
	script='mount -t ramfs none "$1/ram" || exit 77
		mkdir "$1/ram/u" "$1/ram/w"
		if overlay-ops setxattr "$1/ram/u" user.x y >/dev/null 2>&1; then exit 78; fi
		timeout 10 hutch-overlay -f -o "lowerdir=$1/l2,upperdir=$1/ram/u,workdir=$1/ram/w" "$1/m"
		st=$?
		umount "$1/ram"
		exit $st'
	if [ "$HUTCH_TEST_MODE" = userns ]; then
		run sh -c "$script" sh "$O"
	else
		run unshare -Urm sh -c "$script" sh "$O"
	fi
	echo "$output"
	[ "$status" -ne 77 ] || skip "cannot mount ramfs here"
	[ "$status" -ne 78 ] || skip "ramfs keeps user xattrs on this kernel"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot store user extended attributes"* ]]
}

@test "SIGTERM unmounts cleanly and the daemon exits 0" {
	ovl_mount
	[ "$(cat "$O/m/a")" = a ]
	kill -TERM "$OVL_PID"
	st=0
	wait "$OVL_PID" || st=$?
	OVL_PID=
	[ "$st" -eq 0 ]
	! ovl_is_mounted "$O/m"
}

@test "unmount (fusermount3 -u or umount) ends the daemon with status 0" {
	ovl_mount
	pid=$OVL_PID
	fusermount3 -u "$O/m" 2>/dev/null || umount "$O/m"
	st=0
	wait "$pid" || st=$?
	OVL_PID=
	[ "$st" -eq 0 ]
}

@test "without -f it returns once the mount is ready, with a source argument as mount.fuse3 passes it" {
	run with_timeout 10 hutch-overlay my-source "$O/m" -o "lowerdir=$O/l2,upperdir=$O/u,workdir=$O/w"
	[ "$status" -eq 0 ]
	ovl_is_mounted "$O/m"
	[ "$(cat "$O/m/a")" = a ]
	grep -q "my-source $(realpath "$O/m") fuse.hutch-overlay" /proc/self/mounts
	fusermount3 -u "$O/m" 2>/dev/null || umount "$O/m"
	! ovl_is_mounted "$O/m"
}

@test "mounts directly inside a user namespace that owns its mount namespace" {
	skip_in_mode userns # this mode runs every test that way
	run with_timeout 30 unshare -Urm sh -c '
		hutch-overlay -o "lowerdir=$1/l2,upperdir=$1/u,workdir=$1/w" "$1/m" || exit 1
		grep -q " fuse.hutch-overlay " /proc/self/mounts || exit 2
		echo b > "$1/m/b" && mv "$1/m/a" "$1/m/c" && cat "$1/m/c" || exit 3
		umount "$1/m"' sh "$O"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$O/u/b")" = b ]
	# The rename copied the metadata only: c's data is still l2's a.
	[ "$(overlay-ops getxattr "$O/u/c" user.hutch.metacopy)" = 1:a ]
	[ "$(stat -c %s "$O/u/c")" = 2 ]
}

@test "escaped colons in lowerdir" {
	mkdir "$O/with:colon"
	echo c >"$O/with:colon/c"
	ovl_mount_opts "lowerdir=$O/with\\:colon:$O/l2,upperdir=$O/u,workdir=$O/w"
	[ "$(cat "$O/m/c")" = c ]
	[ "$(cat "$O/m/a")" = a ]
}
