#!/usr/bin/env bats
# Named and anonymous volumes start with what the image has at their path,
# as with Docker: copied once, when the container that makes the volume
# is created, with owners and modes, symlinks kept as symlinks; never
# into a volume that already has content, never with nocopy.
# modes: sub solo

load ../helpers
load ../images/lib/registry
load lib/cli-helpers

setup_file() {
	cli_setup_file
	# /data: files of several owners, and whiteouts in a later layer
	push_image multi multi:1
	MULTI=$REGISTRY/multi:1
	with_timeout 120 hutch pull -q "$MULTI" >/dev/null
	export MULTI
}

teardown() {
	cli_teardown
}

teardown_file() {
	cli_teardown_file
}

volume_data() {
	echo "$XDG_DATA_HOME/hutch/volumes/$1/_data"
}

@test "a new named volume starts with the image's files at its path" {
	run with_timeout 60 hutch run $NONET --rm -v filled:/data "$MULTI" \
		sh -c 'ls /data; cat /data/root-file'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *root-file* && "$output" == *nobody-file* ]]
	# with one mapped id, user-file (0640, uid 1000) is readable by nobody
	# here, the container's root included: it is left out
	[ "$HUTCH_TEST_MODE" = solo ] || [[ "$output" == *user-file* ]]
	printf "%s\n" "$output" | grep -qx root
	# what a later layer deleted is not copied
	[[ "$output" != *file-to-delete* && "$output" != *drop* ]]
	[ -f "$(volume_data filled)/root-file" ]
	# a path the image lacks: the volume stays empty, the container runs
	run with_timeout 60 hutch run $NONET --rm -v nothing:/not/in/image "$MULTI" ls -A /not/in/image
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	if [ "$HUTCH_TEST_MODE" = sub ]; then
		# owners and modes as in the image (a subuid range maps them)
		run with_timeout 60 hutch run $NONET --rm -v filled:/data "$MULTI" \
			stat -c '%n %u:%g %a' /data /data/user-file /data/nobody-file /data/setuid-tool
		echo "$output"
		[ "$status" -eq 0 ]
		[ "$output" = "/data 0:0 755
/data/user-file 1000:1000 640
/data/nobody-file 65534:65534 644
/data/setuid-tool 0:0 4755" ]
	fi
}

@test "a second container on the volume sees the first one's changes, not a new copy" {
	run with_timeout 60 hutch run $NONET --rm -v shared:/data "$MULTI" \
		sh -c 'rm /data/root-file && echo changed >/data/user-file && echo new >/data/added'
	[ "$status" -eq 0 ]
	run with_timeout 60 hutch run $NONET --rm -v shared:/data "$MULTI" \
		sh -c 'ls /data; cat /data/user-file'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *added* && "$output" == *changed* ]]
	[[ "$output" != *root-file* ]]
}

@test "anonymous volumes are filled too, a volume with nocopy is not" {
	run with_timeout 60 hutch run $NONET --rm -v /data "$MULTI" cat /data/root-file
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = root ]
	run with_timeout 60 hutch run $NONET --rm --mount type=volume,dst=/data "$MULTI" \
		cat /data/root-file
	[ "$status" -eq 0 ]
	[ "$output" = root ]
	# nocopy / volume-nocopy: the new volume stays empty
	run with_timeout 60 hutch run $NONET --rm -v empty1:/data:nocopy "$MULTI" ls -A /data
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run with_timeout 60 hutch run $NONET --rm \
		--mount type=volume,src=empty2,dst=/data,volume-nocopy=true "$MULTI" ls -A /data
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "symlinks in the image are copied as symlinks, never followed" {
	# busybox's /bin holds relative applet links: the volume gets the links
	run with_timeout 60 hutch run $NONET --rm -v bin:/bin "$IMG" readlink /bin/ls
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = busybox ]
	[ -L "$(volume_data bin)/ls" ]
	[ ! -L "$(volume_data bin)/busybox" ]
}
