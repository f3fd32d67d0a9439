/* The ecash world's cheating parties (ecash.h), and its honest receiving
 * wallet r, played by the simulator with the real wallet and merchant cores
 * over real device links (the Noise handshake included), each in contexts
 * of its own node:
 *   r    an honest wallet taking payments as a merchant (the receiving core
 *        of `wallet ecash receive`, on its own wallet file);
 *   eve  sees every payment in clear (she stands for whoever does: a thief
 *        of a merchant's link key or stored coins, a later holder) and
 *        deposits each coin first, as her own: front-run;
 *   x    a merchant with a registered key that keeps the coins of a payment
 *        and answers ERROR instead of its receipt, then deposits them
 *        (lying-merchant) or never does (withholding-merchant);
 *   m    a payer that spends one coin twice at v1, which restored a backup
 *        in between (same-merchant), or spends one coin at v1 with its key
 *        and at v2 with its account's second key, in wallet m2 (two-keys);
 *   the operator, who revokes w1's key right after an honest payment
 *        (revoke-after-pay);
 *   the link, which drops a vendor's RECEIPT to an honest payer and holds
 *        the vendor's deposits back until the payer released (cut-receipt). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "ecash.h"
#include "net/devlink.h"
#include "net/http_client.h"
#include "schemes/ecash/messages.h"
#include "store/store.h"
#include "wallet/ecash_link.h"
#include "wallet/ecash_wallet.h"
#include "wallet/ecash_wallet_int.h"
#include "wallet/file.h"
#include "wallet/issuer_link.h"
#include "wire/cbor.h"
#include "wire/json.h"

/* A wallet file of a node, opened in its context. */
struct opened {
	struct obol_wallet *w;
	struct ecash_wallet ew;
	bool loaded;
};

static obol_err open_wallet(struct sim_node *n, struct opened *o)
{
	struct obol_wallet_keysrc ks = { .key_file = n->key_file };
	memset(o, 0, sizeof *o);
	obol_err e = obol_wallet_open(n->wallet, &ks, &o->w);
	if (e == OBOL_OK && (e = ecash_wallet_load(o->w, &o->ew)) == OBOL_OK)
		o->loaded = true;
	return e;
}

static void close_wallet(struct opened *o)
{
	if (o->loaded)
		ecash_wallet_free(&o->ew);
	obol_wallet_close(o->w);
	memset(o, 0, sizeof *o);
}

static FILE *devnull(void)
{
	return fopen("/dev/null", "w");
}

/* ---- r: the honest receiving wallet ------------------------------------------ */

void ew_receiver_serve(struct sim *sim, struct sim_node *self, struct obol_devlink *dl)
{
	struct ew_world *w = ew(sim);
	struct opened o;
	struct ecash_merchant m;
	struct ecash_link_identity me;
	struct obol_amount price;
	if (self->busy || w->r_serving)
		return; /* its wallet is in use: the link is refused */
	w->r_serving = true;
	w->r_serves++;
	w->r_clean = false;
	FILE *out = devnull();
	if (out != NULL && open_wallet(self, &o) == OBOL_OK) {
		if (ecash_wallet_merchant(&o.ew, &m) == OBOL_OK) {
			if (ecash_link_identity_init(&o.ew, &me) == OBOL_OK && obol_amount_parse("EUR:1", &price) == OBOL_OK &&
			    obol_devlink_respond(dl, &me.id) == OBOL_OK)
				if (ecash_wallet_receive(&o.ew, &m, dl, &price, out) != OBOL_OK)
					sim_trace(sim, self, "took no payment");
			ecash_link_identity_wipe(&me);
			ecash_merchant_free(&m);
		}
		close_wallet(&o);
	} else if (o.w != NULL) {
		close_wallet(&o);
	}
	if (out != NULL)
		fclose(out);
	w->r_serving = false;
}

/* ---- eve: front-running what she saw ------------------------------------------ */

#define EVE_LINKS 64
struct eve {
	uint8_t *pay[EVE_LINKS]; /* the last PAY body per link (by id modulo) */
	size_t pay_len[EVE_LINKS];
	unsigned pay_link[EVE_LINKS];
	bool busy;
};

struct eve_job {
	uint8_t *pay, *sign;
	size_t pay_len, sign_len;
};

static void eve_free(void *arg)
{
	struct eve *ev = arg;
	if (ev == NULL)
		return;
	for (size_t i = 0; i < EVE_LINKS; i++)
		free(ev->pay[i]);
	free(ev);
}

/* Deposits coins[0..n) in eve's name; the bank's answer goes to the
 * simulator's observers. */
static void eve_deposit(struct sim *sim, struct ecash_wallet *me, const char *what, struct ecash_held_coin *coins,
			size_t n)
{
	struct obol_http_client *c = NULL;
	struct ecash_deposit_req m = { 0 };
	struct ecash_deposit_req_spec sp;
	json_t *req = NULL, *rep = NULL;
	obol_random(m.nonce, sizeof(m.nonce));
	m.cert = me->cust.cert;
	m.coins = coins;
	m.ncoins = n;
	obol_err e = ecash_customer_coins_answer(&me->cust, ECASH_ENTRY_DEPOSIT, m.nonce, coins, n, NULL, m.sig, &m.sig_len);
	if (e == OBOL_OK && (e = ecash_deposit_req_spec(&sp, &m, false)) == OBOL_OK)
		e = ecash_deposit_req_done(&sp, obol_json_encode(&sp.s, &req));
	if (e == OBOL_OK)
		e = obol_wallet_client(me->w, true, &c);
	if (e == OBOL_OK)
		e = obol_http_post_json(c, "/ecash/deposit", req, OBOL_HTTP_AUTH, &rep);
	const json_t *r0 = json_array_get(json_object_get(rep, "results"), 0);
	sim_trace(sim, ew(sim)->eve, "front-run %s: %s", what,
		  e != OBOL_OK ? obol_strerror(e) : json_string_value(json_object_get(r0, "name")));
	json_decref(req);
	json_decref(rep);
	obol_http_client_free(c);
}

static void eve_run(struct sim *sim, void *arg)
{
	struct eve_job *job = arg;
	struct ew_world *w = ew(sim);
	struct eve *ev = w->cheat;
	struct ecash_payment p = { 0 };
	struct ecash_payment_spec psp;
	struct ecash_signatures sg = { 0 };
	struct ecash_signatures_spec ssp;
	struct opened o;
	if (ecash_payment_spec(&psp, &p, true) != OBOL_OK ||
	    ecash_payment_done(&psp, obol_cbor_decode(job->pay, job->pay_len, &psp.s)) != OBOL_OK)
		goto out;
	ecash_signatures_spec(&ssp, &sg, true);
	if (ecash_signatures_done(&ssp, obol_cbor_decode(job->sign, job->sign_len, &ssp.s)) != OBOL_OK)
		goto out;
	if (ecash_payment_attach(&p, &sg) != OBOL_OK) {
		ecash_signatures_clear(&sg);
		goto out;
	}
	if (open_wallet(w->eve, &o) != OBOL_OK) {
		close_wallet(&o);
		goto out;
	}
	struct ecash_wallet *me = &o.ew;
	for (size_t i = 0; i < p.ncoins && !w->eve->dead; i++) {
		/* the bare coin, claimed to herself with an owner key of her own */
		struct ecash_held_coin bare = { .coin = p.coins[i].coin };
		uint8_t pk[ECASH_OWNER_LEN], sk[ECASH_OWNER_SK_LEN];
		ecash_owner_keypair(pk, sk);
		struct ecash_claim_req req = { .payee = me->cust.id, .ts = obol_now(), .sk = me->sk, .cert = &me->cust.cert,
					       .owner_sk = bare.coin.has_owner ? sk : NULL };
		if (p.coins[i].nchain == 1 && ecash_claim_make(&bare, &req) == OBOL_OK) {
			eve_deposit(sim, me, "own first claim", &bare, 1);
			/* ... and with the honest claim's owner signature */
			if (bare.nchain == 1 && p.coins[i].chain[0].has_owner_sig) {
				memcpy(bare.chain[0].owner_sig, p.coins[i].chain[0].owner_sig, ECASH_OWNER_SIG_LEN);
				bare.chain[0].has_owner_sig = true;
				eve_deposit(sim, me, "borrowed owner signature", &bare, 1);
			}
		}
		OBOL_WIPE(sk);
		ecash_held_clear(&bare);
		/* the honest chain with its last claim re-addressed to her */
		struct ecash_held_coin moved;
		if (ecash_held_copy(&moved, &p.coins[i]) == OBOL_OK) {
			if (moved.nchain > 0) {
				memcpy(moved.chain[moved.nchain - 1].payee, me->cust.id, ECASH_ID_LEN);
				eve_deposit(sim, me, "re-addressed claim", &moved, 1);
			}
			ecash_held_clear(&moved);
		}
	}
	close_wallet(&o);
out:
	ecash_payment_clear(&p);
	free(job->pay);
	free(job->sign);
	free(job);
	if (ev != NULL)
		ev->busy = false;
}

static void eve_on_frame(struct sim *sim, struct sim_link *l, struct sim_node *from, uint32_t type,
			 const uint8_t *body, size_t len)
{
	struct ew_world *w = ew(sim);
	struct eve *ev = w->cheat;
	ew_on_frame(sim, l, from, type, body, len);
	size_t k = l->id % EVE_LINKS;
	if (type == ECASH_MSG_PAY && from == l->a) {
		free(ev->pay[k]);
		if ((ev->pay[k] = malloc(len ? len : 1)) == NULL)
			abort();
		memcpy(ev->pay[k], body, len);
		ev->pay_len[k] = len;
		ev->pay_link[k] = l->id;
		return;
	}
	/* the payer's signatures left: eve deposits at once, before the payee */
	if (type != ECASH_MSG_SIGN || from != l->a || ev->pay[k] == NULL || ev->pay_link[k] != l->id || ev->busy ||
	    w->eve->dead || sim_quiescing(sim))
		return;
	struct eve_job *job = calloc(1, sizeof *job);
	if (job == NULL || (job->sign = malloc(len ? len : 1)) == NULL)
		abort();
	job->pay = ev->pay[k];
	job->pay_len = ev->pay_len[k];
	ev->pay[k] = NULL;
	memcpy(job->sign, body, len);
	job->sign_len = len;
	ev->busy = true;
	sim_spawn(sim, w->eve, eve_run, job);
}

void ew_cheat_front_run(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	struct eve *ev = calloc(1, sizeof *ev);
	if (ev == NULL)
		abort();
	w->cheat = ev;
	w->cheat_free = eve_free;
	sim_hooks(sim)->on_frame = eve_on_frame;
}

/* ---- x: the merchant that keeps the coins and says it refused them ------------------- */

struct xmerchant {
	bool deposits; /* lying-merchant deposits what it kept; withholding-merchant never does */
};

/* One payment, taken and kept (saved), answered with a refusal (as
 * tests/attack/ecash_lying_merchant.c). */
static obol_err take_and_lie(struct ecash_wallet *ew, struct ecash_merchant *m, struct obol_devlink *l,
			     const struct obol_amount *price)
{
	struct ecash_hello hello;
	struct ecash_hello_spec hsp;
	struct ecash_offer offer;
	struct ecash_offer_spec osp;
	struct ecash_payment p = { 0 };
	struct ecash_payment_spec psp;
	struct ecash_ready rd;
	struct ecash_ready_spec rsp;
	struct ecash_signatures sg = { 0 };
	struct ecash_signatures_spec ssp;
	uint32_t type;
	const uint8_t *body;
	size_t len;
	ecash_hello_spec(&hsp, &hello);
	obol_err e = ecash_w_read_frame(l, ECASH_MSG_HELLO, &hsp.s);
	if (e == OBOL_OK && (e = ecash_merchant_offer(m, price, obol_now(), &offer)) == OBOL_OK) {
		ecash_offer_spec(&osp, &offer);
		e = obol_devlink_write(l, ECASH_MSG_OFFER, &osp.s);
	}
	if (e == OBOL_OK && (e = obol_devlink_read(l, &type, &body, &len)) == OBOL_OK && type != ECASH_MSG_PAY)
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if (e == OBOL_OK && (e = ecash_payment_spec(&psp, &p, true)) == OBOL_OK)
		e = ecash_payment_done(&psp, obol_cbor_decode(body, len, &psp.s));
	if (e == OBOL_OK)
		e = ecash_merchant_verify(m, &p, obol_now());
	if (e == OBOL_OK) {
		memcpy(rd.nonce, p.nonce, ECASH_NONCE_LEN);
		ecash_ready_spec(&rsp, &rd);
		e = obol_devlink_write(l, ECASH_MSG_READY, &rsp.s);
	}
	ecash_signatures_spec(&ssp, &sg, true);
	if (e == OBOL_OK)
		e = ecash_signatures_done(&ssp, ecash_w_read_frame(l, ECASH_MSG_SIGN, &ssp.s));
	if (e == OBOL_OK && (e = ecash_payment_attach(&p, &sg)) != OBOL_OK)
		ecash_signatures_clear(&sg);
	if (e == OBOL_OK)
		e = ecash_merchant_verify_sigs(m, &p);
	if (e == OBOL_OK && (e = ecash_w_coins_append(&ew->coins, &ew->ncoins, p.coins, p.ncoins)) == OBOL_OK)
		e = ecash_wallet_save(ew);
	if (e == OBOL_OK)
		e = obol_devlink_write_error(l, OBOL_E_ECASH_COIN_ALREADY_HELD);
	ecash_payment_clear(&p);
	return e;
}

static void x_serve(struct sim *sim, struct sim_node *self, struct obol_devlink *dl)
{
	struct xmerchant *xm = ew(sim)->cheat;
	struct opened o;
	struct ecash_merchant m;
	struct ecash_link_identity me;
	struct obol_amount price;
	bool kept = false;
	if (self->busy)
		return;
	self->busy = true;
	if (open_wallet(self, &o) == OBOL_OK) {
		if (ecash_wallet_merchant(&o.ew, &m) == OBOL_OK) {
			if (ecash_link_identity_init(&o.ew, &me) == OBOL_OK && obol_amount_parse("EUR:1", &price) == OBOL_OK &&
			    obol_devlink_respond(dl, &me.id) == OBOL_OK)
				kept = take_and_lie(&o.ew, &m, dl, &price) == OBOL_OK;
			ecash_link_identity_wipe(&me);
			ecash_merchant_free(&m);
		}
	}
	close_wallet(&o);
	self->busy = false;
	if (kept && xm->deposits && !self->dead) {
		static const char *const deposit[] = { "wallet", "ecash", "deposit", NULL };
		self->busy = true;
		(void)sim_command_here(sim, self, deposit);
		self->busy = false;
	}
}

static void x_start(struct sim *sim, bool deposits)
{
	struct ew_world *w = ew(sim);
	struct xmerchant *xm = calloc(1, sizeof *xm);
	if (xm == NULL)
		abort();
	xm->deposits = deposits;
	w->cheat = xm;
	w->x->serve = x_serve;
	w->drivers_visit_x = true;
}

void ew_cheat_lying_merchant(struct sim *sim)
{
	x_start(sim, true);
}

void ew_cheat_withholding_merchant(struct sim *sim)
{
	x_start(sim, false);
}

/* ---- m: one coin twice ------------------------------------------------------------ */

/* Runs a command in m's context until it succeeds (a few tries). */
static bool m_try(struct sim *sim, struct sim_node *n, const char *const *args)
{
	for (int i = 0; i < 5 && !n->dead && !sim_quiescing(sim); i++) {
		if (sim_command_here(sim, n, args) == 0)
			return true;
		obol_sleep_ns((uint64_t)(5 + sim_below(sim, 10)) * SIM_S);
	}
	return false;
}

static bool wait_for(struct sim *sim, struct sim_node *self, bool (*cond)(struct sim *, void *), void *arg,
		     int64_t max_s)
{
	for (int64_t t = 0; t < max_s && !self->dead && !sim_quiescing(sim); t += 2) {
		if (cond(sim, arg))
			return true;
		obol_sleep_ns(2 * SIM_S);
	}
	return cond(sim, arg);
}

static bool v1_deposited(struct sim *sim, void *arg)
{
	(void)arg;
	return ew_payments_settled(sim) || ew(sim)->v[0]->dead;
}

static bool v1_down(struct sim *sim, void *arg)
{
	(void)arg;
	return ew(sim)->v[0]->down;
}

static const char *const topup_one[] = { "wallet", "ecash", "topup", "--amount", "EUR:1", "--coin", "EUR:1", NULL };

/* same-merchant: m pays v1, v1 deposits; v1 restores its store from the
 * backup it made at start (it forgets the coin); m rolls its wallet back
 * and pays v1 again with the same coin. */
static void same_merchant_run(struct sim *sim, void *arg)
{
	struct ew_world *w = ew(sim);
	struct sim_node *m = w->m, *v1 = w->v[0];
	static const char *const pay_v1[] = { "wallet", "ecash", "pay", "--vendor", "sim:v1", NULL };
	char bak[PATH_MAX + 8], db[PATH_MAX + 16], dbbak[PATH_MAX + 16], aux[PATH_MAX + 16];
	(void)arg;
	snprintf(bak, sizeof bak, "%s.bak", m->wallet);
	if (!m_try(sim, m, topup_one) || ew_copy_file(m->wallet, bak) != 0)
		return;
	if (!m_try(sim, m, pay_v1) || !wait_for(sim, m, v1_deposited, NULL, 3600))
		return;
	/* v1 restores its backup */
	sim_kill(sim, v1, "restores the backup of its store", 0);
	if (!wait_for(sim, m, v1_down, NULL, 600))
		return;
	snprintf(db, sizeof db, "%s/vendor.db", v1->dir);
	snprintf(dbbak, sizeof dbbak, "%s/vendor.db.bak", v1->dir);
	if (ew_copy_file(dbbak, db) != 0)
		return;
	snprintf(aux, sizeof aux, "%s/vendor.db-wal", v1->dir);
	(void)unlink(aux);
	snprintf(aux, sizeof aux, "%s/vendor.db-shm", v1->dir);
	(void)unlink(aux);
	sim_trace(sim, v1, "its store is the backup made before any payment");
	sim_restart(sim, v1);
	obol_sleep_ns(5 * SIM_S);
	/* m spends the same coin at v1 again */
	if (ew_copy_file(bak, m->wallet) != 0)
		return;
	(void)m_try(sim, m, pay_v1);
}

void ew_cheat_same_merchant(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	w->avoid_v1 = true; /* what v1 takes from others would be lost with its backup */
	sim_spawn(sim, w->m, same_merchant_run, NULL);
}

/* two-keys: m tops up a coin, hands it (with its owner key) to its
 * account's second wallet m2, and both spend it offline: m at v1 with the
 * account's first key, m2 at v2 with its second. */
static obol_err hand_over(struct sim_node *from, struct sim_node *to)
{
	struct opened a, b;
	obol_err e = open_wallet(from, &a);
	if (e != OBOL_OK) {
		close_wallet(&a);
		return e;
	}
	json_t *owners = json_deep_copy(json_object_get(a.ew.sec, "owner_keys"));
	struct ecash_held_coin *coins = NULL;
	size_t n = 0;
	e = ecash_w_coins_append(&coins, &n, a.ew.coins, a.ew.ncoins);
	close_wallet(&a);
	if (e == OBOL_OK && (e = open_wallet(to, &b)) == OBOL_OK) {
		json_t *mine = json_object_get(b.ew.sec, "owner_keys");
		if (mine == NULL) {
			mine = json_object();
			json_object_set_new(b.ew.sec, "owner_keys", mine);
		}
		if (owners != NULL)
			json_object_update(mine, owners);
		if ((e = ecash_w_coins_append(&b.ew.coins, &b.ew.ncoins, coins, n)) == OBOL_OK)
			e = ecash_wallet_save(&b.ew);
	}
	close_wallet(&b);
	ecash_w_free_coins(coins, n);
	json_decref(owners);
	return e;
}

struct m2_pay {
	bool done;
};

static void m2_pay_run(struct sim *sim, void *arg)
{
	static const char *const pay_v2[] = { "wallet", "ecash", "pay", "--vendor", "sim:v2", NULL };
	struct m2_pay *mp = arg;
	(void)m_try(sim, ew(sim)->m2, pay_v2);
	mp->done = true;
}

static void two_keys_run(struct sim *sim, void *arg)
{
	struct ew_world *w = ew(sim);
	static const char *const pay_v1[] = { "wallet", "ecash", "pay", "--vendor", "sim:v1", NULL };
	static struct m2_pay mp;
	(void)arg;
	memset(&mp, 0, sizeof mp);
	if (!m_try(sim, w->m, topup_one) || hand_over(w->m, w->m2) != OBOL_OK)
		return;
	sim_trace(sim, w->m, "hands its coin and owner key to m2, its account's second wallet");
	sim_spawn(sim, w->m2, m2_pay_run, &mp);
	(void)m_try(sim, w->m, pay_v1);
	/* and once more, after the bank proved it (merchants refuse it once they refreshed) */
	obol_sleep_ns(300 * SIM_S);
	if (m_try(sim, w->m, topup_one))
		(void)m_try(sim, w->m, pay_v1);
}

void ew_cheat_two_keys(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	sim_spawn(sim, w->m, two_keys_run, NULL);
}

/* ---- the operator: a revocation right after an honest payment ------------------------- */

struct revoke {
	bool scheduled, done;
};

/* Revokes every key of w1 (the operator's `issuer ecash revoke`). */
static void revoke_event(struct sim *sim, void *arg)
{
	struct ew_world *w = ew(sim);
	struct revoke *rv = arg;
	struct obol_store *s = sim_issuer_db(sim);
	struct obol_stmt *st;
	bool row;
	char keys[8][2 * ECASH_ID_LEN + 1], db[PATH_MAX + 16];
	size_t n = 0;
	int64_t acct = ew_account(sim, w->w[0]->name);
	if (s == NULL || obol_store_begin_read(s) != OBOL_OK)
		return;
	if (obol_stmt_prepare(s, "SELECT key_id FROM ecash_certs WHERE account = ?", &st) == OBOL_OK) {
		if (obol_stmt_bind_int64(st, 1, acct) == OBOL_OK)
			while (n < 8 && obol_stmt_step(st, &row) == OBOL_OK && row) {
				size_t kl = 0;
				const uint8_t *id = obol_stmt_column_blob(st, 0, &kl);
				if (id != NULL && kl == ECASH_ID_LEN)
					obol_hex_encode(id, ECASH_ID_LEN, keys[n++]);
			}
		obol_stmt_finish(st);
	}
	obol_store_rollback(s);
	snprintf(db, sizeof db, "sqlite:%s/issuer.db", w->issuer->dir);
	for (size_t i = 0; i < n; i++) {
		const char *args[] = { "issuer", "ecash", "revoke", "--db", db, "--key", keys[i], NULL };
		sim_trace(sim, NULL, "the operator revokes w1's key %.16s", keys[i]);
		(void)sim_run_command(sim, args);
	}
	rv->done = true;
}

static void revoke_on_receipt(struct sim *sim, struct ew_session *s)
{
	struct ew_world *w = ew(sim);
	struct revoke *rv = w->cheat;
	if (rv->scheduled || s->payer != w->w[0] || s->merchant != w->v[0])
		return;
	rv->scheduled = true;
	w->retired[0] = true; /* w1 pays no more */
	sim_at(sim, SIM_S, revoke_event, rv);
}

/* v1's deposits wait until the revocation is in. */
static bool hold_deposits(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay)
{
	struct ew_world *w = ew(sim);
	struct revoke *rv = w->cheat;
	(void)delay;
	if (rv->done || m->from != w->v[0] || strcmp(m->path, "/ecash/deposit") != 0)
		return false;
	*fate = SIM_LOSE_REQUEST;
	return true;
}

void ew_cheat_revoke_after_pay(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	struct revoke *rv = calloc(1, sizeof *rv);
	if (rv == NULL)
		abort();
	w->cheat = rv;
	w->on_receipt = revoke_on_receipt;
	sim_hooks(sim)->http_hook = hold_deposits;
}

/* ---- the link: a receipt that never arrives ----------------------------------------- */

/* An adversary on the link between an honest wallet and an honest vendor
 * daemon: once the payer's SIGN has left, every record the vendor writes on
 * that link is dropped, so the payer never sees the vendor's RECEIPT. It
 * stands for the forged ERROR of tests/model/ecash.pml (DEFECT_RELEASE_AT_ONCE):
 * either way the payer holds no receipt, and its coins wait unconfirmed. The
 * payer runs `wallet ecash release` at its next action, while the vendor's
 * deposits are lost on their way until that release was answered: the bank
 * must not retire a coin before its payee has had the deposit window to
 * bring it. One cut at a time, CUT_MAX in a run; at rest the deposits go. */
#define CUT_MAX 4
struct cut {
	bool active;              /* from the payer's SIGN until its release ended */
	unsigned link, cuts;
	struct sim_node *payer, *vendor;
};

static void cut_on_frame(struct sim *sim, struct sim_link *l, struct sim_node *from, uint32_t type,
			 const uint8_t *body, size_t len)
{
	struct ew_world *w = ew(sim);
	struct cut *c = w->cheat;
	ew_on_frame(sim, l, from, type, body, len);
	int i = ew_wallet_index(w, l->a);
	if (type != ECASH_MSG_SIGN || from != l->a || i < 0 || (l->b != w->v[0] && l->b != w->v[1]) || c->active ||
	    c->cuts >= CUT_MAX || sim_quiescing(sim))
		return;
	c->active = true;
	c->cuts++;
	c->link = l->id;
	c->payer = l->a;
	c->vendor = l->b;
	w->release_due[i] = true;
	sim_trace(sim, NULL, "the link from %s drops whatever %s writes from now on", l->a->name, l->b->name);
}

static enum sim_tap cut_tap(struct sim *sim, struct sim_link *l, struct sim_node *from, const uint8_t *bytes,
			    size_t len)
{
	struct cut *c = ew(sim)->cheat;
	(void)bytes;
	(void)len;
	return c->active && l->id == c->link && from == l->b ? SIM_TAP_DROP : SIM_TAP_PASS;
}

static bool cut_hold_deposits(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay)
{
	struct cut *c = ew(sim)->cheat;
	(void)delay;
	/* at rest the payer acts no more: the vendor's deposits go */
	if (!c->active || sim_quiescing(sim) || m->from != c->vendor || strcmp(m->path, "/ecash/deposit") != 0)
		return false;
	*fate = SIM_LOSE_REQUEST;
	return true;
}

static void cut_on_release(struct sim *sim, struct sim_node *n, int rc)
{
	struct cut *c = ew(sim)->cheat;
	if (!c->active || n != c->payer)
		return;
	sim_trace(sim, n, "released (exit %d): %s may deposit again", rc, c->vendor->name);
	c->active = false;
}

void ew_cheat_cut_receipt(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	struct cut *c = calloc(1, sizeof *c);
	if (c == NULL)
		abort();
	w->cheat = c;
	w->on_release = cut_on_release;
	sim_hooks(sim)->on_frame = cut_on_frame;
	sim_hooks(sim)->tap = cut_tap;
	sim_hooks(sim)->http_hook = cut_hold_deposits;
}
