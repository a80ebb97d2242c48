#!/usr/bin/env bats
# --enable-sandbox and --enable-seccomp: the process really is confined
# (empty read-only root, no capabilities, a seccomp filter) and still does
# its whole job: the guest reaches the host, ports are published through
# slirp and through the socket forwarder, the API answers.
# Mode solo is covered by basic.bats and egress.bats: subordinate ids
# play no part in hutch-slirp.
# modes: sub

load ../helpers
load net-helpers

setup() {
	net_setup
	start_guest
}

teardown() {
	net_teardown
}

@test "the sandboxed process has an empty root, no capabilities and a seccomp filter" {
	start_slirp_safe --enable-sandbox --enable-seccomp --api-socket="$API"
	status_file=/proc/$SLIRP_PID/status
	grep -E '^Seccomp:[[:space:]]+2$' "$status_file"
	grep -E '^NoNewPrivs:[[:space:]]+1$' "$status_file"
	grep -E '^CapEff:[[:space:]]+0+$' "$status_file"
	grep -E '^CapBnd:[[:space:]]+0+$' "$status_file"
	# Its root holds /etc/resolv.conf and nothing else.
	run ls -A "/proc/$SLIRP_PID/root/"
	[ "$output" = etc ]
	run ls -A "/proc/$SLIRP_PID/root/etc"
	[ "$output" = resolv.conf ]
	# It is in a mount namespace of its own.
	[ "$(readlink "/proc/$SLIRP_PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
	# The helper inside the container's namespaces is confined too.
	helper=$(pgrep -P "$SLIRP_PID")
	[ -n "$helper" ]
	[ "$(readlink "/proc/$helper/ns/net")" = "$(readlink "/proc/$GUEST_PID/ns/net")" ]
	grep -E '^Seccomp:[[:space:]]+2$' "/proc/$helper/status"
	grep -E '^CapEff:[[:space:]]+0+$' "/proc/$helper/status"
}

@test "sandboxed with seccomp, traffic still flows both ways and the API works" {
	start_slirp_safe --enable-ipv6 --enable-sandbox --enable-seccomp --api-socket="$API"
	port=$(free_port)
	start_echo udp 127.0.0.1 "$port"
	start_echo tcp 127.0.0.1 "$port"
	run in_guest net-echo send tcp 10.0.2.2 "$port" sandboxed --timeout 10
	[ "$output" = SANDBOXED ]
	run in_guest net-echo send udp 10.0.2.2 "$port" sandboxed-udp --timeout 5
	[ "$output" = SANDBOXED-UDP ]

	gport=$(free_port)
	p1=$(free_port)
	p2=$(free_port)
	start_echo in_guest tcp :: "$gport"
	api "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$p1,\"guest_port\":$gport}}"
	[ "$output" = '{"return":{"id":1}}' ]
	api "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"::1\",\"host_port\":$p2,\"guest_port\":$gport,\"mode\":\"socket\"}}"
	[ "$output" = '{"return":{"id":2}}' ]
	run net-echo send tcp 127.0.0.1 "$p1" slirp-published --timeout 10
	[ "$output" = SLIRP-PUBLISHED ]
	run net-echo send tcp ::1 "$p2" --bytes 8388608 --timeout 20
	[ "$status" -eq 0 ]
	api '{"execute":"remove_hostfwd","arguments":{"id":2}}'
	[ "$output" = '{"return":{}}' ]
	# An error path under seccomp: a bad request still gets its answer.
	api '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":65536,"guest_port":1}}'
	[[ $output == *'"error"'* ]]
}

@test "the sandboxed process removes its API socket and exits with the target" {
	start_slirp_safe --enable-sandbox --enable-seccomp --api-socket="$API"
	[ -S "$API" ]
	kill "$GUEST_PID"
	timeout 5 tail --pid="$SLIRP_PID" -f /dev/null
	[ ! -e "$API" ]
	grep -q "target process exited" "$SLIRP_LOG"
}
