/* The long options of a command, read from its usage and help (optspec.h). */
#include <stdlib.h>
#include <string.h>

#include "cli/optspec.h"

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static struct obol_opt *find_mut(struct obol_optspec *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i].name) == len && strncmp(s->v[i].name, name, len) == 0)
			return &s->v[i];
	return NULL;
}

/* Records one mention of --name[ ARG]: a new option, or an argument for one
 * met before as a flag. */
static obol_err mention(struct obol_optspec *s, const char *name, size_t len, const char *arg, size_t arglen)
{
	struct obol_opt *o = find_mut(s, name, len);
	if (o == NULL) {
		struct obol_opt *v = realloc(s->v, (s->n + 1) * sizeof *v);
		if (v == NULL)
			return OBOL_E_NO_MEMORY;
		s->v = v;
		o = &s->v[s->n];
		memset(o, 0, sizeof *o);
		if ((o->name = dup_n(name, len)) == NULL)
			return OBOL_E_NO_MEMORY;
		s->n++;
	}
	if (arglen > 0 && o->arg == NULL) {
		if ((o->arg = dup_n(arg, arglen)) == NULL)
			return OBOL_E_NO_MEMORY;
		o->takes_arg = true;
	}
	return OBOL_OK;
}

/* Every "--NAME [ARG]" of the usage line [p, end). */
static obol_err scan_usage(struct obol_optspec *s, const char *p, const char *end)
{
	for (const char *q = p; q + 2 < end; q++) {
		if (q[0] != '-' || q[1] != '-' || !name_char(q[2]) || q[2] == '-')
			continue;
		if (q > p && strchr(" [(|", q[-1]) == NULL)
			continue;
		const char *name = q + 2, *n = name;
		while (n < end && name_char(*n))
			n++;
		const char *arg = n, *a = n;
		if (n + 1 < end && (*n == ' ' || *n == '=') && strchr("-[(|] ", n[1]) == NULL) {
			arg = a = n + 1;
			while (a < end && strchr(" ])", *a) == NULL)
				a++;
		}
		obol_err e = mention(s, name, (size_t)(n - name), arg, (size_t)(a - arg));
		if (e != OBOL_OK)
			return e;
		q = a - 1;
	}
	return OBOL_OK;
}

static bool placeholder_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

/* The default a description states for its option: "X (default)", "(default
 * X)" or "; default X", X ending at ';' or ')'. A default stated after another
 * option's name ("every --interval seconds (default 5)") or right after a
 * placeholder ("WITHDRAW_DAYS (default 365)") is that one's, not the option's. */
static char *find_default(const char *desc)
{
	for (const char *d = strstr(desc, "default"); d != NULL; d = strstr(d + 1, "default")) {
		bool paren = d > desc && d[-1] == '(';
		bool clause = d - desc >= 2 && d[-1] == ' ' && d[-2] == ';';
		if (!paren && !clause)
			continue;
		const char *open = paren ? d - 1 : d - 2; /* the '(' or ';' */
		if (memmem(desc, (size_t)(open - desc), "--", 2) != NULL)
			return NULL;
		if (paren && d[7] == ')') { /* "WORD (default)" */
			const char *end = open;
			while (end > desc && end[-1] == ' ')
				end--;
			const char *w = end;
			while (w > desc && w[-1] != ' ')
				w--;
			return end > w ? dup_n(w, (size_t)(end - w)) : NULL;
		}
		if (d[7] != ' ')
			continue;
		const char *before = open;
		while (before > desc && before[-1] == ' ')
			before--;
		if (before > desc + 1 && placeholder_char(before[-1]) && placeholder_char(before[-2]))
			continue;
		const char *v = d + 8;
		size_t n = strcspn(v, ";)");
		while (n > 0 && v[n - 1] == ' ')
			n--;
		if (n > 0)
			return dup_n(v, n);
	}
	return NULL;
}

static size_t indent_of(const char *line)
{
	size_t n = 0;
	while (line[n] == ' ')
		n++;
	return n;
}

/* One help line "  --NAME[ ARG]  description" and the more deeply indented
 * lines that go on with its description. Returns where the next line begins. */
static const char *scan_help_option(struct obol_optspec *s, const char *line, obol_err *e)
{
	size_t ind = indent_of(line);
	const char *name = line + ind + 2, *n = name;
	while (name_char(*n))
		n++;
	const char *arg = n, *a = n;
	if (n[0] == ' ' && n[1] != ' ' && n[1] != '\n' && n[1] != '\0' && n[1] != '-') {
		arg = a = n + 1;
		while (*a != ' ' && *a != '\n' && *a != '\0')
			a++;
	}
	*e = mention(s, name, (size_t)(n - name), arg, (size_t)(a - arg));
	/* The description, its continuation lines joined by one space. */
	char desc[2048];
	size_t len = 0;
	const char *p = a;
	for (;;) {
		while (*p == ' ')
			p++;
		size_t l = strcspn(p, "\n");
		if (len > 0 && len + 1 < sizeof desc)
			desc[len++] = ' ';
		if (l > sizeof desc - 1 - len)
			l = sizeof desc - 1 - len;
		memcpy(desc + len, p, l);
		len += l;
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
		size_t next = indent_of(p);
		if (next <= ind || p[next] == '\0' || p[next] == '\n' || p[next] == '-')
			break;
	}
	desc[len] = '\0';
	if (*e == OBOL_OK) {
		struct obol_opt *o = find_mut(s, name, (size_t)(n - name));
		if (o != NULL && o->default_text == NULL)
			o->default_text = find_default(desc);
	}
	return p;
}

obol_err obol_optspec_parse(const char *text, struct obol_optspec *out)
{
	obol_err e = OBOL_OK;
	memset(out, 0, sizeof *out);
	const char *eol = text + strcspn(text, "\n");
	if ((e = scan_usage(out, text, eol)) != OBOL_OK)
		goto out;
	for (const char *p = *eol == '\n' ? eol + 1 : eol; *p != '\0';) {
		size_t ind = indent_of(p);
		if (ind >= 1 && ind <= 8 && p[ind] == '-' && p[ind + 1] == '-' && name_char(p[ind + 2])) {
			p = scan_help_option(out, p, &e);
			if (e != OBOL_OK)
				goto out;
			continue;
		}
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
	}
out:
	if (e != OBOL_OK)
		obol_optspec_free(out);
	return e;
}

obol_err obol_optspec_add(struct obol_optspec *s, const char *name, const char *arg)
{
	return mention(s, name, strlen(name), arg != NULL ? arg : "", arg != NULL ? strlen(arg) : 0);
}

static void opt_free(struct obol_opt *o)
{
	free(o->name);
	free(o->arg);
	free(o->default_text);
}

void obol_optspec_remove(struct obol_optspec *s, const char *name)
{
	struct obol_opt *o = find_mut(s, name, strlen(name));
	if (o == NULL)
		return;
	opt_free(o);
	size_t i = (size_t)(o - s->v);
	memmove(o, o + 1, (s->n - i - 1) * sizeof *o);
	s->n--;
}

const struct obol_opt *obol_optspec_find(const struct obol_optspec *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

const struct obol_opt *obol_optspec_match(const struct obol_optspec *s, const char *name, size_t len)
{
	const struct obol_opt *hit = NULL;
	int hits = 0;
	if (len == 0)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (strncmp(s->v[i].name, name, len) != 0)
			continue;
		if (strlen(s->v[i].name) == len)
			return &s->v[i];
		hit = &s->v[i];
		hits++;
	}
	return hits == 1 ? hit : NULL;
}

bool obol_opt_is_secret(const struct obol_opt *o)
{
	static const char *const words[] = { "password", "passphrase", "secret", "token" };
	const char *last = strrchr(o->name, '-');
	last = last != NULL ? last + 1 : o->name;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(last, words[i]) == 0)
			return true;
	return false;
}

/* Replaces out[from, to) by "***" in place (out holds cap bytes). */
static bool mask(char *out, size_t cap, size_t from, size_t to)
{
	size_t len = strlen(out);
	if (len - (to - from) + 3 + 1 > cap)
		return false;
	memmove(out + from + 3, out + to, len - to + 1);
	memcpy(out + from, "***", 3);
	return true;
}

void obol_opt_redact(const struct obol_opt *o, const char *value, char *out, size_t cap)
{
	if (cap < 4)
		return;
	if (obol_opt_is_secret(o) || strlen(value) >= cap)
		goto all;
	strcpy(out, value);
	/* scheme://user:PASSWORD@host */
	for (char *p = strstr(out, "://"); p != NULL; p = strstr(p, "://")) {
		p += 3;
		size_t auth = strcspn(p, "/?#@");
		if (p[auth] != '@')
			continue;
		char *colon = memchr(p, ':', auth);
		if (colon != NULL && !mask(out, cap, (size_t)(colon + 1 - out), (size_t)(p + auth - out)))
			goto all;
	}
	/* password=VALUE (libpq URI parameters and connection strings) */
	for (char *p = strstr(out, "password="); p != NULL; p = strstr(p, "password=")) {
		p += strlen("password=");
		size_t n = strcspn(p, "& ");
		if (strncmp(p, "***", n) == 0 && n == 3)
			continue;
		if (!mask(out, cap, (size_t)(p - out), (size_t)(p + n - out)))
			goto all;
	}
	return;
all:
	strcpy(out, "***");
}

void obol_optspec_free(struct obol_optspec *s)
{
	for (size_t i = 0; i < s->n; i++)
		opt_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}
