/* obol bench coupon: the daemons it starts and the machine's raw limits
 * (bench_coupon_world.c), shared with the command (cmd_bench_coupon.c). */
#ifndef OBOL_CLI_BENCH_COUPON_H
#define OBOL_CLI_BENCH_COUPON_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"
#include "crypto/sign.h"
#include "schemes/common/vendor_cert.h"

#define MAX_THREADS 64

/* The obol binary (/proc/self/exe), set by the command before anything runs. */
extern char bench_self_exe[PATH_MAX];

/* Runs `obol ARGS...` (NULL-terminated) to completion, its output in out;
 * the exit status, -1 when it did not exit. */
int child_run(char *out, size_t cap, ...) __attribute__((sentinel));

struct daemon {
	pid_t pid;
	char addr[64], url[80];
};

/* How a daemon runs: `obol ARGS...` exec'd, or in a child forked from this
 * process without exec (only one thread is left in a forked child: fork
 * while this process runs one), with every device link a bench link in
 * clear when FORK_CLEARTEXT (src/net/devlink.h). */
enum daemon_how { DAEMON_EXEC, DAEMON_FORK, DAEMON_FORK_CLEARTEXT };

/* Starts `obol ARGS...` with its output in log and waits for its
 * "listening on" line; stop sends SIGTERM and waits. */
int daemon_start(struct daemon *d, const char *log, enum daemon_how how, ...) __attribute__((sentinel));
void daemon_stop(struct daemon *d);

/* An issuer (SQLite, denominations EUR:1/100, EUR:2/20000, EUR:20/200000
 * tokens, lock policy 600 s), a funded user account, and a vendor selling at
 * price, in a temporary directory. */
struct world {
	char dir[256], db[300], vdir[300];
	struct daemon issuer, vendor, signer; /* signer: only in world_signer_up's */
	struct obol_sign_keypair user;
	int64_t user_id;
	struct obol_sign_keypair vkp;
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
	size_t cert_len;
	uint8_t cert_hash[32];
	json_t *keys;
};

int world_up(struct world *w, const char *price);
/* An issuer whose keys are in a signing process (`issuer signer`, which
 * `issuer serve --signer` asks) with a funded user account, no vendor: the
 * withdrawals with the signer next to those of world_up's issuer. */
int world_signer_up(struct world *w);
/* Another vendor of the world's issuer selling at price, with its own
 * directory (w->dir/name), keys and certificate, serving in a child forked
 * from this process without exec (stop it with daemon_stop). With
 * cleartext, every link of that child is a bench link in clear
 * (src/net/devlink.h): only a wallet that asks for one can talk to it. Call
 * it while this process runs one thread (a fork keeps only the caller). */
int world_vendor_fork(struct world *w, const char *name, const char *price, bool cleartext, struct daemon *d);
void world_down(struct world *w, bool keep);

/* The phase "tokens at the vendor, 64 ahead" of bench coupon: its wallets
 * (threads of this process) and how far ahead they let the vendor ask. */
#define BENCH_TOKEN_WALLETS(quick) ((quick) ? 16u : 48u)
#define BENCH_TOKEN_AHEAD 64

/* What rounds of that phase measured, summed. */
struct bench_token_rate {
	uint64_t tokens;     /* units paid */
	double elapsed;      /* seconds the wallets ran */
	double vendor_cpu_s; /* CPU the vendor daemon used meanwhile */
};

/* One round of that phase against vendor, exactly as bench coupon runs it:
 * `wallets` wallets, each with a coin of 200000 tokens withdrawn first (not
 * timed), for seconds; over bench links in clear when cleartext (the
 * vendor must be a world_vendor_fork one with cleartext). Adds to acc. */
OBOL_MUST_CHECK obol_err bench_coupon_token_round(struct world *w, const struct daemon *vendor, bool cleartext,
						  unsigned wallets, double seconds, struct bench_token_rate *acc);

/* The raw limits, each for `seconds`: RSA-2048 blind signatures on threads
 * threads, sealed-box opens on one, durable SQLite commits on one; *per_cpu
 * gets the rate per second of CPU the measuring threads used. */
double thread_cpu(void);
double proc_cpu(pid_t pid);
double raw_rsa(unsigned threads, double seconds, double *per_cpu);
double raw_box_open(double seconds, double *per_cpu);
double raw_commits(const char *dir, double seconds);

#endif
