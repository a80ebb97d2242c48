#include "ctr-log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-util.h"
#include "log.h"
#include "timefmt.h"

void stream_frame_header(unsigned char hdr[8], int stream, size_t len)
{
	hdr[0] = (unsigned char)stream;
	hdr[1] = hdr[2] = hdr[3] = 0;
	hdr[4] = (unsigned char)(len >> 24);
	hdr[5] = (unsigned char)(len >> 16);
	hdr[6] = (unsigned char)(len >> 8);
	hdr[7] = (unsigned char)len;
}

/* The offset where the last `tail` lines start, read backwards in chunks
 * so a long log is not read whole. */
static int tail_offset(int fd, long tail, off_t *out, hutch_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return hutch_fail(err, errno, "stat ctr.log");
	off_t pos = st.st_size;
	*out = pos;
	if (tail == 0 || pos == 0)
		return 0;
	char chunk[65536];
	long seen = 0;
	/* The newline that ends the last line does not start a line. */
	off_t end = pos;
	while (pos > 0) {
		size_t n = pos > (off_t)sizeof(chunk) ? sizeof(chunk) : (size_t)pos;
		pos -= (off_t)n;
		if (pread(fd, chunk, n, pos) != (ssize_t)n)
			return hutch_fail(err, errno ? errno : EIO, "read ctr.log");
		for (size_t i = n; i > 0; i--) {
			off_t at = pos + (off_t)i - 1;
			if (chunk[i - 1] != '\n' || at == end - 1)
				continue;
			if (++seen == tail) {
				*out = at + 1;
				return 0;
			}
		}
	}
	*out = 0;
	return 0;
}

int log_reader_open(struct log_reader *lr, const char *path, const struct log_options *opt,
		    hutch_error *err)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = -1;
	lr->opt = *opt;
	snprintf(lr->path, sizeof(lr->path), "%s", path);
	lr->tok = json_tokener_new();
	if (lr->tok == NULL)
		return hutch_fail_plain(err, ENOMEM, "out of memory");
	lr->fd = open(path, O_RDONLY | O_CLOEXEC);
	/* A missing file: nothing logged yet; a follower retries the open. */
	if (lr->fd < 0 && errno != ENOENT)
		hutch_fail(err, errno, "open %s", path);
	off_t off = 0;
	if (lr->fd >= 0 && opt->tail >= 0 &&
	    (tail_offset(lr->fd, opt->tail, &off, err) < 0 || lseek(lr->fd, off, SEEK_SET) < 0) &&
	    err->errnum == 0)
		hutch_fail(err, errno, "seek %s", path);
	if (err->errnum != 0) {
		log_reader_close(lr);
		return -1;
	}
	return 0;
}

void log_reader_close(struct log_reader *lr)
{
	if (lr->fd >= 0)
		close(lr->fd);
	lr->fd = -1;
	free(lr->buf);
	lr->buf = NULL;
	if (lr->tok != NULL)
		json_tokener_free(lr->tok);
	lr->tok = NULL;
}

static int reserve(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 4096;
	while (ncap < need)
		ncap *= 2;
	char *n = realloc(*buf, ncap);
	if (n == NULL)
		return -1;
	*buf = n;
	*cap = ncap;
	return 0;
}

/* Render one ctr.log line; malformed lines are skipped with a warning
 * (a log must stay readable after a crash mid-write). */
static int render_line(struct log_reader *lr, const char *line, size_t len, char **out,
		       size_t *out_len, size_t *out_cap)
{
	json_tokener_reset(lr->tok);
	_cleanup_json_ json_object *o = json_tokener_parse_ex(lr->tok, line, (int)len);
	json_object *jlog = NULL, *jstream = NULL, *jtime = NULL;
	if (o == NULL || !json_object_object_get_ex(o, "log", &jlog) ||
	    !json_object_object_get_ex(o, "stream", &jstream)) {
		log_warning("ctr.log: skipping a malformed line");
		return 0;
	}
	const char *stream = json_object_get_string(jstream);
	int id = strcmp(stream, "stderr") == 0 ? 2 : 1;
	if ((id == 1 && !lr->opt.out) || (id == 2 && !lr->opt.errs))
		return 0;
	int64_t t = 0;
	if (json_object_object_get_ex(o, "time", &jtime))
		parse_rfc3339(json_object_get_string(jtime), &t);
	if (lr->opt.since_ns != 0 && t < lr->opt.since_ns)
		return 0;
	if (lr->opt.until_ns != 0 && t > lr->opt.until_ns) {
		lr->past_until = true;
		return 0;
	}
	const char *data = json_object_get_string(jlog);
	size_t dlen = (size_t)json_object_get_string_len(jlog);
	char stamp[RFC3339_NANO_LEN + 1] = "";
	if (lr->opt.timestamps) {
		format_rfc3339_nano(t, stamp);
		strcat(stamp, " ");
	}
	size_t slen = strlen(stamp);
	size_t hlen = lr->opt.tty ? 0 : 8;
	if (reserve(out, out_cap, *out_len + hlen + slen + dlen) < 0)
		return -1;
	char *p = *out + *out_len;
	if (hlen)
		stream_frame_header((unsigned char *)p, id, slen + dlen);
	memcpy(p + hlen, stamp, slen);
	memcpy(p + hlen + slen, data, dlen);
	*out_len += hlen + slen + dlen;
	return 0;
}

int log_reader_next(struct log_reader *lr, char **out, size_t *out_len, size_t *out_cap,
		    hutch_error *err)
{
	size_t start = *out_len;
	if (lr->fd < 0)
		lr->fd = open(lr->path, O_RDONLY | O_CLOEXEC);
	if (lr->fd < 0 || lr->past_until)
		return 0;
	for (;;) {
		if (reserve(&lr->buf, &lr->cap, lr->len + 65536 + 1) < 0)
			return hutch_fail_plain(err, ENOMEM, "out of memory");
		ssize_t n = read(lr->fd, lr->buf + lr->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hutch_fail(err, errno, "read ctr.log");
		if (n == 0)
			break;
		lr->len += (size_t)n;
		lr->buf[lr->len] = '\0';
		/* Whole lines only; a partial one waits for the rest. */
		char *p = lr->buf, *nl;
		while (!lr->past_until && (nl = memchr(p, '\n', lr->len - (size_t)(p - lr->buf)))) {
			*nl = '\0';
			if (render_line(lr, p, (size_t)(nl - p), out, out_len, out_cap) < 0)
				return hutch_fail_plain(err, ENOMEM, "out of memory");
			p = nl + 1;
		}
		lr->len -= (size_t)(p - lr->buf);
		memmove(lr->buf, p, lr->len);
		/* Hand out what we have in reasonable pieces. */
		if (*out_len - start >= 65536 || lr->past_until)
			break;
	}
	return *out_len > start ? 1 : 0;
}
