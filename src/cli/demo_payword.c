/* obol demo --scheme payword (seed 003; DESIGN §7): an agent, two generic
 * vendors (one reporting almost online, one in batches) and a specific one,
 * each selling an article and an image; alice registers for the account the
 * operator opened, buys tokens, buys at all three (signing the range of
 * tokens of each purchase) and fetches what she bought; a vendor that
 * fabricates a token from one it holds finds no range of the user's that
 * covers it, and is caught and revoked; alice loses her certificate, and
 * after the grace for late reports gets its unspent value back; the books
 * balance. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/demo.h"
#include "cli/demo_payer.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/http_client.h"
#include "schemes/common/vendor_cert.h"
#include "schemes/payword/wire.h"
#include "store/store.h"
#include "vendor/vendor.h"
#include "wire/json.h"

struct shop {
	const char *name, *mode, *report;
	struct obol_demo_proc *proc;
	char dir[512], http[96], addr[64];
	uint64_t id;
};

static obol_err write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	obol_err e = f != NULL && fwrite(p, 1, n, f) == n ? OBOL_OK : OBOL_E_IO;
	if (f != NULL && fclose(f) != 0)
		e = OBOL_E_IO;
	return e;
}

/* A small picture (PPM): a gradient, the "image" the seed's vendors sell. */
static obol_err make_image(const char *path)
{
	static uint8_t img[15 + 32 * 32 * 3];
	int h = snprintf((char *)img, 16, "P6\n32 32\n255\n");
	for (int y = 0; y < 32; y++)
		for (int x = 0; x < 32; x++) {
			uint8_t *p = img + h + 3 * (y * 32 + x);
			p[0] = (uint8_t)(x * 8), p[1] = (uint8_t)(y * 8), p[2] = 128;
		}
	return write_file(path, img, (size_t)h + 32 * 32 * 3);
}

static obol_err setup_shop(struct obol_demo *d, const char *db, const char *issuer_url, struct shop *s)
{
	char *out = NULL, vkey[128], bkey[128], path[600], text[200];
	obol_err e;
	snprintf(s->dir, sizeof(s->dir), "%s", obol_demo_path(d, s->name));
	if ((e = obol_demo_run(d, &out, "vendor", "init", "--dir", s->dir, "--issuer", issuer_url, NULL)) != OBOL_OK ||
	    (e = obol_demo_field(out, "vendor-key", vkey, sizeof(vkey))) != OBOL_OK ||
	    (e = obol_demo_field(out, "box-key", bkey, sizeof(bkey))) != OBOL_OK)
		goto out;
	free(out);
	out = NULL;
	snprintf(path, sizeof(path), "%s/vendor.cert", s->dir);
	if ((e = obol_demo_run(d, NULL, "issuer", "vendor", "add", "--db", db, "--name", s->name, "--vendor-key", vkey,
			       "--box-key", bkey, "--out", path, "--signer", obol_demo_signer_socket(d), NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "vendor", "payword", "setup", "--dir", s->dir, "--mode", s->mode, "--report",
			       s->report, "--interval", "2", "--crl-interval", "1", NULL)) != OBOL_OK)
		goto out;
	snprintf(text, sizeof(text), "%s today: micropayments sell single articles for a cent or two.\n", s->name);
	snprintf(path, sizeof(path), "%s/article.txt", obol_demo_dir(d));
	if ((e = write_file(path, text, strlen(text))) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "vendor", "payword", "product", "--dir", s->dir, "--id", "article-1", "--price",
			       "EUR:0.02", "--file", path, NULL)) != OBOL_OK)
		goto out;
	snprintf(path, sizeof(path), "%s/image.ppm", obol_demo_dir(d));
	if ((e = make_image(path)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "vendor", "payword", "product", "--dir", s->dir, "--id", "image-1", "--price",
			       "EUR:0.05", "--file", path, "--type", "image/x-portable-pixmap", NULL)) != OBOL_OK)
		goto out;
	if ((e = obol_demo_start(d, s->name, &s->proc, "vendor", "serve", "--dir", s->dir, "--issuer", issuer_url,
				 "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", NULL)) != OBOL_OK)
		goto out;
	snprintf(s->addr, sizeof(s->addr), "%s", obol_demo_proc_addr(s->proc));
	snprintf(s->http, sizeof(s->http), "http://%s", obol_demo_proc_addr2(s->proc));
	struct obol_vendor_cert cert;
	if ((e = obol_vendor_cert_load(s->dir, &cert)) == OBOL_OK)
		s->id = cert.vendor_id;
out:
	free(out);
	return e;
}

static obol_err buy(struct obol_demo *d, const char *wallet, const struct shop *s, const char *product,
		    const char *outname)
{
	char out[600];
	snprintf(out, sizeof(out), "%s", obol_demo_path(d, outname));
	return obol_demo_run(d, NULL, "wallet", "payword", "buy", "--wallet", wallet, "--vendor", s->addr, "--product",
			     product, "--http", s->http, "--out", out, NULL);
}

/* What a dishonest vendor can do with the store it keeps: it holds the
 * token of order o of a chain, derives the token of order k < o (k was spent
 * at another vendor) by hashing o - k times, and claims it (seed §3.1). The
 * user signed no range covering k for it; the best it has is the range of
 * its own sale, which does not verify for k. */
static obol_err fabricate(struct obol_demo *d, const struct shop *s, const char *issuer_url, uint64_t k,
			  json_t **answer)
{
	struct obol_store *st = NULL;
	struct obol_stmt *q = NULL;
	struct obol_sign_keypair sign;
	struct obol_box_keypair box;
	struct obol_http_client *c = NULL;
	struct payword_claim cl;
	struct payword_claim_wire w;
	struct payword_claim_spec spec;
	json_t *body = NULL;
	char url[700];
	size_t tl = 0, sl = 0;
	bool row = false;
	uint64_t held = 0;
	obol_err e;
	memset(&cl, 0, sizeof(cl));
	snprintf(url, sizeof(url), "sqlite:%s/vendor.db", s->dir);
	if ((e = obol_store_open(url, false, &st)) != OBOL_OK ||
	    (e = obol_stmt_prepare(st,
				   "SELECT serial, order_no, token, range_sig FROM payword_v_sales "
				   "ORDER BY order_no DESC LIMIT 1",
				   &q)) != OBOL_OK)
		goto out;
	if ((e = obol_stmt_step(q, &row)) == OBOL_OK && !row)
		e = OBOL_E_NOT_FOUND;
	if (e == OBOL_OK) {
		uint8_t tok[32];
		const void *tp = obol_stmt_column_blob(q, 2, &tl);
		if (tl == 32)
			memcpy(tok, tp, 32); /* before the next blob is read */
		const void *sig = obol_stmt_column_blob(q, 3, &sl);
		cl.range.serial = (uint64_t)obol_stmt_column_int64(q, 0);
		held = (uint64_t)obol_stmt_column_int64(q, 1);
		if (tl != 32 || sl != 64 || held <= k) {
			e = OBOL_E_INTERNAL;
		} else {
			memcpy(cl.range.sig, sig, 64); /* the user's signature, but on its own sale's range */
			obol_hashchain_step(cl.token, tok, held - k);
			cl.range.from = cl.range.to = k;
		}
	}
	obol_stmt_finish(q);
	if (e)
		goto out;
	obol_demo_step(d, "seed §3.1's vendor fraud: %s holds the token of order %llu; it hashes it %llu times into "
			  "the token of order %llu (spent at another vendor) and claims that one too",
		       s->name, (unsigned long long)held, (unsigned long long)(held - k), (unsigned long long)k);
	cl.vendor = s->id;
	cl.range.vendor = s->id;
	cl.auth = 424242;
	snprintf(cl.product, sizeof(cl.product), "article-1");
	if ((e = obol_amount_parse("EUR:0.01", &cl.value)) != OBOL_OK ||
	    (e = obol_vendor_keys_load(s->dir, &sign, &box)) != OBOL_OK ||
	    (e = obol_http_client_new(issuer_url, 0, &c)) != OBOL_OK)
		goto out;
	obol_http_client_set_account(c, (int64_t)s->id, sign.sk);
	payword_claim_to_wire(&cl, &w);
	payword_claim_spec_init(&spec, &w);
	if ((e = obol_json_encode(&spec.spec, &body)) == OBOL_OK)
		e = obol_http_post_json(c, "/payword/report", body, OBOL_HTTP_AUTH, answer);
out:
	json_decref(body);
	obol_http_client_free(c);
	obol_store_close(st);
	OBOL_WIPE(sign);
	OBOL_WIPE(box);
	return e;
}

/* The agent's grace for late reports: shop-b's batch interval (2 s) fits in it. */
#define DEMO_GRACE "4"
#define DEMO_GRACE_S 4

static obol_err payword_demo(struct obol_demo *d)
{
	struct obol_demo_proc *issuer;
	struct shop a = { .name = "shop-a", .mode = "generic", .report = "almost-online" };
	struct shop b = { .name = "shop-b", .mode = "generic", .report = "batch" };
	struct shop s = { .name = "shop-s", .mode = "specific", .report = "almost-online" };
	char db[600], wallet[600], sid[24], akey[128], *text = NULL;
	json_t *answer = NULL;
	obol_err e;

	snprintf(db, sizeof(db), "%s", obol_demo_db_url(d, "issuer")); /* the helper's buffer is reused */
	setenv("OBOL_PAYWORD_PASSWORD", "alice's payword password", 1);
	obol_demo_step(d, "the agent (the issuer): tokens of EUR:0.01; unreported tokens wait %s s for late reports "
			  "(the grace, longer than any vendor's batch interval)",
		       DEMO_GRACE);
	if ((e = obol_demo_run(d, NULL, "issuer", "init", "--db", db, "--currency", "EUR", "--payword-token-value",
			       "EUR:0.01", "--payword-grace", DEMO_GRACE, OBOL_DEMO_INIT_ARGS(d), NULL)) != OBOL_OK ||
	    (e = obol_demo_issuer(d, db, &issuer)) != OBOL_OK)
		return e;
	const char *iurl = obol_demo_proc_url(issuer);

	obol_demo_step(d, "three vendors register: shop-a generic (almost online), shop-b generic (batch every 2 s), "
			  "shop-s specific; each sells an article (EUR:0.02) and an image (EUR:0.05)");
	if ((e = setup_shop(d, db, iurl, &a)) != OBOL_OK || (e = setup_shop(d, db, iurl, &b)) != OBOL_OK ||
	    (e = setup_shop(d, db, iurl, &s)) != OBOL_OK)
		return e;

	obol_demo_step(d, "the operator opens alice's account for her wallet's key; she registers for payword with "
			  "a user name and a password (Argon2id at the agent), signed with that key");
	snprintf(wallet, sizeof(wallet), "%s", obol_demo_path(d, "alice.wallet"));
	if ((e = obol_demo_run(d, &text, "wallet", "init", "--wallet", wallet, "--issuer", iurl, "--account", "alice",
			       NULL)) != OBOL_OK ||
	    (e = obol_demo_field(text, "account-key", akey, sizeof(akey))) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "issuer", "account", "add", "--db", db, "--kind", "user", "--name", "alice",
			       "--auth-key", akey, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "issuer", "fund", "--db", db, "--account", "alice", "--amount", "EUR:1",
			       NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "payword", "register", "--wallet", wallet, "--username", "alice",
			       NULL)) != OBOL_OK)
		goto out;
	free(text);
	text = NULL;

	obol_demo_step(d, "steps A-D: alice buys 30 tokens; the agent generates the chain, signs its root in the vendor "
			  "certificate, and she keeps it sealed under her password");
	if ((e = obol_demo_run(d, NULL, "wallet", "payword", "buy-tokens", "--wallet", wallet, "--tokens", "30",
			       NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "steps 1-8: an article at shop-a, an image at shop-b, another article at shop-a, each "
			  "fetched from the vendor's product page with its authorisation number");
	if ((e = buy(d, wallet, &a, "article-1", "article-a.txt")) != OBOL_OK ||
	    (e = buy(d, wallet, &b, "image-1", "image-b.ppm")) != OBOL_OK ||
	    (e = buy(d, wallet, &a, "article-1", "article-a2.txt")) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the specific system: alice's generic chain is refused at shop-s; she buys a chain bound to "
			  "shop-s");
	snprintf(sid, sizeof(sid), "%llu", (unsigned long long)s.id);
	if ((e = obol_demo_expect(d, OBOL_E_PAYWORD_NO_CERT, "wallet", "payword", "buy", "--wallet", wallet, "--vendor",
				  s.addr, "--product", "article-1", NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "payword", "buy-tokens", "--wallet", wallet, "--tokens", "5",
			       "--vendor-id", sid, NULL)) != OBOL_OK ||
	    (e = buy(d, wallet, &s, "article-1", "article-s.txt")) != OBOL_OK)
		goto out;

	obol_demo_step(d, "reports: shop-a's went at once; shop-b's leave at its next batch tick");
	sleep(3);
	if ((e = obol_demo_run(d, NULL, "issuer", "account", "list", "--db", db, "--kind", "vendor", NULL)) != OBOL_OK)
		goto out;

	if ((e = fabricate(d, &a, iurl, 3, &answer)) != OBOL_OK)
		goto out;
	text = json_dumps(answer, JSON_COMPACT);
	printf("   the agent answers: %s\n", text != NULL ? text : "?");
	if (!json_is_false(json_object_get(answer, "accepted"))) {
		printf("   the fabrication was not caught\n");
		e = OBOL_E_INTERNAL;
		goto out;
	}
	if ((e = obol_demo_run(d, NULL, "issuer", "payword", "evidence", "--db", db, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "issuer", "account", "show", "--db", db, "--account", "shop-a", NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "alice loses her certificate: the agent revokes it at once, and holds every token no vendor "
			  "has reported for the grace (a batch vendor may still report); after it, the rest is hers");
	if ((e = obol_demo_run(d, NULL, "wallet", "payword", "show", "--wallet", wallet, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "payword", "regenerate", "--wallet", wallet, "--lost", NULL)) != OBOL_OK)
		goto out;
	sleep(DEMO_GRACE_S + 1);
	if ((e = obol_demo_run(d, NULL, "wallet", "payword", "regenerate", "--wallet", wallet, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "payword", "show", "--wallet", wallet, NULL)) != OBOL_OK)
		goto out;
	obol_demo_step(d, "she spends the regenerated tokens at shop-b");
	if ((e = buy(d, wallet, &b, "article-1", "article-b.txt")) != OBOL_OK)
		goto out;
	sleep(3);

	obol_demo_step(d, "alice's history: the tokens bought, each purchase with the shop's verified receipt");
	if ((e = obol_demo_history(d, wallet)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the books balance");
	e = obol_demo_audit(d, db);
out:
	free(text);
	json_decref(answer);
	return e;
}

OBOL_DEMO(payword_demo_reg, "payword", 30, payword_demo)
