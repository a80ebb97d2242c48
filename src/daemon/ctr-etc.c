/* The three files bind-mounted over the container's /etc: hosts, hostname
 * and resolv.conf. With slirp the name server is always slirp's own
 * forwarder (10.0.2.3): a host that resolves through a stub on
 * 127.0.0.53 would otherwise hand the container a loopback address that
 * means nothing in its network namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ctr-build-internal.h"

#define SLIRP_DNS "10.0.2.3"

/* A growing text buffer (open_memstream). */
struct text {
	FILE *f;
	char *buf;
	size_t len;
};

static void text_open(struct text *t)
{
	t->buf = NULL;
	t->f = open_memstream(&t->buf, &t->len);
	if (t->f == NULL)
		abort();
}

static char *text_close(struct text *t)
{
	fclose(t->f);
	return t->buf;
}

int ctr_hosts_build(const char *hostname, const char *domainname, const char *own_ip,
		    json_object *extra_hosts, const char *gateway, char **out, hutch_error *err)
{
	struct text t;
	text_open(&t);
	fputs("127.0.0.1\tlocalhost\n"
	      "::1\tlocalhost ip6-localhost ip6-loopback\n"
	      "fe00::0\tip6-localnet\n"
	      "ff00::0\tip6-mcastprefix\n"
	      "ff02::1\tip6-allnodes\n"
	      "ff02::2\tip6-allrouters\n",
	      t.f);
	size_t n = extra_hosts ? json_object_array_length(extra_hosts) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(extra_hosts, i));
		/* "name:ip" (the ip may be IPv6, so split at the first ':'),
		 * or "name=ip" as newer clients send it. */
		size_t nl = strcspn(e, ":=");
		const char *ip = e[nl] ? e + nl + 1 : NULL;
		if (nl == 0 || ip == NULL || ip[0] == '\0') {
			free(text_close(&t));
			return hutch_fail_plain(err, EINVAL, "bad format for add-host: \"%s\"", e);
		}
		if (strcmp(ip, "host-gateway") == 0)
			ip = gateway;
		/* Docker accepts "[::1]" too. */
		char ipbuf[64];
		size_t il = strlen(ip);
		if (ip[0] == '[' && il > 2 && ip[il - 1] == ']' && il - 2 < sizeof(ipbuf)) {
			memcpy(ipbuf, ip + 1, il - 2);
			ipbuf[il - 2] = '\0';
			ip = ipbuf;
		}
		if (!ctr_valid_ip(ip)) {
			free(text_close(&t));
			return hutch_fail_plain(err, EINVAL,
						"invalid IP address in add-host: \"%s\"", ip);
		}
		fprintf(t.f, "%s\t%.*s\n", ip, (int)nl, e);
	}
	if (own_ip != NULL) {
		if (domainname != NULL && domainname[0] != '\0')
			fprintf(t.f, "%s\t%s.%s %s\n", own_ip, hostname, domainname, hostname);
		else
			fprintf(t.f, "%s\t%s\n", own_ip, hostname);
	}
	*out = text_close(&t);
	return 0;
}

/* The words after keyword on the base file's lines (all such lines). */
static void base_lines(const char *base, const char *keyword, FILE *to, const char *prefix)
{
	size_t kl = strlen(keyword);
	for (const char *p = base; p != NULL && *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > kl && strncmp(p, keyword, kl) == 0 && (p[kl] == ' ' || p[kl] == '\t'))
			fprintf(to, "%s%.*s\n", prefix, (int)(len - kl - 1), p + kl + 1);
		p = nl ? nl + 1 : NULL;
	}
}

static size_t len_of(json_object *a)
{
	return a ? json_object_array_length(a) : 0;
}

static const char *at(json_object *a, size_t i)
{
	return json_object_get_string(json_object_array_get_idx(a, i));
}

/* "keyword a b c" from a JSON array of strings. */
static void list_line(FILE *f, const char *keyword, json_object *words)
{
	fputs(keyword, f);
	for (size_t i = 0; i < len_of(words); i++)
		fprintf(f, " %s", at(words, i));
	fputc('\n', f);
}

int ctr_resolv_build(const char *base, bool slirp, json_object *dns, json_object *search,
		     json_object *options, char **out, hutch_error *err)
{
	for (size_t i = 0; i < len_of(dns); i++)
		if (!ctr_valid_ip(at(dns, i)))
			return hutch_fail_plain(err, EINVAL, "invalid IP address in Dns: \"%s\"",
						at(dns, i));
	struct text t;
	text_open(&t);
	if (len_of(dns) > 0) {
		for (size_t i = 0; i < len_of(dns); i++)
			fprintf(t.f, "nameserver %s\n", at(dns, i));
	} else if (slirp) {
		fputs("nameserver " SLIRP_DNS "\n", t.f);
	} else {
		base_lines(base, "nameserver", t.f, "nameserver ");
	}
	if (len_of(search) > 0) {
		/* DnsSearch ["."] means no search domains at all. */
		if (!(len_of(search) == 1 && strcmp(at(search, 0), ".") == 0))
			list_line(t.f, "search", search);
	} else {
		base_lines(base, "search", t.f, "search ");
		base_lines(base, "domain", t.f, "domain ");
	}
	if (len_of(options) > 0)
		list_line(t.f, "options", options);
	else
		base_lines(base, "options", t.f, "options ");
	*out = text_close(&t);
	return 0;
}
