#!/usr/bin/env bats
# DNS through 10.0.2.3. libslirp forwards the guest's queries to port 53
# of the first name server in /etc/resolv.conf, and binding port 53 needs
# privilege. So each test builds a whole small world with unshare: a user,
# network, mount and pid namespace that stands in for the host (it has
# only a loopback, so nothing in it can reach any other machine), where
# dnsmasq serves test.hutch on 127.0.0.1:53, a guest network namespace
# inside it, and hutch-slirp between the two with a private resolv.conf
# (--resolv-conf). When the test's shell ends, the pid namespace takes
# every process with it.
# Mode solo is covered by basic.bats and egress.bats: subordinate ids
# play no part in hutch-slirp.
# modes: sub

load ../helpers
load net-helpers

setup() {
	net_setup
	require_cmd dnsmasq busybox
}

teardown() {
	net_teardown
}

# run_isolated HUTCH_SLIRP_OPTIONS GUEST_COMMANDS: start the world, run the
# guest commands (a shell snippet run in the guest's network namespace).
run_isolated() {
	local dir=$BATS_TEST_TMPDIR
	cat >"$dir/world.sh" <<EOF
set -u
cd "$dir"
ip link set lo up
printf 'nameserver 127.0.0.1\n' >resolv.conf
dnsmasq --no-daemon --port=53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
	--no-hosts --address=/test.hutch/10.0.2.2 --log-queries >dnsmasq.log 2>&1 &
unshare -n sleep 60 &
guest=\$!
for i in \$(seq 300); do
	[ "\$(readlink /proc/\$guest/ns/net)" != "\$(readlink /proc/self/ns/net)" ] && break
	sleep 0.1
done
: >ready
hutch-slirp --configure --resolv-conf=\$PWD/resolv.conf --outbound-allow=10.0.2.2/32 \
	--ready-fd=9 $1 \$guest tap0 9>ready 2>slirp.log &
for i in \$(seq 300); do [ -s ready ] && break; sleep 0.1; done
[ -s ready ] || { echo "hutch-slirp not ready"; cat slirp.log; exit 1; }
timeout 20 nsenter -n -t \$guest sh -c '$2'
echo "guest-status=\$?"
EOF
	run with_timeout 60 unshare -Urnm --pid --fork --mount-proc bash "$dir/world.sh"
	# The tests look at hutch-slirp's log too.
	output+=$'\n'"$(cat "$dir/slirp.log" 2>/dev/null)"
	echo "$output"
	echo "# dnsmasq.log:"
	cat "$dir/dnsmasq.log" || true
}

@test "the guest resolves a name served by dnsmasq on the host's loopback through 10.0.2.3" {
	run_isolated "" "busybox nslookup -type=a test.hutch 10.0.2.3"
	[ "$status" -eq 0 ]
	[[ $output == *"guest-status=0"* ]]
	[[ $output == *"Name:"*"test.hutch"*"Address: 10.0.2.2"* ]]
}

@test "DNS works in the sandbox, which keeps a copy of the private resolv.conf" {
	run_isolated "--enable-sandbox --enable-seccomp" \
		"busybox nslookup -type=a www.test.hutch 10.0.2.3"
	[[ $output == *"guest-status=0"* ]]
	[[ $output == *"Address: 10.0.2.2"* ]]
}

@test "--disable-dns leaves 10.0.2.3 unanswered" {
	run_isolated "--disable-dns" "busybox nslookup -type=a test.hutch 10.0.2.3"
	[[ $output != *"guest-status=0"* ]]
	[[ $output != *"Address: 10.0.2.2"* ]]
}

@test "the egress policy lets DNS to 10.0.2.3 through and nothing else there" {
	run_isolated "" "busybox nslookup -type=a test.hutch 10.0.2.3 && \
		! net-echo send udp 10.0.2.3 54 hi --timeout 2"
	[[ $output == *"guest-status=0"* ]]
	[[ $output != *"egress: denied udp 10.0.2.3:53"* ]]
	[[ $output == *"egress: denied udp 10.0.2.3:54"* ]]
}
