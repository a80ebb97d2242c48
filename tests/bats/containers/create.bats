#!/usr/bin/env bats
# What POST /containers/create writes (ctr_build): container.json,
# config.json (the OCI config), monitor.json, state.json and the /etc
# files under $XDG_DATA_HOME/hutch/containers/<id>/, checked with jq; the
# image config merge, users from the image's passwd, ports, mounts,
# networks, capabilities and seccomp, hutch.conf's slirp keys, warnings,
# and Docker's error for every bad input (a failed create leaves nothing).
# modes: sub solo

load ../helpers
load ../images/lib/registry
load lib/ctr

setup_file() {
	# hutch.conf before hutchd starts (start_hutchd uses this directory).
	mkdir -p "$BATS_FILE_TMPDIR/config/hutch"
	printf 'nameserver 127.0.0.1\nsearch test.example\noptions ndots:3\n' \
		>"$BATS_FILE_TMPDIR/resolv.conf"
	cat >"$BATS_FILE_TMPDIR/config/hutch/hutch.conf" <<-EOF
		slirp_outbound_allow = 127.0.0.0/8, 10.0.2.2/32
		slirp_resolv_conf = $BATS_FILE_TMPDIR/resolv.conf
	EOF
	ctr_setup_file
}

teardown_file() {
	ctr_teardown_file
}

teardown() {
	remove_all_containers
}

cdir() {
	echo "$XDG_DATA_HOME/hutch/containers/$1"
}

# mk JSON-EXTRA [NAME]: create $IMAGE merged with JSON-EXTRA; must succeed.
mk() {
	local json
	json=$(jq -n -c --arg img "$IMAGE" --argjson extra "$1" '{Image: $img} * $extra')
	create_json "${2:-}" "$json"
	if [ "$code" != 201 ]; then
		echo "create: $code $body" >&2
		return 1
	fi
}

# bad JSON-EXTRA CODE MESSAGE: the create fails with CODE and MESSAGE,
# and leaves no directory behind.
bad() {
	local before after json
	before=$(ctr_dirs | wc -l)
	json=$(jq -n -c --arg img "$IMAGE" --argjson extra "$1" '{Image: $img} * $extra')
	create_json "" "$json"
	if [ "$code" != "$2" ] || [[ "$(jq -r .message <<<"$body")" != *"$3"* ]]; then
		echo "for $1: got $code $body, want $2 \"$3\"" >&2
		return 1
	fi
	after=$(ctr_dirs | wc -l)
	[ "$before" = "$after" ]
	! ctr_dirs | grep -q '^\.tmp-'
}

@test "a minimal create writes the contract's files" {
	mk '{}' web
	local d
	d=$(cdir "$id")
	[ "$(stat -c %a "$d")" = 700 ]
	for f in container.json config.json monitor.json state.json hosts hostname resolv.conf; do
		[ -f "$d/$f" ]
	done
	! ctr_dirs | grep -q '^\.tmp-' || false
	# the upper dir has the image root's mode: the container's "/" shows it
	[ "$(stat -c %a "$d/upper")" = "$(stat -c %a "$(jq -r '.lower[0]' "$d/monitor.json")")" ]

	# container.json
	jq -e --arg id "$id" '.Id == $id and .Name == "/web"' "$d/container.json"
	jq -e '.Image | test("^sha256:[0-9a-f]{64}$")' "$d/container.json"
	[ "$(jq -r .Image "$d/container.json")" = "$(api GET "/images/$IMAGE/json" | jq -r .Id)" ]
	jq -e '.ImageName | endswith("busybox:1")' "$d/container.json"
	jq -e '.ChainIds | length == 1' "$d/container.json"
	jq -e '.Path == "sh" and .Args == []' "$d/container.json"
	jq -e '.Created | test("^[0-9-]+T[0-9:]+\\.[0-9]{9}Z$")' "$d/container.json"
	jq -e --arg h "${id:0:12}" '.Config.Hostname == $h' "$d/container.json"
	jq -e --arg img "$IMAGE" '.Config.Image == $img' "$d/container.json"
	jq -e '.Config.Cmd == ["sh"] and .Config.Labels["org.hutch.test"] == "yes"' \
		"$d/container.json"
	jq -e '.HostConfig.NetworkMode == "default" and .HostConfig.LogConfig.Type == "json-file"' \
		"$d/container.json"
	jq -e '.RestartCount == 0 and .Warnings == [] and .Mounts == []' "$d/container.json"

	# config.json: the OCI config the runtime gets
	jq -e --arg r "$XDG_RUNTIME_DIR/hutch/containers/$id/rootfs" \
		'.root.path == $r and .root.readonly == false' "$d/config.json"
	jq -e '.process.args == ["sh"] and .process.cwd == "/" and .process.terminal == false' \
		"$d/config.json"
	jq -e '.process.user == {"uid": 0, "gid": 0}' "$d/config.json"
	jq -e --arg h "HOSTNAME=${id:0:12}" '.process.env | index($h) != null' "$d/config.json"
	jq -e '.process.env | index("PATH=/usr/sbin:/usr/bin:/sbin:/bin") != null' "$d/config.json"
	jq -e '.process.env | index("HOME=/root") != null' "$d/config.json"
	jq -e '.process.capabilities.bounding | length == 14' "$d/config.json"
	jq -e '.process.capabilities.effective | index("CAP_NET_BIND_SERVICE") != null' \
		"$d/config.json"
	jq -e '.process.capabilities.bounding | index("CAP_SYS_ADMIN") == null' "$d/config.json"
	jq -e '.process | has("rlimits") | not' "$d/config.json"
	jq -e --arg h "${id:0:12}" '.hostname == $h' "$d/config.json"
	jq -e '[.linux.namespaces[].type] | sort == ["cgroup","ipc","mount","network","pid","uts"]' \
		"$d/config.json"
	jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO"' "$d/config.json"
	jq -e '.linux.maskedPaths | index("/proc/kcore") != null' "$d/config.json"
	jq -e '.linux.readonlyPaths | index("/proc/sys") != null' "$d/config.json"
	jq -e '[.mounts[].destination] | index("/proc") != null and index("/dev/pts") != null
		and index("/dev/shm") != null and index("/dev/mqueue") != null' "$d/config.json"
	jq -e '.mounts[] | select(.destination == "/sys") | .type == "sysfs"
		and (.options | index("ro") != null)' "$d/config.json"
	jq -e --arg s "$d/hosts" '.mounts[] | select(.destination == "/etc/hosts") | .source == $s' \
		"$d/config.json"

	# monitor.json
	jq -e --arg id "$id" '.id == $id and .name == "web" and .network == "slirp"' \
		"$d/monitor.json"
	local lower
	lower=$(jq -r '.lower[0]' "$d/monitor.json")
	[[ "$lower" == "$XDG_DATA_HOME/hutch/snapshots/"*/fs ]]
	[ -x "$lower/bin/busybox" ]
	jq -e --arg d "$d" '.upper == "\($d)/upper" and .work == "\($d)/work"
		and .log_path == "\($d)/ctr.log"' "$d/monitor.json"
	jq -e --arg r "$XDG_RUNTIME_DIR/hutch/containers/$id" \
		'.runtime_dir == $r and .rootfs == "\($r)/rootfs"' "$d/monitor.json"
	jq -e '.tty == false and .open_stdin == false and .mtu == 65520 and .ports == []
		and .stop_signal == 15 and .log_max_bytes == 0' "$d/monitor.json"

	# state.json and the /etc files
	jq -e '.Status == "created"' "$d/state.json"
	[ "$(cat "$d/hostname")" = "${id:0:12}" ]
	[ "$(stat -c %a "$d/hosts" "$d/hostname" "$d/resolv.conf" | sort -u)" = 644 ]
	grep -q "^127.0.0.1	localhost$" "$d/hosts"
	grep -q "^10.0.2.100	${id:0:12}$" "$d/hosts"
	grep -q '^nameserver 10.0.2.3$' "$d/resolv.conf"
	! grep -q 127.0.0.1 "$d/resolv.conf" || false
}

@test "hutch.conf's slirp keys reach every container's hutch-slirp" {
	mk '{}'
	jq -e --arg rc "$BATS_FILE_TMPDIR/resolv.conf" '.slirp_args == ["--outbound-allow=127.0.0.0/8",
		"--outbound-allow=10.0.2.2/32", "--resolv-conf=\($rc)"]' "$(cdir "$id")/monitor.json"
	# search and options come from the same file, the name server is slirp's
	[ "$(cat "$(cdir "$id")/resolv.conf")" = "nameserver 10.0.2.3
search test.example
options ndots:3" ]
}

@test "a bad slirp key in hutch.conf stops hutchd with the line named" {
	local conf=$BATS_TEST_TMPDIR/bad.conf
	echo 'slirp_outbound_allow = 10.0.0.0/99' >"$conf"
	run hutchd --config "$conf" --root "$BATS_TEST_TMPDIR/store"
	[ "$status" -ne 0 ]
	[[ "$output" == *"bad.conf:1: slirp_outbound_allow: invalid network \"10.0.0.0/99\""* ]]
	echo 'slirp_resolv_conf = relative.conf' >"$conf"
	run hutchd --config "$conf" --root "$BATS_TEST_TMPDIR/store"
	[[ "$output" == *"slirp_resolv_conf: expected an absolute path"* ]]
}

@test "Entrypoint and Cmd merge with the image's as Docker's do" {
	mk '{"Cmd": ["echo", "hi"]}'
	jq -e '.Path == "echo" and .Args == ["hi"]' "$(cdir "$id")/container.json"
	# A request Entrypoint replaces the image's Cmd too.
	mk '{"Entrypoint": ["/bin/echo"]}'
	jq -e '.Path == "/bin/echo" and .Args == []' "$(cdir "$id")/container.json"
	mk '{"Entrypoint": "/bin/echo", "Cmd": "one"}'
	jq -e '.process.args == ["/bin/echo", "one"]' "$(cdir "$id")/config.json"
	jq -e '.Config.Entrypoint == ["/bin/echo"] and .Config.Cmd == ["one"]' \
		"$(cdir "$id")/container.json"
	bad '{"Entrypoint": [""]}' 400 "no command specified"
}

@test "Env, WorkingDir, Tty, Hostname and Domainname" {
	mk '{"Env": ["PATH=/bin", "A=1", "A=2", "B"], "WorkingDir": "/tmp", "Tty": true,
	     "OpenStdin": true, "StdinOnce": true, "Hostname": "box", "Domainname": "example.org"}'
	local d
	d=$(cdir "$id")
	jq -e '.process.env | index("PATH=/bin") != null and index("A=2") != null
		and index("A=1") == null and index("TERM=xterm") != null
		and index("HOSTNAME=box") != null' "$d/config.json"
	jq -e '[.process.env[] | select(startswith("B"))] == []' "$d/config.json"
	jq -e '.process.cwd == "/tmp" and .process.terminal == true and .hostname == "box"
		and .domainname == "example.org"' "$d/config.json"
	jq -e '.tty and .open_stdin and .stdin_once' "$d/monitor.json"
	[ "$(cat "$d/hostname")" = box ]
	grep -q "^10.0.2.100	box.example.org box$" "$d/hosts"
	jq -e '.Config.Hostname == "box"' "$d/container.json"
	bad '{"Env": ["=x"]}' 400 "invalid environment variable: =x"
	bad '{"WorkingDir": "tmp"}' 400 "the working directory 'tmp' is invalid"
	bad '{"Hostname": "bad_name!"}' 400 "invalid hostname format: bad_name!"
}

@test "User resolves against the image's /etc/passwd and /etc/group" {
	mk '{"User": "user"}'
	jq -e '.process.user == {"uid": 1000, "gid": 1000}' "$(cdir "$id")/config.json"
	jq -e '.process.env | index("HOME=/tmp") != null' "$(cdir "$id")/config.json"
	mk '{"User": "nobody:nogroup"}'
	jq -e '.process.user == {"uid": 65534, "gid": 65534}' "$(cdir "$id")/config.json"
	mk '{"User": "4242:4343", "HostConfig": {"GroupAdd": ["user", "77"]}}'
	jq -e '.process.user == {"uid": 4242, "gid": 4343, "additionalGids": [1000, 77]}' \
		"$(cdir "$id")/config.json"
	bad '{"User": "ghost"}' 400 "unable to find user ghost: no matching entries in passwd file"
	bad '{"User": "user:ghosts"}' 400 "unable to find group ghosts"
	bad '{"User": "99999999999"}' 400 "uids and gids must be in range"
}

@test "ports: fixed, chosen (\"\", \"0\", -P), refused with host networking" {
	mk '{"ExposedPorts": {"53/udp": {}}, "HostConfig": {"PublishAllPorts": true,
	     "PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}],
	                      "81": [{"HostPort": ""}], "82/tcp": [{"HostPort": "0"}]}}}'
	local m
	m=$(cdir "$id")/monitor.json
	jq -e '.ports | length == 4' "$m"
	jq -e '.ports[] | select(.container_port == 80) | .host_port == 18080
		and .host_ip == "127.0.0.1" and .proto == "tcp"' "$m"
	jq -e '[.ports[] | select(.container_port == 81 or .container_port == 82)
		| .host_port > 0] == [true, true]' "$m"
	jq -e '.ports[] | select(.container_port == 53) | .proto == "udp" and .host_port > 0' "$m"
	jq -e '[.ports[].host_port] | unique | length == 4' "$m"
	jq -e '.Config.ExposedPorts | keys == ["53/udp", "80/tcp", "81/tcp", "82/tcp"]' \
		"$(cdir "$id")/container.json"

	mk '{"HostConfig": {"NetworkMode": "host", "PortBindings": {"80/tcp": [{"HostPort": "8080"}]}}}'
	jq -e '.ports == [] and .network == "host"' "$(cdir "$id")/monitor.json"
	[[ "$(jq -r '.Warnings[0]' <<<"$body")" == *"Published ports are discarded"* ]]

	bad '{"HostConfig": {"PortBindings": {"http/tcp": []}}}' 400 'invalid port specification: "http"'
	bad '{"HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": "x"}]}}}' 400 \
		'invalid port specification: "x"'
	bad '{"HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": "70000"}]}}}' 400 \
		'invalid port specification: "70000"'
	bad '{"HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "1.2.3", "HostPort": "1"}]}}}' \
		400 "invalid IP address: 1.2.3"
	bad '{"ExposedPorts": {"80/sctp": {}}}' 400 "sctp is not supported"
	bad '{"ExposedPorts": {"80/xyz": {}}}' 400 "invalid proto"
}

@test "mounts: Binds, Mounts, named and anonymous volumes, Tmpfs" {
	local src=$BATS_TEST_TMPDIR/src missing=$BATS_TEST_TMPDIR/made-by-v
	mkdir -p "$src"
	mk "{\"Volumes\": {\"/anon\": {}}, \"HostConfig\": {
	     \"Binds\": [\"$src:/data:ro\", \"$missing:/made\", \"vol1:/v1\"],
	     \"Mounts\": [{\"Type\": \"bind\", \"Source\": \"$src\", \"Target\": \"/m\",
	                  \"BindOptions\": {\"Propagation\": \"rslave\"}},
	                 {\"Type\": \"volume\", \"Source\": \"vol2\", \"Target\": \"/v2\",
	                  \"ReadOnly\": true},
	                 {\"Type\": \"tmpfs\", \"Target\": \"/t\",
	                  \"TmpfsOptions\": {\"SizeBytes\": 1048576, \"Mode\": 448}}],
	     \"Tmpfs\": {\"/run\": \"size=64m,exec\"}}}"
	local c
	c=$(cdir "$id")/config.json
	# -v creates a missing source as a directory
	[ -d "$missing" ]
	jq -e --arg s "$src" '.mounts[] | select(.destination == "/data") | .source == $s
		and .type == "bind" and .options == ["rbind", "rprivate", "ro"]' "$c"
	jq -e '.mounts[] | select(.destination == "/m") | .options == ["rbind", "rslave"]' "$c"
	local v1=$XDG_DATA_HOME/hutch/volumes/vol1/_data
	[ -d "$v1" ] && [ -d "$XDG_DATA_HOME/hutch/volumes/vol2/_data" ]
	jq -e --arg s "$v1" '.mounts[] | select(.destination == "/v1") | .source == $s' "$c"
	jq -e '.mounts[] | select(.destination == "/v2") | .options | index("ro") != null' "$c"
	jq -e '.mounts[] | select(.destination == "/t") | .type == "tmpfs"
		and .options == ["nosuid", "nodev", "noexec", "size=1048576", "mode=700"]' "$c"
	jq -e '.mounts[] | select(.destination == "/run") | .options
		== ["nosuid", "nodev", "noexec", "size=64m", "exec"]' "$c"
	# the anonymous volume: a random name under volumes/
	local anon
	anon=$(jq -r '.Mounts[] | select(.Destination == "/anon") | .Name' "$(cdir "$id")/container.json")
	[[ "$anon" =~ ^[0-9a-f]{64}$ ]]
	[ -d "$XDG_DATA_HOME/hutch/volumes/$anon/_data" ]
	jq -e '.Mounts | length == 8' "$(cdir "$id")/container.json"
	jq -e '.Mounts[] | select(.Destination == "/data") | .RW == false and .Type == "bind"' \
		"$(cdir "$id")/container.json"

	bad '{"HostConfig": {"Mounts": [{"Type": "bind", "Source": "/no/such/dir", "Target": "/x"}]}}' \
		400 'invalid mount config for type "bind": bind source path does not exist: /no/such/dir'
	bad '{"HostConfig": {"Mounts": [{"Type": "bind", "Target": "/x"}]}}' 400 \
		'invalid mount config for type "bind": field Source must not be empty'
	bad '{"HostConfig": {"Mounts": [{"Type": "nfs", "Target": "/x"}]}}' 400 \
		'invalid mount config for type "nfs": mount type unknown'
	bad '{"HostConfig": {"Mounts": [{"Type": "tmpfs", "Source": "/a", "Target": "/x"}]}}' 400 \
		"field Source must not be specified"
	bad '{"HostConfig": {"Binds": ["/a:relative"]}}' 400 "mount path must be absolute"
	bad '{"HostConfig": {"Binds": ["/a:/x:rx"]}}' 400 "invalid mode: rx"
	bad '{"HostConfig": {"Binds": ["/a:/x", "/b:/x"]}}' 400 "Duplicate mount point: /x"
	bad '{"HostConfig": {"Binds": ["bad name:/x"]}}' 400 \
		"includes invalid characters for a local volume name"
	bad '{"HostConfig": {"Tmpfs": {"/t": "size=1m,bogus"}}}' 400 "invalid tmpfs option"
	bad '{"HostConfig": {"VolumesFrom": ["other"]}}' 400 "VolumesFrom is not supported"
}

@test "networks: slirp, none, host, and unknown ones" {
	mk '{"HostConfig": {"NetworkMode": "none"}}'
	jq -e '.network == "none"' "$(cdir "$id")/monitor.json"
	jq -e '[.linux.namespaces[].type] | index("network") != null' "$(cdir "$id")/config.json"
	! grep -q "${id:0:12}" "$(cdir "$id")/hosts" || false

	mk '{"HostConfig": {"NetworkMode": "host", "ExtraHosts": ["db:10.9.8.7"]}}'
	local d
	d=$(cdir "$id")
	jq -e '[.linux.namespaces[].type] | index("network") == null' "$d/config.json"
	jq -e '.mounts[] | select(.destination == "/sys") | .type == "bind" and .source == "/sys"' \
		"$d/config.json"
	# the host's own name and resolver
	[ "$(cat "$d/hostname")" = "$(hostname)" ]
	diff <(grep -v '^#' /etc/resolv.conf | grep -E '^(nameserver|search|domain|options)') \
		"$d/resolv.conf"
	grep -q '^10.9.8.7	db$' "$d/hosts"

	mk '{"HostConfig": {"NetworkMode": "bridge", "ExtraHosts": ["gw:host-gateway"],
	     "Dns": ["192.0.2.1"], "DnsSearch": ["a.example"], "DnsOptions": ["ndots:1"]}}'
	d=$(cdir "$id")
	jq -e '.network == "slirp"' "$d/monitor.json"
	grep -q '^10.0.2.2	gw$' "$d/hosts"
	[ "$(cat "$d/resolv.conf")" = "nameserver 192.0.2.1
search a.example
options ndots:1" ]

	bad '{"HostConfig": {"NetworkMode": "mynet"}}' 400 "network mynet not found"
	bad '{"HostConfig": {"NetworkMode": "container:other"}}' 400 \
		"NetworkMode container:other is not supported"
	bad '{"HostConfig": {"ExtraHosts": ["nocolon"]}}' 400 'bad format for add-host: "nocolon"'
	bad '{"HostConfig": {"ExtraHosts": ["x:1.2.3.999"]}}' 400 "invalid IP address in add-host"
	bad '{"HostConfig": {"Dns": ["dns.example"]}}' 400 'invalid IP address in Dns'
}

@test "capabilities, Privileged, seccomp and no-new-privileges" {
	mk '{"HostConfig": {"CapAdd": ["sys_admin", "CAP_NET_ADMIN"], "CapDrop": ["NET_RAW"]}}'
	local c
	c=$(cdir "$id")/config.json
	jq -e '.process.capabilities.bounding | index("CAP_SYS_ADMIN") != null
		and index("CAP_NET_ADMIN") != null and index("CAP_NET_RAW") == null' "$c"
	# SYS_ADMIN brings mount back in the default profile
	jq -e '[.linux.seccomp.syscalls[] | select(.names == ["mount"])] | length == 1' "$c"

	mk '{"HostConfig": {"CapDrop": ["ALL"], "CapAdd": ["KILL"]}}'
	c=$(cdir "$id")/config.json
	jq -e '.process.capabilities.bounding == ["CAP_KILL"]' "$c"
	jq -e '[.linux.seccomp.syscalls[] | select(.names == ["mount"])] | length == 0' "$c"

	mk '{"HostConfig": {"Privileged": true}}'
	c=$(cdir "$id")/config.json
	jq -e '.process.capabilities.bounding | length >= 38' "$c"
	jq -e '.linux | has("seccomp") or has("maskedPaths") | not' "$c"
	jq -e '.mounts[] | select(.destination == "/sys") | .options | index("rw") != null' "$c"

	mk '{"HostConfig": {"SecurityOpt": ["seccomp=unconfined", "no-new-privileges"]}}'
	c=$(cdir "$id")/config.json
	jq -e '(.linux | has("seccomp") | not) and .process.noNewPrivileges == true' "$c"
	jq -e '.linux | has("maskedPaths")' "$c"

	bad '{"HostConfig": {"CapAdd": ["FOO"]}}' 400 'unknown capability: "CAP_FOO"'
	bad '{"HostConfig": {"SecurityOpt": ["bogus"]}}' 400 'invalid --security-opt 1: "bogus"'
	bad '{"HostConfig": {"SecurityOpt": ["seccomp=/etc/profile.json"]}}' 400 \
		"expected the profile's JSON, not a file name"
	bad '{"HostConfig": {"SecurityOpt": ["seccomp={\"syscalls\": []}"]}}' 400 \
		"seccomp profile: defaultAction is missing"
}

@test "a Docker seccomp profile (what docker run --security-opt seccomp=FILE sends)" {
	local profile opt
	profile='{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_X86_64",
		"subArchitectures": ["SCMP_ARCH_X86"]}, {"architecture": "SCMP_ARCH_AARCH64",
		"subArchitectures": ["SCMP_ARCH_ARM"]}], "syscalls": [{"names": ["read", "write"],
		"action": "SCMP_ACT_ALLOW"}, {"names": ["mount"], "action": "SCMP_ACT_ALLOW",
		"includes": {"caps": ["CAP_SYS_ADMIN"]}}]}'
	opt=$(jq -c -n --arg p "$(jq -c . <<<"$profile")" '{HostConfig: {SecurityOpt: ["seccomp=\($p)"]}}')
	mk "$opt"
	local c
	c=$(cdir "$id")/config.json
	jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO"' "$c"
	jq -e '[.linux.seccomp.syscalls[].names[]] == ["read", "write"]' "$c"
	jq -e '.linux.seccomp.architectures | length == 2' "$c"
	# the profile is kept in HostConfig as given
	jq -e '.HostConfig.SecurityOpt[0] | startswith("seccomp={")' "$(cdir "$id")/container.json"
}

@test "in the sandbox there is no user namespace in config.json" {
	mk '{}'
	[ -f "$XDG_RUNTIME_DIR/hutch/sandbox.pid" ]
	jq -e '[.linux.namespaces[].type] | index("user") == null' "$(cdir "$id")/config.json"
	jq -e '.linux | has("uidMappings") | not' "$(cdir "$id")/config.json"
	jq -e --argjson p "$(cat "$XDG_RUNTIME_DIR/hutch/sandbox.pid")" '.sandbox_pid == $p' \
		"$(cdir "$id")/monitor.json"
}

@test "limits, Ulimits, ReadonlyRootfs, ShmSize, OomScoreAdj, StopSignal, LogConfig" {
	mk '{"StopSignal": "SIGQUIT", "HostConfig": {"ReadonlyRootfs": true, "ShmSize": 1048576,
	     "OomScoreAdj": 100, "Ulimits": [{"Name": "nofile", "Soft": 1000, "Hard": 2000}],
	     "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}},
	     "Sysctls": {"net.ipv4.ip_forward": "1"}}}'
	local d
	d=$(cdir "$id")
	jq -e '.root.readonly == true and .process.oomScoreAdj == 100' "$d/config.json"
	jq -e '.process.rlimits == [{"type": "RLIMIT_NOFILE", "hard": 2000, "soft": 1000}]' \
		"$d/config.json"
	jq -e '.mounts[] | select(.destination == "/dev/shm") | .options | index("size=1048576") != null' \
		"$d/config.json"
	jq -e '.mounts[] | select(.destination == "/etc/resolv.conf") | .options | index("ro") != null' \
		"$d/config.json"
	jq -e '.linux.sysctl == {"net.ipv4.ip_forward": "1"}' "$d/config.json"
	jq -e '.stop_signal == 3 and .log_max_bytes == 10485760' "$d/monitor.json"

	bad '{"StopSignal": "SIGNOPE"}' 400 "Invalid signal: SIGNOPE"
	bad '{"HostConfig": {"OomScoreAdj": 5000}}' 400 "range for oom score adj is [-1000, 1000]"
	bad '{"HostConfig": {"Ulimits": [{"Name": "files", "Soft": 1, "Hard": 1}]}}' 400 \
		"invalid ulimit type: files"
	bad '{"HostConfig": {"LogConfig": {"Type": "syslog"}}}' 400 \
		"logger: no log driver named 'syslog' is registered"
	bad '{"HostConfig": {"LogConfig": {"Config": {"max-size": "lots"}}}}' 400 "invalid max-size"
	bad '{"HostConfig": {"RestartPolicy": {"Name": "sometimes"}}}' 400 \
		"invalid restart policy: unknown policy 'sometimes'"
	bad '{"HostConfig": {"AutoRemove": true, "RestartPolicy": {"Name": "always"}}}' 400 \
		"can't create 'AutoRemove' container with restart policy"
	bad '{"HostConfig": {"PidMode": "container:x"}}' 400 'PidMode "container:x" is not supported'
	bad '{"HostConfig": {"ShmSize": -1}}' 400 "SHM size can not be less than 0"
}

@test "warnings: resource limits without a delegated cgroup, Healthcheck" {
	mk '{"Healthcheck": {"Test": ["CMD", "true"]}, "HostConfig": {"Memory": 67108864,
	     "SecurityOpt": ["apparmor=x"]}}'
	jq -e '.Warnings | any(contains("Healthcheck ignored"))' <<<"$body"
	jq -e '.Warnings | any(contains("apparmor=x ignored"))' <<<"$body"
	jq -e '.Warnings == .Warnings' "$(cdir "$id")/container.json"
	[ "$(jq -c .Warnings "$(cdir "$id")/container.json")" = "$(jq -c .Warnings <<<"$body")" ]
	if jq -e '.Warnings | any(contains("no delegated cgroup"))' <<<"$body"; then
		jq -e '.linux | has("resources") | not' "$(cdir "$id")/config.json"
	else
		jq -e '.linux.resources.memory.limit == 67108864' "$(cdir "$id")/config.json"
	fi
}

@test "Docker's type errors name the field and its type" {
	bad '{"Cmd": 5}' 400 "json: cannot unmarshal number into Go struct field Config.Cmd"
	bad '{"Env": "A=1"}' 400 "Config.Env of type []string"
	bad '{"Tty": "yes"}' 400 "cannot unmarshal string into Go struct field Config.Tty of type bool"
	bad '{"HostConfig": {"Memory": "1g"}}' 400 "HostConfig.Memory of type int64"
	bad '{"HostConfig": {"Binds": "/a:/b"}}' 400 "HostConfig.Binds of type []string"
	bad '{"HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": 80}]}}}' 400 \
		"PortBinding.HostPort of type string"
	bad '{"Labels": {"a": 1}}' 400 "Config.Labels of type map[string]string"
	bad '{"Image": 7}' 400 "Config.Image of type string"
}

@test "no such image is a 404, no image a 400" {
	create_json "" '{"Image": "no-such-image:1", "Cmd": ["true"]}'
	[ "$code" = 404 ]
	[[ "$(jq -r .message <<<"$body")" == "No such image: no-such-image:1"* ]]
	create_json "" '{"Cmd": ["true"]}'
	[ "$code" = 400 ]
	[ -z "$(ctr_dirs)" ]
}

@test "100 creates in a row: each a complete directory, none left half-written" {
	local json start end i
	json=$(jq -n -c --arg img "$IMAGE" '{Image: $img, Cmd: ["true"],
		HostConfig: {PortBindings: {"80/tcp": [{HostPort: ""}]}}}')
	start=$(date +%s%N)
	for i in $(seq 1 100); do
		api POST /containers/create -H 'Content-Type: application/json' -d "$json" |
			jq -e '.Id | length == 64' >/dev/null
	done
	end=$(date +%s%N)
	echo "# 100 creates in $(((end - start) / 1000000)) ms (curl and jq included)" >&3
	[ "$(ctr_dirs | grep -c '^[0-9a-f]\{64\}$')" = 100 ]
	! ctr_dirs | grep -q '^\.tmp-' || false
	for d in "$XDG_DATA_HOME"/hutch/containers/*/; do
		[ -f "$d/container.json" ] && [ -f "$d/config.json" ] && [ -f "$d/monitor.json" ]
	done
}

@test "the default seccomp profile at work: unshare of a user namespace is refused, unconfined allows it" {
	local script='ls / >/dev/null || exit 9; unshare -U true; echo "unshare=$?"; mount -t tmpfs t /tmp; echo "mount=$?"'
	create confined sh -c "$script"
	start confined
	[ "$(wait_exit confined)" = 0 ]
	grep -q 'unshare=1' "$(cdir "$id")/ctr.log"
	grep -q 'mount=[1-9]' "$(cdir "$id")/ctr.log"
	CTR_EXTRA='{"HostConfig": {"SecurityOpt": ["seccomp=unconfined"]}}' create free sh -c "$script"
	start free
	[ "$(wait_exit free)" = 0 ]
	grep -q 'unshare=0' "$(cdir "$id")/ctr.log"
	# SYS_ADMIN brings mount back in the profile (and the capability allows it)
	CTR_EXTRA='{"HostConfig": {"CapAdd": ["SYS_ADMIN"]}}' create admin sh -c "$script"
	start admin
	[ "$(wait_exit admin)" = 0 ]
	grep -q 'mount=0' "$(cdir "$id")/ctr.log"
}

@test "Init: hutch-init bound on /dev/init and put in front of the command" {
	mk '{"Cmd": ["sleep", "1"], "HostConfig": {"Init": true, "NetworkMode": "none"}}' withinit
	local c
	c=$(cdir "$id")/config.json
	jq -e '.process.args == ["/dev/init", "--", "sleep", "1"]' "$c"
	local src
	src=$(jq -r '.mounts[] | select(.destination == "/dev/init") | .source' "$c")
	[ -x "$src" ]
	[ "$(basename "$src")" = hutch-init ]
	jq -e '.mounts[] | select(.destination == "/dev/init") | .options | index("ro") != null' "$c"
	# the container.json command stays the user's
	jq -e '.Path == "sleep" and .Args == ["1"] and .HostConfig.Init == true' \
		"$(cdir "$id")/container.json"
	start withinit
	[ "$(wait_exit withinit)" = 0 ]
}

# An OCI layout archive of an image without layers (its config has no
# Cmd), loaded through POST /images/load as empty:1.
load_empty_image() {
	python3 - "$BATS_TEST_TMPDIR/empty.tar" <<-'PY'
		import hashlib, io, json, sys, tarfile
		out = tarfile.open(sys.argv[1], "w")
		def add(name, data):
		    ti = tarfile.TarInfo(name)
		    ti.size = len(data)
		    out.addfile(ti, io.BytesIO(data))
		def blob(data):
		    d = hashlib.sha256(data).hexdigest()
		    add("blobs/sha256/" + d, data)
		    return "sha256:" + d, len(data)
		cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": ["E=1"]},
		                  "rootfs": {"type": "layers", "diff_ids": []}}).encode()
		cd, cs = blob(cfg)
		man = json.dumps({"schemaVersion": 2,
		                  "mediaType": "application/vnd.oci.image.manifest.v1+json",
		                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
		                             "digest": cd, "size": cs}, "layers": []}).encode()
		md, ms = blob(man)
		add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
		add("index.json", json.dumps({"schemaVersion": 2, "manifests": [
		    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
		     "annotations": {"io.containerd.image.name": "localhost/empty:1"}}]}).encode())
		out.close()
	PY
	api POST /images/load --data-binary "@$BATS_TEST_TMPDIR/empty.tar" \
		-H 'Content-Type: application/x-tar' >/dev/null
	api GET /images/localhost/empty:1/json | jq -e .Id >/dev/null
}

@test "an image without layers gets one empty lower dir; without passwd, numeric users only" {
	load_empty_image
	create_json "" '{"Image": "localhost/empty:1", "Cmd": ["/x"], "User": "10:20"}'
	[ "$code" = 201 ]
	local d
	d=$(cdir "$id")
	jq -e --arg d "$d" '.lower == ["\($d)/lower-empty"]' "$d/monitor.json"
	[ -d "$d/lower-empty" ] && [ -z "$(ls -A "$d/lower-empty")" ]
	jq -e '.ChainIds == []' "$d/container.json"
	jq -e '.process.user == {"uid": 10, "gid": 20} and (.process.env | index("E=1") != null)
		and (.process.env | index("HOME=/") != null)' "$d/config.json"
	create_json "" '{"Image": "localhost/empty:1", "Cmd": ["/x"], "User": "daemon"}'
	[ "$code" = 400 ]
	[[ "$(jq -r .message <<<"$body")" == *"unable to find user daemon"* ]]
	create_json "" '{"Image": "localhost/empty:1"}'
	[ "$code" = 400 ]
	[ "$(jq -r .message <<<"$body")" = "no command specified" ]
}

@test "Devices: a host device by its major and minor; a missing one is refused" {
	mk '{"HostConfig": {"Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/mynull",
	     "CgroupPermissions": "rwm"}]}}'
	jq -e '.linux.devices == [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
		"fileMode": 438, "uid": 0, "gid": 0}]' "$(cdir "$id")/config.json"
	bad '{"HostConfig": {"Devices": [{"PathOnHost": "/dev/no-such-device"}]}}' 400 \
		'error gathering device information while adding custom device "/dev/no-such-device"'
	bad '{"HostConfig": {"Devices": [{"PathOnHost": "/etc/passwd"}]}}' 400 "not a device node"
}

@test "what create writes runs: read-only root, tmpfs, volume, user, env, hostname, hosts, privileged" {
	# Without a subuid range only uid 0 exists in the sandbox.
	local user=user uid=1000 home=/tmp
	if [ "$HUTCH_TEST_MODE" = solo ]; then
		user=root uid=0 home=/root
	fi
	CTR_EXTRA="{\"User\": \"$user\", \"Env\": [\"GREETING=hi\"], \"Hostname\": \"boxy\",
		\"HostConfig\": {\"ReadonlyRootfs\": true, \"Tmpfs\": {\"/run\": \"size=1m\"},
		\"Binds\": [\"runvol:/data\"], \"ExtraHosts\": [\"db:10.1.1.1\"], \"CapDrop\": [\"ALL\"]}}" \
		create runs sh -c 'id -u; id -g; echo "$GREETING $HOME"; hostname; grep db /etc/hosts; touch /x 2>/dev/null && echo rw-root || echo ro-root; touch /run/ok && echo tmpfs-ok; ls -d /data'
	start runs
	local rc log
	rc=$(wait_exit runs)
	log=$(jq -j .log "$(cdir "$id")/ctr.log")
	echo "exit $rc: $log"
	[ "$rc" = 0 ]
	[ "$log" = "$uid"$'\n'"$uid"$'\n'"hi $home"$'\nboxy\n10.1.1.1\tdb\nro-root\ntmpfs-ok\n/data' ]

	CTR_EXTRA='{"HostConfig": {"Privileged": true}}' create priv sh -c 'grep CapEff /proc/self/status'
	start priv
	[ "$(wait_exit priv)" = 0 ]
	# every capability the kernel has
	local eff
	eff=$(jq -r .log "$(cdir "$id")/ctr.log" | awk '{print $2}')
	[ "$eff" = "$(printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)))" ]
}
