/* TLS files: loading a CA file, and a throwaway certificate for the demo
 * and the tests: an EC P-256 key
 * and a self-signed certificate (CA:TRUE, so it is its own trust anchor for
 * --issuer-ca) naming 127.0.0.1, ::1 and localhost, valid for `days` days.
 * Never for production: docs/operations.md shows real setups. */
#ifndef OBOL_NET_TLS_CERT_H
#define OBOL_NET_TLS_CERT_H

#include "core/error.h"

/* Writes the certificate to cert_path and the key to key_path (mode 0600),
 * both PEM. IO when a file cannot be written, CRYPTO_LIBRARY when OpenSSL
 * fails. */
OBOL_MUST_CHECK obol_err obol_tls_cert_throwaway(const char *cert_path, const char *key_path, unsigned days);

/* Reads a PEM file of CA certificates (--issuer-ca) whole: *pem malloc'ed,
 * NUL-terminated. TLS_CONFIG when it cannot be read, is over 256 KiB or holds
 * no certificate OpenSSL can parse. */
OBOL_MUST_CHECK obol_err obol_tls_ca_load(const char *path, char **pem);

#endif
