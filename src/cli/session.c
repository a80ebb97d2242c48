/* Raw mode, resizes, signals and detach keys around the stream pump. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "client.h"
#include "session.h"
#include "tty.h"

void session_attach_path(char *out, size_t size, const char *id, bool with_stdin)
{
	snprintf(out, size, "/containers/%s/attach?stream=1&stdin=%d&stdout=1&stderr=1", id,
		 with_stdin ? 1 : 0);
}

static void on_signal(void *ctx, int signo)
{
	const struct session_opts *o = ctx;
	if (signo == SIGWINCH) {
		tty_send_size(o->resize_base);
		return;
	}
	if (o->tty || o->kill_base == NULL)
		sigrelay_die(signo);
	char path[512];
	snprintf(path, sizeof(path), "%s/kill?signal=%d", o->kill_base, signo);
	hutch_error err = {0};
	/* The process may have exited meanwhile: nothing to report. */
	client_json("POST", path, NULL, &err);
}

int session_pump(struct raw_http *h, const struct session_opts *o, hutch_error *err)
{
	struct detach_keys keys = {0};
	if (o->tty && o->send_stdin &&
	    detach_keys_parse(o->detach_keys ? o->detach_keys : "ctrl-p,ctrl-q", &keys, err) < 0)
		return -1;
	/* A stream or stdout that went away is an error to report, not a
	 * reason to die silently. */
	signal(SIGPIPE, SIG_IGN);
	_cleanup_close_ int sigfd = -1;
	if (o->tty) {
		/* Termination signals restore the terminal before dying. */
		static const int sigs[] = {SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGQUIT};
		sigfd = sigrelay_open(sigs, sizeof(sigs) / sizeof(sigs[0]), err);
	} else if (o->sig_proxy && o->kill_base) {
		sigfd = sigrelay_open(sigrelay_proxied, sigrelay_proxied_count, err);
	}
	if ((o->tty || (o->sig_proxy && o->kill_base)) && sigfd < 0)
		return -1;
	if (o->tty && o->send_stdin && isatty(STDIN_FILENO) && tty_raw_enter(STDIN_FILENO, err) < 0)
		return -1;
	if (o->tty)
		tty_send_size(o->resize_base);
	struct pump_opts po = {
	    .tty = o->tty,
	    .send_stdin = o->send_stdin,
	    .detach = &keys,
	    .signal_fd = sigfd,
	    .on_signal = on_signal,
	    .ctx = (void *)o,
	};
	int rc = hijack_pump(h, &po, err);
	tty_restore();
	return rc;
}
