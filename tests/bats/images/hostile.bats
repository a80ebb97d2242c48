#!/usr/bin/env bats
# Hostile input: layers crafted for every extraction-escape class (the
# CVE-2014-6407 / CVE-2014-9356 / CVE-2021-32760 / CVE-2024-3727 family), a
# blob whose digest does not match, a gzip stream cut short, a manifest that
# is not JSON, a registry that dies mid-pull, a full disk. Each fails with a
# clear error and keeps nothing: no image, no snapshot, no temp file, a
# consistent store.
# modes: sub solo

load ../helpers
load lib/registry

setup_file() {
	require_cmd docker-registry skopeo python3
	start_registry "$BATS_FILE_TMPDIR/registry"
	local k
	for k in dotdot absolute symlink-file symlink-relative hardlink-out swapdir \
		whiteout-dotdot device xattr-spoof; do
		push_image hostile "hostile-$k:v1" "$k"
	done
	push_image busybox corrupt:v1
	push_image busybox garbage:v1
	push_image gzip gzip-members:v1 gzip-members
	push_image gzip gzip-cut:v1 gzip-cut
	push_image big big:v1 12 2
	start_hutchd
	export REGISTRY REGISTRY_PID REGISTRY_DIR HUTCHD_PID
}

teardown_file() {
	stop_hutchd
	stop_sandbox
	stop_registry
}

teardown() {
	stop_proxy
}

# Nothing of a failed pull is left behind.
assert_nothing_kept() {
	local name=$1
	run hutch image inspect "$name"
	[ "$status" -eq 1 ]
	[ -z "$(ls -A "$(store_dir)/tmp")" ]
	! ls -A "$(store_dir)/snapshots" | grep -q '^\.tmp-'
	run hutch system check
	echo "$output"
	[ "$status" -eq 0 ]
}

refused_pull() {
	local kind=$1 want=$2
	run with_timeout 60 hutch pull "$REGISTRY/hostile-$kind:v1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$want"* ]]
	assert_nothing_kept "$REGISTRY/hostile-$kind:v1"
}

@test "layer entry with .. is refused" {
	refused_pull dotdot '".." component refused'
	[ ! -e "$(store_dir)/snapshots/escaped-dotdot" ]
}

@test "layer entry with an absolute path is refused" {
	refused_pull absolute "absolute path refused"
	[ ! -e /tmp/escaped-absolute ] || [ "$(stat -c %U /tmp/escaped-absolute)" != "$(id -un)" ]
}

@test "a file written through an absolute symlink is refused" {
	refused_pull symlink-file "is not a directory (a symlink?): refused"
	[ ! -e /tmp/escaped-symlink ] || [ "$(stat -c %U /tmp/escaped-symlink)" != "$(id -un)" ]
}

@test "a file written through a relative escaping symlink is refused" {
	refused_pull symlink-relative "refused"
	[ ! -e /tmp/escaped-symlink ] || [ "$(stat -c %U /tmp/escaped-symlink)" != "$(id -un)" ]
}

@test "a hard link to a file outside the layer is refused" {
	refused_pull hardlink-out "refused"
}

@test "a directory swapped for a symlink mid-archive is refused" {
	refused_pull swapdir "refused"
	[ ! -e /tmp/escaped-swapdir ] || [ "$(stat -c %U /tmp/escaped-swapdir)" != "$(id -un)" ]
}

@test "a whiteout of .. is refused" {
	refused_pull whiteout-dotdot "invalid whiteout name"
}

@test "device nodes are skipped with a warning" {
	run with_timeout 60 hutch pull "$REGISTRY/hostile-device:v1"
	[ "$status" -eq 0 ]
	grep -q "dev/evil-null: device node 1:3 skipped" "$BATS_FILE_TMPDIR/hutchd.log"
	! ls "$(store_dir)"/snapshots/*/fs/dev/evil-null 2>/dev/null
	hutch rmi "$REGISTRY/hostile-device:v1"
}

@test "a layer cannot forge hutch's own xattrs" {
	run with_timeout 60 hutch pull "$REGISTRY/hostile-xattr-spoof:v1"
	[ "$status" -eq 0 ]
	grep -q "xattr user.containers.override_stat not kept" "$BATS_FILE_TMPDIR/hutchd.log"
	local f
	f=$(ls "$(store_dir)"/snapshots/*/fs/spoof)
	run python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.containers.override_stat").decode())' "$f"
	[[ "$output" != *"04755"* ]]
	hutch rmi "$REGISTRY/hostile-xattr-spoof:v1"
}

@test "a blob whose content does not match its digest is refused" {
	local layer
	layer=$(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/corrupt:v1" | jq -r '.layers[0].digest')
	local f
	f=$(registry_blob_file "$layer")
	local size
	size=$(stat -c %s "$f")
	head -c "$size" /dev/urandom >"$f"
	run with_timeout 60 hutch pull "$REGISTRY/corrupt:v1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"digest mismatch"* ]]
	[ ! -e "$(store_dir)/blobs/sha256/${layer#sha256:}" ]
	assert_nothing_kept "$REGISTRY/corrupt:v1"
}

@test "a gzip layer cut short is refused, and a layer of two gzip members is whole" {
	run with_timeout 60 hutch pull "$REGISTRY/gzip-cut:v1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"layer"* ]]
	assert_nothing_kept "$REGISTRY/gzip-cut:v1"
	# Concatenated members are one stream (gzip -d, libarchive, igzip):
	# the diff_id covers both halves, so a partial decode cannot pass.
	run with_timeout 60 hutch pull "$REGISTRY/gzip-members:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	hutch rmi "$REGISTRY/gzip-members:v1"
}

@test "a manifest that is not JSON is refused" {
	start_proxy --garbage-manifest
	run with_timeout 60 hutch pull "$PROXY/garbage:v1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not valid JSON"* ]]
	assert_nothing_kept "$PROXY/garbage:v1"
}

@test "a registry that dies mid-pull gives an error and keeps nothing" {
	start_proxy --die-after 3000000
	run with_timeout 120 hutch pull "$PROXY/big:v1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"layer sha256:"* ]]
	assert_nothing_kept "$PROXY/big:v1"
}

@test "a full disk fails the pull cleanly" {
	require_cmd unshare
	# A 6 MiB tmpfs as the store, in a private user+mount namespace.
	cat >"$BATS_TEST_TMPDIR/full.sh" <<-'SH'
		set -e
		store=$1/store run=$1/run
		mkdir -p "$store" "$run"
		chmod 700 "$run"
		mount -t tmpfs -o size=6m tmpfs "$store"
		export XDG_RUNTIME_DIR=$run HUTCH_SOCKET=$run/hutch/hutchd.sock
		hutchd --root "$store/hutch" --log "$1/full.log" &
		pid=$!
		for i in $(seq 1 1200); do [ -S "$HUTCH_SOCKET" ] && break; sleep 0.05; done
		rc=0
		hutch pull "$2/big:v1" >"$1/pull.out" 2>&1 || rc=$?
		echo "pull-rc=$rc"
		hutch images -q | wc -l | sed 's/^/images=/'
		ls -A "$store/hutch/tmp" | wc -l | sed 's/^/tmpfiles=/'
		ls -A "$store/hutch/snapshots" | grep -c '^\.tmp-' | sed 's/^/tmpsnaps=/' || true
		hutch system check >"$1/check.out" 2>&1 && echo check=ok || echo check=bad
		kill $pid; wait $pid || true
		# The sandbox holder outlives hutchd by design: end it.
		[ -f "$run/hutch/sandbox.pid" ] && kill "$(cat "$run/hutch/sandbox.pid")" || true
	SH
	run with_timeout 120 unshare -Urm bash "$BATS_TEST_TMPDIR/full.sh" "$BATS_TEST_TMPDIR" "$REGISTRY"
	echo "$output"
	cat "$BATS_TEST_TMPDIR/pull.out"
	[[ "$output" == *"pull-rc=1"* ]]
	[[ "$output" == *"images=0"* ]]
	[[ "$output" == *"tmpfiles=0"* ]]
	[[ "$output" == *"tmpsnaps=0"* ]]
	[[ "$output" == *"check=ok"* ]]
	grep -q "No space left on device" "$BATS_TEST_TMPDIR/pull.out"
}
