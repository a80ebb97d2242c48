/* hutch volume create, ls, rm, prune (inspect is in cmd-inspect.c): the
 * /volumes routes, with docker's flags, output and messages. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "container-util.h"
#include "json-util.h"
#include "listing.h"
#include "template.h"

/* -o k=v / --label k=v into an object; a lone "k" is k="" (docker's). */
static void add_key_value(json_object *o, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char key[256];
	snprintf(key, sizeof(key), "%.*s", (int)(eq ? eq - spec : (long)strlen(spec)), spec);
	json_object_object_add(o, key, json_object_new_string(eq ? eq + 1 : ""));
}

/* "?filters=<escaped JSON>" or "" when there are none. */
static void filters_query(json_object *filters, char *out, size_t size)
{
	out[0] = '\0';
	if (json_object_object_length(filters) == 0)
		return;
	_cleanup_free_ char *e =
	    client_escape(json_object_to_json_string_ext(filters, JSON_C_TO_STRING_PLAIN));
	snprintf(out, size, "?filters=%s", e);
}

static const char *string_of(json_object *v, const char *key)
{
	const char *s = "";
	json_get_string(v, "", key, false, &s, NULL);
	return s;
}

int cmd_volume_create(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"driver", required_argument, NULL, 'd'}, {"opt", required_argument, NULL, 'o'},
	    {"label", required_argument, NULL, 'l'},  {"name", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},	      {0},
	};
	_cleanup_json_ json_object *req = json_object_new_object();
	json_object *opts = json_object_new_object(), *labels = json_object_new_object();
	json_object_object_add(req, "DriverOpts", opts);
	json_object_object_add(req, "Labels", labels);
	const char *driver = "local", *name = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+d:o:", longopts, NULL)) != -1) {
		if (c == 'd') {
			driver = optarg;
		} else if (c == 'o') {
			add_key_value(opts, optarg);
		} else if (c == 'l') {
			add_key_value(labels, optarg);
		} else if (c == 'n') {
			name = optarg;
		} else if (c == 'h') {
			printf("Usage: hutch volume create [OPTIONS] [VOLUME]\n\n"
			       "Create a volume and print its name (a random one without "
			       "VOLUME).\n\nOptions:\n"
			       "  -d, --driver DRIVER   volume driver (only \"local\")\n"
			       "      --label K=V       set metadata on the volume\n"
			       "  -o, --opt K=V         driver options: type=none, o=bind, "
			       "device=DIR make\n"
			       "                        the volume a bind of the directory DIR\n");
			return 0;
		} else {
			return usage_fail("volume create", NULL);
		}
	}
	if (argc - optind > 1)
		return usage_fail("volume create",
				  "\"hutch volume create\" requires at most 1 argument");
	if (optind < argc) {
		if (name != NULL && strcmp(name, argv[optind]) != 0)
			return usage_fail("volume create", "Conflicting options: either specify "
							   "--name or provide positional arg, not "
							   "both");
		name = argv[optind];
	}
	json_object_object_add(req, "Driver", json_object_new_string(driver));
	json_object_object_add(req, "Name", json_object_new_string(name ? name : ""));
	hutch_error err = {0};
	_cleanup_json_ json_object *volume = NULL;
	if (client_json_body("POST", "/volumes/create",
			     json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), &volume,
			     &err) < 0)
		return cli_fail(&err);
	printf("%s\n", string_of(volume, "Name"));
	return 0;
}

/* The titles of --format's fields in a table's header row, as docker's. */
static const struct listing_column volume_columns[] = {
    {"Availability", "AVAILABILITY"},
    {"Driver", "DRIVER"},
    {"Group", "GROUP"},
    {"Labels", "LABELS"},
    {"Links", "LINKS"},
    {"Mountpoint", "MOUNTPOINT"},
    {"Name", "VOLUME NAME"},
    {"Scope", "SCOPE"},
    {"Size", "SIZE"},
    {"Status", "STATUS"},
};

/* One row as docker's --format sees a volume (keys in its JSON order;
 * what only cluster volumes or system df have is "N/A"), Labels joined as
 * "k=v,k2=v2" (sorted). */
static json_object *volume_fields(json_object *v)
{
	json_object *f = json_object_new_object(), *labels = NULL;
	char joined[4096] = "";
	json_object_object_get_ex(v, "Labels", &labels);
	size_t n = 0, len = 0;
	const char **keys =
	    json_object_is_type(labels, json_type_object) ? json_keys_sorted(labels, &n) : NULL;
	for (size_t i = 0; i < n && len < sizeof(joined); i++)
		len += (size_t)snprintf(joined + len, sizeof(joined) - len, "%s%s=%s", i ? "," : "",
					keys[i], string_of(labels, keys[i]));
	free(keys);
	json_object_object_add(f, "Availability", json_object_new_string("N/A"));
	json_object_object_add(f, "Driver", json_object_new_string(string_of(v, "Driver")));
	json_object_object_add(f, "Group", json_object_new_string("N/A"));
	json_object_object_add(f, "Labels", json_object_new_string(joined));
	json_object_object_add(f, "Links", json_object_new_string("N/A"));
	json_object_object_add(f, "Mountpoint", json_object_new_string(string_of(v, "Mountpoint")));
	json_object_object_add(f, "Name", json_object_new_string(string_of(v, "Name")));
	json_object_object_add(f, "Scope", json_object_new_string(string_of(v, "Scope")));
	json_object_object_add(f, "Size", json_object_new_string("N/A"));
	json_object_object_add(f, "Status", json_object_new_string("N/A"));
	return f;
}

int cmd_volume_ls(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"quiet", no_argument, NULL, 'q'},	      {"filter", required_argument, NULL, 'f'},
	    {"format", required_argument, NULL, 'F'}, {"cluster", no_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},	      {0},
	};
	_cleanup_json_ json_object *filters = json_object_new_object();
	const char *format = NULL;
	bool quiet = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+qf:", longopts, NULL)) != -1) {
		if (c == 'q') {
			quiet = true;
		} else if (c == 'f') {
			if (filter_add(filters, optarg) < 0)
				return usage_fail("volume ls",
						  "bad format of filter (expected name=value)");
		} else if (c == 'F') {
			format = optarg;
		} else if (c == 'C') {
			continue; /* no cluster volumes here: the list is the same */
		} else if (c == 'h') {
			printf("Usage: hutch volume ls [OPTIONS]\n\n"
			       "List volumes.\n\nOptions:\n"
			       "  -f, --filter K=V    name, label (K or K=V), driver, "
			       "dangling (true|false)\n"
			       "      --format FMT    table, table TEMPLATE, json or a Go "
			       "template per volume\n"
			       "  -q, --quiet         only show volume names\n");
			return 0;
		} else {
			return usage_fail("volume ls", NULL);
		}
	}
	if (optind < argc)
		return usage_fail("volume ls", "\"hutch volume ls\" accepts no arguments");
	struct listing out = {0};
	if (!quiet) {
		int rc =
		    listing_start(&out, format, "table {{.Driver}}\\t{{.Name}}", volume_columns,
				  sizeof(volume_columns) / sizeof(volume_columns[0]));
		if (rc != 0)
			return rc;
	}
	char path[8192] = "/volumes";
	filters_query(filters, path + strlen(path), sizeof(path) - strlen(path));
	hutch_error err = {0};
	_cleanup_json_ json_object *reply = NULL;
	if (client_json("GET", path, &reply, &err) < 0)
		return cli_fail(&err);
	json_object *list = NULL;
	json_object_object_get_ex(reply, "Volumes", &list);
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *v = json_object_array_get_idx(list, i);
		if (quiet) {
			printf("%s\n", string_of(v, "Name"));
			continue;
		}
		_cleanup_json_ json_object *f = volume_fields(v);
		if (listing_row(&out, f) != 0)
			return 1;
	}
	if (!quiet)
		listing_end(&out);
	return 0;
}

int cmd_volume_rm(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+f", longopts, NULL)) != -1) {
		if (c == 'f') {
			force = true;
		} else if (c == 'h') {
			printf("Usage: hutch volume rm [OPTIONS] VOLUME [VOLUME...]\n\n"
			       "Remove volumes that no container uses.\n\nOptions:\n"
			       "  -f, --force   no error for volumes that do not exist\n");
			return 0;
		} else {
			return usage_fail("volume rm", NULL);
		}
	}
	if (optind >= argc)
		return usage_fail("volume rm", "\"hutch volume rm\" requires at least 1 argument");
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *e = client_escape(argv[i]);
		char path[4096];
		snprintf(path, sizeof(path), "/volumes/%s%s", e, force ? "?force=1" : "");
		hutch_error err = {0};
		if (client_json("DELETE", path, NULL, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			rc = 1;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return rc;
}

int cmd_volume_prune(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"force", no_argument, NULL, 'f'},
	    {"filter", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	_cleanup_json_ json_object *filters = json_object_new_object();
	bool all = false, force = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+af", longopts, NULL)) != -1) {
		if (c == 'a') {
			all = true;
		} else if (c == 'f') {
			force = true;
		} else if (c == 'F') {
			if (filter_add(filters, optarg) < 0)
				return usage_fail("volume prune",
						  "bad format of filter (expected name=value)");
		} else if (c == 'h') {
			printf("Usage: hutch volume prune [OPTIONS]\n\n"
			       "Remove anonymous volumes no container uses (all unused "
			       "volumes with -a).\n\nOptions:\n"
			       "  -a, --all           named volumes too\n"
			       "      --filter K=V    label=K[=V], label!=K[=V]\n"
			       "  -f, --force         do not ask for confirmation\n");
			return 0;
		} else {
			return usage_fail("volume prune", NULL);
		}
	}
	if (optind < argc)
		return usage_fail("volume prune", "\"hutch volume prune\" accepts no arguments");
	if (all)
		filter_add(filters, "all=true");
	if (!force) {
		int yes =
		    confirm(all ? "WARNING! This will remove all local volumes not used by at "
				  "least one container."
				: "WARNING! This will remove anonymous local volumes not used "
				  "by at least one container.");
		if (yes <= 0)
			return yes < 0;
	}
	char path[8192] = "/volumes/prune";
	filters_query(filters, path + strlen(path), sizeof(path) - strlen(path));
	int64_t reclaimed = 0;
	if (prune_and_list(path, "VolumesDeleted", "Volumes", &reclaimed) < 0)
		return 1;
	char sz[32];
	format_size(reclaimed, sz, sizeof(sz));
	printf("Total reclaimed space: %s\n", sz);
	return 0;
}
