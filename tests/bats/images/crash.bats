#!/usr/bin/env bats
# Crash safety: hutchd killed with SIGKILL at several points of a pull
# (mid-download, mid-unpack, at random moments) and with the leftovers of a
# kill during an index write; the next hutchd opens the store cleanly, the
# pull then succeeds and `hutch system check` finds nothing wrong.
# modes: sub solo

load ../helpers
load lib/registry

setup_file() {
	require_cmd docker-registry skopeo python3
	start_registry "$BATS_FILE_TMPDIR/registry"
	push_image big big:v1 10 4
	export REGISTRY REGISTRY_PID REGISTRY_DIR
}

teardown_file() {
	stop_registry
}

setup() {
	start_hutchd
}

teardown() {
	stop_proxy
	stop_hutchd
	stop_sandbox
}

kill9_hutchd() {
	kill -9 "$HUTCHD_PID"
	wait "$HUTCHD_PID" 2>/dev/null || true
	HUTCHD_PID=
}

restart_and_check() {
	start_hutchd
	# Nothing half-done survives the restart.
	[ -z "$(ls -A "$(store_dir)/tmp")" ]
	! ls -A "$(store_dir)/snapshots" | grep -q '^\.tmp-'
	run hutch system check
	echo "$output"
	[ "$status" -eq 0 ]
	run with_timeout 120 hutch pull "$REGISTRY/big:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	run hutch system check
	echo "$output"
	[ "$status" -eq 0 ]
	hutch rmi "$REGISTRY/big:v1" >/dev/null
	hutch image prune -f >/dev/null
}

@test "kill -9 mid-download" {
	start_proxy --rate 3000000
	with_timeout 120 hutch pull "$PROXY/big:v1" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pull=$!
	wait_for '[ -n "$(find "$(store_dir)/tmp" -type f -size +100k)" ]'
	kill9_hutchd
	wait $pull || true
	[ -n "$(ls -A "$(store_dir)/tmp")" ] # the kill really left a partial blob
	restart_and_check
}

@test "kill -9 mid-unpack" {
	start_proxy --rate 6000000
	with_timeout 120 hutch pull "$PROXY/big:v1" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pull=$!
	wait_for 'grep -q Extracting "$BATS_TEST_TMPDIR/out" || ls -A "$(store_dir)/snapshots" | grep -q "^\.tmp-"'
	kill9_hutchd
	wait $pull || true
	restart_and_check
}

@test "kill -9 at several moments of a pull" {
	start_proxy --rate 8000000
	local delay
	for delay in 0.05 0.3 0.8 1.5; do
		with_timeout 120 hutch pull "$PROXY/big:v1" >/dev/null 2>&1 &
		local pull=$!
		sleep "$delay"
		kill9_hutchd
		wait $pull || true
		start_hutchd
		run hutch system check
		echo "after $delay s: $output"
		[ "$status" -eq 0 ]
	done
	stop_hutchd
	restart_and_check
}

@test "leftovers of a kill during an index write are swept" {
	with_timeout 120 hutch pull "$REGISTRY/big:v1" >/dev/null
	local s
	s=$(store_dir)
	kill9_hutchd
	# What write_file_atomic, a download and an unpack leave when killed.
	echo '{"version":1,"images":{' >"$s/images.json.tmp.12345"
	head -c 1000 /dev/urandom >"$s/tmp/blob-AbCdEf"
	mkdir -p "$s/snapshots/.tmp-0123456789ab-1-1/fs/etc"
	echo half >"$s/snapshots/.tmp-0123456789ab-1-1/fs/etc/file"
	start_hutchd
	[ ! -e "$s/images.json.tmp.12345" ]
	[ ! -e "$s/snapshots/.tmp-0123456789ab-1-1" ]
	run hutch image inspect "$REGISTRY/big:v1"
	[ "$status" -eq 0 ]
	stop_hutchd
	restart_and_check
}

# Snapshots are committed before their files are synced, marked with a
# file "unsynced" that names the boot (store.h); hutchd syncs them once
# idle and on a clean stop, and after a restart of the machine unpacks the
# marked ones again from their blobs.

unsynced_markers() {
	find "$(store_dir)/snapshots" -mindepth 2 -maxdepth 2 -name unsynced
}

# The first committed snapshot's directory.
a_snapshot() {
	find "$(store_dir)/snapshots" -mindepth 2 -maxdepth 2 -name meta.json -printf '%h\n' | head -n 1
}

# Each test starts from an empty store (earlier tests leave the image
# under the proxy's name too).
forget_images() {
	hutch image prune -a -f >/dev/null
	[ -z "$(ls "$(store_dir)/snapshots")" ]
}

stop_hutchd_and_wait() {
	kill "$HUTCHD_PID"
	# A clean stop syncs first; bounded by a minute, not a pause.
	timeout 60 tail --pid="$HUTCHD_PID" -f /dev/null
	wait "$HUTCHD_PID"
	HUTCHD_PID=
}

@test "a pull's snapshots are synced once hutchd is idle" {
	stop_hutchd
	start_hutchd --log "$BATS_TEST_TMPDIR/hutchd.log" --log-level debug
	forget_images
	with_timeout 120 hutch pull "$REGISTRY/big:v1" >/dev/null
	wait_for '[ -z "$(unsynced_markers)" ]'
	# All four had been committed unsynced, and one syncfs covered them.
	grep -q 'store: 4 snapshot(s) synced' "$BATS_TEST_TMPDIR/hutchd.log"
	run hutch system check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a clean stop syncs the snapshots" {
	forget_images
	with_timeout 120 hutch pull "$REGISTRY/big:v1" >/dev/null
	stop_hutchd_and_wait
	[ -z "$(unsynced_markers)" ]
	start_hutchd
	run hutch system check
	[ "$status" -eq 0 ]
}

@test "a snapshot left unsynced in this boot is synced, not unpacked again" {
	forget_images
	with_timeout 120 hutch pull "$REGISTRY/big:v1" >/dev/null
	kill9_hutchd
	local snap inode
	snap=$(a_snapshot)
	# What a kill -9 before the sync leaves: its files are still in the
	# page cache, so they only need the sync.
	rm -f "$snap/unsynced"
	cat /proc/sys/kernel/random/boot_id | tr -d '\n' >"$snap/unsynced"
	inode=$(stat -c %i "$snap/fs")
	start_hutchd
	wait_for '[ ! -e "$snap/unsynced" ]'
	[ "$(stat -c %i "$snap/fs")" = "$inode" ]
	run hutch system check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a snapshot left unsynced by another boot is unpacked again from its blob" {
	forget_images
	with_timeout 120 hutch pull "$REGISTRY/big:v1" >/dev/null
	stop_hutchd_and_wait
	local snap file sum
	snap=$(a_snapshot)
	file=$(find "$snap/fs" -type f -size +10k | head -n 1)
	[ -n "$file" ]
	sum=$(sha256sum <"$file")
	# A power cut before the sync: the marker names the boot that wrote
	# the snapshot, and its files lost their data.
	printf '%s' 00000000-0000-4000-8000-000000000000 >"$snap/unsynced"
	: >"$file"
	rm -f "$(find "$snap/fs" -type f | grep -v "^$file\$" | head -n 1)"
	start_hutchd --log "$BATS_TEST_TMPDIR/hutchd.log"
	# Unpacked again before hutchd answers, under the same name.
	[ "$(sha256sum <"$file")" = "$sum" ]
	grep -q "was not synced to disk before the machine went down" "$BATS_TEST_TMPDIR/hutchd.log"
	run hutch system check
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for '[ -z "$(unsynced_markers)" ]'
}

@test "a snapshot left unsynced by another boot without its blob is removed" {
	forget_images
	with_timeout 120 hutch pull "$REGISTRY/big:v1" >/dev/null
	stop_hutchd_and_wait
	local snap layer
	snap=$(a_snapshot)
	layer=$(jq -r .layer "$snap/meta.json")
	printf '%s' 00000000-0000-4000-8000-000000000000 >"$snap/unsynced"
	rm -f "$(store_dir)/blobs/sha256/${layer#sha256:}"
	start_hutchd
	[ ! -e "$snap" ]
	! ls -A "$(store_dir)/snapshots" | grep -q '^\.tmp-'
	run hutch system check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"snapshot sha256:$(basename "$snap") missing"* ]]
	# A pull fetches the layer again and repairs the image.
	with_timeout 120 hutch pull "$REGISTRY/big:v1" >/dev/null
	[ -e "$snap/meta.json" ]
	run hutch system check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "kill -9 right after a pull leaves nothing unsynced for long" {
	forget_images
	with_timeout 120 hutch pull "$REGISTRY/big:v1" >/dev/null
	# Before or after the background sync: either way the next hutchd
	# syncs what is left, and nothing is unpacked again.
	kill9_hutchd
	start_hutchd --log "$BATS_TEST_TMPDIR/hutchd.log"
	wait_for '[ -z "$(unsynced_markers)" ]'
	! grep -q "was not synced to disk before the machine went down" "$BATS_TEST_TMPDIR/hutchd.log"
	stop_hutchd
	restart_and_check
}

@test "a blob that rots on disk is found by system check" {
	with_timeout 120 hutch pull "$REGISTRY/big:v1" >/dev/null
	local layer
	layer=$(hutch image inspect "$REGISTRY/big:v1" | jq -r '.[0].Id')
	local f=$(store_dir)/blobs/sha256/${layer#sha256:}
	chmod u+w "$f"
	echo '{"rotten": true}' >"$f"
	run hutch system check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"content hashes to"* ]]
	[[ "$output" == *"store has problems"* ]]
}
