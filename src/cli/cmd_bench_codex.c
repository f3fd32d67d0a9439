/* obol bench codex: the codex scheme's two rates (bench.h), each next to the
 * machine's own limit measured in the same run.
 *
 *   offline_payment  one payment between two wallets: codex_pay, the payer's
 *                    wallet saved; codex_receive, the payee's wallet saved;
 *                    codex_take_ack, the payer's wallet saved (three durable
 *                    sealed-file replacements, as the wallet does them)
 *                    vs three durable replacements (write, fsync, rename,
 *                    fsync dir) of a file of the wallet's size
 *   offline_memory   the same payment without storage vs the cryptography it
 *                    cannot do without, done raw by libsodium: 2 Ed25519 signs,
 *                    5 verifies, one sealed box made and opened
 *   reconcile        the bank's update Codex on SQLite: codex_issuer_sync of
 *                    one user's log of 4 payments (verified, recorded,
 *                    credited, a new state signed) and its durable commit,
 *                    vs a durable commit of a one-row UPDATE on the same
 *                    database. The logs are made before the timing, one per
 *                    user of a pool (a log can only follow its user's last
 *                    state); should a very fast machine use the pool up, 64
 *                    more are made inside the timing.
 *
 * Payments alternate direction with a virtual clock (2 s per payment, so
 * received ids age out as in real use), and each Codex is renewed in memory
 * by the bench's bank when its log is full. */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/cli.h"
#include "crypto/secret.h"
#include "issuer/codex_bank.h"
#include "issuer/keys.h"
#include "schemes/codex/bank.h"
#include "schemes/codex/codex.h"
#include "store/ledger.h"
#include "wallet/codex_wallet.h"

#define T0 1800000000
#define RECON_PAYMENTS 4

struct party {
	struct codex_bank_user rec;
	struct obol_sign_keypair sk;
	struct obol_box_keypair box;
	struct codex *cx;
	struct codex_msg_request req;
	struct obol_wallet *w;
	char path[PATH_MAX];
};

/* One user's log, ready to be handed in. */
struct pooled {
	int64_t account;
	struct codex_state st;
	struct codex_entry ents[RECON_PAYMENTS];
	struct obol_amount balance;
};

struct cb {
	char dir[PATH_MAX], raw_path[PATH_MAX], raw_tmp[PATH_MAX];
	struct obol_sign_keypair bank;
	struct obol_ed25519_signer bank_sg;
	struct codex_bank_policy pol; /* the in-memory bank's */
	struct codex_blacklist *bl;
	struct party p[2];
	int64_t now;
	unsigned turn;
	size_t file_size;
	uint8_t *raw_buf;
	/* raw crypto */
	uint8_t msg[256], sig[OBOL_SIGN_LEN], sealed[256 + OBOL_SEALBOX_OVERHEAD], opened[256];
	/* the bank's store */
	struct obol_store *s;
	struct obol_issuer_keys keys;
	struct obol_sign_keypair master; /* the bench signs with the master key itself */
	int64_t payee;                 /* the account every pooled log pays */
	struct codex_msg_request payee_req;
	struct codex_blacklist *rbl;   /* the store's blacklist */
	struct pooled *pool;
	size_t npool, next, made;
};

/* ---- two wallets ------------------------------------------------------------ */

/* out = DIR/name (out may lie inside *b: no formatting from b into b). */
static obol_err dir_path(const struct cb *b, char *out, size_t cap, const char *name)
{
	size_t dl = strlen(b->dir), nl = strlen(name);
	if (dl + 1 + nl + 1 > cap)
		return OBOL_E_IO;
	memmove(out, b->dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, name, nl + 1);
	return OBOL_OK;
}

static obol_err renew(struct cb *b, struct party *p)
{
	struct codex_state st;
	struct codex_sync_answer a = { .state = &st, .bl = b->bl, .cert = NULL };
	obol_err e;
	p->rec.loaded = p->cx->balance; /* the bench's bank takes the Codex's word */
	if ((e = obol_amount_zero("EUR", &p->rec.credits)) != OBOL_OK || (e = obol_amount_zero("EUR", &p->rec.debits)) != OBOL_OK)
		return e;
	if ((e = codex_bank_issue_state(&b->pol, &p->rec, p->cx->nlog, b->now, &st)) != OBOL_OK ||
	    (e = codex_sync_begin(p->cx, "bench", NULL, false)) != OBOL_OK)
		return e;
	return codex_sync_apply(p->cx, &a, b->now);
}

static obol_err one_payment(struct cb *b, bool durable)
{
	struct party *from = &b->p[b->turn & 1], *to = &b->p[(b->turn + 1) & 1];
	struct codex_msg_pay *m = malloc(sizeof(*m));
	struct codex_msg_ack ack;
	struct obol_amount a = { .units = 1, .currency = "EUR" };
	struct codex_pay_req pr = { .req = &to->req, .amount = &a, .max = NULL };
	obol_err e;
	if (!m)
		return OBOL_E_NO_MEMORY;
	b->turn++;
	b->now += 2;
	for (int i = 0; i < 2; i++)
		if (codex_check_live(b->p[i].cx, b->now) == OBOL_E_CODEX_TX_LIMIT && (e = renew(b, &b->p[i])) != OBOL_OK)
			goto out;
	if ((e = codex_pay(from->cx, &pr, b->now, m, NULL)) != OBOL_OK ||
	    (durable && (e = codex_wallet_store(from->w, from->cx)) != OBOL_OK) ||
	    (e = codex_receive(to->cx, m, b->now, &ack, NULL)) != OBOL_OK ||
	    (durable && (e = codex_wallet_store(to->w, to->cx)) != OBOL_OK) ||
	    (e = codex_take_ack(from->cx, &ack)) != OBOL_OK ||
	    (durable && (e = codex_wallet_store(from->w, from->cx)) != OBOL_OK))
		goto out;
	if (durable) {
		struct stat sb;
		if (stat(from->path, &sb) == 0)
			b->file_size = (size_t)sb.st_size;
	}
out:
	free(m);
	return e;
}

static obol_err ours_offline(void *arg)
{
	return one_payment(arg, true);
}

static obol_err ours_memory(void *arg)
{
	return one_payment(arg, false);
}

/* One durable replacement, as the wallet file does it. */
static obol_err durable_replace(struct cb *b)
{
	int fd = open(b->raw_tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600), dfd;
	obol_err e = OBOL_OK;
	if (fd < 0)
		return OBOL_E_IO;
	if (write(fd, b->raw_buf, b->file_size) != (ssize_t)b->file_size || fsync(fd) != 0)
		e = OBOL_E_IO;
	if (close(fd) != 0 || (e == OBOL_OK && rename(b->raw_tmp, b->raw_path) != 0))
		e = OBOL_E_IO;
	if (e == OBOL_OK) {
		if ((dfd = open(b->dir, O_RDONLY | O_DIRECTORY)) < 0)
			return OBOL_E_IO;
		if (fsync(dfd) != 0)
			e = OBOL_E_IO;
		close(dfd);
	}
	return e;
}

static obol_err raw_offline(void *arg)
{
	struct cb *b = arg;
	obol_err e = OBOL_OK;
	for (int i = 0; e == OBOL_OK && i < 3; i++)
		e = durable_replace(b);
	return e;
}

static obol_err raw_memory(void *arg)
{
	struct cb *b = arg;
	const uint8_t *pk = b->p[0].sk.pk;
	int bad = 0;
	/* payer: sign the token, seal it; payee: open, verify token, cert,
	 * state; sign the ack; payer: verify the payee's cert and the ack */
	bad |= crypto_sign_detached(b->sig, NULL, b->msg, sizeof(b->msg), b->p[0].sk.sk);
	bad |= crypto_box_seal(b->sealed, b->msg, sizeof(b->msg), b->p[1].box.pk);
	bad |= crypto_box_seal_open(b->opened, b->sealed, sizeof(b->sealed), b->p[1].box.pk, b->p[1].box.sk);
	for (int i = 0; i < 4; i++)
		bad |= crypto_sign_verify_detached(b->sig, b->msg, sizeof(b->msg), pk);
	bad |= crypto_sign_detached(b->sig, NULL, b->msg, sizeof(b->msg), b->p[0].sk.sk);
	bad |= crypto_sign_verify_detached(b->sig, b->msg, sizeof(b->msg), pk);
	return bad ? OBOL_E_CRYPTO_LIBRARY : OBOL_OK;
}

static obol_err setup_wallets(struct cb *b)
{
	static const char *const names[2] = { "alice", "bob" };
	char keyfile[PATH_MAX];
	uint8_t key[32];
	struct obol_wallet_keysrc ks = { .key_file = keyfile };
	int fd;
	obol_err e;

	if ((e = dir_path(b, keyfile, sizeof keyfile, "device.key")) != OBOL_OK)
		return e;
	obol_random(key, sizeof key);
	if ((fd = open(keyfile, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
		return OBOL_E_IO;
	if (write(fd, key, sizeof key) != (ssize_t)sizeof key) {
		close(fd);
		return OBOL_E_IO;
	}
	close(fd);
	obol_wipe(key, sizeof key);
	obol_sign_keypair_new(&b->bank);
	codex_bank_policy_default(&b->pol);
	b->pol.currency = "EUR";
	obol_ed25519_signer_local(&b->bank_sg, &b->bank);
	b->pol.signer = &b->bank_sg;
	b->pol.sign_pk = b->bank.pk;
	if ((e = obol_amount_zero("EUR", &b->pol.token_max)) != OBOL_OK)
		return e;
	if (!(b->bl = calloc(1, sizeof(*b->bl))))
		return OBOL_E_NO_MEMORY;
	if ((e = codex_blacklist_sign(b->bl, &b->bank_sg)) != OBOL_OK)
		return e;
	for (int i = 0; i < 2; i++) {
		struct party *p = &b->p[i];
		struct codex_cert cert;
		struct codex_state st;
		obol_sign_keypair_new(&p->sk);
		obol_box_keypair_new(&p->box);
		p->rec.p.id = (uint64_t)i + 1;
		snprintf(p->rec.p.name, sizeof p->rec.p.name, "%s", names[i]);
		p->rec.p.kind = CODEX_PARTY_USER;
		memcpy(p->rec.p.sign_pk, p->sk.pk, 32);
		memcpy(p->rec.box_pk, p->box.pk, 32);
		if ((e = obol_amount_from_units("EUR", 100000000000, &p->rec.loaded)) != OBOL_OK ||
		    (e = obol_amount_from_units("EUR", 1000000000, &p->rec.deposit)) != OBOL_OK ||
		    (e = obol_amount_zero("EUR", &p->rec.credits)) != OBOL_OK ||
		    (e = obol_amount_zero("EUR", &p->rec.debits)) != OBOL_OK)
			return e;
		char file[64];
		snprintf(file, sizeof file, "%s.wallet", names[i]);
		if ((e = dir_path(b, p->path, sizeof p->path, file)) != OBOL_OK)
			return e;
		if (!(p->cx = codex_alloc()))
			return OBOL_E_NO_MEMORY;
		if ((e = codex_bank_issue_cert(&b->pol, &p->rec, b->now, &cert)) != OBOL_OK ||
		    (e = codex_bank_issue_state(&b->pol, &p->rec, 0, b->now, &st)) != OBOL_OK ||
		    (e = codex_init(p->cx, b->bank.pk, &cert, &st, b->bl, p->sk.sk, &p->box, b->now)) != OBOL_OK ||
		    (e = codex_request(p->cx, NULL, &p->req)) != OBOL_OK ||
		    (e = obol_wallet_create(p->path, &ks, &p->w)) != OBOL_OK || (e = codex_wallet_store(p->w, p->cx)) != OBOL_OK)
			return e;
	}
	if ((e = dir_path(b, b->raw_path, sizeof b->raw_path, "raw.file")) != OBOL_OK ||
	    (e = dir_path(b, b->raw_tmp, sizeof b->raw_tmp, "raw.file.tmp")) != OBOL_OK)
		return e;
	if (!(b->raw_buf = malloc(4 << 20)))
		return OBOL_E_NO_MEMORY;
	memset(b->raw_buf, 0xa5, 4 << 20);
	obol_random(b->msg, sizeof b->msg);
	return OBOL_OK;
}

/* ---- the bank ----------------------------------------------------------------- */

/* Opens a user at the store's bank; *cert and *st are its Codex's. */
static obol_err open_user(struct cb *b, const char *name, const struct obol_sign_keypair *kp,
			  const struct obol_box_keypair *box, int64_t *acc, struct codex_cert *cert, struct codex_state *st)
{
	struct codex_issuer_ctx c = { .s = b->s, .keys = &b->keys, .currency = "EUR", .now = b->now };
	struct obol_amount fund = { .units = 1000000000, .currency = "EUR" };
	struct codex_issuer_open_req r = { .box_pk = box->pk, .amount = { .units = 100000000, .currency = "EUR" },
					   .deposit = { .units = 1000, .currency = "EUR" } };
	struct codex_open_out out;
	obol_err e = obol_account_create(b->s, OBOL_ACCOUNT_USER, name, kp->pk, acc);
	obol_ed25519_signer_local(&c.signer, &b->master);
	r.account = *acc;
	if (e == OBOL_OK)
		e = obol_ledger_fund(b->s, *acc, &fund, name);
	if (e == OBOL_OK && (e = codex_issuer_open(&c, &r, &out)) == OBOL_OK) {
		*cert = out.cert;
		*st = out.state;
	}
	return e;
}

/* Makes n more users, each with a log of RECON_PAYMENTS payments to the payee. */
static obol_err pool_fill(struct cb *b, size_t n)
{
	struct pooled *np = realloc(b->pool, (b->npool + n) * sizeof(*np));
	struct codex *x = codex_alloc();
	struct codex_msg_pay *m = malloc(sizeof(*m));
	struct obol_amount a = { .units = 1, .currency = "EUR" };
	struct codex_pay_req pr = { .req = &b->payee_req, .amount = &a, .max = NULL };
	obol_err e;
	if (np)
		b->pool = np;
	if (!np || !x || !m) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_store_begin(b->s)) != OBOL_OK)
		goto out;
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		struct pooled *p = &b->pool[b->npool + i];
		struct obol_sign_keypair kp;
		struct obol_box_keypair box;
		struct codex_cert cert;
		char name[32];
		snprintf(name, sizeof name, "user%zu", b->made++);
		obol_sign_keypair_new(&kp);
		obol_box_keypair_new(&box);
		if ((e = open_user(b, name, &kp, &box, &p->account, &cert, &p->st)) == OBOL_OK &&
		    (e = codex_init(x, b->keys.master_pk, &cert, &p->st, b->rbl, kp.sk, &box, b->now)) == OBOL_OK)
			for (int k = 0; e == OBOL_OK && k < RECON_PAYMENTS; k++)
				e = codex_pay(x, &pr, b->now, m, NULL);
		if (e == OBOL_OK) {
			for (int k = 0; k < RECON_PAYMENTS; k++)
				p->ents[k] = x->log[k].e;
			p->balance = x->balance;
		}
		OBOL_WIPE(kp);
		OBOL_WIPE(box);
	}
	if (e != OBOL_OK) {
		obol_store_rollback(b->s);
		goto out;
	}
	if ((e = obol_store_commit(b->s)) == OBOL_OK)
		b->npool += n;
out:
	codex_free(x);
	free(m);
	return e;
}

static obol_err bank_setup(struct cb *b, size_t pool)
{
	char url[PATH_MAX + 16], path[PATH_MAX];
	struct obol_sign_keypair kp;
	struct obol_box_keypair box;
	struct codex_cert cert;
	struct codex_state st;
	struct obol_ed25519_signer sg;
	obol_err e;

	if ((e = dir_path(b, path, sizeof path, "bank.db")) != OBOL_OK)
		return e;
	snprintf(url, sizeof url, "sqlite:%s", path);
	if ((e = obol_store_open(url, true, &b->s)) != OBOL_OK || (e = obol_ledger_init(b->s, "EUR")) != OBOL_OK ||
	    (e = obol_issuer_keys_migrate(b->s)) != OBOL_OK || (e = codex_issuer_migrate(b->s)) != OBOL_OK)
		return e;
	if (!(b->rbl = calloc(1, sizeof(*b->rbl))))
		return OBOL_E_NO_MEMORY;
	if ((e = obol_store_begin(b->s)) != OBOL_OK)
		return e;
	obol_sign_keypair_new(&kp);
	obol_box_keypair_new(&box);
	e = obol_issuer_keys_create(b->s, "EUR", b->now, &b->keys, &b->master);
	obol_ed25519_signer_local(&sg, &b->master);
	if (e == OBOL_OK)
		e = codex_issuer_setup(b->s, &sg, b->now);
	if (e == OBOL_OK)
		e = codex_issuer_blacklist_read(b->s, b->rbl);
	if (e == OBOL_OK)
		e = open_user(b, "payee", &kp, &box, &b->payee, &cert, &st);
	OBOL_WIPE(kp);
	OBOL_WIPE(box);
	if (e == OBOL_OK) {
		memset(&b->payee_req, 0, sizeof(b->payee_req));
		e = codex_cert_encode(&cert, b->payee_req.cert, sizeof(b->payee_req.cert), &b->payee_req.cert_len);
	}
	if (e != OBOL_OK) {
		obol_store_rollback(b->s);
		return e;
	}
	if ((e = obol_store_commit(b->s)) != OBOL_OK)
		return e;
	return pool_fill(b, pool);
}

static obol_err ours_reconcile(void *arg)
{
	struct cb *b = arg;
	struct codex_issuer_ctx c = { .s = b->s, .keys = &b->keys, .currency = "EUR", .now = b->now };
	obol_ed25519_signer_local(&c.signer, &b->master);
	struct codex_sync_out res;
	struct codex_sync_req req;
	struct pooled *p;
	obol_err e;
	if (b->next == b->npool && (e = pool_fill(b, 64)) != OBOL_OK)
		return e;
	p = &b->pool[b->next++];
	req = (struct codex_sync_req){ .account = (uint64_t)p->account, .state = &p->st, .entries = p->ents,
				       .n = RECON_PAYMENTS, .claimed = &p->balance };
	if ((e = obol_store_begin(b->s)) != OBOL_OK)
		return e;
	e = codex_issuer_sync(&c, &req, &res);
	if (e == OBOL_OK && !res.renewed)
		e = OBOL_E_INTERNAL;
	codex_sync_out_free(&res);
	if (e != OBOL_OK) {
		obol_store_rollback(b->s);
		return e;
	}
	return obol_store_commit(b->s);
}

static obol_err raw_reconcile(void *arg)
{
	struct cb *b = arg;
	obol_err e = obol_store_begin(b->s);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_store_run(b->s, NULL, "UPDATE codex_users SET perf = perf + 1 WHERE id = ?", "i", b->payee)) !=
	    OBOL_OK) {
		obol_store_rollback(b->s);
		return e;
	}
	return obol_store_commit(b->s);
}

/* ---- the command ----------------------------------------------------------------- */

static void teardown(struct cb *b)
{
	char path[PATH_MAX];
	for (int i = 0; i < 2; i++) {
		obol_wallet_close(b->p[i].w);
		codex_free(b->p[i].cx);
		OBOL_WIPE(b->p[i].sk);
		OBOL_WIPE(b->p[i].box);
	}
	obol_store_close(b->s);
	obol_issuer_keys_wipe(&b->keys);
	OBOL_WIPE(b->master);
	OBOL_WIPE(b->bank);
	free(b->bl);
	free(b->rbl);
	free(b->raw_buf);
	free(b->pool);
	if (b->dir[0]) {
		/* the files the bench made, then the directory */
		static const char *const files[] = { "device.key", "alice.wallet", "alice.wallet.lock", "bob.wallet",
						     "bob.wallet.lock", "raw.file", "bank.db", "bank.db-wal", "bank.db-shm" };
		for (size_t i = 0; i < OBOL_ARRAY_LEN(files); i++)
			if (dir_path(b, path, sizeof path, files[i]) == OBOL_OK)
				unlink(path);
		rmdir(b->dir);
	}
}

static int cmd_bench_codex(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "quick", no_argument, NULL, 'q' },
					      { "json", no_argument, NULL, 'j' },
					      { NULL, 0, NULL, 0 } };
	int json = 0, c, rc = OBOL_EXIT_OK;
	double seconds = OBOL_BENCH_SECONDS;
	struct cb *b = calloc(1, sizeof(*b));
	const char *tmp = getenv("TMPDIR");
	obol_err e;

	if (!b)
		return obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "");
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'q')
			seconds = OBOL_BENCH_QUICK_SECONDS;
		else if (c == 'j')
			json = 1;
		else {
			free(b);
			return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc) {
		free(b);
		return obol_cli_extra_arg(cmd, argv[optind]);
	}
	b->now = T0;
	snprintf(b->dir, sizeof b->dir, "%s/obol-bench-codex-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(b->dir)) {
		b->dir[0] = '\0';
		e = OBOL_E_IO;
		goto fail;
	}
	if ((e = obol_crypto_init()) != OBOL_OK || (e = setup_wallets(b)) != OBOL_OK || (e = bank_setup(b, seconds >= OBOL_BENCH_SECONDS ? 4000 : 1000)) != OBOL_OK)
		goto fail;
	struct obol_bench_fig figs[] = {
		{ "offline_payment", "offline payment, 2 wallets, durable", "3 durable file replacements", 0, 0 },
		{ "offline_memory", "offline payment, in memory", "2 sign + 5 verify + seal + open", 0, 0 },
		{ "reconcile", "reconciliation, 4-payment log, SQLite", "durable 1-row UPDATE commit", 0, 0 },
	};
	if ((e = obol_bench_pair(&figs[0], ours_offline, b, raw_offline, b, 1, seconds)) != OBOL_OK ||
	    (e = obol_bench_pair(&figs[1], ours_memory, b, raw_memory, b, 1, seconds)) != OBOL_OK ||
	    (e = obol_bench_pair(&figs[2], ours_reconcile, b, raw_reconcile, b, 1, seconds)) != OBOL_OK)
		goto fail;
	if (json)
		obol_bench_print_json(stdout, figs, OBOL_ARRAY_LEN(figs));
	else {
		obol_bench_print_table(stdout, "obol bench codex", figs, OBOL_ARRAY_LEN(figs));
		printf("(wallet file %zu bytes at the end; payments alternate between the two wallets)\n", b->file_size);
	}
	goto out;
fail:
	rc = obol_cli_fail(cmd, e, "the codex bench could not run");
out:
	teardown(b);
	free(b);
	return rc;
}

OBOL_COMMAND(bench_codex_cmd, "bench codex", "[--quick] [--json]",
	     "offline codex payments/s between two wallets and reconciliations/s at the bank",
	     "  --quick   0.2 s per figure instead of 1 s\n"
	     "  --json    one JSON object: <key>_per_s, <key>_raw_per_s, <key>_ratio",
	     cmd_bench_codex)
