/* The --format templates of ps and inspect: the part of Go's text/template
 * that docker users write. Text with \t and \n escapes, and actions
 * {{.Field.Sub}}, {{.}}, {{json .X}}, {{upper .X}}, {{lower .X}},
 * {{len .X}}, {{index .X "key"}}, {{join .X ", "}}. Values print as Go
 * prints them: strings raw, arrays [a b], objects map[k:v]. */
#ifndef HUTCH_CLI_TEMPLATE_H
#define HUTCH_CLI_TEMPLATE_H

#include <json-c/json.h>
#include <stdio.h>

#include "error.h"

/* The keys of object o in byte order (a malloc'ed array of borrowed
 * strings), as Go prints maps. */
const char **json_keys_sorted(json_object *o, size_t *count);

/* Check tmpl's syntax without output. */
int template_check(const char *tmpl, hutch_error *err);

/* Render tmpl with data as "." and write it to out (no newline added). */
int template_render(const char *tmpl, json_object *data, FILE *out, hutch_error *err);

#endif
