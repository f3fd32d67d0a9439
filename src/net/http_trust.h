/* Internal to src/net: the process's trust per origin (the policy is
 * obol_http_trust_set's, in http_client.h), read by the client. */
#ifndef OBOL_NET_HTTP_TRUST_H
#define OBOL_NET_HTTP_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* For a client to base_url: HTTP_INSECURE when a trust is set for its
 * origin and the URL breaks its policy; else OBOL_OK, with *ca and *ca_len a
 * malloc'ed copy of the origin's CA (NULL, 0: the system's store). */
OBOL_MUST_CHECK obol_err obol_http_trust_for(const char *base_url, char **ca, size_t *ca_len);

#endif
