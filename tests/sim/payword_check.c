/* The payword world's invariants (payword.h). What the simulator knows for
 * sure: the frames each party wrote (every range a wallet signed, checked
 * under the key its certificate names), the durable state of each process
 * (the issuer's database, each vendor's vendor.db, each wallet's file), and
 * nothing a party merely says. The invariants:
 *
 *   P2 an honest wallet signs, in a purchase, no more tokens than the price
 *      the vendor told it on its link (one token of rounding up at most);
 *   P3 at rest: every sale an honest vendor recorded (a token it accepted, in
 *      good faith: with a fresh CRL, under the user's signature) is paid to
 *      it in full, nothing of it held; every token the agent paid out of an
 *      honest user's certificates lies in a range that user signed for that
 *      vendor; the agent holds at least the unspent value of each honest
 *      user's wallet on its certificates (the tokens no range the wallet
 *      signed reaches: a pending purchase's are its vendor's);
 *   P4 after every step: no honest user and no honest vendor is revoked at
 *      the agent (a verdict of fraud rests on the culprit's own signatures);
 *   P7 (and P3) at every answer of the agent: it gives a certificate (with
 *      its seed) or sells tokens in a user's name only to a request signed
 *      by that user's wallet, whoever else knows the password;
 *   P5 after every step: a user revoked at the agent has no live certificate
 *      left (every one of its certificates is on the CRL, so vendors refuse
 *      all of them once their list is fresh); at each sale (a PAY_REPLY with
 *      an authorisation number), an honest vendor holds a CRL, fetched in its
 *      current life, issued at most its stated bound ago. What the simulator
 *      knows is the agent's answers to the vendor's fetches: an answer lost
 *      on its way makes it think the vendor fresher than it is, never staler.
 * P1 (obol audit, with payword's findings: a negative certificate balance
 * breaks it) and the accounts' P4 are the simulator's own (main.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "crypto/seal.h"
#include "payword.h"
#include "schemes/payword/agent.h"
#include "schemes/payword/wallet.h"
#include "schemes/payword/wire.h"
#include "store/store.h"
#include "wire/cbor.h"
#include "wire/json.h"

static void fmt(const struct obol_amount *a, char out[OBOL_AMOUNT_STR_MAX])
{
	obol_amount_format(a, out);
}

/* ---- the frames ------------------------------------------------------------ */

static struct pw_range *range_add(struct pw_world *w)
{
	if (w->nranges == PW_RANGES_MAX)
		return NULL;
	if (w->ranges == NULL && (w->ranges = calloc(PW_RANGES_MAX, sizeof *w->ranges)) == NULL)
		abort();
	return &w->ranges[w->nranges++];
}

static int64_t vendor_id_of(struct pw_world *w, const struct sim_node *n)
{
	struct sim_node *v[3] = { w->v[0], w->v[1], w->x };
	for (int i = 0; i < 3; i++)
		if (v[i] == n)
			return w->vendor_id[i];
	return -1;
}

/* P2: the tokens of a range signed by an honest wallet against the price
 * its last INFO said. */
static void check_price(struct sim *sim, struct sim_node *wallet, struct sim_node *vendor, const struct payword_pay *p)
{
	struct pw_world *w = pw(sim);
	struct pw_wallet *pwl = pw_wallet_of(w, wallet);
	struct obol_amount v, limit;
	char a[OBOL_AMOUNT_STR_MAX], b[OBOL_AMOUNT_STR_MAX];
	int cmp;
	uint64_t tokens = p->range.to - p->range.from + 1;
	if (pwl == NULL || !wallet->honest)
		return;
	if (!pwl->has_price || pwl->price_vendor != p->range.vendor) {
		sim_fail(sim, "P2", "%s signed orders %" PRIu64 "..%" PRIu64 " for %s, which told it no price", wallet->name,
			 p->range.from, p->range.to, vendor->name);
		return;
	}
	if (obol_amount_mul(&v, &p->vc.token_value, tokens) != OBOL_OK ||
	    obol_amount_add(&limit, &pwl->price, &p->vc.token_value) != OBOL_OK || obol_amount_cmp(&v, &limit, &cmp) != OBOL_OK)
		return;
	if (cmp >= 0) {
		fmt(&v, a);
		fmt(&pwl->price, b);
		sim_fail(sim, "P2", "%s signed %" PRIu64 " tokens (%s) to %s for a product it was told costs %s", wallet->name,
			 tokens, a, vendor->name, b);
	}
}

static int vendor_index(struct pw_world *w, const struct sim_node *n)
{
	struct sim_node *v[3] = { w->v[0], w->v[1], w->x };
	for (int i = 0; i < 3; i++)
		if (v[i] == n)
			return i;
	return -1;
}

/* P5: a sale only with a CRL of the vendor's current life, no older than
 * its bound (2 s of slack: the reply leaves a moment after the check). */
static void check_crl_at_sale(struct sim *sim, struct sim_node *vendor, const uint8_t *body, size_t len)
{
	struct pw_world *w = pw(sim);
	struct payword_reply_wire r;
	struct payword_reply_spec spec;
	int i = vendor_index(w, vendor);
	memset(&r, 0, sizeof r);
	payword_reply_spec_init(&spec, &r);
	if (i < 0 || obol_cbor_decode(body, len, &spec.spec) != OBOL_OK || r.auth <= 0)
		return;
	if (w->crl_life[i] != vendor->incarnation)
		sim_fail(sim, "P5", "%s sold (authorisation %" PRId64 ") before the agent answered it a CRL since its start",
			 vendor->name, r.auth);
	else if (sim_node_now(sim, vendor) - w->crl_issued[i] > PW_CRL_MAX_AGE + 2)
		sim_fail(sim, "P5", "%s sold (authorisation %" PRId64 ") with a CRL issued %" PRId64 " s ago, its bound %d s",
			 vendor->name, r.auth, sim_node_now(sim, vendor) - w->crl_issued[i], PW_CRL_MAX_AGE);
}

void pw_on_frame(struct sim *sim, struct sim_link *l, struct sim_node *from, uint32_t type, const uint8_t *body,
		 size_t len)
{
	struct pw_world *w = pw(sim);
	struct sim_node *vendor = l->b;
	switch (type) {
	case PAYWORD_MSG_INFO: {
		struct payword_info_wire info;
		struct payword_info_spec spec;
		struct pw_wallet *pwl = pw_wallet_of(w, l->a);
		memset(&info, 0, sizeof info);
		payword_info_spec_init(&spec, &info);
		if (from != vendor || pwl == NULL || obol_cbor_decode(body, len, &spec.spec) != OBOL_OK || !info.has_price)
			break;
		pwl->price = info.price;
		pwl->price_vendor = info.vendor_id;
		pwl->has_price = true;
		break;
	}
	case PAYWORD_MSG_PAY: {
		static struct payword_pay_wire m;
		static struct payword_pay p;
		struct payword_pay_spec spec;
		int64_t vid = vendor_id_of(w, vendor);
		memset(&m, 0, sizeof m);
		payword_pay_spec_init(&spec, &m);
		if (from != l->a || vid <= 0 || obol_cbor_decode(body, len, &spec.spec) != OBOL_OK ||
		    payword_pay_from_wire(&m, (uint64_t)vid, &p) != OBOL_OK)
			break;
		/* what the user signed: its key is the certificate's */
		if (payword_range_verify(&p.range, &p.vc) != OBOL_OK) {
			if (from->honest)
				sim_fail(sim, "P3", "%s sent %s a range (orders %" PRIu64 "..%" PRIu64
						    ") its key did not sign", from->name, vendor->name, p.range.from, p.range.to);
			break;
		}
		for (size_t i = 0; i < w->nranges; i++) {
			const struct pw_range *r = &w->ranges[i];
			if (r->serial == p.range.serial && r->vendor == vendor && r->from == p.range.from &&
			    r->to == p.range.to)
				return; /* the same purchase sent again */
		}
		check_price(sim, from, vendor, &p);
		struct pw_range *r = range_add(w);
		if (r == NULL)
			break;
		r->serial = p.range.serial;
		r->from = p.range.from;
		r->to = p.range.to;
		r->wallet = from;
		r->vendor = vendor;
		memcpy(r->token, p.token, PAYWORD_TOKEN_LEN);
		memcpy(r->sig, p.range.sig, OBOL_SIGN_LEN);
		memcpy(r->vcert, m.vcert, m.vcert_len);
		r->vcert_len = m.vcert_len;
		OBOL_WIPE(p.token);
		break;
	}
	case PAYWORD_MSG_PAY_REPLY:
		if (from == vendor && vendor->honest)
			check_crl_at_sale(sim, vendor, body, len);
		break;
	default:
		break;
	}
}

void pw_on_http(struct sim *sim, const struct sim_http_msg *m, long status, const char *reply, size_t len)
{
	struct payword_report_reply r;
	struct payword_report_reply_spec spec;
	struct pw_world *w = pw(sim);
	json_t *j;
	int i;
	if (strncmp(m->path, "/payword/crl", strlen("/payword/crl")) == 0 && status == 200 && (i = vendor_index(w, m->from)) >= 0 &&
	    reply != NULL && (j = json_loadb(reply, len, 0, NULL)) != NULL) {
		json_int_t issued = json_integer_value(json_object_get(j, "issued"));
		/* a vendor fetches its first list while it starts, before the
		 * simulator counts the life it starts */
		unsigned life = m->from->incarnation + (m->from->vendor == NULL ? 1 : 0);
		if (w->crl_life[i] != life || issued > w->crl_issued[i])
			w->crl_issued[i] = issued;
		w->crl_life[i] = life;
		json_decref(j);
		return;
	}
	if ((strcmp(m->path, "/payword/cert") == 0 || strcmp(m->path, "/payword/buy") == 0) && status == 200 &&
	    m->from != NULL && m->from->kind == SIM_WALLET && m->body != NULL &&
	    (j = json_loadb((const char *)m->body, m->body_len, 0, NULL)) != NULL) {
		const char *name = json_string_value(json_object_get(j, "username"));
		if (name != NULL && strcmp(name, m->from->name) != 0)
			sim_fail(sim, strcmp(m->path, "/payword/cert") == 0 ? "P7" : "P3",
				 "the agent answered %s's %s in %s's name: %s", m->from->name, m->path, name,
				 strcmp(m->path, "/payword/cert") == 0 ? "its certificate and seed" : "tokens from its account");
		json_decref(j);
		return;
	}
	if (strcmp(m->path, "/payword/report") != 0 || reply == NULL || (j = json_loadb(reply, len, 0, NULL)) == NULL)
		return;
	memset(&r, 0, sizeof r);
	payword_report_reply_spec_init(&spec, &r);
	if (status == 200 && obol_json_decode(j, &spec.spec) == OBOL_OK && strcmp(r.verdict, "ok") != 0)
		sim_trace(sim, m->from, "the agent's verdict on this report: %s%s%s%s", r.verdict,
			  r.has_held ? ", tokens held" : "", r.has_error ? ", " : "", r.has_error ? r.error : "");
	else if (status != 200)
		sim_trace(sim, m->from, "the agent refuses this report: %.120s", reply);
	json_decref(j);
}

/* ---- the issuer's database ---------------------------------------------------- */

static int64_t scalar(struct obol_store *s, const char *sql, const char *fmtc, ...)
{
	struct obol_stmt *st;
	bool row;
	int64_t n = -1;
	va_list ap;
	if (obol_stmt_prepare(s, sql, &st) != OBOL_OK)
		return -1;
	va_start(ap, fmtc);
	obol_err e = OBOL_OK;
	for (int i = 1; fmtc[i - 1] != '\0' && e == OBOL_OK; i++) {
		if (fmtc[i - 1] == 'i')
			e = obol_stmt_bind_int64(st, i, va_arg(ap, int64_t));
		else
			e = obol_stmt_bind_text(st, i, va_arg(ap, const char *));
	}
	va_end(ap);
	if (e == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK && row)
		n = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return n;
}

/* The latest evidence the agent stored, for the message: its kind, and the
 * signed material it rests on. */
static void evidence(struct sim *sim, struct obol_store *s, char *out, size_t cap)
{
	struct pw_world *w = pw(sim);
	struct obol_stmt *st;
	bool row;
	out[0] = '\0';
	if (obol_stmt_prepare(s, "SELECT kind, culprit, serial, detail FROM payword_evidence ORDER BY id DESC LIMIT 1",
			      &st) != OBOL_OK)
		return;
	if (obol_stmt_step(st, &row) == OBOL_OK && row) {
		const char *d = obol_stmt_column_text(st, 3);
		json_t *j = d != NULL ? json_loads(d, 0, NULL) : NULL;
		json_t *r = json_object_get(j, "range"), *o = json_object_get(j, "other_range"),
		       *pos = json_object_get(j, "position");
		struct sim_node *v = pw_vendor_node(w, (uint64_t)json_integer_value(json_object_get(j, "vendor"))),
				*ov = pw_vendor_node(w, (uint64_t)json_integer_value(json_object_get(j, "other_vendor")));
		int n = snprintf(out, cap, "; evidence: %s by %s on certificate %" PRId64 ": range %" JSON_INTEGER_FORMAT
				 "..%" JSON_INTEGER_FORMAT " claimed by %s",
				 obol_stmt_column_text(st, 0), obol_stmt_column_text(st, 1), obol_stmt_column_int64(st, 2),
				 json_integer_value(json_object_get(r, "from")), json_integer_value(json_object_get(r, "to")),
				 v != NULL ? v->name : "?");
		if (n > 0 && (size_t)n < cap && o != NULL)
			snprintf(out + n, cap - (size_t)n, ", against range %" JSON_INTEGER_FORMAT "..%" JSON_INTEGER_FORMAT
				 " signed for %s",
				 json_integer_value(json_object_get(o, "from")), json_integer_value(json_object_get(o, "to")),
				 ov != NULL ? ov->name : "?");
		else if (n > 0 && (size_t)n < cap && pos != NULL)
			snprintf(out + n, cap - (size_t)n, ", against the user's signed position %" JSON_INTEGER_FORMAT,
				 json_integer_value(json_object_get(pos, "next")));
		json_decref(j);
	}
	obol_stmt_finish(st);
}

/* P4: no honest user or vendor revoked at the agent. */
static void check_revocations(struct sim *sim, struct obol_store *s)
{
	static const char *const sql[2] = {
		"SELECT a.name FROM payword_users u JOIN accounts a ON a.id = u.account WHERE u.revoked != 0",
		"SELECT a.name FROM payword_vendors v JOIN accounts a ON a.id = v.account WHERE v.revoked != 0",
	};
	for (int k = 0; k < 2 && !sim_failed(sim); k++) {
		struct obol_stmt *st;
		bool row;
		char who[SIM_NAME_MAX] = "";
		if (obol_stmt_prepare(s, sql[k], &st) != OBOL_OK)
			continue;
		while (obol_stmt_step(st, &row) == OBOL_OK && row) {
			const char *name = obol_stmt_column_text(st, 0);
			struct sim_node *n = name != NULL ? sim_node_find(sim, name) : NULL;
			if (n != NULL && n->honest) {
				snprintf(who, sizeof who, "%s", name);
				break;
			}
		}
		obol_stmt_finish(st);
		if (who[0] != '\0') {
			char ev[512];
			evidence(sim, s, ev, sizeof ev);
			sim_fail(sim, "P4", "the honest %s %s is revoked at the agent%s", k == 0 ? "user" : "vendor", who, ev);
		}
	}
}

/* P5: a revoked user keeps no certificate off the CRL. */
static void check_revoked_certs(struct sim *sim, struct obol_store *s)
{
	struct obol_stmt *st;
	bool row;
	if (obol_stmt_prepare(s,
			      "SELECT a.name, k.serial FROM payword_users u JOIN accounts a ON a.id = u.account"
			      " JOIN payword_certs k ON k.user_id = u.account WHERE u.revoked != 0 AND k.status = ?"
			      " ORDER BY k.serial LIMIT 1",
			      &st) != OBOL_OK)
		return;
	if (obol_stmt_bind_int64(st, 1, PAYWORD_CERT_LIVE) == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK && row)
		sim_fail(sim, "P5", "%s is revoked at the agent and its certificate %" PRId64 " is still live (off the CRL)",
			 obol_stmt_column_text(st, 0), obol_stmt_column_int64(st, 1));
	obol_stmt_finish(st);
}

void pw_check_step(struct sim *sim)
{
	struct pw_world *w = pw(sim);
	struct obol_store *s = sim_issuer_db(sim);
	struct obol_stmt *st;
	bool row;
	int64_t version = -1;
	if (s == NULL || sim_failed(sim))
		return;
	if (obol_stmt_prepare(s, "PRAGMA data_version", &st) == OBOL_OK) {
		if (obol_stmt_step(st, &row) == OBOL_OK && row)
			version = obol_stmt_column_int64(st, 0);
		obol_stmt_finish(st);
	}
	if (version == w->db_version)
		return;
	w->db_version = version;
	if (obol_store_begin_read(s) != OBOL_OK)
		return;
	check_revocations(sim, s);
	if (!sim_failed(sim))
		check_revoked_certs(sim, s);
	obol_store_rollback(s);
}

/* ---- wallet files ---------------------------------------------------------------- */

/* The document of a wallet file, read without its lock. */
static json_t *wallet_doc(const struct sim_node *n)
{
	uint8_t key[OBOL_FILEKEY_LEN], *sealed = NULL, *plain = NULL;
	size_t slen = 0, plen = 0;
	struct obol_filekey k;
	json_t *doc = NULL;
	FILE *f = fopen(n->key_file, "rb");
	if (f == NULL)
		return NULL;
	size_t got = fread(key, 1, sizeof key, f);
	fclose(f);
	if (got != sizeof key)
		return NULL;
	obol_filekey_from_bytes(&k, key);
	OBOL_WIPE(key);
	if ((f = fopen(n->wallet, "rb")) == NULL)
		goto out;
	if ((sealed = malloc(1 << 20)) == NULL)
		abort();
	slen = fread(sealed, 1, 1 << 20, f);
	fclose(f);
	if (obol_fileseal_open(&k, sealed, slen, &plain, &plen) == OBOL_OK)
		doc = json_loadb((const char *)plain, plen, 0, NULL);
out:
	if (plain != NULL)
		obol_free_wiped(plain);
	free(sealed);
	obol_filekey_wipe(&k);
	return doc;
}

bool pw_pending_buy(struct sim_node *n)
{
	json_t *doc = wallet_doc(n);
	bool pending = json_object_get(json_object_get(doc, "payword"), "pending_buy") != NULL;
	json_decref(doc);
	return pending;
}

/* The unspent tokens of the wallet's generic certificate (0 when it has
 * none: payword_wallet_unspent, no range the wallet signed reaches them),
 * and those of its pending purchase (signed over to a vendor); false when
 * the file cannot be read. */
static bool wallet_unspent(const struct sim_node *n, uint64_t *unspent, uint64_t *pending, uint64_t *serial)
{
	json_t *doc = wallet_doc(n);
	const char *b64 = json_string_value(json_object_get(json_object_get(json_object_get(doc, "payword"), "certs"), "0"));
	uint8_t *sealed = NULL;
	size_t len;
	bool ok = doc != NULL;
	*unspent = 0;
	*pending = 0;
	*serial = 0;
	if (b64 != NULL) {
		struct payword_wallet_cert c;
		size_t cap = strlen(b64);
		if ((sealed = malloc(cap + 1)) == NULL)
			abort();
		ok = obol_b64_decode(b64, sealed, cap, &len, 0) == OBOL_OK &&
		     payword_wallet_open(sealed, len, PW_PASSWORD, &c) == OBOL_OK;
		if (ok) {
			*unspent = payword_wallet_unspent(&c);
			*pending = c.pending ? c.req.order - c.next + 1 : 0;
			*serial = c.uc.vc.serial;
			payword_wallet_wipe(&c);
		}
		free(sealed);
	}
	json_decref(doc);
	return ok;
}

/* ---- at rest ------------------------------------------------------------------------ */

/* P3 for an honest vendor: every sale in its vendor.db paid in full. */
static void check_vendor_paid(struct sim *sim, struct obol_store *s, struct sim_node *vn)
{
	struct pw_world *w = pw(sim);
	struct obol_store *vs = NULL;
	struct obol_stmt *q, *c;
	char url[PATH_MAX + 32];
	bool r, row;
	int64_t vid = vendor_id_of(w, vn);
	snprintf(url, sizeof url, "sqlite:%s/vendor.db", vn->dir);
	if (vid <= 0 || obol_store_open(url, false, &vs) != OBOL_OK)
		return;
	if (obol_store_begin_read(vs) != OBOL_OK ||
	    obol_stmt_prepare(vs, "SELECT serial, order_no, range_from, report_error, auth FROM payword_v_sales ORDER BY "
				  "created",
			      &q) != OBOL_OK)
		goto out;
	while (!sim_failed(sim) && obol_stmt_step(q, &r) == OBOL_OK && r) {
		int64_t serial = obol_stmt_column_int64(q, 0), to = obol_stmt_column_int64(q, 1),
			from = obol_stmt_column_int64(q, 2), auth = obol_stmt_column_int64(q, 4);
		const char *err = obol_stmt_column_text(q, 3);
		int64_t want = to - from + 1, paid = -1, held = 0, hold = 0, cfrom = -1;
		if (obol_stmt_prepare(s, "SELECT from_order, paid_tokens, held_tokens, hold FROM payword_claims"
					 " WHERE serial = ? AND vendor = ? AND to_order = ?",
				      &c) != OBOL_OK)
			break;
		if (obol_stmt_bind_int64(c, 1, serial) == OBOL_OK && obol_stmt_bind_int64(c, 2, vid) == OBOL_OK &&
		    obol_stmt_bind_int64(c, 3, to) == OBOL_OK && obol_stmt_step(c, &row) == OBOL_OK && row) {
			cfrom = obol_stmt_column_int64(c, 0);
			paid = obol_stmt_column_int64(c, 1);
			held = obol_stmt_column_int64(c, 2);
			hold = obol_stmt_column_int64(c, 3);
		}
		obol_stmt_finish(c);
		if (paid == want && cfrom == from)
			continue;
		if (paid < 0)
			sim_fail(sim, "P3",
				 "%s accepted orders %" PRId64 "..%" PRId64 " of certificate %" PRId64 " (auth %" PRId64
				 ") and the agent has no claim of it%s%s",
				 vn->name, from, to, serial, auth, err != NULL ? "; its report was refused: " : "",
				 err != NULL ? err : "");
		else
			sim_fail(sim, "P3",
				 "%s accepted orders %" PRId64 "..%" PRId64 " of certificate %" PRId64
				 " and the agent paid it %" PRId64 " of them (claim from %" PRId64 ", %" PRId64
				 " held%s)",
				 vn->name, from, to, serial, paid, cfrom, held,
				 hold == PAYWORD_HOLD_REVIEW ? " for review" : hold == PAYWORD_HOLD_DEBT ? " as a debt" : "");
	}
	obol_stmt_finish(q);
out:
	obol_store_close(vs);
}

/* P3 for an honest user: what the agent paid out of its certificates, it
 * signed; the agent holds its wallet's unspent value. */
static void check_user(struct sim *sim, struct obol_store *s, struct sim_node *un)
{
	struct pw_world *w = pw(sim);
	struct obol_stmt *st;
	bool row;
	uint64_t unspent, pending, wserial;
	if (obol_stmt_prepare(s, "SELECT c.serial, c.vendor, c.from_order, c.to_order, c.paid_tokens FROM payword_claims c"
				 " JOIN payword_certs k ON k.serial = c.serial JOIN payword_users u ON u.account = k.user_id"
				 " WHERE u.username = ? AND c.paid_tokens > 0",
			      &st) != OBOL_OK)
		return;
	if (obol_stmt_bind_text(st, 1, un->name) == OBOL_OK)
		while (!sim_failed(sim) && obol_stmt_step(st, &row) == OBOL_OK && row) {
			uint64_t serial = (uint64_t)obol_stmt_column_int64(st, 0), from = (uint64_t)obol_stmt_column_int64(st, 2),
				 to = (uint64_t)obol_stmt_column_int64(st, 3);
			struct sim_node *vn = pw_vendor_node(w, (uint64_t)obol_stmt_column_int64(st, 1));
			bool signed_it = false;
			for (size_t i = 0; i < w->nranges && !signed_it; i++) {
				const struct pw_range *r = &w->ranges[i];
				signed_it = r->serial == serial && r->wallet == un && r->vendor == vn && r->from <= from &&
					    to <= r->to;
			}
			if (!signed_it)
				sim_fail(sim, "P3",
					 "the agent paid %s %" PRId64 " tokens of %s's certificate %" PRIu64
					 " (orders %" PRIu64 "..%" PRIu64 ") that %s never signed for it",
					 vn != NULL ? vn->name : "a vendor", obol_stmt_column_int64(st, 4), un->name, serial,
					 from, to, un->name);
		}
	obol_stmt_finish(st);
	if (sim_failed(sim))
		return;
	if (!wallet_unspent(un, &unspent, &pending, &wserial)) {
		sim_trace(sim, un, "at rest: its wallet file cannot be read");
		return;
	}
	int64_t balance = scalar(s, "SELECT COALESCE(SUM(k.n + k.covered - k.paid - k.moved_out), 0) FROM payword_certs k"
				    " JOIN payword_users u ON u.account = k.user_id WHERE u.username = ? AND k.status != 3",
				 "t", un->name);
	sim_trace(sim, un, "at rest: its wallet holds %" PRIu64 " unspent tokens of certificate %" PRIu64
			   " (and %" PRIu64 " of a pending purchase), the agent %" PRId64 " on its certificates",
		  unspent, wserial, pending, balance);
	if (balance >= 0 && (uint64_t)balance < unspent)
		sim_fail(sim, "P3",
			 "%s's wallet holds %" PRIu64 " unspent tokens of certificate %" PRIu64
			 ", but the agent holds only %" PRId64 " tokens on its certificates",
			 un->name, unspent, wserial, balance);
}

void pw_check_rest(struct sim *sim)
{
	struct pw_world *w = pw(sim);
	struct obol_store *s = sim_issuer_db(sim);
	if (s == NULL || sim_failed(sim) || obol_store_begin_read(s) != OBOL_OK)
		return;
	check_revocations(sim, s);
	for (int i = 0; i < 2 && !sim_failed(sim); i++)
		if (w->v[i]->honest)
			check_vendor_paid(sim, s, w->v[i]);
	for (int i = 0; i < 3 && !sim_failed(sim); i++)
		if (w->w[i]->honest)
			check_user(sim, s, w->w[i]);
	obol_store_rollback(s);
}

/* ---- the trace ---------------------------------------------------------------- */

void pw_describe(struct sim *sim, uint32_t type, const uint8_t *body, size_t len, char *out, size_t cap)
{
	char a[OBOL_AMOUNT_STR_MAX];
	(void)sim;
	switch (type) {
	case PAYWORD_MSG_HELLO: {
		struct payword_hello_wire m;
		struct payword_hello_spec spec;
		memset(&m, 0, sizeof m);
		payword_hello_spec_init(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.spec) == OBOL_OK) {
			snprintf(out, cap, "HELLO %s", m.has_product ? m.product : "-");
			return;
		}
		break;
	}
	case PAYWORD_MSG_INFO: {
		struct payword_info_wire m;
		struct payword_info_spec spec;
		memset(&m, 0, sizeof m);
		payword_info_spec_init(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.spec) == OBOL_OK) {
			if (m.has_price)
				fmt(&m.price, a);
			snprintf(out, cap, "INFO vendor %" PRIu64 " %s %s", m.vendor_id, m.mode, m.has_price ? a : "");
			return;
		}
		break;
	}
	case PAYWORD_MSG_PAY: {
		static struct payword_pay_wire m;
		struct payword_pay_spec spec;
		memset(&m, 0, sizeof m);
		payword_pay_spec_init(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.spec) == OBOL_OK) {
			fmt(&m.value, a);
			snprintf(out, cap, "PAY certificate %" PRIu64 " orders %" PRIu64 "..%" PRIu64 " %s %s", m.serial,
				 m.range_from, m.order, m.product, a);
			OBOL_WIPE(m.token);
			return;
		}
		break;
	}
	case PAYWORD_MSG_PAY_REPLY: {
		struct payword_reply_wire m;
		struct payword_reply_spec spec;
		memset(&m, 0, sizeof m);
		payword_reply_spec_init(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.spec) == OBOL_OK) {
			if (m.auth > 0)
				snprintf(out, cap, "PAY_REPLY auth %" PRId64, m.auth);
			else
				snprintf(out, cap, "PAY_REPLY -1 %s",
					 m.has_code && obol_err_is_known((int)m.code) ? obol_strerror((obol_err)m.code) : "?");
			return;
		}
		break;
	}
	default:
		break;
	}
	snprintf(out, cap, "type %u", (unsigned)type);
}
