/* hutch images, rmi, tag, load, save, image inspect, image prune. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "container-util.h"
#include "json-util.h"
#include "listing.h"

static int usage_error(const char *cmd, const char *usage)
{
	fprintf(stderr, "\"hutch %s\" requires arguments\nUsage: %s\n", cmd, usage);
	return 2;
}

/* "repo:tag" -> repo and tag; "repo@digest" -> repo and <none>. */
static void split_tag(const char *name, char *repo, size_t rsize, char *tag, size_t tsize)
{
	snprintf(repo, rsize, "%s", name);
	char *at = strchr(repo, '@');
	if (at) {
		*at = '\0';
		snprintf(tag, tsize, "<none>");
		return;
	}
	char *slash = strrchr(repo, '/');
	char *colon = strrchr(slash ? slash : repo, ':');
	if (colon) {
		*colon = '\0';
		snprintf(tag, tsize, "%s", colon + 1);
	} else {
		snprintf(tag, tsize, "<none>");
	}
}

/* The titles of --format's fields in a table's header row, as docker's. */
static const struct listing_column image_columns[] = {
    {"Containers", "CONTAINERS"},
    {"CreatedAt", "CREATED AT"},
    {"CreatedSince", "CREATED"},
    {"Digest", "DIGEST"},
    {"ID", "IMAGE ID"},
    {"Repository", "REPOSITORY"},
    {"SharedSize", "SHARED SIZE"},
    {"Size", "SIZE"},
    {"Tag", "TAG"},
    {"UniqueSize", "UNIQUE SIZE"},
    {"VirtualSize", "VIRTUAL SIZE"},
};

/* One row of images as docker's --format sees it, keys in order (the
 * sizes docker computes only with -s or the system df are "N/A"). */
static json_object *image_fields(const char *repo, const char *tag, const char *digest,
				 const char *id, int64_t created, const char *ago, const char *size)
{
	char when[64];
	time_t t = (time_t)created;
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z %Z", localtime_r(&t, &tm));
	const char *values[][2] = {
	    {"Containers", "N/A"},
	    {"CreatedAt", when},
	    {"CreatedSince", ago},
	    {"Digest", digest},
	    {"ID", id},
	    {"Repository", repo},
	    {"SharedSize", "N/A"},
	    {"Size", size},
	    {"Tag", tag},
	    {"UniqueSize", "N/A"},
	    {"VirtualSize", size},
	};
	json_object *f = json_object_new_object();
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		json_object_object_add(f, values[i][0], json_object_new_string(values[i][1]));
	return f;
}

int cmd_images(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"no-trunc", no_argument, NULL, 'T'},
	    {"digests", no_argument, NULL, 'D'},
	    {"all", no_argument, NULL, 'a'},
	    {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool quiet = false, no_trunc = false, digests = false;
	const char *format = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "qah", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'T':
			no_trunc = true;
			break;
		case 'D':
			digests = true;
			break;
		case 'a':
			break;
		case 'F':
			format = optarg;
			break;
		case 'h':
			printf("Usage: hutch images [OPTIONS] [REPOSITORY[:TAG]]\n\n"
			       "List images.\n\nOptions:\n"
			       "  -a, --all         accepted for docker compatibility\n"
			       "      --digests     show digests\n"
			       "      --format FORMAT  json, 'table TEMPLATE' or a Go template\n"
			       "                    ({{.ID}} {{.Repository}} {{.Tag}} {{.Digest}}\n"
			       "                    {{.CreatedSince}} {{.CreatedAt}} {{.Size}})\n"
			       "      --no-trunc    do not truncate ids\n"
			       "  -q, --quiet       only show image ids\n");
			return 0;
		default:
			return 2;
		}
	}
	const char *filter = optind < argc ? argv[optind] : NULL;
	struct listing out = {0};
	if (format && !quiet) {
		int rc =
		    listing_start(&out, format,
				  "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}"
				  "\\t{{.Size}}",
				  image_columns, sizeof(image_columns) / sizeof(image_columns[0]));
		if (rc != 0)
			return rc;
	}
	hutch_error err = {0};
	_cleanup_json_ json_object *list = NULL;
	if (client_json("GET", "/images/json", &list, &err) < 0)
		return cli_fail(&err);
	if (!quiet && !format) {
		printf("%-40s %-15s %s%-15s %-16s %s\n", "REPOSITORY", "TAG",
		       digests ? "DIGEST                                                           "
				 "         "
			       : "",
		       "IMAGE ID", "CREATED", "SIZE");
	}
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *img = json_object_array_get_idx(list, i);
		const char *id = "";
		int64_t created = 0, size = 0;
		json_get_string(img, "", "Id", false, &id, NULL);
		json_get_int64(img, "", "Created", false, &created, NULL);
		json_get_int64(img, "", "Size", false, &size, NULL);
		char shortid[80];
		const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
		snprintf(shortid, sizeof(shortid), "%.*s", no_trunc ? 71 : 12, no_trunc ? id : hex);
		json_object *tags = NULL, *rds = NULL;
		json_object_object_get_ex(img, "RepoTags", &tags);
		json_object_object_get_ex(img, "RepoDigests", &rds);
		size_t nt = tags ? json_object_array_length(tags) : 0;
		if (quiet) {
			printf("%s\n", shortid);
			continue;
		}
		char sz[32], ago[64];
		format_size(size, sz, sizeof(sz));
		format_ago(created, ago, sizeof(ago));
		for (size_t t = 0; t < (nt ? nt : 1); t++) {
			char repo[512] = "<none>", tag[160] = "<none>";
			if (nt)
				split_tag(
				    json_object_get_string(json_object_array_get_idx(tags, t)),
				    repo, sizeof(repo), tag, sizeof(tag));
			if (filter && strcmp(filter, repo) != 0) {
				char full[700];
				snprintf(full, sizeof(full), "%s:%s", repo, tag);
				if (strcmp(filter, full) != 0)
					continue;
			}
			const char *dg = "<none>";
			for (size_t k = 0;
			     (digests || format) && rds && k < json_object_array_length(rds); k++) {
				const char *rd =
				    json_object_get_string(json_object_array_get_idx(rds, k));
				size_t rl = strlen(repo);
				if (strncmp(rd, repo, rl) == 0 && rd[rl] == '@')
					dg = rd + rl + 1;
			}
			if (format) {
				_cleanup_json_ json_object *f =
				    image_fields(repo, tag, dg, shortid, created, ago, sz);
				if (listing_row(&out, f) != 0)
					return 1;
				continue;
			}
			printf("%-40s %-15s ", repo, tag);
			if (digests)
				printf("%-73s ", dg);
			printf("%-15s %-16s %s\n", shortid, ago, sz);
		}
	}
	listing_end(&out);
	return 0;
}

int cmd_rmi(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"no-prune", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h') {
			printf("Usage: hutch rmi [OPTIONS] IMAGE [IMAGE...]\n\n"
			       "Remove images (untag, then delete what no name uses).\n\nOptions:\n"
			       "  -f, --force   remove an image id used by several names\n");
			return 0;
		} else if (c != 'n')
			return 2;
	}
	if (optind >= argc)
		return usage_error("rmi", "hutch rmi [OPTIONS] IMAGE [IMAGE...]");
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *name = client_escape(argv[i]);
		char path[4096];
		snprintf(path, sizeof(path), "/images/%s?force=%d", name, force ? 1 : 0);
		hutch_error err = {0};
		_cleanup_json_ json_object *out = NULL;
		if (client_json("DELETE", path, &out, &err) < 0) {
			cli_fail(&err);
			rc = 1;
			continue;
		}
		for (size_t k = 0; out && k < json_object_array_length(out); k++) {
			json_object *e = json_object_array_get_idx(out, k);
			json_object_object_foreach(e, key, val)
			    printf("%s: %s\n", key, json_object_get_string(val));
		}
	}
	return rc;
}

int cmd_tag(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("Usage: hutch tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
		       "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.\n");
		return 0;
	}
	if (argc != 3)
		return usage_error("tag", "hutch tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]");
	char repo[1024], tag[256];
	split_tag(argv[2], repo, sizeof(repo), tag, sizeof(tag));
	if (strcmp(tag, "<none>") == 0)
		snprintf(tag, sizeof(tag), "latest");
	_cleanup_free_ char *src = client_escape(argv[1]);
	_cleanup_free_ char *r = client_escape(repo);
	_cleanup_free_ char *t = client_escape(tag);
	char path[4096];
	snprintf(path, sizeof(path), "/images/%s/tag?repo=%s&tag=%s", src, r, t);
	hutch_error err = {0};
	if (client_json("POST", path, NULL, &err) < 0)
		return cli_fail(&err);
	return 0;
}

struct load_ctx {
	bool quiet;
	char error[4096];
};

static int load_line(void *ctx, const char *line, size_t len)
{
	struct load_ctx *l = ctx;
	_cleanup_json_ json_object *o = NULL;
	if (json_parse_buffer(line, len, "reply", &o, NULL) < 0)
		return 0;
	const char *s = NULL, *m = NULL;
	json_get_string(o, "", "stream", false, &s, NULL);
	json_get_string(o, "", "message", false, &m, NULL);
	if (m == NULL)
		json_get_string(o, "", "error", false, &m, NULL);
	if (m != NULL) {
		snprintf(l->error, sizeof(l->error), "%s", m);
		return -1;
	}
	if (s != NULL && !l->quiet)
		fputs(s, stdout);
	return 0;
}

int cmd_load(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"input", required_argument, NULL, 'i'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *input = NULL;
	struct load_ctx l = {0};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "i:qh", longopts, NULL)) != -1) {
		if (c == 'i')
			input = optarg;
		else if (c == 'q')
			l.quiet = true;
		else if (c == 'h') {
			printf("Usage: hutch load [OPTIONS]\n\n"
			       "Load images from a tar archive (docker save or OCI layout),\n"
			       "plain or compressed, from a file or stdin.\n\nOptions:\n"
			       "  -i, --input FILE   read from FILE instead of stdin\n"
			       "  -q, --quiet        print nothing on success\n");
			return 0;
		} else
			return 2;
	}
	FILE *f = stdin;
	if (input && (f = fopen(input, "re")) == NULL) {
		fprintf(stderr, "open %s: %s\n", input, strerror(errno));
		return 1;
	}
	if (input == NULL && isatty(STDIN_FILENO)) {
		fprintf(stderr, "requested load from stdin, but stdin is empty\n");
		return 1;
	}
	/* The daemon must be up before we stream stdin at it. */
	hutch_error err = {0};
	if (client_json("GET", "/_ping", NULL, &err) < 0) {
		if (f != stdin)
			fclose(f);
		return cli_fail(&err);
	}
	struct client_request req = {.method = "POST",
				     .path = "/images/load?quiet=0",
				     .upload = f,
				     .content_type = "application/x-tar",
				     .on_line = load_line,
				     .ctx = &l};
	long status = 0;
	int rc = client_call(&req, &status, NULL, &err);
	if (f != stdin)
		fclose(f);
	if (rc == -1)
		return cli_fail(&err);
	if (l.error[0] || status >= 400) {
		fprintf(stderr, "Error response from daemon: %s\n",
			l.error[0] ? l.error : "load failed");
		return 1;
	}
	return 0;
}

int cmd_save(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *output = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		if (c == 'o')
			output = optarg;
		else if (c == 'h') {
			printf("Usage: hutch save [OPTIONS] IMAGE [IMAGE...]\n\n"
			       "Write images to a tar archive (OCI layout with docker's "
			       "manifest.json).\n\nOptions:\n"
			       "  -o, --output FILE   write to FILE instead of stdout\n");
			return 0;
		} else
			return 2;
	}
	if (optind >= argc)
		return usage_error("save", "hutch save [OPTIONS] IMAGE [IMAGE...]");
	if (output == NULL && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "cowardly refusing to save to a terminal: use -o or redirect\n");
		return 1;
	}
	char path[8192] = "/images/get?";
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *n = client_escape(argv[i]);
		size_t l = strlen(path);
		snprintf(path + l, sizeof(path) - l, "%snames=%s", i > optind ? "&" : "", n);
	}
	char tmp[4200] = "";
	FILE *f = stdout;
	if (output) {
		/* Write next to the target and rename, so a failed save never
		 * leaves a truncated archive under the requested name. */
		snprintf(tmp, sizeof(tmp), "%s.hutch-tmp-%d", output, (int)getpid());
		f = fopen(tmp, "we");
		if (f == NULL) {
			fprintf(stderr, "open %s: %s\n", tmp, strerror(errno));
			return 1;
		}
	}
	/* Errors arrive as JSON before any tar data; peek with a probe. */
	hutch_error err = {0};
	_cleanup_free_ char *probe = NULL;
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *n = client_escape(argv[i]);
		char ipath[4096];
		snprintf(ipath, sizeof(ipath), "/images/%s/json", n);
		if (client_json("GET", ipath, NULL, &err) < 0) {
			if (output) {
				fclose(f);
				unlink(tmp);
			}
			return cli_fail(&err);
		}
	}
	struct client_request req = {.method = "GET", .path = path, .sink = f};
	long status = 0;
	int rc = client_call(&req, &status, NULL, &err);
	if (fflush(f) != 0 && rc == 0)
		rc = hutch_fail(&err, errno, "write");
	if (output) {
		if (fclose(f) != 0 && rc == 0)
			rc = hutch_fail(&err, errno, "write %s", tmp);
		if (rc == 0 && status == 200 && rename(tmp, output) < 0)
			rc = hutch_fail(&err, errno, "rename %s", tmp);
		if (rc != 0 || status != 200)
			unlink(tmp);
	}
	if (rc < 0)
		return cli_fail(&err);
	if (status != 200) {
		fprintf(stderr, "Error response from daemon: save failed (HTTP %ld)\n", status);
		return 1;
	}
	return 0;
}

int prune_images(bool all, int64_t *space)
{
	const char *path = all ? "/images/prune?filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D"
			       : "/images/prune";
	hutch_error err = {0};
	_cleanup_json_ json_object *out = NULL;
	if (client_json("POST", path, &out, &err) < 0)
		return cli_fail(&err), -1;
	json_object *deleted = NULL;
	json_object_object_get_ex(out, "ImagesDeleted", &deleted);
	if (json_object_is_type(deleted, json_type_array) && json_object_array_length(deleted)) {
		printf("Deleted Images:\n");
		for (size_t k = 0; k < json_object_array_length(deleted); k++) {
			json_object *e = json_object_array_get_idx(deleted, k);
			json_object_object_foreach(e, key, val) printf(
			    "%s: %s\n", strcmp(key, "Untagged") == 0 ? "untagged" : "deleted",
			    json_object_get_string(val));
		}
		printf("\n");
	}
	int64_t reclaimed = 0;
	json_get_int64(out, "", "SpaceReclaimed", false, &reclaimed, NULL);
	*space += reclaimed;
	return 0;
}

int cmd_image_prune(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool all = false, force = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "afh", longopts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'f')
			force = true;
		else if (c == 'h') {
			printf("Usage: hutch image prune [OPTIONS]\n\n"
			       "Remove blobs and snapshots no image uses.\n\nOptions:\n"
			       "  -a, --all     also remove every image not used by a container\n"
			       "  -f, --force   do not ask for confirmation\n");
			return 0;
		} else
			return 2;
	}
	if (!force) {
		int yes = confirm(all ? "WARNING! This will remove all images without at least one "
					"container associated to them."
				      : "WARNING! This will remove all unused image data.");
		if (yes <= 0)
			return yes < 0;
	}
	int64_t space = 0;
	if (prune_images(all, &space) < 0)
		return 1;
	char sz[32];
	format_size(space, sz, sizeof(sz));
	printf("Total reclaimed space: %s\n", sz);
	return 0;
}
