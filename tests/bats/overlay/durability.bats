#!/usr/bin/env bats
# How a copy-up is made durable depends on the upper layer's filesystem:
# ext4 with a journal (and XFS) commits a rename only after the data
# written before it, so a copy is written back, not synced; an ext4 made
# without a journal gives no such order, and a copy there must be synced.
# Both on real ext4 images (loop devices, hence root).
# modes: root

load ../helpers
load lib

LOOPS=()

setup() {
	ovl_init
	require_cmd mkfs.ext4
	require_cmd losetup
}

teardown() {
	ovl_teardown
	local d
	for d in "${LOOPS[@]}"; do umount "$d" 2>/dev/null || umount -l "$d" || true; done
}

# ext4_at DIR [MKFS_OPTIONS...]: a fresh 64 MiB ext4 mounted at DIR.
ext4_at() {
	local dir=$1 img=$1.img
	shift
	truncate -s 64M "$img"
	mkfs.ext4 -q -F "$@" "$img"
	mkdir -p "$dir"
	mount -o loop "$img" "$dir" || skip "no loop devices here"
	LOOPS+=("$dir")
}

# copy_up_on DIR: the overlay's upper and work dirs on DIR; appends to a
# lower file through the mount and checks the copy in upper.
copy_up_on() {
	mkdir -p "$1/u" "$1/w"
	head -c 100000 /dev/urandom >"$O/l2/data"
	cp "$O/l2/data" "$BATS_TEST_TMPDIR/ref"
	OVL_DEBUG=1 ovl_mount_opts "lowerdir=$O/l1:$O/l2,upperdir=$1/u,workdir=$1/w"
	echo tail >>"$O/m/data"
	echo tail >>"$BATS_TEST_TMPDIR/ref"
	ovl_umount
	cmp "$1/u/data" "$BATS_TEST_TMPDIR/ref"
}

@test "on ext4 with a journal a copy-up is written back before its rename, not synced" {
	ext4_at "$BATS_TEST_TMPDIR/j"
	copy_up_on "$BATS_TEST_TMPDIR/j"
	grep -q "copy-up: each copy's data is written back before its rename" "$BATS_TEST_TMPDIR/ovl.log"
}

@test "on ext4 without a journal a copy-up is synced before its rename" {
	ext4_at "$BATS_TEST_TMPDIR/nj" -O ^has_journal
	copy_up_on "$BATS_TEST_TMPDIR/nj"
	grep -q "copy-up: each copy is synced before its rename" "$BATS_TEST_TMPDIR/ovl.log"
}

@test "with fsync=0 a copy-up is neither written back nor synced" {
	ext4_at "$BATS_TEST_TMPDIR/j"
	mkdir -p "$BATS_TEST_TMPDIR/j/u" "$BATS_TEST_TMPDIR/j/w"
	OVL_DEBUG=1 ovl_mount_opts "lowerdir=$O/l1:$O/l2,upperdir=$BATS_TEST_TMPDIR/j/u,workdir=$BATS_TEST_TMPDIR/j/w,fsync=0"
	stat "$O/m" >/dev/null # answered once the kernel's INIT is
	grep -q "copy-up: copies are neither written back nor synced (fsync=0)" "$BATS_TEST_TMPDIR/ovl.log"
}
