/* The codex world's invariants (codex.h). What the simulator knows for
 * sure comes from the honest parties' durable state (their wallet files
 * after each command, the vendor's store) and the issuer's database:
 *
 *   P3 every token an honest payee took (a RECEIVE entry in its Codex, a
 *      row of the vendor's codex_received) is, at rest, credited to it by
 *      the bank: held under its very bytes, not refused; every token whose
 *      payee's signed refusal an honest payer took is, at rest, refused at
 *      the bank (its value back to the payer); every honest user's sync goes
 *      through at rest (nothing wedges it);
 *   P4 no honest user is on the blacklist or named in a finding;
 *   P5 what the bank put in from outside for a cheating user is within the
 *      bound of docs/threats.md: its per-epoch limit for every (payee,
 *      epoch) its tokens reached, less one limit (its deposit) and the
 *      value the bank kept for its Codex;
 *   P1 the bank's consistency check holds (the audit is the simulator's).
 * P2 needs nothing here: a Codex signs only the amount its user gave. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "codex.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "crypto/seal.h"
#include "crypto/hash.h"
#include "issuer/codex_bank.h"
#include "schemes/codex/api.h"
#include "wire/json.h"
#include "schemes/codex/codex.h"
#include "store/store.h"
#include "wallet/codex_wallet.h"

/* The Codex in n's wallet file, read without its lock (a command may hold
 * it): the "codex" section's bytes (*out: codex_free it). */
obol_err cx_wallet_codex(struct sim_node *n, struct codex **out)
{
	uint8_t key[32], *sealed = NULL, *plain = NULL, *buf = NULL;
	size_t slen, plen = 0, blen = 0, cap = 0;
	struct obol_filekey k;
	json_t *doc = NULL;
	const char *text;
	obol_err e = OBOL_E_WALLET_FILE;
	FILE *f;
	*out = NULL;
	if ((f = fopen(n->key_file, "rb")) == NULL)
		return OBOL_E_IO;
	slen = fread(key, 1, sizeof key, f);
	fclose(f);
	if (slen != sizeof key)
		return OBOL_E_IO;
	obol_filekey_from_bytes(&k, key);
	OBOL_WIPE(key);
	if ((f = fopen(n->wallet, "rb")) == NULL)
		goto out;
	if ((sealed = malloc(1 << 22)) == NULL)
		abort();
	slen = fread(sealed, 1, 1 << 22, f);
	fclose(f);
	if ((e = obol_fileseal_open(&k, sealed, slen, &plain, &plen)) != OBOL_OK)
		goto out;
	e = OBOL_E_CODEX_UNKNOWN_USER;
	doc = json_loadb((const char *)plain, plen, 0, NULL);
	if ((text = json_string_value(json_object_get(json_object_get(doc, "codex"), "codex"))) == NULL)
		goto out;
	cap = strlen(text) + 1;
	if ((buf = malloc(cap)) == NULL || (*out = codex_alloc()) == NULL)
		abort();
	if ((e = obol_b64_decode(text, buf, cap, &blen, 0)) != OBOL_OK || (e = codex_parse(*out, buf, blen)) != OBOL_OK) {
		codex_free(*out);
		*out = NULL;
	}
out:
	json_decref(doc);
	if (plain != NULL) {
		obol_wipe(plain, plen);
		free(plain);
	}
	if (buf != NULL) {
		obol_wipe(buf, cap);
		free(buf);
	}
	free(sealed);
	obol_filekey_wipe(&k);
	return e;
}

void cx_note_received(struct sim *sim, struct sim_node *n)
{
	struct cx_world *w = cx(sim);
	struct codex *c = NULL;
	if (cx_wallet_codex(n, &c) != OBOL_OK)
		return;
	for (size_t i = c->nlog; i-- > 0;) {
		struct cx_accepted *a;
		if (c->log[i].e.kind != CODEX_ENTRY_RECEIVE)
			continue;
		for (size_t k = 0; k < w->naccepted; k++)
			if (memcmp(w->accepted[k].id, c->log[i].e.token.id, CODEX_TOKEN_ID_LEN) == 0)
				goto done;
		if (w->naccepted == CX_ACCEPTED_MAX)
			goto done;
		a = &w->accepted[w->naccepted];
		if (codex_token_encode(&c->log[i].e.token, a->blob, sizeof a->blob, &a->len) != OBOL_OK)
			goto done;
		a->payee = n;
		memcpy(a->id, c->log[i].e.token.id, CODEX_TOKEN_ID_LEN);
		w->naccepted++;
		break;
	}
done:
	codex_free(c);
}

void cx_note_refusal(struct sim *sim, struct sim_node *n, const char *path)
{
	struct cx_world *w = cx(sim);
	struct codex_msg_ack ack;
	struct codex_msg_refusal ref;
	struct codex_refusal f;
	bool refused = false;
	if (codex_frame_read_answer(path, &ack, &ref, &refused) != OBOL_OK || !refused ||
	    codex_refusal_decode(ref.refusal, sizeof ref.refusal, &f) != OBOL_OK ||
	    w->nrefused == CX_REFUSED_MAX)
		return;
	w->refused[w->nrefused].payer = n;
	memcpy(w->refused[w->nrefused].id, f.token_id, CODEX_TOKEN_ID_LEN);
	memcpy(w->refused[w->nrefused].hash, f.token_hash, OBOL_HASH_LEN);
	w->nrefused++;
}

void cx_check_step(struct sim *sim)
{
	(void)sim;
}

/* ---- queries -------------------------------------------------------------------- */

static int64_t q_int(struct obol_store *s, const char *sql, const char *fmt, ...)
{
	struct obol_stmt *st;
	bool row = false;
	int64_t v = -1;
	va_list ap;
	if (obol_stmt_prepare(s, sql, &st) != OBOL_OK)
		return -1;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		obol_err e = OBOL_OK;
		if (fmt[i] == 'i')
			e = obol_stmt_bind_int64(st, i + 1, va_arg(ap, int64_t));
		else if (fmt[i] == 't')
			e = obol_stmt_bind_text(st, i + 1, va_arg(ap, const char *));
		else {
			const void *p = va_arg(ap, const void *);
			e = obol_stmt_bind_blob(st, i + 1, p, va_arg(ap, size_t));
		}
		if (e != OBOL_OK)
			break;
	}
	va_end(ap);
	if (obol_stmt_step(st, &row) == OBOL_OK && row)
		v = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return v;
}

static int64_t account_of(struct obol_store *s, const char *name)
{
	return q_int(s, "SELECT id FROM codex_users WHERE name = ?", "t", name);
}

/* Whether the bank credits this token to payee: held under its bytes, not
 * refused. */
static bool credited(struct obol_store *s, const uint8_t *id, const uint8_t *blob, size_t len, int64_t payee)
{
	return q_int(s, "SELECT COUNT(*) FROM codex_tokens WHERE id = ? AND token = ? AND payee = ? AND refused = 0", "bbi", id,
		     (size_t)CODEX_TOKEN_ID_LEN, blob, len, payee) == 1;
}

/* Whether the bank holds the token hashing to h, under id, refused. */
static int refused_at_bank(struct obol_store *s, const uint8_t *id, const uint8_t *h)
{
	struct obol_stmt *st;
	bool row;
	int r = -1;
	if (obol_stmt_prepare(s, "SELECT token, refused FROM codex_tokens WHERE id = ?", &st) != OBOL_OK)
		return -1;
	if (obol_stmt_bind_blob(st, 1, id, CODEX_TOKEN_ID_LEN) == OBOL_OK)
		while (obol_stmt_step(st, &row) == OBOL_OK && row) {
			size_t len;
			const void *p = obol_stmt_column_blob(st, 0, &len);
			uint8_t th[OBOL_HASH_LEN];
			obol_sha256(th, p, len);
			if (memcmp(th, h, OBOL_HASH_LEN) == 0)
				r = obol_stmt_column_int64(st, 1) != 0;
		}
	obol_stmt_finish(st);
	return r;
}

/* P3 at the vendor: every token in its store is credited to it. */
static void check_vendor(struct sim *sim, struct obol_store *bank, struct sim_node *v)
{
	char url[PATH_MAX + 32];
	struct obol_store *vs = NULL;
	struct obol_stmt *st = NULL;
	bool row;
	int64_t acc = account_of(bank, v->name);
	snprintf(url, sizeof url, "sqlite:%s/vendor.db", v->dir);
	if (obol_store_open(url, false, &vs) != OBOL_OK || obol_store_begin_read(vs) != OBOL_OK)
		goto out;
	if (obol_stmt_prepare(vs, "SELECT id, token FROM codex_received", &st) != OBOL_OK)
		goto out;
	while (!sim_failed(sim) && obol_stmt_step(st, &row) == OBOL_OK && row) {
		size_t il, tl;
		const uint8_t *id = obol_stmt_column_blob(st, 0, &il), *tok = obol_stmt_column_blob(st, 1, &tl);
		if (!credited(bank, id, tok, tl, acc)) {
			char hex[2 * CODEX_TOKEN_ID_LEN + 1];
			obol_hex_encode(id, CODEX_TOKEN_ID_LEN, hex);
			sim_fail(sim, "P3", "vendor %s took token %s, and the bank does not credit it", v->name, hex);
		}
	}
out:
	if (st)
		obol_stmt_finish(st);
	if (vs)
		obol_store_rollback(vs);
	obol_store_close(vs);
}

/* P5 for a cheating user: what came from outside for it, against the bound
 * of docs/threats.md: D x pairs - D - V, where D is its per-epoch limit
 * (the safe deposit the world opens each Codex with), pairs the (payee,
 * epoch) pairs its tokens reached, and V the value the bank kept for the
 * Codex (what was loaded and not paid back at a close, and what it was
 * paid). */
static void check_bound(struct sim *sim, struct obol_store *s, struct sim_node *n)
{
	int64_t acc = account_of(s, n->name);
	int64_t outside = q_int(s, "SELECT COALESCE(SUM(loss), 0) FROM codex_losses WHERE user_id = ?", "i", acc);
	int64_t pairs = q_int(s,
			      "SELECT COUNT(*) FROM (SELECT DISTINCT payee, epoch FROM codex_tokens WHERE payer = ? AND refused = 0)",
			      "i", acc);
	/* a cover adds the deficit it made good (or lent) to `loaded`: take it out */
	int64_t kept = q_int(s,
			     "SELECT loaded - advanced + credits - (SELECT COALESCE(SUM(deficit), 0) FROM codex_losses"
			     " WHERE user_id = ? AND reason = 'overspent') FROM codex_users WHERE id = ?",
			     "ii", acc, acc);
	int64_t limit = 500000000, bound = pairs * limit - limit - kept;
	if (bound < 0)
		bound = 0;
	sim_trace(sim, n, "from outside EUR %" PRId64 ".%08" PRId64 ", bound EUR %" PRId64 ".%08" PRId64 " (%" PRId64
		  " pairs)", outside / 100000000, outside % 100000000, bound / 100000000, bound % 100000000, pairs);
	if (acc > 0 && outside > bound)
		sim_fail(sim, "P5",
			 "the bank put EUR %" PRId64 ".%08" PRId64 " in from outside for %s; the bound is %" PRId64
			 " (payee, epoch) pairs times its limit, less the limit and EUR %" PRId64 ".%08" PRId64
			 " it kept: EUR %" PRId64 ".%08" PRId64,
			 outside / 100000000, outside % 100000000, n->name, pairs, kept / 100000000, kept % 100000000,
			 bound / 100000000, bound % 100000000);
}

/* 14.8: once m, found, asked for its remainder after its hold had ended,
 * what was left of its value and deposit went back to its account, once.
 * The hold is taken from the bank's row as the rule states it (the state's
 * end, the freshness window, the grace), and "asked" is m's POST
 * /codex/release reaching the bank: the bank pays back on request only, so
 * without both nothing about a release can be concluded, and a run whose
 * script never got there fails as such rather than as a frozen remainder. */
/* The years strategy: a run whose 400-day jump never came (the world was
 * never idle), or after which no honest user synced, has not exercised the
 * renewal at sync, and fails as such rather than passing unexercised. */
static void check_years(struct sim *sim, struct cx_world *w)
{
	int synced = 0;
	if (w->years_jumped_ns == 0) {
		sim_fail(sim, "SETUP", "the years script never jumped 400 days (the world was never idle)");
		return;
	}
	for (int i = 0; i < CX_WALLETS; i++)
		if (w->synced_ns[i] > w->years_jumped_ns)
			synced++;
	if (synced == 0)
		sim_fail(sim, "SETUP", "no honest user synced after the 400-day jump: renewal at sync was not exercised");
}

static void check_released(struct sim *sim, struct obol_store *s, struct cx_world *w)
{
	struct sim_node *n = w->m;
	struct codex_issuer_settings set;
	int64_t acc = account_of(s, n->name);
	int64_t found = q_int(s, "SELECT blacklisted + deleted FROM codex_users WHERE id = ?", "i", acc);
	int64_t hold = q_int(s, "SELECT state_not_after FROM codex_users WHERE id = ?", "i", acc);
	int64_t released = q_int(s, "SELECT released FROM codex_users WHERE id = ?", "i", acc);
	int64_t left = q_int(s, "SELECT loaded + credits - debits + deposit FROM codex_users WHERE id = ?", "i", acc);
	int64_t back = q_int(s, "SELECT COUNT(*) FROM journal_entries e WHERE e.reason = 'codex-release' AND EXISTS"
			     " (SELECT 1 FROM journal_lines l WHERE l.entry_id = e.id AND l.account_id = ?)", "i", acc);
	int64_t asked = w->release_asked_ns / SIM_S;
	if (codex_issuer_settings_load(s, &set) != OBOL_OK) {
		sim_fail(sim, "P1", "cannot read the bank's codex settings");
		return;
	}
	hold += CODEX_FRESH_WINDOW + (set.hold_grace > 0 ? set.hold_grace : CODEX_DEFAULT_HOLD_GRACE);
	if (found == 0)
		sim_fail(sim, "SETUP", "the release script never had %s found (neither blacklisted nor closed)", n->name);
	else if (w->release_asked_ns == 0)
		sim_fail(sim, "SETUP", "the release script never had %s ask for its remainder (its hold ends on day %" PRId64
			 ", now day %" PRId64 ")", n->name, (hold - SIM_EPOCH_S) / 86400,
			 (sim_time_ns(sim) / SIM_S - SIM_EPOCH_S) / 86400);
	else if (asked < hold)
		sim_fail(sim, "SETUP", "%s asked for its remainder last on day %" PRId64 ", before its hold ended (day %" PRId64
			 ")", n->name, (asked - SIM_EPOCH_S) / 86400, (hold - SIM_EPOCH_S) / 86400);
	else if (released != 1 || left != 0)
		sim_fail(sim, "P3", "%s's hold has passed (day %" PRId64 "), it asked on day %" PRId64 ", and EUR %" PRId64
			 ".%08" PRId64 " of its value and deposit is still held (released %" PRId64 "): frozen", n->name,
			 (hold - SIM_EPOCH_S) / 86400, (asked - SIM_EPOCH_S) / 86400, left / 100000000, left % 100000000,
			 released);
	else if (back != 1)
		sim_fail(sim, "P1", "%s's remainder went back %" PRId64 " times", n->name, back);
}

void cx_check_vendor_cert(struct sim *sim, const char *reply, size_t len)
{
	struct codex_api_open_reply *rep = calloc(1, sizeof(*rep));
	struct codex_cert cert;
	json_t *j = json_loadb(reply, len, 0, NULL);
	int64_t now = sim_time_ns(sim) / SIM_S;
	if (rep && j) {
		codex_api_open_reply_spec(rep);
		if (obol_json_decode(j, &rep->spec) != OBOL_OK || codex_cert_decode(rep->cert, rep->cert_len, &cert) != OBOL_OK)
			sim_fail(sim, "P3", "the bank's answer to v's POST /codex/vendor holds no certificate");
		else if (cert.not_after <= now)
			sim_fail(sim, "P3", "the bank answered v's certificate request with one that ended on day %" PRId64
				 " (now day %" PRId64 "): no payer can pay v", (cert.not_after - SIM_EPOCH_S) / 86400,
				 (now - SIM_EPOCH_S) / 86400);
	}
	json_decref(j);
	free(rep);
}

void cx_check_rest(struct sim *sim)
{
	struct cx_world *w = cx(sim);
	struct obol_store *s = sim_issuer_db(sim);
	struct codex_consistency cc;
	char hex[2 * CODEX_TOKEN_ID_LEN + 1];
	obol_err e;
	sim_trace(sim, NULL, "codex: %zu tokens taken by honest payees, %zu refusals taken by honest payers",
		  w->naccepted, w->nrefused);
	if (s == NULL || obol_store_begin_read(s) != OBOL_OK) {
		sim_fail(sim, "P1", "cannot read the bank's database");
		return;
	}
	if (sim_tracing(sim)) {
		struct obol_stmt *st;
		bool row;
		if (obol_stmt_prepare(s, "SELECT f.party, u.name, f.kind, f.time, f.token_id FROM codex_findings f"
					 " LEFT JOIN codex_users u ON u.id = f.party ORDER BY f.id", &st) == OBOL_OK) {
			while (obol_stmt_step(st, &row) == OBOL_OK && row) {
				size_t il;
				const uint8_t *id = obol_stmt_column_blob(st, 4, &il);
				hex[0] = '\0';
				if (il == CODEX_TOKEN_ID_LEN)
					obol_hex_encode(id, il, hex);
				sim_trace(sim, NULL, "finding: %s (%" PRId64 ") %s at %" PRId64 ", token %s",
					  obol_stmt_column_text(st, 1) ? obol_stmt_column_text(st, 1) : "?",
					  obol_stmt_column_int64(st, 0), obol_stmt_column_text(st, 2),
					  obol_stmt_column_int64(st, 3) - SIM_EPOCH_S, hex);
			}
			obol_stmt_finish(st);
		}
	}
	if (sim_tracing(sim))
		for (int i = 0; i < CX_WALLETS; i++) {
			int64_t acc = account_of(s, w->u[i]->name);
			sim_trace(sim, w->u[i],
				  "at the bank: loaded %" PRId64 " credits %" PRId64 " debits %" PRId64 " deposit %" PRId64
				  "; tokens paid %" PRId64 ", received %" PRId64 ", refused %" PRId64 ", losses %" PRId64,
				  q_int(s, "SELECT loaded FROM codex_users WHERE id = ?", "i", acc),
				  q_int(s, "SELECT credits FROM codex_users WHERE id = ?", "i", acc),
				  q_int(s, "SELECT debits FROM codex_users WHERE id = ?", "i", acc),
				  q_int(s, "SELECT deposit FROM codex_users WHERE id = ?", "i", acc),
				  q_int(s, "SELECT COALESCE(SUM(amount), 0) FROM codex_tokens WHERE payer = ? AND refused = 0", "i", acc),
				  q_int(s, "SELECT COALESCE(SUM(amount), 0) FROM codex_tokens WHERE payee = ? AND refused = 0", "i", acc),
				  q_int(s, "SELECT COUNT(*) FROM codex_tokens WHERE (payee = ? OR payer = ?) AND refused = 1", "ii", acc, acc),
				  q_int(s, "SELECT COALESCE(SUM(deficit), 0) FROM codex_losses WHERE user_id = ?", "i", acc));
		}
	for (int i = 0; i < CX_WALLETS && !sim_failed(sim); i++) {
		int64_t acc = account_of(s, w->u[i]->name);
		if (q_int(s, "SELECT blacklisted FROM codex_users WHERE id = ?", "i", acc) != 0)
			sim_fail(sim, "P4", "honest user %s is on the blacklist", w->u[i]->name);
		else if (q_int(s, "SELECT COUNT(*) FROM codex_findings WHERE party = ?", "i", acc) != 0)
			sim_fail(sim, "P4", "the bank names honest user %s in a finding", w->u[i]->name);
	}
	if (!sim_failed(sim) &&
	    q_int(s, "SELECT COUNT(*) FROM codex_findings WHERE party = ?", "i", account_of(s, w->v->name)) != 0)
		sim_fail(sim, "P4", "the bank names the honest vendor %s in a finding", w->v->name);
	/* a user the bank blames cannot sync: P4 above says why, before this */
	for (int i = 0; i < CX_WALLETS && !sim_failed(sim); i++)
		if (!w->recovered[i])
			sim_fail(sim, "P3", "honest user %s cannot sync with the bank any more: its Codex is wedged",
				 w->u[i]->name);
	/* a synced Codex can pay and be paid: its certificate and state are
	 * valid now, however much time passed (certificates renewed at sync) */
	for (int i = 0; i < CX_WALLETS && !sim_failed(sim); i++) {
		struct codex *c;
		int64_t now = sim_time_ns(sim) / SIM_S;
		if (cx_wallet_codex(w->u[i], &c) != OBOL_OK)
			continue;
		if (c->cert.not_after <= now || c->state.not_after <= now)
			sim_fail(sim, "P3", "honest user %s synced, and its Codex can no longer pay: certificate until day "
				 "%" PRId64 ", state until day %" PRId64 ", now day %" PRId64, w->u[i]->name,
				 (c->cert.not_after - SIM_EPOCH_S) / 86400, (c->state.not_after - SIM_EPOCH_S) / 86400,
				 (now - SIM_EPOCH_S) / 86400);
		codex_free(c);
	}
	for (size_t k = 0; k < w->naccepted && !sim_failed(sim); k++) {
		struct cx_accepted *a = &w->accepted[k];
		if (!credited(s, a->id, a->blob, a->len, account_of(s, a->payee->name))) {
			obol_hex_encode(a->id, CODEX_TOKEN_ID_LEN, hex);
			sim_fail(sim, "P3", "%s took token %s, and the bank does not credit it (under its bytes)",
				 a->payee->name, hex);
		}
	}
	for (size_t k = 0; k < w->nrefused && !sim_failed(sim); k++) {
		struct cx_refused *r = &w->refused[k];
		if (refused_at_bank(s, r->id, r->hash) != 1) {
			obol_hex_encode(r->id, CODEX_TOKEN_ID_LEN, hex);
			sim_fail(sim, "P3", "%s holds its payee's signed refusal of token %s, and the bank did not give "
				 "the value back", r->payer->name, hex);
		}
	}
	if (!sim_failed(sim))
		check_vendor(sim, s, w->v);
	if (!sim_failed(sim))
		check_bound(sim, s, w->m);
	if (!sim_failed(sim) && w->release_due)
		check_released(sim, s, w);
	if (!sim_failed(sim) && w->years_due)
		check_years(sim, w);
	if (!sim_failed(sim) && (e = codex_issuer_check(s, "EUR", NULL, &cc)) != OBOL_OK)
		sim_fail(sim, "P1", "the bank's consistency check fails (%s): %zu unlogged, %zu below zero, %zu mismatched, "
			 "%zu conflicts not acted on", obol_strerror(e), cc.unlogged, cc.overspent, cc.mismatched,
			 cc.conflicts_open);
	obol_store_rollback(s);
}
