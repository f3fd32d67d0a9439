/* obol bench coupon: the daemons it runs as child processes, and the raw
 * limits of the machine measured in the same run (bench_coupon.h). */
#include <fcntl.h>
#include <getopt.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/bench_coupon.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/blindrsa.h"
#include "crypto/rsa.h"
#include "crypto/seal.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "net/http_client.h"
#include "schemes/common/keys_doc.h"
#include "schemes/coupon/messages.h"
#include "store/store.h"
#include "vendor/vendor.h"

/* ---- children ---- */

char bench_self_exe[PATH_MAX];

/* argv of `obol` and the words of ap up to a NULL (31 at most); their count. */
static int argv_of(char *argv[32], va_list ap)
{
	int n = 0;
	argv[n++] = bench_self_exe;
	for (char *a = va_arg(ap, char *); a && n < 31; a = va_arg(ap, char *))
		argv[n++] = a;
	argv[n] = NULL;
	return n;
}

int child_run(char *out, size_t cap, ...)
{
	char *argv[32];
	int fds[2];
	va_list ap;
	va_start(ap, cap);
	argv_of(argv, ap);
	va_end(ap);
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execv(bench_self_exe, argv);
		_exit(127);
	}
	close(fds[1]);
	size_t len = 0;
	ssize_t r;
	char sink[256];
	while ((r = read(fds[0], len + 1 < cap ? out + len : sink, len + 1 < cap ? cap - len - 1 : sizeof(sink))) > 0)
		if (len + 1 < cap)
			len += (size_t)r;
	close(fds[0]);
	out[len] = '\0';
	int st;
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}


int daemon_start(struct daemon *d, const char *log, enum daemon_how how, ...)
{
	char *argv[32];
	va_list ap;
	va_start(ap, how);
	int argc = argv_of(argv, ap);
	va_end(ap);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600), in = open("/dev/null", O_RDONLY);
		if (fd < 0 || in < 0)
			_exit(127);
		dup2(in, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (how == DAEMON_EXEC) {
			execv(bench_self_exe, argv);
			_exit(127);
		}
		if (how == DAEMON_FORK_CLEARTEXT)
			obol_devlink_bench_cleartext_all();
		optind = 0; /* getopt starts afresh */
		int rc = obol_cli_main(argc, argv);
		fflush(NULL);
		_exit(rc);
	}
	d->pid = pid;
	for (int i = 0; i < 600; i++) {
		FILE *f = fopen(log, "r");
		char line[256];
		while (f && fgets(line, sizeof(line), f)) {
			if (strncmp(line, "listening on ", 13) == 0) {
				line[strcspn(line, "\n")] = '\0';
				snprintf(d->addr, sizeof(d->addr), "%s", line + 13);
				snprintf(d->url, sizeof(d->url), "http://%s", d->addr);
				fclose(f);
				return 0;
			}
		}
		if (f)
			fclose(f);
		struct timespec ts = { 0, 50000000L };
		nanosleep(&ts, NULL);
	}
	return -1;
}

void daemon_stop(struct daemon *d)
{
	if (d->pid > 0) {
		int st;
		kill(d->pid, SIGTERM);
		waitpid(d->pid, &st, 0);
		d->pid = 0;
	}
}

static int field(const char *text, const char *key, char *buf, size_t cap)
{
	size_t k = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, k) == 0 && l[k] == ':' && l[k + 1] == ' ') {
			size_t n = strcspn(l + k + 2, "\n");
			if (n >= cap)
				return -1;
			memcpy(buf, l + k + 2, n);
			buf[n] = '\0';
			return 0;
		}
	return -1;
}

/* ---- the world the bench runs in ---- */

/* `vendor init` in vdir and the issuer's certificate for it under name;
 * with mine, its keys and certificate are the world's (w->vkp, w->cert). */
static int vendor_setup(struct world *w, const char *vdir, const char *name, bool mine)
{
	char out[4096], vk[64], bk[64], path[400];
	struct obol_vendor_cert c;
	struct obol_box_keypair box;
	if (child_run(out, sizeof(out), "vendor", "init", "--dir", vdir, "--issuer", w->issuer.url, NULL) != 0 ||
	    field(out, "vendor-key", vk, sizeof(vk)) || field(out, "box-key", bk, sizeof(bk)))
		return -1;
	snprintf(path, sizeof(path), "%s/vendor.cert", vdir);
	if (child_run(out, sizeof(out), "issuer", "vendor", "add", "--db", w->db, "--name", name, "--vendor-key", vk,
		      "--box-key", bk, "--out", path, NULL) != 0)
		return -1;
	if (!mine)
		return 0;
	obol_err e = obol_vendor_keys_load(vdir, &w->vkp, &box);
	OBOL_WIPE(box);
	if (e != OBOL_OK || obol_vendor_cert_load(vdir, &c) != OBOL_OK ||
	    obol_vendor_cert_encode(&c, w->cert, sizeof(w->cert), &w->cert_len) != OBOL_OK)
		return -1;
	obol_sha256(w->cert_hash, w->cert, w->cert_len);
	return 0;
}

int world_vendor_fork(struct world *w, const char *name, const char *price, bool cleartext, struct daemon *d)
{
	char vdir[400], log[400];
	snprintf(vdir, sizeof(vdir), "%s/%s", w->dir, name);
	snprintf(log, sizeof(log), "%s/%s.log", w->dir, name);
	if (vendor_setup(w, vdir, name, false) != 0)
		return -1;
	return daemon_start(d, log, cleartext ? DAEMON_FORK_CLEARTEXT : DAEMON_FORK, "vendor", "serve", "--dir", vdir,
			    "--issuer", w->issuer.url, "--listen", "127.0.0.1:0", "--price", price, "--max-links", "256",
			    "--max-links-per-ip", "256", NULL);
}

/* The issuer of a world: its database with the three denominations, a
 * funded user account, the daemon; with_signer, the keys moved to a signing
 * process (`issuer signer`) that the daemon asks. */
static int issuer_up(struct world *w, bool with_signer)
{
	char out[4096], pk[64], path[400], sdb[320], sock[320];
	snprintf(w->dir, sizeof(w->dir), "%s/obol-bench-coupon-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(w->dir))
		return -1;
	snprintf(w->db, sizeof(w->db), "sqlite:%s/issuer.db", w->dir);
	snprintf(w->vdir, sizeof(w->vdir), "%s/vendor", w->dir);
	if (child_run(out, sizeof(out), "issuer", "init", "--db", w->db, "--currency", "EUR", "--coupon-denom",
		      "EUR:1,100", "--coupon-denom", "EUR:2,20000", "--coupon-denom", "EUR:20,200000", "--coupon-lock-max", "600", NULL) != 0)
		return -1;
	snprintf(sdb, sizeof(sdb), "sqlite:%s/signer.db", w->dir);
	snprintf(sock, sizeof(sock), "%s/signer.sock", w->dir);
	/* the signer signs with announced keys only: issuer init held the
	 * first ceremony (its master key in issuer.db.master-key) */
	snprintf(path, sizeof(path), "%s/signer.log", w->dir);
	if (with_signer && (child_run(out, sizeof(out), "issuer", "signer", "import", "--db", sdb, "--from", w->db, NULL) != 0 ||
			    daemon_start(&w->signer, path, DAEMON_EXEC, "issuer", "signer", "--db", sdb, "--socket", sock,
					 NULL) != 0))
		return -1;
	snprintf(path, sizeof(path), "%s/issuer.log", w->dir);
	/* RSA slots for every withdrawing wallet: the bench measures the
	 * signatures' rate, not the gate's refusals (ISSUER_BUSY beyond one
	 * slot and two waiters on two cores). Without the signer the
	 * arguments end at the NULL before sock. */
	if (daemon_start(&w->issuer, path, DAEMON_EXEC, "issuer", "serve", "--db", w->db, "--listen", "127.0.0.1:0",
			 "--threads", "32", "--rsa-slots", "64", with_signer ? "--signer" : NULL, sock, NULL) != 0)
		return -1;
	obol_sign_keypair_new(&w->user);
	if (obol_b64_encode(w->user.pk, 32, pk, sizeof(pk)) != OBOL_OK ||
	    child_run(out, sizeof(out), "issuer", "account", "add", "--db", w->db, "--kind", "user", "--name", "bench",
		      "--auth-key", pk, NULL) != 0 ||
	    sscanf(out, "account %" SCNd64, &w->user_id) != 1 ||
	    child_run(out, sizeof(out), "issuer", "fund", "--db", w->db, "--account", "bench", "--amount",
		      "EUR:10000000", NULL) != 0)
		return -1;
	return 0;
}

/* GET /keys of the world's issuer, verified, into w->keys. */
static int keys_fetch(struct world *w)
{
	struct obol_http_client *hc = NULL;
	long status;
	char *body = NULL;
	size_t len;
	obol_err e = obol_http_client_new(w->issuer.url, 0, &hc);
	if (e == OBOL_OK)
		e = obol_http_request(hc, "GET", "/keys", NULL, 0, 0, &status, &body, &len);
	if (e == OBOL_OK)
		e = obol_keys_doc_verify(body, len, NULL, &w->keys, NULL, NULL, NULL);
	free(body);
	obol_http_client_free(hc);
	return e == OBOL_OK ? 0 : -1;
}

int world_up(struct world *w, const char *price)
{
	char path[400];
	if (issuer_up(w, false) != 0 || vendor_setup(w, w->vdir, "shop", true) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/vendor.log", w->dir);
	/* every wallet of the bench comes from 127.0.0.1: one address may hold
	 * all the links (a link just closed may still hold its place a moment) */
	if (daemon_start(&w->vendor, path, DAEMON_EXEC, "vendor", "serve", "--dir", w->vdir, "--issuer", w->issuer.url,
			 "--listen", "127.0.0.1:0", "--price", price, "--max-links", "256", "--max-links-per-ip", "256",
			 NULL) != 0)
		return -1;
	return keys_fetch(w);
}

int world_signer_up(struct world *w)
{
	if (issuer_up(w, true) != 0)
		return -1;
	return keys_fetch(w);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void world_down(struct world *w, bool keep)
{
	daemon_stop(&w->vendor);
	daemon_stop(&w->issuer);
	daemon_stop(&w->signer);
	json_decref(w->keys);
	if (!keep && w->dir[0])
		(void)nftw(w->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- raw limits ---- */

struct raw {
	EVP_PKEY *sk;
	uint8_t blinded[512];
	size_t blen;
	uint64_t deadline, ops;
	double cpu; /* seconds of CPU this thread used */
};

double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds a process has used (utime + stime of /proc/PID/stat). */
double proc_cpu(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
	unsigned long long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void *raw_sign_worker(void *arg)
{
	struct raw *r = arg;
	uint8_t sig[512];
	size_t len;
	double c0 = thread_cpu();
	while (obol_mono_ns() < r->deadline) {
		if (obol_blindrsa_blind_sign(r->sk, r->blinded, r->blen, sig, sizeof(sig), &len) != OBOL_OK)
			break;
		r->ops++;
	}
	r->cpu = thread_cpu() - c0;
	return NULL;
}

/* Blind signatures per second of wall clock on `threads` threads; *per_cpu
 * gets them per second of CPU the threads used. */
double raw_rsa(unsigned threads, double seconds, double *per_cpu)
{
	struct raw r[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	static EVP_PKEY *sk; /* one key for every round */
	struct obol_blindrsa_state st;
	uint8_t prep[OBOL_BLINDRSA_PREFIX_LEN + 32], msg[32] = { 1 };
	size_t plen, blen;
	uint8_t blinded[512];
	if ((!sk && obol_rsa_generate(2048, &sk) != OBOL_OK) ||
	    obol_blindrsa_prepare(OBOL_BLINDRSA_PSS_RANDOMIZED, msg, sizeof(msg), prep, sizeof(prep), &plen) != OBOL_OK ||
	    obol_blindrsa_blind(sk, prep, plen, blinded, sizeof(blinded), &blen, &st) != OBOL_OK)
		return 0;
	uint64_t t0 = obol_mono_ns(), dl = t0 + (uint64_t)(seconds * 1e9);
	for (unsigned i = 0; i < threads; i++) {
		r[i] = (struct raw){ .sk = sk, .blen = blen, .deadline = dl };
		memcpy(r[i].blinded, blinded, blen);
		pthread_create(&th[i], NULL, raw_sign_worker, &r[i]);
	}
	uint64_t ops = 0;
	double cpu = 0;
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		ops += r[i].ops;
		cpu += r[i].cpu;
	}
	*per_cpu = cpu > 0 ? (double)ops / cpu : 0;
	double el = (double)(obol_mono_ns() - t0) / 1e9;
	obol_blindrsa_state_wipe(&st);
	return (double)ops / el;
}

double raw_box_open(double seconds, double *per_cpu)
{
	struct obol_box_keypair kp;
	uint8_t msg[COUPON_AUTH_PLAIN_LEN] = { 0 }, box[COUPON_AUTH_LEN], out[COUPON_AUTH_PLAIN_LEN];
	obol_box_keypair_new(&kp);
	if (obol_sealbox_seal(box, msg, sizeof(msg), kp.pk) != OBOL_OK)
		return 0;
	uint64_t t0 = obol_mono_ns(), dl = t0 + (uint64_t)(seconds * 1e9), ops = 0;
	double c0 = thread_cpu();
	while (obol_mono_ns() < dl) {
		if (obol_sealbox_open(out, box, sizeof(box), &kp) != OBOL_OK)
			return 0;
		ops++;
	}
	double cpu = thread_cpu() - c0;
	*per_cpu = cpu > 0 ? (double)ops / cpu : 0;
	OBOL_WIPE(kp);
	return (double)ops / ((double)(obol_mono_ns() - t0) / 1e9);
}

double raw_commits(const char *dir, double seconds)
{
	char url[400];
	struct obol_store *s = NULL;
	snprintf(url, sizeof(url), "sqlite:%s/commits.db", dir);
	if (obol_store_open(url, true, &s) != OBOL_OK ||
	    obol_store_exec(s, "CREATE TABLE t (id BIGINT PRIMARY KEY, v BIGINT)") != OBOL_OK) {
		obol_store_close(s);
		return 0;
	}
	uint64_t t0 = obol_mono_ns(), dl = t0 + (uint64_t)(seconds * 1e9), ops = 0;
	while (obol_mono_ns() < dl) {
		if (obol_store_begin(s) != OBOL_OK ||
		    obol_store_run(s, NULL, "INSERT INTO t (id, v) VALUES (?, ?)", "ii", (int64_t)ops, (int64_t)ops) !=
			    OBOL_OK ||
		    obol_store_commit(s) != OBOL_OK)
			break;
		ops++;
	}
	double r = (double)ops / ((double)(obol_mono_ns() - t0) / 1e9);
	obol_store_close(s);
	return r;
}

