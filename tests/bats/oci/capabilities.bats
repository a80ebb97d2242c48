#!/usr/bin/env bats
# process.capabilities: each of the five sets reaches the container process
# exactly as configured, a dropped capability is really gone, and unknown
# names are skipped with a warning.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup caps
	make_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.root.readonly = false'
}

teardown() {
	timeout 10 hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
}

# full_mapping: give the container every id the mode has, so ids other
# than 0 are mapped (the rootless spec maps only the caller's own id).

# set_caps JSON-ARRAY: the same list in every set but ambient.
set_caps() {
	edit_config "$BUNDLE" '.process.capabilities = {bounding: $c, effective: $c,
		permitted: $c, inheritable: $c, ambient: []}' --argjson c "$1"
}

# cap_line NAME: the hex value of NAME (CapEff, CapBnd, ...) in the output.
cap_line() {
	printf '%s\n' "$output" | tr -d '\r' | awk -v k="$1:" '$1 == k {print $2}'
}

@test "the five sets are exactly the configured ones" {
	set_caps '["CAP_CHOWN", "CAP_KILL"]'
	edit_config "$BUNDLE" '.process.args = ["grep", "^Cap", "/proc/self/status"]'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	# CAP_CHOWN is bit 0, CAP_KILL bit 5
	[ "$(cap_line CapBnd)" = 0000000000000021 ]
	[ "$(cap_line CapEff)" = 0000000000000021 ]
	[ "$(cap_line CapPrm)" = 0000000000000021 ]
	[ "$(cap_line CapInh)" = 0000000000000021 ]
	[ "$(cap_line CapAmb)" = 0000000000000000 ]
}

@test "a dropped capability is really gone: no CAP_DAC_OVERRIDE, no reading a mode 000 file" {
	edit_config "$BUNDLE" '.process.args = ["sh", "-c",
		"echo secret > /tmp/f && chmod 000 /tmp/f && cat /tmp/f"]'
	set_caps '["CAP_DAC_OVERRIDE", "CAP_CHOWN"]'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output == *secret* ]]

	set_caps '["CAP_CHOWN"]'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"Permission denied"* ]]
	[[ $output != *secret* ]]
}

@test "an empty capabilities object leaves the process without any" {
	edit_config "$BUNDLE" '.process.capabilities = {}
		| .process.args = ["grep", "^Cap", "/proc/self/status"]'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(cap_line CapEff)" = 0000000000000000 ]
	[ "$(cap_line CapBnd)" = 0000000000000000 ]
}

@test "ambient capabilities reach a non-root user" {
	full_mapping
	edit_config "$BUNDLE" '.process.user = {uid: 1000, gid: 1000}
		| .process.capabilities = {bounding: $c, effective: $c, permitted: $c,
			inheritable: $c, ambient: $c}
		| .process.args = ["sh", "-c", "id -u; grep ^Cap /proc/self/status"]' \
		--argjson c '["CAP_NET_BIND_SERVICE"]'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	has_line 1000
	# CAP_NET_BIND_SERVICE is bit 10; ambient makes it effective for uid 1000
	[ "$(cap_line CapAmb)" = 0000000000000400 ]
	[ "$(cap_line CapEff)" = 0000000000000400 ]
}

@test "without ambient capabilities a non-root user has none effective" {
	full_mapping
	edit_config "$BUNDLE" '.process.user = {uid: 1000, gid: 1000}
		| .process.capabilities = {bounding: $c, effective: $c, permitted: $c,
			inheritable: $c}
		| .process.args = ["grep", "^Cap", "/proc/self/status"]' \
		--argjson c '["CAP_NET_BIND_SERVICE"]'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(cap_line CapEff)" = 0000000000000000 ]
	[ "$(cap_line CapBnd)" = 0000000000000400 ]
}

@test "an unknown capability name is skipped with a warning" {
	set_caps '["CAP_KILL", "CAP_FROM_THE_FUTURE"]'
	edit_config "$BUNDLE" '.process.args = ["grep", "^CapEff", "/proc/self/status"]'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output == *"CAP_FROM_THE_FUTURE"*"unknown"* ]]
	[ "$(cap_line CapEff)" = 0000000000000020 ]
}
