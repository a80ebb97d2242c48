#!/usr/bin/env bats
# A full disk under the container store: hutchd runs in a private user and
# mount namespace (unshare -Urm, as images/hostile.bats does) with a small
# tmpfs as its store. A create on the full store is a clean error that
# keeps nothing; a container filling its writable layer gets ENOSPC, and
# its monitor and overlay survive, so it can be stopped, removed and its
# logs read; a start on the full store is a clean error too.
# modes: sub solo

load ../helpers
load ../images/lib/registry

setup_file() {
	require_cmd docker-registry skopeo python3 curl jq unshare
	start_registry "$BATS_FILE_TMPDIR/registry"
	push_image busybox busybox:1
	export REGISTRY REGISTRY_PID REGISTRY_DIR
}

teardown_file() {
	stop_registry
}

@test "a full store: create fails cleanly, a container filling its layer gets ENOSPC" {
	cat >"$BATS_TEST_TMPDIR/full.sh" <<-'SH'
		set -u
		dir=$1 registry=$2
		store=$dir/store run=$dir/run
		mkdir -p "$store" "$run"
		chmod 700 "$run"
		mount -t tmpfs -o size=24m tmpfs "$store" || exit 1
		export XDG_RUNTIME_DIR=$run HUTCH_SOCKET=$run/hutch/hutchd.sock
		hutchd --root "$store/hutch" --log "$dir/full.log" &
		pid=$!
		api() { curl -s --unix-socket "$HUTCH_SOCKET" -X "$1" "http://d/v1.43$2" "${@:3}"; }
		code() { curl -s -o "$dir/body" -w '%{http_code}' --unix-socket "$HUTCH_SOCKET" \
			-X "$1" "http://d/v1.43$2" "${@:3}"; }
		until api GET /_ping >/dev/null 2>&1; do
			kill -0 $pid || exit 1
			sleep 0.05
		done
		end() {
			for id in $(api GET '/containers/json?all=1' | jq -r '.[].Id'); do
				api DELETE "/containers/$id?force=1"
			done
			kill $pid; wait $pid
			[ ! -f "$run/hutch/sandbox.pid" ] || kill "$(cat "$run/hutch/sandbox.pid")"
		}
		trap end EXIT
		image=$registry/busybox:1
		api POST "/images/create?fromImage=$registry/busybox&tag=1" >/dev/null
		json=$(jq -n -c --arg img "$image" '{Image: $img, Cmd: ["true"],
			HostConfig: {NetworkMode: "none"}}')
		# 1. Fill the store's filesystem, then create.
		dd if=/dev/zero of="$store/filler" bs=64k 2>/dev/null
		echo "create-full=$(code POST /containers/create -H 'Content-Type: application/json' -d "$json")"
		echo "create-full-body=$(cat "$dir/body")"
		echo "listed=$(api GET '/containers/json?all=1' | jq length)"
		echo "dirs=$(ls -A "$store/hutch/containers" | wc -l)"
		rm "$store/filler"
		echo "create-freed=$(code POST /containers/create -H 'Content-Type: application/json' -d "$json")"
		first=$(jq -r .Id "$dir/body")
		# 2. A container writing its root until the store is full.
		json=$(jq -n -c --arg img "$image" '{Image: $img, HostConfig: {NetworkMode: "none"},
			Cmd: ["sh", "-c", "echo before; dd if=/dev/zero of=/big bs=64k; echo dd-rc=$?; echo after; exec sleep 1000"]}')
		id=$(api POST /containers/create?name=filler -H 'Content-Type: application/json' -d "$json" | jq -r .Id)
		echo "start=$(code POST /containers/filler/start)"
		for i in $(seq 1 1200); do
			api GET '/containers/filler/logs?stdout=1&stderr=1' | grep -q after && break
			sleep 0.05
		done
		api GET '/containers/filler/logs?stdout=1&stderr=1' | tr -d '\000-\010' >"$dir/logs"
		echo "status=$(api GET /containers/filler/json | jq -r .State.Status)"
		# 3. Output logged on a full disk: written into the container's
		# stdout pipe from outside; once the pipe is empty the monitor has
		# read it, and once a second write is read the first is logged.
		ctr_pid=$(api GET /containers/filler/json | jq -r .State.Pid)
		mon_pid=$(cat "$run/hutch/containers/$id/monitor.pid")
		dd if=/dev/zero of="$store/filler" bs=4k 2>/dev/null
		python3 "$dir/feed.py" "$ctr_pid" "tick-$(head -c 8000 /dev/zero | tr '\0' x)"
		python3 "$dir/feed.py" "$ctr_pid" tick2
		rm "$store/filler"
		python3 "$dir/feed.py" "$ctr_pid" tock
		for i in $(seq 1 1200); do
			api GET '/containers/filler/logs?stdout=1' | grep -q tock && break
			sleep 0.05
		done
		echo "tock=$(api GET '/containers/filler/logs?stdout=1' | grep -c tock)"
		kill -0 "$mon_pid" && echo monitor=alive
		echo "full-status=$(api GET /containers/filler/json | jq -r .State.Status)"
		jq -e . "$store/hutch/containers/$id/ctr.log" >/dev/null && echo ctr-log=json
		grep -qF "hutch-${id:0:12}" /proc/[0-9]*/cmdline 2>/dev/null && echo overlay=alive
		# 4. The container ends while the disk is full: its monitor must
		# still record the end, with the room it kept aside at its start.
		[ -f "$store/hutch/containers/$id/state.reserve" ] && echo reserve=kept
		dd if=/dev/zero of="$store/filler" bs=4k 2>/dev/null
		echo "stop=$(code POST '/containers/filler/stop?t=1')"
		echo "stopped=$(api GET /containers/filler/json | jq -r .State.Status)"
		echo "exitcode=$(api GET /containers/filler/json | jq -r .State.ExitCode)"
		echo "state-file=$(jq -r .Status "$store/hutch/containers/$id/state.json")"
		[ -e "$store/hutch/containers/$id/state.reserve" ] || echo reserve=gone
		cp "$store/hutch/containers/$id/monitor.log" "$dir/monitor.log"
		echo "logs-after=$(api GET '/containers/filler/logs?stdout=1' | grep -c before)"
		rm "$store/filler"
		# 5. A start on a full store.
		dd if=/dev/zero of="$store/filler" bs=4k 2>/dev/null
		echo "start-full=$(code POST "/containers/$first/start")"
		echo "start-full-body=$(cat "$dir/body")"
		echo "start-full-status=$(api GET "/containers/$first/json" | jq -r .State.Status)"
		for i in $(seq 1 1200); do
			grep -qF "$first" /proc/[0-9]*/cmdline 2>/dev/null || break
			sleep 0.05
		done
		grep -qF "$first" /proc/[0-9]*/cmdline 2>/dev/null && echo start-full-left=yes
		echo "start-full-tmp=$(ls -A "$store/hutch/containers/$first" | grep -c '\.tmp')"
		rm "$store/filler"
		echo "start-freed=$(code POST "/containers/$first/start")"
		echo "remove=$(code DELETE /containers/filler)"
		echo "left=$(ls -A "$store/hutch/containers" | wc -l)"
	SH
	cat >"$BATS_TEST_TMPDIR/feed.py" <<-'PY'
		# feed.py PID TEXT: TEXT into PID's stdout pipe; returns once the
		# reader (the monitor) has taken everything out of the pipe.
		import array, fcntl, sys, termios, time
		with open(f"/proc/{sys.argv[1]}/fd/1", "wb", buffering=0) as pipe:
		    pipe.write(sys.argv[2].encode() + b"\n")
		    left = array.array("i", [1])
		    for _ in range(6000):
		        fcntl.ioctl(pipe, termios.FIONREAD, left)
		        if left[0] == 0:
		            break
		        time.sleep(0.01)
		    else:
		        sys.exit("the monitor does not read the container's output")
	PY
	run with_timeout 120 unshare -Urm bash "$BATS_TEST_TMPDIR/full.sh" "$BATS_TEST_TMPDIR" "$REGISTRY"
	echo "$output"
	cat "$BATS_TEST_TMPDIR/logs" || true
	cat "$BATS_TEST_TMPDIR/full.log" | tail -20 || true
	cat "$BATS_TEST_TMPDIR/monitor.log" || true
	[[ "$output" == *"create-full=50"[07]* ]]
	shopt -s nocasematch
	[[ "$output" == *"create-full-body="*"no space left on device"* ]]
	shopt -u nocasematch
	[[ "$output" == *"listed=0"* ]]
	[[ "$output" == *"dirs=0"* ]]
	[[ "$output" == *"create-freed=201"* ]]
	[[ "$output" == *"start=204"* ]]
	grep -q "No space left on device" "$BATS_TEST_TMPDIR/logs"
	grep -q "after" "$BATS_TEST_TMPDIR/logs"
	[[ "$output" == *"status=running"* ]]
	[[ "$output" == *"tock=1"* ]]
	[[ "$output" == *"monitor=alive"* ]]
	[[ "$output" == *"full-status=running"* ]]
	[[ "$output" == *"ctr-log=json"* ]]
	[[ "$output" == *"overlay=alive"* ]]
	[[ "$output" == *"reserve=kept"* ]]
	[[ "$output" == *"stop=204"* ]]
	[[ "$output" == *"stopped=exited"* ]]
	[[ "$output" == *"exitcode=137"* ]]
	[[ "$output" == *"state-file=exited"* ]]
	[[ "$output" == *"reserve=gone"* ]]
	[[ "$output" == *"logs-after=1"* ]]
	[[ "$output" == *"start-full=500"* ]]
	shopt -s nocasematch
	[[ "$output" == *"start-full-body="*"no space left on device"* ]]
	shopt -u nocasematch
	[[ "$output" == *"start-full-status=created"* ]]
	[[ "$output" != *"start-full-left=yes"* ]]
	[[ "$output" == *"start-full-tmp=0"* ]]
	[[ "$output" == *"start-freed=204"* ]]
	[[ "$output" == *"remove=204"* ]]
	[[ "$output" == *"left=1"* ]]
}
