/* The --format templates' parser: the tokens of template-lex.c are parsed
 * once into the tree of template-internal.h, checking everything that Go's
 * text/template checks before executing: the nesting of if/range/with,
 * variables, function names and their numbers of arguments. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "template-lex.h"

struct parser {
	struct template_tree *tree;
	struct token *toks;
	size_t ntoks, i;
	const char **vars; /* the variables in scope */
	size_t nvars, varcap;
	int range_depth;
	hutch_error *err;
};

void *tree_alloc(struct template_tree *t, size_t size)
{
	void *p = calloc(1, size ? size : 1);
	void **allocs = reallocarray(t->allocs, t->nallocs + 1, sizeof(*allocs));
	if (p == NULL || allocs == NULL)
		abort();
	t->allocs = allocs;
	t->allocs[t->nallocs++] = p;
	return p;
}

static void *tree_grow(struct template_tree *t, void *array, size_t n, size_t size)
{
	void *bigger = tree_alloc(t, (n + 1) * size);
	if (n)
		memcpy(bigger, array, n * size);
	return bigger;
}

char *tree_strndup(struct template_tree *t, const char *s, size_t n)
{
	char *copy = tree_alloc(t, n + 1);
	memcpy(copy, s, n);
	return copy;
}

json_object *tree_literal(struct template_tree *t, json_object *o)
{
	json_object **lits = reallocarray(t->literals, t->nliterals + 1, sizeof(*lits));
	if (lits == NULL || o == NULL)
		abort();
	t->literals = lits;
	t->literals[t->nliterals++] = o;
	return o;
}

void template_tree_free(struct template_tree *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nallocs; i++)
		free(t->allocs[i]);
	for (size_t i = 0; i < t->nliterals; i++)
		json_object_put(t->literals[i]);
	free(t->allocs);
	free(t->literals);
	free(t->src);
	free(t);
}

static size_t line_of(const char *src, size_t pos)
{
	size_t line = 1;
	for (size_t i = 0; i < pos && src[i]; i++)
		line += src[i] == '\n';
	return line;
}

void template_position(const char *src, size_t pos, char *buf, size_t size)
{
	size_t col = pos;
	for (size_t i = 0; i < pos; i++)
		if (src[i] == '\n')
			col = pos - i - 1;
	snprintf(buf, size, "template: :%zu:%zu", line_of(src, pos), col);
}

int template_syntax_error(const struct template_tree *t, hutch_error *err, size_t pos,
			  const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return hutch_fail_plain(err, EINVAL, "template: :%zu: %s", line_of(t->src, pos), what);
}

/* ---- parser ---- */

static struct token *peek(struct parser *p)
{
	return &p->toks[p->i];
}

static const char *describe(struct parser *p, const struct token *t, char *buf, size_t size)
{
	if (t->kind == TOK_EOF)
		return "EOF";
	snprintf(buf, size, "\"%.*s\"", (int)(t->end - t->pos), p->tree->src + t->pos);
	return buf;
}

static int unexpected(struct parser *p, const char *context)
{
	char buf[128];
	struct token *t = peek(p);
	return template_syntax_error(p->tree, p->err, t->pos, "unexpected %s in %s",
				     describe(p, t, buf, sizeof(buf)), context);
}

static bool is_keyword(const struct token *t, const char *word)
{
	return t->kind == TOK_IDENT && strcmp(t->val, word) == 0;
}

static bool variable_known(struct parser *p, const char *name)
{
	for (size_t i = p->nvars; i-- > 0;)
		if (strcmp(p->vars[i], name) == 0)
			return true;
	return false;
}

static void push_variable(struct parser *p, const char *name)
{
	if (p->nvars == p->varcap) {
		p->varcap = p->varcap ? 2 * p->varcap : 8;
		p->vars = reallocarray(p->vars, p->varcap, sizeof(*p->vars));
		if (p->vars == NULL)
			abort();
	}
	p->vars[p->nvars++] = name;
}

static struct pipeline *parse_pipeline(struct parser *p, const char *context, enum token_kind end);

/* .A.B after a term, written without spaces. */
static void parse_chain(struct parser *p, struct operand *op)
{
	while (peek(p)->kind == TOK_FIELD && !peek(p)->space_before) {
		op->fields = tree_grow(p->tree, op->fields, op->nfields, sizeof(*op->fields));
		op->fields[op->nfields++] = peek(p)->val;
		p->i++;
	}
}

static int parse_operand(struct parser *p, struct operand *op)
{
	struct token *t = peek(p);
	p->i++;
	switch (t->kind) {
	case TOK_FIELD: /* .A.B is a chain on dot */
	case TOK_DOT:
		op->kind = OPERAND_DOT;
		if (t->kind == TOK_FIELD) {
			op->fields = tree_alloc(p->tree, sizeof(*op->fields));
			op->fields[op->nfields++] = t->val;
		}
		parse_chain(p, op);
		return 0;
	case TOK_VARIABLE:
		if (!variable_known(p, t->val))
			return template_syntax_error(p->tree, p->err, t->pos,
						     "undefined variable \"%s\"", t->val);
		op->kind = OPERAND_VARIABLE;
		op->name = t->val;
		parse_chain(p, op);
		return 0;
	case TOK_LITERAL:
		op->kind = OPERAND_LITERAL;
		op->literal = t->literal;
		return 0;
	case TOK_IDENT:
		if (strcmp(t->val, "true") == 0 || strcmp(t->val, "false") == 0) {
			op->kind = OPERAND_LITERAL;
			op->literal =
			    tree_literal(p->tree, json_object_new_boolean(t->val[0] == 't'));
			return 0;
		}
		if (strcmp(t->val, "nil") == 0) {
			op->kind = OPERAND_LITERAL;
			op->name = t->val;
			return 0;
		}
		op->kind = OPERAND_FUNCTION;
		op->name = t->val;
		op->func = template_func_find(t->val);
		if (op->func == NULL)
			return template_syntax_error(p->tree, p->err, t->pos,
						     "function \"%s\" not defined", t->val);
		return 0;
	case TOK_LPAREN:
		op->kind = OPERAND_PIPELINE;
		op->pipeline = parse_pipeline(p, "parenthesized pipeline", TOK_RPAREN);
		if (op->pipeline == NULL)
			return -1;
		p->i++; /* ) */
		parse_chain(p, op);
		return 0;
	default:
		p->i--;
		return unexpected(p, "operand");
	}
}

static int check_arity(struct parser *p, const struct command *c, size_t stage)
{
	const struct operand *first = &c->args[0];
	if (first->kind != OPERAND_FUNCTION) {
		if (c->nargs > 1)
			return template_syntax_error(p->tree, p->err, c->pos,
						     "can't give argument to non-function %s",
						     c->src);
		if (stage > 0)
			return template_syntax_error(p->tree, p->err, c->pos,
						     "non executable command in pipeline stage %zu",
						     stage + 1);
		if (first->kind == OPERAND_LITERAL && first->name != NULL)
			return template_syntax_error(p->tree, p->err, c->pos,
						     "nil is not a command");
		return 0;
	}
	int got = (int)(c->nargs - 1 + (stage > 0));
	const struct template_func *f = first->func;
	if (f->max_args >= 0 && f->min_args == f->max_args && got != f->min_args)
		return template_syntax_error(p->tree, p->err, c->pos,
					     "wrong number of args for %s: want %d got %d", f->name,
					     f->min_args, got);
	if (got < f->min_args)
		return template_syntax_error(p->tree, p->err, c->pos,
					     "wrong number of args for %s: want at least %d got %d",
					     f->name, f->min_args, got);
	if (f->max_args >= 0 && got > f->max_args)
		return template_syntax_error(p->tree, p->err, c->pos,
					     "wrong number of args for %s: want at most %d got %d",
					     f->name, f->max_args, got);
	return 0;
}

static int parse_command(struct parser *p, struct command *c)
{
	size_t start = peek(p)->pos, end = start;
	c->pos = start;
	for (;;) {
		enum token_kind k = peek(p)->kind;
		if (k == TOK_PIPE || k == TOK_RIGHT || k == TOK_RPAREN || k == TOK_EOF)
			break;
		c->args = tree_grow(p->tree, c->args, c->nargs, sizeof(*c->args));
		if (parse_operand(p, &c->args[c->nargs++]) < 0)
			return -1;
		end = p->toks[p->i - 1].end;
	}
	c->src = tree_strndup(p->tree, p->tree->src + start, end - start);
	return 0;
}

/* [$v := | $k, $v := | $v =] command | command ... up to end. */
static struct pipeline *parse_pipeline(struct parser *p, const char *context, enum token_kind end)
{
	struct pipeline *pl = tree_alloc(p->tree, sizeof(*pl));
	struct token *t = peek(p);
	bool is_range = strcmp(context, "range") == 0;
	if (t->kind == TOK_VARIABLE) {
		size_t n = 1;
		if (t[1].kind == TOK_COMMA && t[2].kind == TOK_VARIABLE)
			n = 2;
		enum token_kind op = t[n == 2 ? 3 : 1].kind;
		if (op == TOK_DECLARE || op == TOK_ASSIGN) {
			if (n == 2 && !is_range) {
				template_syntax_error(p->tree, p->err, t->pos,
						      "too many declarations in %s", context);
				return NULL;
			}
			pl->assign = op == TOK_ASSIGN;
			for (size_t k = 0; k < n; k++) {
				pl->vars[k] = t[2 * k].val;
				if (pl->assign && !variable_known(p, pl->vars[k])) {
					template_syntax_error(p->tree, p->err, t->pos,
							      "undefined variable \"%s\"",
							      pl->vars[k]);
					return NULL;
				}
			}
			pl->nvars = n;
			p->i += 2 * n;
		}
	}
	for (;;) {
		pl->cmds = tree_grow(p->tree, pl->cmds, pl->ncmds, sizeof(*pl->cmds));
		struct command *c = &pl->cmds[pl->ncmds];
		if (parse_command(p, c) < 0)
			return NULL;
		if (c->nargs == 0) {
			if (peek(p)->kind != end || pl->ncmds > 0) {
				unexpected(p, context);
				return NULL;
			}
			template_syntax_error(p->tree, p->err, peek(p)->pos, "missing value for %s",
					      context);
			return NULL;
		}
		if (check_arity(p, c, pl->ncmds) < 0)
			return NULL;
		pl->ncmds++;
		if (peek(p)->kind == TOK_PIPE) {
			p->i++;
			continue;
		}
		if (peek(p)->kind != end) {
			if (end == TOK_RPAREN)
				template_syntax_error(p->tree, p->err, peek(p)->pos,
						      "unclosed left paren");
			else
				unexpected(p, context);
			return NULL;
		}
		break;
	}
	if (!pl->assign)
		for (size_t k = 0; k < pl->nvars; k++)
			push_variable(p, pl->vars[k]);
	return pl;
}

enum stop { STOP_EOF, STOP_END, STOP_ELSE };

static struct node *parse_list(struct parser *p, enum stop *stop, bool *failed);

static int expect_right(struct parser *p, const char *context)
{
	if (peek(p)->kind != TOK_RIGHT)
		return unexpected(p, context);
	p->i++;
	return 0;
}

/* if/range/with after its keyword, up to and with its {{end}}. */
static struct node *parse_control(struct parser *p, enum node_kind kind, const char *keyword)
{
	struct node *n = tree_alloc(p->tree, sizeof(*n));
	n->kind = kind;
	size_t mark = p->nvars, open = peek(p)->pos;
	bool failed = false;
	enum stop stop;
	n->pipeline = parse_pipeline(p, keyword, TOK_RIGHT);
	if (n->pipeline == NULL || expect_right(p, keyword) < 0)
		return NULL;
	size_t scope = p->nvars;
	p->range_depth += kind == NODE_RANGE;
	n->body = parse_list(p, &stop, &failed);
	p->range_depth -= kind == NODE_RANGE;
	p->nvars = scope;
	if (failed)
		return NULL;
	if (stop == STOP_ELSE) {
		p->i++;
		if ((kind == NODE_IF && is_keyword(peek(p), "if")) ||
		    (kind == NODE_WITH && is_keyword(peek(p), "with"))) {
			/* {{else if x}} is {{else}}{{if x}}, sharing the {{end}}. */
			p->i++;
			n->else_body = parse_control(p, kind, keyword);
			p->nvars = mark;
			return n->else_body ? n : NULL;
		}
		if (expect_right(p, "else") < 0)
			return NULL;
		n->else_body = parse_list(p, &stop, &failed);
		p->nvars = scope;
		if (failed)
			return NULL;
		if (stop == STOP_ELSE) {
			template_syntax_error(p->tree, p->err, peek(p)->pos,
					      "expected end; found {{else}}");
			return NULL;
		}
	}
	if (stop == STOP_EOF) {
		template_syntax_error(p->tree, p->err, open,
				      "unexpected EOF: {{%s}} has no {{end}}", keyword);
		return NULL;
	}
	p->i++; /* end */
	if (expect_right(p, "end") < 0)
		return NULL;
	p->nvars = mark;
	return n;
}

static struct node *parse_action(struct parser *p)
{
	struct token *t = peek(p);
	static const struct {
		const char *word;
		enum node_kind kind;
	} controls[] = {{"if", NODE_IF}, {"range", NODE_RANGE}, {"with", NODE_WITH}};
	for (size_t k = 0; k < sizeof(controls) / sizeof(controls[0]); k++)
		if (is_keyword(t, controls[k].word)) {
			p->i++;
			return parse_control(p, controls[k].kind, controls[k].word);
		}
	if (is_keyword(t, "break") || is_keyword(t, "continue")) {
		if (p->range_depth == 0) {
			template_syntax_error(p->tree, p->err, t->pos, "{{%s}} outside {{range}}",
					      t->val);
			return NULL;
		}
		p->i++;
		if (expect_right(p, t->val) < 0)
			return NULL;
		struct node *n = tree_alloc(p->tree, sizeof(*n));
		n->kind = t->val[0] == 'b' ? NODE_BREAK : NODE_CONTINUE;
		return n;
	}
	if (is_keyword(t, "define") || is_keyword(t, "template") || is_keyword(t, "block")) {
		template_syntax_error(p->tree, p->err, t->pos, "{{%s}} is not supported", t->val);
		return NULL;
	}
	struct node *n = tree_alloc(p->tree, sizeof(*n));
	n->kind = NODE_ACTION;
	n->pipeline = parse_pipeline(p, "command", TOK_RIGHT);
	if (n->pipeline == NULL || expect_right(p, "command") < 0)
		return NULL;
	return n;
}

/* Nodes up to {{end}}, {{else}} (left as the next token) or the end. */
static struct node *parse_list(struct parser *p, enum stop *stop, bool *failed)
{
	struct node *head = NULL, **tail = &head;
	for (;;) {
		struct token *t = peek(p);
		struct node *n;
		if (t->kind == TOK_EOF) {
			*stop = STOP_EOF;
			return head;
		}
		p->i++;
		if (t->kind == TOK_TEXT) {
			n = tree_alloc(p->tree, sizeof(*n));
			n->kind = NODE_TEXT;
			n->text = t->val;
			n->len = t->len;
		} else {
			if (is_keyword(peek(p), "end") || is_keyword(peek(p), "else")) {
				*stop = peek(p)->val[1] == 'n' ? STOP_END : STOP_ELSE;
				return head;
			}
			n = parse_action(p);
			if (n == NULL) {
				*failed = true;
				return NULL;
			}
		}
		*tail = n;
		tail = &n->next;
	}
}

struct template_tree *template_parse(const char *tmpl, hutch_error *err)
{
	struct template_tree *t = calloc(1, sizeof(*t));
	struct parser p = {.tree = t, .err = err};
	if (t == NULL || (t->src = strdup(tmpl)) == NULL) {
		free(t);
		hutch_fail(err, ENOMEM, "template");
		return NULL;
	}
	push_variable(&p, "$");
	enum stop stop = STOP_EOF;
	bool failed = false;
	if (template_lex(t, &p.toks, &p.ntoks, err) == 0) {
		t->root = parse_list(&p, &stop, &failed);
		if (!failed && stop != STOP_EOF)
			template_syntax_error(p.tree, p.err, peek(&p)->pos, "unexpected {{%s}}",
					      peek(&p)->val);
		failed = failed || stop != STOP_EOF;
	} else {
		failed = true;
	}
	free(p.toks);
	free(p.vars);
	if (failed) {
		template_tree_free(t);
		return NULL;
	}
	return t;
}
