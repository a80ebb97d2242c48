#!/usr/bin/env bats
# Rootless everywhere: the user namespace and id maps hutch-oci sets up in
# each mode, a non-root process.user with one id, the warnings, and the
# CVE-2019-5736 protection of the runtime binary.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup rl
	make_bundle "$BUNDLE"
}

teardown() {
	hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
}

no_user_namespace_in_config() {
	edit_config "$BUNDLE" 'del(.linux.uidMappings, .linux.gidMappings)
		| .linux.namespaces |= map(select(.type != "user"))'
}

# map_line TEXT: the whitespace-normalised lines of a map.
squeeze() {
	tr -s ' \t' ' ' | sed 's/^ //; s/ $//'
}

@test "sub: a config without a user namespace gets the full subuid mapping" {
	skip_unless_mode sub
	no_user_namespace_in_config
	args sh -c 'cat /proc/self/uid_map /proc/self/gid_map; cat /proc/self/setgroups'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	local maps
	maps=$(squeeze <<<"$output")
	[[ $maps == *"0 $(id -u) 1"* ]]
	[[ $maps == *"1 200000 65536"* ]]
	[[ $maps == *"0 $(id -g) 1"* ]]
	[[ $maps == *allow* ]]
}

@test "sub: a config that maps only the caller's id is used as is" {
	skip_unless_mode sub
	args cat /proc/self/uid_map
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(squeeze <<<"${lines[-1]}")" = "0 $(id -u) 1" ]
}

@test "sub: an explicit full mapping goes through newuidmap" {
	skip_unless_mode sub
	edit_config "$BUNDLE" '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1},
			{containerID: 1, hostID: 200000, size: 1000}]
		| .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1},
			{containerID: 1, hostID: 200000, size: 1000}]' --argjson u "$(id -u)" --argjson g "$(id -g)"
	edit_config "$BUNDLE" '.process.user = {uid: 999, gid: 999}'
	args sh -c 'cat /proc/self/uid_map; echo "ids $(id -u):$(id -g)"'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $(squeeze <<<"$output") == *"1 200000 1000"* ]]
	[[ $output == *"ids 999:999"* ]]
}

@test "sub: a mapping outside the user's range fails with newuidmap's reason" {
	skip_unless_mode sub
	edit_config "$BUNDLE" '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1},
			{containerID: 1, hostID: 900000, size: 10}]' --argjson u "$(id -u)"
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *newuidmap* ]]
	[ ! -e "$STATE/$ID" ]
}

@test "solo: without a range one id is mapped and setgroups is denied" {
	skip_unless_mode solo
	no_user_namespace_in_config
	args sh -c 'cat /proc/self/uid_map /proc/self/setgroups; id -u'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $(squeeze <<<"$output") == *"0 $(id -u) 1"* ]]
	[[ $output == *deny* ]]
	[ "${lines[-1]}" = 0 ]
}

@test "solo: a config asking for more ids than exist warns and still runs" {
	skip_unless_mode solo
	edit_config "$BUNDLE" '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	args sh -c 'cat /proc/self/uid_map'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output == *warning*"no range in /etc/subuid"* ]]
	[[ $(squeeze <<<"$output") == *"0 $(id -u) 1"* ]]
}

@test "a non-root process.user works in every mode" {
	edit_config "$BUNDLE" '.process.user = {uid: 1000, gid: 1000} | .root.readonly = false'
	args sh -c 'id -u; id -g; touch /tmp/mine && stat -c %u /tmp/mine'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[-3]}" = 1000 ]
	[ "${lines[-2]}" = 1000 ]
	[ "${lines[-1]}" = 1000 ]
}

@test "root and userns: no user namespace is created when the config has none" {
	skip_unless_mode root userns
	no_user_namespace_in_config
	args readlink /proc/self/ns/user
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "$(readlink /proc/self/ns/user)" ]
}

@test "unprivileged: a user namespace is always created" {
	skip_unless_mode sub solo
	no_user_namespace_in_config
	args readlink /proc/self/ns/user
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" != "$(readlink /proc/self/ns/user)" ]
}

@test "userns: a user namespace in the config maps ids of the caller's namespace" {
	skip_unless_mode userns
	# One extent per extent of our own map: the kernel does not let a
	# child extent straddle two of the parent's.
	edit_config "$BUNDLE" '.linux.uidMappings = [{containerID: 0, hostID: 0, size: 1},
			{containerID: 1, hostID: 1, size: 1999}]
		| .linux.gidMappings = .linux.uidMappings'
	args cat /proc/self/uid_map
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(squeeze <<<"${lines[-1]}")" = "1 1 1999" ]
}

# CVE-2019-5736: the container must never write the runtime binary.

# with_host_libraries: the host's /usr/lib and /usr/lib64 read-only in the
# container, so the (dynamically linked) runtime binary can run there.
with_host_libraries() {
	mkdir -p "$BUNDLE/rootfs/usr/lib" "$BUNDLE/rootfs/usr/lib64"
	ln -s usr/lib "$BUNDLE/rootfs/lib"
	ln -s usr/lib64 "$BUNDLE/rootfs/lib64"
	edit_config "$BUNDLE" '.mounts += [
		{destination: "/usr/lib", type: "bind", source: "/usr/lib", options: ["rbind", "ro"]},
		{destination: "/usr/lib64", type: "bind", source: "/usr/lib64", options: ["rbind", "ro"]}]'
}

@test "a container that runs /proc/self/exe gets the runtime, which cannot write itself" {
	local bin sum
	bin=$(command -v hutch-oci)
	sum=$(sha256sum <"$bin")
	with_host_libraries
	args /proc/self/exe --version
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output == *"hutch-oci version"* ]]
	# The runtime copy in the container opens its log file for writing:
	# pointed at its own binary, that must fail.
	args /proc/self/exe --log /proc/self/exe --version
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"/proc/self/exe"* ]]
	[[ $output == *"Text file busy"* || $output == *"Permission denied"* || $output == *"Operation not permitted"* ]]
	[ "$(sha256sum <"$bin")" = "$sum" ]
}

@test "root: the container init runs from a sealed memfd copy of the runtime" {
	skip_unless_mode root
	args sleep 100
	oci create --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	local pid
	pid=$(oci state "$ID" | jq .pid)
	[[ $(readlink "/proc/$pid/exe") == "/memfd:hutch-oci"* ]]
	# and the sealed copy refuses writes, even from root
	run sh -c "echo x >>/proc/$pid/exe"
	[ "$status" -ne 0 ]
}

@test "root: a process in the container cannot open the waiting init's /proc/1/exe" {
	skip_unless_mode root
	args sleep 100
	oci create --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	run oci exec "$ID" sh -c 'readlink /proc/1/exe && echo reachable || echo denied'
	[ "$status" -eq 0 ]
	[[ $output == *denied* ]]
	[[ $output != *reachable* ]]
}

@test "sub: without newuidmap the error says which package to install" {
	skip_unless_mode sub
	no_user_namespace_in_config
	mkdir -p "$BATS_TEST_TMPDIR/emptybin"
	run env PATH="$BATS_TEST_TMPDIR/emptybin" "$(command -v hutch-oci)" --root "$STATE" run \
		--bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"newuidmap not found"*uidmap* ]]
	[ ! -e "$STATE/$ID" ]
}
