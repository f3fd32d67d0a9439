/* The demo harness: processes, command runs, output parsing (contract in demo.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/demo.h"
#include "cli/demo_int.h"
#include "core/clock.h"
#include "core/parse.h"
#include "net/http_client.h"
#include "net/tls_cert.h"

#define MAX_ARGS 64
#define START_TIMEOUT_MS 20000
#define STOP_TIMEOUT_MS 5000

struct obol_demo_proc {
	char name[64];
	char *argv[MAX_ARGS + 2];
	pid_t pid;
	char addr[80], url[96], addr2[80];
	uint16_t port;
	struct obol_demo_proc *next;
};

static struct obol_demo_entry *entries;

void obol_demo_register(struct obol_demo_entry *e)
{
	struct obol_demo_entry **p = &entries;
	while (*p != NULL && (*p)->order <= e->order)
		p = &(*p)->next;
	e->next = *p;
	*p = e;
}

struct obol_demo_entry *obol_demo_entries(void)
{
	return entries;
}

const char *obol_demo_dir(const struct obol_demo *d)
{
	return d->dir;
}

/* Results of obol_demo_path/db_url, used in turn. */
static char path_bufs[OBOL_DEMO_BUFS][PATH_MAX];
static unsigned next_buf;

const char *obol_demo_path(struct obol_demo *d, const char *name)
{
	char *buf = path_bufs[next_buf++ % OBOL_DEMO_BUFS];
	snprintf(buf, PATH_MAX, "%s/%s", d->dir, name);
	return buf;
}

const char *obol_demo_db_url(struct obol_demo *d, const char *name)
{
	char *buf = path_bufs[next_buf++ % OBOL_DEMO_BUFS];
	snprintf(buf, PATH_MAX, "sqlite:%s/%s.db", d->dir, name);
	return buf;
}

void obol_demo_step(struct obol_demo *d, const char *fmt, ...)
{
	va_list ap;
	(void)d;
	printf("\n-- ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Collects a NULL-terminated argument list after arg0. */
static int collect_args(char **argv, const char *arg0, va_list ap)
{
	int n = 0;
	for (const char *a = arg0; a != NULL; a = va_arg(ap, const char *)) {
		if (n == MAX_ARGS)
			return -1;
		argv[n++] = (char *)a;
	}
	argv[n] = NULL;
	return n;
}

/* ---- HTTPS to every issuer -------------------------------------------------------
 *
 * Every scenario's issuer speaks HTTPS with a throwaway certificate made in
 * its directory (DIR/issuer-tls.crt, .key; src/net/tls_cert.h), and every
 * wallet and vendor verifies it: the commands a scenario runs get the
 * options for it here, in view. */

/* DIR/issuer-tls.EXT into out (not obol_demo_path's buffers: the caller's
 * arguments may live there). */
static void tls_file(const struct obol_demo *d, const char *ext, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/issuer-tls.%s", d->dir, ext);
}

static bool is_cmd(char *const *args, const char *a, const char *b)
{
	return args[0] != NULL && strcmp(args[0], a) == 0 && args[1] != NULL && strcmp(args[1], b) == 0;
}

static bool has_arg(char *const *args, const char *opt)
{
	for (int i = 0; args[i] != NULL; i++)
		if (strcmp(args[i], opt) == 0)
			return true;
	return false;
}

/* Appends to args (n of them, room for MAX_ARGS) what its command needs for
 * HTTPS: --tls-cert/--tls-key to `issuer serve` (making the certificate
 * first), --issuer-ca to `wallet init`, `vendor init --issuer` and `vendor
 * serve`. The paths are copied into paths (4 buffers of PATH_MAX). */
static obol_err add_tls_args(const struct obol_demo *d, char **args, int *n, char paths[][PATH_MAX])
{
	static char opt_cert[] = "--tls-cert", opt_key[] = "--tls-key", opt_ca[] = "--issuer-ca";
	bool serve = is_cmd(args, "issuer", "serve");
	bool client = is_cmd(args, "wallet", "init") || is_cmd(args, "vendor", "serve") ||
		      (is_cmd(args, "vendor", "init") && has_arg(args, "--issuer"));
	if ((!serve && !client) || has_arg(args, "--tls-cert") || has_arg(args, "--issuer-ca"))
		return OBOL_OK;
	if (*n + 4 > MAX_ARGS)
		return OBOL_E_INVALID_ARGUMENT;
	tls_file(d, "crt", paths[0]);
	tls_file(d, "key", paths[1]);
	if (serve && access(paths[0], F_OK) != 0) {
		obol_err e = obol_tls_cert_throwaway(paths[0], paths[1], 2);
		if (e != OBOL_OK)
			return e;
	}
	if (serve) {
		args[(*n)++] = opt_cert;
		args[(*n)++] = paths[0];
		args[(*n)++] = opt_key;
		args[(*n)++] = paths[1];
	} else {
		args[(*n)++] = opt_ca;
		args[(*n)++] = paths[0];
	}
	args[*n] = NULL;
	return OBOL_OK;
}

/* A new issuer's https:// URL is trusted by the demo process itself too
 * (scenarios that call the issuer directly). */
static obol_err trust_issuer(const struct obol_demo *d, const struct obol_demo_proc *p)
{
	char *ca = NULL, path[PATH_MAX];
	if (!has_arg(p->argv, "--tls-cert"))
		return OBOL_OK;
	tls_file(d, "crt", path);
	obol_err e = obol_tls_ca_load(path, &ca);
	if (e == OBOL_OK) {
		struct obol_http_trust t = { .ca_pem = ca, .ca_len = strlen(ca) };
		e = obol_http_trust_set(p->url, &t);
	}
	free(ca);
	return e;
}

static void print_cmd(char *const *argv)
{
	printf("$ obol");
	for (int i = 0; argv[i] != NULL; i++)
		printf(" %s", argv[i]);
	printf("\n");
	fflush(stdout);
}

/* ---- daemons ------------------------------------------------------------------ */

static pid_t spawn(struct obol_demo *d, char *const *args, const char *log)
{
	char *argv[MAX_ARGS + 2];
	int n = 0;
	argv[n++] = d->obol;
	for (int i = 0; args[i] != NULL; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(stdout);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	execv(d->obol, argv);
	_exit(127);
}

/* Reads the log from offset and looks for its listening lines. */
static int scan_listening(const char *log, long offset, struct obol_demo_proc *p)
{
	FILE *f = fopen(log, "r");
	char line[512];
	int found = 0;
	if (f == NULL)
		return 0;
	fseek(f, offset, SEEK_SET);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "listening on ", 13) != 0)
			continue;
		char *a = line + 13;
		a[strcspn(a, "\r\n")] = '\0';
		if (found == 0) {
			snprintf(p->addr, sizeof p->addr, "%s", a);
			snprintf(p->url, sizeof p->url, "%s://%s", has_arg(p->argv, "--tls-cert") ? "https" : "http", a);
			const char *colon = strrchr(a, ':');
			uint64_t port = 0;
			if (colon == NULL || obol_parse_u64(colon + 1, 1, 65535, &port) != OBOL_OK)
				port = 0;
			p->port = (uint16_t)port;
		} else if (found == 1) {
			snprintf(p->addr2, sizeof p->addr2, "%s", a);
		}
		found++;
	}
	fclose(f);
	return found;
}

static long file_size(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fclose(f);
	return n;
}

static void print_tail(const char *log)
{
	FILE *f = fopen(log, "r");
	char line[512];
	if (f == NULL)
		return;
	long n = file_size(log);
	fseek(f, n > 2000 ? n - 2000 : 0, SEEK_SET);
	printf("   --- tail of %s:\n", log);
	while (fgets(line, sizeof line, f) != NULL)
		printf("   | %s", line);
	fclose(f);
}

/* Starts p's command and waits for as many listening lines as it has
 * --listen/--http options. */
static obol_err launch(struct obol_demo *d, struct obol_demo_proc *p)
{
	char log[PATH_MAX];
	int want = 0;
	for (int i = 0; p->argv[i] != NULL; i++)
		if (strcmp(p->argv[i], "--listen") == 0 || strcmp(p->argv[i], "--http") == 0)
			want++;
	if (want == 0)
		want = 1;
	snprintf(log, sizeof log, "%s/%s.log", d->dir, p->name);
	long offset = file_size(log);
	p->pid = spawn(d, p->argv, log);
	if (p->pid < 0)
		return OBOL_E_IO;
	uint64_t deadline = obol_mono_ns() + (uint64_t)START_TIMEOUT_MS * 1000000u;
	while (obol_mono_ns() < deadline) {
		int status;
		if (scan_listening(log, offset, p) >= want)
			return OBOL_OK;
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			p->pid = -1;
			printf("   %s exited before it listened\n", p->name);
			print_tail(log);
			return OBOL_E_NETWORK;
		}
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	printf("   %s did not listen within %d s\n", p->name, START_TIMEOUT_MS / 1000);
	print_tail(log);
	return OBOL_E_NETWORK;
}

obol_err obol_demo_start(struct obol_demo *d, const char *name, struct obol_demo_proc **out, const char *arg0, ...)
{
	struct obol_demo_proc *p = calloc(1, sizeof *p);
	char *args[MAX_ARGS + 1];
	va_list ap;
	if (p == NULL)
		return OBOL_E_NO_MEMORY;
	char tls[4][PATH_MAX];
	snprintf(p->name, sizeof p->name, "%s", name);
	va_start(ap, arg0);
	int n = collect_args(args, arg0, ap);
	va_end(ap);
	obol_err e = n < 0 ? OBOL_E_INVALID_ARGUMENT : add_tls_args(d, args, &n, tls);
	if (e != OBOL_OK) {
		free(p);
		return e;
	}
	for (int i = 0; i < n; i++) {
		p->argv[i] = strdup(args[i]);
		if (p->argv[i] == NULL) {
			obol_demo_proc_free(p);
			return OBOL_E_NO_MEMORY;
		}
	}
	p->pid = -1;
	p->next = d->procs;
	d->procs = p;
	print_cmd(p->argv);
	if ((e = launch(d, p)) != OBOL_OK || (e = trust_issuer(d, p)) != OBOL_OK)
		return e;
	printf("   %s listening on %s%s%s (pid %d)\n", name, p->addr, p->addr2[0] ? " and " : "", p->addr2, (int)p->pid);
	*out = p;
	return OBOL_OK;
}

const char *obol_demo_proc_addr(const struct obol_demo_proc *p)
{
	return p->addr;
}
const char *obol_demo_proc_url(const struct obol_demo_proc *p)
{
	return p->url;
}
const char *obol_demo_proc_addr2(const struct obol_demo_proc *p)
{
	return p->addr2;
}
uint16_t obol_demo_proc_port(const struct obol_demo_proc *p)
{
	return p->port;
}
pid_t obol_demo_proc_pid(const struct obol_demo_proc *p)
{
	return p->pid;
}

void obol_demo_kill(struct obol_demo_proc *p, int sig)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, sig);
	uint64_t deadline = obol_mono_ns() + (uint64_t)STOP_TIMEOUT_MS * 1000000u;
	for (;;) {
		int status;
		pid_t r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid || (r < 0 && errno == ECHILD))
			break;
		if (obol_mono_ns() > deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			break;
		}
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
	p->pid = -1;
}

obol_err obol_demo_restart(struct obol_demo *d, struct obol_demo_proc *p)
{
	/* Same addresses as before, so clients keep working. */
	for (int i = 0; p->argv[i] != NULL && p->argv[i + 1] != NULL; i++) {
		const char *now = strcmp(p->argv[i], "--listen") == 0 ? p->addr
				  : strcmp(p->argv[i], "--http") == 0 ? p->addr2 : NULL;
		if (now != NULL && now[0] != '\0') {
			char *c = strdup(now);
			if (c == NULL)
				return OBOL_E_NO_MEMORY;
			free(p->argv[i + 1]);
			p->argv[i + 1] = c;
		}
	}
	if (p->pid > 0)
		obol_demo_kill(p, SIGTERM);
	print_cmd(p->argv);
	obol_err e = launch(d, p);
	if (e == OBOL_OK)
		printf("   %s listening again on %s (pid %d)\n", p->name, p->addr, (int)p->pid);
	return e;
}

void obol_demo_proc_free(struct obol_demo_proc *p)
{
	for (int i = 0; p->argv[i] != NULL; i++)
		free(p->argv[i]);
	free(p);
}

void obol_demo_stop_all(struct obol_demo *d)
{
	while (d->procs != NULL) {
		struct obol_demo_proc *p = d->procs;
		d->procs = p->next;
		obol_demo_kill(p, SIGTERM);
		obol_demo_proc_free(p);
	}
}

/* ---- commands ---------------------------------------------------------------- */

struct capture {
	char *buf;
	size_t len, cap;
};

static void cap_add(struct capture *c, const char *p, size_t n)
{
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4096;
		while (cap < c->len + n + 1)
			cap *= 2;
		char *nb = realloc(c->buf, cap);
		if (nb == NULL)
			return;
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

static void print_indented(const char *text)
{
	const char *p = text;
	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		int n = nl != NULL ? (int)(nl - p) : (int)strlen(p);
		printf("   %.*s\n", n, p);
		p = nl != NULL ? nl + 1 : NULL;
	}
}

/* The error named on a command's stderr: "obol PATH: NAME: what (hint)". */
static obol_err named_error(const char *err)
{
	for (const char *line = err; line != NULL && *line != '\0';) {
		if (strncmp(line, "obol ", 5) == 0) {
			const char *a = strstr(line, ": ");
			if (a != NULL) {
				a += 2;
				size_t n = strcspn(a, ":\n");
				char name[64];
				if (n > 0 && n < sizeof name && a[n] == ':') {
					memcpy(name, a, n);
					name[n] = '\0';
					obol_err e = obol_err_from_name(name);
					if (e != OBOL_E_UNKNOWN_ERROR)
						return e;
				}
			}
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return OBOL_E_INTERNAL;
}

/* Runs obol argv; fills *out_s / *err_s; returns OK on exit 0, else the named error. */
static obol_err run_argv(struct obol_demo *d, char *const *args, char **out_s, char **err_s)
{
	int po[2], pe[2];
	struct capture co = { 0 }, ce = { 0 };
	char *argv[MAX_ARGS + 2];
	int n = 0, status = 0;
	argv[n++] = d->obol;
	for (int i = 0; args[i] != NULL; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe2(po, O_CLOEXEC) != 0)
		return OBOL_E_IO;
	if (pipe2(pe, O_CLOEXEC) != 0) {
		close(po[0]);
		close(po[1]);
		return OBOL_E_IO;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
			_exit(127);
		execv(d->obol, argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	struct pollfd fds[2] = { { .fd = po[0], .events = POLLIN }, { .fd = pe[0], .events = POLLIN } };
	int open_fds = 2;
	while (open_fds > 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[4096];
			ssize_t r = read(fds[i].fd, buf, sizeof buf);
			if (r > 0) {
				cap_add(i == 0 ? &co : &ce, buf, (size_t)r);
			} else {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	if (pid > 0)
		waitpid(pid, &status, 0);
	cap_add(&co, "", 0);
	cap_add(&ce, "", 0);
	*out_s = co.buf != NULL ? co.buf : strdup("");
	*err_s = ce.buf != NULL ? ce.buf : strdup("");
	if (pid < 0)
		return OBOL_E_IO;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return OBOL_OK;
	return named_error(*err_s);
}

/* Runs one command of the demo in view: prints it, runs it (run_argv: *o
 * and *err get its stdout and stderr for the caller to free) and prints
 * what it wrote, indented; returns its outcome. More than MAX_ARGS
 * arguments is INVALID_ARGUMENT with *ran false: nothing was run. */
static obol_err run_shown(struct obol_demo *d, bool *ran, char **o, char **err, const char *arg0, va_list ap)
{
	char *args[MAX_ARGS + 1];
	char tls[4][PATH_MAX];
	int n = collect_args(args, arg0, ap);
	*ran = false;
	if (n < 0 || add_tls_args(d, args, &n, tls) != OBOL_OK)
		return OBOL_E_INVALID_ARGUMENT;
	*ran = true;
	print_cmd(args);
	obol_err e = run_argv(d, args, o, err);
	print_indented(*o);
	print_indented(*err);
	return e;
}

obol_err obol_demo_run(struct obol_demo *d, char **out, const char *arg0, ...)
{
	char *o = NULL, *err = NULL;
	bool ran;
	va_list ap;
	va_start(ap, arg0);
	obol_err e = run_shown(d, &ran, &o, &err, arg0, ap);
	va_end(ap);
	if (!ran)
		return e;
	fflush(stdout);
	if (out != NULL)
		*out = o;
	else
		free(o);
	free(err);
	return e;
}

obol_err obol_demo_expect(struct obol_demo *d, obol_err want, const char *arg0, ...)
{
	char *o = NULL, *err = NULL;
	bool ran;
	va_list ap;
	va_start(ap, arg0);
	obol_err e = run_shown(d, &ran, &o, &err, arg0, ap);
	va_end(ap);
	if (!ran)
		return e;
	free(o);
	free(err);
	if (e == want) {
		printf("   (refused as expected: %s)\n", obol_strerror(want));
		return OBOL_OK;
	}
	printf("   expected %s, got %s\n", obol_strerror(want), e == OBOL_OK ? "success" : obol_strerror(e));
	return OBOL_E_INTERNAL;
}

obol_err obol_demo_field(const char *text, const char *key, char *buf, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *line = text; line != NULL && *line != '\0';) {
		if (strncmp(line, key, kl) == 0 && (line[kl] == ':' || line[kl] == '=')) {
			const char *v = line + kl + 1;
			while (*v == ' ')
				v++;
			size_t n = strcspn(v, "\r\n");
			if (n >= cap)
				return OBOL_E_PARSE_TOO_LONG;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return OBOL_OK;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return OBOL_E_NOT_FOUND;
}

const char *obol_demo_master_key(struct obol_demo *d)
{
	static char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s/master.key", d->dir);
	return buf;
}

const char *obol_demo_signer_socket(const struct obol_demo *d)
{
	return d->signer_sock[0] ? d->signer_sock : NULL;
}

obol_err obol_demo_issuer(struct obol_demo *d, const char *db, struct obol_demo_proc **issuer)
{
	char master[PATH_MAX], req[PATH_MAX], sig[PATH_MAX], sdb[PATH_MAX], sock[PATH_MAX];
	struct obol_demo_proc *signer;
	obol_err e;
	/* not obol_demo_path's buffers: the caller's db may live in one */
	snprintf(master, sizeof master, "%s/master.key", d->dir);
	snprintf(req, sizeof req, "%s/key-requests.json", d->dir);
	snprintf(sig, sizeof sig, "%s/key-signatures.json", d->dir);
	snprintf(sdb, sizeof sdb, "sqlite:%s/signer.db", d->dir);
	snprintf(sock, sizeof sock, "%s/signer.sock", d->dir);
	/* a scenario that showed the ceremony itself has its signatures */
	if (access(sig, F_OK) == 0)
		goto move;
	obol_demo_step(d, "the key ceremony: the offline master key (a file, never in the database) announces the "
			  "online keys and the scheme keys");
	if ((e = obol_demo_run(d, NULL, "issuer", "keys", "export-requests", "--db", db, "--out", req, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "offline", "sign", "--master-key", master, "--in", req, "--out", sig, NULL)) !=
		    OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "issuer", "keys", "import", "--db", db, "--in", sig, NULL)) != OBOL_OK)
		return e;
move:
	obol_demo_step(d, "the private keys move to the signing process, with the announcements it signs under; "
			  "'issuer serve' holds none and asks it over a unix socket");
	if ((e = obol_demo_run(d, NULL, "issuer", "signer", "import", "--db", sdb, "--from", db, NULL)) != OBOL_OK ||
	    (e = obol_demo_start(d, "signer", &signer, "issuer", "signer", "--db", sdb, "--socket", sock, NULL)) !=
		    OBOL_OK)
		return e;
	snprintf(d->signer_sock, sizeof d->signer_sock, "%s", sock);
	return obol_demo_start(d, "issuer", issuer, "issuer", "serve", "--db", db, "--listen", "127.0.0.1:0", "--signer",
			       sock, NULL);
}

obol_err obol_demo_audit(struct obol_demo *d, const char *db_url)
{
	char *out = NULL;
	obol_err e = obol_demo_run(d, &out, "audit", "--db", db_url, NULL);
	if (e == OBOL_OK && (out == NULL || strstr(out, "audit: OK") == NULL))
		e = OBOL_E_AUDIT_FAILED;
	free(out);
	return e;
}

/* ---- the temporary directory ------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void obol_demo_rmtree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
