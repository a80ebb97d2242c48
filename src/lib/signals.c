/* Signal names for `kill` and the API: case-insensitive, with or without
 * the "SIG" prefix, as a number, or as a real-time offset. */
#include "signals.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* Canonical names first: signal_name() returns the first match, so the
 * aliases (IOT, CLD, POLL) are only ever read, never written. */
static const struct {
	const char *name; /* without "SIG" */
	int signo;
} signal_table[] = {
    {"HUP", SIGHUP},	   {"INT", SIGINT},	  {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP},	   {"ABRT", SIGABRT},	  {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL},	   {"USR1", SIGUSR1},	  {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},	   {"ALRM", SIGALRM},	  {"TERM", SIGTERM},
#ifdef SIGSTKFLT
    {"STKFLT", SIGSTKFLT},
#endif
    {"CHLD", SIGCHLD},	   {"CONT", SIGCONT},	  {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},	   {"TTOU", SIGTTOU},	  {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},	   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},	   {"PWR", SIGPWR},	  {"SYS", SIGSYS},   {"IOT", SIGIOT},
    {"CLD", SIGCHLD},	   {"POLL", SIGPOLL},
};

#define SIGNAL_TABLE_SIZE (sizeof(signal_table) / sizeof(signal_table[0]))

/* A decimal number made only of digits, no sign, no trailing junk. */
static int parse_decimal(const char *s, long *out)
{
	if (*s == '\0')
		return -1;
	for (const char *c = s; *c != '\0'; c++)
		if (!isdigit((unsigned char)*c))
			return -1;
	errno = 0;
	long v = strtol(s, NULL, 10);
	if (errno != 0)
		return -1;
	*out = v;
	return 0;
}

/* "RTMIN", "RTMIN+3", "RTMAX", "RTMAX-1" (the "SIG" already stripped). */
static int realtime_from_name(const char *name)
{
	int base;
	int sign;
	if (strncasecmp(name, "RTMIN", 5) == 0) {
		base = SIGRTMIN;
		sign = 1;
	} else if (strncasecmp(name, "RTMAX", 5) == 0) {
		base = SIGRTMAX;
		sign = -1;
	} else {
		return -1;
	}
	const char *rest = name + 5;
	if (*rest == '\0')
		return base;
	if ((sign > 0 && *rest != '+') || (sign < 0 && *rest != '-'))
		return -1;
	long offset;
	if (parse_decimal(rest + 1, &offset) < 0 || offset > SIGRTMAX - SIGRTMIN)
		return -1;
	return base + sign * (int)offset;
}

int signal_from_name(const char *name)
{
	long number;
	if (name == NULL)
		return -1;
	if (parse_decimal(name, &number) == 0)
		return number >= 1 && number <= SIGRTMAX ? (int)number : -1;
	const char *bare = strncasecmp(name, "SIG", 3) == 0 ? name + 3 : name;
	for (size_t i = 0; i < SIGNAL_TABLE_SIZE; i++)
		if (strcasecmp(signal_table[i].name, bare) == 0)
			return signal_table[i].signo;
	return realtime_from_name(bare);
}

const char *signal_name(int signo, char buf[static 16])
{
	for (size_t i = 0; i < SIGNAL_TABLE_SIZE; i++) {
		if (signal_table[i].signo == signo) {
			snprintf(buf, 16, "SIG%s", signal_table[i].name);
			return buf;
		}
	}
	if (signo == SIGRTMIN)
		snprintf(buf, 16, "SIGRTMIN");
	else if (signo > SIGRTMIN && signo <= SIGRTMAX)
		snprintf(buf, 16, "SIGRTMIN+%d", signo - SIGRTMIN);
	else
		return NULL;
	return buf;
}
