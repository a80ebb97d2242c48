#!/usr/bin/env bats
# hutch-overlay against a plain directory (must match) and the kernel's
# overlayfs in a user namespace (printed for information), running the same
# sequence of operations on the same layers.
# modes: sub solo

load ../helpers
load lib

setup() {
	ovl_init
	mkdir -p "$O/l2/etc" "$O/l2/usr/lib/deep" "$O/l2/var/empty" "$O/l1/etc"
	echo passwd >"$O/l2/etc/passwd"
	echo lower-conf >"$O/l2/etc/conf"
	echo top-conf >"$O/l1/etc/conf"
	echo lib >"$O/l2/usr/lib/libx.so"
	echo deep >"$O/l2/usr/lib/deep/file"
	ln "$O/l2/usr/lib/libx.so" "$O/l2/usr/lib/libx.so.1"
	ln -s libx.so "$O/l2/usr/lib/link"
	REF=$BATS_TEST_TMPDIR/ref
	mkdir -p "$REF"
	cp -a "$O/l2/." "$REF/"
	cp -a "$O/l1/." "$REF/"
}

teardown() {
	ovl_teardown
}

# The operations, run in directory $1; prints a transcript.
ops() {
	cd "$1" || return 1
	echo appended >>etc/passwd
	chmod 600 etc/conf
	mv etc/conf etc/conf.moved
	mkdir -p new/dir && echo n >new/dir/file
	rm usr/lib/deep/file && rmdir usr/lib/deep
	echo appended >>usr/lib/libx.so
	echo "rename(usr/lib): $(overlay-ops rename none usr/lib usr/lib64)"
	[ -d usr/lib64 ] || mv usr/lib usr/lib64
	ln -sf /target new/abs-link
	ln etc/passwd new/passwd-link
	rmdir var/empty
	mkdir var/empty
	listing
}

# Directory link counts are left out: a merged directory reports 1, as on
# the kernel overlay.
listing() {
	find . -mindepth 1 \( -type d -printf '%y %m %p\n' \) -o -printf '%y %m %s %n %p -> %l\n' | sort
	find . -type f -print0 | sort -z | xargs -0 md5sum
}

@test "the same operations give the same tree as on a plain directory" {
	ovl_mount
	want=$(ops "$REF")
	got=$(ops "$O/m")
	diff <(echo "$want") <(echo "$got")
	ovl_umount
	ovl_mount
	after=$(cd "$O/m" && listing)
	diff <(echo "$want" | grep -v '^rename(') <(echo "$after")
}

@test "for information: the kernel overlay (userxattr) on the same layers" {
	kernel=$(unshare -Urm bash -c '
		mount -t overlay overlay -o "userxattr,lowerdir=$1/l1:$1/l2,upperdir=$1/u,workdir=$1/w" "$1/m" || exit 77
		'"$(declare -f ops listing)"'
		ops "$1/m"; cd /; umount "$1/m"' sh "$O" 2>&1) || true
	[ -n "$kernel" ] || skip "no kernel overlay in a user namespace here"
	want=$(ops "$REF")
	d=$(diff <(echo "$want") <(echo "$kernel") | sed 's/^/# /' || true)
	echo "# kernel overlay differs from a plain directory in:" >&3
	echo "${d:-# (nothing)}" >&3
	# hutch-overlay on fresh upper/work gives the plain-directory result.
	chmod -R u+rwx "$O/u" "$O/w"
	rm -rf "$O/u" "$O/w"
	mkdir "$O/u" "$O/w"
	ovl_mount
	got=$(ops "$O/m")
	[ "$got" = "$want" ]
}
