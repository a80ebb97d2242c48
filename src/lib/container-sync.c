#include "container-sync.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

int sync_send(int fd, enum sync_type type, int32_t value, const char *text)
{
	struct sync_msg m;
	m.type = type;
	m.value = value;
	size_t len = 0;
	if (text != NULL) {
		len = strnlen(text, sizeof(m.text) - 1);
		memcpy(m.text, text, len);
	}
	m.text[len] = '\0';
	size_t size = offsetof(struct sync_msg, text) + len + 1;
	for (;;) {
		ssize_t n = send(fd, &m, size, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int sync_send_error(int fd, const hutch_error *e)
{
	return sync_send(fd, SYNC_ERROR, e->errnum, e->msg[0] ? e->msg : "unknown error");
}

int sync_recv(int fd, struct sync_msg *m, const char *peer, hutch_error *err)
{
	ssize_t n;
	do
		n = recv(fd, m, sizeof(*m), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return hutch_fail(err, errno, "read from %s", peer);
	if (n == 0)
		return hutch_fail_plain(err, ECONNRESET, "%s exited unexpectedly", peer);
	if ((size_t)n < offsetof(struct sync_msg, text) + 1)
		return hutch_fail_plain(err, EPROTO, "short message from %s", peer);
	m->text[sizeof(m->text) - 1] = '\0';
	((char *)m)[n - 1] = '\0';
	return 0;
}

int sync_expect(int fd, enum sync_type type, struct sync_msg *m, const char *peer, hutch_error *err)
{
	if (sync_recv(fd, m, peer, err) < 0)
		return -1;
	if (m->type == SYNC_ERROR)
		return hutch_fail_plain(err, m->value, "%s", m->text);
	if (m->type != type)
		return hutch_fail_plain(err, EPROTO, "unexpected message %u from %s (wanted %u)",
					m->type, peer, (unsigned)type);
	return 0;
}
