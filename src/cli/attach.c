/* The byte pump of a hijacked attach/exec stream: output to the terminal
 * (demultiplexed without a tty), stdin to the stream with a half-close at
 * EOF, the detach keys, and signals delivered through a self-pipe. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attach.h"
#include "file-util.h"

int demux_feed(struct demux *d, const char *buf, size_t len)
{
	while (len > 0) {
		if (d->left == 0) {
			size_t take = 8 - d->head_len;
			if (take > len)
				take = len;
			memcpy(d->head + d->head_len, buf, take);
			d->head_len += take;
			buf += take;
			len -= take;
			if (d->head_len < 8)
				return 0;
			d->stream = d->head[0] == 2 ? 2 : 1;
			d->left = (uint32_t)d->head[4] << 24 | (uint32_t)d->head[5] << 16 |
				  (uint32_t)d->head[6] << 8 | d->head[7];
			d->head_len = 0;
			continue;
		}
		size_t take = len < d->left ? len : d->left;
		if (write_all(d->stream, buf, take) < 0)
			return -1;
		d->left -= (uint32_t)take;
		buf += take;
		len -= take;
	}
	return 0;
}

static int parse_key(const char *k, size_t len, unsigned char *out)
{
	if (len == 1) {
		*out = (unsigned char)k[0];
		return 0;
	}
	if (len == 6 && strncmp(k, "ctrl-", 5) == 0) {
		char c = (char)tolower((unsigned char)k[5]);
		if (c >= 'a' && c <= 'z') {
			*out = (unsigned char)(c - 'a' + 1);
			return 0;
		}
		const char *specials = "@[\\]^_";
		const char *s = strchr(specials, c);
		if (s != NULL && c != '\0') {
			*out = (unsigned char)(s - specials == 0 ? 0 : 27 + (s - specials) - 1);
			return 0;
		}
	}
	return -1;
}

int detach_keys_parse(const char *spec, struct detach_keys *out, hutch_error *err)
{
	out->n = 0;
	const char *p = spec;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (out->n == sizeof(out->keys) || parse_key(p, len, &out->keys[out->n]) < 0)
			return hutch_fail_plain(
			    err, EINVAL,
			    "invalid detach keys (%s): use a comma-separated list "
			    "of characters or ctrl-<value> (a-z, @, ^, [, ,, _)",
			    spec);
		out->n++;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

struct pump {
	struct raw_http *h;
	const struct pump_opts *o;
	struct demux dm;
	/* stdin bytes waiting for the socket */
	char in[16384];
	size_t in_len, in_off;
	bool stdin_open;
	size_t matched; /* detach keys typed so far, held back */
};

static int output(struct pump *p, const char *buf, size_t len)
{
	if (p->o->tty)
		return write_all(STDOUT_FILENO, buf, len);
	return demux_feed(&p->dm, buf, len);
}

/* Append typed bytes to the send buffer, holding back a prefix of the
 * detach sequence until it is complete or broken. Returns true when the
 * sequence is complete. */
static bool take_input(struct pump *p, const char *buf, size_t len)
{
	const struct detach_keys *dk = p->o->detach;
	if (dk == NULL || dk->n == 0) {
		memcpy(p->in + p->in_len, buf, len);
		p->in_len += len;
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == dk->keys[p->matched]) {
			if (++p->matched == dk->n)
				return true;
			continue;
		}
		/* Not the sequence after all: release what was held back. */
		memcpy(p->in + p->in_len, dk->keys, p->matched);
		p->in_len += p->matched;
		p->matched = 0;
		if (c == dk->keys[0]) {
			p->matched = 1;
			continue;
		}
		p->in[p->in_len++] = (char)c;
	}
	return false;
}

static int read_stdin(struct pump *p, bool *detached, hutch_error *err)
{
	/* Room for a full read plus a released detach prefix. */
	char buf[sizeof(p->in) - sizeof(p->o->detach->keys)];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return hutch_fail(err, errno, "reading stdin");
	p->in_len = p->in_off = 0;
	if (n == 0) {
		p->stdin_open = false;
		/* The process sees EOF on its stdin, output keeps coming. */
		shutdown(p->h->fd, SHUT_WR);
		return 0;
	}
	*detached = take_input(p, buf, (size_t)n);
	return 0;
}

static int send_stdin(struct pump *p, hutch_error *err)
{
	ssize_t n = write(p->h->fd, p->in + p->in_off, p->in_len - p->in_off);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0) {
		/* The daemon ended the stream; output may still be readable. */
		if (errno == EPIPE || errno == ECONNRESET) {
			p->stdin_open = false;
			p->in_len = p->in_off = 0;
			return 0;
		}
		return hutch_fail(err, errno, "sending stdin");
	}
	p->in_off += (size_t)n;
	if (p->in_off == p->in_len)
		p->in_len = p->in_off = 0;
	return 0;
}

static void read_signals(const struct pump_opts *o)
{
	unsigned char sigs[64];
	ssize_t n = read(o->signal_fd, sigs, sizeof(sigs));
	for (ssize_t i = 0; i < n; i++)
		if (o->on_signal)
			o->on_signal(o->ctx, sigs[i]);
}

int hijack_pump(struct raw_http *h, const struct pump_opts *o, hutch_error *err)
{
	struct pump p = {.h = h, .o = o, .stdin_open = o->send_stdin};
	if (h->pending_len > 0 && output(&p, h->pending, h->pending_len) < 0)
		return hutch_fail(err, errno, "writing output");
	h->pending_len = 0;
	fcntl(h->fd, F_SETFL, fcntl(h->fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		struct pollfd fds[3];
		nfds_t nf = 0;
		fds[nf++] = (struct pollfd){.fd = h->fd,
					    .events = POLLIN | (p.in_len > p.in_off ? POLLOUT : 0)};
		int in_idx = -1, sig_idx = -1;
		if (p.stdin_open && p.in_len == 0) {
			in_idx = (int)nf;
			fds[nf++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
		}
		if (o->signal_fd >= 0) {
			sig_idx = (int)nf;
			fds[nf++] = (struct pollfd){.fd = o->signal_fd, .events = POLLIN};
		}
		if (poll(fds, nf, -1) < 0) {
			if (errno == EINTR)
				continue;
			return hutch_fail(err, errno, "poll");
		}
		/* Always look: a signal that came while poll was returning for
		 * stdin has run its handler by now, and a resize must reach the
		 * container before the keys typed after it. */
		if (sig_idx >= 0)
			read_signals(o);
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[32768];
			ssize_t n = read(h->fd, buf, sizeof(buf));
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				if (errno == ECONNRESET)
					return PUMP_EOF;
				return hutch_fail(err, errno, "reading the stream");
			}
			if (n == 0)
				return PUMP_EOF;
			if (n > 0 && output(&p, buf, (size_t)n) < 0)
				return hutch_fail(err, errno, "writing output");
		}
		if ((fds[0].revents & POLLOUT) && send_stdin(&p, err) < 0)
			return -1;
		if (in_idx >= 0 && (fds[in_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
			bool detached = false;
			if (read_stdin(&p, &detached, err) < 0)
				return -1;
			if (p.in_len > 0 && send_stdin(&p, err) < 0)
				return -1;
			if (detached)
				return PUMP_DETACHED;
		}
	}
}
