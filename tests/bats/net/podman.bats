#!/usr/bin/env bats
# A real client: rootless podman 4.3 with `--network slirp4netns` and
# containers.conf's network_cmd_path pointing at hutch-slirp. podman finds
# the features by grepping --help, calls it with its own options (sandbox,
# seccomp, IPv6, path netns, exit and ready fds) and publishes ports through
# the API socket (port_handler=slirp4netns).
#
# SAFETY: network_cmd_path is a wrapper that adds an egress policy allowing
# only the host's loopback (10.0.2.2) to whatever podman passes; the
# containers only talk to 10.0.2.2 and the host only to 127.0.0.1.
# modes: sub

load ../helpers
load net-helpers

setup() {
	require_cmd podman runc busybox
	net_setup
	T=$BATS_TEST_TMPDIR
	cat >"$T/hutch-slirp-wrapper" <<EOF
#!/bin/sh
echo "\$\$ \$*" >>"$T/calls"
exec $(command -v hutch-slirp) --outbound-allow=10.0.2.2/32 "\$@"
EOF
	chmod 755 "$T/hutch-slirp-wrapper"
	cat >"$T/containers.conf" <<EOF
[engine]
network_cmd_path = "$T/hutch-slirp-wrapper"
events_logger = "file"
cgroup_manager = "cgroupfs"
EOF
	export CONTAINERS_CONF=$T/containers.conf
	PODMAN=(podman --root "$T/storage" --runroot "$T/run" --tmpdir "$T/tmp" --storage-driver vfs
		--runtime "$(command -v runc)" --cgroup-manager=cgroupfs --events-backend=file)
	tar -C "$BUSYBOX_ROOTFS" -c . | with_timeout 120 "${PODMAN[@]}" import - localhost/bb >/dev/null
}

teardown() {
	with_timeout 60 "${PODMAN[@]}" rm -a -f -t 0 >/dev/null 2>&1 || true
	net_teardown
	# The image layers belong to subordinate ids: remove them from inside.
	with_timeout 60 "${PODMAN[@]}" unshare rm -rf "$T/storage" "$T/run" 2>/dev/null || true
	end_podman_pause "$T/tmp"
}

@test "a podman container reaches a service on the host through 10.0.2.2" {
	mkdir -p "$T/www"
	echo hello-from-host >"$T/www/index.html"
	port=$(free_port)
	busybox httpd -f -p "127.0.0.1:$port" -h "$T/www" 3>&- &
	NET_PIDS+=("$!")
	run with_timeout 120 "${PODMAN[@]}" run --rm \
		--network slirp4netns:allow_host_loopback=true localhost/bb \
		wget -q -O- "http://10.0.2.2:$port/index.html"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *hello-from-host* ]]
	# podman really ran hutch-slirp, with its usual options.
	grep -q -- "--netns-type=path" "$T/calls"
	grep -q -- "-r 4" "$T/calls" || grep -q -- "-r " "$T/calls"
}

@test "podman publishes a container's port with -p through hutch-slirp's API" {
	port=$(free_port)
	run with_timeout 120 "${PODMAN[@]}" run -d --name web \
		--network slirp4netns:port_handler=slirp4netns -p "127.0.0.1:$port:8080" localhost/bb \
		sh -c 'echo hello-from-container >/tmp/index.html; exec httpd -f -p 8080 -h /tmp'
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q -- "--api-socket" "$T/calls"
	run wait_until 20 timeout 5 busybox wget -q -O "$T/got" "http://127.0.0.1:$port/index.html"
	[ "$status" -eq 0 ]
	grep -q hello-from-container "$T/got"
	# Stopping the container stops hutch-slirp (podman closes the exit fd).
	with_timeout 60 "${PODMAN[@]}" rm -f -t 0 web
	slirp=$(awk '/--api-socket/ { pid = $1 } END { print pid }' "$T/calls")
	[ -n "$slirp" ]
	run wait_until 10 eval "! kill -0 $slirp 2>/dev/null"
	[ "$status" -eq 0 ]
}
