/* Containers as a set: GET /containers/json with Docker's filters, POST
 * /containers/prune, GET /containers/{id}/top and GET /system/df. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api-containers.h"
#include "api-filters.h"
#include "cleanup.h"
#include "containers.h"
#include "ctr-internal.h"
#include "events.h"
#include "file-util.h"
#include "images.h"
#include "json-util.h"
#include "log.h"

extern char **environ;

/* --------------------------------------------------------------- filters */

static json_object *record_labels(struct ctr *c)
{
	json_object *cfg, *labels;
	if (json_object_object_get_ex(c->record, "Config", &cfg) &&
	    json_object_object_get_ex(cfg, "Labels", &labels) &&
	    json_object_is_type(labels, json_type_object))
		return labels;
	return NULL;
}

/* Every label filter must match (Docker ANDs labels). */
static bool labels_match(struct ctr *c, json_object *filters, const char *key, bool negate)
{
	return api_labels_match(record_labels(c), filters, key, negate);
}

static const char *const statuses[] = {"created", "restarting", "running", "removing",
				       "paused",  "exited",	"dead",	   NULL};

static int check_api_filter_values(json_object *filters, hutch_error *err)
{
	json_object *list = api_filter_values(filters, "status");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		bool ok = false;
		for (const char *const *s = statuses; *s; s++)
			ok = ok || strcmp(*s, api_filter_value(list, i)) == 0;
		if (!ok)
			return hutch_fail_plain(err, EINVAL, "Invalid filter 'status=%s'",
						api_filter_value(list, i));
	}
	list = api_filter_values(filters, "name");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		regex_t re;
		if (regcomp(&re, api_filter_value(list, i), REG_EXTENDED | REG_NOSUB) != 0)
			return hutch_fail_plain(err, EINVAL, "invalid filter 'name=%s': bad regexp",
						api_filter_value(list, i));
		regfree(&re);
	}
	list = api_filter_values(filters, "exited");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		char *end;
		strtol(api_filter_value(list, i), &end, 10);
		if (api_filter_value(list, i)[0] == '\0' || *end != '\0')
			return hutch_fail_plain(err, EINVAL, "invalid filter 'exited=%s'",
						api_filter_value(list, i));
	}
	return 0;
}

static bool any_matches(json_object *list,
			bool (*fn)(struct hutchd *d, struct ctr *c, const char *v),
			struct hutchd *d, struct ctr *c)
{
	if (list == NULL)
		return true;
	for (size_t i = 0; i < json_object_array_length(list); i++)
		if (fn(d, c, api_filter_value(list, i)))
			return true;
	return false;
}

static bool match_id(struct hutchd *d, struct ctr *c, const char *v)
{
	(void)d;
	return strncmp(c->id, v, strlen(v)) == 0;
}

static bool match_name(struct hutchd *d, struct ctr *c, const char *v)
{
	(void)d;
	regex_t re;
	if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	char slashed[300];
	snprintf(slashed, sizeof(slashed), "/%s", c->name);
	bool m = regexec(&re, slashed, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

static bool match_status(struct hutchd *d, struct ctr *c, const char *v)
{
	(void)d;
	return strcmp(ctr_status_name(c->status), v) == 0;
}

static bool match_exited(struct hutchd *d, struct ctr *c, const char *v)
{
	(void)d;
	json_object *code;
	return c->status == CTR_EXITED && json_object_object_get_ex(c->state, "ExitCode", &code) &&
	       json_object_get_int(code) == atoi(v);
}

/* The image as given at create, or the image that name means now. */
static bool match_ancestor(struct hutchd *d, struct ctr *c, const char *v)
{
	json_object *cfg, *img;
	if (json_object_object_get_ex(c->record, "Config", &cfg) &&
	    json_object_object_get_ex(cfg, "Image", &img) &&
	    strcmp(json_object_get_string(img), v) == 0)
		return true;
	struct store_image e;
	bool by_id;
	if (image_lookup(d->store, v, &e, &by_id, NULL) < 0)
		return false;
	struct store_image_info info;
	if (store_image_info_load(d->store, e.manifest, &info, NULL) < 0)
		return false;
	bool m = json_object_object_get_ex(c->record, "Image", &img) &&
		 strcmp(json_object_get_string(img), info.config) == 0;
	store_image_info_free(&info);
	return m;
}

static const char *created_of(struct ctr *c)
{
	json_object *v;
	return json_object_object_get_ex(c->record, "Created", &v) ? json_object_get_string(v) : "";
}

/* before=/since=: the Created time of the container a filter names, or
 * NULL when the filter is absent. */
static int filter_anchor(struct hutchd *d, json_object *f, const char *key, char *out, size_t size,
			 hutch_error *err)
{
	json_object *list = api_filter_values(f, key);
	out[0] = '\0';
	if (list == NULL)
		return 0;
	struct ctr *c;
	if (ctr_find(d, api_filter_value(list, 0), &c, err) < 0)
		return -1;
	ctr_lock(d);
	snprintf(out, size, "%s", created_of(c));
	ctr_unlock(d);
	ctr_put(c);
	return 0;
}

static bool list_matches(struct hutchd *d, struct ctr *c, json_object *f, const char *before,
			 const char *since)
{
	/* RFC 3339 times of one format and zone compare as strings. */
	if ((before[0] && strcmp(created_of(c), before) >= 0) ||
	    (since[0] && strcmp(created_of(c), since) <= 0))
		return false;
	return labels_match(c, f, "label", false) &&
	       any_matches(api_filter_values(f, "id"), match_id, d, c) &&
	       any_matches(api_filter_values(f, "name"), match_name, d, c) &&
	       any_matches(api_filter_values(f, "status"), match_status, d, c) &&
	       any_matches(api_filter_values(f, "exited"), match_exited, d, c) &&
	       any_matches(api_filter_values(f, "ancestor"), match_ancestor, d, c);
}

/* ------------------------------------------------------------------ list */

static int newest_first(const void *a, const void *b)
{
	struct ctr *const *x = a, *const *y = b;
	json_object *cx, *cy;
	json_object_object_get_ex((*x)->record, "Created", &cx);
	json_object_object_get_ex((*y)->record, "Created", &cy);
	return -strcmp(json_object_get_string(cx) ?: "", json_object_get_string(cy) ?: "");
}

enum MHD_Result api_containers_list(struct request *r)
{
	static const char *const allowed[] = {"label",	  "id",	    "name",  "status", "exited",
					      "ancestor", "before", "since", NULL};
	hutch_error err = {0};
	_cleanup_json_ json_object *filters = NULL;
	long limit;
	if (api_filters_parse(r, allowed, &filters, &err) < 0 ||
	    check_api_filter_values(filters, &err) < 0 ||
	    query_int(r, "limit", -1, &limit, &err) < 0)
		return reply_error(r, 400, "%s", err.msg);
	char before[64], since[64];
	if (filter_anchor(r->d, filters, "before", before, sizeof(before), &err) < 0 ||
	    filter_anchor(r->d, filters, "since", since, sizeof(since), &err) < 0)
		return reply_hutch_error(r, &err);
	bool all = query_bool(r, "all") || limit > 0 || api_filter_values(filters, "status");
	bool size = query_bool(r, "size");
	struct ctr **cs;
	size_t n;
	if (ctr_list(r->d, &cs, &n) < 0)
		return reply_error(r, 500, "out of memory");
	qsort(cs, n, sizeof(*cs), newest_first);
	_cleanup_json_ json_object *out = json_object_new_array();
	for (size_t i = 0; i < n && (limit <= 0 || (long)json_object_array_length(out) < limit);
	     i++) {
		ctr_lock(r->d);
		bool shown = (all || cs[i]->status == CTR_RUNNING) &&
			     list_matches(r->d, cs[i], filters, before, since);
		ctr_unlock(r->d);
		if (shown)
			json_object_array_add(out, ctr_summary(r->d, cs[i], size));
	}
	ctr_put_all(cs, n);
	return reply_json(r, 200, out);
}

/* ----------------------------------------------------------------- prune */

/* Go's durations as Docker's until= takes them ("90m", "1h30m", "10s"). */
static bool parse_duration(const char *s, double *secs)
{
	double total = 0;
	const char *p = s;
	if (*p == '\0')
		return false;
	while (*p) {
		char *end;
		double v = strtod(p, &end);
		if (end == p)
			return false;
		p = end;
		double unit;
		if (strncmp(p, "ns", 2) == 0)
			unit = 1e-9, p += 2;
		else if (strncmp(p, "us", 2) == 0)
			unit = 1e-6, p += 2;
		else if (strncmp(p, "ms", 2) == 0)
			unit = 1e-3, p += 2;
		else if (*p == 's')
			unit = 1, p++;
		else if (*p == 'm')
			unit = 60, p++;
		else if (*p == 'h')
			unit = 3600, p++;
		else
			return false;
		total += v * unit;
	}
	*secs = total;
	return true;
}

/* until=: a duration back from now, unix seconds, or an RFC 3339 time. */
static int parse_until(const char *s, time_t *out, hutch_error *err)
{
	double secs;
	char *end;
	if (parse_duration(s, &secs)) {
		*out = time(NULL) - (time_t)secs;
		return 0;
	}
	long long n = strtoll(s, &end, 10);
	if (end != s && (*end == '\0' || *end == '.')) {
		*out = (time_t)n;
		return 0;
	}
	time_t t = ctr_parse_time(s);
	if (t == 0)
		return hutch_fail_plain(err, EINVAL,
					"invalid filter 'until=%s': want a duration (10m), unix "
					"seconds or an RFC 3339 time",
					s);
	*out = t;
	return 0;
}

enum MHD_Result api_containers_prune(struct request *r)
{
	static const char *const allowed[] = {"until", "label", "label!", NULL};
	hutch_error err = {0};
	_cleanup_json_ json_object *filters = NULL;
	if (api_filters_parse(r, allowed, &filters, &err) < 0)
		return reply_error(r, 400, "%s", err.msg);
	json_object *until = api_filter_values(filters, "until");
	time_t before = 0;
	if (until != NULL && parse_until(api_filter_value(until, 0), &before, &err) < 0)
		return reply_error(r, 400, "%s", err.msg);
	struct ctr **cs;
	size_t n;
	if (ctr_list(r->d, &cs, &n) < 0)
		return reply_error(r, 500, "out of memory");
	_cleanup_json_ json_object *out = json_object_new_object();
	json_object *deleted = json_object_new_array();
	json_object_object_add(out, "ContainersDeleted", deleted);
	int64_t reclaimed = 0;
	for (size_t i = 0; i < n; i++) {
		struct ctr *c = cs[i];
		ctr_lock(r->d);
		json_object *created;
		json_object_object_get_ex(c->record, "Created", &created);
		bool pick =
		    (c->status == CTR_CREATED || c->status == CTR_EXITED) && !c->starting &&
		    labels_match(c, filters, "label", false) &&
		    labels_match(c, filters, "label!", true) &&
		    (until == NULL || ctr_parse_time(json_object_get_string(created)) < before);
		ctr_unlock(r->d);
		if (!pick)
			continue;
		int64_t size = ctr_size_rw(c);
		if (ctr_remove(r->d, c, &err) < 0) {
			log_info("prune: %.12s: %s", c->id, err.msg);
			hutch_error_clear(&err);
			continue;
		}
		reclaimed += size;
		json_object_array_add(deleted, json_object_new_string(c->id));
	}
	ctr_put_all(cs, n);
	json_object_object_add(out, "SpaceReclaimed", json_object_new_int64(reclaimed));
	events_emit_prune(r->d, "container", reclaimed);
	return reply_json(r, 200, out);
}

/* ------------------------------------------------------------------- top */

/* The container's init and everything below it, from /proc. */
static size_t container_pids(pid_t init, pid_t *out, size_t max)
{
	_cleanup_closedir_ DIR *proc = opendir("/proc");
	if (proc == NULL || max == 0)
		return 0;
	size_t cap = 256, n = 0;
	_cleanup_free_ pid_t *pid = malloc(cap * sizeof(pid_t));
	_cleanup_free_ pid_t *ppid = malloc(cap * sizeof(pid_t));
	struct dirent *e;
	while (pid && ppid && (e = readdir(proc)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		_cleanup_free_ char *buf = NULL;
		size_t len;
		if (read_file_all(path, 4096, &buf, &len, NULL) < 0)
			continue;
		/* The command may hold spaces and parentheses: the fields
		 * after the last ')' are "state ppid ...". */
		char *rp = strrchr(buf, ')');
		int parent;
		char state;
		if (rp == NULL || sscanf(rp + 1, " %c %d", &state, &parent) != 2)
			continue;
		if (n == cap) {
			cap *= 2;
			pid_t *np = realloc(pid, cap * sizeof(pid_t));
			if (np)
				pid = np;
			pid_t *npp = realloc(ppid, cap * sizeof(pid_t));
			if (npp)
				ppid = npp;
			if (!np || !npp)
				break;
		}
		pid[n] = (pid_t)atoi(e->d_name);
		ppid[n] = (pid_t)parent;
		n++;
	}
	size_t found = 0;
	out[found++] = init;
	/* Breadth first: each found pid's children are appended. */
	for (size_t i = 0; i < found; i++)
		for (size_t j = 0; j < n && found < max; j++)
			if (ppid[j] == out[i])
				out[found++] = pid[j];
	return found;
}

static int run_ps(const char *ps_args, char **output, hutch_error *err)
{
	char *argv[64];
	size_t argc = 0;
	_cleanup_free_ char *copy = strdup(ps_args);
	argv[argc++] = "ps";
	char *save = NULL;
	for (char *t = strtok_r(copy, " \t", &save); t && argc < 63;
	     t = strtok_r(NULL, " \t", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return hutch_fail(err, errno, "pipe");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	pid_t pid;
	int rc = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		return hutch_fail(err, rc, "run ps");
	}
	size_t len;
	int r = read_fd_all(p[0], "ps output", 4 << 20, output, &len, err);
	close(p[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return hutch_fail_plain(err, EINVAL, "ps %s failed (exit status %d)", ps_args,
					WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

/* Splits a ps line into at most n fields, the last taking the rest. */
static json_object *split_fields(char *line, size_t n)
{
	json_object *row = json_object_new_array();
	char *p = line;
	for (size_t i = 0; i < n; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		char *end = p;
		if (i + 1 < n)
			end += strcspn(p, " \t");
		else
			end += strlen(p);
		char saved = *end;
		*end = '\0';
		json_object_array_add(row, json_object_new_string(p));
		*end = saved;
		p = end;
	}
	return row;
}

enum MHD_Result api_container_top(struct request *r, struct ctr *c)
{
	ctr_refresh(r->d, c);
	ctr_lock(r->d);
	json_object *v;
	pid_t init = c->status == CTR_RUNNING && json_object_object_get_ex(c->state, "Pid", &v)
			 ? (pid_t)json_object_get_int(v)
			 : 0;
	ctr_unlock(r->d);
	if (init <= 0)
		return reply_error(r, 409, "Container %s is not running", c->id);
	const char *ps_args = query_arg(r, "ps_args");
	if (ps_args == NULL || ps_args[0] == '\0')
		ps_args = "-ef";
	hutch_error err = {0};
	_cleanup_free_ char *output = NULL;
	if (run_ps(ps_args, &output, &err) < 0)
		return reply_error(r, 500, "%s", err.msg);
	pid_t pids[4096];
	size_t npids = container_pids(init, pids, 4096);
	char *save = NULL;
	char *header = strtok_r(output, "\n", &save);
	if (header == NULL)
		return reply_error(r, 500, "ps %s printed nothing", ps_args);
	_cleanup_json_ json_object *titles = split_fields(header, 64);
	size_t ntitles = json_object_array_length(titles), pid_col = ntitles;
	for (size_t i = 0; i < ntitles; i++)
		if (strcmp(api_filter_value(titles, i), "PID") == 0)
			pid_col = i;
	if (pid_col == ntitles)
		return reply_error(r, 500, "Couldn't find PID field in ps output");
	/* Without a rest-of-line column, split the header on its own. */
	json_object_put(titles);
	titles = split_fields(header, ntitles);
	_cleanup_json_ json_object *out = json_object_new_object();
	json_object *procs = json_object_new_array();
	for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_object *row = split_fields(line, ntitles);
		pid_t pid = json_object_array_length(row) > pid_col
				? (pid_t)atoi(api_filter_value(row, pid_col))
				: 0;
		bool ours = false;
		for (size_t i = 0; i < npids && !ours; i++)
			ours = pids[i] == pid;
		if (ours)
			json_object_array_add(procs, row);
		else
			json_object_put(row);
	}
	json_object_object_add(out, "Titles", json_object_get(titles));
	json_object_object_add(out, "Processes", procs);
	return reply_json(r, 200, out);
}

/* ------------------------------------------------------------- system df */

static json_object *df_images(struct hutchd *d, struct ctr **cs, size_t n, int64_t *layers_size)
{
	struct store *s = d->store;
	_cleanup_free_ struct store_image *all = NULL;
	size_t nimg = 0;
	json_object *out = json_object_new_array();
	*layers_size = 0;
	if (store_image_list(s, &all, &nimg) < 0)
		return out;
	_cleanup_json_ json_object *seen = json_object_new_object();
	_cleanup_json_ json_object *chains = json_object_new_object();
	for (size_t i = 0; i < nimg; i++) {
		struct store_image_info info;
		if (store_image_info_load(s, all[i].manifest, &info, NULL) < 0)
			continue;
		if (!json_object_object_get_ex(seen, info.config, NULL)) {
			json_object_object_add(seen, info.config, NULL);
			json_object *sum = image_summary(s, all, nimg, info.config, &info);
			int users = 0;
			for (size_t k = 0; k < n; k++) {
				json_object *img;
				ctr_lock(d);
				if (json_object_object_get_ex(cs[k]->record, "Image", &img) &&
				    strcmp(json_object_get_string(img), info.config) == 0)
					users++;
				ctr_unlock(d);
			}
			json_object_object_add(sum, "Containers", json_object_new_int(users));
			json_object_array_add(out, sum);
		}
		for (size_t l = 0; l < info.n_layers; l++)
			if (!json_object_object_get_ex(chains, info.chain_ids[l], NULL)) {
				json_object_object_add(chains, info.chain_ids[l], NULL);
				*layers_size += ctr_snapshot_size(s, info.chain_ids[l]);
			}
		store_image_info_free(&info);
	}
	return out;
}

enum MHD_Result api_system_df(struct request *r)
{
	struct ctr **cs;
	size_t n;
	if (ctr_list(r->d, &cs, &n) < 0)
		return reply_error(r, 500, "out of memory");
	_cleanup_json_ json_object *out = json_object_new_object();
	int64_t layers = 0;
	json_object_object_add(out, "Images", df_images(r->d, cs, n, &layers));
	json_object_object_add(out, "LayersSize", json_object_new_int64(layers));
	json_object *ctrs = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(ctrs, ctr_summary(r->d, cs[i], true));
	json_object_object_add(out, "Containers", ctrs);
	json_object_object_add(out, "Volumes", api_volumes_df(r->d));
	json_object_object_add(out, "BuildCache", json_object_new_array());
	ctr_put_all(cs, n);
	return reply_json(r, 200, out);
}
