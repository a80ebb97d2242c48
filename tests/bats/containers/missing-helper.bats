#!/usr/bin/env bats
# A helper program missing: hutchd runs from a private bin dir (real copies
# of hutchd and hutch-monitor, which look next to themselves first, and
# symlinks to the other programs) with a PATH that has no hutch program
# at all, and one program at a time is taken away. A start then fails
# with a message naming the program and how to fix it, the container ends
# `exited` with that error, nothing of it keeps running or stays mounted,
# and once the program is back the same container starts.
# modes: sub solo

load ../helpers
load ../images/lib/registry
load lib/ctr

setup_file() {
	BIN=$BATS_FILE_TMPDIR/bin
	mkdir -p "$BIN"
	local installed p
	installed=$(dirname "$(command -v hutchd)")
	for p in "$installed"/hutch*; do
		ln -s "$p" "$BIN/${p##*/}"
	done
	# /proc/self/exe of a symlinked program is the installed file: these
	# two must be copies so that "next to myself" is $BIN.
	rm "$BIN/hutchd" "$BIN/hutch-monitor"
	cp "$installed/hutchd" "$installed/hutch-monitor" "$BIN/"
	# $BIN is not on PATH: hutchd and the monitor (re-executed from a
	# sealed copy of itself, as the copy is ours) must find the others
	# next to their own binary.
	# The monitor waits a second after reporting a failed set-up: the
	# start's 500 must still come only with the final state.
	HUTCH_MONITOR_FAULT=slow-teardown HUTCHD_BIN=$BIN/hutchd \
		HUTCHD_PATH="/usr/bin:/bin:/usr/sbin:/sbin" ctr_setup_file
	BIN_REAL=$(realpath "$BIN")
	export BIN BIN_REAL
}

teardown_file() {
	ctr_teardown_file
}

teardown() {
	remove_all_containers
	local f
	for f in "$BIN"/*.away; do
		[ ! -e "$f" ] || mv "$f" "${f%.away}"
	done
}

# take_away PROGRAM: remove it from $BIN (kept as PROGRAM.away).
take_away() {
	mv "$BIN/$1" "$BIN/$1.away"
}

give_back() {
	mv "$BIN/$1.away" "$BIN/$1"
}

# A failed start: 500, the message names the program and the fix; the
# container is exited with that error; nothing of it runs or is mounted.
assert_failed_start() {
	local name=$1 program=$2
	echo "start: $code $body"
	[ "$code" = 500 ]
	[[ "$body" == *"$program not found"* ]]
	[[ "$body" == *"PATH"* ]]
	[[ "$body" == *"next to hutch-monitor ($BIN_REAL)"* ]]
	status_is "$name" exited
	[ "$(inspect "$name" | jq -r .State.ExitCode)" = 128 ]
	[[ "$(inspect "$name" | jq -r .State.Error)" == *"$program not found"* ]]
	wait_for 30 no_processes
	[ -z "$(our_mounts)" ]
}

# The same container starts once the program is back.
assert_starts_again() {
	local name=$1
	give_back "$2"
	start "$name"
	[ "$(wait_exit "$name")" = 0 ]
	api GET "/containers/$name/logs?stdout=1" | grep -q hello
	wait_for 30 no_processes
	[ -z "$(our_mounts)" ]
}

@test "without hutch-overlay a start fails naming it, and works once it is back" {
	take_away hutch-overlay
	create no-overlay echo hello
	call POST "/containers/no-overlay/start"
	assert_failed_start no-overlay hutch-overlay
	assert_starts_again no-overlay hutch-overlay
}

@test "without hutch-slirp a start with a network fails naming it, and works once it is back" {
	take_away hutch-slirp
	CTR_EXTRA='{"HostConfig": {"NetworkMode": "bridge"}}' create no-slirp echo hello
	call POST "/containers/no-slirp/start"
	assert_failed_start no-slirp hutch-slirp
	assert_starts_again no-slirp hutch-slirp
}

@test "without hutch-monitor a start fails naming it and leaves the container created" {
	take_away hutch-monitor
	create no-monitor echo hello
	call POST "/containers/no-monitor/start"
	echo "start: $code $body"
	[ "$code" = 500 ]
	[[ "$body" == *"hutch-monitor not found"* ]]
	[[ "$body" == *"PATH"* ]]
	[[ "$body" == *"next to hutchd ($BIN_REAL)"* ]]
	status_is no-monitor created
	no_processes
	give_back hutch-monitor
	start no-monitor
	[ "$(wait_exit no-monitor)" = 0 ]
}

@test "docker run without hutch-overlay fails with its name and leaves nothing running" {
	take_away hutch-overlay
	run with_timeout 60 docker run --network none "$IMAGE" echo hello
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hutch-overlay not found"* ]]
	# Docker leaves a container whose start failed, exited with the error.
	[ "$(api GET '/containers/json?all=1' | jq -r '.[].State')" = exited ]
	wait_for 30 no_processes
	[ -z "$(our_mounts)" ]
	give_back hutch-overlay
}

@test "hutch run without hutch-slirp fails with its name" {
	take_away hutch-slirp
	run with_timeout 60 hutch run --rm "$IMAGE" echo hello
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hutch-slirp not found"* ]]
	wait_for 30 no_processes
	[ -z "$(our_mounts)" ]
}

@test "hutch-oci is not needed to run containers (the monitor links the runtime)" {
	take_away hutch-oci
	create no-oci echo hello
	start no-oci
	[ "$(wait_exit no-oci)" = 0 ]
	api GET "/containers/no-oci/logs?stdout=1" | grep -q hello
	give_back hutch-oci
}
