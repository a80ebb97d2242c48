#!/usr/bin/env bats
# The API socket: slirp4netns's add_hostfwd / list_hostfwd / remove_hostfwd
# with both forwarders (through slirp, and hutch's socket forwarder), TCP
# and UDP, IPv4 and IPv6, and every kind of bad request and bad client.
# Published ports are on 127.0.0.1 and ::1 only. hutch-slirp never uses
# subordinate ids, so mode solo (basic.bats, egress.bats) covers the rest.
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

add() { # add PROTO HOST_ADDR HOST_PORT GUEST_PORT [MODE] [GUEST_ADDR]
	local extra=
	[ -n "${5:-}" ] && extra+=",\"mode\":\"$5\""
	[ -n "${6:-}" ] && extra+=",\"guest_addr\":\"$6\""
	api "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"$1\",\"host_addr\":\"$2\",\"host_port\":$3,\"guest_port\":$4$extra}}"
}

# expect_error REQUEST FRAGMENT: an error answer mentioning FRAGMENT.
expect_error() {
	api "$1"
	[ "$status" -eq 0 ]
	[[ $output == '{"error":{"desc":"'*'"}}' ]]
	[[ $output == *"$2"* ]] || { echo "expected \"$2\""; false; }
}

@test "add, list and remove a TCP forward through slirp" {
	start_slirp_safe --api-socket="$API"
	gport=$(free_port)
	hport=$(free_port)
	start_echo in_guest tcp 0.0.0.0 "$gport"
	add tcp 127.0.0.1 "$hport" "$gport"
	[ "$output" = '{"return":{"id":1}}' ]
	run net-echo send tcp 127.0.0.1 "$hport" via-slirp --timeout 10
	[ "$output" = VIA-SLIRP ]
	api '{"execute": "list_hostfwd"}'
	echo "$output" | jq -e --argjson h "$hport" --argjson g "$gport" \
		'.return.entries == [{"id":1,"proto":"tcp","host_addr":"127.0.0.1","host_port":$h,"guest_addr":"10.0.2.100","guest_port":$g}]'
	api '{"execute": "remove_hostfwd", "arguments": {"id": 1}}'
	[ "$output" = '{"return":{}}' ]
	run net-echo send tcp 127.0.0.1 "$hport" gone --timeout 3
	[ "$status" -ne 0 ]
	api '{"execute": "list_hostfwd"}'
	[ "$output" = '{"return":{"entries":[]}}' ]
}

@test "the socket forwarder publishes TCP, moves 32 MiB intact and is listed with its mode" {
	start_slirp_safe --api-socket="$API"
	gport=$(free_port)
	hport=$(free_port)
	start_echo in_guest tcp 0.0.0.0 "$gport"
	add tcp 127.0.0.1 "$hport" "$gport" socket
	[ "$output" = '{"return":{"id":1}}' ]
	run net-echo send tcp 127.0.0.1 "$hport" fast --timeout 10
	[ "$output" = FAST ]
	run net-echo send tcp 127.0.0.1 "$hport" --bytes 33554432 --timeout 30
	[ "$status" -eq 0 ]
	api '{"execute":"list_hostfwd"}'
	echo "$output" | jq -e '.return.entries[0].mode == "socket"'
	api '{"execute":"remove_hostfwd","arguments":{"id":1}}'
	run net-echo send tcp 127.0.0.1 "$hport" gone --timeout 3
	[ "$status" -ne 0 ]
}

# ss -ti names a socket's congestion control ("reno", "cubic", "bbr").
@test "the socket forwarder's connections on this machine use reno, which does not pace" {
	start_slirp_safe --api-socket="$API"
	gport=$(free_port)
	hport=$(free_port)
	start_echo in_guest tcp 0.0.0.0 "$gport"
	add tcp 127.0.0.1 "$hport" "$gport" socket
	exec {client}<>"/dev/tcp/127.0.0.1/$hport"
	# The forwarder's socket in the guest (to the guest's port) and the
	# one it accepted on the host (its local port the published one).
	wait_until 10 sh -c "nsenter --preserve-credentials -U -n -t $GUEST_PID ss -Htin state established '( dport = :$gport )' | grep -qw reno"
	wait_until 10 sh -c "ss -Htin state established '( sport = :$hport )' | grep -qw reno"
	exec {client}>&-
}

@test "the socket forwarder closes a client at once when nothing listens in the guest" {
	start_slirp_safe --api-socket="$API"
	hport=$(free_port)
	gport=$(free_port)
	add tcp 127.0.0.1 "$hport" "$gport" socket
	SECONDS=0
	run net-echo send tcp 127.0.0.1 "$hport" nobody-home --timeout 10
	[ "$status" -ne 0 ]
	[ $SECONDS -lt 5 ]
	# The forwarder goes on serving once the guest listens.
	start_echo in_guest tcp 0.0.0.0 "$gport"
	run net-echo send tcp 127.0.0.1 "$hport" now-home --timeout 10
	[ "$output" = NOW-HOME ]
}

@test "UDP forwards through slirp and through the socket forwarder" {
	start_slirp_safe --api-socket="$API"
	gport=$(free_port)
	p1=$(free_port)
	p2=$(free_port)
	start_echo in_guest udp 0.0.0.0 "$gport"
	add udp 127.0.0.1 "$p1" "$gport"
	add udp 127.0.0.1 "$p2" "$gport" socket
	run net-echo send udp 127.0.0.1 "$p1" udp-slirp --timeout 5
	[ "$output" = UDP-SLIRP ]
	run net-echo send udp 127.0.0.1 "$p2" udp-socket --timeout 5
	[ "$output" = UDP-SOCKET ]
	# A second client gets its own flow and its own answers.
	run net-echo send udp 127.0.0.1 "$p2" second-client --timeout 5
	[ "$output" = SECOND-CLIENT ]
}

@test "IPv6: ::1 published through slirp and through the socket forwarder" {
	start_slirp_safe --enable-ipv6 --api-socket="$API"
	gport=$(free_port)
	p1=$(free_port)
	p2=$(free_port)
	start_echo in_guest tcp :: "$gport"
	add tcp ::1 "$p1" "$gport"
	[[ $output == *'"id":1'* ]]
	add tcp ::1 "$p2" "$gport" socket
	run net-echo send tcp ::1 "$p1" six-slirp --timeout 10
	[ "$output" = SIX-SLIRP ]
	run net-echo send tcp ::1 "$p2" six-socket --timeout 10
	[ "$output" = SIX-SOCKET ]
	api '{"execute":"list_hostfwd"}'
	echo "$output" | jq -e '.return.entries[0].guest_addr == "fd00::100"'
}

@test "the socket forwarder reaches a service on the namespace's own loopback" {
	start_slirp_safe --api-socket="$API"
	gport=$(free_port)
	hport=$(free_port)
	start_echo in_guest tcp 127.0.0.1 "$gport"
	add tcp 127.0.0.1 "$hport" "$gport" socket 127.0.0.1
	run net-echo send tcp 127.0.0.1 "$hport" inner-loopback --timeout 10
	[ "$output" = INNER-LOOPBACK ]
}

@test "keep_source shows a loopback client to the guest as itself, TCP and UDP" {
	start_slirp_safe --api-socket="$API"
	gport=$(free_port)
	p1=$(free_port)
	p2=$(free_port)
	p3=$(free_port)
	start_echo in_guest tcp 0.0.0.0 "$gport" --peer
	start_echo in_guest udp 0.0.0.0 "$gport" --peer
	add tcp 127.0.0.1 "$p1" "$gport" socket
	api "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$p2,\"guest_port\":$gport,\"mode\":\"socket\",\"keep_source\":true}}"
	[ "$output" = '{"return":{"id":2}}' ]
	api "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$p3,\"guest_port\":$gport,\"mode\":\"socket\",\"keep_source\":true}}"
	run net-echo send tcp 127.0.0.1 "$p1" who --timeout 10
	[ "$output" = 10.0.2.100 ]
	run net-echo send tcp 127.0.0.1 "$p2" who --timeout 10
	[ "$output" = 127.0.0.1 ]
	run net-echo send udp 127.0.0.1 "$p3" who --timeout 5
	[ "$output" = 127.0.0.1 ]
	api '{"execute":"list_hostfwd"}'
	[[ $output == *'"mode":"socket","keep_source":true'* ]]
	expect_error '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":1,"guest_port":1,"keep_source":true}}' \
		'needs \"mode\": \"socket\"'
}

@test "every malformed request gets an error answer and changes nothing" {
	start_slirp_safe --api-socket="$API"
	hport=$(free_port)
	expect_error '{"execute":"add_hostfwd","arguments":{"host_port":8080,"guest_port":80}}' \
		"arguments.proto: missing"
	expect_error '{"execute":"add_hostfwd","arguments":{"proto":"tcp","guest_port":80}}' \
		"arguments.host_port: missing"
	expect_error '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":91535,"guest_port":80}}' \
		"not a port"
	expect_error '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":0,"guest_port":80}}' \
		"not a port"
	expect_error '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":"80","guest_port":80}}' \
		"expected an integer"
	expect_error '{"execute":"add_hostfwd","arguments":{"proto":"icmp","host_port":80,"guest_port":80}}' \
		"proto"
	expect_error '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"300.1.1.1","host_port":80,"guest_port":80}}' \
		"not an IP address"
	expect_error '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":80,"guest_addr":"x","guest_port":80}}' \
		"not an IP address"
	expect_error '{"execute":"remove_hostfwd","arguments":{"id":"one"}}' "expected an integer"
	expect_error '{"execute":"remove_hostfwd","arguments":{"id":7}}' "no forwarding with id 7"
	expect_error '{"execute":"remove_hostfwd"}' "arguments: missing"
	expect_error '{"execute":"shutdown"}' "unknown command"
	expect_error '{"arguments":{}}' "execute: missing"
	expect_error '["execute"]' "expected a JSON object"
	expect_error '{"execute":"list_hostfwd"' "invalid JSON"
	expect_error '{"execute":"list_hostfwd"} {"x":1}' "trailing data"
	expect_error 'not json at all' "invalid JSON"
	expect_error '' "empty request"
	# A host port nobody can have twice.
	add tcp 127.0.0.1 "$hport" 80
	[ "$output" = '{"return":{"id":1}}' ]
	expect_error "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$hport,\"guest_port\":81,\"mode\":\"socket\"}}" \
		"already forwarded"
	api '{"execute":"list_hostfwd"}'
	[ "$(echo "$output" | jq '.return.entries | length')" -eq 1 ]
	kill -0 "$SLIRP_PID"
}

@test "an oversized request is refused" {
	start_slirp_safe --api-socket="$API"
	big=$(printf '{"execute":"list_hostfwd","pad":"%*s"}' 5000 x)
	expect_error "$big" "too large"
	# Far beyond the limit the answer is the same and the process lives.
	head -c 1000000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/huge"
	run with_timeout 15 net-api-client "$API" <"$BATS_TEST_TMPDIR/huge"
	[[ $output == *"too large"* ]] || [ "$status" -ne 0 ]
	api '{"execute":"list_hostfwd"}'
	[ "$output" = '{"return":{"entries":[]}}' ]
}

@test "a client that never finishes its request neither blocks others nor lives forever" {
	start_slirp_safe --api-socket="$API"
	# Half a request, write side left open: the answer comes at the
	# deadline (5 s).
	net-api-client --no-shutdown "$API" '{"execute":' >"$BATS_TEST_TMPDIR/slow" 2>&1 3>&- &
	slow=$!
	# A client that connects and says nothing at all.
	net-api-client --stall 30 "$API" '{}' >/dev/null 2>&1 3>&- &
	NET_PIDS+=("$!")
	sleep 0.5
	SECONDS=0
	api '{"execute":"list_hostfwd"}'
	[ "$output" = '{"return":{"entries":[]}}' ]
	# Well under the stalled clients' 5 s deadline (a bound on a loaded
	# machine, not a speed check).
	[ $SECONDS -lt 4 ]
	timeout 15 tail --pid="$slow" -f /dev/null
	grep -q "timed out" "$BATS_TEST_TMPDIR/slow"
}

@test "a client that does not shut down its side gets the answer at once" {
	start_slirp_safe --api-socket="$API"
	SECONDS=0
	run with_timeout 10 net-api-client --no-shutdown "$API" '{"execute":"list_hostfwd"}'
	[ "$output" = '{"return":{"entries":[]}}' ]
	[ $SECONDS -lt 4 ]
}

@test "clients that hang up early do not hurt the process" {
	start_slirp_safe --api-socket="$API"
	for i in $(seq 20); do
		net-api-client --hang-up "$API" '{"execute":"list_hostfwd"}' || true
		net-api-client --hang-up "$API" '{"execute":"list' || true
	done
	api '{"execute":"list_hostfwd"}'
	[ "$output" = '{"return":{"entries":[]}}' ]
	kill -0 "$SLIRP_PID"
}

@test "the API socket file is removed on exit" {
	start_slirp_safe --api-socket="$API"
	[ -S "$API" ]
	kill "$SLIRP_PID"
	timeout 5 tail --pid="$SLIRP_PID" -f /dev/null
	[ ! -e "$API" ]
}
