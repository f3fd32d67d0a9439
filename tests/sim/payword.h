/* Internal to the payword world of the simulator: payword.c (the world, the
 * honest drivers, the strategies), payword_check.c (what the simulator
 * knows for sure, and the invariants), payword_cheat.c (the cheating
 * parties). */
#ifndef OBOL_SIM_PAYWORD_H
#define OBOL_SIM_PAYWORD_H

#include "core/amount.h"
#include "schemes/payword/messages.h"
#include "sim.h"

#define PW_PASSWORD "sim-payword-password"
#define PW_RANGES_MAX 8192

/* A range a wallet signed, as the PAY frame it wrote shows it (the
 * simulator verifies the signature under the certificate's user key). */
struct pw_range {
	uint64_t serial, from, to;
	struct sim_node *wallet, *vendor;
	uint8_t token[PAYWORD_TOKEN_LEN];  /* of order `to` */
	uint8_t sig[OBOL_SIGN_LEN];
	uint8_t vcert[PAYWORD_VCERT_MAX];
	size_t vcert_len;
};

/* An honest wallet as its driver and the invariants see it. */
struct pw_wallet {
	struct obol_amount price;    /* the price the last INFO on its links said */
	uint64_t price_vendor;       /* and the vendor that said it */
	bool has_price;
	unsigned failures;           /* commands that failed in a row */
	bool bought_at_batch;        /* its last purchase was at the batch vendor v2 */
};

struct pw_world {
	struct sim_node *issuer, *v[2], *x, *w[3], *m;
	struct pw_wallet wallet[3];
	int64_t vendor_id[3];        /* v1, v2, x: their accounts at the issuer */
	struct obol_amount tv;       /* the token value */
	struct pw_range *ranges;     /* every range any wallet signed */
	size_t nranges;
	int64_t db_version;          /* the issuer's database, when P4 last looked */
	/* the newest CRL the agent answered each vendor (v1, v2, x), and in which
	 * of the vendor's lives: P5 at each sale */
	int64_t crl_issued[3];
	unsigned crl_life[3];        /* the vendor's incarnation it was fetched in; 0: none yet */
	/* strategy state */
	unsigned act_every_s;        /* mean seconds between an honest wallet's actions */
	bool drivers_visit_x;        /* honest wallets also buy from x */
	unsigned lost_permille;      /* after a purchase at v2: regenerate --lost */
	void *cheat;
	void (*cheat_free)(void *cheat);
};

/* The CRL bound the world's vendors state (vendor payword setup --crl-max-age). */
#define PW_CRL_MAX_AGE 120

struct pw_world *pw(struct sim *sim);
struct pw_wallet *pw_wallet_of(struct pw_world *w, const struct sim_node *n);
/* The vendor node of an account id at the issuer (NULL: none). */
struct sim_node *pw_vendor_node(struct pw_world *w, uint64_t id);

/* payword_check.c */
void pw_on_frame(struct sim *sim, struct sim_link *l, struct sim_node *from, uint32_t type, const uint8_t *body,
		 size_t len);
/* Traces the agent's verdict on each report that is not a plain "ok"; notes
 * the CRL each vendor was answered. */
void pw_on_http(struct sim *sim, const struct sim_http_msg *m, long status, const char *reply, size_t len);
void pw_check_step(struct sim *sim);
void pw_check_rest(struct sim *sim);
/* Whether wallet n's file holds a token purchase not yet answered. */
bool pw_pending_buy(struct sim_node *n);
void pw_describe(struct sim *sim, uint32_t type, const uint8_t *body, size_t len, char *out, size_t cap);

/* payword_cheat.c: strategies' setups */
void pw_cheat_rollback(struct sim *sim);
void pw_cheat_hiding_vendor(struct sim *sim);
void pw_cheat_fabricating_vendor(struct sim *sim);
void pw_cheat_thief(struct sim *sim);

#endif
