/* Internal to the ecash world of the simulator: ecash.c (the world, the
 * honest drivers, the strategies), ecash_check.c (what the simulator knows
 * for sure, and the invariants), ecash_cheat.c (the cheating parties). */
#ifndef OBOL_SIM_ECASH_H
#define OBOL_SIM_ECASH_H

#include "schemes/ecash/ecash.h"
#include "sim.h"

#define EW_WALLETS 3
#define EW_SERIALS_MAX 8   /* coins in one payment the simulator follows */
#define EW_KEYS_MAX 64     /* the ring keys of one payment */

/* One device link: a payment session, as its two ends wrote it. */
struct ew_session {
	unsigned link;
	struct sim_node *payer, *merchant;
	uint64_t ring;  /* HELLO: the ring size the payer will use (0: plain) */
	bool offered;
	struct obol_amount price;
	uint8_t serials[EW_SERIALS_MAX][ECASH_SERIAL_LEN];
	struct obol_amount values[EW_SERIALS_MAX];
	size_t n;
	bool paid;     /* PAY seen */
	bool signed_;  /* SIGN seen: the payer's claims left */
	bool receipt;  /* RECEIPT seen: the merchant took the coins */
};

/* What a party did with a coin (the simulator's record, from frames). */
enum ew_act {
	EW_SIGNED,   /* `who` signed a claim on it to `to` (SIGN) */
	EW_ACCEPTED, /* `who` (a merchant) sent its receipt for it, paid by `to` */
};
struct ew_event {
	enum ew_act act;
	uint8_t serial[ECASH_SERIAL_LEN];
	struct obol_amount value;
	struct sim_node *who, *to;
	uint64_t step;
	bool settled; /* r's take: r's deposit of it was answered */
};

/* An honest wallet's ring of one size, as its last ring payment of that
 * size had it (P7): the next must hold every member still live. */
struct ew_ring {
	uint8_t keys[EW_KEYS_MAX][ECASH_ID_LEN];
	int64_t expiry[EW_KEYS_MAX];
	size_t n;
	bool any;
};
#define EW_RING_SIZES 7 /* 2, 4, ... 128 */
struct ew_rings {
	struct ew_ring by_size[EW_RING_SIZES];
};

struct ew_world {
	struct sim_node *issuer, *v[2], *w[EW_WALLETS], *r, *x, *eve, *m, *m2;
	struct ew_session *sessions; /* by link id */
	size_t nsessions;
	struct ew_event *events;
	size_t nevents, capevents;
	struct ew_rings rings[EW_WALLETS];
	int64_t last_fraud;          /* the highest ecash_frauds id looked at */
	/* the honest drivers */
	bool drivers_visit_x;        /* honest wallets also pay the cheating merchant x */
	bool avoid_v1;               /* honest parties do not pay v1 (same-merchant) */
	bool retired[EW_WALLETS];    /* a wallet whose key the operator revoked pays no more */
	int coins[EW_WALLETS];       /* about how many coins each holds (its driver's guess) */
	bool renew_due[EW_WALLETS + 1]; /* years: renew the key at the next action (w1..w3, r) */
	bool release_due[EW_WALLETS]; /* run `wallet ecash release` at the next action */
	int64_t jump_min_days, jump_max_days; /* world-time's jumps */
	int64_t since_renew_days;    /* years: days jumped since the keys were last renewed */
	unsigned act_every_s;        /* mean seconds between a wallet's actions */
	bool r_serving;              /* r is taking a payment */
	bool r_clean;                /* r deposited since it last took a payment */
	unsigned r_serves;           /* payments r began to take */
	/* strategy state */
	void *cheat;
	void (*cheat_free)(void *cheat);
	/* a strategy's observers, called after the world's own */
	void (*on_receipt)(struct sim *sim, struct ew_session *s);
	void (*on_release)(struct sim *sim, struct sim_node *n, int rc); /* a release_due's release ended */
};

struct ew_world *ew(struct sim *sim);
struct ew_session *ew_session(struct ew_world *w, unsigned link);
/* Whether node n is one of the honest wallets w1..w3, and which. */
int ew_wallet_index(const struct ew_world *w, const struct sim_node *n);
/* An account's id by its name at the issuer (0 when none). */
int64_t ew_account(struct sim *sim, const char *name);
/* Copies a file (a backup, or a wallet handed on): 0 on success. */
int ew_copy_file(const char *from, const char *to);
/* Opens the issuer's database for writing (the operator's hand). */
OBOL_MUST_CHECK obol_err ew_issuer_store(struct sim *sim, struct obol_store **out);

/* ecash_check.c */
void ew_on_frame(struct sim *sim, struct sim_link *l, struct sim_node *from, uint32_t type, const uint8_t *body,
		 size_t len);
void ew_on_http(struct sim *sim, const struct sim_http_msg *m, long status, const char *reply, size_t len);
void ew_check_rest(struct sim *sim);
void ew_describe(struct sim *sim, uint32_t type, const uint8_t *body, size_t len, char *out, size_t cap);
/* Whether every payment an honest merchant took is deposited (or its
 * deposit answered): a time jump may then pass the deposit window. */
bool ew_payments_settled(struct sim *sim);
void ew_event_add(struct ew_world *w, enum ew_act act, const uint8_t serial[ECASH_SERIAL_LEN],
		  const struct obol_amount *value, struct sim_node *who, struct sim_node *to, uint64_t step);

/* ecash_cheat.c: strategies' setups, and the honest receiving wallet r */
void ew_receiver_serve(struct sim *sim, struct sim_node *self, struct obol_devlink *dl);
void ew_cheat_front_run(struct sim *sim);
void ew_cheat_lying_merchant(struct sim *sim);
void ew_cheat_withholding_merchant(struct sim *sim);
void ew_cheat_same_merchant(struct sim *sim);
void ew_cheat_two_keys(struct sim *sim);
void ew_cheat_revoke_after_pay(struct sim *sim);
void ew_cheat_cut_receipt(struct sim *sim);

#endif
