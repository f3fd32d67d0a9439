/* obol issuer serve: the issuer daemon (src/issuer/issuer.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "console/console.h"
#include "core/log.h"
#include "core/parse.h"
#include "issuer/gc.h"
#include "issuer/issuer.h"

static int cmd_issuer_serve(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },      { "listen", required_argument, NULL, 'l' },
		{ "batch", required_argument, NULL, 'b' },   { "threads", required_argument, NULL, 't' },
		{ "tls-cert", required_argument, NULL, 'c' }, { "tls-key", required_argument, NULL, 'k' },
		{ "console", required_argument, NULL, 'C' }, { "console-tls-cert", required_argument, NULL, 'E' },
		{ "console-tls-key", required_argument, NULL, 'K' }, { "metrics-token-file", required_argument, NULL, 'T' },
		{ "max-conns", required_argument, NULL, 'M' }, { "max-conns-per-ip", required_argument, NULL, 'P' },
		{ "request-timeout", required_argument, NULL, 'R' }, { "rsa-slots", required_argument, NULL, 'S' },
		{ "gc-interval", required_argument, NULL, 'G' }, { "signer", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },          { 0, 0, 0, 0 },
	};
	struct obol_issuer_config cfg = { .listen = "127.0.0.1:8080" };
	struct obol_console_config console = { 0 };
	uint64_t n, gc_interval = 0;
	int c;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cfg.db_url = optarg;
			break;
		case 'l':
			cfg.listen = optarg;
			break;
		case 'c':
			cfg.tls_cert = optarg;
			break;
		case 'k':
			cfg.tls_key = optarg;
			break;
		case 'C':
			console.listen = optarg;
			break;
		case 'E':
			console.tls_cert = optarg;
			break;
		case 'K':
			console.tls_key = optarg;
			break;
		case 'T':
			console.metrics_token_file = optarg;
			break;
		case 'b':
			if (obol_parse_u64(optarg, 1, 4096, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--batch takes 1..4096");
			cfg.batch = (size_t)n;
			break;
		case 't':
			if (obol_parse_u64(optarg, 1, 256, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--threads takes 1..256");
			cfg.threads = (unsigned)n;
			break;
		case 'M':
			if (obol_parse_u64(optarg, 16, 100000, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--max-conns takes 16..100000");
			cfg.max_conns = (unsigned)n;
			break;
		case 'P':
			if (obol_parse_u64(optarg, 1, 100000, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--max-conns-per-ip takes 1..100000");
			cfg.max_conns_per_ip = (unsigned)n;
			break;
		case 'R':
			if (obol_parse_u64(optarg, 100, 600000, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--request-timeout takes 100..600000 (milliseconds)");
			cfg.request_ms = (unsigned)n;
			break;
		case 'S':
			if (obol_parse_u64(optarg, 1, 1024, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--rsa-slots takes 1..1024");
			cfg.rsa_slots = (unsigned)n;
			break;
		case 'g':
			cfg.signer_path = optarg;
			break;
		case 'G':
			if (obol_parse_u64(optarg, 1, 86400 * 366, &gc_interval) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--gc-interval takes 1..31622400 seconds");
			break;
		default:
			return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (cfg.db_url == NULL)
		return obol_cli_usage_error(cmd, "--db URL is required");
	if ((cfg.tls_cert == NULL) != (cfg.tls_key == NULL))
		return obol_cli_usage_error(cmd, "--tls-cert and --tls-key go together");
	if ((console.tls_cert == NULL) != (console.tls_key == NULL))
		return obol_cli_usage_error(cmd, "--console-tls-cert and --console-tls-key go together");
	if (console.listen == NULL && (console.tls_cert != NULL || console.metrics_token_file != NULL))
		return obol_cli_usage_error(cmd, "--console-tls-cert, --console-tls-key and --metrics-token-file go with "
						 "--console");
	console.db_url = cfg.db_url;

	obol_log_set_tag("issuer");
	sigset_t set;
	obol_daemon_block_signals(&set);
	struct obol_issuer *iss;
	obol_err e = obol_issuer_start(&cfg, &iss);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot start the issuer");
	struct obol_console *con = NULL;
	struct obol_gc_daemon *gc = NULL;
	if (console.listen != NULL && (e = obol_console_issuer_start(iss, &console, &con)) != OBOL_OK) {
		obol_issuer_stop(iss);
		return obol_cli_fail(cmd, e, "cannot start the console");
	}
	if (gc_interval > 0 &&
	    (e = obol_gc_daemon_start(cfg.db_url, (int64_t)gc_interval, OBOL_GC_BATCH_DEFAULT, &gc)) != OBOL_OK) {
		obol_console_stop(con);
		obol_issuer_stop(iss);
		return obol_cli_fail(cmd, e, "cannot start the pruning");
	}
	obol_daemon_print_listening(cfg.listen, obol_issuer_port(iss));
	if (con != NULL)
		obol_daemon_print_listening(console.listen, obol_console_port(con));
	obol_daemon_wait(&set);
	obol_gc_daemon_stop(gc);
	obol_console_stop(con);
	obol_issuer_stop(iss);
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(issuer_serve_cmd, "issuer serve",
	     "--db URL [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--batch N] [--threads N]\n"
	     "       [--max-conns N] [--max-conns-per-ip N] [--request-timeout MS] [--rsa-slots N] [--gc-interval S]\n"
	     "       [--signer PATH]\n"
	     "       [--console HOST:PORT [--console-tls-cert FILE --console-tls-key FILE] [--metrics-token-file FILE]]",
	     "run the issuer daemon (JSON over HTTPS, or HTTP)",
	     "  --db URL            the issuer database (sqlite:PATH or postgresql://...), made by 'issuer init'\n"
	     "  --listen HOST:PORT  where to listen (default 127.0.0.1:8080; port 0 picks a free one)\n"
	     "  --tls-cert FILE     serve HTTPS with this PEM certificate (chain)...\n"
	     "  --tls-key FILE      ...and this PEM private key (without them: plain HTTP, which wallets\n"
	     "                      and vendors accept on loopback only; or put a TLS proxy in front)\n"
	     "  --batch N           most requests committed in one transaction (default 64)\n"
	     "  --console HOST:PORT  also serve the operator's web console and /metrics there (plain HTTP on\n"
	     "                      a loopback address only; operators: 'issuer console-user add')\n"
	     "  --console-tls-cert FILE  serve the console over HTTPS with this PEM certificate...\n"
	     "  --console-tls-key FILE  ...and this key (its cookies are then Secure)\n"
	     "  --metrics-token-file FILE  /metrics asks for 'Authorization: Bearer TOKEN', TOKEN the file's\n"
	     "                      first line (without it: a console session, or any client of a loopback\n"
	     "                      console)\n"
	     "  --threads N         database read connections for requests (default 8); every HTTP\n"
	     "                      connection is served by a thread of its own\n"
	     "  --max-conns N       HTTP connections open at once (default 512); a new one beyond closes\n"
	     "                      the one that has waited longest without sending its request\n"
	     "  --max-conns-per-ip N  from one client address (default 64; behind a reverse proxy,\n"
	     "                      all come from the proxy: raise it)\n"
	     "  --request-timeout MS  a request's headers and body must arrive within MS of its\n"
	     "                      connection's start or previous reply (default 10000)\n"
	     "  --rsa-slots N       RSA signatures at once for requests (blind signatures, signed\n"
	     "                      lists; default: processors - 1); beyond: 503 ISSUER_BUSY\n"
	     "  --gc-interval S     every S seconds, remove what can no longer matter, as 'issuer gc'\n"
	     "                      does, in short batches (default: never; run 'issuer gc' from cron)\n"
	     "  --signer PATH       the private keys are in the signing process on this socket\n"
	     "                      ('issuer signer'): blind signatures, the ecash bank's signatures and\n"
	     "                      box openings go there (without it: the keys in the database)\n"
	     "Prints \"listening on HOST:PORT\" when ready (then for --console); stops on SIGTERM or SIGINT.",
	     cmd_issuer_serve)
