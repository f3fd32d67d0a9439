/* Real obol processes for the coupon attack tests (procs.h). */
#include "procs.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/common/keys_doc.h"
#include "vendor/vendor.h"
#include "wire/json.h"

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int launch(struct proc *p)
{
	char *argv[PROC_ARGS + 2];
	argv[0] = (char *)test_obol_bin();
	for (int i = 0; i < p->nargs; i++)
		argv[i + 1] = p->args[i];
	argv[p->nargs + 1] = NULL;
	long offset = 0;
	FILE *f = fopen(p->log, "r");
	if (f) {
		fseek(f, 0, SEEK_END);
		offset = ftell(f);
		fclose(f);
	}
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int in = open("/dev/null", O_RDONLY);
		if (fd < 0 || in < 0)
			_exit(127);
		dup2(in, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	p->pid = pid;
	for (int i = 0; i < 400; i++) {
		char line[256];
		if ((f = fopen(p->log, "r")) != NULL) {
			fseek(f, offset, SEEK_SET);
			while (fgets(line, sizeof(line), f)) {
				if (strncmp(line, "listening on ", 13) == 0) {
					line[strcspn(line, "\n")] = '\0';
					snprintf(p->addr, sizeof(p->addr), "%s", line + 13);
					snprintf(p->url, sizeof(p->url), "http://%s", p->addr);
					fclose(f);
					return 0;
				}
			}
			fclose(f);
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			p->pid = 0;
			return -1;
		}
		nap_ms(50);
	}
	return -1;
}

int cproc_start(struct proc *p, const char *name, ...)
{
	va_list ap;
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->log, sizeof(p->log), "%s/%s.log", test_tmpdir(), name);
	va_start(ap, name);
	for (const char *a = va_arg(ap, const char *); a && p->nargs < PROC_ARGS; a = va_arg(ap, const char *))
		snprintf(p->args[p->nargs++], sizeof(p->args[0]), "%s", a);
	va_end(ap);
	return launch(p);
}

void cproc_kill(struct proc *p, int sig)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, sig);
	int st;
	waitpid(p->pid, &st, 0);
	p->pid = 0;
}

int cproc_restart(struct proc *p)
{
	for (int i = 0; i + 1 < p->nargs; i++)
		if (strcmp(p->args[i], "--listen") == 0)
			snprintf(p->args[i + 1], sizeof(p->args[0]), "%s", p->addr);
	if (p->pid > 0)
		cproc_kill(p, SIGTERM);
	return launch(p);
}

int cobol_run(char *out, size_t cap, ...)
{
	char *argv[32];
	int n = 0, pipefd[2];
	va_list ap;
	argv[n++] = (char *)test_obol_bin();
	va_start(ap, cap);
	for (char *a = va_arg(ap, char *); a && n < 31; a = va_arg(ap, char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	if (pipe(pipefd) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	size_t len = 0;
	ssize_t r;
	char sink[512];
	while ((r = read(pipefd[0], len + 1 < cap ? out + len : sink,
			 len + 1 < cap ? cap - len - 1 : sizeof(sink))) > 0)
		if (len + 1 < cap)
			len += (size_t)r;
	close(pipefd[0]);
	out[len] = '\0';
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int field(const char *text, const char *key, char *buf, size_t cap)
{
	size_t k = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, k) == 0 && l[k] == ':' && l[k + 1] == ' ') {
			size_t n = strcspn(l + k + 2, "\n");
			if (n >= cap)
				return -1;
			memcpy(buf, l + k + 2, n);
			buf[n] = '\0';
			return 0;
		}
	}
	return -1;
}

static int vendor_up(struct world *w, int i, bool run, const char *price)
{
	struct vend *v = &w->v[i];
	char out[4096], name[16], vk[64], bk[64], certpath[700];
	struct obol_vendor_cert c;
	snprintf(name, sizeof(name), "vendor%d", i + 1);
	snprintf(v->dir, sizeof(v->dir), "%s/%s", test_tmpdir(), name);
	snprintf(certpath, sizeof(certpath), "%s/vendor.cert", v->dir);
	if (cobol_run(out, sizeof(out), "vendor", "init", "--dir", v->dir, "--issuer", w->issuer.url, NULL) != 0 ||
	    field(out, "vendor-key", vk, sizeof(vk)) || field(out, "box-key", bk, sizeof(bk)))
		return -1;
	if (cobol_run(out, sizeof(out), "issuer", "vendor", "add", "--db", w->db, "--name", name, "--vendor-key", vk,
		     "--box-key", bk, "--out", certpath, NULL) != 0)
		return -1;
	if (obol_vendor_keys_load(v->dir, &v->kp, &v->box) != OBOL_OK)
		return -1;
	if (obol_vendor_cert_load(v->dir, &c) != OBOL_OK ||
	    obol_vendor_cert_encode(&c, v->cert, sizeof(v->cert), &v->cert_len) != OBOL_OK)
		return -1;
	obol_sha256(v->cert_hash, v->cert, v->cert_len);
	v->account = (int64_t)c.account;
	if (!run)
		return 0;
	return cproc_start(&v->proc, name, "vendor", "serve", "--dir", v->dir, "--issuer", w->issuer.url, "--listen",
			  "127.0.0.1:0", "--price", price, NULL);
}

int cworld_up(struct world *w, bool run_vendors, const char *price)
{
	char db[600];
	snprintf(db, sizeof(db), "sqlite:%s/issuer.db", test_tmpdir());
	return cworld_up_db(w, db, run_vendors, price);
}

int cworld_up_db(struct world *w, const char *db_url, bool run_vendors, const char *price)
{
	struct cworld_opts o = { .db_url = db_url, .run_vendors = run_vendors, .price = price };
	return cworld_up_opts(w, &o);
}

int cworld_up_opts(struct world *w, const struct cworld_opts *o)
{
	char out[4096], pk[64], db[600];
	bool run_vendors = o->run_vendors;
	const char *price = o->price;
	memset(w, 0, sizeof(*w));
	if (obol_crypto_init() != OBOL_OK)
		return -1;
	if (o->db_url)
		snprintf(w->db, sizeof(w->db), "%s", o->db_url);
	else
		snprintf(w->db, sizeof(w->db), "sqlite:%s/issuer.db", test_tmpdir());
	snprintf(db, sizeof(db), "%s", w->db);
	/* The master key goes to a file of the test's own (required for a
	 * PostgreSQL database; beside an SQLite one by default). */
	char master[600];
	snprintf(master, sizeof(master), "%s/issuer-master.key", test_tmpdir());
	int rc = o->denom3 ? cobol_run(out, sizeof(out), "issuer", "init", "--db", db, "--currency", "EUR",
				       "--master-key", master, "--coupon-denom", "EUR:1,100", "--coupon-denom", "EUR:2,100",
				       "--coupon-denom", o->denom3, "--coupon-lock-max", "600", "--coupon-rsa-bits", "1024",
				       NULL)
			   : cobol_run(out, sizeof(out), "issuer", "init", "--db", db, "--currency", "EUR",
				       "--master-key", master, "--coupon-denom", "EUR:1,100", "--coupon-denom",
				       "EUR:2,100", "--coupon-lock-max", "600", "--coupon-rsa-bits", "1024", NULL);
	if (rc != 0) {
		test_note("issuer init: %s", out);
		return -1;
	}
	if (cproc_start(&w->issuer, "issuer", "issuer", "serve", "--db", w->db, "--listen", "127.0.0.1:0", NULL) != 0)
		return -1;
	obol_sign_keypair_new(&w->user);
	if (obol_b64_encode(w->user.pk, 32, pk, sizeof(pk)) != OBOL_OK)
		return -1;
	if (cobol_run(out, sizeof(out), "issuer", "account", "add", "--db", w->db, "--kind", "user", "--name", "alice",
		     "--auth-key", pk, NULL) != 0 ||
	    sscanf(out, "account %lld", (long long *)&w->user_id) != 1)
		return -1;
	if (cobol_run(out, sizeof(out), "issuer", "fund", "--db", w->db, "--account", "alice", "--amount", "EUR:20",
		     NULL) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (vendor_up(w, i, run_vendors, price) != 0) {
			test_note("vendor %d did not start", i + 1);
			return -1;
		}
	/* the wallet side: GET /keys, verified */
	long status;
	char *text = NULL;
	size_t len;
	json_t *keys = NULL;
	if (obol_http_client_new(w->issuer.url, 0, &w->http) != OBOL_OK ||
	    obol_http_request(w->http, "GET", "/keys", NULL, 0, 0, &status, &text, &len) != OBOL_OK || status != 200 ||
	    obol_keys_doc_verify(text, len, NULL, &keys, NULL, NULL, NULL) != OBOL_OK ||
	    coupon_wstore_init(&w->ws, keys) != OBOL_OK) {
		free(text);
		json_decref(keys);
		return -1;
	}
	free(text);
	json_decref(keys);
	obol_http_client_set_account(w->http, w->user_id, w->user.sk);
	return 0;
}

void cworld_down(struct world *w)
{
	for (int i = 0; i < 2; i++)
		cproc_kill(&w->v[i].proc, SIGTERM);
	cproc_kill(&w->issuer, SIGTERM);
	obol_http_client_free(w->http);
	coupon_wstore_free(&w->ws);
}

obol_err cworld_withdraw(struct world *w, uint32_t denom)
{
	const struct coupon_denom *d = NULL;
	for (size_t i = 0; i < w->ws.keys.ndenoms; i++)
		if (w->ws.keys.denoms[i].id == denom)
			d = &w->ws.keys.denoms[i];
	if (!d)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	struct coupon_withdraw_pending p;
	struct coupon_withdraw_req req;
	struct coupon_wallet_coin coin;
	uint8_t raw[16];
	char rid[32];
	bool definite;
	obol_random(raw, sizeof(raw));
	obol_err e = obol_b64_encode(raw, sizeof(raw), rid, sizeof(rid));
	if (e == OBOL_OK)
		e = coupon_wallet_withdraw_prepare(d, obol_now(), &p, &req);
	if (e == OBOL_OK)
		e = coupon_withdraw_exchange(w->http, d, rid, &req, &p, &coin, &definite);
	if (e == OBOL_OK)
		e = coupon_wstore_add(&w->ws, &coin);
	return e;
}

int cworld_balance(struct world *w, const char *name, char *out, size_t cap)
{
	char text[2048];
	if (cobol_run(text, sizeof(text), "issuer", "account", "show", "--db", w->db, "--account", name, NULL) != 0)
		return -1;
	return field(text, "balance", out, cap);
}

bool cworld_audit_ok(struct world *w)
{
	char text[8192];
	int rc = cobol_run(text, sizeof(text), "audit", "--db", w->db, NULL);
	if (rc != 0 || !strstr(text, "audit: OK")) {
		test_note("audit: %s", text);
		return false;
	}
	return true;
}

obol_err cworld_post(struct world *w, const char *path, const json_t *body, json_t **reply, char *detail,
		    size_t detail_cap)
{
	char *text = json_dumps(body, JSON_COMPACT), *resp = NULL;
	size_t len = 0;
	long status = 0;
	obol_err e = text ? obol_http_request(w->http, "POST", path, text, strlen(text), 0, &status, &resp, &len)
			  : OBOL_E_NO_MEMORY;
	free(text);
	if (e != OBOL_OK)
		return e;
	json_error_t jerr;
	json_t *j = json_loadb(resp, len, 0, &jerr);
	if (status >= 200 && status < 300) {
		if (reply)
			*reply = j;
		else
			json_decref(j);
		free(resp);
		return j ? OBOL_OK : OBOL_E_WIRE_MALFORMED;
	}
	e = obol_json_error_from_body(resp, len);
	if (detail && detail_cap) {
		const char *d = j ? json_string_value(json_object_get(j, "detail")) : NULL;
		snprintf(detail, detail_cap, "%s", d ? d : "");
	}
	json_decref(j);
	free(resp);
	return e;
}

void cworld_lock_req(struct world *w, size_t coin, uint64_t p, int64_t T, int v, int cert_for,
		    struct coupon_lock_req *req)
{
	const struct coupon_wallet_coin *c = &w->ws.coins[coin];
	struct coupon_auth a = { .index = p, .deadline = T };
	uint8_t digest[32];
	memcpy(a.coin_id, c->coin.id, 32);
	memcpy(a.cert_hash, w->v[cert_for].cert_hash, 32);
	obol_hashchain_step(a.token, c->seed, p);
	memset(req, 0, sizeof(*req));
	req->coin = c->coin;
	if (coupon_auth_seal(&a, w->ws.cfg.issuer_box_pk, req->auth) != OBOL_OK)
		return;
	memcpy(req->cert, w->v[v].cert, w->v[v].cert_len);
	req->cert_len = w->v[v].cert_len;
	req->deadline = T;
	coupon_digest_lock_req(digest, req, w->v[v].cert_hash);
	obol_sign(req->vendor_sig, COUPON_CTX_LOCK_REQ, digest, 32, w->v[v].kp.sk);
}

obol_err cworld_lock(struct world *w, const struct coupon_lock_req *req, struct coupon_lock_reply *reply)
{
	struct coupon_spec spec;
	json_t *body = NULL, *ans = NULL;
	coupon_spec_lock_req(&spec, (struct coupon_lock_req *)req);
	obol_err e = obol_json_encode(&spec.fields, &body);
	if (e == OBOL_OK)
		e = cworld_post(w, "/coupon/lock", body, &ans, NULL, 0);
	json_decref(body);
	if (e == OBOL_OK) {
		memset(reply, 0, sizeof(*reply));
		coupon_spec_lock_reply(&spec, reply);
		e = obol_json_decode(ans, &spec.fields);
	}
	json_decref(ans);
	return e;
}

obol_err cworld_settle(struct world *w, int v, const uint8_t coin_id[32], uint64_t j, const uint8_t token[32],
		      bool keep, struct coupon_settle_reply *reply)
{
	struct coupon_vendor_cfg cfg = { 0 };
	struct coupon_vendor_coin c = { 0 };
	struct coupon_settle_req req;
	struct coupon_spec spec;
	json_t *body = NULL, *ans = NULL;
	cfg.cert = w->v[v].cert;
	cfg.cert_len = w->v[v].cert_len;
	memcpy(cfg.cert_hash, w->v[v].cert_hash, 32);
	cfg.sign_sk = w->v[v].kp.sk;
	memcpy(c.coin_id, coin_id, 32);
	c.last_index = j;
	memcpy(c.last_token, token, 32);
	coupon_vendor_settle_req(&cfg, &c, keep, &req);
	coupon_spec_settle_req(&spec, &req);
	obol_err e = obol_json_encode(&spec.fields, &body);
	if (e == OBOL_OK)
		e = cworld_post(w, "/coupon/settle", body, &ans, NULL, 0);
	json_decref(body);
	if (e == OBOL_OK) {
		memset(reply, 0, sizeof(*reply));
		coupon_spec_settle_reply(&spec, reply);
		e = obol_json_decode(ans, &spec.fields);
	}
	json_decref(ans);
	return e;
}

obol_err cworld_read_until(struct obol_devlink *dl, uint32_t want, const uint8_t **body, size_t *len, int *served)
{
	for (int i = 0; i < 1000; i++) {
		uint32_t type;
		obol_err e = obol_devlink_read(dl, &type, body, len);
		if (e != OBOL_OK)
			return e;
		if (type == COUPON_MSG_SERVED && served)
			(*served)++;
		if (type == want)
			return OBOL_OK;
	}
	return OBOL_E_INTERNAL;
}
