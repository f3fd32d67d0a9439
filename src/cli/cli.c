/* The subcommand table and its dispatcher (cli.h). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/optspec.h"
#include "cli/output.h"
#include "cli/payer_opts.h"
#include "wire/json.h"

static struct obol_cmd *commands;

void obol_cli_register(struct obol_cmd *cmd)
{
	/* Keep the table sorted by path so that --help reads in order. */
	struct obol_cmd **p = &commands;
	while (*p != NULL && strcmp((*p)->path, cmd->path) < 0)
		p = &(*p)->next;
	cmd->next = *p;
	*p = cmd;
	obol_cli_payer_register(cmd);
}

const struct obol_cmd *obol_cli_commands(void)
{
	return commands;
}

void obol_cli_print_usage(const struct obol_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: obol %s%s%s\n\n%s\n", cmd->path, cmd->usage[0] ? " " : "", cmd->usage,
		cmd->summary);
	if (cmd->help != NULL)
		fprintf(f, "\n%s\n", cmd->help);
	if (cmd->more_help != NULL)
		cmd->more_help(f);
	obol_cli_print_config_help(cmd, f);
}

/* Under --json: the API's error object on stderr, one line. */
static void print_error_object(obol_err e, const char *what)
{
	json_t *body = obol_json_error_body(e, what);
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (text != NULL)
		fprintf(stderr, "%s\n", text);
	else
		fprintf(stderr, "{\"code\":%d,\"name\":\"%s\"}\n", (int)e, obol_strerror(e));
	free(text);
	json_decref(body);
}

int obol_cli_fail(const struct obol_cmd *cmd, obol_err e, const char *what)
{
	if (obol_cli_json()) {
		print_error_object(e, what);
		return OBOL_EXIT_FAIL;
	}
	fprintf(stderr, "obol %s: %s: %s (%s)\n", cmd->path, obol_strerror(e), what, obol_errhint(e));
	return OBOL_EXIT_FAIL;
}

/* The arguments of the running command, for usage errors under --json. */
static int run_argc;
static char **run_argv;

/* Under --json getopt says nothing (opterr is 0): the first "--NAME" of the
 * arguments that the command's usage and help do not offer, as getopt would
 * have named it. false when every one is offered. */
static bool unrecognized(const struct obol_cmd *cmd, char *out, size_t cap)
{
	struct obol_optspec spec = { 0 };
	bool found = false;
	if (obol_cli_optspec(cmd, &spec) != OBOL_OK)
		return false;
	for (int i = 1; i < run_argc && run_argv[i] != NULL && !found && strcmp(run_argv[i], "--") != 0; i++) {
		const char *a = run_argv[i];
		if (strncmp(a, "--", 2) != 0)
			continue;
		if (obol_optspec_match(&spec, a + 2, strcspn(a + 2, "=")) == NULL) {
			snprintf(out, cap, "unrecognized option '%.*s'", (int)strcspn(a, "="), a);
			found = true;
		}
	}
	obol_optspec_free(&spec);
	return found;
}

int obol_cli_usage_error(const struct obol_cmd *cmd, const char *what)
{
	if (obol_cli_json()) {
		char detail[200];
		print_error_object(OBOL_E_USAGE, strcmp(what, "unknown option") == 0 &&
								 unrecognized(cmd, detail, sizeof detail)
							 ? detail
							 : what);
		return OBOL_EXIT_USAGE;
	}
	fprintf(stderr, "obol %s: %s\n", cmd->path, what);
	fprintf(stderr, "usage: obol %s %s\n(see obol %s --help)\n", cmd->path, cmd->usage, cmd->path);
	return OBOL_EXIT_USAGE;
}

int obol_cli_extra_arg(const struct obol_cmd *cmd, const char *arg)
{
	char what[160];
	snprintf(what, sizeof what, "unexpected argument '%.120s'", arg);
	return obol_cli_usage_error(cmd, what);
}

int obol_cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

/* How many leading words of argv spell cmd->path; 0 when they do not. */
static int path_match(const char *path, int argc, char **argv)
{
	int words = 0;
	const char *p = path;
	while (*p != '\0') {
		size_t len = strcspn(p, " ");
		if (words >= argc || strlen(argv[words]) != len || strncmp(argv[words], p, len) != 0)
			return 0;
		words++;
		p += len;
		while (*p == ' ')
			p++;
	}
	return words;
}

/* Whether path begins with the words of argv[0..n). */
static int path_has_prefix(const char *path, int n, char **argv)
{
	const char *p = path;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(argv[i]);
		if (strncmp(p, argv[i], len) != 0 || (p[len] != ' ' && p[len] != '\0'))
			return 0;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 1;
}

static void print_table(FILE *f, int n, char **prefix)
{
	fprintf(f, "usage: obol <command> [options]   (obol <command> --help for its options)\n\n");
	fprintf(f, "obol: anonymous and offline micropayments (schemes: coupon, ecash, payword, codex)\n\n");
	fprintf(f, "commands:\n");
	int width = 0;
	for (const struct obol_cmd *c = commands; c != NULL; c = c->next)
		if (path_has_prefix(c->path, n, prefix) && (int)strlen(c->path) > width)
			width = (int)strlen(c->path);
	for (const struct obol_cmd *c = commands; c != NULL; c = c->next)
		if (path_has_prefix(c->path, n, prefix))
			fprintf(f, "  %-*s  %s\n", width, c->path, c->summary);
}

/* Whether --json is among a command's arguments (before any "--"). */
static bool has_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

int obol_cli_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		print_table(stdout, 0, NULL);
		return argc < 2 ? OBOL_EXIT_USAGE : OBOL_EXIT_OK;
	}

	const struct obol_cmd *best = NULL;
	int best_words = 0;
	for (const struct obol_cmd *c = commands; c != NULL; c = c->next) {
		int w = path_match(c->path, argc - 1, argv + 1);
		if (w > best_words) {
			best = c;
			best_words = w;
		}
	}
	if (best == NULL) {
		/* The longest run of leading words that begins some command's path
		 * names a group ("obol wallet ecash"): with --help (or -h) and
		 * nothing else it lists the group's commands on stdout (exit 0);
		 * alone, or followed by a word no command has, it lists them on
		 * stderr (exit 2). */
		int words = 0;
		for (int n = 1; n < argc && argv[n][0] != '-'; n++) {
			int any = 0;
			for (const struct obol_cmd *c = commands; c != NULL && !any; c = c->next)
				any = path_has_prefix(c->path, n, argv + 1);
			if (!any)
				break;
			words = n;
		}
		int next = 1 + words;
		if (words > 0 && next + 1 == argc &&
		    (strcmp(argv[next], "--help") == 0 || strcmp(argv[next], "-h") == 0)) {
			print_table(stdout, words, argv + 1);
			return OBOL_EXIT_OK;
		}
		if (words > 0 && next == argc) {
			print_table(stderr, words, argv + 1);
			return OBOL_EXIT_USAGE;
		}
		fprintf(stderr, "obol: unknown command '");
		for (int i = 1; i <= next && i < argc; i++)
			fprintf(stderr, "%s%s", i > 1 ? " " : "", argv[i]);
		if (words == 0) {
			fprintf(stderr, "' (obol --help lists them)\n");
			return OBOL_EXIT_USAGE;
		}
		fprintf(stderr, "'\n\n");
		print_table(stderr, words, argv + 1);
		return OBOL_EXIT_USAGE;
	}

	int sub_argc = argc - best_words;
	char **sub_argv = argv + best_words;
	sub_argv[0] = (char *)best->path;
	if (obol_cli_wants_help(sub_argc, sub_argv)) {
		obol_cli_print_usage(best, stdout);
		return OBOL_EXIT_OK;
	}
	obol_cli_set_json(strstr(best->usage, "[--json]") != NULL && has_json(sub_argc, sub_argv));
	opterr = !obol_cli_json(); /* getopt's own complaints are text */
	run_argc = sub_argc;
	run_argv = sub_argv;
	int rc = obol_cli_payer_run(best, sub_argc, sub_argv);
	obol_cli_set_json(false);
	run_argc = 0;
	run_argv = NULL;
	return rc;
}
