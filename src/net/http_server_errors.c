/* libmicrohttpd's own refusals with obol's error body.
 *
 * libmicrohttpd answers some requests itself, before any obol code sees
 * them: a request line or headers larger than a connection's memory (431, or
 * 414 for the line), a request it cannot parse, an HTTP/1.1 request without
 * Host, a Content-Length or chunk size it cannot read (400), one too large
 * for 64 bits (413), an HTTP version it does not serve (505). It builds
 * those answers from static HTML strings of its own, through
 * MHD_create_response_from_buffer(len, text, MHD_RESPMEM_PERSISTENT), and has
 * no option to choose their body (neither in 0.9.75, Debian 12's, nor
 * later). So the program defines MHD_create_response_from_buffer itself:
 * libmicrohttpd calls its exported functions through its PLT, where a
 * definition in the program comes first, and this one hands every call to
 * libmicrohttpd's own (dlsym RTLD_NEXT) except for those HTML refusals,
 * which it replaces with obol's body {"code","name","hint","detail"} as
 * application/json: HTTP_HEADER_TOO_LARGE, HTTP_MALFORMED_REQUEST or
 * WIRE_OVERSIZED by the refusal's title, the title as detail. The status is
 * libmicrohttpd's. obol's own code never makes PERSISTENT responses, so no
 * answer of obol's can be taken for one of these. tests/unit/net's
 * http_abuse cases send each kind and check the body: a libmicrohttpd that
 * stopped calling through its PLT would fail them. */
#include <dlfcn.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "net/http_server_int.h"
#include "wire/json.h"

#define MHD_REFUSAL_PREFIX "<html><head><title>"

typedef struct MHD_Response *(*create_fn)(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode);

/* obol's error for one of libmicrohttpd's refusals, by its title. */
static obol_err refusal_error(const char *title, size_t len)
{
	static const struct {
		const char *title;
		obol_err e;
	} map[] = {
		{ "Request too big", OBOL_E_HTTP_HEADER_TOO_LARGE },
		{ "Request content too large", OBOL_E_WIRE_OVERSIZED },
		{ "Internal server error", OBOL_E_INTERNAL },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strlen(map[i].title) == len && memcmp(title, map[i].title, len) == 0)
			return map[i].e;
	return OBOL_E_HTTP_MALFORMED_REQUEST;
}

/* The JSON body for an HTML refusal of size bytes, or NULL when text is
 * not one. */
static char *refusal_body(const char *text, size_t size)
{
	size_t plen = strlen(MHD_REFUSAL_PREFIX);
	if (size <= plen || memcmp(text, MHD_REFUSAL_PREFIX, plen) != 0)
		return NULL;
	const char *title = text + plen;
	const char *end = memchr(title, '<', size - plen);
	if (end == NULL)
		return NULL;
	char detail[80];
	size_t n = (size_t)(end - title) < sizeof detail - 1 ? (size_t)(end - title) : sizeof detail - 1;
	memcpy(detail, title, n);
	detail[n] = '\0';
	json_t *body = obol_json_error_body(refusal_error(title, (size_t)(end - title)), detail);
	char *out = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	return out;
}

static create_fn real;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void find_real(void)
{
	real = (create_fn)dlsym(RTLD_NEXT, "MHD_create_response_from_buffer");
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	pthread_once(&real_once, find_real);
	if (real == NULL)
		abort(); /* no libmicrohttpd: nothing of the server could work */
	char *json = mode == MHD_RESPMEM_PERSISTENT && buffer != NULL ? refusal_body(buffer, size) : NULL;
	if (json == NULL)
		return real(size, buffer, mode);
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(strlen(json), json, free);
	if (r == NULL) {
		free(json);
		return real(size, buffer, mode);
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return r;
}
