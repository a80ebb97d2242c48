#!/usr/bin/env bats
# Volumes across restarts of hutchd: their data and metadata survive a
# restart, and a kill -9 while volumes are being created loses none that
# was answered and leaves no half volume (a hutchd per test, as in
# restart.bats).
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

vcreate() {
	call POST /volumes/create -H 'Content-Type: application/json' -d "$1"
}

vdir() {
	echo "$XDG_DATA_HOME/hutch/volumes/$1"
}

lines_at_least() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

@test "volumes and their data survive a restart, and a kill -9 of hutchd amid creates" {
	vcreate '{"Name":"kept","Labels":{"a":"b"}}'
	local before=$body
	CTR_EXTRA='{"HostConfig":{"Binds":["kept:/k"]}}' create w sh -c 'echo persisted >/k/f'
	start w
	[ "$(wait_exit w)" = 0 ]
	api DELETE /containers/w >/dev/null
	stop_hutchd
	start_hutchd
	[ "$(api GET /volumes/kept)" = "$before" ]
	[ "$(cat "$(vdir kept)/_data/f")" = persisted ]

	# Creates one after another; hutchd is killed while they go on.
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
	kill -9 "$HUTCHD_PID"
	wait "$HUTCHD_PID" 2>/dev/null || true
	HUTCHD_PID=
	wait "$loop" || true
	# what a crash cuts short looks like this: swept at the next start
	mkdir -p "$(vdir .tmp-cut-AbC123)/_data" "$(vdir .removing-gone-XyZ789)/_data"
	touch "$(vdir .tmp-cut-AbC123)/volume.json.tmp.1"
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
	for v in $(ls "$XDG_DATA_HOME/hutch/volumes"); do
		[ -f "$(vdir "$v")/volume.json" ]
		[ -d "$(vdir "$v")/_data" ]
	done
	[ -z "$(ls -A "$XDG_DATA_HOME/hutch/volumes" | grep '^\.')" ]
	[ "$(api GET /volumes | jq '.Volumes | length')" = "$(ls "$XDG_DATA_HOME/hutch/volumes" | wc -l)" ]
}
