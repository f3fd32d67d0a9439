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
#include "schemes/codex/api.h"
#include "wallet/issuer_link.h"
#include "wallet/payer.h"
#include "wire/cbor.h"
#include "wire/json.h"

static obol_err blocked_refresh(struct obol_http_client *client, struct codex *c);

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

static void request_id(char out[CODEX_REQUEST_ID_MAX + 1])
{
	uint8_t r[16];
	obol_random(r, sizeof(r));
	if (obol_b64_encode(r, sizeof(r), out, CODEX_REQUEST_ID_MAX + 1) != OBOL_OK)
		out[0] = '\0';
}

/* POSTs the body of spec `in` and decodes the answer into spec `out`. */
static obol_err post(struct obol_http_client *client, const char *path, const struct obol_fields *in,
		     const struct obol_fields *out)
{
	json_t *req = NULL, *reply = NULL;
	obol_err e;
	if ((e = obol_json_encode(in, &req)) == OBOL_OK &&
	    (e = obol_http_post_json(client, path, req, OBOL_HTTP_AUTH, &reply)) == OBOL_OK)
		e = obol_json_decode(reply, out);
	json_decref(req);
	json_decref(reply);
	return e;
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
	struct codex_api_open_req *req = calloc(1, sizeof(*req));
	struct codex_api_open_reply *rep = calloc(1, sizeof(*rep));
	uint8_t sk[OBOL_SIGN_SK_LEN], master[32];
	struct codex *existing = NULL;
	int64_t id;
	obol_err e;

	*out = NULL;
	obol_box_keypair_new(&box);
	if (!bl || !c || !req || !rep) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = codex_wallet_load(w, &existing)) == OBOL_OK) {
		e = OBOL_E_CODEX_ALREADY_OPEN;
		goto out;
	}
	if (e != OBOL_E_CODEX_UNKNOWN_USER && e != OBOL_E_CODEX_STATE_OLD_FORMAT)
		goto out;
	if ((e = obol_wallet_issuer(w, NULL, master, NULL, NULL)) != OBOL_OK ||
	    (e = obol_wallet_client(w, true, &client)) != OBOL_OK || (e = obol_wallet_account(w, &id, sk)) != OBOL_OK)
		goto out;
	request_id(req->request_id);
	memcpy(req->box_pk, box.pk, sizeof(box.pk));
	req->amount = *amount;
	req->deposit = *deposit;
	codex_api_open_req_spec(req);
	codex_api_open_reply_spec(rep);
	if ((e = post(client, "/codex/open", &req->spec, &rep->spec)) != OBOL_OK)
		goto out;
	if (!rep->has_state) {
		e = OBOL_E_WIRE_MISSING_FIELD;
		goto out;
	}
	if ((e = codex_cert_decode(rep->cert, rep->cert_len, &cert)) != OBOL_OK ||
	    (e = codex_state_decode(rep->state, rep->state_len, &st)) != OBOL_OK ||
	    (e = codex_blacklist_decode(rep->blacklist, rep->blacklist_len, bl)) != OBOL_OK)
		goto out;
	if ((e = codex_init(c, master, &cert, &st, bl, sk, &box, obol_now())) != OBOL_OK ||
	    (e = codex_wallet_store(w, c)) != OBOL_OK)
		goto out;
	/* the Codex is stored; its paged copy of the blacklist follows (a
	 * failure here is reported, and `obol wallet codex blacklist` fetches
	 * it again) */
	if ((e = blocked_refresh(client, c)) != OBOL_OK || (e = codex_wallet_store(w, c)) != OBOL_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	OBOL_WIPE(box);
	OBOL_WIPE(sk);
	obol_http_client_free(client);
	codex_free(existing);
	codex_free(c);
	free(bl);
	free(req);
	free(rep);
	return e;
}

/* ---- update Codex / delete account ---------------------------------------- */

/* The pending request, exactly as it was first sent: the state, the log,
 * the balance, the load, and the refusals marked for it (codex_sync_begin
 * froze them). */
static obol_err sync_body(const struct codex *c, struct codex_api_sync_req *m)
{
	obol_err e;
	memset(m, 0, sizeof(*m));
	if (obol_strlcpy_checked(m->request_id, c->sync_request_id, sizeof(m->request_id)) != OBOL_OK)
		return OBOL_E_INVALID_ARGUMENT;
	if ((e = codex_state_encode(&c->state, m->state, sizeof(m->state), &m->state_len)) != OBOL_OK)
		return e;
	for (size_t i = 0; i < c->nlog; i++)
		if ((e = codex_entry_encode(&c->log[i].e, m->entries[i], sizeof(m->entries[i]), &m->entry_len[i])) != OBOL_OK)
			return e;
	m->nentries = c->nlog;
	m->balance = c->balance;
	if (c->sync_has_load && !c->sync_close) {
		m->load = c->sync_load;
		m->has_load = true;
	}
	for (size_t i = 0; i < c->nrefusals && m->nrefusals < CODEX_SYNC_REFUSALS_MAX; i++)
		if (c->refusals[i].in_sync &&
		    (e = codex_refusal_encode(&c->refusals[i].f, m->refusals[m->nrefusals++])) != OBOL_OK)
			return e;
	m->has_refusals = m->nrefusals > 0;
	codex_api_sync_req_spec(m, c->sync_close);
	return OBOL_OK;
}

/* Applies a renewal: the new state, blacklist and certificate, and the
 * token ids the bank settled to this Codex. */
static obol_err apply_renewal(struct codex *c, const struct codex_api_sync_reply *rep)
{
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	struct codex_state st;
	struct codex_cert cert;
	struct codex_sync_answer a = { .state = &st, .bl = bl, .cert = NULL };
	obol_err e;
	if (!bl)
		return OBOL_E_NO_MEMORY;
	if (!rep->has_state || !rep->has_blacklist) {
		e = OBOL_E_WIRE_MISSING_FIELD;
		goto out;
	}
	if ((e = codex_state_decode(rep->state, rep->state_len, &st)) != OBOL_OK ||
	    (e = codex_blacklist_decode(rep->blacklist, rep->blacklist_len, bl)) != OBOL_OK)
		goto out;
	if (rep->has_cert) {
		if ((e = codex_cert_decode(rep->cert, rep->cert_len, &cert)) != OBOL_OK)
			goto out;
		a.cert = &cert;
	}
	if ((e = codex_sync_apply(c, &a, obol_now())) != OBOL_OK)
		goto out;
	/* ids the bank settled to this Codex, remembered where there is room
	 * (one that is not is harmless: the bank pays a token once) */
	for (size_t i = 0; rep->has_settled && i < rep->nsettled; i++)
		if (codex_note_settled(c, rep->settled[i].id, rep->settled[i].time, obol_now()) != OBOL_OK)
			break;
out:
	free(bl);
	return e;
}

static void amount_text(const struct obol_amount *a, bool has, char out[OBOL_AMOUNT_STR_MAX])
{
	out[0] = '\0';
	if (has)
		obol_amount_format(a, out);
}

obol_err codex_wallet_sync(struct obol_wallet *w, struct codex *c, const struct obol_amount *load, bool close,
			   struct codex_wallet_sync_info *info)
{
	struct obol_http_client *client = NULL;
	struct codex_api_sync_req *req = calloc(1, sizeof(*req));
	struct codex_api_sync_reply *rep = calloc(1, sizeof(*rep));
	char rid[CODEX_REQUEST_ID_MAX + 1];
	obol_err e;

	memset(info, 0, sizeof(*info));
	if (!req || !rep) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	/* a request of the other kind is pending: finish it first, with the
	 * same request id, so a reply that was lost is not lost for good */
	if (c->sync_pending && c->sync_close != close) {
		e = codex_wallet_sync(w, c, NULL, c->sync_close, info);
		if (e == OBOL_OK && info->closed)
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
	if ((e = obol_wallet_client(w, true, &client)) != OBOL_OK || (e = sync_body(c, req)) != OBOL_OK)
		goto out;
	codex_api_sync_reply_spec(rep);
	e = post(client, close ? "/codex/close" : "/codex/sync", &req->spec, &rep->spec);
	if (e != OBOL_OK) {
		/* only the bank's refusal of the request itself settles it (its
		 * unit rolled back); anything else may have been applied: keep
		 * the request, to send it again as it is */
		if (codex_sync_refused_for_good(e)) {
			codex_sync_abandon(c);
			if (codex_wallet_store(w, c) != OBOL_OK)
				e = OBOL_E_IO;
		}
		goto out;
	}
	info->answered = true;
	info->blacklisted = rep->blacklisted;
	info->findings = (size_t)rep->findings;
	amount_text(&rep->value, rep->has_value, info->value);
	amount_text(&rep->paid_out, rep->has_paid_out, info->paid_out);
	amount_text(&rep->held, rep->has_held, info->held);
	info->held_until = rep->has_held_until ? rep->held_until : 0;
	if (close) {
		info->closed = rep->has_closed && rep->closed;
		if (info->closed) {
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
	info->renewed = rep->has_renewed && rep->renewed;
	info->cert_renewed = info->renewed && rep->has_cert;
	if (info->renewed) {
		if ((e = apply_renewal(c, rep)) != OBOL_OK)
			goto out;
	} else {
		/* blacklisted: nothing renewed; the request is over */
		struct codex_blacklist *bl = malloc(sizeof(*bl));
		if (!bl) {
			e = OBOL_E_NO_MEMORY;
			goto out;
		}
		if (rep->has_blacklist && codex_blacklist_decode(rep->blacklist, rep->blacklist_len, bl) == OBOL_OK &&
		    (e = codex_set_blacklist(c, bl)) != OBOL_OK && e != OBOL_E_CODEX_BLACKLIST_OLD) {
			free(bl);
			goto out;
		}
		free(bl);
		codex_sync_abandon(c);
	}
	if ((e = codex_wallet_store(w, c)) == OBOL_OK && !info->renewed)
		e = OBOL_E_CODEX_BLACKLISTED;
	/* the sync is stored; the paged copy of the blacklist follows */
	if (e == OBOL_OK && (e = blocked_refresh(client, c)) == OBOL_OK)
		e = codex_wallet_store(w, c);
out:
	obol_http_client_free(client);
	free(req);
	free(rep);
	return e;
}

obol_err codex_wallet_release(struct obol_wallet *w, struct obol_amount *paid, int64_t *held_until)
{
	struct obol_http_client *client = NULL;
	struct codex_api_release_req req;
	struct codex_api_release_reply rep;
	json_t *body = NULL, *reply = NULL;
	long status = 0;
	char *text = NULL, *sent = NULL;
	size_t len = 0;
	obol_err e;

	*held_until = 0;
	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	request_id(req.request_id);
	codex_api_release_req_spec(&req);
	codex_api_release_reply_spec(&rep);
	if ((e = obol_wallet_client(w, true, &client)) != OBOL_OK || (e = obol_json_encode(&req.spec, &body)) != OBOL_OK)
		goto out;
	if (!(sent = json_dumps(body, JSON_COMPACT))) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_http_request(client, "POST", "/codex/release", sent, strlen(sent), OBOL_HTTP_AUTH, &status, &text,
				   &len)) != OBOL_OK)
		goto out;
	if (status >= 400) {
		/* the error body says when the deposit is free ("held_until=T") */
		const char *d;
		if (!(reply = json_loadb(text, len, 0, NULL))) {
			e = OBOL_E_PEER_ERROR;
			goto out;
		}
		e = obol_json_error_from_body(text, len);
		d = json_string_value(json_object_get(reply, "detail"));
		if (e == OBOL_E_CODEX_DEPOSIT_HELD && d && strncmp(d, "held_until=", 11) == 0)
			*held_until = strtoll(d + 11, NULL, 10);
		goto out;
	}
	if ((e = obol_json_decode_text(text, len, &rep.spec)) == OBOL_OK)
		*paid = rep.paid;
out:
	json_decref(body);
	json_decref(reply);
	free(sent);
	free(text);
	obol_http_client_free(client);
	return e;
}

obol_err codex_wallet_blacklist_pages(struct obol_http_client *c, const uint8_t bank_pk[static OBOL_SIGN_PK_LEN],
				      struct codex_blacklist_fetch *f, struct codex_blacklist_loop *loop)
{
	struct codex_api_blacklist_page_reply *rep = malloc(sizeof(*rep));
	char target[128];
	obol_err e = OBOL_OK;
	size_t taken = 0;
	if (!rep)
		return OBOL_E_NO_MEMORY;
	while (e == OBOL_OK && !f->done && (loop == NULL || loop->max_pages == 0 || taken < loop->max_pages)) {
		struct codex_blacklist_page page = { 0 };
		json_t *j = NULL;
		if (f->started)
			snprintf(target, sizeof(target), "/codex/blacklist/page?since=%llu&version=%llu&after=%llu",
				 (unsigned long long)f->since, (unsigned long long)f->version,
				 (unsigned long long)f->after);
		else
			snprintf(target, sizeof(target), "/codex/blacklist/page?since=%llu", (unsigned long long)f->since);
		codex_api_blacklist_page_reply_spec(rep);
		if ((e = obol_http_get_json(c, target, 0, &j)) == OBOL_OK) {
			taken++;
			if (loop != NULL) {
				loop->pages++;
				if (loop->count_bytes) {
					char *text = json_dumps(j, JSON_COMPACT);
					loop->bytes += text != NULL ? strlen(text) : 0;
					free(text);
				}
			}
			if ((e = obol_json_decode(j, &rep->spec)) == OBOL_OK &&
			    (e = codex_blacklist_page_decode(rep->page, rep->page_len, &page)) == OBOL_OK)
				e = codex_blacklist_fetch_take(f, &page, bank_pk);
		}
		codex_blacklist_page_free(&page);
		json_decref(j);
	}
	free(rep);
	return e;
}

/* Brings the Codex's paged copy of the blacklist up to the bank's current
 * version: the delta since the version held, or the whole list when none
 * is held, every page checked (codex_blacklist_fetch_take). */
static obol_err blocked_refresh(struct obol_http_client *client, struct codex *c)
{
	struct codex_blacklist_fetch f;
	obol_err e;
	codex_blacklist_fetch_begin(&f, &c->blocked);
	if ((e = codex_wallet_blacklist_pages(client, c->bank_pk, &f, NULL)) == OBOL_OK)
		e = codex_blacklist_fetch_apply(&f, &c->blocked, obol_now());
	codex_blacklist_fetch_free(&f);
	return e;
}

obol_err codex_wallet_fetch_blacklist(struct obol_wallet *w, struct codex *c)
{
	struct obol_http_client *client = NULL;
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	struct codex_api_blacklist_reply *rep = calloc(1, sizeof(*rep));
	json_t *reply = NULL;
	obol_err e;
	if (!bl || !rep) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	codex_api_blacklist_reply_spec(rep);
	if ((e = obol_wallet_client(w, false, &client)) == OBOL_OK &&
	    (e = obol_http_get_json(client, "/codex/blacklist", 0, &reply)) == OBOL_OK &&
	    (e = obol_json_decode(reply, &rep->spec)) == OBOL_OK &&
	    (e = codex_blacklist_decode(rep->blacklist, rep->blacklist_len, bl)) == OBOL_OK &&
	    ((e = codex_set_blacklist(c, bl)) == OBOL_OK || e == OBOL_E_CODEX_BLACKLIST_OLD) &&
	    (e = blocked_refresh(client, c)) == OBOL_OK)
		e = codex_wallet_store(w, c);
out:
	json_decref(reply);
	obol_http_client_free(client);
	free(bl);
	free(rep);
	return e;
}

/* ---- paying a vendor over the device link --------------------------------- */

obol_err codex_wallet_pay_vendor(struct obol_wallet *w, struct codex *c, const struct codex_wallet_pay *p,
				 struct codex_token *token)
{
	struct obol_devlink *l = NULL;
	struct codex_msg_hello hello;
	struct codex_msg_request *req = calloc(1, sizeof(*req));
	struct codex_msg_pay *pay = calloc(1, sizeof(*pay));
	struct codex_msg_ack ack;
	struct codex_pay_req pr;
	const struct obol_amount *asked;
	struct obol_paycap cap;
	struct obol_amount max;
	bool has_max;
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
	if (p->amount) {
		hello.amount = *p->amount;
		hello.has_amount = true;
	}
	if ((e = obol_wallet_connect_vendor(w, p->addr, &l)) != OBOL_OK)
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
	asked = p->amount ? p->amount : req->has_amount ? &req->amount : NULL;
	if (asked == NULL) {
		e = OBOL_E_CODEX_AMOUNT_INVALID;
		goto out;
	}
	/* the payer's cap (src/wallet/payer.h), the core's limit too; then create
	 * token, write log, update Codex: durable before it leaves */
	if ((e = obol_pay_offer(l, "codex", asked, 1)) != OBOL_OK || (e = obol_pay_hand(l, asked)) != OBOL_OK ||
	    (e = obol_pay_cap(l, &cap)) != OBOL_OK || (e = obol_paycap_tighter(&cap, p->max, &max, &has_max)) != OBOL_OK)
		goto out;
	pr = (struct codex_pay_req){ .req = req, .amount = p->amount, .max = has_max ? &max : NULL };
	if ((e = codex_pay(c, &pr, obol_now(), pay, token)) != OBOL_OK || (e = codex_wallet_store(w, c)) != OBOL_OK)
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
