/* The session's /dev/fuse I/O: libfuse's own, with one addition.
 *
 * Linux 6.1 and later send FUSE_TMPFILE for open(O_TMPFILE). libfuse 3.14
 * has no operation for it and answers ENOSYS, which the kernel turns into
 * EOPNOTSUPP for the rest of the mount. The request has the arguments of
 * FUSE_CREATE (fuse_create_in and a name) and wants the reply of
 * FUSE_CREATE (entry and open), so it is handed to the create operation as
 * a create request. The kernel names a tmpfile's entry "/", a name no real
 * create request can carry, which is how ovl_op_create() tells them apart.
 *
 * Everything else is the plain system call libfuse would make itself;
 * splice_send keeps spliced read replies available (libfuse offers splice
 * only when custom I/O provides it). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ovl.h"

static ssize_t dev_read(int fd, void *buf, size_t len, void *userdata)
{
	(void)userdata;
	ssize_t r = read(fd, buf, len);
	if (r >= (ssize_t)sizeof(struct fuse_in_header)) {
		struct fuse_in_header *in = buf;
		if (in->opcode == FUSE_TMPFILE)
			in->opcode = FUSE_CREATE;
	}
	return r;
}

static ssize_t dev_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	(void)userdata;
	return writev(fd, iov, count);
}

static ssize_t dev_splice_send(int fdin, off_t *offin, int fdout, off_t *offout, size_t len,
			       unsigned int flags, void *userdata)
{
	(void)userdata;
	return splice(fdin, offin, fdout, offout, len, flags);
}

int ovl_session_io_install(struct fuse_session *se)
{
	static const struct fuse_custom_io io = {
	    .read = dev_read,
	    .writev = dev_writev,
	    .splice_send = dev_splice_send,
	};
	return fuse_session_custom_io(se, &io, fuse_session_fd(se));
}
