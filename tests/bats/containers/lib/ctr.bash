# Helpers for the container API tests: a pulled busybox image, create and
# start through the API, status codes, and the leftovers a container may
# leave (directories, processes, mounts).

# ctr_setup_file: registry, busybox pushed and pulled, a private hutchd
# (with $HUTCHD_PATH as its PATH when that is set).
ctr_setup_file() {
	require_cmd docker-registry skopeo python3 curl jq
	start_registry "$BATS_FILE_TMPDIR/registry"
	push_image busybox busybox:1
	if [ -n "${HUTCHD_PATH:-}" ]; then
		PATH=$HUTCHD_PATH start_hutchd
	else
		start_hutchd
	fi
	IMAGE=$REGISTRY/busybox:1
	api POST "/images/create?fromImage=$REGISTRY/busybox&tag=1" >/dev/null
	api GET "/images/$IMAGE/json" | jq -e .Id >/dev/null
	export REGISTRY REGISTRY_PID REGISTRY_DIR HUTCHD_PID IMAGE
}

ctr_teardown_file() {
	remove_all_containers
	stop_hutchd
	stop_sandbox
	stop_registry
}

remove_all_containers() {
	[ -n "${HUTCHD_PID:-}" ] || return 0
	local id
	for id in $(api GET "/containers/json?all=1" | jq -r '.[].Id' 2>/dev/null); do
		api DELETE "/containers/$id?force=1" >/dev/null
	done
}

# call METHOD PATH [curl args]: sets $code and $body.
call() {
	local out
	out=$(api "$@" -w '\n%{http_code}')
	code=${out##*$'\n'}
	body=${out%$'\n'*}
	body=${body%$'\n'}
	[ "$body" != "$code" ] || body=
}

# create_json NAME JSON: POST /containers/create; sets $code, $body, $id.
create_json() {
	local q=
	[ -z "$1" ] || q="?name=$1"
	call POST "/containers/create$q" -H 'Content-Type: application/json' -d "$2"
	# The reply is {"Id":"<hex>","Warnings":[]}; read without a jq (whose
	# start costs tens of ms on each of the suite's thousands of creates).
	id=
	[[ $body =~ \"Id\"[[:space:]]*:[[:space:]]*\"([0-9a-f]+)\" ]] && id=${BASH_REMATCH[1]}
	return 0
}

# create NAME CMD...: a container of $IMAGE without network running CMD
# (created must succeed); sets $id. CTR_EXTRA (jq object) is merged in.
create() {
	local name=$1
	shift
	local json extra='{}'
	[ -z "${CTR_EXTRA:-}" ] || extra=$CTR_EXTRA
	json=$(jq -n -c --arg img "$IMAGE" --argjson extra "$extra" \
		'{Image: $img, Cmd: $ARGS.positional, HostConfig: {NetworkMode: "none"}} * $extra' \
		--args -- "$@")
	create_json "$name" "$json"
	if [ "$code" != 201 ]; then
		echo "create $name: $code $body" >&2
		return 1
	fi
}

start() {
	call POST "/containers/$1/start"
	if [ "$code" != 204 ]; then
		echo "start $1: $code $body" >&2
		return 1
	fi
}

# pids_of NAME: $pid (the container's init) and $mon (its monitor).
pids_of() {
	pid=$(inspect "$1" | jq -r .State.Pid)
	mon=$(cat "$XDG_RUNTIME_DIR/hutch/containers/$(inspect "$1" | jq -r .Id)/monitor.pid")
}

# start_trapping NAME TRAPS: a container whose shell sets TRAPS ('trap
# "exit 9" USR1'), says ready and idles; started and waited for until its
# traps are set (a pid namespace's init drops signals it has no handler
# for). Sets $id, $pid and $mon. CTR_EXTRA applies.
start_trapping() {
	create "$1" sh -c "$2; echo ready; while :; do sleep 0.1; done"
	start "$1"
	wait_for 60 grep -q ready "$XDG_DATA_HOME/hutch/containers/$id/ctr.log"
	pids_of "$1"
}

# wait_exit ID [CONDITION]: prints the StatusCode.
wait_exit() {
	local out
	out=$(api POST "/containers/$1/wait${2:+?condition=$2}")
	[[ $out =~ \"StatusCode\"[[:space:]]*:[[:space:]]*(-?[0-9]+) ]] && echo "${BASH_REMATCH[1]}"
	return 0
}

inspect() {
	api GET "/containers/$1/json"
}

ctr_dirs() {
	ls -A "$XDG_DATA_HOME/hutch/containers" 2>/dev/null
}

# Processes whose command line names this test's store or runtime dir
# (monitors, overlays, slirps of our containers).
our_processes() {
	# One grep over all command lines (two forks per process made each
	# call take a second); the patterns come from a file so that grep's
	# own command line does not name them.
	local f
	for f in $(grep -lsaF -f <(printf '%s\n' "$XDG_DATA_HOME/hutch/containers" \
		"$XDG_RUNTIME_DIR/hutch/containers") /proc/[0-9]*/cmdline); do
		f=${f#/proc/}
		echo "${f%/cmdline}"
	done
	return 0
}

sandbox_pid() {
	cat "$XDG_RUNTIME_DIR/hutch/sandbox.pid"
}

# Mounts in the sandbox that belong to our containers.
our_mounts() {
	grep -F "$XDG_RUNTIME_DIR/hutch/containers" "/proc/$(sandbox_pid)/mountinfo" || true
}

# count_at_least N PATTERN FILE: FILE has at least N lines matching PATTERN
# (for wait_for, which must re-run the check on every try).
count_at_least() {
	[ "$(grep -c -- "$2" "$3" 2>/dev/null)" -ge "$1" ]
}

# status_is NAME STATUS: the container's State.Status, re-read on each call.
status_is() {
	[ "$(inspect "$1" | jq -r .State.Status)" = "$2" ]
}

# no_processes: none of our_processes is left.
no_processes() {
	[ -z "$(our_processes)" ]
}

# wait_for SECONDS CMD...: poll until CMD succeeds (CMD runs anew each
# try, so it must not be a $(...) argument).
wait_for() {
	local t=$1 i
	shift
	for i in $(seq 1 $((t * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
