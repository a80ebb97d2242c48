#!/usr/bin/env bats
# The container lifecycle through hutch-oci: create, state, start, kill,
# delete, run (foreground and detached), pid files, list, the state
# document, and what a failed create leaves behind (nothing).
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup lc
	make_bundle "$BUNDLE"
}

teardown() {
	local id
	for id in $(hutch-oci --root "$STATE" list -q 2>/dev/null); do
		hutch-oci --root "$STATE" delete --force "$id" >/dev/null 2>&1 || true
	done
	# the one test that uses the default root
	hutch-oci delete --force "$ID-default" >/dev/null 2>&1 || true
}

# The container init inherits stdio: a create or a detached run whose
# output bats captured would keep the capture open for the container's
# whole life. These send it to a file instead.
create() {
	oci create --bundle "$BUNDLE" "$@" </dev/null >>"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
}

run_detached() {
	oci run --detach --bundle "$BUNDLE" "$@" </dev/null >>"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
}

status_of() {
	oci state "$1" | jq -r .status
}

@test "create, state, start, kill, delete" {
	edit_config "$BUNDLE" '.root.readonly = false'
	args sh -c 'trap "exit 7" TERM; touch /tmp/ready; while :; do sleep 0.1; done'
	create "$ID"
	[ "$(status_of "$ID")" = created ]
	run oci start "$ID"
	[ "$status" -eq 0 ]
	[ "$(status_of "$ID")" = running ]
	wait_until 60 test -e "$BUNDLE/rootfs/tmp/ready"
	run oci kill "$ID" TERM
	[ "$status" -eq 0 ]
	wait_status stopped
	run oci delete "$ID"
	[ "$status" -eq 0 ]
	run oci state "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"does not exist"* ]]
	[ ! -e "$STATE/$ID" ]
}

@test "start of a running container fails" {
	args sleep 100
	create "$ID"
	oci start "$ID"
	run oci start "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"not created"* ]]
}

@test "run passes the exit code through and removes the container" {
	args sh -c 'exit 42'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 42 ]
	[ ! -e "$STATE/$ID" ]
}

@test "run: a container killed by a signal exits 128+signal" {
	args sleep 100
	hutch-oci --root "$STATE" run --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 &
	local runner=$!
	wait_status running
	oci kill "$ID" KILL
	local st=0
	wait "$runner" || st=$?
	[ "$st" -eq 137 ]
}

@test "run forwards SIGTERM to the container" {
	# The shell must have its trap before the signal comes (the init of a
	# pid namespace drops signals it does not handle): it says when.
	edit_config "$BUNDLE" '.root.readonly = false'
	args sh -c 'trap "exit 7" TERM; touch /tmp/ready; while :; do sleep 0.1; done'
	hutch-oci --root "$STATE" run --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 3>&- &
	local runner=$!
	wait_until 60 test -e "$BUNDLE/rootfs/tmp/ready"
	kill -TERM "$runner"
	local st=0
	wait "$runner" || st=$?
	[ "$st" -eq 7 ]
}

@test "stdout and stderr of the container reach the caller" {
	args sh -c 'echo out; echo err >&2'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output == *out* ]]
	[[ $output == *err* ]]
}

@test "run --detach returns while the container runs" {
	args sleep 100
	run_detached --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
	[ "$(status_of "$ID")" = running ]
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(oci state "$ID" | jq .pid)" ]
	run oci kill "$ID" KILL
	[ "$status" -eq 0 ]
	run oci delete --force "$ID"
	[ "$status" -eq 0 ]
}

@test "the pid file holds the init's pid, which is alive" {
	args sleep 100
	create --pid-file "$BATS_TEST_TMPDIR/init.pid" "$ID"
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/init.pid")
	[ "$pid" = "$(oci state "$ID" | jq .pid)" ]
	kill -0 "$pid"
}

@test "the state document has every runtime-spec field" {
	args sleep 100
	edit_config "$BUNDLE" '.annotations = {"org.example.key": "value"}'
	create "$ID"
	run oci state "$ID"
	[ "$status" -eq 0 ]
	local s=$output
	[ "$(jq -r .ociVersion <<<"$s")" != null ]
	[ "$(jq -r .id <<<"$s")" = "$ID" ]
	[ "$(jq -r .status <<<"$s")" = created ]
	[ "$(jq .pid <<<"$s")" -gt 0 ]
	[ "$(jq -r .bundle <<<"$s")" = "$(cd "$BUNDLE" && pwd -P)" ]
	[ "$(jq -r .rootfs <<<"$s")" = "$(cd "$BUNDLE/rootfs" && pwd -P)" ]
	[[ $(jq -r .created <<<"$s") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$ ]]
	[ "$(jq -r '.annotations["org.example.key"]' <<<"$s")" = value ]
	[ "$(jq -r .owner <<<"$s")" != null ]
}

@test "list shows containers as a table, as JSON and quietly" {
	args sleep 100
	create "$ID"
	create "$ID-b"
	run oci list
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == ID* ]]
	[[ $output == *"$ID "*created* ]]
	run oci list -q
	[ "${lines[0]}" = "$ID" ]
	[ "${lines[1]}" = "$ID-b" ]
	run oci list --format json
	[ "$(jq length <<<"$output")" -eq 2 ]
	[ "$(jq -r '.[1].id' <<<"$output")" = "$ID-b" ]
	[ "$(jq -r '.[0].status' <<<"$output")" = created ]
}

@test "list of an empty or missing root is empty" {
	run hutch-oci --root "$BATS_TEST_TMPDIR/none" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "an id that already exists is refused and the first container is untouched" {
	args sleep 100
	create "$ID"
	local pid
	pid=$(oci state "$ID" | jq .pid)
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"already exists"* ]]
	[ "$(oci state "$ID" | jq .pid)" = "$pid" ]
	[ "$(status_of "$ID")" = created ]
}

@test "invalid ids are refused" {
	run oci create --bundle "$BUNDLE" "../escape"
	[ "$status" -ne 0 ]
	[[ $output == *"invalid container id"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/escape" ]
}

@test "delete of a running container needs --force" {
	args sleep 100
	run_detached "$ID"
	local pid
	pid=$(oci state "$ID" | jq .pid)
	run oci delete "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"--force"* ]]
	run oci delete --force "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$STATE/$ID" ]
	! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
}

@test "delete of a created container kills its init" {
	args sleep 100
	create "$ID"
	run oci delete "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$STATE/$ID" ]
}

@test "a missing executable fails at create with 'no such file or directory' and leaves nothing" {
	args /bin/no-such-program
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"no such file or directory"* ]]
	[ ! -e "$STATE/$ID" ]
	run oci list -q
	[ -z "$output" ]
}

@test "a program not in PATH fails with 'no such file or directory'" {
	args no-such-program
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"executable file not found"*"no such file or directory"* ]]
}

@test "a file that is not executable fails with 'permission denied'" {
	printf 'data\n' >"$BUNDLE/rootfs/notexec"
	chmod 0644 "$BUNDLE/rootfs/notexec"
	args /notexec
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"permission denied"* ]]
	[ ! -e "$STATE/$ID" ]
}

@test "with --log-format json a failed create writes exactly one JSON line, the error" {
	args /bin/no-such-program
	local log=$BATS_TEST_TMPDIR/oci-log
	run hutch-oci --root "$STATE" --log "$log" --log-format json create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[ "$(wc -l <"$log")" -eq 1 ]
	jq -e . "$log" >/dev/null
	[ "$(jq -r .level "$log")" = error ]
	[[ $(jq -r .msg "$log") == *"no such file or directory"* ]]
	[[ $(jq -r .msg "$log") == *"$ID"* ]]
}

@test "a missing rootfs is a clear error and leaves no state" {
	rm -rf "$BUNDLE/rootfs"
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *rootfs*"No such file or directory"* ]]
	[ ! -e "$STATE/$ID" ]
}

@test "a missing bundle is a clear error" {
	run oci create --bundle "$BATS_TEST_TMPDIR/nothing" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *nothing*"No such file or directory"* ]]
	[ ! -e "$STATE/$ID" ]
}

@test "--preserve-fds passes fd 3 to the container process" {
	echo "through fd 3" >"$BATS_TEST_TMPDIR/data"
	args sh -c 'cat <&3'
	run oci run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3<"$BATS_TEST_TMPDIR/data"
	[ "$status" -eq 0 ]
	[[ $output == *"through fd 3"* ]]
}

@test "without --preserve-fds, fd 3 is closed in the container" {
	args sh -c 'cat <&3'
	run oci run --bundle "$BUNDLE" "$ID" 3<"$BUNDLE/config.json"
	[ "$status" -ne 0 ]
}

@test "LISTEN_PID is rewritten to the container process's own pid" {
	echo socket >"$BATS_TEST_TMPDIR/data"
	edit_config "$BUNDLE" '.process.env += ["LISTEN_FDS=1", "LISTEN_PID=12345"]'
	args sh -c 'echo "$LISTEN_FDS $LISTEN_PID $$"; cat <&3'
	run oci run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3<"$BATS_TEST_TMPDIR/data"
	[ "$status" -eq 0 ]
	[[ $output == *"1 1 1"* ]]
	[[ $output == *socket* ]]
}

@test "the default root is under XDG_RUNTIME_DIR for an unprivileged caller" {
	skip_in_mode root
	args sleep 100
	local id=$ID-default
	with_timeout 30 hutch-oci create --bundle "$BUNDLE" "$id" >/dev/null 2>&1
	[ -f "$XDG_RUNTIME_DIR/hutch-oci/$id/state.json" ]
	with_timeout 30 hutch-oci delete --force "$id"
	[ ! -e "$XDG_RUNTIME_DIR/hutch-oci/$id" ]
}

@test "an unprivileged caller without XDG_RUNTIME_DIR and --root gets a clear error" {
	skip_unless_mode sub solo
	run env -u XDG_RUNTIME_DIR hutch-oci list
	[ "$status" -ne 0 ]
	[[ $output == *XDG_RUNTIME_DIR*--root* ]]
}

@test "--no-pivot enters the root with chroot" {
	args sh -c 'ls /bin/busybox && cat /proc/self/mountinfo | wc -l'
	run oci run --no-pivot --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output == */bin/busybox* ]]
}

@test "socket activation: LISTEN_FDS given to hutch-oci reach the container" {
	echo activated >"$BATS_TEST_TMPDIR/data"
	args sh -c 'echo "fds=$LISTEN_FDS pid=$LISTEN_PID"; cat <&3'
	# LISTEN_PID must name hutch-oci itself: exec it from a shell that
	# sets the variables for its own pid.
	run sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec hutch-oci --root "$1" run --bundle "$2" "$3" 3<"$4"' \
		sh "$STATE" "$BUNDLE" "$ID" "$BATS_TEST_TMPDIR/data"
	[ "$status" -eq 0 ]
	[[ $output == *"fds=1 pid=1"* ]]
	[[ $output == *activated* ]]
}

@test "namespaces joined by path: a second container in the first one's network" {
	args sleep 100
	edit_config "$BUNDLE" '.linux.namespaces |= (map(select(.type != "network")) + [{type: "network"}])'
	run_detached "$ID"
	local pid
	pid=$(oci state "$ID" | jq .pid)
	local second=$BATS_TEST_TMPDIR/second
	make_bundle "$second" readlink /proc/self/ns/net
	# Without privileges a namespace can only be joined together with the
	# user namespace that owns it.
	edit_config "$second" 'del(.linux.uidMappings, .linux.gidMappings)
		| .linux.namespaces |= (map(select(.type != "network" and .type != "user"))
			+ [{type: "network", path: $n}, {type: "user", path: $u}])' \
		--arg n "/proc/$pid/ns/net" --arg u "/proc/$pid/ns/user"
	run oci run --bundle "$second" "$ID-second"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "$(readlink "/proc/$pid/ns/net")" ]
}

@test "a namespace path that does not exist is a clear error" {
	edit_config "$BUNDLE" '.linux.namespaces += [{type: "network", path: "/proc/self/ns/nothing"}]
		| .linux.namespaces |= (map(select(.type != "network" or .path != null)))'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *network*"/proc/self/ns/nothing"*"No such file or directory"* ]]
	[ ! -e "$STATE/$ID" ]
}

@test "a foreground run of a terminal container without --console-socket relays the pty" {
	require_cmd script
	edit_config "$BUNDLE" '.process.terminal = true'
	args sh -c 'tty; stty -a | head -n1; exit 4'
	run script -qec "stty cols 123 rows 45; hutch-oci --root '$STATE' run --bundle '$BUNDLE' '$ID' 2>/dev/null" /dev/null
	[ "$status" -eq 4 ]
	[[ $output == */dev/pts/* ]]
	[[ $output == *"rows 45; columns 123"* ]]
	[ ! -e "$STATE/$ID" ]
}

@test "create of a terminal container without --console-socket is refused" {
	edit_config "$BUNDLE" '.process.terminal = true'
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *console-socket* ]]
	[ ! -e "$STATE/$ID" ]
}
