#!/usr/bin/env bats
# The hutch-oci command line as runc/crun callers use it: option
# spellings, help, version, spec, features, and the cgroup commands.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup cli
}

teardown() {
	hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
}

@test "an unknown command fails with a clear message" {
	run hutch-oci frobnicate
	[ "$status" -eq 1 ]
	[[ $output == *"unknown command 'frobnicate'"* ]]
}

@test "an unknown option fails with a clear message" {
	run hutch-oci --frobnicate list
	[ "$status" -eq 1 ]
	[[ $output == *"unknown option '--frobnicate'"* ]]
	run oci list --frobnicate
	[ "$status" -eq 1 ]
	[[ $output == *"unknown option"* ]]
}

@test "a missing option value fails" {
	run hutch-oci --root
	[ "$status" -eq 1 ]
	[[ $output == *"needs a value"* ]]
}

@test "no command prints the usage and fails" {
	run hutch-oci
	[ "$status" -eq 1 ]
	[[ $output == *Usage* ]]
}

@test "--help, help COMMAND and COMMAND --help" {
	run hutch-oci --help
	[ "$status" -eq 0 ]
	for c in create start run state kill delete exec ps list features spec pause resume update; do
		[[ $output == *"  $c "* ]]
	done
	run hutch-oci create --help
	[ "$status" -eq 0 ]
	[[ $output == *--bundle*--pid-file*--console-socket*--preserve-fds* ]]
	run hutch-oci help exec
	[ "$status" -eq 0 ]
	[[ $output == *--process* ]]
	run hutch-oci kill -h
	[ "$status" -eq 0 ]
	[[ $output == *--all* ]]
}

@test "--version and -v" {
	run hutch-oci --version
	[ "$status" -eq 0 ]
	[[ $output == "hutch-oci version "* ]]
	[[ $output == *"spec: 1."* ]]
	run hutch-oci -v
	[ "$status" -eq 0 ]
	run hutch-oci version
	[ "$status" -eq 0 ]
}

@test "global options are accepted the way runc callers pass them" {
	run hutch-oci --root="$STATE" --log "$BATS_TEST_TMPDIR/log" --log-format=json \
		--log-level debug --debug --systemd-cgroup --cgroup-manager=cgroupfs \
		--rootless=auto -root "$STATE" list -q
	[ "$status" -eq 0 ]
	run hutch-oci --cgroup-manager bogus list
	[ "$status" -eq 1 ]
	[[ $output == *"unknown cgroup manager"* ]]
	run hutch-oci --log-format yaml list
	[ "$status" -eq 1 ]
}

@test "option spellings: --opt value, --opt=value, -opt value, short letters" {
	make_bundle "$BUNDLE" sh -c 'exit 5'
	run oci run -bundle "$BUNDLE" "$ID"
	[ "$status" -eq 5 ]
	run oci run --bundle="$BUNDLE" "$ID"
	[ "$status" -eq 5 ]
	run oci run -b "$BUNDLE" "$ID"
	[ "$status" -eq 5 ]
	# options after the id, as crun allows
	run oci run "$ID" --bundle "$BUNDLE"
	[ "$status" -eq 5 ]
	# a boolean with an explicit value
	run oci run --detach=false --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 5 ]
}

@test "the bundle defaults to the current directory" {
	make_bundle "$BUNDLE" sh -c 'exit 6'
	cd "$BUNDLE"
	run oci run "$ID"
	[ "$status" -eq 6 ]
}

@test "spec writes a valid config and refuses to overwrite one" {
	mkdir -p "$BUNDLE"
	run hutch-oci spec --bundle "$BUNDLE"
	[ "$status" -eq 0 ]
	jq -e '.ociVersion and .process.args and .root.path == "rootfs" and (.linux.namespaces | length > 0)' \
		"$BUNDLE/config.json"
	run hutch-oci spec --bundle "$BUNDLE"
	[ "$status" -ne 0 ]
	[[ $output == *exists* ]]
}

@test "spec --rootless maps the caller's own ids and adds a user namespace" {
	mkdir -p "$BUNDLE"
	cd "$BUNDLE"
	run hutch-oci spec --rootless
	[ "$status" -eq 0 ]
	jq -e '.linux.namespaces | map(.type) | index("user")' config.json
	[ "$(jq '.linux.uidMappings[0].hostID' config.json)" = "$(id -u)" ]
	[ "$(jq '.linux.gidMappings[0].hostID' config.json)" = "$(id -g)" ]
	[ "$(jq '.linux.uidMappings[0].size' config.json)" = 1 ]
}

@test "features prints the runtime-spec features document" {
	run hutch-oci features
	[ "$status" -eq 0 ]
	jq -e '.ociVersionMin and .ociVersionMax and (.hooks | index("createContainer"))
		and (.linux.namespaces | index("user")) and (.linux.seccomp.enabled == true)' <<<"$output"
}

@test "state of an unknown container fails" {
	run oci state nosuch
	[ "$status" -eq 1 ]
	[[ $output == *"container nosuch does not exist"* ]]
}

@test "delete of an unknown container fails" {
	run oci delete nosuch
	[ "$status" -eq 1 ]
	[[ $output == *"does not exist"* ]]
}

@test "pause, resume and update need a cgroup and say so without one" {
	skip_in_mode root
	make_bundle "$BUNDLE" sleep 100
	oci run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	if [ "$(jq -r .cgroupPath "$STATE/$ID/state.json")" != null ]; then
		skip "this host delegates a cgroup to the user"
	fi
	run oci pause "$ID"
	[ "$status" -eq 1 ]
	[[ $output == *cgroup* ]]
	[ "$(oci state "$ID" | jq -r .status)" = running ]
	run oci update --resources=- "$ID" <<<'{"pids": {"limit": 10}}'
	[ "$status" -eq 1 ]
	[[ $output == *cgroup* ]]
}

@test "pause and resume freeze and thaw the container (root)" {
	skip_unless_mode root
	make_bundle "$BUNDLE" sleep 100
	oci run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	[ "$(jq -r .cgroupPath "$STATE/$ID/state.json")" != null ] || skip "no cgroup here"
	run oci pause "$ID"
	[ "$status" -eq 0 ]
	[ "$(oci state "$ID" | jq -r .status)" = paused ]
	local dirs fz
	dirs=$(jq -r .cgroupPath "$STATE/$ID/state.json" | tr , '\n')
	fz=$(grep /freezer/ <<<"$dirs" || true)
	if [ -n "$fz" ]; then
		[ "$(cat "$fz/freezer.state")" = FROZEN ]
	else
		[ "$(cat "$(head -n1 <<<"$dirs")/cgroup.freeze")" = 1 ]
	fi
	run oci resume "$ID"
	[ "$status" -eq 0 ]
	[ "$(oci state "$ID" | jq -r .status)" = running ]
	run oci resume "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"not paused"* ]]
}

@test "update with malformed resources is a clear error" {
	run oci update --resources=- nosuch <<<'{"pids": '
	[ "$status" -eq 1 ]
	[[ $output == *stdin* ]]
}
