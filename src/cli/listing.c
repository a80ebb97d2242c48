/* docker's --format of listings (see listing.h). */
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "container-util.h"
#include "listing.h"
#include "template.h"

int listing_start(struct listing *l, const char *format, const char *default_table,
		  const struct listing_column *columns, size_t ncolumns)
{
	*l = (struct listing){.json_lines = format && strcmp(format, "json") == 0};
	if (l->json_lines)
		return 0;
	bool table = format == NULL || strncmp(format, "table", 5) == 0;
	const char *tmpl = format == NULL || strcmp(format, "table") == 0 ? default_table : format;
	if (table)
		tmpl += 5;
	while (table && *tmpl == ' ')
		tmpl++;
	hutch_error err = {0};
	if (template_check(tmpl, &err) < 0) {
		fprintf(stderr, "hutch: %s\n", err.msg);
		return 2;
	}
	l->tmpl = tmpl;
	l->is_table = table;
	l->columns = columns;
	l->ncolumns = ncolumns;
	return 0;
}

static void start_table(struct listing *l)
{
	if (!l->is_table || l->table)
		return;
	l->table = table_new(10, 3);
	_cleanup_json_ json_object *head = json_object_new_object();
	for (size_t i = 0; i < l->ncolumns; i++)
		json_object_object_add(head, l->columns[i].field,
				       json_object_new_string(l->columns[i].title));
	table_add_template_row(l->table, l->tmpl, head, true, NULL);
}

int listing_row(struct listing *l, json_object *fields)
{
	if (l->json_lines) {
		printf("%s\n",
		       json_object_to_json_string_ext(fields, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		return 0;
	}
	start_table(l);
	hutch_error err = {0};
	if (l->table ? table_add_template_row(l->table, l->tmpl, fields, false, &err) < 0
		     : template_render(l->tmpl, fields, stdout, &err) < 0) {
		/* Nothing more of a table is printed. */
		table_free(l->table);
		l->table = NULL;
		l->is_table = false;
		fflush(stdout);
		fprintf(stderr, "hutch: %s\n", err.msg);
		return 1;
	}
	if (!l->table)
		putchar('\n');
	return 0;
}

void listing_end(struct listing *l)
{
	start_table(l);
	if (l->table) {
		table_print(l->table, stdout);
		table_free(l->table);
	}
	l->table = NULL;
}
