/* The tokens of a --format template, between template-lex.c, which cuts
 * the text into them, and template-parse.c, which parses them. */
#ifndef HUTCH_CLI_TEMPLATE_LEX_H
#define HUTCH_CLI_TEMPLATE_LEX_H

#include "template-internal.h"

enum token_kind {
	TOK_EOF,
	TOK_TEXT,
	TOK_LEFT,  /* {{ */
	TOK_RIGHT, /* }} */
	TOK_FIELD, /* .Name */
	TOK_DOT,
	TOK_VARIABLE,
	TOK_IDENT,
	TOK_LITERAL, /* string, character or number */
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_PIPE,
	TOK_DECLARE, /* := */
	TOK_ASSIGN,  /* = */
	TOK_COMMA,
};

struct token {
	enum token_kind kind;
	const char *val; /* name, or text of TOK_TEXT */
	size_t len;	 /* TOK_TEXT */
	json_object *literal;
	size_t pos, end; /* where it is in the template text */
	bool space_before;
};

/* The tokens of t->src, ending with TOK_EOF (a malloc'ed array). Text
 * is trimmed by {{- and -}} and has docker's \t and \n escapes replaced;
 * comments are dropped. */
int template_lex(struct template_tree *t, struct token **toks, size_t *ntoks, hutch_error *err);

/* Allocations that t owns (they abort when memory runs out: a CLI command
 * has no better answer). */
void *tree_alloc(struct template_tree *t, size_t size);
char *tree_strndup(struct template_tree *t, const char *s, size_t n);
json_object *tree_literal(struct template_tree *t, json_object *o);

/* "template: :LINE: what" for a syntax error at offset pos. */
int template_syntax_error(const struct template_tree *t, hutch_error *err, size_t pos,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
