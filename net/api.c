#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api-request.h"
#include "cleanup.h"
#include "json-util.h"
#include "log.h"

struct api_rule {
	struct api_rule *next;
	int64_t id;
	bool udp;
	enum api_forward_mode mode;
	bool keep_source;
	struct sockaddr_storage host, guest;
	socklen_t host_len, guest_len;
	struct forward_rule *fwd; /* socket mode */
};

struct api_client {
	struct api_client *next, **prev;
	struct api *api;
	int fd;
	struct loop_timer *deadline;
	char in[API_REQUEST_MAX + 1];
	size_t in_len;
	char *out;
	size_t out_len, out_done;
};

struct api {
	struct loop *loop;
	struct forwarder *fw;
	const struct net_options *opts;
	int listen_fd;
	int dir_fd; /* the socket's directory, to unlink it from a sandbox */
	char *name;
	struct api_rule *rules;
	int64_t next_id;
	struct api_client *clients;
	unsigned n_clients;
};

static void client_close(struct api_client *c)
{
	loop_remove(c->api->loop, c->fd);
	close(c->fd);
	loop_timer_free(c->api->loop, c->deadline);
	*c->prev = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->api->n_clients--;
	free(c->out);
	free(c);
}

/* Write what the socket takes; close when all is sent or the client is
 * gone. */
static void client_flush(struct api_client *c)
{
	while (c->out_done < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_done, c->out_len - c->out_done,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			loop_modify(c->api->loop, c->fd, EPOLLOUT);
			return;
		}
		if (n <= 0)
			break;
		c->out_done += (size_t)n;
	}
	client_close(c);
}

static void client_reply(struct api_client *c, json_object *reply)
{
	size_t len = 0;
	const char *s = json_object_to_json_string_length(reply, JSON_C_TO_STRING_PLAIN, &len);
	c->out = malloc(len + 1);
	if (c->out == NULL) {
		client_close(c);
		return;
	}
	memcpy(c->out, s, len);
	c->out[len] = '\n';
	c->out_len = len + 1;
	client_flush(c);
}

static void client_reply_error(struct api_client *c, const char *desc)
{
	_cleanup_json_ json_object *reply = json_object_new_object();
	json_object *e = json_object_new_object();
	json_object_object_add(e, "desc", json_object_new_string(desc));
	json_object_object_add(reply, "error", e);
	log_debug("api: error reply: %s", desc);
	client_reply(c, reply);
}

static json_object *rule_to_json(const struct api_rule *r)
{
	char host[INET6_ADDRSTRLEN], guest[INET6_ADDRSTRLEN];
	int host_port, guest_port;
	api_sockaddr_text(&r->host, host, sizeof(host), &host_port);
	api_sockaddr_text(&r->guest, guest, sizeof(guest), &guest_port);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(r->id));
	json_object_object_add(o, "proto", json_object_new_string(r->udp ? "udp" : "tcp"));
	json_object_object_add(o, "host_addr", json_object_new_string(host));
	json_object_object_add(o, "host_port", json_object_new_int(host_port));
	json_object_object_add(o, "guest_addr", json_object_new_string(guest));
	json_object_object_add(o, "guest_port", json_object_new_int(guest_port));
	if (r->mode == API_MODE_SOCKET)
		json_object_object_add(o, "mode", json_object_new_string("socket"));
	if (r->keep_source)
		json_object_object_add(o, "keep_source", json_object_new_boolean(1));
	return o;
}

static bool same_host_endpoint(const struct api_rule *r, const struct api_request *req)
{
	return r->udp == req->udp && r->host_len == req->host_len &&
	       memcmp(&r->host, &req->host, req->host_len) == 0;
}

static int add_to_slirp(struct api *api, const struct api_request *req, hutch_error *err)
{
	Slirp *slirp = loop_slirp(api->loop);
	int rc;
	/* IPv4 to IPv4 goes through slirp_add_hostfwd exactly like
	 * slirp4netns; anything with IPv6 needs the newer call. */
	if (req->host.ss_family == AF_INET && req->guest.ss_family == AF_INET) {
		const struct sockaddr_in *h = (const struct sockaddr_in *)&req->host;
		const struct sockaddr_in *g = (const struct sockaddr_in *)&req->guest;
		rc = slirp_add_hostfwd(slirp, req->udp, h->sin_addr, ntohs(h->sin_port),
				       g->sin_addr, ntohs(g->sin_port));
	} else {
		int flags = (req->udp ? SLIRP_HOSTFWD_UDP : 0) |
			    (req->host.ss_family == AF_INET6 ? SLIRP_HOSTFWD_V6ONLY : 0);
		rc =
		    slirp_add_hostxfwd(slirp, (const struct sockaddr *)&req->host, req->host_len,
				       (const struct sockaddr *)&req->guest, req->guest_len, flags);
	}
	if (rc < 0)
		return hutch_fail_plain(err, EADDRINUSE,
					"add_hostfwd: slirp_add_hostfwd failed (is the host port "
					"free?)");
	return 0;
}

static void remove_from_slirp(struct api *api, const struct api_rule *r)
{
	Slirp *slirp = loop_slirp(api->loop);
	if (r->host.ss_family == AF_INET && r->guest.ss_family == AF_INET) {
		const struct sockaddr_in *h = (const struct sockaddr_in *)&r->host;
		slirp_remove_hostfwd(slirp, r->udp, h->sin_addr, ntohs(h->sin_port));
	} else {
		int flags = (r->udp ? SLIRP_HOSTFWD_UDP : 0) |
			    (r->host.ss_family == AF_INET6 ? SLIRP_HOSTFWD_V6ONLY : 0);
		slirp_remove_hostxfwd(slirp, (const struct sockaddr *)&r->host, r->host_len, flags);
	}
}

static json_object *do_add(struct api *api, const struct api_request *req, hutch_error *err)
{
	for (struct api_rule *r = api->rules; r != NULL; r = r->next) {
		if (same_host_endpoint(r, req)) {
			hutch_fail_plain(err, EEXIST,
					 "add_hostfwd: host address already forwarded "
					 "(id %lld)",
					 (long long)r->id);
			return NULL;
		}
	}
	struct api_rule *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		hutch_fail(err, ENOMEM, "add_hostfwd");
		return NULL;
	}
	if (req->mode == API_MODE_SOCKET) {
		if (forwarder_add(api->fw, req->udp, req->keep_source,
				  (const struct sockaddr *)&req->host, req->host_len,
				  (const struct sockaddr *)&req->guest, req->guest_len, &r->fwd,
				  err) < 0) {
			hutch_error_prefix(err, "add_hostfwd");
			free(r);
			return NULL;
		}
	} else if (add_to_slirp(api, req, err) < 0) {
		free(r);
		return NULL;
	}
	r->id = ++api->next_id;
	r->udp = req->udp;
	r->mode = req->mode;
	r->keep_source = req->keep_source;
	r->host = req->host;
	r->host_len = req->host_len;
	r->guest = req->guest;
	r->guest_len = req->guest_len;
	/* Appended, so list_hostfwd shows the rules in the order they were
	 * added. */
	struct api_rule **tail = &api->rules;
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = r;
	json_object *ret = json_object_new_object();
	json_object_object_add(ret, "id", json_object_new_int64(r->id));
	return ret;
}

static json_object *do_list(struct api *api)
{
	json_object *entries = json_object_new_array();
	for (struct api_rule *r = api->rules; r != NULL; r = r->next)
		json_object_array_add(entries, rule_to_json(r));
	json_object *ret = json_object_new_object();
	json_object_object_add(ret, "entries", entries);
	return ret;
}

static json_object *do_remove(struct api *api, int64_t id, hutch_error *err)
{
	for (struct api_rule **p = &api->rules; *p != NULL; p = &(*p)->next) {
		struct api_rule *r = *p;
		if (r->id != id)
			continue;
		if (r->mode == API_MODE_SOCKET)
			forwarder_remove(api->fw, r->fwd);
		else
			remove_from_slirp(api, r);
		*p = r->next;
		free(r);
		return json_object_new_object();
	}
	hutch_fail_plain(err, ENOENT, "remove_hostfwd: no forwarding with id %lld", (long long)id);
	return NULL;
}

static void client_handle(struct api_client *c)
{
	hutch_error err = {0};
	struct api_request req;
	if (api_request_parse(c->in, c->in_len, c->api->opts, &req, &err) < 0) {
		client_reply_error(c, err.msg);
		return;
	}
	json_object *ret = NULL;
	switch (req.command) {
	case API_ADD_HOSTFWD:
		ret = do_add(c->api, &req, &err);
		break;
	case API_LIST_HOSTFWD:
		ret = do_list(c->api);
		break;
	case API_REMOVE_HOSTFWD:
		ret = do_remove(c->api, req.id, &err);
		break;
	}
	if (ret == NULL) {
		client_reply_error(c, err.msg[0] ? err.msg : "internal error");
		return;
	}
	_cleanup_json_ json_object *reply = json_object_new_object();
	json_object_object_add(reply, "return", ret);
	client_reply(c, reply);
}

/* True when the bytes so far are a whole JSON value or can never become
 * one: either way it is time to answer. */
static bool request_complete(const struct api_client *c)
{
	json_tokener *tok = json_tokener_new();
	if (tok == NULL)
		return true;
	json_object *o = json_tokener_parse_ex(tok, c->in, (int)c->in_len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	json_object_put(o);
	json_tokener_free(tok);
	return e != json_tokener_continue;
}

static void client_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct api_client *c = data;
	if (c->out != NULL) {
		client_flush(c);
		return;
	}
	for (;;) {
		/* One byte more than the limit tells "too large" apart from
		 * "exactly at the limit". */
		ssize_t n = recv(fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			client_close(c);
			return;
		}
		if (n == 0) {
			/* The client finished writing (slirp4netns's clients
			 * shut down their side after the request). */
			if (c->in_len == 0)
				client_reply_error(c, "empty request");
			else
				client_handle(c);
			return;
		}
		c->in_len += (size_t)n;
		if (c->in_len > API_REQUEST_MAX) {
			client_reply_error(c, "request too large (the limit is 4096 bytes)");
			return;
		}
	}
	if (c->in_len > 0 && request_complete(c))
		client_handle(c);
}

static void client_timeout(void *data)
{
	struct api_client *c = data;
	if (c->out != NULL) {
		/* It never read its answer. */
		client_close(c);
		return;
	}
	client_reply_error(c, "timed out waiting for a complete request");
}

static void api_accept(struct loop *loop, int lfd, uint32_t events, void *data)
{
	struct api *api = data;
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warning("api: accept: %s", strerror(errno));
			return;
		}
		if (api->n_clients >= API_CLIENTS_MAX) {
			/* Too many idle clients: this one is turned away so the
			 * process keeps its fds for traffic. */
			static const char busy[] = "{\"error\":{\"desc\":\"too many clients\"}}\n";
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				log_debug("api: %s", strerror(errno));
			close(fd);
			continue;
		}
		struct api_client *c = calloc(1, sizeof(*c));
		hutch_error err = {0};
		if (c == NULL || (c->deadline = loop_timer_new(loop, client_timeout, c)) == NULL) {
			free(c);
			close(fd);
			continue;
		}
		c->api = api;
		c->fd = fd;
		c->next = api->clients;
		c->prev = &api->clients;
		if (api->clients != NULL)
			api->clients->prev = &c->next;
		api->clients = c;
		api->n_clients++;
		loop_timer_arm(loop, c->deadline, loop_now_ms() + API_CLIENT_TIMEOUT_MS);
		if (loop_add(loop, fd, EPOLLIN, client_event, c, &err) < 0) {
			hutch_log_error(&err);
			client_close(c);
		}
	}
}

int api_new(struct loop *loop, struct forwarder *fw, const struct net_options *o, struct api **out,
	    hutch_error *err)
{
	const char *path = o->api_socket;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path))
		return hutch_fail_plain(err, ENAMETOOLONG, "API socket path %s is too long", path);
	strcpy(sun.sun_path, path);
	_cleanup_free_ char *dir_copy = strdup(path), *base_copy = strdup(path);
	if (dir_copy == NULL || base_copy == NULL)
		return hutch_fail(err, ENOMEM, "API socket");
	_cleanup_close_ int dir_fd = open(dirname(dir_copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return hutch_fail(err, errno, "open the directory of API socket %s", path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hutch_fail(err, errno, "socket for %s", path);
	/* A socket file left by a previous run that died is replaced; any
	 * other kind of file is not ours to remove. */
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return hutch_fail(err, errno, "bind API socket %s", path);
	if (listen(fd, 16) < 0)
		return hutch_fail(err, errno, "listen on API socket %s", path);
	struct api *api = calloc(1, sizeof(*api));
	if (api == NULL)
		return hutch_fail(err, ENOMEM, "API socket");
	api->name = strdup(basename(base_copy));
	api->loop = loop;
	api->fw = fw;
	api->opts = o;
	if (api->name == NULL || loop_add(loop, fd, EPOLLIN, api_accept, api, err) < 0) {
		free(api->name);
		free(api);
		return -1;
	}
	api->listen_fd = steal_fd(&fd);
	api->dir_fd = steal_fd(&dir_fd);
	*out = api;
	return 0;
}

void api_free(struct api *api)
{
	if (api == NULL)
		return;
	while (api->clients != NULL)
		client_close(api->clients);
	while (api->rules != NULL) {
		struct api_rule *r = api->rules;
		api->rules = r->next;
		if (r->mode == API_MODE_SOCKET)
			forwarder_remove(api->fw, r->fwd);
		free(r);
	}
	loop_remove(api->loop, api->listen_fd);
	close(api->listen_fd);
	/* Through the directory fd, which still works after the sandbox has
	 * hidden the path. */
	unlinkat(api->dir_fd, api->name, 0);
	close(api->dir_fd);
	free(api->name);
	free(api);
}
