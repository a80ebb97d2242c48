#!/usr/bin/env bats
# OCI hooks: every kind really runs with the state on its stdin, a timeout
# or a failing hook fails the create and leaves no state behind.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	require_cmd hutch-oci jq
	STATE=$BATS_TEST_TMPDIR/state
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	OUT=$BATS_TEST_TMPDIR/out
	ID=hooks-$BATS_TEST_NUMBER-$$
	mkdir -p "$STATE" "$OUT"
	make_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.root.readonly = false'
	# A hook on the runtime's side: copies its stdin to the file in $1.
	HOOK=$BATS_TEST_TMPDIR/save-state
	printf '#!/bin/sh\ncat > "$1"\n' >"$HOOK"
	chmod 755 "$HOOK"
}

teardown() {
	timeout 10 hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
}

# add_hook KIND HOOK-JSON
add_hook() {
	edit_config "$BUNDLE" '.hooks[$k] += [$h]' --arg k "$1" --argjson h "$2"
}

# check_state FILE STATUS...: the saved state names this container, its
# bundle and one of the given statuses.
check_state() {
	local f=$1
	shift
	[ -s "$f" ] || {
		echo "hook did not write $f" >&2
		return 1
	}
	[ "$(jq -r .id "$f")" = "$ID" ]
	[ "$(realpath "$(jq -r .bundle "$f")")" = "$(realpath "$BUNDLE")" ]
	[ "$(jq -r .ociVersion "$f")" != null ]
	local s want ok=
	s=$(jq -r .status "$f")
	for want in "$@"; do
		[ "$s" = "$want" ] && ok=1
	done
	[ -n "$ok" ] || {
		echo "$f: status $s, expected one of $*" >&2
		return 1
	}
}

@test "each hook kind runs with the container state on stdin" {
	local k
	for k in prestart createRuntime createContainer poststart poststop; do
		add_hook "$k" "$(jq -nc --arg p "$HOOK" --arg o "$OUT/$k.json" \
			'{path: $p, args: ["save-state", $o]}')"
	done
	# startContainer runs in the container: its path is the container's.
	add_hook startContainer '{"path": "/bin/sh",
		"args": ["sh", "-c", "cat > /tmp/startContainer.json"]}'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	check_state "$OUT/prestart.json" creating created
	check_state "$OUT/createRuntime.json" creating created
	check_state "$OUT/createContainer.json" creating created
	check_state "$BUNDLE/rootfs/tmp/startContainer.json" created running
	check_state "$OUT/poststart.json" created running
	check_state "$OUT/poststop.json" stopped
	local k2
	for k2 in prestart createRuntime createContainer poststart; do
		[ "$(jq -r .pid "$OUT/$k2.json")" -gt 0 ]
	done
	[ "$(jq -r .pid "$BUNDLE/rootfs/tmp/startContainer.json")" -gt 0 ]
}

@test "hook args and env reach the hook" {
	add_hook prestart "$(jq -nc --arg o "$OUT/env" \
		'{path: "/bin/sh", args: ["sh", "-c", "echo \"$0 $GREETING\" > \($o)", "named"],
		  env: ["GREETING=hello"]}')"
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(cat "$OUT/env")" = "named hello" ]
}

@test "a hook timeout fails the create and leaves no state" {
	add_hook prestart '{"path": "/bin/sleep", "args": ["sleep", "20"], "timeout": 1}'
	local start=$SECONDS
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"prestart hook /bin/sleep timed out after 1 s"* ]]
	[ $((SECONDS - start)) -lt 15 ]
	run oci state "$ID"
	[ "$status" -ne 0 ]
}

@test "a failing prestart hook fails create, names the hook, and leaves no state" {
	add_hook prestart '{"path": "/bin/sh", "args": ["sh", "-c", "echo hook-stderr >&2; exit 3"]}'
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"prestart hook /bin/sh exited with status 3"* ]]
	[[ $output == *hook-stderr* ]]
	run oci state "$ID"
	[ "$status" -ne 0 ]
	[ -z "$(find "$STATE" -mindepth 1 -maxdepth 2 -name "*$ID*")" ]
}

@test "a missing hook binary is an error with the strerror text" {
	add_hook createRuntime '{"path": "/nonexistent/hook"}'
	run oci create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"createRuntime hook /nonexistent/hook"*"No such file or directory"* ]]
	run oci state "$ID"
	[ "$status" -ne 0 ]
}
