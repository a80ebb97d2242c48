# Shared helpers for hutch's black-box tests. Loaded with `load ../helpers`.
#
# The harness (tests/run) sets HUTCH_TEST_MODE to one of:
#   sub    an unprivileged user with a subuid/subgid range
#   solo   an unprivileged user without any range
#   root   real root
#   userns root inside a user namespace with a full subuid mapping
# and HUTCH_TEST_DATA to the fixture directory (busybox-rootfs lives there).

: "${HUTCH_TEST_MODE:=sub}"
: "${HUTCH_TEST_DATA:=/var/tmp/hutch-test}"
BUSYBOX_ROOTFS=$HUTCH_TEST_DATA/busybox-rootfs

# skip_unless_mode MODE...: run the test only in the given modes.
skip_unless_mode() {
	local m
	for m in "$@"; do
		[ "$m" = "$HUTCH_TEST_MODE" ] && return 0
	done
	skip "only in mode(s) $*"
}

# skip_in_mode MODE...: skip the test in the given modes.
skip_in_mode() {
	local m
	for m in "$@"; do
		[ "$m" = "$HUTCH_TEST_MODE" ] && skip "not in mode $m"
	done
	return 0
}

# require_cmd NAME...: skip when a needed program is missing. Under
# HUTCH_TEST_STRICT=1 (CI, where tests/install-deps installed everything) a
# missing program is a failure instead, so a broken install step cannot
# hide behind skips; only the programs in HUTCH_TEST_OPTIONAL may be absent.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 && continue
		if [ "${HUTCH_TEST_STRICT:-0}" = 1 ] &&
			[[ " ${HUTCH_TEST_OPTIONAL:-docker} " != *" $c "* ]]; then
			echo "$c is not installed (tests/install-deps should have installed it)" >&2
			return 1
		fi
		skip "$c is not installed"
	done
}

# with_timeout SECONDS CMD...: run a command that must not hang the suite.
with_timeout() {
	local t=$1
	shift
	timeout --kill-after=5 "$t" "$@"
}

# end_podman_pause DIR: rootless podman keeps its user namespace alive with
# a pause process (catatonit -P) and writes its pid to DIR/pause.pid (DIR is
# its --tmpdir). Tests give podman a private --tmpdir and end that process
# when they are done; left alone, every run of a podman test left one behind.
end_podman_pause() {
	local file=$1/pause.pid pid
	[ -f "$file" ] || return 0
	pid=$(cat "$file")
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = catatonit ] && kill "$pid" 2>/dev/null
	rm -f "$file"
}

# make_bundle DIR [ARGS...]: an OCI bundle over the busybox rootfs whose
# process runs ARGS (default: true), made by `hutch-oci spec --rootless`
# for unprivileged modes, plain `spec` for root. The rootfs is a private
# copy (bundle_rootfs) so a test may write to it.
make_bundle() {
	local dir=$1
	shift
	mkdir -p "$dir"
	bundle_rootfs "$dir/rootfs" || return 1
	(
		cd "$dir" || exit 1
		if [ "$(id -u)" = 0 ] && [ "$HUTCH_TEST_MODE" = root ]; then
			hutch-oci spec
		else
			hutch-oci spec --rootless
		fi
	) || return 1
	# One jq for the whole edit (each jq start costs tens of ms, and every
	# OCI test makes a bundle); `--args --` takes ARGS verbatim, even "-c".
	[ $# -gt 0 ] || set -- true
	jq '.process.args = $ARGS.positional | .process.terminal = false' \
		"$dir/config.json" --args -- "$@" >"$dir/config.json.new" &&
		mv "$dir/config.json.new" "$dir/config.json"
}

# bundle_rootfs DEST: a copy of the busybox rootfs at DEST that the test
# owns. Its directories and regular files are its own, so a test may change
# any of them; its 268 applet symlinks are hard links to those of one copy
# made per file. (Creating a symlink costs about a millisecond on CI's
# ext4, a hard link a twentieth of that: a full copy for every test was a
# third of a second, over a thousand times per CI run. A symlink cannot be
# changed in place, only replaced, which leaves the shared one alone.)
bundle_rootfs() {
	local dest=$1 tpl=$BATS_FILE_TMPDIR/busybox-rootfs
	case $dest in /*) ;; *) dest=$PWD/$dest ;; esac
	if [ ! -d "$tpl" ]; then
		# Copied without keeping ownership: the fixture belongs to real
		# root, which is unmapped (65534) inside the userns mode, where
		# the container could then not create its mount points.
		cp -R --preserve=mode,timestamps,links --no-dereference "$BUSYBOX_ROOTFS" "$tpl.$$" &&
			mv "$tpl.$$" "$tpl" || return 1
	fi
	if cp -R --link --preserve=mode,timestamps --no-dereference "$tpl" "$dest" 2>/dev/null; then
		# The regular files (busybox, /etc's) become copies; the old
		# link is removed first, so the template is never written.
		(cd "$tpl" && find . -type f -exec cp --parents --preserve=mode,timestamps \
			--remove-destination -t "$dest" {} +)
	else
		# (DEST on another file system)
		rm -rf "$dest"
		cp -R --preserve=mode,timestamps,links --no-dereference "$tpl" "$dest"
	fi
}

# set_process_args CONFIG ARGS...: CONFIG's .process.args become ARGS, with
# one jq (each start of one costs tens of ms); `--args --` takes ARGS
# verbatim, even "-c".
set_process_args() {
	local config=$1
	shift
	jq '.process.args = $ARGS.positional' "$config" --args -- "$@" >"$config.new" &&
		mv "$config.new" "$config"
}

# edit_config DIR JQ-FILTER [jq args...]: change a bundle's config.json.
edit_config() {
	local dir=$1 filter=$2
	shift 2
	jq "$@" "$filter" "$dir/config.json" >"$dir/config.json.new" &&
		mv "$dir/config.json.new" "$dir/config.json"
}

# wait_until SECONDS CMD...: run CMD until it succeeds, every 0.05 s, for
# at most SECONDS of wall time (then one last try decides). For a
# condition the test waits for, instead of a pause that hopes it came:
# give generous SECONDS, they cost nothing when things are fast. CMD runs
# anew on each try, so it must not be a $(...) argument (taken once).
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$deadline" ]; do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}
