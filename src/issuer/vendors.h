/* Vendors at the issuer: their accounts and certificates (DESIGN §5 step 1).
 *
 * `obol issuer vendor add` creates the vendor's account (kind VENDOR, its
 * auth key = the vendor's signing key, so the vendor daemon authenticates its
 * requests with the key its certificate names) when no account of that name
 * exists, and issues a new certificate C (src/schemes/common/vendor_cert.h),
 * stored in table vendor_certs (component "issuer"). Every certificate issued
 * stays valid until its valid_until; schemes check C's signature and window
 * and that vendor_id and sign_pk match an active vendor account.
 *
 * Renewal: the vendor daemon asks for a new certificate itself, before its
 * current one expires (POST /vendor/renew, obol_issuer_vendor_renew; the
 * daemon's side is src/vendor/renew.c). A certificate that expired is
 * renewed only by the operator, `obol issuer vendor add` with the same name
 * and signing key: the account, and whatever it is owed, stays the same.
 * Certificates bound the time a vendor may take payments, not its account:
 * the issuer credits a vendor's deposit, settlement or report of a payment
 * made while a certificate was valid after it expired too.
 *
 * A vendor gets its certificate from the file `issuer vendor add --out FILE`
 * writes, or from GET /vendor/cert?sign_pk=B64 (the newest certificate for
 * that signing key, answered as {"cert": TEXT}).
 *
 * All functions run inside the caller's transaction. */
#ifndef OBOL_ISSUER_VENDORS_H
#define OBOL_ISSUER_VENDORS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "issuer/keys.h"
#include "schemes/common/vendor_cert.h"
#include "store/ledger.h"
#include "store/store.h"

#define OBOL_VENDOR_CERT_DAYS_DEFAULT 365
#define OBOL_VENDOR_CERT_DAYS_MAX 3650

/* Creates the vendor_certs table (in the "issuer" migration component). */
OBOL_MUST_CHECK obol_err obol_issuer_vendors_migrate(struct obol_store *s);

/* Creates the vendor account when absent (a user account or a vendor with
 * another auth key under that name is STORE_CONSTRAINT), signs (by signer,
 * the issuer's online key) and stores a certificate valid for valid_days
 * days from now, started OBOL_VENDOR_CERT_BACKDATE_S before now. box_pk may
 * be NULL. */
OBOL_MUST_CHECK obol_err obol_issuer_vendor_add(struct obol_store *s, const struct obol_ed25519_signer *signer,
						const char *name, const uint8_t sign_pk[32],
						const uint8_t *box_pk, unsigned valid_days, int64_t now,
						struct obol_vendor_cert *out);

/* Renewal asked by the vendor of account acc (authenticated by its auth
 * key): a new certificate with the names and keys of its newest one, running
 * from now for as long as that one ran from its signing (at most
 * OBOL_VENDOR_CERT_DAYS_MAX days; started OBOL_VENDOR_CERT_BACKDATE_S before
 * now). The newest one again when it was issued less than a day before now
 * (a retry gets the same certificate). VENDOR_CERT_EXPIRED when the newest
 * certificate is expired or not yet valid (the operator renews it with
 * `issuer vendor add`); VENDOR_UNKNOWN for an account that is no vendor or
 * has no certificate. */
OBOL_MUST_CHECK obol_err obol_issuer_vendor_renew(struct obol_store *s, const struct obol_ed25519_signer *signer,
						  const struct obol_account *acc, int64_t now,
						  struct obol_vendor_cert *out);

/* The newest certificate for a signing key; VENDOR_UNKNOWN when none. */
OBOL_MUST_CHECK obol_err obol_issuer_vendor_cert_by_key(struct obol_store *s, const uint8_t sign_pk[32],
							struct obol_vendor_cert *out);

/* Full check of a certificate presented to the issuer by a scheme: signature
 * and window under the issuer key (VENDOR_CERT_INVALID / VENDOR_CERT_EXPIRED),
 * and its vendor_id names an active vendor account whose auth key is
 * cert->sign_pk (VENDOR_UNKNOWN, LEDGER_ACCOUNT_CLOSED). */
OBOL_MUST_CHECK obol_err obol_issuer_vendor_check(struct obol_store *s, const struct obol_issuer_keys *keys,
						  const struct obol_vendor_cert *cert, int64_t now);

#endif
