#!/usr/bin/env bats
# The hutch CLI's container commands against a private hutchd, with images
# from a local registry: run (exit codes, pulls, stdin, env, volumes, ports,
# signals), create/start, ps, inspect, logs, exec, stop, kill, rm, cp, port,
# rename, wait, top, prune, and bad input that must leave nothing behind.
# modes: sub solo

load ../helpers
load ../images/lib/registry
load lib/cli-helpers

bats_require_minimum_version 1.5.0

setup_file() {
	cli_setup_file unpulled:1
}

teardown() {
	cli_teardown
}

teardown_file() {
	cli_teardown_file
}

# No container is left over.
no_containers() {
	run hutch ps -aq
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "run --rm prints the command's output and exits 0" {
	run with_timeout 60 hutch run --rm "$IMG" echo hi
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	no_containers
}

@test "run passes the container's exit code through" {
	run with_timeout 60 hutch run $NONET --rm "$IMG" sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run with_timeout 60 hutch run $NONET --rm "$IMG" sh -c 'exit 255'
	[ "$status" -eq 255 ]
	no_containers
}

@test "run keeps stdout and stderr apart" {
	run --separate-stderr with_timeout 60 hutch run $NONET --rm "$IMG" sh -c 'echo out; echo err >&2'
	[ "$status" -eq 0 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
}

@test "run: a missing command exits 127, a non-executable one 126" {
	run -127 with_timeout 60 hutch run $NONET --rm "$IMG" /no/such/program
	echo "$output"
	[[ "$output" == *"/no/such/program"* ]]
	run -127 with_timeout 60 hutch run $NONET --rm "$IMG" nosuchcommand
	[[ "$output" == *"nosuchcommand"* ]]
	run -126 with_timeout 60 hutch run $NONET --rm "$IMG" /etc/passwd
	echo "$output"
	[[ "$output" == *"permission denied"* ]]
	no_containers
}

@test "run pulls a missing image, with the progress on stderr" {
	run --separate-stderr with_timeout 120 hutch run $NONET --rm "$REGISTRY/unpulled:1" echo pulled
	echo "$output / $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = pulled ]
	[[ "$stderr" == *"Unable to find image '$REGISTRY/unpulled:1' locally"* ]]
	[[ "$stderr" == *"Status: Downloaded newer image for $REGISTRY/unpulled:1"* ]]
	run with_timeout 60 hutch run $NONET --rm --pull never "$REGISTRY/unpulled:1" true
	[ "$status" -eq 0 ]
}

@test "run: an unknown image fails with 125 and leaves nothing" {
	run with_timeout 60 hutch run $NONET --rm "$REGISTRY/nosuch:1" true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"Unable to find image"* ]]
	[[ "$output" == *"pull access denied"* || "$output" == *"not found"* ]]
	run with_timeout 60 hutch run $NONET --pull never "$REGISTRY/nosuch:1" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"No such image"* ]]
	no_containers
}

@test "run: bad flags and values fail with 125 and a clear message" {
	run hutch run $NONET -p abc "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid containerPort: abc"* ]]
	run hutch run $NONET -p 127.0.0.1:99999:80 "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid hostPort: 99999"* ]]
	run hutch run $NONET -p 300.1.1.1:80:80 "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid IP address: 300.1.1.1"* ]]
	run hutch run $NONET -p 80/xtp "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid proto: xtp"* ]]
	run hutch run $NONET --no-such-flag "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown flag: --no-such-flag"* ]]
	run hutch run $NONET --pull sometimes "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid pull option"* ]]
	run hutch run $NONET --mount type=bind,source=/tmp "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"target is required"* ]]
	run hutch run $NONET --env-file /no/such/file "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"/no/such/file"* ]]
	run hutch run $NONET --detach-keys ctrl-1 "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid detach keys"* ]]
	no_containers
}

@test "run: a bind source that does not exist is refused and leaves nothing" {
	run with_timeout 60 hutch run $NONET --rm --mount "type=bind,source=$BATS_TEST_TMPDIR/nope,target=/x" "$IMG" true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"$BATS_TEST_TMPDIR/nope"* ]]
	no_containers
}

@test "run: a name already in use is refused" {
	with_timeout 60 hutch create $NONET --name taken "$IMG" true >/dev/null
	run with_timeout 60 hutch run $NONET --rm --name taken "$IMG" true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *'"/taken" is already in use'* ]]
	run hutch ps -a --format '{{.Names}}'
	[ "$output" = taken ]
	hutch rm taken
	no_containers
}

@test "run -i passes stdin and closes it at EOF" {
	run with_timeout 60 sh -c "printf 'line one\nline two\n' | hutch run $NONET -i --rm '$IMG' sh -c 'cat; echo done'"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "line one
line two
done" ]
	# Without -i the container's stdin is empty.
	run with_timeout 60 sh -c "echo ignored | hutch run $NONET --rm '$IMG' cat"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "run -e, --env-file, -w, --hostname, --entrypoint, -l" {
	printf '# comment\nFROM_FILE=yes\n\nPASSED\n' >"$BATS_TEST_TMPDIR/env"
	export PASSED=through
	run with_timeout 60 hutch run $NONET --rm -e A=1 -e PASSED --env-file "$BATS_TEST_TMPDIR/env" \
		-w /tmp --hostname boxy "$IMG" \
		sh -c 'echo "$A $PASSED $FROM_FILE $(pwd) $(hostname)"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "1 through yes /tmp boxy" ]
	run with_timeout 60 hutch run $NONET --rm --entrypoint echo "$IMG" via entrypoint
	[ "$output" = "via entrypoint" ]
	id=$(with_timeout 60 hutch create $NONET -l team=blue --label solo "$IMG" true)
	run hutch inspect -f '{{index .Config.Labels "team"}}:{{index .Config.Labels "solo"}}' "$id"
	[ "$output" = "blue:" ]
}

@test "run: security, filesystem and name flags reach the container" {
	run with_timeout 60 hutch run $NONET --rm --read-only "$IMG" touch /x
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	run with_timeout 60 hutch run $NONET --rm --read-only --tmpfs /scratch:size=1m "$IMG" \
		sh -c 'touch /scratch/x && grep " /scratch " /proc/mounts'
	[ "$status" -eq 0 ]
	[[ "$output" == "tmpfs /scratch tmpfs "*"size=1024k"* ]]
	run with_timeout 60 hutch run $NONET --rm --mount type=tmpfs,target=/t,tmpfs-size=2m "$IMG" \
		grep " /t " /proc/mounts
	[[ "$output" == *"size=2048k"* ]]
	run with_timeout 60 hutch run $NONET --rm --add-host foo:1.2.3.4 --dns 10.0.2.3 "$IMG" \
		sh -c 'grep foo /etc/hosts; cat /etc/resolv.conf'
	[[ "$output" == *"1.2.3.4"*foo* ]]
	[[ "$output" == *"nameserver 10.0.2.3"* ]]
	run with_timeout 60 hutch run $NONET --rm --cap-drop ALL --cap-add NET_RAW "$IMG" \
		grep CapEff /proc/self/status
	[[ "$output" == *"0000000000002000" ]]
	run with_timeout 60 hutch run $NONET --rm --security-opt no-new-privileges "$IMG" \
		grep NoNewPrivs /proc/self/status
	[[ "$output" == *"1" ]]
	run with_timeout 60 hutch run $NONET --rm --init "$IMG" sh -c 'test $$ != 1 && echo not-pid-1'
	[ "$output" = not-pid-1 ]
	hutch create $NONET --stop-signal SIGUSR1 --stop-timeout 3 --name sig "$IMG" true >/dev/null
	run hutch inspect -f '{{.Config.StopSignal}} {{.Config.StopTimeout}}' sig
	[ "$output" = "SIGUSR1 3" ]
}

@test "run -u runs as another user (needs a subuid range)" {
	skip_unless_mode sub
	run with_timeout 60 hutch run $NONET --rm -u 1000:1000 "$IMG" sh -c 'echo $(id -u):$(id -g)'
	echo "$output"
	[ "$output" = 1000:1000 ]
	run with_timeout 60 hutch run $NONET -d --name usr "$IMG" sleep 100
	run with_timeout 30 hutch exec -u 1000 usr id -u
	[ "$output" = 1000 ]
}

@test "run -v: a bind volume is read and written from inside" {
	mkdir "$BATS_TEST_TMPDIR/vol"
	echo from-host >"$BATS_TEST_TMPDIR/vol/in"
	run with_timeout 60 hutch run $NONET --rm -v "$BATS_TEST_TMPDIR/vol:/data" "$IMG" \
		sh -c 'cat /data/in; echo from-container > /data/out'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$BATS_TEST_TMPDIR/vol/out")" = from-container ]
	run with_timeout 60 hutch run $NONET --rm -v "$BATS_TEST_TMPDIR/vol:/data:ro" "$IMG" \
		sh -c 'echo x > /data/out2'
	[ "$status" -ne 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/vol/out2" ]
	run with_timeout 60 hutch run $NONET --rm --mount "type=bind,src=$BATS_TEST_TMPDIR/vol,dst=/m,readonly" "$IMG" cat /m/in
	[ "$output" = from-host ]
}

@test "run -d, logs, logs -f, exec, stop, rm" {
	run with_timeout 60 hutch run $NONET -d --name web "$IMG" \
		sh -c 'echo started; trap "echo stopping; exit 0" TERM; while :; do sleep 0.1; done'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	id=$output
	logs_have() { hutch logs web | grep -q started; }
	wait_until 60 logs_have
	run hutch logs web
	[ "$output" = started ]
	run hutch ps --format '{{.ID}} {{.Names}} {{.State}}'
	[ "$output" = "${id:0:12} web running" ]
	run with_timeout 30 hutch exec web sh -c 'echo inside; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = inside ]
	run with_timeout 30 hutch exec -e X=7 -w /etc web sh -c 'echo $X $(pwd)'
	[ "$output" = "7 /etc" ]
	run with_timeout 30 sh -c "echo piped | hutch exec -i web cat"
	[ "$output" = piped ]
	run with_timeout 30 hutch exec -d web touch /tmp/detached
	[ "$status" -eq 0 ]
	wait_until 60 with_timeout 30 hutch exec web test -e /tmp/detached
	run -127 with_timeout 30 hutch exec web nosuchcommand
	run with_timeout 60 hutch stop web
	[ "$status" -eq 0 ]
	[ "$output" = web ]
	run hutch logs web
	[ "$output" = "started
stopping" ]
	run hutch inspect -f '{{.State.Status}} {{.State.ExitCode}}' web
	[ "$output" = "exited 0" ]
	run hutch ps -a --format '{{.Status}}'
	[[ "$output" == "Exited (0) "* ]]
	run hutch rm web
	[ "$status" -eq 0 ]
	[ "$output" = web ]
	no_containers
}

@test "logs -f follows until the container exits; --tail and -t" {
	hutch run $NONET -d --name talker "$IMG" sh -c 'echo one; sleep 1; echo two; echo three' >/dev/null
	run with_timeout 30 hutch logs -f talker
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "one
two
three" ]
	run hutch logs --tail 1 talker
	[ "$output" = three ]
	run hutch logs -t --tail 1 talker
	[[ "$output" =~ ^20[0-9-]+T[0-9:.]+Z\ three$ ]]
	run hutch logs --since 1h talker
	[ "${#lines[@]}" -eq 3 ]
	run hutch logs --since "$(($(date +%s) + 3600))" talker
	[ -z "$output" ]
	run hutch logs --since yesterday talker
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid time value: yesterday"* ]]
	run --separate-stderr hutch logs talker
	[ "$stderr" = "" ]
}

@test "logs keeps stderr apart" {
	hutch run $NONET -d --name split "$IMG" sh -c 'echo out; echo err >&2' >/dev/null
	hutch wait split >/dev/null
	run --separate-stderr hutch logs split
	[ "$output" = out ]
	[ "$stderr" = err ]
}

@test "-p publishes a port to a host client; port lists it" {
	port=$(free_port)
	hutch run -d --name www -p "127.0.0.1:$port:8080" "$IMG" \
		sh -c 'mkdir /www && echo hello-web > /www/index.html && exec httpd -f -p 8080 -h /www' >/dev/null
	wait_until 60 curl -sf -o /dev/null "http://127.0.0.1:$port/"
	run curl -sf "http://127.0.0.1:$port/"
	[ "$status" -eq 0 ]
	[ "$output" = hello-web ]
	run hutch port www
	[ "$output" = "8080/tcp -> 127.0.0.1:$port" ]
	run hutch port www 8080
	[ "$output" = "127.0.0.1:$port" ]
	run hutch port www 9999/udp
	[ "$status" -eq 1 ]
	[[ "$output" == *"No public port '9999/udp' published for www"* ]]
	run hutch ps --format '{{.Ports}}'
	[ "$output" = "127.0.0.1:$port->8080/tcp" ]
}

@test "-P publishes exposed ports on free host ports" {
	hutch run -d --name pub --expose 8080 -P "$IMG" sleep 100 >/dev/null
	run hutch port pub 8080
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ :[0-9]+$ ]]
	[ "${output##*:}" -gt 0 ]
}

@test "ps: table, -a, -q, --no-trunc, -n, --filter, --format json" {
	a=$(hutch run $NONET -d --name alpha "$IMG" sleep 100)
	b=$(hutch create $NONET --name beta "$IMG" true)
	run hutch ps
	echo "$output"
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == "${a:0:12}"*"$IMG"*'"sleep 100"'*"Up "*"alpha" ]]
	run hutch ps -a
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" == *"Created"*"beta"* ]]
	run hutch ps -q
	[ "$output" = "${a:0:12}" ]
	run hutch ps -aq --no-trunc
	[[ "$output" == *"$a"* && "$output" == *"$b"* ]]
	run hutch ps -n 1 -q
	[ "$output" = "${b:0:12}" ]
	run hutch ps -a --filter name=beta --format '{{.Names}}'
	[ "$output" = beta ]
	run hutch ps -a --filter status=created -q
	[ "$output" = "${b:0:12}" ]
	run hutch ps --format json
	[ "$(echo "$output" | jq -r .Names)" = alpha ]
	[ "$(echo "$output" | jq -r .State)" = running ]
	run hutch ps -a --format 'table {{.Names}}\t{{.State}}'
	[[ "${lines[0]}" =~ ^NAMES\ +STATE$ ]]
	[ "${#lines[@]}" -eq 3 ]
	run hutch ps --format '{{.Nope'
	[ "$status" -ne 0 ]
}

@test "inspect: containers, images, formats and unknown names" {
	id=$(hutch create $NONET --name insp -e K=V "$IMG" echo x)
	run hutch inspect insp
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].Id')" = "$id" ]
	[ "$(echo "$output" | jq -r '.[0].Name')" = /insp ]
	run hutch container inspect -f '{{.State.Status}} {{json .Config.Cmd}}' insp
	[ "$output" = 'created ["echo","x"]' ]
	run hutch inspect -f '{{.Os}}' "$IMG"
	[ "$output" = linux ]
	run hutch image inspect -f '{{.Os}}' "$IMG"
	[ "$output" = linux ]
	run hutch inspect --type image insp
	[ "$status" -eq 1 ]
	run hutch inspect nosuchthing
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such object: nosuchthing"* ]]
	run hutch container inspect nosuchthing
	[[ "$output" == *"No such container: nosuchthing"* ]]
}

@test "create, start -a, wait, rename, restart, kill" {
	hutch create $NONET --name first "$IMG" sh -c 'echo attached; exit 6' >/dev/null
	run with_timeout 60 hutch start -a first
	[ "$status" -eq 6 ]
	[ "$output" = attached ]
	run with_timeout 60 hutch wait first
	[ "$output" = 6 ]
	run hutch rename first second
	[ "$status" -eq 0 ]
	run hutch ps -a --format '{{.Names}}'
	[ "$output" = second ]
	hutch run $NONET -d --name sleeper "$IMG" sleep 1000 >/dev/null
	run hutch restart -t 1 sleeper
	[ "$output" = sleeper ]
	run hutch inspect -f '{{.State.Status}}' sleeper
	[ "$output" = running ]
	run hutch kill -s KILL sleeper
	[ "$output" = sleeper ]
	run with_timeout 30 hutch wait sleeper
	[ "$output" = 137 ]
	run hutch kill sleeper
	[ "$status" -eq 1 ]
	[[ "$output" == *"Error response from daemon"* ]]
	run hutch rm nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such container: nosuch"* ]]
}

@test "attach follows a running container to its exit code" {
	# attach shows only what comes after it connected: the container ticks
	# until a file appears in a bound directory, made once a tick came
	# through the attach.
	mkdir "$BATS_TEST_TMPDIR/gate"
	hutch run $NONET -d --name talk -v "$BATS_TEST_TMPDIR/gate:/gate" "$IMG" \
		sh -c 'until [ -e /gate/go ]; do echo tick; sleep 0.1; done; echo late; exit 2' >/dev/null
	with_timeout 60 hutch attach talk >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local client=$!
	wait_until 60 grep -q tick "$BATS_TEST_TMPDIR/out"
	touch "$BATS_TEST_TMPDIR/gate/go"
	status=0
	wait "$client" || status=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 2 ]
	[ "$(grep -vx tick "$BATS_TEST_TMPDIR/out")" = late ]
	run hutch attach talk
	[ "$status" -eq 1 ]
	[[ "$output" == *"You cannot attach to a stopped container"* ]]
}

@test "rm refuses a running container without -f" {
	hutch run $NONET -d --name busy "$IMG" sleep 1000 >/dev/null
	run hutch rm busy
	[ "$status" -eq 1 ]
	[[ "$output" == *"Error response from daemon"* ]]
	run hutch rm -f busy
	[ "$status" -eq 0 ]
	no_containers
}

@test "top lists the container's processes" {
	hutch run $NONET -d --name topped "$IMG" sleep 1000 >/dev/null
	# (the start returns before the container's init has exec'd sleep)
	top_shows() { hutch top topped | grep -q "sleep 1000"; }
	wait_until 60 top_shows
	run hutch top topped
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[[ "$output" == *"sleep 1000"* ]]
}

@test "signals to run are forwarded to the container" {
	hutch run $NONET --rm --name trapper "$IMG" \
		sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	# (the trap is set once it said ready)
	wait_until 60 grep -q ready "$BATS_TEST_TMPDIR/out"
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 7 ]
	grep -q got-term "$BATS_TEST_TMPDIR/out"
}

@test "cp copies files and trees both ways, and tar streams with -" {
	hutch run $NONET -d --name box "$IMG" sleep 1000 >/dev/null
	echo one >"$BATS_TEST_TMPDIR/file"
	mkdir -p "$BATS_TEST_TMPDIR/tree/sub"
	echo two >"$BATS_TEST_TMPDIR/tree/sub/f"
	run hutch cp "$BATS_TEST_TMPDIR/file" box:/tmp/copied
	[ "$status" -eq 0 ]
	run hutch exec box cat /tmp/copied
	[ "$output" = one ]
	run hutch cp "$BATS_TEST_TMPDIR/tree" box:/tmp
	[ "$status" -eq 0 ]
	run hutch exec box cat /tmp/tree/sub/f
	[ "$output" = two ]
	run hutch cp box:/etc/hostname "$BATS_TEST_TMPDIR/hn"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/hn")" = "$(hutch exec box hostname)" ]
	mkdir "$BATS_TEST_TMPDIR/back"
	run hutch cp box:/tmp/tree "$BATS_TEST_TMPDIR/back"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/back/tree/sub/f")" = two ]
	run hutch cp box:/tmp/tree "$BATS_TEST_TMPDIR/renamed"
	[ "$(cat "$BATS_TEST_TMPDIR/renamed/sub/f")" = two ]
	run sh -c "hutch cp box:/tmp/tree - | tar -t"
	[[ "$output" == *"tree/sub/f"* ]]
	(cd "$BATS_TEST_TMPDIR" && tar -c file) | hutch cp - box:/root
	run hutch exec box cat /root/file
	[ "$output" = one ]
	run hutch cp box:/no/such "$BATS_TEST_TMPDIR/x"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/no/such"* ]]
	run hutch cp "$BATS_TEST_TMPDIR/nope" box:/tmp
	[ "$status" -ne 0 ]
	[[ "$output" == *"nope"* ]]
	run hutch cp a b
	[ "$status" -ne 0 ]
	[[ "$output" == *"must specify at least one container"* ]]
}

@test "container prune and system prune remove stopped containers" {
	hutch create $NONET --name stopped1 "$IMG" true >/dev/null
	hutch run $NONET -d --name running1 "$IMG" sleep 1000 >/dev/null
	run hutch container prune -f
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted Containers:"* ]]
	[[ "$output" == *"Total reclaimed space:"* ]]
	run hutch ps -a --format '{{.Names}}'
	[ "$output" = running1 ]
	hutch create $NONET --name stopped2 "$IMG" true >/dev/null
	run hutch system prune -f
	[ "$status" -eq 0 ]
	run hutch ps -a --format '{{.Names}}'
	[ "$output" = running1 ]
	run hutch system df
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ ]]
	[[ "$output" == *"Containers "*" 1 "*" 1 "* ]]
}

@test "every container command has an accurate --help" {
	for c in run create start stop restart kill rm ps logs wait inspect port top rename cp exec attach \
		"container prune" "container ls" "container inspect" "system df" "system prune"; do
		run hutch $c --help
		[ "$status" -eq 0 ] || { echo "$c: $output"; false; }
		[[ "${lines[0]}" == "Usage: hutch "* ]] || { echo "$c: $output"; false; }
	done
	run hutch run --help
	for flag in --detach --interactive --tty --rm --name --env --env-file --volume --mount \
		--publish --publish-all --workdir --user --entrypoint --network --cap-add --cap-drop \
		--privileged --read-only --tmpfs --init --security-opt --label --hostname --dns \
		--add-host --stop-signal --pull --detach-keys; do
		[[ "$output" == *"$flag"* ]] || { echo "run --help lacks $flag"; false; }
	done
}

@test "run -w creates a missing working directory, as Docker does" {
	run with_timeout 60 hutch run $NONET --rm -w /does/not/exist "$IMG" pwd
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = /does/not/exist ]
	if [ "$HUTCH_TEST_MODE" = sub ]; then
		# a new directory belongs to the process's user
		run with_timeout 60 hutch run $NONET --rm -u 1000:1000 -w /home/app "$IMG" \
			sh -c 'stat -c %u:%g . && touch mine && echo wrote'
		echo "$output"
		[ "$status" -eq 0 ]
		[ "$output" = "1000:1000
wrote" ]
	fi
}
