/* obol issuer signer: the issuer's signing process (src/issuer/signer.h),
 * the move of the issuer's private keys into its store, and its counts. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "core/log.h"
#include "core/parse.h"
#include "issuer/signer.h"
#include "issuer/signer_client.h"

static int cmd_issuer_signer(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },	 { "socket", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' }, { "peer-uid", required_argument, NULL, 'u' },
		{ 0, 0, 0, 0 },
	};
	struct obol_signer_config cfg = { .peer_uid = geteuid() };
	uint64_t uid;
	int c;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.db_url = optarg; break;
		case 's': cfg.socket_path = optarg; break;
		case 'l': cfg.log_path = optarg; break;
		case 'u':
			if (obol_parse_u64(optarg, 0, UINT32_MAX - 1, &uid) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--peer-uid takes a user id");
			cfg.peer_uid = (uid_t)uid;
			break;
		default:
			return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (cfg.db_url == NULL || cfg.socket_path == NULL)
		return obol_cli_usage_error(cmd, "--db URL and --socket PATH are required");
	obol_log_set_tag("signer");
	sigset_t set;
	obol_daemon_block_signals(&set);
	struct obol_signer *sg;
	obol_err e = obol_signer_start(&cfg, &sg);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot start the signer");
	printf("listening on unix:%s\n", cfg.socket_path);
	fflush(stdout);
	obol_daemon_wait(&set);
	obol_signer_stop(sg);
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(issuer_signer_cmd, "issuer signer", "--db URL --socket PATH [--log FILE] [--peer-uid UID]",
	     "run the issuer's signing process: it holds the online private keys",
	     "  --db URL         the signer's own database (sqlite:PATH), filled by 'issuer signer import'\n"
	     "  --socket PATH    the unix socket 'issuer serve --signer PATH' connects to (made mode 0600;\n"
	     "                   a stale socket there is replaced)\n"
	     "  --log FILE       its log, appended: one line per request (kind, key id, size, result),\n"
	     "                   never a message or a key (default: stderr)\n"
	     "  --peer-uid UID   the only user id answered (default: the signer's own)\n"
	     "It has no network listener. Answers: blind signatures by coupon denomination keys inside their\n"
	     "windows, the ecash bank's signatures, opening boxes sealed to the issuer, Ed25519 signatures by\n"
	     "online keys under the issuer's contexts; refuses anything else by name.\n"
	     "Prints \"listening on unix:PATH\" when ready; stops on SIGTERM or SIGINT.",
	     cmd_issuer_signer)

static int cmd_issuer_signer_import(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' },
		{ 0, 0, 0, 0 },
	};
	const char *db = NULL, *from = NULL;
	int c;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'f': from = optarg; break;
		default:
			return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (db == NULL || from == NULL)
		return obol_cli_usage_error(cmd, "--db URL and --from URL are required");
	struct obol_store *signer = NULL, *issuer = NULL;
	size_t moved = 0, announced = 0;
	/* the issuer database names the signer's store for the key plan, run
	 * from anywhere: a relative sqlite path is made absolute */
	char url[PATH_MAX + 16], cwd[PATH_MAX];
	if (strncmp(db, "sqlite:", 7) == 0 && db[7] != '/' && getcwd(cwd, sizeof cwd) != NULL)
		snprintf(url, sizeof url, "sqlite:%s/%s", cwd, db + 7);
	else
		snprintf(url, sizeof url, "%s", db);
	obol_err e = obol_store_open(db, true, &signer);
	if (e == OBOL_OK)
		e = obol_store_open(from, false, &issuer);
	if (e == OBOL_OK)
		e = obol_signer_import(signer, url, issuer, &moved, &announced);
	obol_store_close(issuer);
	obol_store_close(signer);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot move the keys");
	printf("moved: %zu keys\nannounced windows: %zu keys\n", moved, announced);
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(issuer_signer_import_cmd, "issuer signer import", "--db URL --from ISSUER_URL",
	     "move the issuer's online private keys into the signer's database",
	     "  --db URL         the signer's database (sqlite:PATH; created when missing)\n"
	     "  --from URL       the issuer database: afterwards it holds public keys only (coupon\n"
	     "                   denominations, the ecash bank, the box key, online Ed25519 keys), and\n"
	     "                   'issuer serve' needs --signer. Running it again moves nothing new.\n"
	     "It also copies the master-signed announcements and revocations: the signer signs with a\n"
	     "key only inside its announced window, never once a revocation names it. Run it again\n"
	     "after each ceremony and each revocation; a running signer reloads within a second.\n"
	     "Afterwards the issuer database names the signer's database: the key plan ('issuer keys\n"
	     "export-requests') draws new online and coupon keys there, never in the issuer database.\n"
	     "The first import pins the master public key; another master is SIGNER_MASTER_MISMATCH.",
	     cmd_issuer_signer_import)

static int cmd_issuer_signer_status(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ 0, 0, 0, 0 },
	};
	const char *path = NULL;
	uint8_t zero[OBOL_SIGNER_KEY_ID_LEN] = { 0 }, out[2048];
	size_t n = 0;
	int c;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 's')
			return obol_cli_usage_error(cmd, "unknown option");
		path = optarg;
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (path == NULL)
		return obol_cli_usage_error(cmd, "--socket PATH is required");
	struct obol_signer_client *cl = NULL;
	obol_err e = obol_signer_client_open(path, &cl);
	if (e == OBOL_OK)
		e = obol_signer_client_call(cl, OBOL_SIGNER_STATUS, zero, NULL, 0, out, sizeof out - 1, &n);
	obol_signer_client_close(cl);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot ask the signer");
	out[n] = '\0';
	printf("%s\n", (char *)out);
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(issuer_signer_status_cmd, "issuer signer status", "--socket PATH",
	     "print the signing process's counts: requests answered and refused, per kind",
	     "  --socket PATH    the signer's socket\n"
	     "Prints one JSON object: {\"blind-sign\": {\"ok\": N, \"refused\": N}, ...}.",
	     cmd_issuer_signer_status)
