/* Container names: Docker's rule for them and random adjective_noun
 * names (ctr-names.c). */
#ifndef HUTCH_DAEMON_CTR_NAMES_H
#define HUTCH_DAEMON_CTR_NAMES_H

#include <stdbool.h>

#include "error.h"

#define CTR_NAME_MAX 256

/* [a-zA-Z0-9][a-zA-Z0-9_.-]*, shorter than CTR_NAME_MAX. */
bool ctr_name_valid(const char *name);
/* A name as the API gives it ("/web" or "web") checked and without its
 * '/'; EINVAL with Docker's message otherwise. */
int ctr_name_check(const char *given, char out[CTR_NAME_MAX], hutch_error *err);
/* A random "adjective_noun"; attempt counts collisions so far. */
void ctr_name_random(char out[CTR_NAME_MAX], unsigned attempt);

#endif
