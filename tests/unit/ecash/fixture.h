/* A small ecash world for the pure-core tests: a bank, registered parties
 * (customers and merchants are both registered clients, seed 002 §6.1),
 * coins, and helpers that run the honest protocol steps. Keys are RSA-2048
 * from the test pool (src/cli/bench_keys.h), so that a case makes
 * them quickly. */
#ifndef OBOL_TESTS_ECASH_FIXTURE_H
#define OBOL_TESTS_ECASH_FIXTURE_H

#include "schemes/ecash/bank.h"
#include "schemes/ecash/customer.h"
#include "schemes/ecash/merchant.h"

#define FX_PARTIES_MAX 72
/* The fixture's clock: the real time at fx_init (wallet code reads the
 * clock), fixed for the rest of the case. */
extern int64_t fx_now_value;
#define FX_NOW fx_now_value

struct fx_party {
	EVP_PKEY *sk;
	struct ecash_customer c; /* its customer role (cert, id) */
	struct ecash_merchant m; /* its merchant role */
	int64_t account;
	struct ecash_held_coin *coins; /* its wallet */
	uint8_t (*owner_sks)[ECASH_OWNER_SK_LEN]; /* coin i's owner secret (fresh coins it bought) */
	size_t ncoins;
};

struct fx {
	EVP_PKEY *bank_sk;
	struct ecash_bank bank;
	struct fx_party p[FX_PARTIES_MAX];
	size_t n;
	struct ecash_directory dir;
};

/* A bank and n (<= FX_PARTIES_MAX) registered parties (accounts 101, 102,
 * ...). 0 on success. */
int fx_init(struct fx *w, size_t n);
void fx_free(struct fx *w);
/* Registers one more party with key k (taken); returns its index or -1. */
int fx_add_party(struct fx *w, EVP_PKEY *k);

/* Tops up party i with coins of the given values ("EUR:1", ...), each to an
 * owner key of its own. */
int fx_topup(struct fx *w, size_t i, const char *const *values, size_t n);
/* The signed directory block of the parties' certificates (party i is
 * registration i). */
int fx_sign_directory(struct fx *w);

/* Builds a payment, fully signed, from party `payer` to party `payee` of the
 * wallet coins idx[0..n) at `now`, for an offer of `price` made by the
 * payee's merchant role (ring == 0: plain; else the payer's block of that
 * size from the directory). */
obol_err fx_pay(struct fx *w, size_t payer, size_t payee, const size_t *idx, size_t n, const char *price,
		size_t ring, int64_t now, struct ecash_payment *out);
/* The payee's merchant role takes p: PAY's checks, SIGN's, then the record
 * (the receipt is not kept). */
obol_err fx_accept(struct fx *w, size_t payee, const struct ecash_payment *p, int64_t now);

/* A world of n parties where party 0 holds one EUR:1 coin and has built
 * (not yet delivered) its payment *p of that coin to party 1 at FX_NOW. */
int fx_paid(struct fx *w, size_t n, struct ecash_payment *p);
/* Makes party `as` a second key of party `of`'s account: its certificate
 * re-signed by the bank for that account. */
int fx_same_account(struct fx *w, size_t as, size_t of);

/* Moves the accepted coins of a payment into the payee's wallet. */
int fx_receive(struct fx *w, size_t payee, const struct ecash_payment *p);

/* Flips one bit of a byte buffer. */
void fx_flip(uint8_t *p, size_t i);

#endif
