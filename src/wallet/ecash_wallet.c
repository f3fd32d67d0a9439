/* The wallet's ecash part: its section, keys, registration and renewal,
 * top-up, the bank's lists, and the requests whose answer may be lost. See
 * ecash_wallet.h; seed 002 §3, §4, §6. */
#include "wallet/history.h"
#include "wallet/ecash_wallet.h"
#include "wallet/ecash_wallet_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "net/http_client.h"
#include "schemes/common/keys_doc.h"
#include "vendor/ecash_rl_fetch.h"
#include "wallet/issuer_link.h"
#include "wire/json.h"

/* ---- the section ---- */

/* A base64url string of obj[key] as bytes (heap; *len). */
static obol_err get_blob(const json_t *obj, const char *key, uint8_t **out, size_t *len)
{
	const char *s = json_string_value(json_object_get(obj, key));
	*out = NULL;
	*len = 0;
	if (s == NULL)
		return OBOL_E_NOT_FOUND;
	size_t cap = strlen(s) * 3 / 4 + 3;
	uint8_t *b = malloc(cap);
	if (b == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_b64_decode(s, b, cap, len, 0);
	if (e != OBOL_OK) {
		obol_wipe(b, cap);
		free(b);
		return OBOL_E_WALLET_FILE;
	}
	*out = b;
	return OBOL_OK;
}

obol_err ecash_w_set_blob(json_t *obj, const char *key, const uint8_t *p, size_t n)
{
	size_t cap = OBOL_B64_LEN(n);
	char *s = malloc(cap);
	if (s == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_b64_encode(p, n, s, cap);
	if (e == OBOL_OK && json_object_set_new(obj, key, json_string(s)) != 0)
		e = OBOL_E_NO_MEMORY;
	obol_wipe(s, cap);
	free(s);
	return e;
}

/* Coins of one list at load: more than a wallet file (at most 16 MiB,
 * checked at open) can hold, since each coin carries at least a 2048-bit RSA
 * signature (342 base64 characters). So the file's size is the only limit
 * and a wallet always opens again what it saved (it stopped opening once it
 * had saved more than 4096 coins). */
#define ECASH_WALLET_COINS_MAX (1u << 16)

static obol_err load_coins(const json_t *sec, const char *key, struct ecash_held_coin **coins, size_t *n)
{
	const json_t *j = json_object_get(sec, key);
	*coins = NULL;
	*n = 0;
	if (j == NULL)
		return OBOL_OK;
	return ecash_coins_from_json(j, coins, n, ECASH_WALLET_COINS_MAX) == OBOL_OK ? OBOL_OK : OBOL_E_WALLET_FILE;
}

void ecash_w_free_coins(struct ecash_held_coin *coins, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ecash_held_clear(&coins[i]);
	free(coins);
}

/* The bank keys as the wallet keeps them: [{"key": B64 (DER), "valid_from",
 * "use_until", "accept_until", "legal_end"}], as the issuer's master
 * announced them (verified when fetched, ecash_w_bank_keys_update). */
static obol_err bank_keys_from_json(const json_t *arr, struct ecash_bank_keys *out)
{
	size_t i;
	const json_t *x;
	obol_err e = OBOL_OK;
	ecash_bank_keys_init(out);
	json_array_foreach(arr, i, x) {
		uint8_t *der = NULL;
		size_t len = 0;
		EVP_PKEY *pk = NULL;
		if ((e = get_blob(x, "key", &der, &len)) == OBOL_OK && (e = obol_rsa_public_from_der(der, len, &pk)) == OBOL_OK)
			e = ecash_bank_keys_add(out, pk, json_integer_value(json_object_get(x, "valid_from")),
						json_integer_value(json_object_get(x, "use_until")),
						json_integer_value(json_object_get(x, "accept_until")),
						json_integer_value(json_object_get(x, "legal_end")));
		free(der);
		EVP_PKEY_free(pk);
		if (e != OBOL_OK)
			break;
	}
	if (e == OBOL_OK && out->n == 0)
		e = OBOL_E_WALLET_FILE;
	if (e != OBOL_OK)
		ecash_bank_keys_clear(out);
	return e;
}

obol_err ecash_w_bank_keys_update(struct ecash_wallet *ew, const json_t *keys, bool first_contact)
{
	struct ecash_bank_keys nb;
	json_t *arr = json_array();
	obol_err e = arr != NULL ? ecash_bank_keys_from_doc(keys, first_contact, &nb) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && nb.n == 0) {
		json_decref(arr);
		return OBOL_OK; /* none announced: the keys held stay */
	}
	if (e != OBOL_OK) {
		json_decref(arr);
		return e;
	}
	for (size_t i = 0; i < nb.n && e == OBOL_OK; i++) {
		const struct ecash_bank_key *k = &nb.k[i];
		json_t *o = json_pack("{s:I, s:I, s:I, s:I}", "valid_from", (json_int_t)k->valid_from, "use_until",
				      (json_int_t)k->use_until, "accept_until", (json_int_t)k->accept_until, "legal_end",
				      (json_int_t)k->legal_end);
		uint8_t *der = NULL;
		size_t len = 0;
		if (o == NULL || json_array_append_new(arr, o) != 0)
			e = OBOL_E_NO_MEMORY;
		else if ((e = obol_rsa_public_to_der(k->pk, &der, &len)) == OBOL_OK)
			e = ecash_w_set_blob(o, "key", der, len);
		OPENSSL_free(der);
	}
	if (e == OBOL_OK && json_object_set(ew->sec, "bank_keys", arr) != 0)
		e = OBOL_E_NO_MEMORY;
	json_decref(arr);
	if (e != OBOL_OK) {
		ecash_bank_keys_clear(&nb);
		return e;
	}
	/* in place: the customer and merchants borrow &ew->bank */
	ecash_bank_keys_clear(&ew->bank);
	ew->bank = nb;
	return OBOL_OK;
}

/* The cached lists: a list this version cannot read (an older form, such
 * as the one signed whole) or a directory whose signature fails is
 * dropped: refresh fetches it again. The revocation list was put together
 * from pages each checked when fetched (rl_pages.h). */
static void load_lists(struct ecash_wallet *ew)
{
	const json_t *rj = json_object_get(ew->sec, "revocations");
	if (rj != NULL && ew->bank.n > 0) {
		struct ecash_revocations_spec sp;
		if (ecash_revocations_spec(&sp, &ew->rl, true) != OBOL_OK ||
		    ecash_revocations_done(&sp, obol_json_decode(rj, &sp.s)) != OBOL_OK)
			ecash_revocations_clear(&ew->rl);
	}
	const json_t *dj = json_object_get(ew->sec, "directory");
	if (dj != NULL) {
		struct ecash_directory_spec sp;
		ecash_directory_spec(&sp, &ew->dir, true);
		if (ecash_directory_done(&sp, obol_json_decode(dj, &sp.s)) != OBOL_OK)
			ecash_directory_clear(&ew->dir);
	}
}

/* The wallet's private key from its DER. obol_rsa_private_from_der checks
 * that the key's parts agree, which costs tens of milliseconds (prime
 * tests); a process that loads the same key again (the simulator runs many
 * wallet commands in one process) takes the key it checked before. The
 * cache holds only keys that passed the check, by the SHA-256 of their DER;
 * a CLI command loads its key once and exits. */
#define KEY_CACHE 16
static struct {
	uint8_t h[OBOL_HASH_LEN];
	EVP_PKEY *k;
} key_cache[KEY_CACHE];
static size_t key_cache_next;
static pthread_mutex_t key_cache_mu = PTHREAD_MUTEX_INITIALIZER;

static obol_err private_key(const uint8_t *der, size_t len, EVP_PKEY **out)
{
	uint8_t h[OBOL_HASH_LEN];
	obol_sha256(h, der, len);
	pthread_mutex_lock(&key_cache_mu);
	for (size_t i = 0; i < KEY_CACHE; i++)
		if (key_cache[i].k != NULL && memcmp(key_cache[i].h, h, sizeof h) == 0 &&
		    EVP_PKEY_up_ref(key_cache[i].k) == 1) {
			*out = key_cache[i].k;
			pthread_mutex_unlock(&key_cache_mu);
			return OBOL_OK;
		}
	pthread_mutex_unlock(&key_cache_mu);
	obol_err e = obol_rsa_private_from_der(der, len, out);
	if (e != OBOL_OK || EVP_PKEY_up_ref(*out) != 1)
		return e;
	pthread_mutex_lock(&key_cache_mu);
	size_t i = key_cache_next++ % KEY_CACHE;
	EVP_PKEY_free(key_cache[i].k);
	memcpy(key_cache[i].h, h, sizeof h);
	key_cache[i].k = *out;
	pthread_mutex_unlock(&key_cache_mu);
	return OBOL_OK;
}

obol_err ecash_wallet_load(struct obol_wallet *w, struct ecash_wallet *ew)
{
	uint8_t *der = NULL, edsk[OBOL_SIGN_SK_LEN];
	size_t len = 0;
	obol_err e;

	memset(ew, 0, sizeof(*ew));
	ew->w = w;
	if ((ew->sec = obol_wallet_section(w, "ecash")) == NULL)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_wallet_issuer(w, NULL, NULL, NULL, ew->currency)) != OBOL_OK)
		return e;
	if (obol_wallet_account(w, &ew->account, edsk) == OBOL_OK)
		obol_wipe(edsk, sizeof(edsk));
	if (json_is_array(json_object_get(ew->sec, "bank_keys"))) {
		if (bank_keys_from_json(json_object_get(ew->sec, "bank_keys"), &ew->bank) != OBOL_OK)
			return OBOL_E_WALLET_FILE;
	} else if (get_blob(ew->sec, "bank_key", &der, &len) == OBOL_OK) {
		EVP_PKEY *bk = NULL;
		e = obol_rsa_public_from_der(der, len, &bk);
		free(der);
		if (e == OBOL_OK)
			e = ecash_bank_keys_one(&ew->bank, bk);
		EVP_PKEY_free(bk);
		if (e != OBOL_OK)
			return OBOL_E_WALLET_FILE;
	}
	if (get_blob(ew->sec, "key", &der, &len) == OBOL_OK) {
		e = private_key(der, len, &ew->sk);
		obol_wipe(der, len);
		free(der);
		if (e != OBOL_OK)
			return OBOL_E_WALLET_FILE;
	}
	const json_t *cj = json_object_get(ew->sec, "cert");
	if (cj != NULL && ew->sk != NULL && ew->bank.n > 0) {
		struct ecash_cert cert;
		if (ecash_cert_from_json(cj, &cert) != OBOL_OK)
			return OBOL_E_WALLET_FILE;
		/* An expired certificate still lets the wallet read its coins. */
		if ((e = ecash_customer_init(&ew->cust, ew->sk, &ew->bank, &cert, cert.account, cert.issued)) != OBOL_OK)
			return e;
		ew->registered = true;
		ew->account = cert.account;
		const json_t *win = json_object_get(ew->sec, "deposit_window");
		if (json_is_integer(win) && json_integer_value(win) > 0)
			ew->cust.pol.transfer_max_age = json_integer_value(win) / 2;
		size_t i;
		const json_t *r;
		json_array_foreach(json_object_get(ew->sec, "retired"), i, r) {
			uint8_t id[ECASH_ID_LEN];
			size_t n;
			if (!json_is_string(r) || obol_b64_decode(json_string_value(r), id, sizeof(id), &n, 1) != OBOL_OK)
				return OBOL_E_WALLET_FILE;
			ecash_customer_retire(&ew->cust, id);
		}
	}
	if ((e = load_coins(ew->sec, "held", &ew->coins, &ew->ncoins)) != OBOL_OK ||
	    (e = load_coins(ew->sec, "unconfirmed", &ew->unconfirmed, &ew->nunconfirmed)) != OBOL_OK ||
	    (e = load_coins(ew->sec, "pending", &ew->pending, &ew->npending)) != OBOL_OK)
		return e;
	/* A file of the version before kept a deposit or refund whose answer
	 * was lost under these names: its coins are held again, and the next
	 * deposit or refund brings them (the bank answers ALREADY_DEPOSITED or
	 * ALREADY_REFUNDED for what it took the first time). */
	static const char *const older[] = { "depositing", "redeeming" };
	for (size_t i = 0; i < 2; i++) {
		struct ecash_held_coin *c = NULL;
		size_t n = 0;
		if ((e = load_coins(ew->sec, older[i], &c, &n)) == OBOL_OK)
			e = ecash_w_coins_append(&ew->coins, &ew->ncoins, c, n);
		ecash_w_free_coins(c, n);
		if (e != OBOL_OK)
			return e;
	}
	load_lists(ew);
	return OBOL_OK;
}

static obol_err put_coins(json_t *sec, const char *key, const struct ecash_held_coin *coins, size_t n)
{
	json_t *j = NULL;
	obol_err e = ecash_coins_to_json(coins, n, &j);
	if (e == OBOL_OK && json_object_set_new(sec, key, j) != 0)
		e = OBOL_E_NO_MEMORY;
	return e;
}

/* Whether text (a base64url owner key) names a coin still to be spent: a
 * fresh held coin, or one a kept request asks for. */
static bool owner_needed(const struct ecash_wallet *ew, const char *pk64)
{
	uint8_t pk[ECASH_OWNER_LEN];
	size_t n;
	if (obol_b64_decode(pk64, pk, sizeof(pk), &n, 1) != OBOL_OK)
		return false;
	for (size_t i = 0; i < ew->ncoins; i++)
		if (ew->coins[i].nchain == 0 && ew->coins[i].coin.has_owner &&
		    memcmp(ew->coins[i].coin.owner, pk, ECASH_OWNER_LEN) == 0)
			return true;
	/* The coins a kept request asks for: a top-up's, an exchange's, a
	 * withdrawal's change. */
	const json_t *body = json_object_get(json_object_get(ew->sec, "in_doubt"), "body"), *v;
	size_t i;
	json_array_foreach(json_object_get(body, "values"), i, v) {
		if (json_is_string(json_object_get(v, "owner")) && strcmp(json_string_value(json_object_get(v, "owner")), pk64) == 0)
			return true;
	}
	json_array_foreach(json_object_get(body, "owners"), i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), pk64) == 0)
			return true;
	}
	v = json_object_get(body, "change");
	return json_is_string(v) && strcmp(json_string_value(v), pk64) == 0;
}

obol_err ecash_wallet_save(struct ecash_wallet *ew)
{
	/* The older version's names are read once, into the held coins. */
	json_object_del(ew->sec, "depositing");
	json_object_del(ew->sec, "depositing_nonce");
	json_object_del(ew->sec, "redeeming");
	json_object_del(ew->sec, "redeeming_nonce");
	obol_err e = put_coins(ew->sec, "held", ew->coins, ew->ncoins);
	if (e == OBOL_OK)
		e = put_coins(ew->sec, "unconfirmed", ew->unconfirmed, ew->nunconfirmed);
	if (e == OBOL_OK)
		e = put_coins(ew->sec, "pending", ew->pending, ew->npending);
	/* Owner secrets of coins spent or given back are of no more use. */
	json_t *ok = json_object_get(ew->sec, "owner_keys");
	const char *k;
	json_t *v, *tmp;
	json_object_foreach_safe(ok, tmp, k, v) {
		if (!owner_needed(ew, k))
			json_object_del(ok, k);
	}
	if (e == OBOL_OK && ew->rl.held) {
		struct ecash_revocations_spec sp;
		json_t *j = NULL;
		if ((e = ecash_revocations_spec(&sp, &ew->rl, false)) == OBOL_OK &&
		    (e = obol_json_encode(&sp.s, &j)) == OBOL_OK && json_object_set_new(ew->sec, "revocations", j) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	if (e == OBOL_OK && ew->dir.sig_len != 0) {
		struct ecash_directory_spec sp;
		json_t *j = NULL;
		ecash_directory_spec(&sp, &ew->dir, false);
		if ((e = obol_json_encode(&sp.s, &j)) == OBOL_OK && json_object_set_new(ew->sec, "directory", j) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	if (e == OBOL_OK)
		e = obol_wallet_save(ew->w);
	return e;
}

void ecash_wallet_free(struct ecash_wallet *ew)
{
	ecash_w_free_coins(ew->coins, ew->ncoins);
	ecash_w_free_coins(ew->unconfirmed, ew->nunconfirmed);
	ecash_w_free_coins(ew->pending, ew->npending);
	ecash_revocations_clear(&ew->rl);
	ecash_directory_clear(&ew->dir);
	EVP_PKEY_free(ew->sk);
	ecash_bank_keys_clear(&ew->bank);
	memset(ew, 0, sizeof(*ew));
}

obol_err ecash_w_coins_append(struct ecash_held_coin **list, size_t *n, const struct ecash_held_coin *add, size_t k)
{
	struct ecash_held_coin *nl = realloc(*list, (*n + k ? *n + k : 1) * sizeof(*nl));
	if (nl == NULL)
		return OBOL_E_NO_MEMORY;
	*list = nl;
	for (size_t i = 0; i < k; i++) {
		obol_err e = ecash_held_copy(&nl[*n], &add[i]);
		if (e != OBOL_OK)
			return e;
		(*n)++;
	}
	return OBOL_OK;
}

obol_err ecash_w_coins_move(struct ecash_held_coin *list, size_t *n, const size_t *idx, size_t k,
			    struct ecash_held_coin **dst, size_t *ndst)
{
	struct ecash_held_coin *nd = realloc(*dst, (*ndst + k ? *ndst + k : 1) * sizeof(*nd));
	bool *take = calloc(*n ? *n : 1, sizeof(bool));
	if (nd == NULL || take == NULL) {
		free(take);
		if (nd != NULL)
			*dst = nd;
		return OBOL_E_NO_MEMORY;
	}
	*dst = nd;
	for (size_t i = 0; i < k; i++)
		take[idx[i]] = true;
	size_t keep = 0;
	for (size_t i = 0; i < *n; i++) {
		if (take[i])
			nd[(*ndst)++] = list[i];
		else
			list[keep++] = list[i];
	}
	*n = keep;
	free(take);
	return OBOL_OK;
}

void ecash_w_coins_remove(struct ecash_held_coin *list, size_t *n, const size_t *idx, size_t k)
{
	size_t keep = 0;
	for (size_t i = 0; i < *n; i++) {
		bool drop = false;
		for (size_t j = 0; j < k && !drop; j++)
			drop = idx[j] == i;
		if (drop)
			ecash_held_clear(&list[i]);
		else
			list[keep++] = list[i];
	}
	*n = keep;
}

void ecash_w_coins_drop_all(struct ecash_held_coin **list, size_t *n)
{
	ecash_w_free_coins(*list, *n);
	*list = NULL;
	*n = 0;
}

/* ---- owner keys ---- */

obol_err ecash_w_owner_new(struct ecash_wallet *ew, uint8_t pk[static ECASH_OWNER_LEN])
{
	uint8_t sk[ECASH_OWNER_SK_LEN];
	char name[OBOL_B64_LEN(ECASH_OWNER_LEN)];
	json_t *ok = json_object_get(ew->sec, "owner_keys");
	obol_err e = OBOL_OK;
	if (ok == NULL && ((ok = json_object()) == NULL || json_object_set_new(ew->sec, "owner_keys", ok) != 0))
		return OBOL_E_NO_MEMORY;
	ecash_owner_keypair(pk, sk);
	if ((e = obol_b64_encode(pk, ECASH_OWNER_LEN, name, sizeof(name))) == OBOL_OK)
		e = ecash_w_set_blob(ok, name, sk, sizeof(sk));
	OBOL_WIPE(sk);
	return e;
}

obol_err ecash_w_owner_sk(const struct ecash_wallet *ew, const uint8_t pk[static ECASH_OWNER_LEN],
			  uint8_t sk[static ECASH_OWNER_SK_LEN])
{
	char name[OBOL_B64_LEN(ECASH_OWNER_LEN)];
	obol_err e = obol_b64_encode(pk, ECASH_OWNER_LEN, name, sizeof(name));
	if (e != OBOL_OK)
		return e;
	const json_t *v = json_object_get(json_object_get(ew->sec, "owner_keys"), name);
	size_t n = 0;
	if (!json_is_string(v))
		return OBOL_E_NOT_FOUND;
	if (obol_b64_decode(json_string_value(v), sk, ECASH_OWNER_SK_LEN, &n, 1) != OBOL_OK)
		return OBOL_E_WALLET_FILE;
	return OBOL_OK;
}

/* ---- requests whose answer may be lost ---- */

obol_err ecash_w_need_registered(const struct ecash_wallet *ew)
{
	return ew->registered ? OBOL_OK : OBOL_E_ECASH_NOT_REGISTERED;
}

/* Whether the bank answered a request (a reply, or a named refusal of the
 * whole of it), rather than the answer being lost on the way. */
static bool answered(obol_err e)
{
	return e != OBOL_E_NETWORK && e != OBOL_E_HTTP && e != OBOL_E_PEER_ERROR && e != OBOL_E_NO_MEMORY &&
	       e != OBOL_E_STORE_CONFLICT && e != OBOL_E_STORE_BUSY;
}

obol_err ecash_w_post(struct ecash_wallet *ew, const char *path, json_t *body, json_t **reply, bool *settled)
{
	struct obol_http_client *c = NULL;
	json_t *kept = NULL, *canon = NULL;
	char *text = obol_json_dump_canonical(body);
	obol_err e = text != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	json_t *keys = NULL;
	*reply = NULL;
	*settled = false;
	/* The bank keys, before coins signed by a successor come back (a
	 * top-up's, an exchange's, change): fetched again when the wallet's key
	 * document is a day old (obol_wallet_keys_due) or no key it knows will
	 * be signing a day from now (a successor is announced a lookahead
	 * ahead, so a wallet that knows it asks nothing more; the day covers a
	 * bank clock ahead of the wallet's). When they cannot be fetched the
	 * known ones stay (a coin they cannot check is refused by name,
	 * ECASH_BANK_KEY_UNKNOWN, and the request stays kept). */
	int64_t now = obol_now();
	if (e == OBOL_OK &&
	    (obol_wallet_keys_due(ew->w, now) || ecash_bank_keys_at(&ew->bank, now) == NULL ||
	     ecash_bank_keys_at(&ew->bank, now + OBOL_KEYS_DOC_REFRESH_S) == NULL) &&
	    obol_wallet_fetch_keys(ew->w, &keys) == OBOL_OK && ecash_w_bank_keys_update(ew, keys, false) != OBOL_OK)
		obol_log_warn("ecash: the issuer's bank keys could not be read; the known ones are kept");
	json_decref(keys);
	/* The body as it is kept (keys sorted) is the one sent, so that the
	 * same bytes go out again after a lost answer. */
	if (e == OBOL_OK && (canon = json_loads(text, 0, NULL)) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK &&
	    ((kept = json_pack("{s:s, s:O}", "path", path, "body", canon)) == NULL ||
	     json_object_set_new(ew->sec, "in_doubt", kept) != 0))
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = ecash_wallet_save(ew);
	if (e == OBOL_OK)
		e = obol_wallet_client(ew->w, true, &c);
	if (e == OBOL_OK)
		e = obol_http_post_json(c, path, canon, OBOL_HTTP_AUTH, reply);
	if (text != NULL && answered(e) && json_object_get(ew->sec, "in_doubt") != NULL) {
		json_object_del(ew->sec, "in_doubt");
		*settled = true;
	}
	obol_http_client_free(c);
	json_decref(canon);
	json_decref(body);
	free(text);
	return e;
}

obol_err ecash_w_resume(struct ecash_wallet *ew, FILE *out, bool *resumed)
{
	json_t *kept = json_object_get(ew->sec, "in_doubt");
	json_t *body = NULL, *reply = NULL;
	char path[64];
	bool settled = false;
	obol_err e = OBOL_OK;
	*resumed = kept != NULL;
	if (kept == NULL)
		return OBOL_OK;
	snprintf(path, sizeof(path), "%s", json_string_value(json_object_get(kept, "path")) ? json_string_value(json_object_get(kept, "path")) : "");
	body = json_deep_copy(json_object_get(kept, "body"));
	if (body == NULL)
		return OBOL_E_WALLET_FILE;
	fprintf(out, "sending again the request to %s whose answer was lost\n", path);
	json_t *copy = json_incref(body);
	e = ecash_w_post(ew, path, copy, &reply, &settled);
	if (settled) {
		obol_err s = strcmp(path, "/ecash/topup") == 0
				     ? ecash_w_topup_settle(ew, body, e == OBOL_OK ? reply : NULL, out)
				     : ecash_w_coins_settle(ew, path, body, e == OBOL_OK ? reply : NULL, out);
		obol_err v = ecash_wallet_save(ew);
		if (e == OBOL_OK)
			e = s != OBOL_OK ? s : v;
	}
	json_decref(body);
	json_decref(reply);
	return e;
}

obol_err ecash_w_bank_nonce(struct obol_http_client *c, const char *purpose, uint8_t nonce[static ECASH_NONCE_LEN])
{
	struct ecash_nonce_reply r;
	struct ecash_nonce_spec sp;
	json_t *req = json_pack("{s:s}", "purpose", purpose), *rep = NULL;
	obol_err e = req ? obol_http_post_json(c, "/ecash/nonce", req, OBOL_HTTP_AUTH, &rep) : OBOL_E_NO_MEMORY;
	json_decref(req);
	if (e == OBOL_OK) {
		ecash_nonce_reply_spec(&sp, &r);
		e = obol_json_decode(rep, &sp.s);
	}
	if (e == OBOL_OK)
		memcpy(nonce, r.nonce, ECASH_NONCE_LEN);
	json_decref(rep);
	return e;
}

void ecash_w_print_id(FILE *out, const char *label, const uint8_t *id, size_t n)
{
	char hex[2 * ECASH_ID_LEN + 1];
	obol_hex_encode(id, n, hex);
	fprintf(out, "%s: %s\n", label, hex);
}

/* ---- registration and renewal ---- */

/* §3.2: nonce, a new key pair, σ = sign(n), the bank's certificate for our
 * account, kept with the key (the bank's key and deposit window too). The
 * old key, if any, is retired. */
static obol_err register_key(struct ecash_wallet *ew, unsigned bits, FILE *out)
{
	struct obol_http_client *c = NULL;
	json_t *keys = NULL, *rep = NULL, *req = NULL;
	struct ecash_register_req m = { 0 };
	struct ecash_register_spec sp;
	struct ecash_customer nc;
	struct ecash_cert cert;
	struct ecash_bank_keys bank;
	uint8_t *der = NULL, *bk = NULL, edsk[OBOL_SIGN_SK_LEN], old[ECASH_ID_LEN];
	size_t der_len = 0, bk_len = 0;
	EVP_PKEY *sk = NULL;
	bool renewing = ew->registered;
	obol_err e;

	ecash_bank_keys_init(&bank);
	if ((e = obol_wallet_client(ew->w, true, &c)) != OBOL_OK)
		return e;
	if ((e = obol_wallet_account(ew->w, &ew->account, edsk)) != OBOL_OK)
		goto out;
	obol_wipe(edsk, sizeof(edsk));
	/* The bank's key and deposit window from the issuer's signed key document. */
	if ((e = obol_wallet_fetch_keys(ew->w, &keys)) != OBOL_OK)
		goto out;
	const json_t *ek = json_object_get(keys, "ecash");
	if ((e = get_blob(ek, "bank_key", &bk, &bk_len)) != OBOL_OK) {
		e = e == OBOL_E_NOT_FOUND ? OBOL_E_KEYS_UNKNOWN : e;
		goto out;
	}
	if ((e = ecash_bank_keys_from_doc(keys, true, &bank)) != OBOL_OK)
		goto out;
	if ((e = ecash_w_bank_nonce(c, "register", m.nonce)) != OBOL_OK || (e = obol_rsa_generate(bits, &sk)) != OBOL_OK ||
	    (e = obol_rsa_public_to_der(sk, &der, &der_len)) != OBOL_OK)
		goto out;
	if (der_len > sizeof(m.key)) {
		e = OBOL_E_ECASH_KEY_WEAK;
		goto out;
	}
	memcpy(m.key, der, der_len);
	m.key_len = der_len;
	if ((e = ecash_customer_register_answer(sk, m.nonce, m.sig, &m.sig_len)) != OBOL_OK)
		goto out;
	ecash_register_req_spec(&sp, &m);
	if ((e = obol_json_encode(&sp.s, &req)) != OBOL_OK ||
	    (e = obol_http_post_json(c, "/ecash/register", req, OBOL_HTTP_AUTH, &rep)) != OBOL_OK ||
	    (e = ecash_cert_from_json(rep, &cert)) != OBOL_OK ||
	    (e = ecash_customer_init(&nc, sk, &bank, &cert, ew->account, obol_now())) != OBOL_OK)
		goto out;
	/* Keep the key and the certificate. */
	OPENSSL_free(der);
	der = NULL;
	if ((e = obol_rsa_private_to_der(sk, &der, &der_len)) != OBOL_OK ||
	    (e = ecash_w_set_blob(ew->sec, "key", der, der_len)) != OBOL_OK ||
	    (e = ecash_w_set_blob(ew->sec, "bank_key", bk, bk_len)) != OBOL_OK ||
	    (e = ecash_w_bank_keys_update(ew, keys, true)) != OBOL_OK || json_object_set(ew->sec, "cert", rep) != 0 ||
	    json_object_set_new(ew->sec, "deposit_window",
				json_integer(json_integer_value(json_object_get(ek, "deposit_window")))) != 0)
		goto out;
	obol_rsa_der_free(der, der_len);
	der = NULL;
	if (renewing) {
		json_t *ret = json_object_get(ew->sec, "retired");
		if (ret == NULL && ((ret = json_array()) == NULL || json_object_set_new(ew->sec, "retired", ret) != 0)) {
			e = OBOL_E_NO_MEMORY;
			goto out;
		}
		memcpy(old, ew->cust.id, ECASH_ID_LEN);
		char b64[OBOL_B64_LEN(ECASH_ID_LEN)];
		if ((e = obol_b64_encode(old, ECASH_ID_LEN, b64, sizeof(b64))) != OBOL_OK)
			goto out;
		if (json_array_append_new(ret, json_string(b64)) != 0) {
			e = OBOL_E_NO_MEMORY;
			goto out;
		}
		while (json_array_size(ret) > ECASH_RETIRED_MAX)
			json_array_remove(ret, 0);
		nc.nretired = ew->cust.nretired;
		memcpy(nc.retired, ew->cust.retired, sizeof(nc.retired));
		ecash_customer_retire(&nc, old);
	}
	nc.pol.transfer_max_age = json_integer_value(json_object_get(ek, "deposit_window")) / 2;
	EVP_PKEY_free(ew->sk);
	ew->sk = sk;
	sk = NULL;
	ew->cust = nc;
	ew->cust.bank_pk = &ew->bank;
	ew->registered = true;
	if ((e = ecash_wallet_save(ew)) != OBOL_OK)
		goto out;
	if (renewing)
		ecash_w_print_id(out, "retired-key", old, ECASH_ID_LEN);
	ecash_w_print_id(out, "ecash-key", ew->cust.id, ECASH_ID_LEN);
	fprintf(out, "ecash-account: %lld\n", (long long)cert.account);
	fprintf(out, "ecash-cert-expiry: %lld\n", (long long)cert.expiry);
out:
	if (der != NULL)
		OPENSSL_free(der);
	free(bk);
	EVP_PKEY_free(sk);
	ecash_bank_keys_clear(&bank);
	json_decref(keys);
	json_decref(req);
	json_decref(rep);
	obol_http_client_free(c);
	return e;
}

obol_err ecash_wallet_register(struct ecash_wallet *ew, unsigned bits, FILE *out)
{
	if (ew->registered)
		return OBOL_E_ECASH_KEY_REGISTERED;
	return register_key(ew, bits, out);
}

obol_err ecash_wallet_renew(struct ecash_wallet *ew, unsigned bits, FILE *out)
{
	obol_err e = ecash_w_need_registered(ew);
	return e == OBOL_OK ? register_key(ew, bits, out) : e;
}

bool ecash_wallet_renewal_due(const struct ecash_cert *cert, int64_t now)
{
	int64_t margin = (cert->expiry - cert->issued) / 10;
	if (margin > ECASH_WALLET_RENEW_MARGIN_MAX_S)
		margin = ECASH_WALLET_RENEW_MARGIN_MAX_S;
	return now >= cert->expiry - margin;
}

obol_err ecash_wallet_renew_if_due(struct ecash_wallet *ew, int64_t now, FILE *out)
{
	if (!ew->registered || !ecash_wallet_renewal_due(&ew->cust.cert, now))
		return OBOL_OK;
	int bits = ew->sk != NULL ? EVP_PKEY_get_bits(ew->sk) : 0;
	fprintf(out, "the e-cash key's certificate ends at %lld: renewing the key\n", (long long)ew->cust.cert.expiry);
	obol_err e = register_key(ew, bits > 0 ? (unsigned)bits : OBOL_RSA_DEFAULT_BITS, out);
	if (e == OBOL_E_NETWORK || e == OBOL_E_HTTP)
		return e;
	if (e != OBOL_OK)
		fprintf(out, "the renewal failed (%s): the current key stays in use\n", obol_strerror(e));
	return OBOL_OK;
}

/* ---- top-up ---- */

obol_err ecash_w_topup_settle(struct ecash_wallet *ew, const json_t *body, const json_t *reply, FILE *out)
{
	struct ecash_topup_req *m = calloc(1, sizeof(*m));
	struct ecash_topup_reply *r = calloc(1, sizeof(*r));
	struct ecash_topup_req_spec sp;
	struct ecash_topup_reply_spec rsp;
	char total[OBOL_AMOUNT_STR_MAX];
	obol_err e = m && r ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && reply == NULL) {
		fprintf(out, "the bank refused the top-up: nothing was debited\n");
		goto out; /* the owner keys asked for are dropped at the next save */
	}
	if (e == OBOL_OK) {
		ecash_topup_req_spec(&sp, m);
		e = obol_json_decode(body, &sp.s);
	}
	if (e == OBOL_OK) {
		ecash_topup_reply_spec(&rsp, r);
		e = obol_json_decode(reply, &rsp.s);
	}
	if (e == OBOL_OK && r->ncoins != m->nvalues)
		e = OBOL_E_ECASH_COIN_VALUE;
	if (e == OBOL_OK)
		e = ecash_customer_topup_check(&ew->cust, m->values, r->coins, r->ncoins, obol_now());
	for (size_t i = 0; e == OBOL_OK && i < r->ncoins; i++) {
		struct ecash_held_coin h = { .coin = r->coins[i] };
		e = ecash_w_coins_append(&ew->coins, &ew->ncoins, &h, 1);
	}
	if (e == OBOL_OK) {
		obol_amount_format(&r->total, total);
		fprintf(out, "topped-up: %s in %zu coin%s\n", total, r->ncoins, r->ncoins == 1 ? "" : "s");
		e = obol_history_note(ew->w, "topup", "ecash", &r->total, NULL);
	}
out:
	free(m);
	free(r);
	return e;
}

obol_err ecash_wallet_topup(struct ecash_wallet *ew, const struct obol_amount *values, size_t n, FILE *out)
{
	struct obol_http_client *c = NULL;
	struct ecash_topup_req *m = calloc(1, sizeof(*m));
	struct ecash_topup_req_spec sp;
	json_t *req = NULL, *rep = NULL;
	bool resumed = false, settled = false;
	obol_err e = m ? ecash_w_need_registered(ew) : OBOL_E_NO_MEMORY;

	if (e == OBOL_OK && (e = ecash_w_resume(ew, out, &resumed)) == OBOL_OK && resumed)
		goto out;
	if (e == OBOL_OK && (n == 0 || n > ECASH_COINS_MAX))
		e = OBOL_E_ECASH_TOO_MANY_COINS;
	if (e == OBOL_OK)
		e = obol_wallet_client(ew->w, true, &c);
	/* §5.3 / §6.2: nonce; an owner key per coin, kept before they are
	 * named; our signature over the nonce and the ordered coins. */
	if (e == OBOL_OK)
		e = ecash_w_bank_nonce(c, "topup", m->nonce);
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		m->values[i].value = values[i];
		e = ecash_w_owner_new(ew, m->values[i].owner);
	}
	if (e == OBOL_OK) {
		m->nvalues = n;
		m->cert = ew->cust.cert;
		e = ecash_customer_topup_answer(&ew->cust, m->nonce, m->values, n, m->sig, &m->sig_len);
	}
	if (e == OBOL_OK) {
		ecash_topup_req_spec(&sp, m);
		e = obol_json_encode(&sp.s, &req);
	}
	/* The request is kept before it leaves: a lost answer is asked for
	 * again (case 3), and the bank answers it once. */
	if (e == OBOL_OK) {
		json_t *body = json_incref(req);
		e = ecash_w_post(ew, "/ecash/topup", body, &rep, &settled);
	}
	if (settled) {
		obol_err s = ecash_w_topup_settle(ew, req, e == OBOL_OK ? rep : NULL, out);
		if (s == OBOL_OK)
			s = ecash_wallet_save(ew);
		if (e == OBOL_OK)
			e = s;
	} else if (e != OBOL_OK && json_object_get(ew->sec, "in_doubt") != NULL) {
		fprintf(out, "no answer from the bank: the top-up is kept and sent again by the next "
			     "'wallet ecash topup'\n");
	}
out:
	json_decref(req);
	json_decref(rep);
	obol_http_client_free(c);
	free(m);
	return e;
}

/* ---- the bank's lists ---- */

obol_err ecash_wallet_refresh(struct ecash_wallet *ew, FILE *out)
{
	struct obol_http_client *c = NULL;
	json_t *dj = NULL, *keys = NULL;
	struct ecash_rl_fetch f;
	struct ecash_directory dir = { 0 };
	struct ecash_directory_spec dsp;
	char path[128], id64[OBOL_B64_LEN(ECASH_ID_LEN)];
	obol_err e = ecash_w_need_registered(ew);
	/* what the held list lacks, in signed pages: a delta since its
	 * version, or the whole list when it is a day since the last whole */
	ecash_rl_fetch_begin(&f, &ew->rl, obol_now());
	/* The bank keys first: the lists may be signed by a successor, and the
	 * deposit window may have changed (how old a received coin may be). */
	if (e == OBOL_OK && (e = obol_wallet_fetch_keys(ew->w, &keys)) == OBOL_OK &&
	    (e = ecash_w_bank_keys_update(ew, keys, false)) == OBOL_OK) {
		int64_t win = json_integer_value(json_object_get(json_object_get(keys, "ecash"), "deposit_window"));
		if (win > 0 && json_object_set_new(ew->sec, "deposit_window", json_integer(win)) == 0)
			ew->cust.pol.transfer_max_age = win / 2;
	}
	if (e == OBOL_OK)
		e = obol_wallet_client(ew->w, false, &c);
	if (e == OBOL_OK)
		e = ecash_rl_fetch_pages(c, &ew->bank, &f, NULL);
	/* The block of registrations our key is in: where rings come from. */
	if (e == OBOL_OK && (e = obol_b64_encode(ew->cust.id, ECASH_ID_LEN, id64, sizeof(id64))) == OBOL_OK) {
		snprintf(path, sizeof(path), "/ecash/directory?key=%s", id64);
		e = obol_http_get_json(c, path, 0, &dj);
	}
	if (e == OBOL_OK) {
		ecash_directory_spec(&dsp, &dir, true);
		e = ecash_directory_done(&dsp, obol_json_decode(dj, &dsp.s));
	}
	if (e == OBOL_OK)
		e = ecash_directory_verify(&ew->bank, &dir);
	if (e == OBOL_OK)
		e = ecash_rl_fetch_apply(&f, &ew->rl);
	if (e == OBOL_OK) {
		ecash_directory_clear(&ew->dir);
		ew->dir = dir;
		memset(&dir, 0, sizeof(dir));
		e = ecash_wallet_save(ew);
	}
	if (e == OBOL_OK && out != NULL)
		fprintf(out, "revoked-keys: %zu\ndirectory-keys: %zu\n", ew->rl.n, ew->dir.n);
	ecash_rl_fetch_free(&f);
	ecash_directory_clear(&dir);
	json_decref(dj);
	json_decref(keys);
	obol_http_client_free(c);
	return e;
}

void ecash_w_print_result(FILE *out, const char *what, const json_t *r)
{
	const json_t *ev = json_object_get(r, "evidence");
	fprintf(out, "%s %s %s: %s\n", what, json_string_value(json_object_get(r, "serial")),
		json_string_value(json_object_get(r, "value")), json_string_value(json_object_get(r, "name")));
	if (ev != NULL) {
		fprintf(out, "double-spend: %s at claim %lld\n", json_string_value(json_object_get(ev, "kind")),
			(long long)json_integer_value(json_object_get(ev, "fork")));
		fprintf(out, "culprit-account: %lld\n", (long long)json_integer_value(json_object_get(ev, "culprit_account")));
		if (json_object_get(ev, "culprit_key") != NULL)
			fprintf(out, "culprit-key: %s\n", json_string_value(json_object_get(ev, "culprit_key")));
	}
}

obol_err ecash_wallet_balance(const struct ecash_wallet *ew, struct obol_amount *sum, FILE *out)
{
	obol_err e = obol_amount_zero(ew->currency, sum);
	for (size_t i = 0; e == OBOL_OK && i < ew->ncoins; i++) {
		const struct ecash_held_coin *h = &ew->coins[i];
		e = obol_amount_add(sum, sum, &h->coin.value);
		if (out != NULL && e == OBOL_OK) {
			char hex[2 * 8 + 1], v[OBOL_AMOUNT_STR_MAX];
			obol_hex_encode(h->coin.serial, 8, hex);
			obol_amount_format(&h->coin.value, v);
			fprintf(out, "coin %s %s %s, %zu claim%s, expires %lld%s\n", hex, v,
				h->nchain == 0 ? "fresh" : "received", h->nchain, h->nchain == 1 ? "" : "s",
				(long long)h->coin.expiry,
				ecash_customer_spendable(&ew->cust, h, obol_now()) ? "" : " (deposit it: not spendable)");
		}
	}
	return e;
}
