/* obol man: the manual pages, written from the command table itself.
 *
 * One page per command (obol-issuer-serve.1 from "issuer serve"), obol.1
 * listing them, and obol.conf.5 listing the keys of each config file. Each
 * page is the command's own --help (usage, summary, options, the schemes'
 * options, the config file's) turned into roff, so the pages cannot drift
 * from the help; `make man` and `make install` run it. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/config.h"
#include "cli/optspec.h"
#include "core/version.h"

/* Writes text escaped for roff: backslashes and dashes. */
static void roff_text(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i] != '\0'; i++) {
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-')
			fputs("\\-", f);
		else
			fputc(s[i], f);
	}
}

/* A line of running text: a leading '.' or '\'' would be a request. */
static void roff_line(FILE *f, const char *s, size_t n)
{
	if (n > 0 && (s[0] == '.' || s[0] == '\''))
		fputs("\\&", f);
	roff_text(f, s, n);
	fputc('\n', f);
}

static void page_name(const char *path, char *out, size_t cap)
{
	snprintf(out, cap, "obol-%s", path);
	for (char *p = out; *p != '\0'; p++)
		if (*p == ' ')
			*p = '-';
}

static void th(FILE *f, const char *name, int section)
{
	fputs(".TH \"", f);
	for (const char *p = name; *p != '\0'; p++)
		fputc(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, f);
	fprintf(f, "\" \"%d\" \"\" \"obol %s\" \"obol manual\"\n", section, OBOL_VERSION);
}

/* DIR/FILE opened for writing, with its .TH line. */
static FILE *open_page(const char *dir, const char *name, int section)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s.%d", dir, name, section);
	FILE *f = fopen(path, "w");
	if (f != NULL)
		th(f, name, section);
	return f;
}

static size_t indent_of(const char *line)
{
	size_t n = 0;
	while (line[n] == ' ')
		n++;
	return n;
}

/* The help after its usage and summary lines, as roff: option lines ("  --x
 * ARG  what", going on in deeper lines) as tagged paragraphs, "NAME options:"
 * as subsections, the rest as text; a blank line starts a paragraph. */
static void help_to_roff(FILE *f, const char *text)
{
	const char *p = text;
	bool tagged = false; /* inside a tagged paragraph: plain text needs a new one */
	for (int skip = 0; skip < 3 && *p != '\0'; skip++) /* usage, blank, summary */
		p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n');
	while (*p != '\0') {
		size_t len = strcspn(p, "\n"), ind = indent_of(p);
		const char *next = p + len + (p[len] == '\n');
		if (len == 0) {
			fputs(".PP\n", f);
			tagged = false;
		} else if (ind >= 1 && ind <= 8 && p[ind] == '-' && p[ind + 1] == '-') {
			const char *term = p + ind, *gap = strstr(term, "  ");
			size_t tlen = gap != NULL && gap < p + len ? (size_t)(gap - term) : len - ind;
			fputs(".TP\n.B ", f);
			tagged = true;
			roff_text(f, term, tlen);
			fputc('\n', f);
			const char *d = term + tlen;
			while (*d == ' ')
				d++;
			if (d < p + len)
				roff_line(f, d, (size_t)(p + len - d));
			while (*next != '\0') { /* the description goes on in deeper lines */
				size_t nind = indent_of(next), nlen = strcspn(next, "\n");
				if (nind <= ind || nind == nlen || next[nind] == '-')
					break;
				roff_line(f, next + nind, nlen - nind);
				next += nlen + (next[nlen] == '\n');
			}
		} else if (ind == 0 && p[len - 1] == ':' && len < 40) {
			fputs(".SS ", f);
			roff_line(f, p, len - 1);
			tagged = false;
		} else {
			if (tagged)
				fputs(".PP\n", f);
			tagged = false;
			roff_line(f, p + ind, len - ind);
		}
		p = next;
	}
}

static int write_command_page(const struct obol_cmd *cmd, const char *dir)
{
	char name[256], *help = NULL;
	size_t hlen = 0;
	const char *section;
	page_name(cmd->path, name, sizeof name);
	FILE *mem = open_memstream(&help, &hlen);
	if (mem == NULL)
		return -1;
	obol_cli_print_usage(cmd, mem);
	if (fclose(mem) != 0)
		return -1;
	FILE *f = open_page(dir, name, 1);
	if (f == NULL) {
		free(help);
		return -1;
	}
	fputs(".SH NAME\n", f);
	roff_text(f, name, strlen(name));
	fputs(" \\- ", f);
	roff_line(f, cmd->summary, strlen(cmd->summary));
	fputs(".SH SYNOPSIS\n.B obol ", f);
	roff_line(f, cmd->path, strlen(cmd->path));
	if (cmd->usage[0] != '\0')
		roff_line(f, cmd->usage, strlen(cmd->usage));
	fputs(".SH DESCRIPTION\n", f);
	roff_line(f, cmd->summary, strlen(cmd->summary));
	fputs(".PP\n", f);
	help_to_roff(f, help);
	fputs(".SH EXIT STATUS\n0 on success, 1 when the operation fails (the error's name and a hint on\n"
	      "standard error), 2 on a usage error.\n",
	      f);
	const char *file = obol_cli_config_file(cmd, &section);
	if (file != NULL)
		fprintf(f, ".SH FILES\n.TP\n.I /etc/obol/%s\nthe config file, section\n.B [%s]\n"
			   "and the keys before any section (see\n.BR obol.conf (5)).\n",
			file, section);
	fputs(".SH SEE ALSO\n.BR obol (1)", f);
	if (file != NULL)
		fputs(",\n.BR obol.conf (5)", f);
	fputs("\n", f);
	free(help);
	return fclose(f) == 0 ? 0 : -1;
}

static int write_obol_page(const char *dir)
{
	char name[256];
	FILE *f = open_page(dir, "obol", 1);
	if (f == NULL)
		return -1;
	fputs(".SH NAME\nobol \\- anonymous and offline micropayments (schemes: coupon, ecash, payword, codex)\n"
	      ".SH SYNOPSIS\n.B obol\n.I command\n[\\fIoptions\\fR]\n.br\n.B obol\n.I command\n.B \\-\\-help\n"
	      ".SH DESCRIPTION\nobol is a micropayment system: one issuer daemon, one vendor daemon, one wallet.\n"
	      "Each command has its own page, named after its words.\n"
	      ".SH COMMANDS\n",
	      f);
	for (const struct obol_cmd *c = obol_cli_commands(); c != NULL; c = c->next) {
		page_name(c->path, name, sizeof name);
		fputs(".TP\n.BR ", f);
		roff_text(f, name, strlen(name));
		fputs(" (1)\n", f);
		roff_line(f, c->summary, strlen(c->summary));
	}
	fputs(".SH ENVIRONMENT\n"
	      ".TP\n.B OBOL_CONFIG_DIR\nthe directory of issuer.conf and vendor.conf instead of /etc/obol\n"
	      ".TP\n.B OBOL_LOG\nthe daemons' log level: error, warn (the default), info or debug\n"
	      ".TP\n.B OBOL_PASSPHRASE\na wallet's passphrase (otherwise asked on the terminal)\n"
	      ".SH FILES\n.TP\n.I /etc/obol/issuer.conf\n.TQ\n.I /etc/obol/vendor.conf\n"
	      "the config files of the issuer's and the vendor's commands (see\n.BR obol.conf (5))\n"
	      ".SH SEE ALSO\n.BR obol.conf (5)\n",
	      f);
	return fclose(f) == 0 ? 0 : -1;
}

/* obol.conf(5): the format, then each file's sections and keys. */
static int write_conf_page(const char *dir)
{
	static const char *const files[] = { "issuer.conf", "vendor.conf" };
	char name[256];
	FILE *f = open_page(dir, "obol.conf", 5);
	if (f == NULL)
		return -1;
	fputs(".SH NAME\nobol.conf \\- the config files of obol's issuer and vendor commands\n"
	      ".SH SYNOPSIS\n/etc/obol/issuer.conf\n.br\n/etc/obol/vendor.conf\n"
	      ".SH DESCRIPTION\n"
	      "Every command whose first word is\n.B issuer\n(and\n.BR \"obol audit\" )\n"
	      "reads issuer.conf; every command whose first word is\n.B vendor\nreads vendor.conf.\n"
	      "The keys are the command's long options without their dashes, as its\n.B \\-\\-help\n"
	      "lists them; a flag that takes no argument is set with yes or no.\n"
	      "A key before any section is for every command of the file that takes that option;\n"
	      "a key in a section (the command's words after the first:\n.BR [serve] ,\n.BR \"[account list]\" )\n"
	      "is for that command only and wins over the first.\n"
	      "An option given on the command line wins over both.\n"
	      ".PP\nThe file is INI, read with libinih: \\fIkey\\fR = \\fIvalue\\fR lines, [\\fIsection\\fR] lines,\n"
	      "comments from ';' or '#' at the start of a line (or ' ;' after a value), blank lines.\n"
	      "Values are taken as written, without quotes. A key set twice in one section, a value\n"
	      "that goes on over a second line, a line of more than 198 characters, an unknown\n"
	      "section or key, an empty value or a flag that is not yes or no is an error naming\n"
	      "the file and the line, and the command does nothing.\n"
	      ".PP\n.B \\-\\-config\n\\fIFILE\\fR reads another file instead;\n.B \\-\\-no\\-config\n"
	      "reads none. A missing /etc/obol file is no error.\n"
	      ".BR \"obol issuer config show\" ,\n.B \"obol vendor config show\"\n"
	      "print each setting in force and where it came from (flag, file and line, default);\n"
	      "they never print a password.\n"
	      ".PP\nKeep passwords out of the file where you can (a PostgreSQL password in\n"
	      ".I ~/.pgpass\nor a passfile= parameter); a file that holds one must be readable by the\n"
	      "service's user only.\n",
	      f);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		fprintf(f, ".SH %s\n", files[i]);
		for (const struct obol_cmd *c = obol_cli_commands(); c != NULL; c = c->next) {
			const char *section, *file = obol_cli_config_file(c, &section);
			struct obol_optspec opts;
			if (file == NULL || strcmp(file, files[i]) != 0 || obol_cli_optspec(c, &opts) != OBOL_OK)
				continue;
			page_name(c->path, name, sizeof name);
			fputs(".SS [", f);
			roff_text(f, section, strlen(section));
			fputs("]\n.BR ", f);
			roff_text(f, name, strlen(name));
			fputs(" (1)\n.RS\n.nf\n", f);
			for (size_t k = 0; k < opts.n; k++) {
				const struct obol_opt *o = &opts.v[k];
				if (strcmp(o->name, OBOL_CONFIG_OPT_FILE) == 0 || strcmp(o->name, OBOL_CONFIG_OPT_NONE) == 0)
					continue;
				roff_text(f, o->name, strlen(o->name));
				fputs(" = ", f);
				if (o->takes_arg)
					roff_text(f, o->arg, strlen(o->arg));
				else
					fputs("yes|no", f);
				if (o->default_text != NULL) {
					fputs("   (default ", f);
					roff_text(f, o->default_text, strlen(o->default_text));
					fputc(')', f);
				}
				fputc('\n', f);
			}
			fputs(".fi\n.RE\n", f);
			obol_optspec_free(&opts);
		}
	}
	fputs(".SH EXAMPLE\n.nf\n"
	      "; /etc/obol/issuer.conf\n"
	      "db = sqlite:/var/lib/obol/issuer/issuer.db\n\n"
	      "[serve]\nlisten = 127.0.0.1:8080\nthreads = 8\n"
	      ".fi\n.SH SEE ALSO\n.BR obol (1),\n.BR obol\\-issuer\\-serve (1),\n.BR obol\\-vendor\\-serve (1)\n",
	      f);
	return fclose(f) == 0 ? 0 : -1;
}

static int cmd_man(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "dir", required_argument, NULL, 'd' }, { 0, 0, 0, 0 } };
	const char *dir = NULL;
	int c, pages = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd')
			return obol_cli_usage_error(cmd, "unknown option");
		dir = optarg;
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (dir == NULL)
		return obol_cli_usage_error(cmd, "--dir DIR is required");
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return obol_cli_fail(cmd, OBOL_E_IO, "cannot create the directory");
	if (write_obol_page(dir) != 0 || write_conf_page(dir) != 0)
		return obol_cli_fail(cmd, OBOL_E_IO, "cannot write obol.1 or obol.conf.5");
	for (const struct obol_cmd *k = obol_cli_commands(); k != NULL; k = k->next, pages++)
		if (write_command_page(k, dir) != 0)
			return obol_cli_fail(cmd, OBOL_E_IO, "cannot write a command's page");
	printf("%d pages in %s\n", pages, dir);
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(man_cmd, "man", "--dir DIR",
	     "write the manual pages, made from the commands' own help, into DIR",
	     "  --dir DIR  where to write obol.1, obol-COMMAND.1 for each command and obol.conf.5\n"
	     "             (created if missing; 'make man' writes build/man)",
	     cmd_man)
