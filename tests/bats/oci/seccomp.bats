#!/usr/bin/env bats
# linux.seccomp: rules really return their errno, kill, match on
# arguments, and SCMP_ACT_NOTIFY hands a listener fd to an agent.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup seccomp
	make_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.root.readonly = false'
}

teardown() {
	timeout 10 hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
	if [ -n "${LISTENER_PID:-}" ]; then
		kill "$LISTENER_PID" 2>/dev/null || true
		wait "$LISTENER_PID" 2>/dev/null || true
	fi
}

# script TEXT: the container process runs `sh -c TEXT`.
script() {
	edit_config "$BUNDLE" '.process.args = ["sh", "-c", $s]' --arg s "$1"
}

# seccomp RULES: an allow-by-default profile with these rules (a jq
# expression, so keys need no quotes).
seccomp() {
	local rules
	rules=$(jq -nc "$1") || return 1
	edit_config "$BUNDLE" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: $r}' --argjson r "$rules"
}

@test "an ERRNO rule returns its errnoRet (38: Function not implemented)" {
	seccomp '[{names: ["mkdir", "mkdirat", "a_syscall_from_the_future"],
		action: "SCMP_ACT_ERRNO", errnoRet: 38}]'
	script 'mkdir /tmp/d; echo "rc=$?"; touch /tmp/f && echo touched'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output == *"Function not implemented"* ]]
	has_line rc=1
	has_line touched
	[ ! -d "$BUNDLE/rootfs/tmp/d" ]
}

@test "ERRNO without errnoRet means EPERM" {
	seccomp '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]'
	script 'mkdir /tmp/d'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"Operation not permitted"* ]]
}

@test "the filter loads without noNewPrivileges, and the process still has its capabilities" {
	edit_config "$BUNDLE" '.process.noNewPrivileges = false'
	seccomp '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 38}]'
	script 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; mkdir /tmp/d'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output =~ NoNewPrivs:[[:space:]]+0 ]]
	[[ $output =~ Seccomp:[[:space:]]+2 ]]
	[[ $output == *"Function not implemented"* ]]
}

@test "SCMP_ACT_KILL kills the process making the call" {
	seccomp '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL"}]'
	# the outer shell survives; the inner one dies of SIGSYS (31): 128 + 31.
	# (An inner shell, since busybox may run mkdir inside the shell itself.)
	script 'sh -c "mkdir /tmp/d"; echo "rc=$?"'
	run oci run --bundle "$BUNDLE" "$ID"
	has_line rc=159
	[ ! -d "$BUNDLE/rootfs/tmp/d" ]
}

@test "every action: kill, trap, trace without a tracer, log and allow" {
	local action want
	for action in SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_TRAP SCMP_ACT_TRACE \
		SCMP_ACT_LOG SCMP_ACT_ALLOW; do
		case $action in
		*KILL* | *TRAP) want="rc=159" ;; # SIGSYS
		*TRACE) want="rc=1" ;; # no tracer: the call fails with ENOSYS
		*) want="rc=0" ;;
		esac
		seccomp "[{names: [\"mkdir\", \"mkdirat\"], action: \"$action\"}]"
		script 'rmdir /tmp/d 2>/dev/null; sh -c "mkdir /tmp/d"; echo "rc=$?"'
		run oci run --bundle "$BUNDLE" "$ID"
		has_line "$want" || {
			echo "$action: expected $want, got: $output" >&2
			return 1
		}
	done
}

@test "flags: TSYNC, LOG and SPEC_ALLOW load; an unknown flag is refused" {
	seccomp '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 38}]'
	edit_config "$BUNDLE" '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_TSYNC",
		"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]'
	script 'mkdir /tmp/d'
	run oci run --bundle "$BUNDLE" "$ID"
	[[ $output == *"Function not implemented"* ]]
	edit_config "$BUNDLE" '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_SOMETHING"]'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *SECCOMP_FILTER_FLAG_SOMETHING* ]]
}

@test "argument conditions: several on one argument are alternatives" {
	seccomp '[{names: ["chmod"], action: "SCMP_ACT_ERRNO", errnoRet: 38,
			args: [{index: 1, value: 511, op: "SCMP_CMP_EQ"},
			       {index: 1, value: 448, op: "SCMP_CMP_EQ"}]},
		  {names: ["fchmodat"], action: "SCMP_ACT_ERRNO", errnoRet: 38,
			args: [{index: 2, value: 511, op: "SCMP_CMP_EQ"},
			       {index: 2, value: 448, op: "SCMP_CMP_EQ"}]}]'
	script 'touch /tmp/f; for m in 777 700 644; do chmod $m /tmp/f && echo "ok $m" || echo "no $m"; done'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	has_line "no 777"
	has_line "no 700"
	has_line "ok 644"
}

@test "argument conditions: MASKED_EQ compares the masked argument with valueTwo" {
	# any mode with all the group bits (0070) set
	seccomp '[{names: ["chmod"], action: "SCMP_ACT_ERRNO", errnoRet: 38,
			args: [{index: 1, value: 56, valueTwo: 56, op: "SCMP_CMP_MASKED_EQ"}]},
		  {names: ["fchmodat"], action: "SCMP_ACT_ERRNO", errnoRet: 38,
			args: [{index: 2, value: 56, valueTwo: 56, op: "SCMP_CMP_MASKED_EQ"}]}]'
	script 'touch /tmp/f; for m in 070 777 755 600; do chmod $m /tmp/f && echo "ok $m" || echo "no $m"; done'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	has_line "no 070"
	has_line "no 777"
	has_line "ok 755"
	has_line "ok 600"
}

@test "an unknown action is refused before the container starts" {
	seccomp '[{names: ["mkdir"], action: "SCMP_ACT_SOMETIMES"}]'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *SCMP_ACT_SOMETIMES* ]]
}

@test "SCMP_ACT_NOTIFY: the listener receives the fd with the state and answers" {
	require_cmd seccomp-listener
	local sock=$BATS_TEST_TMPDIR/listener.sock state=$BATS_TEST_TMPDIR/listener-state.json
	seccomp-listener --timeout 30 --state-file "$state" "$sock" 3>&- &
	LISTENER_PID=$!
	local i
	wait_until 60 test -S "$sock"
	seccomp '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]'
	edit_config "$BUNDLE" '.linux.seccomp.listenerPath = $p
		| .linux.seccomp.listenerMetadata = "hello-agent"' --arg p "$sock"
	script 'mkdir /tmp/d; echo "rc=$?"'
	run oci run --bundle "$BUNDLE" "$ID"
	# the listener answers every notification with ENOMEDIUM
	[[ $output == *"No medium found"* ]]
	has_line rc=1
	[ ! -d "$BUNDLE/rootfs/tmp/d" ]
	[ "$(jq -r '.fds[0]' "$state")" = seccompFd ]
	[ "$(jq -r .metadata "$state")" = hello-agent ]
	[ "$(jq -r .state.id "$state")" = "$ID" ]
	[ "$(jq -r .pid "$state")" -gt 0 ]
	[ "$(jq -r .ociVersion "$state")" != null ]
}
