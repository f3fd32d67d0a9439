/* Real obol processes for the coupon tests that attack a running issuer and
 * vendor with hand-built messages (a test-only client: the shipping wallet
 * stays honest). Each world lives in the case's temporary directory. */
#ifndef OBOL_TESTS_COUPON_PROCS_H
#define OBOL_TESTS_COUPON_PROCS_H

#include <stdbool.h>
#include <sys/types.h>

#include "net/devlink.h"
#include "net/http_client.h"
#include "schemes/coupon/vendor.h"
#include "schemes/common/vendor_cert.h"
#include "wallet/coupon_wallet.h"

#define PROC_ARGS 16

struct proc {
	pid_t pid;
	char name[32];
	char log[600];
	char addr[64]; /* HOST:PORT of its first "listening on" line */
	char url[80];  /* http://HOST:PORT */
	char args[PROC_ARGS][600];
	int nargs;
};

/* Starts `obol ARGS...` (NULL-terminated), waits for "listening on". */
int cproc_start(struct proc *p, const char *name, ...) __attribute__((sentinel));
void cproc_kill(struct proc *p, int sig);
/* The same command again on the same address. */
int cproc_restart(struct proc *p);

/* Runs `obol ARGS...` to completion; its stdout+stderr in out. Returns its
 * exit status (-1 when it did not exit). */
int cobol_run(char *out, size_t cap, ...) __attribute__((sentinel));

struct vend {
	char dir[600];
	struct proc proc;
	struct obol_sign_keypair kp;
	struct obol_box_keypair box;
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
	size_t cert_len;
	uint8_t cert_hash[32];
	int64_t account;
};

struct world {
	char db[600];
	struct proc issuer;
	struct vend v[2];
	struct obol_sign_keypair user;
	int64_t user_id;
	struct obol_http_client *http;     /* authenticated as the user */
	struct coupon_wallet_store ws;     /* keys from GET /keys; coins withdrawn */
};

/* Issuer with denominations 1 (EUR:1, 100 tokens) and 2 (EUR:2, 100 tokens),
 * lock policy 600 s; a user funded EUR:20; two vendors with certificates,
 * running as daemons at `price` when run_vendors. */
int cworld_up(struct world *w, bool run_vendors, const char *price);
/* The same on a database URL of the test's backend (SQLite or PostgreSQL). */
int cworld_up_db(struct world *w, const char *db_url, bool run_vendors, const char *price);
/* The same with more choices. */
struct cworld_opts {
	const char *db_url;  /* NULL: SQLite in the case's directory */
	bool run_vendors;
	const char *price;
	const char *denom3;  /* a third denomination (`issuer init --coupon-denom`), or NULL */
};
int cworld_up_opts(struct world *w, const struct cworld_opts *o);
void cworld_down(struct world *w);

/* Withdraws a coin of denomination id into w->ws. */
obol_err cworld_withdraw(struct world *w, uint32_t denom);
/* An account's balance text ("EUR:0.2") through `obol issuer account show`. */
int cworld_balance(struct world *w, const char *name, char *out, size_t cap);
/* `obol audit` says "audit: OK". */
bool cworld_audit_ok(struct world *w);

/* POSTs a JSON body to the issuer; the named error (OBOL_OK for 2xx, with
 * *reply set when reply is not NULL; *detail gets the error detail). */
obol_err cworld_post(struct world *w, const char *path, const json_t *body, json_t **reply, char *detail,
		    size_t detail_cap);

/* A lock request for coin i of w->ws at index p with deadline T by vendor v
 * (the box names cert_for's certificate: normally v). */
void cworld_lock_req(struct world *w, size_t coin, uint64_t p, int64_t T, int v, int cert_for,
		    struct coupon_lock_req *req);
obol_err cworld_lock(struct world *w, const struct coupon_lock_req *req, struct coupon_lock_reply *reply);
/* Reads device-link frames until one of type want; *served (may be NULL)
 * counts the SERVED frames on the way. */
obol_err cworld_read_until(struct obol_devlink *dl, uint32_t want, const uint8_t **body, size_t *len, int *served);

obol_err cworld_settle(struct world *w, int v, const uint8_t coin_id[32], uint64_t j, const uint8_t token[32],
		      bool keep, struct coupon_settle_reply *reply);

#endif
