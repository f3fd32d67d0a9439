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
	struct obol_ed25519_signer bank_sg; /* over bank */
	struct codex_bank_policy pol;
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
 * given in *t (payer/payee ids and names filled in when left zero; version,
 * amount, time, epoch and spent defaulted), sent with from's real
 * certificate and state: for forging tests. */
obol_err world_craft(struct world *w, int from, int to, struct codex_token *t, struct codex_msg_pay *m);
/* The log of user i as entries (for the bank), and its claimed balance. */
size_t world_entries(struct world *w, int i, struct codex_entry *out);
/* The parties the bank knows. */
size_t world_parties(struct world *w, struct codex_party *out);
/* A copy of the world's blacklist with user id added, signed (version + 1). */
obol_err world_blacklist_with(struct world *w, uint64_t id, struct codex_blacklist *out);
/* A payment of `units` through the request (no cap). */
obol_err world_pay_req(struct codex *payer, const struct codex_msg_request *req, int64_t units, int64_t now,
		       struct codex_msg_pay *m, struct codex_token *t);

/* The world's bank, in memory: one unit kept across operations (its
 * records are the world's users; tokens and refusals are added as the bank
 * learns them; its effect accumulates). */
obol_err world_bank(struct world *w, struct codex_bank_unit *k);
/* User i hands its log (and the refusals it keeps) to the in-memory bank,
 * as the wallet does: begins the sync, and applies a renewal (or abandons
 * the request when nothing was renewed). */
obol_err world_sync(struct world *w, struct codex_bank_unit *k, int i, const struct obol_amount *load, bool close,
		    struct codex_sync_out *out);
/* The value the bank holds for user i, in units. */
int64_t world_value(struct codex_bank_unit *k, struct world *w, int i);

#endif
