/* Helpers shared by the daemon commands (issuer serve, vendor serve). */
#ifndef OBOL_CLI_DAEMON_H
#define OBOL_CLI_DAEMON_H

#include <signal.h>

/* Blocks SIGINT, SIGTERM (and ignores SIGPIPE) in the calling thread, before
 * any thread is started, so that every thread inherits the mask and the
 * signals are only taken by obol_daemon_wait. */
void obol_daemon_block_signals(sigset_t *set);
/* Waits for SIGINT or SIGTERM, logs "signal N: stopping" and returns the
 * signal. */
int obol_daemon_wait(const sigset_t *set);
/* Prints "listening on HOST:PORT" on stdout and flushes (the line harnesses wait for). */
void obol_daemon_print_listening(const char *listen, unsigned port);

#endif
