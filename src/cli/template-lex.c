/* The --format templates' lexer: text, {{ }} with their trim markers,
 * comments, and the words of actions as Go's text/template reads them. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "template-lex.h"

struct lexer {
	struct template_tree *tree;
	struct token *toks;
	size_t ntoks, cap;
	hutch_error *err;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static struct token *emit(struct lexer *p, enum token_kind kind, size_t pos, size_t end)
{
	if (p->ntoks == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct token *toks = reallocarray(p->toks, cap, sizeof(*toks));
		if (toks == NULL)
			abort();
		p->toks = toks;
		p->cap = cap;
	}
	struct token *t = &p->toks[p->ntoks++];
	*t = (struct token){.kind = kind, .pos = pos, .end = end};
	return t;
}

/* Text between actions: trimmed by {{- and -}}, and the \t and \n that
 * docker's --format turns into a tab and a newline. */
static void emit_text(struct lexer *p, size_t pos, size_t end, bool trim_left, bool trim_right)
{
	const char *s = p->tree->src;
	while (trim_left && pos < end && is_space(s[pos]))
		pos++;
	while (trim_right && end > pos && is_space(s[end - 1]))
		end--;
	if (pos == end)
		return;
	char *text = tree_alloc(p->tree, end - pos + 1);
	size_t n = 0;
	for (size_t i = pos; i < end; i++) {
		if (s[i] == '\\' && i + 1 < end && (s[i + 1] == 't' || s[i + 1] == 'n')) {
			text[n++] = s[++i] == 't' ? '\t' : '\n';
			continue;
		}
		text[n++] = s[i];
	}
	struct token *t = emit(p, TOK_TEXT, pos, end);
	t->val = text;
	t->len = n;
}

/* One escape of a Go string or character literal at s[*i] (after the
 * backslash); appends its bytes to out. */
static int unescape(const char *s, size_t *i, char *out, size_t *n)
{
	static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''";
	char c = s[*i];
	for (size_t k = 0; simple[k]; k += 2)
		if (simple[k] == c) {
			out[(*n)++] = simple[k + 1];
			(*i)++;
			return 0;
		}
	int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : c >= '0' && c <= '7' ? 3 : 0;
	int base = c >= '0' && c <= '7' ? 8 : 16;
	size_t start = base == 8 ? *i : *i + 1;
	unsigned long code = 0;
	for (int d = 0; d < digits; d++) {
		char h = s[start + (size_t)d];
		int v = isdigit((unsigned char)h) ? h - '0'
			: isxdigit((unsigned char)h) && base == 16
			    ? tolower((unsigned char)h) - 'a' + 10
			    : -1;
		if (v < 0 || v >= base)
			return -1;
		code = code * (unsigned long)base + (unsigned long)v;
	}
	if (digits == 0 || code > 0x10ffff)
		return -1;
	*i = start + (size_t)digits;
	if (c == 'x' || base == 8) {
		if (code > 255)
			return -1;
		out[(*n)++] = (char)code;
	} else if (code < 0x80) {
		out[(*n)++] = (char)code;
	} else if (code < 0x800) {
		out[(*n)++] = (char)(0xc0 | (code >> 6));
		out[(*n)++] = (char)(0x80 | (code & 0x3f));
	} else if (code < 0x10000) {
		out[(*n)++] = (char)(0xe0 | (code >> 12));
		out[(*n)++] = (char)(0x80 | ((code >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (code & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | (code >> 18));
		out[(*n)++] = (char)(0x80 | ((code >> 12) & 0x3f));
		out[(*n)++] = (char)(0x80 | ((code >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (code & 0x3f));
	}
	return 0;
}

/* A "string", `raw string` or 'c' starting at *pos. */
static int lex_quoted(struct lexer *p, size_t *pos)
{
	const char *s = p->tree->src;
	char quote = s[*pos];
	size_t start = *pos, i = *pos + 1;
	char *buf = tree_alloc(p->tree, strlen(s + i) + 1);
	size_t n = 0;
	for (;;) {
		char c = s[i];
		if (c == quote)
			break;
		if (c == '\0' || (c == '\n' && quote != '`'))
			return template_syntax_error(p->tree, p->err, start, "unterminated %s",
						     quote == '`'   ? "raw quoted string"
						     : quote == '"' ? "quoted string"
								    : "character constant");
		if (c == '\\' && quote != '`') {
			i++;
			if (unescape(s, &i, buf, &n) < 0)
				return template_syntax_error(p->tree, p->err, start,
							     "bad escape in %.*s",
							     (int)(i - start + 1), s + start);
			continue;
		}
		buf[n++] = c;
		i++;
	}
	*pos = i + 1;
	struct token *t = emit(p, TOK_LITERAL, start, *pos);
	if (quote != '\'') {
		t->literal = tree_literal(p->tree, json_object_new_string_len(buf, (int)n));
		return 0;
	}
	/* A character is its code point, as a number. */
	const unsigned char *u = (const unsigned char *)buf;
	size_t len = n == 0 ? 0 : u[0] < 0x80 ? 1 : u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3 : 4;
	if (n == 0 || len != n)
		return template_syntax_error(p->tree, p->err, start,
					     "malformed character constant: %.*s",
					     (int)(*pos - start), s + start);
	int64_t code = len == 1 ? u[0] : u[0] & (0x7f >> len);
	for (size_t k = 1; k < len; k++)
		code = (code << 6) | (u[k] & 0x3f);
	t->literal = tree_literal(p->tree, json_object_new_int64(code));
	return 0;
}

static int lex_number(struct lexer *p, size_t *pos)
{
	const char *s = p->tree->src;
	size_t start = *pos, i = *pos + 1;
	while (is_word(s[i]) || s[i] == '.' ||
	       ((s[i] == '+' || s[i] == '-') && strchr("eEpP", s[i - 1])))
		i++;
	*pos = i;
	char text[64];
	size_t n = 0;
	for (size_t k = start; k < i && n + 1 < sizeof(text); k++)
		if (s[k] != '_')
			text[n++] = s[k];
	text[n] = '\0';
	const char *digits = text + (text[0] == '-' || text[0] == '+');
	int base = 10;
	if (digits[0] == '0' && strchr("xXoObB", digits[1]) && digits[1]) {
		base = strchr("xX", digits[1]) ? 16 : strchr("oO", digits[1]) ? 8 : 2;
		digits += 2;
	} else if (digits[0] == '0' && digits[1]) {
		base = 8;
	}
	char *end = NULL;
	errno = 0;
	long long v = strtoll(digits, &end, base);
	struct token *t = emit(p, TOK_LITERAL, start, i);
	if (*digits && *end == '\0' && errno == 0 && isalnum((unsigned char)digits[0])) {
		t->literal = tree_literal(p->tree, json_object_new_int64(text[0] == '-' ? -v : v));
		return 0;
	}
	errno = 0;
	double d = strtod(text, &end);
	if (*end != '\0' || errno != 0 || i - start >= sizeof(text))
		return template_syntax_error(p->tree, p->err, start, "bad number syntax: \"%.*s\"",
					     (int)(i - start), s + start);
	t->literal = tree_literal(p->tree, json_object_new_double(d));
	return 0;
}

/* The words of one action, from *pos to its }}. Sets *trim when it ends
 * with -}}. */
static int lex_action(struct lexer *p, size_t *pos, bool *trim)
{
	const char *s = p->tree->src;
	size_t i = *pos, open = *pos;
	bool space = true;
	int depth = 0;
	for (;;) {
		if (is_space(s[i]) && s[i + 1] == '-' && strncmp(s + i + 2, "}}", 2) == 0) {
			*trim = true;
			i += 4;
			break;
		}
		if (strncmp(s + i, "}}", 2) == 0) {
			if (depth > 0)
				return template_syntax_error(p->tree, p->err, open,
							     "unclosed left paren");
			i += 2;
			break;
		}
		char c = s[i];
		size_t start = i;
		if (c == '\0')
			return template_syntax_error(p->tree, p->err, open, "unclosed action");
		if (is_space(c)) {
			space = true;
			i++;
			continue;
		}
		enum token_kind kind;
		if (c == '"' || c == '`' || c == '\'') {
			if (lex_quoted(p, &i) < 0)
				return -1;
			p->toks[p->ntoks - 1].space_before = space;
			space = false;
			continue;
		}
		if (isdigit((unsigned char)c) ||
		    ((c == '-' || c == '+' || c == '.') && isdigit((unsigned char)s[i + 1]))) {
			if (lex_number(p, &i) < 0)
				return -1;
			p->toks[p->ntoks - 1].space_before = space;
			space = false;
			continue;
		}
		if (c == '.' && is_word(s[i + 1])) {
			kind = TOK_FIELD;
			i++;
			start = i;
			while (is_word(s[i]))
				i++;
		} else if (c == '$') {
			kind = TOK_VARIABLE;
			i++;
			while (is_word(s[i]))
				i++;
		} else if (isalpha((unsigned char)c) || c == '_') {
			kind = TOK_IDENT;
			while (is_word(s[i]))
				i++;
		} else if (c == ':' && s[i + 1] == '=') {
			kind = TOK_DECLARE;
			i += 2;
		} else {
			static const char single[] = ".(|)=,";
			static const enum token_kind kinds[] = {TOK_DOT,    TOK_LPAREN, TOK_PIPE,
								TOK_RPAREN, TOK_ASSIGN, TOK_COMMA};
			const char *at = strchr(single, c);
			if (at == NULL)
				return template_syntax_error(p->tree, p->err, start,
							     "unexpected \"%c\" in command", c);
			kind = kinds[at - single];
			depth += kind == TOK_LPAREN ? 1 : kind == TOK_RPAREN ? -1 : 0;
			if (depth < 0)
				return template_syntax_error(p->tree, p->err, start,
							     "unexpected right paren");
			i++;
		}
		struct token *t =
		    emit(p, kind, c == '.' && kind == TOK_FIELD ? start - 1 : start, i);
		t->val = tree_strndup(p->tree, s + start, i - start);
		t->space_before = space;
		space = false;
	}
	emit(p, TOK_RIGHT, i - 2, i);
	*pos = i;
	return 0;
}

static int lex_all(struct lexer *p)
{
	const char *s = p->tree->src;
	size_t pos = 0;
	bool trim_left = false;
	for (;;) {
		const char *open = strstr(s + pos, "{{");
		size_t at = open ? (size_t)(open - s) : strlen(s);
		size_t inner = at + 2;
		bool trim_right = open && s[at + 2] == '-' && is_space(s[at + 3]);
		if (trim_right)
			inner = at + 4;
		emit_text(p, pos, at, trim_left, trim_right);
		trim_left = false;
		if (open == NULL)
			break;
		while (trim_right && is_space(s[inner]))
			inner++;
		if (strncmp(s + inner, "/*", 2) == 0) {
			const char *close = strstr(s + inner + 2, "*/");
			if (close == NULL)
				return template_syntax_error(p->tree, p->err, at,
							     "unclosed comment");
			pos = (size_t)(close - s) + 2;
			if (is_space(s[pos]) && s[pos + 1] == '-' &&
			    strncmp(s + pos + 2, "}}", 2) == 0)
				trim_left = true, pos += 4;
			else if (strncmp(s + pos, "}}", 2) == 0)
				pos += 2;
			else
				return template_syntax_error(
				    p->tree, p->err, at, "comment ends before closing delimiter");
			continue;
		}
		emit(p, TOK_LEFT, at, inner);
		pos = inner;
		if (lex_action(p, &pos, &trim_left) < 0)
			return -1;
	}
	emit(p, TOK_EOF, strlen(s), strlen(s));
	return 0;
}
int template_lex(struct template_tree *t, struct token **toks, size_t *ntoks, hutch_error *err)
{
	struct lexer p = {.tree = t, .err = err};
	if (lex_all(&p) < 0) {
		free(p.toks);
		return -1;
	}
	*toks = p.toks;
	*ntoks = p.ntoks;
	return 0;
}
