/* The --format templates' evaluator: walks the tree of template-parse.c
 * over a JSON document as Go's text/template executes over data, with
 * the variables in a stack whose scopes end with their {{end}}. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "template-internal.h"
#include "template.h"

struct variable {
	const char *name;
	struct value value;
};

struct state {
	const struct template_tree *tree;
	FILE *out;
	bool header; /* see template_render_header() */
	struct variable *vars;
	size_t nvars, cap;
	hutch_error *err;
};

/* What walking a list of nodes ended with. */
enum flow { FLOW_FAIL = -1, FLOW_NEXT = 0, FLOW_BREAK, FLOW_CONTINUE };

/* "template: :1:3: executing "" at <.A.B>: what", as Go words it. */
__attribute__((format(printf, 3, 4))) static int exec_fail(struct state *s, const struct command *c,
							   const char *fmt, ...)
{
	char what[1024], where[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	template_position(s->tree->src, c->pos, where, sizeof(where));
	return hutch_fail_plain(s->err, EINVAL, "%s: executing \"\" at <%s>: %s", where, c->src,
				what);
}

static void push_variable(struct state *s, const char *name, struct value v)
{
	if (s->nvars == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->vars = reallocarray(s->vars, s->cap, sizeof(*s->vars));
		if (s->vars == NULL)
			abort();
	}
	s->vars[s->nvars++] = (struct variable){.name = name, .value = v};
}

static void pop_variables(struct state *s, size_t mark)
{
	while (s->nvars > mark)
		value_clear(&s->vars[--s->nvars].value);
}

static struct variable *find_variable(struct state *s, const char *name)
{
	for (size_t i = s->nvars; i-- > 0;)
		if (strcmp(s->vars[i].name, name) == 0)
			return &s->vars[i];
	return NULL;
}

static struct value value_copy(const struct value *v)
{
	return (struct value){.json = json_object_get(v->json), .missing = v->missing};
}

/* v.A.B: a missing value stays missing, as Go's missing map keys do. */
static int walk_fields(struct state *s, const struct command *c, const struct operand *op,
		       struct value *v)
{
	for (size_t i = 0; i < op->nfields && !v->missing; i++) {
		const char *f = op->fields[i];
		json_object *next = NULL;
		if (v->json == NULL) {
			value_clear(v);
			return exec_fail(s, c, "nil pointer evaluating interface {}.%s", f);
		}
		if (!json_object_is_type(v->json, json_type_object)) {
			exec_fail(s, c, "can't evaluate field %s in type %s", f,
				  value_type_name(v));
			value_clear(v);
			return -1;
		}
		bool found = json_object_object_get_ex(v->json, f, &next);
		json_object_get(next);
		value_clear(v);
		v->json = next;
		v->missing = !found;
	}
	return 0;
}

static int eval_pipeline(struct state *s, const struct value *dot, const struct pipeline *pl,
			 bool declare, struct value *out);

static int call_function(struct state *s, const struct value *dot, const struct command *c,
			 const struct operand *fn, const struct operand *args, size_t nargs,
			 struct value *final, struct value *out);

static int eval_operand(struct state *s, const struct value *dot, const struct command *c,
			const struct operand *op, struct value *out)
{
	*out = (struct value){0};
	switch (op->kind) {
	case OPERAND_DOT:
		*out = value_copy(dot);
		break;
	case OPERAND_VARIABLE: {
		struct variable *var = find_variable(s, op->name);
		if (var == NULL)
			return exec_fail(s, c, "undefined variable \"%s\"", op->name);
		*out = value_copy(&var->value);
		break;
	}
	case OPERAND_LITERAL:
		out->json = json_object_get(op->literal);
		return 0;
	case OPERAND_PIPELINE:
		if (eval_pipeline(s, dot, op->pipeline, false, out) < 0)
			return -1;
		break;
	case OPERAND_FUNCTION: /* a function as an argument is called without any */
		return call_function(s, dot, c, op, NULL, 0, NULL, out);
	}
	return walk_fields(s, c, op, out);
}

/* and/or: the first argument that decides, evaluated no further. */
static int call_logic(struct state *s, const struct value *dot, const struct command *c,
		      bool is_and, const struct operand *args, size_t nargs, struct value *final,
		      struct value *out)
{
	size_t n = nargs + (final != NULL);
	for (size_t i = 0; i < n; i++) {
		if (i < nargs) {
			if (eval_operand(s, dot, c, &args[i], out) < 0)
				return -1;
		} else {
			*out = value_copy(final);
		}
		if (value_truth(out) != is_and || i + 1 == n)
			return 0;
		value_clear(out);
	}
	return 0;
}

static int call_function(struct state *s, const struct value *dot, const struct command *c,
			 const struct operand *fn, const struct operand *args, size_t nargs,
			 struct value *final, struct value *out)
{
	const struct template_func *f = fn->func;
	size_t n = nargs + (final != NULL);
	*out = (struct value){0};
	if ((int)n < f->min_args || (f->max_args >= 0 && (int)n > f->max_args))
		return exec_fail(s, c, "wrong number of args for %s: want %d got %zu", f->name,
				 f->min_args, n);
	if (f->call == NULL)
		return call_logic(s, dot, c, strcmp(f->name, "and") == 0, args, nargs, final, out);
	_cleanup_free_ struct value *vals = calloc(n + 1, sizeof(*vals));
	if (vals == NULL)
		return hutch_fail(s->err, ENOMEM, "template");
	int rc = 0;
	for (size_t i = 0; i < nargs && rc == 0; i++)
		rc = eval_operand(s, dot, c, &args[i], &vals[i]);
	if (rc == 0 && final)
		vals[nargs] = value_copy(final);
	if (rc == 0 && s->header && f->docker) {
		*out = value_copy(&vals[0]);
	} else if (rc == 0 && f->call(vals, n, out, s->err) < 0) {
		char where[64];
		template_position(s->tree->src, c->pos, where, sizeof(where));
		rc = hutch_error_prefix(s->err, "%s: executing \"\" at <%s>: error calling %s",
					where, c->src, f->name);
	}
	for (size_t i = 0; i < n; i++)
		value_clear(&vals[i]);
	return rc;
}

static int eval_command(struct state *s, const struct value *dot, const struct command *c,
			struct value *final, struct value *out)
{
	const struct operand *first = &c->args[0];
	if (first->kind == OPERAND_FUNCTION)
		return call_function(s, dot, c, first, c->args + 1, c->nargs - 1, final, out);
	return eval_operand(s, dot, c, first, out);
}

/* The pipeline's value; with declare, also into its variables. */
static int eval_pipeline(struct state *s, const struct value *dot, const struct pipeline *pl,
			 bool declare, struct value *out)
{
	struct value v = {0};
	for (size_t i = 0; i < pl->ncmds; i++) {
		struct value next;
		int rc = eval_command(s, dot, &pl->cmds[i], i ? &v : NULL, &next);
		value_clear(&v);
		if (rc < 0)
			return -1;
		v = next;
	}
	if (declare && pl->nvars == 1) {
		struct variable *var = pl->assign ? find_variable(s, pl->vars[0]) : NULL;
		if (var) {
			value_clear(&var->value);
			var->value = value_copy(&v);
		} else {
			push_variable(s, pl->vars[0], value_copy(&v));
		}
	}
	*out = v;
	return 0;
}

static enum flow walk(struct state *s, const struct value *dot, const struct node *n);

/* One pass of a range body, with $v or $i, $v set. */
static enum flow range_pass(struct state *s, const struct node *n, struct value key,
			    json_object *elem)
{
	const struct pipeline *pl = n->pipeline;
	size_t mark = s->nvars;
	struct value v = {.json = json_object_get(elem)};
	if (pl->nvars == 2)
		push_variable(s, pl->vars[0], key);
	else
		value_clear(&key);
	if (pl->nvars > 0)
		push_variable(s, pl->vars[pl->nvars - 1], value_copy(&v));
	enum flow f = walk(s, &v, n->body);
	pop_variables(s, mark);
	value_clear(&v);
	return f;
}

static enum flow walk_range(struct state *s, const struct value *dot, const struct node *n)
{
	struct value v;
	if (eval_pipeline(s, dot, n->pipeline, false, &v) < 0)
		return FLOW_FAIL;
	enum flow f = FLOW_NEXT;
	size_t passes = 0;
	json_object *o = v.json;
	if (json_object_is_type(o, json_type_array)) {
		passes = json_object_array_length(o);
		for (size_t i = 0; i < passes && f != FLOW_FAIL && f != FLOW_BREAK; i++)
			f = range_pass(s, n,
				       (struct value){.json = json_object_new_int64((int64_t)i)},
				       json_object_array_get_idx(o, i));
	} else if (json_object_is_type(o, json_type_object)) {
		_cleanup_free_ const char **keys = json_keys_sorted(o, &passes);
		if (keys == NULL)
			abort();
		for (size_t i = 0; i < passes && f != FLOW_FAIL && f != FLOW_BREAK; i++) {
			json_object *elem = NULL;
			json_object_object_get_ex(o, keys[i], &elem);
			f = range_pass(
			    s, n, (struct value){.json = json_object_new_string(keys[i])}, elem);
		}
	} else if (json_object_is_type(o, json_type_int)) {
		/* Go 1.22 ranges over an integer n as 0..n-1. */
		int64_t count = json_object_get_int64(o);
		if (n->pipeline->nvars == 2) {
			value_clear(&v);
			return exec_fail(s, n->pipeline->cmds,
					 "can't use %lld to iterate over more "
					 "than one variable",
					 (long long)count);
		}
		for (int64_t i = 0; i < count && f != FLOW_FAIL && f != FLOW_BREAK; i++, passes++) {
			json_object *num = json_object_new_int64(i);
			f = range_pass(s, n, (struct value){0}, num);
			json_object_put(num);
		}
	} else if (o != NULL && !v.missing) {
		exec_fail(s, n->pipeline->cmds, "range can't iterate over %s",
			  json_object_get_string(o));
		value_clear(&v);
		return FLOW_FAIL;
	}
	value_clear(&v);
	if (f == FLOW_FAIL)
		return FLOW_FAIL;
	return passes == 0 ? walk(s, dot, n->else_body) : FLOW_NEXT;
}

static enum flow walk_node(struct state *s, const struct value *dot, const struct node *n)
{
	struct value v;
	enum flow f;
	switch (n->kind) {
	case NODE_TEXT:
		if (s->out)
			fwrite(n->text, 1, n->len, s->out);
		return FLOW_NEXT;
	case NODE_ACTION:
		if (eval_pipeline(s, dot, n->pipeline, true, &v) < 0)
			return FLOW_FAIL;
		/* A declaration prints nothing. */
		if (n->pipeline->nvars == 0 && s->out)
			value_print(&v, s->out);
		value_clear(&v);
		return FLOW_NEXT;
	case NODE_IF:
	case NODE_WITH: {
		/* {{if $x := ...}}: $x lasts until the {{end}}. */
		size_t mark = s->nvars;
		if (eval_pipeline(s, dot, n->pipeline, true, &v) < 0)
			return FLOW_FAIL;
		if (value_truth(&v))
			f = walk(s, n->kind == NODE_WITH ? &v : dot, n->body);
		else
			f = walk(s, dot, n->else_body);
		value_clear(&v);
		pop_variables(s, mark);
		return f;
	}
	case NODE_RANGE:
		return walk_range(s, dot, n);
	case NODE_BREAK:
		return FLOW_BREAK;
	case NODE_CONTINUE:
		return FLOW_CONTINUE;
	}
	return FLOW_NEXT;
}

/* A list of nodes; variables declared in it end with it. */
static enum flow walk(struct state *s, const struct value *dot, const struct node *n)
{
	size_t mark = s->nvars;
	enum flow f = FLOW_NEXT;
	for (; n && f == FLOW_NEXT; n = n->next)
		f = walk_node(s, dot, n);
	pop_variables(s, mark);
	return f;
}

static int render(const char *tmpl, json_object *data, FILE *out, bool header, hutch_error *err)
{
	struct template_tree *t = template_parse(tmpl, err);
	if (t == NULL)
		return hutch_error_prefix(err, "template parsing error");
	struct state s = {.tree = t, .out = out, .header = header, .err = err};
	struct value root = {.json = json_object_get(data)};
	push_variable(&s, "$", value_copy(&root));
	enum flow f = walk(&s, &root, t->root);
	pop_variables(&s, 0);
	value_clear(&root);
	free(s.vars);
	template_tree_free(t);
	return f == FLOW_FAIL ? -1 : 0;
}

int template_render(const char *tmpl, json_object *data, FILE *out, hutch_error *err)
{
	return render(tmpl, data, out, false, err);
}

int template_render_header(const char *tmpl, json_object *data, FILE *out, hutch_error *err)
{
	return render(tmpl, data, out, true, err);
}
