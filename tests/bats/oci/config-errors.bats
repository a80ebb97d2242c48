#!/usr/bin/env bats
# Broken or hostile input to hutch-oci: each case must fail with a message
# that names the problem, and leave no state directory, mount or process
# behind.
# modes: sub solo root userns

load ../helpers

setup() {
	require_cmd hutch-oci jq
	STATE=$BATS_TEST_TMPDIR/state
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	# Unique per test and run, so leftovers of another test never match.
	ID=cfgerr-$BATS_TEST_NUMBER-$$
	mkdir -p "$STATE"
	make_bundle "$BUNDLE"
}

teardown() {
	# Never leave a container behind, whatever the test did.
	with_timeout 30 hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 3>&- || true
}

# fd 3 is bats' own output: a container process that kept it would stall
# the suite until it exits.
oci() {
	with_timeout 30 hutch-oci --root "$STATE" "$@" 3>&-
}

# Nothing of container $ID may survive a failed command: no state entry,
# no mount of the bundle in our mount namespace, no process rooted in the
# bundle or naming the container. Every check returns explicitly, so the
# function also fails under `run` and in conditions, where set -e is off.
assert_no_trace() {
	run oci state "$ID"
	if [ "$status" -eq 0 ]; then
		echo "state of $ID still answers: $output" >&2
		return 1
	fi
	run oci list --format json
	if [ "$status" -ne 0 ]; then
		echo "list failed: $output" >&2
		return 1
	fi
	if [ -n "$output" ] && [ "$output" != null ] &&
		[ "$(jq --arg id "$ID" '[.[]? | select(.id == $id)] | length' <<<"$output")" != 0 ]; then
		echo "list still shows $ID: $output" >&2
		return 1
	fi
	local left
	left=$(find "$STATE" -mindepth 1 -maxdepth 2 -name "*$ID*" 2>/dev/null)
	if [ -n "$left" ]; then
		echo "state left behind: $left" >&2
		return 1
	fi
	if grep -F "$BATS_TEST_TMPDIR" /proc/self/mountinfo >&2; then
		echo "mounts of the test directory are left" >&2
		return 1
	fi
	# One find and one grep over all processes (forks per process made
	# this the slowest part of the file); grep reads its pattern from a
	# file so that its own command line does not name $ID.
	local p
	for p in $(find /proc/[0-9]*/root -maxdepth 0 -lname "$BATS_TEST_TMPDIR*" 2>/dev/null); do
		echo "process $(basename "$(dirname "$p")") still runs in $(readlink "$p")" >&2
		return 1
	done
	for p in $(grep -lsaF -f <(printf '%s\n' "$ID") /proc/[0-9]*/cmdline); do
		echo "process $(basename "$(dirname "$p")") still names $ID: $(tr '\0' ' ' <"$p")" >&2
		return 1
	done
	return 0
}

# wait_for_status STATUS: poll `state` until the container reaches it.
wait_for_status() {
	wait_until 60 oci_status_is "$1" && return 0
	echo "container $ID never became $1: $(oci state "$ID" 2>&1)" >&2
	return 1
}

oci_status_is() {
	[ "$(oci state "$ID" 2>/dev/null | jq -r .status)" = "$1" ]
}

@test "malformed config.json is refused with the file and the position" {
	printf '{"ociVersion": "1.2.0", "root": {"path": "rootfs"},' >"$BUNDLE/config.json"
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"$BUNDLE/config.json"* ]]
	[[ $output == *"invalid JSON"* ]]
	assert_no_trace
}

@test "trailing garbage after the config is refused" {
	edit_config "$BUNDLE" .
	echo '}' >>"$BUNDLE/config.json"
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"config.json: invalid JSON: trailing data"* ]]
	assert_no_trace
}

@test "a failed create writes one JSON line to the log, naming the problem" {
	printf 'not json' >"$BUNDLE/config.json"
	log=$BATS_TEST_TMPDIR/log.json
	run with_timeout 30 hutch-oci --root "$STATE" --log "$log" --log-format json \
		create --bundle "$BUNDLE" "$ID" 3>&-
	[ "$status" -ne 0 ]
	# podman reads the whole log file as one object.
	[ "$(wc -l <"$log")" = 1 ]
	jq -e '.msg | contains("invalid JSON")' "$log"
	jq -e '.level == "error"' "$log"
	assert_no_trace
}

@test "a config.json over the 64 MiB cap is refused by its size" {
	# The valid config padded with NUL bytes to 65 MiB.
	truncate -s 65M "$BUNDLE/config.json"
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"$BUNDLE/config.json"* ]]
	[[ $output == *"larger than"* ]]
	assert_no_trace
}

@test "absurdly deep JSON nesting is refused" {
	# (2000 brackets from one printf: a loop of 2000 commands under bats'
	# per-command debug trap took seconds)
	local brackets
	printf -v brackets '%2000s' ''
	printf '{"ociVersion": "1.2.0", "root": {"path": "rootfs"}, "annotations": %s' \
		"${brackets// /[}" >"$BUNDLE/config.json"
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"$BUNDLE/config.json: invalid JSON"* ]]
	assert_no_trace
}

@test "a config without a process is refused by create with a clear message" {
	edit_config "$BUNDLE" 'del(.process)'
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"no process"* ]]
	assert_no_trace
}

@test "a missing config.json names the file and says no such file" {
	rm "$BUNDLE/config.json"
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"$BUNDLE/config.json"* ]]
	[[ $output == *"No such file or directory"* ]]
	assert_no_trace
}

@test "a missing rootfs is refused before anything is created" {
	rm -rf "$BUNDLE/rootfs"
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *rootfs* ]]
	[[ $output == *"No such file or directory"* ]]
	assert_no_trace
}

@test "an unknown namespace type is named with its JSON path" {
	edit_config "$BUNDLE" '.linux.namespaces += [{"type": "foo"}]'
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *'linux.namespaces['*'].type: unknown namespace type "foo"'* ]]
	assert_no_trace
}

@test "a value of the wrong JSON type is named with its path and the type expected" {
	edit_config "$BUNDLE" '.process.terminal = "yes"'
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"process.terminal: expected true or false"* ]]
	assert_no_trace

	make_bundle "$BUNDLE.2"
	edit_config "$BUNDLE.2" '.mounts = {"destination": "/proc"}'
	run oci create --bundle "$BUNDLE.2" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"mounts: expected an array"* ]]
	assert_no_trace
}

@test "missing process.args is refused by create and by run" {
	edit_config "$BUNDLE" 'del(.process.args)'
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"process.args: missing required field"* ]]
	assert_no_trace

	edit_config "$BUNDLE" '.process.args = []'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"process.args: must not be empty"* ]]
	assert_no_trace
}

@test "other invalid values are named: relative cwd, bad rlimit, overlapping maps" {
	edit_config "$BUNDLE" '.process.cwd = "tmp"'
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *'process.cwd: must be an absolute path, got "tmp"'* ]]
	assert_no_trace

	edit_config "$BUNDLE" '.process.cwd = "/" | .process.rlimits = [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]'
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *'process.rlimits[0].type: unknown rlimit "RLIMIT_FOO"'* ]]
	assert_no_trace

	edit_config "$BUNDLE" 'del(.process.rlimits) | .linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 0}]'
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"linux.uidMappings[0].size: must be greater than 0"* ]]
	assert_no_trace
}

@test "an id that already exists is refused and the first container is untouched" {
	make_bundle "$BUNDLE.first" sleep 100
	oci create --bundle "$BUNDLE.first" "$ID"
	wait_for_status created
	pid=$(oci state "$ID" | jq -r .pid)
	[ "$pid" -gt 0 ]

	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"$ID"* ]]
	[[ $output == *"already exists"* ]]

	# Still the same container, still alive, still created.
	[ "$(oci state "$ID" | jq -r .status)" = created ]
	[ "$(oci state "$ID" | jq -r .pid)" = "$pid" ]
	[ "$(oci state "$ID" | jq -r .bundle)" = "$BUNDLE.first" ]
	kill -0 "$pid"

	oci delete --force "$ID"
	assert_no_trace
}

@test "kill of a stopped container fails clearly; delete still cleans up" {
	# The bundle of setup runs `true`.
	oci create --bundle "$BUNDLE" "$ID"
	oci start "$ID"
	wait_for_status stopped

	run oci kill "$ID" KILL
	[ "$status" -ne 0 ]
	[[ $output == *"$ID"* ]]
	[[ $output == *"not running"* || $output == *stopped* ]]
	# The failed kill must not have removed or damaged the container.
	[ "$(oci state "$ID" | jq -r .status)" = stopped ]

	oci delete "$ID"
	assert_no_trace
}

@test "kill with an unknown signal is refused without touching the container" {
	edit_config "$BUNDLE" '.process.args = ["sleep", "100"]'
	oci create --bundle "$BUNDLE" "$ID"
	wait_for_status created
	for sig in SIGFOO 0 65 9x; do
		run oci kill "$ID" "$sig"
		[ "$status" -ne 0 ]
		[[ $output == *"$sig"* ]]
	done
	[ "$(oci state "$ID" | jq -r .status)" = created ]
	oci delete --force "$ID"
	assert_no_trace
}

@test "symlinks in the rootfs cannot place a mount outside the bundle" {
	outside=$BATS_TEST_TMPDIR/outside
	mkdir -p "$outside"
	# An absolute and a relative symlink, both pointing out of the rootfs
	# if followed on the host.
	ln -s "$outside" "$BUNDLE/rootfs/escape-abs"
	ln -s ../../../../../../../../.."$outside" "$BUNDLE/rootfs/escape-rel"
	edit_config "$BUNDLE" '.process.args = ["true"] | .mounts += [{"destination": "/escape-abs/x", "type": "tmpfs", "source": "tmpfs"}]'
	edit_config "$BUNDLE" '.mounts += [{"destination": "/escape-rel/y", "type": "tmpfs", "source": "tmpfs"}]'

	run oci run --bundle "$BUNDLE" "$ID"
	if [ "$status" -ne 0 ]; then
		# Refusing is fine, but the message must say which path.
		[[ $output == *escape-* ]]
	fi
	# Either way nothing may appear on the host side of the symlinks.
	[ -z "$(ls -A "$outside")" ]
	oci delete --force "$ID" 2>/dev/null || true
	assert_no_trace
}

@test "a rootfs symlink out of the bundle to nowhere is refused, nothing created there" {
	# root.path resolving through a symlink is legal (runc allows it); the
	# error here is a rootfs that resolves to nothing, and the runtime must
	# not create the target for it.
	ln -s "$BATS_TEST_TMPDIR/nowhere" "$BUNDLE/rootfs-link"
	edit_config "$BUNDLE" '.root.path = "rootfs-link"'
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *rootfs-link* || $output == *nowhere* ]]
	[ ! -e "$BATS_TEST_TMPDIR/nowhere" ]
	assert_no_trace
}
