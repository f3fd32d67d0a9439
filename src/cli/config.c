/* The config files of the daemons' command groups (config.h), read with
 * libinih. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/config.h"
#include "crypto/secret.h"

/* ---- reading ---------------------------------------------------------- */

/* libinih's fgets-style reader, counting lines so that every value knows its
 * line, and refusing a line longer than libinih's buffer (which would split
 * it into two lines). */
struct reader {
	FILE *f;
	int line;
	bool too_long;
	bool continued; /* the line read last begins with a space or tab */
};

static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	if (r->too_long || fgets(str, num, r->f) == NULL)
		return NULL;
	r->line++;
	size_t len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n') {
		int c = getc(r->f);
		if (c != EOF) {
			r->too_long = true;
			return NULL;
		}
	}
	r->continued = str[0] == ' ' || str[0] == '\t';
	return str;
}

struct read_ctx {
	struct obol_config *c;
	struct reader *r;
	obol_err e;
	int err_line;
	char *why;
	size_t cap;
};

static int fail_at(struct read_ctx *x, obol_err e, const char *what)
{
	if (x->e == OBOL_OK) {
		x->e = e;
		x->err_line = x->r->line;
		snprintf(x->why, x->cap, "%s:%d: %s", x->c->path, x->r->line, what);
	}
	return 0;
}

static int on_value(void *user, const char *section, const char *name, const char *value)
{
	struct read_ctx *x = user;
	struct obol_config *c = x->c;
	char what[256];
	if (x->e != OBOL_OK)
		return 0;
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].section, section) != 0 || strcmp(c->v[i].key, name) != 0)
			continue;
		if (x->r->continued)
			snprintf(what, sizeof what, "the value of '%.64s' goes on over a second line (line %d)", name,
				 c->v[i].line);
		else
			snprintf(what, sizeof what, "'%.64s' is set twice in %s%.64s%s (first at line %d)", name,
				 section[0] ? "[" : "", section[0] ? section : "the keys before any section",
				 section[0] ? "]" : "", c->v[i].line);
		return fail_at(x, OBOL_E_CONFIG_DUPLICATE_KEY, what);
	}
	struct obol_config_entry *v = realloc(c->v, (c->n + 1) * sizeof *v);
	if (v == NULL)
		return fail_at(x, OBOL_E_NO_MEMORY, "out of memory");
	c->v = v;
	struct obol_config_entry *en = &c->v[c->n];
	en->section = strdup(section);
	en->key = strdup(name);
	en->value = strdup(value);
	en->line = x->r->line;
	c->n++;
	if (en->section == NULL || en->key == NULL || en->value == NULL)
		return fail_at(x, OBOL_E_NO_MEMORY, "out of memory");
	return 1;
}

obol_err obol_config_read(const char *path, bool missing_ok, struct obol_config *out, char *why, size_t cap)
{
	struct reader r = { 0 };
	struct read_ctx x = { .c = out, .r = &r, .why = why, .cap = cap };
	obol_err e = OBOL_OK;
	memset(out, 0, sizeof *out);
	why[0] = '\0';
	if ((out->path = strdup(path)) == NULL)
		return OBOL_E_NO_MEMORY;
	if ((r.f = fopen(path, "r")) == NULL) {
		if (missing_ok && errno == ENOENT)
			return OBOL_OK;
		snprintf(why, cap, "%s: %s", path, strerror(errno));
		e = OBOL_E_CONFIG_UNREADABLE;
		goto out;
	}
	int rc = ini_parse_stream(read_line, &r, on_value, &x);
	if (ferror(r.f)) {
		snprintf(why, cap, "%s: read error", path);
		e = OBOL_E_CONFIG_UNREADABLE;
	} else if (r.too_long && (x.e == OBOL_OK || r.line < x.err_line)) {
		snprintf(why, cap, "%s:%d: line too long (at most 198 characters)", path, r.line);
		e = OBOL_E_CONFIG_SYNTAX;
	} else if (rc > 0 && (x.e == OBOL_OK || rc < x.err_line)) {
		snprintf(why, cap, "%s:%d: not 'key = value', '[section]', a comment or blank", path, rc);
		e = OBOL_E_CONFIG_SYNTAX;
	} else if (x.e != OBOL_OK) {
		e = x.e;
	} else if (rc < 0) {
		snprintf(why, cap, "%s: out of memory", path);
		e = OBOL_E_NO_MEMORY;
	}
	fclose(r.f);
out:
	if (e != OBOL_OK)
		obol_config_free(out);
	return e;
}

/* ---- checking --------------------------------------------------------- */

bool obol_config_bool(const char *value, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(value, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

static bool reserved(const char *key)
{
	return strcmp(key, OBOL_CONFIG_OPT_FILE) == 0 || strcmp(key, OBOL_CONFIG_OPT_NONE) == 0 ||
	       strcmp(key, "help") == 0;
}

static obol_err check_value(const struct obol_config *c, const struct obol_config_entry *en,
			    const struct obol_opt *o, char *why, size_t cap)
{
	bool b;
	if (o->takes_arg && en->value[0] == '\0') {
		snprintf(why, cap, "%s:%d: '%s' has no value (remove the line to leave it unset)", c->path, en->line,
			 en->key);
		return OBOL_E_CONFIG_BAD_VALUE;
	}
	if (!o->takes_arg && !obol_config_bool(en->value, &b)) {
		snprintf(why, cap, "%s:%d: '%s' is a flag: its value is yes or no", c->path, en->line, en->key);
		return OBOL_E_CONFIG_BAD_VALUE;
	}
	return OBOL_OK;
}

obol_err obol_config_check(const struct obol_config *c, const char *group, const struct obol_config_scope *scopes,
			   size_t n, char *why, size_t cap)
{
	obol_err e;
	for (size_t i = 0; i < c->n; i++) {
		const struct obol_config_entry *en = &c->v[i];
		bool section_known = en->section[0] == '\0', key_known = false;
		for (size_t s = 0; s < n; s++) {
			if (en->section[0] != '\0' && strcmp(scopes[s].section, en->section) != 0)
				continue;
			section_known = true;
			const struct obol_opt *o = obol_optspec_find(scopes[s].opts, en->key);
			if (o == NULL || reserved(en->key))
				continue;
			key_known = true;
			if ((e = check_value(c, en, o, why, cap)) != OBOL_OK)
				return e;
		}
		if (!section_known) {
			snprintf(why, cap, "%s:%d: unknown section [%.64s]: no command 'obol %s %.64s'", c->path,
				 en->line, en->section, group, en->section);
			return OBOL_E_CONFIG_UNKNOWN_SECTION;
		}
		if (!key_known) {
			if (en->section[0] != '\0')
				snprintf(why, cap, "%s:%d: unknown key '%.64s': 'obol %s %.64s' has no option --%.64s",
					 c->path, en->line, en->key, group, en->section, en->key);
			else
				snprintf(why, cap, "%s:%d: unknown key '%.64s': no 'obol %s' command has an option --%.64s",
					 c->path, en->line, en->key, group, en->key);
			return OBOL_E_CONFIG_UNKNOWN_KEY;
		}
	}
	return OBOL_OK;
}

const struct obol_config_entry *obol_config_lookup(const struct obol_config *c, const char *section,
						   const char *key)
{
	const struct obol_config_entry *top = NULL;
	for (size_t i = 0; c != NULL && i < c->n; i++) {
		if (strcmp(c->v[i].key, key) != 0)
			continue;
		if (strcmp(c->v[i].section, section) == 0)
			return &c->v[i];
		if (c->v[i].section[0] == '\0')
			top = &c->v[i];
	}
	return top;
}

static void free_wiped(char *s)
{
	if (s != NULL)
		obol_wipe(s, strlen(s));
	free(s);
}

void obol_config_free(struct obol_config *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].section);
		free(c->v[i].key);
		free_wiped(c->v[i].value); /* a value may hold a database password */
	}
	free(c->v);
	free(c->path);
	memset(c, 0, sizeof *c);
}

/* ---- the command line ------------------------------------------------- */

obol_err obol_config_args_scan(const struct obol_optspec *opts, int argc, char **argv, struct obol_config_args *out,
			       char *why, size_t cap)
{
	obol_err e = OBOL_OK;
	memset(out, 0, sizeof *out);
	out->argv = calloc((size_t)argc + 1, sizeof *out->argv);
	out->settings = calloc(opts->n + 1, sizeof *out->settings);
	if (out->argv == NULL || out->settings == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	for (size_t i = 0; i < opts->n; i++)
		if (!reserved(opts->v[i].name))
			out->settings[out->n++].opt = &opts->v[i];
	out->argv[out->argc++] = argv[0];
	bool rest = false;
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (rest || strncmp(w, "--", 2) != 0 || w[2] == '\0') {
			rest = rest || strcmp(w, "--") == 0;
			out->argv[out->argc++] = argv[i];
			continue;
		}
		size_t len = strcspn(w + 2, "=");
		const struct obol_opt *o = obol_optspec_match(opts, w + 2, len);
		if (o == NULL) { /* the command's own parsing names it */
			out->argv[out->argc++] = argv[i];
			continue;
		}
		const char *value = w[2 + len] == '=' ? w + 3 + len : NULL;
		int words = 1;
		if (o->takes_arg && value == NULL && i + 1 < argc) {
			value = argv[i + 1];
			words = 2;
		}
		if (strcmp(o->name, OBOL_CONFIG_OPT_FILE) == 0) {
			if (value == NULL) {
				snprintf(why, cap, "--config needs a FILE");
				e = OBOL_E_CONFIG_BAD_VALUE;
				goto out;
			}
			out->config_path = value;
		} else if (strcmp(o->name, OBOL_CONFIG_OPT_NONE) == 0) {
			if (value != NULL) {
				snprintf(why, cap, "--no-config takes no value");
				e = OBOL_E_CONFIG_BAD_VALUE;
				goto out;
			}
			out->no_config = true;
		} else {
			for (int k = 0; k < words; k++)
				out->argv[out->argc++] = argv[i + k];
			for (size_t s = 0; s < out->n; s++)
				if (out->settings[s].opt == o) {
					out->settings[s].source = OBOL_SETTING_FLAG;
					out->settings[s].value = o->takes_arg ? value : "yes";
				}
		}
		i += words - 1;
	}
	if (out->config_path != NULL && out->no_config) {
		snprintf(why, cap, "give --config FILE or --no-config, not both");
		e = OBOL_E_CONFIG_BAD_VALUE;
	}
out:
	if (e != OBOL_OK)
		obol_config_args_free(out);
	return e;
}

obol_err obol_config_args_apply(struct obol_config_args *a, const struct obol_config *c, const char *section)
{
	size_t extra = 0;
	for (size_t s = 0; s < a->n; s++) {
		struct obol_setting *st = &a->settings[s];
		const struct obol_config_entry *en = NULL;
		if (st->source == OBOL_SETTING_FLAG)
			continue;
		en = obol_config_lookup(c, section, st->opt->name);
		if (en == NULL) {
			st->source = st->opt->default_text != NULL ? OBOL_SETTING_DEFAULT : OBOL_SETTING_UNSET;
			st->value = st->opt->default_text;
			continue;
		}
		st->source = OBOL_SETTING_FILE;
		st->value = en->value;
		st->line = en->line;
		bool on = true;
		if (!st->opt->takes_arg && (!obol_config_bool(en->value, &on) || !on))
			continue; /* a flag set to no: nothing to put in */
		extra++;
	}
	if (extra == 0)
		return OBOL_OK;
	char **argv = calloc((size_t)a->argc + extra + 1, sizeof *argv);
	a->owned = calloc(extra, sizeof *a->owned);
	if (argv == NULL || a->owned == NULL) {
		free(argv);
		return OBOL_E_NO_MEMORY;
	}
	int n = 0;
	argv[n++] = a->argv[0];
	for (size_t s = 0; s < a->n; s++) {
		const struct obol_setting *st = &a->settings[s];
		bool on = true;
		if (st->source != OBOL_SETTING_FILE ||
		    (!st->opt->takes_arg && (!obol_config_bool(st->value, &on) || !on)))
			continue;
		size_t len = strlen(st->opt->name) + strlen(st->value) + 4;
		char *w = malloc(len);
		if (w == NULL) {
			free(argv);
			return OBOL_E_NO_MEMORY;
		}
		if (st->opt->takes_arg)
			snprintf(w, len, "--%s=%s", st->opt->name, st->value);
		else
			snprintf(w, len, "--%s", st->opt->name);
		a->owned[a->nowned++] = w;
		argv[n++] = w;
	}
	for (int i = 1; i < a->argc; i++)
		argv[n++] = a->argv[i];
	free(a->argv);
	a->argv = argv;
	a->argc = n;
	return OBOL_OK;
}

void obol_config_args_free(struct obol_config_args *a)
{
	for (size_t i = 0; i < a->nowned; i++)
		free_wiped(a->owned[i]);
	free(a->owned);
	free(a->argv);
	free(a->settings);
	memset(a, 0, sizeof *a);
}
