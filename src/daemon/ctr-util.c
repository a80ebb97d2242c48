/* Small helpers the ctr_build parts share: reading request members that
 * may be absent or null, string vectors, addresses, random ids. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ctr-build-internal.h"

json_object *ctr_member(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

const char *ctr_member_string(json_object *o, const char *key)
{
	json_object *v = ctr_member(o, key);
	return v ? json_object_get_string(v) : "";
}

bool ctr_member_bool(json_object *o, const char *key)
{
	json_object *v = ctr_member(o, key);
	return v != NULL && json_object_get_boolean(v);
}

int64_t ctr_member_int(json_object *o, const char *key)
{
	json_object *v = ctr_member(o, key);
	return v ? json_object_get_int64(v) : 0;
}

json_object *ctr_strv_json(char *const *v)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

bool ctr_valid_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

size_t ctr_strv_len(char *const *v)
{
	size_t n = 0;
	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

char **ctr_strv_add(char **v, const char *s)
{
	size_t n = ctr_strv_len(v);
	char **nv = realloc(v, (n + 2) * sizeof(char *));
	if (nv == NULL)
		abort();
	nv[n] = strdup(s);
	if (nv[n] == NULL)
		abort();
	nv[n + 1] = NULL;
	return nv;
}

void ctr_random_hex(char *out, size_t nbytes)
{
	unsigned char buf[64];
	if (nbytes > sizeof(buf))
		nbytes = sizeof(buf);
	/* getrandom never fails for <= 256 bytes once the pool is ready;
	 * without it an id would not be unique, so stop rather than guess. */
	if (getrandom(buf, nbytes, 0) != (ssize_t)nbytes)
		abort();
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", buf[i]);
}
