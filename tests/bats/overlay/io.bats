#!/usr/bin/env bats
# hutch-overlay: file I/O semantics, compared with a plain directory.
# modes: sub solo userns

load ../helpers
load lib

setup() {
	ovl_init
	REF=$BATS_TEST_TMPDIR/ref
	mkdir -p "$REF"
}

teardown() {
	ovl_teardown
}

# A large lower file with data, holes and a tail, and its reference copy.
make_big_lower() {
	head -c 3000000 /dev/urandom >"$O/l2/db"
	truncate -s 24M "$O/l2/db"
	head -c 100000 /dev/urandom >>"$O/l2/db"
	cp --sparse=always "$O/l2/db" "$REF/db"
}

@test "copy-up of a large file then many small rewrites in place (SQLite pattern), without writeback cache" {
	make_big_lower
	ovl_mount "writeback=0"
	run with_timeout 120 overlay-ops random-io "$O/m/db" "$REF/db" 11 3000
	echo "$output"
	[ "$status" -eq 0 ]
	ovl_umount
	ovl_mount "writeback=0"
	overlay-ops compare "$O/m/db" "$REF/db"
}

@test "copy-up of a large file then many small rewrites in place, with writeback cache" {
	make_big_lower
	ovl_mount "writeback=1"
	run with_timeout 120 overlay-ops random-io "$O/m/db" "$REF/db" 12 3000
	echo "$output"
	[ "$status" -eq 0 ]
	ovl_umount
	ovl_mount "writeback=1"
	overlay-ops compare "$O/m/db" "$REF/db"
}

@test "random operations with a single-threaded daemon and a short cache timeout" {
	make_big_lower
	ovl_mount "threaded=0,timeout=0"
	run with_timeout 120 overlay-ops random-io "$O/m/db" "$REF/db" 13 1500
	echo "$output"
	[ "$status" -eq 0 ]
}

# Names d0..d2/f0..f5 on the lower layer (some hard-linked across dirs) and
# the same tree as a plain-directory reference.
make_tree() {
	local d f
	for d in 0 1 2; do
		mkdir -p "$O/l2/d$d"
		for f in 0 1 2 3; do
			head -c $((f * 5000 + 100)) /dev/urandom >"$O/l2/d$d/f$f"
		done
	done
	ln "$O/l2/d0/f0" "$O/l2/d1/f5"
	ln "$O/l2/d2/f0" "$O/l2/d2/f5"
	ln "$O/l2/d2/f0" "$O/l2/d0/f4"
	cp -a "$O/l2/." "$REF/"
}

@test "random write/truncate/rename/link/unlink across copy-up match a plain directory, also after remount" {
	make_tree
	for seed in 1 2 3; do
		ovl_mount
		run with_timeout 120 overlay-ops random-tree "$O/m" "$REF" "$seed" 700
		echo "$output"
		[ "$status" -eq 0 ]
		ovl_umount
		ovl_mount
		# Zero steps: compare only, through a fresh mount.
		run overlay-ops random-tree "$O/m" "$REF" "$seed" 0
		echo "$output"
		[ "$status" -eq 0 ]
		ovl_umount
	done
}

@test "random tree operations with the writeback cache and no kernel caching" {
	make_tree
	ovl_mount "writeback=1,timeout=0"
	run with_timeout 120 overlay-ops random-tree "$O/m" "$REF" 9 1000
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "parallel writers to one file" {
	ovl_mount
	run with_timeout 60 overlay-ops parallel-writers "$O/m/pw" 8 4
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$O/m/pw")" = $((8 * 4 * 1024 * 1024)) ]
}

@test "a shared writable mapping writes through to the file" {
	head -c 65536 /dev/zero >"$O/l2/mapped"
	ovl_mount
	run overlay-ops mmap-shared "$O/m/mapped"
	[ "$output" = OK ]
	ovl_umount
	ovl_mount
	[ "$(dd if="$O/m/mapped" bs=1 skip=4090 count=19 2>/dev/null)" = MAPPED-ACROSS-PAGES ]
}

@test "a file stays readable and writable while open after unlink" {
	echo "lower content" >"$O/l2/f"
	echo "upper content" >"$O/l2/g"
	ovl_mount
	run overlay-ops unlink-open "$O/m/f"
	[ "$status" -eq 0 ]
	[ "$output" = "nlink=0 content=lower content" ]
	[ ! -e "$O/m/f" ]
	echo x >>"$O/m/g"
	run overlay-ops unlink-open "$O/m/g"
	[ "$status" -eq 0 ]
	[ "$output" = "nlink=0 content=$(printf 'upper content\nx')" ]
}

@test "POSIX record locks and flock keep a second process out" {
	echo data >"$O/l2/locked"
	ovl_mount
	run overlay-ops locks "$O/m/locked"
	echo "$output"
	[ "$output" = OK ]
}

@test "O_TMPFILE makes an unnamed file that linkat names (FUSE_TMPFILE)" {
	mkdir "$O/l2/dir"
	ovl_mount
	run overlay-ops tmpfile linkable "$O/m/dir" named
	echo "$output"
	[ "$output" = OK ]
	[ "$(cat "$O/m/dir/named")" = tmpfile ]
	[ "$(stat -c '%a %h %s' "$O/m/dir/named")" = "640 1 8" ]
	[ "$(cat "$O/u/dir/named")" = tmpfile ]
	# O_EXCL: never linkable, and nothing is left behind.
	run overlay-ops tmpfile excl "$O/m" other
	echo "$output"
	[ "$output" = "link ENOENT" ]
	[ ! -e "$O/m/other" ]
	ovl_umount
	ovl_mount
	[ "$(cat "$O/m/dir/named")" = tmpfile ]
	[ -z "$(ls -A "$O/w" | grep -v '^index$')" ]
}

@test "O_TMPFILE on a read-only mount is refused cleanly" {
	mkdir "$O/l2/dir"
	ovl_mount_opts "lowerdir=$O/l1:$O/l2"
	run overlay-ops tmpfile linkable "$O/m/dir" named
	echo "$output"
	[ "$output" = "open Read-only file system" ]
}

@test "truncate, fallocate and SEEK_DATA/SEEK_HOLE on a copied-up file" {
	printf 'abc' >"$O/l2/t"
	ovl_mount
	truncate -s 1M "$O/m/t"
	[ "$(stat -c %s "$O/m/t")" = 1048576 ]
	[ "$(head -c 3 "$O/m/t")" = abc ]
	fallocate -l 2M "$O/m/t"
	[ "$(stat -c %s "$O/m/t")" = 2097152 ]
	truncate -s 0 "$O/m/t"
	[ "$(stat -c %s "$O/m/t")" = 0 ]
	[ "$(stat -c %s "$O/l2/t")" = 3 ]
}

@test "a descriptor opened before a copy-up reads what another one wrote" {
	echo old >"$O/l2/f"
	ovl_mount
	exec 5<"$O/m/f"
	echo new >"$O/m/f"
	read -r got <&5
	exec 5<&-
	[ "$got" = new ]
}

@test "O_DIRECT reads and writes, small and large, of lower and new files" {
	head -c 3M /dev/urandom >"$O/l2/big"
	ovl_mount
	# 4 KiB requests and ones larger than what a pipe holds at once.
	dd if="$O/m/big" of="$BATS_TEST_TMPDIR/small" bs=4k iflag=direct status=none
	cmp "$O/l2/big" "$BATS_TEST_TMPDIR/small"
	dd if="$O/m/big" of="$BATS_TEST_TMPDIR/large" bs=1M iflag=direct status=none
	cmp "$O/l2/big" "$BATS_TEST_TMPDIR/large"
	dd if="$O/l2/big" of="$O/m/new" bs=1M oflag=direct status=none
	cmp "$O/l2/big" "$O/m/new"
	dd if=/dev/zero of="$O/m/big" bs=4k count=1 seek=1 conv=notrunc oflag=direct status=none
	cmp -n 4096 "$O/m/big" "$O/l2/big"
	cmp -i 8192 "$O/m/big" "$O/l2/big"
	[ "$(dd if="$O/m/big" bs=4k skip=1 count=1 status=none | tr -d '\0' | wc -c)" = 0 ]
	[ "$(stat -c %s "$O/m/big")" = 3145728 ]
}

@test "pages the kernel keeps across opens never outlive a copy-up, a mapping, truncate or O_TRUNC" {
	# keep_cache: the kernel keeps a file's pages after its last close.
	# Every change to the content goes through the mount, also through
	# another name of a hard-linked lower file, so it must show. Also
	# with every read-only open direct (direct_read=1, direct-read.c),
	# whose mappings go through the same page cache.
	head -c 65536 /dev/zero | tr '\0' a >"$O/l2/cached"
	ln "$O/l2/cached" "$O/l2/other-name"
	local opts
	for opts in "" direct_read=1; do
		rm -rf "$O/u" "$O/w"
		mkdir -p "$O/u" "$O/w"
		ovl_mount "$opts"
		cat "$O/m/cached" >/dev/null
		run overlay-ops cache-coherence "$O/m/cached" "$O/m/other-name"
		echo "${opts:-buffered}: $output"
		[ "$output" = OK ]
		[ "$(cat "$O/m/cached")" = REWRITTEN ]
		[ "$(cat "$O/m/other-name")" = REWRITTEN ]
		ovl_umount
		[ "$(cat "$O/u/cached")" = REWRITTEN ]
		[ "$(head -c 1 "$O/l2/cached")" = a ]
	done
}
