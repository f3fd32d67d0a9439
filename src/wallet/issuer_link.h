/* The wallet's connections: an HTTP client to the issuer it pinned,
 * refreshing the pinned key document, and device links to vendors certified
 * by that issuer.
 *
 * Account flow (wallet side of "Running the three roles by hand", README):
 *   obol wallet init --wallet W --issuer URL --account NAME
 *     draws the account key pair, stores it with id 0 ("not yet known"),
 *     prints "account-key: B64" for
 *   obol issuer account add --db DB --name NAME --auth-key B64
 *     after which the wallet learns its id on first use through
 *     GET /account/by-key/B64 (obol_wallet_client does it and saves). */
#ifndef OBOL_WALLET_ISSUER_LINK_H
#define OBOL_WALLET_ISSUER_LINK_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "net/devlink.h"
#include "net/http_client.h"
#include "wallet/file.h"

/* How the wallet reaches its issuer, kept in the wallet file's "issuer"
 * object beside the URL (set by `wallet init --issuer-ca FILE
 * --insecure-http`): "ca", the PEM CA to verify its https:// certificate
 * against (absent: the system's store), and "insecure_http": true to allow
 * plain http:// to a non-loopback address (see obol_http_url_check). */
OBOL_MUST_CHECK obol_err obol_wallet_set_issuer_trust(struct obol_wallet *w, const char *ca_pem, bool insecure_http);
/* Makes the process follow the wallet's trust for its issuer's origin
 * (obol_http_trust_set): HTTP_INSECURE when the stored URL breaks the
 * policy. obol_wallet_client does it; so must any other path that reaches
 * the issuer. */
OBOL_MUST_CHECK obol_err obol_wallet_trust_issuer(struct obol_wallet *w);

/* A client to the wallet's issuer. With auth, it is authenticated as the
 * wallet's account (resolving and saving the account id first when it is 0:
 * NOT_FOUND when the wallet has no account, or the issuer knows no account
 * with its key). When the wallet last verified the issuer's key document
 * OBOL_KEYS_DOC_REFRESH_S ago or more (or never), it first fetches and
 * verifies GET /keys on that client, so it learns the issuer's next online
 * keys and revocations (schemes/common/issuer_sig.h) whichever scheme it
 * uses; a failure there is logged and changes nothing. Caller frees. */
OBOL_MUST_CHECK obol_err obol_wallet_client(struct obol_wallet *w, bool auth, struct obol_http_client **out);

/* Fetches GET /keys, verifies it against the wallet's pinned master key and
 * returns the inner "keys" object (new reference). KEYS_INVALID when it does
 * not verify. A document that verifies is registered (keys_doc.h) and its
 * time noted (obol_wallet_keys_fetched); the wallet file keeps its online
 * keys at the next save (wallet/file.h). */
OBOL_MUST_CHECK obol_err obol_wallet_fetch_keys(struct obol_wallet *w, json_t **keys);

/* Whether the key document is due again at now (obol_keys_doc_due over the
 * wallet's last verified fetch; due when it has none). */
bool obol_wallet_keys_due(struct obol_wallet *w, int64_t now);

/* Notes in the issuer object ("keys_fetched_at") that the wallet verified
 * the issuer's key document at now; saved with the next save. */
OBOL_MUST_CHECK obol_err obol_wallet_keys_fetched(struct obol_wallet *w, int64_t now);

/* Opens a device link to the vendor at addr (src/net/devlink.h): the
 * handshake must prove the box key of a vendor certificate that the wallet's
 * pinned issuer signed and that is valid now. */
OBOL_MUST_CHECK obol_err obol_wallet_connect_vendor(struct obol_wallet *w, const char *addr, struct obol_devlink **out);

#endif
