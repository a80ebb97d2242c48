/* Signal names as the runc/crun command line and the Docker API spell
 * them: "KILL", "SIGKILL", "kill", "9", "SIGRTMIN+3". */
#ifndef HUTCH_SIGNALS_H
#define HUTCH_SIGNALS_H

/* Returns the signal number, or -1 for an unknown or out-of-range name. */
int signal_from_name(const char *name);

/* "SIGKILL" for 9; NULL when unknown. Real-time signals are "SIGRTMIN+N". */
const char *signal_name(int signo, char buf[static 16]);

#endif
