/* The coupon scheme's cheating vendors' common ground (coupon_party.h). */
#include "coupon_party.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/secret.h"
#include "schemes/common/keys_doc.h"
#include "vendor/vendor.h"
#include "wire/json.h"

const char *coupon_party_arg(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

obol_err coupon_party_open(struct coupon_party *p, const char *dir, const char *url, const char *listen,
			   const char *price)
{
	struct obol_vendor_cert c;
	char *text = NULL;
	size_t len;
	long status;
	json_t *keys = NULL;
	uint16_t port;
	obol_err e;
	memset(p, 0, sizeof(*p));
	p->listen_fd = -1;
	if ((e = obol_crypto_init()) != OBOL_OK || (e = obol_vendor_keys_load(dir, &p->sign, &p->box)) != OBOL_OK ||
	    (e = obol_vendor_cert_load(dir, &c)) != OBOL_OK ||
	    (e = obol_vendor_cert_encode(&c, p->cert, sizeof(p->cert), &p->cert_len)) != OBOL_OK ||
	    (e = obol_http_client_new(url, 0, &p->http)) != OBOL_OK ||
	    (e = obol_http_request(p->http, "GET", "/keys", NULL, 0, 0, &status, &text, &len)) != OBOL_OK)
		goto out;
	if (status != 200 ||
	    (e = obol_keys_doc_verify(text, len, NULL, &keys, p->issuer_pk, NULL, NULL)) != OBOL_OK ||
	    (e = coupon_keys_parse(json_object_get(keys, "coupon"), &p->keys)) != OBOL_OK) {
		e = e == OBOL_OK ? OBOL_E_PEER_ERROR : e;
		goto out;
	}
	obol_http_client_set_account(p->http, (int64_t)c.vendor_id, p->sign.sk);
	struct coupon_vendor_cfg *cfg = &p->cfg;
	cfg->cert = p->cert;
	cfg->cert_len = p->cert_len;
	obol_sha256(cfg->cert_hash, p->cert, p->cert_len);
	cfg->sign_sk = p->sign.sk;
	memcpy(cfg->issuer_pk, p->issuer_pk, 32);
	cfg->denoms = p->keys.denoms;
	cfg->ndenoms = p->keys.ndenoms;
	if ((e = obol_amount_parse(price, &cfg->price)) != OBOL_OK)
		goto out;
	cfg->lock_s = p->keys.lock_max_s < 300 ? p->keys.lock_max_s : 300;
	cfg->margin_s = 0; /* a cheat serves (or takes) until T */
	if ((e = obol_devlink_listen(listen, &p->listen_fd, &port)) != OBOL_OK)
		goto out;
	printf("listening on 127.0.0.1:%u\n", (unsigned)port);
	fflush(stdout);
out:
	free(text);
	json_decref(keys);
	return e;
}

void coupon_party_close(struct coupon_party *p)
{
	obol_http_client_free(p->http);
	coupon_keys_free(&p->keys);
	obol_wipe(&p->sign, sizeof(p->sign));
	obol_wipe(&p->box, sizeof(p->box));
}

obol_err coupon_party_accept(struct coupon_party *p, int timeout_s, struct obol_devlink **dl)
{
	struct obol_devlink_identity me = { .key = &p->box, .kind = OBOL_DL_CRED_VENDOR, .cred = p->cert,
					    .cred_len = p->cert_len };
	obol_err e = obol_devlink_accept(p->listen_fd, timeout_s * 1000, 20000, dl);
	if (e == OBOL_OK && (e = obol_devlink_respond(*dl, &me)) != OBOL_OK) {
		obol_devlink_close(*dl);
		*dl = NULL;
	}
	return e;
}

static obol_err post(struct coupon_party *p, const char *path, struct coupon_spec *in, struct coupon_spec *out)
{
	json_t *body = NULL, *ans = NULL;
	obol_err e = obol_json_encode(&in->fields, &body);
	if (e == OBOL_OK)
		e = obol_http_post_json(p->http, path, body, OBOL_HTTP_AUTH, &ans);
	if (e == OBOL_OK)
		e = obol_json_decode(ans, &out->fields);
	json_decref(body);
	json_decref(ans);
	return e;
}

obol_err coupon_party_lock(struct coupon_party *p, const struct coupon_lock_req *req, struct coupon_lock_reply *reply)
{
	struct coupon_spec in, out;
	memset(reply, 0, sizeof(*reply));
	coupon_spec_lock_req(&in, (struct coupon_lock_req *)req);
	coupon_spec_lock_reply(&out, reply);
	return post(p, "/coupon/lock", &in, &out);
}

obol_err coupon_party_settle(struct coupon_party *p, const struct coupon_vendor_coin *c,
			     struct coupon_settle_reply *reply)
{
	static struct coupon_settle_req req;
	struct coupon_spec in, out;
	coupon_vendor_settle_req(&p->cfg, c, false, &req);
	memset(reply, 0, sizeof(*reply));
	coupon_spec_settle_req(&in, &req);
	coupon_spec_settle_reply(&out, reply);
	return post(p, "/coupon/settle", &in, &out);
}

obol_err coupon_party_send(struct obol_devlink *dl, uint32_t type, struct coupon_spec *spec)
{
	return obol_devlink_write(dl, type, &spec->fields);
}
