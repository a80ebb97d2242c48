#!/usr/bin/env bats
# The container's /dev: the default devices work, linux.devices adds
# more, the /dev symlinks point where they should, /dev/shm is usable.
# Real root makes device nodes with mknod; every other mode binds the
# host's nodes, and both must give the container working devices.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup devices
	make_bundle "$BUNDLE"
}

teardown() {
	hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
}

run_in_container() {
	edit_config "$BUNDLE" '.process.args = ["sh", "-c", $s]' --arg s "$1"
	run with_timeout 60 hutch-oci --root "$STATE" run --bundle "$BUNDLE" "$ID"
	echo "$output"
}

@test "the default devices exist with their numbers" {
	run_in_container 'for d in null zero full random urandom tty; do echo "$d=$(stat -c "%F %t:%T" /dev/$d)"; done'
	[ "$status" -eq 0 ]
	[[ $output == *"null=character special file 1:3"* ]]
	[[ $output == *"zero=character special file 1:5"* ]]
	[[ $output == *"full=character special file 1:7"* ]]
	[[ $output == *"random=character special file 1:8"* ]]
	[[ $output == *"urandom=character special file 1:9"* ]]
	[[ $output == *"tty=character special file 5:0"* ]]
}

@test "/dev/null, /dev/zero, /dev/full and /dev/urandom behave" {
	run_in_container 'echo gone >/dev/null && echo "NULL=[$(cat /dev/null)]"
		echo "ZERO=$(head -c 8 /dev/zero | od -An -tx1 | tr -d " ")"
		echo "URANDOM=$(head -c 16 /dev/urandom | wc -c)"
		echo x >/dev/full || echo FULL-REFUSED'
	[ "$status" -eq 0 ]
	[[ $output == *"NULL=[]"* ]]
	[[ $output == *"ZERO=0000000000000000"* ]]
	[[ $output == *"URANDOM=16"* ]]
	[[ $output == *FULL-REFUSED* ]]
	[[ $output == *"No space left on device"* ]]
}

@test "the /dev symlinks point into /proc/self and pts" {
	run_in_container 'for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done
		echo piped | cat /dev/stdin; ls /dev/fd/ >/dev/null && echo FD-OK'
	[ "$status" -eq 0 ]
	[[ $output == *"fd -> /proc/self/fd"$'\n'* ]]
	[[ $output == *"stdin -> /proc/self/fd/0"* ]]
	[[ $output == *"stdout -> /proc/self/fd/1"* ]]
	[[ $output == *"stderr -> /proc/self/fd/2"* ]]
	[[ $output == *"ptmx -> pts/ptmx"* ]]
	[[ $output == *piped* ]]
	[[ $output == *FD-OK* ]]
	# /dev/core only where the kernel has /proc/kcore.
	if [ ! -e /proc/kcore ]; then
		run_in_container '[ -L /dev/core ] && echo HAS-CORE; true'
		[[ $output != *HAS-CORE* ]]
	fi
}

@test "/dev/shm is a sticky, world-writable directory" {
	edit_config "$BUNDLE" '.mounts |= map(select(.destination != "/dev/shm"))'
	run_in_container 'stat -c "SHM=%a" /dev/shm; touch /dev/shm/x && echo SHM-WRITE-OK'
	[ "$status" -eq 0 ]
	[[ $output == *SHM=1777* ]]
	[[ $output == *SHM-WRITE-OK* ]]
}

@test "linux.devices adds a device (the host's /dev/fuse)" {
	[ -c /dev/fuse ] || skip "the host has no /dev/fuse"
	edit_config "$BUNDLE" '.linux.devices += [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0}]'
	run_in_container 'stat -c "FUSE=%F %t:%T" /dev/fuse'
	[ "$status" -eq 0 ]
	[[ $output == *"FUSE=character special file a:e5"* ]]
}

@test "a linux.devices entry under a new directory gets its directory" {
	[ -c /dev/net/tun ] || skip "the host has no /dev/net/tun"
	edit_config "$BUNDLE" '.linux.devices += [{"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200}]'
	run_in_container 'stat -c "TUN=%F %t:%T" /dev/net/tun'
	[ "$status" -eq 0 ]
	[[ $output == *"TUN=character special file a:c8"* ]]
}

@test "mknod honours fileMode, uid and gid of linux.devices" {
	[ "$HUTCH_TEST_MODE" = root ] ||
		skip "only real root can mknod; the other modes bind the host's node with the host's mode"
	edit_config "$BUNDLE" '.linux.devices += [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 416, "uid": 1000, "gid": 1000}]'
	run_in_container 'stat -c "MYNULL=%a %u:%g %t:%T" /dev/mynull'
	[ "$status" -eq 0 ]
	[[ $output == *"MYNULL=640 1000:1000 1:3"* ]]
}

@test "a device outside /dev is refused" {
	edit_config "$BUNDLE" '.linux.devices += [{"path": "/etc/evil", "type": "c", "major": 1, "minor": 3}]'
	run_in_container 'true'
	[ "$status" -ne 0 ]
	[[ $output == *"/etc/evil"* ]]
	[ ! -e "$BUNDLE/rootfs/etc/evil" ]
}

@test "a config that binds its own /dev gets no devices written into it" {
	devdir=$BATS_TEST_TMPDIR/mydev
	mkdir -p "$devdir"
	edit_config "$BUNDLE" '.mounts |= map(select(.destination | startswith("/dev") | not)) | .mounts += [{"destination": "/dev", "type": "bind", "source": $d, "options": ["rbind"]}] | .linux.maskedPaths = []' --arg d "$devdir"
	run_in_container 'ls -A /dev | wc -l'
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$devdir")" ]
}
