/* hutch system df and system prune: the disk usage summary of
 * GET /system/df, and removing stopped containers and unused images. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "container-util.h"
#include "json-util.h"

static int64_t field(json_object *o, const char *key)
{
	int64_t v = 0;
	json_get_int64(o, "", key, false, &v, NULL);
	return v;
}

static void df_row(struct table *t, const char *type, size_t total, size_t active, int64_t size,
		   int64_t reclaimable, bool percent)
{
	char n[32], a[32], s[32], r[64], rs[32];
	snprintf(n, sizeof(n), "%zu", total);
	snprintf(a, sizeof(a), "%zu", active);
	format_size_digits(size, 4, s, sizeof(s));
	format_size_digits(reclaimable, 4, rs, sizeof(rs));
	if (percent && size > 0)
		snprintf(r, sizeof(r), "%s (%lld%%)", rs, (long long)(reclaimable * 100 / size));
	else
		snprintf(r, sizeof(r), "%s", rs);
	table_cell(t, type);
	table_cell(t, n);
	table_cell(t, a);
	table_cell(t, s);
	table_cell(t, r);
	table_end_row(t);
}

int cmd_system_df(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("Usage: hutch system df\n\n"
		       "Show the disk space used by images and containers.\n");
		return 0;
	}
	hutch_error err = {0};
	_cleanup_json_ json_object *o = NULL;
	if (client_json("GET", "/system/df", &o, &err) < 0)
		return cli_fail(&err);
	json_object *images = NULL, *ctrs = NULL, *vols = NULL;
	json_object_object_get_ex(o, "Images", &images);
	json_object_object_get_ex(o, "Containers", &ctrs);
	json_object_object_get_ex(o, "Volumes", &vols);
	size_t ni =
	    json_object_is_type(images, json_type_array) ? json_object_array_length(images) : 0;
	size_t nc = json_object_is_type(ctrs, json_type_array) ? json_object_array_length(ctrs) : 0;
	size_t nv = json_object_is_type(vols, json_type_array) ? json_object_array_length(vols) : 0;
	size_t active = 0;
	int64_t size = field(o, "LayersSize"), unused = 0;
	for (size_t i = 0; i < ni; i++) {
		json_object *img = json_object_array_get_idx(images, i);
		if (field(img, "Containers") > 0)
			active++;
		else
			unused += field(img, "Size") -
				  (field(img, "SharedSize") > 0 ? field(img, "SharedSize") : 0);
	}
	struct table *t = table_new(10, 3);
	table_cell(t, "TYPE");
	table_cell(t, "TOTAL");
	table_cell(t, "ACTIVE");
	table_cell(t, "SIZE");
	table_cell(t, "RECLAIMABLE");
	table_end_row(t);
	df_row(t, "Images", ni, active, size, unused < 0 ? 0 : unused, true);
	size_t running = 0;
	int64_t csize = 0, cfree = 0;
	for (size_t i = 0; i < nc; i++) {
		json_object *c = json_object_array_get_idx(ctrs, i);
		const char *state = "";
		json_get_string(c, "", "State", false, &state, NULL);
		int64_t rw = field(c, "SizeRw");
		csize += rw;
		if (strcmp(state, "running") == 0)
			running++;
		else
			cfree += rw;
	}
	df_row(t, "Containers", nc, running, csize, cfree, true);
	size_t vactive = 0;
	int64_t vsize = 0, vfree = 0;
	for (size_t i = 0; i < nv; i++) {
		json_object *usage = NULL;
		json_object_object_get_ex(json_object_array_get_idx(vols, i), "UsageData", &usage);
		vsize += field(usage, "Size");
		if (field(usage, "RefCount") > 0)
			vactive++;
		else
			vfree += field(usage, "Size");
	}
	df_row(t, "Local Volumes", nv, vactive, vsize, vfree, true);
	df_row(t, "Build Cache", 0, 0, 0, 0, false);
	table_print(t, stdout);
	table_free(t);
	return 0;
}

int cmd_system_prune(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"force", no_argument, NULL, 'f'},
	    {"volumes", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool all = false, force = false, volumes = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+af", longopts, NULL)) != -1) {
		if (c == 'a') {
			all = true;
		} else if (c == 'f') {
			force = true;
		} else if (c == 'V') {
			volumes = true;
		} else if (c == 'h') {
			printf("Usage: hutch system prune [OPTIONS]\n\n"
			       "Remove stopped containers and unused image data.\n\nOptions:\n"
			       "  -a, --all     also remove every image no container uses\n"
			       "  -f, --force   do not ask for confirmation\n"
			       "      --volumes also remove anonymous volumes no container "
			       "uses\n");
			return 0;
		} else {
			return usage_fail("system prune", NULL);
		}
	}
	if (!force) {
		char msg[512];
		snprintf(msg, sizeof(msg),
			 "WARNING! This will remove:\n  - all stopped containers\n%s%s",
			 volumes ? "  - all anonymous volumes not used by at least one "
				   "container\n"
				 : "",
			 all ? "  - all images without at least one container associated to "
			       "them"
			     : "  - all unused image data");
		int yes = confirm(msg);
		if (yes <= 0)
			return yes < 0;
	}
	int64_t space = 0;
	if (prune_containers(&space) < 0)
		return 1;
	if (volumes && prune_and_list("/volumes/prune", "VolumesDeleted", "Volumes", &space) < 0)
		return 1;
	if (prune_images(all, &space) < 0)
		return 1;
	char sz[32];
	format_size(space, sz, sizeof(sz));
	printf("Total reclaimed space: %s\n", sz);
	return 0;
}
