#!/usr/bin/env bats
# hutch-overlay: the merged view, whiteouts, opaque dirs, copy-up.
# modes: sub solo userns

load ../helpers
load lib

setup() {
	ovl_init
}

teardown() {
	ovl_teardown
}

@test "lower layers merge, the top one wins, and the mount shows upper changes" {
	echo low >"$O/l2/same"
	echo top >"$O/l1/same"
	echo only2 >"$O/l2/only2"
	mkdir -p "$O/l2/dir/sub" "$O/l1/dir"
	echo deep >"$O/l2/dir/sub/f"
	echo up1 >"$O/l1/dir/g"
	ovl_mount
	[ "$(cat "$O/m/same")" = top ]
	[ "$(cat "$O/m/only2")" = only2 ]
	[ "$(cat "$O/m/dir/sub/f")" = deep ]
	[ "$(ls "$O/m/dir" | tr '\n' ' ')" = "g sub " ]
	echo new >"$O/m/dir/new"
	[ "$(cat "$O/u/dir/new")" = new ]
	[ "$(cat "$O/m/dir/new")" = new ]
}

@test "whiteouts are read in both forms and hide lower names; .wh. names never show" {
	echo a >"$O/l2/by-dev"
	echo b >"$O/l2/by-file"
	mkdir "$O/l2/dir-by-file"
	touch "$O/l1/.wh.by-file" "$O/l1/.wh.dir-by-file"
	if ! mknod "$O/l1/by-dev" c 0 0 2>/dev/null; then
		# A user outside a user namespace may still make 0/0 devices
		# (kernel >= 5.8); where not, the other form is enough.
		touch "$O/l1/.wh.by-dev"
	fi
	ovl_mount
	run ls -a "$O/m"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '.\n..')" ]
	[ ! -e "$O/m/by-dev" ]
	[ ! -e "$O/m/by-file" ]
	[ ! -e "$O/m/.wh.by-file" ]
	run cat "$O/m/.wh.by-file"
	[ "$status" -ne 0 ]
	# Names come back when created anew.
	echo again >"$O/m/by-dev"
	[ "$(cat "$O/m/by-dev")" = again ]
	mkdir "$O/m/dir-by-file"
	[ -d "$O/m/dir-by-file" ]
}

@test "opaque directories hide the lower content: .wh..wh..opq and user.overlay.opaque" {
	mkdir -p "$O/l2/a" "$O/l2/b" "$O/l1/a" "$O/l1/b"
	echo hidden >"$O/l2/a/x"
	echo hidden >"$O/l2/b/x"
	echo seen >"$O/l1/a/y"
	echo seen >"$O/l1/b/y"
	touch "$O/l1/a/.wh..wh..opq"
	overlay-ops setxattr "$O/l1/b" user.overlay.opaque y || skip "no user xattrs on $O"
	ovl_mount
	[ "$(ls -a "$O/m/a" | tr '\n' ' ')" = ". .. y " ]
	[ "$(ls -a "$O/m/b" | tr '\n' ' ')" = ". .. y " ]
	[ ! -e "$O/m/a/x" ]
	[ ! -e "$O/m/b/x" ]
}

@test "removing a lower name writes a whiteout; rmdir then mkdir gives an opaque dir" {
	echo a >"$O/l2/f"
	mkdir -p "$O/l2/d"
	echo inner >"$O/l2/d/inner"
	ovl_mount
	rm "$O/m/f"
	[ ! -e "$O/m/f" ]
	rm "$O/m/d/inner"
	rmdir "$O/m/d"
	[ ! -e "$O/m/d" ]
	mkdir "$O/m/d"
	[ -z "$(ls -A "$O/m/d")" ]
	ovl_umount
	# The whiteout is a 0/0 character device where mknod works, a .wh.
	# file otherwise; the lower layer is untouched.
	if [ -c "$O/u/f" ]; then
		[ "$(stat -c '%t:%T' "$O/u/f")" = 0:0 ]
	else
		[ -e "$O/u/.wh.f" ]
	fi
	[ -f "$O/l2/f" ]
	[ -f "$O/l2/d/inner" ]
	# After a remount the result is the same.
	ovl_mount
	[ ! -e "$O/m/f" ]
	[ -z "$(ls -A "$O/m/d")" ]
}

@test "an opaque directory chmodded without owner read keeps hiding the lower names after a remount" {
	mkdir -p "$O/l2/d"
	echo inner >"$O/l2/d/inner"
	ovl_mount
	rm -r "$O/m/d"
	mkdir "$O/m/d"
	chmod 311 "$O/m/d"
	[ ! -e "$O/m/d/inner" ]
	ovl_umount
	# A daemon without CAP_DAC_OVERRIDE needs read permission to read
	# the opacity xattr of d.
	ovl_mount
	[ ! -e "$O/m/d/inner" ]
	[ "$(stat -c %a "$O/m/d")" = 311 ]
	chmod 755 "$O/m/d"
	[ -z "$(ls -A "$O/m/d")" ]
}

@test "a directory read while it changes through the mount shows every name that stayed exactly once" {
	ovl_big_dir big
	ovl_mount
	ovl_read_while_changing big
	ovl_umount
}

@test "a directory listed again after changes shows the same inode numbers and attributes as stat" {
	require_cmd python3
	local i
	mkdir "$O/l2/d" "$O/l2/e"
	for i in 1 2 3 4 5 6; do echo "$i" >"$O/l2/d/f$i"; done
	chmod 4755 "$O/l2/d/f6"
	ln "$O/l2/d/f1" "$O/l2/e/link"
	ovl_mount
	# Listed, then every name known to the kernel; a listing built again
	# after changes gives known names without attributes.
	ls -l "$O/m/d" "$O/m/e" >/dev/null
	touch "$O/m/d/new"
	chmod 600 "$O/m/d/f2"
	echo more >>"$O/m/d/f3"
	rm "$O/m/d/f4"
	mv "$O/m/d/f5" "$O/m/d/moved"
	ln "$O/m/e/link" "$O/m/d/link2"
	listing() {
		# readdir's inode numbers (d_ino, as os.scandir reports it)
		# next to stat's, and the attributes stat shows.
		python3 -c 'import os, sys
for e in sorted(os.scandir(sys.argv[1]), key=lambda e: e.name):
    print(e.inode(), e.name)' "$1" >"$BATS_TEST_TMPDIR/ls.$2"
		(cd "$1" && for f in $(ls | sort); do stat -c '%i %n %s %a %h' "$f"; done) \
			>"$BATS_TEST_TMPDIR/stat.$2"
		diff <(awk '{print $1, $2}' "$BATS_TEST_TMPDIR/stat.$2") "$BATS_TEST_TMPDIR/ls.$2"
	}
	listing "$O/m/d" again
	listing "$O/m/e" again-e
	grep -qx '[0-9]* f2 2 600 1' "$BATS_TEST_TMPDIR/stat.again"
	grep -qx '[0-9]* f3 7 644 1' "$BATS_TEST_TMPDIR/stat.again"
	grep -qx '[0-9]* f6 2 4755 1' "$BATS_TEST_TMPDIR/stat.again"
	grep -qx '[0-9]* link2 2 644 3' "$BATS_TEST_TMPDIR/stat.again"
	! grep -q ' f4 ' "$BATS_TEST_TMPDIR/stat.again"
	# A fresh mount (every entry with attributes) shows the same.
	ovl_umount
	ovl_mount
	listing "$O/m/d" remount
	listing "$O/m/e" remount-e
	diff "$BATS_TEST_TMPDIR/stat.again" "$BATS_TEST_TMPDIR/stat.remount"
	diff "$BATS_TEST_TMPDIR/stat.again-e" "$BATS_TEST_TMPDIR/stat.remount-e"
}

@test "rm -rf of a lower tree, also while the directory is being read; the work dir empties" {
	local d f
	for d in a b c; do
		mkdir -p "$O/l2/tree/$d/deep"
		for f in 1 2 3 4 5; do
			echo "$d$f" >"$O/l2/tree/$d/f$f"
			echo "$d$f" >"$O/l2/tree/$d/deep/g$f"
		done
	done
	echo top >"$O/l1/tree/a/f1" 2>/dev/null || { mkdir -p "$O/l1/tree/a" && echo top >"$O/l1/tree/a/f1"; }
	ovl_mount
	ls -R "$O/m/tree" >/dev/null
	# Names removed while a directory is open do not come back, and the
	# listing of the open directory still ends.
	exec 5<"$O/m/tree/b"
	rm "$O/m/tree/b/f1" "$O/m/tree/b/f2"
	[ "$(ls "$O/m/tree/b" | tr '\n' ' ')" = "deep f3 f4 f5 " ]
	exec 5<&-
	run rmdir "$O/m/tree/b"
	[ "$status" -ne 0 ]
	rm -rf "$O/m/tree"
	[ ! -e "$O/m/tree" ]
	[ -z "$(ls -A "$O/m")" ]
	mkdir "$O/m/tree"
	[ -z "$(ls -A "$O/m/tree")" ]
	# The removed upper directories went to the work dir and are deleted
	# there in the background.
	local i
	for i in $(seq 1 600); do
		[ -z "$(ls -A "$O/w" | grep -v -e '^index$' -e '^#hutch-whiteout$')" ] && break
		sleep 0.1
	done
	[ -z "$(ls -A "$O/w" | grep -v -e '^index$' -e '^#hutch-whiteout$')" ]
	ovl_umount
	ovl_mount
	[ -z "$(ls -A "$O/m/tree")" ]
	[ "$(cat "$O/l2/tree/c/deep/g5")" = c5 ]
}

@test "copy-up keeps data, sparse holes, mode, times and xattrs" {
	printf 'head' >"$O/l2/sparse"
	truncate -s 64M "$O/l2/sparse"
	printf 'tail' >>"$O/l2/sparse"
	chmod 640 "$O/l2/sparse"
	touch -d '2001-02-03 04:05:06' "$O/l2/sparse"
	overlay-ops setxattr "$O/l2/sparse" user.test hello || skip "no user xattrs"
	ovl_mount
	before=$(md5sum <"$O/m/sparse")
	touch -a "$O/m/sparse" # an attribute change copies up without rewriting
	chmod 640 "$O/m/sparse"
	[ -f "$O/u/sparse" ]
	[ "$(md5sum <"$O/m/sparse")" = "$before" ]
	[ "$(stat -c %a "$O/m/sparse")" = 640 ]
	[ "$(stat -c %Y "$O/m/sparse")" = "$(stat -c %Y "$O/l2/sparse")" ]
	[ "$(overlay-ops getxattr "$O/m/sparse" user.test)" = hello ]
	# The copy is sparse: far fewer blocks than its size.
	blocks=$(stat -c %b "$O/u/sparse")
	[ "$blocks" -lt 1024 ]
}

@test "the overlay's private xattrs are hidden and cannot be set" {
	echo a >"$O/l2/f"
	ovl_mount
	echo b >>"$O/m/f" # copy-up writes the origin record
	run overlay-ops listxattr "$O/m/f"
	[ "$status" -eq 0 ]
	[[ "$output" != *user.hutch* ]]
	run overlay-ops getxattr "$O/m/f" user.hutch.origin
	[ "$output" = ENODATA ]
	run overlay-ops setxattr "$O/m/f" user.overlay.opaque y
	[ "$status" -ne 0 ]
	overlay-ops setxattr "$O/m/f" user.mine v
	[ "$(overlay-ops getxattr "$O/m/f" user.mine)" = v ]
}

@test "symlinks, fifos and sockets; device nodes only where allowed" {
	ln -s target "$O/l2/link"
	ovl_mount
	[ "$(readlink "$O/m/link")" = target ]
	ln -s other "$O/m/link2"
	[ "$(readlink "$O/m/link2")" = other ]
	mkfifo "$O/m/fifo"
	[ -p "$O/m/fifo" ]
	[ -p "$O/u/fifo" ]
	run mknod "$O/m/null" c 1 3
	if [ "$status" -eq 0 ]; then
		[ -c "$O/m/null" ]
	fi
}

@test "a 0/0 character device made through the mount is one (stored escaped), not a whiteout" {
	echo lower >"$O/l2/hidden"
	mkdir "$O/l2/dir"
	ovl_mount
	mknod "$O/m/wh" c 0 0
	mknod "$O/m/dir/wh2" c 0 0
	[ "$(stat -c '%F %t:%T' "$O/m/wh")" = "character special file 0:0" ]
	[ "$(find "$O/m" -type c | sort)" = "$(printf '%s\n' "$O/m/dir/wh2" "$O/m/wh")" ]
	# In upper it is an empty file, so it does not hide anything there.
	[ -f "$O/u/wh" ] && [ ! -s "$O/u/wh" ]
	# Over a lower name it replaces that name; removing it leaves the
	# name removed (with a whiteout of our own underneath).
	rm "$O/m/hidden"
	mknod "$O/m/hidden" c 0 0
	[ -c "$O/m/hidden" ]
	rm "$O/m/hidden"
	[ ! -e "$O/m/hidden" ]
	ovl_umount
	ovl_mount
	[ "$(stat -c '%F %t:%T' "$O/m/dir/wh2")" = "character special file 0:0" ]
	[ ! -e "$O/m/hidden" ]
	[ "$(ls -A "$O/m" | sort | tr '\n' ' ')" = "dir wh " ]
}

@test "fuse-overlayfs nested on hutch-overlay: its whiteouts work" {
	require_cmd fuse-overlayfs
	mkdir -p "$O/l2/inner/lower" "$O/l2/inner/upper" "$O/l2/inner/work" "$O/l2/inner/m"
	echo one >"$O/l2/inner/lower/one"
	echo two >"$O/l2/inner/lower/two"
	ovl_mount
	local i=$O/m/inner
	fuse-overlayfs -o "lowerdir=$i/lower,upperdir=$i/upper,workdir=$i/work" "$i/m" ||
		skip "fuse-overlayfs cannot mount here"
	rm "$i/m/one"
	mv "$i/m/two" "$i/m/three"
	run ls -A "$i/m"
	fusermount3 -u "$i/m" || umount "$i/m"
	echo "$output"
	[ "$output" = three ]
	[ "$(stat -c '%F %t:%T' "$i/upper/one")" = "character special file 0:0" ]
}

@test "statfs reports the upper filesystem" {
	ovl_mount
	[ "$(stat -f -c '%b %S' "$O/m")" = "$(stat -f -c '%b %S' "$O/u")" ]
}

@test "without upperdir the mount is read-only" {
	echo a >"$O/l2/f"
	ovl_mount_opts "lowerdir=$O/l1:$O/l2"
	[ "$(cat "$O/m/f")" = a ]
	run sh -c "echo x > '$O/m/f'"
	[ "$status" -ne 0 ]
	run touch "$O/m/new"
	[ "$status" -ne 0 ]
}

@test "the merged tree matches a plain directory built from the same layers" {
	cp -a "$BUSYBOX_ROOTFS/." "$O/l2/" 2>/dev/null || skip "no busybox rootfs"
	mkdir -p "$O/l1/etc"
	echo changed >"$O/l1/etc/hostname"
	mkdir "$BATS_TEST_TMPDIR/ref"
	cp -a "$O/l2/." "$BATS_TEST_TMPDIR/ref/"
	cp -a "$O/l1/." "$BATS_TEST_TMPDIR/ref/"
	ovl_mount
	diff <(tree_listing "$BATS_TEST_TMPDIR/ref") <(tree_listing "$O/m")
	diff <(tree_sums "$BATS_TEST_TMPDIR/ref") <(tree_sums "$O/m")
}
