# Shared setup of the CLI suites (cli.bats, cli-tty.bats): a registry with
# busybox (plus the images named), a private hutchd, and no container left
# after a test.

# Containers that do not need a network get none: their tests stay about
# the CLI (the network has its own suites) and start faster.
NONET="--network none"

# cli_setup_file [NAME:TAG...]: also push these (busybox) images, unpulled.
cli_setup_file() {
	require_cmd docker-registry skopeo python3 jq curl
	start_registry "$BATS_FILE_TMPDIR/registry"
	push_image busybox busybox:1
	local ref
	for ref in "$@"; do
		push_image busybox "$ref"
	done
	start_hutchd
	IMG=$REGISTRY/busybox:1
	with_timeout 120 hutch pull -q "$IMG" >/dev/null
	export REGISTRY REGISTRY_PID REGISTRY_DIR HUTCHD_PID IMG
}

cli_teardown() {
	local ids
	ids=$(hutch ps -aq 2>/dev/null) || true
	[ -z "$ids" ] || with_timeout 60 hutch rm -f $ids >/dev/null 2>&1 || true
}

cli_teardown_file() {
	stop_hutchd
	stop_sandbox
	stop_registry
}
