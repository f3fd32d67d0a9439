/* The wallet's history (history.h). */
#include "wallet/history.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "schemes/common/receipt.h"
#include "wire/json.h"

static json_t *history_array(struct obol_wallet *w, bool create)
{
	json_t *doc = obol_wallet_doc(w), *a = json_object_get(doc, "history");
	if (a != NULL || !create)
		return json_is_array(a) ? a : NULL;
	a = json_array();
	if (a == NULL || json_object_set_new(doc, "history", a) != 0)
		return NULL;
	return a;
}

obol_err obol_history_append(struct obol_wallet *w, json_t *entry, size_t *index)
{
	json_t *a = history_array(w, true);
	size_t n;
	if (a == NULL || entry == NULL) {
		json_decref(entry);
		return a == NULL && json_object_get(obol_wallet_doc(w), "history") ? OBOL_E_WALLET_FILE : OBOL_E_NO_MEMORY;
	}
	n = json_array_size(a);
	json_int_t seq = n ? json_integer_value(json_object_get(json_array_get(a, n - 1), "seq")) + 1 : 1;
	if (json_object_set_new(entry, "seq", json_integer(seq)) != 0 || json_array_append_new(a, entry) != 0)
		return OBOL_E_NO_MEMORY;
	if (index)
		*index = n;
	return OBOL_OK;
}

json_t *obol_history_at(struct obol_wallet *w, size_t index)
{
	return json_array_get(history_array(w, false), index);
}

obol_err obol_history_note(struct obol_wallet *w, const char *kind, const char *scheme,
			   const struct obol_amount *amount, const char *state)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "kind", kind, "scheme", scheme, "time", (json_int_t)obol_now(),
			      "state", state ? state : "done");
	char text[OBOL_AMOUNT_STR_MAX];
	if (o != NULL && amount != NULL) {
		obol_amount_format(amount, text);
		if (json_object_set_new(o, "amount", json_string(text)) != 0) {
			json_decref(o);
			return OBOL_E_NO_MEMORY;
		}
	}
	return obol_history_append(w, o, NULL);
}

/* Whether the entry's receipt verifies now: its vendor certificate under the
 * issuer key (as of the certificate's own start: an expired certificate
 * still proves what it signed while valid), the receipt under the
 * certificate, for the payment id kept with it. */
static bool receipt_verified(struct obol_wallet *w, const json_t *entry)
{
	const json_t *rj = json_object_get(entry, "receipt");
	const char *cert_text = json_string_value(json_object_get(json_object_get(entry, "vendor"), "cert"));
	struct obol_vendor_cert cert;
	struct obol_receipt r;
	struct obol_receipt_spec sp;
	uint8_t master[32];
	if (rj == NULL || cert_text == NULL ||
	    obol_wallet_issuer(w, NULL, master, NULL, NULL) != OBOL_OK ||
	    obol_vendor_cert_from_text(cert_text, &cert) != OBOL_OK ||
	    obol_vendor_cert_verify(&cert, master, cert.valid_from) != OBOL_OK)
		return false;
	memset(&r, 0, sizeof r);
	obol_receipt_spec(&r, &sp);
	return obol_json_decode(rj, &sp.fields) == OBOL_OK && obol_receipt_verify(&r, &cert) == OBOL_OK;
}

static const char *str_of(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

static void print_line(struct obol_wallet *w, const json_t *e, FILE *out)
{
	const json_t *vendor = json_object_get(e, "vendor");
	time_t t = (time_t)json_integer_value(json_object_get(e, "time"));
	struct tm tm;
	char when[32] = "?";
	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(out, "#%" JSON_INTEGER_FORMAT " %s %-10s %-7s %-8s %s", json_integer_value(json_object_get(e, "seq")), when,
		str_of(e, "kind", "?"), str_of(e, "scheme", "?"), str_of(e, "state", "?"), str_of(e, "amount", "-"));
	if (json_object_get(e, "units"))
		fprintf(out, " for %" JSON_INTEGER_FORMAT " unit(s)", json_integer_value(json_object_get(e, "units")));
	if (vendor)
		fprintf(out, " at %s (vendor %" JSON_INTEGER_FORMAT ")", str_of(vendor, "name", "?"),
			json_integer_value(json_object_get(vendor, "id")));
	if (strcmp(str_of(e, "kind", ""), "payment") == 0 && strcmp(str_of(e, "state", ""), "paid") == 0) {
		if (vendor == NULL)
			fprintf(out, "; no receipt (%s)", str_of(e, "receipt_state", "the payee is no certified vendor"));
		else
			fprintf(out, receipt_verified(w, e) ? "; receipt: verified" : "; receipt: NONE VALID (%s)",
				str_of(e, "receipt_state", "missing"));
	}
	if (json_object_get(e, "error"))
		fprintf(out, "; %s", str_of(e, "error", ""));
	fputc('\n', out);
}

obol_err obol_history_print(struct obol_wallet *w, bool json, FILE *out)
{
	json_t *a = history_array(w, false), *copy = NULL, *e;
	size_t i;
	if (a == NULL && json_object_get(obol_wallet_doc(w), "history") != NULL)
		return OBOL_E_WALLET_FILE;
	if (!json) {
		json_array_foreach(a, i, e)
			print_line(w, e, out);
		if (json_array_size(a) == 0)
			fprintf(out, "no payments, top-ups, withdrawals or refunds yet\n");
		return OBOL_OK;
	}
	if ((copy = a ? json_deep_copy(a) : json_array()) == NULL)
		return OBOL_E_NO_MEMORY;
	json_array_foreach(copy, i, e) {
		if (strcmp(str_of(e, "kind", ""), "payment") == 0 &&
		    json_object_set_new(e, "receipt_verified", json_boolean(receipt_verified(w, e))) != 0) {
			json_decref(copy);
			return OBOL_E_NO_MEMORY;
		}
	}
	int rc = json_dumpf(copy, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(copy);
	return rc == 0 ? OBOL_OK : OBOL_E_INTERNAL;
}
