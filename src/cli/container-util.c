/* Helpers shared by the container commands (see container-util.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "container-util.h"
#include "json-util.h"
#include "template.h"

void container_path(char *out, size_t size, const char *name, const char *suffix)
{
	_cleanup_free_ char *e = client_escape(name);
	snprintf(out, size, "/containers/%s%s", e ? e : "", suffix);
}

int container_inspect(const char *name, json_object **out, hutch_error *err)
{
	char path[1024];
	container_path(path, sizeof(path), name, "/json");
	return client_json("GET", path, out, err);
}

int usage_fail(const char *cmd, const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		fputs("hutch: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	fprintf(stderr, "See 'hutch %s --help'.\n", cmd);
	return 2;
}

int confirm(const char *msg)
{
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "not a terminal: give -f to prune without confirmation\n");
		return -1;
	}
	printf("%s\nAre you sure you want to continue? [y/N] ", msg);
	fflush(stdout);
	char ans[16] = "";
	return fgets(ans, sizeof(ans), stdin) != NULL && (ans[0] == 'y' || ans[0] == 'Y');
}

int prune_containers(int64_t *space)
{
	return prune_and_list("/containers/prune", "ContainersDeleted", "Containers", space);
}

int prune_and_list(const char *path, const char *list_key, const char *title, int64_t *space)
{
	hutch_error err = {0};
	_cleanup_json_ json_object *o = NULL;
	if (client_json("POST", path, &o, &err) < 0) {
		cli_fail(&err);
		return -1;
	}
	json_object *deleted = NULL;
	json_object_object_get_ex(o, list_key, &deleted);
	size_t n =
	    json_object_is_type(deleted, json_type_array) ? json_object_array_length(deleted) : 0;
	if (n > 0) {
		printf("Deleted %s:\n", title);
		for (size_t i = 0; i < n; i++)
			printf("%s\n",
			       json_object_get_string(json_object_array_get_idx(deleted, i)));
		printf("\n");
	}
	int64_t reclaimed = 0;
	json_get_int64(o, "", "SpaceReclaimed", false, &reclaimed, NULL);
	*space += reclaimed;
	return 0;
}

void human_duration(int64_t s, char *out, size_t size)
{
	int64_t minutes = s / 60, hours = (s + 1800) / 3600;
	if (s < 1)
		snprintf(out, size, "Less than a second");
	else if (s == 1)
		snprintf(out, size, "1 second");
	else if (s < 60)
		snprintf(out, size, "%lld seconds", (long long)s);
	else if (minutes == 1)
		snprintf(out, size, "About a minute");
	else if (minutes < 60)
		snprintf(out, size, "%lld minutes", (long long)minutes);
	else if (hours == 1)
		snprintf(out, size, "About an hour");
	else if (hours < 48)
		snprintf(out, size, "%lld hours", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(out, size, "%lld days", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(out, size, "%lld weeks", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(out, size, "%lld months", (long long)(hours / 24 / 30));
	else
		snprintf(out, size, "%lld years", (long long)(hours / 24 / 365));
}

int64_t parse_rfc3339(const char *s)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL || tm.tm_year < 2)
		return -1;
	if (*p == '.')
		while (*++p >= '0' && *p <= '9')
			;
	int64_t t = (int64_t)timegm(&tm);
	if (*p == '+' || *p == '-') {
		int hh = 0, mm = 0;
		if (sscanf(p + 1, "%d:%d", &hh, &mm) >= 1)
			t -= (*p == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
	}
	return t;
}

struct table {
	size_t minwidth, padding;
	char ***rows; /* each row a NULL-terminated list of cells */
	size_t nrows, cap;
	char **cur;
	size_t ncur;
};

struct table *table_new(size_t minwidth, size_t padding)
{
	struct table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		abort();
	t->minwidth = minwidth;
	t->padding = padding;
	return t;
}

void table_cell(struct table *t, const char *text)
{
	char **n = realloc(t->cur, (t->ncur + 2) * sizeof(*n));
	if (n == NULL || (n[t->ncur] = strdup(text ? text : "")) == NULL)
		abort();
	n[++t->ncur] = NULL;
	t->cur = n;
}

void table_end_row(struct table *t)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->rows = realloc(t->rows, t->cap * sizeof(*t->rows));
		if (t->rows == NULL)
			abort();
	}
	if (t->cur == NULL)
		t->cur = calloc(1, sizeof(char *));
	t->rows[t->nrows++] = t->cur;
	t->cur = NULL;
	t->ncur = 0;
}

/* Width in characters, not bytes ("…" is one). */
static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void table_print(struct table *t, FILE *out)
{
	size_t ncols = 0;
	for (size_t r = 0; r < t->nrows; r++) {
		size_t n = 0;
		while (t->rows[r][n])
			n++;
		if (n > ncols)
			ncols = n;
	}
	_cleanup_free_ size_t *width = calloc(ncols + 1, sizeof(*width));
	if (width == NULL)
		return;
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; t->rows[r][c]; c++) {
			size_t w = text_width(t->rows[r][c]) + t->padding;
			if (w < t->minwidth)
				w = t->minwidth;
			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; t->rows[r][c]; c++) {
			const char *cell = t->rows[r][c];
			fputs(cell, out);
			/* The last cell of a row is not a column: no padding. */
			if (t->rows[r][c + 1])
				fprintf(out, "%*s", (int)(width[c] - text_width(cell)), "");
		}
		fputc('\n', out);
	}
}

void table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t r = 0; r < t->nrows; r++)
		strv_free(t->rows[r]);
	free(t->rows);
	strv_free(t->cur);
	free(t);
}

int table_add_template_row(struct table *t, const char *tmpl, json_object *data, bool header,
			   hutch_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (m == NULL)
		return hutch_fail(err, errno, "template");
	hutch_error header_err = {0};
	int rc = header ? template_render_header(tmpl, data, m, &header_err)
			: template_render(tmpl, data, m, err);
	fclose(m);
	if (rc < 0 && !header)
		return -1;
	/* strsep keeps empty cells (an empty PORTS column). */
	char *rest = buf, *c;
	while ((c = strsep(&rest, "\t")) != NULL)
		table_cell(t, c);
	table_end_row(t);
	return 0;
}

int filter_add(json_object *filters, const char *spec)
{
	const char *eq = strchr(spec, '=');
	if (eq == NULL || eq == spec)
		return -1;
	char key[128];
	snprintf(key, sizeof(key), "%.*s", (int)(eq - spec), spec);
	json_object *list = NULL;
	if (!json_object_object_get_ex(filters, key, &list)) {
		list = json_object_new_array();
		json_object_object_add(filters, key, list);
	}
	json_object_array_add(list, json_object_new_string(eq + 1));
	return 0;
}
