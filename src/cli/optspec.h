/* The long options of a command, read from its own usage and help text.
 *
 * Every command documents its options in its usage line ("--db URL [--listen
 * HOST:PORT]") and help lines ("  --listen HOST:PORT  where to listen (default
 * 127.0.0.1:8080)"); the tests hold every command to that. This file reads
 * them back, so that the config file (config.h) and the man pages know every
 * option of every command, including one added later, without a second list
 * to keep in step. */
#ifndef OBOL_CLI_OPTSPEC_H
#define OBOL_CLI_OPTSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

struct obol_opt {
	char *name;         /* "listen": the long option without its dashes */
	bool takes_arg;     /* "--listen HOST:PORT", as opposed to a flag "--quick" */
	char *arg;          /* "HOST:PORT", or NULL for a flag */
	char *default_text; /* the default its description states (see find_default), or NULL */
};

struct obol_optspec {
	struct obol_opt *v;
	size_t n;
};

/* Reads the options of a command from text as obol_cli_print_usage prints it:
 * every "--NAME [ARG]" of the first line ("usage: obol PATH USAGE"), and every
 * help line that starts with a few spaces and "--NAME" (then one space and an
 * ARG word, then two or more spaces and the description, which may go on in
 * more deeply indented lines). An option takes an argument when any of its
 * mentions shows one. Options appear in the order first met. */
OBOL_MUST_CHECK obol_err obol_optspec_parse(const char *text, struct obol_optspec *out);

/* Adds an option (a copy of name and arg; arg NULL for a flag), unless one of
 * that name is there already. */
OBOL_MUST_CHECK obol_err obol_optspec_add(struct obol_optspec *s, const char *name, const char *arg);

/* Drops the option of that name, if any. */
void obol_optspec_remove(struct obol_optspec *s, const char *name);

/* The option of exactly that name, or NULL. */
const struct obol_opt *obol_optspec_find(const struct obol_optspec *s, const char *name);

/* getopt_long's rule for the option a command-line word names: the option of
 * exactly name[0..len), else the only option whose name begins with it; NULL
 * when none or several do. */
const struct obol_opt *obol_optspec_match(const struct obol_optspec *s, const char *name, size_t len);

/* Whether the option's value is a secret that obol never prints: the last
 * word of its name is password, passphrase, secret or token ("--api-token",
 * not "--payword-token-value"). */
bool obol_opt_is_secret(const struct obol_opt *o);

/* Writes value to out (cap bytes) with the password of every URL in it
 * ("scheme://user:PASSWORD@") and every "password=VALUE" replaced by "***";
 * the whole value is "***" when the option is secret or it does not fit. */
void obol_opt_redact(const struct obol_opt *o, const char *value, char *out, size_t cap);

void obol_optspec_free(struct obol_optspec *s);

#endif
