/* The codex scheme in the wallet (codex_wallet.h). */
#include "wallet/codex_wallet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "wallet/issuer_link.h"
#include "wallet/payer.h"
#include "wire/cbor.h"
#include "wire/json.h"

/* ---- the Codex in the wallet file ---------------------------------------- */

obol_err codex_wallet_load(struct obol_wallet *w, struct codex **out)
{
	json_t *sec = obol_wallet_section(w, "codex");
	const char *text;
	uint8_t *buf = NULL;
	size_t cap, n = 0;
	struct codex *c = NULL;
	obol_err e;

	*out = NULL;
	if (!sec)
		return OBOL_E_NO_MEMORY;
	if (!(text = json_string_value(json_object_get(sec, "codex"))))
		return OBOL_E_CODEX_UNKNOWN_USER;
	cap = strlen(text);
	if (!(buf = malloc(cap + 1)) || !(c = codex_alloc())) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_b64_decode(text, buf, cap + 1, &n, 0)) != OBOL_OK || (e = codex_parse(c, buf, n)) != OBOL_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	if (buf) {
		obol_wipe(buf, cap + 1);
		free(buf);
	}
	codex_free(c);
	return e;
}

obol_err codex_wallet_store(struct obol_wallet *w, const struct codex *c)
{
	json_t *sec = obol_wallet_section(w, "codex");
	uint8_t *buf = NULL;
	char *text = NULL;
	size_t n = 0, tcap = 0;
	obol_err e;
	if (!sec)
		return OBOL_E_NO_MEMORY;
	if ((e = codex_serialize(c, &buf, &n)) != OBOL_OK)
		return e;
	tcap = OBOL_B64_LEN(n);
	if (!(text = malloc(tcap))) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_b64_encode(buf, n, text, tcap)) != OBOL_OK)
		goto out;
	if (json_object_set_new(sec, "codex", json_string(text)) != 0) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	e = obol_wallet_save(w);
out:
	if (text) {
		obol_wipe(text, tcap);
		free(text);
	}
	obol_wipe(buf, n);
	free(buf);
	return e;
}

/* ---- helpers ------------------------------------------------------------- */

static obol_err get_b64(const json_t *obj, const char *key, uint8_t *out, size_t cap, size_t *n)
{
	const char *t = json_string_value(json_object_get(obj, key));
	if (!t)
		return OBOL_E_WIRE_MISSING_FIELD;
	return obol_b64_decode(t, out, cap, n, 0);
}

static obol_err b64_json(const uint8_t *p, size_t n, json_t **out)
{
	char *t = malloc(OBOL_B64_LEN(n));
	obol_err e;
	*out = NULL;
	if (!t)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_b64_encode(p, n, t, OBOL_B64_LEN(n))) == OBOL_OK && !(*out = json_string(t)))
		e = OBOL_E_NO_MEMORY;
	free(t);
	return e;
}

static obol_err put_b64(json_t *obj, const char *key, const uint8_t *p, size_t n)
{
	json_t *v;
	obol_err e = b64_json(p, n, &v);
	if (e == OBOL_OK && json_object_set_new(obj, key, v) != 0)
		e = OBOL_E_NO_MEMORY;
	return e;
}

static obol_err put_amount(json_t *obj, const char *key, const struct obol_amount *a)
{
	char buf[OBOL_AMOUNT_STR_MAX];
	obol_amount_format(a, buf);
	return json_object_set_new(obj, key, json_string(buf)) == 0 ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static obol_err reply_blacklist(const json_t *reply, struct codex_blacklist *bl)
{
	uint8_t *buf = malloc(CODEX_BLACKLIST_BYTES_MAX);
	size_t n;
	obol_err e;
	if (!buf)
		return OBOL_E_NO_MEMORY;
	if ((e = get_b64(reply, "blacklist", buf, CODEX_BLACKLIST_BYTES_MAX, &n)) == OBOL_OK)
		e = codex_blacklist_decode(buf, n, bl);
	free(buf);
	return e;
}

static void request_id(char out[CODEX_REQUEST_ID_MAX + 1])
{
	uint8_t r[16];
	obol_random(r, sizeof(r));
	if (obol_b64_encode(r, sizeof(r), out, CODEX_REQUEST_ID_MAX + 1) != OBOL_OK)
		out[0] = '\0';
}

/* ---- create account ------------------------------------------------------ */

obol_err codex_wallet_open(struct obol_wallet *w, const struct obol_amount *amount, const struct obol_amount *deposit,
			   struct codex **out)
{
	struct obol_http_client *client = NULL;
	struct obol_box_keypair box;
	struct codex_cert cert;
	struct codex_state st;
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	struct codex *c = codex_alloc();
	uint8_t buf[CODEX_STATE_MAX > CODEX_CERT_MAX ? CODEX_STATE_MAX : CODEX_CERT_MAX];
	uint8_t sk[OBOL_SIGN_SK_LEN], master[32];
	char rid[CODEX_REQUEST_ID_MAX + 1];
	json_t *req = NULL, *reply = NULL;
	struct codex *existing = NULL;
	int64_t id;
	size_t n;
	obol_err e;

	*out = NULL;
	obol_box_keypair_new(&box);
	if (!bl || !c) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = codex_wallet_load(w, &existing)) == OBOL_OK) {
		e = OBOL_E_CODEX_ALREADY_OPEN;
		goto out;
	}
	if (e != OBOL_E_CODEX_UNKNOWN_USER)
		goto out;
	if ((e = obol_wallet_issuer(w, NULL, master, NULL, NULL)) != OBOL_OK ||
	    (e = obol_wallet_client(w, true, &client)) != OBOL_OK || (e = obol_wallet_account(w, &id, sk)) != OBOL_OK)
		goto out;
	request_id(rid);
	if (!(req = json_pack("{s:s}", "request_id", rid))) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = put_b64(req, "box_pk", box.pk, sizeof(box.pk))) != OBOL_OK ||
	    (e = put_amount(req, "amount", amount)) != OBOL_OK || (e = put_amount(req, "deposit", deposit)) != OBOL_OK ||
	    (e = obol_http_post_json(client, "/codex/open", req, OBOL_HTTP_AUTH, &reply)) != OBOL_OK)
		goto out;
	if ((e = get_b64(reply, "cert", buf, sizeof(buf), &n)) != OBOL_OK || (e = codex_cert_decode(buf, n, &cert)) != OBOL_OK ||
	    (e = get_b64(reply, "state", buf, sizeof(buf), &n)) != OBOL_OK || (e = codex_state_decode(buf, n, &st)) != OBOL_OK ||
	    (e = reply_blacklist(reply, bl)) != OBOL_OK)
		goto out;
	if ((e = codex_init(c, master, &cert, &st, bl, sk, &box, obol_now())) != OBOL_OK ||
	    (e = codex_wallet_store(w, c)) != OBOL_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	OBOL_WIPE(box);
	OBOL_WIPE(sk);
	json_decref(req);
	json_decref(reply);
	obol_http_client_free(client);
	codex_free(existing);
	codex_free(c);
	free(bl);
	return e;
}

/* ---- update Codex / delete account ---------------------------------------- */

static obol_err sync_body(const struct codex *c, json_t **out)
{
	uint8_t buf[CODEX_ENTRY_MAX > CODEX_STATE_MAX ? CODEX_ENTRY_MAX : CODEX_STATE_MAX];
	size_t n;
	json_t *req, *ents;
	obol_err e;
	if (!(req = json_pack("{s:s}", "request_id", c->sync_request_id)) || !(ents = json_array()) ||
	    json_object_set_new(req, "entries", ents) != 0) {
		json_decref(req);
		return OBOL_E_NO_MEMORY;
	}
	if ((e = codex_state_encode(&c->state, buf, sizeof(buf), &n)) != OBOL_OK || (e = put_b64(req, "state", buf, n)) != OBOL_OK ||
	    (e = put_amount(req, "balance", &c->balance)) != OBOL_OK ||
	    (c->sync_has_load && (e = put_amount(req, "load", &c->sync_load)) != OBOL_OK))
		goto out;
	for (size_t i = 0; i < c->nlog; i++) {
		json_t *v;
		if ((e = codex_entry_encode(&c->log[i].e, buf, sizeof(buf), &n)) != OBOL_OK ||
		    (e = b64_json(buf, n, &v)) != OBOL_OK)
			goto out;
		if (json_array_append_new(ents, v) != 0) {
			e = OBOL_E_NO_MEMORY;
			goto out;
		}
	}
out:
	if (e != OBOL_OK) {
		json_decref(req);
		return e;
	}
	*out = req;
	return OBOL_OK;
}

static void copy_amount(const json_t *reply, const char *key, char out[OBOL_AMOUNT_STR_MAX])
{
	const char *t = json_string_value(json_object_get(reply, key));
	out[0] = '\0';
	if (t && strlen(t) < OBOL_AMOUNT_STR_MAX)
		memcpy(out, t, strlen(t) + 1);
}

obol_err codex_wallet_sync(struct obol_wallet *w, struct codex *c, const struct obol_amount *load, bool close,
			   struct codex_wallet_sync_info *info)
{
	struct obol_http_client *client = NULL;
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	struct codex_state st;
	uint8_t buf[CODEX_STATE_MAX];
	char rid[CODEX_REQUEST_ID_MAX + 1];
	json_t *req = NULL, *reply = NULL, *settled;
	size_t n, i;
	obol_err e;

	memset(info, 0, sizeof(*info));
	if (!bl)
		return OBOL_E_NO_MEMORY;
	/* a request of the other kind is pending: finish it first, with the
	 * same request id, so a reply that was lost is not lost for good */
	if (c->sync_pending && c->sync_close != close) {
		e = codex_wallet_sync(w, c, NULL, c->sync_close, info);
		if (e == OBOL_OK && info->deleted)
			e = OBOL_E_CODEX_ACCOUNT_DELETED;
		if (e != OBOL_OK)
			goto out;
		memset(info, 0, sizeof(*info));
	}
	if (!c->sync_pending) {
		request_id(rid);
		if ((e = codex_sync_begin(c, rid, close ? NULL : load, close)) != OBOL_OK ||
		    (e = codex_wallet_store(w, c)) != OBOL_OK)
			goto out;
	}
	if ((e = obol_wallet_client(w, true, &client)) != OBOL_OK || (e = sync_body(c, &req)) != OBOL_OK)
		goto out;
	if (close)
		json_object_del(req, "load");
	e = obol_http_post_json(client, close ? "/codex/close" : "/codex/sync", req, OBOL_HTTP_AUTH, &reply);
	if (e != OBOL_OK) {
		/* a definitive refusal changed nothing at the bank: unblock the Codex;
		 * after a network failure keep the request to send it again */
		if (e != OBOL_E_NETWORK && e != OBOL_E_PEER_ERROR && e != OBOL_E_WIRE_OVERSIZED) {
			codex_sync_abandon(c);
			if (codex_wallet_store(w, c) != OBOL_OK)
				e = OBOL_E_IO;
		}
		goto out;
	}
	info->answered = true;
	info->blacklisted = json_is_true(json_object_get(reply, "blacklisted"));
	info->findings = (size_t)json_integer_value(json_object_get(reply, "findings"));
	copy_amount(reply, "value", info->value);
	copy_amount(reply, "paid_out", info->paid_out);
	if (close) {
		info->deleted = json_is_true(json_object_get(reply, "deleted"));
		if (info->deleted) {
			json_object_del(obol_wallet_section(w, "codex"), "codex");
			e = obol_wallet_save(w);
		} else {
			/* found out at this very request: nothing was paid back */
			codex_sync_abandon(c);
			e = codex_wallet_store(w, c);
			if (e == OBOL_OK)
				e = OBOL_E_CODEX_BLACKLISTED;
		}
		goto out;
	}
	if ((e = reply_blacklist(reply, bl)) != OBOL_OK)
		goto out;
	info->renewed = json_is_true(json_object_get(reply, "renewed"));
	if (info->renewed) {
		if ((e = get_b64(reply, "state", buf, sizeof(buf), &n)) != OBOL_OK ||
		    (e = codex_state_decode(buf, n, &st)) != OBOL_OK || (e = codex_sync_apply(c, &st, bl)) != OBOL_OK)
			goto out;
		settled = json_object_get(reply, "settled");
		for (i = 0; i < json_array_size(settled); i++) {
			const json_t *it = json_array_get(settled, i);
			uint8_t id[CODEX_TOKEN_ID_LEN];
			size_t idn;
			if ((e = get_b64(it, "id", id, sizeof(id), &idn)) != OBOL_OK || idn != sizeof(id))
				goto out;
			if ((e = codex_note_settled(c, id, (int64_t)json_integer_value(json_object_get(it, "time")),
						    obol_now())) != OBOL_OK)
				goto out;
		}
	} else {
		/* blacklisted: nothing renewed; the request is over */
		if ((e = codex_set_blacklist(c, bl)) != OBOL_OK && e != OBOL_E_CODEX_BLACKLIST_OLD)
			goto out;
		codex_sync_abandon(c);
	}
	if ((e = codex_wallet_store(w, c)) == OBOL_OK && !info->renewed)
		e = OBOL_E_CODEX_BLACKLISTED;
out:
	json_decref(req);
	json_decref(reply);
	obol_http_client_free(client);
	free(bl);
	return e;
}

obol_err codex_wallet_fetch_blacklist(struct obol_wallet *w, struct codex *c)
{
	struct obol_http_client *client = NULL;
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	json_t *reply = NULL;
	obol_err e;
	if (!bl)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_wallet_client(w, false, &client)) == OBOL_OK &&
	    (e = obol_http_get_json(client, "/codex/blacklist", 0, &reply)) == OBOL_OK &&
	    (e = reply_blacklist(reply, bl)) == OBOL_OK && (e = codex_set_blacklist(c, bl)) == OBOL_OK)
		e = codex_wallet_store(w, c);
	json_decref(reply);
	obol_http_client_free(client);
	free(bl);
	return e;
}

/* ---- paying a vendor over the device link --------------------------------- */

obol_err codex_wallet_pay_vendor(struct obol_wallet *w, struct codex *c, const char *addr,
				 const struct obol_amount *amount, struct codex_token *token)
{
	struct obol_devlink *l = NULL;
	struct codex_msg_hello hello;
	struct codex_msg_request *req = calloc(1, sizeof(*req));
	struct codex_msg_pay *pay = calloc(1, sizeof(*pay));
	struct codex_msg_ack ack;
	struct obol_field f[2];
	struct obol_fields spec;
	const uint8_t *body;
	size_t blen;
	uint32_t type;
	obol_err e;

	if (!req || !pay) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	memset(&hello, 0, sizeof(hello));
	if (amount) {
		hello.amount = *amount;
		hello.has_amount = true;
	}
	if ((e = obol_wallet_connect_vendor(w, addr, &l)) != OBOL_OK)
		goto out;
	codex_msg_hello_spec(&hello, f, &spec);
	if ((e = obol_devlink_write(l, CODEX_MSG_HELLO, &spec)) != OBOL_OK ||
	    (e = obol_devlink_read(l, &type, &body, &blen)) != OBOL_OK)
		goto out;
	codex_msg_request_spec(req, f, &spec);
	if (type != CODEX_MSG_REQUEST) {
		e = OBOL_E_WIRE_MALFORMED;
		goto out;
	}
	if ((e = obol_cbor_decode(body, blen, &spec)) != OBOL_OK)
		goto out;
	if (!amount && !req->has_amount) {
		e = OBOL_E_CODEX_AMOUNT_INVALID;
		goto out;
	}
	/* the payer's cap (src/wallet/payer.h), then create token, write log,
	 * update Codex: durable before it leaves */
	if ((e = obol_pay_offer(l, "codex", amount ? amount : &req->amount, 1)) != OBOL_OK ||
	    (e = obol_pay_hand(l, amount ? amount : &req->amount)) != OBOL_OK ||
	    (e = codex_pay(c, req, amount ? amount : &req->amount, obol_now(), pay, token)) != OBOL_OK ||
	    (e = codex_wallet_store(w, c)) != OBOL_OK)
		goto out;
	codex_msg_pay_spec(pay, f, &spec);
	if ((e = obol_pay_sent(l, &spec)) != OBOL_OK || (e = obol_devlink_write(l, CODEX_MSG_PAY, &spec)) != OBOL_OK ||
	    (e = obol_devlink_read(l, &type, &body, &blen)) != OBOL_OK)
		goto out;
	if (type == CODEX_MSG_REFUSAL) {
		/* refused: keep the vendor's signed refusal for the bank, which
		 * returns the value at the next sync; report the vendor's reason */
		struct codex_msg_refusal ref;
		struct codex_refusal rf;
		codex_msg_refusal_spec(&ref, f, &spec);
		if ((e = obol_cbor_decode(body, blen, &spec)) != OBOL_OK || (e = codex_take_refusal(c, &ref)) != OBOL_OK ||
		    (e = codex_wallet_store(w, c)) != OBOL_OK)
			goto out;
		e = codex_refusal_decode(ref.refusal, sizeof(ref.refusal), &rf) == OBOL_OK ? (obol_err)rf.reason
											: OBOL_E_CODEX_MALFORMED;
		obol_pay_refused(l, e);
		goto out;
	}
	codex_msg_ack_spec(&ack, f, &spec);
	if (type != CODEX_MSG_ACK) {
		e = OBOL_E_WIRE_MALFORMED;
		goto out;
	}
	if ((e = obol_cbor_decode(body, blen, &spec)) != OBOL_OK || (e = codex_take_ack(c, &ack)) != OBOL_OK ||
	    (e = codex_wallet_store(w, c)) != OBOL_OK)
		goto out;
	e = obol_pay_receipt(l, 1);
out:
	if (e != OBOL_OK)
		obol_pay_failed(l, e); /* the history: refused, or in doubt */
	obol_devlink_close(l);
	free(req);
	free(pay);
	return e;
}

/* ---- frames in files ------------------------------------------------------ */

obol_err codex_frame_write(const char *path, uint32_t type, const struct obol_fields *body)
{
	uint8_t *buf = malloc(OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX);
	size_t len;
	FILE *f = NULL;
	obol_err e;
	if (!buf)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_frame_encode(type, body, buf, OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX, &len)) != OBOL_OK)
		goto out;
	if (!(f = fopen(path, "wb")) || fwrite(buf, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0)
		e = OBOL_E_IO;
out:
	if (f && fclose(f) != 0 && e == OBOL_OK)
		e = OBOL_E_IO;
	free(buf);
	return e;
}

/* Reads one frame from path whose type is one of types[0..n-1] and decodes
 * its body with the matching spec; *which says which. An error frame gives
 * the error it carries; another type is WIRE_MALFORMED. */
static obol_err frame_read(const char *path, size_t n, const uint32_t *types, const struct obol_fields *const *bodies,
			   size_t *which)
{
	uint8_t *buf = malloc(OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX + 1);
	const uint8_t *b;
	size_t len = 0, blen;
	uint32_t got;
	FILE *f = fopen(path, "rb");
	obol_err e = OBOL_OK;
	if (!buf || !f) {
		e = buf ? OBOL_E_IO : OBOL_E_NO_MEMORY;
		goto out;
	}
	len = fread(buf, 1, OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX + 1, f);
	if (ferror(f)) {
		e = OBOL_E_IO;
		goto out;
	}
	if (len > OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX) {
		e = OBOL_E_WIRE_OVERSIZED;
		goto out;
	}
	if ((e = obol_frame_decode(buf, len, &got, &b, &blen)) != OBOL_OK)
		goto out;
	for (*which = 0; *which < n && types[*which] != got; (*which)++)
		;
	if (*which == n) {
		e = got == OBOL_DL_TYPE_ERROR ? obol_devlink_error_decode(b, blen) : OBOL_E_WIRE_MALFORMED;
		goto out;
	}
	e = obol_cbor_decode(b, blen, bodies[*which]);
out:
	if (f)
		fclose(f);
	free(buf);
	return e;
}

obol_err codex_frame_read(const char *path, uint32_t type, const struct obol_fields *body)
{
	size_t which;
	return frame_read(path, 1, &type, &body, &which);
}

obol_err codex_frame_read_answer(const char *path, struct codex_msg_ack *ack, struct codex_msg_refusal *ref,
				 bool *refused)
{
	struct obol_field fa[1], fr[1];
	struct obol_fields sa, sr;
	const uint32_t types[2] = { CODEX_MSG_ACK, CODEX_MSG_REFUSAL };
	const struct obol_fields *bodies[2] = { &sa, &sr };
	size_t which = 0;
	obol_err e;
	codex_msg_ack_spec(ack, fa, &sa);
	codex_msg_refusal_spec(ref, fr, &sr);
	e = frame_read(path, 2, types, bodies, &which);
	*refused = which == 1;
	return e;
}
