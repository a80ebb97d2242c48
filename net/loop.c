#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "ack.h"
#include "egress.h"
#include "gso.h"
#include "log.h"
#include "offload.h"

/* How many frames one TAP wake-up may move into slirp before the loop
 * looks at its other fds again: enough to amortise the wake-up, few
 * enough that slirp's sockets are not starved while the guest sends. */
#define TAP_BATCH 64
/* The largest frame: MTU 65521 plus the Ethernet header, rounded up. */
#define FRAME_MAX (65536 + 64)
#define EPOLL_BATCH 128
/* Frames to the guest held back while a TAP batch is processed (see
 * ack.h); only small ones, a pure ACK is 54 to 86 bytes. */
#define HOLD_MAX 64
#define HOLD_FRAME_MAX 128
/* libslirp negotiates no TCP window scaling, so at most 65535 bytes are
 * in flight between it and the guest, and it cuts its segments at
 * min(MTU - 40, 32768) bytes. At a large MTU every window to the guest is
 * then 32768 + 32767 bytes, and the byte per window that does not fit
 * comes out of its send buffer later as a segment of two or three bytes:
 * one TAP write in eight, each a pass of the guest's TCP input and a
 * wake-up of its reader for nothing. With slirp's own MTU (what it sends;
 * what it accepts, the MRU, stays at --mtu) at 32767 + 40, its segments
 * stay below 32768 bytes, two fill a window, and the crumbs are gone.
 * The guest's TAP keeps --mtu; a larger UDP datagram to the guest is
 * fragmented by slirp and reassembled by the guest. Not with IPv6:
 * libslirp answers IPv6 packets from the guest that are larger than its
 * MTU with "packet too big". */
#define SLIRP_MTU_TWO_SEGMENTS (32767 + 40)
/* The largest virtio-net header a TAP given to us may use. */
#define VNET_HDR_MAX 64

struct held_frame {
	bool is_ack;
	struct tcp_ack ack;
	size_t len;
	uint8_t data[HOLD_FRAME_MAX];
};

struct fd_entry {
	loop_handler handler; /* our own fd when not NULL */
	void *data;
	uint32_t registered; /* events in the epoll set; 0 = not in it */
	bool slirp;	     /* a socket of libslirp's */
	bool in_slirp_list;
	uint64_t generation; /* the turn in which slirp last asked for it */
	int revents;	     /* SLIRP_POLL_* seen this turn */
};

struct loop_timer {
	struct loop_timer *next;
	loop_timer_cb cb;
	void *data;
	int64_t expire_ms; /* -1 when not armed */
	/* slirp 4.7 timers are identified by id when created through
	 * timer_new_opaque. */
	bool slirp_opaque;
	SlirpTimerId slirp_id;
};

struct loop {
	int epfd;
	int tapfd;
	Slirp *slirp;
	struct egress *egress;
	const struct net_options *opts;

	struct fd_entry *fds;
	size_t nfds;
	int *slirp_fds; /* fds slirp has asked about lately */
	size_t n_slirp_fds, cap_slirp_fds;
	uint64_t generation;

	struct loop_timer *timers;
	bool stopping;
	int status;
	struct loop_stats stats;
	bool holding; /* inside a TAP batch: small frames wait in held[] */
	size_t n_held;
	struct held_frame held[HOLD_MAX];
	unsigned tap_batch;	 /* frames to read per wake-up, see tap_readable */
	uint64_t tap_generation; /* the turn the TAP was last readable in */
	/* Bytes of virtio-net header in front of every frame on the TAP
	 * (IFF_VNET_HDR), 0 without one. */
	size_t vnet_len;
	/* Within a turn of the loop, TCP segments to the guest are gathered
	 * into GSO frames (gso.h); the run goes out at the end of the turn
	 * or before any frame that does not continue it. */
	bool coalescing;
	struct gso_run run;
	uint8_t rx[VNET_HDR_MAX + FRAME_MAX]; /* header and frame read from the TAP */
	uint8_t reply[FRAME_MAX];
};

int64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct fd_entry *entry_of(struct loop *l, int fd)
{
	if (fd < 0)
		return NULL;
	if ((size_t)fd >= l->nfds) {
		size_t n = l->nfds ? l->nfds : 64;
		while (n <= (size_t)fd)
			n *= 2;
		struct fd_entry *v = realloc(l->fds, n * sizeof(*v));
		if (v == NULL)
			return NULL;
		memset(v + l->nfds, 0, (n - l->nfds) * sizeof(*v));
		l->fds = v;
		l->nfds = n;
	}
	return &l->fds[fd];
}

/* Make the kernel's interest in fd equal to events, adding or removing it
 * as needed. An fd closed behind our back has already left the epoll set
 * (the kernel drops it on close), which ENOENT and EEXIST account for. */
static int set_interest(struct loop *l, int fd, struct fd_entry *e, uint32_t events)
{
	if (e->registered == events)
		return 0;
	struct epoll_event ev = {.events = events, .data.fd = fd};
	int rc;
	if (events == 0) {
		rc = epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		if (rc < 0 && (errno == ENOENT || errno == EBADF))
			rc = 0;
	} else if (e->registered == 0) {
		rc = epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
		if (rc < 0 && errno == EEXIST)
			rc = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
	} else {
		rc = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
		if (rc < 0 && errno == ENOENT)
			rc = epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
	if (rc < 0)
		return -1;
	e->registered = events;
	return 0;
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_handler handler, void *data,
	     hutch_error *err)
{
	struct fd_entry *e = entry_of(l, fd);
	if (e == NULL)
		return hutch_fail(err, ENOMEM, "watch fd %d", fd);
	e->handler = handler;
	e->data = data;
	e->slirp = false;
	if (set_interest(l, fd, e, events) < 0) {
		e->handler = NULL;
		return hutch_fail(err, errno, "watch fd %d", fd);
	}
	return 0;
}

int loop_modify(struct loop *l, int fd, uint32_t events)
{
	struct fd_entry *e = entry_of(l, fd);
	if (e == NULL || e->handler == NULL)
		return -1;
	return set_interest(l, fd, e, events);
}

void loop_remove(struct loop *l, int fd)
{
	struct fd_entry *e = entry_of(l, fd);
	if (e == NULL)
		return;
	set_interest(l, fd, e, 0);
	e->handler = NULL;
	e->data = NULL;
	e->registered = 0;
}

struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb cb, void *data)
{
	struct loop_timer *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cb = cb;
	t->data = data;
	t->expire_ms = -1;
	t->next = l->timers;
	l->timers = t;
	return t;
}

void loop_timer_arm(struct loop *l, struct loop_timer *t, int64_t expire_ms)
{
	t->expire_ms = expire_ms;
}

void loop_timer_free(struct loop *l, struct loop_timer *t)
{
	for (struct loop_timer **p = &l->timers; *p != NULL; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			free(t);
			return;
		}
	}
}

/* Fire every expired timer once. A callback may re-arm or free any timer,
 * so the list is rescanned after each call. */
static void run_timers(struct loop *l)
{
	int64_t now = loop_now_ms();
	bool fired;
	do {
		fired = false;
		for (struct loop_timer *t = l->timers; t != NULL; t = t->next) {
			if (t->expire_ms < 0 || t->expire_ms > now)
				continue;
			t->expire_ms = -1;
			if (t->slirp_opaque)
				slirp_handle_timer(l->slirp, t->slirp_id, t->data);
			else
				t->cb(t->data);
			fired = true;
			break;
		}
	} while (fired);
}

static int64_t next_timer_ms(struct loop *l)
{
	int64_t next = -1;
	for (struct loop_timer *t = l->timers; t != NULL; t = t->next) {
		if (t->expire_ms >= 0 && (next < 0 || t->expire_ms < next))
			next = t->expire_ms;
	}
	return next;
}

/* --- libslirp callbacks --------------------------------------------- */

static const uint8_t zero_vnet_hdr[VNET_HDR_MAX];

/* Write one frame behind a virtio-net header (hdr may be NULL for an
 * all-zero one, "a plain frame with its checksums done"). */
static ssize_t write_frame_hdr(struct loop *l, const void *hdr, const void *buf, size_t len)
{
	ssize_t n;
	if (l->vnet_len == 0) {
		do
			n = write(l->tapfd, buf, len);
		while (n < 0 && errno == EINTR);
	} else {
		/* A header longer than struct virtio_net_hdr (the mergeable
		 * buffers variant) ends in fields that are zero here. */
		size_t first = hdr != NULL ? GSO_VNET_HDR_LEN : l->vnet_len;
		struct iovec iov[3] = {
		    {.iov_base = (void *)(hdr != NULL ? hdr : zero_vnet_hdr), .iov_len = first},
		    {.iov_base = (void *)zero_vnet_hdr, .iov_len = l->vnet_len - first},
		    {.iov_base = (void *)buf, .iov_len = len},
		};
		do
			n = writev(l->tapfd, iov, 3);
		while (n < 0 && errno == EINTR);
		if (n > 0)
			n = n >= (ssize_t)l->vnet_len ? n - (ssize_t)l->vnet_len : 0;
	}
	if (n < 0) {
		/* A full TAP queue means the guest is not reading: drop the
		 * frame like a busy NIC would, TCP will send it again. */
		if (errno == EAGAIN || errno == ENOBUFS) {
			l->stats.frames_dropped++;
			return (ssize_t)len;
		}
		return -1;
	}
	l->stats.frames_out++;
	return n;
}

static ssize_t write_frame(struct loop *l, const void *buf, size_t len)
{
	return write_frame_hdr(l, NULL, buf, len);
}

static void flush_run(struct loop *l)
{
	if (l->run.len == 0)
		return;
	l->stats.segments_merged += l->run.segs - 1;
	size_t len = gso_finish(&l->run);
	write_frame_hdr(l, l->run.vnet_hdr, l->run.frame, len);
}

static void flush_held(struct loop *l)
{
	for (size_t i = 0; i < l->n_held; i++)
		write_frame(l, l->held[i].data, l->held[i].len);
	l->n_held = 0;
}

/* Hold a small frame; a pure ACK replaces the held ACK it supersedes if
 * that is the newest held frame of its connection. */
static void hold_frame(struct loop *l, const void *buf, size_t len)
{
	struct held_frame *h = NULL;
	struct tcp_ack ack;
	bool is_ack = ack_parse(buf, len, &ack);
	if (is_ack) {
		for (size_t i = l->n_held; i-- > 0;) {
			struct held_frame *old = &l->held[i];
			if (!old->is_ack || old->ack.family != ack.family ||
			    old->ack.sport != ack.sport || old->ack.dport != ack.dport ||
			    memcmp(old->ack.addrs, ack.addrs, sizeof(ack.addrs)) != 0) {
				/* Another connection, or a frame we cannot read:
				 * look further back only past other
				 * connections' ACKs. */
				if (!old->is_ack)
					break;
				continue;
			}
			if (ack_supersedes(&ack, &old->ack)) {
				h = old;
				l->stats.acks_coalesced++;
			}
			break;
		}
	}
	if (h == NULL) {
		if (l->n_held == HOLD_MAX)
			flush_held(l);
		h = &l->held[l->n_held++];
	}
	h->is_ack = is_ack;
	h->ack = ack;
	h->len = len;
	memcpy(h->data, buf, len);
}

/* Frames leave in the order slirp sends them: at most one of the run and
 * the held frames has anything in it, as each is flushed before the
 * other takes a frame. */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct loop *l = opaque;
	if (l->run.len > 0) {
		if (gso_append(&l->run, buf, len))
			return (ssize_t)len;
		flush_run(l);
	}
	if (l->holding && len <= HOLD_FRAME_MAX) {
		hold_frame(l, buf, len);
		return (ssize_t)len;
	}
	/* A large frame goes out behind what is held, at once or as the
	 * start of a GSO run. */
	flush_held(l);
	if (l->coalescing && l->vnet_len > 0 && gso_start(&l->run, buf, len))
		return (ssize_t)len;
	return write_frame(l, buf, len);
}

static void cb_guest_error(const char *msg, void *opaque)
{
	log_warning("guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void slirp_timer_fire(void *data)
{
	/* Only reached for timers made through timer_new: the callback
	 * and its argument were packed by cb_timer_new. */
	void **pair = data;
	((SlirpTimerCb)pair[0])(pair[1]);
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	void **pair = calloc(2, sizeof(void *));
	if (pair == NULL)
		return NULL;
	pair[0] = (void *)cb;
	pair[1] = cb_opaque;
	return loop_timer_new(opaque, slirp_timer_fire, pair);
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct loop_timer *t = loop_timer_new(opaque, NULL, cb_opaque);
	if (t != NULL) {
		t->slirp_opaque = true;
		t->slirp_id = id;
	}
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct loop_timer *t = timer;
	if (t == NULL)
		return;
	if (!t->slirp_opaque)
		free(t->data);
	loop_timer_free(opaque, t);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	loop_timer_arm(opaque, timer, expire_ms);
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	struct fd_entry *e = entry_of(opaque, fd);
	if (e != NULL)
		e->slirp = true;
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	struct loop *l = opaque;
	struct fd_entry *e = entry_of(l, fd);
	if (e == NULL || !e->slirp)
		return;
	/* slirp closes the socket right after this; leave the epoll set
	 * now so a later fd with the same number starts clean. */
	set_interest(l, fd, e, 0);
	e->slirp = false;
	e->generation = 0;
}

static void cb_notify(void *opaque)
{
	/* Single-threaded: the next turn of the loop sees the new state. */
}

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

static uint32_t slirp_to_epoll(int events)
{
	uint32_t ev = 0;
	if (events & SLIRP_POLL_IN)
		ev |= EPOLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= EPOLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= EPOLLPRI;
	return ev;
}

static int epoll_to_slirp(uint32_t ev)
{
	int r = 0;
	if (ev & EPOLLIN)
		r |= SLIRP_POLL_IN;
	if (ev & EPOLLOUT)
		r |= SLIRP_POLL_OUT;
	if (ev & EPOLLPRI)
		r |= SLIRP_POLL_PRI;
	if (ev & EPOLLERR)
		r |= SLIRP_POLL_ERR;
	if (ev & EPOLLHUP)
		r |= SLIRP_POLL_HUP;
	return r;
}

/* slirp_pollfds_fill calls this for every socket it wants watched this
 * turn; the index it returns is the fd itself. */
static int add_poll(int fd, int events, void *opaque)
{
	struct loop *l = opaque;
	struct fd_entry *e = entry_of(l, fd);
	if (e == NULL)
		return -1;
	e->slirp = true;
	e->generation = l->generation;
	e->revents = 0;
	if (!e->in_slirp_list) {
		if (l->n_slirp_fds == l->cap_slirp_fds) {
			size_t n = l->cap_slirp_fds ? l->cap_slirp_fds * 2 : 64;
			int *v = realloc(l->slirp_fds, n * sizeof(*v));
			if (v == NULL)
				return -1;
			l->slirp_fds = v;
			l->cap_slirp_fds = n;
		}
		l->slirp_fds[l->n_slirp_fds++] = fd;
		e->in_slirp_list = true;
	}
	if (set_interest(l, fd, e, slirp_to_epoll(events)) < 0)
		log_debug("epoll for slirp socket %d: %s", fd, strerror(errno));
	return fd;
}

static int get_revents(int idx, void *opaque)
{
	struct loop *l = opaque;
	if (idx < 0 || (size_t)idx >= l->nfds)
		return 0;
	return l->fds[idx].revents;
}

/* Sockets slirp did not ask about this turn leave the epoll set, or a
 * hung-up socket it has stopped caring about would wake us forever. */
static void prune_slirp_fds(struct loop *l)
{
	for (size_t i = 0; i < l->n_slirp_fds;) {
		int fd = l->slirp_fds[i];
		struct fd_entry *e = &l->fds[fd];
		if (e->slirp && e->generation == l->generation) {
			i++;
			continue;
		}
		if (e->handler == NULL)
			set_interest(l, fd, e, 0);
		e->in_slirp_list = false;
		l->slirp_fds[i] = l->slirp_fds[--l->n_slirp_fds];
	}
}

/* Move a batch of frames from the guest into slirp. The batch adapts:
 * reading until EAGAIN costs an empty read() per wake-up, pure overhead
 * for request/response traffic that brings one frame at a time. So the
 * limit starts at one frame, doubles (up to TAP_BATCH) when a full batch
 * was read and the TAP was already readable in the turn before (a stream
 * is coming in), and halves when a batch ends early. */
static void tap_readable(struct loop *l, int fd, uint32_t events, void *data)
{
	bool streaming = l->generation == l->tap_generation + 1;
	l->tap_generation = l->generation;
	unsigned got = 0;
	l->holding = true;
	uint8_t *frame = l->rx + l->vnet_len;
	while (got < l->tap_batch) {
		ssize_t n = read(fd, l->rx, l->vnet_len + FRAME_MAX);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN)
				log_warning("read from TAP: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if ((size_t)n <= l->vnet_len) {
			l->stats.frames_dropped++;
			continue;
		}
		n -= (ssize_t)l->vnet_len;
		/* A frame the guest left its checksum or its segmentation
		 * to us for (offload.h) is finished before slirp sees it. */
		if (l->vnet_len > 0) {
			enum offload_result r = offload_complete(l->rx, frame, (size_t)n);
			if (r == OFFLOAD_BAD) {
				l->stats.frames_dropped++;
				continue;
			}
			if (r == OFFLOAD_SEGMENT)
				l->stats.segments_in++;
		}
		got++;
		l->stats.frames_in++;
		if (l->egress != NULL) {
			struct egress_packet pkt;
			if (egress_classify(l->egress, frame, (size_t)n, &pkt) == EGRESS_DENY) {
				l->stats.frames_denied++;
				egress_log_denied(l->egress, &pkt);
				size_t rlen = egress_build_reject(frame, (size_t)n, l->reply,
								  sizeof(l->reply));
				if (rlen > 0)
					cb_send_packet(l->reply, rlen, l);
				continue;
			}
		}
		slirp_input(l->slirp, frame, (int)n);
	}
	l->holding = false;
	flush_run(l);
	flush_held(l);
	if (got == l->tap_batch && streaming && l->tap_batch < TAP_BATCH)
		l->tap_batch *= 2;
	else if (got < l->tap_batch && l->tap_batch > 1)
		l->tap_batch /= 2;
}

int loop_new(const struct net_options *o, int tapfd, struct egress *egress, struct loop **out,
	     hutch_error *err)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return hutch_fail(err, ENOMEM, "allocate the event loop");
	l->tapfd = tapfd;
	l->tap_batch = 1;
	l->egress = egress;
	l->opts = o;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return hutch_fail(err, errno, "epoll_create1");
	}
	/* Our own TAP has a virtio-net header (tap.c); one passed with
	 * --netns-type=tapfd may have one or not. */
	struct ifreq ifr = {0};
	if (ioctl(tapfd, TUNGETIFF, &ifr) == 0 && (ifr.ifr_flags & IFF_VNET_HDR)) {
		int hdr_len = 0;
		if (ioctl(tapfd, TUNGETVNETHDRSZ, &hdr_len) < 0 || hdr_len < GSO_VNET_HDR_LEN ||
		    hdr_len > VNET_HDR_MAX) {
			loop_free(l);
			return hutch_fail_plain(err, EINVAL,
						"the TAP's virtio-net header size is not usable");
		}
		l->vnet_len = (size_t)hdr_len;
		/* The guest may leave checksums and IPv4 TCP segmentation
		 * to us (offload.h); a TAP passed with --netns-type=tapfd
		 * may have been given other offloads, which this replaces. */
		if (ioctl(tapfd, TUNSETOFFLOAD, OFFLOAD_TAP_FLAGS) < 0) {
			loop_free(l);
			return hutch_fail(err, errno, "set the TAP's offloads");
		}
	}
	int flags = fcntl(tapfd, F_GETFL);
	if (flags < 0 || fcntl(tapfd, F_SETFL, flags | O_NONBLOCK) < 0) {
		loop_free(l);
		return hutch_fail(err, errno, "make the TAP non-blocking");
	}

	SlirpConfig cfg = {
	    .version = 4,
	    .in_enabled = true,
	    .vnetwork = o->network,
	    .vnetmask = o->netmask,
	    .vhost = o->gateway,
	    .in6_enabled = o->enable_ipv6,
	    .vprefix_addr6 = o->network6,
	    .vprefix_len = 64,
	    .vhost6 = o->gateway6,
	    .vdhcp_start = o->dhcp_start,
	    .vnameserver = o->dns,
	    .vnameserver6 = o->dns6,
	    .if_mtu = !o->enable_ipv6 && o->mtu > SLIRP_MTU_TWO_SEGMENTS ? SLIRP_MTU_TWO_SEGMENTS
									 : o->mtu,
	    .if_mru = o->mtu,
	    .disable_host_loopback = o->disable_host_loopback,
	    .enable_emu = false,
	    .outbound_addr = o->outbound_addr_set ? (struct sockaddr_in *)&o->outbound_addr : NULL,
	    .outbound_addr6 =
		o->outbound_addr6_set ? (struct sockaddr_in6 *)&o->outbound_addr6 : NULL,
	    .disable_dns = o->disable_dns,
	};
	l->slirp = slirp_new(&cfg, &slirp_callbacks, l);
	if (l->slirp == NULL) {
		loop_free(l);
		return hutch_fail_plain(err, EINVAL, "slirp_new failed (check --cidr and --mtu)");
	}
	if (loop_add(l, tapfd, EPOLLIN, tap_readable, NULL, err) < 0) {
		loop_free(l);
		return -1;
	}
	*out = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	if (l->slirp != NULL)
		slirp_cleanup(l->slirp);
	while (l->timers != NULL) {
		struct loop_timer *t = l->timers;
		l->timers = t->next;
		if (!t->slirp_opaque && t->cb == slirp_timer_fire)
			free(t->data);
		free(t);
	}
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->fds);
	free(l->slirp_fds);
	free(l);
}

Slirp *loop_slirp(struct loop *l)
{
	return l->slirp;
}

const struct loop_stats *loop_get_stats(const struct loop *l)
{
	return &l->stats;
}

void loop_stop(struct loop *l, int status)
{
	l->stopping = true;
	l->status = status;
}

int loop_run(struct loop *l)
{
	struct epoll_event events[EPOLL_BATCH];
	while (!l->stopping) {
		l->generation++;
		uint32_t slirp_timeout = UINT32_MAX;
		slirp_pollfds_fill(l->slirp, &slirp_timeout, add_poll, l);
		prune_slirp_fds(l);

		int timeout = slirp_timeout == UINT32_MAX ? -1
			      : slirp_timeout > INT_MAX	  ? INT_MAX
							  : (int)slirp_timeout;
		int64_t next = next_timer_ms(l);
		if (next >= 0) {
			int64_t left = next - loop_now_ms();
			if (left < 0)
				left = 0;
			if (timeout < 0 || left < timeout)
				timeout = (int)(left > INT_MAX ? INT_MAX : left);
		}
		int n = epoll_wait(l->epfd, events, EPOLL_BATCH, timeout);
		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			return 1;
		}
		l->stats.wakeups++;
		for (int i = 0; i < n; i++) {
			struct fd_entry *e = entry_of(l, events[i].data.fd);
			if (e != NULL && e->slirp && e->generation == l->generation)
				e->revents |= epoll_to_slirp(events[i].events);
		}
		l->coalescing = true;
		slirp_pollfds_poll(l->slirp, n < 0, get_revents, l);
		for (int i = 0; i < n && !l->stopping; i++) {
			int fd = events[i].data.fd;
			struct fd_entry *e = entry_of(l, fd);
			if (e != NULL && e->handler != NULL)
				e->handler(l, fd, events[i].events, e->data);
		}
		run_timers(l);
		l->coalescing = false;
		flush_run(l);
	}
	return l->status;
}
