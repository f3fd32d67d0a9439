/* The ecash world's invariants (ecash.h). What the simulator knows for sure
 * comes from the frames each party wrote (who handed which coin to whom,
 * which merchant sent its signed receipt for it), from the bank's answers
 * and its database, and from the wallet files at rest. The invariants:
 *
 *   P2 an honest payer hands over no coin more than the price needs: the
 *      coins of a payment cover the price and, without any one of them,
 *      would not (seed 002 keeps coins whole);
 *   P3 (merchants) every coin an honest merchant took with its signed
 *      receipt is, at rest, credited to it, or it spent the coin on; else
 *      a cheating party signed the coin too (then P5 below);
 *   P3 (payers) every coin the bank issued to an honest wallet and still
 *      counts as outstanding is, at rest, in the wallet's file or was
 *      handed over in a payment (a lost top-up answer loses nothing);
 *   P3 (eve) the eavesdropper, paid by nobody, is credited nothing;
 *   P4 no honest account is named in a fraud, barred, or has a key revoked
 *      but by the operator;
 *   P5 a payment an honest merchant took and was not credited for is a
 *      double spend recorded against its cheating signer, and an account
 *      proven to double spend has every key revoked and is barred;
 *   P7 the rings of an honest wallet's payments never intersect to its own
 *      key alone.
 * P1 (the audit, no account below zero) and the framework's P4 are the
 * simulator's own (main.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "ecash.h"
#include "schemes/ecash/messages.h"
#include "store/store.h"
#include "wallet/file.h"
#include "wire/cbor.h"
#include "wire/json.h"

struct ew_session *ew_session(struct ew_world *w, unsigned link)
{
	if (link >= w->nsessions) {
		size_t n = w->nsessions ? w->nsessions : 64;
		while (n <= link)
			n *= 2;
		struct ew_session *s = realloc(w->sessions, n * sizeof *s);
		if (s == NULL)
			abort();
		memset(s + w->nsessions, 0, (n - w->nsessions) * sizeof *s);
		w->sessions = s;
		w->nsessions = n;
	}
	return &w->sessions[link];
}

void ew_event_add(struct ew_world *w, enum ew_act act, const uint8_t serial[ECASH_SERIAL_LEN],
		  const struct obol_amount *value, struct sim_node *who, struct sim_node *to, uint64_t step)
{
	if (w->nevents == w->capevents) {
		size_t cap = w->capevents ? 2 * w->capevents : 256;
		struct ew_event *e = realloc(w->events, cap * sizeof *e);
		if (e == NULL)
			abort();
		w->events = e;
		w->capevents = cap;
	}
	struct ew_event *e = &w->events[w->nevents++];
	memset(e, 0, sizeof *e);
	e->act = act;
	memcpy(e->serial, serial, ECASH_SERIAL_LEN);
	e->value = *value;
	e->who = who;
	e->to = to;
	e->step = step;
}

static void serial_name(const uint8_t s[ECASH_SERIAL_LEN], char out[17])
{
	obol_hex_encode(s, 8, out);
}

static void fmt(const struct obol_amount *a, char out[OBOL_AMOUNT_STR_MAX])
{
	obol_amount_format(a, out);
}

/* The name of an account at the issuer ("?" when unknown). */
static void account_name(struct sim *sim, int64_t id, char out[SIM_NAME_MAX])
{
	struct obol_store *s = sim_issuer_db(sim);
	struct obol_stmt *st;
	bool row;
	snprintf(out, SIM_NAME_MAX, "?");
	if (s == NULL || obol_store_begin_read(s) != OBOL_OK)
		return;
	if (obol_stmt_prepare(s, "SELECT name FROM accounts WHERE id = ?", &st) == OBOL_OK) {
		if (obol_stmt_bind_int64(st, 1, id) == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK && row)
			snprintf(out, SIM_NAME_MAX, "%s", obol_stmt_column_text(st, 0));
		obol_stmt_finish(st);
	}
	obol_store_rollback(s);
}

/* Whether the named account is an honest party's. m and m2 share m's. */
static bool honest_account(struct sim *sim, const char *name)
{
	struct sim_node *n = sim_node_find(sim, name);
	return n != NULL && n->honest;
}

/* ---- frames ------------------------------------------------------------------ */

/* Whether the bank revoked key id (at any time). */
static bool revoked(struct sim *sim, const uint8_t id[ECASH_ID_LEN])
{
	struct obol_store *s = sim_issuer_db(sim);
	struct obol_stmt *st;
	bool row, found = false;
	if (s == NULL || obol_store_begin_read(s) != OBOL_OK)
		return false;
	if (obol_stmt_prepare(s, "SELECT 1 FROM ecash_revoked WHERE key_id = ?", &st) == OBOL_OK) {
		if (obol_stmt_bind_blob(st, 1, id, ECASH_ID_LEN) == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK && row)
			found = true;
		obol_stmt_finish(st);
	}
	obol_store_rollback(s);
	return found;
}

/* P7: a ring payment of size N by an honest wallet holds every member of
 * its last ring of size N that is still live (unrevoked, unexpired): every
 * payment of the block uses the same ring, so no intersection of them
 * narrows it down beyond what revocation and expiry take. */
static void ring_seen(struct sim *sim, struct ew_session *s, const struct ecash_claim *c)
{
	struct ew_world *w = ew(sim);
	int i = ew_wallet_index(w, s->payer);
	if (i < 0 || c->ncerts < 2)
		return;
	size_t slot = 0;
	while (slot < EW_RING_SIZES && ((uint64_t)2 << slot) < s->ring)
		slot++;
	if (slot == EW_RING_SIZES)
		return;
	struct ew_ring *r = &w->rings[i].by_size[slot];
	uint8_t ids[EW_KEYS_MAX][ECASH_ID_LEN];
	size_t n = c->ncerts < EW_KEYS_MAX ? c->ncerts : EW_KEYS_MAX;
	for (size_t k = 0; k < n; k++)
		ecash_key_id_der(c->certs[k].key, c->certs[k].key_len, ids[k]);
	int64_t now = sim_node_now(sim, s->payer);
	for (size_t a = 0; r->any && a < r->n && !sim_failed(sim); a++) {
		bool kept = false;
		for (size_t b = 0; b < n && !kept; b++)
			kept = memcmp(r->keys[a], ids[b], ECASH_ID_LEN) == 0;
		if (kept || r->expiry[a] <= now + 600 || revoked(sim, r->keys[a]))
			continue;
		char hex[17];
		obol_hex_encode(r->keys[a], 8, hex);
		sim_fail(sim, "P7",
			 "%s's ring of %zu keys leaves out key %s, live and in its last ring of that size: the "
			 "rings of its payments intersect",
			 s->payer->name, n, hex);
	}
	memcpy(r->keys, ids, n * ECASH_ID_LEN);
	for (size_t k = 0; k < n; k++)
		r->expiry[k] = c->certs[k].expiry;
	r->n = n;
	r->any = true;
}

static void on_pay(struct sim *sim, struct ew_session *s, const uint8_t *body, size_t len)
{
	struct ecash_payment p = { 0 };
	struct ecash_payment_spec sp;
	if (ecash_payment_spec(&sp, &p, true) != OBOL_OK ||
	    ecash_payment_done(&sp, obol_cbor_decode(body, len, &sp.s)) != OBOL_OK)
		return;
	s->paid = true;
	s->n = 0;
	struct obol_amount sum, min;
	bool ok = obol_amount_zero(s->price.currency, &sum) == OBOL_OK;
	for (size_t i = 0; i < p.ncoins && s->n < EW_SERIALS_MAX; i++) {
		memcpy(s->serials[s->n], p.coins[i].coin.serial, ECASH_SERIAL_LEN);
		s->values[s->n++] = p.coins[i].coin.value;
		if (ok && obol_amount_add(&sum, &sum, &p.coins[i].coin.value) != OBOL_OK)
			ok = false;
		int c;
		if (i == 0 || (obol_amount_cmp(&p.coins[i].coin.value, &min, &c) == OBOL_OK && c < 0))
			min = p.coins[i].coin.value;
	}
	/* P2: the coins cover the price, and no one of them is more than it needs */
	if (ok && s->offered && s->payer->honest && p.ncoins > 0) {
		struct obol_amount less;
		int c1, c2;
		if (obol_amount_sub(&less, &sum, &min) == OBOL_OK && obol_amount_cmp(&sum, &s->price, &c1) == OBOL_OK &&
		    obol_amount_cmp(&less, &s->price, &c2) == OBOL_OK && (c1 < 0 || c2 >= 0)) {
			char a[OBOL_AMOUNT_STR_MAX], b[OBOL_AMOUNT_STR_MAX];
			fmt(&sum, a);
			fmt(&s->price, b);
			sim_fail(sim, "P2", "%s hands %zu coins worth %s to %s for a price of %s", s->payer->name, p.ncoins, a,
				 s->merchant->name, b);
		}
	}
	if (p.ncoins > 0 && p.coins[0].nchain > 0)
		ring_seen(sim, s, &p.coins[0].chain[p.coins[0].nchain - 1]);
	ecash_payment_clear(&p);
}

void ew_on_frame(struct sim *sim, struct sim_link *l, struct sim_node *from, uint32_t type, const uint8_t *body,
		 size_t len)
{
	struct ew_world *w = ew(sim);
	struct ew_session *s = ew_session(w, l->id);
	if (s->link != l->id || s->payer == NULL) {
		memset(s, 0, sizeof *s);
		s->link = l->id;
		s->payer = l->a;
		s->merchant = l->b;
	}
	switch (type) {
	case ECASH_MSG_HELLO: {
		struct ecash_hello h;
		struct ecash_hello_spec sp;
		memset(&h, 0, sizeof h);
		ecash_hello_spec(&sp, &h);
		if (from == s->payer && obol_cbor_decode(body, len, &sp.s) == OBOL_OK)
			s->ring = h.ring;
		break;
	}
	case ECASH_MSG_OFFER: {
		static struct ecash_offer o;
		struct ecash_offer_spec sp;
		memset(&o, 0, sizeof o);
		ecash_offer_spec(&sp, &o);
		if (from == s->merchant && obol_cbor_decode(body, len, &sp.s) == OBOL_OK) {
			s->offered = true;
			s->price = o.price;
		}
		break;
	}
	case ECASH_MSG_PAY:
		if (from == s->payer)
			on_pay(sim, s, body, len);
		break;
	case ECASH_MSG_SIGN:
		if (from == s->payer && s->paid && !s->signed_) {
			s->signed_ = true;
			for (size_t i = 0; i < s->n; i++)
				ew_event_add(w, EW_SIGNED, s->serials[i], &s->values[i], s->payer, s->merchant, 0);
		}
		break;
	case ECASH_MSG_RECEIPT:
		if (from == s->merchant && s->signed_ && !s->receipt) {
			s->receipt = true;
			for (size_t i = 0; i < s->n; i++)
				ew_event_add(w, EW_ACCEPTED, s->serials[i], &s->values[i], s->merchant, s->payer, 0);
			if (w->on_receipt != NULL)
				w->on_receipt(sim, s);
		}
		break;
	default:
		break;
	}
}

void ew_describe(struct sim *sim, uint32_t type, const uint8_t *body, size_t len, char *out, size_t cap)
{
	(void)sim;
	(void)body;
	static const char *const names[] = { "HELLO", "OFFER", "PAY", "RECEIPT", "READY", "SIGN" };
	if (type >= ECASH_MSG_HELLO && type <= ECASH_MSG_SIGN)
		snprintf(out, cap, "%s (%zu bytes)", names[type - ECASH_MSG_HELLO], len);
	else
		snprintf(out, cap, "type %u (%zu bytes)", type, len);
}

/* ---- the bank's books ----------------------------------------------------------- */

/* P4 and P5 over the frauds recorded since the last look (and, at rest,
 * over all of them): no honest culprit; a culprit's every key revoked and
 * its account barred. P4: no honest account barred or with a key revoked
 * but by the operator. */
static void check_books(struct sim *sim, bool all)
{
	struct ew_world *w = ew(sim);
	struct obol_store *s = sim_issuer_db(sim);
	struct obol_stmt *st;
	bool row;
	int64_t culprits[16];
	size_t nc = 0;
	char name[SIM_NAME_MAX];
	if (s == NULL || obol_store_begin_read(s) != OBOL_OK)
		return;
	if (obol_stmt_prepare(s, "SELECT id, culprit_account, kind, serial FROM ecash_frauds WHERE id > ? ORDER BY id",
			      &st) == OBOL_OK) {
		if (obol_stmt_bind_int64(st, 1, all ? -1 : w->last_fraud) == OBOL_OK)
			while (obol_stmt_step(st, &row) == OBOL_OK && row) {
				int64_t id = obol_stmt_column_int64(st, 0), acct = obol_stmt_column_int64(st, 1);
				if (id > w->last_fraud)
					w->last_fraud = id;
				size_t k = 0;
				while (k < nc && culprits[k] != acct)
					k++;
				if (k == nc && nc < 16 && acct > 0)
					culprits[nc++] = acct;
			}
		obol_stmt_finish(st);
	}
	obol_store_rollback(s);
	for (size_t k = 0; k < nc && !sim_failed(sim); k++) {
		account_name(sim, culprits[k], name);
		if (honest_account(sim, name)) {
			sim_fail(sim, "P4", "the bank names the honest %s a double spender", name);
			return;
		}
		/* P5: every key of a proven double spender revoked, the account barred */
		if (obol_store_begin_read(s) != OBOL_OK)
			return;
		int64_t live = -1, barred = 0;
		if (obol_stmt_prepare(s,
				      "SELECT (SELECT COUNT(*) FROM ecash_certs c WHERE c.account = ? AND NOT EXISTS "
				      "(SELECT 1 FROM ecash_revoked r WHERE r.key_id = c.key_id)), "
				      "(SELECT COUNT(*) FROM ecash_barred WHERE account = ?)",
				      &st) == OBOL_OK) {
			if (obol_stmt_bind_int64(st, 1, culprits[k]) == OBOL_OK &&
			    obol_stmt_bind_int64(st, 2, culprits[k]) == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK &&
			    row) {
				live = obol_stmt_column_int64(st, 0);
				barred = obol_stmt_column_int64(st, 1);
			}
			obol_stmt_finish(st);
		}
		obol_store_rollback(s);
		if (live != 0 || barred == 0)
			sim_fail(sim, "P5", "%s is proven to double spend but keeps %" PRId64 " live key%s%s", name, live,
				 live == 1 ? "" : "s", barred ? "" : " and may register more");
	}
	/* barred and revoked honest parties */
	if (sim_failed(sim) || obol_store_begin_read(s) != OBOL_OK)
		return;
	if (obol_stmt_prepare(s,
			      "SELECT a.name, 'barred' FROM ecash_barred b JOIN accounts a ON a.id = b.account "
			      "UNION ALL SELECT a.name, r.reason FROM ecash_revoked r JOIN ecash_certs c ON c.key_id = r.key_id "
			      "JOIN accounts a ON a.id = c.account WHERE r.reason <> 'operator'",
			      &st) == OBOL_OK) {
		while (!sim_failed(sim) && obol_stmt_step(st, &row) == OBOL_OK && row) {
			const char *n = obol_stmt_column_text(st, 0), *why = obol_stmt_column_text(st, 1);
			if (n != NULL && honest_account(sim, n))
				sim_fail(sim, "P4", "the honest %s %s%s", n,
					 strcmp(why ? why : "", "barred") == 0 ? "is barred" : "has a key revoked for ",
					 strcmp(why ? why : "", "barred") == 0 ? "" : why ? why : "?");
		}
		obol_stmt_finish(st);
	}
	obol_store_rollback(s);
}

void ew_on_http(struct sim *sim, const struct sim_http_msg *m, long status, const char *reply, size_t len)
{
	struct ew_world *w = ew(sim);
	(void)len;
	if (strncmp(m->path, "/ecash/", 7) != 0)
		return;
	bool moves = strcmp(m->path, "/ecash/deposit") == 0 || strcmp(m->path, "/ecash/exchange") == 0 ||
		     strcmp(m->path, "/ecash/refund") == 0;
	if (!moves || status == 0)
		return;
	if (status == 200 && reply != NULL && m->from == w->eve) {
		json_t *j = json_loads(reply, 0, NULL);
		const char *cr = json_string_value(json_object_get(j, "credited"));
		struct obol_amount a;
		int c = 0;
		if (cr != NULL && obol_amount_parse(cr, &a) == OBOL_OK && a.units > 0)
			c = 1;
		if (c)
			sim_fail(sim, "P3", "eve, whom nobody paid, is credited %s for coins copied off the link", cr);
		json_decref(j);
	}
	if (status == 200 && reply != NULL && m->from == w->r) {
		/* r's deposits settle what it took */
		json_t *j = json_loads(reply, 0, NULL);
		size_t i;
		const json_t *res;
		json_array_foreach(json_object_get(j, "results"), i, res) {
			uint8_t sb[ECASH_SERIAL_LEN];
			size_t n;
			const char *b64 = json_string_value(json_object_get(res, "serial"));
			if (b64 == NULL || obol_b64_decode(b64, sb, sizeof sb, &n, 1) != OBOL_OK || n != ECASH_SERIAL_LEN)
				continue;
			for (size_t k = 0; k < w->nevents; k++)
				if (w->events[k].act == EW_ACCEPTED && w->events[k].who == w->r &&
				    memcmp(w->events[k].serial, sb, ECASH_SERIAL_LEN) == 0)
					w->events[k].settled = true;
		}
		json_decref(j);
	}
	if (!sim_failed(sim))
		check_books(sim, false);
}

/* ---- at rest -------------------------------------------------------------------- */

static bool signed_by(struct ew_world *w, const uint8_t serial[ECASH_SERIAL_LEN], struct sim_node *who);

/* Whether the vendor's every taken payment has its deposit answered. */
static bool vendor_settled(struct sim_node *v)
{
	char url[PATH_MAX + 32];
	struct obol_store *s = NULL;
	struct obol_stmt *st;
	bool row, settled = false;
	snprintf(url, sizeof url, "sqlite:%s/vendor.db", v->dir);
	if (obol_store_open(url, false, &s) != OBOL_OK)
		return false;
	if (obol_store_begin_read(s) == OBOL_OK) {
		if (obol_stmt_prepare(s, "SELECT COUNT(*) FROM ecash_received WHERE result IS NULL", &st) == OBOL_OK) {
			settled = obol_stmt_step(st, &row) == OBOL_OK && row && obol_stmt_column_int64(st, 0) == 0;
			obol_stmt_finish(st);
		}
		obol_store_rollback(s);
	}
	obol_store_close(s);
	return settled;
}

bool ew_payments_settled(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	if (!vendor_settled(w->v[0]) || !vendor_settled(w->v[1]) || !w->r_clean)
		return false;
	for (size_t k = 0; k < w->nevents; k++)
		if (w->events[k].act == EW_ACCEPTED && w->events[k].who == w->r && !w->events[k].settled &&
		    !signed_by(w, w->events[k].serial, w->r))
			return false;
	return true;
}

/* The wallet file's ecash section as text (the coins it holds, in any
 * state); NULL when it cannot be read. */
static char *wallet_text(struct sim_node *n)
{
	struct obol_wallet_keysrc ks = { .key_file = n->key_file };
	struct obol_wallet *wl = NULL;
	char *text = NULL;
	if (obol_wallet_open(n->wallet, &ks, &wl) != OBOL_OK)
		return NULL;
	const json_t *sec = json_object_get(obol_wallet_doc(wl), "ecash");
	json_t *keep = json_object();
	if (keep != NULL && sec != NULL) {
		static const char *const parts[] = { "held", "unconfirmed", "pending" };
		for (size_t i = 0; i < 3; i++) {
			json_t *p = json_object_get(sec, parts[i]);
			if (p != NULL)
				json_object_set(keep, parts[i], p);
		}
		text = json_dumps(keep, JSON_COMPACT);
	}
	json_decref(keep);
	obol_wallet_close(wl);
	return text;
}

static bool signed_by(struct ew_world *w, const uint8_t serial[ECASH_SERIAL_LEN], struct sim_node *who)
{
	for (size_t k = 0; k < w->nevents; k++)
		if (w->events[k].act == EW_SIGNED && w->events[k].who == who &&
		    memcmp(w->events[k].serial, serial, ECASH_SERIAL_LEN) == 0)
			return true;
	return false;
}

/* P3 (payers): the outstanding coins issued to an honest wallet. */
static void check_payer(struct sim *sim, struct sim_node *n)
{
	struct ew_world *w = ew(sim);
	struct obol_store *s = sim_issuer_db(sim);
	struct obol_stmt *st;
	bool row;
	int64_t acct = ew_account(sim, n->name);
	char *text = wallet_text(n);
	if (text == NULL) {
		sim_fail(sim, "P3", "%s's wallet file cannot be read at rest", n->name);
		return;
	}
	if (s != NULL && obol_store_begin_read(s) == OBOL_OK) {
		if (obol_stmt_prepare(s, "SELECT serial, units FROM ecash_coins WHERE account = ? AND deposited = 0",
				      &st) == OBOL_OK) {
			if (obol_stmt_bind_int64(st, 1, acct) == OBOL_OK)
				while (!sim_failed(sim) && obol_stmt_step(st, &row) == OBOL_OK && row) {
					size_t sl = 0;
					const uint8_t *serial = obol_stmt_column_blob(st, 0, &sl);
					char b64[OBOL_B64_LEN(ECASH_SERIAL_LEN)], hex[17];
					if (serial == NULL || sl != ECASH_SERIAL_LEN ||
					    obol_b64_encode(serial, sl, b64, sizeof b64) != OBOL_OK)
						continue;
					if (strstr(text, b64) != NULL || signed_by(w, serial, n))
						continue;
					struct obol_amount v = { .units = obol_stmt_column_int64(st, 1) };
					char a[OBOL_AMOUNT_STR_MAX];
					snprintf(v.currency, sizeof v.currency, "EUR");
					serial_name(serial, hex);
					fmt(&v, a);
					sim_fail(sim, "P3", "the bank issued coin %s (%s) to %s, which holds it nowhere and never spent it",
						 hex, a, n->name);
				}
			obol_stmt_finish(st);
		}
		obol_store_rollback(s);
	}
	free(text);
}

/* The account a coin's deposit credited (0: none), and the bank's name of
 * its kind. */
static int64_t credited_to(struct sim *sim, const uint8_t serial[ECASH_SERIAL_LEN])
{
	struct obol_store *s = sim_issuer_db(sim);
	struct obol_stmt *st;
	bool row;
	int64_t acct = 0;
	if (s == NULL || obol_store_begin_read(s) != OBOL_OK)
		return 0;
	if (obol_stmt_prepare(s, "SELECT account FROM ecash_deposits WHERE serial = ?", &st) == OBOL_OK) {
		if (obol_stmt_bind_blob(st, 1, serial, ECASH_SERIAL_LEN) == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK &&
		    row)
			acct = obol_stmt_column_int64(st, 0);
		obol_stmt_finish(st);
	}
	obol_store_rollback(s);
	return acct;
}

/* Whether the bank recorded a fraud on the coin naming account acct. */
static bool fraud_names(struct sim *sim, const uint8_t serial[ECASH_SERIAL_LEN], int64_t acct)
{
	struct obol_store *s = sim_issuer_db(sim);
	struct obol_stmt *st;
	bool row, found = false;
	if (s == NULL || obol_store_begin_read(s) != OBOL_OK)
		return false;
	if (obol_stmt_prepare(s, "SELECT 1 FROM ecash_frauds WHERE serial = ? AND culprit_account = ?", &st) ==
	    OBOL_OK) {
		if (obol_stmt_bind_blob(st, 1, serial, ECASH_SERIAL_LEN) == OBOL_OK &&
		    obol_stmt_bind_int64(st, 2, acct) == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK && row)
			found = true;
		obol_stmt_finish(st);
	}
	obol_store_rollback(s);
	return found;
}

/* P3 (merchants) and P5: each coin an honest merchant took. Several takes
 * of one coin by one merchant need as many credits: the bank credits a
 * coin once, so each take beyond the first needs its double spender
 * recorded. */
static void check_merchants(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	bool *done = calloc(w->nevents + 1, sizeof *done);
	if (done == NULL)
		abort();
	for (size_t k = 0; k < w->nevents && !sim_failed(sim); k++) {
		struct ew_event *e = &w->events[k];
		if (e->act != EW_ACCEPTED || done[k] || !e->who->honest)
			continue;
		/* every take of this coin by this merchant */
		size_t takes = 0;
		for (size_t j = k; j < w->nevents; j++)
			if (w->events[j].act == EW_ACCEPTED && w->events[j].who == e->who &&
			    memcmp(w->events[j].serial, e->serial, ECASH_SERIAL_LEN) == 0) {
				done[j] = true;
				takes++;
			}
		size_t settled = 0;
		int64_t to = credited_to(sim, e->serial), mine = ew_account(sim, e->who->name);
		if (to != 0 && to == mine)
			settled++;
		if (signed_by(w, e->serial, e->who))
			settled++; /* it spent the coin on */
		if (settled >= takes)
			continue;
		/* not credited for every take: a cheater must have signed the coin
		 * and be recorded for it */
		char hex[17], a[OBOL_AMOUNT_STR_MAX], got[SIM_NAME_MAX];
		serial_name(e->serial, hex);
		fmt(&e->value, a);
		struct sim_node *cheat = NULL;
		for (size_t j = 0; j < w->nevents && cheat == NULL; j++)
			if (w->events[j].act == EW_SIGNED && !w->events[j].who->honest &&
			    memcmp(w->events[j].serial, e->serial, ECASH_SERIAL_LEN) == 0)
				cheat = w->events[j].who;
		if (to != 0)
			account_name(sim, to, got);
		else
			snprintf(got, sizeof got, "nobody");
		if (cheat == NULL) {
			sim_fail(sim, "P3",
				 "%s took coin %s (%s) from the honest %s with its signed receipt%s and is not credited "
				 "for it (the bank credited %s)",
				 e->who->name, hex, a, e->to->name, takes > 1 ? " twice" : "", got);
			break;
		}
		int64_t cacct = ew_account(sim, cheat == w->m2 ? w->m->name : cheat->name);
		if (!fraud_names(sim, e->serial, cacct)) {
			sim_fail(sim, "P5",
				 "%s took coin %s (%s) %s and is not credited for %s; %s signed it too and no double "
				 "spend is recorded against it (the bank credited %s)",
				 e->who->name, hex, a, takes > 1 ? "twice" : "once", takes > 1 ? "both" : "it",
				 cheat->name, got);
			break;
		}
	}
	free(done);
}

void ew_check_rest(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	check_books(sim, true);
	if (!sim_failed(sim))
		check_merchants(sim);
	for (int i = 0; i < EW_WALLETS && !sim_failed(sim); i++)
		check_payer(sim, w->w[i]);
	if (!sim_failed(sim))
		check_payer(sim, w->r);
	/* P3 (eve): credited nothing, ever */
	int64_t eve = ew_account(sim, w->eve->name);
	for (size_t k = 0; k < 1 && !sim_failed(sim); k++) {
		struct obol_store *s = sim_issuer_db(sim);
		struct obol_stmt *st;
		bool row;
		if (s == NULL || obol_store_begin_read(s) != OBOL_OK)
			break;
		if (obol_stmt_prepare(s, "SELECT COUNT(*) FROM ecash_deposits WHERE account = ?", &st) == OBOL_OK) {
			if (obol_stmt_bind_int64(st, 1, eve) == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK && row &&
			    obol_stmt_column_int64(st, 0) > 0)
				sim_fail(sim, "P3", "eve, whom nobody paid, has %" PRId64 " coins credited",
					 obol_stmt_column_int64(st, 0));
			obol_stmt_finish(st);
		}
		obol_store_rollback(s);
	}
}
