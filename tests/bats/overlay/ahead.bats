#!/usr/bin/env bats
# hutch-overlay: listings built ahead (prefetch.c). When a directory that
# is part of a walk is read, the listings of its subdirectories are built
# on a thread of their own, with the stats of their lower entries. Changes
# made through the mount after that must show as if nothing had been built.
# modes: sub solo userns

load ../helpers
load lib

setup() {
	ovl_init
	REF=$BATS_TEST_TMPDIR/ref
}

teardown() {
	ovl_teardown
}

# Lower layers with a directory a/b (40 files, a subdirectory, a file
# hard-linked from a/c) that the top layer changes: f6 whited out, f7
# replaced. $REF gets the merged tree as a plain directory.
make_layers() {
	mkdir -p "$O/l2/a/b/sub" "$O/l2/a/c" "$O/l1/a/b"
	local i
	for i in $(seq 1 40); do echo "file $i" >"$O/l2/a/b/f$i"; done
	echo inner >"$O/l2/a/b/sub/inner"
	echo shared >"$O/l2/a/b/h"
	ln "$O/l2/a/b/h" "$O/l2/a/c/h2"
	touch "$O/l1/a/b/.wh.f6"
	echo "top 7" >"$O/l1/a/b/f7"
	cp -a "$O/l2" "$REF"
	rm "$REF/a/b/f6"
	cp -a "$O/l1/a/b/f7" "$REF/a/b/f7"
}

# Read the root and a, so that a's subdirectories are part of a walk, and
# wait until the daemon (run with -d) has built a/b's listing ahead.
build_b_ahead() {
	ls "$O/m" >/dev/null
	ls "$O/m/a" >/dev/null
	wait_until 60 grep -q "listing of a/b built ahead" "$BATS_TEST_TMPDIR/ovl.log"
}

# What a listing shows: names, types, modes; for files also size, link
# count and the year of the modification time.
view() {
	(cd "$1" && {
		find . -mindepth 1 -type d -printf '%y %m %p\n'
		find . -mindepth 1 ! -type d -printf '%y %m %s %n %TY %p\n'
	} | sort)
}

@test "a listing built ahead shows the changes made through the mount after it was built" {
	make_layers
	OVL_DEBUG=1 ovl_mount
	build_b_ahead
	local d
	# The other name of a/b/h is copied up through a/c: a/b's listing
	# stays, with the stat of the lower h taken before.
	for d in "$O/m" "$REF"; do
		chmod 640 "$d/a/c/h2"
		echo more >>"$d/a/c/h2"
	done
	diff <(view "$O/m/a") <(view "$REF/a")
	# Changes to a/b itself.
	for d in "$O/m" "$REF"; do
		chmod 600 "$d/a/b/f1"
		echo more >>"$d/a/b/f2"
		touch -d @1000000000 "$d/a/b/f3"
		rm "$d/a/b/f4"
		mv "$d/a/b/f5" "$d/a/b/f5.moved"
		echo new >"$d/a/b/new"
		echo inner2 >"$d/a/b/sub/inner2"
	done
	diff <(view "$O/m/a") <(view "$REF/a")
	[ "$(cat "$O/m/a/b/h")" = "$(printf 'shared\nmore')" ]
	[ "$(stat -c %i "$O/m/a/b/h")" = "$(stat -c %i "$O/m/a/c/h2")" ]
	ovl_umount
	ovl_mount
	diff <(view "$O/m/a") <(view "$REF/a")
}

@test "a directory built ahead, then renamed, removed and made anew, lists what it holds now" {
	make_layers
	OVL_DEBUG=1 ovl_mount
	build_b_ahead
	mv "$O/m/a/b" "$O/m/a/b.moved"
	mv "$REF/a/b" "$REF/a/b.moved"
	diff <(view "$O/m/a") <(view "$REF/a")
	mkdir -p "$O/m/x/y"
	ls "$O/m" "$O/m/x" >/dev/null
	wait_until 60 grep -q "listing of x/y built ahead" "$BATS_TEST_TMPDIR/ovl.log"
	mkdir -p "$REF/x/y"
	cp -a "$O/m/a/b.moved/." "$O/m/x/y/"
	cp -a "$REF/a/b.moved/." "$REF/x/y/"
	diff <(view "$O/m/x/y") <(view "$REF/x/y")
	rm -rf "$O/m/a/b.moved"
	mkdir "$O/m/a/b.moved"
	[ -z "$(ls -A "$O/m/a/b.moved")" ]
	echo x >"$O/m/a/b.moved/f1"
	[ "$(ls "$O/m/a/b.moved")" = f1 ]
	[ "$(cat "$O/m/a/b.moved/f1")" = x ]
}

@test "a walk over listings built ahead sees the merged tree" {
	make_layers
	mkdir -p "$O/l2/deep/1/2/3"
	for i in 1 2 3; do touch "$O/l2/deep/1/f$i" "$O/l2/deep/1/2/g$i"; done
	cp -a "$O/l2/deep" "$REF/deep"
	OVL_DEBUG=1 ovl_mount
	# Each step waits for the next level to be built ahead, so that the
	# walk below finds deep/1/2 built, whatever the timing.
	ls "$O/m" "$O/m/deep" >/dev/null
	wait_until 60 grep -q "listing of deep/1 built ahead" "$BATS_TEST_TMPDIR/ovl.log"
	ls "$O/m/deep/1" >/dev/null
	wait_until 60 grep -q "listing of deep/1/2 built ahead" "$BATS_TEST_TMPDIR/ovl.log"
	diff <(view "$O/m") <(view "$REF")
}

@test "a directory built ahead and read while it changes shows every name that stayed exactly once" {
	ovl_big_dir p/big
	OVL_DEBUG=1 ovl_mount
	ls "$O/m" "$O/m/p" >/dev/null
	wait_until 60 grep -q "listing of p/big built ahead" "$BATS_TEST_TMPDIR/ovl.log"
	ovl_read_while_changing p/big
	[ "$(stat -c '%a %s' "$O/m/p/big/f300" "$O/m/p/big/f399")" = "$(printf '600 4\n644 9')" ]
}
