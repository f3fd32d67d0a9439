/* The deterministic simulator (build/obol-sim): the framework a scheme's
 * actors, strategies and invariants are written against. tests/sim/README.md
 * is the guide; docs/threats.md, "The simulator", says what it shows.
 *
 * A run is one world grown from one 64-bit seed:
 *   - the real issuer (its route handlers, reached through obol_issuer_handle,
 *     on its real SQLite store), real vendor daemons (obol_vendor_serve_link,
 *     the outbox, their stores) and real wallet commands (obol_cli_main of
 *     `wallet withdraw`, `wallet pay`, ...) run inside this program, each as
 *     a node: a simulated process with its own clock skew and durable state
 *     (a directory under the run's directory, on tmpfs when there is one);
 *   - nothing reaches a socket: HTTP requests go through the transport hook
 *     of src/net/http_client.h, device links (their real Noise handshake
 *     and records) through src/net/devlink.h's ops, both carried by the
 *     simulated network, which loses, duplicates, delays and reorders what
 *     the seed says;
 *   - blocking code (a wallet command waiting for a frame, a vendor session
 *     waiting for the issuer, a settle that polls) runs on threads of which
 *     exactly one runs at a time, handed over at every wait: a "context".
 *     Everything else runs on the main thread as events of one queue ordered
 *     by (simulated time, sequence number). One executed event is a step;
 *   - the clock is src/core/clock.h's replaceable source (simulated world
 *     time plus the node's skew), randomness is libsodium's randombytes and
 *     OpenSSL's RAND, both drawn from a ChaCha20 stream keyed by the seed,
 *     so a run replays byte for byte;
 *   - a node is killed at a crash point (src/core/fault.h: before every unit
 *     of work and every wallet save) or at any wait: from then on none of
 *     its writes happen and its threads unwind; it restarts later through
 *     its real start-up path on the durable state it had.
 * After every step the scheme's invariants run; at the end the world is
 * brought to rest (every delay drained, every node restarted, time moved
 * past every deadline) and the invariants that need rest run.
 *
 * Everything here runs with the simulator's lock held (the running context
 * or the main thread holds it), so no function below needs locking. */
#ifndef OBOL_SIM_SIM_H
#define OBOL_SIM_SIM_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "wire/fields.h"

struct sim;
struct sim_node;
struct sim_link;
struct sim_thread;
struct obol_issuer;
struct obol_vendor;
struct obol_store;
struct obol_devlink;

#define SIM_NAME_MAX 24
#define SIM_MS INT64_C(1000000)     /* nanoseconds */
#define SIM_S INT64_C(1000000000)
#define SIM_DAY (86400 * SIM_S)

/* The world's clock starts here (2030-01-01T00:00:00Z) in every run. */
#define SIM_EPOCH_S INT64_C(1893456000)

/* ---- nodes: the simulated processes ------------------------------------ */

enum sim_node_kind {
	SIM_ISSUER,   /* a real issuer, started in process */
	SIM_VENDOR,   /* a real vendor daemon, started in process */
	SIM_WALLET,   /* a real wallet: its file, used by wallet commands */
	SIM_SCRIPTED, /* a party the simulator plays itself (a cheater): its events and contexts */
};

struct sim_node {
	char name[SIM_NAME_MAX];
	enum sim_node_kind kind;
	bool honest;         /* the invariants protect it (and it follows the protocol) */
	bool dead;           /* killed: its writes fail and its threads unwind */
	bool down;           /* dead and its threads have ended: restartable */
	unsigned incarnation; /* how many times it (re)started */
	int64_t skew_s;      /* its clock runs this far from world time */
	char dir[PATH_MAX];  /* its durable state (issuer: issuer.db; vendor: its --dir) */
	char wallet[PATH_MAX]; /* wallet: the wallet file */
	char key_file[PATH_MAX]; /* wallet: its 32-byte key file */
	char url[64];        /* issuer: the base URL clients use */
	int64_t account;     /* its account at the issuer, 0 when none */
	char price[32];      /* vendor: its price per unit ("EUR:0.001") */
	struct obol_issuer *issuer; /* running issuer */
	struct obol_vendor *vendor; /* running vendor */
	unsigned threads;    /* contexts of this node alive */
	bool busy;           /* wallet: a command is running */
	/* Scripted nodes: serves a device link opened to it, in a context of
	 * its own (as a vendor daemon's thread for a connection does): dl has
	 * no session yet (run obol_devlink_respond first); the simulator closes
	 * it after. NULL: links to it are refused. */
	void (*serve)(struct sim *sim, struct sim_node *self, struct obol_devlink *dl);
	void *data;          /* the scheme's own state for the node */
	void *engine_;       /* the simulator's own (sim.c) */
	unsigned index;
};

/* Creates a node (the name must be unique; dir is made under the run's
 * directory and kept there across restarts). */
struct sim_node *sim_node_add(struct sim *sim, enum sim_node_kind kind, const char *name, bool honest);
struct sim_node *sim_node_find(struct sim *sim, const char *name);
size_t sim_nodes(struct sim *sim, struct sim_node ***all);

/* Starts the issuer from the database in n->dir (obol_issuer_start in
 * process) and gives it the URL clients find it at. */
OBOL_MUST_CHECK obol_err sim_issuer_start(struct sim *sim, struct sim_node *n);
/* Starts a vendor daemon on n->dir (obol_vendor_start in process) talking
 * to the issuer node; its outbox is passed every outbox_ms and when kicked. */
OBOL_MUST_CHECK obol_err sim_vendor_start(struct sim *sim, struct sim_node *n, struct sim_node *issuer);

/* Kills a node now (see the top of this file); why goes to the trace. Its
 * links break, its threads unwind; when they have, it is down and a restart
 * is scheduled after restart_after (0: not restarted; sim_restart later). */
void sim_kill(struct sim *sim, struct sim_node *n, const char *why, int64_t restart_after_ns);
/* Restarts a down node through its start-up path (issuer, vendor); a
 * wallet just becomes usable again. */
void sim_restart(struct sim *sim, struct sim_node *n);

/* The node whose code runs now (NULL: the simulator's own main thread). */
struct sim_node *sim_current(void);

/* ---- wallet commands ----------------------------------------------------- */

/* Runs `obol ARGS...` (a NULL-terminated list; the wallet's --wallet and
 * --key-file are added) in a context of wallet node n, as the user would;
 * done(sim, n, exit code, arg) is called on the main thread when it ends
 * (exit code -1 when the node was killed while it ran). n->busy while it
 * runs; a command on a busy or dead node is not started (done gets -2). */
void sim_command(struct sim *sim, struct sim_node *n, void (*done)(struct sim *, struct sim_node *, int, void *),
		 void *arg, const char *const *args);

/* ---- time and events --------------------------------------------------- */

/* World time (nanoseconds since the epoch), and a node's own clock in
 * seconds (world time + its skew), which is what obol_now() returns in its
 * code. */
int64_t sim_time_ns(struct sim *sim);
int64_t sim_node_now(struct sim *sim, const struct sim_node *n);

typedef void (*sim_event_fn)(struct sim *sim, void *arg);
/* Runs fn(sim, arg) on the main thread after delay_ns. A periodic event
 * (a daemon's timer) does not keep the world from being at rest. */
void sim_at(struct sim *sim, int64_t delay_ns, sim_event_fn fn, void *arg);
void sim_at_periodic(struct sim *sim, int64_t delay_ns, sim_event_fn fn, void *arg);
/* Moves world time forward by ns at once (days, years); events now due run
 * next, in their order. */
void sim_jump(struct sim *sim, int64_t ns);
/* True once the run is being brought to rest: drivers and cheaters stop
 * starting new work. */
bool sim_quiescing(struct sim *sim);

/* ---- randomness (the world's choices; not the crypto stream) ----------- */

uint64_t sim_rand(struct sim *sim);
/* Uniform in [0, n) (n > 0). */
uint64_t sim_below(struct sim *sim, uint64_t n);
/* True with probability permille / 1000. */
bool sim_chance(struct sim *sim, unsigned permille);
/* The run's seed. */
uint64_t sim_seed(struct sim *sim);

/* ---- the network ------------------------------------------------------- */

/* The world's faults, per mille per message; set by strategies (all 0 by
 * default: every message arrives at once, in order). */
struct sim_faults {
	unsigned http_lose_request;  /* the request never arrives (the client times out) */
	unsigned http_lose_reply;    /* the issuer acts, the answer is lost (the client times out) */
	unsigned http_duplicate;     /* arrives, and a copy arrives again later */
	unsigned http_delay;         /* arrives later (after the client gave up when long) */
	int64_t http_delay_max_ns;
	unsigned link_break;         /* a device link breaks with a frame in flight (lost; both ends see it end) */
	unsigned link_break_write;   /* a device link breaks as a node writes a frame (its write fails) */
	unsigned crash;              /* a crash point of an honest node kills it */
	unsigned kill_at_wait;       /* a node waiting for the network is killed there */
	int64_t restart_min_ns, restart_max_ns;
};
struct sim_faults *sim_faults(struct sim *sim);

/* What an adversary on a device link does with one write's bytes. */
enum sim_tap { SIM_TAP_PASS, SIM_TAP_DROP, SIM_TAP_REPLAY, SIM_TAP_HOLD };

/* What happens to one HTTP request (a strategy's http_hook may choose). */
enum sim_fate { SIM_DELIVER, SIM_LOSE_REQUEST, SIM_LOSE_REPLY, SIM_DELAY, SIM_DUPLICATE };
struct sim_http_msg {
	struct sim_node *from, *to;
	const char *method, *path, *auth; /* auth may be NULL */
	const uint8_t *body;
	size_t body_len;
};
/* A request from a scripted node (main thread): sent through the network
 * like any other, but its sender never waits: a lost one returns NETWORK
 * at once. *reply is malloc'ed (free it). */
OBOL_MUST_CHECK obol_err sim_http(struct sim *sim, struct sim_node *from, struct sim_node *to, const char *method,
				  const char *path, const char *auth, const char *body, long *status, char **reply);

/* Sends a copy of m after delay_ns (a message the network held back);
 * its answer goes nowhere. */
void sim_http_later(struct sim *sim, const struct sim_http_msg *m, int64_t delay_ns);
/* True when no context runs or waits (no command, session or outbox pass
 * is under way). */
bool sim_idle(struct sim *sim);

/* A device link: a opened it (the wallet side), b accepted it. Its ends
 * are real device links (src/net/devlink.h) over the simulator's ops: the
 * Noise handshake and records run as they do over a socket, and what
 * travels is ciphertext. A node reaches another with
 * obol_devlink_connect("sim:NAME", ...) from a context of its own. */
struct sim_link {
	unsigned id;
	struct sim_node *a, *b;
	bool broken;
};
struct sim_node *sim_link_peer(const struct sim_link *l, const struct sim_node *self);

/* Runs fn(sim, arg) in a new context of node n (a thread handed the baton,
 * sim_int.h): where a scripted party does what blocks (opens a link, waits
 * for a frame, sleeps with obol_sleep_ns, sends a request and waits for its
 * answer). */
void sim_spawn(struct sim *sim, struct sim_node *n, void (*fn)(struct sim *sim, void *arg), void *arg);
/* In a context of n: runs `obol ARGS...` (NULL-terminated; n's --wallet and
 * --key-file added) there and then, and returns its exit code. */
int sim_command_here(struct sim *sim, struct sim_node *n, const char *const *args);

/* ---- what schemes and strategies plug in ------------------------------- */

/* Observers and hooks a scheme or strategy sets on the run (each optional).
 *   http_hook: may choose a request's fate (return true) before the random
 *     faults do; *delay_ns for SIM_DELAY and SIM_DUPLICATE.
 *   on_http: every request that reached the issuer, with its answer
 *     (status 0: the issuer was down or the answer did not come back).
 *   on_frame: every frame a node has written on a link, in clear (the
 *     devlink's ops tell it, once its records are written): what the
 *     sender revealed, whatever then happens to the bytes;
 *   tap: an adversary on the device link, who sees each write's bytes
 *     (a handshake message or a record: ciphertext) and may drop it,
 *     deliver it twice (a replay) or hold it back behind the next
 *     (reordering). */
struct sim_hooks {
	bool (*http_hook)(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay_ns);
	void (*on_http)(struct sim *sim, const struct sim_http_msg *m, long status, const char *reply, size_t len);
	void (*on_frame)(struct sim *sim, struct sim_link *l, struct sim_node *from, uint32_t type,
			 const uint8_t *body, size_t len);
	enum sim_tap (*tap)(struct sim *sim, struct sim_link *l, struct sim_node *from, const uint8_t *bytes,
			    size_t len);
	/* A crash point of node n (src/core/fault.h): > 0 kills it there,
	 * < 0 spares it, 0 leaves it to sim_faults.crash. */
	int (*crash_hook)(struct sim *sim, struct sim_node *n, const char *where);
};
struct sim_hooks *sim_hooks(struct sim *sim);

/* The scheme's own state for the run (set by its start). */
void *sim_scheme_data(struct sim *sim);
void sim_set_scheme_data(struct sim *sim, void *data);

struct sim_strategy {
	const char *name;
	const char *summary; /* the adversary, in one line */
	/* "11.1": the defect it finds on code that has it; NULL for the
	 * strategies the bounded run (make check) uses, which must pass. */
	const char *finds;
	/* After the scheme's start: mark the cheaters, set the faults and
	 * hooks, schedule their first moves. */
	void (*setup)(struct sim *sim);
};

struct sim_scheme {
	const char *name;
	/* Makes the world's durable state once per program (issuer database,
	 * vendor directories, wallets), under sim_dir(sim), with the issuer
	 * node started: see sim_template_*. Runs on the main thread. */
	obol_err (*make_template)(struct sim *sim);
	/* A run: the nodes over the copied state, started, and the honest
	 * drivers' first events. */
	obol_err (*start)(struct sim *sim);
	/* After every step (cheap: the issuer audit runs beside it, only when
	 * the issuer's database changed). */
	void (*check_step)(struct sim *sim);
	/* At rest: what honest parties do to recover (finish pending work),
	 * run before check_rest; may start commands. */
	void (*recover)(struct sim *sim);
	void (*check_rest)(struct sim *sim);
	/* The run is over and every node down: free what start and the
	 * strategies allocated (sim_scheme_data). */
	void (*stop)(struct sim *sim);
	/* For the trace: a frame of this scheme in a few words ("PAY coin
	 * 1a2b.. p=41"); may be NULL. */
	void (*describe)(struct sim *sim, uint32_t type, const uint8_t *body, size_t len, char *out, size_t cap);
	/* How far past the end time moves before check_rest (the longest
	 * deadline a lock, a report or a retry can have). */
	int64_t rest_ns;
	const struct sim_strategy *strategies; /* NULL-name terminated */
};

/* The table of schemes (tests/sim/schemes.c). */
extern const struct sim_scheme *const sim_schemes[];

/* ---- invariants and the trace -------------------------------------------- */

/* Records the first broken invariant (name such as "P2", then what broke):
 * the run stops after the current step and reports seed, step and this. */
void sim_fail(struct sim *sim, const char *invariant, const char *fmt, ...) OBOL_PRINTF(3, 4);
bool sim_failed(struct sim *sim);
/* A line of the trace (hashed always; printed with --trace). n may be NULL. */
void sim_trace(struct sim *sim, const struct sim_node *n, const char *fmt, ...) OBOL_PRINTF(3, 4);
bool sim_tracing(struct sim *sim);

/* A read connection to the issuer's database for invariants (kept open by
 * the simulator; begin and end a read transaction around use). */
struct obol_store *sim_issuer_db(struct sim *sim);
/* The issuer node (the first one added). */
struct sim_node *sim_issuer(struct sim *sim);

/* ---- building a template ----------------------------------------------- */

/* The program's directory for a scheme's template (make_template writes
 * there) and for the run (a copy of it). */
const char *sim_dir(struct sim *sim);
/* `obol ARGS...` on the main thread (template building: no faults); 0 on
 * success. Its output is dropped. */
int sim_run_command(struct sim *sim, const char *const *args);
/* Creates the issuer database with `obol issuer init` (currency EUR and the
 * given extra options, NULL-terminated) in n->dir/issuer.db. */
OBOL_MUST_CHECK obol_err sim_template_issuer(struct sim *sim, struct sim_node *n, const char *const *init_args);
/* A vendor: keys (obol vendor init), its account and certificate (obol
 * issuer vendor add, valid for 3650 days), in n->dir. */
OBOL_MUST_CHECK obol_err sim_template_vendor(struct sim *sim, struct sim_node *n, struct sim_node *issuer);
/* A wallet: key file, obol wallet init with an account, the account opened
 * and funded with fund ("EUR:50"). */
OBOL_MUST_CHECK obol_err sim_template_wallet(struct sim *sim, struct sim_node *n, struct sim_node *issuer,
					     const char *fund);
/* The auth key of a wallet node's account (from its wallet file), for a
 * scripted party that signs its own requests. */
OBOL_MUST_CHECK obol_err sim_wallet_account_key(struct sim *sim, struct sim_node *n, int64_t *account,
						uint8_t sk[64]);
/* The Obol-Auth value for a request of account (src/net/reqauth.h) at n's
 * clock. */
OBOL_MUST_CHECK obol_err sim_auth(struct sim *sim, struct sim_node *n, int64_t account, const uint8_t sk[64],
				  const char *method, const char *path, const char *body, char out[160]);

#endif
