#!/usr/bin/env bats
# Containers outlive hutchd: a kill -9 of hutchd and a restart find them
# running again; one that exits while hutchd is down is reported with its
# exit code (and removed, with AutoRemove); a monitor killed under a
# running container is reported as "monitor died"; a removal cut short is
# swept at the next start. Volumes keep their data and metadata across a
# restart and a kill -9 amid creates.
# modes: sub solo

load ../helpers
load ../images/lib/registry
load lib/ctr

setup_file() {
	require_cmd docker-registry skopeo python3 curl jq
	start_registry "$BATS_FILE_TMPDIR/registry"
	push_image busybox busybox:1
	export REGISTRY REGISTRY_PID REGISTRY_DIR IMAGE=$REGISTRY/busybox:1
}

setup() {
	start_hutchd
	api POST "/images/create?fromImage=$REGISTRY/busybox&tag=1" >/dev/null
}

teardown() {
	remove_all_containers
	stop_hutchd
}

teardown_file() {
	stop_sandbox
	stop_registry
}

lines_at_least() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

kill9_hutchd() {
	kill -9 "$HUTCHD_PID"
	wait "$HUTCHD_PID" 2>/dev/null || true
	HUTCHD_PID=
}

@test "a running container survives kill -9 of hutchd; list and wait see it after the restart" {
	local pid mon
	start_trapping survivor 'trap "exit 9" USR1'
	kill9_hutchd
	sleep 0.5
	kill -0 "$pid"
	kill -0 "$mon"
	start_hutchd
	run api GET /containers/json
	[ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
	[ "$(jq -r '.[0].State' <<<"$output")" = running ]
	[ "$(inspect survivor | jq -r .State.Pid)" = "$pid" ]
	local out=$BATS_TEST_TMPDIR/wait.out
	api POST /containers/survivor/wait -D "$BATS_TEST_TMPDIR/wait.h" >"$out" &
	local waiter=$!
	# (the wait is in place once its headers are out)
	wait_for 60 grep -q "^HTTP/1.1 200" "$BATS_TEST_TMPDIR/wait.h"
	call POST "/containers/survivor/kill?signal=USR1"
	[ "$code" = 204 ]
	wait "$waiter"
	[ "$(jq -r .StatusCode "$out")" = 9 ]
	[ "$(inspect survivor | jq -r .State.Status)" = exited ]
	wait_for 60 test ! -e "/proc/$mon"
}

@test "a graceful stop of hutchd leaves containers running too" {
	create calm sleep 100
	start calm
	local pid
	pid=$(inspect calm | jq -r .State.Pid)
	stop_hutchd
	kill -0 "$pid"
	start_hutchd
	[ "$(inspect calm | jq -r .State.Status)" = running ]
	call POST "/containers/calm/stop?t=0"
	[ "$code" = 204 ]
	[ "$(inspect calm | jq -r .State.ExitCode)" = 137 ]
}

@test "a container that exits while hutchd is down is reported with its exit code" {
	local pid mon
	start_trapping quick 'trap "exit 6" USR1'
	kill9_hutchd
	# The container's init runs as our own uid (root in the sandbox).
	kill -USR1 "$pid"
	wait_for 60 test ! -e "/proc/$mon"
	start_hutchd
	run inspect quick
	[ "$(jq -r .State.Status <<<"$output")" = exited ]
	[ "$(jq -r .State.ExitCode <<<"$output")" = 6 ]
	[ "$(wait_exit quick)" = 6 ]
	[[ "$(api GET '/containers/json?all=1' | jq -r '.[0].Status')" == "Exited (6) "* ]]
	# And it starts again.
	start quick
	[ "$(inspect quick | jq -r .State.Status)" = running ]
}

@test "an AutoRemove container that exits while hutchd is down is removed at the start" {
	local pid mon
	CTR_EXTRA='{"HostConfig":{"AutoRemove":true}}' start_trapping autogone 'trap "exit 0" USR1'
	kill9_hutchd
	kill -USR1 "$pid"
	wait_for 60 test ! -e "/proc/$mon"
	[ -d "$XDG_DATA_HOME/hutch/containers/$id" ]
	start_hutchd
	call GET "/containers/$id/json"
	[ "$code" = 404 ]
	[ ! -e "$XDG_DATA_HOME/hutch/containers/$id" ]
}

@test "a monitor killed under its container is reported as exited 255, monitor died" {
	create orphan sleep 100
	start orphan
	local pid mon
	pids_of orphan
	kill -9 "$mon"
	kill -9 "$pid" 2>/dev/null || true
	wait_for 60 status_is orphan exited
	run inspect orphan
	[ "$(jq -r .State.ExitCode <<<"$output")" = 255 ]
	[ "$(jq -r .State.Error <<<"$output")" = "monitor died" ]
	[ "$(jq -r .Status "$XDG_DATA_HOME/hutch/containers/$id/state.json")" = exited ]
	[ "$(wait_exit orphan)" = 255 ]
}

@test "a monitor killed under its container leaves no overlay mount or process behind" {
	create orphan sleep 100
	start orphan
	local pid mon
	pids_of orphan
	[ -n "$(our_mounts)" ]
	kill -9 "$mon"
	kill -9 "$pid" 2>/dev/null || true
	wait_for 60 status_is orphan exited
	[ -z "$(our_mounts)" ]
	wait_for 60 no_processes
	call DELETE "/containers/$id"
	[ "$code" = 204 ]
	[ ! -e "$XDG_DATA_HOME/hutch/containers/$id" ]
}

@test "a monitor that died while hutchd was down is settled at the start" {
	create lost sleep 100
	start lost
	local pid mon
	pids_of lost
	kill9_hutchd
	kill -9 "$mon"
	kill -9 "$pid" 2>/dev/null || true
	wait_for 60 test ! -e "/proc/$mon"
	start_hutchd
	run inspect lost
	[ "$(jq -r .State.Status <<<"$output")" = exited ]
	[ "$(jq -r .State.ExitCode <<<"$output")" = 255 ]
	[ "$(jq -r .State.Error <<<"$output")" = "monitor died" ]
}

@test "a removal cut short is swept at the next start; names come back from container.json" {
	create named true
	local keep=$id
	stop_hutchd
	local junk=$XDG_DATA_HOME/hutch/containers/.removing-0123456789abcdef
	mkdir -p "$junk/upper/dir"
	echo x >"$junk/upper/dir/file"
	chmod 0500 "$junk/upper/dir"
	start_hutchd
	[ ! -e "$junk" ]
	[ "$(inspect named | jq -r .Id)" = "$keep" ]
	create_json named "{\"Image\":\"$IMAGE\"}"
	[ "$code" = 409 ]
}

@test "volumes and their data survive a restart, and a kill -9 of hutchd amid creates" {
	call POST /volumes/create -d '{"Name":"kept","Labels":{"a":"b"}}'
	local before=$body
	CTR_EXTRA='{"HostConfig":{"Binds":["kept:/k"]}}' create w sh -c 'echo persisted >/k/f'
	start w
	[ "$(wait_exit w)" = 0 ]
	api DELETE /containers/w >/dev/null
	stop_hutchd
	start_hutchd
	[ "$(api GET /volumes/kept)" = "$before" ]
	[ "$(cat "$XDG_DATA_HOME/hutch/volumes/kept/_data/f")" = persisted ]

	# Creates one after another; hutchd is killed while they go on.
	local vols=$XDG_DATA_HOME/hutch/volumes
	local made=$BATS_TEST_TMPDIR/made
	: >"$made"
	(
		for i in $(seq 1 400); do
			c=$(api POST /volumes/create -H 'Content-Type: application/json' \
				-d "{\"Name\":\"k$i\",\"Labels\":{\"n\":\"$i\"}}" -o /dev/null -w '%{http_code}')
			[ "$c" = 201 ] || break
			echo "k$i" >>"$made"
		done
	) &
	local loop=$!
	wait_until 60 lines_at_least "$made" 10
	kill9_hutchd
	wait "$loop" || true
	# what a crash cuts short looks like this: swept at the next start
	mkdir -p "$vols/.tmp-cut-AbC123/_data" "$vols/.removing-gone-XyZ789/_data"
	touch "$vols/.tmp-cut-AbC123/volume.json.tmp.1"
	start_hutchd
	local n=0 v
	for v in $(cat "$made"); do
		call GET "/volumes/$v"
		[ "$code" = 200 ]
		[ "$(jq -r .Labels.n <<<"$body")" = "${v#k}" ]
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
	# every volume in the store is whole: listed with its metadata
	for v in $(ls "$vols"); do
		[ -f "$vols/$v/volume.json" ]
		[ -d "$vols/$v/_data" ]
	done
	[ -z "$(ls -A "$vols" | grep '^\.')" ]
	[ "$(api GET /volumes | jq '.Volumes | length')" = "$(ls "$vols" | wc -l)" ]
}
