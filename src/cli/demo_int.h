/* Internal to the demo harness (demo.c, cmd_demo.c). */
#ifndef OBOL_CLI_DEMO_INT_H
#define OBOL_CLI_DEMO_INT_H

#include <limits.h>

#include "cli/demo.h"

#define OBOL_DEMO_BUFS 8

struct obol_demo {
	char dir[PATH_MAX];
	char obol[PATH_MAX];
	struct obol_demo_proc *procs;
	char signer_sock[PATH_MAX]; /* the scenario's signing process (obol_demo_issuer); "" before */
};

struct obol_demo_entry *obol_demo_entries(void);
void obol_demo_proc_free(struct obol_demo_proc *p);
/* SIGTERM (then SIGKILL after 5 s) to every process the scenario started. */
void obol_demo_stop_all(struct obol_demo *d);
void obol_demo_rmtree(const char *dir);

#endif
