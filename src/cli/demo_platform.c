/* obol demo --scheme platform: the three roles set up by hand, as the README
 * describes, before any scheme runs: issuer, its key ceremony, a funded user
 * account behind a wallet, a vendor with its certificate, a vendor restart
 * after SIGKILL, a refusal, and the audit. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/demo.h"

static obol_err platform_demo(struct obol_demo *d)
{
	struct obol_demo_proc *issuer, *vendor;
	char *out = NULL;
	char key[128], vkey[128], bkey[128];
	char dbbuf[4200]; /* kept: the demo's path buffers are a ring */
	snprintf(dbbuf, sizeof dbbuf, "%s", obol_demo_db_url(d, "issuer"));
	const char *db = dbbuf;
	obol_err e;

	char req[4096], sig[4096], master[4096];
	snprintf(req, sizeof req, "%s", obol_demo_path(d, "key-requests.json"));
	snprintf(sig, sizeof sig, "%s", obol_demo_path(d, "key-signatures.json"));
	snprintf(master, sizeof master, "%s", obol_demo_path(d, "master.key"));
	/* The master key goes to its file, never to the database; the demo
	 * holds the first ceremony by hand to show it. */
	obol_demo_step(d, "the issuer: a database with its keys, the master key in a file of its own");
	if ((e = obol_demo_run(d, NULL, "issuer", "init", "--db", db, "--currency", "EUR", "--master-key", master,
			       "--no-ceremony", NULL)) != OBOL_OK)
		return e;
	/* The key ceremony (docs/operations.md): the offline master key signs
	 * the announcements of the keys the issuer uses online. */
	obol_demo_step(d, "the key ceremony: requests out, the offline master key signs, signatures in");
	if ((e = obol_demo_run(d, NULL, "issuer", "keys", "export-requests", "--db", db, "--out", req, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "offline", "sign", "--master-key", master, "--in", req, "--out", sig, NULL)) !=
		    OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "issuer", "keys", "import", "--db", db, "--in", sig, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "issuer", "keys", "list", "--db", db, NULL)) != OBOL_OK)
		return e;
	obol_demo_step(d, "the issuer's daemon");
	if ((e = obol_demo_issuer(d, db, &issuer)) != OBOL_OK)
		return e;

	obol_demo_step(d, "a wallet pins the issuer's signed keys and draws an account key");
	if ((e = obol_demo_run(d, &out, "wallet", "init", "--wallet", obol_demo_path(d, "alice.wallet"), "--issuer",
			       obol_demo_proc_url(issuer), "--account", "alice", NULL)) != OBOL_OK ||
	    (e = obol_demo_field(out, "account-key", key, sizeof key)) != OBOL_OK)
		goto out;
	free(out);
	out = NULL;
	obol_demo_step(d, "the operator opens alice's account and funds it (a bank transfer in)");
	if ((e = obol_demo_run(d, NULL, "issuer", "account", "add", "--db", db, "--kind", "user", "--name", "alice",
			       "--auth-key", key, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "issuer", "fund", "--db", db, "--account", "alice", "--amount", "EUR:10",
			       NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "account", "--wallet", obol_demo_path(d, "alice.wallet"), NULL)) !=
		    OBOL_OK)
		goto out;

	obol_demo_step(d, "a vendor makes its keys; the issuer certifies them");
	if ((e = obol_demo_run(d, &out, "vendor", "init", "--dir", obol_demo_path(d, "shop"), "--issuer",
			       obol_demo_proc_url(issuer), NULL)) != OBOL_OK ||
	    (e = obol_demo_field(out, "vendor-key", vkey, sizeof vkey)) != OBOL_OK ||
	    (e = obol_demo_field(out, "box-key", bkey, sizeof bkey)) != OBOL_OK)
		goto out;
	if ((e = obol_demo_run(d, NULL, "issuer", "vendor", "add", "--db", db, "--name", "shop", "--vendor-key", vkey,
			       "--box-key", bkey, "--out", obol_demo_path(d, "shop/vendor.cert"), "--signer",
			       obol_demo_signer_socket(d), NULL)) != OBOL_OK)
		goto out;
	if ((e = obol_demo_start(d, "vendor", &vendor, "vendor", "serve", "--dir", obol_demo_path(d, "shop"),
				 "--issuer", obol_demo_proc_url(issuer), "--listen", "127.0.0.1:0", NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the vendor is killed (SIGKILL) and comes back on the same port");
	obol_demo_kill(vendor, SIGKILL);
	if ((e = obol_demo_restart(d, vendor)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "a second wallet over the first one is refused");
	if ((e = obol_demo_expect(d, OBOL_E_WALLET_EXISTS, "wallet", "init", "--wallet",
				  obol_demo_path(d, "alice.wallet"), "--issuer", obol_demo_proc_url(issuer), NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the books balance");
	e = obol_demo_audit(d, db);
out:
	free(out);
	return e;
}

OBOL_DEMO(platform_demo_reg, "platform", 0, platform_demo)
