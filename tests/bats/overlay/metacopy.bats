#!/usr/bin/env bats
# hutch-overlay: metadata-only copy-up (metacopy=1, the default). A change
# of metadata copies a lower file's metadata up, not its data; reads come
# from the lower file until the data changes, which copies it into the same
# upper inode.
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

# A lower file of 200 KiB in l2 and its reference copy.
make_lower() {
	head -c 204800 /dev/urandom >"$O/l2/$1"
	cp "$O/l2/$1" "$REF/$1"
}

# The upper file is a metadata-only copy: the record is there and the file
# has no data blocks beyond what an xattr block takes.
is_metacopy() {
	overlay-ops getxattr "$1" user.hutch.metacopy >/dev/null &&
		[ "$(stat -c %b "$1")" -le 16 ]
}

@test "chmod copies metadata only; reads, stat and the hidden record" {
	make_lower f
	ovl_mount
	chmod 600 "$O/m/f"
	is_metacopy "$O/u/f"
	[ "$(overlay-ops getxattr "$O/u/f" user.hutch.metacopy)" = 2:f ]
	[ "$(stat -c %s "$O/u/f")" = 204800 ]
	cmp "$O/m/f" "$REF/f"
	[ "$(stat -c '%s %a' "$O/m/f")" = "204800 600" ]
	# The blocks are those of the data, in the lower file.
	[ "$(stat -c %b "$O/m/f")" = "$(stat -c %b "$O/l2/f")" ]
	run overlay-ops getxattr "$O/m/f" user.hutch.metacopy
	[ "$output" = ENODATA ]
	run overlay-ops listxattr "$O/m/f"
	[[ "$output" != *hutch* ]]
	run overlay-ops setxattr "$O/m/f" user.hutch.metacopy 2:other
	[ "$status" -ne 0 ]
	# chown to oneself, times and xattrs copy metadata only too.
	make_lower g
	make_lower h
	make_lower i
	chown "$(id -u):$(id -g)" "$O/m/g"
	# touch -c sets times by name; without -c it opens for writing.
	touch -c -d @1000000 "$O/m/h"
	overlay-ops setxattr "$O/m/i" user.mine v
	is_metacopy "$O/u/g"
	is_metacopy "$O/u/h"
	is_metacopy "$O/u/i"
	[ "$(stat -c %Y "$O/m/h")" = 1000000 ]
	[ "$(overlay-ops getxattr "$O/m/i" user.mine)" = v ]
	cmp "$O/m/g" "$REF/g"
	# A program runs from a metadata-only copy (the exec open).
	cp "$(type -P true)" "$O/l2/prog"
	chmod 700 "$O/m/prog"
	is_metacopy "$O/u/prog"
	"$O/m/prog"
	ovl_umount
	ovl_mount
	cmp "$O/m/f" "$REF/f"
	cmp "$O/m/i" "$REF/i"
	[ "$(stat -c '%a %b' "$O/m/f")" = "600 $(stat -c %b "$O/l2/f")" ]
}

@test "metacopy=0 copies the data on chmod" {
	make_lower f
	ovl_mount metacopy=0
	chmod 600 "$O/m/f"
	run overlay-ops getxattr "$O/u/f" user.hutch.metacopy
	[ "$output" = ENODATA ]
	cmp "$O/u/f" "$REF/f"
	# A metadata-only copy left by an earlier mount still reads and
	# completes.
	make_lower g
	ovl_umount
	ovl_mount
	chmod 600 "$O/m/g"
	is_metacopy "$O/u/g"
	ovl_umount
	ovl_mount metacopy=0
	cmp "$O/m/g" "$REF/g"
	echo tail >>"$O/m/g"
	echo tail >>"$REF/g"
	cmp "$O/m/g" "$REF/g"
	cmp "$O/u/g" "$REF/g"
}

@test "after chmod, every change of data copies the data in place: write, append, truncate, fallocate, mmap, O_TRUNC" {
	for f in w a t e p o z; do make_lower $f; done
	ovl_mount
	chmod 640 "$O"/m/[watepoz]
	for f in w a t e p o z; do is_metacopy "$O/u/$f"; done
	ino=$(stat -c %i "$O/u/w")
	printf 'XYZ' | dd of="$O/m/w" bs=1 seek=5000 conv=notrunc 2>/dev/null
	printf 'XYZ' | dd of="$REF/w" bs=1 seek=5000 conv=notrunc 2>/dev/null
	echo more >>"$O/m/a"
	echo more >>"$REF/a"
	truncate -s 1000 "$O/m/t"
	truncate -s 1000 "$REF/t"
	fallocate -l 300000 "$O/m/e"
	fallocate -l 300000 "$REF/e"
	run overlay-ops mmap-shared "$O/m/p"
	[ "$output" = OK ]
	overlay-ops mmap-shared "$REF/p"
	echo new >"$O/m/o"
	echo new >"$REF/o"
	truncate -s 0 "$O/m/z"
	: >"$REF/z"
	for f in w a t e p o z; do
		cmp "$O/m/$f" "$REF/$f"
		run overlay-ops getxattr "$O/u/$f" user.hutch.metacopy
		[ "$output" = ENODATA ]
		[ "$(stat -c %a "$O/m/$f")" = 640 ]
	done
	# The same inode: the data went into the metadata-only copy.
	[ "$(stat -c %i "$O/u/w")" = "$ino" ]
	cmp "$O/u/w" "$REF/w"
	ovl_umount
	ovl_mount
	for f in w a t e p o z; do cmp "$O/m/$f" "$REF/$f"; done
}

@test "a metadata-only copy of a hard-linked file: the data copy-up through the other name, a descriptor opened before" {
	head -c 65536 /dev/urandom >"$O/l2/f"
	ln "$O/l2/f" "$O/l2/link"
	ovl_mount
	chmod 600 "$O/m/f"
	is_metacopy "$O/u/f"
	[ "$(stat -c %i "$O/m/f")" = "$(stat -c %i "$O/m/link")" ]
	[ "$(stat -c %h "$O/m/f")" = 2 ]
	# cache-coherence reads f through a descriptor opened before and a
	# mapping, then writes through link (the data copy-up), a mapping,
	# truncate and O_TRUNC.
	run overlay-ops cache-coherence "$O/m/f" "$O/m/link"
	echo "$output"
	[ "$output" = OK ]
	[ "$(stat -c %i "$O/m/f")" = "$(stat -c %i "$O/m/link")" ]
	[ "$(stat -c %a "$O/m/link")" = 600 ]
}

@test "a link to a metadata-only copy shares its data; rename, then remount, then read" {
	make_lower f
	make_lower g
	ovl_mount
	ln "$O/m/f" "$O/m/f2"
	is_metacopy "$O/u/f"
	mkdir "$O/m/dir"
	mv "$O/m/g" "$O/m/dir/g2"
	is_metacopy "$O/u/dir/g2"
	cmp "$O/m/f2" "$REF/f"
	ovl_umount
	ovl_mount
	cmp "$O/m/dir/g2" "$REF/g"
	cmp "$O/m/f2" "$REF/f"
	mv "$O/m/f" "$O/m/dir/f3"
	ovl_umount
	ovl_mount
	cmp "$O/m/dir/f3" "$REF/f"
	echo x >>"$O/m/f2"
	echo x >>"$REF/f"
	cmp "$O/m/dir/f3" "$REF/f"
	[ "$(stat -c %h "$O/m/f2")" = 2 ]
}

@test "a directory rename of a lower tree copies metadata only; reads after, also after a remount" {
	mkdir -p "$O/l2/tree/sub" "$REF/tree/sub"
	for i in 1 2 3; do
		head -c $((i * 7000)) /dev/urandom >"$O/l2/tree/sub/f$i"
		cp "$O/l2/tree/sub/f$i" "$REF/tree/sub/f$i"
	done
	: >"$O/l2/tree/empty"
	: >"$REF/tree/empty"
	ovl_mount
	mv "$O/m/tree" "$O/m/moved"
	for i in 1 2 3; do is_metacopy "$O/u/moved/sub/f$i"; done
	[ "$(tree_sums "$O/m/moved")" = "$(tree_sums "$REF/tree")" ]
	ovl_umount
	ovl_mount
	[ "$(tree_sums "$O/m/moved")" = "$(tree_sums "$REF/tree")" ]
	echo more >>"$O/m/moved/sub/f2"
	echo more >>"$REF/tree/sub/f2"
	[ "$(tree_sums "$O/m/moved")" = "$(tree_sums "$REF/tree")" ]
}

@test "a data copy-up killed midway leaves the metadata-only copy: correct data after remount" {
	head -c 3000000 /dev/urandom >"$O/l2/big"
	cp "$O/l2/big" "$REF/big"
	ovl_mount
	chmod 600 "$O/m/big"
	ovl_umount
	export HUTCH_OVERLAY_FAULT=metacopy-fill
	ovl_mount
	unset HUTCH_OVERLAY_FAULT
	# The daemon dies halfway through the copy (SIGKILL): the write fails.
	run sh -c "echo more >>'$O/m/big'"
	[ "$status" -ne 0 ]
	ovl_umount
	# Half the data is in the upper file, and the record still.
	overlay-ops getxattr "$O/u/big" user.hutch.metacopy
	ovl_mount
	cmp "$O/m/big" "$REF/big"
	echo more >>"$O/m/big"
	echo more >>"$REF/big"
	cmp "$O/m/big" "$REF/big"
	ovl_umount
	ovl_mount
	cmp "$O/m/big" "$REF/big"
}

# grant_left FILE BITS: the killed daemon left the owner bits it granted
# itself on the upper FILE, and its record of them in the work dir.
grant_left() {
	[ "$(stat -c %a "$O/u/$1")" = "$2" ]
	ls "$O/w" | grep -qx "grant-$(stat -c %i "$O/u/$1")"
}

# grant_undone FILE MODE: the next mount took them away again.
grant_undone() {
	[ "$(stat -c %a "$O/u/$1")" = "$2" ]
	! ls "$O/w" | grep -q '^grant-'
	grep -q "took back owner bits" "$BATS_TEST_TMPDIR/ovl.log"
}

@test "a daemon killed while it holds owner bits on a 0200 file: the next mount takes them back" {
	# An unprivileged daemon must grant itself owner read to see the
	# records of a file chmodded 0200; root in a user namespace never
	# needs to.
	skip_unless_mode sub solo
	make_lower f
	ovl_mount
	chmod 200 "$O/m/f"
	ovl_umount
	HUTCH_OVERLAY_FAULT=owner-grant ovl_mount
	run stat "$O/m/f"
	[ "$status" -ne 0 ]
	ovl_umount
	grant_left f 600
	ovl_mount
	grant_undone f 200
	[ "$(stat -c %a "$O/m/f")" = 200 ]
	chmod 600 "$O/m/f"
	cmp "$O/m/f" "$REF/f"
}

@test "a daemon killed in the data copy of a 0200 file: the next mount takes its owner bits back" {
	skip_unless_mode sub solo
	make_lower f
	ovl_mount
	chmod 200 "$O/m/f"
	ovl_umount
	HUTCH_OVERLAY_FAULT=metacopy-fill ovl_mount
	run sh -c "echo more >>'$O/m/f'"
	[ "$status" -ne 0 ]
	ovl_umount
	grant_left f 600
	ovl_mount
	grant_undone f 200
	echo more >>"$O/m/f"
	echo more >>"$REF/f"
	chmod 600 "$O/m/f"
	cmp "$O/m/f" "$REF/f"
	ovl_umount
	ovl_mount
	[ "$(stat -c %a "$O/u/f")" = 600 ]
	cmp "$O/m/f" "$REF/f"
}

@test "grant records that are malformed or lead out of upper change nothing and go" {
	mkdir "$O/outside"
	echo data >"$O/outside/x"
	chmod 600 "$O/outside/x"
	ln -s "$O/outside" "$O/u/link"
	echo data >"$O/u/y"
	chmod 600 "$O/u/y"
	local x y
	x=$(stat -c %i "$O/outside/x")
	y=$(stat -c %i "$O/u/y")
	echo "600 link/x" >"$O/w/grant-$x"
	echo "600 ../outside/x" >"$O/w/grant-$x"1
	echo "600 y" >"$O/w/grant-$((y + 1))"
	echo "7777 y" >"$O/w/grant-$y"
	ovl_mount
	[ "$(stat -c %a "$O/outside/x")" = 600 ]
	[ "$(stat -c %a "$O/u/y")" = 600 ]
	! ls "$O/w" | grep -q '^grant-'
	grep -q "malformed grant record grant-$y" "$BATS_TEST_TMPDIR/ovl.log"
}

@test "a forged or missing data record gives EIO, never a file outside the layer" {
	make_lower f
	head -c 204800 /dev/urandom >"$O/outside"
	ln -s "$O/outside" "$O/l2/abs-link"
	ln -s ../outside "$O/l2/rel-link"
	ovl_mount
	chmod 600 "$O/m/f"
	ovl_umount
	for record in 2:../outside 2:abs-link 2:rel-link 2:missing 7:f 2 x:f 1:f; do
		overlay-ops setxattr "$O/u/f" user.hutch.metacopy "$record"
		ovl_mount
		run cat "$O/m/f"
		echo "$record: $status ${output:0:60}"
		[ "$status" -ne 0 ]
		[[ "$output" == *"Input/output error"* ]]
		grep -q "data record \"$record\"" "$BATS_TEST_TMPDIR/ovl.log"
		ovl_umount
	done
	overlay-ops setxattr "$O/u/f" user.hutch.metacopy 2:f
	ovl_mount
	cmp "$O/m/f" "$REF/f"
}

@test "random data and metadata operations on a lower file match a plain file, also after remount" {
	head -c 3000000 /dev/urandom >"$O/l2/db"
	truncate -s 8M "$O/l2/db"
	cp --sparse=always "$O/l2/db" "$REF/db"
	ovl_mount
	run with_timeout 120 overlay-ops random-io "$O/m/db" "$REF/db" 31 1500
	echo "$output"
	[ "$status" -eq 0 ]
	ovl_umount
	ovl_mount
	overlay-ops compare "$O/m/db" "$REF/db"
}

@test "read-only lower files copy up, with one name or several, with and without metacopy" {
	echo one >"$O/l2/single"
	echo two >"$O/l2/linked"
	ln "$O/l2/linked" "$O/l2/other"
	echo three >"$O/l2/full"
	chmod 444 "$O/l2/single" "$O/l2/linked" "$O/l2/full"
	ovl_mount
	chmod 400 "$O/m/single" "$O/m/linked"
	[ "$(stat -c %a "$O/m/single")" = 400 ]
	[ "$(stat -c %a "$O/m/other")" = 400 ]
	[ "$(cat "$O/m/single" "$O/m/other")" = "$(printf 'one\ntwo')" ]
	ovl_umount
	ovl_mount metacopy=0
	chmod 440 "$O/m/full"
	[ "$(stat -c %a "$O/m/full")" = 440 ]
	[ "$(cat "$O/m/full")" = three ]
	ovl_umount
	ovl_mount
	[ "$(stat -c %a "$O/m/linked")" = 400 ]
	[ "$(cat "$O/m/linked")" = two ]
}

@test "link counts of a hard-linked lower file stay right when a name is linked in after a chmod to read-only, also after remount" {
	for d in "$O/l2" "$REF"; do
		echo data >"$d/a"
		ln "$d/a" "$d/b"
		ln "$d/a" "$d/c"
	done
	for mc in 1 0; do
		ovl_mount metacopy=$mc
		chmod 444 "$O/m/a"
		chmod 444 "$REF/a"
		ovl_umount
		ovl_mount metacopy=$mc
		# Looking b and c up links them to the copy of a, whose mode lets
		# no one write its pending-names record.
		for n in a b c; do
			[ "$(stat -c '%h %a' "$O/m/$n")" = "$(stat -c '%h %a' "$REF/$n")" ]
		done
		ovl_umount
		ovl_mount metacopy=$mc
		for n in c b a; do
			[ "$(stat -c '%h %a' "$O/m/$n")" = "$(stat -c '%h %a' "$REF/$n")" ]
		done
		rm "$O/m/b"
		rm "$REF/b"
		[ "$(stat -c %h "$O/m/a")" = "$(stat -c %h "$REF/a")" ]
		[ "$(cat "$O/m/c")" = data ]
		ovl_umount
		rm -rf "$O/u" "$O/w"
		mkdir "$O/u" "$O/w"
		chmod 644 "$REF/a"
		ln "$REF/a" "$REF/b"
	done
}

@test "a write to a metadata-only copy its owner may write but not read copies the data first, also after remount" {
	make_lower f
	make_lower g
	make_lower h
	ovl_mount
	chmod 200 "$O/m/f" "$O/m/g" "$O/m/h" "$REF/f" "$REF/g"
	printf XYZ | dd of="$O/m/g" bs=1 seek=10 conv=notrunc 2>/dev/null
	printf XYZ | dd of="$REF/g" bs=1 seek=10 conv=notrunc 2>/dev/null
	ino_f=$(stat -c %i "$O/m/f")
	ino_g=$(stat -c %i "$O/m/g")
	ovl_umount
	# The daemon may not read the record of a file of mode 0200 (a user
	# xattr needs read permission) when nothing told it yet.
	ovl_mount
	printf XYZ | dd of="$O/m/f" bs=1 seek=10 conv=notrunc 2>/dev/null
	printf XYZ | dd of="$REF/f" bs=1 seek=10 conv=notrunc 2>/dev/null
	[ "$(stat -c %a "$O/m/f")" = 200 ]
	# The blocks shown are the lower file's, found through the record.
	[ "$(stat -c %b "$O/m/h")" = "$(stat -c %b "$O/l2/h")" ]
	# The inode numbers come from the origin records, as unreadable.
	[ "$(stat -c %i "$O/m/f")" = "$ino_f" ]
	[ "$(stat -c %i "$O/m/g")" = "$ino_g" ]
	chmod 644 "$O/m/f" "$O/m/g" "$REF/f" "$REF/g"
	cmp "$O/m/f" "$REF/f"
	cmp "$O/m/g" "$REF/g"
	run overlay-ops getxattr "$O/u/f" user.hutch.metacopy
	[ "$output" = ENODATA ]
	ovl_umount
	ovl_mount
	cmp "$O/m/f" "$REF/f"
	cmp "$O/m/g" "$REF/g"
}

@test "readers of a metadata-only copy (pread, O_DIRECT, a mapping, new opens) see old or new data during its data copy, never zeros" {
	head -c 3145728 /dev/zero | tr '\0' A >"$O/l2/f"
	cp "$O/l2/f" "$O/l2/g"
	for f in f g; do
		# g with direct reads (FOPEN_DIRECT_IO for read-only opens).
		ovl_mount "$([ $f = g ] && echo direct_read=1)"
		chmod 600 "$O/m/$f"
		is_metacopy "$O/u/$f"
		run with_timeout 120 overlay-ops readers-during-write "$O/m/$f" 8
		echo "$output"
		[ "$output" = OK ]
		run overlay-ops getxattr "$O/u/$f" user.hutch.metacopy
		[ "$output" = ENODATA ]
		ovl_umount
	done
}
