#!/usr/bin/env bats
# The --format templates of ps, inspect and images (Go's text/template as
# docker users write it) against a private hutchd and a real container.
# The template language itself has unit tests (test-cli-template.c); this
# checks what the commands give their templates and how they report bad
# ones. One mode: nothing here depends on the user namespace.
# modes: solo

load ../helpers
load ../images/lib/registry
load lib/cli-helpers

bats_require_minimum_version 1.5.0

setup_file() {
	cli_setup_file
}

teardown() {
	cli_teardown
}

teardown_file() {
	cli_teardown_file
}

@test "inspect -f and ps --format: if, range, with, variables, pipelines, functions" {
	hutch create $NONET --name fmt -l b=2 -l a=1 -e K=V "$IMG" sh -c 'exit 3' >/dev/null
	run hutch inspect -f '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}' fmt
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 'a=1;b=2;org.hutch.test=yes;' ]
	run hutch container inspect -f '{{if eq .State.Status "running"}}up{{else if eq .State.Status "created"}}new{{end}} {{with .Config.Cmd}}{{join . "+"}}{{end}} {{len .Config.Cmd | printf "%d args"}}' fmt
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 'new sh+-c+exit 3 3 args' ]
	run hutch inspect -f '{{range .Config.Env}}{{if eq (index (split . "=") 0) "K"}}{{.}}{{end}}{{end}}|{{with .HostConfig.Nope}}x{{else}}none{{end}}' fmt
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 'K=V|none' ]
	run hutch inspect -f '{{range .RepoTags}}{{.}}{{end}} {{.Os | upper}}' "$IMG"
	echo "$output"
	[ "$output" = "$IMG LINUX" ]
	run hutch ps -a --format '{{- $n := .Names -}}  {{upper $n}} {{if eq .State "created"}}C{{end}}'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 'FMT C' ]
	run hutch ps -a --format 'table {{truncate .Names 2}}\t{{.State}}'
	echo "$output"
	# The header keeps its titles whole through docker's functions.
	[[ "${lines[0]}" =~ ^NAMES\ +STATE$ ]]
	[[ "${lines[1]}" =~ ^fm\ +created$ ]]
}

@test "a bad template fails before any output, with docker's words" {
	hutch create $NONET --name bad "$IMG" true >/dev/null
	run hutch ps -a --format 'x {{range .Names}}'
	echo "$output"
	[ "$status" -eq 2 ]
	[ "$output" = 'hutch: template parsing error: template: :1: unexpected EOF: {{range}} has no {{end}}' ]
	run hutch inspect -f '{{.Name}}{{bogus .Name}}' bad
	echo "$output"
	[ "$status" -eq 2 ]
	[ "$output" = 'hutch: template parsing error: template: :1: function "bogus" not defined' ]
	run hutch ps -a --format 'table {{.State}}\t{{index .Names 7}}'
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = 'hutch: template: :1:14: executing "" at <index .Names 7>: error calling index: index out of range: 7' ]
	run hutch inspect -f '{{index .Config.Cmd 7}}' bad
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'error calling index: index out of range: 7' ]]
}

@test "images --format: templates, table, json" {
	run hutch images --format '{{.Repository}}:{{.Tag}} {{if eq (len .ID) 12}}short{{end}} {{.Containers}}'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$IMG short N/A" ]
	run hutch images --no-trunc --format '{{range $i, $p := split .ID ":"}}{{if eq $i 0}}{{$p}}{{end}}{{end}}'
	echo "$output"
	[ "$output" = sha256 ]
	run hutch images --format 'table {{.Repository}}\t{{.Tag}}'
	echo "$output"
	[[ "${lines[0]}" =~ ^REPOSITORY\ +TAG$ ]]
	[[ "${lines[1]}" =~ ^${REGISTRY}/busybox\ +1$ ]]
	run hutch images --format table
	echo "$output"
	[[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
	run hutch images --format json
	echo "$output"
	[ "$(echo "$output" | jq -r .Tag)" = 1 ]
	[ "$(echo "$output" | jq -r .Digest)" != "" ]
	run hutch images --format '{{.Nope'
	[ "$status" -eq 2 ]
	[ "$output" = 'hutch: template parsing error: template: :1: unclosed action' ]
}
