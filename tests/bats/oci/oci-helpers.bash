# Helpers shared by the hutch-oci suites. Loaded with `load oci-helpers`
# after `load ../helpers`.

# oci_setup NAME: a per-test state root ($STATE), bundle path ($BUNDLE) and
# container id ($ID) that cannot clash between tests or runs.
oci_setup() {
	require_cmd hutch-oci jq
	STATE=$BATS_TEST_TMPDIR/state
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	ID=$1-$BATS_TEST_NUMBER-$$
	mkdir -p "$STATE"
}

# oci ARGS...: hutch-oci on the test's state root, never hanging the suite.
oci() {
	with_timeout 30 hutch-oci --root "$STATE" "$@"
}

# oci_create ARGS...: `create` with its output kept in create.out. The
# container init inherits no stdio or extra fds of bats (which would keep
# bats waiting for them to close).
oci_create() {
	oci create "$@" </dev/null >"$BATS_TEST_TMPDIR/create.out" 2>&1 3>&- 4>&-
}

# full_mapping: give the container the mode's whole id range rather than
# the single mapping of `spec --rootless`.
full_mapping() {
	case $HUTCH_TEST_MODE in
	sub)
		# no mappings: the runtime maps the subuid/subgid range itself
		edit_config "$BUNDLE" 'del(.linux.uidMappings, .linux.gidMappings)'
		;;
	userns)
		# share the mode's own user namespace, as podman runs a runtime
		edit_config "$BUNDLE" 'del(.linux.uidMappings, .linux.gidMappings)
			| .linux.namespaces |= map(select(.type != "user"))'
		;;
	esac
}

# oci_status_is STATUS: the container $ID is in STATUS now (for wait_until).
oci_status_is() {
	[ "$(oci state "$ID" 2>/dev/null | jq -r .status)" = "$1" ]
}

# wait_status STATUS: wait (a minute at most: the machine may be loaded)
# until the container $ID is in STATUS.
wait_status() {
	wait_until 60 oci_status_is "$1" && return 0
	echo "container $ID never became $1: $(oci state "$ID" 2>&1)" >&2
	return 1
}

# has_line LINE: $output has LINE as a whole line (a pty's \r dropped).
has_line() {
	printf '%s\n' "$output" | tr -d '\r' | grep -qxF -- "$1"
}

# args CMD...: the container process runs CMD.
args() {
	set_process_args "$BUNDLE/config.json" "$@"
}
