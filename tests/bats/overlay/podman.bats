#!/usr/bin/env bats
# hutch-overlay as podman's mount program (overlay.mount_program), run by
# the unprivileged test user.
# modes: sub solo

load ../helpers

setup() {
	require_cmd podman hutch-overlay
	RUNC=$(command -v runc || true)
	[ -n "$RUNC" ] || RUNC=/usr/sbin/runc
	[ -x "$RUNC" ] || skip "runc is not installed"
	T=$BATS_TEST_TMPDIR
	chmod 755 "$T"
	mkdir -p "$T/home"
	export HOME=$T/home
	P=(podman --root "$T/storage" --runroot "$T/run" --tmpdir "$T/tmp"
		--storage-driver overlay
		--storage-opt "overlay.mount_program=$(command -v hutch-overlay)"
		--runtime "$RUNC" --cgroup-manager=cgroupfs --events-backend=file)
	tar -C "$BUSYBOX_ROOTFS" -c . | with_timeout 120 "${P[@]}" import - localhost/bb >/dev/null
}

teardown() {
	[ -n "${P:-}" ] || return 0
	with_timeout 60 "${P[@]}" rm -a -f >/dev/null 2>&1 || true
	with_timeout 60 "${P[@]}" rmi -a -f >/dev/null 2>&1 || true
	# Storage files belong to subordinate ids: remove them from inside.
	with_timeout 60 "${P[@]}" unshare rm -rf "$T/storage" "$T/run" >/dev/null 2>&1 || true
	end_podman_pause "$T/tmp"
}

@test "podman runs a container on hutch-overlay" {
	run with_timeout 120 "${P[@]}" run --rm --network none localhost/bb sh -c '
		grep " / / " /proc/self/mountinfo
		echo written > /new-file && cat /new-file
		mv /bin /bin-renamed && /bin-renamed/busybox echo renamed-dir-ok
		/bin-renamed/busybox ls /etc/passwd'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"fuse.hutch-overlay"* ]]
	[[ "$output" == *written* ]]
	[[ "$output" == *renamed-dir-ok* ]]
	[[ "$output" == */etc/passwd* ]]
}

@test "a container's changes persist in its upper layer across restarts" {
	run with_timeout 120 "${P[@]}" create --name keep --network none localhost/bb sh -c 'cat /state 2>/dev/null; echo run >> /state; rm -f /etc/hostname.bak'
	[ "$status" -eq 0 ]
	run with_timeout 120 "${P[@]}" start --attach keep
	[ "$status" -eq 0 ]
	run with_timeout 120 "${P[@]}" start --attach keep
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = run ]
}
