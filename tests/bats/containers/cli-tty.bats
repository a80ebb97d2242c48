#!/usr/bin/env bats
# hutch run -it and exec -it under a real pseudo-terminal (driven by
# lib/pty-run.py): the container gets a tty of the user's size, follows
# resizes, passes its exit code, and ctrl-p ctrl-q detaches.
# modes: sub solo

load ../helpers
load ../images/lib/registry
load lib/cli-helpers

PTY_RUN=${BATS_TEST_DIRNAME}/lib/pty-run.py

setup_file() {
	cli_setup_file
}

teardown() {
	cli_teardown
}

teardown_file() {
	cli_teardown_file
}

# pty ROWS COLS STEPS -- COMMAND...
pty() {
	with_timeout 90 python3 "$PTY_RUN" "$@"
}

@test "run -it: a terminal of the user's size, and the exit code" {
	run pty 30 100 '[["expect","READY"]]' -- \
		hutch run $NONET -it --rm "$IMG" sh -c 'echo READY; tty; stty size; exit 5'
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"30 100"* ]]
	run hutch ps -aq
	[ -z "$output" ]
}

@test "run -it follows resizes and takes keyboard input" {
	# The new size travels by SIGWINCH, hutch and hutchd to the monitor,
	# the typed line by the attach stream: either may come first, so the
	# container waits (a minute at most) for the size to change.
	local script='echo size=$(stty size); read x; i=0; while [ "$(stty size)" = "24 80" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done; echo size=$(stty size); read y; exit 9'
	run pty 24 80 '[["expect","size=24 80"],["resize",40,120],["send","go\r"],["expect","size=40 120"],["send","exit 9\r"]]' -- \
		hutch run $NONET -it --rm "$IMG" sh -c "$script"
	echo "$output"
	[ "$status" -eq 9 ]
}

@test "run -it: an interactive shell" {
	run pty 24 80 '[["send","echo $((6*7))\r"],["expect","42"],["send","exit 3\r"]]' -- \
		hutch run $NONET -it --rm "$IMG" sh
	echo "$output"
	[ "$status" -eq 3 ]
}

@test "ctrl-p ctrl-q detaches and leaves the container running" {
	run pty 24 80 '[["expect","ATTACHED"],["send","\u0010\u0011"]]' -- \
		hutch run $NONET -it --name det "$IMG" sh -c 'echo ATTACHED; while :; do sleep 1; done'
	echo "$output"
	[ "$status" -eq 0 ]
	run hutch inspect -f '{{.State.Status}}' det
	[ "$output" = running ]
	# Other keys pass through: ctrl-p followed by something else.
	run pty 24 80 '[["expect","#"],["send","\u0010x"],["send","\r"],["send","exit 4\r"]]' -- \
		hutch run $NONET -it --rm "$IMG" sh
	[ "$status" -eq 4 ]
	run pty 24 80 '[["expect","ATTACHED"],["send","\u0001"]]' -- \
		hutch run $NONET -it --detach-keys ctrl-a --name det2 "$IMG" sh -c 'echo ATTACHED; while :; do sleep 1; done'
	[ "$status" -eq 0 ]
	run hutch inspect -f '{{.State.Status}}' det2
	[ "$output" = running ]
}

@test "exec -it: a terminal in a running container" {
	hutch run $NONET -d --name ex "$IMG" sleep 1000 >/dev/null
	run pty 33 99 '[["expect","READY"]]' -- \
		hutch exec -it ex sh -c 'echo READY; tty; stty size; exit 6'
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"33 99"* ]]
}

@test "-t without a terminal on stdin is refused for -it" {
	run with_timeout 30 hutch run $NONET -it --rm "$IMG" true </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"the input device is not a TTY"* ]]
}
