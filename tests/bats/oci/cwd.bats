#!/usr/bin/env bats
# process.cwd: a missing working directory is created inside the rootfs
# (as runc, crun and Docker do), never outside it through a symlink.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup cwd
	make_bundle "$BUNDLE"
}

teardown() {
	timeout 10 hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
}

@test "a missing process.cwd is created with its parents and the process starts there" {
	edit_config "$BUNDLE" '.process.cwd = "/does/not/exist"'
	args sh -c 'pwd; stat -c "%u:%g %a" . /does'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	has_line /does/not/exist
	has_line "0:0 755"
	[ -d "$BUNDLE/rootfs/does/not/exist" ]
}

@test "a new process.cwd belongs to the process's user, its new parents to root" {
	skip_in_mode solo # one mapped id: no uid 1000 in the container
	full_mapping
	edit_config "$BUNDLE" '.root.readonly = false | .process.user = {uid: 1000, gid: 1001}
		| .process.cwd = "/home/app"'
	# The file goes again: owned by a subordinate uid, bats could not
	# remove it from its temporary dir, and bats then exits non-zero.
	args sh -c 'pwd; stat -c "%u:%g" . /home; touch written-by-app && rm written-by-app && echo wrote'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	has_line /home/app
	has_line 1000:1001
	has_line 0:0
	has_line wrote
}

@test "a process.cwd through a symlink to a host path is created inside the rootfs only" {
	local outside=$BATS_TEST_TMPDIR/outside
	mkdir -p "$outside" "$BUNDLE/rootfs$outside"
	ln -s "$outside" "$BUNDLE/rootfs/escape"
	edit_config "$BUNDLE" '.process.cwd = "/escape/made"'
	args pwd
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ -d "$BUNDLE/rootfs$outside/made" ]
	[ ! -e "$outside/made" ]
}

@test "a process.cwd through a relative symlink with \"..\" stays in the rootfs" {
	ln -s ../../../../../.. "$BUNDLE/rootfs/up"
	edit_config "$BUNDLE" '.process.cwd = "/up/tmp/cwd-from-up-'"$ID"'"'
	args pwd
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ -d "$BUNDLE/rootfs/tmp/cwd-from-up-$ID" ]
	[ ! -e "/tmp/cwd-from-up-$ID" ]
}

@test "a missing process.cwd is created before root.readonly applies" {
	edit_config "$BUNDLE" '.root.readonly = true | .process.cwd = "/work/dir"'
	args sh -c 'pwd; touch /cannot-write 2>/dev/null || echo read-only'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	has_line /work/dir
	has_line read-only
}

@test "a process.cwd that cannot be created fails with a message naming it" {
	mkdir "$BATS_TEST_TMPDIR/ro-src"
	edit_config "$BUNDLE" '.mounts += [{destination: "/ro", type: "bind", source: $s,
		options: ["rbind", "ro"]}] | .process.cwd = "/ro/new"' --arg s "$BATS_TEST_TMPDIR/ro-src"
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"create process.cwd"*"/ro/new"*"Read-only file system"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/ro-src/new" ]
}
