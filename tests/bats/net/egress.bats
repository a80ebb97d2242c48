#!/usr/bin/env bats
# The egress policy (--outbound-allow): what is not allowed never reaches
# slirp, the guest's connect fails at once, and the refusal is logged once
# per destination.
#
# SAFETY: the refused destination is always 10.0.2.2 (the host's loopback)
# or fd00::2, with an allow list that does not contain it. Were the filter
# broken, the packet would reach the host's 127.0.0.1 or ::1, which is
# harmless; nothing here can make traffic leave the machine.
# modes: sub solo

load ../helpers
load net-helpers

setup() {
	net_setup
}

teardown() {
	net_teardown
}

@test "a TCP connection outside the allow list is refused at once and logged once" {
	start_guest
	# Only a network the guest cannot reach anyway is allowed.
	start_slirp --configure --disable-dns --outbound-allow=127.0.0.0/8 "$GUEST_PID" tap0
	port=$(free_port)
	start_echo tcp 127.0.0.1 "$port"
	for i in 1 2 3; do
		run in_guest net-echo send tcp 10.0.2.2 "$port" should-not-arrive --timeout 5
		[ "$status" -ne 0 ]
		[[ $output != *SHOULD-NOT-ARRIVE* ]]
		# ICMP "administratively prohibited": refused, not timed out.
		[[ $output == *"No route to host"* ]]
	done
	[ "$(grep -c "egress: denied tcp 10.0.2.2:$port" "$SLIRP_LOG")" -eq 1 ]
}

@test "the same service is reachable once the host loopback is allowed" {
	start_guest
	start_slirp --configure --disable-dns --outbound-allow=10.0.2.2/32 "$GUEST_PID" tap0
	port=$(free_port)
	start_echo tcp 127.0.0.1 "$port"
	run in_guest net-echo send tcp 10.0.2.2 "$port" allowed --timeout 10
	[ "$status" -eq 0 ]
	[ "$output" = ALLOWED ]
	! grep -q "egress: denied" "$SLIRP_LOG"
}

@test "UDP outside the allow list is dropped and logged once per destination" {
	start_guest
	start_slirp --configure --disable-dns --outbound-allow=127.0.0.0/8 "$GUEST_PID" tap0
	port=$(free_port)
	port2=$(free_port)
	start_echo udp 127.0.0.1 "$port"
	for i in 1 2; do
		run in_guest net-echo send udp 10.0.2.2 "$port" nope --timeout 2
		[ "$status" -ne 0 ]
	done
	run in_guest net-echo send udp 10.0.2.2 "$port2" nope --timeout 2
	[ "$(grep -c "egress: denied udp 10.0.2.2:$port " "$SLIRP_LOG")" -eq 1 ]
	[ "$(grep -c "egress: denied udp 10.0.2.2:$port2 " "$SLIRP_LOG")" -eq 1 ]
}

@test "IPv6 outside the allow list is refused too" {
	start_guest
	start_slirp --configure --disable-dns --enable-ipv6 --outbound-allow=10.0.2.2/32 \
		"$GUEST_PID" tap0
	port=$(free_port)
	start_echo tcp ::1 "$port"
	run in_guest net-echo send tcp fd00::2 "$port" nope --timeout 5
	[ "$status" -ne 0 ]
	[[ $output != *NOPE* ]]
	grep -q "egress: denied tcp \[fd00::2\]:$port" "$SLIRP_LOG"
}
