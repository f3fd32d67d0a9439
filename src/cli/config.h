/* The config files of the daemons' command groups: /etc/obol/issuer.conf and
 * /etc/obol/vendor.conf (docs/operations.md, "Running obol as a service").
 *
 * An INI file (read with libinih). Its keys are the long options of the
 * group's commands without their dashes, as optspec.h reads them from each
 * command's help. A key before any [section] is a default for every command of
 * the group that takes that option; a key in [serve] (the command's path
 * without the group's word: [serve], [account list]) is for that command only
 * and wins over the first. A flag on the command line wins over both. A flag
 * that takes no argument is set with yes/no (true/false, on/off, 1/0).
 *
 * Everything here is pure: the glue with the command table and the
 * `config show` commands are in cmd_config.c. */
#ifndef OBOL_CLI_CONFIG_H
#define OBOL_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/optspec.h"
#include "core/error.h"

/* The directory of the config files, unless OBOL_CONFIG_DIR names another. */
#define OBOL_CONFIG_DIR_DEFAULT "/etc/obol"

/* Options that the config layer takes out of the command line itself. */
#define OBOL_CONFIG_OPT_FILE "config"  /* --config FILE: read FILE instead */
#define OBOL_CONFIG_OPT_NONE "no-config" /* --no-config: read no file */

struct obol_config_entry {
	char *section; /* "" for the keys before any section */
	char *key;
	char *value;
	int line;
};

struct obol_config {
	char *path;
	struct obol_config_entry *v;
	size_t n;
};

/* Reads the file at path. A line that is not "key = value", "[section]", a
 * comment (';' or '#') or blank is CONFIG_SYNTAX; a key set twice in one
 * section, or a value that goes on over a second line, CONFIG_DUPLICATE_KEY;
 * a file that cannot be opened CONFIG_UNREADABLE (missing_ok: a file that does
 * not exist reads as empty). why (cap bytes) says "PATH:LINE: what". */
OBOL_MUST_CHECK obol_err obol_config_read(const char *path, bool missing_ok, struct obol_config *out, char *why,
					  size_t cap);

/* One command of the file's group: its section and its options. */
struct obol_config_scope {
	const char *section; /* "serve", "account list" */
	const struct obol_optspec *opts;
};

/* Checks every entry against the group's commands: a section must name one
 * (else CONFIG_UNKNOWN_SECTION), a key in it must be one of its options, and a
 * key before any section an option of at least one (else CONFIG_UNKNOWN_KEY);
 * a flag's value must be yes or no, an option's value not empty
 * (CONFIG_BAD_VALUE). --config, --no-config and --help are no keys. group
 * ("issuer") is for the messages. */
OBOL_MUST_CHECK obol_err obol_config_check(const struct obol_config *c, const char *group,
					   const struct obol_config_scope *scopes, size_t n, char *why,
					   size_t cap);

/* The entry that sets key for section: the section's own, else the one before
 * any section, else NULL. */
const struct obol_config_entry *obol_config_lookup(const struct obol_config *c, const char *section,
						   const char *key);

void obol_config_free(struct obol_config *c);

/* Where the value of one option in force came from. */
enum obol_setting_source {
	OBOL_SETTING_UNSET,   /* nowhere: the command decides (a required option, an off flag) */
	OBOL_SETTING_DEFAULT, /* the default its help states */
	OBOL_SETTING_FILE,    /* the config file, at line */
	OBOL_SETTING_FLAG,    /* the command line */
};

struct obol_setting {
	const struct obol_opt *opt;
	enum obol_setting_source source;
	const char *value; /* borrowed from argv, the config or the opt; "yes" for a flag set */
	int line;
};

/* A command line with the config's values put in. */
struct obol_config_args {
	int argc;
	char **argv;             /* argv[0], "--KEY=VALUE" from the file, then the command line */
	const char *config_path; /* --config FILE, or NULL */
	bool no_config;          /* --no-config */
	struct obol_setting *settings; /* one per option of opts (less the config layer's own) */
	size_t n;
	char **owned; /* the "--KEY=VALUE" strings */
	size_t nowned;
};

/* Reads the command line as getopt_long would (abbreviations, "--KEY=VALUE"
 * and "--KEY VALUE", nothing after "--"): takes --config FILE and --no-config
 * out of it (both at once, --config without FILE or --no-config=VALUE is
 * CONFIG_BAD_VALUE), and records which of opts it sets. opts must hold the config layer's two options. argv stays the
 * caller's. */
OBOL_MUST_CHECK obol_err obol_config_args_scan(const struct obol_optspec *opts, int argc, char **argv,
					       struct obol_config_args *out, char *why, size_t cap);

/* Puts in, for every option of opts that the command line does not set, the
 * value c (NULL: no file) gives it for section, as "--KEY=VALUE" (a flag:
 * "--KEY" when yes) before the command line's words, so that the command's
 * own parsing reads it as if typed; records every option's source. */
OBOL_MUST_CHECK obol_err obol_config_args_apply(struct obol_config_args *a, const struct obol_config *c,
						const char *section);

void obol_config_args_free(struct obol_config_args *a);

/* Parses a yes/no value; false when it is neither. */
bool obol_config_bool(const char *value, bool *out);

#endif
