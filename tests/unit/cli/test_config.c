/* The config files of the daemons' command groups (src/cli/config.h) and the
 * options read from a command's help (src/cli/optspec.h): every option of the
 * help is a key, a flag on the command line wins, a section wins over the
 * keys before any section, every bad line is a named error with its line, and
 * secrets are not shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../test.h"
#include "cli/config.h"
#include "cli/optspec.h"

/* As `obol issuer serve --help` prints it. */
static const char serve_help[] =
	"usage: obol issuer serve --db URL [--listen HOST:PORT] [--batch N] [--threads N]\n"
	"\n"
	"run the issuer daemon (HTTP/JSON)\n"
	"\n"
	"  --db URL            the issuer database (sqlite:PATH or postgresql://...)\n"
	"  --listen HOST:PORT  where to listen (default 127.0.0.1:8080; port 0 picks a free one)\n"
	"  --batch N           most requests committed in one transaction (default 64)\n"
	"  --threads N         HTTP worker threads (default 8)\n"
	"  --verbose           say more\n"
	"Prints \"listening on HOST:PORT\" when ready; see --db.\n";

static void serve_opts(struct obol_optspec *s)
{
	if (obol_optspec_parse(serve_help, s) != OBOL_OK ||
	    obol_optspec_add(s, OBOL_CONFIG_OPT_FILE, "FILE") != OBOL_OK ||
	    obol_optspec_add(s, OBOL_CONFIG_OPT_NONE, NULL) != OBOL_OK)
		obol_test_fail(__FILE__, __LINE__, "cannot build the options");
}

static const char *write_file(const char *name, const char *text)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ % 4];
	snprintf(p, 512, "%s/%s", test_tmpdir(), name);
	FILE *f = fopen(p, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		obol_test_fail(__FILE__, __LINE__, "cannot write %s", p);
	return p;
}

TEST(cli_config, options_come_from_the_usage_and_help_lines)
{
	struct obol_optspec s;
	REQUIRE_OK(obol_optspec_parse(serve_help, &s));
	CHECK_EQ_INT(s.n, 5);
	const struct obol_opt *o = obol_optspec_find(&s, "listen");
	REQUIRE(o != NULL);
	CHECK(o->takes_arg);
	CHECK_EQ_STR(o->arg, "HOST:PORT");
	CHECK_EQ_STR(o->default_text, "127.0.0.1:8080");
	CHECK_EQ_STR(obol_optspec_find(&s, "batch")->default_text, "64");
	CHECK(obol_optspec_find(&s, "db")->default_text == NULL);
	CHECK(!obol_optspec_find(&s, "verbose")->takes_arg);
	CHECK(obol_optspec_find(&s, "nosuch") == NULL);
	obol_optspec_free(&s);

	/* Options only the usage line names, flags in brackets, choices. */
	REQUIRE_OK(obol_optspec_parse("usage: obol issuer fund --db URL (--account NAME | --id N) [--kind user|vendor] "
				      "[--quick]\n\nsummary\n",
				      &s));
	CHECK_EQ_INT(s.n, 5);
	CHECK_EQ_STR(obol_optspec_find(&s, "account")->arg, "NAME");
	CHECK_EQ_STR(obol_optspec_find(&s, "id")->arg, "N");
	CHECK_EQ_STR(obol_optspec_find(&s, "kind")->arg, "user|vendor");
	CHECK(!obol_optspec_find(&s, "quick")->takes_arg);
	obol_optspec_free(&s);
}

TEST(cli_config, a_default_is_the_options_own)
{
	struct obol_optspec s;
	REQUIRE_OK(obol_optspec_parse(
		"usage: obol x [options]\n\n"
		"  --listen HOST:PORT  the device link (TCP; unix:PATH for a unix socket;\n"
		"                      default 127.0.0.1:7070)\n"
		"  --denom VALUE,N[,DAYS]\n"
		"                 coins of VALUE, issued for DAYS (default 365); repeatable.\n"
		"  --report MODE  almost-online (default): at once;\n"
		"                 batch: every --interval seconds (default 5)\n",
		&s));
	CHECK_EQ_STR(obol_optspec_find(&s, "listen")->default_text, "127.0.0.1:7070");
	CHECK(obol_optspec_find(&s, "denom")->default_text == NULL);
	CHECK_EQ_STR(obol_optspec_find(&s, "report")->default_text, "almost-online");
	obol_optspec_free(&s);
}

TEST(cli_config, abbreviations_follow_getopt)
{
	struct obol_optspec s;
	REQUIRE_OK(obol_optspec_parse("usage: obol x [--listen A] [--list B] [--batch N]\n", &s));
	CHECK_EQ_STR(obol_optspec_match(&s, "list", 4)->name, "list"); /* exact wins */
	CHECK(obol_optspec_match(&s, "lis", 3) == NULL);                /* ambiguous */
	CHECK_EQ_STR(obol_optspec_match(&s, "liste", 5)->name, "listen");
	CHECK_EQ_STR(obol_optspec_match(&s, "b", 1)->name, "batch");
	CHECK(obol_optspec_match(&s, "", 0) == NULL);
	obol_optspec_free(&s);
}

TEST(cli_config, secrets_are_masked)
{
	char n_db[] = "db", n_pw[] = "console-password", n_tv[] = "payword-token-value";
	struct obol_opt db = { .name = n_db, .takes_arg = true }, pw = { .name = n_pw, .takes_arg = true },
			tv = { .name = n_tv, .takes_arg = true };
	char out[256];
	obol_opt_redact(&db, "postgresql://obol:hunter2@db.example:5432/obol?sslmode=require", out, sizeof out);
	CHECK_EQ_STR(out, "postgresql://obol:***@db.example:5432/obol?sslmode=require");
	obol_opt_redact(&db, "postgresql://obol@db/obol?password=hunter2&sslmode=require", out, sizeof out);
	CHECK_EQ_STR(out, "postgresql://obol@db/obol?password=***&sslmode=require");
	obol_opt_redact(&db, "sqlite:/var/lib/obol/issuer/issuer.db", out, sizeof out);
	CHECK_EQ_STR(out, "sqlite:/var/lib/obol/issuer/issuer.db");
	obol_opt_redact(&pw, "hunter2", out, sizeof out);
	CHECK_EQ_STR(out, "***");
	obol_opt_redact(&tv, "EUR:0.01", out, sizeof out);
	CHECK_EQ_STR(out, "EUR:0.01");
	/* Too long to mask in place: nothing of it is shown. */
	obol_opt_redact(&db, "postgresql://obol:hunter2@db/obol", out, 20);
	CHECK_EQ_STR(out, "***");
}

TEST(cli_config, the_file_is_read_with_its_lines)
{
	struct obol_config c;
	char why[512];
	const char *p = write_file("issuer.conf", "; obol\n# comment\n\ndb = sqlite:/x.db\n\n[serve]\nlisten = 127.0.0.1:9\n"
						  "threads=4 ; inline comment\n");
	REQUIRE_OK(obol_config_read(p, false, &c, why, sizeof why));
	CHECK_EQ_INT(c.n, 3);
	const struct obol_config_entry *en = obol_config_lookup(&c, "serve", "threads");
	REQUIRE(en != NULL);
	CHECK_EQ_STR(en->value, "4");
	CHECK_EQ_INT(en->line, 8);
	en = obol_config_lookup(&c, "serve", "db"); /* from before any section */
	REQUIRE(en != NULL);
	CHECK_EQ_INT(en->line, 4);
	CHECK(obol_config_lookup(&c, "serve", "batch") == NULL);
	obol_config_free(&c);

	/* Missing: empty when allowed, else a named error. */
	REQUIRE_OK(obol_config_read("/nonexistent/obol.conf", true, &c, why, sizeof why));
	CHECK_EQ_INT(c.n, 0);
	obol_config_free(&c);
	CHECK_ERR(obol_config_read("/nonexistent/obol.conf", false, &c, why, sizeof why), OBOL_E_CONFIG_UNREADABLE);
	CHECK(strstr(why, "/nonexistent/obol.conf") != NULL);
}

/* Each bad file fails with its error, naming the file and the line. */
TEST(cli_config, bad_lines_are_named_errors_with_file_and_line)
{
	static const struct {
		const char *text;
		obol_err want;
		const char *where;
	} cases[] = {
		{ "db = x\nnot a key value line\n", OBOL_E_CONFIG_SYNTAX, ":2:" },
		{ "db = x\n[serve\n", OBOL_E_CONFIG_SYNTAX, ":2:" },
		{ "[serve]\nlisten = a\nthreads = 2\nlisten = b\n", OBOL_E_CONFIG_DUPLICATE_KEY, ":4:" },
		{ "[serve]\nlisten = a\n  b\n", OBOL_E_CONFIG_DUPLICATE_KEY, ":3:" },
		{ "db = x\n# two bad lines: the first is named\nbad\n[serve]\nlisten = a\nlisten = b\n",
		  OBOL_E_CONFIG_SYNTAX, ":3:" },
	};
	char why[512], name[32];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct obol_config c;
		snprintf(name, sizeof name, "bad%zu.conf", i);
		const char *p = write_file(name, cases[i].text);
		obol_err e = obol_config_read(p, false, &c, why, sizeof why);
		if (e != cases[i].want || strstr(why, p) == NULL || strstr(why, cases[i].where) == NULL)
			obol_test_fail(__FILE__, __LINE__, "case %zu: %s, '%s'", i, obol_strerror(e), why);
		if (e == OBOL_OK)
			obol_config_free(&c);
	}

	/* A line longer than libinih's buffer is refused, not split in two. */
	char text[400] = "db = ";
	memset(text + 5, 'a', 250);
	strcpy(text + 255, "\n");
	struct obol_config c;
	CHECK_ERR(obol_config_read(write_file("long.conf", text), false, &c, why, sizeof why), OBOL_E_CONFIG_SYNTAX);
	CHECK(strstr(why, ":1: line too long") != NULL);
}

TEST(cli_config, keys_are_the_commands_options)
{
	struct obol_optspec serve, list;
	serve_opts(&serve);
	REQUIRE_OK(obol_optspec_parse("usage: obol issuer account list --db URL [--kind user|vendor]\n", &list));
	const struct obol_config_scope scopes[] = { { "serve", &serve }, { "account list", &list } };
	static const struct {
		const char *text;
		obol_err want;
		const char *what;
	} cases[] = {
		{ "db = x\nkind = user\n[serve]\nlisten = a\nverbose = yes\n[account list]\nkind = vendor\n", OBOL_OK, "" },
		{ "db = x\nlisen = a\n", OBOL_E_CONFIG_UNKNOWN_KEY, ":2: unknown key 'lisen'" },
		{ "[serve]\nkind = user\n", OBOL_E_CONFIG_UNKNOWN_KEY, ":2: unknown key 'kind': 'obol issuer serve'" },
		{ "[serv]\nlisten = a\n", OBOL_E_CONFIG_UNKNOWN_SECTION, ":2: unknown section [serv]" },
		{ "[serve]\nverbose = maybe\n", OBOL_E_CONFIG_BAD_VALUE, ":2: 'verbose' is a flag" },
		{ "[serve]\nthreads =\n", OBOL_E_CONFIG_BAD_VALUE, ":2: 'threads' has no value" },
		{ "config = /etc/other.conf\n", OBOL_E_CONFIG_UNKNOWN_KEY, ":1: unknown key 'config'" },
		{ "[serve]\nhelp = yes\n", OBOL_E_CONFIG_UNKNOWN_KEY, ":2: unknown key 'help'" },
	};
	char why[512], name[32];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct obol_config c;
		snprintf(name, sizeof name, "k%zu.conf", i);
		if (obol_config_read(write_file(name, cases[i].text), false, &c, why, sizeof why) != OBOL_OK) {
			obol_test_fail(__FILE__, __LINE__, "case %zu does not read: %s", i, why);
			continue;
		}
		why[0] = '\0';
		obol_err e = obol_config_check(&c, "issuer", scopes, 2, why, sizeof why);
		if (e != cases[i].want || strstr(why, cases[i].what) == NULL)
			obol_test_fail(__FILE__, __LINE__, "case %zu: %s, '%s'", i, obol_strerror(e), why);
		obol_config_free(&c);
	}
	obol_optspec_free(&serve);
	obol_optspec_free(&list);
}

/* Splits text at spaces into argv (16 words at most); "issuer serve" is the
 * first word, as main passes the command's path. */
static int split(char *text, char **argv)
{
	static char path[] = "issuer serve";
	int n = 0;
	argv[n++] = path;
	strtok(text, " "); /* "issuer" */
	strtok(NULL, " "); /* "serve" */
	for (char *w = strtok(NULL, " "); w != NULL && n < 15; w = strtok(NULL, " "))
		argv[n++] = w;
	argv[n] = NULL;
	return n;
}

/* The argv the command parses: argv[0], the file's values, then its own words. */
static void join(const struct obol_config_args *a, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < a->argc && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "", a->argv[i]);
}

TEST(cli_config, a_flag_wins_and_a_section_wins_over_the_top)
{
	struct obol_optspec opts;
	struct obol_config c;
	struct obol_config_args a;
	char why[512], got[1024];
	serve_opts(&opts);
	const char *p = write_file("issuer.conf", "db = sqlite:/top.db\nthreads = 2\n[serve]\nthreads = 4\n"
						  "batch = 32\nverbose = yes\n");
	REQUIRE_OK(obol_config_read(p, false, &c, why, sizeof why));

	char argv_text[] = "issuer serve --batch 9 --li=127.0.0.1:0";
	char *argv[16];
	int argv_n = split(argv_text, argv);
	REQUIRE_OK(obol_config_args_scan(&opts, argv_n, argv, &a, why, sizeof why));
	REQUIRE_OK(obol_config_args_apply(&a, &c, "serve"));
	join(&a, got, sizeof got);
	CHECK_EQ_STR(got, "issuer serve --db=sqlite:/top.db --threads=4 --verbose --batch 9 --li=127.0.0.1:0");
	REQUIRE(a.n == 5);
	CHECK_EQ_STR(a.settings[0].opt->name, "db");
	CHECK_EQ_INT(a.settings[0].source, OBOL_SETTING_FILE);
	CHECK_EQ_INT(a.settings[0].line, 1);
	CHECK_EQ_INT(a.settings[1].source, OBOL_SETTING_FLAG); /* listen, abbreviated */
	CHECK_EQ_STR(a.settings[1].value, "127.0.0.1:0");
	CHECK_EQ_INT(a.settings[2].source, OBOL_SETTING_FLAG); /* batch */
	CHECK_EQ_STR(a.settings[2].value, "9");
	CHECK_EQ_INT(a.settings[3].source, OBOL_SETTING_FILE); /* threads: [serve], not the top */
	CHECK_EQ_STR(a.settings[3].value, "4");
	CHECK_EQ_INT(a.settings[3].line, 4);
	obol_config_args_free(&a);

	/* No file: the help's defaults. */
	char argv2_text[] = "issuer serve --db sqlite:/x.db";
	char *argv2[16];
	int argv2_n = split(argv2_text, argv2);
	REQUIRE_OK(obol_config_args_scan(&opts, argv2_n, argv2, &a, why, sizeof why));
	REQUIRE_OK(obol_config_args_apply(&a, NULL, "serve"));
	join(&a, got, sizeof got);
	CHECK_EQ_STR(got, "issuer serve --db sqlite:/x.db");
	CHECK_EQ_INT(a.settings[1].source, OBOL_SETTING_DEFAULT);
	CHECK_EQ_STR(a.settings[1].value, "127.0.0.1:8080");
	CHECK_EQ_INT(a.settings[4].source, OBOL_SETTING_UNSET);
	obol_config_args_free(&a);
	obol_config_free(&c);
	obol_optspec_free(&opts);
}

TEST(cli_config, config_options_are_taken_out_of_the_command_line)
{
	struct obol_optspec opts;
	struct obol_config_args a;
	char why[512], got[1024];
	serve_opts(&opts);

	char argv_text[] = "issuer serve --config /etc/x.conf --db --no-config -- --no-config";
	char *argv[16];
	int argv_n = split(argv_text, argv);
	REQUIRE_OK(obol_config_args_scan(&opts, argv_n, argv, &a, why, sizeof why));
	CHECK_EQ_STR(a.config_path, "/etc/x.conf");
	CHECK(!a.no_config); /* the first --no-config is --db's value, the second after "--" */
	join(&a, got, sizeof got);
	CHECK_EQ_STR(got, "issuer serve --db --no-config -- --no-config");
	CHECK_EQ_STR(a.settings[0].value, "--no-config");
	obol_config_args_free(&a);

	char argv2_text[] = "issuer serve --no-conf --nosuch stray";
	char *argv2[16];
	int argv2_n = split(argv2_text, argv2);
	REQUIRE_OK(obol_config_args_scan(&opts, argv2_n, argv2, &a, why, sizeof why));
	CHECK(a.no_config);
	join(&a, got, sizeof got);
	CHECK_EQ_STR(got, "issuer serve --nosuch stray"); /* left for the command to refuse */
	obol_config_args_free(&a);

	char argv3_text[] = "issuer serve --config=/a --no-config";
	char *argv3[16];
	int argv3_n = split(argv3_text, argv3);
	CHECK_ERR(obol_config_args_scan(&opts, argv3_n, argv3, &a, why, sizeof why), OBOL_E_CONFIG_BAD_VALUE);
	char argv4_text[] = "issuer serve --db x --config";
	char *argv4[16];
	int argv4_n = split(argv4_text, argv4);
	CHECK_ERR(obol_config_args_scan(&opts, argv4_n, argv4, &a, why, sizeof why), OBOL_E_CONFIG_BAD_VALUE);
	CHECK(strstr(why, "--config needs a FILE") != NULL);
	char argv5_text[] = "issuer serve --no-config=yes";
	char *argv5[16];
	int argv5_n = split(argv5_text, argv5);
	CHECK_ERR(obol_config_args_scan(&opts, argv5_n, argv5, &a, why, sizeof why), OBOL_E_CONFIG_BAD_VALUE);
	obol_optspec_free(&opts);
}

TEST(cli_config, a_flag_set_to_no_is_left_out)
{
	struct obol_optspec opts;
	struct obol_config c;
	struct obol_config_args a;
	char why[512], got[1024];
	serve_opts(&opts);
	REQUIRE_OK(obol_config_read(write_file("f.conf", "verbose = off\n"), false, &c, why, sizeof why));
	char argv_text[] = "issuer serve";
	char *argv[16];
	int argv_n = split(argv_text, argv);
	REQUIRE_OK(obol_config_args_scan(&opts, argv_n, argv, &a, why, sizeof why));
	REQUIRE_OK(obol_config_args_apply(&a, &c, "serve"));
	join(&a, got, sizeof got);
	CHECK_EQ_STR(got, "issuer serve");
	CHECK_EQ_INT(a.settings[4].source, OBOL_SETTING_FILE);
	CHECK_EQ_STR(a.settings[4].value, "off");
	obol_config_args_free(&a);
	obol_config_free(&c);
	obol_optspec_free(&opts);
}

/* Runs `obol ARGS` with OBOL_CONFIG_DIR set (stdout and stderr together). */
static int run_obol(const char *dir, const char *args, char *out, size_t cap)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "OBOL_CONFIG_DIR='%s' %s %s </dev/null 2>&1", dir, test_obol_bin(), args);
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Through the real command table: every issuer command reads issuer.conf,
 * knows the other commands' keys, and refuses a file with an unknown one
 * before it does anything. */
TEST(cli_config, the_obol_commands_read_their_groups_file)
{
	static char out[16384];
	const char *dir = test_tmpdir();
	char db[600], args[1024];
	snprintf(db, sizeof db, "%s/issuer.db", dir);

	write_file("issuer.conf", "currency = EUR\n[serve]\nthreads = 3\n[account list]\nkind = user\n");
	snprintf(args, sizeof args, "issuer config show --db sqlite:%s", db);
	CHECK_EQ_INT(run_obol(dir, args, out, sizeof out), 0);
	CHECK(strstr(out, "threads") != NULL && strstr(out, "/issuer.conf:3") != NULL);
	CHECK(strstr(out, "flag") != NULL);

	/* 'issuer init' takes --currency from the file. */
	snprintf(args, sizeof args, "issuer init --db sqlite:%s", db);
	CHECK_EQ_INT(run_obol(dir, args, out, sizeof out), 0);
	CHECK(strstr(out, "EUR") != NULL);

	write_file("issuer.conf", "currency = EUR\n\n[serve]\nthreds = 3\n");
	snprintf(args, sizeof args, "issuer account list --db sqlite:%s", db);
	CHECK_EQ_INT(run_obol(dir, args, out, sizeof out), 1);
	CHECK(strstr(out, "CONFIG_UNKNOWN_KEY") != NULL);
	CHECK(strstr(out, "/issuer.conf:4: unknown key 'threds'") != NULL);
	/* --no-config reads no file. */
	snprintf(args, sizeof args, "issuer account list --no-config --db sqlite:%s", db);
	CHECK_EQ_INT(run_obol(dir, args, out, sizeof out), 0);
	/* The wallet reads none. */
	CHECK_EQ_INT(run_obol(dir, "wallet balance --wallet /nonexistent/w", out, sizeof out), 1);
	CHECK(strstr(out, "CONFIG_") == NULL);
}

/* Every key the config layer takes from a command's help must be an option the
 * command's own parsing accepts, or a file that sets it would only get a usage
 * error. For each option of each command that reads a config file: the
 * command takes `--OPT=1` (or `--OPT`) and goes on to refuse the next, unknown
 * option (a refusal of the value "1" counts as taken). */
TEST(cli_config, every_key_is_an_option_the_command_takes)
{
	static char table[16384], help[16384], out[16384];
	char args[1024], unknown_here[256], refused[256];
	int checked = 0;
	CHECK_EQ_INT(run_obol("/nonexistent", "--help", table, sizeof table), 0);
	for (char *line = strtok(table, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strncmp(line, "  ", 2) != 0)
			continue;
		char *path = line + 2, *end = strstr(path, "  ");
		REQUIRE(end != NULL);
		*end = '\0';
		if (strncmp(path, "issuer ", 7) != 0 && strncmp(path, "vendor ", 7) != 0 && strcmp(path, "audit") != 0)
			continue;
		if (strstr(path, "config show") != NULL)
			continue;
		snprintf(args, sizeof args, "%s --help", path);
		REQUIRE(run_obol("/nonexistent", args, help, sizeof help) == 0);
		struct obol_optspec s;
		REQUIRE_OK(obol_optspec_parse(help, &s));
		for (size_t i = 0; i < s.n; i++) {
			const struct obol_opt *o = &s.v[i];
			if (strcmp(o->name, "help") == 0 || strcmp(o->name, "config") == 0 ||
			    strcmp(o->name, "no-config") == 0)
				continue;
			snprintf(args, sizeof args, "%s --no-config --%s%s --zz-unknown", path, o->name,
				 o->takes_arg ? "=1" : "");
			int rc = run_obol("/nonexistent", args, out, sizeof out);
			snprintf(refused, sizeof refused, "unrecognized option '--%s", o->name);
			snprintf(unknown_here, sizeof unknown_here, "unrecognized option '--zz-unknown'");
			if (rc != 2 && rc != 1)
				obol_test_fail(__FILE__, __LINE__, "'obol %s' exited %d", args, rc);
			else if (strstr(out, refused) != NULL || strstr(out, "allow an argument") != NULL ||
				 strstr(out, "requires an argument") != NULL ||
				 (strstr(out, "unknown option") != NULL && strstr(out, unknown_here) == NULL))
				obol_test_fail(__FILE__, __LINE__, "'obol %s' does not take --%s: %s", path, o->name, out);
			checked++;
		}
		obol_optspec_free(&s);
	}
	CHECK(checked >= 30);
	test_note("%d options checked", checked);
}
