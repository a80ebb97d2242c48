/* Unit tests for the --format templates (src/cli/template*.c): each
 * construct of Go's text/template that they implement, docker's
 * functions, and the message of each kind of bad template. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "template.h"

/* A container as inspect shows it, cut down. */
static const char *const doc =
    "{\"Name\":\"/web\",\"Id\":\"abcdef0123456789\","
    "\"State\":{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0,\"Pid\":42},"
    "\"Config\":{\"Cmd\":[\"sh\",\"-c\"],\"Labels\":{\"b\":\"2\",\"a\":\"1\"},"
    "\"Env\":[],\"Image\":\"busybox:1\",\"Domainname\":\"\",\"Tty\":false},"
    "\"HostConfig\":{\"Binds\":null,\"Memory\":1.5},"
    "\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}],"
    "\"53/udp\":null}},"
    "\"Mounts\":[{\"Source\":\"/a\",\"Destination\":\"/x\"},{\"Source\":\"/b\","
    "\"Destination\":\"/y\"}]}";

/* What tmpl renders over json, or the error message. */
static char *render(const char *tmpl, const char *json)
{
	json_object *data = json_tokener_parse(json);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	hutch_error err = {0};
	int rc = template_render(tmpl, data, f, &err);
	fclose(f);
	json_object_put(data);
	if (rc < 0) {
		assert_true(err.msg[0] != '\0');
		free(buf);
		return strdup(err.msg);
	}
	return buf;
}

static void expect(const char *tmpl, const char *want)
{
	char *got = render(tmpl, doc);
	if (strcmp(got, want) != 0)
		print_error("template: %s\n", tmpl);
	assert_string_equal(got, want);
	free(got);
}

/* The template must fail template_check with this message. */
static void expect_bad(const char *tmpl, const char *want)
{
	hutch_error err = {0};
	int rc = template_check(tmpl, &err);
	if (rc == 0 || strcmp(err.msg, want) != 0)
		print_error("template: %s\n", tmpl);
	assert_int_equal(rc, -1);
	assert_string_equal(err.msg, want);
}

static void test_fields_and_printing(void **state)
{
	(void)state;
	expect("{{.State.Status}} {{.State.ExitCode}}", "running 0");
	expect("{{.Config.Labels}}", "map[a:1 b:2]");
	expect("{{.Config.Cmd}} {{.Config.Env}}", "[sh -c] []");
	expect("{{.State.Running}} {{.HostConfig.Binds}} {{.HostConfig.Memory}}", "true <nil> 1.5");
	expect("{{.Nope}} {{.Nope.Deeper}}", "<no value> <no value>");
	expect("{{ .Name }}|{{.}}",
	       "/web|map[Config:map[Cmd:[sh -c] Domainname: Env:[] Image:busybox:1 "
	       "Labels:map[a:1 b:2] Tty:false] HostConfig:map[Binds:<nil> "
	       "Memory:1.5] Id:abcdef0123456789 Mounts:[map[Destination:/x "
	       "Source:/a] map[Destination:/y Source:/b]] Name:/web "
	       "NetworkSettings:map[Ports:map[53/udp:<nil> 80/tcp:[map[HostIp:0.0.0.0 "
	       "HostPort:8080]]]] State:map[ExitCode:0 Pid:42 Running:true "
	       "Status:running]]");
	expect("a\\tb\\n", "a\tb\n");
	expect("{{\"lit\"}} {{`raw\\n`}} {{42}} {{-7}} {{0x1F}} {{1.5e6}} {{'a'}} {{true}}",
	       "lit raw\\n 42 -7 31 1.5e+06 97 true");
	expect("{{\"tab\\there\\u00e9\\x41\"}}", "tab\there\xc3\xa9"
						 "A");
	expect("{{.Name.X}}", "template: :1:2: executing \"\" at <.Name.X>: can't evaluate field X "
			      "in type string");
	expect("{{.HostConfig.Binds.X}}",
	       "template: :1:2: executing \"\" at <.HostConfig.Binds.X>: nil pointer evaluating "
	       "interface {}.X");
}

static void test_if_else(void **state)
{
	(void)state;
	expect("{{if .State.Running}}up{{end}}", "up");
	expect("{{if .Config.Tty}}tty{{else}}no tty{{end}}", "no tty");
	expect("{{if .Config.Env}}env{{else if .Config.Domainname}}dom{{else if "
	       ".Config.Cmd}}cmd{{else}}"
	       "none{{end}}",
	       "cmd");
	expect("{{if .Nope}}x{{else if .HostConfig.Binds}}y{{else}}z{{end}}", "z");
	expect("{{if .State.ExitCode}}x{{else}}zero{{end}}|{{if .State.Pid}}pid{{end}}",
	       "zero|pid");
	expect("{{if and .State.Running (eq .State.Status \"running\")}}ok{{end}}", "ok");
	expect("{{if or .Config.Tty .Config.Env}}x{{else}}neither{{end}}", "neither");
	expect("{{if not .Config.Tty}}!tty{{end}}", "!tty");
	/* and/or give the deciding value and evaluate no further. */
	expect("{{and 1 0 (index .Config.Cmd 9)}}|{{or 0 \"\" \"x\"}}|{{or 0 false}}", "0|x|false");
}

static void test_range(void **state)
{
	(void)state;
	expect("{{range .Config.Cmd}}<{{.}}>{{end}}", "<sh><-c>");
	expect("{{range $i, $c := .Config.Cmd}}{{$i}}={{$c}} {{end}}", "0=sh 1=-c ");
	expect("{{range $v := .Config.Cmd}}{{$v}};{{end}}", "sh;-c;");
	/* Objects in key order, with the key and value. */
	expect("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}},{{end}}", "a:1,b:2,");
	expect("{{range .Config.Labels}}{{.}}{{end}}", "12");
	expect("{{range .Config.Env}}x{{else}}empty{{end}}", "empty");
	expect(
	    "{{range .HostConfig.Binds}}x{{else}}null{{end}}|{{range .Nope}}x{{else}}none{{end}}",
	    "null|none");
	expect("{{range .Mounts}}{{.Source}}->{{.Destination}} {{end}}", "/a->/x /b->/y ");
	expect("{{range $p, $conf := .NetworkSettings.Ports}}{{$p}}"
	       "{{if $conf}}={{(index $conf 0).HostPort}}{{end}} {{end}}",
	       "53/udp 80/tcp=8080 ");
	expect("{{range .Mounts}}{{$.Name}}{{.Source}} {{end}}", "/web/a /web/b ");
	expect("{{range 3}}{{.}}{{end}}", "012");
	expect("{{range .Config.Cmd}}{{if eq . \"-c\"}}{{break}}{{end}}{{.}}{{end}}", "sh");
	expect("{{range .Config.Cmd}}{{if eq . \"sh\"}}{{continue}}{{end}}{{.}}{{end}}", "-c");
	expect("{{range .Name}}{{end}}", "template: :1:8: executing \"\" at <.Name>: range can't "
					 "iterate over /web");
}

static void test_with_and_variables(void **state)
{
	(void)state;
	expect("{{with .State}}{{.Status}}/{{$.Name}}{{end}}", "running//web");
	expect("{{with .Config.Env}}x{{else}}no env{{end}}", "no env");
	expect("{{with .Nope}}x{{else with .Config.Image}}{{.}}{{end}}", "busybox:1");
	expect("{{with $s := .State.Status}}{{$s}}{{end}}", "running");
	expect("{{$n := .Name}}{{$n}} {{$n = \"other\"}}{{$n}}", "/web other");
	expect("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2");
	expect("{{$x := 1}}{{if $x := 5}}{{$x}}{{end}}{{$x}}", "51");
	expect("{{$m := .Mounts}}{{(index $m 1).Source}} {{$.State.Pid}} {{$}}",
	       "/b 42 map[Config:map[Cmd:[sh -c] Domainname: Env:[] Image:busybox:1 Labels:map[a:1 "
	       "b:2] Tty:false] HostConfig:map[Binds:<nil> Memory:1.5] Id:abcdef0123456789 "
	       "Mounts:[map[Destination:/x Source:/a] map[Destination:/y Source:/b]] Name:/web "
	       "NetworkSettings:map[Ports:map[53/udp:<nil> 80/tcp:[map[HostIp:0.0.0.0 "
	       "HostPort:8080]]]] State:map[ExitCode:0 Pid:42 Running:true Status:running]]");
}

static void test_pipelines(void **state)
{
	(void)state;
	expect("{{.Config.Cmd | json}}", "[\"sh\",\"-c\"]");
	expect("{{.Name | printf \"%s-%d\" \"x\"}}", "x-%!d(string=/web)");
	expect("{{.State.Pid | printf \"%s-%d\" .Name}}", "/web-42");
	/* The value before | is the last argument. */
	expect("{{.Config.Image | split \":\" | len}}", "1");
	expect(
	    "{{.Config.Cmd | split \":\"}}",
	    "template: :1:16: executing \"\" at <split \":\">: error calling split: wrong type for "
	    "value; expected string; got []interface {}");
	expect("{{index (split .Config.Image \":\") 1}}", "1");
	expect("{{(index .NetworkSettings.Ports \"80/tcp\")}}",
	       "[map[HostIp:0.0.0.0 HostPort:8080]]");
	expect("{{(index .NetworkSettings.Ports \"80/tcp\" 0).HostPort}}", "8080");
	expect("{{(index .Mounts 0).Source | upper | printf \"%q\"}}", "\"/A\"");
	expect("{{.Name | len | eq 4}}", "true");
}

static void test_functions(void **state)
{
	(void)state;
	expect("{{eq .State.Status \"running\"}} {{eq 1 2 3 1}} {{ne 1 2}} {{eq .Nope nil}}",
	       "true true true true");
	expect("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1 2}} {{lt 1 1.5}}",
	       "true true true false true");
	expect("{{len .Config.Cmd}} {{len .Name}} {{len .Config.Labels}} {{len .HostConfig.Binds}}",
	       "2 4 2 0");
	expect(
	    "{{index .Config.Labels \"b\"}} {{index .Config.Cmd 1}} {{index .Config.Labels \"z\"}}",
	    "2 -c <no value>");
	expect("{{slice .Id 0 6}} {{slice .Config.Cmd 1}}", "abcdef [-c]");
	expect("{{print 1 2 \"a\" \"b\" 3}}|{{println .Name 1}}|", "1 2ab3|/web 1\n|");
	expect("{{printf \"%v|%5s|%-5s|%.2s|%q|%%|%x|%05d|%+d|%t|%.1f|%c|%g\" .Config.Cmd \"ab\" "
	       "\"ab\" "
	       "\"abc\" \"q\\\"\" 255 42 3 true 2.25 65 1e21}}",
	       "[sh -c]|   ab|ab   |ab|\"q\\\"\"|%|ff|00042|+3|true|2.2|A|1e+21");
	expect("{{printf \"%d %d\" 1}} {{printf \"%d\" 1 2}}", "1 %!d(MISSING) 1%!(EXTRA int=2)");
	expect("{{json .Config.Labels}} {{json .Nope}} {{json .Name}}",
	       "{\"b\":\"2\",\"a\":\"1\"} null \"/web\"");
	expect("{{join .Config.Cmd \", \"}} {{split \"a:b::c\" \":\"}} {{len (split \"\" \",\")}}",
	       "sh, -c [a b  c] 1");
	expect("{{upper .Name}} {{lower \"AbC\"}} {{title \"hello wide-world it's\"}}",
	       "/WEB abc Hello Wide-World It's");
	expect("[{{pad .Name 2 1}}] [{{pad \"\" 2 2}}] {{truncate .Id 6}} {{truncate \"ab\" 5}}",
	       "[  /web ] [] abcdef ab");
	expect("{{index .Config.Cmd 5}}",
	       "template: :1:2: executing \"\" at <index .Config.Cmd 5>: "
	       "error calling index: index out of range: 5");
	expect("{{index .Name \"x\"}}",
	       "template: :1:2: executing \"\" at <index .Name \"x\">: error "
	       "calling index: cannot index slice/array with type string");
	expect("{{lt .Config.Cmd 1}}",
	       "template: :1:2: executing \"\" at <lt .Config.Cmd 1>: error "
	       "calling lt: invalid type for comparison");
	expect("{{eq .Name 1}}",
	       "template: :1:2: executing \"\" at <eq .Name 1>: error calling eq: "
	       "incompatible types for comparison");
	expect("{{len 3}}", "template: :1:2: executing \"\" at <len 3>: error calling len: len of "
			    "type int");
	expect("{{upper .State.Pid}}",
	       "template: :1:2: executing \"\" at <upper .State.Pid>: error "
	       "calling upper: wrong type for value; expected string; got int");
}

static void test_whitespace_and_comments(void **state)
{
	(void)state;
	expect("a  {{- .State.Pid -}}  \n b", "a42b");
	expect("{{range .Config.Cmd -}}\n  {{.}}\n{{- end}}", "sh-c");
	expect("x {{/* a comment {{ }} */}} y{{- /* trimmed */ -}} z", "x  yz");
	expect("{{-3}}", "-3");
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_bad("{{.Name", "template parsing error: template: :1: unclosed action");
	expect_bad("a\n{{if .X}}", "template parsing error: template: :2: unexpected EOF: {{if}} "
				   "has no {{end}}");
	expect_bad("{{end}}", "template parsing error: template: :1: unexpected {{end}}");
	expect_bad("{{else}}", "template parsing error: template: :1: unexpected {{else}}");
	expect_bad("{{range .X}}{{else}}{{else}}{{end}}",
		   "template parsing error: template: :1: expected end; found {{else}}");
	expect_bad("{{range .X}}{{else if .Y}}{{end}}",
		   "template parsing error: template: :1: unexpected \"if\" in else");
	expect_bad("{{bogus .Name}}",
		   "template parsing error: template: :1: function \"bogus\" not defined");
	expect_bad(
	    "{{len .A .B}}",
	    "template parsing error: template: :1: wrong number of args for len: want 1 got 2");
	expect_bad(
	    "{{.A | len .B}}",
	    "template parsing error: template: :1: wrong number of args for len: want 1 got 2");
	expect_bad("{{eq 1}}", "template parsing error: template: :1: wrong number of args for eq: "
			       "want at least 2 got 1");
	expect_bad("{{slice 1 2 3 4}}",
		   "template parsing error: template: :1: wrong number of args "
		   "for slice: want at most 3 got 4");
	expect_bad(
	    "{{.A .B}}",
	    "template parsing error: template: :1: can't give argument to non-function .A .B");
	expect_bad(
	    "{{.A | .B}}",
	    "template parsing error: template: :1: non executable command in pipeline stage 2");
	expect_bad("{{$x}}", "template parsing error: template: :1: undefined variable \"$x\"");
	expect_bad("{{$x = 1}}", "template parsing error: template: :1: undefined variable \"$x\"");
	expect_bad("{{if true}}{{$x := 1}}{{end}}{{$x}}",
		   "template parsing error: template: :1: undefined variable \"$x\"");
	expect_bad("{{$a, $b := .X}}",
		   "template parsing error: template: :1: too many declarations in command");
	expect_bad("{{}}", "template parsing error: template: :1: missing value for command");
	expect_bad("{{if}}{{end}}", "template parsing error: template: :1: missing value for if");
	expect_bad("{{break}}",
		   "template parsing error: template: :1: {{break}} outside {{range}}");
	expect_bad("{{\"abc}}", "template parsing error: template: :1: unterminated quoted string");
	expect_bad("{{(len .X}}", "template parsing error: template: :1: unclosed left paren");
	expect_bad("{{len .X)}}", "template parsing error: template: :1: unexpected right paren");
	expect_bad("{{/* x", "template parsing error: template: :1: unclosed comment");
	expect_bad("{{/* x */ .Y}}",
		   "template parsing error: template: :1: comment ends before closing delimiter");
	expect_bad("{{nil}}", "template parsing error: template: :1: nil is not a command");
	expect_bad("{{3x}}", "template parsing error: template: :1: bad number syntax: \"3x\"");
	expect_bad("{{.A ; .B}}",
		   "template parsing error: template: :1: unexpected \";\" in command");
	expect_bad("{{template \"x\"}}",
		   "template parsing error: template: :1: {{template}} is not supported");
	expect_bad("{{with .X}}{{end}} {{end}}",
		   "template parsing error: template: :1: unexpected {{end}}");
	hutch_error err = {0};
	assert_int_equal(template_check("{{range $i, $v := .X}}{{$i}}{{$v}}{{end}}", &err), 0);
}

/* A table's header: docker's functions leave the titles be, Go's work. */
static void test_header(void **state)
{
	(void)state;
	json_object *head = json_tokener_parse("{\"Names\":\"NAMES\",\"ID\":\"CONTAINER ID\"}");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	hutch_error err = {0};
	assert_int_equal(
	    template_render_header("{{truncate .Names 2}}|{{lower .ID}}|{{pad .ID 1 1}}|"
				   "{{json .Names}}|{{len .Names}}",
				   head, f, &err),
	    0);
	fclose(f);
	assert_string_equal(buf, "NAMES|CONTAINER ID|CONTAINER ID|NAMES|5");
	free(buf);
	json_object_put(head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields_and_printing),
	    cmocka_unit_test(test_if_else),
	    cmocka_unit_test(test_range),
	    cmocka_unit_test(test_with_and_variables),
	    cmocka_unit_test(test_pipelines),
	    cmocka_unit_test(test_functions),
	    cmocka_unit_test(test_whitespace_and_comments),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
