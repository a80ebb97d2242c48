#!/usr/bin/env bats
# The volumes API with curl: create, inspect, list and its filters,
# remove, prune, Docker's errors for bad input, the volumes containers
# make, rm -v and AutoRemove, system df, events, bind volumes, volumes
# made before volumes had metadata. Restarts of hutchd: restart.bats.
# modes: sub solo

load ../helpers
load ../images/lib/registry
load lib/ctr

setup_file() {
	ctr_setup_file
}

teardown_file() {
	ctr_teardown_file
}

teardown() {
	remove_all_containers
	local v
	for v in $(api GET /volumes | jq -r '.Volumes[].Name' 2>/dev/null); do
		api DELETE "/volumes/$v?force=1" >/dev/null
	done
}

vcreate() {
	call POST /volumes/create -H 'Content-Type: application/json' -d "$1"
}

vdir() {
	echo "$XDG_DATA_HOME/hutch/volumes/$1"
}

uri() {
	jq -rn --arg s "$1" '$s | @uri'
}

names() {
	api GET "/volumes${1:+?filters=$(uri "$1")}" | jq -r '[.Volumes[].Name] | join(" ")'
}

@test "create, inspect and list have Docker's shape" {
	vcreate '{"Name":"data1","Labels":{"tier":"db","x":"1"}}'
	echo "$body"
	[ "$code" = 201 ]
	[ "$(jq -r .Name <<<"$body")" = data1 ]
	[ "$(jq -r .Driver <<<"$body")" = local ]
	[ "$(jq -r .Scope <<<"$body")" = local ]
	[ "$(jq -r .Mountpoint <<<"$body")" = "$(vdir data1)/_data" ]
	[ "$(jq -c .Labels <<<"$body")" = '{"tier":"db","x":"1"}' ]
	[ "$(jq -c .Options <<<"$body")" = null ]
	[[ "$(jq -r .CreatedAt <<<"$body")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
	[ -d "$(vdir data1)/_data" ]
	[ -f "$(vdir data1)/volume.json" ]
	local first=$body
	# the same name again: the existing volume, its labels unchanged
	vcreate '{"Name":"data1","Labels":{"other":"y"}}'
	[ "$code" = 201 ]
	[ "$body" = "$first" ]
	call GET /volumes/data1
	[ "$code" = 200 ]
	[ "$body" = "$first" ]
	# no name: 64 random hex digits; the driver may be named
	vcreate '{"Driver":"local"}'
	[ "$code" = 201 ]
	local anon
	anon=$(jq -r .Name <<<"$body")
	[[ "$anon" =~ ^[0-9a-f]{64}$ ]]
	[ "$(jq -c .Labels <<<"$body")" = '{}' ]
	call GET /volumes
	[ "$code" = 200 ]
	[ "$(jq -c .Warnings <<<"$body")" = '[]' ]
	[ "$(jq -r '[.Volumes[].Name] | sort | join(" ")' <<<"$body")" = "$(printf '%s\n' data1 "$anon" | sort | tr '\n' ' ' | sed 's/ $//')" ]
	[ "$(jq -c '.Volumes[] | select(.Name == "data1")' <<<"$body")" = "$first" ]
	# the /v1.N prefix is served too
	[ "$(api GET /v1.44/volumes/data1)" = "$first" ]
}

@test "list filters: name, label, driver, dangling; bad filters are 400" {
	vcreate '{"Name":"web-a","Labels":{"tier":"web"}}'
	vcreate '{"Name":"web-b","Labels":{"tier":"web","keep":"1"}}'
	vcreate '{"Name":"db","Labels":{"tier":"db"}}'
	CTR_EXTRA='{"HostConfig":{"Binds":["db:/db"]}}' create user true
	[ "$(names '{"name":["web"]}')" = "web-a web-b" ]
	[ "$(names '{"name":["^db$"]}')" = db ]
	[ "$(names '{"label":["tier=web"]}')" = "web-a web-b" ]
	[ "$(names '{"label":["tier=web","keep"]}')" = web-b ]
	[ "$(names '{"label":["keep=2"]}')" = "" ]
	[ "$(names '{"driver":["local"]}')" = "db web-a web-b" ]
	[ "$(names '{"driver":["other"]}')" = "" ]
	[ "$(names '{"dangling":["true"]}')" = "web-a web-b" ]
	[ "$(names '{"dangling":["false"]}')" = db ]
	[ "$(names '{"dangling":{"1":true}}')" = "web-a web-b" ]
	call GET "/volumes?filters=$(uri '{"bogus":["x"]}')"
	[ "$code" = 400 ]
	[ "$(jq -r .message <<<"$body")" = "invalid filter 'bogus'" ]
	call GET "/volumes?filters=$(uri '{"dangling":["maybe"]}')"
	[ "$code" = 400 ]
	[ "$(jq -r .message <<<"$body")" = "invalid filter 'dangling=maybe'" ]
	call GET "/volumes?filters=notjson"
	[ "$code" = 400 ]
}

@test "bad create requests are 400 (404 for an unknown driver) and make nothing" {
	vcreate '{"Name":"a"}'
	[ "$code" = 400 ]
	[ "$(jq -r .message <<<"$body")" = 'create a: "a" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path' ]
	vcreate '{"Name":"../x"}'
	[ "$code" = 400 ]
	[[ "$body" == *"includes invalid characters"* ]]
	vcreate '{"Name":"_x"}'
	[ "$code" = 400 ]
	vcreate '{"Name":"v1","Driver":"nfs-plugin"}'
	[ "$code" = 404 ]
	[ "$(jq -r .message <<<"$body")" = 'create v1: error looking up volume plugin nfs-plugin: plugin "nfs-plugin" not found' ]
	vcreate '{"Name":"v1","DriverOpts":{"color":"blue"}}'
	[ "$code" = 400 ]
	[ "$(jq -r .message <<<"$body")" = 'create v1: invalid option: "color"' ]
	vcreate '{"Name":"v1","DriverOpts":{"size":"10m"}}'
	[ "$code" = 400 ]
	[[ "$body" == *"quota size requested but no quota support"* ]]
	vcreate '{"Name":"v1","DriverOpts":{"type":"tmpfs","device":"tmpfs","o":"size=10m"}}'
	[ "$code" = 400 ]
	[[ "$body" == *'mount option \"size=10m\" is not supported'* ]]
	vcreate '{"Name":"v1","DriverOpts":{"type":"tmpfs","device":"tmpfs"}}'
	[ "$code" = 400 ]
	[[ "$body" == *"cannot mount a file system (type=tmpfs"* ]]
	vcreate '{"Name":"v1","DriverOpts":{"o":"bind"}}'
	[ "$code" = 400 ]
	[ "$(jq -r .message <<<"$body")" = 'create v1: missing required option: "device"' ]
	vcreate '{"Name":"v1","DriverOpts":{"device":"/tmp"}}'
	[ "$code" = 400 ]
	[ "$(jq -r .message <<<"$body")" = 'create v1: missing required option: "type"' ]
	vcreate "{\"Name\":\"v1\",\"DriverOpts\":{\"type\":\"none\",\"o\":\"bind\",\"device\":\"$BATS_TEST_TMPDIR/none\"}}"
	[ "$code" = 400 ]
	[[ "$body" == *"device $BATS_TEST_TMPDIR/none: No such file or directory"* ]]
	touch "$BATS_TEST_TMPDIR/file"
	vcreate "{\"Name\":\"v1\",\"DriverOpts\":{\"type\":\"none\",\"o\":\"bind\",\"device\":\"$BATS_TEST_TMPDIR/file\"}}"
	[ "$code" = 400 ]
	[[ "$body" == *"is not a directory"* ]]
	vcreate '{"Name":"v1","DriverOpts":{"type":"none","o":"bind","device":"rel/dir"}}'
	[ "$code" = 400 ]
	[[ "$body" == *"must be an absolute path"* ]]
	vcreate '{"Name":"v1"'
	[ "$code" = 400 ]
	vcreate '[1]'
	[ "$code" = 400 ]
	[ "$(jq -r .message <<<"$body")" = "json: cannot unmarshal array into Go value of type CreateOptions" ]
	vcreate '{"Name":5}'
	[ "$code" = 400 ]
	[ "$(jq -r .message <<<"$body")" = "json: cannot unmarshal number into Go struct field CreateOptions.Name of type string" ]
	vcreate '{"Labels":{"a":1}}'
	[ "$code" = 400 ]
	[[ "$body" == *"Labels of type map[string]string"* ]]
	call POST /volumes/create
	[ "$code" = 400 ]
	[ "$(ls -A "$XDG_DATA_HOME/hutch/volumes" 2>/dev/null)" = "" ]
	[ "$(names)" = "" ]
}

@test "remove: unknown is 404 (none with force), in use is 409 even with force" {
	call DELETE /volumes/nosuch
	[ "$code" = 404 ]
	[ "$(jq -r .message <<<"$body")" = "get nosuch: no such volume" ]
	call GET /volumes/nosuch
	[ "$code" = 404 ]
	[ "$(jq -r .message <<<"$body")" = "get nosuch: no such volume" ]
	call DELETE "/volumes/nosuch?force=1"
	[ "$code" = 204 ]
	vcreate '{"Name":"busy"}'
	CTR_EXTRA='{"HostConfig":{"Binds":["busy:/b"]}}' create user1 true
	local id1=$id
	CTR_EXTRA='{"HostConfig":{"Mounts":[{"Type":"volume","Source":"busy","Target":"/c"}]}}' create user2 sleep 30
	local id2=$id
	start user2
	call DELETE /volumes/busy
	[ "$code" = 409 ]
	local msg
	msg=$(jq -r .message <<<"$body")
	[ "$msg" = "remove busy: volume is in use - [$id1, $id2]" ] || [ "$msg" = "remove busy: volume is in use - [$id2, $id1]" ]
	call DELETE "/volumes/busy?force=1"
	[ "$code" = 409 ]
	[ -d "$(vdir busy)/_data" ]
	api DELETE "/containers/user1" >/dev/null
	api DELETE "/containers/user2?force=1" >/dev/null
	call DELETE /volumes/busy
	[ "$code" = 204 ]
	[ ! -e "$(vdir busy)" ]
	call GET /volumes/busy
	[ "$code" = 404 ]
	# nothing else of it is left in the store
	[ "$(ls -A "$XDG_DATA_HOME/hutch/volumes")" = "" ]
}

@test "containers' volumes are listed; rm -v and AutoRemove take the anonymous ones" {
	CTR_EXTRA='{"Volumes":{"/anon":{}},"HostConfig":{"Binds":["named1:/n"]}}' create c1 sh -c 'echo data >/anon/f; echo data >/n/f'
	start c1
	[ "$(wait_exit c1)" = 0 ]
	local anon
	anon=$(inspect c1 | jq -r '.Mounts[] | select(.Destination == "/anon") | .Name')
	[[ "$anon" =~ ^[0-9a-f]{64}$ ]]
	call GET "/volumes/$anon"
	[ "$code" = 200 ]
	[ "$(jq -c .Labels <<<"$body")" = '{"com.docker.volume.anonymous":""}' ]
	[ "$(api GET /volumes/named1 | jq -c .Labels)" = '{}' ]
	[ "$(cat "$(vdir "$anon")/_data/f")" = data ]
	# rm without v keeps both
	CTR_EXTRA="{\"HostConfig\":{\"Binds\":[\"$anon:/a\"]}}" create c2 true
	call DELETE /containers/c2
	[ "$code" = 204 ]
	[ -d "$(vdir "$anon")" ]
	# rm -v: the anonymous volume goes, the named one stays
	call DELETE "/containers/c1?v=1"
	[ "$code" = 204 ]
	[ ! -e "$(vdir "$anon")" ]
	[ "$(cat "$(vdir named1)/_data/f")" = data ]
	[ "$(names)" = named1 ]
	# --mount's volume-label and volume-opt apply to a volume it makes
	CTR_EXTRA="{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"lab1\",\"Target\":\"/l\",\"VolumeOptions\":{\"Labels\":{\"from\":\"mount\"},\"DriverConfig\":{\"Name\":\"local\",\"Options\":{\"type\":\"none\",\"o\":\"bind\",\"device\":\"$BATS_TEST_TMPDIR\"}}}}]}}" create m1 true
	[ "$(api GET /volumes/lab1 | jq -c '[.Labels, .Options.device]')" = "[{\"from\":\"mount\"},\"$BATS_TEST_TMPDIR\"]" ]
	[ "$(inspect m1 | jq -r '.Mounts[0].Source')" = "$BATS_TEST_TMPDIR" ]
	api DELETE /containers/m1 >/dev/null
	api DELETE /volumes/lab1 >/dev/null
	create_json m2 "{\"Image\":\"$IMAGE\",\"Cmd\":[\"true\"],\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"lab2\",\"Target\":\"/l\",\"VolumeOptions\":{\"DriverConfig\":{\"Options\":{\"type\":\"nfs\",\"device\":\"x:/y\"}}}}]}}"
	[ "$code" = 400 ]
	[[ "$body" == *"create lab2: a rootless hutchd cannot mount a file system"* ]]
	[ "$(names)" = named1 ]
	# an anonymous volume another container uses stays with rm -v
	CTR_EXTRA='{"Volumes":{"/anon":{}}}' create c3 true
	anon=$(inspect c3 | jq -r '.Mounts[0].Name')
	CTR_EXTRA="{\"HostConfig\":{\"Binds\":[\"$anon:/a\"]}}" create c4 true
	call DELETE "/containers/c3?v=1"
	[ "$code" = 204 ]
	[ -d "$(vdir "$anon")" ]
	call DELETE "/containers/c4?v=1"
	[ "$code" = 204 ]
	[ ! -e "$(vdir "$anon")" ]
	# AutoRemove takes its anonymous volumes along (docker run --rm)
	CTR_EXTRA='{"Volumes":{"/anon":{}},"HostConfig":{"AutoRemove":true}}' create c5 true
	anon=$(inspect c5 | jq -r '.Mounts[0].Name')
	[ -d "$(vdir "$anon")" ]
	start c5
	wait_until 60 test ! -e "$(vdir "$anon")"
	[ "$(names)" = named1 ]
}

@test "prune: anonymous volumes unless all=true, never one in use, label filters" {
	vcreate '{"Name":"keep1","Labels":{"k":"v"}}'
	vcreate '{"Name":"keep2"}'
	CTR_EXTRA='{"Volumes":{"/a":{}}}' create a1 sh -c 'head -c 1000 /dev/zero >/a/f'
	start a1
	[ "$(wait_exit a1)" = 0 ]
	local anon1 anon2
	anon1=$(inspect a1 | jq -r '.Mounts[0].Name')
	api DELETE /containers/a1 >/dev/null
	CTR_EXTRA='{"Volumes":{"/a":{}}}' create a2 true
	anon2=$(inspect a2 | jq -r '.Mounts[0].Name')
	call POST /volumes/prune
	echo "$body"
	[ "$code" = 200 ]
	[ "$(jq -c .VolumesDeleted <<<"$body")" = "[\"$anon1\"]" ]
	[ "$(jq -r .SpaceReclaimed <<<"$body")" = 1000 ]
	[ -d "$(vdir "$anon2")" ] && [ -d "$(vdir keep1)" ]
	# label! and label narrow it; all=true takes named ones too
	call POST "/volumes/prune?filters=$(uri '{"all":["true"],"label!":["k=v"]}')"
	[ "$code" = 200 ]
	[ "$(jq -c .VolumesDeleted <<<"$body")" = '["keep2"]' ]
	call POST "/volumes/prune?filters=$(uri '{"all":["1"],"label":["k"]}')"
	[ "$(jq -c .VolumesDeleted <<<"$body")" = '["keep1"]' ]
	[ "$(names)" = "$anon2" ]
	call POST "/volumes/prune?filters=$(uri '{"until":["10m"]}')"
	[ "$code" = 400 ]
	[ "$(jq -r .message <<<"$body")" = "invalid filter 'until'" ]
	call POST "/volumes/prune?filters=$(uri '{"all":["yes"]}')"
	[ "$code" = 400 ]
	[ "$(names)" = "$anon2" ]
	# a client of API 1.41 gets that API's prune: every unused volume
	api DELETE /containers/a2 >/dev/null
	vcreate '{"Name":"old-api"}'
	call POST /v1.42/volumes/prune
	[ "$(jq -c .VolumesDeleted <<<"$body")" = "[\"$anon2\"]" ]
	call POST /v1.41/volumes/prune
	[ "$(jq -c .VolumesDeleted <<<"$body")" = '["old-api"]' ]
}

@test "system df lists volumes with their size and users" {
	CTR_EXTRA='{"HostConfig":{"Binds":["sized:/s"]}}' create s1 sh -c 'head -c 4096 /dev/zero >/s/f'
	start s1
	[ "$(wait_exit s1)" = 0 ]
	vcreate '{"Name":"unused"}'
	run api GET /system/df
	echo "$output"
	[ "$(jq -c '.Volumes[] | select(.Name == "sized") | .UsageData' <<<"$output")" = '{"Size":4096,"RefCount":1}' ]
	[ "$(jq -c '.Volumes[] | select(.Name == "unused") | .UsageData' <<<"$output")" = '{"Size":0,"RefCount":0}' ]
}

@test "volume events: create, mount, unmount, destroy, prune" {
	local since
	since=$(date +%s.%N)
	vcreate '{"Name":"ev1"}'
	CTR_EXTRA='{"HostConfig":{"Binds":["ev1:/e:ro"]}}' create e1 true
	start e1
	[ "$(wait_exit e1)" = 0 ]
	api DELETE /containers/e1 >/dev/null
	call DELETE /volumes/ev1
	call POST /volumes/prune
	# each event is recorded before its request is answered
	local f
	f=$(uri '{"type":["volume"]}')
	run api GET "/events?since=$since&until=$(($(date +%s) + 1))&filters=$f"
	echo "$output"
	[ "$(jq -r '[.Action] | join(" ")' <<<"$output" | tr '\n' ' ')" = "create mount unmount destroy prune " ]
	[ "$(jq -r 'select(.Action == "mount") | .Actor.Attributes | "\(.container) \(.destination) \(.driver) \(."read/write")"' <<<"$output")" = "$id /e local false" ]
	[ "$(jq -r 'select(.Action == "create") | "\(.Type) \(.Actor.ID) \(.Actor.Attributes.driver)"' <<<"$output")" = "volume ev1 local" ]
	run api GET "/events?since=$since&until=$(($(date +%s) + 1))&filters=$(uri '{"volume":["ev1"],"event":["destroy"]}')"
	[ "$(jq -r .Action <<<"$output")" = destroy ]
}

@test "a bind volume (type=none, o=bind) shows a directory to containers and keeps it at removal" {
	mkdir -p "$BATS_TEST_TMPDIR/dev"
	echo host >"$BATS_TEST_TMPDIR/dev/hostfile"
	vcreate "{\"Name\":\"bound\",\"DriverOpts\":{\"type\":\"none\",\"o\":\"bind\",\"device\":\"$BATS_TEST_TMPDIR/dev\"}}"
	echo "$body"
	[ "$code" = 201 ]
	[ "$(jq -c .Options <<<"$body")" = "{\"type\":\"none\",\"o\":\"bind\",\"device\":\"$BATS_TEST_TMPDIR/dev\"}" ]
	CTR_EXTRA='{"HostConfig":{"Binds":["bound:/b"]}}' create b1 sh -c 'cat /b/hostfile; echo ctr >/b/ctrfile'
	[ "$(inspect b1 | jq -r '.Mounts[0].Source')" = "$BATS_TEST_TMPDIR/dev" ]
	start b1
	[ "$(wait_exit b1)" = 0 ]
	[ "$(api GET '/containers/b1/logs?stdout=1' | tr -d '\0\1\5')" = host ] ||
		api GET '/containers/b1/logs?stdout=1' | grep -q host
	[ -f "$BATS_TEST_TMPDIR/dev/ctrfile" ]
	api DELETE /containers/b1 >/dev/null
	call DELETE /volumes/bound
	[ "$code" = 204 ]
	[ -f "$BATS_TEST_TMPDIR/dev/hostfile" ] && [ -f "$BATS_TEST_TMPDIR/dev/ctrfile" ]
}

@test "a volume made before volumes had metadata is listed and removable" {
	mkdir -p "$(vdir oldvol)/_data"
	echo old >"$(vdir oldvol)/_data/f"
	call GET /volumes/oldvol
	echo "$body"
	[ "$code" = 200 ]
	[ "$(jq -r '"\(.Name) \(.Driver) \(.Labels) \(.Options)"' <<<"$body")" = "oldvol local {} null" ]
	[[ "$(jq -r .CreatedAt <<<"$body")" =~ ^[0-9]{4}-.*Z$ ]]
	[ "$(names)" = oldvol ]
	# not anonymous: prune keeps it, prune all=true takes it
	call POST /volumes/prune
	[ "$(jq -c .VolumesDeleted <<<"$body")" = '[]' ]
	call POST "/volumes/prune?filters=$(uri '{"all":["true"]}')"
	[ "$(jq -c .VolumesDeleted <<<"$body")" = '["oldvol"]' ]
}
