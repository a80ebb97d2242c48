/* What the container files of hutchd share among themselves and nobody
 * else needs (containers.c, ctr-monitor.c, ctr-inspect.c). */
#ifndef HUTCH_DAEMON_CTR_INTERNAL_H
#define HUTCH_DAEMON_CTR_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include "containers.h"

/* RFC 3339 with nanoseconds, UTC, as state.json and Docker write times. */
void ctr_time_now(char *buf, size_t size);
/* Docker's event attributes of a container: name, image, its labels. */
json_object *ctr_event_attributes(struct ctr *c);
/* Close every queued attach session (under the lock). */
void ctr_attach_drop_all(struct ctr *c);
/* Connect to a socket in c's runtime directory (attach.sock, ctl.sock),
 * whatever the length of that path. */
int ctr_connect(struct ctr *c, const char *sock, hutch_error *err);
/* The signal that stops c: Config.StopSignal, else SIGTERM. */
int ctr_stop_signal(struct ctr *c);
/* Docker's time strings to unix time (0 for the zero time or junk). */
time_t ctr_parse_time(const char *s);

#endif
