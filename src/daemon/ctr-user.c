/* Config.User ("name", "uid", "name:group", "uid:gid", ...) resolved the
 * way runc's user lookup does it, against the image's own /etc/passwd and
 * /etc/group, which are read from the snapshot directories as the
 * container's overlay will show them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctr-build-internal.h"
#include "file-util.h"

#define MAX_ID 2147483647u /* Docker: uids and gids must be in range 0-2147483647 */
#define MAX_ETC_FILE (4 * 1024 * 1024)

void ctr_user_free(struct ctr_user *u)
{
	free(u->groups);
	free(u->home);
	u->groups = NULL;
	u->home = NULL;
}

/* A decimal id: 1 when spec is one (in *id), 0 when it is a name, -1 when
 * it is a number out of range. */
static int parse_id(const char *s, uint32_t *id)
{
	if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s))
		return 0;
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno != 0 || v > MAX_ID)
		return -1;
	*id = (uint32_t)v;
	return 1;
}

/* Field i (0-based) of a colon-separated line, copied into buf. */
static const char *field(const char *line, size_t len, int i, char *buf, size_t size)
{
	const char *p = line, *end = line + len;
	for (int k = 0; k < i; k++) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		if (c == NULL)
			return NULL;
		p = c + 1;
	}
	const char *c = memchr(p, ':', (size_t)(end - p));
	size_t l = (size_t)((c ? c : end) - p);
	if (l >= size)
		l = size - 1;
	memcpy(buf, p, l);
	buf[l] = '\0';
	return buf;
}

/* Call fn for each line of a passwd/group file that has at least min
 * fields; it returns true to stop. */
typedef bool (*line_fn)(const char *line, size_t len, void *ctx);
static void each_line(const char *text, line_fn fn, void *ctx)
{
	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && p[0] != '#' && fn(p, len, ctx))
			return;
		p = nl ? nl + 1 : NULL;
	}
}

struct passwd_match {
	const char *want; /* name or number */
	bool by_id;
	uint32_t id;
	bool found;
	char name[256];
	uint32_t uid, gid;
	char home[PATH_MAX];
};

static bool passwd_line(const char *line, size_t len, void *ctx)
{
	struct passwd_match *m = ctx;
	char name[256], uid[32], gid[32], home[PATH_MAX];
	if (!field(line, len, 0, name, sizeof(name)) || !field(line, len, 2, uid, sizeof(uid)) ||
	    !field(line, len, 3, gid, sizeof(gid)))
		return false;
	uint32_t u, g;
	if (parse_id(uid, &u) != 1 || parse_id(gid, &g) != 1)
		return false;
	if (m->by_id ? u != m->id : strcmp(name, m->want) != 0)
		return false;
	m->found = true;
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->uid = u;
	m->gid = g;
	if (field(line, len, 5, home, sizeof(home)))
		snprintf(m->home, sizeof(m->home), "%s", home);
	return true;
}

struct group_match {
	const char *want;
	bool by_id;
	uint32_t id;
	bool found;
	uint32_t gid;
	/* membership collection */
	const char *member;
	uint32_t *gids;
	size_t n_gids;
};

static bool group_line(const char *line, size_t len, void *ctx)
{
	struct group_match *m = ctx;
	char name[256], gid[32];
	if (!field(line, len, 0, name, sizeof(name)) || !field(line, len, 2, gid, sizeof(gid)))
		return false;
	uint32_t g;
	if (parse_id(gid, &g) != 1)
		return false;
	if (m->member != NULL) {
		char members[4096];
		if (!field(line, len, 3, members, sizeof(members)))
			return false;
		char *save = NULL;
		for (char *t = strtok_r(members, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (strcmp(t, m->member) == 0) {
				m->gids = realloc(m->gids, (m->n_gids + 1) * sizeof(uint32_t));
				if (m->gids == NULL)
					abort();
				m->gids[m->n_gids++] = g;
				break;
			}
		}
		return false;
	}
	if (m->by_id ? g != m->id : strcmp(name, m->want) != 0)
		return false;
	m->found = true;
	m->gid = g;
	return true;
}

static int lookup_group(const char *spec, const char *group, uint32_t *gid, hutch_error *err)
{
	struct group_match gm = {.want = spec};
	int r = parse_id(spec, &gm.id);
	if (r < 0)
		return hutch_fail_plain(err, EINVAL, "uids and gids must be in range 0-%u: %s",
					MAX_ID, spec);
	gm.by_id = r == 1;
	each_line(group, group_line, &gm);
	if (gm.found) {
		*gid = gm.gid;
		return 0;
	}
	if (gm.by_id) {
		*gid = gm.id;
		return 0;
	}
	return hutch_fail_plain(err, EINVAL,
				"unable to find group %s: no matching entries in group file", spec);
}

static void add_gid(struct ctr_user *u, uint32_t g)
{
	for (size_t i = 0; i < u->n_groups; i++)
		if (u->groups[i] == g)
			return;
	u->groups = realloc(u->groups, (u->n_groups + 1) * sizeof(uint32_t));
	if (u->groups == NULL)
		abort();
	u->groups[u->n_groups++] = g;
}

int ctr_user_resolve(const char *spec, const char *passwd, const char *group,
		     json_object *group_add, struct ctr_user *out, hutch_error *err)
{
	*out = (struct ctr_user){0};
	_cleanup_free_ char *copy = strdup(spec ? spec : "");
	if (copy == NULL)
		return hutch_fail(err, ENOMEM, "user");
	char *grp = strchr(copy, ':');
	if (grp != NULL)
		*grp++ = '\0';
	const char *user = copy[0] ? copy : "0";

	struct passwd_match pm = {.want = user};
	int r = parse_id(user, &pm.id);
	if (r < 0)
		return hutch_fail_plain(err, EINVAL, "uids and gids must be in range 0-%u: %s",
					MAX_ID, user);
	pm.by_id = r == 1;
	each_line(passwd, passwd_line, &pm);
	if (!pm.found && !pm.by_id)
		return hutch_fail_plain(
		    err, EINVAL, "unable to find user %s: no matching entries in passwd file",
		    user);
	/* A numeric uid without an entry: gid 0, home "/" (runc's defaults). */
	out->uid = pm.found ? pm.uid : pm.id;
	out->gid = pm.found ? pm.gid : 0;
	out->home = strdup(pm.found && pm.home[0] ? pm.home : "/");
	if (out->home == NULL)
		return hutch_fail(err, ENOMEM, "user");

	if (grp != NULL && grp[0] != '\0') {
		if (lookup_group(grp, group, &out->gid, err) < 0)
			goto fail;
	} else if (pm.found) {
		/* Supplementary groups of the user's entry, only without an
		 * explicit group (as runc). */
		struct group_match gm = {.member = pm.name};
		each_line(group, group_line, &gm);
		for (size_t i = 0; i < gm.n_gids; i++)
			if (gm.gids[i] != out->gid)
				add_gid(out, gm.gids[i]);
		free(gm.gids);
	}
	size_t n = group_add ? json_object_array_length(group_add) : 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t g;
		if (lookup_group(json_object_get_string(json_object_array_get_idx(group_add, i)),
				 group, &g, err) < 0)
			goto fail;
		add_gid(out, g);
	}
	return 0;
fail:
	ctr_user_free(out);
	return -1;
}

/* Whether a layer hides the lower layers' copy of dir/name: a .wh.name
 * file or a 0/0 character device named name. */
static bool is_whiteout(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	snprintf(p, sizeof(p), "%s/.wh.%s", dir, name);
	if (lstat(p, &st) == 0)
		return true;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

static bool is_opaque(const char *dir)
{
	char v[8];
	ssize_t n = lgetxattr(dir, "user.overlay.opaque", v, sizeof(v));
	if (n <= 0)
		n = lgetxattr(dir, "trusted.overlay.opaque", v, sizeof(v));
	return n > 0 && v[0] == 'y';
}

int ctr_layers_read_file(char *const *lowers, size_t n, const char *relpath, char **content,
			 hutch_error *err)
{
	*content = NULL;
	for (size_t l = 0; l < n; l++) {
		/* Walk the components: a whiteout of any of them, or an opaque
		 * directory on the way, ends the search below this layer. */
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", lowers[l]);
		_cleanup_free_ char *copy = strdup(relpath);
		if (copy == NULL)
			return hutch_fail(err, ENOMEM, "read %s", relpath);
		bool stop = false, present = true;
		char *save = NULL;
		for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
			if (is_whiteout(dir, c)) {
				stop = true;
				present = false;
				break;
			}
			size_t dl = strlen(dir);
			snprintf(dir + dl, sizeof(dir) - dl, "/%s", c);
			struct stat st;
			if (lstat(dir, &st) < 0) {
				present = false;
				break;
			}
			bool last = save == NULL || *save == '\0';
			if (!last) {
				if (!S_ISDIR(st.st_mode)) {
					/* A file or link where a directory belongs hides
					 * everything below (links are not followed: a
					 * symlinked /etc is rare in images). */
					stop = true;
					present = false;
					break;
				}
				if (is_opaque(dir))
					stop = true;
			} else if (!S_ISREG(st.st_mode)) {
				stop = true;
				present = false;
			}
		}
		if (present)
			return read_file_all(dir, MAX_ETC_FILE, content, NULL, err);
		if (stop)
			return 0;
	}
	return 0;
}
