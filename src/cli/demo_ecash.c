/* obol demo --scheme ecash (seed 002): customers and merchants register keys
 * with the bank, top up, and pay offline while the issuer process is
 * stopped; a coin is spent on (transfer); a ring-signed payment; a wallet
 * restored from a backup spends a coin twice and the bank names its owner
 * from the two signed claims; deposits, a withdrawal, and the audit. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/demo.h"
#include "cli/demo_payer.h"
#include "core/parse.h"

struct party {
	const char *name;
	char wallet[512];
	char account[32]; /* the account id 'wallet ecash register' printed */
};

/* A wallet with an account at the issuer, funded, and a certified key. */
static obol_err join(struct obol_demo *d, const char *db, const char *url, struct party *p, const char *fund)
{
	char *out = NULL;
	obol_err e = obol_demo_user(d, &(struct obol_demo_user_req){ db, url, p->name, fund }, p->wallet,
				    sizeof(p->wallet));
	if (e == OBOL_OK)
		e = obol_demo_run(d, &out, "wallet", "ecash", "register", "--wallet", p->wallet, NULL);
	if (e == OBOL_OK)
		e = obol_demo_field(out, "ecash-account", p->account, sizeof(p->account));
	free(out);
	return e;
}

static obol_err copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *o = fopen(to, "wb");
	char buf[8192];
	size_t n;
	obol_err e = in && o ? OBOL_OK : OBOL_E_IO;
	while (e == OBOL_OK && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, o) != n)
			e = OBOL_E_IO;
	if (in)
		fclose(in);
	if (o && fclose(o) != 0)
		e = OBOL_E_IO;
	return e;
}

/* `wallet ecash receive` as a one-payment merchant; the payer pays it. */
static obol_err pay_wallet(struct obol_demo *d, const struct party *payer, const struct party *payee,
			   const char *wallet_override)
{
	struct obol_demo_proc *recv;
	char name[64];
	snprintf(name, sizeof(name), "%s-receive", payee->name);
	obol_err e = obol_demo_start(d, name, &recv, "wallet", "ecash", "receive", "--wallet", payee->wallet, "--listen",
				     "127.0.0.1:0", "--price", "EUR:1", "--count", "1", NULL);
	if (e != OBOL_OK)
		return e;
	e = obol_demo_run(d, NULL, "wallet", "ecash", "pay", "--wallet", wallet_override ? wallet_override : payer->wallet,
			  "--vendor", obol_demo_proc_addr(recv), NULL);
	obol_demo_kill(recv, 0); /* it stops by itself after its one payment */
	return e;
}

/* Waits until the bank's spent registry holds `want` deposits (the vendor's
 * outbox delivers them after the issuer is back). */
static obol_err wait_deposits(struct obol_demo *d, const char *db, uint64_t want)
{
	for (int i = 0; i < 120; i++) {
		char *out = NULL, n[32];
		uint64_t have = 0;
		obol_err e = obol_demo_run(d, &out, "issuer", "ecash", "report", "--db", db, NULL);
		if (e == OBOL_OK)
			e = obol_demo_field(out, "deposits", n, sizeof(n));
		free(out);
		if (e != OBOL_OK)
			return e;
		if (obol_parse_u64(n, 0, UINT64_MAX, &have) != OBOL_OK)
			return OBOL_E_PEER_ERROR;
		if (have >= want)
			return OBOL_OK;
		struct timespec ts = { 0, 500 * 1000000 };
		nanosleep(&ts, NULL);
	}
	return OBOL_E_NETWORK;
}

static obol_err ecash_demo(struct obol_demo *d)
{
	struct obol_demo_proc *issuer, *vendor;
	struct party alice = { .name = "alice" }, bob = { .name = "bob" }, carol = { .name = "carol" },
		     dave = { .name = "dave" };
	struct party crowd[4] = { { .name = "erin" }, { .name = "frank" }, { .name = "grace" }, { .name = "heidi" } };
	char *out = NULL, culprit[32] = "", copy[600], copy2[600], db[600], url[128];
	obol_err e;

	/* The demo's path helpers share one buffer: keep copies. */
	snprintf(db, sizeof(db), "%s", obol_demo_db_url(d, "issuer"));

	obol_demo_step(d, "the bank: an issuer with its ecash RSA key");
	if ((e = obol_demo_run(d, NULL, "issuer", "init", "--db", db, "--currency", "EUR", OBOL_DEMO_INIT_ARGS(d), NULL)) != OBOL_OK ||
	    (e = obol_demo_issuer(d, db, &issuer)) != OBOL_OK)
		return e;
	snprintf(url, sizeof(url), "%s", obol_demo_proc_url(issuer));

	obol_demo_step(d, "customers alice and bob register keys (nonce, key pair, signed nonce, bank certificate)");
	if ((e = join(d, db, url, &alice, "EUR:10")) != OBOL_OK || (e = join(d, db, url, &bob, "EUR:10")) != OBOL_OK)
		goto out;
	obol_demo_step(d, "carol and dave register too: they will take payments with their wallets");
	if ((e = join(d, db, url, &carol, NULL)) != OBOL_OK || (e = join(d, db, url, &dave, NULL)) != OBOL_OK)
		goto out;
	obol_demo_step(d, "four more customers register, so that rings of 8 certified keys exist");
	for (size_t i = 0; i < 4; i++)
		if ((e = join(d, db, url, &crowd[i], NULL)) != OBOL_OK)
			goto out;

	obol_demo_step(d, "the merchant: a vendor daemon that registers its own key at its first start");
	if ((e = obol_demo_vendor(d, &(struct obol_demo_vendor_req){ db, url, "shop", "EUR:1", "vendor", obol_demo_signer_socket(d) }, &vendor)) !=
	    OBOL_OK)
		goto out;

	obol_demo_step(d, "alice and bob top up: bank-signed coins of EUR:1, paid from their accounts");
	if ((e = obol_demo_run(d, NULL, "wallet", "ecash", "topup", "--wallet", alice.wallet, "--amount", "EUR:3", "--coin",
			       "EUR:1", NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "ecash", "topup", "--wallet", bob.wallet, "--amount", "EUR:3", "--coin",
			       "EUR:1", NULL)) != OBOL_OK)
		goto out;
	obol_demo_step(d, "while online, the wallets fetch the bank-signed revocation list and key directory");
	const struct party *all[] = { &alice, &bob, &carol, &dave };
	for (size_t i = 0; i < 4; i++)
		if ((e = obol_demo_run(d, NULL, "wallet", "ecash", "refresh", "--wallet", all[i]->wallet, NULL)) != OBOL_OK)
			goto out;

	/* alice keeps backups of her wallet: restoring one later is her cheat. */
	snprintf(copy, sizeof(copy), "%s", obol_demo_path(d, "alice-backup.wallet"));
	snprintf(copy2, sizeof(copy2), "%s", obol_demo_path(d, "alice-backup2.wallet"));
	if ((e = copy_file(alice.wallet, copy)) != OBOL_OK || (e = copy_file(alice.wallet, copy2)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the bank goes offline: the issuer process is stopped");
	obol_demo_kill(issuer, SIGTERM);

	obol_demo_step(d, "alice pays the shop offline: sigma1 on its nonce, the coin with sigma0, claim sigma2, cert sigma3");
	if ((e = obol_demo_run(d, NULL, "wallet", "ecash", "pay", "--wallet", alice.wallet, "--vendor",
			       obol_demo_proc_addr(vendor), NULL)) != OBOL_OK)
		goto out;
	obol_demo_step(d, "bob pays carol's wallet offline; carol spends the received coin on at the shop (transfer)");
	if ((e = pay_wallet(d, &bob, &carol, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "ecash", "coins", "--wallet", carol.wallet, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "ecash", "pay", "--wallet", carol.wallet, "--vendor",
			       obol_demo_proc_addr(vendor), NULL)) != OBOL_OK)
		goto out;
	obol_demo_step(d, "the ring variant: bob pays the shop signed by a ring of 8 certified keys");
	if ((e = obol_demo_run(d, NULL, "wallet", "ecash", "pay", "--wallet", bob.wallet, "--vendor",
			       obol_demo_proc_addr(vendor), "--ring", "8", NULL)) != OBOL_OK)
		goto out;
	obol_demo_step(d, "alice restores her backup; the shop refuses the coin it already holds (its registry, §3.5.1)");
	if ((e = obol_demo_expect(d, OBOL_E_ECASH_COIN_ALREADY_HELD, "wallet", "ecash", "pay", "--wallet", copy,
				  "--vendor", obol_demo_proc_addr(vendor), NULL)) != OBOL_OK)
		goto out;
	obol_demo_step(d, "so she restores it again and spends the same coin at dave (offline, dave cannot know)");
	if ((e = pay_wallet(d, &alice, &dave, copy2)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the bank is back; the shop's outbox deposits its three coins");
	if ((e = obol_demo_restart(d, issuer)) != OBOL_OK || (e = wait_deposits(d, db, 3)) != OBOL_OK)
		goto out;
	obol_demo_step(d, "dave deposits: the bank refuses the second chain and names the double spender");
	if ((e = obol_demo_run(d, &out, "wallet", "ecash", "deposit", "--wallet", dave.wallet, NULL)) != OBOL_OK)
		goto out;
	if ((e = obol_demo_field(out, "culprit-account", culprit, sizeof(culprit))) != OBOL_OK ||
	    strcmp(culprit, alice.account) != 0) {
		fprintf(stdout, "   the culprit named is account %s, not alice's %s\n", culprit, alice.account);
		e = OBOL_E_INTERNAL;
		goto out;
	}
	printf("   the double spender is alice (account %s); her key is now on the revocation list\n", alice.account);
	if ((e = obol_demo_run(d, NULL, "issuer", "ecash", "report", "--db", db, NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "bob returns his last coin to his account (withdrawal, §6.4); alice's revoked key cannot");
	if ((e = obol_demo_run(d, NULL, "wallet", "ecash", "withdraw", "--wallet", bob.wallet, NULL)) != OBOL_OK ||
	    (e = obol_demo_expect(d, OBOL_E_ECASH_KEY_REVOKED, "wallet", "ecash", "withdraw", "--wallet", alice.wallet,
				  NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "issuer", "account", "list", "--db", db, NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "carol's history: her top-up and her payment at the shop, with its verified receipt");
	if ((e = obol_demo_history(d, carol.wallet)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the books balance");
	e = obol_demo_audit(d, db);
out:
	free(out);
	return e;
}

OBOL_DEMO(ecash_demo_reg, "ecash", 20, ecash_demo)
