#!/usr/bin/env bats
# The container's filesystem view, seen from inside the container: bind
# mounts and their flags, tmpfs options, proc, masked and read-only paths,
# a read-only root, rootfsPropagation, sysctl and hostname, and a symlink
# in the image that tries to send a mount onto the host.
# modes: sub solo root userns

load ../helpers
load oci-helpers

setup() {
	oci_setup mounts
}

teardown() {
	hutch-oci --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
	if [ -n "${LOCKED_MOUNT:-}" ]; then
		umount "$LOCKED_MOUNT" 2>/dev/null || true
	fi
}

# make_bundle, then own the rootfs copy: in mode userns, cp -a keeps the
# image's owner as the overflow id 65534, which the container (mapping only
# the caller's id) could not write, so mount points could not be created.
make_own_bundle() {
	make_bundle "$@"
	chown -R "$(id -u):$(id -g)" "$1/rootfs"
}

# run_in_container SCRIPT: run `sh -c SCRIPT` in the bundle made by the
# test (the bundle's config is edited between make_bundle and this).
run_in_container() {
	edit_config "$BUNDLE" '.process.args = ["sh", "-c", $s]' --arg s "$1"
	run with_timeout 60 hutch-oci --root "$STATE" run --bundle "$BUNDLE" "$ID"
	echo "$output"
}

# add_mount JSON: append one entry to the config's mounts.
add_mount() {
	edit_config "$BUNDLE" '.mounts += [$m]' --argjson m "$1"
}

@test "a read-only bind mount refuses writes; a writable one writes through" {
	make_own_bundle "$BUNDLE"
	vol=$BATS_TEST_TMPDIR/vol
	mkdir -p "$vol/sub"
	echo from-host >"$vol/file"
	add_mount "{\"destination\": \"/ro\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"rbind\", \"ro\"]}"
	add_mount "{\"destination\": \"/rw\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"bind\"]}"
	run_in_container 'cat /ro/file; touch /ro/new && echo RO-WRITABLE; touch /ro/sub/new && echo RO-SUB-WRITABLE; touch /rw/written && echo RW-OK'
	[ "$status" -eq 0 ]
	[[ $output == *from-host* ]]
	[[ $output == *"Read-only file system"* ]]
	[[ $output != *RO-WRITABLE* ]]
	[[ $output != *RO-SUB-WRITABLE* ]]
	[[ $output == *RW-OK* ]]
	[ -e "$vol/written" ]
	[ ! -e "$vol/new" ]
}

@test "rro makes every mount below a recursive bind read-only" {
	make_own_bundle "$BUNDLE"
	vol=$BATS_TEST_TMPDIR/vol
	mkdir -p "$vol"
	# The image's /rec gets a tmpfs first; an rbind of the image's own /
	# then carries that submount, and rro must cover it too.
	mkdir -p "$BUNDLE/rootfs/rec/inner"
	add_mount '{"destination": "/rec/inner", "type": "tmpfs", "source": "tmpfs"}'
	add_mount "{\"destination\": \"/view\", \"type\": \"bind\", \"source\": \"$BUNDLE/rootfs/rec\", \"options\": [\"rbind\", \"rro\"]}"
	run_in_container 'touch /rec/inner/ok && echo INNER-RW; touch /view/inner/x && echo VIEW-INNER-WRITABLE; touch /view/x && echo VIEW-WRITABLE; true'
	[ "$status" -eq 0 ]
	[[ $output != *VIEW-INNER-WRITABLE* ]]
	[[ $output != *VIEW-WRITABLE* ]]
	[[ $output == *INNER-RW* ]]
}

@test "nosuid, nodev and noexec on a bind mount are applied" {
	make_own_bundle "$BUNDLE"
	vol=$BATS_TEST_TMPDIR/vol
	mkdir -p "$vol"
	# busybox runs the applet named by its file name.
	cp "$BUNDLE/rootfs/bin/busybox" "$vol/true"
	add_mount "{\"destination\": \"/noexec\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"bind\", \"noexec\", \"nosuid\", \"nodev\"]}"
	add_mount "{\"destination\": \"/exec\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"bind\"]}"
	run_in_container '/exec/true && echo EXEC-OK; /noexec/true && echo NOEXEC-RAN; grep " /noexec " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ $output == *EXEC-OK* ]]
	[[ $output != *NOEXEC-RAN* ]]
	line=$(grep ' /noexec ' <<<"$output")
	[[ $line == *nosuid* ]]
	[[ $line == *nodev* ]]
	[[ $line == *noexec* ]]
}

@test "a read-only bind of a nosuid,nodev,noexec mount keeps those flags" {
	# In a user namespace the kernel locks these flags of a mount that
	# came from the host and refuses (EPERM) a read-only remount that
	# would drop them; hutch must carry them over.
	case $HUTCH_TEST_MODE in
	sub | solo) skip "an unprivileged user cannot make the host mount this test binds" ;;
	esac
	make_own_bundle "$BUNDLE"
	locked=$BATS_TEST_TMPDIR/locked
	mkdir -p "$locked"
	mount -t tmpfs -o nosuid,nodev,noexec,size=1m tmpfs "$locked"
	LOCKED_MOUNT=$locked
	echo locked-content >"$locked/f"
	add_mount "{\"destination\": \"/locked\", \"type\": \"bind\", \"source\": \"$locked\", \"options\": [\"bind\", \"ro\"]}"
	run_in_container 'cat /locked/f; grep " /locked " /proc/self/mountinfo; touch /locked/x && echo WRITABLE; true'
	[ "$status" -eq 0 ]
	[[ $output == *locked-content* ]]
	line=$(grep ' /locked ' <<<"$output")
	[[ $line == *" ro,"*nosuid*nodev*noexec* ]]
	[[ $output != *WRITABLE* ]]
}

@test "a tmpfs has the mode and size of its options" {
	make_own_bundle "$BUNDLE"
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=1750", "size=2m"]}'
	run_in_container 'stat -c "MODE=%a" /scratch; df -k /scratch | tail -n 1; echo data >/scratch/f && echo WRITE-OK'
	[ "$status" -eq 0 ]
	[[ $output == *MODE=1750* ]]
	[ "$(grep scratch <<<"$output" | awk '{print $2}')" = 2048 ]
	[[ $output == *WRITE-OK* ]]
}

@test "tmpcopyup starts a tmpfs with the image directory's content" {
	make_own_bundle "$BUNDLE"
	mkdir -p "$BUNDLE/rootfs/opt/data/deep"
	echo image-content >"$BUNDLE/rootfs/opt/data/deep/f"
	ln -s deep/f "$BUNDLE/rootfs/opt/data/link"
	add_mount '{"destination": "/opt/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}'
	run_in_container 'cat /opt/data/deep/f; readlink /opt/data/link; echo changed >/opt/data/deep/f; grep " /opt/data " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ $output == *image-content* ]]
	[[ $output == *deep/f* ]]
	[[ $output == *tmpfs* ]]
	# The write went to the tmpfs, not to the image.
	[ "$(cat "$BUNDLE/rootfs/opt/data/deep/f")" = image-content ]
}

@test "/proc shows only the container's processes" {
	make_own_bundle "$BUNDLE"
	run_in_container 'echo "SELF=$$"; for d in /proc/[0-9]*; do echo "PID=${d#/proc/}"; done'
	[ "$status" -eq 0 ]
	[[ $output == *SELF=1* ]]
	# sh (pid 1) and at most the few processes it started.
	for p in $(grep '^PID=' <<<"$output" | cut -d= -f2); do
		[ "$p" -lt 10 ]
	done
}

@test "masked paths read empty: files, directories and the defaults" {
	make_own_bundle "$BUNDLE"
	mkdir -p "$BUNDLE/rootfs/opt/secret-dir"
	echo secret >"$BUNDLE/rootfs/etc/secret"
	echo secret >"$BUNDLE/rootfs/opt/secret-dir/f"
	edit_config "$BUNDLE" '.linux.maskedPaths += ["/etc/secret", "/opt/secret-dir", "/does/not/exist"]'
	run_in_container 'echo "FILE=[$(cat /etc/secret)]"; echo "DIR=[$(ls -A /opt/secret-dir)]"; echo "KEYS=[$(cat /proc/keys)]"; [ -e /proc/kcore ] && echo "KCORE=[$(head -c 16 /proc/kcore)]"; echo x >/etc/secret; true'
	[ "$status" -eq 0 ]
	[[ $output == *"FILE=[]"* ]]
	[[ $output == *"DIR=[]"* ]]
	[[ $output == *"KEYS=[]"* ]]
	[[ $output != *"KCORE=["?* ]] || [[ $output == *"KCORE=[]"* ]]
	[ "$(cat "$BUNDLE/rootfs/etc/secret")" = secret ]
}

@test "read-only paths refuse writes: /proc/sys and a path of the image" {
	make_own_bundle "$BUNDLE"
	mkdir -p "$BUNDLE/rootfs/opt/frozen" "$BUNDLE/rootfs/opt/open"
	edit_config "$BUNDLE" '.root.readonly = false | .linux.readonlyPaths += ["/opt/frozen"]'
	run_in_container 'echo 1 >/proc/sys/kernel/shmmax && echo SYSCTL-WRITABLE; touch /opt/frozen/x && echo FROZEN-WRITABLE; touch /opt/open/x && echo OPEN-OK; cat /proc/sys/kernel/ostype'
	[ "$status" -eq 0 ]
	[[ $output != *SYSCTL-WRITABLE* ]]
	[[ $output != *FROZEN-WRITABLE* ]]
	[[ $output == *OPEN-OK* ]]
	[[ $output == *Linux* ]]
}

@test "root.readonly makes / read-only, and only /" {
	make_own_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.root.readonly = true'
	run_in_container 'touch /x && echo ROOT-WRITABLE; touch /dev/shm/x && echo SHM-OK; echo hi >/dev/null && echo NULL-OK'
	[ "$status" -eq 0 ]
	[[ $output != *ROOT-WRITABLE* ]]
	[[ $output == *"Read-only file system"* ]]
	[[ $output == *SHM-OK* ]]
	[[ $output == *NULL-OK* ]]

	edit_config "$BUNDLE" '.root.readonly = false'
	run_in_container 'touch /x && echo ROOT-WRITABLE'
	[ "$status" -eq 0 ]
	[[ $output == *ROOT-WRITABLE* ]]
	[ -e "$BUNDLE/rootfs/x" ]
}

@test "proc, sysfs, devpts and mqueue of the default config are mounted" {
	make_own_bundle "$BUNDLE"
	run_in_container 'cat /proc/self/mountinfo; ls /sys/kernel >/dev/null && echo SYS-OK; touch /sys/x && echo SYS-WRITABLE; [ -c /dev/pts/ptmx ] && echo PTS-OK'
	[ "$status" -eq 0 ]
	[[ $output == *" /proc "*" proc "* ]]
	[[ $output == *" /dev/pts "*" devpts "* ]]
	[[ $output == *" /dev/mqueue "* ]]
	[[ $output == *SYS-OK* ]]
	[[ $output == *PTS-OK* ]]
	[[ $output != *SYS-WRITABLE* ]]
}

@test "sysfs: fresh with a network namespace of its own, else the host's, read-only" {
	make_own_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.mounts |= map(if .destination == "/sys" then {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]} else . end)'
	edit_config "$BUNDLE" '.linux.namespaces |= (map(select(.type != "network")) + [{"type": "network"}])'
	run_in_container 'echo "NET=$(ls /sys/class/net | tr "\n" " ")"; touch /sys/x && echo SYS-WRITABLE; true'
	[ "$status" -eq 0 ]
	# A sysfs of the new network namespace shows only its loopback.
	[[ $output == *"NET=lo "* ]]
	[[ $output != *SYS-WRITABLE* ]]

	# Sharing the host's network: rootless, the host's /sys is bound.
	edit_config "$BUNDLE" '.linux.namespaces |= map(select(.type != "network"))'
	run_in_container 'echo "NET=$(ls /sys/class/net | tr "\n" " ")"; touch /sys/x && echo SYS-WRITABLE; echo 1 >/sys/kernel/uevent_helper && echo HELPER-WRITABLE; true'
	[ "$status" -eq 0 ]
	[[ $output == *"NET=$(ls /sys/class/net | tr '\n' ' ')"* ]]
	[[ $output != *SYS-WRITABLE* ]]
	[[ $output != *HELPER-WRITABLE* ]]
}

@test "without pid and IPC namespaces of its own, proc and mqueue still work" {
	# In a user namespace the kernel refuses a new proc for the host's pid
	# namespace and a new mqueue for the host's IPC namespace: hutch binds
	# the host's instead (or leaves /dev/mqueue empty when the host has
	# none). Real root mounts them as usual.
	make_own_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.linux.namespaces |= map(select(.type != "pid" and .type != "ipc"))'
	run_in_container 'echo "SELF=$$"; [ -d /proc/1 ] && echo PROC-OK; [ -d /dev/mqueue ] && echo MQ-DIR'
	[ "$status" -eq 0 ]
	[[ $output == *PROC-OK* ]]
	[[ $output == *MQ-DIR* ]]
	# The host's pid namespace: our shell is not pid 1.
	[[ $output != *SELF=1$'\n'* ]]
}

@test "devpts with gid=5 works in every mode; the option is dropped where gid 5 is unmapped" {
	make_own_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.mounts |= map(if .type == "devpts" then .options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] else . end)'
	run_in_container 'grep " /dev/pts " /proc/self/mountinfo; awk "\$1 <= 5 && 5 < \$1 + \$3 {print \"GID5-MAPPED\"}" /proc/self/gid_map; [ -c /dev/pts/ptmx ] && echo PTS-OK'
	[ "$status" -eq 0 ]
	[[ $output == *PTS-OK* ]]
	line=$(grep ' /dev/pts ' <<<"$output")
	if [[ $output == *GID5-MAPPED* ]]; then
		[[ $line == *gid=5* ]]
	else
		[[ $line != *gid=5* ]]
	fi
}

@test "without a /dev mount in the config, /dev is a private tmpfs" {
	make_own_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.mounts |= map(select(.destination | startswith("/dev") | not))'
	run_in_container 'grep " /dev " /proc/self/mountinfo; echo x >/dev/null && echo NULL-OK; ls -A /dev'
	[ "$status" -eq 0 ]
	[[ $output == *" /dev "*nosuid*tmpfs* ]]
	[[ $output == *NULL-OK* ]]
	[[ $output == *shm* ]]
}

@test "a symlink in the image cannot send a bind mount onto the host" {
	make_own_bundle "$BUNDLE"
	vol=$BATS_TEST_TMPDIR/vol
	hostdir=$BATS_TEST_TMPDIR/hostdir
	mkdir -p "$vol" "$hostdir"
	echo payload >"$vol/file"
	# An absolute link to a host path, and one to a directory that exists
	# both on the host and in the image.
	ln -s "$hostdir" "$BUNDLE/rootfs/escape"
	ln -s /tmp "$BUNDLE/rootfs/escape-tmp"
	name=hutch-escape-$ID
	add_mount "{\"destination\": \"/escape-tmp/$name\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"bind\"]}"
	run_in_container "cat /tmp/$name/file"
	[ "$status" -eq 0 ]
	[[ $output == *payload* ]]
	# The mount point was made inside the rootfs, not in the host's /tmp.
	[ -d "$BUNDLE/rootfs/tmp/$name" ]
	[ ! -e "/tmp/$name" ]

	# Through a link to a host path that the image lacks: the run may
	# fail or mount inside the rootfs, but the host stays untouched.
	edit_config "$BUNDLE" '.mounts |= map(select(.destination | startswith("/escape-tmp") | not))'
	add_mount "{\"destination\": \"/escape/sub\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"bind\"]}"
	run_in_container 'true'
	[ -z "$(ls -A "$hostdir")" ]
	! grep -qF "$hostdir" /proc/self/mountinfo
}

@test "a destination with .. or a symlink loop stays inside the rootfs or fails clearly" {
	make_own_bundle "$BUNDLE"
	vol=$BATS_TEST_TMPDIR/vol
	mkdir -p "$vol"
	echo payload >"$vol/file"
	name=hutch-dotdot-$ID
	add_mount "{\"destination\": \"/../../../../../tmp/$name\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"bind\"]}"
	run_in_container "cat /tmp/$name/file"
	[ "$status" -eq 0 ]
	[[ $output == *payload* ]]
	[ -d "$BUNDLE/rootfs/tmp/$name" ]
	[ ! -e "/tmp/$name" ]

	ln -s loop-b "$BUNDLE/rootfs/loop-a"
	ln -s loop-a "$BUNDLE/rootfs/loop-b"
	edit_config "$BUNDLE" '.mounts[-1].destination = "/loop-a/x"'
	run_in_container 'true'
	[ "$status" -ne 0 ]
	[[ $output == *"/loop-a/x"* ]]
	[[ $output == *"Too many levels of symbolic links"* ]]
}

@test "sysctl values are applied; host-wide ones are refused" {
	make_own_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.linux.sysctl = {"kernel.shmmax": "123456789", "fs.mqueue.msg_max": "17"}'
	run_in_container 'cat /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max'
	[ "$status" -eq 0 ]
	[[ $output == *123456789* ]]
	[[ $output == *17* ]]

	edit_config "$BUNDLE" '.linux.sysctl = {"vm.swappiness": "1"}'
	run_in_container 'true'
	[ "$status" -ne 0 ]
	[[ $output == *"vm.swappiness is not namespaced"* ]]

	edit_config "$BUNDLE" '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
	run_in_container 'true'
	[ "$status" -ne 0 ]
	[[ $output == *"net.ipv4.ip_forward needs a network namespace"* ]]
}

@test "hostname and domainname are set; a hostname needs a UTS namespace" {
	make_own_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.hostname = "hutch-box" | .domainname = "hutch.test"'
	run_in_container 'hostname; cat /proc/sys/kernel/domainname'
	[ "$status" -eq 0 ]
	[[ $output == *hutch-box* ]]
	[[ $output == *hutch.test* ]]
	[ "$(hostname)" != hutch-box ]

	edit_config "$BUNDLE" '.linux.namespaces |= map(select(.type != "uts"))'
	run_in_container 'true'
	[ "$status" -ne 0 ]
	[[ $output == *"without a UTS namespace"* ]]
}

@test "--no-pivot enters the rootfs with chroot and gives the same view" {
	make_own_bundle "$BUNDLE"
	edit_config "$BUNDLE" '.root.readonly = true'
	edit_config "$BUNDLE" '.process.args = ["sh", "-c", $s]' --arg s 'echo "ROOT=$(ls / | tr "\n" " ")"; cat /etc/passwd | head -n 1; touch /x && echo ROOT-WRITABLE; echo x >/dev/null && echo NULL-OK; echo "KEYS=[$(cat /proc/keys)]"'
	run with_timeout 60 hutch-oci --root "$STATE" run --no-pivot --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *root:x:0:0* ]]
	[[ $output == *NULL-OK* ]]
	[[ $output == *"KEYS=[]"* ]]
	[[ $output != *ROOT-WRITABLE* ]]
	# / is the rootfs, nothing else.
	[[ $output == *"ROOT=$(ls "$BUNDLE/rootfs" | tr '\n' ' ')"$'\n'* ]]
}

@test "rootfsPropagation values are accepted and applied to /" {
	make_own_bundle "$BUNDLE"
	for p in private rprivate slave rslave shared rshared; do
		edit_config "$BUNDLE" '.linux.rootfsPropagation = $p' --arg p "$p"
		run_in_container "awk '\$5 == \"/\"' /proc/self/mountinfo"
		[ "$status" -eq 0 ]
		root=$(awk '$5 == "/"' <<<"$output")
		case $p in
		*shared) [[ $root == *shared:* ]] ;;
		*) [[ $root != *shared:* ]] ;;
		esac
	done

	edit_config "$BUNDLE" '.linux.rootfsPropagation = "sideways"'
	run_in_container 'true'
	[ "$status" -ne 0 ]
	[[ $output == *rootfsPropagation* ]]
}

@test "an idmapped bind shows mapped owners as real root, and is refused clearly otherwise" {
	make_own_bundle "$BUNDLE"
	vol=$BATS_TEST_TMPDIR/idvol
	mkdir -p "$vol"
	echo x >"$vol/f"
	if [ "$HUTCH_TEST_MODE" = root ]; then
		chown 1000:1000 "$vol/f"
	fi
	add_mount "{\"destination\": \"/idm\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"rbind\", \"idmap\"],
		\"uidMappings\": [{\"containerID\": 1000, \"hostID\": 2000, \"size\": 1}],
		\"gidMappings\": [{\"containerID\": 1000, \"hostID\": 3000, \"size\": 1}]}"
	run_in_container 'stat -c "OWNER=%u:%g" /idm/f'
	if [ "$HUTCH_TEST_MODE" = root ]; then
		[ "$status" -eq 0 ]
		[[ $output == *OWNER=2000:3000* ]]
		# The source keeps its owner.
		[ "$(stat -c %u:%g "$vol/f")" = 1000:1000 ]
	else
		# The host's filesystem belongs to the initial user namespace:
		# only real root may idmap it.
		[ "$status" -ne 0 ]
		[[ $output == *"only real root may idmap it"* ]]
	fi
}

@test "mount options that need a missing feature fail clearly" {
	make_own_bundle "$BUNDLE"
	add_mount '{"destination": "/x", "type": "bind", "source": "/tmp", "options": ["rbind", "tmpcopyup"]}'
	run_in_container 'true'
	[ "$status" -ne 0 ]
	[[ $output == *"tmpcopyup needs type tmpfs"* ]]

	edit_config "$BUNDLE" '.mounts[-1] = {"destination": "/x", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}'
	run_in_container 'true'
	[ "$status" -ne 0 ]
	[[ $output == *"idmap and ridmap need a bind mount"* ]]
}
