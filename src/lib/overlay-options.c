#include "overlay-options.h"

#include <errno.h>
#include <string.h>

/* ':' separates layers and ',' options, so both (and the escape itself)
 * get a backslash inside a path. */
static int append(char *buf, size_t size, size_t *len, const char *s, bool escape)
{
	for (; *s != '\0'; s++) {
		if (*len + 3 >= size)
			return -1;
		if (escape && (*s == ':' || *s == ',' || *s == '\\'))
			buf[(*len)++] = '\\';
		buf[(*len)++] = *s;
	}
	buf[*len] = '\0';
	return 0;
}

/* ",key=" and the escaped path. */
static int append_path(char *buf, size_t size, size_t *len, const char *key, const char *path)
{
	return append(buf, size, len, key, false) < 0 || append(buf, size, len, path, true) < 0 ? -1
												: 0;
}

int overlay_options_build(const struct overlay_layout *l, char *buf, size_t size, hutch_error *err)
{
	size_t len = 0;
	if (size == 0 || l->n_lower == 0)
		return hutch_fail_plain(err, EINVAL, "overlay options: no lower dir");
	buf[0] = '\0';
	int r = 0;
	for (size_t i = 0; r == 0 && i < l->n_lower; i++)
		r = append_path(buf, size, &len, i == 0 ? "lowerdir=" : ":", l->lower[i]);
	if (r == 0 && l->upper != NULL)
		r = append_path(buf, size, &len, ",upperdir=", l->upper);
	if (r == 0 && l->upper != NULL)
		r = append_path(buf, size, &len, ",workdir=", l->work);
	if (r == 0 && l->allow_other)
		r = append(buf, size, &len, ",allow_other", false);
	if (r == 0 && l->xattr_permissions)
		r = append(buf, size, &len, ",xattr_permissions=2", false);
	if (r < 0)
		return hutch_fail_plain(err, E2BIG, "overlay options: too many or too long layers");
	return 0;
}
