# Helpers for monitor.bats: a container directory made by hand (what
# hutchd writes at create), hutch-monitor run on it directly, and small
# python3 clients for its sockets. Loaded after ../helpers.

# mon_setup [sandbox]: a fresh container: $ID (64 hex), $CDIR
# (ROOT/containers/<id>), $RDIR (its runtime dir), config.json over the
# busybox rootfs made by `hutch-oci spec --rootless`, monitor.json with
# network none. With "sandbox", a holder process owning a user and a
# mount namespace stands in for hutchd's sandbox ($HOLDER) and the
# container gets no user namespace of its own.
mon_setup() {
	require_cmd hutch-monitor hutch-oci hutch-overlay jq python3 unshare
	ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	CDIR=$BATS_TEST_TMPDIR/root/containers/$ID
	RDIR=$XDG_RUNTIME_DIR/hutch-mon-$$-$BATS_TEST_NUMBER/containers/$ID
	mkdir -p "$CDIR"
	(cd "$CDIR" && hutch-oci spec --rootless) || return 1
	HOLDER=0
	if [ "${1:-}" = sandbox ]; then
		unshare --user --map-root-user --mount sleep infinity </dev/null >/dev/null 2>&1 3>&- &
		HOLDER=$!
		# Wait until the holder has its own namespaces.
		wait_until 60 holder_unshared || return 1
		mon_config 'del(.linux.uidMappings, .linux.gidMappings)
			| .linux.namespaces |= map(select(.type != "user"))'
	fi
	# hutchd's config has a network namespace for "none" and "slirp"
	mon_config '.root = {"path": $r, "readonly": false} | .process.terminal = false
		| .process.args = ["true"]
		| .linux.namespaces |= (map(select(.type != "network")) + [{"type": "network"}])' \
		--arg r "$RDIR/rootfs"
	jq -n --arg id "$ID" --arg c "$CDIR" --arg r "$RDIR" --arg lower "$BUSYBOX_ROOTFS" \
		--argjson sandbox "$HOLDER" '{id: $id, name: "test", lower: [$lower],
		upper: ($c + "/upper"), work: ($c + "/work"), rootfs: ($r + "/rootfs"),
		runtime_dir: $r, sandbox_pid: $sandbox, tty: false, open_stdin: false,
		stdin_once: false, network: "none", mtu: 65520, slirp_args: [], ports: [],
		log_path: ($c + "/ctr.log"), log_max_bytes: 0, stop_signal: 15}' >"$CDIR/monitor.json"
}

# The holder is ready once unshare has exec'd sleep (its namespaces and
# id maps are all set up by then).
holder_unshared() {
	[ "$(readlink "/proc/$HOLDER/ns/user")" != "$(readlink /proc/self/ns/user)" ] &&
		[ "$(cat "/proc/$HOLDER/comm" 2>/dev/null)" = sleep ]
}

# A monitor still running is asked to kill its container, so it cleans up
# (overlay, slirp) as it would; one that does not is killed.
mon_teardown() {
	local pid
	if pid=$(cat "$RDIR/monitor.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; then
		mon_ctl '{"op":"kill","signal":9}' >/dev/null 2>&1
		mon_wait_gone "$pid" 10 2>/dev/null || kill -9 "$pid" 2>/dev/null
	fi
	if [ "${HOLDER:-0}" != 0 ]; then
		kill -9 "$HOLDER" 2>/dev/null
		wait "$HOLDER" 2>/dev/null
	fi
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	# the monitors removed their runtime dirs; the test's parent dirs go
	find "$XDG_RUNTIME_DIR/hutch-mon-$$-$BATS_TEST_NUMBER" -depth -type d -empty -delete 2>/dev/null
	true
}

# mon_config JQ-FILTER [jq args...]: edit config.json.
mon_config() {
	local filter=$1
	shift
	jq "$@" "$filter" "$CDIR/config.json" >"$CDIR/config.json.new" &&
		mv "$CDIR/config.json.new" "$CDIR/config.json"
}

# mon_json JQ-FILTER [jq args...]: edit monitor.json.
mon_json() {
	local filter=$1
	shift
	jq "$@" "$filter" "$CDIR/monitor.json" >"$CDIR/monitor.json.new" &&
		mv "$CDIR/monitor.json.new" "$CDIR/monitor.json"
}

# mon_args ARGS...: the container's command.
mon_args() {
	set_process_args "$CDIR/config.json" "$@"
}

# mon_run: run the monitor without a handshake (it starts at once) and
# wait for it to end; $status is its exit status (the container's).
# (Not through `run`: bats takes a status of 127 for a missing command.)
mon_run() {
	status=0
	with_timeout 60 hutch-monitor "$CDIR" </dev/null >/dev/null 2>>"$CDIR/monitor.log" 3>&- ||
		status=$?
}

# mon_start: the monitor in the background, without a handshake.
mon_start() {
	hutch-monitor "$CDIR" </dev/null >/dev/null 2>>"$CDIR/monitor.log" 3>&- &
	MON_PID=$!
}

# mon_status: the Status of state.json.
mon_status() {
	jq -r .Status "$CDIR/state.json" 2>/dev/null
}

# mon_wait_status STATUS [SECONDS]
mon_wait_status() {
	local want=$1 n=$((${2:-30} * 20)) i
	for ((i = 0; i < n; i++)); do
		[ "$(mon_status)" = "$want" ] && return 0
		sleep 0.05
	done
	echo "state.json never became $want: $(cat "$CDIR/state.json" 2>&1)" >&2
	cat "$CDIR/monitor.log" >&2
	return 1
}

# mon_wait_gone PID [SECONDS]: wait until a process (not our child) is gone.
mon_wait_gone() {
	local pid=$1 n=$((${2:-30} * 20)) i
	for ((i = 0; i < n; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	echo "process $pid is still there" >&2
	return 1
}

# mon_ctl JSON: one request to ctl.sock; prints the reply.
mon_ctl() {
	python3 - "$RDIR" "$1" <<'EOF'
import os, socket, sys
os.chdir(sys.argv[1])  # the full path can be longer than a socket address
s = socket.socket(socket.AF_UNIX)
s.connect("ctl.sock")
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile().readline().strip())
EOF
}

# mon_log_text STREAM: the text of ctr.log's entries of one stream.
mon_log_text() {
	jq -j --arg s "$1" 'select(.stream == $s) | .log' "$CDIR/ctr.log"
}

# mon_py: the python3 side of the handshake and attach tests (a module
# on stdin), with the runtime dir, the container dir and the arguments.
mon_py() {
	python3 -c "$MON_PY_LIB
$1" "$RDIR" "$CDIR" "${@:2}"
}

MON_PY_LIB='
import array, json, os, socket, struct, subprocess, sys, time
RDIR, CDIR = sys.argv[1], sys.argv[2]
ARGS = sys.argv[3:]

def spawn(ready=True):
    """hutch-monitor with a ready and a go pipe, as hutchd runs it."""
    r_read, r_write = os.pipe()
    g_read, g_write = os.pipe()
    os.set_inheritable(r_write, True)
    os.set_inheritable(g_read, True)
    log = open(CDIR + "/monitor.log", "ab")
    p = subprocess.Popen(["hutch-monitor", "--ready-fd", str(r_write), "--go-fd", str(g_read), CDIR],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                         pass_fds=(r_write, g_read))
    os.close(r_write)
    os.close(g_read)
    return p, os.fdopen(r_read, "r"), g_write

def spawn_created():
    """spawn() up to the monitor reporting created."""
    p, ready, go = spawn()
    line = ready.readline()
    assert line == "created\n", line
    return p, ready, go

def start(ready, go):
    """Say start; the monitor reports running."""
    os.write(go, b"start\n")
    line = ready.readline()
    assert line == "running\n", line

def attach(stdin=False, stdout=True, stderr=True, pass_fd=False):
    """An attach session; with pass_fd the stream is a socketpair whose
    other end is passed along, as hutchd passes the HTTP connection."""
    s = socket.socket(socket.AF_UNIX)
    os.chdir(RDIR)  # the full path can be longer than a socket address
    s.connect("attach.sock")
    head = json.dumps({"stdin": stdin, "stdout": stdout, "stderr": stderr}).encode() + b"\n"
    if not pass_fd:
        s.sendall(head)
        return s
    mine, theirs = socket.socketpair()
    s.sendmsg([head], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [theirs.fileno()]))])
    theirs.close()
    s.close()
    return mine

def read_frames(s, tty=False):
    """Everything until the monitor shuts the stream down, demultiplexed."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    if tty:
        return {"raw": data}
    out = {1: b"", 2: b""}
    while data:
        kind, size = struct.unpack(">BxxxL", data[:8])
        out[kind] += data[8:8 + size]
        data = data[8 + size:]
    return out
'
