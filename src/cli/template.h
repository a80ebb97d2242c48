/* The --format templates of ps and inspect: Go's text/template as docker
 * users write it. Text (with docker's \t and \n escapes), actions with
 * fields, variables, pipelines and parenthesised operands, if/else
 * if/else, range (arrays, maps in key order, integers) with break and
 * continue, with, {{- -}} trimming and comments; Go's functions (and, or,
 * not, eq, ne, lt, le, gt, ge, len, index, slice, print, printf, println)
 * and docker's (json, split, join, title, lower, upper, pad, truncate).
 * Values print as Go prints them: strings raw, arrays [a b], objects
 * map[k:v]. The parts are template-lex.c, template-parse.c (the tree),
 * template-eval.c, template-funcs.c and template-printf.c. */
#ifndef HUTCH_CLI_TEMPLATE_H
#define HUTCH_CLI_TEMPLATE_H

#include <json-c/json.h>
#include <stdio.h>

#include "error.h"

/* The keys of object o in byte order (a malloc'ed array of borrowed
 * strings), as Go prints maps. */
const char **json_keys_sorted(json_object *o, size_t *count);

/* Check tmpl's syntax without output; a bad template fails with
 * "template parsing error: template: :LINE: what", as docker says it. */
int template_check(const char *tmpl, hutch_error *err);

/* Render tmpl with data as "." and "$" and write it to out (no newline
 * added). An error while executing ("template: :1:2: executing ...") may
 * come after part of the output. */
int template_render(const char *tmpl, json_object *data, FILE *out, hutch_error *err);

/* Render a table's header row as docker does: data holds the columns'
 * titles, and docker's own functions (json, split, join, title, lower,
 * upper, pad, truncate) give back their first argument, so that
 * {{truncate .Names 2}} is headed NAMES. */
int template_render_header(const char *tmpl, json_object *data, FILE *out, hutch_error *err);

#endif
