/* Dispatch of the streaming container endpoints (see streams.h). */
#include <string.h>

#include "streams.h"

bool api_container_streams(struct request *r, struct ctr *c, const char *action,
			   enum MHD_Result *ret)
{
	if (strcmp(action, "attach") == 0 || strcmp(action, "attach/ws") == 0)
		*ret = api_attach(r, c);
	else if (strcmp(action, "logs") == 0)
		*ret = api_logs(r, c);
	else if (strcmp(action, "exec") == 0)
		*ret = api_exec_create(r, c);
	else if (strcmp(action, "archive") == 0)
		*ret = api_archive(r, c);
	else
		return false;
	return true;
}

struct ctr *ctr_ref(struct hutchd *d, struct ctr *c)
{
	/* Through the registry rather than its counter: a container removed
	 * in the meantime gives NULL. */
	struct ctr *again = NULL;
	hutch_error err = {0};
	if (ctr_find(d, c->id, &again, &err) < 0)
		return NULL;
	return again;
}
