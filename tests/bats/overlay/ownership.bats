#!/usr/bin/env bats
# hutch-overlay: ownership for rootless users: xattr_permissions=2 (the
# user.containers.override_stat xattr), id mappings, squashing.
# modes: sub solo userns

load ../helpers
load lib

OVR=user.containers.override_stat

setup() {
	ovl_init
	echo a >"$O/l2/f"
	overlay-ops setxattr "$O/l2/f" user.probe y >/dev/null 2>&1 || skip "no user xattrs on $O"
}

teardown() {
	ovl_teardown
}

owner() { stat -c '%u:%g:%a' "$1"; }

@test "xattr_permissions=2 shows the ownership and mode kept in user.containers.override_stat" {
	overlay-ops setxattr "$O/l2/f" "$OVR" "0:0:0704"
	mkdir "$O/l2/d"
	overlay-ops setxattr "$O/l2/d" "$OVR" "0:0:0750"
	ovl_mount "xattr_permissions=2"
	[ "$(owner "$O/m/f")" = 0:0:704 ]
	[ "$(owner "$O/m/d")" = 0:0:750 ]
	# The xattr itself is the overlay's business.
	run overlay-ops listxattr "$O/m/f"
	[[ "$output" != *override_stat* ]]
	run overlay-ops getxattr "$O/m/f" "$OVR"
	[ "$output" = ENODATA ]
}

@test "xattr_permissions=2: chmod stores the mode in the xattr, the real file stays usable" {
	ovl_mount "xattr_permissions=2"
	me="$(id -u):$(id -g)"
	[ "$(owner "$O/m/f")" = "$me:644" ]
	chmod 000 "$O/m/f"
	[ "$(owner "$O/m/f")" = "$me:0" ]
	[ "$(overlay-ops getxattr "$O/u/f" "$OVR")" = "$me:00" ]
	[ "$(stat -c %a "$O/u/f")" = 600 ]
	chmod 640 "$O/m/f"
	[ "$(cat "$O/m/f")" = a ]
	ovl_umount
	ovl_mount "xattr_permissions=2"
	[ "$(owner "$O/m/f")" = "$me:640" ]
	# New files get their owner recorded too.
	echo n >"$O/m/new"
	[ "$(overlay-ops getxattr "$O/u/new" "$OVR")" = "$me:0644" ]
}

@test "xattr_permissions=2: copy-up keeps the recorded ownership" {
	overlay-ops setxattr "$O/l2/f" "$OVR" "1000:1000:0664"
	ovl_mount "xattr_permissions=2"
	[ "$(owner "$O/m/f")" = 1000:1000:664 ]
	touch -m "$O/m/f" 2>/dev/null || true # may be refused: not the owner
	overlay-ops setxattr "$O/m/f" user.other x 2>/dev/null || true
	ovl_umount
	ovl_mount "xattr_permissions=2"
	[ "$(owner "$O/m/f")" = 1000:1000:664 ]
}

@test "xattr_permissions=2: chown from inside a user namespace is kept in the xattr" {
	skip_unless_mode userns sub
	script='chown 1000:1000 "$1/m/f" && stat -c "%u:%g" "$1/m/f"'
	if [ "$HUTCH_TEST_MODE" = userns ]; then
		ovl_mount "xattr_permissions=2"
		run sh -c "$script" sh "$O"
		ovl_umount
	else
		run with_timeout 30 unshare --map-root-user --map-users=auto --map-groups=auto -m sh -c '
			hutch-overlay -o "xattr_permissions=2,lowerdir=$1/l2,upperdir=$1/u,workdir=$1/w" "$1/m" || exit 9
			'"$script"'; st=$?; umount "$1/m"; exit $st' sh "$O"
	fi
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 1000:1000 ]
	[[ "$(overlay-ops getxattr "$O/u/f" "$OVR")" == 1000:1000:* ]]
	# The real owner did not change.
	[ "$(stat -c %u "$O/u/f")" = "$(id -u)" ]
}

@test "without xattr_permissions a chown inside a full user namespace is a real chown" {
	skip_unless_mode userns
	ovl_mount
	chown 1000:1000 "$O/m/f"
	[ "$(stat -c %u:%g "$O/m/f")" = 1000:1000 ]
	[ "$(stat -c %u:%g "$O/u/f")" = 1000:1000 ]
}

@test "uidmapping and gidmapping translate ownership" {
	ovl_mount "uidmapping=0:$(id -u):1,gidmapping=0:$(id -g):1"
	[ "$(stat -c %u:%g "$O/m/f")" = 0:0 ]
}

@test "squash_to_root and squash_to_uid/gid" {
	ovl_mount "squash_to_root"
	[ "$(stat -c %u:%g "$O/m/f")" = 0:0 ]
	ovl_umount
	ovl_mount "squash_to_uid=123,squash_to_gid=456"
	[ "$(stat -c %u:%g "$O/m/f")" = 123:456 ]
}
