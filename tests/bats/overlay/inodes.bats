#!/usr/bin/env bats
# hutch-overlay: hard links and inode numbers.
# modes: sub solo userns

load ../helpers
load lib

setup() {
	ovl_init
}

teardown() {
	ovl_teardown
	[ -z "${SHM:-}" ] || rm -rf "$SHM"
}

ino() { stat -c %i "$1"; }
nlink() { stat -c %h "$1"; }

@test "hard links stay one inode with the right link count after copy-up of one name" {
	echo shared >"$O/l2/a"
	ln "$O/l2/a" "$O/l2/b"
	ln "$O/l2/a" "$O/l2/c"
	ovl_mount
	[ "$(ino "$O/m/a")" = "$(ino "$O/m/b")" ]
	[ "$(nlink "$O/m/a")" = 3 ]
	echo more >>"$O/m/a"
	[ "$(cat "$O/m/b")" = "$(printf 'shared\nmore')" ]
	[ "$(ino "$O/m/a")" = "$(ino "$O/m/b")" ]
	[ "$(nlink "$O/m/a")" = 3 ]
	[ "$(nlink "$O/m/c")" = 3 ]
	rm "$O/m/c"
	[ "$(nlink "$O/m/a")" = 2 ]
	ovl_umount
	ovl_mount
	[ "$(cat "$O/m/b")" = "$(printf 'shared\nmore')" ]
	[ "$(ino "$O/m/a")" = "$(ino "$O/m/b")" ]
	[ "$(nlink "$O/m/b")" = 2 ]
	[ ! -e "$O/m/c" ]
}

@test "a new hard link to a lower file counts and shares data" {
	echo x >"$O/l2/f"
	ovl_mount
	ln "$O/m/f" "$O/m/g"
	[ "$(nlink "$O/m/f")" = 2 ]
	[ "$(ino "$O/m/f")" = "$(ino "$O/m/g")" ]
	echo y >>"$O/m/g"
	[ "$(cat "$O/m/f")" = "$(printf 'x\ny')" ]
	rm "$O/m/f"
	[ "$(nlink "$O/m/g")" = 1 ]
	[ "$(cat "$O/m/g")" = "$(printf 'x\ny')" ]
}

@test "inode numbers are stable across copy-up, rename and remount" {
	echo a >"$O/l2/f"
	mkdir -p "$O/l2/d/e"
	ovl_mount
	i_f=$(ino "$O/m/f")
	i_d=$(ino "$O/m/d")
	i_e=$(ino "$O/m/d/e")
	[ "$i_f" = "$(ino "$O/l2/f")" ] # one device: the lower number itself
	echo b >>"$O/m/f"
	[ "$(ino "$O/m/f")" = "$i_f" ]
	touch "$O/m/d/new"
	[ "$(ino "$O/m/d")" = "$i_d" ]
	mv "$O/m/d" "$O/m/d2"
	[ "$(ino "$O/m/d2")" = "$i_d" ]
	[ "$(ino "$O/m/d2/e")" = "$i_e" ]
	ovl_umount
	ovl_mount
	[ "$(ino "$O/m/f")" = "$i_f" ]
	[ "$(ino "$O/m/d2")" = "$i_d" ]
	[ "$(ino "$O/m/d2/e")" = "$i_e" ]
	# readdir reports the same numbers as stat.
	[ "$(ls -i "$O/m" | awk '$2 == "f" { print $1 }')" = "$i_f" ]
}

@test "inode numbers are unique across layers on different devices" {
	[ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$O")" ] || skip "/dev/shm is on the same device"
	SHM=$(mktemp -d /dev/shm/hutch-ovl.XXXXXX)
	# Many files on both devices: some inode numbers collide between the
	# two filesystems, the merged view must still be unique.
	for i in $(seq 1 300); do echo "$i" >"$O/l2/a$i"; echo "$i" >"$SHM/b$i"; done
	ovl_mount_opts "lowerdir=$SHM:$O/l2,upperdir=$O/u,workdir=$O/w"
	total=$(find "$O/m" -mindepth 1 | wc -l)
	unique=$(find "$O/m" -mindepth 1 -printf '%i\n' | sort -u | wc -l)
	[ "$total" = 600 ]
	[ "$unique" = 600 ]
	i_b=$(ino "$O/m/b7")
	echo x >>"$O/m/b7"
	[ "$(ino "$O/m/b7")" = "$i_b" ]
	ovl_umount
	ovl_mount_opts "lowerdir=$SHM:$O/l2,upperdir=$O/u,workdir=$O/w"
	[ "$(ino "$O/m/b7")" = "$i_b" ]
}

@test "for information: fuse-overlayfs inode numbers and hard links on the same layers" {
	require_cmd fuse-overlayfs
	echo shared >"$O/l2/a"
	ln "$O/l2/a" "$O/l2/b"
	fuse-overlayfs -o "lowerdir=$O/l1:$O/l2,upperdir=$O/u,workdir=$O/w" "$O/m" || skip "fuse-overlayfs cannot mount here"
	echo more >>"$O/m/a"
	echo "# fuse-overlayfs after copy-up of a: ino a=$(ino "$O/m/a") b=$(ino "$O/m/b"), nlink a=$(nlink "$O/m/a"), b reads: $(tr '\n' ' ' <"$O/m/b")" >&3
	ovl_umount
	rm -rf "$O/u" "$O/w"
	mkdir "$O/u" "$O/w"
	ovl_mount
	echo more >>"$O/m/a"
	[ "$(ino "$O/m/a")" = "$(ino "$O/m/b")" ]
	[ "$(cat "$O/m/b")" = "$(printf 'shared\nmore')" ]
}
