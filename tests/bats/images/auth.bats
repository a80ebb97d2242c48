#!/usr/bin/env bats
# Registry authentication: Bearer tokens from the WWW-Authenticate
# challenge, Basic credentials for the token service from the docker CLI's
# config.json or X-Registry-Auth, and no credentials sent along a redirect
# to another host. The registry is Debian's docker-registry behind a small
# proxy that adds token auth (lib/proxy.py).
# modes: sub solo

load ../helpers
load lib/registry

setup_file() {
	require_cmd docker-registry skopeo python3
	start_registry "$BATS_FILE_TMPDIR/registry"
	push_image busybox busybox:1
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
	rm -f "$DOCKER_CONFIG/config.json"
	hutch image prune -a -f >/dev/null 2>&1 || true
}

@test "without credentials a token-protected registry says so" {
	start_proxy --bearer alice:secret
	run with_timeout 60 hutch pull "$PROXY/busybox:1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"token from http://127.0.0.1:"*"HTTP 401"* ]]
}

@test "credentials from ~/.docker/config.json get a Bearer token" {
	start_proxy --bearer alice:secret
	local auth
	auth=$(printf 'alice:secret' | base64)
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$PROXY" "$auth" >"$DOCKER_CONFIG/config.json"
	run with_timeout 60 hutch pull "$PROXY/busybox:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Pull complete"* ]]
}

@test "wrong credentials are refused" {
	start_proxy --bearer alice:secret
	local auth
	auth=$(printf 'alice:wrong' | base64)
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$PROXY" "$auth" >"$DOCKER_CONFIG/config.json"
	run with_timeout 60 hutch pull "$PROXY/busybox:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrong credentials"* ]]
}

@test "X-Registry-Auth from the docker CLI is used" {
	require_cmd docker
	start_proxy --bearer bob:pw
	# The CLI keeps its credentials in its own config dir, one hutchd
	# does not read: they can only reach hutchd as X-Registry-Auth.
	local cli=$BATS_TEST_TMPDIR/cli-config
	mkdir -p "$cli"
	run with_timeout 30 env DOCKER_CONFIG="$cli" bash -c "echo wrong | docker login --username bob --password-stdin $PROXY"
	[ "$status" -ne 0 ]
	run with_timeout 30 env DOCKER_CONFIG="$cli" bash -c "echo pw | docker login --username bob --password-stdin $PROXY"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Login Succeeded"* ]]
	run with_timeout 60 docker pull "$PROXY/busybox:1"
	[ "$status" -ne 0 ]
	run with_timeout 60 env DOCKER_CONFIG="$cli" docker pull "$PROXY/busybox:1"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "no credentials follow a redirect to another host" {
	start_proxy --bearer alice:secret --redirect-blobs "$BATS_TEST_TMPDIR/redirects"
	local auth
	auth=$(printf 'alice:secret' | base64)
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$PROXY" "$auth" >"$DOCKER_CONFIG/config.json"
	run with_timeout 60 hutch pull "$PROXY/busybox:1"
	echo "$output"
	[ "$status" -eq 0 ]
	cat "$BATS_TEST_TMPDIR/redirects"
	grep -q "auth=no" "$BATS_TEST_TMPDIR/redirects"
	! grep -q "auth=yes" "$BATS_TEST_TMPDIR/redirects"
}
