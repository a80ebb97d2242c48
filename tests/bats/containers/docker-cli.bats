#!/usr/bin/env bats
# The real docker CLI (DOCKER_HOST=unix://...hutchd.sock) running, listing,
# logging, exec-ing into, copying from and removing containers in hutchd.
# modes: sub solo

load ../helpers
load ../images/lib/registry

bats_require_minimum_version 1.5.0

setup_file() {
	require_cmd docker docker-registry skopeo python3 curl
	start_registry "$BATS_FILE_TMPDIR/registry"
	push_image busybox busybox:1
	mkdir -p "$BATS_FILE_TMPDIR/config/hutch"
	# Containers may reach the host's loopback and nothing else.
	echo "slirp_outbound_allow = 127.0.0.0/8" >"$BATS_FILE_TMPDIR/config/hutch/hutch.conf"
	start_hutchd
	with_timeout 60 docker pull -q "$REGISTRY/busybox:1" >/dev/null
	export REGISTRY REGISTRY_PID REGISTRY_DIR HUTCHD_PID IMAGE=$REGISTRY/busybox:1
}

teardown_file() {
	with_timeout 60 docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
	stop_hutchd
	stop_sandbox
	stop_registry
}

teardown() {
	with_timeout 60 docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
}

@test "docker run --rm prints and exits 0, and leaves nothing behind" {
	run with_timeout 60 docker run --rm "$IMAGE" echo hi
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	run with_timeout 30 docker ps -aq
	[ -z "$output" ]
}

@test "docker run passes the exit code through" {
	run with_timeout 60 docker run --rm "$IMAGE" sh -c 'echo out; echo err >&2; exit 3'
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *out* ]]
	[[ "$output" == *err* ]]
}

@test "docker run of a missing command exits 127, of a non-executable 126" {
	run -127 with_timeout 60 docker run --rm "$IMAGE" /no/such/command
	echo "$output"
	run -126 with_timeout 60 docker run --rm "$IMAGE" /etc/passwd
	echo "$output"
	run with_timeout 30 docker ps -aq
	[ -z "$output" ]
}

@test "docker run -d -p publishes a port to a host client on 127.0.0.1" {
	local port
	port=$(free_port)
	run with_timeout 60 docker run -d --name web -p "127.0.0.1:$port:8080" "$IMAGE" \
		sh -c 'mkdir -p /www && echo served-by-hutch >/www/index.html && exec httpd -f -p 8080 -h /www'
	echo "$output"
	[ "$status" -eq 0 ]
	served() { [ "$(curl -s --max-time 2 "http://127.0.0.1:$port/index.html")" = served-by-hutch ]; }
	wait_until 60 served
	run with_timeout 30 docker port web 8080
	[ "$status" -eq 0 ]
	[[ "$output" == *"127.0.0.1:$port"* ]]
}

@test "docker ps lists running containers, -a the exited ones" {
	with_timeout 60 docker run -d --name sleeper "$IMAGE" sleep 300 >/dev/null
	with_timeout 60 docker run --name done "$IMAGE" true
	run with_timeout 30 docker ps --format '{{.Names}} {{.Status}}'
	echo "$output"
	[[ "$output" == *"sleeper Up"* ]]
	[[ "$output" != *done* ]]
	run with_timeout 30 docker ps -a --format '{{.Names}} {{.Status}}'
	echo "$output"
	[[ "$output" == *"done Exited (0)"* ]]
}

@test "docker logs -f follows until the container stops" {
	with_timeout 60 docker run -d --name talker "$IMAGE" \
		sh -c 'for i in 1 2 3; do echo line$i; sleep 0.3; done' >/dev/null
	run with_timeout 60 docker logs -f talker
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'line1\nline2\nline3')" ]
	run with_timeout 30 docker logs --tail 1 talker
	[ "$output" = line3 ]
}

@test "docker exec runs in the container and returns its exit code" {
	with_timeout 60 docker run -d --name target "$IMAGE" sh -c 'echo inside >/tmp/mark; sleep 300' >/dev/null
	wait_until 60 with_timeout 30 docker exec target test -f /tmp/mark
	run with_timeout 30 docker exec target cat /tmp/mark
	[ "$status" -eq 0 ]
	[ "$output" = inside ]
	run with_timeout 30 docker exec target sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run with_timeout 30 sh -c "echo piped | docker exec -i target cat"
	[ "$output" = piped ]
}

@test "docker stop ends a container within its timeout and docker rm removes it" {
	with_timeout 60 docker run -d --name stopme "$IMAGE" sleep 300 >/dev/null
	local t0=$SECONDS
	run with_timeout 60 docker stop -t 2 stopme
	[ "$status" -eq 0 ]
	[ $((SECONDS - t0)) -lt 20 ]
	run with_timeout 30 docker inspect --format '{{.State.Status}} {{.State.ExitCode}}' stopme
	[ "$output" = "exited 137" ] || [ "$output" = "exited 143" ]
	run with_timeout 30 docker rm stopme
	[ "$status" -eq 0 ]
	run with_timeout 30 docker inspect stopme
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such"* ]]
}

@test "docker rm -f removes a running container" {
	with_timeout 60 docker run -d --name forceme "$IMAGE" sleep 300 >/dev/null
	run with_timeout 30 docker rm forceme
	[ "$status" -ne 0 ]
	run with_timeout 30 docker rm -f forceme
	[ "$status" -eq 0 ]
	run with_timeout 30 docker ps -aq
	[ -z "$output" ]
}

@test "docker cp copies into and out of a container" {
	with_timeout 60 docker run -d --name cpbox "$IMAGE" sleep 300 >/dev/null
	echo "from the host" >"$BATS_TEST_TMPDIR/in.txt"
	run with_timeout 30 docker cp "$BATS_TEST_TMPDIR/in.txt" cpbox:/tmp/in.txt
	echo "$output"
	[ "$status" -eq 0 ]
	run with_timeout 30 docker exec cpbox cat /tmp/in.txt
	[ "$output" = "from the host" ]
	run with_timeout 30 docker cp cpbox:/etc/hostname "$BATS_TEST_TMPDIR/hostname"
	[ "$status" -eq 0 ]
	[ -s "$BATS_TEST_TMPDIR/hostname" ]
}

@test "docker inspect shows state, config and ports in Docker's shape" {
	with_timeout 60 docker run -d --name insp -e FOO=bar "$IMAGE" sleep 300 >/dev/null
	run with_timeout 30 docker inspect --format '{{.State.Running}} {{.Config.Image}} {{index .Config.Env 0}}' insp
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "true $IMAGE "* ]]
	run with_timeout 30 docker inspect insp
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.[0].Id | length == 64'
	echo "$output" | jq -e '.[0].Name == "/insp"'
	echo "$output" | jq -e '.[0].State.Pid > 0'
	echo "$output" | jq -e '.[0].HostConfig | type == "object"'
}

@test "docker run with a bind volume reads and writes host files" {
	mkdir -p "$BATS_TEST_TMPDIR/vol"
	echo hostdata >"$BATS_TEST_TMPDIR/vol/in"
	run with_timeout 60 docker run --rm -v "$BATS_TEST_TMPDIR/vol:/data" "$IMAGE" \
		sh -c 'cat /data/in && echo containerdata >/data/out'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = hostdata ]
	[ "$(cat "$BATS_TEST_TMPDIR/vol/out")" = containerdata ]
}

@test "docker bad input: unknown image, bad port, missing bind source, name in use" {
	run with_timeout 60 docker run --rm --pull never 127.0.0.1:1/nosuch:image true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such image"* || "$output" == *"Unable to find image"* ]]
	run with_timeout 30 docker run --rm -p 99999:80 "$IMAGE" true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *[Pp]ort* ]]
	# The docker CLI checks that one itself; hutchd must refuse it too.
	run api POST /v1.44/containers/create -H 'Content-Type: application/json' \
		-d "{\"Image\":\"$IMAGE\",\"Cmd\":[\"true\"],\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"99999\"}]}}}"
	echo "$output"
	[[ "$output" == *'"message"'*[Pp]ort* ]]
	run with_timeout 30 docker run --rm --mount "type=bind,src=$BATS_TEST_TMPDIR/absent,dst=/x" "$IMAGE" true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	with_timeout 60 docker run -d --name taken "$IMAGE" sleep 300 >/dev/null
	run with_timeout 30 docker run --name taken "$IMAGE" true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already in use"* ]]
	run with_timeout 30 docker ps -a --format '{{.Names}}'
	[ "$output" = taken ]
}
