#!/usr/bin/env bats
# The harness prepares the host as a distribution would; these tests check
# that each test mode really is what the other suites assume it is.
# modes: sub solo root userns

load ../helpers

@test "each mode runs with the identity it claims" {
	case $HUTCH_TEST_MODE in
	sub) [ "$(id -un)" = hutch-sub ] ;;
	solo) [ "$(id -un)" = hutch-solo ] ;;
	root | userns) [ "$(id -u)" = 0 ] ;;
	*) false ;;
	esac
}

@test "the user namespace of the mode maps what it should" {
	lines=$(wc -l </proc/self/uid_map)
	case $HUTCH_TEST_MODE in
	userns)
		[ "$lines" -ge 2 ]
		# root in here is hutch-sub outside
		[ "$(awk '$1 == 0 {print $2}' /proc/self/uid_map)" = "$(id -u hutch-sub)" ]
		;;
	*)
		# the initial user namespace maps all 2^32-1 ids
		[ "$(awk '{print $3}' /proc/self/uid_map)" = 4294967295 ]
		;;
	esac
}

@test "subordinate id ranges match the mode" {
	case $HUTCH_TEST_MODE in
	sub) grep -q '^hutch-sub:' /etc/subuid && grep -q '^hutch-sub:' /etc/subgid ;;
	solo) ! grep -q '^hutch-solo:' /etc/subuid && ! grep -q '^hutch-solo:' /etc/subgid ;;
	*) skip "no subordinate ids apply to root" ;;
	esac
}

@test "XDG_RUNTIME_DIR is private to the user" {
	[ -d "$XDG_RUNTIME_DIR" ]
	[ "$(stat -c %a "$XDG_RUNTIME_DIR")" = 700 ]
	[ -w "$XDG_RUNTIME_DIR" ]
}

@test "fuse and tun devices are usable by everyone" {
	[ -r /dev/fuse ] && [ -w /dev/fuse ]
	[ -r /dev/net/tun ] && [ -w /dev/net/tun ]
}

@test "the busybox rootfs fixture is complete" {
	[ -x "$BUSYBOX_ROOTFS/bin/busybox" ]
	[ "$(readlink "$BUSYBOX_ROOTFS/bin/sh")" = busybox ]
	grep -q '^root:x:0:0:' "$BUSYBOX_ROOTFS/etc/passwd"
}

@test "an unprivileged user namespace can be created" {
	run unshare --user --map-root-user id -u
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}
