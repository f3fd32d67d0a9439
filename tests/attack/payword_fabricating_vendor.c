/* payword-fabricating-vendor: a vendor that claims tokens the user never
 * paid it (issue 13, case 2; seed §3.1's vendor fraud). It reads its own
 * store (DIR/vendor.db), takes the highest-ordered sale it holds, derives
 * the token of a lower order `--order K` by hashing (K was spent at another
 * vendor, or in a sale it hides), and reports it to the agent with the
 * user's signature it holds, stretched over K:
 *   --how stretch   its sale's range K .. its last order, with the token held
 *   --how move      the range K..K, with the derived token
 * each with the signature of its real sale's range. It prints "answer: JSON"
 * (the agent's answer) or "error: NAME". */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "attack.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/http_client.h"
#include "schemes/common/vendor_cert.h"
#include "schemes/payword/wire.h"
#include "store/store.h"
#include "vendor/vendor.h"
#include "wire/json.h"

/* The sale of the highest order of certificate `serial` in dir's store. */
static obol_err last_sale(const char *dir, uint64_t serial, struct payword_claim *cl)
{
	struct obol_store *st = NULL;
	struct obol_stmt *q = NULL;
	char url[600];
	size_t tl = 0, sl = 0;
	bool row = false;
	obol_err e;
	snprintf(url, sizeof(url), "sqlite:%s/vendor.db", dir);
	if ((e = obol_store_open(url, false, &st)) != OBOL_OK ||
	    (e = obol_stmt_prepare(st,
				   "SELECT serial, order_no, token, range_from, range_sig FROM payword_v_sales "
				   "WHERE serial = ? ORDER BY order_no DESC LIMIT 1",
				   &q)) != OBOL_OK ||
	    (e = obol_stmt_bindf(q, "i", (int64_t)serial)) != OBOL_OK)
		goto out;
	if ((e = obol_stmt_step(q, &row)) == OBOL_OK && !row)
		e = OBOL_E_NOT_FOUND;
	if (e == OBOL_OK) {
		const void *tp = obol_stmt_column_blob(q, 2, &tl);
		if (tl == 32)
			memcpy(cl->token, tp, 32); /* before the next blob is read */
		const void *sig = obol_stmt_column_blob(q, 4, &sl);
		if (sl == 64)
			memcpy(cl->range.sig, sig, 64);
		cl->range.serial = (uint64_t)obol_stmt_column_int64(q, 0);
		cl->range.to = (uint64_t)obol_stmt_column_int64(q, 1);
		cl->range.from = (uint64_t)obol_stmt_column_int64(q, 3);
			e = tl == 32 && sl == 64 ? OBOL_OK : OBOL_E_STORE_QUERY;
	}
	obol_stmt_finish(q);
out:
	obol_store_close(st);
	return e;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },   { "issuer", required_argument, NULL, 'i' },
		{ "order", required_argument, NULL, 'o' }, { "how", required_argument, NULL, 'h' },
		{ "token-value", required_argument, NULL, 't' }, { "serial", required_argument, NULL, 's' },
		{ 0, 0, 0, 0 },
	};
	const char *dir = NULL, *issuer = NULL, *how = "stretch", *token_value = NULL;
	struct obol_sign_keypair sign;
	struct obol_box_keypair box;
	struct obol_vendor_cert cert;
	struct obol_http_client *c = NULL;
	struct payword_claim cl;
	struct payword_claim_wire w;
	struct payword_claim_spec spec;
	struct obol_amount tv;
	json_t *body = NULL, *answer = NULL;
	uint64_t k = 0, serial = 0, held;
	int ch;
	obol_err e;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'i': issuer = optarg; break;
		case 'o':
			if (obol_parse_u64(optarg, 1, INT64_MAX, &k) != OBOL_OK)
				return 2;
			break;
		case 'h': how = optarg; break;
		case 't': token_value = optarg; break;
		case 's':
			if (obol_parse_u64(optarg, 1, INT64_MAX, &serial) != OBOL_OK)
				return 2;
			break;
		default: return 2;
		}
	}
	if (dir == NULL || issuer == NULL || k == 0 || serial == 0 || token_value == NULL ||
	    (strcmp(how, "stretch") != 0 && strcmp(how, "move") != 0) || obol_amount_parse(token_value, &tv) != OBOL_OK) {
		fprintf(stderr, "payword-fabricating-vendor: --dir DIR --issuer URL --serial S --order K "
				"--token-value CUR:V.F [--how stretch|move]\n");
		return 2;
	}
	memset(&cl, 0, sizeof(cl));
	if ((e = obol_crypto_init()) != OBOL_OK || (e = last_sale(dir, serial, &cl)) != OBOL_OK ||
	    (e = obol_vendor_keys_load(dir, &sign, &box)) != OBOL_OK || (e = obol_vendor_cert_load(dir, &cert)) != OBOL_OK)
		goto out;
	held = cl.range.to;
	if (k >= held) {
		e = OBOL_E_INVALID_ARGUMENT;
		goto out;
	}
	if (strcmp(how, "move") == 0) {
		/* The token of order k, from the one held: hashing, as the seed says anyone can. */
		obol_hashchain_step(cl.token, cl.token, held - k);
		cl.range.to = k;
	}
	cl.range.from = k;
	if ((e = obol_amount_mul(&cl.value, &tv, cl.range.to - cl.range.from + 1)) != OBOL_OK)
		goto out;
	cl.vendor = cert.vendor_id;
	cl.range.vendor = cert.vendor_id;
	cl.auth = 424242;
	snprintf(cl.product, sizeof(cl.product), "article-1");
	printf("claim: orders %llu..%llu, holding %llu (%s)\n", (unsigned long long)cl.range.from,
	       (unsigned long long)cl.range.to, (unsigned long long)held, how);
	if ((e = obol_http_client_new(issuer, 0, &c)) != OBOL_OK)
		goto out;
	obol_http_client_set_account(c, (int64_t)cert.vendor_id, sign.sk);
	payword_claim_to_wire(&cl, &w);
	payword_claim_spec_init(&spec, &w);
	if ((e = obol_json_encode(&spec.spec, &body)) == OBOL_OK)
		e = obol_http_post_json(c, "/payword/report", body, OBOL_HTTP_AUTH, &answer);
	if (e == OBOL_OK) {
		char *text = json_dumps(answer, JSON_COMPACT | JSON_SORT_KEYS);
		printf("answer: %s\n", text != NULL ? text : "?");
		free(text);
	}
out:
	if (e)
		printf("error: %s\n", obol_strerror(e));
	json_decref(body);
	json_decref(answer);
	obol_http_client_free(c);
	OBOL_WIPE(sign);
	OBOL_WIPE(box);
	return e == OBOL_OK || e == OBOL_E_PAYWORD_RANGE_INVALID ? 0 : 1;
}

OBOL_ATTACK(payword_fabricating_vendor, "payword-fabricating-vendor",
	    "--dir DIR --issuer URL --serial S --order K --token-value CUR:V.F [--how stretch|move]",
	    "a payword vendor that derives a lower token from one it holds and claims it", run)
