/* Cleanup attributes: a variable declared with one of these is released
 * when it goes out of scope, so error paths need no goto ladders. To hand
 * ownership to the caller, take it out with steal_pointer()/steal_fd(). */
#ifndef HUTCH_CLEANUP_H
#define HUTCH_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(cleanup_freep)
#define _cleanup_close_ _cleanup_(cleanup_closep)
#define _cleanup_fclose_ _cleanup_(cleanup_fclosep)
#define _cleanup_closedir_ _cleanup_(cleanup_closedirp)
#define _cleanup_strv_ _cleanup_(cleanup_strvp)

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

/* close() keeps errno intact so a cleanup never hides the error that made
 * the function return. */
static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f != NULL) {
		int saved = errno;
		fclose(*f);
		errno = saved;
	}
}

static inline void cleanup_closedirp(DIR **d)
{
	if (*d != NULL) {
		int saved = errno;
		closedir(*d);
		errno = saved;
	}
}

/* A NULL-terminated array of strings, each owned. */
static inline void strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

static inline void cleanup_strvp(char ***v)
{
	strv_free(*v);
}

static inline void *steal_pointer_impl(void **p)
{
	void *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) steal_pointer_impl((void **)(pp))

static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

#endif
