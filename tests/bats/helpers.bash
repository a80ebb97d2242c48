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

# make_bundle DIR [ARGS...]: an OCI bundle over the busybox rootfs whose
# process runs ARGS (default: true), made by `hutch-oci spec --rootless`
# for unprivileged modes, plain `spec` for root. The rootfs is copied so a
# test may write to it.
make_bundle() {
	local dir=$1
	shift
	mkdir -p "$dir"
	# Copy without keeping ownership: the fixture belongs to real root, which
	# is unmapped (65534) inside the userns mode, where the container could
	# then not create its mount points.
	cp -R --preserve=mode,timestamps,links --no-dereference "$BUSYBOX_ROOTFS" "$dir/rootfs"
	(
		cd "$dir" || exit 1
		if [ "$(id -u)" = 0 ] && [ "$HUTCH_TEST_MODE" = root ]; then
			hutch-oci spec
		else
			hutch-oci spec --rootless
		fi
	) || return 1
	if [ $# -gt 0 ]; then
		local args
		args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
		jq --argjson a "$args" '.process.args = $a | .process.terminal = false' \
			"$dir/config.json" >"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
	else
		jq '.process.args = ["true"] | .process.terminal = false' "$dir/config.json" \
			>"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
	fi
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
