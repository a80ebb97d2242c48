#!/usr/bin/env bats
# hutch-overlay: rename across layers, with every flag.
# modes: sub solo userns

load ../helpers
load lib

setup() {
	ovl_init
}

teardown() {
	ovl_teardown
}

@test "a lower directory renames without EXDEV and keeps its whole tree" {
	mkdir -p "$O/l2/dir/sub/deeper" "$O/l1/dir"
	echo 1 >"$O/l2/dir/sub/deeper/f"
	echo 2 >"$O/l1/dir/top"
	echo 3 >"$O/l2/dir/hidden"
	touch "$O/l1/dir/.wh.hidden"
	ovl_mount
	before=$(tree_listing "$O/m/dir")
	mv "$O/m/dir" "$O/m/renamed"
	[ ! -e "$O/m/dir" ]
	[ "$(tree_listing "$O/m/renamed")" = "$before" ]
	[ "$(cat "$O/m/renamed/sub/deeper/f")" = 1 ]
	[ "$(cat "$O/m/renamed/top")" = 2 ]
	[ ! -e "$O/m/renamed/hidden" ]
	# A new directory of the old name is empty (the lower one stays hidden).
	mkdir "$O/m/dir"
	[ -z "$(ls -A "$O/m/dir")" ]
	ovl_umount
	ovl_mount
	[ ! -e "$O/m/renamed/hidden" ]
	[ "$(cat "$O/m/renamed/sub/deeper/f")" = 1 ]
	[ -z "$(ls -A "$O/m/dir")" ]
}

@test "a directory renamed onto an empty lower directory does not show that directory's files" {
	mkdir -p "$O/l2/target" "$O/l2/src"
	echo old >"$O/l2/target/gone"
	echo s >"$O/l2/src/kept"
	ovl_mount
	rm "$O/m/target/gone"
	mv -T "$O/m/src" "$O/m/target"
	[ "$(ls -A "$O/m/target")" = kept ]
	ovl_umount
	ovl_mount
	[ "$(ls -A "$O/m/target")" = kept ]
}

@test "RENAME_EXCHANGE swaps a lower file and an upper directory" {
	echo lowerfile >"$O/l2/a"
	mkdir "$O/l2/b"
	echo inside >"$O/l2/b/x"
	ovl_mount
	run overlay-ops rename exchange "$O/m/a" "$O/m/b"
	[ "$output" = OK ]
	[ -d "$O/m/a" ]
	[ "$(cat "$O/m/a/x")" = inside ]
	[ "$(cat "$O/m/b")" = lowerfile ]
	run overlay-ops rename exchange "$O/m/a" "$O/m/missing"
	[ "$output" = ENOENT ]
}

@test "RENAME_NOREPLACE refuses an existing lower name and works on a free one" {
	echo a >"$O/l2/a"
	echo b >"$O/l2/b"
	ovl_mount
	run overlay-ops rename noreplace "$O/m/a" "$O/m/b"
	[ "$output" = EEXIST ]
	[ "$(cat "$O/m/b")" = b ]
	run overlay-ops rename noreplace "$O/m/a" "$O/m/c"
	[ "$output" = OK ]
	[ "$(cat "$O/m/c")" = a ]
	[ ! -e "$O/m/a" ]
}

@test "RENAME_WHITEOUT moves the file and leaves a 0/0 character device at the old name" {
	echo a >"$O/l2/a"
	echo u >"$O/l2/lower-target"
	ovl_mount
	echo n >"$O/m/new"
	run overlay-ops rename whiteout "$O/m/a" "$O/m/b"
	[ "$output" = OK ]
	run overlay-ops rename whiteout "$O/m/new" "$O/m/lower-target"
	[ "$output" = OK ]
	[ "$(cat "$O/m/b")" = a ]
	[ "$(cat "$O/m/lower-target")" = n ]
	[ "$(stat -c "%F %t:%T %a" "$O/m/a")" = "character special file 0:0 600" ]
	[ "$(stat -c '%F %t:%T' "$O/m/new")" = "character special file 0:0" ]
	[ "$(ls -A "$O/m" | sort | tr '\n' ' ')" = "a b lower-target new " ]
	ovl_umount
	ovl_mount
	[ "$(stat -c '%F %t:%T' "$O/m/a")" = "character special file 0:0" ]
	rm "$O/m/a"
	[ ! -e "$O/m/a" ]
	ovl_umount
	ovl_mount
	[ ! -e "$O/m/a" ]
}

@test "renaming over a lower file replaces it; the old name stays removed after remount" {
	echo a >"$O/l2/a"
	echo b >"$O/l2/b"
	ovl_mount
	mv "$O/m/a" "$O/m/b"
	[ "$(cat "$O/m/b")" = a ]
	[ ! -e "$O/m/a" ]
	ovl_umount
	ovl_mount
	[ "$(cat "$O/m/b")" = a ]
	[ ! -e "$O/m/a" ]
}

@test "rename errors match a plain directory" {
	mkdir -p "$O/l2/d/sub" "$O/l2/full"
	echo f >"$O/l2/f"
	echo x >"$O/l2/full/x"
	ovl_mount
	run overlay-ops rename none "$O/m/d" "$O/m/d/sub/in"
	[ "$output" = EINVAL ]
	run overlay-ops rename none "$O/m/f" "$O/m/d"
	[ "$output" = EISDIR ]
	run overlay-ops rename none "$O/m/d" "$O/m/f"
	[ "$output" = ENOTDIR ]
	run overlay-ops rename none "$O/m/d" "$O/m/full"
	[ "$output" = ENOTEMPTY ] || [ "$output" = "Directory not empty" ]
}

@test "for information: fuse-overlayfs on the same layers (dir rename)" {
	require_cmd fuse-overlayfs
	mkdir -p "$O/l2/dir"
	echo 1 >"$O/l2/dir/f"
	fuse-overlayfs -o "lowerdir=$O/l1:$O/l2,upperdir=$O/u,workdir=$O/w" "$O/m" || skip "fuse-overlayfs cannot mount here"
	run overlay-ops rename none "$O/m/dir" "$O/m/renamed"
	echo "# fuse-overlayfs: rename of a lower directory: $output" >&3
	ovl_umount
	# hutch-overlay on the same layers (now with fuse-overlayfs's upper).
	ovl_mount
	run overlay-ops rename none "$O/m/dir" "$O/m/renamed2"
	[ "$output" = OK ]
}
