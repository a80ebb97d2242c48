/* The templates' printf: Go's fmt.Sprintf for the verbs that a format
 * uses, with Go's texts for arguments that are missing, extra or do not
 * fit their verb. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "template-internal.h"

/* Go's %q of a string: double quotes, with Go's escapes. */
static void print_quoted(const char *s, FILE *out)
{
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		static const char from[] = "\a\b\f\n\r\t\v\\\"", to[] = "abfnrtv\\\"";
		const char *at = *c ? strchr(from, *c) : NULL;
		if (at)
			fprintf(out, "\\%c", to[at - from]);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(out, "\\x%02x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

/* %!verb(type=value), Go's text for an argument that does not fit. */
static void print_bad_verb(char verb, const struct value *v, FILE *out)
{
	if (v->json == NULL) {
		fprintf(out, "%%!%c(<nil>)", verb);
		return;
	}
	fprintf(out, "%%!%c(%s=", verb, value_type_name(v));
	json_print_go(v->json, out);
	fputc(')', out);
}

/* The flags, width and precision of one printf verb. */
struct spec {
	bool minus, plus, space, zero, sharp;
	int width, prec; /* -1 when not given */
};

/* A field of printf: sign or prefix, then body, padded to the width with
 * spaces (or zeros after the prefix, for numbers with the 0 flag). */
static void print_field(const struct spec *sp, const char *prefix, const char *body, bool numeric,
			FILE *out)
{
	int len = (int)(strlen(prefix) + strlen(body));
	int pad = sp->width > len ? sp->width - len : 0;
	if (sp->minus) {
		fprintf(out, "%s%s%*s", prefix, body, pad, "");
		return;
	}
	if (numeric && sp->zero) {
		fputs(prefix, out);
		for (int i = 0; i < pad; i++)
			fputc('0', out);
		fputs(body, out);
		return;
	}
	fprintf(out, "%*s%s%s", pad, "", prefix, body);
}

static void print_integer(const struct spec *sp, char verb, int64_t v, FILE *out)
{
	char digits[80], body[200];
	unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	if (verb == 'x')
		snprintf(digits, sizeof(digits), "%llx", mag);
	else if (verb == 'X')
		snprintf(digits, sizeof(digits), "%llX", mag);
	else if (verb == 'o')
		snprintf(digits, sizeof(digits), "%llo", mag);
	else
		snprintf(digits, sizeof(digits), "%llu", mag);
	int zeros = sp->prec > (int)strlen(digits) ? sp->prec - (int)strlen(digits) : 0;
	snprintf(body, sizeof(body), "%.*s%s", zeros, "0000000000000000000000000000000000000000",
		 digits);
	char prefix[8];
	snprintf(prefix, sizeof(prefix), "%s%s",
		 v < 0	     ? "-"
		 : sp->plus  ? "+"
		 : sp->space ? " "
			     : "",
		 !sp->sharp    ? ""
		 : verb == 'x' ? "0x"
		 : verb == 'X' ? "0X"
		 : verb == 'o' ? "0"
			       : "");
	print_field(sp, prefix, body, sp->prec < 0, out);
}

static void print_float(const struct spec *sp, char verb, double d, FILE *out)
{
	char body[400];
	int prec = sp->prec < 0 ? 6 : sp->prec;
	double mag = fabs(d);
	if (verb == 'e')
		snprintf(body, sizeof(body), "%.*e", prec, mag);
	else if (verb == 'E')
		snprintf(body, sizeof(body), "%.*E", prec, mag);
	else if (verb == 'g' || verb == 'G') {
		/* %g without a precision is Go's shortest form, as %v prints. */
		FILE *m = fmemopen(body, sizeof(body), "w");
		if (m == NULL)
			return;
		json_object *num = json_object_new_double(mag);
		if (sp->prec < 0)
			json_print_go(num, m);
		json_object_put(num);
		fclose(m);
		if (sp->prec >= 0)
			snprintf(body, sizeof(body), verb == 'g' ? "%.*g" : "%.*G", prec, mag);
	} else
		snprintf(body, sizeof(body), "%.*f", prec, mag);
	const char *sign = signbit(d) ? "-" : sp->plus ? "+" : sp->space ? " " : "";
	print_field(sp, sign, body, true, out);
}

/* One %verb of printf. */
static void print_verb(const struct spec *sp, char verb, const struct value *v, FILE *out)
{
	enum json_type k = json_object_get_type(v->json);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	bool fits = (verb == 'v') ||
		    (verb == 's' &&
		     (k == json_type_string || k == json_type_array || k == json_type_object)) ||
		    (verb == 'q' && k == json_type_string) ||
		    (verb == 't' && k == json_type_boolean) ||
		    (strchr("dxXoc", verb) && k == json_type_int) ||
		    (strchr("xX", verb) && k == json_type_string) ||
		    (strchr("feEgG", verb) && k == json_type_double);
	if (!fits) {
		print_bad_verb(verb, v, out);
		return;
	}
	if (strchr("dxXo", verb) && k == json_type_int) {
		print_integer(sp, verb, json_object_get_int64(v->json), out);
		return;
	}
	if (strchr("feEgG", verb)) {
		print_float(sp, verb, json_object_get_double(v->json), out);
		return;
	}
	FILE *m = open_memstream(&text, &len);
	if (m == NULL)
		return;
	if (verb == 'q') {
		print_quoted(json_object_get_string(v->json), m);
	} else if (verb == 'x' || verb == 'X') {
		for (const char *c = json_object_get_string(v->json); *c; c++)
			fprintf(m, verb == 'x' ? "%02x" : "%02X", (unsigned char)*c);
	} else if (verb == 'c') {
		int64_t code = json_object_get_int64(v->json);
		char utf8[8] = {0};
		if (code < 0x80)
			utf8[0] = (char)code;
		else if (code < 0x800)
			utf8[0] = (char)(0xc0 | (code >> 6)),
			utf8[1] = (char)(0x80 | (code & 0x3f));
		else
			utf8[0] = (char)(0xe0 | ((code >> 12) & 0xf)),
			utf8[1] = (char)(0x80 | ((code >> 6) & 0x3f)),
			utf8[2] = (char)(0x80 | (code & 0x3f));
		fputs(utf8, m);
	} else {
		json_print_go(v->json, m);
	}
	fclose(m);
	/* A precision cuts a string; a width pads it. */
	if (sp->prec >= 0 && (verb == 's' || verb == 'v') && (size_t)sp->prec < len)
		text[sp->prec] = '\0';
	print_field(sp, "", text, false, out);
}

/* fmt.Sprintf for the verbs a format uses: %v %s %q %d %x %X %o %c %f %e
 * %g %t and %%, with the flags -+# 0, width and precision. */
void template_printf(const char *format, struct value *args, size_t n, FILE *out)
{
	size_t next = 0;
	for (const char *p = format; *p; p++) {
		if (*p != '%') {
			fputc(*p, out);
			continue;
		}
		struct spec sp = {.width = -1, .prec = -1};
		for (p++; *p && strchr("-+# 0", *p); p++) {
			sp.minus |= *p == '-';
			sp.plus |= *p == '+';
			sp.space |= *p == ' ';
			sp.zero |= *p == '0';
			sp.sharp |= *p == '#';
		}
		for (; isdigit((unsigned char)*p); p++)
			sp.width = (sp.width < 0 ? 0 : sp.width) * 10 % 100000 + (*p - '0');
		if (*p == '.')
			for (p++, sp.prec = 0; isdigit((unsigned char)*p); p++)
				sp.prec = sp.prec * 10 % 100000 + (*p - '0');
		if (*p == '\0') {
			fputs("%!(NOVERB)", out);
			break;
		}
		if (*p == '%') {
			fputc('%', out);
			continue;
		}
		if (next >= n) {
			fprintf(out, "%%!%c(MISSING)", *p);
			continue;
		}
		print_verb(&sp, *p, &args[next++], out);
	}
	if (next < n) {
		fputs("%!(EXTRA ", out);
		for (size_t i = next; i < n; i++) {
			fprintf(out, "%s%s=", i > next ? ", " : "", value_type_name(&args[i]));
			json_print_go(args[i].json, out);
		}
		fputc(')', out);
	}
}
