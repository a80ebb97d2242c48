#!/usr/bin/env bats
# process.terminal with --console-socket: the socket receives the pty
# master, and the container sees a working terminal of consoleSize.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	require_cmd hutch-oci jq recvtty
	STATE=$BATS_TEST_TMPDIR/state
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	SOCK=$BATS_TEST_TMPDIR/console.sock
	ID=tty-$BATS_TEST_NUMBER-$$
	mkdir -p "$STATE"
	make_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.process.terminal = true
		| .process.consoleSize = {height: 31, width: 97}'
}

teardown() {
	timeout 10 hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
	if [ -n "${RECV_PID:-}" ]; then
		kill "$RECV_PID" 2>/dev/null || true
		wait "$RECV_PID" 2>/dev/null || true
	fi
}

# oci_create ARGS...: `create` with its stdio on a file. The container
# process inherits create's stdio (as with runc) and keeps it until it
# exits, so a `run` capturing it, or bats' own fds, would wait that long.

# full_mapping: give the container every id the mode has, so ids other
# than 0 are mapped (the rootless spec maps only the caller's own id).

# start_recvtty: receive the pty on $SOCK, its output in $BATS_TEST_TMPDIR/tty.out.
start_recvtty() {
	recvtty --no-stdin --timeout 30 --name-file "$BATS_TEST_TMPDIR/tty.name" "$SOCK" \
		>"$BATS_TEST_TMPDIR/tty.out" 3>&- &
	RECV_PID=$!
	wait_until 60 test -S "$SOCK" && return 0
	echo "recvtty never listened on $SOCK" >&2
	return 1
}

# tty_output: what the container wrote to its terminal, without the CRs.
tty_output() {
	wait "$RECV_PID"
	RECV_PID=
	tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out"
}

@test "run --console-socket: a working tty of consoleSize" {
	edit_config "$BUNDLE" '.process.args = ["sh", "-c", "tty; stty size; test -t 0 && echo stdin-is-tty"]'
	start_recvtty
	run oci run --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	run tty_output
	[[ $output == *"/dev/pts/0"* ]]
	[[ $output == *"31 97"* ]]
	[[ $output == *stdin-is-tty* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/tty.name")" = /dev/pts/0 ]
}

@test "create --console-socket then start: the tty is the controlling terminal" {
	edit_config "$BUNDLE" '.process.args = ["sh", "-c", "echo hi > /dev/tty; stty size"]'
	start_recvtty
	oci_create --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
	run oci start "$ID"
	[ "$status" -eq 0 ]
	run tty_output
	[[ $output == *hi* ]]
	[[ $output == *"31 97"* ]]
}

@test "a non-root user owns its terminal" {
	full_mapping
	edit_config "$BUNDLE" '.process.user = {uid: 1000, gid: 1000}
		| .process.args = ["sh", "-c", "id -u; stat -c %u $(tty); echo ok > /dev/tty"]'
	start_recvtty
	run oci run --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	run tty_output
	[[ $output == *ok* ]]
	[ "$(printf '%s\n' "$output" | grep -cx 1000)" = 2 ]
}
