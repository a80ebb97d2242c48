#!/usr/bin/env bats
# hutch-monitor driven directly, without hutchd: a container directory made
# by hand as hutchd would write it (docs/architecture/containers.md), with
# and without a user sandbox, and hutch-init.
# modes: sub solo

load ../helpers
load monitor-helpers

teardown() {
	mon_teardown
}

@test "output goes to ctr.log with stream and time; state.json says exited 0" {
	mon_setup
	mon_args sh -c 'echo out1; echo err1 >&2; printf partial'
	mon_run
	[ "$status" -eq 0 ]
	[ "$(mon_log_text stdout)" = "$(printf 'out1\npartial')" ]
	[ "$(mon_log_text stderr)" = "err1" ]
	# every line has Docker's json-file keys and an RFC 3339 UTC time
	run jq -e -s 'all(.[]; (.log | type) == "string" and (.stream | test("^std(out|err)$"))
		and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$")))' "$CDIR/ctr.log"
	[ "$status" -eq 0 ]
	[ "$(mon_status)" = exited ]
	[ "$(jq .ExitCode "$CDIR/state.json")" = 0 ]
	[ "$(jq -r .FinishedAt "$CDIR/state.json")" != "0001-01-01T00:00:00Z" ]
	[ "$(jq -r .StartedAt "$CDIR/state.json")" != "0001-01-01T00:00:00Z" ]
}

@test "exit codes: 3, and 137 after kill 9 through ctl.sock" {
	mon_setup
	mon_args sh -c 'exit 3'
	mon_run
	[ "$status" -eq 3 ]
	[ "$(jq .ExitCode "$CDIR/state.json")" = 3 ]

	mon_setup
	mon_args sleep 100
	mon_start
	mon_wait_status running
	pid=$(jq .Pid "$CDIR/state.json")
	[ "$pid" -gt 0 ]
	[ "$(jq .MonitorPid "$CDIR/state.json")" = "$MON_PID" ]
	run mon_ctl '{"op":"status"}'
	[ "$(jq -r .Status <<<"$output")" = running ]
	run mon_ctl '{"op":"kill","signal":9}'
	[ "$output" = '{"ok":true}' ]
	wait "$MON_PID" || status=$?
	[ "$status" -eq 137 ]
	[ "$(mon_status)" = exited ]
	[ "$(jq .ExitCode "$CDIR/state.json")" = 137 ]
	[ "$(jq .Pid "$CDIR/state.json")" = 0 ]
}

@test "ctl.sock answers bad requests with an error" {
	mon_setup
	# pid 1 of a namespace only gets the signals it handles
	mon_args sh -c 'trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	mon_start
	mon_wait_status running
	run mon_ctl 'nonsense'
	[[ "$output" == '{"error":'* ]]
	run mon_ctl '{"op":"explode"}'
	[[ "$output" == *"unknown op 'explode'"* ]]
	run mon_ctl '{"op":"resize","h":24,"w":80}'
	[[ "$output" == *"no terminal"* ]]
	run mon_ctl '{"op":"kill","signal":99}'
	[[ "$output" == *"signal must be"* ]]
	# (the TERM trap is set once it said ready)
	wait_until 60 grep -q ready "$CDIR/ctr.log"
	run mon_ctl '{"op":"kill"}'
	[ "$output" = '{"ok":true}' ]
	wait "$MON_PID" || status=$?
	[ "$status" -eq 7 ]
	[ "$(jq .ExitCode "$CDIR/state.json")" = 7 ]
}

@test "command not found is 127 and not executable is 126 (Docker message)" {
	mon_setup
	mon_args no-such-command
	mon_run
	[ "$status" -eq 127 ]
	[ "$(mon_status)" = exited ]
	[ "$(jq .ExitCode "$CDIR/state.json")" = 127 ]
	[[ "$(jq -r .Error "$CDIR/state.json")" == 'exec: "no-such-command": executable file not found in $PATH'* ]]

	mon_setup
	mon_args /etc/passwd
	mon_run
	[ "$status" -eq 126 ]
	[ "$(jq .ExitCode "$CDIR/state.json")" = 126 ]
	[[ "$(jq -r .Error "$CDIR/state.json")" == *'permission denied'* ]]
	# nothing is left mounted or running
	run grep -F "$RDIR" /proc/self/mountinfo
	[ "$status" -ne 0 ]
	[ ! -e "$RDIR" ]
}

@test "bad monitor.json and bad attach headers get clear errors" {
	mon_setup
	mon_json '.network = "wifi"'
	run mon_py '
p, ready, go = spawn()
print(ready.readline().strip())
print("exit", p.wait())
'
	[ "${lines[0]}" = "error 128 monitor.json: network must be slirp, none or host, not 'wifi'" ]
	[ "${lines[1]}" = "exit 128" ]
	[ "$(jq -r .Error "$CDIR/state.json")" = "monitor.json: network must be slirp, none or host, not 'wifi'" ]

	mon_setup
	mon_json '.ports = [{"proto": "sctp", "host_port": 1, "container_port": 2}]'
	mon_run
	[ "$status" -eq 128 ]
	[[ "$(jq -r .Error "$CDIR/state.json")" == *"ports[0]: proto must be tcp or udp"* ]]

	# a malformed attach header closes that connection, nothing else
	mon_setup
	mon_args sh -c 'sleep 0.5; echo still here'
	run mon_py '
p, ready, go = spawn_created()
os.chdir(RDIR)
s = socket.socket(socket.AF_UNIX)
s.connect("attach.sock")
s.sendall(b"{not json\n")
print("closed" if s.recv(10) == b"" else "open")
a = attach()
start(ready, go)
print(read_frames(a)[1].decode(), end="")
print("exit", p.wait())
'
	echo "$output"
	[ "${lines[0]}" = closed ]
	[ "${lines[1]}" = "still here" ]
	[ "${lines[2]}" = "exit 0" ]
}

@test "the handshake: created, attach before start, start, running; error on the ready fd" {
	mon_setup
	mon_args sh -c 'echo hello; echo oops >&2; exit 5'
	run mon_py '
p, ready, go = spawn_created()
assert json.load(open(CDIR + "/monitor.json"))["id"] in open("/proc/%d/cmdline" % int(open(RDIR + "/monitor.pid").read())).read()
a = attach(pass_fd=True)
b = attach()
start(ready, go)
fa, fb = read_frames(a), read_frames(b)
assert fa == {1: b"hello\n", 2: b"oops\n"}, fa
assert fb == fa, fb
print("exit", p.wait())
'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "exit 5" ]
	[ "$(jq .ExitCode "$CDIR/state.json")" = 5 ]

	mon_setup
	mon_args no-such-command
	run mon_py '
p, ready, go = spawn()
print(ready.readline().strip())
print("exit", p.wait())
'
	[[ "${lines[0]}" == 'error 127 exec: "no-such-command": executable file not found in $PATH'* ]]
	[ "${lines[1]}" = "exit 127" ]
}

@test "go fd closed before start: the container is deleted, state.json untouched" {
	mon_setup
	mon_args sleep 100
	echo '{"Status":"created"}' >"$CDIR/state.json"
	run mon_py '
p, ready, go = spawn_created()
os.close(go)
print("exit", p.wait())
'
	[ "$output" = "exit 0" ]
	[ "$(cat "$CDIR/state.json")" = '{"Status":"created"}' ]
	run grep -F "$RDIR" /proc/self/mountinfo
	[ "$status" -ne 0 ]
	[ ! -e "$RDIR/monitor.pid" ]
}

@test "attach: stdin reaches the container, stdin_once closes it, output is framed" {
	mon_setup
	mon_json '.open_stdin = true | .stdin_once = true'
	mon_args sh -c 'read line; echo "got $line"; cat; echo done >&2'
	run mon_py '
p, ready, go = spawn_created()
a = attach(stdin=True)
start(ready, go)
a.sendall(b"one\ntwo\n")
a.shutdown(socket.SHUT_WR)
f = read_frames(a)
print(f[1].decode(), end="")
print(f[2].decode(), end="")
print("exit", p.wait())
'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "got one" ]
	[ "${lines[1]}" = "two" ]
	[ "${lines[2]}" = "done" ]
	[ "${lines[3]}" = "exit 0" ]
}

@test "tty: raw output through a pty, resize through ctl.sock" {
	mon_setup
	mon_json '.tty = true | .open_stdin = true'
	mon_config '.process.terminal = true'
	mon_args sh -c 'read line; echo "got $line"; stty size'
	run mon_py '
p, ready, go = spawn_created()
a = attach(stdin=True)
start(ready, go)
c = socket.socket(socket.AF_UNIX)
c.connect("ctl.sock")
c.sendall(b"{\"op\":\"resize\",\"h\":33,\"w\":77}\n")
print(c.makefile().readline().strip())
a.sendall(b"abc\n")
f = read_frames(a, tty=True)
print(f["raw"].decode().replace("\r", ""), end="")
print("exit", p.wait())
'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"ok":true}' ]
	[[ "$output" == *"got abc"* ]]
	[[ "$output" == *"33 77"* ]]
	[[ "$output" == *"exit 0" ]]
	# one stream with a tty
	[ "$(jq -r .stream "$CDIR/ctr.log" | sort -u)" = stdout ]
}

@test "a client that does not read is dropped; the log rotates at log_max_bytes" {
	mon_setup
	mon_json '.log_max_bytes = 1000000'
	# 3 MiB of output: more than a client may fall behind, and than the log
	# may hold before it rotates
	mon_args sh -c 'yes 0123456789012345678901234567890123456789012345678901234567890 | head -c 3145728; echo; echo end'
	run mon_py '
p, ready, go = spawn_created()
idle = attach()
start(ready, go)
print("exit", p.wait())
'
	echo "$output"
	[ "$output" = "exit 0" ]
	[ -s "$CDIR/ctr.log.1" ]
	[ "$(stat -c %s "$CDIR/ctr.log")" -le 1000000 ]
	[ "$(mon_log_text stdout | tail -n 1)" = end ]
	grep -q "dropped" "$CDIR/monitor.log"
}

@test "in a sandbox: the overlay lives in its mount namespace and is gone afterwards" {
	mon_setup sandbox
	mon_args sh -c 'echo hi > /new-file; cat /new-file; id -u'
	mon_run
	[ "$status" -eq 0 ]
	[ "$(mon_log_text stdout)" = "$(printf 'hi\n0')" ]
	# the write went to the container's upper layer, not to the image
	[ "$(cat "$CDIR/upper/new-file")" = hi ]
	[ ! -e "$BUSYBOX_ROOTFS/new-file" ]
	run grep -F "$RDIR" "/proc/$HOLDER/mountinfo"
	[ "$status" -ne 0 ]
	run pgrep -u "$(id -u)" -f "$ID"
	[ "$status" -ne 0 ]
	[ ! -e "$RDIR" ]
}

@test "the monitor outlives its parent; nothing is left afterwards" {
	mon_setup
	# The container runs until the test has looked (a file in a bound
	# directory), not for a guessed second.
	mkdir "$BATS_TEST_TMPDIR/gate"
	mon_config '.mounts += [{"destination": "/gate", "type": "bind", "source": $g, "options": ["bind"]}]' \
		--arg g "$BATS_TEST_TMPDIR/gate"
	mon_args sh -c 'until [ -e /gate/go ]; do sleep 0.05; done; echo late'
	run mon_py '
p, ready, go = spawn_created()
start(ready, go)
print(open(RDIR + "/monitor.pid").read().strip(), flush=True)
os._exit(0)
'
	[ "$status" -eq 0 ]
	mpid=$output
	kill -0 "$mpid"
	[ "$(mon_status)" = running ]
	touch "$BATS_TEST_TMPDIR/gate/go"
	mon_wait_gone "$mpid"
	[ "$(mon_status)" = exited ]
	[ "$(jq .ExitCode "$CDIR/state.json")" = 0 ]
	[ "$(mon_log_text stdout)" = late ]
	run pgrep -u "$(id -u)" -f "$ID"
	[ "$status" -ne 0 ]
	run grep -F "$RDIR" /proc/self/mountinfo
	[ "$status" -ne 0 ]
}

@test "a killed parent, a closed attach client and SIGHUP do not stop the monitor" {
	mon_setup sandbox
	mon_args sh -c 'for i in $(seq 30); do echo line $i; sleep 0.05; done'
	run mon_py '
p, ready, go = spawn_created()
a = attach()
start(ready, go)
a.recv(10)
a.close()
mpid = int(open(RDIR + "/monitor.pid").read())
os.kill(mpid, 1)
print(mpid, flush=True)
os.kill(os.getpid(), 9)
'
	mpid=$output
	[ -n "$mpid" ]
	mon_wait_gone "$mpid"
	[ "$(jq .ExitCode "$CDIR/state.json")" = 0 ]
	[ "$(mon_log_text stdout | tail -n 1)" = "line 30" ]
}

@test "network none: only a loopback" {
	mon_setup
	mon_args sh -c "sed -n 's/^ *\\([a-z0-9]*\\):.*/\\1/p' /proc/net/dev"
	mon_run
	[ "$status" -eq 0 ]
	[ "$(mon_log_text stdout)" = lo ]
}

# serve_http DIR: a web server on 127.0.0.1 for the container to reach
# ($SERVER_PORT).
serve_http() {
	SERVER_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	python3 -m http.server -b 127.0.0.1 -d "$1" "$SERVER_PORT" </dev/null >/dev/null 2>&1 3>&- &
	SERVER_PID=$!
	wait_until 60 python3 -c "import socket; socket.create_connection(('127.0.0.1', $SERVER_PORT))" 2>/dev/null
}

# slirp_reaches_host [sandbox]: the container gets a file from a web server
# on the host's 127.0.0.1 through 10.0.2.2 (and reaches nothing else).
slirp_reaches_host() {
	require_cmd hutch-slirp
	mon_setup "$@"
	if [ $# -eq 0 ]; then
		# Without a sandbox the image is the user's own (as hutchd
		# unpacks it then), so the started process is the user's to
		# reach.
		cp -R --no-preserve=ownership "$BUSYBOX_ROOTFS" "$BATS_TEST_TMPDIR/lower"
		mon_json '.lower = [$l]' --arg l "$BATS_TEST_TMPDIR/lower"
	fi
	mkdir "$BATS_TEST_TMPDIR/www"
	echo "from the host" >"$BATS_TEST_TMPDIR/www/index.txt"
	serve_http "$BATS_TEST_TMPDIR/www"
	mon_json '.network = "slirp"
		| .slirp_args = ["--outbound-allow=127.0.0.0/8", "--outbound-allow=10.0.2.2/32"]'
	# (busybox's static wget crashes in glibc's resolver; nc does not)
	# Without a sandbox the network comes up just after the start (see
	# containers.md): wait for the default route before using it.
	mon_args sh -c "for i in \$(seq 1 1200); do grep -q '^tap0[[:space:]]*00000000' /proc/net/route && break; sleep 0.05; done; cat /proc/net/dev; printf 'GET /index.txt HTTP/1.0\r\n\r\n' | nc 10.0.2.2 $SERVER_PORT"
	mon_run
	[ "$status" -eq 0 ]
	[[ "$(mon_log_text stdout)" == *tap0:* ]]
	[[ "$(mon_log_text stdout)" == *"from the host"* ]]
	run pgrep -u "$(id -u)" -f "$ID"
	[ "$status" -ne 0 ]
}

@test "network slirp: the container reaches a server on the host's loopback" {
	slirp_reaches_host
}

@test "network slirp in a sandbox" {
	slirp_reaches_host sandbox
}

@test "a published port reaches a server in the container from 127.0.0.1" {
	require_cmd hutch-slirp
	mon_setup sandbox
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mon_json '.network = "slirp" | .slirp_args = ["--outbound-allow=127.0.0.0/8"]
		| .ports = [{"proto": "tcp", "host_ip": "127.0.0.1", "host_port": $p, "container_port": 80}]' \
		--argjson p "$port"
	mon_args sh -c 'mkdir /www; echo "from the container" > /www/index.html; exec httpd -f -p 80 -h /www'
	mon_start
	mon_wait_status running
	[ "$(jq -c .Ports "$CDIR/state.json")" = "[{\"proto\":\"tcp\",\"host_ip\":\"127.0.0.1\",\"host_port\":$port,\"container_port\":80}]" ]
	run python3 -c "
import time, urllib.request
for i in range(600):
    try:
        print(urllib.request.urlopen('http://127.0.0.1:$port/index.html', timeout=5).read().decode(), end='')
        break
    except Exception as e:
        time.sleep(0.1)
"
	[ "$output" = "from the container" ]
	mon_ctl '{"op":"kill","signal":9}'
	wait "$MON_PID" || true
	[ "$(jq .ExitCode "$CDIR/state.json")" = 137 ]
	# the port is free again
	python3 -c "
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port))"
}

# mon_exec SPEC-JSON [STDIN]: hutch-monitor exec on the running container;
# prints stdout, then stderr, then "exit N".
mon_exec() {
	mon_py '
spec, data = ARGS[0], ARGS[1] if len(ARGS) > 1 else None
tty = json.loads(spec).get("Tty", False)
s_read, s_write = os.pipe()
os.write(s_write, spec.encode())
os.close(s_write)
mine, theirs = socket.socketpair()
p = subprocess.Popen(["hutch-monitor", "exec", "--exec-id", "e1", "--spec-fd", str(s_read),
                      "--stream-fd", str(theirs.fileno()), CDIR],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=open(CDIR + "/exec.log", "ab"), pass_fds=(s_read, theirs.fileno()))
os.close(s_read)
theirs.close()
if data is not None:
    mine.sendall(data.encode())
    mine.shutdown(socket.SHUT_WR)
f = read_frames(mine, tty=tty)
if tty:
    print(f["raw"].decode().replace("\r", ""), end="")
else:
    print(f[1].decode(), end="")
    print(f[2].decode(), end="")
print("exit", p.wait())
' "$@"
}

@test "exec: output, stdin, exit code, command not found" {
	mon_setup sandbox
	mon_args sleep 100
	mon_start
	mon_wait_status running
	run mon_exec '{"Cmd":["sh","-c","echo out; echo err >&2; exit 4"],"Env":["A=1"]}'
	echo "$output"
	[ "${lines[0]}" = out ]
	[ "${lines[1]}" = err ]
	[ "${lines[2]}" = "exit 4" ]
	run mon_exec '{"Cmd":["sh","-c","cat; echo $A; pwd"],"Env":["A=envval"],"WorkingDir":"/etc","AttachStdin":true}' "piped in
"
	[ "${lines[0]}" = "piped in" ]
	[ "${lines[1]}" = envval ]
	[ "${lines[2]}" = /etc ]
	[ "${lines[3]}" = "exit 0" ]
	run mon_exec '{"Cmd":["sh","-c","id -u; id -g"],"User":"root:root"}'
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = "exit 0" ]
	run mon_exec '{"Cmd":["id"],"User":"no-such-user"}'
	[[ "${lines[0]}" == *"unable to find user no-such-user"* ]]
	[ "${lines[1]}" = "exit 128" ]
	run mon_exec '{"Cmd":["no-such-command"]}'
	[[ "${lines[0]}" == 'exec: "no-such-command": executable file not found in $PATH'* ]]
	[ "${lines[1]}" = "exit 127" ]
	run mon_exec '{"Cmd":["sh","-c","tty; stty size"],"Tty":true}'
	[[ "${lines[0]}" == /dev/pts/* ]]
	[ "${lines[2]}" = "exit 0" ]
	# the exec's files are gone
	[ -z "$(ls "$RDIR" | grep exec-)" ]
	mon_ctl '{"op":"kill","signal":9}'
	wait "$MON_PID" || true
}

@test "hutch-init reaps zombies, forwards signals and passes exit codes" {
	require_cmd hutch-init
	mon_setup
	init=$(command -v hutch-init)
	mon_config '.mounts += [{"destination": "/init", "type": "bind", "source": $i, "options": ["bind", "ro"]}]' --arg i "$init"
	# an orphan that dies while the shell still runs would stay a zombie
	# without a reaping init (which may take its time to reap it on a busy
	# machine: look until the orphan is gone, for 20 s at most). The orphan
	# is found by its command name: the shell's own arguments name
	# "sleep 0.2" too, which kept a match on them waiting the whole 20 s.
	mon_args /init -- sh -c 'sh -c "sleep 0.2 & exit"; i=0; while [ $i -lt 200 ] && ps -o stat,comm | grep -q -e "^Z" -e " sleep$"; do sleep 0.1; i=$((i + 1)); done; ps -o stat,comm | grep -c "^Z" ; exit 9'
	mon_run
	[ "$status" -eq 9 ]
	[ "$(mon_log_text stdout)" = 0 ]

	mon_setup
	mon_config '.mounts += [{"destination": "/init", "type": "bind", "source": $i, "options": ["bind", "ro"]}]' --arg i "$init"
	mon_args /init sh -c 'echo ready; sleep 100'
	mon_start
	wait_until 60 grep -q ready "$CDIR/ctr.log"
	mon_ctl '{"op":"kill","signal":15}'
	wait "$MON_PID" || status=$?
	[ "$status" -eq 143 ]
	[ "$(jq .ExitCode "$CDIR/state.json")" = 143 ]
}
