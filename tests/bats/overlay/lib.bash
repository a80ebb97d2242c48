# Helpers for the hutch-overlay suites: a fresh layer stack per test, a
# mount that is always taken down in teardown, and a plain-directory
# reference to compare with.
#
# Layout under $O (= $BATS_TEST_TMPDIR/o): l1 (top lower), l2, u (upper),
# w (work), m (mount point).

O=
OVL_PID=

ovl_init() {
	O=$BATS_TEST_TMPDIR/o
	mkdir -p "$O"/l1 "$O"/l2 "$O"/u "$O"/w "$O"/m
	chmod 755 "$BATS_TEST_TMPDIR" "$O"
}

# ovl_is_mounted DIR
ovl_is_mounted() {
	local d
	d=$(realpath "$1")
	awk -v d="$d" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# ovl_mount [EXTRA_OPTIONS]: mount l1:l2 + u at m in the foreground in the
# background, so teardown knows the pid; waits until the mount is there.
ovl_mount() {
	local extra=${1:+,$1}
	ovl_mount_opts "lowerdir=$O/l1:$O/l2,upperdir=$O/u,workdir=$O/w$extra"
}

ovl_mount_opts() {
	# OVL_DEBUG=1: log every request to ovl.log.
	hutch-overlay -f ${OVL_DEBUG:+-d} -o "$1" "$O/m" 2>"$BATS_TEST_TMPDIR/ovl.log" &
	OVL_PID=$!
	local i
	# Up to a minute: a loaded CI machine can be slow to start a daemon.
	for i in $(seq 1 1200); do
		ovl_is_mounted "$O/m" && return 0
		kill -0 "$OVL_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/ovl.log" >&2
	echo "hutch-overlay did not mount" >&2
	return 1
}

# ovl_umount: unmount and wait for the daemon to end.
ovl_umount() {
	local mnt=${1:-$O/m}
	if ovl_is_mounted "$mnt"; then
		fusermount3 -u "$mnt" 2>/dev/null || umount "$mnt" 2>/dev/null || umount -l "$mnt"
	fi
	if [ -n "$OVL_PID" ]; then
		local i
		for i in $(seq 1 600); do
			kill -0 "$OVL_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -9 "$OVL_PID" 2>/dev/null || true
		wait "$OVL_PID" 2>/dev/null || true
		OVL_PID=
	fi
}

ovl_teardown() {
	[ -n "$O" ] || return 0
	ovl_umount "$O/m"
	# Files we could not make writable again must not fail the cleanup.
	chmod -R u+rwX "$O" 2>/dev/null || true
}

# A listing that does not depend on times or inode numbers.
tree_listing() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %s %p\n' | sort)
}

# Content fingerprint of a tree: every regular file's checksum.
tree_sums() {
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r md5sum)
}

# ovl_big_dir REL: a directory of 300 lower files f100..f399 in l2, the
# first 40 of them replaced by l1.
ovl_big_dir() {
	local i
	mkdir -p "$O/l2/$1" "$O/l1/$1"
	for i in $(seq 100 399); do echo "$i" >"$O/l2/$1/f$i"; done
	for i in $(seq 100 139); do echo "top $i" >"$O/l1/$1/f$i"; done
}

# ovl_read_while_changing REL: read the mounted ovl_big_dir REL in small
# pieces, and between two reads make new names, copy-ups (which move names
# to the upper layer and rebuild the directory's listing), a removal and a
# rename within it. No name may show twice and every name that was there
# all along exactly once; names that came or went during the read may
# show or not.
ovl_read_while_changing() {
	local d=$O/m/$1 i
	overlay-ops readdir-paused "$d" "
		touch '$d/new1' '$d/new2'
		chmod 600 '$d/f300' '$d/f120' '$d/f105'
		echo more >>'$d/f399'
		rm '$d/f200'
		mv '$d/f250' '$d/moved'" >"$BATS_TEST_TMPDIR/seen"
	[ -z "$(sort "$BATS_TEST_TMPDIR/seen" | uniq -d)" ]
	for i in $(seq 100 399); do
		case $i in 200 | 250) continue ;; esac
		grep -qx "f$i" "$BATS_TEST_TMPDIR/seen" || { echo "f$i not seen" >&2; return 1; }
	done
	[ "$(ls "$d" | wc -l)" = 301 ]
	[ "$(cat "$d/f120")" = "top 120" ]
}
