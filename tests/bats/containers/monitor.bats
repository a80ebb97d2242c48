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
	for i in $(seq 100); do
		grep -q ready "$CDIR/ctr.log" && break
		sleep 0.05
	done
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

@test "the handshake: created, attach before start, start, running; error on the ready fd" {
	mon_setup
	mon_args sh -c 'echo hello; echo oops >&2; exit 5'
	run mon_py '
p, ready, go = spawn()
assert ready.readline() == "created\n"
assert json.load(open(CDIR + "/monitor.json"))["id"] in open("/proc/%d/cmdline" % int(open(RDIR + "/monitor.pid").read())).read()
a = attach(pass_fd=True)
b = attach()
time.sleep(0.1)
os.write(go, b"start\n")
assert ready.readline() == "running\n", "no running"
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
p, ready, go = spawn()
assert ready.readline() == "created\n"
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
p, ready, go = spawn()
assert ready.readline() == "created\n"
a = attach(stdin=True)
time.sleep(0.1)
os.write(go, b"start\n")
assert ready.readline() == "running\n"
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
p, ready, go = spawn()
assert ready.readline() == "created\n"
a = attach(stdin=True)
time.sleep(0.1)
os.write(go, b"start\n")
assert ready.readline() == "running\n"
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
