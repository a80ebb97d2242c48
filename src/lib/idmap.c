#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "log.h"

extern char **environ;

/* Parse a decimal uint32 field; false on anything else. */
static bool parse_u32(const char *s, uint32_t *out)
{
	if (*s < '0' || *s > '9')
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int idmap_read_subid(const char *path, const char *name, uid_t id, struct oci_id_mapping **ranges,
		     size_t *n, hutch_error *err)
{
	*ranges = NULL;
	*n = 0;
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (f == NULL) {
		/* No file is the same as no range: the single-id fallback. */
		if (errno == ENOENT)
			return 0;
		return hutch_fail(err, errno, "open %s", path);
	}
	char id_text[16];
	snprintf(id_text, sizeof(id_text), "%u", (unsigned)id);
	_cleanup_free_ struct oci_id_mapping *list = NULL;
	size_t count = 0, cap = 0;
	uint32_t next_container_id = 1;
	_cleanup_free_ char *line = NULL;
	size_t line_cap = 0;
	int lineno = 0;
	errno = 0;
	while (getline(&line, &line_cap, f) >= 0) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		char *s = trim(line);
		if (*s == '\0')
			continue;
		char *c1 = strchr(s, ':');
		char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
		if (c1 == NULL || c2 == NULL || strchr(c2 + 1, ':') != NULL) {
			log_warning("%s:%d: malformed line skipped (expected NAME:START:COUNT)",
				    path, lineno);
			continue;
		}
		*c1 = '\0';
		*c2 = '\0';
		const char *owner = trim(s);
		uint32_t start, size;
		if (!parse_u32(trim(c1 + 1), &start) || !parse_u32(trim(c2 + 1), &size) ||
		    size == 0 || (uint64_t)start + size > (uint64_t)UINT32_MAX + 1) {
			log_warning("%s:%d: malformed range skipped", path, lineno);
			continue;
		}
		if (!((name != NULL && strcmp(owner, name) == 0) || strcmp(owner, id_text) == 0))
			continue;
		if ((uint64_t)next_container_id + size > (uint64_t)UINT32_MAX) {
			log_warning("%s:%d: range skipped: too many subordinate ids", path, lineno);
			continue;
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 4;
			struct oci_id_mapping *nl = realloc(list, cap * sizeof(*nl));
			if (nl == NULL)
				return hutch_fail(err, ENOMEM, "read %s", path);
			list = nl;
		}
		list[count].container_id = next_container_id;
		list[count].host_id = start;
		list[count].size = size;
		next_container_id += size;
		count++;
	}
	if (ferror(f))
		return hutch_fail(err, errno ? errno : EIO, "read %s", path);
	*ranges = steal_pointer(&list);
	*n = count;
	return 0;
}

int idmap_default_for_caller(bool gid, struct oci_id_mapping **maps, size_t *n, bool *single,
			     hutch_error *err)
{
	uid_t uid = geteuid();
	uint32_t own = gid ? (uint32_t)getegid() : (uint32_t)uid;
	/* subgid is keyed by the user, like subuid. */
	struct passwd *pw = getpwuid(uid);
	const char *path = gid ? "/etc/subgid" : "/etc/subuid";
	_cleanup_free_ struct oci_id_mapping *ranges = NULL;
	size_t n_ranges = 0;
	if (idmap_read_subid(path, pw != NULL ? pw->pw_name : NULL, uid, &ranges, &n_ranges, err) <
	    0)
		return -1;
	struct oci_id_mapping *out = calloc(n_ranges + 1, sizeof(*out));
	if (out == NULL)
		return hutch_fail(err, ENOMEM, "id mapping");
	out[0].container_id = 0;
	out[0].host_id = own;
	out[0].size = 1;
	for (size_t i = 0; i < n_ranges; i++)
		out[i + 1] = ranges[i];
	*maps = out;
	*n = n_ranges + 1;
	*single = n_ranges == 0;
	return 0;
}

int idmap_own_identity(bool gid, struct oci_id_mapping **maps, size_t *n, hutch_error *err)
{
	const char *path = gid ? "/proc/self/gid_map" : "/proc/self/uid_map";
	*maps = NULL;
	*n = 0;
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (f == NULL)
		return hutch_fail(err, errno, "open %s", path);
	_cleanup_free_ struct oci_id_mapping *list = NULL;
	size_t count = 0;
	unsigned long inside, outside, size;
	while (fscanf(f, "%lu %lu %lu", &inside, &outside, &size) == 3) {
		struct oci_id_mapping *nl = realloc(list, (count + 1) * sizeof(*nl));
		if (nl == NULL)
			return hutch_fail(err, ENOMEM, "read %s", path);
		list = nl;
		list[count].container_id = (uint32_t)inside;
		list[count].host_id = (uint32_t)inside;
		list[count].size = (uint32_t)size;
		count++;
	}
	*maps = steal_pointer(&list);
	*n = count;
	return 0;
}

char *idmap_format(const struct oci_id_mapping *maps, size_t n)
{
	size_t size = n * 36 + 1;
	char *buf = malloc(size);
	if (buf == NULL)
		return NULL;
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, size - used, "%u %u %u\n",
					 maps[i].container_id, maps[i].host_id, maps[i].size);
	return buf;
}

/* Run newuidmap/newgidmap PID inside outside count ... and turn a failure
 * into an error that carries the helper's own explanation. */
static int run_map_helper(const char *helper, pid_t pid, const struct oci_id_mapping *maps,
			  size_t n, hutch_error *err)
{
	size_t argc = 2 + 3 * n + 1;
	_cleanup_free_ char **argv = calloc(argc, sizeof(char *));
	_cleanup_free_ char *numbers = malloc((1 + 3 * n) * 12);
	if (argv == NULL || numbers == NULL)
		return hutch_fail(err, ENOMEM, "%s", helper);
	char *p = numbers;
	size_t k = 0;
	argv[k++] = (char *)helper;
	argv[k++] = p;
	p += sprintf(p, "%d", (int)pid) + 1;
	for (size_t i = 0; i < n; i++) {
		uint32_t v[3] = {maps[i].container_id, maps[i].host_id, maps[i].size};
		for (int j = 0; j < 3; j++) {
			argv[k++] = p;
			p += sprintf(p, "%u", v[j]) + 1;
		}
	}
	argv[k] = NULL;

	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return hutch_fail(err, errno, "%s: pipe", helper);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	pid_t child;
	int r = posix_spawnp(&child, helper, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	_cleanup_close_ int rfd = pipefd[0];
	if (r != 0) {
		if (r == ENOENT)
			return hutch_fail_plain(err, ENOENT,
						"%s not found: install the uidmap package "
						"(apt-get install uidmap) to map subordinate ids",
						helper);
		return hutch_fail(err, r, "run %s", helper);
	}
	char out[1024];
	size_t used = 0;
	for (;;) {
		ssize_t got = read(rfd, out + used, sizeof(out) - 1 - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		used += (size_t)got;
		if (used == sizeof(out) - 1)
			break;
	}
	out[used] = '\0';
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return hutch_fail(err, errno, "wait for %s", helper);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *msg = trim(out);
		for (char *q = msg; *q != '\0'; q++)
			if (*q == '\n')
				*q = ' ';
		return hutch_fail_plain(err, EPERM, "%s %d failed (%s %d): %s", helper, (int)pid,
					WIFEXITED(status) ? "exit status" : "signal",
					WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
					*msg ? msg : "no output");
	}
	return 0;
}

int idmap_write(pid_t pid, bool gid, const struct oci_id_mapping *maps, size_t n, hutch_error *err)
{
	if (n == 0)
		return 0;
	uint32_t own = gid ? (uint32_t)getegid() : (uint32_t)geteuid();
	bool privileged = geteuid() == 0;
	bool only_own = n == 1 && maps[0].host_id == own && maps[0].size == 1;
	char path[64];
	if (!privileged && !only_own)
		return run_map_helper(gid ? "newgidmap" : "newuidmap", pid, maps, n, err);
	if (gid && !privileged) {
		/* The kernel lets an unprivileged process write a gid map only
		 * after setgroups is denied, so that dropping a group cannot be
		 * undone by a later setgroups(). */
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		if (write_file_string(path, "deny", err) < 0)
			return -1;
	}
	_cleanup_free_ char *text = idmap_format(maps, n);
	if (text == NULL)
		return hutch_fail(err, ENOMEM, "id map");
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, gid ? "gid_map" : "uid_map");
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return hutch_fail(err, errno, "open %s", path);
	/* The map must arrive in one write(2). */
	ssize_t w = write(fd, text, strlen(text));
	if (w < 0 || (size_t)w != strlen(text))
		return hutch_fail(err, w < 0 ? errno : EIO, "write %s (%s)", path,
				  strtok(text, "\n"));
	return 0;
}
