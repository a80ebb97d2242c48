/* Docker's ?filters= query parameter, shared by the list and prune
 * routes of containers and volumes. */
#ifndef HUTCH_DAEMON_API_FILTERS_H
#define HUTCH_DAEMON_API_FILTERS_H

#include <json-c/json.h>
#include <stdbool.h>

#include "daemon.h"

/* ?filters= in either of Docker's spellings, {"k":["v"]} or the older
 * {"k":{"v":true}}, normalised to the first; keys outside allowed (a NULL
 * terminated list) are EINVAL "invalid filter 'KEY'", as in Docker. *out
 * is an object (caller puts), empty without filters. */
int api_filters_parse(struct request *r, const char *const *allowed, json_object **out,
		      hutch_error *err);
/* The values of a key, NULL when it has none. */
json_object *api_filter_values(json_object *filters, const char *key);
const char *api_filter_value(json_object *list, size_t i);
/* Every value of filters[key] ("k" or "k=v") matches labels (an object,
 * may be NULL); with negate none does. Docker ANDs label filters. */
bool api_labels_match(json_object *labels, json_object *filters, const char *key, bool negate);
/* A boolean filter value as Docker reads one ("true"/"1", "false"/"0");
 * anything else is EINVAL "invalid filter 'KEY=VALUE'". */
int api_filter_bool(json_object *filters, const char *key, bool def, bool *out, hutch_error *err);

#endif
