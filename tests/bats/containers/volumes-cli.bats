#!/usr/bin/env bats
# Volumes from the command line: the real docker CLI against hutchd
# (docker volume create/ls/inspect/rm/prune, run -v, run --rm, system df)
# and hutch volume with docker's flags, output and messages.
# modes: sub solo

load ../helpers
load ../images/lib/registry
load lib/cli-helpers

bats_require_minimum_version 1.5.0

setup_file() {
	cli_setup_file
}

teardown() {
	cli_teardown
	local v
	for v in $(hutch volume ls -q 2>/dev/null); do
		hutch volume rm -f "$v" >/dev/null 2>&1 || true
	done
}

teardown_file() {
	cli_teardown_file
}

@test "docker volume create, ls, inspect, rm and prune" {
	require_cmd docker
	run with_timeout 30 docker volume create --label tier=db dv1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = dv1 ]
	mkdir -p "$BATS_TEST_TMPDIR/dir"
	run with_timeout 30 docker volume create -o type=none -o o=bind -o device="$BATS_TEST_TMPDIR/dir" dv2
	[ "$status" -eq 0 ]
	run with_timeout 30 docker volume ls
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "DRIVER    VOLUME NAME
local     dv1
local     dv2" ]
	run with_timeout 30 docker volume ls -q --filter label=tier=db
	[ "$output" = dv1 ]
	run with_timeout 30 docker volume inspect --format '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels.tier}} {{.Mountpoint}}' dv1
	echo "$output"
	[ "$output" = "dv1 local local db $XDG_DATA_HOME/hutch/volumes/dv1/_data" ]
	run with_timeout 30 docker volume inspect --format '{{.Options.device}}' dv2
	[ "$output" = "$BATS_TEST_TMPDIR/dir" ]
	run with_timeout 30 docker volume inspect nosuch
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"get nosuch: no such volume"* ]]
	run with_timeout 30 docker volume create 'bad/name'
	[ "$status" -ne 0 ]
	[[ "$output" == *"includes invalid characters for a local volume name"* ]]
	run with_timeout 30 docker volume create -d nfs-plugin v3
	[ "$status" -ne 0 ]
	[[ "$output" == *'plugin "nfs-plugin" not found'* ]]
	run with_timeout 30 docker volume create -o type=tmpfs -o device=tmpfs v3
	[ "$status" -ne 0 ]
	[[ "$output" == *"a rootless hutchd cannot mount a file system"* ]]

	# in use, by a container that ran and stopped
	run with_timeout 60 docker run --name user --network none -v dv1:/d "$IMG" sh -c 'echo hi >/d/f'
	[ "$status" -eq 0 ]
	local id
	id=$(docker inspect -f '{{.Id}}' user)
	run with_timeout 30 docker volume rm dv1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"remove dv1: volume is in use - [$id]"* ]]
	run with_timeout 30 docker run --rm --network none -v dv1:/d "$IMG" cat /d/f
	[ "$output" = hi ]
	run with_timeout 30 docker rm user
	run with_timeout 30 docker volume rm dv1 dv2
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "dv1
dv2" ]
	run with_timeout 30 docker volume ls -q
	[ -z "$output" ]
}

@test "docker run --rm takes its anonymous volume along, docker rm -v too; prune and df" {
	require_cmd docker
	run with_timeout 60 docker run --rm --network none -v /anon "$IMG" true
	[ "$status" -eq 0 ]
	run with_timeout 30 docker volume ls -q
	[ -z "$output" ]
	run with_timeout 60 docker run --name keep --network none -v /anon -v named:/n "$IMG" sh -c 'head -c 2000 /dev/zero >/anon/f'
	[ "$status" -eq 0 ]
	local anon
	anon=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}' keep)
	[[ "$anon" =~ ^[0-9a-f]{64}$ ]]
	run with_timeout 30 docker system df
	echo "$output"
	[[ "$output" == *"Local Volumes   2"* ]]
	run with_timeout 30 docker volume ls -q --filter dangling=false
	[ "$(sort <<<"$output")" = "$(printf '%s\n' "$anon" named | sort)" ]
	# prune keeps what a container uses
	run with_timeout 30 docker volume prune -f
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Total reclaimed space: 0B"* ]]
	run with_timeout 30 docker rm keep
	run with_timeout 30 docker volume prune -f
	echo "$output"
	[ "$output" = "Deleted Volumes:
$anon

Total reclaimed space: 2kB" ]
	run with_timeout 30 docker volume ls -q
	[ "$output" = named ]
	run with_timeout 30 docker volume prune -af
	[[ "$output" == *named* ]]
	run with_timeout 60 docker run --name gone --network none -v /anon "$IMG" true
	anon=$(docker inspect -f '{{range .Mounts}}{{.Name}}{{end}}' gone)
	run with_timeout 30 docker rm -v gone
	[ "$status" -eq 0 ]
	run with_timeout 30 docker volume ls -q
	[ -z "$output" ]
}

@test "hutch volume create, ls with filters and formats, inspect, rm" {
	run hutch volume create --label a=1 --label b hv1
	[ "$status" -eq 0 ]
	[ "$output" = hv1 ]
	run hutch volume create
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	local anon=$output
	run hutch volume ls
	echo "$output"
	[ "$(head -1 <<<"$output")" = "DRIVER    VOLUME NAME" ]
	[[ "$output" == *"local     hv1"* ]] && [[ "$output" == *"local     $anon"* ]]
	run hutch volume ls -q --filter label=a=1
	[ "$output" = hv1 ]
	run hutch volume ls -q --filter name=hv --filter label=b
	[ "$output" = hv1 ]
	run hutch volume ls --filter name=hv1 --format '{{.Name}}|{{.Labels}}|{{.Scope}}|{{.Size}}'
	[ "$output" = "hv1|a=1,b=|local|N/A" ]
	run hutch volume ls --filter name=hv1 --format json
	echo "$output"
	[ "$(jq -r '"\(.Name) \(.Driver) \(.Labels) \(.Mountpoint)"' <<<"$output")" = "hv1 local a=1,b= $XDG_DATA_HOME/hutch/volumes/hv1/_data" ]
	run hutch volume ls --filter name=hv1 --format 'table {{.Name}}\t{{.Mountpoint}}'
	[ "$(head -1 <<<"$output")" = "VOLUME NAME   MOUNTPOINT" ]
	run hutch volume ls --format '{{.Bogus'
	[ "$status" -eq 2 ]
	run hutch volume ls --filter nokey
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad format of filter"* ]]
	run hutch volume ls --filter color=red
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid filter 'color'"* ]]
	run hutch volume inspect hv1
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].Labels.a' <<<"$output")" = 1 ]
	run hutch volume inspect -f '{{.Name}} {{index .Labels "b"}}.' hv1 "$anon"
	[ "$output" = "hv1 .
$anon <no value>." ]
	run hutch inspect --type volume -f '{{.Driver}}' hv1
	[ "$output" = local ]
	run hutch volume inspect nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"get nosuch: no such volume"* ]]
	run hutch volume create -o size=1g hv2
	[ "$status" -eq 1 ]
	[[ "$output" == *"quota size requested but no quota support"* ]]
	run hutch volume create --name a1 b1
	[ "$status" -eq 2 ]
	[[ "$output" == *"Conflicting options"* ]]
	run hutch volume rm hv1 nosuch "$anon"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"get nosuch: no such volume"* ]]
	run hutch volume rm -f nosuch
	[ "$status" -eq 0 ]
	run hutch volume ls -q
	[ -z "$output" ]
}

@test "hutch volume prune wants -f without a terminal, takes anonymous volumes (named too with -a)" {
	hutch volume create named1 >/dev/null
	run with_timeout 60 hutch run $NONET --name ctr -v /anon "$IMG" true
	local anon
	anon=$(hutch inspect -f '{{range .Mounts}}{{.Name}}{{end}}' ctr)
	[ "$(hutch ps -a --filter name=ctr --format '{{.LocalVolumes}}')" = 1 ]
	# without a terminal to ask on, nothing happens without -f
	run hutch volume prune </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"give -f"* ]]
	[ "$(hutch volume ls -q | wc -l)" = 2 ]
	# in use: kept
	run hutch volume prune -f
	[ "$output" = "Total reclaimed space: 0B" ]
	hutch rm ctr >/dev/null
	run hutch volume prune -f
	echo "$output"
	[ "$output" = "Deleted Volumes:
$anon

Total reclaimed space: 0B" ]
	run hutch volume prune -f --filter label=x
	[ "$output" = "Total reclaimed space: 0B" ]
	run hutch volume prune -a -f
	[[ "$output" == *named1* ]]
	run hutch volume ls -q
	[ -z "$output" ]
	# system prune --volumes takes the anonymous ones along
	hutch volume create named2 >/dev/null
	run with_timeout 60 hutch run $NONET --name ctr2 -v /anon "$IMG" true
	anon=$(hutch inspect -f '{{range .Mounts}}{{.Name}}{{end}}' ctr2)
	run hutch system prune -f --volumes
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted Volumes:
$anon
"* ]]
	[ "$(hutch volume ls -q)" = named2 ]
}

@test "hutch volume --help and the command list" {
	run hutch volume --help
	[ "$status" -eq 0 ]
	[[ "$output" == *create* && "$output" == *prune* ]]
	local sub
	for sub in create ls inspect rm prune; do
		run hutch volume "$sub" --help
		[ "$status" -eq 0 ]
		[[ "$output" == "Usage: hutch volume $sub"* ]]
	done
	run hutch --help
	[[ "$output" == *"volume prune"* ]]
	run hutch volume bogus
	[ "$status" -eq 2 ]
}
