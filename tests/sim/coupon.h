/* Internal to the coupon world of the simulator: coupon.c (the world, the
 * honest drivers, the strategies), coupon_check.c (what the simulator knows
 * for sure, and the invariants), coupon_cheat.c (the cheating parties). */
#ifndef OBOL_SIM_COUPON_H
#define OBOL_SIM_COUPON_H

#include "crypto/seal.h"
#include "schemes/coupon/messages.h"
#include "sim.h"

#define CW_DENOMS_MAX 4
#define CW_COINS_MAX 4096
/* The third denomination's tokens: more than one settle may claim
 * (COUPON_SETTLE_SPAN_MAX), so that only checkpoints keep a long session's
 * settles within it. */
#define CW_BIG_N 200000

/* A coin as the simulator knows it from the frames its holder wrote (it
 * opens each sealed authorisation with the issuer's box key). */
struct cw_coin {
	uint8_t id[COUPON_ID_LEN];
	uint32_t denom;
	uint64_t n;
	struct obol_amount tv;
	uint64_t revealed;        /* R: the lowest index revealed to anyone but the issuer (n: none yet) */
	struct sim_node *holder;  /* who paid with it first */
	unsigned pay_link;        /* the link of the last PAY with it: a lock answer belongs to that session */
	bool refunded;            /* the issuer answered a refund of it (its rest went to an account) */
};

/* One device link: a payment session. */
struct cw_session {
	unsigned link;
	struct sim_node *wallet, *vendor;
	bool offered;
	struct obol_amount price;
	struct obol_amount allowed;  /* P2: what the wallet agreed to pay (units x price, or its budget) */
	bool has_allowed;
	struct obol_amount revealed; /* value of the new tokens the wallet revealed in it */
	struct cw_coin *coin;        /* the coin a TOKEN belongs to: the last PAY's */
	uint64_t served;             /* units the vendor said it served */
	uint64_t buy_units;
};

/* An honest wallet's command in progress, as its driver started it. */
struct cw_wallet {
	uint64_t units;              /* wallet pay --units */
	struct obol_amount budget;   /* or --amount */
	bool has_budget;
	bool paying;
	/* the wallet file the invariants last read */
	unsigned long ino;
	int64_t mtime_ns;
	unsigned withdrawals;        /* withdraw commands that ended */
};

struct cw_world {
	struct obol_box_keypair box;           /* the issuer's: opens the wallets' authorisations */
	struct coupon_denom denoms[CW_DENOMS_MAX];
	size_t ndenoms;
	struct cw_coin *coins;
	size_t ncoins;
	struct cw_session *sessions;           /* by link id */
	size_t nsessions;
	struct sim_node *issuer, *v[2], *x, *w[3], *m;
	struct cw_wallet wallet[3];
	/* strategy state */
	void *cheat;
	void (*cheat_free)(void *cheat);
	bool drivers_visit_x;                  /* honest wallets also buy from the cheating vendor x */
	bool only_v1;                          /* honest wallets buy from v1 only */
	bool only_x;                           /* honest wallets buy from x only */
	unsigned act_every_s;                  /* mean seconds between an honest wallet's actions */
	bool big_coins;                        /* honest wallets withdraw only coins of BIG_N tokens, and
						* buy long sessions (many checkpoints each) */
	bool just_locked[32];                  /* by node index: a lock answer reached it since its last crash point */
};

struct cw_world *cw(struct sim *sim);
const struct coupon_denom *cw_denom(struct cw_world *w, uint64_t id);
struct cw_coin *cw_coin_find(struct cw_world *w, const uint8_t id[COUPON_ID_LEN]);
struct cw_session *cw_session(struct cw_world *w, const struct sim_link *l);
struct cw_wallet *cw_wallet_of(struct cw_world *w, const struct sim_node *n);

/* coupon_check.c */
void cw_on_frame(struct sim *sim, struct sim_link *l, struct sim_node *from, uint32_t type, const uint8_t *body,
		 size_t len);
void cw_on_http(struct sim *sim, const struct sim_http_msg *m, long status, const char *reply, size_t len);
void cw_check_step(struct sim *sim);
void cw_describe(struct sim *sim, uint32_t type, const uint8_t *body, size_t len, char *out, size_t cap);
void cw_check_rest(struct sim *sim);
/* P3 for wallet n's withdrawals: its file holds a coin or a pending
 * withdrawal for every withdrawal the issuer debited. */
void cw_check_withdrawals(struct sim *sim, struct sim_node *n);
/* Whether vendor n got a lock answer since its last crash point (then its
 * next one is the insert of the locked coin); clears it. */
bool cw_take_just_locked(struct sim *sim, struct sim_node *n);

/* coupon_cheat.c: strategies' setups */
void cw_cheat_greedy_vendor(struct sim *sim);
void cw_cheat_fake_refusal(struct sim *sim);
void cw_cheat_probe(struct sim *sim);
void cw_cheat_hold_link(struct sim *sim);
void cw_cheat_rollback(struct sim *sim);
void cw_cheat_link_mitm(struct sim *sim);
void cw_cheat_withholding_vendor(struct sim *sim);
void cw_cheat_denom_swap(struct sim *sim);
void cw_cheat_far_settle(struct sim *sim);

#endif
