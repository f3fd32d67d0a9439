/* Renewal of the vendor's certificate by the vendor daemon itself.
 *
 * While the daemon runs, a worker looks at the certificate every check
 * interval; from `margin` seconds before its valid_until on, it asks the
 * issuer for a new one (POST /vendor/renew, authenticated with the vendor's
 * signing key; the request id is derived from the certificate being renewed,
 * so a retry, even after a restart, gets the same answer). The daemon keeps
 * serving under the old certificate until the new one is in hand and
 * checked (obol_vendor_renewal_check), then writes it to DIR/vendor.cert,
 * makes it the current one (new device links present it) and tells each
 * scheme (its cert_renewed hook). Payments taken under the old certificate
 * stay the vendor's: the issuer credits them after it expired
 * (src/issuer/vendors.h).
 *
 * A certificate that expired while the daemon was down is renewed by the
 * operator (`obol issuer vendor add` with the same name and keys); the
 * daemon then fetches it at start (GET /vendor/cert). */
#ifndef OBOL_VENDOR_RENEW_H
#define OBOL_VENDOR_RENEW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "schemes/common/vendor_cert.h"

#define OBOL_VENDOR_RENEW_MARGIN_DAYS_DEFAULT 30
#define OBOL_VENDOR_RENEW_CHECK_S_DEFAULT 3600

struct obol_vendor;
struct obol_vendor_renewer;

/* Whether cur is due for renewal at now: within margin_s of its end. */
bool obol_vendor_renewal_due(const struct obol_vendor_cert *cur, int64_t margin_s, int64_t now);

/* Checks a certificate the issuer answered to a renewal of cur: signed by
 * the issuer (VENDOR_CERT_INVALID), valid at now (VENDOR_CERT_EXPIRED), for
 * the same vendor, account, name and keys (VENDOR_CERT_INVALID), and
 * ending after cur (VENDOR_CERT_NOT_RENEWED: the issuer gave the current one
 * back). */
OBOL_MUST_CHECK obol_err obol_vendor_renewal_check(const struct obol_vendor_cert *cur,
						   const struct obol_vendor_cert *fresh,
						   const uint8_t issuer_pk[static 32], int64_t now);

/* The request id of the renewal of cur: "renew-" and base64url of H(C). */
OBOL_MUST_CHECK obol_err obol_vendor_renewal_id(const struct obol_vendor_cert *cur, char out[64]);

/* One look: the issuer's key document fetched again when due
 * (obol_vendor_keys_refresh_due), each scheme's own renewal (its renew hook, e.g. the ecash
 * merchant key), then the certificate's when due. *renewed tells whether
 * the certificate changed. NETWORK (the issuer is away) and the issuer's refusals are
 * returned; the old certificate stays current. */
OBOL_MUST_CHECK obol_err obol_vendor_renew_pass(struct obol_vendor *v, int64_t margin_s, int64_t now,
						bool *renewed);

/* The worker: a pass every check_ms milliseconds, the first one interval
 * after the start. */
OBOL_MUST_CHECK obol_err obol_vendor_renewer_start(struct obol_vendor *v, int64_t margin_s, unsigned check_ms,
						   struct obol_vendor_renewer **out);
void obol_vendor_renewer_stop(struct obol_vendor_renewer *r);

#endif
