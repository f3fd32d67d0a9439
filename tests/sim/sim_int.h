/* Internal to tests/sim: the run's state, shared by sim.c (events,
 * contexts, clock, randomness, nodes), net.c (HTTP and device links) and
 * main.c (runs and reports). Scheme code uses sim.h only. */
#ifndef OBOL_SIM_SIM_INT_H
#define OBOL_SIM_SIM_INT_H

#include <pthread.h>
#include <sodium.h>

#include "sim.h"

#define SIM_NODES_MAX 32
#define SIM_HTTP_TIMEOUT_NS (10 * SIM_S) /* OBOL_HTTP_TIMEOUT_MS */
#define SIM_OUTBOX_EVERY_NS (5 * SIM_S)

struct sim_event {
	int64_t at;
	uint64_t seq;
	sim_event_fn fn;
	void *arg;
	bool periodic;
};

/* A thread of a node that may wait (see sim.h). */
struct sim_thread {
	pthread_t th;
	pthread_cond_t cv;
	struct sim *sim;
	struct sim_node *node;
	void (*body)(struct sim *sim, void *arg);
	void *arg;
	uint64_t gen;   /* bumped at every wait: a resume for an older wait is stale */
	bool waiting;
	bool woken;     /* the last wait ended by sim_wake, not by its deadline */
	bool finished;
	unsigned refs;  /* resume events queued for it: freed when finished and none is left */
	char label[32];
	struct sim_thread *next;
};

struct sim {
	const struct sim_scheme *scheme;
	const struct sim_strategy *strategy;
	uint64_t seed;
	uint64_t step;
	int64_t now; /* world time, ns since the epoch */

	struct sim_event *heap;
	size_t nheap, capheap;
	uint64_t seq;
	size_t pending;  /* non-periodic events queued */

	pthread_mutex_t big;
	pthread_cond_t main_cv;
	struct sim_thread *running;
	struct sim_thread *threads;
	unsigned nthreads;

	struct sim_node *nodes[SIM_NODES_MAX];
	size_t nnodes;
	struct sim_node *issuer;
	struct sim_link_int *links; /* every link of the run, freed at its end */
	unsigned next_link;

	struct sim_faults faults;
	struct sim_hooks hooks;
	void *scheme_data;
	uint64_t rng[4];

	crypto_hash_sha256_state trace;
	bool tracing;
	FILE *out;       /* the program's own stdout (commands' output goes nowhere) */

	bool failed;
	char fail_inv[24];
	char fail_msg[600];
	uint64_t fail_step;

	char root[PATH_MAX]; /* the program's directory */
	char dir[PATH_MAX];  /* the template's or the run's */
	bool in_template;
	bool expecting;  /* --expect-fail: failures are reported by main */
	bool quiescing;
	struct obol_store *audit_db;
	int64_t audit_version;
	bool audit_dirty;
};

extern struct sim *sim_the;

/* sim.c */
/* Aborts when called from a thread the simulator does not run (a scheme
 * that started a thread of its own in process: see obol_vendor_tick). */
void sim_assert_baton(const char *what);
void sim_thread_spawn(struct sim *sim, struct sim_node *n, const char *label, void (*body)(struct sim *, void *),
		      void *arg);
/* On a context: waits until sim_wake or world time deadline (INT64_MAX:
 * none); true when woken. */
bool sim_block(struct sim *sim, int64_t deadline);
void sim_wake(struct sim *sim, struct sim_thread *t);
struct sim_thread *sim_self(void);
void sim_set_current(struct sim_node *n);
/* A node's thread ended, or its last request to it returned. */
void sim_node_release(struct sim *sim, struct sim_node *n);
void sim_node_hold(struct sim_node *n);
/* Runs one event; false when none is left. */
bool sim_step(struct sim *sim);
void sim_clear_events(struct sim *sim);
void sim_crypto_seed(const uint8_t key[32]);
void sim_rng_seed(struct sim *sim, uint64_t seed);
void sim_install_hooks(struct sim *sim);
/* A kill at a wait (sim_faults.kill_at_wait, or the crash hook, asked with
 * where): true when n was killed. */
bool sim_maybe_kill_at_wait(struct sim *sim, struct sim_node *n, const char *where);

/* net.c */
void sim_net_install(struct sim *sim);
void sim_links_break_node(struct sim *sim, struct sim_node *n);
void sim_links_free(struct sim *sim);
/* A vendor node's outbox: a pass now (when none is running). */
void sim_outbox_kick(struct sim *sim, struct sim_node *n);

#endif
