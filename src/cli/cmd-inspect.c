/* hutch inspect, container inspect, image inspect: the inspect documents
 * as a JSON array, or each rendered with a --format template. Without a
 * type, a name is looked up as a container first, then as an image
 * (docker's order). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "container-util.h"
#include "json-util.h"
#include "template.h"

enum inspect_type { INSPECT_ANY, INSPECT_CONTAINER, INSPECT_IMAGE, INSPECT_VOLUME };

/* The object, or NULL with err filled (the daemon's message for a
 * volume, which docker prints as it comes). */
static json_object *find_object(const char *name, enum inspect_type type, hutch_error *err)
{
	json_object *o = NULL;
	_cleanup_free_ char *e = client_escape(name);
	char path[4096];
	if ((type == INSPECT_ANY || type == INSPECT_CONTAINER) &&
	    container_inspect(name, &o, err) == 0)
		return o;
	snprintf(path, sizeof(path), "/images/%s/json", e);
	hutch_error_clear(err);
	if ((type == INSPECT_ANY || type == INSPECT_IMAGE) &&
	    client_json("GET", path, &o, err) == 0)
		return o;
	snprintf(path, sizeof(path), "/volumes/%s", e);
	hutch_error_clear(err);
	if ((type == INSPECT_ANY || type == INSPECT_VOLUME) &&
	    client_json("GET", path, &o, err) == 0)
		return o;
	return NULL;
}

static int inspect(int argc, char **argv, enum inspect_type type, const char *cmd)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"type", required_argument, NULL, 'T'},
	    {"size", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *format = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+f:s", longopts, NULL)) != -1) {
		if (c == 'f') {
			format = optarg;
		} else if (c == 'T' && type == INSPECT_ANY) {
			if (strcmp(optarg, "container") == 0)
				type = INSPECT_CONTAINER;
			else if (strcmp(optarg, "image") == 0)
				type = INSPECT_IMAGE;
			else if (strcmp(optarg, "volume") == 0)
				type = INSPECT_VOLUME;
			else
				return usage_fail(cmd, "\"%s\" is not a valid value for --type",
						  optarg);
		} else if (c == 's') {
			continue;
		} else if (c == 'h') {
			printf("Usage: hutch %s [OPTIONS] NAME|ID [NAME|ID...]\n\n"
			       "Show %s as a JSON array (docker's inspect format).\n\n"
			       "Options:\n"
			       "  -f, --format TEMPLATE   render each with a Go template "
			       "({{.State.Status}},\n"
			       "                          {{json .Config}}, {{index .Labels "
			       "\"k\"}}...)\n"
			       "%s",
			       cmd,
			       type == INSPECT_CONTAINER ? "containers"
			       : type == INSPECT_IMAGE	 ? "images"
			       : type == INSPECT_VOLUME	 ? "volumes"
							 : "containers, images or volumes (in "
							   "that order)",
			       type == INSPECT_ANY ? "      --type TYPE         container, "
						     "image or volume only\n"
						   : "");
			return 0;
		} else {
			return usage_fail(cmd, NULL);
		}
	}
	if (optind >= argc)
		return usage_fail(cmd, "\"hutch %s\" requires at least 1 argument", cmd);
	hutch_error err = {0};
	if (format && template_check(format, &err) < 0) {
		fprintf(stderr, "hutch: %s\n", err.msg);
		return 2;
	}
	_cleanup_json_ json_object *all = json_object_new_array();
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		json_object *o = find_object(argv[i], type, &err);
		if (o == NULL && type == INSPECT_VOLUME) {
			fprintf(stderr, "%s\n", err.msg);
			hutch_error_clear(&err);
			rc = 1;
			continue;
		}
		if (o == NULL) {
			fprintf(stderr, "Error: No such %s: %s\n",
				type == INSPECT_CONTAINER ? "container"
				: type == INSPECT_IMAGE	  ? "image"
							  : "object",
				argv[i]);
			rc = 1;
			continue;
		}
		if (format) {
			int r = template_render(format, o, stdout, &err);
			json_object_put(o);
			if (r < 0) {
				fprintf(stderr, "hutch: %s\n", err.msg);
				return 1;
			}
			putchar('\n');
			continue;
		}
		json_object_array_add(all, o);
	}
	if (!format)
		printf("%s\n", json_object_to_json_string_ext(
				   all, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	return rc;
}

int cmd_inspect(int argc, char **argv)
{
	return inspect(argc, argv, INSPECT_ANY, "inspect");
}

int cmd_container_inspect(int argc, char **argv)
{
	return inspect(argc, argv, INSPECT_CONTAINER, "container inspect");
}

int cmd_image_inspect(int argc, char **argv)
{
	return inspect(argc, argv, INSPECT_IMAGE, "image inspect");
}

int cmd_volume_inspect(int argc, char **argv)
{
	return inspect(argc, argv, INSPECT_VOLUME, "volume inspect");
}
