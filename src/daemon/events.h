/* Docker events (GET /events): container and image changes, kept in a
 * bounded in-memory ring for `since`, and pushed to live subscribers. */
#ifndef HUTCH_DAEMON_EVENTS_H
#define HUTCH_DAEMON_EVENTS_H

#include <json-c/json.h>
#include <stdint.h>

#include "daemon.h"

/* Record an event: type "container" or "image", action ("create",
 * "start", "die", "destroy", "pull", "delete", "tag", ...), the object's
 * id, and attributes (name, image, exitCode...; may be NULL, ownership
 * taken). Never fails visibly: events are best effort. */
void events_emit(struct hutchd *d, const char *type, const char *action, const char *id,
		 json_object *attributes);

/* Docker's "prune" event of type ("container", "volume") with the
 * attribute reclaimed (bytes). */
void events_emit_prune(struct hutchd *d, const char *type, int64_t reclaimed);

/* The GET /events route. */
enum MHD_Result api_events(struct request *r);

#endif
