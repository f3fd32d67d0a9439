/* The bank's tables for the ecash store tests (bank_db.h). */
#include "bank_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "store/audit.h"
#include "store/ledger.h"


obol_err tx_begin(struct obol_store *s)
{
	return obol_store_begin(s);
}

/* Opens the backend, the ledger and the ecash tables; accounts 101.. are the
 * fixture's parties (created in order so that their ids match). */
int open_bank(struct bank_db *b, const char *db_url, size_t parties)
{
	memset(b, 0, sizeof(*b));
	if (fx_init(&b->w, parties) != 0 || obol_store_open(db_url, true, &b->s) != OBOL_OK ||
	    obol_ledger_init(b->s, "EUR") != OBOL_OK || ecash_issuer_migrate(b->s) != OBOL_OK)
		return -1;
	b->st.bank = b->w.bank;
	if (tx_begin(b->s) != OBOL_OK)
		return -1;
	for (size_t i = 0; i < parties; i++) {
		int64_t id;
		char name[32];
		json_t *j = NULL;
		snprintf(name, sizeof(name), "party%zu", i);
		if (obol_account_create(b->s, OBOL_ACCOUNT_USER, name, NULL, &id) != OBOL_OK)
			return -1;
		/* The fixture linked party i to account 101 + i: re-certify for id. */
		struct ecash_cert *c = &b->w.p[i].c.cert;
		struct ecash_bytes cb;
		c->account = id;
		b->w.p[i].account = id;
		if (ecash_cert_bytes(c, &cb) != OBOL_OK || ecash_sign_bytes(b->w.bank_sk, &cb, c->sig, &c->sig_len) != OBOL_OK)
			return -1;
		ecash_bytes_free(&cb);
		if (ecash_issuer_cert_insert(b->s, c, &j) != OBOL_OK)
			return -1;
		json_decref(j);
		struct obol_amount ten;
		if (obol_amount_parse("EUR:10", &ten) != OBOL_OK || obol_ledger_fund(b->s, id, &ten, name) != OBOL_OK)
			return -1;
	}
	return obol_store_commit(b->s) == OBOL_OK ? 0 : -1;
}

void close_bank(struct bank_db *b)
{
	obol_store_close(b->s);
	fx_free(&b->w);
}

/* Issues party i's wallet coins at the bank and records them. */
int issue(struct bank_db *b, size_t i, size_t first)
{
	struct fx_party *p = &b->w.p[i];
	struct ecash_coin coins[ECASH_COINS_MAX];
	struct obol_amount total;
	size_t n = p->ncoins - first;
	if (obol_amount_zero("EUR", &total) != OBOL_OK)
		return -1;
	for (size_t k = 0; k < n; k++) {
		coins[k] = p->coins[first + k].coin;
		if (obol_amount_add(&total, &total, &coins[k].value) != OBOL_OK)
			return -1;
	}
	if (tx_begin(b->s) != OBOL_OK ||
	    ecash_issuer_issue_record(b->s, p->account, p->c.id, coins, n, &total, "t") != OBOL_OK)
		return -1;
	return obol_store_commit(b->s) == OBOL_OK ? 0 : -1;
}


obol_err coins_tx(struct obol_store *s, void *arg)
{
	struct coins_tx *t = arg;
	json_decref(t->reply);
	t->reply = NULL;
	obol_err e = ecash_issuer_cert_registered(s, &t->job.m->cert);
	if (e == OBOL_OK)
		e = ecash_issuer_coins_record(s, &t->b->st.bank, &t->job, t->now, &t->reply);
	return e;
}

/* Party `who` brings coins[0..n) as `kind` at `now` (with terms, or NULL)
 * the way the route does: its signed request, the revocations of the keys
 * it involves, each coin's checks, then the registry and the ledger in one
 * transaction on store s (retried on a conflict). *reply is the answer. */
obol_err bring_on(struct bank_db *b, struct obol_store *s, enum ecash_entry_kind kind, size_t who,
			 const struct ecash_held_coin *coins, size_t n, struct ecash_deposit_req *terms, int64_t now,
			 json_t **reply)
{
	struct fx_party *p = &b->w.p[who];
	struct ecash_deposit_req r = { 0 };
	struct ecash_coins_terms t;
	struct ecash_revocations rl = { 0 };
	uint8_t (*ids)[ECASH_ID_LEN] = NULL;
	size_t nids = 0;
	if (terms != NULL)
		r = *terms;
	r.cert = p->c.cert;
	r.coins = (struct ecash_held_coin *)coins;
	r.ncoins = n;
	obol_random(r.nonce, sizeof(r.nonce));
	obol_err e = ecash_deposit_req_terms(&r, &t);
	if (e == OBOL_OK)
		e = ecash_customer_coins_answer(&p->c, kind, r.nonce, coins, n, &t, r.sig, &r.sig_len);
	if (e == OBOL_OK && (e = ecash_issuer_request_keys(&r.cert, coins, n, &ids, &nids)) == OBOL_OK)
		e = ecash_issuer_revocations_of(s, (const uint8_t(*)[ECASH_ID_LEN])ids, nids, &rl);
	struct ecash_coins_in in = { .kind = kind, .holder = &r.cert, .rl = &rl, .nonce = r.nonce, .coins = coins,
				     .n = n, .terms = &t, .sig = r.sig, .sig_len = r.sig_len, .now = now };
	if (e == OBOL_OK)
		e = ecash_bank_coins_auth(&b->st.bank, &in);
	struct coins_tx tx = { .b = b, .job = { .kind = kind, .m = &r, .terms = &t, .account = p->account }, .now = now };
	for (size_t i = 0; e == OBOL_OK && i < n; i++)
		tx.job.verified[i] = ecash_bank_coin_verify(&b->st.bank, kind, &coins[i], &rl, now);
	if (e == OBOL_OK)
		e = obol_store_transact(s, coins_tx, &tx);
	free(ids);
	ecash_revocations_clear(&rl);
	*reply = tx.reply;
	return e;
}

obol_err bring(struct bank_db *b, enum ecash_entry_kind kind, size_t who, const struct ecash_held_coin *coins,
		      size_t n, int64_t now, json_t **reply)
{
	return bring_on(b, b->s, kind, who, coins, n, NULL, now, reply);
}

/* Party m deposits its wallet coins [first, ncoins). */
obol_err deposit_at(struct bank_db *b, size_t m, size_t first, int64_t now, json_t **reply)
{
	struct fx_party *p = &b->w.p[m];
	return bring(b, ECASH_ENTRY_DEPOSIT, m, p->coins + first, p->ncoins - first, now, reply);
}

obol_err deposit(struct bank_db *b, size_t m, size_t first, json_t **reply)
{
	return deposit_at(b, m, first, FX_NOW, reply);
}

const char *result_name(const json_t *reply, size_t i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(reply, "results"), i), "name"));
}

bool audit_ok(struct obol_store *s)
{
	FILE *f = fopen("/dev/null", "w");
	obol_err e = obol_audit_run(s, f);
	fclose(f);
	return e == OBOL_OK;
}

obol_err refund(struct bank_db *b, size_t who, const struct ecash_held_coin *coins, size_t n, int64_t now,
		       json_t **reply)
{
	return bring(b, ECASH_ENTRY_REFUND, who, coins, n, now, reply);
}

const char *balance_of(struct bank_db *b, size_t i, char text[static OBOL_AMOUNT_STR_MAX])
{
	struct obol_amount bal;
	if (obol_ledger_balance(b->s, b->w.p[i].account, &bal) != OBOL_OK)
		return "?";
	obol_amount_format(&bal, text);
	return text;
}

