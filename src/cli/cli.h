/* The obol command line: a table of subcommands.
 *
 * Each file in src/cli declares its subcommands with OBOL_COMMAND; the table is
 * assembled at program start, so adding a command touches only its own file.
 * A command's path is its words ("issuer serve", "bench crypto"). `obol --help`
 * lists the table; `obol <path> --help` prints the command's usage and help. */
#ifndef OBOL_CLI_CLI_H
#define OBOL_CLI_CLI_H

#include <stdio.h>

#include "core/error.h"

/* Exit codes of every command. */
enum { OBOL_EXIT_OK = 0, OBOL_EXIT_FAIL = 1, OBOL_EXIT_USAGE = 2 };

struct obol_cmd;
/* argv[0] is the command's path; argv[1..] its arguments. Returns an exit code. */
typedef int (*obol_cmd_fn)(const struct obol_cmd *cmd, int argc, char **argv);

struct obol_cmd {
	const char *path;    /* "issuer serve" */
	const char *usage;   /* "--db URL --listen HOST:PORT" */
	const char *summary; /* one line for the table */
	const char *help;    /* the options, one per line; may be NULL */
	obol_cmd_fn run;
	/* Optional: prints more help after the text above (options that other
	 * files register at run time, such as the schemes' 'issuer init' ones). */
	void (*more_help)(FILE *f);
	struct obol_cmd *next;
};

void obol_cli_register(struct obol_cmd *cmd);

#define OBOL_COMMAND(ident, path_, usage_, summary_, help_, fn_)                          \
	static struct obol_cmd ident = { .path = path_, .usage = usage_, .summary = summary_, \
					 .help = help_, .run = fn_ };                         \
	__attribute__((constructor)) static void ident##_register(void)                      \
	{                                                                                     \
		obol_cli_register(&ident);                                                    \
	}

/* Prints "usage: obol PATH USAGE" and the help to f. */
void obol_cli_print_usage(const struct obol_cmd *cmd, FILE *f);

/* The table, sorted by path. */
const struct obol_cmd *obol_cli_commands(void);

/* Runs a command: with the values of its group's config file put in first
 * when it has one (cmd_config.c, config.h), else as it is. */
int obol_cli_run(const struct obol_cmd *cmd, int argc, char **argv);

/* The config file's part of a command's help (nothing when it reads none). */
void obol_cli_print_config_help(const struct obol_cmd *cmd, FILE *f);

/* The config file a command reads ("issuer.conf") and its section there
 * ("serve"); NULL when it reads none. */
const char *obol_cli_config_file(const struct obol_cmd *cmd, const char **section);

/* The options of a command as its usage and help state them (optspec.h),
 * with the config layer's --config FILE and --no-config, without --help. */
struct obol_optspec;
OBOL_MUST_CHECK obol_err obol_cli_optspec(const struct obol_cmd *cmd, struct obol_optspec *out);

/* Reports a failed operation on stderr as "obol PATH: NAME: what (hint)" and
 * returns OBOL_EXIT_FAIL. */
int obol_cli_fail(const struct obol_cmd *cmd, obol_err e, const char *what);

/* Reports a usage error and returns OBOL_EXIT_USAGE. */
int obol_cli_usage_error(const struct obol_cmd *cmd, const char *what);

/* Reports an argument that no option took ("unexpected argument 'ARG'") and
 * returns OBOL_EXIT_USAGE. Commands call it when optind != argc. */
int obol_cli_extra_arg(const struct obol_cmd *cmd, const char *arg);

/* True when argv holds -h or --help; commands call it first. */
int obol_cli_wants_help(int argc, char **argv);

/* Runs the command argv names ("obol", then the words of its path, then its
 * arguments) and returns its exit code; with no command or a group's name,
 * lists the table as `obol --help` does. main() calls it after
 * obol_crypto_init; so may a program that runs commands in process (the
 * deterministic simulator, tests/sim). argv[1..] may be rewritten. */
int obol_cli_main(int argc, char **argv);

#endif
