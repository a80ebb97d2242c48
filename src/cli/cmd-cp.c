/* hutch cp: files between the host and a container through the archive
 * API (GET/PUT /containers/{id}/archive, tar both ways). "-" stands for a
 * tar stream on stdin or stdout. Docker's naming rule: copying to an
 * existing directory puts the source inside it; copying to a path that
 * does not exist gives the copy that name. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "container-util.h"
#include "json-util.h"

#define GO_MODE_DIR 0x80000000u /* Go's os.ModeDir in the path stat */

/* "ctr:/path" → container and path; false for a host path. A path with
 * a slash before the colon is a host path (docker's rule). */
static bool split_container_arg(const char *arg, char *ctr, size_t csize, const char **path)
{
	const char *colon = strchr(arg, ':');
	if (colon == NULL || colon == arg || arg[0] == '/' || arg[0] == '.')
		return false;
	const char *slash = strchr(arg, '/');
	if (slash && slash < colon)
		return false;
	snprintf(ctr, csize, "%.*s", (int)(colon - arg), arg);
	*path = colon + 1;
	return true;
}

/* The last component of path, or what comes before it (dir), ignoring
 * trailing slashes: "/a/b/" → "b" or "/a". */
static void path_part(const char *path, bool dir, char *out, size_t size)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	size_t l = strlen(buf);
	while (l > 1 && buf[l - 1] == '/')
		buf[--l] = '\0';
	snprintf(out, size, "%s", dir ? dirname(buf) : basename(buf));
}

/* Replace the first component of name with first (when first is set). */
static void rename_entry(const char *name, const char *first, char *out, size_t size)
{
	if (first == NULL || name == NULL) {
		snprintf(out, size, "%s", name ? name : "");
		return;
	}
	const char *p = name;
	while (*p == '/' || (p[0] == '.' && p[1] == '/'))
		p += *p == '/' ? 1 : 2;
	const char *slash = strchr(p, '/');
	snprintf(out, size, "%s%s", first, slash ? slash : "");
}

static int spool(void *ctx, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, ctx) == len ? 0 : -1;
}

/* Unpack the tar in f into dir, renaming its top entry to first (or
 * keeping names when first is NULL). Nothing may land outside dir. */
static int extract_tar(FILE *f, const char *dir, const char *first, hutch_error *err)
{
	struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	archive_read_support_format_tar(in);
	archive_write_disk_set_options(
	    out, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		     ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	int rc = 0;
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || chdir(dir) < 0) {
		rc = hutch_fail(err, errno, "%s", dir);
		goto out;
	}
	if (archive_read_open_FILE(in, f) != ARCHIVE_OK) {
		rc =
		    hutch_fail_plain(err, EIO, "reading the archive: %s", archive_error_string(in));
		goto out;
	}
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		char name[PATH_MAX];
		rename_entry(archive_entry_pathname(e), first, name, sizeof(name));
		archive_entry_set_pathname(e, name);
		const char *link = archive_entry_hardlink(e);
		if (link) {
			rename_entry(link, first, name, sizeof(name));
			archive_entry_set_hardlink(e, name);
		}
		if (archive_write_header(out, e) != ARCHIVE_OK) {
			rc = hutch_fail_plain(err, EIO, "%s", archive_error_string(out));
			goto out;
		}
		const void *buf;
		size_t size;
		la_int64_t off;
		while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK) {
				rc = hutch_fail_plain(err, EIO, "%s", archive_error_string(out));
				goto out;
			}
		if (r != ARCHIVE_EOF) {
			rc = hutch_fail_plain(err, EIO, "%s", archive_error_string(in));
			goto out;
		}
		archive_write_finish_entry(out);
	}
	if (r != ARCHIVE_EOF)
		rc =
		    hutch_fail_plain(err, EIO, "reading the archive: %s", archive_error_string(in));
out:
	if (archive_write_close(out) != ARCHIVE_OK && rc == 0)
		rc = hutch_fail_plain(err, EIO, "%s", archive_error_string(out));
	archive_write_free(out);
	archive_read_free(in);
	if (cwd >= 0) {
		if (fchdir(cwd) < 0 && rc == 0)
			rc = hutch_fail(err, errno, "fchdir");
		close(cwd);
	}
	return rc;
}

/* Docker's closing line, shown when stderr is a terminal and not -q. */
static bool show_progress;

static void report_copied(FILE *tar, const char *ctr, const char *dest)
{
	if (!show_progress)
		return;
	char size[32];
	format_size(ftell(tar), size, sizeof(size));
	fprintf(stderr, "Successfully copied %s to %s%s%s\n", size, ctr ? ctr : "", ctr ? ":" : "",
		dest);
}

static int copy_from_container(const char *ctr, const char *src, const char *dest)
{
	hutch_error err = {0};
	_cleanup_free_ char *esrc = client_escape(src);
	char suffix[PATH_MAX + 64], path[PATH_MAX + 512];
	snprintf(suffix, sizeof(suffix), "/archive?path=%s", esrc);
	container_path(path, sizeof(path), ctr, suffix);
	bool to_stdout = strcmp(dest, "-") == 0;
	_cleanup_fclose_ FILE *tmp = to_stdout ? NULL : tmpfile();
	if (!to_stdout && tmp == NULL)
		return cli_fail(&(hutch_error){.msg = "cannot create a temporary file"});
	struct client_request req = {
	    .method = "GET",
	    .path = path,
	    .on_data = spool,
	    .ctx = to_stdout ? stdout : tmp,
	};
	int rc = client_call_ok(&req, NULL, &err);
	if (rc == -1)
		return cli_fail(&err);
	if (rc < 0 || (to_stdout && fflush(stdout) != 0)) {
		fprintf(stderr, "hutch: writing the archive: %s\n", strerror(errno));
		return 1;
	}
	if (to_stdout)
		return 0;
	report_copied(tmp, NULL, dest);
	rewind(tmp);
	struct stat st;
	char dir[PATH_MAX], first[PATH_MAX];
	if (stat(dest, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(dir, sizeof(dir), "%s", dest);
		rc = extract_tar(tmp, dir, NULL, &err);
	} else {
		size_t l = strlen(dest);
		if (l > 0 && dest[l - 1] == '/' && stat(dest, &st) < 0) {
			fprintf(stderr, "hutch: destination directory \"%s\" does not exist\n",
				dest);
			return 1;
		}
		path_part(dest, true, dir, sizeof(dir));
		path_part(dest, false, first, sizeof(first));
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "hutch: destination directory \"%s\" does not exist\n",
				dir);
			return 1;
		}
		rc = extract_tar(tmp, dir, first, &err);
	}
	if (rc < 0)
		return cli_fail(&err);
	return 0;
}

/* Write src (a file or a tree) as a tar to f, its top entry named top. */
static int make_tar(const char *src, const char *top, FILE *f, hutch_error *err)
{
	struct archive *disk = archive_read_disk_new();
	struct archive *out = archive_write_new();
	archive_read_disk_set_standard_lookup(disk);
	archive_write_set_format_pax_restricted(out);
	int rc = 0;
	if (archive_write_open_FILE(out, f) != ARCHIVE_OK ||
	    archive_read_disk_open(disk, src) != ARCHIVE_OK) {
		rc = hutch_fail_plain(err, EIO, "%s: %s", src, archive_error_string(disk));
		goto out;
	}
	size_t srclen = strlen(src);
	while (srclen > 1 && src[srclen - 1] == '/')
		srclen--;
	for (;;) {
		struct archive_entry *e = archive_entry_new();
		int r = archive_read_next_header2(disk, e);
		if (r == ARCHIVE_EOF) {
			archive_entry_free(e);
			break;
		}
		if (r != ARCHIVE_OK) {
			rc = hutch_fail_plain(err, EIO, "%s", archive_error_string(disk));
			archive_entry_free(e);
			goto out;
		}
		archive_read_disk_descend(disk);
		/* The walk names entries SRC/...; the archive names them TOP/... */
		const char *name = archive_entry_pathname(e);
		char renamed[PATH_MAX];
		snprintf(renamed, sizeof(renamed), "%s%s", top,
			 strlen(name) >= srclen ? name + srclen : "");
		archive_entry_set_pathname(e, renamed);
		if (archive_write_header(out, e) != ARCHIVE_OK) {
			rc = hutch_fail_plain(err, EIO, "%s", archive_error_string(out));
			archive_entry_free(e);
			goto out;
		}
		if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
			const char *file = archive_entry_sourcepath(e);
			_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				rc = hutch_fail(err, errno, "open %s", file);
				archive_entry_free(e);
				goto out;
			}
			char buf[65536];
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				archive_write_data(out, buf, (size_t)n);
		}
		archive_entry_free(e);
	}
out:
	if (archive_write_close(out) != ARCHIVE_OK && rc == 0)
		rc = hutch_fail_plain(err, EIO, "%s", archive_error_string(out));
	archive_write_free(out);
	archive_read_free(disk);
	return rc;
}

/* Is PATH inside the container an existing directory? 1 yes, 0 it does
 * not exist or is no directory (*exists tells), -1 error printed. */
static int container_dir(const char *ctr, const char *path, bool *exists)
{
	_cleanup_free_ char *e = client_escape(path);
	char suffix[PATH_MAX + 64], url[PATH_MAX + 512], stat_header[4096];
	snprintf(suffix, sizeof(suffix), "/archive?path=%s", e);
	container_path(url, sizeof(url), ctr, suffix);
	struct client_request req = {
	    .method = "HEAD",
	    .path = url,
	    .want_header = "X-Docker-Container-Path-Stat",
	    .header_out = stat_header,
	    .header_out_size = sizeof(stat_header),
	};
	long status = 0;
	hutch_error err = {0};
	_cleanup_free_ char *reply = NULL;
	if (client_call(&req, &status, &reply, &err) < 0)
		return cli_fail(&err), -1;
	*exists = status == 200;
	if (status == 404) {
		/* Tell a missing container from a missing path. */
		_cleanup_json_ json_object *info = NULL;
		if (container_inspect(ctr, &info, &err) < 0)
			return cli_fail(&err), -1;
		return 0;
	}
	if (status >= 400) {
		client_error_message(reply, status, &err);
		return cli_fail(&err), -1;
	}
	_cleanup_free_ char *decoded = auth_base64_decode(stat_header, NULL);
	_cleanup_json_ json_object *st = NULL;
	int64_t mode = 0;
	if (decoded && json_parse_buffer(decoded, strlen(decoded), "path stat", &st, NULL) == 0)
		json_get_int64(st, "", "mode", false, &mode, NULL);
	return ((uint64_t)mode & GO_MODE_DIR) ? 1 : 0;
}

static int copy_to_container(const char *src, const char *ctr, const char *dest)
{
	hutch_error err = {0};
	bool exists = false;
	int isdir = container_dir(ctr, dest, &exists);
	if (isdir < 0)
		return 1;
	char target_dir[PATH_MAX], top[PATH_MAX];
	_cleanup_fclose_ FILE *tmp = NULL;
	FILE *body = stdin;
	if (strcmp(src, "-") == 0) {
		/* A tar on stdin unpacks into an existing directory. */
		if (!isdir) {
			fprintf(stderr, "hutch: destination \"%s:%s\" must be a directory\n", ctr,
				dest);
			return 1;
		}
		snprintf(target_dir, sizeof(target_dir), "%s", dest);
	} else {
		struct stat st;
		if (lstat(src, &st) < 0) {
			fprintf(stderr, "hutch: could not find the file %s in the host: %s\n", src,
				strerror(errno));
			return 1;
		}
		if (isdir) {
			snprintf(target_dir, sizeof(target_dir), "%s", dest);
			path_part(src, false, top, sizeof(top));
		} else {
			if (exists && S_ISDIR(st.st_mode)) {
				fprintf(stderr,
					"hutch: cannot copy a directory to the file %s:%s\n", ctr,
					dest);
				return 1;
			}
			path_part(dest, true, target_dir, sizeof(target_dir));
			path_part(dest, false, top, sizeof(top));
		}
		tmp = tmpfile();
		if (tmp == NULL || make_tar(src, top, tmp, &err) < 0) {
			if (tmp == NULL)
				hutch_fail(&err, errno, "temporary file");
			return cli_fail(&err);
		}
		report_copied(tmp, ctr, dest);
		rewind(tmp);
		body = tmp;
	}
	_cleanup_free_ char *e = client_escape(target_dir);
	char suffix[PATH_MAX + 64], url[PATH_MAX + 512];
	snprintf(suffix, sizeof(suffix), "/archive?path=%s", e);
	container_path(url, sizeof(url), ctr, suffix);
	struct client_request req = {
	    .method = "PUT", .path = url, .upload = body, .content_type = "application/x-tar"};
	if (client_call_ok(&req, NULL, &err) < 0)
		return cli_fail(&err);
	return 0;
}

int cmd_cp(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"archive", no_argument, NULL, 'a'},
	    {"follow-link", no_argument, NULL, 'L'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	bool quiet = false;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+aLq", longopts, NULL)) != -1) {
		if (c == 'q')
			quiet = true;
		if (c == 'h') {
			printf("Usage: hutch cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
			       "       hutch cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n\n"
			       "Copy files between a container and the host. '-' is a tar "
			       "stream on\nstdout or stdin. Copying to an existing directory "
			       "puts the source\ninside it; otherwise the copy takes the "
			       "destination's name.\n\nOptions:\n"
			       "  -a, --archive       accepted for docker compatibility\n"
			       "  -L, --follow-link   accepted for docker compatibility\n"
			       "  -q, --quiet         no \"Successfully copied\" line on a "
			       "terminal\n");
			return 0;
		}
		if (c != 'a' && c != 'L' && c != 'q')
			return usage_fail("cp", NULL);
	}
	if (argc - optind != 2)
		return usage_fail("cp", "\"hutch cp\" requires exactly 2 arguments");
	show_progress = !quiet && isatty(STDERR_FILENO);
	const char *a = argv[optind], *b = argv[optind + 1];
	char ctr_a[256], ctr_b[256];
	const char *path_a = NULL, *path_b = NULL;
	bool in_a = split_container_arg(a, ctr_a, sizeof(ctr_a), &path_a);
	bool in_b = split_container_arg(b, ctr_b, sizeof(ctr_b), &path_b);
	if (in_a == in_b) {
		fprintf(stderr, in_a ? "hutch: copying between containers is not supported\n"
				     : "hutch: must specify at least one container source\n");
		return 1;
	}
	if ((in_a && path_a[0] == '\0') || (in_b && path_b[0] == '\0')) {
		fprintf(stderr, "hutch: the container path is empty\n");
		return 1;
	}
	return in_a ? copy_from_container(ctr_a, path_a, b) : copy_to_container(a, ctr_b, path_b);
}
