#!/usr/bin/env bats
# The streaming container endpoints over the Docker API, with curl and a
# small python client (lib/hijack.py): attach (frames, stdin, logs=1,
# before the start), logs (each parameter, follow, tty), exec (exit code,
# stdin, tty, detach, inspect, resize), archive (get, head, put through a
# running and a stopped container, Docker's errors) and events.
# modes: sub solo

load ../helpers
load ../images/lib/registry
load lib/ctr

setup_file() {
	ctr_setup_file
}

teardown_file() {
	ctr_teardown_file
}

teardown() {
	remove_all_containers
}

# hj METHOD PATH [hijack.py options]: the python client on our socket.
hj() {
	with_timeout 60 python3 "$BATS_TEST_DIRNAME/lib/hijack.py" "$HUTCH_SOCKET" "$@"
}

# A container that printed to both streams and exited.
make_talker() {
	# The monitor reads stdout and stderr from two pipes: a line waits
	# until the one before it is in the log, or a monitor that gets the
	# CPU late would read out1 and out2 in one go, before err1.
	gated_create talker 'echo out1; gate 1; echo err1 >&2; gate 2; echo out2'
	start talker
	local log=$XDG_DATA_HOME/hutch/containers/$id/ctr.log
	wait_for 60 grep -q out1 "$log"
	open_gate 1
	wait_for 60 grep -q err1 "$log"
	open_gate 2
	[ "$(wait_exit talker)" = 0 ]
}

# gated_create NAME SCRIPT: a container running `sh -c SCRIPT` where
# `gate NAME` waits until the test calls `open_gate NAME` (a file in a
# directory bound at /gate): a step of the container that must come after
# something the test saw, never after a guessed pause.
gated_create() {
	local dir=$BATS_TEST_TMPDIR/gate
	mkdir -p "$dir"
	CTR_EXTRA=$(jq -nc --arg d "$dir" '{HostConfig: {Binds: [$d + ":/gate"]}}') \
		create "$1" sh -c "gate() { until [ -e /gate/\$1 ]; do sleep 0.02; done; }; $2"
}

open_gate() {
	touch "$BATS_TEST_TMPDIR/gate/$1"
}

# events_since_have T0 TEXT: the events since T0 include TEXT.
events_since_have() {
	api GET "/events?since=$1&until=$(now)" | grep -qF -- "$2"
}

# now: this moment as an events `until`: the events so far, and the reply
# comes at once (an `until` in the future holds the stream open until then).
now() {
	date +%s.%N
}

exec_create() {
	call POST "/containers/$1/exec" -H 'Content-Type: application/json' -d "$2"
	exec_id=$(jq -r '.Id // empty' <<<"$body")
}

# A running container to exec in and copy to and from.
make_sleeper() {
	create "$1" sleep 300
	start "$1"
}

# ------------------------------------------------------------------ logs

@test "logs: stdout and stderr in frames, each alone, neither is a 400" {
	make_talker
	run hj GET "/containers/talker/logs?stdout=1&stderr=1" --no-upgrade \
		--headers "$BATS_TEST_TMPDIR/h" --frames "$BATS_TEST_TMPDIR/f"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "Content-Type: application/vnd.docker.multiplexed-stream" "$BATS_TEST_TMPDIR/h"
	[ "$(cat "$BATS_TEST_TMPDIR/f")" = "$(printf '1 5\n2 5\n1 5')" ]
	run hj GET "/containers/talker/logs?stdout=1" --no-upgrade
	[ "$output" = "$(printf 'out1\nout2')" ]
	run hj GET "/containers/talker/logs?stderr=1" --no-upgrade
	[ "$output" = err1 ]
	call GET "/containers/talker/logs"
	[ "$code" = 400 ]
	[[ "$body" == *"You must choose at least one stream"* ]]
	call GET "/containers/nosuch/logs?stdout=1"
	[ "$code" = 404 ]
	[[ "$body" == *"No such container: nosuch"* ]]
}

@test "logs: tail, timestamps, since and until" {
	make_talker
	run hj GET "/containers/talker/logs?stdout=1&stderr=1&tail=1" --no-upgrade
	[ "$output" = out2 ]
	run hj GET "/containers/talker/logs?stdout=1&tail=2" --no-upgrade
	[ "$output" = out2 ]
	run hj GET "/containers/talker/logs?stdout=1&tail=0" --no-upgrade
	[ -z "$output" ]
	run hj GET "/containers/talker/logs?stdout=1&tail=all" --no-upgrade
	[ "$output" = "$(printf 'out1\nout2')" ]
	call GET "/containers/talker/logs?stdout=1&tail=many"
	[ "$code" = 400 ]
	run hj GET "/containers/talker/logs?stdout=1&timestamps=1" --no-upgrade
	echo "$output"
	[[ "${lines[0]}" =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]{8}\.[0-9]{9}Z\ out1$ ]]
	# The entries' own times bound since and until.
	local t
	t=$(head -n1 "$XDG_DATA_HOME/hutch/containers/$id/ctr.log" | jq -r .time)
	local secs last
	secs=$(date -d "$t" +%s)
	# (the last entry's own time: on a loaded machine it can be seconds
	# after the first)
	t=$(tail -n1 "$XDG_DATA_HOME/hutch/containers/$id/ctr.log" | jq -r .time)
	last=$(date -d "$t" +%s)
	run hj GET "/containers/talker/logs?stdout=1&since=$((last + 5))" --no-upgrade
	[ -z "$output" ]
	run hj GET "/containers/talker/logs?stdout=1&since=$((secs - 5))" --no-upgrade
	[ "$output" = "$(printf 'out1\nout2')" ]
	run hj GET "/containers/talker/logs?stdout=1&until=$((secs - 5))" --no-upgrade
	[ -z "$output" ]
	call GET "/containers/talker/logs?stdout=1&since=yesterday"
	[ "$code" = 400 ]
	[[ "$body" == *"since"* ]]
}

@test "logs: follow streams until the container exits" {
	gated_create follower 'echo one; echo two; gate go; echo three'
	start follower
	local live=$BATS_TEST_TMPDIR/live
	hj GET "/containers/follower/logs?stdout=1&follow=1" --no-upgrade --live "$live" \
		>"$BATS_TEST_TMPDIR/out" &
	local client=$!
	# Only once the follower saw "two" does the container go on: "three"
	# can only come through a reply that followed.
	wait_for 60 grep -q two "$live"
	open_gate go
	local st=0
	wait "$client" || st=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$st" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "$(printf 'one\ntwo\nthree')" ]
	# A stopped container is not followed: the reply ends at once.
	run hj GET "/containers/follower/logs?stdout=1&follow=1" --no-upgrade --timeout 10
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'one\ntwo\nthree')" ]
}

@test "logs: follow ends at until while the container still runs" {
	create chatty sh -c 'while true; do echo tick; sleep 0.2; done'
	start chatty
	# The container never exits: only until ends the reply (a follow that
	# ignored it would time out, status 3).
	run hj GET "/containers/chatty/logs?stdout=1&follow=1&until=$(($(date +%s) + 2))" \
		--no-upgrade --timeout 60
	[ "$status" -eq 0 ]
	[[ "$output" == tick* ]]
}

@test "logs: a tty container's log is raw" {
	CTR_EXTRA='{"Tty": true}' create ttylog sh -c 'echo hello'
	start ttylog
	wait_exit ttylog
	run hj GET "/containers/ttylog/logs?stdout=1&stderr=1" --no-upgrade \
		--headers "$BATS_TEST_TMPDIR/h"
	grep -q "Content-Type: application/vnd.docker.raw-stream" "$BATS_TEST_TMPDIR/h"
	[ "$output" = "$(printf 'hello\r')" ]
}

# ---------------------------------------------------------------- attach

@test "attach: 101 UPGRADED, stdin reaches the container, output in frames" {
	CTR_EXTRA='{"OpenStdin": true, "StdinOnce": true, "AttachStdin": true}' \
		create catter sh -c 'cat; echo done >&2'
	# docker run attaches first, then starts.
	hj POST "/containers/catter/attach?stream=1&stdin=1&stdout=1&stderr=1" \
		--stdin "$(printf 'hello\nworld\n')" --headers "$BATS_TEST_TMPDIR/h" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local client=$!
	# Started once the attach is upgraded, as docker run does.
	wait_for 60 grep -q "^HTTP/1.1 101" "$BATS_TEST_TMPDIR/h"
	start catter
	wait "$client"
	cat "$BATS_TEST_TMPDIR/h"
	head -n1 "$BATS_TEST_TMPDIR/h" | grep -q "^HTTP/1.1 101"
	grep -qi "^Upgrade: tcp" "$BATS_TEST_TMPDIR/h"
	grep -qi "^Connection: Upgrade" "$BATS_TEST_TMPDIR/h"
	grep -q "Content-Type: application/vnd.docker.multiplexed-stream" "$BATS_TEST_TMPDIR/h"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "$(printf 'hello\nworld')" ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = done ]
	[ "$(wait_exit catter)" = 0 ]
}

@test "attach: logs=1 replays the log, stream=0 ends after it" {
	make_talker
	run hj POST "/containers/talker/attach?logs=1&stream=0&stdout=1&stderr=1" \
		--frames "$BATS_TEST_TMPDIR/f"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/f")" = "$(printf '1 5\n2 5\n1 5')" ]
	run hj POST "/containers/talker/attach?logs=1&stream=0&stdout=1"
	[ "$output" = "$(printf 'out1\nout2')" ]
	run hj POST "/containers/talker/attach?logs=1&stream=0&stderr=1"
	[ "$output" = "err1" ]
}

@test "attach: to a running container, without the upgrade 400, the websocket 501" {
	# It ticks until the gate opens: the attach is known to be connected
	# once a tick came through it (output before that is not replayed).
	gated_create ticker 'until [ -e /gate/go ]; do echo tick; sleep 0.1; done; echo late'
	start ticker
	call POST "/containers/ticker/attach?stream=1&stdout=1"
	[ "$code" = 400 ]
	[[ "$body" == *Upgrade* ]]
	call GET "/containers/ticker/attach/ws?stream=1"
	[ "$code" = 501 ]
	local live=$BATS_TEST_TMPDIR/live
	hj POST "/containers/ticker/attach?stream=1&stdout=1&stderr=1" --live "$live" \
		>"$BATS_TEST_TMPDIR/out" &
	local client=$!
	wait_for 60 grep -q tick "$live"
	open_gate go
	local st=0
	wait "$client" || st=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$st" -eq 0 ]
	[ "$(tail -n1 "$BATS_TEST_TMPDIR/out")" = late ]
	[ "$(grep -vx tick "$BATS_TEST_TMPDIR/out")" = late ]
}

# ------------------------------------------------------------------ exec

@test "exec: output in frames, the exit code, inspect in Docker's shape" {
	make_sleeper box
	exec_create box '{"Cmd":["sh","-c","echo hi; echo oops >&2; exit 3"],"AttachStdout":true,"AttachStderr":true}'
	[ "$code" = 201 ]
	[[ "$exec_id" =~ ^[0-9a-f]{64}$ ]]
	call GET "/exec/$exec_id/json"
	[ "$(jq -r .Running <<<"$body")" = false ]
	[ "$(jq -r .ExitCode <<<"$body")" = null ]
	run hj POST "/exec/$exec_id/start" --body '{"Detach":false,"Tty":false}' \
		--headers "$BATS_TEST_TMPDIR/h"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'hi\noops')" ]
	head -n1 "$BATS_TEST_TMPDIR/h" | grep -q "^HTTP/1.1 101"
	call GET "/exec/$exec_id/json"
	echo "$body"
	[ "$(jq -r .ExitCode <<<"$body")" = 3 ]
	[ "$(jq -r .Running <<<"$body")" = false ]
	[ "$(jq -r .ContainerID <<<"$body")" = "$id" ]
	[ "$(jq -r .ProcessConfig.entrypoint <<<"$body")" = sh ]
	[ "$(jq -c .ProcessConfig.arguments <<<"$body")" = '["-c","echo hi; echo oops >&2; exit 3"]' ]
	[ "$(jq -r .OpenStdout <<<"$body")" = true ]
	# An exec runs once; a prefix of its id finds it.
	call POST "/exec/${exec_id:0:12}/start" -H 'Content-Type: application/json' -d '{"Detach":true}'
	[ "$code" = 409 ]
}

@test "exec: stdin, tty, detach and resize" {
	make_sleeper box
	exec_create box '{"Cmd":["cat"],"AttachStdin":true,"AttachStdout":true}'
	run hj POST "/exec/$exec_id/start" --body '{}' --stdin "$(printf 'piped\n')"
	[ "$output" = piped ]
	exec_create box '{"Cmd":["sh","-c","tty; stty size"],"Tty":true,"AttachStdout":true,"ConsoleSize":[30,100]}'
	run hj POST "/exec/$exec_id/start" --body '{"Tty":true}' --headers "$BATS_TEST_TMPDIR/h"
	echo "$output"
	grep -q "Content-Type: application/vnd.docker.raw-stream" "$BATS_TEST_TMPDIR/h"
	[[ "$output" == */dev/pts/* ]]
	# Detached: it runs on its own and its exit code is recorded.
	exec_create box '{"Cmd":["sh","-c","echo made >/tmp/detached; exit 4"]}'
	call POST "/exec/$exec_id/start" -H 'Content-Type: application/json' -d '{"Detach":true}'
	[ "$code" = 200 ]
	wait_for 60 sh -c "curl -s --unix-socket '$HUTCH_SOCKET' http://d/exec/$exec_id/json | jq -e '.ExitCode == 4'"
	exec_create box '{"Cmd":["cat","/tmp/detached"],"AttachStdout":true}'
	run hj POST "/exec/$exec_id/start" --body '{}'
	[ "$output" = made ]
	# Resize reaches a running tty exec; a finished one is a 409. The exec
	# says when it runs, then waits (at most a minute) for the new size.
	local script='echo ready; i=0; while [ "$(stty size)" != "42 123" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done; stty size'
	exec_create box "$(jq -nc --arg s "$script" '{Cmd: ["sh", "-c", $s], Tty: true, AttachStdout: true}')"
	local live=$BATS_TEST_TMPDIR/live
	hj POST "/exec/$exec_id/start" --body '{"Tty":true}' --live "$live" >"$BATS_TEST_TMPDIR/sized" &
	local client=$!
	wait_for 60 grep -q ready "$live"
	call POST "/exec/$exec_id/resize?h=42&w=123"
	[ "$code" = 200 ]
	wait "$client"
	cat "$BATS_TEST_TMPDIR/sized"
	[[ "$(cat "$BATS_TEST_TMPDIR/sized")" == *"42 123"* ]]
	call POST "/exec/$exec_id/resize?h=42&w=123"
	[ "$code" = 409 ]
	call POST "/exec/$exec_id/resize?h=big"
	[ "$code" = 400 ]
}

@test "exec: Privileged gets every capability, a plain exec the container's" {
	make_sleeper box
	local last full
	last=$(cat /proc/sys/kernel/cap_last_cap)
	full=$(printf '%016x' $(((1 << (last + 1)) - 1)))
	exec_create box '{"Cmd":["sh","-c","grep CapEff /proc/self/status"],"AttachStdout":true,"Privileged":true}'
	run hj POST "/exec/$exec_id/start" --body '{}'
	echo "$output"
	[[ "$output" == *"CapEff:"*"$full"* ]]
	exec_create box '{"Cmd":["sh","-c","grep CapEff /proc/self/status"],"AttachStdout":true}'
	run hj POST "/exec/$exec_id/start" --body '{}'
	echo "$output"
	# Docker's default set: CAP_SYS_ADMIN (bit 21) is not in it.
	local eff=${output##*:}
	eff=$(echo $eff | tr -d ' \t\r')
	[ "$eff" != "$full" ]
	(( ((0x$eff >> 21) & 1) == 0 ))
}

@test "exec: Docker's errors" {
	make_talker
	exec_create talker '{"Cmd":["true"]}'
	[ "$code" = 409 ]
	[[ "$body" == *"is not running"* ]]
	make_sleeper box
	exec_create box '{"Cmd":[]}'
	[ "$code" = 400 ]
	[[ "$body" == *"No exec command specified"* ]]
	exec_create box '{"Cmd":["true"],"WorkingDir":"relative"}'
	[ "$code" = 400 ]
	exec_create box '{"Cmd":"true"}'
	[ "$code" = 400 ]
	exec_create box 'not json'
	[ "$code" = 400 ]
	call GET /exec/0123456789ab/json
	[ "$code" = 404 ]
	[[ "$body" == *"No such exec instance"* ]]
	call POST /exec/0123456789ab/resize?h=1\&w=1
	[ "$code" = 404 ]
	exec_create box '{"Cmd":["nosuchcommand"],"AttachStdout":true,"AttachStderr":true}'
	run hj POST "/exec/$exec_id/start" --body '{}'
	call GET "/exec/$exec_id/json"
	[ "$(jq -r .ExitCode <<<"$body")" = 127 ]
	# Without the upgrade and without Detach there is no stream to give.
	exec_create box '{"Cmd":["true"]}'
	call POST "/exec/$exec_id/start" -H 'Content-Type: application/json' -d '{}'
	[ "$code" = 400 ]
	# Records go with their container.
	api DELETE "/containers/box?force=1" >/dev/null
	call GET "/exec/$exec_id/json"
	[ "$code" = 404 ]
}

# --------------------------------------------------------------- archive

# A tar with dir/, dir/file and a symlink, made on the host.
make_tar() {
	local d=$BATS_TEST_TMPDIR/src
	mkdir -p "$d/dir"
	echo "from the host" >"$d/dir/file"
	chmod 0640 "$d/dir/file"
	ln -s file "$d/dir/link"
	tar -C "$d" -cf "$BATS_TEST_TMPDIR/in.tar" dir
}

stat_header() {
	grep -i '^X-Docker-Container-Path-Stat:' "$1" | cut -d' ' -f2 | tr -d '\r' | base64 -d
}

check_archive_roundtrip() {
	local name=$1
	make_tar
	call PUT "/containers/$name/archive?path=/tmp" --data-binary @"$BATS_TEST_TMPDIR/in.tar" \
		-H 'Content-Type: application/x-tar'
	echo "$body"
	[ "$code" = 200 ]
	api GET "/containers/$name/archive?path=/tmp/dir" -D "$BATS_TEST_TMPDIR/h" \
		-o "$BATS_TEST_TMPDIR/out.tar"
	grep -q "Content-Type: application/x-tar" "$BATS_TEST_TMPDIR/h"
	[ "$(stat_header "$BATS_TEST_TMPDIR/h" | jq -r .name)" = dir ]
	# Go's os.ModeDir bit and 0755.
	[ "$(stat_header "$BATS_TEST_TMPDIR/h" | jq -r .mode)" = $(((1 << 31) | 0755)) ]
	run tar -tvf "$BATS_TEST_TMPDIR/out.tar"
	echo "$output"
	[[ "$output" == *"-rw-r----- "*"dir/file"* ]]
	[[ "$output" == *"dir/link -> file"* ]]
	mkdir -p "$BATS_TEST_TMPDIR/back"
	tar -C "$BATS_TEST_TMPDIR/back" -xf "$BATS_TEST_TMPDIR/out.tar"
	[ "$(cat "$BATS_TEST_TMPDIR/back/dir/file")" = "from the host" ]
	# HEAD: only the stat, of the link itself.
	api HEAD "/containers/$name/archive?path=/tmp/dir/link" -I >"$BATS_TEST_TMPDIR/h2"
	cat "$BATS_TEST_TMPDIR/h2"
	[ "$(stat_header "$BATS_TEST_TMPDIR/h2" | jq -r .linkTarget)" = /tmp/dir/file ]
	[ "$(stat_header "$BATS_TEST_TMPDIR/h2" | jq -r .mode)" = $(((1 << 27) | 0777)) ]
	# "/." archives the contents.
	api GET "/containers/$name/archive?path=/tmp/dir/." -o "$BATS_TEST_TMPDIR/dot.tar"
	tar -tf "$BATS_TEST_TMPDIR/dot.tar" | grep -qx './file'
}

@test "archive: put, get and head through a running container" {
	make_sleeper box
	check_archive_roundtrip box
	exec_create box '{"Cmd":["cat","/tmp/dir/file"],"AttachStdout":true}'
	run hj POST "/exec/$exec_id/start" --body '{}'
	[ "$output" = "from the host" ]
	# A compressed upload (Docker takes gzip, bzip2 and xz).
	mkdir -p "$BATS_TEST_TMPDIR/z/zdir"
	echo zipped >"$BATS_TEST_TMPDIR/z/zdir/zfile"
	tar -C "$BATS_TEST_TMPDIR/z" -czf "$BATS_TEST_TMPDIR/z.tgz" zdir
	call PUT "/containers/box/archive?path=/tmp" --data-binary @"$BATS_TEST_TMPDIR/z.tgz"
	[ "$code" = 200 ]
	api GET "/containers/box/archive?path=/tmp/zdir/zfile" -o "$BATS_TEST_TMPDIR/z.tar"
	[ "$(tar -xOf "$BATS_TEST_TMPDIR/z.tar" zfile)" = zipped ]
	# The files hutchd mounts over the image's are the container's.
	api GET "/containers/box/archive?path=/etc/hostname" -o "$BATS_TEST_TMPDIR/hn.tar"
	[ "$(tar -xOf "$BATS_TEST_TMPDIR/hn.tar" hostname)" = "${id:0:12}" ]
}

@test "archive: put, get and head through a stopped container" {
	create cold sh -c 'cat /tmp/dir/file'
	check_archive_roundtrip cold
	# What was put is there when it runs.
	start cold
	[ "$(wait_exit cold)" = 0 ]
	run hj GET "/containers/cold/logs?stdout=1" --no-upgrade
	[ "$output" = "from the host" ]
	# Nothing of our private mount is left behind.
	[ -z "$(our_mounts)" ]
}

@test "archive: Docker's errors" {
	make_sleeper box
	call GET "/containers/box/archive?path=/no/such/file"
	[ "$code" = 404 ]
	[[ "$body" == *"Could not find the file /no/such/file in container box"* ]]
	run api HEAD "/containers/box/archive?path=/nope" -I
	[[ "${lines[0]}" == "HTTP/1.1 404"* ]]
	call GET "/containers/box/archive"
	[ "$code" = 400 ]
	make_tar
	call PUT "/containers/box/archive?path=/etc/passwd" --data-binary @"$BATS_TEST_TMPDIR/in.tar"
	[ "$code" = 400 ]
	[[ "$body" == *"extraction point is not a directory"* ]]
	call PUT "/containers/box/archive?path=/nowhere" --data-binary @"$BATS_TEST_TMPDIR/in.tar"
	[ "$code" = 404 ]
	# A file where a directory is, with noOverwriteDirNonDir.
	printf 'x' >"$BATS_TEST_TMPDIR/tmp"
	tar -C "$BATS_TEST_TMPDIR" -cf "$BATS_TEST_TMPDIR/clash.tar" tmp
	call PUT "/containers/box/archive?path=/&noOverwriteDirNonDir=1" \
		--data-binary @"$BATS_TEST_TMPDIR/clash.tar"
	[ "$code" = 400 ]
	[[ "$body" == *"cannot overwrite directory"* ]]
	# Names that climb out are refused.
	python3 - "$BATS_TEST_TMPDIR/evil.tar" <<-'PY'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as t:
		    data = b"escaped"
		    info = tarfile.TarInfo("../../escape")
		    info.size = len(data)
		    t.addfile(info, io.BytesIO(data))
	PY
	call PUT "/containers/box/archive?path=/tmp" --data-binary @"$BATS_TEST_TMPDIR/evil.tar"
	echo "$body"
	[ "$code" = 400 ]
	[[ "$(jq -r .message <<<"$body")" == *'".." is not allowed'* ]]
	call PUT "/containers/box/archive?path=/tmp" --data-binary 'not a tar'
	[ "$code" = 400 ]
}

@test "archive: a symlink in the container cannot lead out of it" {
	make_sleeper box
	exec_create box '{"Cmd":["ln","-s","/../../../../../../etc","/tmp/out"]}'
	hj POST "/exec/$exec_id/start" --body '{}'
	# The link resolves inside the container: its /etc, not the host's.
	api GET "/containers/box/archive?path=/tmp/out/" -o "$BATS_TEST_TMPDIR/etc.tar"
	run tar -tf "$BATS_TEST_TMPDIR/etc.tar"
	[[ "$output" == *out/passwd* ]]
	[[ "$output" != *shadow* ]] || ! grep -q "hutch-test" <(tar -xOf "$BATS_TEST_TMPDIR/etc.tar" out/passwd)
	# Writing through it lands in the container's /etc.
	make_tar
	call PUT "/containers/box/archive?path=/tmp/out" --data-binary @"$BATS_TEST_TMPDIR/in.tar"
	[ "$code" = 200 ]
	[ ! -e /etc/dir/file ]
	exec_create box '{"Cmd":["cat","/etc/dir/file"],"AttachStdout":true}'
	run hj POST "/exec/$exec_id/start" --body '{}'
	[ "$output" = "from the host" ]
}

# ---------------------------------------------------------------- events

@test "events: since replays, filters select, a live stream sees new ones" {
	local t0
	t0=$(date +%s)
	make_talker
	# (the die is announced before the wait replies; waiting for it costs
	# nothing and keeps a late one from failing the test)
	wait_for 60 events_since_have "$t0" '"Action":"die"'
	run api GET "/events?since=$t0&until=$(now)"
	echo "$output"
	[[ "$output" == *'"Action":"create"'* ]]
	[[ "$output" == *'"Action":"start"'* ]]
	[[ "$output" == *'"Action":"die"'* ]]
	local line
	# (since= has a one-second grain: the previous test's containers may
	# be in the replay too, so pick talker's line by name.)
	line=$(grep '"Action":"start"' <<<"$output" | grep -F '"name":"talker"' | head -n1)
	[ "$(jq -r .Type <<<"$line")" = container ]
	[ "$(jq -r .Actor.ID <<<"$line")" = "$id" ]
	[ "$(jq -r .Actor.Attributes.name <<<"$line")" = talker ]
	[ "$(jq -r .status <<<"$line")" = start ]
	[ "$(jq -r .id <<<"$line")" = "$id" ]
	[[ "$(jq -r .timeNano <<<"$line")" =~ ^[0-9]{19}$ ]]
	# Filters: one key's values are alternatives, keys must all match.
	local f
	f=$(jq -n -c '{type:["container"],event:["die"],container:["talker"]}' | jq -sRr @uri)
	run api GET "/events?since=$t0&until=$(now)&filters=$f"
	[ "$(wc -l <<<"$output")" = 1 ]
	[[ "$output" == *'"Action":"die"'* ]]
	f=$(jq -n -c '{container:["someone-else"]}' | jq -sRr @uri)
	run api GET "/events?since=$t0&until=$(now)&filters=$f"
	[ -z "$output" ]
	call GET "/events?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D"
	[ "$code" = 400 ]
	# Live: a subscriber sees what happens after it connected.
	# It is ended once the create arrived: a wrongly replayed talker event
	# would have come before it (the replay precedes the live events).
	# (curl itself in the background, not the api function, so that $! is
	# curl and the kill ends it)
	curl -s -N --max-time 60 --unix-socket "$HUTCH_SOCKET" \
		"http://d/events?since=$(now)&until=$(($(date +%s) + 60))" >"$BATS_TEST_TMPDIR/live" 3>&- &
	local sub=$!
	# (Not a synchronisation: a subscriber that connects late gets the
	# create from the replay since its start time all the same.)
	sleep 1
	create later true
	wait_for 60 grep -q '"Action":"create"' "$BATS_TEST_TMPDIR/live"
	kill "$sub"
	wait "$sub" || true
	grep -q '"Action":"create"' "$BATS_TEST_TMPDIR/live"
	! grep -q talker "$BATS_TEST_TMPDIR/live"
}

@test "events: exec_create, exec_start and exec_die with the exit code" {
	local t0
	t0=$(date +%s)
	make_sleeper box
	exec_create box '{"Cmd":["sh","-c","exit 5"]}'
	hj POST "/exec/$exec_id/start" --body '{}'
	# (exec_die is recorded as the exec's monitor is reaped)
	wait_for 60 events_since_have "$t0" '"Action":"exec_die"'
	run api GET "/events?since=$t0&until=$(now)"
	echo "$output"
	[[ "$output" == *'"Action":"exec_create: sh -c exit 5"'* ]]
	[[ "$output" == *'"Action":"exec_start: sh -c exit 5"'* ]]
	local die
	die=$(grep '"Action":"exec_die"' <<<"$output")
	[ "$(jq -r .Actor.Attributes.exitCode <<<"$die")" = 5 ]
	[ "$(jq -r .Actor.Attributes.execID <<<"$die")" = "$exec_id" ]
}

@test "events: image tag and untag, filtered by type and image" {
	local t0
	t0=$(date +%s)
	call POST "/images/$IMAGE/tag?repo=evtest&tag=1"
	[ "$code" = 201 ]
	call DELETE "/images/evtest:1"
	[ "$code" = 200 ]
	local f
	f=$(jq -n -c '{type:["image"],image:["evtest:1"]}' | jq -sRr @uri)
	# (tag and untag are announced before their replies)
	run api GET "/events?since=$t0&until=$(now)&filters=$f"
	echo "$output"
	[ "$(wc -l <<<"$output")" = 2 ]
	[ "$(head -n1 <<<"$output" | jq -r .Action)" = tag ]
	[ "$(tail -n1 <<<"$output" | jq -r .Action)" = untag ]
	[[ "$(head -n1 <<<"$output" | jq -r .Actor.ID)" == sha256:* ]]
	[ "$(head -n1 <<<"$output" | jq -r .Actor.Attributes.name)" = evtest:1 ]
}

@test "events: a pull is announced with the reference and its repository" {
	local t0
	t0=$(date +%s)
	api POST "/images/create?fromImage=$REGISTRY/busybox&tag=1" >/dev/null
	local f
	f=$(jq -n -c '{type:["image"],event:["pull"]}' | jq -sRr @uri)
	run api GET "/events?since=$t0&until=$(($(date +%s) + 1))&filters=$f"
	echo "$output"
	# (the file's own first pull may fall in the same second: the last is ours)
	local ev
	ev=$(tail -n1 <<<"$output")
	[ "$(jq -r .Actor.ID <<<"$ev")" = "$REGISTRY/busybox:1" ]
	[ "$(jq -r .Actor.Attributes.name <<<"$ev")" = "$REGISTRY/busybox" ]
	[ "$(jq -r .status <<<"$ev")" = pull ]
}

@test "the docker CLI: events, logs --since and --timestamps, attach" {
	require_cmd docker
	local t0
	t0=$(date +%s)
	make_talker
	run with_timeout 30 docker events --since "$t0" --until "$(($(date +%s) + 1))" \
		--filter container=talker --filter event=die --format '{{.Action}} {{.Actor.Attributes.name}}'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "die talker" ]
	run with_timeout 30 docker logs --timestamps --since "$t0" talker
	echo "$output"
	[[ "${lines[0]}" =~ ^20[0-9-]+T[0-9:.]+Z\ out1$ ]]
	run with_timeout 30 docker logs --until "$((t0 - 60))" talker
	[ -z "$output" ]
	# attach shows only what comes after it connected: the container ticks
	# until the gate opens, which the test does once a tick came through.
	gated_create ticker 'until [ -e /gate/go ]; do echo tick; sleep 0.1; done; echo from-attach; exit 4'
	start ticker
	with_timeout 60 docker attach ticker >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local client=$!
	wait_for 60 grep -q tick "$BATS_TEST_TMPDIR/out"
	open_gate go
	local st=0
	wait "$client" || st=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$st" -eq 4 ]
	[ "$(grep -vx tick "$BATS_TEST_TMPDIR/out")" = from-attach ]
}
