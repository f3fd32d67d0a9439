/* The payer's guard on every payment (contract in payer.h). */
#include "wallet/payer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "schemes/common/receipt.h"
#include "wallet/history.h"
#include "wallet/limits.h"
#include "wire/json.h"

static struct obol_payer_opts cli_opts;
static bool has_cli_opts;

void obol_payer_set_opts(const struct obol_payer_opts *o)
{
	has_cli_opts = o != NULL;
	if (o != NULL)
		cli_opts = *o;
	else
		memset(&cli_opts, 0, sizeof cli_opts);
}

struct obol_payer {
	struct obol_wallet *w;
	struct obol_paycap cap;
	bool cap_loaded;
	bool ask;
	/* the payment under way */
	bool active;
	char scheme[OBOL_RECEIPT_SCHEME_MAX + 1];
	size_t entry;          /* its index in the history */
	struct obol_amount handed;
	bool has_handed;
	uint8_t id[OBOL_RECEIPT_ID_LEN];
	bool has_id;
	struct obol_amount asked_total; /* what the payer agreed to at the prompt */
	bool asked;
};

struct obol_payer *obol_payer_new(struct obol_wallet *w)
{
	struct obol_payer *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->w = w;
	/* the question is the command line's: a pay command without --yes, on a terminal */
	p->ask = has_cli_opts && !cli_opts.yes && isatty(STDIN_FILENO);
	if (has_cli_opts && obol_paycap_any(&cli_opts.cap)) {
		p->cap = cli_opts.cap;
		p->cap_loaded = true;
	}
	return p;
}

void obol_payer_free(struct obol_payer *p)
{
	free(p);
}

/* The cap in force: the command line's, else the wallet's default. */
static obol_err load_cap(struct obol_payer *p)
{
	obol_err e;
	if (p->cap_loaded)
		return OBOL_OK;
	if ((e = obol_wallet_limits(p->w, &p->cap)) != OBOL_OK)
		return e;
	p->cap_loaded = true;
	return OBOL_OK;
}

static json_t *entry_of(struct obol_payer *p)
{
	return p->active ? obol_history_at(p->w, p->entry) : NULL;
}

static obol_err set_str(json_t *o, const char *key, const char *value)
{
	return o == NULL || json_object_set_new(o, key, json_string(value)) == 0 ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static obol_err set_amount(json_t *o, const char *key, const struct obol_amount *a)
{
	char text[OBOL_AMOUNT_STR_MAX];
	obol_amount_format(a, text);
	return set_str(o, key, text);
}

/* Ends the payment under way as refused for why, with what was handed over
 * so far, and saves: the history never loses a refusal. */
static obol_err end_refused(struct obol_payer *p, obol_err why)
{
	json_t *o = entry_of(p);
	obol_err e = OBOL_OK;
	if (o != NULL && (e = set_str(o, "state", "refused")) == OBOL_OK &&
	    (e = set_str(o, "error", obol_strerror(why))) == OBOL_OK &&
	    (!p->has_handed || (e = set_amount(o, "amount", &p->handed)) == OBOL_OK))
		e = obol_wallet_save(p->w);
	p->active = false;
	return e != OBOL_OK ? e : why;
}

/* A new history entry for a payment at the link's vendor. */
static obol_err begin(struct obol_payer *p, const struct obol_devlink *dl, const char *scheme,
		      const struct obol_amount *price, uint64_t units)
{
	const struct obol_devlink_peer *peer = dl != NULL ? obol_devlink_peer(dl) : NULL;
	char cert[OBOL_VENDOR_CERT_TEXT_MAX];
	json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "kind", "payment", "scheme", scheme, "time",
			      (json_int_t)obol_now(), "state", "pending");
	obol_err e = o != NULL ? set_amount(o, "price", price) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && units > 0 && json_object_set_new(o, "units", json_integer((json_int_t)units)) != 0)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && peer != NULL && peer->kind == OBOL_DL_CRED_VENDOR &&
	    (e = obol_vendor_cert_to_text(&peer->cert, cert)) == OBOL_OK &&
	    json_object_set_new(o, "vendor", json_pack("{s:I, s:s, s:s}", "id", (json_int_t)peer->cert.vendor_id,
						       "name", peer->cert.name, "cert", cert)) != 0)
		e = OBOL_E_NO_MEMORY;
	if (e != OBOL_OK) {
		json_decref(o);
		return e;
	}
	memset(&p->handed, 0, sizeof p->handed);
	p->has_handed = p->has_id = p->asked = false;
	snprintf(p->scheme, sizeof p->scheme, "%s", scheme);
	if ((e = obol_history_append(p->w, o, &p->entry)) != OBOL_OK)
		return e;
	p->active = true;
	return OBOL_OK;
}

/* The question on the terminal: PAY_DECLINED unless the answer is yes. */
static obol_err ask(const struct obol_devlink *dl, const struct obol_amount *price, uint64_t units,
		    const struct obol_amount *total, const struct obol_paycap *cap)
{
	const struct obol_devlink_peer *peer = dl != NULL ? obol_devlink_peer(dl) : NULL;
	char pr[OBOL_AMOUNT_STR_MAX], tot[OBOL_AMOUNT_STR_MAX], line[16];
	obol_amount_format(price, pr);
	obol_amount_format(total, tot);
	fprintf(stderr, "vendor: %s (vendor id %llu, certified by the issuer)\nprice: %s per unit\n",
		peer != NULL && peer->kind == OBOL_DL_CRED_VENDOR ? peer->cert.name : "(a merchant, not a vendor)",
		peer != NULL ? (unsigned long long)peer->cert.vendor_id : 0ULL, pr);
	if (units > 0)
		fprintf(stderr, "total: %s for %llu unit(s)\n", tot, (unsigned long long)units);
	else if (cap->has_max_amount) {
		obol_amount_format(&cap->max_amount, tot);
		fprintf(stderr, "total: at most %s\n", tot);
	}
	fprintf(stderr, "pay? [y/N] ");
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return OBOL_E_PAY_DECLINED;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0 ? OBOL_OK : OBOL_E_PAY_DECLINED;
}

obol_err obol_pay_cap(struct obol_devlink *dl, struct obol_paycap *cap)
{
	return obol_payer_cap(obol_devlink_payer(dl), cap);
}

obol_err obol_payer_cap(struct obol_payer *p, struct obol_paycap *cap)
{
	obol_err e;
	memset(cap, 0, sizeof *cap);
	if (p == NULL)
		return OBOL_OK;
	if ((e = load_cap(p)) != OBOL_OK)
		return e;
	*cap = p->cap;
	return OBOL_OK;
}

obol_err obol_pay_offer(struct obol_devlink *dl, const char *scheme, const struct obol_amount *price, uint64_t units)
{
	return obol_payer_offer(obol_devlink_payer(dl), dl, scheme, price, units);
}

obol_err obol_payer_offer(struct obol_payer *p, const struct obol_devlink *dl, const char *scheme,
			  const struct obol_amount *price, uint64_t units)
{
	struct obol_amount total;
	obol_err e;
	if (p == NULL)
		return OBOL_OK;
	if ((e = load_cap(p)) != OBOL_OK)
		return e;
	/* the same payment's price again (a new offer mid-session) is judged again */
	if ((!p->active || strcmp(p->scheme, scheme) != 0) && (e = begin(p, dl, scheme, price, units)) != OBOL_OK)
		return e;
	if ((e = obol_paycap_offer(&p->cap, price, units, &total)) != OBOL_OK)
		return end_refused(p, e);
	if (p->ask) {
		int cmp = 1;
		if (p->asked && obol_amount_cmp(&total, &p->asked_total, &cmp) != OBOL_OK)
			cmp = 1;
		if (cmp > 0 && (e = ask(dl, price, units, &total, &p->cap)) != OBOL_OK)
			return end_refused(p, e);
		if (cmp > 0) {
			p->asked_total = total;
			p->asked = true;
		}
	}
	return OBOL_OK;
}

obol_err obol_pay_hand(struct obol_devlink *dl, const struct obol_amount *more)
{
	return obol_payer_hand(obol_devlink_payer(dl), more);
}

obol_err obol_payer_hand(struct obol_payer *p, const struct obol_amount *more)
{
	obol_err e;
	if (p == NULL)
		return OBOL_OK;
	if (!p->active)
		return OBOL_E_INTERNAL; /* value before an offer: a scheme's hook is missing */
	if ((e = obol_paycap_hand(&p->cap, &p->handed, &p->has_handed, more)) != OBOL_OK)
		return end_refused(p, e);
	return set_amount(entry_of(p), "amount", &p->handed);
}

obol_err obol_pay_sent(struct obol_devlink *dl, const struct obol_fields *body)
{
	struct obol_payer *p = obol_devlink_payer(dl);
	if (p == NULL || !p->active || p->has_id)
		return OBOL_OK;
	obol_err e = obol_receipt_payment_id_of(body, p->id);
	p->has_id = e == OBOL_OK;
	return e;
}

void obol_pay_refused(struct obol_devlink *dl, obol_err why)
{
	struct obol_payer *p = obol_devlink_payer(dl);
	if (p != NULL && p->active && end_refused(p, why) != why)
		obol_log_error("payer: a refused payment could not be written to the history");
}

void obol_pay_failed(struct obol_devlink *dl, obol_err why)
{
	obol_payer_failed(obol_devlink_payer(dl), why);
}

void obol_payer_failed(struct obol_payer *p, obol_err why)
{
	json_t *o;
	if (p == NULL || !p->active)
		return;
	if (!p->has_handed) {
		if (end_refused(p, why) != why)
			obol_log_error("payer: a refused payment could not be written to the history");
		return;
	}
	o = entry_of(p);
	p->active = false;
	if (set_str(o, "error", obol_strerror(why)) != OBOL_OK || obol_wallet_save(p->w) != OBOL_OK)
		obol_log_error("payer: a payment in doubt could not be written to the history");
}

/* Reads the RECEIPT frame and judges it: OK, or why it is not valid. */
static obol_err take_receipt(struct obol_payer *p, struct obol_devlink *dl, uint64_t units,
			     struct obol_receipt *r)
{
	const struct obol_devlink_peer *peer = obol_devlink_peer(dl);
	struct obol_receipt_spec sp;
	const uint8_t *body;
	size_t len;
	uint32_t type;
	obol_err e;
	if (peer == NULL || peer->kind != OBOL_DL_CRED_VENDOR || !p->has_id || !p->has_handed)
		return OBOL_E_RECEIPT_MISSING;
	if (obol_devlink_read(dl, &type, &body, &len) != OBOL_OK || type != OBOL_DL_TYPE_RECEIPT)
		return OBOL_E_RECEIPT_MISSING;
	memset(r, 0, sizeof *r);
	obol_receipt_spec(r, &sp);
	if (obol_cbor_decode(body, len, &sp.fields) != OBOL_OK)
		return OBOL_E_RECEIPT_INVALID;
	if ((e = obol_receipt_verify(r, &peer->cert)) != OBOL_OK)
		return e;
	return obol_receipt_match(r, p->scheme, p->id, &p->handed, units);
}

static const char *receipt_state(obol_err e)
{
	switch (e) {
	case OBOL_OK: return "valid";
	case OBOL_E_RECEIPT_MISSING: return "missing";
	case OBOL_E_RECEIPT_MISMATCH: return "mismatch";
	default: return "invalid";
	}
}

obol_err obol_pay_receipt(struct obol_devlink *dl, uint64_t units)
{
	struct obol_payer *p = obol_devlink_payer(dl);
	struct obol_receipt r;
	struct obol_receipt_spec sp;
	json_t *o, *rj = NULL;
	obol_err e, se;
	if (p == NULL || !p->active)
		return OBOL_OK;
	/* a wallet taking a payment (ecash receive) is no certified vendor: it signs no receipt */
	bool vendor = obol_devlink_peer(dl) != NULL && obol_devlink_peer(dl)->kind == OBOL_DL_CRED_VENDOR;
	e = vendor ? take_receipt(p, dl, units, &r) : OBOL_E_RECEIPT_MISSING;
	o = entry_of(p);
	se = set_str(o, "state", "paid");
	if (se == OBOL_OK && p->has_handed)
		se = set_amount(o, "amount", &p->handed);
	if (se == OBOL_OK && json_object_set_new(o, "units", json_integer((json_int_t)units)) != 0)
		se = OBOL_E_NO_MEMORY;
	if (se == OBOL_OK)
		se = set_str(o, "receipt_state", vendor ? receipt_state(e) : "the payee is a wallet, not a certified vendor");
	if (se == OBOL_OK && e == OBOL_OK) {
		obol_receipt_spec(&r, &sp);
		if ((se = obol_json_encode(&sp.fields, &rj)) == OBOL_OK && json_object_set_new(o, "receipt", rj) != 0)
			se = OBOL_E_NO_MEMORY;
	}
	if (!vendor)
		e = OBOL_OK;
	if (se == OBOL_OK && e != OBOL_OK)
		se = set_str(o, "error", obol_strerror(e));
	p->active = false;
	if (se == OBOL_OK)
		se = obol_wallet_save(p->w);
	/* the value has left: the payment stands, and the payer is told */
	if (e != OBOL_OK)
		fprintf(stderr, "receipt: %s: the payment was made; the history keeps it without a valid receipt (%s)\n",
			obol_strerror(e), obol_errhint(e));
	return se;
}
