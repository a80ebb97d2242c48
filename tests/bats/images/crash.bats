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
