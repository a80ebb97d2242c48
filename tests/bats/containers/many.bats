#!/usr/bin/env bats
# Many containers: 50 started at once all run and are removed at once;
# 50 created, started, waited for and removed through the API, and 200
# `hutch run --rm` in a row, leave no mounts, processes, file descriptors
# or directories behind. (200 runs show a leak of even one run in fifty;
# the 500 runs and 100 cycles of earlier sessions cost CI 40 s per mode,
# and the runs and the cycles share their code.)
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

@test "50 containers started at once all run and are cleaned up" {
	local i ids=()
	for i in $(seq 1 50); do
		create "many$i" sleep 300
		ids+=("$id")
	done
	local pids=()
	for i in $(seq 1 50); do
		api POST "/containers/many$i/start" -w '%{http_code}\n' -o /dev/null >"$BATS_TEST_TMPDIR/start$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	cat "$BATS_TEST_TMPDIR"/start*
	[ "$(cat "$BATS_TEST_TMPDIR"/start* | sort -u)" = 204 ]
	[ "$(api GET /containers/json | jq length)" = 50 ]
	pids=()
	for i in $(seq 1 50); do
		api DELETE "/containers/many$i?force=1" -w '%{http_code}\n' -o /dev/null >"$BATS_TEST_TMPDIR/rm$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	[ "$(cat "$BATS_TEST_TMPDIR"/rm* | sort -u)" = 204 ]
	[ "$(api GET "/containers/json?all=1" | jq length)" = 0 ]
	[ -z "$(ctr_dirs)" ]
	wait_for 60 no_processes
	[ -z "$(our_mounts)" ]
}

@test "50 create/start/wait/rm in a row leave no mounts, processes, fds or directories" {
	# Warm up: the sandbox, lazily loaded libraries and threads exist.
	create warm true
	start warm
	wait_exit warm >/dev/null
	api DELETE /containers/warm >/dev/null
	# The monitor unmounts a rootfs as it ends, which may come a moment
	# after the delete's reply: the baseline is taken without it.
	wait_for 60 no_mounts
	local fds_before mounts_before i
	fds_before=$(hutchd_fds)
	mounts_before=$(sandbox_mounts | tee "$BATS_TEST_TMPDIR/mounts-before" | wc -l)
	local t0=$SECONDS
	for i in $(seq 1 50); do
		create "loop$i" sh -c "exit $((i % 7))"
		start "$id"
		[ "$(wait_exit "$id")" = $((i % 7)) ]
		call DELETE "/containers/$id"
		[ "$code" = 204 ]
	done
	echo "# 50 cycles in $((SECONDS - t0)) s" >&3
	echo "fds $fds_before -> $(hutchd_fds)"
	# (a connection's descriptor goes a moment after its reply)
	wait_for 60 fds_at_most $((fds_before + 1))
	wait_for 60 no_mounts
	wait_for 60 mounts_at_most "$mounts_before" ||
		{ sandbox_mounts | diff "$BATS_TEST_TMPDIR/mounts-before" - || true; false; }
	wait_for 60 no_processes
	[ -z "$(ctr_dirs)" ]
	[ -z "$(ls -A "$XDG_RUNTIME_DIR/hutch/containers")" ]
}

# hutchd's open file descriptors and threads.
hutchd_fds() { ls "/proc/$HUTCHD_PID/fd" | wc -l; }
hutchd_threads() { awk '/^Threads:/ {print $2}' "/proc/$HUTCHD_PID/status"; }

@test "200 hutch run --rm in a row leave no mounts, processes, fds, threads or files" {
	export HUTCH_SOCKET
	# Warm up, then take the baseline.
	hutch run --rm --network none "$IMAGE" true
	wait_for 60 no_mounts
	local fds_before threads_before mounts_before i code t0=$SECONDS
	fds_before=$(hutchd_fds)
	threads_before=$(hutchd_threads)
	mounts_before=$(sandbox_mounts | tee "$BATS_TEST_TMPDIR/mounts-before" | wc -l)
	for i in $(seq 1 200); do
		code=0
		hutch run --rm --network none "$IMAGE" sh -c "exit $((i % 5))" || code=$?
		[ "$code" = $((i % 5)) ] || { echo "run $i exited $code"; false; }
	done
	echo "# 200 runs in $((SECONDS - t0)) s" >&3
	echo "fds $fds_before -> $(hutchd_fds), threads $threads_before -> $(hutchd_threads)"
	wait_for 60 fds_at_most $((fds_before + 1))
	wait_for 60 threads_at_most "$threads_before"
	wait_for 60 no_mounts
	wait_for 60 mounts_at_most "$mounts_before" ||
		{ sandbox_mounts | diff "$BATS_TEST_TMPDIR/mounts-before" - || true; false; }
	wait_for 60 no_processes
	[ -z "$(ctr_dirs)" ]
	[ -z "$(ls -A "$XDG_RUNTIME_DIR/hutch/containers")" ]
	[ "$(api GET "/containers/json?all=1" | jq length)" = 0 ]
}

threads_at_most() {
	[ "$(hutchd_threads)" -le "$1" ]
}

# The sandbox's mounts (source, mount point, type): a container's own go
# with its monitor, which can end a moment after the reply to its delete;
# fewer than before is no leak.
sandbox_mounts() { cut -d' ' -f4,5,9 "/proc/$(sandbox_pid)/mountinfo"; }
mounts_at_most() { [ "$(sandbox_mounts | wc -l)" -le "$1" ]; }

no_mounts() {
	[ -z "$(our_mounts)" ]
}

fds_at_most() {
	[ "$(hutchd_fds)" -le "$1" ]
}
