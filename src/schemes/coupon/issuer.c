/* The coupon scheme at the issuer F: withdraw, lock, settle, status.
 * Pure: no I/O, no clock (see issuer.h for the contracts). */
#include "schemes/coupon/issuer.h"

#include <string.h>

#include "crypto/secret.h"

const struct coupon_denom *coupon_issuer_denom(const struct coupon_issuer *is, uint64_t id)
{
	for (size_t i = 0; i < is->ndenoms; i++)
		if (is->denoms[i].id == id)
			return &is->denoms[i];
	return NULL;
}

/* Who opens the boxes sealed to F: is->opener, or F's own box key. */
static const struct obol_box_opener *box_opener(const struct coupon_issuer *is, struct obol_box_opener *own)
{
	if (is->opener)
		return is->opener;
	*own = (struct obol_box_opener){ .kp = is->box };
	return own;
}

/* ---- withdraw: seed §4.1 "the financial institution ... signs blinded coin" ---- */

obol_err coupon_issuer_withdraw(const struct coupon_issuer *is, const struct coupon_withdraw_req *req, int64_t now,
				struct coupon_withdraw_reply *out, const struct coupon_denom **denom)
{
	const struct coupon_denom *d = coupon_issuer_denom(is, req->denom);
	if (!d)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	if (now < d->valid_from)
		return OBOL_E_COUPON_WITHDRAW_NOT_YET;
	if (now > d->withdraw_until)
		return OBOL_E_COUPON_WITHDRAW_CLOSED;
	if (req->blinded_len != obol_rsa_modulus_len(d->key))
		return OBOL_E_COUPON_BLINDED_LENGTH;
	memset(out, 0, sizeof(*out));
	out->denom = d->id;
	obol_err e = is->blind_sign ? is->blind_sign(is->blind_sign_ctx, d, req->blinded, req->blinded_len,
						     out->blind_sig, sizeof(out->blind_sig), &out->blind_sig_len)
				    : obol_blindrsa_blind_sign(d->key, req->blinded, req->blinded_len, out->blind_sig,
							       sizeof(out->blind_sig), &out->blind_sig_len);
	if (e != OBOL_OK)
		return e;
	*denom = d;
	return OBOL_OK;
}

/* ---- lock: DESIGN §5 step 4 (seed §4.2 "the financial institution F uses its
 * encryption key e ... the coin is blocked for the period T") ---- */

obol_err coupon_issuer_lock_verify(const struct coupon_issuer *is, const struct coupon_lock_req *req, int64_t now,
				   struct coupon_lock_checked *out)
{
	struct obol_box_opener own;
	uint8_t digest[OBOL_HASH_LEN];
	obol_err e;
	memset(out, 0, sizeof(*out));

	out->denom = coupon_issuer_denom(is, req->coin.denom);
	if (!out->denom)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	/* Time refuses a new lock, not the first answer to a lock F made: a
	 * vendor that lost that answer asks again, maybe after T, and is owed
	 * its lock token (DESIGN §5 step 6). So a refusal of time is kept in
	 * out->lapsed and the other checks go on; it is the answer only when
	 * they all pass, and any other refusal still gets the first code in
	 * the order. */
	if (now > out->denom->spend_until)
		out->lapsed = OBOL_E_COUPON_DENOM_EXPIRED;
	/* The value of a blind-signed coin comes from the key (DESIGN §4). */
	if ((e = coupon_coin_verify(&req->coin, out->denom)) != OBOL_OK)
		goto fail;
	e = coupon_cert_check(is->cert_open, req->cert, req->cert_len, is->sign_pk, now, &out->cert);
	if (e == OBOL_E_COUPON_CERT_EXPIRED && out->lapsed == OBOL_OK)
		out->lapsed = e;
	else if (e != OBOL_OK && e != OBOL_E_COUPON_CERT_EXPIRED)
		goto fail;
	coupon_digest_lock_req(digest, req, out->cert.hash);
	e = OBOL_E_COUPON_VENDOR_SIGNATURE;
	if (obol_sign_verify(req->vendor_sig, COUPON_CTX_LOCK_REQ, digest, sizeof(digest), out->cert.vendor_pk) !=
	    OBOL_OK)
		goto fail;
	if ((e = coupon_auth_open_by(req->auth, box_opener(is, &own), &out->auth)) != OBOL_OK)
		goto fail;
	/* The box binds coin, C and T: the seed's (H^(n-m)(S)||T)^e and
	 * (H^(n-m)(S)||C)^e in one authenticated box. */
	e = OBOL_E_COUPON_AUTH_WRONG_COIN;
	if (!obol_ct_equal(out->auth.coin_id, req->coin.id, COUPON_ID_LEN))
		goto fail;
	e = OBOL_E_COUPON_AUTH_WRONG_VENDOR;
	if (!obol_ct_equal(out->auth.cert_hash, out->cert.hash, COUPON_ID_LEN))
		goto fail;
	e = OBOL_E_COUPON_AUTH_WRONG_DEADLINE;
	if (out->auth.deadline != req->deadline)
		goto fail;
	if (req->deadline <= now && out->lapsed == OBOL_OK)
		out->lapsed = OBOL_E_COUPON_DEADLINE_PAST;
	e = OBOL_E_COUPON_DEADLINE_TOO_FAR;
	if ((req->deadline > now && req->deadline - now > is->lock_max_s) || req->deadline > out->cert.valid_until ||
	    req->deadline > out->denom->spend_until)
		goto fail;
	obol_sha256(out->auth_hash, req->auth, COUPON_AUTH_LEN);
	return out->lapsed;
fail:
	OBOL_WIPE(out->auth);
	/* the first refusal in the order; not time's alone, so no repeat is
	 * looked for */
	if (out->lapsed != OBOL_OK)
		e = out->lapsed;
	out->lapsed = OBOL_OK;
	return e;
}

/* ---- the holder proof ---- */

bool coupon_holder_proof(uint64_t last, const uint8_t last_token[static COUPON_ID_LEN], uint64_t q,
			 const uint8_t token[static COUPON_ID_LEN])
{
	uint8_t x[COUPON_ID_LEN];
	/* the step at which the chain from token must meet last_token; 0 when
	 * no step can (then nothing matches, but the work is the same) */
	uint64_t d = q < last && last - q <= COUPON_PROOF_SPAN ? last - q : 0;
	unsigned found = (last == 0) & (q == 0) & (unsigned)obol_ct_equal(token, last_token, COUPON_ID_LEN);
	memcpy(x, token, COUPON_ID_LEN);
	for (uint64_t k = 1; k <= COUPON_PROOF_SPAN; k++) {
		obol_sha256(x, x, COUPON_ID_LEN);
		found |= (unsigned)(k == d) & (unsigned)obol_ct_equal(x, last_token, COUPON_ID_LEN);
	}
	obol_wipe(x, sizeof(x));
	return found != 0;
}

void coupon_coin_view(const struct coupon_coin_state *cur, const struct coupon_denom *d,
		      const uint8_t coin_id[static COUPON_ID_LEN], uint64_t *last,
		      uint8_t last_token[static COUPON_ID_LEN])
{
	*last = cur ? cur->last_index : d->n;
	memcpy(last_token, cur ? cur->last_token : coin_id, COUPON_ID_LEN);
}

/* Whether (q, token) is the coin's next token: q = last - 1, H(token) = last token. */
static bool next_token(uint64_t last, const uint8_t last_token[static COUPON_ID_LEN], uint64_t q,
		       const uint8_t token[static COUPON_ID_LEN])
{
	uint8_t h[OBOL_HASH_LEN];
	obol_sha256(h, token, COUPON_ID_LEN);
	return q + 1 == last && obol_ct_equal(h, last_token, COUPON_ID_LEN);
}

/* The holder proof of (q, token): one hash for the coin's next token (the
 * honest request), COUPON_PROOF_SPAN for any other. */
static void proof_check(const struct coupon_coin_state *cur, const struct coupon_denom *d,
			const uint8_t coin_id[static COUPON_ID_LEN], uint64_t q, const uint8_t token[static COUPON_ID_LEN],
			struct coupon_proof_checked *out)
{
	memset(out, 0, sizeof(*out));
	coupon_coin_view(cur, d, coin_id, &out->last_index, out->last_token);
	out->proven = next_token(out->last_index, out->last_token, q, token) ||
		      coupon_holder_proof(out->last_index, out->last_token, q, token);
}

/* Whether pre was checked against the coin as it stands. */
static bool proof_current(const struct coupon_proof_checked *pre, uint64_t last, const uint8_t last_token[static 32])
{
	return pre && pre->last_index == last && obol_ct_equal(pre->last_token, last_token, COUPON_ID_LEN);
}

/* The refusal a proven holder gets: F's last index, and the lock's T while
 * one holds the coin. */
static void refusal_fill(struct coupon_refusal *r, obol_err code, const uint8_t coin_id[static COUPON_ID_LEN],
			 uint64_t last, const struct coupon_coin_state *cur, int64_t now)
{
	memset(r, 0, sizeof(*r));
	r->code = (uint64_t)code;
	memcpy(r->coin_id, coin_id, COUPON_ID_LEN);
	r->last_index = last;
	if (cur && cur->locked && cur->lock_until > now)
		r->locked_until = cur->lock_until;
}

obol_err coupon_issuer_sign_refusal(const struct obol_ed25519_signer *signer, struct coupon_refusal *r,
				    const uint8_t cert_hash[static COUPON_ID_LEN], const uint8_t box_hash[static COUPON_ID_LEN])
{
	uint8_t digest[OBOL_HASH_LEN];
	coupon_digest_refusal(digest, r, cert_hash, box_hash);
	return obol_ed25519_sign(signer, COUPON_CTX_REFUSAL, digest, sizeof(digest), r->issuer_sig);
}

/* What a token that is not the coin's next one gets: a proven holder learns
 * where the coin stands (signed), anyone else nothing. */
/* The holder proved a token below F's last index that is not its next one:
 * with a lapsed lock on the coin, the tokens between were revealed to that
 * lock's holder (an honest wallet reveals only inside a lock F signed) and
 * the request goes on (OBOL_OK) from the token shown; otherwise the refusal
 * names where the coin stands. Anyone else learns nothing. */
static obol_err judge_other_token(const struct coupon_proof_checked *pre, const uint8_t coin_id[static COUPON_ID_LEN],
				  uint64_t last, const uint8_t last_token[static COUPON_ID_LEN],
				  const struct coupon_coin_state *cur, int64_t now, struct coupon_refusal *r,
				  bool *has_refusal)
{
	obol_err e;
	if (!proof_current(pre, last, last_token))
		return OBOL_E_COUPON_STATE_MOVED;
	if (!pre->proven) {
		/* signed too (so the wallet knows F refused this very box), but
		 * it names nothing of the coin */
		refusal_fill(r, OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN, coin_id, 0, NULL, now);
		*has_refusal = true;
		return OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN;
	}
	if (cur && cur->credited_index == 0)
		e = OBOL_E_COUPON_COIN_SPENT;
	else if (cur && cur->locked && cur->lock_until > now)
		e = OBOL_E_COUPON_COIN_LOCKED;
	else if (cur && cur->locked)
		return OBOL_OK; /* a lapsed lock: its holder is paid down to the token shown */
	else
		e = OBOL_E_COUPON_INDEX_MISMATCH;
	refusal_fill(r, e, coin_id, last, cur, now);
	*has_refusal = true;
	return e;
}

/* The coin's state before a new lock or a refund takes it from token q:
 * cur, whose lapsed lock's holder is first owed every token from its lock
 * down to q + 1 that it has not been credited (every revealed token is
 * money to the vendor holding the lock: those F knows, and those below them
 * the holder's token q shows were revealed), or a coin F has not seen. */
static void next_state(const struct coupon_coin_state *cur, const struct coupon_denom *d,
		       const uint8_t coin_id[static COUPON_ID_LEN], uint64_t q, struct coupon_coin_state *next,
		       uint64_t *expired, int64_t *expired_account)
{
	if (!cur) {
		memset(next, 0, sizeof(*next));
		memcpy(next->coin_id, coin_id, COUPON_ID_LEN);
		next->denom = d->id;
		next->credited_index = d->n;
		next->version = 1;
		return;
	}
	*next = *cur;
	if (cur->locked && cur->credited_index > q + 1) {
		*expired = cur->credited_index - (q + 1);
		*expired_account = cur->lock_vendor_account;
		next->credited_index = q + 1;
	}
	next->version = cur->version + 1;
}

static void unlock(struct coupon_coin_state *c)
{
	c->locked = false;
	memset(c->lock_cert_hash, 0, COUPON_ID_LEN);
	memset(c->lock_vendor_pk, 0, OBOL_SIGN_PK_LEN);
	memset(c->lock_auth_hash, 0, COUPON_ID_LEN);
	c->lock_vendor_account = 0;
	c->lock_until = 0;
}

/* What a lock and a refund ask of the coin, against cur: the denomination
 * it was registered with (one coin id can be blind-signed under two,
 * S_B = H^(nA-nB)(S_A); it is spent under the first only); the coin's next
 * token, else the holder proof in pre decides the refusal; then something
 * left and no lock before its T. Every refusal comes with one to sign. */
static obol_err judge_token(const struct coupon_coin_state *cur, const struct coupon_denom *d,
			    const uint8_t coin_id[static COUPON_ID_LEN], uint64_t q,
			    const uint8_t token[static COUPON_ID_LEN], const struct coupon_proof_checked *pre,
			    int64_t now, struct coupon_refusal *r, bool *has_refusal)
{
	uint8_t last_token[COUPON_ID_LEN];
	uint64_t last;
	obol_err e = OBOL_OK;
	if (cur && cur->denom != d->id) {
		refusal_fill(r, OBOL_E_COUPON_DENOM_MISMATCH, coin_id, 0, NULL, now);
		*has_refusal = true;
		return OBOL_E_COUPON_DENOM_MISMATCH;
	}
	coupon_coin_view(cur, d, coin_id, &last, last_token);
	if (!next_token(last, last_token, q, token))
		return judge_other_token(pre, coin_id, last, last_token, cur, now, r, has_refusal);
	/* the coin's next token: the holder is proven */
	if (cur && cur->credited_index == 0)
		e = OBOL_E_COUPON_COIN_SPENT;
	else if (cur && cur->locked && cur->lock_until > now)
		e = OBOL_E_COUPON_COIN_LOCKED;
	if (e != OBOL_OK) {
		refusal_fill(r, e, coin_id, last, cur, now);
		*has_refusal = true;
	}
	return e;
}

static void lock_reply_from_auth(struct coupon_lock_reply *r, const struct coupon_auth *a)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->coin_id, a->coin_id, COUPON_ID_LEN);
	r->index = a->index;
	memcpy(r->token, a->token, COUPON_ID_LEN);
	r->deadline = a->deadline;
}

void coupon_issuer_lock_proof(const struct coupon_issuer *is, const struct coupon_lock_checked *chk,
			      const struct coupon_coin_state *cur, struct coupon_proof_checked *out)
{
	(void)is;
	proof_check(cur, chk->denom, chk->auth.coin_id, chk->auth.index, chk->auth.token, out);
}

obol_err coupon_issuer_lock_apply(const struct coupon_issuer *is, const struct coupon_lock_req *req,
				  const struct coupon_lock_checked *chk, const struct coupon_coin_state *cur,
				  const struct coupon_proof_checked *pre, int64_t now, struct coupon_lock_effect *out)
{
	(void)is;
	(void)req;
	const struct coupon_auth *a = &chk->auth;
	memset(out, 0, sizeof(*out));
	lock_reply_from_auth(&out->reply, a);

	if (cur && cur->locked && obol_ct_equal(cur->lock_auth_hash, chk->auth_hash, COUPON_ID_LEN) &&
	    obol_ct_equal(cur->lock_cert_hash, chk->cert.hash, COUPON_ID_LEN)) {
		out->repeat = true;
		out->next = *cur;
		return OBOL_OK;
	}
	if (chk->lapsed != OBOL_OK)
		return chk->lapsed; /* no lock of this request to answer again: time's refusal stands */
	obol_err e = judge_token(cur, chk->denom, a->coin_id, a->index, a->token, pre, now, &out->refusal,
				 &out->has_refusal);
	if (e != OBOL_OK)
		return e;

	next_state(cur, chk->denom, a->coin_id, a->index, &out->next, &out->expired_credit_tokens,
		   &out->expired_vendor_account);
	out->next.last_index = a->index;
	memcpy(out->next.last_token, a->token, COUPON_ID_LEN);
	out->next.locked = true;
	memcpy(out->next.lock_cert_hash, chk->cert.hash, COUPON_ID_LEN);
	memcpy(out->next.lock_vendor_pk, chk->cert.vendor_pk, OBOL_SIGN_PK_LEN);
	out->next.lock_vendor_account = chk->cert.vendor_account;
	out->next.lock_until = a->deadline;
	memcpy(out->next.lock_auth_hash, chk->auth_hash, COUPON_ID_LEN);
	return OBOL_OK;
}

obol_err coupon_issuer_sign_lock_reply(const struct obol_ed25519_signer *signer, struct coupon_lock_reply *r,
				       const uint8_t cert_hash[static COUPON_ID_LEN])
{
	uint8_t digest[OBOL_HASH_LEN];
	coupon_digest_lock_reply(digest, r, cert_hash);
	return obol_ed25519_sign(signer, COUPON_CTX_LOCK_REPLY, digest, sizeof(digest), r->issuer_sig);
}

/* ---- settle: DESIGN §5 step 6 (seed §4.2 "At the end of the payment the
 * vendor V sends ... the coin is unblocked and vendor's bank account may be
 * credited") ---- */

obol_err coupon_issuer_settle_verify(const struct coupon_issuer *is, const struct coupon_settle_req *req,
				     struct coupon_cert *cert)
{
	uint8_t digest[OBOL_HASH_LEN];
	if (req->cert_len == 0 || req->cert_len > COUPON_CERT_MAX ||
	    is->cert_open(req->cert, req->cert_len, is->sign_pk, cert) != OBOL_OK)
		return OBOL_E_COUPON_CERT_INVALID;
	obol_sha256(cert->hash, req->cert, req->cert_len);
	coupon_digest_settle_req(digest, req, cert->hash);
	if (obol_sign_verify(req->vendor_sig, COUPON_CTX_SETTLE_REQ, digest, sizeof(digest), cert->vendor_pk) != OBOL_OK)
		return OBOL_E_COUPON_VENDOR_SIGNATURE;
	return OBOL_OK;
}

static obol_err settle_reply_fill(const struct coupon_denom *d, const struct coupon_settle_req *req,
				  const struct coupon_settle_record *rec, struct coupon_settle_reply *r,
				  struct obol_amount *credit)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->coin_id, req->coin_id, COUPON_ID_LEN);
	r->index = req->index;
	memcpy(r->lock, req->lock, COUPON_ID_LEN);
	r->has_lock = req->has_lock;
	r->credited_tokens = rec->credited_tokens;
	r->locked = rec->locked;
	r->spent = rec->spent;
	obol_err e = obol_amount_mul(&r->credited, &d->token_value, rec->credited_tokens);
	if (e == OBOL_OK && credit)
		*credit = r->credited;
	return e;
}

obol_err coupon_issuer_settle_chain(const struct coupon_issuer *is, const struct coupon_settle_req *req,
				    const struct coupon_coin_state *cur, struct coupon_chain_checked *out)
{
	const struct coupon_denom *d = coupon_issuer_denom(is, cur->denom);
	if (!d)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	if (req->index > cur->last_index)
		return OBOL_E_COUPON_SETTLE_INDEX;
	if (cur->last_index - req->index > COUPON_SETTLE_SPAN_MAX)
		return OBOL_E_COUPON_SETTLE_SPAN;
	if (obol_hashchain_verify(req->token, cur->last_index - req->index, cur->last_token, COUPON_SETTLE_SPAN_MAX) !=
	    OBOL_OK)
		return OBOL_E_COUPON_SETTLE_NOT_IN_CHAIN;
	out->last_index = cur->last_index;
	memcpy(out->last_token, cur->last_token, COUPON_ID_LEN);
	return OBOL_OK;
}

bool coupon_lock_holder(const struct coupon_coin_state *cur, const struct coupon_cert *cert)
{
	if (!cur->locked)
		return false;
	if (obol_ct_equal(cur->lock_cert_hash, cert->hash, COUPON_ID_LEN))
		return true;
	/* a renewed C of the same vendor: the same signing key and account */
	return obol_ct_equal(cur->lock_vendor_pk, cert->vendor_pk, OBOL_SIGN_PK_LEN) &&
	       cur->lock_vendor_account == cert->vendor_account;
}

obol_err coupon_issuer_settle_apply(const struct coupon_issuer *is, const struct coupon_settle_req *req,
				    const struct coupon_cert *cert, const struct coupon_coin_state *cur,
				    const struct coupon_settle_record *prior, const struct coupon_chain_checked *pre,
				    struct coupon_settle_effect *out)
{
	memset(out, 0, sizeof(*out));
	if (!cur)
		return OBOL_E_COUPON_COIN_UNKNOWN;
	const struct coupon_denom *d = coupon_issuer_denom(is, cur->denom);
	if (!d)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	if (prior) {
		out->repeat = true;
		out->next = *cur;
		out->record = *prior;
		return settle_reply_fill(d, req, prior, &out->reply, NULL);
	}
	if (!coupon_lock_holder(cur, cert))
		return OBOL_E_COUPON_NOT_LOCK_HOLDER;
	if (req->has_lock && !obol_ct_equal(cur->lock_auth_hash, req->lock, COUPON_ID_LEN))
		return OBOL_E_COUPON_LOCK_ENDED;
	if (pre) {
		if (pre->last_index != cur->last_index ||
		    !obol_ct_equal(pre->last_token, cur->last_token, COUPON_ID_LEN))
			return OBOL_E_STORE_CONFLICT;
	} else {
		struct coupon_chain_checked here;
		obol_err e = coupon_issuer_settle_chain(is, req, cur, &here);
		if (e != OBOL_OK)
			return e;
	}

	out->next = *cur;
	out->next.version = cur->version + 1;
	out->credit_tokens = cur->credited_index - req->index;
	out->vendor_account = cur->lock_vendor_account;
	out->next.last_index = req->index;
	memcpy(out->next.last_token, req->token, COUPON_ID_LEN);
	out->next.credited_index = req->index;
	if (!req->keep)
		unlock(&out->next);
	out->record.credited_tokens = out->credit_tokens;
	out->record.locked = req->keep;
	out->record.spent = req->index == 0;
	return settle_reply_fill(d, req, &out->record, &out->reply, &out->credit);
}

obol_err coupon_issuer_sign_settle_reply(const struct obol_ed25519_signer *signer, struct coupon_settle_reply *r,
				     const uint8_t cert_hash[static COUPON_ID_LEN])
{
	uint8_t digest[OBOL_HASH_LEN];
	coupon_digest_settle_reply(digest, r, cert_hash);
	return obol_ed25519_sign(signer, COUPON_CTX_SETTLE_REPLY, digest, sizeof(digest), r->issuer_sig);
}

/* ---- status ---- */

obol_err coupon_issuer_status(const struct coupon_issuer *is, const struct coupon_status_req *req,
			      const struct coupon_coin_state *cur, int64_t now, struct coupon_status_reply *out)
{
	struct coupon_cert cert;
	uint8_t digest[OBOL_HASH_LEN];
	if (req->cert_len == 0 || req->cert_len > COUPON_CERT_MAX ||
	    is->cert_open(req->cert, req->cert_len, is->sign_pk, &cert) != OBOL_OK)
		return OBOL_E_COUPON_CERT_INVALID;
	obol_sha256(cert.hash, req->cert, req->cert_len);
	coupon_digest_status_req(digest, req, cert.hash);
	if (obol_sign_verify(req->vendor_sig, COUPON_CTX_STATUS_REQ, digest, sizeof(digest), cert.vendor_pk) != OBOL_OK)
		return OBOL_E_COUPON_VENDOR_SIGNATURE;
	if (req->time > now + COUPON_STATUS_SKEW_S || req->time < now - COUPON_STATUS_SKEW_S)
		return OBOL_E_COUPON_REQUEST_STALE;
	if (!cur)
		return OBOL_E_COUPON_COIN_UNKNOWN;
	if (!coupon_lock_holder(cur, &cert))
		return OBOL_E_COUPON_NOT_LOCK_HOLDER;
	memset(out, 0, sizeof(*out));
	memcpy(out->coin_id, cur->coin_id, COUPON_ID_LEN);
	out->last_index = cur->last_index;
	memcpy(out->last_token, cur->last_token, COUPON_ID_LEN);
	out->credited_index = cur->credited_index;
	out->locked = cur->locked;
	out->locked_until = cur->lock_until;
	out->spent = cur->credited_index == 0;
	memcpy(out->lock, cur->lock_auth_hash, COUPON_ID_LEN);
	return OBOL_OK;
}

/* ---- coin status, for the holder ---- */

obol_err coupon_issuer_query_open(const struct coupon_issuer *is, const struct coupon_coin_status_req *req,
				  struct coupon_query *out, uint8_t query_hash[static COUPON_ID_LEN])
{
	struct obol_box_opener own;
	obol_err e = coupon_query_open_by(req->box, box_opener(is, &own), out);
	if (e != OBOL_OK)
		return e;
	if (!coupon_issuer_denom(is, out->denom)) {
		OBOL_WIPE(*out);
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	}
	obol_sha256(query_hash, req->box, COUPON_QUERY_LEN);
	return OBOL_OK;
}

obol_err coupon_issuer_query_answer(const struct coupon_issuer *is, const struct coupon_query *q,
				    const uint8_t query_hash[static COUPON_ID_LEN], const struct coupon_coin_state *cur,
				    struct coupon_coin_status *out)
{
	const struct coupon_denom *d = coupon_issuer_denom(is, cur ? cur->denom : q->denom);
	struct coupon_proof_checked proof;
	if (!d)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	proof_check(cur, d, q->coin_id, q->index, q->token, &proof);
	if (!proof.proven)
		return OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN;
	if (cur && cur->denom != q->denom)
		return OBOL_E_COUPON_DENOM_MISMATCH;
	memset(out, 0, sizeof(*out));
	memcpy(out->coin_id, q->coin_id, COUPON_ID_LEN);
	memcpy(out->query, query_hash, COUPON_ID_LEN);
	out->known = cur != NULL;
	out->last_index = proof.last_index;
	out->credited_index = cur ? cur->credited_index : d->n;
	out->locked = cur && cur->locked;
	out->locked_until = cur && cur->locked ? cur->lock_until : 0;
	return OBOL_OK;
}

/* ---- refund ---- */

obol_err coupon_issuer_refund_verify(const struct coupon_issuer *is, const struct coupon_refund_req *req,
				     int64_t account, int64_t now, struct coupon_refund_checked *out)
{
	struct obol_box_opener own;
	obol_err e;
	memset(out, 0, sizeof(*out));
	out->denom = coupon_issuer_denom(is, req->coin.denom);
	if (!out->denom)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	if (now <= out->denom->spend_until)
		return OBOL_E_COUPON_REFUND_EARLY;
	if (now > out->denom->legal_end)
		return OBOL_E_COUPON_REFUND_LEGAL_END;
	if ((e = coupon_coin_verify(&req->coin, out->denom)) != OBOL_OK)
		return e;
	if ((e = coupon_refund_open_by(req->box, box_opener(is, &own), &out->auth)) != OBOL_OK)
		return e;
	e = OBOL_E_COUPON_AUTH_WRONG_COIN;
	if (!obol_ct_equal(out->auth.coin_id, req->coin.id, COUPON_ID_LEN))
		goto fail;
	e = OBOL_E_COUPON_REFUND_ACCOUNT;
	if (account < 0 || out->auth.account != (uint64_t)account)
		goto fail;
	obol_sha256(out->box_hash, req->box, COUPON_REFUND_LEN);
	return OBOL_OK;
fail:
	OBOL_WIPE(out->auth);
	return e;
}

void coupon_issuer_refund_proof(const struct coupon_issuer *is, const struct coupon_refund_checked *chk,
				const struct coupon_coin_state *cur, struct coupon_proof_checked *out)
{
	(void)is;
	proof_check(cur, chk->denom, chk->auth.coin_id, chk->auth.index, chk->auth.token, out);
}

obol_err coupon_issuer_refund_apply(const struct coupon_issuer *is, const struct coupon_refund_checked *chk,
				    const struct coupon_coin_state *cur, const struct coupon_proof_checked *pre, int64_t now,
				    struct coupon_refund_effect *out)
{
	(void)is;
	const struct coupon_refund_auth *a = &chk->auth;
	obol_err e;
	memset(out, 0, sizeof(*out));
	/* (no lock outlives spend-until, but a lock is a lock) */
	if ((e = judge_token(cur, chk->denom, a->coin_id, a->index, a->token, pre, now, &out->refusal,
			     &out->has_refusal)) != OBOL_OK)
		return e;
	next_state(cur, chk->denom, a->coin_id, a->index, &out->next, &out->expired_credit_tokens,
		   &out->expired_vendor_account);
	out->refund_tokens = a->index + 1;
	if ((e = obol_amount_mul(&out->refund, &chk->denom->token_value, out->refund_tokens)) != OBOL_OK)
		return e;
	/* Nothing is owed any more: a lock, settle or refund of it is refused. */
	out->next.last_index = a->index;
	memcpy(out->next.last_token, a->token, COUPON_ID_LEN);
	out->next.credited_index = 0;
	unlock(&out->next);
	memset(&out->reply, 0, sizeof(out->reply));
	memcpy(out->reply.coin_id, a->coin_id, COUPON_ID_LEN);
	out->reply.index = a->index;
	out->reply.refunded_tokens = out->refund_tokens;
	out->reply.refunded = out->refund;
	out->reply.account = a->account;
	return OBOL_OK;
}

obol_err coupon_issuer_sign_refund_reply(const struct obol_ed25519_signer *signer, struct coupon_refund_reply *r)
{
	uint8_t digest[OBOL_HASH_LEN];
	coupon_digest_refund_reply(digest, r);
	return obol_ed25519_sign(signer, COUPON_CTX_REFUND_REPLY, digest, sizeof(digest), r->issuer_sig);
}
