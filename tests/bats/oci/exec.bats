#!/usr/bin/env bats
# hutch-oci exec: a new process in a running container, in all its
# namespaces, with the container's attributes unless overridden.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup exec
	make_bundle "$BUNDLE" sleep 1000
	edit_config "$BUNDLE" '.hostname = "exec-test"
		| .linux.namespaces |= (map(select(.type != "uts")) + [{type: "uts"}])'
}

teardown() {
	hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
	if [ -n "${RECV_PID:-}" ]; then
		kill "$RECV_PID" 2>/dev/null || true
		wait "$RECV_PID" 2>/dev/null || true
	fi
}

start_container() {
	oci run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	# (run --detach returns once the init is told to exec, maybe before it did)
	wait_until 60 init_is sleep
}

# init_is COMM: the container's init has exec'd COMM.
init_is() {
	[ "$(cat "/proc/$(oci state "$ID" | jq .pid)/comm" 2>/dev/null)" = "$1" ]
}

@test "exec runs in the container's namespaces and root" {
	start_container
	run oci exec "$ID" sh -c 'hostname; echo pid1=$(cat /proc/1/comm); ls /'
	[ "$status" -eq 0 ]
	[[ $output == *exec-test* ]]
	[[ $output == *pid1=sleep* ]]
	[[ $output == *busybox* || $output == *bin* ]]
	[ "$(readlink "/proc/$(oci state "$ID" | jq .pid)/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
}

@test "exec passes the exit code through" {
	start_container
	run oci exec "$ID" sh -c 'exit 23'
	[ "$status" -eq 23 ]
}

@test "exec --env, --cwd and the container's env" {
	start_container
	run oci exec --env FOO=bar --env=BAZ=qux --cwd /tmp "$ID" sh -c 'echo "$FOO $BAZ $(pwd) $PATH"'
	[ "$status" -eq 0 ]
	[[ $output == *"bar qux /tmp /usr/local/sbin"* ]]
}

@test "exec --user runs as another uid and gid" {
	# A non-root id is mapped in every mode (in solo only the one the
	# container was created for): use the container's own user.
	edit_config "$BUNDLE" '.process.user = {uid: 1000, gid: 1000}'
	start_container
	run oci exec --user 1000:1000 "$ID" id -u
	[ "$status" -eq 0 ]
	[[ $output == *1000* ]]
	run oci exec "$ID" id -g
	[ "$status" -eq 0 ]
	[[ $output == *1000* ]]
}

@test "exec --user 0 as root where root is mapped" {
	skip_in_mode solo
	start_container
	run oci exec -u 0 "$ID" id -u
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = 0 ]
}

@test "exec --process takes a process.json" {
	start_container
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'JSON'
	{"args": ["sh", "-c", "echo from-process-file $X"], "env": ["X=42", "PATH=/bin"], "cwd": "/",
	 "user": {"uid": 0, "gid": 0}}
	JSON
	run oci exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
	[ "$status" -eq 0 ]
	[[ $output == *"from-process-file 42"* ]]
}

@test "exec of a missing program fails with 'no such file or directory'" {
	start_container
	run oci exec "$ID" /no/such/program
	[ "$status" -ne 0 ]
	[[ $output == *"no such file or directory"* ]]
}

@test "exec --detach writes the pid file and returns" {
	start_container
	# stdio to a file: the detached process keeps it open (as with runc)
	oci exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$ID" sleep 30 \
		</dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>&1 3>&-
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	kill -0 "$pid"
	[ "$(cat "/proc/$pid/comm")" = sleep ]
	run oci ps --format json "$ID"
	[[ $(jq -c "index($pid)" <<<"$output") != null ]]
}

@test "exec into a stopped container is a clear error" {
	edit_config "$BUNDLE" '.process.args = ["true"]'
	oci create --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	oci start "$ID"
	wait_status stopped
	run oci exec "$ID" true
	[ "$status" -ne 0 ]
	[[ $output == *stopped* ]]
}

@test "exec into an unknown container is a clear error" {
	run oci exec nosuch true
	[ "$status" -ne 0 ]
	[[ $output == *"does not exist"* ]]
}

@test "exec --tty sends a working terminal to the console socket" {
	require_cmd recvtty
	start_container
	local sock=$BATS_TEST_TMPDIR/console.sock
	recvtty --no-stdin --timeout 30 "$sock" >"$BATS_TEST_TMPDIR/tty.out" 3>&- &
	RECV_PID=$!
	wait_until 60 test -S "$sock"
	run oci exec --tty --console-socket "$sock" "$ID" sh -c 'test -t 0 && test -t 1 && echo tty-ok $(tty)'
	[ "$status" -eq 0 ]
	wait "$RECV_PID" || true
	RECV_PID=
	grep -q "tty-ok /dev/pts/" "$BATS_TEST_TMPDIR/tty.out"
}

@test "the exec'd process keeps the container's capabilities, --cap adds one" {
	start_container
	run oci exec "$ID" sh -c 'grep CapEff /proc/self/status'
	[ "$status" -eq 0 ]
	local base=${output##*:}
	run oci exec --cap CAP_SYS_ADMIN "$ID" sh -c 'grep CapEff /proc/self/status'
	[ "$status" -eq 0 ]
	local more=${output##*:}
	[ "$base" != "$more" ]
	# CAP_SYS_ADMIN is bit 21
	(( (0x$(echo $more | tr -d ' \t') >> 21) & 1 ))
}

@test "a foreground exec --tty without --console-socket relays the terminal" {
	require_cmd script
	start_container
	run script -qec "stty cols 101 rows 33; hutch-oci --root '$STATE' exec --tty '$ID' sh -c 'tty; stty -a | head -n1; exit 6' 2>/dev/null" /dev/null
	[ "$status" -eq 6 ]
	[[ $output == */dev/pts/* ]]
	[[ $output == *"rows 33; columns 101"* ]]
}

@test "exec --tty --detach without --console-socket is refused" {
	start_container
	run oci exec --tty --detach "$ID" true
	[ "$status" -ne 0 ]
	[[ $output == *console-socket* ]]
}
