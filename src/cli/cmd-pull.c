/* hutch pull: POST /images/create and the progress it streams. On a
 * terminal every layer gets a line that is redrawn in place (docker's
 * view); otherwise each state change is printed once, so logs stay short. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "json-util.h"

#define MAX_LINES 256

struct progress {
	FILE *out;
	bool tty;
	bool quiet;
	size_t n;
	char ids[MAX_LINES][80];
	char text[MAX_LINES][200];
	size_t drawn;
	char error[4096];
};

static size_t line_for(struct progress *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->ids[i], id) == 0)
			return i;
	if (p->n == MAX_LINES)
		return MAX_LINES - 1;
	snprintf(p->ids[p->n], sizeof(p->ids[0]), "%s", id);
	p->text[p->n][0] = '\0';
	return p->n++;
}

static void redraw(struct progress *p)
{
	/* Back to the first layer line, then rewrite all of them. */
	if (p->drawn > 0)
		fprintf(p->out, "\033[%zuA", p->drawn);
	for (size_t i = 0; i < p->n; i++)
		fprintf(p->out, "\033[2K\r%s: %s\n", p->ids[i], p->text[i]);
	p->drawn = p->n;
	fflush(p->out);
}

static void bar(char *out, size_t size, int64_t cur, int64_t total, const char *status)
{
	char a[32], b[32];
	format_size(cur, a, sizeof(a));
	if (total <= 0) {
		snprintf(out, size, "%s %s", status, a);
		return;
	}
	format_size(total, b, sizeof(b));
	char fill[41];
	int n = (int)(cur * 40 / total);
	for (int i = 0; i < 40; i++)
		fill[i] = i < n ? '=' : (i == n ? '>' : ' ');
	fill[40] = '\0';
	snprintf(out, size, "%-18s [%s] %s/%s", status, fill, a, b);
}

static int on_line(void *ctx, const char *line, size_t len)
{
	struct progress *p = ctx;
	_cleanup_json_ json_object *o = NULL;
	if (json_parse_buffer(line, len, "progress", &o, NULL) < 0)
		return 0;
	const char *error = NULL, *status = NULL, *id = NULL;
	json_get_string(o, "", "error", false, &error, NULL);
	if (error == NULL) /* an error reply before the stream: {"message"} */
		json_get_string(o, "", "message", false, &error, NULL);
	if (error != NULL) {
		snprintf(p->error, sizeof(p->error), "%s", error);
		return -1;
	}
	json_get_string(o, "", "status", false, &status, NULL);
	json_get_string(o, "", "id", false, &id, NULL);
	if (status == NULL || p->quiet)
		return 0;
	json_object *pd = NULL;
	int64_t cur = 0, total = 0;
	if (json_object_object_get_ex(o, "progressDetail", &pd)) {
		json_get_int64(pd, "", "current", false, &cur, NULL);
		json_get_int64(pd, "", "total", false, &total, NULL);
	}
	bool is_layer = id != NULL && strncmp(status, "Pulling from", 12) != 0;
	if (!is_layer) {
		if (p->tty)
			p->drawn = 0; /* keep what is drawn; go on below it */
		if (id != NULL)
			fprintf(p->out, "%s: %s\n", id, status);
		else
			fprintf(p->out, "%s\n", status);
		fflush(p->out);
		return 0;
	}
	size_t i = line_for(p, id);
	char text[200];
	if (cur > 0 || total > 0)
		bar(text, sizeof(text), cur, total, status);
	else
		snprintf(text, sizeof(text), "%s", status);
	if (p->tty) {
		snprintf(p->text[i], sizeof(p->text[0]), "%s", text);
		redraw(p);
		return 0;
	}
	/* Not a terminal: one line per state, not per chunk. */
	if (strcmp(p->text[i], status) != 0) {
		snprintf(p->text[i], sizeof(p->text[0]), "%s", status);
		fprintf(p->out, "%s: %s\n", id, status);
		fflush(p->out);
	}
	return 0;
}

int pull_image(const char *ref, const char *platform, FILE *out, bool quiet)
{
	struct progress *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	p->out = out;
	p->quiet = quiet;
	p->tty = isatty(fileno(out));
	_cleanup_free_ char *eref = client_escape(ref);
	_cleanup_free_ char *plat = platform ? client_escape(platform) : NULL;
	char path[4096];
	snprintf(path, sizeof(path), "/images/create?fromImage=%s%s%s", eref,
		 plat ? "&platform=" : "", plat ? plat : "");
	struct client_request req = {.method = "POST", .path = path, .on_line = on_line, .ctx = p};
	long status = 0;
	hutch_error err = {0};
	int rc = client_call(&req, &status, NULL, &err);
	if (rc == -1)
		rc = cli_fail(&err);
	else if (status >= 400)
		rc = fprintf(stderr, "Error response from daemon: %s\n",
			     p->error[0] ? p->error : "unknown error") > 0;
	else if (p->error[0])
		rc = fprintf(stderr, "%s\n", p->error) > 0;
	else
		rc = 0;
	free(p);
	return rc;
}

int cmd_pull(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"platform", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool quiet = false;
	const char *platform = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'p':
			platform = optarg;
			break;
		case 'h':
			printf("Usage: hutch pull [OPTIONS] NAME[:TAG|@DIGEST]\n\n"
			       "Download an image from a registry.\n\n"
			       "Options:\n"
			       "      --platform OS/ARCH[/VARIANT]  pick this platform from a "
			       "multi-platform image\n"
			       "  -q, --quiet                       print only the image name\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "\"hutch pull\" requires exactly 1 argument\n"
				"Usage: hutch pull [OPTIONS] NAME[:TAG|@DIGEST]\n");
		return 2;
	}
	int rc = pull_image(argv[optind], platform, stdout, quiet);
	if (rc == 0 && quiet)
		printf("%s\n", argv[optind]);
	return rc;
}
