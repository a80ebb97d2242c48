#!/usr/bin/env bats
# A real client: podman (Debian's 4.3) with hutch-oci as its runtime, as
# the unprivileged user. podman's default runtime (crun 1.8) refuses this
# kind of hybrid-cgroup host, hence --runtime. Storage is per test file
# (vfs, no FUSE needed), networking is off: no traffic leaves the test.
# modes: sub solo

load ../helpers

bats_require_minimum_version 1.5.0

setup_file() {
	command -v podman >/dev/null || return 0
	export PODMAN_DIR=$BATS_FILE_TMPDIR/podman
	export HOME=$PODMAN_DIR/home XDG_CONFIG_HOME=$PODMAN_DIR/home/.config
	mkdir -p "$HOME" "$XDG_CONFIG_HOME"
	tar -C "$BUSYBOX_ROOTFS" -c . | pm import - localhost/hutch-busybox >/dev/null
}

teardown_file() {
	command -v podman >/dev/null || return 0
	pm rm -a -f -t 0 >/dev/null 2>&1 || true
	# vfs layers belong to subordinate ids: remove them from podman's
	# user namespace.
	pm unshare rm -rf "$PODMAN_DIR/storage" "$PODMAN_DIR/runroot" >/dev/null 2>&1 || true
	end_podman_pause "$PODMAN_DIR/tmp"
}

setup() {
	require_cmd podman hutch-oci
	NAME=hp-$BATS_TEST_NUMBER-$$
}

teardown() {
	pm rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
}

# pm ARGS...: podman with per-file storage and hutch-oci, time-bounded.
pm() {
	with_timeout 120 podman --root "$PODMAN_DIR/storage" --runroot "$PODMAN_DIR/runroot" \
		--tmpdir "$PODMAN_DIR/tmp" --storage-driver vfs --cgroup-manager=cgroupfs --events-backend=file \
		--runtime "$(command -v hutch-oci)" "$@"
}

@test "podman run --rm through hutch-oci" {
	run pm run --rm --network none localhost/hutch-busybox echo hi
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = hi ]
}

@test "podman run --rm -t through hutch-oci gets a terminal" {
	run pm run --rm -t --network none localhost/hutch-busybox sh -c 'tty && echo tty-ok'
	[ "$status" -eq 0 ]
	[[ $output == */dev/pts/* ]]
	[[ $output == *tty-ok* ]]
}

@test "podman passes the container's exit code through" {
	run pm run --rm --network none localhost/hutch-busybox sh -c 'exit 3'
	[ "$status" -eq 3 ]
}

@test "podman maps hutch-oci's errors to 127 (not found) and 126 (not executable)" {
	run -127 pm run --rm --network none localhost/hutch-busybox /no/such/program
	run -126 pm run --rm --network none localhost/hutch-busybox /etc/passwd
}

@test "podman exec into a running container" {
	run pm run -d --name "$NAME" --network none localhost/hutch-busybox sleep 100
	[ "$status" -eq 0 ]
	run pm exec "$NAME" sh -c 'echo exec-ok'
	[ "$status" -eq 0 ]
	[[ $output == *exec-ok* ]]
	# (the start returns once the init is told to exec, maybe before it did)
	init_sleeps() { pm exec "$NAME" cat /proc/1/comm | grep -qx sleep; }
	wait_until 60 init_sleeps
	run pm exec -t "$NAME" tty
	[ "$status" -eq 0 ]
	[[ $output == */dev/pts/* ]]
	run pm exec "$NAME" sh -c 'exit 4'
	[ "$status" -eq 4 ]
	run pm rm -f -t 0 "$NAME"
	[ "$status" -eq 0 ]
}

@test "podman stop and ps see the container's state through hutch-oci" {
	run pm run -d --name "$NAME" --network none localhost/hutch-busybox sleep 100
	[ "$status" -eq 0 ]
	run pm ps --format '{{.Names}} {{.Status}}'
	[[ $output == *"$NAME Up"* ]]
	run pm stop -t 1 "$NAME"
	[ "$status" -eq 0 ]
	run pm ps -a --format '{{.Names}} {{.Status}}'
	[[ $output == *"$NAME Exited"* ]]
}
