#!/usr/bin/env bats
# Optional cgroups. Rootless on this kind of host (cgroup v1 or hybrid, no
# delegation) a container runs without a cgroup after one warning, and
# pause/resume/update say clearly why they cannot work; a cgroupsPath the
# config demands is an error. As root the cgroup exists, carries the
# limits, and pause/resume freeze it.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup cg
	make_bundle "$BUNDLE" sleep 30
}

teardown() {
	timeout 10 hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
}

# oci_create ARGS...: `create` with its stdio on a file. The container
# process inherits create's stdio (as with runc) and keeps it until it
# exits, so a `run` capturing it, or bats' own fds, would wait that long.

# Whether this mode can have a cgroup at all: real root, or a delegated
# cgroup v2 subtree (a systemd user scope) for the others.
have_cgroup() {
	[ "$HUTCH_TEST_MODE" = root ] && return 0
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || return 1
	local own
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	[ -w "/sys/fs/cgroup$own/.." ] || [ -w "/sys/fs/cgroup$own" ]
}

wait_for_status() {
	wait_status "$@"
}

# cgroup_dir CONTROLLER: the container's cgroup directory on a v1 host,
# from its init's /proc/PID/cgroup.
cgroup_dir() {
	local pid rel
	pid=$(oci state "$ID" | jq -r .pid)
	rel=$(awk -F: -v c="$1" '$2 == c {print $3}' "/proc/$pid/cgroup")
	echo "/sys/fs/cgroup/$1$rel"
}

@test "without a cgroup the container runs after one warning" {
	have_cgroup && skip "this mode has a cgroup"
	edit_config "$BUNDLE" '.process.args = ["true"]'
	run oci run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output == *"running without a cgroup: resource limits in the config are not applied"* ]]
	[ "$(grep -c "running without a cgroup" <<<"$output")" = 1 ]
}

@test "pause and resume without a cgroup fail with a clear message" {
	have_cgroup && skip "this mode has a cgroup"
	oci_create --bundle "$BUNDLE" "$ID"
	run oci pause "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"has no cgroup"*"pause is not available"* ]]
	# never paused: refused as such, or for want of a cgroup
	run oci resume "$ID"
	[ "$status" -ne 0 ]
	[[ $output == *"has no cgroup"*"resume is not available"* ]] || [[ $output == *"not paused"* ]]
	# the container is untouched by the failed pause
	[ "$(oci state "$ID" | jq -r .status)" = created ]
}

@test "a cgroupsPath that cannot be created is an error, not a silent downgrade" {
	have_cgroup && skip "this mode has a cgroup"
	edit_config "$BUNDLE" '.linux.cgroupsPath = "/hutch-test-demanded/c1"'
	run oci_create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	run cat "$BATS_TEST_TMPDIR/create.out"
	[[ $output == *"/hutch-test-demanded/c1"* ]]
	[[ $output == *"cgroupsPath demands it"* ]]
	run oci state "$ID"
	[ "$status" -ne 0 ]
}

@test "--cgroup-manager disabled never creates one, and says nothing" {
	edit_config "$BUNDLE" '.process.args = ["true"]'
	run with_timeout 30 hutch-oci --cgroup-manager disabled --root "$STATE" run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ $output != *"running without a cgroup"* ]]
}

@test "as root the cgroup carries the limits and goes away with the container" {
	skip_unless_mode root
	[ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] || skip "checks the v1 files of this host"
	edit_config "$BUNDLE" '.linux.resources = {pids: {limit: 42},
		memory: {limit: 67108864}, cpu: {shares: 512}}
		| .process.args = ["sh", "-c", "cat /proc/self/cgroup; until [ -e /go ]; do sleep 0.05; done"]'
	local out=$BATS_TEST_TMPDIR/run.out
	oci run --bundle "$BUNDLE" "$ID" </dev/null >"$out" 2>&1 3>&- 4>&- &
	local run_pid=$!
	# The container runs until the test has looked at its cgroups (it
	# waits for /go), not for a guessed three seconds.
	wait_until 60 grep -q ':pids:' "$out"
	# the container's own view of its cgroups, as hierarchy paths
	local pids mem cpu
	pids=/sys/fs/cgroup/pids$(awk -F: '$2 == "pids" {print $3}' "$out")
	mem=/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" {print $3}' "$out")
	cpu=/sys/fs/cgroup/cpu$(awk -F: '$2 == "cpu" {print $3}' "$out")
	[ "$pids" != /sys/fs/cgroup/pids/ ]
	[ "$(cat "$pids/pids.max")" = 42 ]
	[ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$cpu/cpu.shares")" = 512 ]
	touch "$BUNDLE/rootfs/go"
	wait "$run_pid"
	[ ! -d "$pids" ]
	[ ! -d "$mem" ]
}

@test "as root pause and resume freeze and thaw the container" {
	skip_unless_mode root
	oci_create --bundle "$BUNDLE" "$ID"
	run oci start "$ID"
	[ "$status" -eq 0 ]
	wait_for_status running
	run oci pause "$ID"
	[ "$status" -eq 0 ]
	wait_for_status paused
	local pid
	pid=$(oci state "$ID" | jq -r .pid)
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ]; then
		[ "$(cat "$(cgroup_dir freezer)/freezer.state")" = FROZEN ]
	fi
	run oci resume "$ID"
	[ "$status" -eq 0 ]
	wait_for_status running
	[ "$(awk '{print $3}' "/proc/$pid/stat")" != T ]
}

@test "update without a cgroup fails with a clear message" {
	have_cgroup && skip "this mode has a cgroup"
	oci_create --bundle "$BUNDLE" "$ID"
	run oci update --resources - "$ID" <<<'{"pids": {"limit": 77}}'
	[ "$status" -ne 0 ]
	[[ $output == *"has no cgroup"*"update is not available"* ]]
}

@test "as root update changes the limits of the running container" {
	skip_unless_mode root
	[ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] || skip "checks the v1 files of this host"
	edit_config "$BUNDLE" '.linux.resources = {pids: {limit: 42}}'
	oci_create --bundle "$BUNDLE" "$ID"
	local pids
	pids=$(cgroup_dir pids)
	[ "$(cat "$pids/pids.max")" = 42 ]
	run oci update --resources - "$ID" <<<'{"pids": {"limit": 77}, "cpu": {"shares": 300}}'
	[ "$status" -eq 0 ]
	[ "$(cat "$pids/pids.max")" = 77 ]
	[ "$(cat "$(cgroup_dir cpu)/cpu.shares")" = 300 ]
	run oci update --resources - "$ID" <<<'{"unified": {"memory.max": "1"}}'
	[ "$status" -ne 0 ]
	[[ $output == *"needs cgroup v2"* ]]
}

@test "as root kill --all reaches every process of the cgroup" {
	skip_unless_mode root
	[ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] || skip "checks the v1 files of this host"
	edit_config "$BUNDLE" '.process.args = ["sh", "-c", "sleep 30 & sleep 30 & wait"]'
	oci_create --bundle "$BUNDLE" "$ID"
	run oci start "$ID"
	[ "$status" -eq 0 ]
	wait_for_status running
	local procs
	procs=$(cgroup_dir pids)/cgroup.procs
	procs_at_least_3() { [ "$(wc -l <"$procs")" -ge 3 ]; }
	wait_until 60 procs_at_least_3
	run oci kill --all "$ID" KILL
	[ "$status" -eq 0 ]
	wait_for_status stopped
	[ "$(wc -l <"$procs")" = 0 ]
}

@test "as root on cgroup v2 pause, resume and kill --all work through cgroup.freeze and cgroup.kill" {
	skip_unless_mode root
	require_cmd unshare
	local fs
	fs=$(stat -f -c %T /sys/fs/cgroup)
	if [ "$fs" != cgroup2fs ]; then
		[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] ||
			skip "no cgroup2 file system on this host"
	fi
	# On a hybrid host the cgroup2 "unified" mount stands in for a unified
	# host inside a private mount namespace; every command must run there.
	cat >"$BATS_TEST_TMPDIR/v2.sh" <<-'SCRIPT'
		set -e
		if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
			mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup
		fi
		oci() { timeout 30 hutch-oci --root "$STATE" "$@"; }
		oci create --bundle "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/create.out" 2>&1 3>&- 4>&-
		oci start "$ID"
		dir=/sys/fs/cgroup$(awk -F: '$1 == 0 {print $3}' "/proc/$(oci state "$ID" | jq -r .pid)/cgroup")
		[ "$dir" != /sys/fs/cgroup/ ]
		oci pause "$ID"
		[ "$(oci state "$ID" | jq -r .status)" = paused ]
		grep -qx 'frozen 1' "$dir/cgroup.events"
		oci resume "$ID"
		grep -qx 'frozen 0' "$dir/cgroup.events"
		oci kill --all "$ID" KILL
		for i in $(seq 1200); do
			[ "$(oci state "$ID" | jq -r .status)" = stopped ] && break
			sleep 0.05
		done
		[ "$(oci state "$ID" | jq -r .status)" = stopped ]
		oci delete "$ID"
		[ ! -d "$dir" ]
		echo v2-ok
	SCRIPT
	run env STATE="$STATE" BUNDLE="$BUNDLE" ID="$ID" BATS_TEST_TMPDIR="$BATS_TEST_TMPDIR" \
		unshare -m --propagation private bash -x "$BATS_TEST_TMPDIR/v2.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *v2-ok* ]]
}
