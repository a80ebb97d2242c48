#!/usr/bin/env bats
# Process attributes: rlimits, oomScoreAdj, umask, noNewPrivileges, the
# user and its groups, each checked from inside the container.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup proc
	make_bundle "$BUNDLE"
}

teardown() {
	timeout 10 hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
}

@test "rlimits are visible in /proc/self/limits" {
	edit_config "$BUNDLE" '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 200, hard: 300},
		{type: "RLIMIT_CORE", soft: 0, hard: 0}]'
	args grep -E "^Max (open files|core file size)" /proc/self/limits
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output =~ Max\ open\ files\ +200\ +300\ +files ]]
	[[ $output =~ Max\ core\ file\ size\ +0\ +0\ +bytes ]]
}

@test "raising a hard rlimit rootless fails with a message naming the rlimit" {
	skip_in_mode root
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "the hard open-files limit is unlimited here"
	edit_config "$BUNDLE" '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 64, hard: $h}]' \
		--argjson h "$((hard + 1))"
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *RLIMIT_NOFILE* ]]
	[[ $output == *CAP_SYS_RESOURCE* ]]
	[[ $output == *"Operation not permitted"* ]]
}

@test "oomScoreAdj is visible in /proc/self/oom_score_adj" {
	edit_config "$BUNDLE" '.process.oomScoreAdj = 613'
	args cat /proc/self/oom_score_adj
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	has_line 613
}

@test "lowering oomScoreAdj needs privilege: a clear error rootless, applied as root" {
	local current
	current=$(cat /proc/self/oom_score_adj)
	[ "$current" -gt -1000 ] || skip "oom_score_adj is already at its minimum"
	edit_config "$BUNDLE" '.process.oomScoreAdj = -1000'
	args cat /proc/self/oom_score_adj
	run oci run --bundle "$BUNDLE" "$ID"
	# A subshell tries it for itself: root may still lack CAP_SYS_RESOURCE
	# (as inside another container).
	if (echo -1000 >/proc/self/oom_score_adj) 2>/dev/null; then
		[ "$status" -eq 0 ]
		has_line -1000
	else
		[ "$status" -ne 0 ]
		[[ $output == *"oom_score_adj to -1000"* ]]
		[[ $output == *CAP_SYS_RESOURCE* ]]
	fi
}

@test "process.user.umask applies, 0022 by default" {
	args sh -c umask
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	has_line 0022
	edit_config "$BUNDLE" '.process.user.umask = 63'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	has_line 0077
}

@test "noNewPrivileges shows as NoNewPrivs in /proc/self/status" {
	args grep NoNewPrivs /proc/self/status
	edit_config "$BUNDLE" '.process.noNewPrivileges = true'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output =~ NoNewPrivs:[[:space:]]+1 ]]
	edit_config "$BUNDLE" '.process.noNewPrivileges = false'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output =~ NoNewPrivs:[[:space:]]+0 ]]
}

@test "a non-root process.user runs as that uid and gid" {
	full_mapping
	edit_config "$BUNDLE" '.process.user = {uid: 1000, gid: 1000}'
	args sh -c 'echo "uid=$(id -u) gid=$(id -g)"; grep ^Uid /proc/self/status'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	has_line "uid=1000 gid=1000"
	[[ $output =~ Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000 ]]
}

# full_mapping: give the container every id the mode has, so ids other
# than 0 are mapped (the rootless spec maps only the caller's own id).

@test "additionalGids are the process's groups where the namespace maps them" {
	full_mapping
	edit_config "$BUNDLE" '.process.user = {uid: 0, gid: 0, additionalGids: [1234, 5678]}'
	args id -G
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	if [ "$HUTCH_TEST_MODE" = solo ]; then
		# one mapped id: setgroups is denied, which the runtime says
		[[ $output == *additionalGids*"setgroups is denied"* ]]
	else
		[[ $output =~ (^|[[:space:]])1234([[:space:]]|$) ]]
		[[ $output =~ (^|[[:space:]])5678([[:space:]]|$) ]]
	fi
}
