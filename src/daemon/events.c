/* Docker events: a ring of the last EVENTS_KEPT events (for `since`) and
 * GET /events, which replays the ring and then streams new events as
 * JSON lines until the client goes away or `until` is reached.
 *
 * Events are kept as their finished JSON line plus the fields filters
 * look at. Every event has a sequence number; a subscriber remembers the
 * next one it wants and waits on a condition variable, so emitting never
 * blocks on a slow client (one that falls more than the ring behind
 * loses the oldest events, as with Docker). */
#include "events.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cleanup.h"
#include "json-util.h"
#include "log.h"
#include "timefmt.h"

#define EVENTS_KEPT 1024

struct event {
	char *line; /* the JSON line, '\n' included */
	size_t len;
	int64_t time_nano;
	json_object *fields; /* {type, action, id, attributes} for filters */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct event ring[EVENTS_KEPT];
	uint64_t next; /* sequence number of the next event */
} events = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {{0}}, 0};

void events_emit(struct hutchd *d, const char *type, const char *action, const char *id,
		 json_object *attributes)
{
	(void)d;
	if (attributes == NULL)
		attributes = json_object_new_object();
	int64_t t = time_now_ns();
	json_object *o = json_object_new_object();
	/* The fields from before API 1.22 are still read by old clients. */
	if (strcmp(type, "container") == 0) {
		json_object *image = NULL;
		json_object_object_get_ex(attributes, "image", &image);
		json_object_object_add(o, "status", json_object_new_string(action));
		json_object_object_add(o, "id", json_object_new_string(id));
		if (image != NULL)
			json_object_object_add(o, "from", json_object_get(image));
	} else if (strcmp(type, "image") == 0) {
		json_object_object_add(o, "status", json_object_new_string(action));
		json_object_object_add(o, "id", json_object_new_string(id));
	}
	json_object_object_add(o, "Type", json_object_new_string(type));
	json_object_object_add(o, "Action", json_object_new_string(action));
	json_object *actor = json_object_new_object();
	json_object_object_add(actor, "ID", json_object_new_string(id));
	json_object_object_add(actor, "Attributes", json_object_get(attributes));
	json_object_object_add(o, "Actor", actor);
	json_object_object_add(o, "scope", json_object_new_string("local"));
	json_object_object_add(o, "time", json_object_new_int64(t / 1000000000));
	json_object_object_add(o, "timeNano", json_object_new_int64(t));
	size_t len = 0;
	const char *s = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char *line = malloc(len + 2);
	json_object *fields = json_object_new_object();
	if (line == NULL || fields == NULL) {
		free(line);
		json_object_put(fields);
		json_object_put(o);
		json_object_put(attributes);
		return;
	}
	memcpy(line, s, len);
	line[len++] = '\n';
	line[len] = '\0';
	json_object_put(o);
	json_object_object_add(fields, "type", json_object_new_string(type));
	json_object_object_add(fields, "action", json_object_new_string(action));
	json_object_object_add(fields, "id", json_object_new_string(id));
	json_object_object_add(fields, "attributes", attributes);

	pthread_mutex_lock(&events.lock);
	struct event *e = &events.ring[events.next % EVENTS_KEPT];
	free(e->line);
	json_object_put(e->fields);
	e->line = line;
	e->len = len;
	e->time_nano = t;
	e->fields = fields;
	events.next++;
	pthread_cond_broadcast(&events.cond);
	pthread_mutex_unlock(&events.lock);
	log_debug("event %s %s %.12s", type, action, id);
}

void events_emit_prune(struct hutchd *d, const char *type, int64_t reclaimed)
{
	json_object *a = json_object_new_object();
	char num[32];
	snprintf(num, sizeof(num), "%lld", (long long)reclaimed);
	json_object_object_add(a, "reclaimed", json_object_new_string(num));
	events_emit(d, type, "prune", "", a);
}

/* ------------------------------------------------------------- filters */

/* Docker's filters: {"key":["v1","v2"]} (or the older {"key":{"v1":true}});
 * values of one key are alternatives, different keys must all match. */
static const char *const filter_keys[] = {"type",  "event",   "container", "image",  "label",
					  "scope", "daemon",  "network",   "volume", "plugin",
					  "node",  "service", "secret",	   "config", NULL};

static int filters_parse(const char *s, json_object **out, hutch_error *err)
{
	*out = NULL;
	if (s == NULL || s[0] == '\0')
		return 0;
	_cleanup_json_ json_object *in = NULL;
	if (json_parse_buffer(s, strlen(s), "filters", &in, err) < 0)
		return -1;
	if (!json_object_is_type(in, json_type_object))
		return hutch_fail_plain(err, EINVAL, "filters: expected a JSON object");
	json_object *norm = json_object_new_object();
	json_object_object_foreach(in, key, val)
	{
		bool known = false;
		for (const char *const *k = filter_keys; *k != NULL; k++)
			known = known || strcmp(*k, key) == 0;
		if (!known) {
			json_object_put(norm);
			return hutch_fail_plain(err, EINVAL, "invalid filter '%s'", key);
		}
		json_object *vals = json_object_new_array();
		json_object_object_add(norm, key, vals);
		if (json_object_is_type(val, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(val); i++) {
				json_object *v = json_object_array_get_idx(val, i);
				if (!json_object_is_type(v, json_type_string)) {
					json_object_put(norm);
					return hutch_fail_plain(
					    err, EINVAL, "filters.%s: expected strings", key);
				}
				json_object_array_add(vals, json_object_get(v));
			}
		} else if (json_object_is_type(val, json_type_object)) {
			json_object_object_foreach(val, name, on)
			{
				if (json_object_get_boolean(on))
					json_object_array_add(vals, json_object_new_string(name));
			}
		} else {
			json_object_put(norm);
			return hutch_fail_plain(err, EINVAL, "filters.%s: expected a list", key);
		}
	}
	*out = norm;
	return 0;
}

static const char *field(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* "busybox" matches "busybox:latest"; a name with a tag matches exactly. */
static bool image_matches(const char *want, const char *have)
{
	if (have == NULL)
		return false;
	if (strcmp(want, have) == 0)
		return true;
	size_t wl = strlen(want);
	return strchr(want, ':') == NULL && strncmp(have, want, wl) == 0 && have[wl] == ':' &&
	       strchr(have + wl + 1, '/') == NULL;
}

static bool value_matches(const char *key, const char *want, json_object *ev)
{
	json_object *attrs = NULL;
	json_object_object_get_ex(ev, "attributes", &attrs);
	const char *type = field(ev, "type"), *id = field(ev, "id");
	if (strcmp(key, "type") == 0)
		return strcmp(want, type) == 0;
	if (strcmp(key, "event") == 0)
		return strcmp(want, field(ev, "action")) == 0 ||
		       /* "exec_start: sh" is matched by "exec_start" */
		       (strncmp(field(ev, "action"), want, strlen(want)) == 0 &&
			field(ev, "action")[strlen(want)] == ':');
	if (strcmp(key, "container") == 0) {
		if (strcmp(type, "container") != 0)
			return false;
		const char *name = field(attrs, "name");
		return (name != NULL && strcmp(want, name) == 0) ||
		       (want[0] != '\0' && strncmp(id, want, strlen(want)) == 0);
	}
	if (strcmp(key, "image") == 0) {
		if (strcmp(type, "image") == 0)
			return image_matches(want, id) || image_matches(want, field(attrs, "name"));
		return image_matches(want, field(attrs, "image"));
	}
	if (strcmp(key, "label") == 0) {
		char k[512];
		snprintf(k, sizeof(k), "%s", want);
		char *eq = strchr(k, '=');
		if (eq != NULL)
			*eq = '\0';
		const char *v = field(attrs, k);
		return v != NULL && (eq == NULL || strcmp(v, eq + 1) == 0);
	}
	if (strcmp(key, "volume") == 0)
		return strcmp(type, "volume") == 0 && strcmp(want, id) == 0;
	if (strcmp(key, "scope") == 0)
		return strcmp(want, "local") == 0;
	/* Objects hutch has no events for. */
	return false;
}

static bool event_matches(json_object *filters, json_object *ev)
{
	if (filters == NULL)
		return true;
	json_object_object_foreach(filters, key, vals)
	{
		size_t n = json_object_array_length(vals);
		if (n == 0)
			continue;
		bool any = false;
		for (size_t i = 0; i < n && !any; i++)
			any = value_matches(
			    key, json_object_get_string(json_object_array_get_idx(vals, i)), ev);
		if (!any)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ GET /events */

struct subscriber {
	struct hutchd *d;
	int conn_fd;
	json_object *filters;
	int64_t since, until;
	uint64_t next; /* sequence number of the next event to look at */
};

static void subscriber_free(void *cls)
{
	struct subscriber *s = cls;
	json_object_put(s->filters);
	free(s);
}

static bool client_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Copy the matching events from the ring into buf (whole lines only). */
static size_t take_events(struct subscriber *s, char *buf, size_t max)
{
	size_t used = 0;
	if (events.next - s->next > EVENTS_KEPT)
		s->next = events.next - EVENTS_KEPT;
	while (s->next < events.next) {
		struct event *e = &events.ring[s->next % EVENTS_KEPT];
		bool wanted = e->time_nano >= s->since &&
			      (s->until == 0 || e->time_nano <= s->until) &&
			      event_matches(s->filters, e->fields);
		if (wanted && used + e->len > max)
			break;
		if (wanted) {
			memcpy(buf + used, e->line, e->len);
			used += e->len;
		}
		s->next++;
	}
	return used;
}

static ssize_t events_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct subscriber *s = cls;
	pthread_mutex_lock(&events.lock);
	for (;;) {
		size_t n = take_events(s, buf, max);
		if (n > 0) {
			pthread_mutex_unlock(&events.lock);
			return (ssize_t)n;
		}
		int64_t now = time_now_ns();
		if (s->d->stopping || (s->until != 0 && now >= s->until)) {
			pthread_mutex_unlock(&events.lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		/* Wake up now and then to notice a client that went away. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t wake = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + 500000000;
		if (s->until != 0 && s->until < wake)
			wake = s->until;
		ts.tv_sec = wake / 1000000000;
		ts.tv_nsec = wake % 1000000000;
		pthread_cond_timedwait(&events.cond, &events.lock, &ts);
		if (client_gone(s->conn_fd)) {
			pthread_mutex_unlock(&events.lock);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
}

enum MHD_Result api_events(struct request *r)
{
	if (strcmp(r->method, "GET") != 0)
		return reply_error(r, 405, "method %s not allowed on /events", r->method);
	hutch_error err = {0};
	struct subscriber *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return MHD_NO;
	s->d = r->d;
	if (parse_unix_timestamp(query_arg(r, "since"), "since", &s->since, &err) < 0 ||
	    parse_unix_timestamp(query_arg(r, "until"), "until", &s->until, &err) < 0 ||
	    filters_parse(query_arg(r, "filters"), &s->filters, &err) < 0) {
		subscriber_free(s);
		return reply_hutch_error(r, &err);
	}
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	s->conn_fd = ci != NULL ? ci->connect_fd : -1;
	pthread_mutex_lock(&events.lock);
	/* Without since or until only new events are sent; with either, the
	 * kept ones from since (or all) up to until come first. */
	uint64_t oldest = events.next > EVENTS_KEPT ? events.next - EVENTS_KEPT : 0;
	s->next = s->since != 0 || s->until != 0 ? oldest : events.next;
	pthread_mutex_unlock(&events.lock);
	return reply_callback(r, "application/json", events_read, s, subscriber_free, NULL, NULL);
}
