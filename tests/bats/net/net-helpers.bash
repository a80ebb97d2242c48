# Helpers for the hutch-slirp suites. Loaded after ../helpers.
#
# The "guest" is a process in a fresh user+network namespace made by the
# test (unshare -Urn). SAFETY: traffic inside a slirp namespace goes only
# to 10.0.2.2 (the host's loopback), 10.0.2.3 and the namespace itself,
# and every hutch-slirp the tests start has an egress policy that lets
# nothing else through (NET_ALLOW) and DNS off, unless the test runs in a
# network namespace of its own that has nothing but a loopback.

NET_ALLOW=(--outbound-allow=10.0.2.2/32 --outbound-allow=fd00::2/128)

net_setup() {
	require_cmd unshare nsenter ip ss hutch-slirp net-echo net-api-client net-tapfd
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	NET_PIDS=()
	GUEST_PID=
	SLIRP_PID=
	SLIRP_LOG=$BATS_TEST_TMPDIR/slirp.log
	API=$BATS_TEST_TMPDIR/api.sock
}

# Stop every process the test started, by pid, youngest first.
net_teardown() {
	local i
	for ((i = ${#NET_PIDS[@]} - 1; i >= 0; i--)); do
		kill "${NET_PIDS[i]}" 2>/dev/null || true
	done
	for ((i = ${#NET_PIDS[@]} - 1; i >= 0; i--)); do
		timeout 5 tail --pid="${NET_PIDS[i]}" -f /dev/null 2>/dev/null || kill -9 "${NET_PIDS[i]}" 2>/dev/null || true
	done
	if [ -n "${SLIRP_LOG:-}" ] && [ -f "$SLIRP_LOG" ]; then
		echo "# hutch-slirp log:"
		sed 's/^/#   /' "$SLIRP_LOG"
	fi
}

# wait_until SECS CMD...: poll CMD every 0.1 s.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

file_has_content() { [ -s "$1" ]; }

# A process in new user and network namespaces: the container.
start_guest() {
	unshare -Urn sleep 300 3>&- &
	GUEST_PID=$!
	NET_PIDS+=("$GUEST_PID")
	wait_until 10 guest_netns_ready
}

guest_netns_ready() {
	[ "$(readlink "/proc/$GUEST_PID/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] &&
		[ -n "$(readlink "/proc/$GUEST_PID/ns/net" 2>/dev/null)" ]
}

# start_slirp ARGS...: run hutch-slirp with --ready-fd and wait until it
# says it is ready.
start_slirp() {
	local ready=$BATS_TEST_TMPDIR/ready.$RANDOM
	: >"$ready"
	hutch-slirp --ready-fd 9 "$@" 9>"$ready" >>"$SLIRP_LOG" 2>&1 3>&- &
	SLIRP_PID=$!
	NET_PIDS+=("$SLIRP_PID")
	if ! wait_until 15 file_has_content "$ready"; then
		echo "hutch-slirp did not get ready" >&2
		return 1
	fi
	[ "$(cat "$ready")" = 1 ]
}

# The safe default: configured, DNS off, only the host's loopback allowed.
start_slirp_safe() {
	start_slirp --configure --disable-dns "${NET_ALLOW[@]}" "$@" "$GUEST_PID" tap0
}

# in_guest CMD...: run a command in the guest's namespaces.
in_guest() {
	with_timeout 20 nsenter --preserve-credentials -U -n -t "$GUEST_PID" "$@"
}

# A TCP/UDP port nobody listens on right now.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		if ! ss -Htanu 2>/dev/null | awk '{print $5}' | grep -q ":$p\$"; then
			echo "$p"
			return
		fi
	done
}

# start_echo [in_guest] tcp|udp ADDR PORT [net-echo options]: an echo
# server, host or guest side.
start_echo() {
	local where=
	if [ "$1" = in_guest ]; then
		where="nsenter --preserve-credentials -U -n -t $GUEST_PID"
		shift
	fi
	local ready=$BATS_TEST_TMPDIR/echo.$RANDOM
	$where net-echo listen "$1" "$2" "$3" "${@:4}" --timeout 120 --ready-file "$ready" \
		>/dev/null 2>&1 3>&- &
	NET_PIDS+=("$!")
	wait_until 10 test -e "$ready"
}

# api REQUEST: one request to the API socket; the answer in $output.
api() {
	run with_timeout 15 net-api-client "$API" "$1"
	echo "api: $1 -> $output"
}
