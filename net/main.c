/* hutch-slirp: user-mode networking for a network namespace, a drop-in for
 * slirp4netns (same command line, same API socket) with an egress policy
 * and a fast socket-level port forwarder.
 *
 * Start-up order matters: the namespace helper (tap.c) is forked while
 * the process is still single-threaded and privileged over the target's
 * namespaces; the API socket is bound while the file system is visible;
 * then the sandbox hides the file system and drops privileges, seccomp
 * narrows the system calls, and only then is "1" written to the ready fd,
 * so a caller never talks to a half-set-up process. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libslirp.h>

#include "api.h"
#include "cleanup.h"
#include "egress.h"
#include "file-util.h"
#include "forward.h"
#include "log.h"
#include "loop.h"
#include "options.h"
#include "sandbox.h"
#include "tap.h"

static void stop_on_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	const char *why = data;
	log_info("exiting: %s", why);
	loop_stop(loop, 0);
}

static void stop_on_signal(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	log_info("exiting: signal %u", si.ssi_signo);
	loop_stop(loop, 0);
}

static int check_fd(int fd, const char *what, hutch_error *err)
{
	if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return hutch_fail(err, errno, "%s %d", what, fd);
	return 0;
}

static int watch_exit_conditions(struct loop *loop, const struct net_options *o, int sigfd,
				 int *pidfd, hutch_error *err)
{
	if (loop_add(loop, sigfd, EPOLLIN, stop_on_signal, NULL, err) < 0)
		return -1;
	/* The caller closes its end of the exit fd to stop us; a read end
	 * then reports EOF, a write end an error. */
	if (o->exit_fd >= 0 && loop_add(loop, o->exit_fd, EPOLLIN | EPOLLRDHUP, stop_on_event,
					"exit fd closed", err) < 0)
		return -1;
	if (o->netns_type == NET_NETNS_PID) {
		/* A pidfd becomes readable when the process exits, with no
		 * polling and no risk of a recycled pid. */
		*pidfd = (int)syscall(SYS_pidfd_open, atoi(o->target), 0);
		if (*pidfd < 0)
			return hutch_fail(err, errno, "watch process %s", o->target);
		if (fcntl(*pidfd, F_SETFD, FD_CLOEXEC) < 0 ||
		    loop_add(loop, *pidfd, EPOLLIN, stop_on_event, "the target process exited",
			     err) < 0)
			return hutch_fail(err, errno, "watch process %s", o->target);
	}
	return 0;
}

static void log_start(const struct net_options *o)
{
	char net[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], dns[INET_ADDRSTRLEN],
	    guest[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &o->network, net, sizeof(net));
	inet_ntop(AF_INET, &o->gateway, gw, sizeof(gw));
	inet_ntop(AF_INET, &o->dns, dns, sizeof(dns));
	inet_ntop(AF_INET, &o->guest, guest, sizeof(guest));
	log_info("slirp %s on %s: MTU %u, network %s/%u, gateway %s, DNS %s, guest %s%s%s%s",
		 slirp_version_string(), o->tapname, o->mtu, net, o->prefix, gw,
		 o->disable_dns ? "off" : dns, guest, o->enable_ipv6 ? ", IPv6 fd00::/64" : "",
		 o->disable_host_loopback ? ", host loopback disabled" : "",
		 o->n_outbound_allow ? ", egress policy on" : "");
}

static int run(const struct net_options *o, hutch_error *err)
{
	if (check_fd(o->ready_fd, "ready fd", err) < 0 || check_fd(o->exit_fd, "exit fd", err) < 0)
		return -1;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	_cleanup_close_ int sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		return hutch_fail(err, errno, "signalfd");

	struct netns_helper helper = {.pid = -1, .channel = -1};
	_cleanup_close_ int tapfd = -1;
	if (netns_helper_start(o, &helper, &tapfd, err) < 0)
		return -1;
	struct egress *egress = egress_new(o);
	if (o->n_outbound_allow > 0 && egress == NULL) {
		netns_helper_stop(&helper);
		return hutch_fail(err, ENOMEM, "egress policy");
	}
	struct loop *loop = NULL;
	struct forwarder *fw = NULL;
	struct api *api = NULL;
	_cleanup_close_ int pidfd = -1;
	int rc = -1;
	if (loop_new(o, tapfd, egress, &loop, err) < 0 ||
	    forwarder_new(loop, &helper, FORWARD_UDP_IDLE_MS, &fw, err) < 0 ||
	    (o->api_socket != NULL && api_new(loop, fw, o, &api, err) < 0) ||
	    watch_exit_conditions(loop, o, sigfd, &pidfd, err) < 0)
		goto out;
	if (o->resolv_conf != NULL && !o->enable_sandbox &&
	    sandbox_private_resolv_conf(o->resolv_conf, err) < 0)
		goto out;
	if (o->enable_sandbox && sandbox_enter(o->resolv_conf, err) < 0) {
		hutch_error_prefix(err, "sandbox");
		goto out;
	}
	if (o->enable_seccomp && sandbox_seccomp(err) < 0)
		goto out;
	log_start(o);
	if (o->ready_fd >= 0) {
		if (write_all(o->ready_fd, "1", 1) < 0) {
			hutch_fail(err, errno, "write to ready fd %d", o->ready_fd);
			goto out;
		}
		close(o->ready_fd);
	}
	rc = loop_run(loop) == 0 ? 0 : -1;
	if (rc < 0)
		hutch_fail_plain(err, EIO, "event loop failed");
	const struct loop_stats *st = loop_get_stats(loop);
	log_debug("wake-ups %llu, frames in %llu, out %llu, denied %llu, dropped %llu, ACKs "
		  "coalesced %llu, segments merged into GSO frames %llu, large segments from the "
		  "guest %llu",
		  (unsigned long long)st->wakeups, (unsigned long long)st->frames_in,
		  (unsigned long long)st->frames_out, (unsigned long long)st->frames_denied,
		  (unsigned long long)st->frames_dropped, (unsigned long long)st->acks_coalesced,
		  (unsigned long long)st->segments_merged, (unsigned long long)st->segments_in);
out:
	api_free(api);
	forwarder_free(fw);
	loop_free(loop);
	egress_free(egress);
	netns_helper_stop(&helper);
	return rc;
}

int main(int argc, char **argv)
{
	hutch_log_set_program("hutch-slirp");
	/* Start-up and exit reasons are worth a line in podman's log. */
	hutch_log_set_level(HUTCH_LOG_INFO);
	hutch_error err = {0};
	struct net_options opts;
	if (net_options_parse(argc, argv, argv[0], &opts, &err) < 0) {
		hutch_log_error(&err);
		return 1;
	}
	if (opts.help) {
		fputs(net_options_help(), stdout);
		net_options_free(&opts);
		return 0;
	}
	if (opts.version) {
		printf("hutch-slirp version %s\nlibslirp: %s\nSLIRP_CONFIG_VERSION_MAX: %d\n",
		       PACKAGE_VERSION, slirp_version_string(), SLIRP_CONFIG_VERSION_MAX);
		net_options_free(&opts);
		return 0;
	}
	if (opts.debug)
		hutch_log_set_level(HUTCH_LOG_DEBUG);
	int rc = run(&opts, &err);
	if (rc < 0)
		hutch_log_error(&err);
	net_options_free(&opts);
	return rc < 0 ? 1 : 0;
}
