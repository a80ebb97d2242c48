#include "forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

/* 1 MiB is what an unprivileged process may give a pipe by default
 * (/proc/sys/fs/pipe-max-size); big pipes mean fewer splice calls. */
#define PIPE_SIZE (1 << 20)
/* Work done for one connection per wake-up, so one fast connection does
 * not starve the others or slirp. */
#define PUMP_ROUNDS 16
#define UDP_BATCH 32
#define UDP_DATAGRAM_MAX 65536
#define UDP_FLOWS_MAX 4096
#define UDP_SOCKET_BUFFER (4 << 20)

struct forwarder {
	struct loop *loop;
	struct netns_helper *helper;
	struct forward_rule *rules;
	struct loop_timer *expiry;
	unsigned udp_idle_ms;
	/* recvmmsg/sendmmsg scratch space, shared by every UDP socket. */
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iovs[UDP_BATCH];
	struct sockaddr_storage addrs[UDP_BATCH];
	uint8_t (*bufs)[UDP_DATAGRAM_MAX];
};

struct tcp_conn;
struct udp_flow;

struct forward_rule {
	struct forward_rule *next;
	struct forwarder *fw;
	bool udp;
	bool keep_source;
	int listen_fd;
	struct sockaddr_storage guest;
	socklen_t guest_len;
	struct tcp_conn *conns;
	struct udp_flow *flows;
	unsigned active;
};

/* One direction of a TCP connection: bytes read from one socket wait in
 * the pipe until the other socket takes them. */
struct pipe_dir {
	int pipe[2];
	size_t queued;
	bool eof;  /* the reading side said it is done */
	bool shut; /* we passed the EOF on with shutdown(SHUT_WR) */
};

/* epoll's data for one socket of a connection. */
struct conn_side {
	struct tcp_conn *conn;
	int index; /* 0 host client, 1 guest */
};

struct tcp_conn {
	struct tcp_conn *next, **prev;
	struct forward_rule *rule;
	int fd[2];
	struct conn_side side[2];
	/* dir[i] carries bytes read from fd[i] to fd[1 - i]. */
	struct pipe_dir dir[2];
	bool connecting;
};

struct udp_flow {
	struct udp_flow *next, **prev;
	struct forward_rule *rule;
	int fd;		  /* inside the namespace */
	bool unconnected; /* datagrams carry the guest's address */
	struct sockaddr_storage client;
	socklen_t client_len;
	int64_t last_active_ms;
};

static bool is_loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	return a->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

/* With keep_source, bind the guest-side socket to a loopback client's
 * address, which the namespace has as well: first with the client's port,
 * then with any port if that one is taken inside. */
static bool keep_loopback_source(const struct forward_rule *r, int fd,
				 const struct sockaddr_storage *client, socklen_t len)
{
	if (!r->keep_source || client->ss_family != r->guest.ss_family || !is_loopback(client))
		return false;
	if (bind(fd, (const struct sockaddr *)client, len) == 0)
		return true;
	struct sockaddr_storage any_port = *client;
	if (any_port.ss_family == AF_INET)
		((struct sockaddr_in *)&any_port)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&any_port)->sin6_port = 0;
	if (bind(fd, (const struct sockaddr *)&any_port, len) == 0)
		return true;
	log_debug("forward: keep the source address: %s", strerror(errno));
	return false;
}

/* --- TCP ------------------------------------------------------------- */

/* A connection that stays on this machine (over a loopback device, which
 * neither drops nor queues) needs no congestion control that paces. BBR,
 * a common default, does: without the fq qdisc it makes TCP pace itself
 * with a timer, which on a path of 10+ Gbit/s costs a timer softirq every
 * few segments, sends in small bursts and wakes the reader for each. Reno
 * never paces, and is the one algorithm every process may choose
 * (net.ipv4.tcp_allowed_congestion_control always has it). Measured with
 * BBR as the default: the forwarder's CPU per GB about a quarter lower,
 * the published-port rate about doubled. Where the default already does
 * not pace this changes nothing; a failure keeps the default. */
static void local_congestion_control(int fd)
{
	static const char reno[] = "reno";
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, reno, sizeof(reno) - 1) < 0)
		log_debug("forward: congestion control reno: %s", strerror(errno));
}

static void tcp_conn_close(struct tcp_conn *c)
{
	struct loop *loop = c->rule->fw->loop;
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] >= 0) {
			loop_remove(loop, c->fd[i]);
			close(c->fd[i]);
		}
		for (int j = 0; j < 2; j++)
			if (c->dir[i].pipe[j] >= 0)
				close(c->dir[i].pipe[j]);
	}
	*c->prev = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->rule->active--;
	free(c);
}

/* Abort: the client sees a reset rather than a clean end, so it knows the
 * data did not all arrive. */
static void tcp_conn_reset(struct tcp_conn *c)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	for (int i = 0; i < 2; i++)
		if (c->fd[i] >= 0)
			setsockopt(c->fd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	tcp_conn_close(c);
}

/* Move what can be moved in direction d without blocking. Returns -1 on
 * a fatal error of either socket. */
static int pump(struct tcp_conn *c, int d)
{
	struct pipe_dir *p = &c->dir[d];
	int src = c->fd[d], dst = c->fd[1 - d];
	for (int round = 0; round < PUMP_ROUNDS; round++) {
		bool progress = false;
		if (!p->eof && p->queued < PIPE_SIZE) {
			ssize_t n = splice(src, NULL, p->pipe[1], NULL, PIPE_SIZE - p->queued,
					   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				p->queued += (size_t)n;
				progress = true;
			} else if (n == 0) {
				p->eof = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (p->queued > 0) {
			ssize_t n = splice(p->pipe[0], NULL, dst, NULL, p->queued,
					   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				p->queued -= (size_t)n;
				progress = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (!progress)
			break;
	}
	if (p->eof && p->queued == 0 && !p->shut) {
		shutdown(dst, SHUT_WR);
		p->shut = true;
	}
	return 0;
}

/* Level-triggered interest that matches what each socket can do next:
 * read while its pipe has room, write while the other pipe has bytes. */
static void tcp_conn_update(struct tcp_conn *c)
{
	struct loop *loop = c->rule->fw->loop;
	for (int i = 0; i < 2; i++) {
		uint32_t ev = 0;
		if (!c->dir[i].eof && c->dir[i].queued < PIPE_SIZE)
			ev |= EPOLLIN;
		if (c->dir[1 - i].queued > 0)
			ev |= EPOLLOUT;
		/* Nothing to do on this socket leaves the epoll set: a peer
		 * that has hung up would otherwise wake us for ever. A later
		 * write to it reports any error. */
		loop_modify(loop, c->fd[i], ev);
	}
}

static void tcp_conn_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct conn_side *s = data;
	struct tcp_conn *c = s->conn;
	bool just_connected = false;
	if (c->connecting) {
		int error = 0;
		socklen_t len = sizeof(error);
		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &error, &len) < 0)
			error = errno;
		if (error == EINPROGRESS || error == EALREADY)
			return;
		if (error != 0) {
			log_debug("forward: connect to the guest: %s", strerror(error));
			tcp_conn_reset(c);
			return;
		}
		c->connecting = false;
		just_connected = true;
	}
	/* Pump only what this event concerns: a readable socket feeds its
	 * own direction, a writable one drains the other. A bulk transfer
	 * is one-way, and trying the idle direction on every wake-up costs
	 * a splice that only says EAGAIN. Errors, hang-ups and a finished
	 * connect look at both. */
	bool both = just_connected || (events & (EPOLLERR | EPOLLHUP));
	int i = s->index;
	bool in = both || (events & (EPOLLIN | EPOLLRDHUP));
	bool out = both || (events & EPOLLOUT);
	if ((in && pump(c, i) < 0) || (out && pump(c, 1 - i) < 0)) {
		tcp_conn_reset(c);
		return;
	}
	if (c->dir[0].shut && c->dir[1].shut) {
		tcp_conn_close(c);
		return;
	}
	tcp_conn_update(c);
}

static int make_pipe(int p[2])
{
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	/* A smaller pipe still works, only with more splice calls. */
	fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE);
	return 0;
}

static void tcp_accept(struct loop *loop, int lfd, uint32_t events, void *data)
{
	struct forward_rule *r = data;
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof(peer);
		_cleanup_close_ int client =
		    accept4(lfd, (struct sockaddr *)&peer, &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (client < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warning("forward: accept: %s", strerror(errno));
			return;
		}
		hutch_error err = {0};
		_cleanup_close_ int guest =
		    netns_helper_socket(r->fw->helper, r->guest.ss_family, SOCK_STREAM, &err);
		if (guest < 0) {
			hutch_log_error(&err);
			continue;
		}
		keep_loopback_source(r, guest, &peer, peer_len);
		int one = 1;
		setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(guest, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* The guest connection never leaves this machine, nor does a
		 * loopback client's. */
		local_congestion_control(guest);
		if (is_loopback(&peer))
			local_congestion_control(client);
		bool connecting = false;
		if (connect(guest, (struct sockaddr *)&r->guest, r->guest_len) < 0) {
			if (errno != EINPROGRESS) {
				log_debug("forward: connect to the guest: %s", strerror(errno));
				continue;
			}
			connecting = true;
		}
		struct tcp_conn *c = calloc(1, sizeof(*c));
		if (c == NULL)
			continue;
		c->rule = r;
		c->connecting = connecting;
		for (int d = 0; d < 2; d++) {
			c->side[d] = (struct conn_side){.conn = c, .index = d};
			c->dir[d].pipe[0] = c->dir[d].pipe[1] = -1;
		}
		c->fd[0] = steal_fd(&client);
		c->fd[1] = steal_fd(&guest);
		c->next = r->conns;
		c->prev = &r->conns;
		if (r->conns != NULL)
			r->conns->prev = &c->next;
		r->conns = c;
		r->active++;
		if (make_pipe(c->dir[0].pipe) < 0 || make_pipe(c->dir[1].pipe) < 0) {
			log_warning("forward: pipe: %s", strerror(errno));
			tcp_conn_reset(c);
			continue;
		}
		/* While connecting, only the guest socket's completion
		 * matters; the client's bytes wait in its socket. */
		if (loop_add(loop, c->fd[0], connecting ? 0 : EPOLLIN, tcp_conn_event, &c->side[0],
			     &err) < 0 ||
		    loop_add(loop, c->fd[1], connecting ? EPOLLOUT : EPOLLIN, tcp_conn_event,
			     &c->side[1], &err) < 0) {
			hutch_log_error(&err);
			tcp_conn_reset(c);
		}
	}
}

/* --- UDP ------------------------------------------------------------- */

static void udp_flow_close(struct udp_flow *f)
{
	loop_remove(f->rule->fw->loop, f->fd);
	close(f->fd);
	*f->prev = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	f->rule->active--;
	free(f);
}

static void prepare_batch(struct forwarder *fw, bool with_addr)
{
	for (int i = 0; i < UDP_BATCH; i++) {
		fw->iovs[i] = (struct iovec){.iov_base = fw->bufs[i], .iov_len = UDP_DATAGRAM_MAX};
		fw->msgs[i] = (struct mmsghdr){0};
		fw->msgs[i].msg_hdr.msg_iov = &fw->iovs[i];
		fw->msgs[i].msg_hdr.msg_iovlen = 1;
		if (with_addr) {
			fw->msgs[i].msg_hdr.msg_name = &fw->addrs[i];
			fw->msgs[i].msg_hdr.msg_namelen = sizeof(fw->addrs[i]);
		}
	}
}

/* Replies from the guest go back to the flow's client, in batches. */
static void udp_flow_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct udp_flow *f = data;
	struct forwarder *fw = f->rule->fw;
	prepare_batch(fw, false);
	int n = recvmmsg(fd, fw->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			log_debug("forward: udp from the guest: %s", strerror(errno));
		/* ECONNREFUSED: nothing listens in the guest (yet); keep the
		 * flow, the client may retry. */
		return;
	}
	for (int i = 0; i < n; i++) {
		fw->iovs[i].iov_len = fw->msgs[i].msg_len;
		fw->msgs[i].msg_hdr.msg_name = &f->client;
		fw->msgs[i].msg_hdr.msg_namelen = f->client_len;
	}
	if (sendmmsg(f->rule->listen_fd, fw->msgs, (unsigned)n, MSG_DONTWAIT) < 0)
		log_debug("forward: udp to the client: %s", strerror(errno));
	f->last_active_ms = loop_now_ms();
}

static struct udp_flow *udp_flow_find(struct forward_rule *r, const struct sockaddr_storage *a,
				      socklen_t len)
{
	for (struct udp_flow *f = r->flows; f != NULL; f = f->next) {
		if (f->client_len == len && memcmp(&f->client, a, len) == 0)
			return f;
	}
	return NULL;
}

static struct udp_flow *udp_flow_open(struct forward_rule *r, const struct sockaddr_storage *a,
				      socklen_t len)
{
	if (r->active >= UDP_FLOWS_MAX) {
		log_debug("forward: too many UDP flows, dropping a datagram");
		return NULL;
	}
	hutch_error err = {0};
	_cleanup_close_ int fd =
	    netns_helper_socket(r->fw->helper, r->guest.ss_family, SOCK_DGRAM, &err);
	if (fd < 0) {
		hutch_log_error(&err);
		return NULL;
	}
	int size = UDP_SOCKET_BUFFER;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	/* A flow with the client's loopback address stays unconnected: a
	 * guest service bound to the wildcard answers a loopback address
	 * from its own loopback address, which a socket connected to the
	 * guest's address would drop. */
	bool unconnected = keep_loopback_source(r, fd, a, len);
	if (!unconnected && connect(fd, (struct sockaddr *)&r->guest, r->guest_len) < 0) {
		log_debug("forward: udp connect to the guest: %s", strerror(errno));
		return NULL;
	}
	struct udp_flow *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->rule = r;
	f->unconnected = unconnected;
	memcpy(&f->client, a, len);
	f->client_len = len;
	f->last_active_ms = loop_now_ms();
	if (loop_add(r->fw->loop, fd, EPOLLIN, udp_flow_event, f, &err) < 0) {
		hutch_log_error(&err);
		free(f);
		return NULL;
	}
	f->fd = steal_fd(&fd);
	f->next = r->flows;
	f->prev = &r->flows;
	if (r->flows != NULL)
		r->flows->prev = &f->next;
	r->flows = f;
	r->active++;
	return f;
}

/* Datagrams from clients: one recvmmsg, then one sendmmsg per run of
 * datagrams from the same client. */
static void udp_listen_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct forward_rule *r = data;
	struct forwarder *fw = r->fw;
	prepare_batch(fw, true);
	int n = recvmmsg(fd, fw->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	int64_t now = loop_now_ms();
	for (int i = 0; i < n;) {
		socklen_t alen = fw->msgs[i].msg_hdr.msg_namelen;
		struct udp_flow *f = udp_flow_find(r, &fw->addrs[i], alen);
		if (f == NULL)
			f = udp_flow_open(r, &fw->addrs[i], alen);
		int j = i;
		while (j < n && fw->msgs[j].msg_hdr.msg_namelen == alen &&
		       memcmp(&fw->addrs[j], &fw->addrs[i], alen) == 0) {
			fw->iovs[j].iov_len = fw->msgs[j].msg_len;
			bool named = f != NULL && f->unconnected;
			fw->msgs[j].msg_hdr.msg_name = named ? &r->guest : NULL;
			fw->msgs[j].msg_hdr.msg_namelen = named ? r->guest_len : 0;
			j++;
		}
		if (f != NULL) {
			if (sendmmsg(f->fd, &fw->msgs[i], (unsigned)(j - i), MSG_DONTWAIT) < 0)
				log_debug("forward: udp to the guest: %s", strerror(errno));
			f->last_active_ms = now;
		}
		i = j;
	}
}

static void udp_expire(void *data)
{
	struct forwarder *fw = data;
	int64_t now = loop_now_ms();
	for (struct forward_rule *r = fw->rules; r != NULL; r = r->next) {
		for (struct udp_flow *f = r->flows, *next; f != NULL; f = next) {
			next = f->next;
			if (now - f->last_active_ms >= (int64_t)fw->udp_idle_ms)
				udp_flow_close(f);
		}
	}
	unsigned period = fw->udp_idle_ms / 4 ? fw->udp_idle_ms / 4 : 1;
	loop_timer_arm(fw->loop, fw->expiry, loop_now_ms() + period);
}

/* --- rules ----------------------------------------------------------- */

int forwarder_new(struct loop *loop, struct netns_helper *helper, unsigned udp_idle_ms,
		  struct forwarder **out, hutch_error *err)
{
	struct forwarder *fw = calloc(1, sizeof(*fw));
	if (fw == NULL)
		return hutch_fail(err, ENOMEM, "allocate the forwarder");
	fw->bufs = calloc(UDP_BATCH, UDP_DATAGRAM_MAX);
	fw->expiry = loop_timer_new(loop, udp_expire, fw);
	if (fw->bufs == NULL || fw->expiry == NULL) {
		free(fw->bufs);
		free(fw);
		return hutch_fail(err, ENOMEM, "allocate the forwarder");
	}
	fw->loop = loop;
	fw->helper = helper;
	fw->udp_idle_ms = udp_idle_ms;
	*out = fw;
	return 0;
}

void forwarder_free(struct forwarder *fw)
{
	if (fw == NULL)
		return;
	while (fw->rules != NULL)
		forwarder_remove(fw, fw->rules);
	loop_timer_free(fw->loop, fw->expiry);
	free(fw->bufs);
	free(fw);
}

unsigned forward_rule_active(const struct forward_rule *r)
{
	return r->active;
}

int forwarder_add(struct forwarder *fw, bool udp, bool keep_source, const struct sockaddr *host,
		  socklen_t host_len, const struct sockaddr *guest, socklen_t guest_len,
		  struct forward_rule **out, hutch_error *err)
{
	if (fw->helper->channel < 0)
		return hutch_fail_plain(
		    err, ENOTSUP, "socket forwarding needs a network namespace, not a TAP fd");
	_cleanup_close_ int fd = socket(
	    host->sa_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hutch_fail(err, errno, "socket");
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "::" means IPv6 only, as slirp's own forwarder does; a separate
	 * rule for 0.0.0.0 covers IPv4. */
	if (host->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (udp) {
		int size = UDP_SOCKET_BUFFER;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	}
	if (bind(fd, host, host_len) < 0)
		return hutch_fail(err, errno, "bind");
	if (!udp && listen(fd, 128) < 0)
		return hutch_fail(err, errno, "listen");
	struct forward_rule *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return hutch_fail(err, ENOMEM, "allocate a forwarding rule");
	r->fw = fw;
	r->udp = udp;
	r->keep_source = keep_source;
	memcpy(&r->guest, guest, guest_len);
	r->guest_len = guest_len;
	if (loop_add(fw->loop, fd, EPOLLIN, udp ? udp_listen_event : tcp_accept, r, err) < 0) {
		free(r);
		return -1;
	}
	r->listen_fd = steal_fd(&fd);
	r->next = fw->rules;
	fw->rules = r;
	if (udp)
		loop_timer_arm(fw->loop, fw->expiry,
			       loop_now_ms() + (fw->udp_idle_ms / 4 ? fw->udp_idle_ms / 4 : 1));
	*out = r;
	return 0;
}

void forwarder_remove(struct forwarder *fw, struct forward_rule *rule)
{
	for (struct forward_rule **p = &fw->rules; *p != NULL; p = &(*p)->next) {
		if (*p != rule)
			continue;
		*p = rule->next;
		while (rule->conns != NULL)
			tcp_conn_close(rule->conns);
		while (rule->flows != NULL)
			udp_flow_close(rule->flows);
		loop_remove(fw->loop, rule->listen_fd);
		close(rule->listen_fd);
		free(rule);
		return;
	}
}
