/* The size of an answer as a client receives it, for the tests that bound
 * what a list fetch costs (the payword CRL, the ecash revocation list, the
 * codex blacklist and directory pages). */
#ifndef OBOL_TESTS_HTTP_BYTES_H
#define OBOL_TESTS_HTTP_BYTES_H

#include <stddef.h>

#include "net/http_client.h"

/* The bytes of the JSON answer to GET target, in its compact form; 0 when
 * the request fails. */
size_t test_http_body_bytes(struct obol_http_client *c, const char *target);

#endif
