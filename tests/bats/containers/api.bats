#!/usr/bin/env bats
# The container lifecycle over the Docker API, with curl: create, start,
# wait, inspect, list and its filters, stop, kill, restart, remove,
# AutoRemove, rename, prune, top, system df, the image a container uses,
# Docker's errors for bad input. Many containers: many.bats.
# modes: sub solo

load ../helpers
load ../images/lib/registry
load lib/ctr

setup_file() {
	ctr_setup_file
}

teardown_file() {
	ctr_teardown_file
}

teardown() {
	remove_all_containers
}

@test "create, start and wait give the exit code" {
	create exit3 sh -c 'exit 3'
	[[ "$id" =~ ^[0-9a-f]{64}$ ]]
	[ "$(jq -c .Warnings <<<"$body")" = "[]" ]
	[ -f "$XDG_DATA_HOME/hutch/containers/$id/container.json" ]
	[ "$(inspect exit3 | jq -r .State.Status)" = created ]
	start exit3
	[ "$(wait_exit exit3)" = 3 ]
	run inspect "$id"
	[ "$(jq -r .State.Status <<<"$output")" = exited ]
	[ "$(jq -r .State.ExitCode <<<"$output")" = 3 ]
	[ "$(jq -r .State.Running <<<"$output")" = false ]
	# A stopped container starts again.
	start "${id:0:12}"
	[ "$(wait_exit "${id:0:12}")" = 3 ]
}

@test "wait replies as Docker does and waits for the exit" {
	start_trapping waiter 'trap "exit 0" USR1'
	local out=$BATS_TEST_TMPDIR/wait.out
	api POST /containers/waiter/wait -D "$BATS_TEST_TMPDIR/wait.h" -w '%{http_code}' >"$out" &
	local waiter=$!
	# It waits: the reply's headers come at once, its body not before the
	# container ends, which it does only when told to.
	wait_for 60 grep -q "^HTTP/1.1 200" "$BATS_TEST_TMPDIR/wait.h"
	kill -0 "$waiter"
	[ ! -s "$out" ]
	call POST "/containers/waiter/kill?signal=USR1"
	[ "$code" = 204 ]
	wait "$waiter"
	[ "$(cat "$out")" = '{"StatusCode":0,"Error":null}
200' ]
	call POST "/containers/waiter/wait?condition=bogus"
	[ "$code" = 400 ]
	[[ "$body" == *"invalid condition"* ]]
	call POST /containers/nosuch/wait
	[ "$code" = 404 ]
	[[ "$body" == *"No such container: nosuch"* ]]
}

@test "wait condition=next-exit waits for a start and its exit" {
	create nexter sh -c 'exit 5'
	local out=$BATS_TEST_TMPDIR/wait.out
	api POST "/containers/nexter/wait?condition=next-exit" -D "$BATS_TEST_TMPDIR/wait.h" >"$out" &
	local waiter=$!
	# The wait has taken its count of exits once its headers are out.
	wait_for 60 grep -q "^HTTP/1.1 200" "$BATS_TEST_TMPDIR/wait.h"
	start nexter
	wait "$waiter"
	[ "$(jq -r .StatusCode "$out")" = 5 ]
}

@test "inspect has Docker's shape" {
	CTR_EXTRA='{"Labels":{"tier":"web"},"Env":["A=1"]}' create shape sleep 30
	start shape
	run inspect shape
	echo "$output"
	[ "$(jq -r .Name <<<"$output")" = /shape ]
	[ "$(jq -r .Id <<<"$output")" = "$id" ]
	[ "$(jq -r .Path <<<"$output")" = sleep ]
	[ "$(jq -c .Args <<<"$output")" = '["30"]' ]
	[ "$(jq -r .Config.Image <<<"$output")" = "$IMAGE" ]
	[ "$(jq -r .Config.Labels.tier <<<"$output")" = web ]
	[[ "$(jq -r .Image <<<"$output")" == sha256:* ]]
	[ "$(jq -r '.State | keys | join(",")' <<<"$output")" = \
		"Dead,Error,ExitCode,FinishedAt,OOMKilled,Paused,Pid,Restarting,Running,StartedAt,Status" ]
	[ "$(jq -r .State.Status <<<"$output")" = running ]
	[ "$(jq -r .State.Running <<<"$output")" = true ]
	[ "$(jq -r .State.Pid <<<"$output")" -gt 1 ]
	[[ "$(jq -r .State.StartedAt <<<"$output")" =~ ^20[0-9-]+T[0-9:.]+Z$ ]]
	[ "$(jq -r .State.FinishedAt <<<"$output")" = 0001-01-01T00:00:00Z ]
	[ "$(jq -r .NetworkSettings.Ports <<<"$output")" = "{}" ]
	[ "$(jq -r .GraphDriver.Name <<<"$output")" = hutch-overlay ]
	[ -n "$(jq -r .GraphDriver.Data.LowerDir <<<"$output")" ]
	[ "$(jq -r .LogPath <<<"$output")" = "$XDG_DATA_HOME/hutch/containers/$id/ctr.log" ]
	[ "$(jq -r .HostConfig.NetworkMode <<<"$output")" = none ]
	# The same through an id prefix; an unknown one is 404.
	[ "$(inspect "${id:0:6}" | jq -r .Id)" = "$id" ]
	call GET /containers/0000000000/json
	[ "$code" = 404 ]
	[ "$body" = '{"message":"No such container: 0000000000"}' ]
}

@test "list: running only by default, all, limit, and the filters" {
	CTR_EXTRA='{"Labels":{"app":"one"}}' create one sleep 60
	CTR_EXTRA='{"Labels":{"app":"two"}}' create two sh -c 'exit 2'
	local two=$id
	create three true
	start one
	start two
	[ "$(wait_exit two)" = 2 ]
	run api GET /containers/json
	[ "$(jq -r '[.[].Names[0]] | join(",")' <<<"$output")" = /one ]
	[ "$(jq -r '.[0].State' <<<"$output")" = running ]
	[[ "$(jq -r '.[0].Status' <<<"$output")" == Up* ]]
	[ "$(jq -r '.[0].Command' <<<"$output")" = "sleep 60" ]
	[ "$(jq -r '.[0].Image' <<<"$output")" = "$IMAGE" ]
	run api GET "/containers/json?all=1"
	[ "$(jq -r '[.[].Names[0]] | join(",")' <<<"$output")" = /three,/two,/one ]
	[[ "$(jq -r '.[] | select(.Names[0] == "/two") | .Status' <<<"$output")" == "Exited (2) "*" ago" ]]
	[ "$(jq -r '.[] | select(.Names[0] == "/three") | .Status' <<<"$output")" = Created ]
	run api GET "/containers/json?limit=1"
	[ "$(jq -r '[.[].Names[0]] | join(",")' <<<"$output")" = /three ]
	f() { api GET "/containers/json?all=1&filters=$(jq -rn --arg f "$1" '$f|@uri')" | jq -r '[.[].Names[0]] | join(",")'; }
	[ "$(f '{"label":["app=two"]}')" = /two ]
	[ "$(f '{"label":["app"]}')" = /two,/one ]
	[ "$(f '{"label":{"app=one":true}}')" = /one ]
	[ "$(f '{"status":["exited"]}')" = /two ]
	[ "$(f '{"status":["created","running"]}')" = /three,/one ]
	[ "$(f '{"name":["^/t"]}')" = /three,/two ]
	[ "$(f "{\"id\":[\"${two:0:10}\"]}")" = /two ]
	[ "$(f '{"exited":["2"]}')" = /two ]
	[ "$(f "{\"ancestor\":[\"$IMAGE\"]}")" = /three,/two,/one ]
	[ "$(f '{"ancestor":["nosuchimage"]}')" = "" ]
	[ "$(f '{"before":["three"]}')" = /two,/one ]
	[ "$(f '{"since":["one"]}')" = /three,/two ]
	call GET "/containers/json?filters=$(jq -rn '"{\"since\":[\"nosuch\"]}"|@uri')"
	[ "$code" = 404 ]
	call GET "/containers/json?filters=$(jq -rn '"{\"bogus\":[\"x\"]}"|@uri')"
	[ "$code" = 400 ]
	[[ "$body" == *"invalid filter 'bogus'"* ]]
	call GET "/containers/json?filters=$(jq -rn '"{\"status\":[\"sleepy\"]}"|@uri')"
	[ "$code" = 400 ]
	[[ "$body" == *"Invalid filter 'status=sleepy'"* ]]
	call GET "/containers/json?filters=notjson"
	[ "$code" = 400 ]
	call GET "/containers/json?limit=many"
	[ "$code" = 400 ]
}

@test "a name in use is a 409 with Docker's message; a random name otherwise" {
	create taken true
	local first=$id
	create_json taken "{\"Image\":\"$IMAGE\"}"
	[ "$code" = 409 ]
	[ "$(jq -r .message <<<"$body")" = "Conflict. The container name \"/taken\" is already in use by container \"$first\". You have to remove (or rename) that container to be able to reuse that name." ]
	create_json /taken "{\"Image\":\"$IMAGE\"}"
	[ "$code" = 409 ]
	create_json "" "{\"Image\":\"$IMAGE\",\"Cmd\":[\"true\"]}"
	[ "$code" = 201 ]
	[[ "$(inspect "$id" | jq -r .Name)" =~ ^/[a-z]+_[a-z]+[0-9]?$ ]]
}

@test "an unknown image is a 404 and leaves nothing behind" {
	local before
	before=$(ctr_dirs)
	create_json "" '{"Image":"127.0.0.1:1/nosuch:image"}'
	[ "$code" = 404 ]
	[[ "$(jq -r .message <<<"$body")" == "No such image: "* ]]
	[ "$(ctr_dirs)" = "$before" ]
}

@test "bad input gets Docker's status, a clear message and no container" {
	local before
	before=$(ctr_dirs)
	bad() {
		create_json "$1" "$2"
		echo "$1 $2 -> $code $body"
		[ "$code" = "$3" ]
		[ -n "$(jq -r .message <<<"$body")" ]
	}
	bad "" '' 400
	bad "" '{"Image":' 400
	bad "" '[1,2]' 400
	bad "" '"text"' 400
	bad "" '{"Image":5}' 400
	bad "" "{\"Image\":\"$IMAGE\",\"Cmd\":5}" 400
	bad "" "{\"Image\":\"$IMAGE\",\"Env\":{\"A\":1}}" 400
	bad "" "{\"Image\":\"$IMAGE\",\"HostConfig\":{\"AutoRemove\":\"yes\"}}" 400
	bad "" "{\"Image\":\"$IMAGE\",\"Labels\":[\"a\"]}" 400
	bad "a%20b" "{\"Image\":\"$IMAGE\"}" 400
	[[ "$body" == *"Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"* ]]
	bad "-x" "{\"Image\":\"$IMAGE\"}" 400
	bad "x/y" "{\"Image\":\"$IMAGE\"}" 400
	bad "$(printf 'n%.0s' $(seq 300))" "{\"Image\":\"$IMAGE\"}" 400
	[ "$(ctr_dirs)" = "$before" ]
	# The other routes' parameters.
	create good sleep 30
	call POST "/containers/good/kill?signal=SIGNOPE"
	[ "$code" = 400 ]
	[ "$(jq -r .message <<<"$body")" = "Invalid signal: SIGNOPE" ]
	call POST "/containers/good/stop?t=soon"
	[ "$code" = 400 ]
	call POST "/containers/good/rename?name=no%20way"
	[ "$code" = 400 ]
	call POST "/containers/good/rename"
	[ "$code" = 400 ]
	call POST "/containers/good/resize?h=x&w=80"
	[ "$code" = 400 ]
	call POST "/containers/good/frobnicate"
	[ "$code" = 404 ]
	call POST "/containers/good/update" -d '{}'
	[ "$code" = 501 ]
	[[ "$body" == *"not supported"* ]]
}

@test "stop: StopSignal, the timeout and SIGKILL; 304 when not running" {
	# sleep as pid 1 ignores SIGTERM: killed after t=1.
	create sleeper sleep 100
	start sleeper
	local t0=$SECONDS
	call POST "/containers/sleeper/stop?t=1"
	[ "$code" = 204 ]
	[ $((SECONDS - t0)) -le 8 ]
	[ "$(inspect sleeper | jq -r .State.ExitCode)" = 137 ]
	[ "$(inspect sleeper | jq -r .State.Status)" = exited ]
	call POST "/containers/sleeper/stop"
	[ "$code" = 304 ]
	# A shell that traps the StopSignal exits with its own code at once.
	CTR_EXTRA='{"StopSignal":"SIGUSR1"}' start_trapping trapper 'trap "exit 7" USR1'
	t0=$SECONDS
	call POST "/containers/trapper/stop?t=30"
	[ "$code" = 204 ]
	[ $((SECONDS - t0)) -lt 25 ]
	[ "$(inspect trapper | jq -r .State.ExitCode)" = 7 ]
	call POST "/containers/trapper/start"
	[ "$code" = 204 ]
	call POST "/containers/trapper/start"
	[ "$code" = 304 ]
}

@test "kill: signal names and numbers, 409 when not running" {
	start_trapping target 'trap "exit 10" USR2; trap "exit 11" TERM'
	call POST "/containers/target/kill?signal=USR2"
	[ "$code" = 204 ]
	[ "$(wait_exit target)" = 10 ]
	start target
	local log=$XDG_DATA_HOME/hutch/containers/$id/ctr.log
	# The count is taken anew on every try (a $(...) here would be taken once).
	wait_for 60 count_at_least 2 ready "$log" ||
		{ cat "$log" "${log%/*}/monitor.log"; inspect target; false; }
	call POST "/containers/target/kill?signal=15"
	[ "$code" = 204 ]
	[ "$(wait_exit target)" = 11 ]
	call POST "/containers/target/kill"
	[ "$code" = 409 ]
	[[ "$body" == *"is not running"* ]]
	start target
	call POST "/containers/target/kill"
	[ "$code" = 204 ]
	[ "$(wait_exit target)" = 137 ]
}

@test "restart runs the container again" {
	create again sh -c 'echo run; sleep 100'
	start again
	call POST "/containers/again/restart?t=0"
	[ "$code" = 204 ]
	[ "$(inspect again | jq -r .State.Status)" = running ]
	wait_for 60 count_at_least 2 run "$XDG_DATA_HOME/hutch/containers/$id/ctr.log"
}

@test "rm of a running container is 409, rm -f removes it and everything it had" {
	create busy sleep 100
	start busy
	call DELETE /containers/busy
	[ "$code" = 409 ]
	[ "$(jq -r .message <<<"$body")" = "You cannot remove a running container $id. Stop the container before attempting removal or force remove" ]
	[ "$(inspect busy | jq -r .State.Status)" = running ]
	call DELETE "/containers/busy?force=1&v=1"
	[ "$code" = 204 ]
	call GET /containers/busy/json
	[ "$code" = 404 ]
	[ ! -e "$XDG_DATA_HOME/hutch/containers/$id" ]
	[ ! -e "$XDG_RUNTIME_DIR/hutch/containers/$id" ]
	[ -z "$(our_processes)" ]
	call DELETE /containers/busy
	[ "$code" = 404 ]
	# The name is free again.
	create busy true
}

@test "AutoRemove: the container goes when it exits; wait condition=removed" {
	CTR_EXTRA='{"HostConfig":{"AutoRemove":true}}' create gone sh -c 'exit 4'
	local out=$BATS_TEST_TMPDIR/removed.out
	api POST "/containers/gone/wait?condition=removed" -D "$BATS_TEST_TMPDIR/wait.h" >"$out" &
	local waiter=$!
	# Started once the wait is in place (its headers are out), or the
	# container could be gone before the wait found it.
	wait_for 60 grep -q "^HTTP/1.1 200" "$BATS_TEST_TMPDIR/wait.h"
	start gone
	wait "$waiter"
	[ "$(jq -r .StatusCode "$out")" = 4 ]
	call GET "/containers/$id/json"
	[ "$code" = 404 ]
	[ ! -e "$XDG_DATA_HOME/hutch/containers/$id" ]
}

@test "rename: the new name finds it, the old one no more, conflicts are 409" {
	create first true
	local one=$id
	create second true
	call POST "/containers/first/rename?name=renamed"
	[ "$code" = 204 ]
	[ "$(inspect renamed | jq -r .Id)" = "$one" ]
	[ "$(inspect renamed | jq -r .Name)" = /renamed ]
	call GET /containers/first/json
	[ "$code" = 404 ]
	[ "$(jq -r .Name "$XDG_DATA_HOME/hutch/containers/$one/container.json")" = /renamed ]
	call POST "/containers/renamed/rename?name=second"
	[ "$code" = 409 ]
	[[ "$(jq -r .message <<<"$body")" == *"The container name \"/second\" is already in use by container"* ]]
	# The old name is free.
	create first true
}

@test "prune removes stopped containers, with label and until filters" {
	CTR_EXTRA='{"Labels":{"keep":"yes"}}' create keeper true
	local keeper=$id
	create runner sleep 100
	start runner
	create done1 true
	local done1=$id
	start done1
	wait_exit done1 >/dev/null
	create fresh true
	call POST "/containers/prune?filters=$(jq -rn '"{\"until\":[\"1h\"]}"|@uri')"
	[ "$code" = 200 ]
	[ "$(jq -c .ContainersDeleted <<<"$body")" = "[]" ]
	call POST "/containers/prune?filters=$(jq -rn '"{\"label!\":[\"keep\"]}"|@uri')"
	[ "$code" = 200 ]
	[ "$(jq -r '.ContainersDeleted | length' <<<"$body")" = 2 ]
	[[ "$(jq -r '.ContainersDeleted | join(",")' <<<"$body")" == *"$done1"* ]]
	[ "$(jq -r '.SpaceReclaimed | type' <<<"$body")" = number ]
	run api GET "/containers/json?all=1"
	[ "$(jq -r '[.[].Names[0]] | sort | join(",")' <<<"$output")" = /keeper,/runner ]
	call POST "/containers/prune?filters=$(jq -rn '"{\"bogus\":[\"1\"]}"|@uri')"
	[ "$code" = 400 ]
	call POST /containers/prune
	[ "$(jq -r '.ContainersDeleted | join(",")' <<<"$body")" = "$keeper" ]
}

@test "top lists the container's processes" {
	create tops sh -c 'sleep 101 & sleep 102; true'
	start tops
	# Both sleeps have been exec'd (the shell forks them one after the other).
	top_shows() {
		local out
		out=$(api GET /containers/tops/top)
		[[ "$out" == *"sleep 101"* && "$out" == *"sleep 102"* ]]
	}
	wait_for 60 top_shows
	run api GET /containers/tops/top
	echo "$output"
	[ "$(jq -r '.Titles | index("PID")' <<<"$output")" -ge 0 ]
	[[ "$(jq -r '.Processes[] | last' <<<"$output")" == *"sleep 102"* ]]
	[ "$(jq -r '.Processes | length' <<<"$output")" = 3 ]
	run api GET "/containers/tops/top?ps_args=-o%20pid,args"
	[ "$(jq -r '.Titles | join(",")' <<<"$output")" = PID,COMMAND ]
	create idle true
	call GET /containers/idle/top
	[ "$code" = 409 ]
}

@test "system df counts images and containers" {
	create dfc true
	run api GET /system/df
	echo "$output"
	[ "$(jq -r '.Images | length' <<<"$output")" -ge 1 ]
	[ "$(jq -r '.Images[0].Containers' <<<"$output")" = 1 ]
	[ "$(jq -r '.Containers[0].Id' <<<"$output")" = "$id" ]
	[ "$(jq -r '.Containers[0].SizeRw | type' <<<"$output")" = number ]
	[ "$(jq -r '.LayersSize' <<<"$output")" -gt 0 ]
	[ "$(jq -c '.Volumes' <<<"$output")" = "[]" ]
	[ "$(jq -c '.BuildCache' <<<"$output")" = "[]" ]
}

@test "an image a container uses cannot be deleted without force" {
	api POST "/images/$IMAGE/tag?repo=inuse&tag=v1" >/dev/null
	local img
	img=$(api GET /images/inuse:v1/json | jq -r .Id)
	CTR_EXTRA='{"Image":"inuse:v1"}' create user sleep 100
	start user
	# Untagging one of two names is fine; the last name is refused.
	call DELETE /images/inuse:v1
	[ "$code" = 200 ]
	call DELETE "/images/${img#sha256:}"
	[ "$code" = 409 ]
	[[ "$(jq -r .message <<<"$body")" == "conflict: unable to delete ${img:7:12} (cannot be forced) - image is being used by running container ${id:0:12}" ]]
	call DELETE "/images/$IMAGE"
	[ "$code" = 409 ]
	api POST "/containers/user/kill" >/dev/null
	wait_exit user >/dev/null
	call DELETE "/images/$IMAGE"
	[ "$code" = 409 ]
	[[ "$(jq -r .message <<<"$body")" == "conflict: unable to remove repository reference \"$IMAGE\" (must force) - container ${id:0:12} is using its referenced image ${img:7:12}" ]]
	call DELETE "/images/${img#sha256:}"
	[ "$code" = 409 ]
	[[ "$(jq -r .message <<<"$body")" == "conflict: unable to delete ${img:7:12} (must be forced) - image is being used by stopped container ${id:0:12}" ]]
	api DELETE "/containers/user" >/dev/null
	call GET "/images/$IMAGE/json"
	[ "$code" = 200 ]
}

@test "resize reaches a tty container's monitor; without a tty it is a 400" {
	CTR_EXTRA='{"Tty":true,"OpenStdin":true}' create tty sleep 100
	start tty
	call POST "/containers/tty/resize?h=30&w=100"
	[ "$code" = 200 ]
	create notty sleep 100
	start notty
	call POST "/containers/notty/resize?h=30&w=100"
	[ "$code" = 400 ]
	create idle true
	call POST "/containers/idle/resize?h=30&w=100"
	[ "$code" = 409 ]
}

@test "the lifecycle is reported as Docker events" {
	local since
	since=$(date +%s)
	create evented sh -c 'exit 2'
	start evented
	wait_exit evented >/dev/null
	call POST "/containers/evented/rename?name=evented2"
	call DELETE /containers/evented2
	# (until has a one-second grain: the next second bounds them all)
	run api GET "/events?since=$since&until=$(($(date +%s) + 1))&filters=$(jq -rn --arg id "$id" '{container: [$id]} | tojson | @uri')"
	echo "$output"
	[ "$(jq -r -s 'map(.Action) | join(",")' <<<"$output")" = create,start,die,rename,destroy ]
	[ "$(jq -r -s 'map(select(.Action == "die"))[0].Actor.Attributes.exitCode' <<<"$output")" = 2 ]
	[ "$(jq -r -s '.[0].Actor.Attributes.name' <<<"$output")" = evented ]
}

@test "start of a missing or non-executable command is a 400 with Docker's message" {
	create missing nosuchcmd
	call POST /containers/missing/start
	echo "$body"
	[ "$code" = 400 ]
	[[ "$(jq -r .message <<<"$body")" == 'failed to create task for container: exec: "nosuchcmd": executable file not found in $PATH'* ]]
	[ "$(inspect missing | jq -r .State.ExitCode)" = 127 ]
	create missing2 /no/such/cmd
	call POST /containers/missing2/start
	[ "$code" = 400 ]
	[[ "$(jq -r .message <<<"$body")" == *'"/no/such/cmd": '*"no such file or directory"* ]]
	create noexec /etc/passwd
	call POST /containers/noexec/start
	echo "$body"
	[ "$code" = 400 ]
	[[ "$(jq -r .message <<<"$body")" == *"permission denied"* ]]
	[ "$(inspect noexec | jq -r .State.ExitCode)" = 126 ]
}
