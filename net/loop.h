/* The event loop of hutch-slirp: one epoll set for everything.
 *
 * libslirp was written for poll(): every turn it lists the sockets it
 * wants watched (slirp_pollfds_fill) and afterwards asks which are ready
 * (slirp_pollfds_poll). Rebuilding a poll set from that list each turn
 * costs a syscall proportional to the number of sockets; instead the loop
 * keeps slirp's sockets in the same epoll set as its own fds and only
 * changes the kernel's interest list when slirp's wishes for a socket
 * change. Frames from the TAP are read in batches, so one wake-up moves
 * many frames into slirp. */
#ifndef HUTCH_NET_LOOP_H
#define HUTCH_NET_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <libslirp.h>

#include "error.h"
#include "options.h"

struct loop;
struct egress;

typedef void (*loop_handler)(struct loop *loop, int fd, uint32_t events, void *data);
typedef void (*loop_timer_cb)(void *data);

struct loop_timer;

/* Create the loop and the slirp stack for opts, reading and writing frames
 * on tapfd. egress may be NULL (no policy). */
int loop_new(const struct net_options *opts, int tapfd, struct egress *egress, struct loop **out,
	     hutch_error *err);
void loop_free(struct loop *loop);

Slirp *loop_slirp(struct loop *loop);

/* Watch one of our own fds (EPOLLIN etc., level-triggered unless
 * EPOLLET is given). The handler may remove or close any fd. */
int loop_add(struct loop *loop, int fd, uint32_t events, loop_handler handler, void *data,
	     hutch_error *err);
int loop_modify(struct loop *loop, int fd, uint32_t events);
void loop_remove(struct loop *loop, int fd);

/* Timers on the monotonic clock, in milliseconds. */
struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_cb cb, void *data);
void loop_timer_arm(struct loop *loop, struct loop_timer *timer, int64_t expire_ms);
void loop_timer_free(struct loop *loop, struct loop_timer *timer);
int64_t loop_now_ms(void);

/* Run until loop_stop(); returns the exit status given to loop_stop(). */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop, int status);

/* Counters for --debug and the benchmark. */
struct loop_stats {
	uint64_t wakeups;
	uint64_t frames_in;
	uint64_t frames_out;
	uint64_t frames_denied;
	uint64_t frames_dropped;  /* TAP full, frame to the guest lost; or a
				   * frame from the guest slirp cannot take */
	uint64_t acks_coalesced;  /* pure ACKs made redundant by a later one */
	uint64_t segments_merged; /* TCP segments that went out inside a GSO frame */
	uint64_t segments_in;	  /* large TCP segments the guest left uncut */
};
const struct loop_stats *loop_get_stats(const struct loop *loop);

#endif
