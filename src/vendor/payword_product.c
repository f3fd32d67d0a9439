/* The vendor's product page (seed 003 §3.3 integration, §3.5: "the web
 * application responsible for the product will then check the authorization
 * against the database and deliver the product"):
 *
 *   GET /payword/product/ID?auth=N&time=T&sig=B64
 *       the content of DIR/payword-products/ID, with its type, when N is the
 *       authorisation number of a sale of ID and sig is the buyer's
 *       signature (the key its certificate names) over this vendor, N, T
 *       and ID, with T within PAYWORD_FETCH_WINDOW of the vendor's clock
 *       (struct payword_fetch)
 *
 * An authorisation number is thus worth nothing to anyone but its buyer,
 * and the buyer may fetch its product again (the seed's atomicity flaw: "if
 * the connection is lost at this last stage, the system cannot recover it";
 * here the wallet keeps the number and asks again). Anything else is
 * PAYWORD_AUTH_INVALID and delivers nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "vendor/payword_vendor.h"
#include "vendor/vendor_files.h"

#define PRODUCT_MAX_BYTES (4u << 20)

struct auth_check {
	const char *product;
	int64_t auth;
	struct payword_vendor_sale sale;
};

static obol_err auth_fn(struct obol_store *s, void *ctx)
{
	struct auth_check *a = ctx;
	return payword_vendor_sale_by_auth(s, a->product, a->auth, &a->sale);
}

/* The signed request from the query: auth, time, sig. */
static obol_err fetch_from_query(const struct obol_http_req *req, const char *product, uint64_t vendor,
				 struct payword_fetch *f)
{
	const char *a = obol_http_req_query(req, "auth"), *t = obol_http_req_query(req, "time"),
		   *sig = obol_http_req_query(req, "sig");
	uint64_t auth, time;
	size_t n = 0;
	memset(f, 0, sizeof(*f));
	if (a == NULL || t == NULL || sig == NULL || obol_parse_u64(a, 1, INT64_MAX, &auth) != OBOL_OK ||
	    obol_parse_u64(t, 0, INT64_MAX, &time) != OBOL_OK ||
	    obol_b64_decode(sig, f->sig, sizeof(f->sig), &n, 0) != OBOL_OK || n != OBOL_SIGN_LEN)
		return OBOL_E_PAYWORD_AUTH_INVALID;
	f->vendor = vendor;
	f->auth = (int64_t)auth;
	f->time = (int64_t)time;
	snprintf(f->product, sizeof(f->product), "%s", product);
	return OBOL_OK;
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
	const struct payword_product *p;
	char name[PAYWORD_PRODUCT_MAX + 32], path[PATH_MAX];
	struct auth_check a;
	struct payword_fetch f;
	obol_err e;
	if (st == NULL)
		return OBOL_E_PAYWORD_VENDOR_MODE;
	if (!payword_product_id_valid(req->tail) || (p = payword_vendor_product(st, req->tail)) == NULL)
		return OBOL_E_NOT_FOUND;
	memset(&a, 0, sizeof(a));
	a.product = req->tail;
	if ((e = fetch_from_query(req, req->tail, st->cfg.vendor_id, &f)) != OBOL_OK) {
		obol_http_reply_detail(rep, "pay first, then ask with ?auth=N&time=T&sig=S, signed by the buyer "
					    "('obol wallet payword fetch')");
		return e;
	}
	a.auth = f.auth;
	if ((e = obol_vendor_run(v, auth_fn, &a)) != OBOL_OK ||
	    (e = payword_vendor_fetch_check(&st->cfg, &a.sale, &f, obol_now())) != OBOL_OK)
		return e;
	snprintf(name, sizeof(name), "payword-products/%s", p->id);
	if ((e = obol_vendor_file_path(st->dir, name, path)) != OBOL_OK ||
	    (e = read_file(path, &rep->raw, &rep->raw_len)) != OBOL_OK)
		return e;
	rep->content_type = p->type;
	return OBOL_OK;
}
OBOL_VENDOR_ROUTE(route_pw_product, "GET", "/payword/product/", get_product)
