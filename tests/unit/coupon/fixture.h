/* A coupon-scheme world for the pure-core tests: an issuer with two
 * denominations, two vendors with certificates, a wallet, and helpers that
 * drive messages between them in memory. No I/O. */
#ifndef OBOL_TESTS_COUPON_FIXTURE_H
#define OBOL_TESTS_COUPON_FIXTURE_H

#include "schemes/coupon/issuer.h"
#include "schemes/coupon/vendor.h"
#include "schemes/coupon/wallet.h"

#define FX_NOW INT64_C(1800000000)
#define FX_N 100
#define FX_COINS 8

struct fx_vendor {
	struct obol_sign_keypair kp;
	uint8_t cert[COUPON_CERT_MAX];
	size_t cert_len;
	struct coupon_vendor_cfg cfg;
	struct coupon_vendor_session s;
};

struct fx {
	EVP_PKEY *key[2];
	struct coupon_denom denom[2];
	struct obol_box_keypair box;
	struct obol_sign_keypair master;
	struct obol_ed25519_signer signer; /* over master: signs the issuer's answers */
	struct coupon_issuer is;
	struct fx_vendor v[2];
	struct coupon_wallet_cfg wc;
	struct coupon_wallet_coin coins[FX_COINS];
	size_t ncoins;
	struct coupon_wallet_session ws;
	/* the issuer's tables: coins, and the settles it answered */
	struct coupon_coin_state table[16];
	size_t ntable;
	struct {
		uint8_t coin_id[32], cert_hash[32], lock[32];
		uint64_t index;
		bool keep;
		struct coupon_settle_record rec;
	} settles[64];
	size_t nsettles;
	int64_t credited[2];   /* tokens credited per vendor */
	int64_t refunded;      /* tokens refunded to accounts */
	int64_t now;
};

/* Sets everything up: denomination 1 (EUR:1, FX_N tokens) and 2 (EUR:2, FX_N
 * tokens), each with its own RSA key; vendors 0 and 1 at price EUR:0.01. */
int cfx_init(struct fx *f);
void cfx_free(struct fx *f);

/* A test certificate encoding: vendor_pk | account | from | until | sig,
 * signed by `signer` (the issuer master key, or another to forge). */
void cfx_cert_make(uint8_t *out, size_t *len, const uint8_t vendor_pk[32], int64_t account, int64_t from,
		  int64_t until, const uint8_t signer_sk[64]);
obol_err cfx_cert_open(const uint8_t *cert, size_t len, const uint8_t issuer_pk[32], struct coupon_cert *out);

/* Withdraws a coin of denomination d (0 or 1) into f->coins. */
obol_err cfx_withdraw(struct fx *f, int d);

/* Makes a coin of denomination d (0 or 1) from a given seed (the issuer
 * blind-signs whatever it is sent: one chain can be withdrawn twice). */
obol_err cfx_withdraw_seed(struct fx *f, int d, const uint8_t seed[32]);

/* The holder's status query for coin i, probing as `wallet sync` does,
 * against the issuer core; the coin is brought in line. */
obol_err cfx_sync(struct fx *f, size_t i, struct coupon_coin_status *st);

/* The issuer's refund of req for account (verify, proof, apply, store, sign);
 * a signed refusal in *refusal (may be NULL). */
obol_err cfx_issuer_refund(struct fx *f, const struct coupon_refund_req *req, int64_t account,
			   struct coupon_refund_reply *reply, struct coupon_refusal *refusal);

/* Runs the issuer's lock on req against the fixture's table (verify, apply
 * with the holder proof when needed, store, sign). On a refusal, *refusal
 * (may be NULL) is the REFUSED frame the vendor relays: with the issuer's
 * signed refusal when it made one. */
obol_err cfx_issuer_lock(struct fx *f, const struct coupon_lock_req *req, struct coupon_lock_reply *reply,
			struct coupon_error *refusal);
/* Runs the issuer's settle; prior settles are remembered in the fixture. */
obol_err cfx_issuer_settle(struct fx *f, const struct coupon_settle_req *req, struct coupon_settle_reply *reply);

/* Opens a session at vendor v for units (or an order) and gets the lock
 * request through the wallet's PAY (coins chosen by the wallet). */
obol_err cfx_open(struct fx *f, int v, uint64_t units, struct coupon_lock_req *req);
obol_err cfx_open_order(struct fx *f, int v, const struct coupon_wallet_order *order, struct coupon_lock_req *req);

/* Runs a whole honest session at vendor v for units (or an order), settling
 * at the end. Returns the first error. */
obol_err cfx_session(struct fx *f, int v, uint64_t units);
obol_err cfx_session_order(struct fx *f, int v, const struct coupon_wallet_order *order);
/* The same session up to its receipt, unsettled; then its settles. */
obol_err cfx_run_order(struct fx *f, int v, const struct coupon_wallet_order *order);
obol_err cfx_settle_all(struct fx *f, int v);

/* The issuer's state of a coin, NULL when unknown. */
struct coupon_coin_state *cfx_coin(struct fx *f, const uint8_t id[32]);

#endif
