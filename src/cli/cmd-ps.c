/* hutch ps: GET /containers/json shown as docker shows it (the table,
 * -q ids, --format json lines, table or a template). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "container-util.h"
#include "json-util.h"
#include "listing.h"
#include "template.h"

#define DEFAULT_TABLE                                                                              \
	"table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}"   \
	"\\t{{.Names}}"

/* Cut to n characters with a trailing "…", as docker's Ellipsis. */
static void ellipsis(const char *s, size_t n, char *out, size_t size)
{
	if (strlen(s) <= n) {
		snprintf(out, size, "%s", s);
		return;
	}
	snprintf(out, size, "%.*s…", (int)(n - 1), s);
}

/* "127.0.0.1:8080->80/tcp, 443/tcp" */
static void format_ports(json_object *ports, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0;
	     json_object_is_type(ports, json_type_array) && i < json_object_array_length(ports);
	     i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		const char *ip = "", *type = "tcp";
		int64_t priv = 0, pub = 0;
		json_get_string(p, "", "IP", false, &ip, NULL);
		json_get_string(p, "", "Type", false, &type, NULL);
		json_get_int64(p, "", "PrivatePort", false, &priv, NULL);
		json_get_int64(p, "", "PublicPort", false, &pub, NULL);
		size_t l = strlen(out);
		const char *sep = l ? ", " : "";
		if (pub)
			snprintf(out + l, size - l,
				 strchr(ip, ':') ? "%s[%s]:%lld->%lld/%s" : "%s%s:%lld->%lld/%s",
				 sep, ip[0] ? ip : "0.0.0.0", (long long)pub, (long long)priv,
				 type);
		else
			snprintf(out + l, size - l, "%s%lld/%s", sep, (long long)priv, type);
	}
}

static void add(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

/* The same object with its keys in order, as docker's --format json
 * prints them. Takes o. */
static json_object *sorted_keys(json_object *o)
{
	size_t n = 0;
	const char **keys = json_keys_sorted(o, &n);
	if (keys == NULL)
		return o;
	json_object *sorted = json_object_new_object();
	for (size_t i = 0; i < n; i++) {
		json_object *v = NULL;
		json_object_object_get_ex(o, keys[i], &v);
		json_object_object_add(sorted, keys[i], json_object_get(v));
	}
	free(keys);
	json_object_put(o);
	return sorted;
}

/* The array c[key] as "a,b": its strings without a leading '/' (names),
 * or each element's field. */
static void join_list(json_object *c, const char *key, const char *field, char *buf, size_t size)
{
	json_object *list = NULL;
	json_object_object_get_ex(c, key, &list);
	buf[0] = '\0';
	for (size_t i = 0;
	     json_object_is_type(list, json_type_array) && i < json_object_array_length(list);
	     i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *v = "";
		if (field)
			json_get_string(e, "", field, false, &v, NULL);
		else if (json_object_is_type(e, json_type_string))
			v = json_object_get_string(e);
		if (!field && v[0] == '/')
			v++;
		size_t l = strlen(buf);
		snprintf(buf + l, size - l, "%s%s", l ? "," : "", v);
	}
}

/* The fields docker's ps templates know, computed from one list entry. */
static json_object *ps_fields(json_object *c, bool no_trunc)
{
	json_object *f = json_object_new_object();
	const char *id = "", *image = "", *command = "", *state = "", *status = "";
	int64_t created = 0;
	json_get_string(c, "", "Id", false, &id, NULL);
	json_get_string(c, "", "Image", false, &image, NULL);
	json_get_string(c, "", "Command", false, &command, NULL);
	json_get_string(c, "", "State", false, &state, NULL);
	json_get_string(c, "", "Status", false, &status, NULL);
	json_get_int64(c, "", "Created", false, &created, NULL);
	char buf[4096];
	snprintf(buf, sizeof(buf), "%.*s", no_trunc ? 64 : 12, id);
	add(f, "ID", buf);
	add(f, "Image", image);
	if (no_trunc) {
		snprintf(buf, sizeof(buf), "\"%s\"", command);
	} else {
		char cut[128];
		ellipsis(command, 20, cut, sizeof(cut));
		snprintf(buf, sizeof(buf), "\"%s\"", cut);
	}
	add(f, "Command", buf);
	char when[64];
	time_t t = (time_t)created;
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z %Z", localtime_r(&t, &tm));
	add(f, "CreatedAt", when);
	human_duration((int64_t)time(NULL) - created, buf, sizeof(buf) - 5);
	strcat(buf, " ago");
	add(f, "RunningFor", buf);
	json_object *ports = NULL;
	json_object_object_get_ex(c, "Ports", &ports);
	format_ports(ports, buf, sizeof(buf));
	add(f, "Ports", buf);
	add(f, "State", state);
	add(f, "Status", status);
	join_list(c, "Names", NULL, buf, sizeof(buf));
	add(f, "Names", buf);
	json_object *labels = NULL;
	json_object_object_get_ex(c, "Labels", &labels);
	buf[0] = '\0';
	if (json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach(labels, k, v)
		{
			size_t l = strlen(buf);
			snprintf(buf + l, sizeof(buf) - l, "%s%s=%s", l ? "," : "", k,
				 json_object_get_string(v));
		}
	}
	add(f, "Labels", buf);
	join_list(c, "Mounts", "Source", buf, sizeof(buf));
	add(f, "Mounts", buf);
	json_object *ns = NULL, *nets = NULL;
	buf[0] = '\0';
	if (json_object_object_get_ex(c, "NetworkSettings", &ns) &&
	    json_object_object_get_ex(ns, "Networks", &nets) &&
	    json_object_is_type(nets, json_type_object)) {
		json_object_object_foreach(nets, k, v)
		{
			(void)v;
			size_t l = strlen(buf);
			snprintf(buf + l, sizeof(buf) - l, "%s%s", l ? "," : "", k);
		}
	}
	add(f, "Networks", buf);
	add(f, "Size", "0B");
	/* docker counts the mounts of local volumes */
	json_object *mounts = NULL;
	json_object_object_get_ex(c, "Mounts", &mounts);
	size_t local = 0;
	for (size_t i = 0;
	     json_object_is_type(mounts, json_type_array) && i < json_object_array_length(mounts);
	     i++) {
		json_object *driver = NULL;
		if (json_object_object_get_ex(json_object_array_get_idx(mounts, i), "Driver",
					      &driver) &&
		    strcmp(json_object_get_string(driver), "local") == 0)
			local++;
	}
	snprintf(buf, sizeof(buf), "%zu", local);
	add(f, "LocalVolumes", buf);
	return sorted_keys(f);
}

static void print_help(void)
{
	printf("Usage: hutch ps [OPTIONS]\n\n"
	       "List containers (running ones unless -a).\n\nOptions:\n"
	       "  -a, --all             show all containers\n"
	       "  -f, --filter K=V      filter: id, name, label, status, exited, ancestor...\n"
	       "      --format FORMAT   table (default), json, 'table TEMPLATE' or a Go "
	       "template\n"
	       "                        ({{.ID}} {{.Image}} {{.Command}} {{.CreatedAt}} "
	       "{{.RunningFor}}\n"
	       "                        {{.Ports}} {{.State}} {{.Status}} {{.Names}} "
	       "{{.Labels}} {{.Mounts}})\n"
	       "  -n, --last N          show the N last created containers (all states)\n"
	       "  -l, --latest          show the latest created container\n"
	       "      --no-trunc        do not truncate ids and commands\n"
	       "  -q, --quiet           only show ids\n"
	       "  -s, --size            accepted for docker compatibility\n");
}

/* The titles of the fields in a table's header row. */
static const struct listing_column columns[] = {
    {"ID", "CONTAINER ID"},    {"Image", "IMAGE"},
    {"Command", "COMMAND"},    {"CreatedAt", "CREATED AT"},
    {"RunningFor", "CREATED"}, {"Ports", "PORTS"},
    {"State", "STATE"},	       {"Status", "STATUS"},
    {"Names", "NAMES"},	       {"Labels", "LABELS"},
    {"Mounts", "MOUNTS"},      {"Networks", "NETWORKS"},
    {"Size", "SIZE"},	       {"LocalVolumes", "LOCAL VOLUMES"},
};

int cmd_ps(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},	      {"quiet", no_argument, NULL, 'q'},
	    {"last", required_argument, NULL, 'n'},   {"latest", no_argument, NULL, 'l'},
	    {"no-trunc", no_argument, NULL, 'T'},     {"filter", required_argument, NULL, 'f'},
	    {"format", required_argument, NULL, 'F'}, {"size", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},	      {0},
	};
	bool all = false, quiet = false, no_trunc = false;
	long last = -1;
	const char *format = NULL;
	_cleanup_json_ json_object *filters = json_object_new_object();
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "aqn:lf:s", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'n': {
			char *end;
			last = strtol(optarg, &end, 10);
			if (*end || end == optarg)
				return usage_fail("ps", "invalid argument \"%s\" for \"-n\"",
						  optarg);
			break;
		}
		case 'l':
			last = 1;
			break;
		case 'T':
			no_trunc = true;
			break;
		case 'f':
			if (filter_add(filters, optarg) < 0)
				return usage_fail("ps",
						  "bad format of filter (expected name=value)");
			break;
		case 'F':
			format = optarg;
			break;
		case 's':
			break;
		case 'h':
			print_help();
			return 0;
		default:
			return usage_fail("ps", NULL);
		}
	}
	if (optind < argc)
		return usage_fail("ps", "\"hutch ps\" accepts no arguments");
	struct listing out;
	int rc = listing_start(&out, format, DEFAULT_TABLE, columns,
			       sizeof(columns) / sizeof(columns[0]));
	if (rc != 0)
		return rc;
	hutch_error err = {0};
	char path[2048] = "/containers/json?all=";
	strcat(path, all || last > 0 ? "1" : "0");
	if (last > 0)
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "&limit=%ld", last);
	if (json_object_object_length(filters) > 0) {
		_cleanup_free_ char *e =
		    client_escape(json_object_to_json_string_ext(filters, JSON_C_TO_STRING_PLAIN));
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "&filters=%s", e);
	}
	_cleanup_json_ json_object *list = NULL;
	if (client_json("GET", path, &list, &err) < 0)
		return cli_fail(&err);
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	if (quiet) {
		for (size_t i = 0; i < n; i++) {
			const char *id = "";
			json_get_string(json_object_array_get_idx(list, i), "", "Id", false, &id,
					NULL);
			printf("%.*s\n", no_trunc ? 64 : 12, id);
		}
		return 0;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		_cleanup_json_ json_object *f =
		    ps_fields(json_object_array_get_idx(list, i), no_trunc);
		rc = listing_row(&out, f);
	}
	listing_end(&out);
	return rc;
}
