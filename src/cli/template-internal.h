/* The parts of the --format template engine (template.h) that its files
 * share: the parse tree that template-parse.c builds once, the values that
 * template-eval.c computes over it, and the function table of
 * template-funcs.c. */
#ifndef HUTCH_CLI_TEMPLATE_INTERNAL_H
#define HUTCH_CLI_TEMPLATE_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "error.h"

/* A value: an owned reference to a JSON value (NULL is Go's nil), or
 * "missing": Go's invalid value, what a map lookup of an absent key gives
 * and what prints as "<no value>". */
struct value {
	json_object *json;
	bool missing;
};

void value_clear(struct value *v);

/* One operand of a command: a term followed by a chain of .Field names. */
enum operand_kind {
	OPERAND_DOT,	  /* . (a chain on it is written .A.B) */
	OPERAND_VARIABLE, /* $name or $ */
	OPERAND_FUNCTION, /* an identifier naming a function */
	OPERAND_LITERAL,  /* a string, number, true, false or nil */
	OPERAND_PIPELINE, /* ( pipeline ) */
};

struct operand {
	enum operand_kind kind;
	const char *name;	   /* variable (with its '$') or function name */
	json_object *literal;	   /* OPERAND_LITERAL; NULL for nil */
	struct pipeline *pipeline; /* OPERAND_PIPELINE */
	const char **fields;	   /* the .Field chain */
	size_t nfields;
	const struct template_func *func; /* OPERAND_FUNCTION */
};

/* A command: a function and its arguments, or one operand. */
struct command {
	struct operand *args;
	size_t nargs;
	size_t pos;	 /* offset in the template text, for messages */
	const char *src; /* its text, for messages */
};

struct pipeline {
	const char *vars[2]; /* declared or assigned variables */
	size_t nvars;
	bool assign; /* $x = ..., not $x := ... */
	struct command *cmds;
	size_t ncmds;
};

enum node_kind {
	NODE_TEXT,
	NODE_ACTION,
	NODE_IF,
	NODE_RANGE,
	NODE_WITH,
	NODE_BREAK,
	NODE_CONTINUE
};

struct node {
	enum node_kind kind;
	const char *text; /* NODE_TEXT */
	size_t len;
	struct pipeline *pipeline;
	struct node *body, *else_body; /* control structures */
	struct node *next;
};

struct template_tree {
	char *src; /* the template text, which messages quote */
	struct node *root;
	void **allocs; /* everything the tree owns, freed at once */
	size_t nallocs;
	json_object **literals;
	size_t nliterals;
};

/* Parse tmpl. Errors read "template: :LINE: what". */
struct template_tree *template_parse(const char *tmpl, hutch_error *err);
void template_tree_free(struct template_tree *t);

/* "template: :LINE:COL" of offset pos in the template text. */
void template_position(const char *src, size_t pos, char *buf, size_t size);

/* A function of the templates. and/or are evaluated lazily by the
 * evaluator; call is NULL for them. max_args < 0: no upper bound. */
struct template_func {
	const char *name;
	int min_args, max_args;
	bool docker; /* docker's, not Go's: header rows leave its argument be */
	int (*call)(struct value *args, size_t n, struct value *result, hutch_error *err);
};

const struct template_func *template_func_find(const char *name);

/* Go's truth: false, 0, nil, missing and empty strings, arrays and maps
 * are false. */
bool value_truth(const struct value *v);

/* Print as Go's fmt prints a value with %v. */
void value_print(const struct value *v, FILE *out);
void json_print_go(json_object *o, FILE *out);

/* Go's fmt.Fprintf(out, format, args...) (template-printf.c). */
void template_printf(const char *format, struct value *args, size_t n, FILE *out);

/* Go's name of the type of v in messages ("string", "[]interface {}"). */
const char *value_type_name(const struct value *v);

#endif
