#!/usr/bin/env bats
# Pulling from a real registry (Debian's docker-registry on 127.0.0.1) with
# the hutch CLI: a busybox image, a multi-layer image (several owners,
# setuid, hard links, xattrs, a fifo, whiteouts, an opaque dir, a zstd
# layer) and an OCI index with an attestation manifest; listing,
# inspecting, tagging, removing, saving and loading them.
# modes: sub solo

load ../helpers
load lib/registry

setup_file() {
	require_cmd docker-registry skopeo python3 zstd
	start_registry "$BATS_FILE_TMPDIR/registry"
	push_image busybox busybox:1
	push_image multi multi:v1
	push_image index index:v1
	push_image busybox concurrent:v1
	push_image big big:v1 6 3
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

# The file of path inside the image's top snapshot holding it.
snapshot_file() {
	local f
	for f in "$(store_dir)"/snapshots/*/fs/"$1"; do
		[ -e "$f" ] || [ -L "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

xattr() {
	python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())' "$1" "$2"
}

@test "pull an image and list it" {
	run with_timeout 60 hutch pull "$REGISTRY/busybox:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Pull complete"* ]]
	[[ "$output" == *"Status: Downloaded newer image for $REGISTRY/busybox:1"* ]]
	run hutch images
	[ "$status" -eq 0 ]
	[[ "$output" == *"$REGISTRY/busybox"*" 1 "* ]]
	run hutch images -q
	[ "${#lines[@]}" -ge 1 ]
	[[ "${lines[0]}" =~ ^[0-9a-f]{12}$ ]]
}

@test "a second pull of the same image downloads nothing" {
	with_timeout 60 hutch pull "$REGISTRY/busybox:1" >/dev/null
	run with_timeout 60 hutch pull "$REGISTRY/busybox:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Already exists"* ]]
	[[ "$output" != *"Downloading"* ]]
	[[ "$output" == *"Image is up to date"* ]]
}

@test "pull by digest, and progress bars on a terminal" {
	require_cmd script
	local digest
	digest=$(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/busybox:1" | sha256sum | cut -d' ' -f1)
	hutch rmi "$REGISTRY/busybox:1" >/dev/null 2>&1 || true
	hutch image prune -f >/dev/null
	# `script` gives hutch a terminal: layer lines are redrawn in place.
	run with_timeout 60 script -qec "hutch pull $REGISTRY/busybox@sha256:$digest" /dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\e[2K'* ]]
	[[ "$output" == *"Pull complete"* ]]
	run hutch image inspect "$REGISTRY/busybox@sha256:$digest"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg d "sha256:$digest" '.[0].RepoDigests | map(endswith($d)) | any'
	# A digest the registry does not have.
	run with_timeout 60 hutch pull "$REGISTRY/busybox@sha256:$(printf '0%.0s' $(seq 64))"
	[ "$status" -eq 1 ]
	hutch rmi "$REGISTRY/busybox@sha256:$digest"
}

@test "image inspect gives docker's fields" {
	with_timeout 60 hutch pull "$REGISTRY/busybox:1" >/dev/null
	run hutch image inspect "$REGISTRY/busybox:1"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.[0].Id | startswith("sha256:")'
	echo "$output" | jq -e '.[0].RootFS.Layers | length == 1'
	echo "$output" | jq -e '.[0].Config.Cmd == ["sh"]'
	echo "$output" | jq -e '.[0].Os == "linux" and .[0].Architecture == "amd64"'
	echo "$output" | jq -e --arg r "$REGISTRY/busybox:1" '.[0].RepoTags | index($r) != null'
	run hutch image inspect nosuch:image
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such image: nosuch:image"* ]]
}

@test "multi-layer image: owners, setuid, hard links, xattrs, fifo" {
	run with_timeout 60 hutch pull "$REGISTRY/multi:v1"
	[ "$status" -eq 0 ]
	local user_file setuid hard_a hard_b
	user_file=$(snapshot_file data/user-file)
	setuid=$(snapshot_file data/setuid-tool)
	hard_a=$(snapshot_file data/hard-a)
	hard_b=$(snapshot_file data/hard-b)
	# Hard links stay links.
	[ "$(stat -c %i "$hard_a")" = "$(stat -c %i "$hard_b")" ]
	[ "$(stat -c %h "$hard_a")" = 2 ]
	[ -p "$(snapshot_file data/fifo)" ]
	[ "$(xattr "$(snapshot_file data/xattr-file)" user.hutch.test)" = hello ]
	if [ "$HUTCH_TEST_MODE" = sub ]; then
		# Real ownership through the subordinate range (200000 + id - 1).
		[ "$(stat -c %u:%g "$user_file")" = "200999:200999" ]
		[ "$(stat -c %u "$(snapshot_file data/nobody-file)")" = 265533 ]
		[ "$(stat -c %a "$setuid")" = 4755 ]
		run xattr "$user_file" user.containers.override_stat
		[ "$status" -ne 0 ]
	else
		# One uid only: the wanted owner goes into the override xattr.
		[ "$(stat -c %u "$user_file")" = "$(id -u)" ]
		[ "$(xattr "$user_file" user.containers.override_stat)" = "1000:1000:0640" ]
		[ "$(stat -c %a "$setuid")" = 4755 ]
	fi
}

@test "whiteouts and opaque directories become overlay markers" {
	with_timeout 60 hutch pull "$REGISTRY/multi:v1" >/dev/null
	local top
	top=$(dirname "$(dirname "$(snapshot_file etc/motd)")")
	# .wh.drop -> a 0/0 character device (or a .wh. file where mknod fails)
	if [ -c "$top/data/drop" ]; then
		[ "$(stat -c %t:%T "$top/data/drop")" = 0:0 ]
	else
		[ -f "$top/data/.wh.drop" ]
	fi
	[ ! -e "$top/data/.wh.file-to-delete" ] || [ ! -e "$top/data/file-to-delete" ]
	[ "$(xattr "$top/opaque" user.overlay.opaque)" = y ]
	[ ! -e "$top/opaque/.wh..wh..opq" ]
	[ "$(cat "$top/opaque/new")" = "new content" ]
	# The zstd layer unpacked.
	[ "$(cat "$top/etc/motd")" = "hello from the zstd layer" ]
}

@test "an OCI index gives this machine's platform, never the attestation" {
	run with_timeout 60 hutch pull "$REGISTRY/index:v1"
	[ "$status" -eq 0 ]
	run hutch image inspect "$REGISTRY/index:v1"
	echo "$output" | jq -e '.[0].Architecture == "amd64"'
	# The repo digest is the index's, as docker shows it.
	local idx
	idx=$(skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/index:v1" | sha256sum | cut -d' ' -f1)
	echo "$output" | jq -e --arg d "sha256:$idx" '.[0].RepoDigests | map(endswith($d)) | any'
	run with_timeout 60 hutch pull --platform linux/arm64 "$REGISTRY/index:v1"
	[ "$status" -eq 0 ]
	run hutch image inspect "$REGISTRY/index:v1"
	echo "$output" | jq -e '.[0].Architecture == "arm64"'
	run with_timeout 60 hutch pull --platform linux/s390x "$REGISTRY/index:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no matching manifest for linux/s390x"* ]]
}

@test "pull of a missing image or tag fails clearly" {
	run with_timeout 60 hutch pull "$REGISTRY/nosuch:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Error response from daemon:"*"not found"* ]]
	run with_timeout 60 hutch pull "$REGISTRY/busybox:nosuchtag"
	[ "$status" -eq 1 ]
	run hutch pull "Not/A/Valid:Name"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid reference format"* ]]
}

@test "tag, then rmi removes names and finally the data" {
	with_timeout 60 hutch pull "$REGISTRY/busybox:1" >/dev/null
	run hutch tag "$REGISTRY/busybox:1" my/box:two
	[ "$status" -eq 0 ]
	run hutch images my/box
	[[ "$output" == *"my/box"*"two"* ]]
	# An id used by two names needs -f.
	local id
	id=$(hutch image inspect my/box:two | jq -r '.[0].Id')
	run hutch rmi "${id:7:12}"
	[ "$status" -eq 1 ]
	[[ "$output" == *"must be forced"* ]]
	run hutch rmi my/box:two
	[ "$status" -eq 0 ]
	[[ "$output" == *"Untagged: my/box:two"* ]]
	[[ "$output" != *"Deleted"* ]]
	run hutch rmi nosuch:tag
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such image"* ]]
	run hutch system check
	[ "$status" -eq 0 ]
}

@test "rmi of the last name deletes unshared blobs and snapshots" {
	with_timeout 60 hutch pull "$REGISTRY/multi:v1" >/dev/null
	with_timeout 60 hutch pull "$REGISTRY/busybox:1" >/dev/null
	local before after
	before=$(ls "$(store_dir)/snapshots" | wc -l)
	run hutch rmi "$REGISTRY/multi:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted: sha256:"* ]]
	after=$(ls "$(store_dir)/snapshots" | wc -l)
	# Two layers were multi's alone; busybox's base layer is shared.
	[ "$after" -eq $((before - 2)) ]
	run hutch image inspect "$REGISTRY/busybox:1"
	[ "$status" -eq 0 ]
	run hutch system check
	[ "$status" -eq 0 ]
}

@test "save and load round trip keeps the image id and names" {
	with_timeout 60 hutch pull "$REGISTRY/multi:v1" >/dev/null
	local id
	id=$(hutch image inspect "$REGISTRY/multi:v1" | jq -r '.[0].Id')
	run hutch save -o "$BATS_TEST_TMPDIR/multi.tar" "$REGISTRY/multi:v1"
	[ "$status" -eq 0 ]
	tar tf "$BATS_TEST_TMPDIR/multi.tar" | grep -qx manifest.json
	tar tf "$BATS_TEST_TMPDIR/multi.tar" | grep -qx index.json
	hutch rmi "$REGISTRY/multi:v1"
	run hutch image inspect "$REGISTRY/multi:v1"
	[ "$status" -eq 1 ]
	run hutch load -i "$BATS_TEST_TMPDIR/multi.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Loaded image: $REGISTRY/multi:v1"* ]]
	[ "$(hutch image inspect "$REGISTRY/multi:v1" | jq -r '.[0].Id')" = "$id" ]
	run hutch system check
	[ "$status" -eq 0 ]
}

@test "load a docker-archive (manifest.json only, gzip'd) from stdin" {
	with_timeout 60 hutch pull "$REGISTRY/busybox:1" >/dev/null
	local d=$BATS_TEST_TMPDIR/arch
	mkdir -p "$d"
	hutch save "$REGISTRY/busybox:1" | tar -x -C "$d"
	rm "$d/index.json" "$d/oci-layout"
	jq '.[0].RepoTags = ["archived/box:v9"]' "$d/manifest.json" >"$d/m" && mv "$d/m" "$d/manifest.json"
	tar -C "$d" -czf "$BATS_TEST_TMPDIR/docker.tgz" .
	run hutch load <"$BATS_TEST_TMPDIR/docker.tgz"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Loaded image: archived/box:v9"* ]]
	run hutch image inspect archived/box:v9
	[ "$status" -eq 0 ]
}

@test "load a plain OCI layout tarball, with a nested multi-platform index" {
	# mkimage.py's layouts name their images by a bare tag only.
	tar -C "$BATS_FILE_TMPDIR/oci-index-v1" -cf "$BATS_TEST_TMPDIR/oci.tar" .
	run hutch load -i "$BATS_TEST_TMPDIR/oci.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Loaded image ID: sha256:"* ]]
	local name
	name=$(echo "$output" | sed -n 's/.*(named \(.*\))/\1/p')
	run hutch image inspect "$name"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.[0].Architecture == "amd64"'
	hutch rmi "$name"
	run hutch system check
	[ "$status" -eq 0 ]
}

@test "load of something that is not an image archive fails and keeps nothing" {
	local blobs_before
	blobs_before=$(ls "$(store_dir)/blobs/sha256" | wc -l)
	echo "hello" >"$BATS_TEST_TMPDIR/not.tar"
	run hutch load -i "$BATS_TEST_TMPDIR/not.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not an image archive"* ]]
	# An archive whose blob does not match its name.
	local d=$BATS_TEST_TMPDIR/bad
	mkdir -p "$d/blobs/sha256"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	echo "evil" >"$d/blobs/sha256/0000000000000000000000000000000000000000000000000000000000000000"
	echo '{"schemaVersion":2,"manifests":[]}' >"$d/index.json"
	tar -C "$d" -cf "$BATS_TEST_TMPDIR/bad.tar" .
	run hutch load -i "$BATS_TEST_TMPDIR/bad.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"digest mismatch"* ]]
	# Nothing new was kept (the failed load's GC may even collect older
	# garbage, so the count can only go down).
	[ "$(ls "$(store_dir)/blobs/sha256" | wc -l)" -le "$blobs_before" ]
	[ ! -e "$(store_dir)/blobs/sha256/$(echo evil | sha256sum | cut -d' ' -f1)" ]
	[ -z "$(ls "$(store_dir)/tmp")" ]
}

@test "two concurrent pulls of one image download each layer once" {
	hutch rmi "$REGISTRY/big:v1" >/dev/null 2>&1 || true
	with_timeout 120 hutch pull "$REGISTRY/big:v1" >"$BATS_TEST_TMPDIR/a" &
	local a=$!
	with_timeout 120 hutch pull "$REGISTRY/big:v1" >"$BATS_TEST_TMPDIR/b" &
	local b=$!
	wait $a
	wait $b
	# 3 layers: each "Download complete" appears once over both outputs.
	[ "$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | grep -c 'Download complete')" -eq 3 ]
	grep -q "Status:" "$BATS_TEST_TMPDIR/a"
	grep -q "Status:" "$BATS_TEST_TMPDIR/b"
	run hutch system check
	[ "$status" -eq 0 ]
}

# The layer digests of big:v1, from the registry.
big_layers() {
	curl -s "http://$REGISTRY/v2/big/manifests/v1" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' | jq -r '.layers[].digest'
}

# How many layer blobs of big:v1 are in the store (the manifest and
# config are there from the start of a pull).
layer_blobs_stored() {
	local n=0 d
	for d in $(big_layers); do
		[ -e "$(store_dir)/blobs/sha256/${d#sha256:}" ] && n=$((n + 1))
	done
	echo $n
}

@test "layers are unpacked while they download" {
	hutch rmi "$REGISTRY/big:v1" >/dev/null 2>&1 || true
	hutch image prune -a -f >/dev/null
	# 3 layers of about 1 MB each at 500 kB/s: 2 s per download.
	start_proxy --rate 500000
	with_timeout 120 hutch pull "$PROXY/big:v1" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pull=$!
	# Files of a layer are written while no layer blob is complete: an
	# unpack that waited for its download would only start after the
	# blob is in the store.
	wait_for '[ -n "$(find "$(store_dir)"/snapshots/.tmp-*/fs -type f 2>/dev/null | head -n 1)" ]'
	[ "$(layer_blobs_stored)" -eq 0 ]
	wait $pull
	cat "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c 'Pull complete' "$BATS_TEST_TMPDIR/out")" -eq 3 ]
	[ "$(layer_blobs_stored)" -eq 3 ]
	[ -z "$(ls -A "$(store_dir)/tmp")" ]
	run hutch system check
	echo "$output"
	[ "$status" -eq 0 ]
	hutch rmi "$PROXY/big:v1" >/dev/null
}

@test "a download retried after a cut connection is unpacked from the complete blob" {
	hutch image prune -a -f >/dev/null
	# The cut comes while the layers' helpers follow their downloads.
	start_proxy --rate 2000000 --cut-once 700000
	run with_timeout 120 hutch pull "$PROXY/big:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c 'Pull complete')" -eq 3 ]
	grep -q "retrying" "$BATS_FILE_TMPDIR/hutchd.log"
	[ -z "$(ls -A "$(store_dir)/tmp")" ]
	! ls -A "$(store_dir)/snapshots" | grep -q '^\.tmp-'
	run hutch system check
	echo "$output"
	[ "$status" -eq 0 ]
	# Every file arrived whole: the snapshots hold the layers' bytes.
	local x=$BATS_TEST_TMPDIR/layers d f
	mkdir "$x"
	for d in $(big_layers); do
		curl -s "http://$REGISTRY/v2/big/blobs/$d" | tar -xzf - -C "$x"
	done
	(cd "$x" && find . -type f -exec sha256sum {} + | sort) >"$BATS_TEST_TMPDIR/want"
	for f in "$(store_dir)"/snapshots/*/fs; do
		(cd "$f" && find . -type f -exec sha256sum {} +)
	done | sort >"$BATS_TEST_TMPDIR/got"
	[ -s "$BATS_TEST_TMPDIR/want" ]
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	hutch rmi "$PROXY/big:v1" >/dev/null
}

@test "image prune -a removes everything, plain prune keeps named images" {
	with_timeout 60 hutch pull "$REGISTRY/busybox:1" >/dev/null
	run hutch image prune -f
	[ "$status" -eq 0 ]
	run hutch image inspect "$REGISTRY/busybox:1"
	[ "$status" -eq 0 ]
	run hutch image prune
	[ "$status" -eq 1 ]
	[[ "$output" == *"-f"* ]]
	run hutch image prune -a -f
	[ "$status" -eq 0 ]
	[[ "$output" == *"Total reclaimed space"* ]]
	[ -z "$(hutch images -q)" ]
	[ -z "$(ls "$(store_dir)/snapshots")" ]
	[ -z "$(ls "$(store_dir)/blobs/sha256")" ]
}
