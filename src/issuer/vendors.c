/* Vendor accounts and certificates at the issuer (contract in vendors.h). */
#include <string.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "issuer/vendors.h"
#include "store/ledger.h"

#define DAY_S INT64_C(86400)

/* The next certificate serial: one above the largest. */
static obol_err next_serial(struct obol_store *s, int64_t *serial)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT COALESCE(MAX(serial), 0) FROM vendor_certs", &st);
	if (e != OBOL_OK)
		return e;
	e = obol_stmt_step(st, &row);
	if (e == OBOL_OK)
		*serial = row ? obol_stmt_column_int64(st, 0) + 1 : 1;
	obol_stmt_finish(st);
	return e;
}

/* Signs (by signer) a certificate for account id (name, sign_pk, box_pk)
 * valid over [now - OBOL_VENDOR_CERT_BACKDATE_S, until) and stores it under
 * the next serial. */
static obol_err issue_cert(struct obol_store *s, const struct obol_ed25519_signer *signer, int64_t id,
			   const char *name, const uint8_t sign_pk[32], const uint8_t *box_pk, int64_t now,
			   int64_t until, struct obol_vendor_cert *out)
{
	struct obol_stmt *st = NULL;
	uint8_t buf[OBOL_VENDOR_CERT_MAX];
	size_t len;
	int64_t serial;
	bool row;
	obol_err e;

	memset(out, 0, sizeof *out);
	out->vendor_id = (uint64_t)id;
	out->account = (uint64_t)id;
	if (obol_strlcpy_checked(out->name, name, sizeof out->name) != OBOL_OK)
		return OBOL_E_LEDGER_NAME_INVALID;
	memcpy(out->sign_pk, sign_pk, 32);
	if (box_pk != NULL) {
		memcpy(out->box_pk, box_pk, 32);
		out->has_box_pk = true;
	}
	out->valid_from = now - OBOL_VENDOR_CERT_BACKDATE_S;
	/* never past the signing key's acceptance (ed25519_signer.h) */
	out->valid_until = obol_ed25519_signer_cap(signer, until);
	if ((e = obol_vendor_cert_sign(out, signer)) != OBOL_OK ||
	    (e = obol_vendor_cert_encode(out, buf, sizeof buf, &len)) != OBOL_OK || (e = next_serial(s, &serial)) != OBOL_OK)
		return e;
	e = obol_stmt_prepare(s, "INSERT INTO vendor_certs (serial, vendor_id, sign_pk, cert, valid_from, valid_until)"
				 " VALUES (?, ?, ?, ?, ?, ?)", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, serial)) == OBOL_OK && (e = obol_stmt_bind_int64(st, 2, id)) == OBOL_OK &&
	    (e = obol_stmt_bind_blob(st, 3, sign_pk, 32)) == OBOL_OK &&
	    (e = obol_stmt_bind_blob(st, 4, buf, len)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 5, out->valid_from)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 6, out->valid_until)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	return e;
}

obol_err obol_issuer_vendor_add(struct obol_store *s, const struct obol_ed25519_signer *signer, const char *name,
				const uint8_t sign_pk[32], const uint8_t *box_pk, unsigned valid_days, int64_t now,
				struct obol_vendor_cert *out)
{
	struct obol_account acc;
	int64_t id;

	if (valid_days == 0 || valid_days > OBOL_VENDOR_CERT_DAYS_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	obol_err e = obol_account_by_name(s, name, &acc);
	if (e == OBOL_OK) {
		if (acc.kind != OBOL_ACCOUNT_VENDOR || !acc.has_auth_pk || memcmp(acc.auth_pk, sign_pk, 32) != 0)
			return OBOL_E_LEDGER_NAME_TAKEN;
		id = acc.id;
	} else if (e == OBOL_E_LEDGER_ACCOUNT_UNKNOWN || e == OBOL_E_NOT_FOUND) {
		e = obol_account_create(s, OBOL_ACCOUNT_VENDOR, name, sign_pk, &id);
		if (e != OBOL_OK)
			return e;
	} else {
		return e;
	}
	return issue_cert(s, signer, id, name, sign_pk, box_pk, now, now + (int64_t)valid_days * DAY_S, out);
}

obol_err obol_issuer_vendor_renew(struct obol_store *s, const struct obol_ed25519_signer *signer,
				  const struct obol_account *acc, int64_t now, struct obol_vendor_cert *out)
{
	struct obol_vendor_cert cur;
	if (acc->kind != OBOL_ACCOUNT_VENDOR || !acc->has_auth_pk)
		return OBOL_E_VENDOR_UNKNOWN;
	obol_err e = obol_issuer_vendor_cert_by_key(s, acc->auth_pk, &cur);
	if (e != OBOL_OK)
		return e;
	if (cur.vendor_id != (uint64_t)acc->id)
		return OBOL_E_VENDOR_UNKNOWN;
	/* An expired certificate is not renewed on the vendor's word: the
	 * operator issues a new one (`obol issuer vendor add`). */
	if (now < cur.valid_from || now >= cur.valid_until)
		return OBOL_E_VENDOR_CERT_EXPIRED;
	/* Issued within the last day (a retry, or a renewal that crossed
	 * another): the same certificate again, so a vendor adds at most one a
	 * day. It was signed OBOL_VENDOR_CERT_BACKDATE_S after its start. */
	int64_t issued = cur.valid_from + OBOL_VENDOR_CERT_BACKDATE_S;
	if (now - issued < DAY_S) {
		*out = cur;
		return OBOL_OK;
	}
	/* as long as cur ran from its signing */
	int64_t span = cur.valid_until - issued;
	if (span > OBOL_VENDOR_CERT_DAYS_MAX * DAY_S)
		span = OBOL_VENDOR_CERT_DAYS_MAX * DAY_S;
	if (span < DAY_S)
		span = DAY_S;
	return issue_cert(s, signer, acc->id, cur.name, cur.sign_pk, cur.has_box_pk ? cur.box_pk : NULL, now,
			  now + span, out);
}

obol_err obol_issuer_vendor_cert_by_key(struct obol_store *s, const uint8_t sign_pk[32], struct obol_vendor_cert *out)
{
	struct obol_stmt *st;
	bool row;
	size_t len;
	obol_err e = obol_stmt_prepare(s, "SELECT cert FROM vendor_certs WHERE sign_pk = ? ORDER BY serial DESC LIMIT 1",
				       &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, sign_pk, 32)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK) {
		if (!row) {
			e = OBOL_E_VENDOR_UNKNOWN;
		} else {
			const uint8_t *b = obol_stmt_column_blob(st, 0, &len);
			e = obol_vendor_cert_decode(b, len, out);
		}
	}
	obol_stmt_finish(st);
	return e;
}

obol_err obol_issuer_vendor_check(struct obol_store *s, const struct obol_issuer_keys *keys,
				  const struct obol_vendor_cert *cert, int64_t now)
{
	struct obol_account acc;
	obol_err e = obol_vendor_cert_verify(cert, keys->master_pk, now);
	if (e != OBOL_OK)
		return e;
	if (cert->vendor_id == 0 || cert->vendor_id > INT64_MAX)
		return OBOL_E_VENDOR_UNKNOWN;
	e = obol_account_get(s, (int64_t)cert->vendor_id, &acc);
	if (e == OBOL_E_LEDGER_ACCOUNT_UNKNOWN || e == OBOL_E_NOT_FOUND)
		return OBOL_E_VENDOR_UNKNOWN;
	if (e != OBOL_OK)
		return e;
	if (acc.kind != OBOL_ACCOUNT_VENDOR || !acc.has_auth_pk || memcmp(acc.auth_pk, cert->sign_pk, 32) != 0)
		return OBOL_E_VENDOR_UNKNOWN;
	if (acc.status != OBOL_ACCOUNT_ACTIVE)
		return OBOL_E_LEDGER_ACCOUNT_CLOSED;
	return OBOL_OK;
}
