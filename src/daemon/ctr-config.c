/* The image's config merged into the request's Config, as Docker's daemon
 * merges them, and the environment the container's process gets. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "cleanup.h"
#include "ctr-build-internal.h"
#include "json-util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The length of the name part of "NAME=value" (all of it without '='). */
static size_t env_name_len(const char *e)
{
	const char *eq = strchr(e, '=');
	return eq ? (size_t)(eq - e) : strlen(e);
}

static bool env_same_name(const char *a, const char *b)
{
	size_t la = env_name_len(a);
	return la == env_name_len(b) && strncmp(a, b, la) == 0;
}

const char *ctr_env_get(char *const *env, const char *name)
{
	size_t l = strlen(name);
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], name, l) == 0 && env[i][l] == '=')
			return env[i] + l + 1;
	return NULL;
}

char **ctr_env_set(char **env, const char *entry)
{
	for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
		if (env_same_name(env[i], entry)) {
			char *copy = strdup(entry);
			if (copy == NULL)
				abort();
			free(env[i]);
			env[i] = copy;
			return env;
		}
	}
	return ctr_strv_add(env, entry);
}

/* Docker's ReplaceOrAppendEnvValues: an override "NAME" without '='
 * removes NAME. */
static char **env_override(char **env, const char *entry)
{
	if (strchr(entry, '=') != NULL)
		return ctr_env_set(env, entry);
	size_t n = ctr_strv_len(env), j = 0;
	for (size_t i = 0; i < n; i++) {
		if (env_same_name(env[i], entry))
			free(env[i]);
		else
			env[j++] = env[i];
	}
	if (env != NULL)
		env[j] = NULL;
	return env;
}

char **ctr_env_build(json_object *env, const char *hostname, bool tty)
{
	char **out = ctr_strv_add(NULL, DEFAULT_PATH);
	_cleanup_free_ char *h = NULL;
	if (asprintf(&h, "HOSTNAME=%s", hostname) < 0)
		abort();
	out = ctr_strv_add(out, h);
	if (tty)
		out = ctr_strv_add(out, "TERM=xterm");
	size_t n = env ? json_object_array_length(env) : 0;
	for (size_t i = 0; i < n; i++)
		out = env_override(out, json_object_get_string(json_object_array_get_idx(env, i)));
	return out;
}

static bool empty_string(json_object *v)
{
	return v == NULL || !json_object_is_type(v, json_type_string) ||
	       json_object_get_string_len(v) == 0;
}

static size_t array_len(json_object *v)
{
	return v != NULL && json_object_is_type(v, json_type_array) ? json_object_array_length(v)
								    : 0;
}

static void set_copy(json_object *config, const char *key, json_object *v)
{
	json_object *copy = NULL;
	if (json_object_deep_copy(v, &copy, NULL) < 0)
		abort();
	json_object_object_add(config, key, copy);
}

/* Image keys absent from the request's object are added (ExposedPorts,
 * Volumes, Labels). */
static void join_objects(json_object *config, const char *key, json_object *image_value)
{
	if (image_value == NULL || !json_object_is_type(image_value, json_type_object))
		return;
	json_object *mine = ctr_member(config, key);
	if (mine == NULL) {
		set_copy(config, key, image_value);
		return;
	}
	json_object_object_foreach(image_value, k, v)
	{
		if (!json_object_object_get_ex(mine, k, NULL))
			json_object_object_add(mine, k, json_object_get(v));
	}
}

static int check_env(json_object *env, hutch_error *err)
{
	for (size_t i = 0; i < array_len(env); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		if (e[0] == '=' || e[0] == '\0')
			return hutch_fail_plain(err, EINVAL, "invalid environment variable: %s", e);
	}
	return 0;
}

int ctr_config_merge(json_object *config, json_object *image_config, hutch_error *err)
{
	json_object *uenv = ctr_member(config, "Env");
	if (check_env(uenv, err) < 0)
		return -1;
	json_object *ic = image_config;
	if (ic != NULL) {
		if (empty_string(ctr_member(config, "User")) && ctr_member(ic, "User"))
			set_copy(config, "User", ctr_member(ic, "User"));
		join_objects(config, "ExposedPorts", ctr_member(ic, "ExposedPorts"));
		join_objects(config, "Volumes", ctr_member(ic, "Volumes"));
		join_objects(config, "Labels", ctr_member(ic, "Labels"));

		/* Env: the request's entries, then the image's whose names the
		 * request does not mention. */
		json_object *ienv = ctr_member(ic, "Env");
		if (array_len(uenv) == 0) {
			if (ienv != NULL)
				set_copy(config, "Env", ienv);
		} else {
			for (size_t i = 0; i < array_len(ienv); i++) {
				json_object *ie = json_object_array_get_idx(ienv, i);
				const char *is = json_object_get_string(ie);
				bool found = false;
				for (size_t j = 0; j < array_len(uenv) && !found; j++)
					found = env_same_name(
					    is, json_object_get_string(
						    json_object_array_get_idx(uenv, j)));
				if (!found)
					json_object_array_add(uenv, json_object_new_string(is));
			}
		}

		/* A request Entrypoint replaces the image's and keeps the image's
		 * Cmd out; an empty (not absent) one clears the image's. */
		json_object *uep = ctr_member(config, "Entrypoint");
		if (array_len(uep) == 0) {
			if (array_len(ctr_member(config, "Cmd")) == 0 && ctr_member(ic, "Cmd"))
				set_copy(config, "Cmd", ctr_member(ic, "Cmd"));
			if (uep == NULL && ctr_member(ic, "Entrypoint"))
				set_copy(config, "Entrypoint", ctr_member(ic, "Entrypoint"));
		}
		if (empty_string(ctr_member(config, "WorkingDir")) && ctr_member(ic, "WorkingDir"))
			set_copy(config, "WorkingDir", ctr_member(ic, "WorkingDir"));
		if (empty_string(ctr_member(config, "StopSignal")) &&
		    !empty_string(ctr_member(ic, "StopSignal")))
			set_copy(config, "StopSignal", ctr_member(ic, "StopSignal"));
		if (ctr_member(config, "Healthcheck") == NULL && ctr_member(ic, "Healthcheck"))
			set_copy(config, "Healthcheck", ctr_member(ic, "Healthcheck"));
		if (ctr_member(config, "Shell") == NULL && ctr_member(ic, "Shell"))
			set_copy(config, "Shell", ctr_member(ic, "Shell"));
		if (ctr_member(config, "OnBuild") == NULL && ctr_member(ic, "OnBuild"))
			set_copy(config, "OnBuild", ctr_member(ic, "OnBuild"));
	}
	if (check_env(ctr_member(config, "Env"), err) < 0)
		return -1;
	const char *wd = json_object_get_string(ctr_member(config, "WorkingDir"));
	if (wd != NULL && wd[0] != '\0' && wd[0] != '/')
		return hutch_fail_plain(
		    err, EINVAL,
		    "the working directory '%s' is invalid, it needs to be an absolute path", wd);
	return 0;
}

int ctr_config_command(json_object *config, char ***argv, size_t *argc, hutch_error *err)
{
	char **out = NULL;
	json_object *lists[] = {ctr_member(config, "Entrypoint"), ctr_member(config, "Cmd")};
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < array_len(lists[l]); i++)
			out = ctr_strv_add(
			    out, json_object_get_string(json_object_array_get_idx(lists[l], i)));
	/* An Entrypoint of [""] (docker run --entrypoint "") means none. */
	if (out != NULL && out[0][0] == '\0' && array_len(lists[0]) == 1) {
		free(out[0]);
		memmove(out, out + 1, ctr_strv_len(out + 1) * sizeof(char *) + sizeof(char *));
	}
	if (out == NULL || out[0] == NULL) {
		strv_free(out);
		return hutch_fail_plain(err, EINVAL, "no command specified");
	}
	*argv = out;
	*argc = ctr_strv_len(out);
	return 0;
}
