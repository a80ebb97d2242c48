#!/usr/bin/env bats
# hutch-oci kill and ps: signals by name and number, --all, the
# processes of a container, and the errors on stopped containers.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup kill
	make_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.root.readonly = false'
}

teardown() {
	if [ -n "${RUNNER:-}" ]; then
		kill -KILL "$RUNNER" 2>/dev/null || true
	fi
	hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
}

# run_in_background: `run` the container in the foreground of a background
# job, so its exit code tells which signal arrived. Returns once the
# container's shell has set its traps (it touches /tmp/ready after).
run_in_background() {
	rm -f "$BUNDLE/rootfs/tmp/ready"
	hutch-oci --root "$STATE" run --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	RUNNER=$!
	wait_until 60 test -e "$BUNDLE/rootfs/tmp/ready"
}

# wait_runner: the runner's exit status in RC (not in a subshell: only
# this shell can wait for its job).
wait_runner() {
	RC=0
	wait "$RUNNER" || RC=$?
	RUNNER=
}

# The init of a pid namespace only gets signals it handles: trap them.
TRAPS='trap "exit 10" USR1; trap "exit 12" USR2; trap "exit 15" TERM; trap "exit 1" HUP; touch /tmp/ready; while :; do sleep 0.05; done'

@test "kill without a signal sends TERM" {
	args sh -c "$TRAPS"
	run_in_background
	oci kill "$ID"
	wait_runner
	[ "$RC" -eq 15 ]
}

@test "kill takes signal names with and without SIG, in any case" {
	args sh -c "$TRAPS"
	run_in_background
	oci kill "$ID" SIGUSR2
	wait_runner
	[ "$RC" -eq 12 ]
	run_in_background
	oci kill "$ID" usr1
	wait_runner
	[ "$RC" -eq 10 ]
}

@test "kill takes signal numbers" {
	args sh -c "$TRAPS"
	run_in_background
	oci kill "$ID" "$(kill -l USR1)"
	wait_runner
	[ "$RC" -eq 10 ]
}

@test "kill KILL ends a process that ignores everything else" {
	args sh -c 'trap "" TERM INT HUP; touch /tmp/ready; while :; do sleep 0.05; done'
	run_in_background
	oci kill "$ID" KILL
	wait_runner
	[ "$RC" -eq 137 ]
}

@test "kill --all reaches every process of the container" {
	args sh -c 'sleep 1000 & sleep 1000 & trap "" TERM; wait'
	oci run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	local pids
	three_processes() { [ "$(oci ps --format json "$ID" | jq length)" -ge 3 ]; }
	wait_until 60 three_processes
	pids=$(oci ps --format json "$ID" | jq -r '.[]')
	run oci kill --all "$ID" KILL
	[ "$status" -eq 0 ]
	wait_status stopped
	local p
	for p in $pids; do
		# gone, or a zombie waiting for a reaper that is not us
		! kill -0 "$p" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] ||
			[ ! -e "/proc/$p" ]
	done
}

@test "kill of a stopped container is a clear error" {
	args true
	oci create --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	oci start "$ID"
	wait_status stopped
	run oci kill "$ID" KILL
	[ "$status" -ne 0 ]
	[[ $output == *"not running"* ]]
}

@test "kill of an unknown container or with an unknown signal fails" {
	run oci kill nosuch KILL
	[ "$status" -ne 0 ]
	[[ $output == *"does not exist"* ]]
	args sleep 100
	oci create --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	run oci kill "$ID" SIGNOPE
	[ "$status" -ne 0 ]
	[[ $output == *"unknown signal"* ]]
	[ "$(oci state "$ID" | jq -r .status)" = created ]
}

@test "ps lists the container's processes as a table and as JSON" {
	args sh -c 'sleep 1000 & exec sleep 1001'
	oci run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	local init
	init=$(oci state "$ID" | jq .pid)
	two_processes() { [ "$(oci ps --format json "$ID" | jq length)" -ge 2 ]; }
	wait_until 60 two_processes
	run oci ps --format json "$ID"
	[ "$(jq length <<<"$output")" -eq 2 ]
	[ "$(jq "index($init)" <<<"$output")" != null ]
	run oci ps "$ID"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == PID* ]]
	[[ $output == *"sleep 1000"* ]]
	[[ $output == *"sleep 1001"* ]]
}

@test "ps of a stopped container lists nothing" {
	args true
	oci create --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	oci start "$ID"
	wait_status stopped
	run oci ps --format json "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}
