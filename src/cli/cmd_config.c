/* The config files in the command line (config.h): every command of the
 * issuer's and the vendor's group runs with the values of its config file
 * put in before its own words (obol_cli_run), and `obol issuer config show`,
 * `obol vendor config show` print what is in force and where it came from. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/output.h"

/* The groups that read a config file: the commands whose path begins with
 * `word`, plus the `also` paths (their section is their whole path). */
struct group {
	const char *word;
	const char *file;
	const char *also[2];
};

static const struct group groups[] = {
	{ "issuer", "issuer.conf", { "audit", NULL } },
	{ "vendor", "vendor.conf", { NULL } },
};

static int cmd_config_show(const struct obol_cmd *cmd, int argc, char **argv);

/* The group a command belongs to and its section there; NULL for none (and
 * for the config show commands, which read the file themselves). */
static const struct group *group_of(const struct obol_cmd *cmd, const char **section)
{
	if (cmd->run == cmd_config_show)
		return NULL;
	for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
		size_t len = strlen(groups[g].word);
		if (strncmp(cmd->path, groups[g].word, len) == 0 && cmd->path[len] == ' ') {
			*section = cmd->path + len + 1;
			return &groups[g];
		}
		for (size_t i = 0; groups[g].also[i] != NULL; i++)
			if (strcmp(cmd->path, groups[g].also[i]) == 0) {
				*section = cmd->path;
				return &groups[g];
			}
	}
	return NULL;
}

const char *obol_cli_config_file(const struct obol_cmd *cmd, const char **section)
{
	const struct group *g = group_of(cmd, section);
	return g != NULL ? g->file : NULL;
}

static void default_path(const struct group *g, char *out, size_t cap)
{
	const char *dir = getenv("OBOL_CONFIG_DIR");
	snprintf(out, cap, "%s/%s", dir != NULL && dir[0] != '\0' ? dir : OBOL_CONFIG_DIR_DEFAULT, g->file);
}

static void print_file_options(const struct group *g, FILE *f)
{
	char path[512];
	default_path(g, path, sizeof path);
	fprintf(f,
		"  --config FILE  read FILE instead of %s\n"
		"  --no-config    read no config file\n",
		path);
}

void obol_cli_print_config_help(const struct obol_cmd *cmd, FILE *f)
{
	const char *section;
	const struct group *g = group_of(cmd, &section);
	char path[512];
	if (g == NULL)
		return;
	default_path(g, path, sizeof path);
	fprintf(f,
		"\nConfig file: each option above can be set in %s, as KEY = VALUE\n"
		"(KEY: the option without '--'; a flag takes yes or no) in section [%s]\n"
		"or before any section; a flag given here wins. 'obol %s config show --for %s%s%s'\n"
		"prints what is in force.\n",
		path, section, g->word, strchr(section, ' ') != NULL ? "'" : "", section,
		strchr(section, ' ') != NULL ? "'" : "");
	print_file_options(g, f);
}

obol_err obol_cli_optspec(const struct obol_cmd *cmd, struct obol_optspec *out)
{
	char *text = NULL;
	size_t len = 0;
	obol_err e = OBOL_OK;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return OBOL_E_NO_MEMORY;
	obol_cli_print_usage(cmd, f);
	if (fclose(f) != 0) {
		free(text);
		return OBOL_E_NO_MEMORY;
	}
	if ((e = obol_optspec_parse(text, out)) == OBOL_OK) {
		obol_optspec_remove(out, "help");
		if ((e = obol_optspec_add(out, OBOL_CONFIG_OPT_FILE, "FILE")) == OBOL_OK)
			e = obol_optspec_add(out, OBOL_CONFIG_OPT_NONE, NULL);
		if (e != OBOL_OK)
			obol_optspec_free(out);
	}
	free(text);
	return e;
}

/* The commands of a group with their options. */
struct scopes {
	struct obol_config_scope *v;
	struct obol_optspec *opts;
	size_t n;
};

static void scopes_free(struct scopes *s)
{
	for (size_t i = 0; i < s->n; i++)
		obol_optspec_free(&s->opts[i]);
	free(s->opts);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static obol_err group_scopes(const struct group *g, struct scopes *out)
{
	size_t cap = 0;
	obol_err e = OBOL_OK;
	memset(out, 0, sizeof *out);
	for (const struct obol_cmd *c = obol_cli_commands(); c != NULL; c = c->next)
		cap++;
	out->v = calloc(cap + 1, sizeof *out->v);
	out->opts = calloc(cap + 1, sizeof *out->opts);
	if (out->v == NULL || out->opts == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	for (const struct obol_cmd *c = obol_cli_commands(); c != NULL; c = c->next) {
		const char *section;
		if (group_of(c, &section) != g)
			continue;
		if ((e = obol_cli_optspec(c, &out->opts[out->n])) != OBOL_OK)
			goto out;
		out->v[out->n].section = section;
		out->v[out->n].opts = &out->opts[out->n];
		out->n++;
	}
out:
	if (e != OBOL_OK)
		scopes_free(out);
	return e;
}

/* Reads and checks the group's file as the command line says (--config FILE,
 * --no-config, or the default path, which may be absent). *c stays empty
 * (path NULL) with --no-config. */
static obol_err load(const struct group *g, const struct obol_config_args *a, struct obol_config *c, char *why,
		     size_t cap)
{
	char path[512];
	struct scopes sc;
	obol_err e;
	memset(c, 0, sizeof *c);
	if (a->no_config)
		return OBOL_OK;
	default_path(g, path, sizeof path);
	if ((e = obol_config_read(a->config_path != NULL ? a->config_path : path, a->config_path == NULL, c, why,
				  cap)) != OBOL_OK)
		return e;
	if ((e = group_scopes(g, &sc)) != OBOL_OK)
		goto out;
	e = obol_config_check(c, g->word, sc.v, sc.n, why, cap);
	scopes_free(&sc);
out:
	if (e != OBOL_OK)
		obol_config_free(c);
	return e;
}

static int fail_why(const struct obol_cmd *cmd, obol_err e, const char *why)
{
	return obol_cli_fail(cmd, e, why[0] != '\0' ? why : "cannot read the config file");
}

int obol_cli_run(const struct obol_cmd *cmd, int argc, char **argv)
{
	const char *section;
	const struct group *g = group_of(cmd, &section);
	struct obol_optspec opts = { 0 };
	struct obol_config_args a = { 0 };
	struct obol_config c = { 0 };
	char why[768] = "";
	obol_err e;
	int rc;
	if (g == NULL)
		return cmd->run(cmd, argc, argv);
	if ((e = obol_cli_optspec(cmd, &opts)) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "cannot read the command's options");
		goto out;
	}
	if ((e = obol_config_args_scan(&opts, argc, argv, &a, why, sizeof why)) != OBOL_OK) {
		rc = e == OBOL_E_CONFIG_BAD_VALUE ? obol_cli_usage_error(cmd, why) : fail_why(cmd, e, why);
		goto out;
	}
	if ((e = load(g, &a, &c, why, sizeof why)) != OBOL_OK ||
	    (e = obol_config_args_apply(&a, c.path != NULL ? &c : NULL, section)) != OBOL_OK) {
		rc = fail_why(cmd, e, why);
		goto out;
	}
	rc = cmd->run(cmd, a.argc, a.argv);
out:
	obol_config_args_free(&a);
	obol_config_free(&c);
	obol_optspec_free(&opts);
	return rc;
}

/* ---- obol issuer config show, obol vendor config show ------------------ */

/* "flag", "PATH:LINE", "default" or "unset". */
static void source_text(const struct obol_setting *st, const struct obol_config *c, char *out, size_t cap)
{
	switch (st->source) {
	case OBOL_SETTING_FLAG: snprintf(out, cap, "flag"); return;
	case OBOL_SETTING_DEFAULT: snprintf(out, cap, "default"); return;
	case OBOL_SETTING_UNSET: snprintf(out, cap, "unset"); return;
	case OBOL_SETTING_FILE: snprintf(out, cap, "%s:%d", c->path, st->line); return;
	}
}

/* One line per option (the first 64: no command has nearly so many). */
static void print_settings(const struct obol_config_args *a, const struct obol_config *c)
{
	char values[64][256];
	int wk = 3, wv = 5;
	size_t n = a->n < 64 ? a->n : 64;
	for (size_t i = 0; i < n; i++) {
		const struct obol_setting *st = &a->settings[i];
		if (st->value == NULL)
			snprintf(values[i], sizeof values[i], "%s", st->opt->takes_arg ? "-" : "no");
		else
			obol_opt_redact(st->opt, st->value, values[i], sizeof values[i]);
		if ((int)strlen(st->opt->name) > wk)
			wk = (int)strlen(st->opt->name);
		if ((int)strlen(values[i]) > wv)
			wv = (int)strlen(values[i]);
	}
	printf("%-*s  %-*s  %s\n", wk, "key", wv, "value", "from");
	for (size_t i = 0; i < n; i++) {
		char src[600];
		const struct obol_setting *st = &a->settings[i];
		source_text(st, c, src, sizeof src);
		printf("%-*s  %-*s  %s\n", wk, st->opt->name, wv, values[i], src);
	}
}

/* --json: {"config": PATH or null (--no-config), "config_present",
 * "command", "settings": [{"key", "value" (null when unset; secrets as
 * ***), "from"}]}; NULL when out of memory. */
static json_t *settings_json(const struct obol_config_args *a, const struct obol_config *c, const char *config,
			     bool present, const char *command)
{
	json_t *doc = json_object(), *list = json_array();
	bool ok = list != NULL && obol_cli_json_set(doc, "config", config != NULL ? json_string(config) : json_null()) &&
		  obol_cli_json_set(doc, "config_present", json_boolean(present)) &&
		  obol_cli_json_set(doc, "command", json_string(command));
	for (size_t i = 0; ok && i < a->n; i++) {
		const struct obol_setting *st = &a->settings[i];
		char value[256], src[600];
		json_t *o = json_object();
		if (st->value != NULL)
			obol_opt_redact(st->opt, st->value, value, sizeof value);
		source_text(st, c, src, sizeof src);
		ok = obol_cli_json_set(o, "key", json_string(st->opt->name)) &&
		     obol_cli_json_set(o, "value", st->value != NULL ? json_string(value) : json_null()) &&
		     obol_cli_json_set(o, "from", json_string(src)) && json_array_append_new(list, o) == 0;
		if (!ok)
			json_decref(o);
	}
	ok = ok && obol_cli_json_set(doc, "settings", json_incref(list));
	json_decref(list);
	if (!ok) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* The command --for names in the group (default: serve). */
static const struct obol_cmd *target_of(const struct group *g, const char *section)
{
	char path[256];
	const char *sec;
	snprintf(path, sizeof path, "%s %s", g->word, section);
	for (const struct obol_cmd *c = obol_cli_commands(); c != NULL; c = c->next)
		if (strcmp(c->path, path) == 0 && group_of(c, &sec) == g)
			return c;
	for (size_t i = 0; g->also[i] != NULL; i++)
		if (strcmp(g->also[i], section) == 0)
			for (const struct obol_cmd *c = obol_cli_commands(); c != NULL; c = c->next)
				if (strcmp(c->path, section) == 0)
					return c;
	return NULL;
}

static int cmd_config_show(const struct obol_cmd *cmd, int argc, char **argv)
{
	const struct group *g = NULL;
	const struct obol_cmd *target;
	const char *section = "serve";
	struct obol_optspec opts = { 0 };
	struct obol_config_args a = { 0 };
	struct obol_config c = { 0 };
	struct option *lopts = NULL;
	char why[768] = "", path[512];
	obol_err e;
	int rc = OBOL_EXIT_OK, ch;
	bool json = false;

	/* --json is this command's own, never a setting of the target: it goes
	 * before the target's options are read */
	int kept = 1;
	for (int i = 1; i < argc; i++) {
		if (!json && strcmp(argv[i], "--json") == 0)
			json = true;
		else
			argv[kept++] = argv[i];
	}
	argv[kept] = NULL;
	argc = kept;
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (strncmp(cmd->path, groups[i].word, strlen(groups[i].word)) == 0)
			g = &groups[i];
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--for") == 0 && i + 1 < argc)
			section = argv[i + 1];
		else if (strncmp(argv[i], "--for=", 6) == 0)
			section = argv[i] + 6;
	}
	if (g == NULL || (target = target_of(g, section)) == NULL) {
		snprintf(why, sizeof why, "no command 'obol %s %.64s' reads %s", g != NULL ? g->word : "?", section,
			 g != NULL ? g->file : "a config file");
		return obol_cli_usage_error(cmd, why);
	}
	if ((e = obol_cli_optspec(target, &opts)) != OBOL_OK ||
	    (e = obol_optspec_add(&opts, "for", "COMMAND")) != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "cannot read the command's options");
		goto out;
	}
	/* Only the target's options (and --for, --config, --no-config) may appear. */
	if ((lopts = calloc(opts.n + 1, sizeof *lopts)) == NULL) {
		rc = obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < opts.n; i++)
		lopts[i] = (struct option){ opts.v[i].name, opts.v[i].takes_arg ? required_argument : no_argument,
					    NULL, 0 };
	while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1)
		if (ch != 0) {
			rc = obol_cli_usage_error(cmd, "unknown option (it takes those of the command --for names)");
			goto out;
		}
	if (optind != argc) {
		rc = obol_cli_extra_arg(cmd, argv[optind]);
		goto out;
	}
	if ((e = obol_config_args_scan(&opts, argc, argv, &a, why, sizeof why)) != OBOL_OK) {
		rc = obol_cli_usage_error(cmd, why);
		goto out;
	}
	/* --for is no option of the target: not a setting. */
	for (size_t i = 0; i < a.n; i++)
		if (strcmp(a.settings[i].opt->name, "for") == 0) {
			memmove(&a.settings[i], &a.settings[i + 1], (a.n - i - 1) * sizeof a.settings[i]);
			a.n--;
			break;
		}
	if ((e = load(g, &a, &c, why, sizeof why)) != OBOL_OK ||
	    (e = obol_config_args_apply(&a, c.path != NULL ? &c : NULL, section)) != OBOL_OK) {
		rc = fail_why(cmd, e, why);
		goto out;
	}
	default_path(g, path, sizeof path);
	if (json) {
		char command[300];
		bool present = !a.no_config && (a.config_path != NULL || access(path, F_OK) == 0);
		snprintf(command, sizeof command, "obol %s", target->path);
		rc = obol_cli_print_json(cmd, settings_json(&a, &c, a.no_config ? NULL : present ? c.path : path, present,
							    command));
		goto out;
	}
	if (a.no_config)
		printf("config: none (--no-config)\n");
	else if (a.config_path != NULL || access(path, F_OK) == 0)
		printf("config: %s\n", c.path);
	else
		printf("config: %s (absent)\n", path);
	printf("command: obol %s\n", target->path);
	print_settings(&a, &c);
out:
	free(lopts);
	obol_config_args_free(&a);
	obol_config_free(&c);
	obol_optspec_free(&opts);
	return rc;
}

#define CONFIG_SHOW_HELP(group, file)                                                                      \
	"  --for COMMAND  the command of the group whose settings to show, without '" group "'\n"           \
	"                 (default serve; e.g. --for 'account list')\n"                                      \
	"  --config FILE  read FILE instead of /etc/obol/" file " (or $OBOL_CONFIG_DIR/" file ")\n"          \
	"  --no-config    read no config file\n"                                                             \
	"  --json         one JSON object: config (the file, null with --no-config), config_present,\n"     \
	"                 command, settings (key, value: null when unset, from)\n"                          \
	"Takes the options of that command too, to show what a flag would change.\n"                         \
	"Prints one line per option: its value in force and where it came from: flag, FILE:LINE,\n"          \
	"default (what the command's help states) or unset. Secrets are never printed: the\n"               \
	"password of a URL (user:PASSWORD@) or a password= parameter, and options named\n"                  \
	"password, passphrase, secret or token, show as ***. Checks the whole file first: a\n"             \
	"line that is not KEY = VALUE, an unknown section or key, or a bad value is an error\n"             \
	"naming the file and line."

OBOL_COMMAND(issuer_config_show_cmd, "issuer config show",
	     "[--for COMMAND] [--config FILE | --no-config] [OPTIONS] [--json]",
	     "print the issuer settings in force (issuer.conf, flags, defaults) and where each came from",
	     CONFIG_SHOW_HELP("issuer", "issuer.conf"), cmd_config_show)

OBOL_COMMAND(vendor_config_show_cmd, "vendor config show",
	     "[--for COMMAND] [--config FILE | --no-config] [OPTIONS] [--json]",
	     "print the vendor settings in force (vendor.conf, flags, defaults) and where each came from",
	     CONFIG_SHOW_HELP("vendor", "vendor.conf"), cmd_config_show)
