/* Pulling an image: resolve the manifest (synchronously, so "not found"
 * and "access denied" become proper HTTP errors), then download layers in
 * parallel and unpack each one as soon as it arrives (snapshots hold one
 * layer each, so they do not wait for each other), streaming Docker's JSON
 * progress lines. Two pulls that need the same layer share the work
 * through store claims: the blob is downloaded and unpacked once. */
#ifndef HUTCH_DAEMON_PULL_H
#define HUTCH_DAEMON_PULL_H

#include "daemon.h"
#include "error.h"

struct pull;

/* Resolve ref (with the registry credentials userpass, may be NULL) for
 * platform (NULL: this machine's). */
int pull_prepare(struct hutchd *d, const char *ref, const char *platform, const char *userpass,
		 struct pull **out, hutch_error *err);

/* Run the pull in a new thread writing JSON lines to out_fd (closed at the
 * end). The pull owns itself afterwards. */
int pull_start(struct pull *p, int out_fd, hutch_error *err);

void pull_free(struct pull *p);

#endif
