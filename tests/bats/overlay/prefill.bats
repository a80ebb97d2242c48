#!/usr/bin/env bats
# hutch-overlay: the content of a small file goes to the kernel's page
# cache with the reply to its open (FUSE_NOTIFY_STORE), so reading it needs
# no READ request; never when another open of the file exists, so it never
# writes stale data over what a writer put there.
# modes: sub solo userns

load ../helpers
load lib

setup() {
	ovl_init
}

teardown() {
	ovl_teardown
}

# reads_of FILE: READ requests the daemon logged (OVL_DEBUG=1) for FILE,
# whose node id is its inode number.
reads_of() {
	local ino
	ino=$(stat -c %i "$1")
	awk -v ino="$ino" '
		function field(name) { return match($0, name ": [0-9]+") ? substr($0, RSTART + length(name) + 2, RLENGTH - length(name) - 2) : "" }
		/opcode: READ / && field("nodeid") == ino { n++ }
		END { print n + 0 }' "$BATS_TEST_TMPDIR/ovl.log"
}

@test "small files read without READ requests and with the right content; bigger ones with them" {
	head -c 3000 /dev/urandom >"$O/l2/small"
	head -c 32768 /dev/urandom >"$O/l2/limit"
	head -c 32769 /dev/urandom >"$O/l2/over"
	head -c 5000 /dev/urandom >"$O/l1/top"
	: >"$O/l2/empty"
	# The daemon stores only what the layer has in its page cache.
	cat "$O"/l1/* "$O"/l2/* >/dev/null
	OVL_DEBUG=1 ovl_mount
	local f
	for f in small limit over top empty; do
		cmp "$O/m/$f" "$O"/l*/"$f"
	done
	# A second read comes from the page cache as well.
	cmp "$O/m/small" "$O/l2/small"
	echo "READs: small $(reads_of "$O/m/small"), limit $(reads_of "$O/m/limit"), over $(reads_of "$O/m/over"), top $(reads_of "$O/m/top")"
	[ "$(reads_of "$O/m/small")" -eq 0 ]
	[ "$(reads_of "$O/m/limit")" -eq 0 ]
	[ "$(reads_of "$O/m/top")" -eq 0 ]
	[ "$(reads_of "$O/m/over")" -gt 0 ]
}

@test "a file open for writing is not prefilled, and readers see what the writer wrote" {
	printf 'old content\n' >"$O/l2/f"
	printf 'first\n' >"$O/l2/g"
	cat "$O/l2/f" "$O/l2/g" >/dev/null
	ovl_mount
	exec 7<>"$O/m/f"
	printf 'NEW' >&7
	# The reader's open is the second one: not prefilled.
	[ "$(cat "$O/m/f")" = "NEW content" ]
	exec 7>&-
	[ "$(cat "$O/m/f")" = "NEW content" ]
	# Rewritten through the mount after a prefilled read.
	[ "$(cat "$O/m/g")" = first ]
	printf 'second\n' >"$O/m/g"
	[ "$(cat "$O/m/g")" = second ]
	truncate -s 3 "$O/m/g"
	[ "$(cat "$O/m/g")" = sec ]
	ovl_umount
	ovl_mount
	[ "$(cat "$O/m/f")" = "NEW content" ]
	[ "$(cat "$O/m/g")" = sec ]
}

# none_running_among PID...: false while one of these jobs of this shell runs
# (bash's own job table: a pid that ended may already belong to another
# process).
none_running_among() {
	local p running
	running=" $(jobs -rp | tr '\n' ' ') "
	for p in "$@"; do
		[[ $running == *" $p "* ]] && return 1
	done
	return 0
}

@test "readers and writers of the same small files at once: no hang, and the content settles right" {
	local i pids=()
	for i in 1 2 3 4; do
		head -c 4096 /dev/zero | tr '\0' "$i" >"$O/l2/f$i"
	done
	ovl_mount
	# Readers open and close the files over and over (each open may be
	# the only one, and prefill) while writers rewrite them in place.
	for i in 1 2 3; do
		(for _ in $(seq 1 200); do cat "$O"/m/f* >/dev/null; done) &
		pids+=($!)
	done
	for i in 1 2 3 4; do
		(for n in $(seq 1 50); do
			head -c 4096 /dev/zero | tr '\0' "$((n % 10))" | dd of="$O/m/f$i" conv=notrunc status=none
		done) &
		pids+=($!)
	done
	# A deadlock would leave them hanging.
	wait_until 300 none_running_among "${pids[@]}"
	wait "${pids[@]}"
	for i in 1 2 3 4; do
		head -c 4096 /dev/zero | tr '\0' 0 | cmp - "$O/m/f$i"
	done
	ovl_umount
	ovl_mount
	for i in 1 2 3 4; do
		head -c 4096 /dev/zero | tr '\0' 0 | cmp - "$O/m/f$i"
	done
}
