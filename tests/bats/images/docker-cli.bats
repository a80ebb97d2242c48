#!/usr/bin/env bats
# The real docker CLI as a client of hutchd (DOCKER_HOST=unix://...):
# pull, images, image inspect, tag, rmi, save and load.
# modes: sub solo

load ../helpers
load lib/registry

setup_file() {
	require_cmd docker docker-registry skopeo python3
	start_registry "$BATS_FILE_TMPDIR/registry"
	push_image busybox busybox:1
	push_image multi multi:v1
	start_hutchd
	export REGISTRY REGISTRY_PID REGISTRY_DIR HUTCHD_PID
}

teardown_file() {
	stop_hutchd
	stop_sandbox
	stop_registry
}

@test "docker version talks to hutchd" {
	run with_timeout 30 docker version --format '{{.Server.APIVersion}}'
	[ "$status" -eq 0 ]
	[ "$output" = 1.44 ]
}

@test "docker pull, images, image inspect" {
	run with_timeout 60 docker pull "$REGISTRY/busybox:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Pull complete"* || "$output" == *"Already exists"* ]]
	[[ "$output" == *"Digest: sha256:"* ]]
	run with_timeout 30 docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *"$REGISTRY/busybox:1 "* ]]
	run with_timeout 30 docker image inspect --format '{{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}' "$REGISTRY/busybox:1"
	[ "$status" -eq 0 ]
	[ "$output" = "linux/amd64 1" ]
	run with_timeout 30 docker image inspect nosuch:image
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such image"* ]]
}

@test "docker pull of a multi-layer image shows per-layer progress" {
	run with_timeout 60 docker pull "$REGISTRY/multi:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -cE '^[0-9a-f]{12}: (Pull complete|Already exists)')" -eq 3 ]
}

@test "docker pull of a missing image fails with docker's message" {
	run with_timeout 60 docker pull "$REGISTRY/nosuch:v1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"pull access denied"*"repository does not exist"* ]]
}

@test "docker tag and docker rmi" {
	with_timeout 60 docker pull -q "$REGISTRY/busybox:1" >/dev/null
	run with_timeout 30 docker tag "$REGISTRY/busybox:1" dockertag/box:v2
	[ "$status" -eq 0 ]
	run with_timeout 30 docker images --format '{{.Repository}}:{{.Tag}}'
	[[ "$output" == *"dockertag/box:v2"* ]]
	run with_timeout 30 docker rmi dockertag/box:v2
	[ "$status" -eq 0 ]
	[[ "$output" == *"Untagged: dockertag/box:v2"* ]]
	run with_timeout 30 docker rmi "$REGISTRY/busybox:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted: sha256:"* ]]
	run with_timeout 30 docker images -q
	[[ "$output" != *"$REGISTRY/busybox"* ]]
	run hutch system check
	[ "$status" -eq 0 ]
}

@test "docker save and docker load round trip" {
	with_timeout 60 docker pull -q "$REGISTRY/multi:v1" >/dev/null
	run with_timeout 60 docker save -o "$BATS_TEST_TMPDIR/m.tar" "$REGISTRY/multi:v1"
	[ "$status" -eq 0 ]
	with_timeout 30 docker rmi "$REGISTRY/multi:v1" >/dev/null
	run with_timeout 60 docker load -i "$BATS_TEST_TMPDIR/m.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Loaded image: $REGISTRY/multi:v1"* ]]
	run with_timeout 30 docker image inspect "$REGISTRY/multi:v1"
	[ "$status" -eq 0 ]
}
