/* Helpers the container commands share: paths, inspect, usage errors,
 * confirmation prompts, durations and aligned tables. */
#ifndef HUTCH_CLI_CONTAINER_UTIL_H
#define HUTCH_CLI_CONTAINER_UTIL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* "/containers/<escaped name>SUFFIX" */
void container_path(char *out, size_t size, const char *name, const char *suffix);

/* GET /containers/NAME/json */
int container_inspect(const char *name, json_object **out, hutch_error *err);

/* Print "hutch: MSG" (when fmt is not NULL) and "See 'hutch CMD --help'.";
 * returns 2, hutch's exit status for usage errors. */
int usage_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Ask "MSG\nAre you sure you want to continue? [y/N]". 1 yes, 0 no, -1
 * when stdin is no terminal (then a message says to use -f). */
int confirm(const char *msg);

/* POST /containers/prune, printing "Deleted Containers:" and the ids;
 * adds the reclaimed bytes to *space. -1 after printing an error. */
int prune_containers(int64_t *space);
/* POST path (a prune route), printing "Deleted TITLE:" and the names in
 * the reply's list_key; adds SpaceReclaimed to *space. -1 after printing
 * an error. */
int prune_and_list(const char *path, const char *list_key, const char *title, int64_t *space);

/* --filter key=value added to filters as {"key":["value",...]}; -1 when
 * spec has no "key=". */
int filter_add(json_object *filters, const char *spec);
/* docker's HumanDuration: "Less than a second", "5 seconds", "About a
 * minute", "3 hours", "2 weeks"... */
void human_duration(int64_t seconds, char *out, size_t size);

/* RFC 3339 (with optional fraction and zone) to unix seconds; -1 when it
 * does not parse or is docker's zero time. */
int64_t parse_rfc3339(const char *s);

/* Columns padded like Go's tabwriter(minwidth, tabwidth 1, padding). */
struct table;
struct table *table_new(size_t minwidth, size_t padding);
void table_cell(struct table *t, const char *text);
void table_end_row(struct table *t);
void table_print(struct table *t, FILE *out);
/* Render a --format template for data and add it as a row, one cell per
 * tab (docker's "table ..." formats); -1 and no row when the template
 * fails. The header row renders as template_render_header() does, and
 * keeps what it printed when it fails, as docker does. */
int table_add_template_row(struct table *t, const char *tmpl, json_object *data, bool header,
			   hutch_error *err);
void table_free(struct table *t);

#endif
