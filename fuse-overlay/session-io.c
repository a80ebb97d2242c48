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
 * INIT flags libfuse does not know are added to its INIT reply here, when
 * (and only when) the kernel's INIT request offered them: see
 * ovl_init_extra_flags() and fs->init_granted.
 *
 * Everything else is the plain system call libfuse would make itself;
 * splice_send keeps spliced read replies available (libfuse offers splice
 * only when custom I/O provides it). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ovl.h"

/* Remember what the kernel's INIT request offers, flags2 included (the
 * request of Linux 5.17+ carries FUSE_INIT_EXT and a second flags word). */
static void note_init_request(struct ovl_fs *fs, const struct fuse_in_header *in, size_t len)
{
	const struct fuse_init_in *arg = (const void *)(in + 1);
	size_t arglen = len - sizeof(*in);
	if (arglen < offsetof(struct fuse_init_in, flags) + sizeof(arg->flags))
		return;
	uint64_t offered = arg->flags;
	if ((arg->flags & FUSE_INIT_EXT) &&
	    arglen >= offsetof(struct fuse_init_in, flags2) + sizeof(arg->flags2))
		offered |= (uint64_t)arg->flags2 << 32;
	fs->init_offered = offered;
	fs->init_unique = in->unique;
}

static ssize_t dev_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t r = read(fd, buf, len);
	if (r >= (ssize_t)sizeof(struct fuse_in_header)) {
		struct fuse_in_header *in = buf;
		if (in->opcode == FUSE_TMPFILE)
			in->opcode = FUSE_CREATE;
		else if (in->opcode == FUSE_INIT)
			note_init_request(userdata, in, (size_t)r);
	}
	return r;
}

/* Add the wanted flags the kernel offered to a successful INIT reply
 * (libfuse sends it as header + fuse_init_out). Done before the reply is
 * written, so every later request sees fs->init_granted. */
static void amend_init_reply(struct ovl_fs *fs, struct iovec *iov, int count)
{
	if (count < 2 || iov[0].iov_len != sizeof(struct fuse_out_header))
		return;
	const struct fuse_out_header *out = iov[0].iov_base;
	if (out->unique != fs->init_unique || out->error != 0)
		return;
	fs->init_unique = 0;
	if (iov[1].iov_len < offsetof(struct fuse_init_out, flags2) + sizeof(uint32_t))
		return;
	uint64_t add = ovl_init_extra_flags(fs) & fs->init_offered;
	if (add == 0)
		return;
	struct fuse_init_out *arg = iov[1].iov_base;
	arg->flags |= (uint32_t)add;
	if (add >> 32) {
		arg->flags |= FUSE_INIT_EXT;
		arg->flags2 |= (uint32_t)(add >> 32);
	}
	__atomic_store_n(&fs->init_granted, add, __ATOMIC_RELEASE);
}

static ssize_t dev_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct ovl_fs *fs = userdata;
	if (__atomic_load_n(&fs->init_unique, __ATOMIC_RELAXED) != 0)
		amend_init_reply(fs, iov, count);
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
