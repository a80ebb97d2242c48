#!/usr/bin/env bats
# hutchd itself: its runtime directory and socket, refusals with a
# suggested fix, one instance per user, SIGTERM, socket activation, the
# Docker API basics, malformed and oversized requests, and the peer-uid
# check (root mode: a connection from another uid is refused).
# modes: sub solo root

load ../helpers
load lib/registry

setup() {
	export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	export XDG_DATA_HOME=$BATS_TEST_TMPDIR/data
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p -m 0700 "$XDG_RUNTIME_DIR" "$HOME"
	export HUTCH_SOCKET=$XDG_RUNTIME_DIR/hutch/hutchd.sock
	BATS_FILE_TMPDIR=$BATS_TEST_TMPDIR
}

teardown() {
	# A hutchd the CLI started on demand is only known by its lock file;
	# left running, it would hold bats' output open and hang the run.
	local lock=$XDG_RUNTIME_DIR/hutch/hutchd.lock pid
	if [ -z "${HUTCHD_PID:-}" ] && [ -s "$lock" ]; then
		pid=$(cut -d' ' -f1 "$lock")
		if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
			grep -q "^hutchd --log $XDG_RUNTIME_DIR/"; then
			HUTCHD_PID=$pid
		fi
	fi
	stop_hutchd
	stop_sandbox
	if [ -n "${PEERCRED_DIR:-}" ]; then
		rm -rf "$PEERCRED_DIR"
	fi
}

start() {
	hutchd --log "$BATS_TEST_TMPDIR/hutchd.log" "$@" &
	HUTCHD_PID=$!
	wait_socket
}

@test "hutchd --help and --version" {
	run hutchd --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: hutchd"* ]]
	run hutchd --version
	[[ "$output" == *"API 1.44"* ]]
	run hutchd --bogus
	[ "$status" -eq 2 ]
}

@test "every hutch command has --help" {
	run hutch --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: hutch"* ]]
	local c
	for c in pull images rmi tag load save info version "image inspect" "image prune" \
		"image ls" "system check"; do
		run hutch $c --help
		[ "$status" -eq 0 ]
		[[ "$output" == *"Usage: hutch"* ]]
	done
	run hutch nosuchcommand
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command"* ]]
	run hutch pull
	[ "$status" -eq 2 ]
}

@test "socket 0600 in a 0700 directory, store 0700" {
	skip_in_mode root
	start
	[ "$(stat -c %a "$XDG_RUNTIME_DIR/hutch")" = 700 ]
	[ "$(stat -c %a "$HUTCH_SOCKET")" = 600 ]
	[ "$(stat -c %a "$XDG_DATA_HOME/hutch")" = 700 ]
	[ -S "$HUTCH_SOCKET" ]
}

@test "refuses to start without XDG_RUNTIME_DIR and says how to fix it" {
	run env -u XDG_RUNTIME_DIR hutchd
	[ "$status" -eq 1 ]
	[[ "$output" == *"XDG_RUNTIME_DIR is not set"* ]]
	[[ "$output" == *"mkdir -p -m 0700"* ]]
}

@test "refuses an XDG_RUNTIME_DIR that is not ours or is open to others" {
	skip_in_mode root
	run env XDG_RUNTIME_DIR=/ hutchd
	[ "$status" -eq 1 ]
	[[ "$output" == *"belongs to uid 0, not to you"* ]]
	[[ "$output" == *"export XDG_RUNTIME_DIR="* ]]
	chmod 0777 "$XDG_RUNTIME_DIR"
	run hutchd
	[ "$status" -eq 1 ]
	[[ "$output" == *"writable by others"* ]]
	chmod 0700 "$XDG_RUNTIME_DIR"
}

@test "hutch.conf sets the store and insecure registries; mistakes are reported" {
	mkdir -p "$XDG_CONFIG_HOME/hutch"
	cat >"$XDG_CONFIG_HOME/hutch/hutch.conf" <<-EOF
		# comment
		root = "$BATS_TEST_TMPDIR/conf-store"
		insecure_registries = lab.example:5000, 10.1.2.3
		log_level = debug
		no_such_key = 1
	EOF
	# Config warnings come before the log file is open: on stderr.
	hutchd --log "$BATS_TEST_TMPDIR/hutchd.log" 2>"$BATS_TEST_TMPDIR/stderr" &
	HUTCHD_PID=$!
	wait_socket
	[ -d "$BATS_TEST_TMPDIR/conf-store/blobs/sha256" ]
	api GET /info | jq -e '.RegistryConfig.IndexConfigs | has("lab.example:5000") and has("10.1.2.3")'
	grep -q 'hutch.conf:5: unknown key "no_such_key" ignored' "$BATS_TEST_TMPDIR/stderr"
	stop_hutchd
	echo "this line has no equals sign" >"$XDG_CONFIG_HOME/hutch/hutch.conf"
	run hutchd
	[ "$status" -eq 1 ]
	[[ "$output" == *"hutch.conf:1: expected key = value"* ]]
	run hutchd --config "$BATS_TEST_TMPDIR/missing.conf"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing.conf: No such file or directory"* ]]
}

@test "a second hutchd says one is running and exits" {
	start
	run with_timeout 10 hutchd
	[ "$status" -eq 1 ]
	[[ "$output" == *"already running for this user (pid $HUTCHD_PID"* ]]
	# The first one still serves.
	api GET /_ping | grep -qx OK
}

@test "SIGTERM shuts down cleanly and removes the socket" {
	start
	kill -TERM "$HUTCHD_PID"
	local rc=0
	wait "$HUTCHD_PID" || rc=$?
	[ "$rc" -eq 0 ]
	HUTCHD_PID=
	[ ! -e "$HUTCH_SOCKET" ]
	grep -q "hutchd stopped" "$BATS_TEST_TMPDIR/hutchd.log"
}

@test "socket activation through LISTEN_FDS" {
	require_cmd systemd-socket-activate
	mkdir -p -m 0700 "$XDG_RUNTIME_DIR/hutch"
	systemd-socket-activate -E XDG_RUNTIME_DIR -E XDG_DATA_HOME -E HOME -E PATH \
		-l "$HUTCH_SOCKET" hutchd --log "$BATS_TEST_TMPDIR/hutchd.log" \
		>/dev/null 2>&1 &
	HUTCHD_PID=$!
	local i
	for i in $(seq 1 1200); do [ -S "$HUTCH_SOCKET" ] && break; sleep 0.05; done
	# The first connection starts hutchd on the passed socket.
	run with_timeout 60 curl -s --unix-socket "$HUTCH_SOCKET" http://d/_ping
	[ "$output" = OK ]
	grep -q "(socket activation)" "$BATS_TEST_TMPDIR/hutchd.log"
}

@test "_ping, version and info speak the Docker API with any version prefix" {
	start
	run curl -s -i --unix-socket "$HUTCH_SOCKET" http://d/_ping
	[[ "$output" == *"Api-Version: 1.44"* ]]
	[[ "$output" == *"Ostype: linux"* ]]
	run curl -s -I --unix-socket "$HUTCH_SOCKET" http://d/v1.41/_ping
	[[ "$output" == *"200 OK"* ]]
	api GET /v1.44/version | jq -e '.ApiVersion == "1.44" and .MinAPIVersion == "1.24"'
	api GET /v1.24/info | jq -e '.OSType == "linux" and (.Images | type == "number")'
	run api GET /v1.44/no/such/thing
	[[ "$output" == *'"message":"page not found'* ]]
	run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$HUTCH_SOCKET" http://d/nope
	[ "$output" = 404 ]
	run hutch version
	[ "$status" -eq 0 ]
	[[ "$output" == *"API version: 1.44"* ]]
	run hutch info
	[[ "$output" == *"Root Dir: $XDG_DATA_HOME/hutch"* ]]
}

@test "malformed and oversized requests get an error, hutchd stays up" {
	start
	run with_timeout 10 python3 - "$HUTCH_SOCKET" <<-'PY'
		import socket, sys
		def send(data):
		    s = socket.socket(socket.AF_UNIX)
		    s.settimeout(5)
		    s.connect(sys.argv[1])
		    try:
		        s.sendall(data)
		        return s.recv(4096).split(b"\r\n")[0].decode()
		    except OSError as e:
		        return "closed"
		    finally:
		        s.close()
		print("garbage:", send(b"\x00\x01 NOT HTTP AT ALL\r\n\r\n"))
		print("huge-header:", send(b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n"))
		print("bad-version:", send(b"GET /_ping HTTP/9.9\r\nHost: x\r\n\r\n"))
	PY
	echo "$output"
	[[ "$output" == *"garbage: HTTP/1.1 400"* || "$output" == *"garbage: closed"* ]]
	[[ "$output" == *"huge-header: HTTP/1.1 4"* || "$output" == *"huge-header: closed"* ]]
	# A body larger than the limit on an API call: 413.
	head -c 2000000 /dev/zero >"$BATS_TEST_TMPDIR/big"
	run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$HUTCH_SOCKET" \
		-X POST --data-binary @"$BATS_TEST_TMPDIR/big" http://d/images/prune
	[ "$output" = 413 ]
	api GET /_ping | grep -qx OK
}

@test "the CLI starts hutchd on demand" {
	skip_in_mode root
	unset HUTCH_SOCKET
	[ ! -S "$XDG_RUNTIME_DIR/hutch/hutchd.sock" ]
	run with_timeout 90 hutch version
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Server: hutchd"* ]]
	[ -S "$XDG_RUNTIME_DIR/hutch/hutchd.sock" ]
	HUTCHD_PID=$(cut -d' ' -f1 "$XDG_RUNTIME_DIR/hutch/hutchd.lock")
	# --no-start refuses instead.
	kill "$HUTCHD_PID"
	local i
	for i in $(seq 1 600); do [ -S "$XDG_RUNTIME_DIR/hutch/hutchd.sock" ] || break; sleep 0.1; done
	HUTCHD_PID=
	run hutch --no-start version
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot connect to hutchd"* ]]
}

@test "a connection from another uid is refused (SO_PEERCRED)" {
	skip_unless_mode root
	id hutch-solo >/dev/null 2>&1 || skip "no hutch-solo user"
	# hutchd runs as hutch-solo in a directory root can enter anyway.
	# (bats' temp dirs are private to root: use one in /tmp.)
	local dir
	dir=$(mktemp -d /tmp/hutch-peercred.XXXXXX)
	PEERCRED_DIR=$dir
	chmod 0755 "$dir"
	mkdir -p -m 0700 "$dir/run"
	chown -R hutch-solo: "$dir"
	setpriv --reuid=hutch-solo --regid=hutch-solo --init-groups \
		env XDG_RUNTIME_DIR="$dir/run" HOME="$dir" XDG_DATA_HOME="$dir/data" \
		XDG_CONFIG_HOME="$dir/config" \
		hutchd --log "$dir/hutchd.log" &
	HUTCHD_PID=$!
	local i
	for i in $(seq 1 1200); do [ -S "$dir/run/hutch/hutchd.sock" ] && break; sleep 0.05; done
	# Root passes the directory permissions, not the peer check.
	run curl -s --max-time 5 --unix-socket "$dir/run/hutch/hutchd.sock" http://d/_ping
	[ "$output" != OK ]
	grep -q "connection refused: peer pid .* runs as uid 0" "$dir/hutchd.log"
	# The owner is served.
	run setpriv --reuid=hutch-solo --regid=hutch-solo --init-groups \
		curl -s --max-time 5 --unix-socket "$dir/run/hutch/hutchd.sock" http://d/_ping
	[ "$output" = OK ]
}
