/* Handing a seccomp notify listener to the agent at linux.seccomp's
 * listenerPath. The runtime-spec (runtime.md, "containerProcessState")
 * fixes the message: one sendmsg on a unix stream socket carrying the
 * listener fd as SCM_RIGHTS and, as data, a JSON object naming that fd
 * ("fds": ["seccompFd"]) with the container's pid, the profile's metadata
 * and the container state. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "json-util.h"
#include "seccomp.h"
#include "terminal.h"

static int connect_unix(const char *path, hutch_error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path))
		return hutch_fail_plain(err, ENAMETOOLONG, "seccomp listener %s: path too long",
					path);
	strcpy(addr.sun_path, path);
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return hutch_fail(err, errno, "seccomp listener: socket");
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return hutch_fail(err, errno, "connect to seccomp listener %s", path);
	return steal_fd(&sock);
}

int seccomp_send_to_listener(const char *listener_path, int notify_fd, json_object *state,
			     const char *metadata, hutch_error *err)
{
	_cleanup_json_ json_object *msg = json_object_new_object();
	json_object *fds = json_object_new_array();
	if (msg == NULL || fds == NULL) {
		json_object_put(fds);
		return hutch_fail(err, ENOMEM, "seccomp listener message");
	}
	json_object_object_add(msg, "ociVersion", json_object_new_string(OCI_VERSION));
	json_object_array_add(fds, json_object_new_string("seccompFd"));
	json_object_object_add(msg, "fds", fds);

	int64_t pid = 0;
	json_object *pid_obj = NULL;
	if (state != NULL && json_object_object_get_ex(state, "pid", &pid_obj))
		pid = json_object_get_int64(pid_obj);
	json_object_object_add(msg, "pid", json_object_new_int64(pid));
	if (metadata != NULL)
		json_object_object_add(msg, "metadata", json_object_new_string(metadata));
	if (state != NULL)
		json_object_object_add(msg, "state", json_object_get(state));

	const char *text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	_cleanup_close_ int sock = connect_unix(listener_path, err);
	if (sock < 0)
		return -1;
	if (fd_send(sock, notify_fd, text, err) < 0)
		return hutch_error_prefix(err, "seccomp listener %s", listener_path);
	return 0;
}
