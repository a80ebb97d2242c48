/* The user's terminal while a container's tty is attached: raw mode that
 * is undone on every way out (atexit, and the signal paths call
 * tty_restore), the terminal's size, and resizes sent to hutchd. A self-pipe
 * turns signals into bytes the stream pump can poll. */
#ifndef HUTCH_CLI_TTY_H
#define HUTCH_CLI_TTY_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Put fd (a terminal) in raw mode; the old mode comes back at exit. */
int tty_raw_enter(int fd, hutch_error *err);
/* Give the terminal its old mode back (safe to call more than once). */
void tty_restore(void);

/* The size of the terminal on fd; false when fd is not a terminal. */
bool tty_size(int fd, unsigned *rows, unsigned *cols);

/* The size of the user's terminal (stdout's, else stdin's). */
bool tty_terminal_size(unsigned *rows, unsigned *cols);

/* POST BASE/resize?h=ROWS&w=COLS (BASE is /containers/ID or /exec/ID)
 * with the size of the terminal on stdout. Errors are ignored: a resize
 * that misses is harmless and the next SIGWINCH sends another. */
void tty_send_size(const char *base);

/* Catch sigs and write each delivered signal's number as one byte to a
 * pipe; returns the pipe's read end. Signals not in the list keep their
 * disposition. */
int sigrelay_open(const int *sigs, size_t n, hutch_error *err);

/* The signals docker's CLI proxies to a container without a tty. */
extern const int sigrelay_proxied[];
extern const size_t sigrelay_proxied_count;

/* Die of signo as if it had not been caught (restoring the terminal). */
void sigrelay_die(int signo) __attribute__((noreturn));

#endif
