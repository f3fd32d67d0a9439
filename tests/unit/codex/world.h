/* A small codex world for the unit tests: a bank key, its records and
 * blacklist, and a few users with their Codex, all in memory. */
#ifndef OBOL_TESTS_CODEX_WORLD_H
#define OBOL_TESTS_CODEX_WORLD_H

#include "schemes/codex/bank.h"
#include "schemes/codex/codex.h"

#define WORLD_USERS 4
#define WORLD_T0 1800000000 /* a fixed "now" */

struct world {
	struct obol_sign_keypair bank;
	struct codex_blacklist bl;
	struct codex_bank_user rec[WORLD_USERS];
	struct codex *cx[WORLD_USERS];
	int64_t now;
};

/* Users 0..3 named alice, bob, carol, dave, ids 101..104, each loaded with
 * `load` and a safe deposit `deposit` (units of EUR 10^-8), tx_limit. */
obol_err world_init(struct world *w, int64_t load, int64_t deposit, uint64_t tx_limit);
void world_free(struct world *w);
struct obol_amount eur(int64_t units);
/* A whole payment from -> to: request, pay, receive, ack. */
obol_err world_pay(struct world *w, int from, int to, int64_t units);
/* The payer's half only: the sealed payment to `to`. */
obol_err world_pay_msg(struct world *w, int from, int to, int64_t units, struct codex_msg_pay *m);
/* A token signed with `from`'s key and sealed to `to`, with the fields as
 * given in *t (payer/payee ids and names filled in when left zero), sent with
 * from's real certificate and state: for forging tests. */
obol_err world_craft(struct world *w, int from, int to, struct codex_token *t, struct codex_msg_pay *m);
/* The log of user i as entries (for the bank), and its claimed balance. */
size_t world_entries(struct world *w, int i, struct codex_entry *out);
/* The parties the bank knows. */
size_t world_parties(struct world *w, struct codex_party *out);

#endif
