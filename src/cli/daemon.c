/* Signal handling and the readiness line of the daemon commands. */
#include <stdio.h>
#include <string.h>

#include "cli/daemon.h"
#include "core/log.h"

void obol_daemon_block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int obol_daemon_wait(const sigset_t *set)
{
	int sig = 0;
	while (sigwait(set, &sig) != 0)
		;
	obol_log_info("signal %d: stopping", sig);
	return sig;
}

void obol_daemon_print_listening(const char *listen, unsigned port)
{
	if (strncmp(listen, "unix:", 5) == 0) {
		printf("listening on %s\n", listen);
		fflush(stdout);
		return;
	}
	const char *colon = strrchr(listen, ':');
	int hostlen = colon != NULL ? (int)(colon - listen) : (int)strlen(listen);
	printf("listening on %.*s:%u\n", hostlen, listen, port);
	fflush(stdout);
}
