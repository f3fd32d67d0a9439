/* Internal to the codex world of the simulator: codex.c (the world, the
 * honest drivers, the strategies), codex_check.c (what the simulator knows
 * and the invariants), codex_cheat.c (the cheating parties). */
#ifndef OBOL_SIM_CODEX_H
#define OBOL_SIM_CODEX_H

#include "schemes/codex/codex.h"
#include "sim.h"

#define CX_WALLETS 3      /* honest users u1..u3 */
#define CX_ACCEPTED_MAX 65536
#define CX_REFUSED_MAX 16384

/* A token an honest payee took (its RECEIVE entry): the bank must credit it. */
struct cx_accepted {
	struct sim_node *payee;
	uint8_t blob[CODEX_TOKEN_MAX];
	size_t len;
	uint8_t id[CODEX_TOKEN_ID_LEN];
};

/* A payment between two wallets in progress (request → pay → receive → ack). */
struct cx_pay {
	struct sim_node *payer, *payee;
	char amount[24];
	char req[PATH_MAX + 16], pay[PATH_MAX + 16], ans[PATH_MAX + 16];
	unsigned step;
	/* a cheating payer writes the payment file itself (main thread) */
	void (*craft)(struct sim *sim, struct cx_pay *p);
	bool payee_refuses;  /* a cheating payee that takes the token and signs a refusal too */
};

/* An honest payer's token whose payee's refusal it took: the bank must
 * return its value. */
struct cx_refused {
	struct sim_node *payer;
	uint8_t id[CODEX_TOKEN_ID_LEN];
	uint8_t hash[OBOL_HASH_LEN];
};

struct cx_world {
	struct sim_node *issuer, *v, *u[CX_WALLETS], *m, *p;
	struct cx_accepted *accepted;
	size_t naccepted;
	struct cx_refused *refused;
	size_t nrefused;
	unsigned act_every_s;  /* mean seconds between an honest wallet's actions */
	unsigned sync_permille; /* how often an action is a sync */
	unsigned sync_before_ack; /* how often an honest payer syncs between paying and taking the answer */
	bool spender;            /* u1 pays up to EUR 3 a time and never loads */
	bool pay_p;            /* honest wallets also pay the cheating payee p */
	bool recovered[CX_WALLETS]; /* at rest: the wallet's last sync went through */
	int64_t synced_ns[CX_WALLETS]; /* when the bank last answered an honest user's sync (200) */
	bool release_due;      /* release strategy: m asks for its remainder after its hold (14.8) */
	int64_t release_asked_ns; /* when m's last POST /codex/release reached the bank */
	bool years_due;        /* years strategy: 400 days pass once the world is idle (14.6) */
	int64_t years_jumped_ns; /* when that jump happened; 0 while it has not */
	unsigned npays;        /* payments started (names their files) */
	void *cheat;           /* the strategy's own state */
};

struct cx_world *cx(struct sim *sim);
/* Starts a payment from payer to payee (request, pay, receive, ack); done
 * when it ends (may be NULL). A payment to p has p's answer (p refuses too). */
void cx_pay_start(struct sim *sim, struct sim_node *payer, struct sim_node *payee, const char *amount,
		  void (*done)(struct sim *, struct cx_pay *, int));
/* The same, with the payment written by craft and/or the payee's answer by
 * a cheating payee (refuses_too). */
void cx_pay_cheat(struct sim *sim, struct sim_node *payer, struct sim_node *payee, const char *amount,
		  void (*craft)(struct sim *, struct cx_pay *), bool refuses_too,
		  void (*done)(struct sim *, struct cx_pay *, int));
/* A cheating payee's answer: takes the payment and writes a signed refusal
 * of it to p->ans (codex_cheat.c). */
void cx_cheat_payee_answer(struct sim *sim, struct cx_pay *p);
/* The honest node index of n (0..CX_WALLETS-1), or -1. */
int cx_honest_index(struct cx_world *w, const struct sim_node *n);

/* codex_check.c */
/* The Codex in n's wallet file, read without taking its lock (*out:
 * codex_free it). */
OBOL_MUST_CHECK obol_err cx_wallet_codex(struct sim_node *n, struct codex **out);
/* After payee n's `receive` went through: the token it took. */
void cx_note_received(struct sim *sim, struct sim_node *n);
/* After honest payer n took the refusal in file path. */
void cx_note_refusal(struct sim *sim, struct sim_node *n, const char *path);
void cx_check_step(struct sim *sim);
/* The bank answered v's POST /codex/vendor (200): the certificate in it
 * must be valid now. */
void cx_check_vendor_cert(struct sim *sim, const char *reply, size_t len);
void cx_check_rest(struct sim *sim);

/* codex_cheat.c: strategies' setups */
void cx_cheat_resign(struct sim *sim);
void cx_cheat_rollback(struct sim *sim);
void cx_cheat_close_copy(struct sim *sim);
void cx_cheat_claim_refuse(struct sim *sim);
void cx_cheat_copy_many(struct sim *sim);
void cx_cheat_release(struct sim *sim);

#endif
