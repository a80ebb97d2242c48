#!/usr/bin/env bats
# hutch-overlay: direct reads (FOPEN_DIRECT_IO for read-only opens of big
# files, where the kernel grants FUSE_DIRECT_IO_ALLOW_MMAP) and the
# buffered reads that remain for everything else and older kernels.
# modes: sub solo userns

load ../helpers
load lib

setup() {
	ovl_init
}

teardown() {
	ovl_teardown
}

# Linux 6.6 and later offer FUSE_DIRECT_IO_ALLOW_MMAP; before, every read
# goes through the page cache.
kernel_grants_direct_mmap() {
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	[ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "${minor%%[!0-9]*}" -ge 6 ]; }
}

# largest_read FILE: the largest READ reply (bytes, header included) the
# daemon logged (OVL_DEBUG=1) for FILE, whose node id is its inode number.
largest_read() {
	local ino
	ino=$(stat -c %i "$1")
	awk -v ino="$ino" '
		function field(name) { return match($0, name ": [0-9]+") ? substr($0, RSTART + length(name) + 2, RLENGTH - length(name) - 2) : "" }
		/opcode: READ / && field("nodeid") == ino { want[field("unique")] = 1 }
		/success, outsize:/ && (field("unique") in want) { n = field("outsize") + 0; if (n > max) max = n }
		END { print max + 0 }' "$BATS_TEST_TMPDIR/ovl.log"
}

# Buffered reads reach the daemon as readahead of at most 128 KiB (plus
# the reply's 16-byte header); a direct dd bs=1M read makes bigger ones.
READAHEAD_REPLY=131088

@test "read-only opens of big files read without the page cache, where the kernel allows it" {
	head -c 3M /dev/urandom >"$O/l2/big"
	head -c 512K /dev/urandom >"$O/l2/small"
	head -c 3M /dev/urandom >"$O/l2/written"
	head -c 3M /dev/urandom >"$O/l2/off"
	OVL_DEBUG=1 ovl_mount
	dd if="$O/m/big" of=/dev/null bs=1M status=none
	dd if="$O/m/small" of=/dev/null bs=1M status=none
	# Opened for reading and writing: buffered (and copied up).
	dd of=/dev/null bs=1M status=none <>"$O/m/written"
	cmp "$O/m/big" "$O/l2/big"
	cmp "$O/m/written" "$O/l2/written"
	big=$(largest_read "$O/m/big")
	echo "largest READ replies: big $big, small $(largest_read "$O/m/small"), written $(largest_read "$O/m/written")"
	if kernel_grants_direct_mmap; then
		[ "$big" -gt "$READAHEAD_REPLY" ]
	else
		[ "$big" -le "$READAHEAD_REPLY" ]
	fi
	[ "$(largest_read "$O/m/small")" -le "$READAHEAD_REPLY" ]
	[ "$(largest_read "$O/m/written")" -le "$READAHEAD_REPLY" ]
	local opt
	for opt in direct_read=0 writeback=1; do
		ovl_umount
		OVL_DEBUG=1 ovl_mount "$opt"
		dd if="$O/m/off" of=/dev/null bs=1M status=none
		echo "$opt: largest READ reply $(largest_read "$O/m/off")"
		[ "$(largest_read "$O/m/off")" -gt 0 ]
		[ "$(largest_read "$O/m/off")" -le "$READAHEAD_REPLY" ]
	done
}

@test "ELF files stay buffered and executables run; a file read in small pieces is buffered next time" {
	kernel_grants_direct_mmap || skip "Linux $(uname -r) has no FUSE_DIRECT_IO_ALLOW_MMAP"
	cp "$(command -v ls)" "$O/l2/ls"
	head -c "$(stat -c %s "$O/l2/ls")" /dev/urandom >"$O/l2/data"
	head -c 1M /dev/urandom >"$O/l2/pieces"
	OVL_DEBUG=1 ovl_mount "direct_read=1"
	"$O/m/ls" "$O/m" >/dev/null
	dd if="$O/m/ls" of=/dev/null bs=1M status=none
	dd if="$O/m/data" of=/dev/null bs=1M status=none
	[ "$(largest_read "$O/m/ls")" -le "$READAHEAD_REPLY" ]
	[ "$(largest_read "$O/m/data")" -gt "$READAHEAD_REPLY" ]
	# 4 KiB reads: one request each, so the next open is buffered.
	dd if="$O/m/pieces" of=/dev/null bs=4k status=none
	[ "$(largest_read "$O/m/pieces")" -le 4112 ]
	dd if="$O/m/pieces" of=/dev/null bs=1M status=none
	[ "$(largest_read "$O/m/pieces")" -le "$READAHEAD_REPLY" ]
	cmp "$O/m/pieces" "$O/l2/pieces"
}

@test "direct reads see writes through a shared mapping and another descriptor, mappings of a direct open work" {
	kernel_grants_direct_mmap || skip "Linux $(uname -r) has no FUSE_DIRECT_IO_ALLOW_MMAP"
	head -c 1200000 /dev/zero | tr '\0' a >"$O/l2/f"
	ovl_mount "direct_read=1"
	run overlay-ops direct-coherence "$O/m/f"
	echo "$output"
	[ "$output" = OK ]
	ovl_umount
	[ "$(dd if="$O/u/f" bs=1 skip=900000 count=5 status=none)" = LATER ]
	[ "$(head -c 1 "$O/l2/f")" = a ]
}

@test "random operations read back through a direct open, also after remount" {
	# random-io's first descriptor is read-only: with direct_read=1 every
	# comparison through it is a direct read of a file being rewritten,
	# truncated, punched and written through shared mappings.
	head -c 3000000 /dev/urandom >"$O/l2/db"
	truncate -s 8M "$O/l2/db"
	mkdir -p "$BATS_TEST_TMPDIR/ref"
	cp --sparse=always "$O/l2/db" "$BATS_TEST_TMPDIR/ref/db"
	ovl_mount "direct_read=1"
	run with_timeout 120 overlay-ops random-io "$O/m/db" "$BATS_TEST_TMPDIR/ref/db" 21 1500
	echo "$output"
	[ "$status" -eq 0 ]
	ovl_umount
	ovl_mount "direct_read=1"
	overlay-ops compare "$O/m/db" "$BATS_TEST_TMPDIR/ref/db"
}

@test "a metadata-only copy reads directly from the lower file; a write through a mapping copies its data and direct reads see it" {
	kernel_grants_direct_mmap || skip "Linux $(uname -r) has no FUSE_DIRECT_IO_ALLOW_MMAP"
	head -c 1200000 /dev/urandom >"$O/l2/f"
	OVL_DEBUG=1 ovl_mount "direct_read=1"
	chmod 600 "$O/m/f"
	overlay-ops getxattr "$O/u/f" user.hutch.metacopy
	dd if="$O/m/f" bs=1M status=none | cmp - "$O/l2/f"
	[ "$(largest_read "$O/m/f")" -gt "$READAHEAD_REPLY" ]
	run overlay-ops direct-coherence "$O/m/f"
	echo "$output"
	[ "$output" = OK ]
	run overlay-ops getxattr "$O/u/f" user.hutch.metacopy
	[ "$output" = ENODATA ]
}
