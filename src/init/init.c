/* hutch-init: the tiny init for `--init` (docker-init's role). As pid 1
 * of a container it runs its arguments as a child, passes the signals it
 * receives on to it, reaps every zombie that is reparented to it, and
 * exits with the child's status (128+N when a signal N killed it).
 *
 * It is linked statically so it can be bind-mounted into any image,
 * whatever its C library. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: hutch-init [--] COMMAND [ARG]...\n"
		     "\n"
		     "Run COMMAND as the child of a minimal init: forward signals to it,\n"
		     "reap zombies, exit with its status. See hutch-monitor(8).\n");
}

/* Signals that are about this process itself (faults) or that cannot be
 * caught are not forwarded. */
static bool forwarded(int sig)
{
	switch (sig) {
	case SIGCHLD:
	case SIGKILL:
	case SIGSTOP:
	case SIGSEGV:
	case SIGBUS:
	case SIGFPE:
	case SIGILL:
	case SIGTRAP:
	case SIGSYS:
	case SIGABRT:
		return false;
	default:
		return true;
	}
}

static void ignore_handler(int sig)
{
	(void)sig;
}

static _Noreturn void run_child(char **argv, const sigset_t *old)
{
	/* Its own process group, in the foreground of the terminal if there
	 * is one: a ^C then reaches the child once, not once from the
	 * terminal and once more through us. */
	setpgid(0, 0);
	if (isatty(STDIN_FILENO))
		tcsetpgrp(STDIN_FILENO, getpid());
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, old, NULL);
	execvp(argv[0], argv);
	int e = errno;
	fprintf(stderr, "hutch-init: exec %s: %s\n", argv[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

int main(int argc, char **argv)
{
	int first = 1;
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("hutch-init %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (first >= argc) {
		usage(stderr);
		return 2;
	}

	/* Everything we forward is blocked and taken with sigwaitinfo. A
	 * handler is installed as well: pid 1 of a namespace never gets a
	 * signal whose action is the default. */
	sigset_t all, old;
	sigemptyset(&all);
	for (int sig = 1; sig < NSIG; sig++) {
		if (!forwarded(sig) && sig != SIGCHLD)
			continue;
		struct sigaction sa = {.sa_handler = ignore_handler};
		sigaction(sig, &sa, NULL);
		sigaddset(&all, sig);
	}
	sigprocmask(SIG_BLOCK, &all, &old);

	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "hutch-init: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0)
		run_child(argv + first, &old);
	setpgid(child, child);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid != child)
				continue;
			/* Collect what else has died meanwhile, then go: the
			 * kernel ends the rest of the namespace with us. */
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			if (WIFSIGNALED(status))
				return 128 + WTERMSIG(status);
			return WEXITSTATUS(status);
		}
	}
}
