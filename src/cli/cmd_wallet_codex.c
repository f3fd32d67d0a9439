/* obol wallet codex ...: the user's TransactionMonitor of seed 004 §III on
 * the command line, and `obol issuer codex check` (the bank's consistency
 * check). Two wallets that meet offline exchange the device-link frames as
 * files: the payee writes a request, the payer a payment, the payee an
 * acknowledgement. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/wallet_cmd.h"
#include "core/clock.h"
#include "core/parse.h"
#include "issuer/codex_bank.h"
#include "store/ledger.h"
#include "wallet/codex_wallet.h"
#include "wallet/history.h"
#include "wallet/payer.h"

struct opts {
	struct obol_wallet_cmd_opts c; /* --wallet, --key-file */
	const char *amount, *deposit, *load, *in, *out, *request, *vendor, *db;
};

static int take_opt(const struct obol_cmd *cmd, int ch, const char *arg, void *ctx)
{
	struct opts *o = ctx;
	(void)cmd;
	switch (ch) {
	case 'a': o->amount = arg; break;
	case 'd': o->deposit = arg; break;
	case 'l': o->load = arg; break;
	case 'i': o->in = arg; break;
	case 'o': o->out = arg; break;
	case 'r': o->request = arg; break;
	case 'v': o->vendor = arg; break;
	case 'b': o->db = arg; break;
	}
	return -1;
}

/* Parses a codex command's arguments (wallet_cmd.h); --wallet is required
 * unless --db names the bank's database. Returns -1 to go on, else the exit
 * code. */
static int parse(const struct obol_cmd *cmd, int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		OBOL_WALLET_CMD_OPTIONS,
		{ "amount", required_argument, NULL, 'a' },  { "deposit", required_argument, NULL, 'd' },
		{ "load", required_argument, NULL, 'l' },    { "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },     { "request", required_argument, NULL, 'r' },
		{ "vendor", required_argument, NULL, 'v' },  { "db", required_argument, NULL, 'b' },
		{ 0, 0, 0, 0 },
	};
	int rc;
	memset(o, 0, sizeof(*o));
	if ((rc = obol_wallet_cmd_parse(cmd, argc, argv, lo, take_opt, o, false, &o->c)) >= 0)
		return rc;
	if (!o->c.wallet && !o->db)
		return obol_cli_usage_error(cmd, "--wallet is required");
	return -1;
}

/* Opens the wallet and, when c is not NULL, its Codex. */
static obol_err open_codex(const struct opts *o, struct obol_wallet **w, struct codex **c)
{
	obol_err e = obol_wallet_open(o->c.wallet, &o->c.ks, w);
	if (e == OBOL_OK && c)
		e = codex_wallet_load(*w, c);
	return e;
}

static void print_amount(const char *label, const struct obol_amount *a)
{
	char buf[OBOL_AMOUNT_STR_MAX];
	obol_amount_format(a, buf);
	printf("%s: %s\n", label, buf);
}

static void print_token(const struct codex_token *t)
{
	char id[2 * CODEX_TOKEN_ID_LEN + 1];
	obol_hex_encode(t->id, CODEX_TOKEN_ID_LEN, id);
	printf("token: %s\n", id);
	printf("payer: %s (id %llu)\npayee: %s (id %llu)\n", t->payer_name, (unsigned long long)t->payer_id,
	       t->payee_name, (unsigned long long)t->payee_id);
	print_amount("amount", &t->amount);
}

static void print_time(const char *label, int64_t t)
{
	char when[32];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s: %s\n", label, when);
}

static void show(const struct codex *c)
{
	struct obol_amount spent;
	printf("user: %s (id %llu)\n", c->cert.name, (unsigned long long)c->cert.user_id);
	print_amount("balance", &c->balance);
	print_amount("safe deposit", &c->state.deposit);
	printf("epoch: %llu\n", (unsigned long long)c->state.epoch);
	printf("transactions: %llu\n", (unsigned long long)codex_tx_count(c));
	printf("log entries: %zu of %llu\n", c->nlog, (unsigned long long)c->state.tx_limit);
	printf("pending: %zu\n", codex_pending_count(c));
	printf("refused (refunded at the next sync): %zu\n", codex_refused_count(c));
	if (codex_spent(c, &spent) == OBOL_OK)
		print_amount("paid this epoch", &spent);
	if (c->state.version >= 2) {
		print_amount("offline limit per token", &c->state.token_max);
		print_amount("offline limit per epoch", &c->state.spent_max);
	}
	print_time("expires", c->state.not_after);
	print_time("certificate expires", c->cert.not_after);
	printf("performance index: %llu\n", (unsigned long long)c->state.perf);
	printf("blacklist: version %llu, %zu users\n", (unsigned long long)c->blacklist.version, c->blacklist.n);
	if (c->sync_pending)
		printf("sync: pending (run 'obol wallet codex sync' to finish it)\n");
}

/* --json of show: the same figures, amounts as text, times as Unix seconds:
 * {"user", "user_id", "balance", "deposit", "epoch", "transactions",
 * "log_entries", "log_limit", "pending", "refused", "paid_this_epoch",
 * "token_max"?, "epoch_max"? (version 2 Codexes), "expires",
 * "cert_expires", "performance_index", "blacklist": {"version", "users"},
 * "sync_pending"}. */
static json_t *show_json(const struct codex *c)
{
	struct obol_amount spent;
	json_t *o = json_object(), *bl = json_object();
	bool ok = codex_spent(c, &spent) == OBOL_OK && obol_cli_json_set(o, "user", json_string(c->cert.name)) &&
		  obol_cli_json_set(o, "user_id", json_integer((json_int_t)c->cert.user_id)) &&
		  obol_cli_json_set(o, "balance", obol_cli_json_amount(&c->balance)) &&
		  obol_cli_json_set(o, "deposit", obol_cli_json_amount(&c->state.deposit)) &&
		  obol_cli_json_set(o, "epoch", json_integer((json_int_t)c->state.epoch)) &&
		  obol_cli_json_set(o, "transactions", json_integer((json_int_t)codex_tx_count(c))) &&
		  obol_cli_json_set(o, "log_entries", json_integer((json_int_t)c->nlog)) &&
		  obol_cli_json_set(o, "log_limit", json_integer((json_int_t)c->state.tx_limit)) &&
		  obol_cli_json_set(o, "pending", json_integer((json_int_t)codex_pending_count(c))) &&
		  obol_cli_json_set(o, "refused", json_integer((json_int_t)codex_refused_count(c))) &&
		  obol_cli_json_set(o, "paid_this_epoch", obol_cli_json_amount(&spent));
	if (ok && c->state.version >= 2)
		ok = obol_cli_json_set(o, "token_max", obol_cli_json_amount(&c->state.token_max)) &&
		     obol_cli_json_set(o, "epoch_max", obol_cli_json_amount(&c->state.spent_max));
	ok = ok && obol_cli_json_set(o, "expires", json_integer(c->state.not_after)) &&
	     obol_cli_json_set(o, "cert_expires", json_integer(c->cert.not_after)) &&
	     obol_cli_json_set(o, "performance_index", json_integer((json_int_t)c->state.perf)) &&
	     obol_cli_json_set(bl, "version", json_integer((json_int_t)c->blacklist.version)) &&
	     obol_cli_json_set(bl, "users", json_integer((json_int_t)c->blacklist.n)) &&
	     obol_cli_json_set(o, "blacklist", json_incref(bl)) &&
	     obol_cli_json_set(o, "sync_pending", json_boolean(c->sync_pending));
	json_decref(bl);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static obol_err amount_opt(const char *text, struct obol_amount *a)
{
	return text ? obol_amount_parse(text, a) : OBOL_OK;
}

/* ---- open / show / sync / close / blacklist -------------------------------- */

static int cmd_open(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	struct obol_amount amount, deposit;
	int rc;
	obol_err e;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if (!o.amount || !o.deposit)
		return obol_cli_usage_error(cmd, "--amount and --deposit are required");
	if ((e = obol_amount_parse(o.amount, &amount)) != OBOL_OK || (e = obol_amount_parse(o.deposit, &deposit)) != OBOL_OK)
		return obol_cli_fail(cmd, e, "bad amount");
	if ((e = open_codex(&o, &w, NULL)) == OBOL_OK && (e = codex_wallet_open(w, &amount, &deposit, &c)) == OBOL_OK &&
	    (e = obol_history_note(w, "topup", "codex", &amount, NULL)) == OBOL_OK &&
	    (e = obol_wallet_save(w)) == OBOL_OK)
		show(c);
	codex_free(c);
	return obol_wallet_cmd_finish(cmd, w, e, "cannot open a Codex");
}

static int cmd_show(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	int rc;
	obol_err e;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if ((e = open_codex(&o, &w, &c)) == OBOL_OK && o.c.json) {
		json_t *doc = show_json(c);
		codex_free(c);
		obol_wallet_close(w);
		return obol_cli_print_json(cmd, doc);
	}
	if (e == OBOL_OK)
		show(c);
	codex_free(c);
	return obol_wallet_cmd_finish(cmd, w, e, "cannot read the Codex");
}

static int sync_common(const struct obol_cmd *cmd, int argc, char **argv, bool close)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	struct obol_amount load;
	struct codex_wallet_sync_info info = { .answered = false };
	int rc;
	obol_err e;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if ((e = amount_opt(o.load, &load)) != OBOL_OK)
		return obol_cli_fail(cmd, e, "bad --load");
	if ((e = open_codex(&o, &w, &c)) == OBOL_OK)
		e = codex_wallet_sync(w, c, o.load ? &load : NULL, close, &info);
	if (info.answered) {
		printf("findings: %zu\n", info.findings);
		if (info.blacklisted)
			printf("blacklisted: yes\n");
		if (close && info.closed) {
			printf("deleted: yes\npaid out: %s\n", info.paid_out);
			printf("safe deposit held: %s\n", info.held);
			print_time("held until", info.held_until);
		} else if (info.renewed) {
			if (info.cert_renewed)
				printf("certificate renewed: yes\n");
			show(c);
		}
	}
	/* the wallet's history: a load is a top-up, a close pays out */
	struct obol_amount out;
	if (e == OBOL_OK && info.answered && o.load && !close)
		e = obol_history_note(w, "topup", "codex", &load, NULL);
	if (e == OBOL_OK && close && info.closed && obol_amount_parse(info.paid_out, &out) == OBOL_OK)
		e = obol_history_note(w, "withdrawal", "codex", &out, NULL);
	if (e == OBOL_OK && info.answered)
		e = obol_wallet_save(w);
	codex_free(c);
	return obol_wallet_cmd_finish(cmd, w, e, close ? "cannot close the Codex" : "cannot sync");
}

static int cmd_sync(const struct obol_cmd *cmd, int argc, char **argv)
{
	return sync_common(cmd, argc, argv, false);
}

static int cmd_close(const struct obol_cmd *cmd, int argc, char **argv)
{
	return sync_common(cmd, argc, argv, true);
}

static int cmd_blacklist(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	int rc;
	obol_err e;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if ((e = open_codex(&o, &w, &c)) == OBOL_OK && (e = codex_wallet_fetch_blacklist(w, c)) == OBOL_OK && o.c.json) {
		/* --json: {"version", "users": [id, ...]} */
		json_t *doc = json_object(), *ids = json_array();
		bool ok = ids != NULL;
		for (size_t i = 0; ok && i < c->blacklist.n; i++)
			ok = json_array_append_new(ids, json_integer((json_int_t)c->blacklist.ids[i])) == 0;
		if (!(ok && obol_cli_json_set(doc, "version", json_integer((json_int_t)c->blacklist.version)) &&
		      obol_cli_json_set(doc, "users", json_incref(ids)))) {
			json_decref(doc);
			doc = NULL;
		}
		json_decref(ids);
		codex_free(c);
		obol_wallet_close(w);
		return obol_cli_print_json(cmd, doc);
	}
	if (e == OBOL_OK) {
		printf("blacklist: version %llu, %zu users\n", (unsigned long long)c->blacklist.version, c->blacklist.n);
		for (size_t i = 0; i < c->blacklist.n; i++)
			printf("blacklisted: %llu\n", (unsigned long long)c->blacklist.ids[i]);
	}
	codex_free(c);
	return obol_wallet_cmd_finish(cmd, w, e, "cannot fetch the blacklist");
}

static int cmd_release(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	struct obol_amount paid;
	int64_t until = 0;
	int rc;
	obol_err e;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if ((e = open_codex(&o, &w, NULL)) == OBOL_OK) {
		e = codex_wallet_release(w, &paid, &until);
		if (e == OBOL_OK)
			print_amount("released", &paid);
		else if (e == OBOL_E_CODEX_DEPOSIT_HELD && until > 0)
			print_time("held until", until);
	}
	return obol_wallet_cmd_finish(cmd, w, e, "nothing was released");
}

/* ---- offline payments -------------------------------------------------------- */

static int cmd_request(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	struct codex_msg_request req;
	struct obol_amount amount;
	struct obol_field f[2];
	struct obol_fields spec;
	int rc;
	obol_err e;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if (!o.out)
		return obol_cli_usage_error(cmd, "--out is required");
	if ((e = amount_opt(o.amount, &amount)) != OBOL_OK)
		return obol_cli_fail(cmd, e, "bad --amount");
	if ((e = open_codex(&o, &w, &c)) == OBOL_OK && (e = codex_request(c, o.amount ? &amount : NULL, &req)) == OBOL_OK) {
		codex_msg_request_spec(&req, f, &spec);
		if ((e = codex_frame_write(o.out, CODEX_MSG_REQUEST, &spec)) == OBOL_OK)
			printf("request: %s\npayee: %s (id %llu)\n", o.out, c->cert.name, (unsigned long long)c->cert.user_id);
	}
	codex_free(c);
	return obol_wallet_cmd_finish(cmd, w, e, "cannot write the request");
}

static int cmd_pay(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	struct codex_msg_request *req = calloc(1, sizeof(*req));
	struct codex_msg_pay *pay = calloc(1, sizeof(*pay));
	struct codex_token t;
	struct codex_pay_req pr;
	struct obol_amount amount, max;
	const struct obol_amount *asked;
	struct obol_paycap cap;
	bool has_max;
	struct obol_field f[2];
	struct obol_fields spec;
	int rc;
	obol_err e;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		goto done;
	if (!req || !pay) {
		rc = obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "");
		goto done;
	}
	if (!o.vendor && (!o.request || !o.out)) {
		rc = obol_cli_usage_error(cmd, "give --vendor ADDR, or --request FILE and --out FILE");
		goto done;
	}
	if ((e = amount_opt(o.amount, &amount)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "bad --amount");
		goto done;
	}
	if ((e = open_codex(&o, &w, &c)) != OBOL_OK)
		goto fail;
	if (o.vendor) {
		/* --max-amount and the wallet's default cap reach the core
		 * through the payer's guard (codex_wallet_pay_vendor) */
		struct codex_wallet_pay wp = { .addr = o.vendor, .amount = o.amount ? &amount : NULL, .max = NULL };
		e = codex_wallet_pay_vendor(w, c, &wp, &t);
		if (e == OBOL_OK) {
			print_token(&t);
			printf("acknowledged: yes\n");
			print_amount("balance", &c->balance);
		}
		goto fail;
	}
	codex_msg_request_spec(req, f, &spec);
	if ((e = codex_frame_read(o.request, CODEX_MSG_REQUEST, &spec)) != OBOL_OK)
		goto fail;
	asked = o.amount ? &amount : req->has_amount ? &req->amount : NULL;
	if (asked == NULL) {
		e = OBOL_E_CODEX_AMOUNT_INVALID;
		goto fail;
	}
	/* the payer's cap (src/wallet/payer.h), the core's limit too; then create
	 * token → write log → update Codex, stored before the token leaves */
	if ((e = obol_payer_offer(obol_wallet_payer(w), NULL, "codex", asked, 1)) != OBOL_OK ||
	    (e = obol_payer_hand(obol_wallet_payer(w), asked)) != OBOL_OK ||
	    (e = obol_payer_cap(obol_wallet_payer(w), &cap)) != OBOL_OK ||
	    (e = obol_paycap_tighter(&cap, NULL, &max, &has_max)) != OBOL_OK)
		goto fail;
	pr = (struct codex_pay_req){ .req = req, .amount = o.amount ? &amount : NULL, .max = has_max ? &max : NULL };
	if ((e = codex_pay(c, &pr, obol_now(), pay, &t)) != OBOL_OK || (e = codex_wallet_store(w, c)) != OBOL_OK)
		goto fail;
	codex_msg_pay_spec(pay, f, &spec);
	if ((e = codex_frame_write(o.out, CODEX_MSG_PAY, &spec)) == OBOL_OK) {
		print_token(&t);
		printf("payment: %s\nacknowledged: no (pending)\n", o.out);
		print_amount("balance", &c->balance);
	}
fail:
	rc = e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "the payment was not made");
done:
	codex_free(c);
	obol_wallet_close(w);
	free(req);
	free(pay);
	return rc;
}

static int cmd_receive(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	struct codex_msg_pay *pay = calloc(1, sizeof(*pay));
	struct codex_msg_ack ack;
	struct codex_msg_refusal ref;
	struct codex_token t;
	struct obol_field f[2];
	struct obol_fields spec;
	int64_t now;
	int rc;
	obol_err e;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		goto done;
	if (!pay) {
		rc = obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "");
		goto done;
	}
	if (!o.in || !o.out) {
		rc = obol_cli_usage_error(cmd, "--in and --out are required");
		goto done;
	}
	codex_msg_pay_spec(pay, f, &spec);
	if ((e = open_codex(&o, &w, &c)) != OBOL_OK || (e = codex_frame_read(o.in, CODEX_MSG_PAY, &spec)) != OBOL_OK)
		goto fail;
	/* decrypt → names me → unseen, fresh → blacklist → certified key → ack →
	 * write log → update Codex, stored before the ack leaves */
	now = obol_now();
	if ((e = codex_receive(c, pay, now, &ack, &t)) != OBOL_OK) {
		/* refused: the payer gets the signed refusal, which the bank
		 * refunds; stored first so this id is never taken later */
		if (codex_refuse(c, pay, e, now, &ref) == OBOL_OK && codex_wallet_store(w, c) == OBOL_OK) {
			codex_msg_refusal_spec(&ref, f, &spec);
			if (codex_frame_write(o.out, CODEX_MSG_REFUSAL, &spec) == OBOL_OK)
				printf("refusal: %s\n", o.out);
		}
		goto fail;
	}
	if ((e = codex_wallet_store(w, c)) != OBOL_OK)
		goto fail;
	codex_msg_ack_spec(&ack, f, &spec);
	if ((e = codex_frame_write(o.out, CODEX_MSG_ACK, &spec)) == OBOL_OK) {
		print_token(&t);
		printf("ack: %s\n", o.out);
		print_amount("balance", &c->balance);
	}
fail:
	rc = e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "the payment was refused");
done:
	codex_free(c);
	obol_wallet_close(w);
	free(pay);
	return rc;
}

static int cmd_ack(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	struct codex_msg_ack ack;
	struct codex_msg_refusal ref;
	struct codex_refusal rf;
	bool refused = false;
	int rc;
	obol_err e;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if (!o.in)
		return obol_cli_usage_error(cmd, "--in is required");
	if ((e = open_codex(&o, &w, &c)) == OBOL_OK && (e = codex_frame_read_answer(o.in, &ack, &ref, &refused)) == OBOL_OK &&
	    (e = refused ? codex_take_refusal(c, &ref) : codex_take_ack(c, &ack)) == OBOL_OK &&
	    (e = codex_wallet_store(w, c)) == OBOL_OK) {
		if (!refused)
			printf("acknowledged: yes\n");
		else if (codex_refusal_decode(ref.refusal, sizeof(ref.refusal), &rf) == OBOL_OK)
			printf("refused: %s\nrefunded at the next sync\n", obol_strerror((obol_err)rf.reason));
		printf("pending: %zu\nrefused tokens: %zu\n", codex_pending_count(c), codex_refused_count(c));
	}
	codex_free(c);
	return obol_wallet_cmd_finish(cmd, w, e, "the payee's answer was refused");
}

/* ---- the bank's consistency check -------------------------------------------- */

static obol_err user_json(void *ctx, const struct codex_bank_user *u, const struct obol_amount *value)
{
	json_t *o = json_object();
	if (obol_cli_json_set(o, "user", json_string(u->p.name)) &&
	    obol_cli_json_set(o, "user_id", json_integer((json_int_t)u->p.id)) &&
	    obol_cli_json_set(o, "epoch", json_integer((json_int_t)u->epoch)) &&
	    obol_cli_json_set(o, "performance_index", json_integer((json_int_t)u->perf)) &&
	    obol_cli_json_set(o, "value", obol_cli_json_amount(value)) &&
	    obol_cli_json_set(o, "deposit", obol_cli_json_amount(&u->deposit)) &&
	    obol_cli_json_set(o, "advanced", obol_cli_json_amount(&u->advanced)) &&
	    obol_cli_json_set(o, "blacklisted", json_boolean(u->blacklisted)) &&
	    obol_cli_json_set(o, "closed", json_boolean(u->closed)) &&
	    obol_cli_json_set(o, "released", json_boolean(u->released)) && json_array_append_new(ctx, o) == 0)
		return OBOL_OK;
	json_decref(o);
	return OBOL_E_NO_MEMORY;
}

/* --json of check: {"consistency": "OK" | "FAILED", "users": [{"user",
 * "user_id", "epoch", "performance_index", "value", "deposit", "advanced",
 * "blacklisted", "closed", "released"}], "codex_users", "codex_tokens",
 * "value", "deposits", "dispersed", "unlogged", "conflicts_open",
 * "overspent", "mismatched", "findings", "losses": {"count", "deficit",
 * "from_deposit", "from_outside"}}; the exit code as without it. */
static json_t *check_json(const struct codex_consistency *cc, json_t *users, const struct codex_issuer_losses *ls)
{
	json_t *o = json_object(), *l = json_object();
	bool ok = obol_cli_json_set(o, "consistency", json_string(cc->ok ? "OK" : "FAILED")) &&
		  obol_cli_json_set(o, "users", json_incref(users)) &&
		  obol_cli_json_set(o, "codex_users", json_integer((json_int_t)cc->users)) &&
		  obol_cli_json_set(o, "codex_tokens", json_integer((json_int_t)cc->tokens)) &&
		  obol_cli_json_set(o, "value", obol_cli_json_amount(&cc->total_value)) &&
		  obol_cli_json_set(o, "deposits", obol_cli_json_amount(&cc->total_deposit)) &&
		  obol_cli_json_set(o, "dispersed", obol_cli_json_amount(&cc->dispersed)) &&
		  obol_cli_json_set(o, "unlogged", json_integer((json_int_t)cc->unlogged)) &&
		  obol_cli_json_set(o, "conflicts_open", json_integer((json_int_t)cc->conflicts_open)) &&
		  obol_cli_json_set(o, "overspent", json_integer((json_int_t)cc->overspent)) &&
		  obol_cli_json_set(o, "mismatched", json_integer((json_int_t)cc->mismatched)) &&
		  obol_cli_json_set(o, "findings", json_integer(ls->findings)) &&
		  obol_cli_json_set(l, "count", json_integer(ls->count)) &&
		  obol_cli_json_set(l, "deficit", obol_cli_json_amount(&ls->deficit)) &&
		  obol_cli_json_set(l, "from_deposit", obol_cli_json_amount(&ls->from_deposit)) &&
		  obol_cli_json_set(l, "from_outside", obol_cli_json_amount(&ls->from_outside)) &&
		  obol_cli_json_set(o, "losses", json_incref(l));
	json_decref(l);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int cmd_check(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct opts o;
	struct obol_store *s = NULL;
	struct codex_consistency cc;
	struct codex_issuer_losses ls;
	char currency[OBOL_CURRENCY_MAX + 1];
	json_t *users = NULL, *doc = NULL;
	int rc;
	obol_err e, le = OBOL_OK;
	if ((rc = parse(cmd, argc, argv, &o)) >= 0)
		return rc;
	if (!o.db)
		return obol_cli_usage_error(cmd, "--db is required");
	if ((e = obol_ledger_open(o.db, &s)) != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot open the database");
	if ((e = obol_ledger_currency(s, currency)) == OBOL_OK && (e = obol_store_begin_read(s)) == OBOL_OK) {
		e = codex_issuer_check(s, currency, o.c.json ? NULL : stdout, &cc);
		le = codex_issuer_losses(s, currency, &ls);
		if (le == OBOL_OK && !o.c.json) {
			printf("findings: %lld\n", (long long)ls.findings);
			printf("losses reported: %lld\n", (long long)ls.count);
			print_amount("overspent in total", &ls.deficit);
			print_amount("paid from safe deposits", &ls.from_deposit);
			print_amount("paid from outside", &ls.from_outside);
		}
		if (o.c.json && (e == OBOL_OK || e == OBOL_E_CODEX_INCONSISTENT) && le == OBOL_OK) {
			users = json_array();
			le = users != NULL ? codex_issuer_users(s, currency, user_json, users) : OBOL_E_NO_MEMORY;
			if (le == OBOL_OK && (doc = check_json(&cc, users, &ls)) == NULL)
				le = OBOL_E_NO_MEMORY;
		}
		obol_store_rollback(s);
	}
	obol_store_close(s);
	json_decref(users);
	if (o.c.json && (e == OBOL_OK || e == OBOL_E_CODEX_INCONSISTENT) && le != OBOL_OK)
		e = le;
	if (doc != NULL) {
		rc = obol_cli_print_json(cmd, doc);
		return rc != OBOL_EXIT_OK ? rc : e == OBOL_OK ? OBOL_EXIT_OK : OBOL_EXIT_FAIL;
	}
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "the codex books do not balance");
}

#define WALLET_OPTS "--wallet PATH [--key-file FILE]"
OBOL_COMMAND(codex_open_cmd, "wallet codex open", WALLET_OPTS " --amount CUR:V.F --deposit CUR:V.F",
	     "open a Codex at the bank: value for offline payments plus a safe deposit",
	     "  --amount    moved from the wallet's account into the Codex\n"
	     "  --deposit   the safe deposit the bank holds (it pays the payees if this Codex overspends)",
	     cmd_open)
OBOL_COMMAND(codex_show_cmd, "wallet codex show", WALLET_OPTS " [--json]",
	     "show the Codex: balance, deposit, counts, expiry, blacklist",
	     "  --json   one JSON object: user, user_id, balance, deposit, epoch, transactions,\n"
	     "           log_entries, log_limit, pending, refused, paid_this_epoch, token_max and\n"
	     "           epoch_max, expires and cert_expires (Unix seconds), performance_index,\n"
	     "           blacklist (version, users), sync_pending",
	     cmd_show)
OBOL_COMMAND(codex_request_cmd, "wallet codex request", WALLET_OPTS " --out FILE [--amount CUR:V.F]",
	     "as payee: write a payment request (certificate, optional amount) for a payer", NULL, cmd_request)
OBOL_COMMAND(codex_pay_cmd, "wallet codex pay", WALLET_OPTS " [--amount CUR:V.F] (--request FILE --out FILE | --vendor ADDR)",
	     "pay offline: a payee-specific token sealed to the payee",
	     "  --request FILE  the payee's request; the sealed payment goes to --out FILE\n"
	     "  --vendor ADDR   pay a vendor daemon over the device link (HOST:PORT)\n"
	     "  --amount        the amount (default: the one the payee asks)\n"
	     "The Codex is debited and stored before the payment leaves; the token stays\n"
	     "pending until the payee's acknowledgement (or the bank's settlement).",
	     cmd_pay)
OBOL_COMMAND(codex_receive_cmd, "wallet codex receive", WALLET_OPTS " --in FILE --out FILE",
	     "as payee: check a payment offline, credit the Codex, write the signed acknowledgement",
	     "A payment that fails a check is refused: when it can be opened and names this\n"
	     "Codex, the signed refusal goes to --out instead, so that its payer is refunded\n"
	     "at its next sync, and this token is never taken later.",
	     cmd_receive)
OBOL_COMMAND(codex_ack_cmd, "wallet codex ack", WALLET_OPTS " --in FILE",
	     "as payer: take the payee's acknowledgement or signed refusal",
	     "A refusal is kept in the log; the bank returns the token's value at the next sync.", cmd_ack)
OBOL_COMMAND(codex_sync_cmd, "wallet codex sync", WALLET_OPTS " [--load CUR:V.F]",
	     "hand the log to the bank; get the renewed Codex and the blacklist",
	     "  --load   also move this much from the account into the Codex", cmd_sync)
OBOL_COMMAND(codex_close_cmd, "wallet codex close", WALLET_OPTS,
	     "delete the codex account: final sync, the value back to the account now",
	     "The safe deposit is held until every token the closed Codex could still have\n"
	     "issued has gone stale (its expiry, the freshness window and the bank's grace):\n"
	     "it covers payments a copy of the Codex might still make. Then run\n"
	     "'obol wallet codex release'. A new Codex may be opened at any time.",
	     cmd_close)
OBOL_COMMAND(codex_release_cmd, "wallet codex release", WALLET_OPTS,
	     "after a close (or a blacklisting), take back what is left of the safe deposit",
	     "Refused with CODEX_DEPOSIT_HELD, and the time to ask again, before the hold ends.", cmd_release)
OBOL_COMMAND(codex_blacklist_cmd, "wallet codex blacklist", WALLET_OPTS " [--json]",
	     "fetch the bank's current blacklist",
	     "  --json   one JSON object: version, users (the blacklisted users' ids)", cmd_blacklist)
OBOL_COMMAND(issuer_codex_check_cmd, "issuer codex check", "--db URL [--json]",
	     "the bank's consistency check: logs agree, nobody overspent, balances equal what was dispersed",
	     "  --json   one JSON object: consistency (OK, FAILED), users (user, user_id, epoch,\n"
	     "           performance_index, value, deposit, advanced, blacklisted, closed, released),\n"
	     "           codex_users, codex_tokens, value, deposits, dispersed, unlogged, conflicts_open,\n"
	     "           overspent, mismatched, findings, losses (count, deficit, from_deposit,\n"
	     "           from_outside); exit 1 when the books do not balance, as without it",
	     cmd_check)
