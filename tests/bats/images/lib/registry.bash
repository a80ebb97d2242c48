# Helpers for image tests: a real registry (Debian's docker-registry) on
# 127.0.0.1, images built offline with mkimage.py and pushed with skopeo,
# and a private hutchd per test file.

IMAGES_LIB=${BASH_SOURCE[0]%/*}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_registry DIR: docker-registry storing in DIR/storage; sets
# REGISTRY (host:port) and REGISTRY_PID, REGISTRY_DIR.
start_registry() {
	REGISTRY_DIR=$1
	mkdir -p "$REGISTRY_DIR/storage"
	local port
	port=$(free_port)
	cat >"$REGISTRY_DIR/config.yml" <<-YML
		version: 0.1
		log:
		  level: error
		  accesslog:
		    disabled: true
		storage:
		  filesystem:
		    rootdirectory: $REGISTRY_DIR/storage
		  delete:
		    enabled: true
		http:
		  addr: 127.0.0.1:$port
	YML
	docker-registry serve "$REGISTRY_DIR/config.yml" >"$REGISTRY_DIR/log" 2>&1 &
	REGISTRY_PID=$!
	REGISTRY=127.0.0.1:$port
	local i
	for i in $(seq 1 600); do
		curl -sf --max-time 10 "http://$REGISTRY/v2/" >/dev/null && return 0
		sleep 0.1
	done
	echo "registry did not start:" >&2
	cat "$REGISTRY_DIR/log" >&2
	return 1
}

stop_registry() {
	[ -n "${REGISTRY_PID:-}" ] || return 0
	kill "$REGISTRY_PID" 2>/dev/null || true
	wait "$REGISTRY_PID" 2>/dev/null || true
	REGISTRY_PID=
}

# push_image RECIPE NAME:TAG [ARGS...]: build with mkimage.py and push.
push_image() {
	local recipe=$1 ref=$2
	shift 2
	local dir=$BATS_FILE_TMPDIR/oci-${ref//[\/:]/-}
	rm -rf "$dir"
	python3 "$IMAGES_LIB/mkimage.py" "$recipe" "$dir" "${ref##*:}" "$@" || return 1
	with_timeout 120 skopeo copy -q --all --dest-tls-verify=false \
		"oci:$dir:${ref##*:}" "docker://$REGISTRY/$ref" >/dev/null
}

# Registry storage paths of a blob and of a tag's manifest link.
registry_blob_file() {
	local hex=${1#sha256:}
	echo "$REGISTRY_DIR/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

# start_hutchd: a private hutchd ($HUTCHD_BIN, else hutchd on PATH; own
# runtime dir and store) for this
# file; sets HUTCHD_PID and DOCKER_HOST.
start_hutchd() {
	export XDG_RUNTIME_DIR=$BATS_FILE_TMPDIR/run
	export XDG_DATA_HOME=$BATS_FILE_TMPDIR/data
	export XDG_CONFIG_HOME=$BATS_FILE_TMPDIR/config
	mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
	mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
	export HUTCH_SOCKET=$XDG_RUNTIME_DIR/hutch/hutchd.sock
	export DOCKER_HOST=unix://$HUTCH_SOCKET
	export DOCKER_CONFIG=$BATS_FILE_TMPDIR/docker-config
	mkdir -p "$DOCKER_CONFIG"
	"${HUTCHD_BIN:-hutchd}" --log "$BATS_FILE_TMPDIR/hutchd.log" "$@" &
	HUTCHD_PID=$!
	wait_socket
}

# A minute's bound: on a loaded machine a hutchd that re-adopts its
# containers after a kill -9 can take seconds to answer.
wait_socket() {
	local deadline=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$deadline" ]; do
		curl -sf --max-time 10 --unix-socket "$HUTCH_SOCKET" http://d/_ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "hutchd did not start" >&2
	cat "$BATS_FILE_TMPDIR/hutchd.log" >&2
	return 1
}

stop_hutchd() {
	[ -n "${HUTCHD_PID:-}" ] || return 0
	kill "$HUTCHD_PID" 2>/dev/null || true
	local i
	for i in $(seq 1 50); do
		kill -0 "$HUTCHD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$HUTCHD_PID" 2>/dev/null || true
	wait "$HUTCHD_PID" 2>/dev/null || true
	HUTCHD_PID=
}

# The sandbox holder outlives hutchd on purpose; tests end it. Files that
# start hutchd in setup() (per test) reach teardown_file without
# start_hutchd's XDG_RUNTIME_DIR, so its runtime dir is looked at too.
stop_sandbox() {
	local f pid
	for f in "$XDG_RUNTIME_DIR/hutch/sandbox.pid" "$BATS_FILE_TMPDIR/run/hutch/sandbox.pid"; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		if grep -q __sandbox-holder "/proc/$pid/cmdline" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
		fi
	done
}

# api METHOD PATH [curl args]: talk to hutchd directly.
api() {
	local method=$1 path=$2
	shift 2
	curl -s --max-time 60 --unix-socket "$HUTCH_SOCKET" -X "$method" "http://d$path" "$@"
}

store_dir() {
	echo "$XDG_DATA_HOME/hutch"
}

# wait_for CONDITION: eval it every 25 ms, for at most a minute of wall
# time (a bound, not a pause: it costs nothing when things are fast).
wait_for() {
	local deadline=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$deadline" ]; do
		eval "$1" && return 0
		sleep 0.025
	done
	eval "$1"
}

# start_proxy [proxy.py options]: a fault-injecting proxy in front of
# REGISTRY; sets PROXY (host:port) and PROXY_PID.
start_proxy() {
	local pf=$BATS_TEST_TMPDIR/proxy.port
	rm -f "$pf"
	python3 "$IMAGES_LIB/proxy.py" "$pf" "$REGISTRY" "$@" &
	PROXY_PID=$!
	local deadline=$((SECONDS + 60))
	while [ ! -s "$pf" ] && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.05
	done
	[ -s "$pf" ] || {
		echo "the proxy did not start" >&2
		return 1
	}
	PROXY=127.0.0.1:$(cat "$pf")
}

stop_proxy() {
	[ -n "${PROXY_PID:-}" ] || return 0
	kill "$PROXY_PID" 2>/dev/null || true
	wait "$PROXY_PID" 2>/dev/null || true
	PROXY_PID=
}
