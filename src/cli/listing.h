/* docker's --format of a listing (ps, images): "table" (the default
 * columns), "table TEMPLATE" (aligned columns under a header row of their
 * titles), "json" (each row as a line of JSON) or a template per row. */
#ifndef HUTCH_CLI_LISTING_H
#define HUTCH_CLI_LISTING_H

#include <json-c/json.h>
#include <stdbool.h>

struct listing_column {
	const char *field, *title; /* "ID", "CONTAINER ID" */
};

struct listing {
	bool json_lines, is_table;
	const char *tmpl;
	const struct listing_column *columns;
	size_t ncolumns;
	struct table *table; /* made with its header row by the first row */
};

/* Check format (NULL: default_table, which starts with "table") before
 * anything is asked of hutchd; a table's header row is the template over
 * the columns' titles. A bad template prints docker's message and returns
 * 2. Nothing is allocated until the first row. */
int listing_start(struct listing *l, const char *format, const char *default_table,
		  const struct listing_column *columns, size_t ncolumns);

/* One row of fields (in the key order its JSON line should have). 1 after
 * printing the error of a template that failed while executing. */
int listing_row(struct listing *l, json_object *fields);

/* Print the table (its header alone when there was no row) and free it. */
void listing_end(struct listing *l);

#endif
