/* The vendor's product page (seed 003 §3.3 integration, §3.5: "the web
 * application responsible for the product will then check the authorization
 * against the database and deliver the product"):
 *
 *   GET /payword/product/ID?auth=N   the content of DIR/payword-products/ID,
 *                                    with its type, when N is the
 *                                    authorisation number of a sale of ID
 *
 * A valid number may fetch its product again (the seed's atomicity flaw: "if
 * the connection is lost at this last stage, the system cannot recover it";
 * here the wallet just asks again). Anything else is PAYWORD_AUTH_INVALID
 * and delivers nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "vendor/payword_vendor.h"
#include "vendor/vendor_files.h"

#define PRODUCT_MAX_BYTES (4u << 20)

struct auth_check {
	const char *product;
	int64_t auth;
};

static obol_err auth_fn(struct obol_store *s, void *ctx)
{
	struct auth_check *a = ctx;
	return payword_vendor_sale_by_auth(s, a->product, a->auth);
}

static obol_err read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0;
	if (f == NULL)
		return OBOL_E_NOT_FOUND;
	buf = malloc(PRODUCT_MAX_BYTES);
	if (buf != NULL)
		n = fread(buf, 1, PRODUCT_MAX_BYTES, f);
	int bad = ferror(f) || !feof(f);
	fclose(f);
	if (buf == NULL)
		return OBOL_E_NO_MEMORY;
	if (bad) {
		free(buf);
		return OBOL_E_IO;
	}
	*out = buf;
	*len = n;
	return OBOL_OK;
}

static obol_err get_product(struct obol_vendor *v, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct payword_vendor_state *st = obol_vendor_scheme_state(v, "payword");
	const char *q = obol_http_req_query(req, "auth");
	const struct payword_product *p;
	char name[PAYWORD_PRODUCT_MAX + 32], path[PATH_MAX];
	struct auth_check a = { req->tail, 0 };
	uint64_t auth;
	obol_err e;
	if (st == NULL)
		return OBOL_E_PAYWORD_VENDOR_MODE;
	if (!payword_product_id_valid(req->tail) || (p = payword_vendor_product(st, req->tail)) == NULL)
		return OBOL_E_NOT_FOUND;
	if (q == NULL || obol_parse_u64(q, 1, INT64_MAX, &auth) != OBOL_OK) {
		obol_http_reply_detail(rep, "pay first, then ask with ?auth=N (the authorisation number)");
		return OBOL_E_PAYWORD_AUTH_INVALID;
	}
	a.auth = (int64_t)auth;
	if ((e = obol_vendor_run(v, auth_fn, &a)) != OBOL_OK)
		return e;
	snprintf(name, sizeof(name), "payword-products/%s", p->id);
	if ((e = obol_vendor_file_path(st->dir, name, path)) != OBOL_OK ||
	    (e = read_file(path, &rep->raw, &rep->raw_len)) != OBOL_OK)
		return e;
	rep->content_type = p->type;
	return OBOL_OK;
}
OBOL_VENDOR_ROUTE(route_pw_product, "GET", "/payword/product/", get_product)
