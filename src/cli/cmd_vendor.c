/* obol vendor init | serve: the vendor's keys and its daemon (src/vendor/vendor.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "console/console.h"
#include "console/console_db.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "vendor/vendor.h"

static int cmd_vendor_init(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "issuer-ca", required_argument, NULL, 'c' },
		{ "insecure-http", no_argument, NULL, 'H' },
		{ "console-user", required_argument, NULL, 'u' },
		{ 0, 0, 0, 0 },
	};
	const char *dir = NULL, *issuer = NULL, *ca = NULL, *operator = "admin";
	bool insecure = false;
	struct obol_sign_keypair sign;
	struct obol_box_keypair box;
	uint8_t mpk[32];
	char s64[OBOL_B64_LEN(32)], b64[OBOL_B64_LEN(32)];
	int c;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 'i')
			issuer = optarg;
		else if (c == 'c')
			ca = optarg;
		else if (c == 'H')
			insecure = true;
		else if (c == 'u')
			operator = optarg;
		else
			return obol_cli_usage_error(cmd, "unknown option");
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (dir == NULL)
		return obol_cli_usage_error(cmd, "--dir is required");
	if ((ca != NULL || insecure) && issuer == NULL)
		return obol_cli_usage_error(cmd, "--issuer-ca and --insecure-http go with --issuer");
	if (!obol_console_name_valid(operator))
		return obol_cli_usage_error(cmd, "--console-user is letters, digits, '.', '_' or '-'");
	obol_err e = issuer != NULL ? obol_http_url_check(issuer, insecure) : OBOL_OK;
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "refusing the issuer's URL");
	e = obol_vendor_keys_create(dir, &sign, &box);
	if (e == OBOL_OK && (e = obol_b64_encode(sign.pk, 32, s64, sizeof s64)) == OBOL_OK)
		e = obol_b64_encode(box.pk, 32, b64, sizeof b64);
	OBOL_WIPE(sign);
	OBOL_WIPE(box);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot create the vendor keys");
	printf("vendor-key: %s\nbox-key: %s\n", s64, b64);
	/* The console's first operator, in DIR/vendor.db. */
	char url[4200], generated[OBOL_CONSOLE_PASSWORD_GEN];
	const char *password = getenv("OBOL_CONSOLE_PASSWORD");
	snprintf(url, sizeof url, "sqlite:%s/vendor.db", dir);
	e = obol_console_operator_setup(url, true, operator, password != NULL && password[0] != '\0' ? password : NULL,
					false, generated);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot add the console's operator");
	printf("console-user: %s\n", operator);
	if (generated[0] != '\0')
		printf("console-password: %s\n", generated);
	OBOL_WIPE(generated);
	if (issuer != NULL) {
		if ((e = obol_vendor_trust_save(dir, issuer, ca, insecure)) != OBOL_OK ||
		    (e = obol_vendor_trust_issuer(dir, issuer, NULL, false)) != OBOL_OK)
			return obol_cli_fail(cmd, e, "cannot keep the issuer's TLS trust");
		if ((e = obol_vendor_pin_issuer(dir, issuer, mpk)) != OBOL_OK)
			return obol_cli_fail(cmd, e, "cannot pin the issuer's key");
		if ((e = obol_b64_encode(mpk, 32, s64, sizeof s64)) != OBOL_OK)
			return obol_cli_fail(cmd, e, "cannot print the issuer's key");
		printf("issuer-key: %s\n", s64);
	}
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(vendor_init_cmd, "vendor init", "--dir DIR [--issuer URL [--issuer-ca FILE] [--insecure-http]] [--console-user NAME]",
	     "create a vendor's keys in DIR and print the public keys for 'issuer vendor add'",
	     "  --dir DIR          the vendor's directory (created, mode 0700); keys in DIR/vendor.keys\n"
	     "  --issuer URL       also fetch GET /keys and pin the issuer's master key in DIR/issuer.pin\n"
	     "                     (otherwise 'vendor serve' pins it at its first start)\n"
	     "  --issuer-ca FILE   verify the issuer's TLS certificate against this PEM CA (copied to\n"
	     "                     DIR/issuer-ca.pem; without it: the system's CAs)\n"
	     "  --insecure-http    allow plain http:// to an issuer that is not on loopback (kept in\n"
	     "                     DIR/issuer-transport.json for this URL)\n"
	     "  --console-user NAME  the console's first operator (default admin), in DIR/vendor.db; the\n"
	     "                     password comes from OBOL_CONSOLE_PASSWORD, or obol draws one and prints it",
	     cmd_vendor_init)

static int cmd_vendor_serve(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },   { "listen", required_argument, NULL, 'l' },
		{ "issuer", required_argument, NULL, 'i' }, { "price", required_argument, NULL, 'p' },
		{ "http", required_argument, NULL, 'H' },   { "max-links", required_argument, NULL, 'm' },
		{ "issuer-ca", required_argument, NULL, 'c' }, { "insecure-http", no_argument, NULL, 'I' },
		{ "console", required_argument, NULL, 'C' }, { "console-tls-cert", required_argument, NULL, 'E' },
		{ "console-tls-key", required_argument, NULL, 'K' }, { "metrics-token-file", required_argument, NULL, 'T' },
		{ "max-links-per-ip", required_argument, NULL, 'P' }, { "link-idle-timeout", required_argument, NULL, 'L' },
		{ "link-max-seconds", required_argument, NULL, 'S' }, { "renew-margin-days", required_argument, NULL, 'R' },
		{ "renew-check-seconds", required_argument, NULL, 'W' }, { 0, 0, 0, 0 },
	};
	struct obol_vendor_config cfg = { .listen = "127.0.0.1:7070" };
	struct obol_console_config console = { 0 };
	uint64_t n;
	int c;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.dir = optarg; break;
		case 'l': cfg.listen = optarg; break;
		case 'i': cfg.issuer_url = optarg; break;
		case 'p': cfg.price = optarg; break;
		case 'H': cfg.http_listen = optarg; break;
		case 'c': cfg.issuer_ca = optarg; break;
		case 'I': cfg.insecure_http = true; break;
		case 'C': console.listen = optarg; break;
		case 'E': console.tls_cert = optarg; break;
		case 'K': console.tls_key = optarg; break;
		case 'T': console.metrics_token_file = optarg; break;
		case 'm':
			if (obol_parse_u64(optarg, 1, 1024, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--max-links takes 1..1024");
			cfg.max_links = (unsigned)n;
			break;
		case 'P':
			if (obol_parse_u64(optarg, 1, 1024, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--max-links-per-ip takes 1..1024");
			cfg.max_links_per_ip = (unsigned)n;
			break;
		case 'L':
			if (obol_parse_u64(optarg, 100, 3600000, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--link-idle-timeout takes 100..3600000 (milliseconds)");
			cfg.link_idle_ms = (unsigned)n;
			break;
		case 'S':
			if (obol_parse_u64(optarg, 1, 86400, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--link-max-seconds takes 1..86400");
			cfg.link_session_s = (unsigned)n;
			break;
		case 'R':
			if (obol_parse_u64(optarg, 1, 3650, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--renew-margin-days takes 1..3650");
			cfg.renew_margin_s = (int64_t)n * 86400;
			break;
		case 'W':
			if (obol_parse_u64(optarg, 1, 86400, &n) != OBOL_OK)
				return obol_cli_usage_error(cmd, "--renew-check-seconds takes 1..86400");
			cfg.renew_check_ms = (unsigned)n * 1000u;
			break;
		default:
			return obol_cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (cfg.dir == NULL || cfg.issuer_url == NULL)
		return obol_cli_usage_error(cmd, "--dir and --issuer are required");
	if ((console.tls_cert == NULL) != (console.tls_key == NULL))
		return obol_cli_usage_error(cmd, "--console-tls-cert and --console-tls-key go together");
	if (console.listen == NULL && (console.tls_cert != NULL || console.metrics_token_file != NULL))
		return obol_cli_usage_error(cmd, "--console-tls-cert, --console-tls-key and --metrics-token-file go with "
						 "--console");

	obol_log_set_tag("vendor");
	sigset_t set;
	obol_daemon_block_signals(&set);
	struct obol_vendor *v;
	obol_err e = obol_vendor_start(&cfg, &v);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "cannot start the vendor");
	struct obol_console *con = NULL;
	if (console.listen != NULL && (e = obol_console_vendor_start(v, &console, &con)) != OBOL_OK) {
		obol_vendor_stop(v);
		return obol_cli_fail(cmd, e, "cannot start the console");
	}
	obol_daemon_print_listening(cfg.listen, obol_vendor_port(v));
	if (cfg.http_listen != NULL)
		obol_daemon_print_listening(cfg.http_listen, obol_vendor_http_port(v));
	if (con != NULL)
		obol_daemon_print_listening(console.listen, obol_console_port(con));
	obol_daemon_wait(&set);
	obol_console_stop(con);
	obol_vendor_stop(v);
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(vendor_serve_cmd, "vendor serve",
	     "--dir DIR --issuer URL [--issuer-ca FILE] [--insecure-http] [--listen HOST:PORT] [--price CUR:V.F]\n"
	     "       [--http HOST:PORT] [--max-links N] [--max-links-per-ip N] [--link-idle-timeout MS]\n"
	     "       [--link-max-seconds S] [--renew-margin-days D] [--renew-check-seconds S]\n"
	     "       [--console HOST:PORT [--console-tls-cert FILE --console-tls-key FILE] [--metrics-token-file FILE]]",
	     "run the vendor daemon: device link for wallets, outbox to the issuer",
	     "  --dir DIR           the vendor's directory (from 'vendor init'); needs DIR/vendor.cert\n"
	     "                      or fetches it from the issuer (after 'issuer vendor add')\n"
	     "  --issuer URL        the issuer, e.g. https://issuer.example:8443\n"
	     "  --issuer-ca FILE    verify its TLS certificate against this PEM CA (default: DIR/issuer-ca.pem\n"
	     "                      from 'vendor init', else the system's CAs)\n"
	     "  --insecure-http     allow plain http:// to an issuer that is not on loopback\n"
	     "  --listen HOST:PORT  the device link (TCP; unix:PATH for a unix socket; port 0 picks one;\n"
	     "                      default 127.0.0.1:7070)\n"
	     "  --price CUR:V.F     price of one unit of service (default 0.001 of the issuer's currency)\n"
	     "  --http HOST:PORT    also serve the vendor's HTTP routes (payword products)\n"
	     "  --max-links N       concurrent device links (default 64)\n"
	     "  --console HOST:PORT  also serve the operator's web console and /metrics there (plain HTTP on\n"
	     "                      a loopback address only; operators: 'vendor console-user add')\n"
	     "  --console-tls-cert FILE  serve the console over HTTPS with this PEM certificate...\n"
	     "  --console-tls-key FILE  ...and this key (its cookies are then Secure)\n"
	     "  --metrics-token-file FILE  /metrics asks for 'Authorization: Bearer TOKEN', TOKEN the file's\n"
	     "                      first line (without it: a console session, or any client of a loopback\n"
	     "                      console)\n"
	     "  --max-links-per-ip N  of them from one address (default 8); one more gets DEVLINK_BUSY\n"
	     "  --link-idle-timeout MS  a session's next frame must come within MS of its last one\n"
	     "                      (default 10000); frames outside the session do not count\n"
	     "  --link-max-seconds S  a link's whole life (default 600); then DEVLINK_EXPIRED\n"
	     "  --renew-margin-days D  ask the issuer for a new certificate D days before the current one\n"
	     "                      ends (default 30); the old one serves until the new one is in hand\n"
	     "  --renew-check-seconds S  how often the certificate's end is looked at (default 3600)\n"
	     "Wallets reach the device link over an encrypted session in which the vendor proves the\n"
	     "box key its certificate names.\n"
	     "Prints \"listening on HOST:PORT\" for the device link (then for --http, then --console) when ready;\n"
	     "stops on SIGTERM or SIGINT after the outbox attempt in progress.",
	     cmd_vendor_serve)
