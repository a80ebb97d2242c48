#!/usr/bin/env bats
# hutch-slirp as a container's network: the command line slirp4netns's
# callers rely on, the configured interface, the guest reaching the host's
# loopback through 10.0.2.2 (TCP, UDP, IPv6), host loopback disabled, and
# the three ways it ends (exit fd, target exit, signal).
# modes: sub solo

load ../helpers
load net-helpers

setup() {
	net_setup
}

teardown() {
	net_teardown
}

@test "--help names every option podman and RootlessKit look for" {
	run hutch-slirp --help
	[ "$status" -eq 0 ]
	for opt in --disable-host-loopback --mtu --enable-sandbox --enable-seccomp --cidr \
		--outbound-addr --enable-ipv6 --netns-type --api-socket --userns-path \
		--disable-dns --macaddress --ready-fd --exit-fd --configure; do
		[[ $output == *"$opt"* ]] || { echo "missing $opt"; false; }
	done
	run hutch-slirp --version
	[ "$status" -eq 0 ]
	[[ $output == *libslirp* ]]
}

@test "bad command lines are refused with a message" {
	run hutch-slirp
	[ "$status" -eq 1 ]
	[[ $output == *"missing PID"* ]]
	run hutch-slirp --mtu=70000 1
	[ "$status" -eq 1 ]
	[[ $output == *"invalid MTU"* ]]
	run hutch-slirp --cidr=10.0.2.7/24 1
	[ "$status" -eq 1 ]
	run hutch-slirp --no-such-option 1
	[ "$status" -eq 1 ]
}

@test "a target that does not exist is an error, not a hang" {
	run with_timeout 10 hutch-slirp --configure 999999999 tap0
	[ "$status" -eq 1 ]
	[[ $output == *999999999* ]]
}

@test "--configure brings up lo and the TAP with address, route and MTU 65520" {
	start_guest
	start_slirp_safe
	run in_guest ip -o addr show dev tap0
	[[ $output == *"10.0.2.100/24"* ]]
	run in_guest ip route show default
	[[ $output == *"via 10.0.2.2 dev tap0"* ]]
	run in_guest ip -o link show dev tap0
	[[ $output == *" mtu 65520 "* ]]
	run in_guest ip -o link show dev lo
	[[ $output == *"UP"* ]]
}

@test "--mtu, --cidr and --macaddress are applied" {
	start_guest
	start_slirp --configure --disable-dns --mtu=9000 --cidr=10.0.5.0/24 \
		--macaddress=02:11:22:33:44:55 --outbound-allow=10.0.5.2/32 "$GUEST_PID" eth7
	run in_guest ip -o link show dev eth7
	[[ $output == *" mtu 9000 "* ]]
	[[ $output == *"link/ether 02:11:22:33:44:55 "* ]]
	run in_guest ip -o addr show dev eth7
	[[ $output == *"10.0.5.100/24"* ]]
	run in_guest ip route show default
	[[ $output == *"via 10.0.5.2"* ]]
}

@test "called as slirp4netns the default MTU is slirp4netns's 1500" {
	ln -s "$(command -v hutch-slirp)" "$BATS_TEST_TMPDIR/slirp4netns"
	start_guest
	local ready=$BATS_TEST_TMPDIR/ready4
	"$BATS_TEST_TMPDIR/slirp4netns" --configure --disable-dns "${NET_ALLOW[@]}" -r 9 \
		"$GUEST_PID" tap0 9>"$ready" >>"$SLIRP_LOG" 2>&1 3>&- &
	NET_PIDS+=("$!")
	wait_until 15 file_has_content "$ready"
	run in_guest ip -o link show dev tap0
	[[ $output == *" mtu 1500 "* ]]
}

@test "the guest reaches a TCP service on the host's 127.0.0.1 through 10.0.2.2" {
	start_guest
	start_slirp_safe
	port=$(free_port)
	start_echo tcp 127.0.0.1 "$port"
	run in_guest net-echo send tcp 10.0.2.2 "$port" hello-tcp --timeout 10
	[ "$status" -eq 0 ]
	[ "$output" = HELLO-TCP ]
	# A megabyte each way, checked byte for byte.
	run in_guest net-echo send tcp 10.0.2.2 "$port" --bytes 1048576 --timeout 20
	[ "$status" -eq 0 ]
}

# The bulk tests stop hutch-slirp cleanly (SIGTERM), so its --debug
# counters are in the log. Host-to-guest bursts of slirp's segments reach
# the guest merged into GSO frames (net/gso.h); guest-to-host bursts come
# as large segments the guest's kernel left uncut, checksums completed by
# hutch-slirp (net/offload.h).
segments_merged() {
	sed -n 's/.*segments merged into GSO frames \([0-9]*\).*/\1/p' "$SLIRP_LOG" | tail -n 1
}

segments_from_guest() {
	sed -n 's/.*large segments from the guest \([0-9]*\).*/\1/p' "$SLIRP_LOG" | tail -n 1
}

stop_slirp() {
	kill -TERM "$SLIRP_PID"
	wait_until 10 slirp_gone
}

slirp_gone() { ! kill -0 "$SLIRP_PID" 2>/dev/null; }

@test "at MTU 1500, 4 MiB each way arrive intact in large segments and GSO frames" {
	start_guest
	start_slirp_safe --mtu 1500 --debug
	port=$(free_port)
	start_echo tcp 127.0.0.1 "$port"
	run in_guest net-echo send tcp 10.0.2.2 "$port" --bytes 4194304 --timeout 30
	[ "$status" -eq 0 ]
	stop_slirp
	merged=$(segments_merged)
	[ -n "$merged" ] && [ "$merged" -gt 0 ]
	uncut=$(segments_from_guest)
	[ -n "$uncut" ] && [ "$uncut" -gt 0 ]
}

@test "IPv6: 4 MiB each way arrive intact through GSO frames, at MTU 1500 and 65520" {
	for mtu in 1500 65520; do
		: >"$SLIRP_LOG"
		start_guest
		start_slirp_safe --enable-ipv6 --mtu "$mtu" --debug
		port=$(free_port)
		start_echo tcp ::1 "$port"
		run in_guest net-echo send tcp fd00::2 "$port" --bytes 4194304 --timeout 30
		[ "$status" -eq 0 ]
		stop_slirp
		merged=$(segments_merged)
		[ -n "$merged" ]
		# At 1500 a window is dozens of segments, so bursts merge. At
		# 65520 two full 32 KiB segments exceed one IP packet, and
		# whether a burst merges depends on the window's timing.
		[ "$mtu" != 1500 ] || [ "$merged" -gt 0 ]
	done
}

@test "the guest reaches a UDP service on the host's 127.0.0.1 through 10.0.2.2" {
	start_guest
	start_slirp_safe
	port=$(free_port)
	start_echo udp 127.0.0.1 "$port"
	run in_guest net-echo send udp 10.0.2.2 "$port" hello-udp --timeout 5
	[ "$status" -eq 0 ]
	[ "$output" = HELLO-UDP ]
}

@test "a 60000-byte UDP datagram crosses slirp both ways at MTU 65520" {
	# slirp sends TCP in segments below 32 KiB at this MTU (see loop.c);
	# a datagram larger than that still reaches the guest, in fragments.
	start_guest
	start_slirp_safe
	port=$(free_port)
	start_echo udp 127.0.0.1 "$port"
	big=$(head -c 60000 /dev/zero | tr '\0' x)
	run in_guest net-echo send udp 10.0.2.2 "$port" "$big" --timeout 5
	[ "$status" -eq 0 ]
	[ "${#output}" -eq 60000 ]
	[ "$output" = "${big^^}" ]
}

@test "--disable-host-loopback keeps the guest away from the host's loopback" {
	start_guest
	start_slirp_safe --disable-host-loopback
	port=$(free_port)
	start_echo tcp 127.0.0.1 "$port"
	run in_guest net-echo send tcp 10.0.2.2 "$port" hello --timeout 3
	[ "$status" -ne 0 ]
	[[ $output != *HELLO* ]]
}

@test "IPv6: fd00::100/64 is configured and the guest reaches the host's ::1 through fd00::2" {
	start_guest
	start_slirp_safe --enable-ipv6
	# Usable at once: no duplicate address detection to wait for.
	run in_guest ip -o -6 addr show dev tap0 to fd00::100/64
	[[ $output == *"fd00::100/64"* ]]
	[[ $output != *tentative* ]]
	port=$(free_port)
	start_echo tcp ::1 "$port"
	run in_guest net-echo send tcp fd00::2 "$port" hello-six --timeout 10
	[ "$status" -eq 0 ]
	[ "$output" = HELLO-SIX ]
}

@test "the ready fd gets exactly \"1\" and is closed" {
	start_guest
	mkfifo "$BATS_TEST_TMPDIR/ready-fifo"
	hutch-slirp --configure --disable-dns "${NET_ALLOW[@]}" --ready-fd=7 "$GUEST_PID" tap0 \
		7>"$BATS_TEST_TMPDIR/ready-fifo" >>"$SLIRP_LOG" 2>&1 3>&- &
	NET_PIDS+=("$!")
	# cat ends only when every copy of the writing end is closed.
	run with_timeout 15 cat "$BATS_TEST_TMPDIR/ready-fifo"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	kill -0 "${NET_PIDS[-1]}"
}

@test "it exits when the exit fd is closed" {
	start_guest
	mkfifo "$BATS_TEST_TMPDIR/exit"
	exec 7<>"$BATS_TEST_TMPDIR/exit"
	# Only the test may hold the writing end: hutch-slirp must not
	# inherit it.
	start_slirp_safe --exit-fd=8 8<"$BATS_TEST_TMPDIR/exit" 7>&-
	kill -0 "$SLIRP_PID"
	exec 7>&-
	run wait_until 5 eval "! kill -0 $SLIRP_PID 2>/dev/null"
	[ "$status" -eq 0 ]
	wait "$SLIRP_PID"
}

@test "it exits when the target process exits" {
	start_guest
	start_slirp_safe
	kill "$GUEST_PID"
	run wait_until 5 eval "! kill -0 $SLIRP_PID 2>/dev/null"
	[ "$status" -eq 0 ]
	wait "$SLIRP_PID"
	grep -q "target process exited" "$SLIRP_LOG"
}

@test "--netns-type=path with --userns-path works like a pid" {
	start_guest
	start_slirp --configure --disable-dns "${NET_ALLOW[@]}" --netns-type=path \
		--userns-path="/proc/$GUEST_PID/ns/user" "/proc/$GUEST_PID/ns/net" tap0
	port=$(free_port)
	start_echo tcp 127.0.0.1 "$port"
	run in_guest net-echo send tcp 10.0.2.2 "$port" by-path --timeout 10
	[ "$output" = BY-PATH ]
	# SIGTERM is a clean exit.
	kill -TERM "$SLIRP_PID"
	local rc=0
	wait "$SLIRP_PID" || rc=$?
	[ "$rc" -eq 0 ]
}

@test "--netns-type=tapfd runs on a TAP the caller opened" {
	start_guest
	local ready=$BATS_TEST_TMPDIR/ready-tapfd
	net-tapfd "$GUEST_PID" tap9 hutch-slirp --netns-type=tapfd --disable-dns \
		"${NET_ALLOW[@]}" --ready-fd=9 3 9>"$ready" >>"$SLIRP_LOG" 2>&1 3>&- &
	NET_PIDS+=("$!")
	wait_until 15 file_has_content "$ready"
	# No --configure with a TAP fd: the caller sets the interface up.
	in_guest ip link set lo up
	in_guest ip link set tap9 up
	in_guest ip addr add 10.0.2.100/24 dev tap9
	in_guest ip route add default via 10.0.2.2
	port=$(free_port)
	start_echo tcp 127.0.0.1 "$port"
	run in_guest net-echo send tcp 10.0.2.2 "$port" via-tapfd --timeout 10
	[ "$output" = VIA-TAPFD ]
	# --configure needs a namespace, which a bare TAP fd lacks.
	run hutch-slirp --netns-type=tapfd --configure 3
	[ "$status" -eq 1 ]
}

@test "--outbound-addr takes an address or an interface name" {
	start_guest
	start_slirp_safe --outbound-addr=lo
	port=$(free_port)
	start_echo tcp 127.0.0.1 "$port"
	run in_guest net-echo send tcp 10.0.2.2 "$port" bound-to-lo --timeout 10
	[ "$output" = BOUND-TO-LO ]
	run hutch-slirp --outbound-addr=nosuchif0 1
	[ "$status" -eq 1 ]
	[[ $output == *"neither an IPv4 address nor an interface"* ]]
}
