/* `obol demo`: runs each scheme's end-to-end scenario with real processes.
 *
 * A scheme declares its scenario in its own file under src/cli/:
 *
 *   static obol_err coupon_demo(struct obol_demo *d) { ... }
 *   OBOL_DEMO(coupon_demo_reg, "coupon", 10, coupon_demo)
 *
 * `obol demo` runs the registered scenarios by increasing order (or only
 * --scheme NAME), each in a fresh temporary directory (removed afterwards
 * unless --keep), and prints "== demo NAME" before and "demo NAME: OK" or
 * "demo NAME: FAILED (ERROR)" after each. The helpers below start daemons
 * on loopback with port 0 and read their "listening on HOST:PORT" line, run
 * `obol` subcommands printing each command line and its output, and stop
 * every process they started when the scenario ends (also on failure).
 * Inside the scenario, OBOL_PASSPHRASE is set, so wallet commands need no
 * prompt (and OBOL_ARGON2_FAST=1 when the binary is built for tests; the
 * production build/obol hashes passphrases at full cost).
 *
 * Arguments lists are NULL-terminated: obol_demo_run(d, &out, "wallet",
 * "balance", "--wallet", w, NULL). */
#ifndef OBOL_CLI_DEMO_H
#define OBOL_CLI_DEMO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

struct obol_demo;
typedef obol_err (*obol_demo_fn)(struct obol_demo *d);

struct obol_demo_entry {
	const char *scheme;
	int order;
	obol_demo_fn fn;
	struct obol_demo_entry *next;
};
void obol_demo_register(struct obol_demo_entry *e);

#define OBOL_DEMO(ident, scheme_, order_, fn_)                                                  \
	static struct obol_demo_entry ident = { .scheme = scheme_, .order = order_, .fn = fn_ }; \
	__attribute__((constructor)) static void ident##_register(void)                        \
	{                                                                                       \
		obol_demo_register(&ident);                                                     \
	}

/* The scenario's temporary directory, and a path inside it (static buffer
 * per call: copy it if you keep it; name may contain subdirectories). */
const char *obol_demo_dir(const struct obol_demo *d);
const char *obol_demo_path(struct obol_demo *d, const char *name);
/* "sqlite:DIR/NAME.db" (static buffer per call, like obol_demo_path). */
const char *obol_demo_db_url(struct obol_demo *d, const char *name);

/* Prints a step heading "-- text". */
void obol_demo_step(struct obol_demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A daemon started by the demo. */
struct obol_demo_proc;

/* Starts `obol ARGS...` (a daemon that prints "listening on HOST:PORT" on
 * stdout when ready; pass "--listen", "127.0.0.1:0" yourself) with stdout and
 * stderr appended to DIR/NAME.log, and waits up to 20 s for that line. NETWORK
 * when it exits or times out first (the log's tail is printed). */
OBOL_MUST_CHECK obol_err obol_demo_start(struct obol_demo *d, const char *name, struct obol_demo_proc **out,
					 const char *arg0, ...) __attribute__((sentinel));
/* "127.0.0.1:PORT" and "http://127.0.0.1:PORT" of the first listening line,
 * and of the second one for daemons that print two (vendor --http). */
const char *obol_demo_proc_addr(const struct obol_demo_proc *p);
const char *obol_demo_proc_url(const struct obol_demo_proc *p);
const char *obol_demo_proc_addr2(const struct obol_demo_proc *p);
uint16_t obol_demo_proc_port(const struct obol_demo_proc *p);
pid_t obol_demo_proc_pid(const struct obol_demo_proc *p);
/* Sends sig and waits for the process to exit. */
void obol_demo_kill(struct obol_demo_proc *p, int sig);
/* Starts the same command again (same arguments, but on the port it had, so
 * clients keep working) and waits for its listening line. */
OBOL_MUST_CHECK obol_err obol_demo_restart(struct obol_demo *d, struct obol_demo_proc *p);

/* Runs `obol ARGS...` to completion, printing "$ obol ARGS" and its output
 * (indented). *out (may be NULL) receives its stdout, malloc'ed. Returns OK
 * when it exits 0; otherwise the error named on its stderr
 * ("obol ...: NAME: ..."), or INTERNAL when none is named. */
OBOL_MUST_CHECK obol_err obol_demo_run(struct obol_demo *d, char **out, const char *arg0, ...)
	__attribute__((sentinel));
/* Like obol_demo_run, but the command must fail with `want`: then OK, and
 * "(refused as expected: NAME)" is printed; INTERNAL otherwise. */
OBOL_MUST_CHECK obol_err obol_demo_expect(struct obol_demo *d, obol_err want, const char *arg0, ...)
	__attribute__((sentinel));

/* Finds "KEY: VALUE" or "KEY=VALUE" at the start of a line of text and copies
 * VALUE (to the end of the line) into buf. NOT_FOUND when absent. For reading
 * ids and keys out of command output. */
OBOL_MUST_CHECK obol_err obol_demo_field(const char *text, const char *key, char *buf, size_t cap);

/* The issuer's daemons as docs/operations.md runs them. The scenario ran
 * `issuer init` with obol_demo_init_args (the master key into the file
 * DIR/master.key, never the database; no ceremony at init); here the key
 * ceremony (export-requests, `offline sign` with that file, import;
 * skipped when DIR/key-signatures.json exists: the scenario held it
 * itself), the private keys moved to the signing process (`issuer signer
 * import`, DIR/signer.db), which runs as "signer" on DIR/signer.sock, then
 * `issuer serve --db db --signer SOCK` as "issuer" (*issuer). Each command
 * is shown. */
OBOL_MUST_CHECK obol_err obol_demo_issuer(struct obol_demo *d, const char *db, struct obol_demo_proc **issuer);
/* The options `issuer init` takes for obol_demo_issuer: "--master-key",
 * DIR/master.key, "--no-ceremony" (3 strings, in a buffer of the demo's). */
#define OBOL_DEMO_INIT_ARGS(d) "--master-key", obol_demo_master_key(d), "--no-ceremony"
const char *obol_demo_master_key(struct obol_demo *d);
/* The signing process's socket once obol_demo_issuer started it, else NULL:
 * `issuer vendor add` takes it (--signer), the certificate is signed there. */
const char *obol_demo_signer_socket(const struct obol_demo *d);

/* Runs `obol audit --db URL` and requires "audit: OK". */
OBOL_MUST_CHECK obol_err obol_demo_audit(struct obol_demo *d, const char *db_url);

#endif
