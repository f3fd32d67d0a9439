/* obol issuer keys export-requests | import | list | export-master: the
 * issuer's half of the key ceremony (docs/operations.md "The key ceremony";
 * issuer/keys.h): what needs the master key's signature goes out in a file,
 * the signatures come back in another; `obol offline sign` (cmd_offline.c)
 * signs in between, where the master key is. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/key_files.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "issuer/keys.h"

struct keys_opts {
	const char *db, *file;
	int64_t online_days, lookahead_days;
};

/* file_opt: the name of the file option ("out", "in") or NULL. */
static int parse(const struct obol_cmd *cmd, int argc, char **argv, const char *file_opt, bool policy,
		 struct keys_opts *o)
{
	struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ file_opt != NULL ? file_opt : "-", required_argument, NULL, 'f' },
		{ "online-days", required_argument, NULL, 'o' },
		{ "lookahead-days", required_argument, NULL, 'l' },
		{ 0, 0, 0, 0 },
	};
	int c;
	uint64_t v;
	memset(o, 0, sizeof *o);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd') {
			o->db = optarg;
		} else if (c == 'f' && file_opt != NULL) {
			o->file = optarg;
		} else if ((c == 'o' || c == 'l') && policy) {
			if (obol_parse_u64(optarg, 1, 36500, &v) != OBOL_OK)
				return obol_cli_usage_error(cmd, "a number of days is 1..36500");
			*(c == 'o' ? &o->online_days : &o->lookahead_days) = (int64_t)v;
		} else {
			return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (o->db == NULL || (file_opt != NULL && o->file == NULL))
		return obol_cli_usage_error(cmd, file_opt != NULL ? "--db and the file are required" : "--db URL is required");
	return -1;
}

/* The master public key the issuer's announcements must verify under. */
static obol_err master_pk(struct obol_store *s, uint8_t pk[OBOL_SIGN_PK_LEN])
{
	struct obol_issuer_keys k;
	obol_err e = obol_issuer_keys_load(s, &k);
	if (e == OBOL_OK)
		memcpy(pk, k.master_pk, OBOL_SIGN_PK_LEN);
	obol_issuer_keys_wipe(&k);
	return e;
}

static int cmd_export_requests(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct keys_opts o;
	struct obol_key_policy p;
	struct obol_store *s = NULL;
	struct obol_key_request *r = NULL;
	uint8_t pk[OBOL_SIGN_PK_LEN];
	size_t added = 0, n = 0;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	int rc = parse(cmd, argc, argv, "out", true, &o);
	if (rc >= 0)
		return rc;
	obol_key_policy_default(&p);
	if (o.online_days > 0)
		p.online_use_s = o.online_days * 86400;
	if (o.lookahead_days > 0)
		p.lookahead_s = o.lookahead_days * 86400;
	obol_err e = obol_store_open(o.db, false, &s);
	if (e == OBOL_OK && (e = obol_issuer_keyring_migrate(s)) == OBOL_OK && (e = master_pk(s, pk)) == OBOL_OK &&
	    (e = obol_issuer_keys_plan(s, &p, obol_now(), &added)) == OBOL_OK)
		e = obol_issuer_keys_pending(s, &r, &n);
	obol_store_close(s);
	if (e == OBOL_OK && n > KEY_FILE_ITEMS_MAX)
		e = OBOL_E_KEY_FILE_FORMAT;
	if (e == OBOL_OK) {
		const uint8_t *items[KEY_FILE_ITEMS_MAX];
		size_t lens[KEY_FILE_ITEMS_MAX];
		for (size_t i = 0; i < n; i++) {
			items[i] = r[i].bytes;
			lens[i] = r[i].len;
		}
		e = key_file_write(o.file, KEY_FILE_REQUESTS, pk, items, lens, n);
	}
	free(r);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot export the key requests");
	printf("new-requests: %zu\nrequests: %zu\nfile: %s\n", added, n, o.file);
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(issuer_keys_export_requests_cmd, "issuer keys export-requests",
	     "--db URL --out FILE [--online-days N] [--lookahead-days N]",
	     "write the key announcements that need the offline master key's signature to a file",
	     "  --db URL            the issuer database\n"
	     "  --out FILE          the requests file, for 'obol offline sign'\n"
	     "  --online-days N     an online signing key drawn now signs for N days (90)\n"
	     "  --lookahead-days N  online keys are drawn until announced ones cover N days ahead (120);\n"
	     "                      a coupon denomination's next key is drawn when its key in use stops\n"
	     "                      issuing within N days\n"
	     "Draws the online signing keys and coupon denomination keys that are due, requests an\n"
	     "announcement of each coupon denomination's and the ecash bank's key not announced yet,\n"
	     "and writes every request still\n"
	     "unsigned (running it twice draws nothing more). Needs no master secret.",
	     cmd_export_requests)

static int cmd_import(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct keys_opts o;
	struct obol_store *s = NULL;
	json_t *items = NULL;
	uint8_t pk[OBOL_SIGN_PK_LEN], file_pk[OBOL_SIGN_PK_LEN];
	size_t n = 0;
	bool began = false;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	int rc = parse(cmd, argc, argv, "in", false, &o);
	if (rc >= 0)
		return rc;
	obol_err e = key_file_read(o.file, KEY_FILE_SIGNATURES, file_pk, &items);
	if (e == OBOL_OK)
		e = obol_store_open(o.db, false, &s);
	if (e == OBOL_OK && (e = obol_issuer_keyring_migrate(s)) == OBOL_OK && (e = master_pk(s, pk)) == OBOL_OK &&
	    memcmp(file_pk, pk, OBOL_SIGN_PK_LEN) != 0)
		e = OBOL_E_KEY_MASTER_MISMATCH;
	/* all or nothing: one bad announcement leaves every request pending */
	if (e == OBOL_OK && (e = obol_store_begin(s)) == OBOL_OK)
		began = true;
	for (size_t i = 0; e == OBOL_OK && i < json_array_size(items); i++) {
		uint8_t buf[OBOL_KEY_ANNOUNCE_MAX];
		struct obol_key_announce a;
		size_t len;
		if ((e = key_file_item(items, i, buf, sizeof buf, &len)) == OBOL_OK &&
		    (e = obol_key_announce_decode(buf, len, &a)) == OBOL_OK &&
		    (e = obol_issuer_keys_import(s, pk, &a)) == OBOL_OK)
			n++;
	}
	if (began && e == OBOL_OK)
		e = obol_store_commit(s);
	else if (began)
		obol_store_rollback(s);
	obol_store_close(s);
	json_decref(items);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "nothing imported");
	printf("imported: %zu\n", n);
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(issuer_keys_import_cmd, "issuer keys import", "--db URL --in FILE",
	     "load the announcements the offline master key signed",
	     "  --db URL   the issuer database\n"
	     "  --in FILE  the signatures file 'obol offline sign' wrote\n"
	     "Each announcement must verify under the issuer's master public key and be one the issuer\n"
	     "requested (KEY_NOT_REQUESTED otherwise); one that does not refuses the whole file.\n"
	     "Importing the same file again changes nothing.",
	     cmd_import)

/* `issuer keys list` warns when the signed online keys cover fewer days. */
#define ONLINE_COVER_WARN_DAYS 30

static const char *kind_name(uint64_t kind)
{
	switch (kind) {
	case OBOL_KEY_ONLINE: return "online";
	case OBOL_KEY_COUPON_DENOM: return "coupon-denom";
	case OBOL_KEY_ECASH_BANK: return "ecash-bank";
	case OBOL_KEY_REVOKE: return "revocation";
	default: return "?";
	}
}

static int cmd_list(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct keys_opts o;
	struct obol_store *s = NULL;
	struct obol_key_set *set = NULL;
	struct obol_key_request *r = NULL;
	uint8_t pk[OBOL_SIGN_PK_LEN];
	size_t n = 0;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	int rc = parse(cmd, argc, argv, NULL, false, &o);
	if (rc >= 0)
		return rc;
	int64_t now = obol_now(), cover = now;
	obol_err e = (set = malloc(sizeof *set)) != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_store_open(o.db, false, &s);
	if (e == OBOL_OK && (e = obol_issuer_keyring_migrate(s)) == OBOL_OK && (e = master_pk(s, pk)) == OBOL_OK &&
	    (e = obol_issuer_keys_announced(s, pk, now, set)) == OBOL_OK && (e = obol_issuer_keys_pending(s, &r, &n)) == OBOL_OK)
		e = obol_issuer_keys_online_cover(s, now, &cover, NULL);
	obol_store_close(s);
	if (e != OBOL_OK) {
		free(set);
		free(r);
		return obol_cli_fail(cmd, e, "cannot read the key announcements");
	}
	for (size_t i = 0; i < set->n + n; i++) {
		struct obol_key_announce a;
		uint8_t id[32];
		char hex[65];
		const char *state;
		if (i < set->n) {
			a = set->a[i];
			state = obol_key_announce_usable(&a, now)        ? "in-use"
				: obol_key_announce_acceptable(&a, now)  ? "accepted"
				: a.valid_from > now                     ? "next"
				: obol_key_announce_refundable(&a, now)  ? "refunds-only"
				: a.kind == OBOL_KEY_REVOKE               ? "in-force"
									  : "ended";
			if (a.kind == OBOL_KEY_REVOKE && a.valid_from > now)
				state = "scheduled";
			else if (a.kind != OBOL_KEY_REVOKE &&
				 obol_key_set_find(set, a.kind, a.key, a.key_len, now, NULL) == OBOL_E_KEY_REVOKED)
				state = "revoked";
		} else if (obol_key_announce_from_signed_bytes(r[i - set->n].bytes, r[i - set->n].len, &a) == OBOL_OK) {
			state = "unsigned";
		} else {
			continue;
		}
		obol_key_announce_key_id(&a, id);
		obol_hex_encode(id, sizeof id, hex);
		printf("serial %llu: %s %s key %.16s from %lld", (unsigned long long)a.serial, state, kind_name(a.kind),
		       hex, (long long)a.valid_from);
		if (a.kind != OBOL_KEY_REVOKE)
			printf(" use-until %lld accept-until %lld", (long long)a.use_until, (long long)a.accept_until);
		if (a.kind == OBOL_KEY_COUPON_DENOM || a.kind == OBOL_KEY_ECASH_BANK)
			printf(" legal-end %lld", (long long)a.legal_end);
		printf("\n");
	}
	/* what to watch: the signed online keys must reach past the next ceremony */
	int64_t days = (cover - now) / 86400;
	printf("online-keys-cover-until: %lld (%lld days)\n", (long long)cover, (long long)days);
	if (cover <= now)
		printf("warning: no signed online key holds now: issuer serve cannot sign; hold the key ceremony\n");
	else if (days < ONLINE_COVER_WARN_DAYS)
		printf("warning: the signed online keys run out in %lld days: hold the key ceremony\n", (long long)days);
	free(set);
	free(r);
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(issuer_keys_list_cmd, "issuer keys list", "--db URL",
	     "the issuer's key announcements and the requests still unsigned, with their windows",
	     "  --db URL   the issuer database\n"
	     "One line per announcement that can still matter (a key whose acceptance or, for a coin\n"
	     "key, legal end has not passed; every revocation): its serial, its state now (in-use,\n"
	     "accepted: past its use but still accepted, next, refunds-only, revoked, unsigned; a\n"
	     "revocation: in-force, scheduled),\n"
	     "its kind, the first 16 hex digits of its key id and its windows (Unix seconds). Then how\n"
	     "far ahead the signed, unrevoked online keys cover without a gap, and a warning when that is\n"
	     "under 30 days (or nothing holds now): monitor it.",
	     cmd_list)

static int cmd_revoke(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' },
		{ 0, 0, 0, 0 },
	};
	const char *db = NULL;
	struct obol_store *s = NULL;
	uint8_t id[32], full[32];
	char hex[65];
	size_t len = 0, added = 0;
	int64_t now = obol_now(), from = now;
	uint64_t v;
	int c;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'f' && obol_parse_u64(optarg, 0, INT64_MAX, &v) == OBOL_OK)
			from = (int64_t)v;
		else
			return obol_cli_usage_error(cmd, c == 'f' ? "--from takes Unix seconds" : "unknown option");
	}
	if (db == NULL || optind + 1 != argc)
		return obol_cli_usage_error(cmd, "--db URL and one KEY_ID are required");
	const char *arg = argv[optind];
	size_t hl = strlen(arg);
	if (hl < 16 || hl > 64 || hl % 2 != 0 || obol_hex_decode(arg, id, hl / 2) != OBOL_OK)
		return obol_cli_usage_error(cmd, "KEY_ID is 16 to 64 hex digits of the key id ('issuer keys list')");
	len = hl / 2;
	obol_err e = obol_store_open(db, false, &s);
	if (e == OBOL_OK && (e = obol_issuer_keyring_migrate(s)) == OBOL_OK && (e = obol_store_begin(s)) == OBOL_OK) {
		e = obol_issuer_keys_revoke(s, id, len, from, now, full, &added);
		if (e == OBOL_OK)
			e = obol_store_commit(s);
		else
			obol_store_rollback(s);
	}
	obol_store_close(s);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot request the revocation (KEY_ID names no online key, or several)");
	obol_hex_encode(full, sizeof full, hex);
	printf("revoked-key: %s\nfrom: %lld\nnew-requests: %zu\n", hex, (long long)from, added);
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(issuer_keys_revoke_cmd, "issuer keys revoke", "--db URL [--from UNIX] KEY_ID",
	     "request the revocation of an online signing key (one that leaked) for the next key ceremony",
	     "  --db URL     the issuer database\n"
	     "  --from UNIX  verifiers refuse what the key signed from then on (default now)\n"
	     "  KEY_ID       16 to 64 hex digits of the key's id, as 'issuer keys list' prints it\n"
	     "Queues a revocation announcement; the next 'issuer keys export-requests' also draws a\n"
	     "replacement key, and both go through the ceremony (offline sign, import). Once imported,\n"
	     "the issuer signs nothing more with the key and GET /keys carries the revocation. See\n"
	     "docs/operations.md, Revoking an online key.",
	     cmd_revoke)

static int cmd_export_master(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct keys_opts o;
	struct obol_store *s = NULL;
	uint8_t seed[OBOL_SIGN_SEED_LEN];
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	int rc = parse(cmd, argc, argv, "out", false, &o);
	if (rc >= 0)
		return rc;
	bool written = false;
	obol_err e = obol_store_open(o.db, false, &s);
	if (e == OBOL_OK)
		e = obol_issuer_keys_migrate(s); /* master_pk kept before the seed goes */
	if (e == OBOL_OK && (e = obol_issuer_keys_master_seed(s, seed)) == OBOL_OK &&
	    (e = master_key_file_write(o.file, seed)) == OBOL_OK)
		written = true;
	OBOL_WIPE(seed);
	/* The file is written (and synced) before the seed leaves the database. */
	if (written && (e = obol_store_begin(s)) == OBOL_OK) {
		if ((e = obol_issuer_keys_master_forget(s)) == OBOL_OK)
			e = obol_store_commit(s);
		else
			obol_store_rollback(s);
		if (e == OBOL_OK)
			e = obol_issuer_keys_master_scrub(s);
	}
	obol_store_close(s);
	if (e != OBOL_OK && !written)
		return obol_cli_fail(cmd, e,
				     e == OBOL_E_IO ? "cannot write the master key file (it is never overwritten)"
						    : "cannot read the master key from the database");
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "the master key file is written, but the database may still hold the key:"
					     " run the command again with another --out, then delete that file");
	printf("master-key-file: %s\nremoved-from-database: yes\n", o.file);
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(issuer_keys_export_master_cmd, "issuer keys export-master", "--db URL --out FILE",
	     "move the master key out of a database made before it went offline, into a master key file",
	     "  --db URL    the issuer database\n"
	     "  --out FILE  the master key file to create (mode 0600; an existing file is refused)\n"
	     "For a database whose 'issuer init' stored the master key (older versions; issuer serve\n"
	     "refuses to start on it: KEY_MASTER_IN_DB): writes the key to FILE, then erases it from the\n"
	     "database (overwritten, emptied, and the file vacuumed so that no free page keeps it).\n"
	     "KEY_MASTER_OFFLINE when the database holds none (issuer init now writes it to a file).\n"
	     "Move FILE to the machine that keeps the master key: docs/operations.md, The key ceremony.",
	     cmd_export_master)
