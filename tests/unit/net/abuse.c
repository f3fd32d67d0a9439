/* The honest client of the abuse tests (abuse.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../test.h"
#include "abuse.h"
#include "core/amount.h"
#include "core/clock.h"
#include "net/http_client.h"
#include "store/ledger.h"

static obol_err add_alice(struct obol_store *s, void *arg)
{
	struct abuse_issuer *a = arg;
	struct obol_amount fund;
	obol_err e = obol_account_create(s, OBOL_ACCOUNT_USER, "alice", a->alice_kp.pk, &a->alice);
	if (e == OBOL_OK)
		e = obol_amount_parse("EUR:1000", &fund);
	if (e == OBOL_OK)
		e = obol_ledger_fund(s, a->alice, &fund, "abuse test");
	return e;
}

bool abuse_issuer_start(const char *db_url, struct obol_issuer_config *cfg, struct abuse_issuer *a)
{
	FILE *devnull = fopen("/dev/null", "w");
	memset(a, 0, sizeof *a);
	obol_err e = devnull != NULL ? obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull) : OBOL_E_IO;
	if (devnull != NULL)
		fclose(devnull);
	if (e != OBOL_OK)
		return false;
	cfg->db_url = db_url;
	cfg->listen = "127.0.0.1:0";
	if (obol_issuer_start(cfg, &a->iss) != OBOL_OK)
		return false;
	obol_sign_keypair_new(&a->alice_kp);
	if (obol_issuer_run(a->iss, add_alice, a) != OBOL_OK)
		return false;
	a->port = obol_issuer_port(a->iss);
	snprintf(a->url, sizeof a->url, "http://127.0.0.1:%u", a->port);
	return true;
}

void abuse_issuer_stop(struct abuse_issuer *a)
{
	obol_issuer_stop(a->iss);
	a->iss = NULL;
}

double abuse_now_ms(void)
{
	return (double)obol_mono_ns() / 1e6;
}

void abuse_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

void abuse_payouts(const struct abuse_issuer *a, int n, bool fresh, struct abuse_latency *out)
{
	struct obol_http_client *c = NULL;
	static unsigned serial;
	memset(out, 0, sizeof *out);
	if (n > ABUSE_SAMPLES_MAX)
		n = ABUSE_SAMPLES_MAX;
	if (obol_http_client_new(a->url, ABUSE_REQUEST_TIMEOUT_MS, &c) != OBOL_OK) {
		out->failed = n;
		return;
	}
	obol_http_client_set_account(c, a->alice, a->alice_kp.sk);
	double start = abuse_now_ms();
	for (int i = 0; i < n; i++) {
		if (abuse_now_ms() - start > ABUSE_BUDGET_MS) {
			/* a stalled service: what is left counts as failed */
			test_note("honest payouts: %d of %d not sent, the budget of %d ms is spent", n - i, n,
				  ABUSE_BUDGET_MS);
			out->failed += n - i;
			break;
		}
		char rid[48];
		snprintf(rid, sizeof rid, "honest-%d-%u", (int)getpid(), __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED));
		json_t *body = json_pack("{s:s, s:s}", "request_id", rid, "amount", "EUR:0.01");
		double t0 = abuse_now_ms();
		obol_err e = body != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
		if (e == OBOL_OK && fresh) {
			/* a new client: a new connection */
			obol_http_client_free(c);
			c = NULL;
			if ((e = obol_http_client_new(a->url, ABUSE_REQUEST_TIMEOUT_MS, &c)) == OBOL_OK)
				obol_http_client_set_account(c, a->alice, a->alice_kp.sk);
		}
		if (e == OBOL_OK)
			e = obol_http_post_json(c, "/account/payout", body, OBOL_HTTP_AUTH, NULL);
		out->ms[out->n++] = abuse_now_ms() - t0;
		if (e != OBOL_OK) {
			out->failed++;
			test_note("honest payout %d: %s", i, obol_strerror(e));
		}
		json_decref(body);
	}
	obol_http_client_free(c);
	qsort(out->ms, (size_t)out->n, sizeof out->ms[0], cmp_double);
}

void abuse_fresh_gets(uint16_t port, int n, struct abuse_latency *out)
{
	static const char get[] = "GET /keys HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	memset(out, 0, sizeof *out);
	if (n > ABUSE_SAMPLES_MAX)
		n = ABUSE_SAMPLES_MAX;
	double start = abuse_now_ms();
	for (int i = 0; i < n; i++) {
		if (abuse_now_ms() - start > ABUSE_BUDGET_MS) {
			test_note("honest requests: %d of %d not sent, the budget of %d ms is spent", n - i, n,
				  ABUSE_BUDGET_MS);
			out->failed += n - i;
			break;
		}
		bool closed;
		double t0 = abuse_now_ms();
		char *r = abuse_exchange(port, get, strlen(get), &closed);
		out->ms[out->n++] = abuse_now_ms() - t0;
		if (r == NULL || strncmp(r, "HTTP/1.1 200 ", 13) != 0) {
			out->failed++;
			test_note("honest request %d: %.40s", i, r != NULL && r[0] != '\0' ? r : "no answer");
		}
		free(r);
	}
	qsort(out->ms, (size_t)out->n, sizeof out->ms[0], cmp_double);
}

double abuse_quantile(const struct abuse_latency *l, double q)
{
	if (l->n == 0)
		return 0;
	int i = (int)(q * (double)(l->n - 1) + 0.5);
	return l->ms[i < l->n ? i : l->n - 1];
}

double abuse_bound_ms(const struct abuse_latency *baseline, double factor, double floor_ms)
{
	return floor_ms + factor * abuse_quantile(baseline, 0.9);
}

void abuse_latency_add(struct abuse_latency *into, const struct abuse_latency *more)
{
	for (int i = 0; i < more->n && into->n < ABUSE_SAMPLES_MAX; i++)
		into->ms[into->n++] = more->ms[i];
	into->failed += more->failed;
	qsort(into->ms, (size_t)into->n, sizeof into->ms[0], cmp_double);
}

double abuse_crowd_bound_ms(const struct abuse_latency *baseline, unsigned request_ms)
{
	double bound = abuse_bound_ms(baseline, ABUSE_CROWD_FACTOR, ABUSE_FLOOR_MS);
	return bound < request_ms / 2.0 ? bound : request_ms / 2.0;
}

bool abuse_report(const char *what, const struct abuse_latency *baseline, const struct abuse_latency *attack,
		  double bound_ms)
{
	double p90 = abuse_quantile(attack, 0.9);
	bool ok = attack->failed == 0 && attack->n > 0 && p90 <= bound_ms;
	test_note("%s: honest latency baseline median %.1f ms p90 %.1f ms; under attack median %.1f ms p90 %.1f ms "
		  "max %.1f ms, %d failed; bound p90 <= %.0f ms: %s",
		  what, abuse_quantile(baseline, 0.5), abuse_quantile(baseline, 0.9), abuse_quantile(attack, 0.5), p90,
		  attack->n ? attack->ms[attack->n - 1] : 0.0, attack->failed, bound_ms, ok ? "kept" : "EXCEEDED");
	return ok;
}

/* A TCP connection to 127.0.0.1:port from 127.0.0.src (non-blocking), or -1. */
int abuse_connect_from(unsigned src, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in me = { .sin_family = AF_INET }, to = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (fd < 0)
		return -1;
	me.sin_addr.s_addr = htonl(0x7f000000u | src);
	to.sin_addr.s_addr = htonl(0x7f000001u);
	if (bind(fd, (struct sockaddr *)&me, sizeof me) != 0 ||
	    (connect(fd, (struct sockaddr *)&to, sizeof to) != 0 && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

char *abuse_exchange(uint16_t port, const char *text, size_t len, bool *closed)
{
	return abuse_exchange_from(1, port, text, len, closed);
}

/* Sends text to 127.0.0.1:port from 127.0.0.src and reads the answer until
 * the server closes (or 5 s pass); *closed says whether it did. */
char *abuse_exchange_from(unsigned src, uint16_t port, const char *text, size_t len, bool *closed)
{
	int fd = abuse_connect_from(src, port);
	char *buf = calloc(1, 65536);
	size_t got = 0, sent = 0;
	*closed = false;
	if (fd < 0 || buf == NULL)
		goto out;
	double start = abuse_now_ms();
	while (abuse_now_ms() - start < 5000) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0) };
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((p.revents & POLLOUT) && sent < len) {
			ssize_t w = send(fd, text + sent, len - sent, MSG_NOSIGNAL);
			if (w > 0)
				sent += (size_t)w;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = recv(fd, buf + got, 65535 - got, 0);
			if (r <= 0) {
				*closed = true;
				break;
			}
			got += (size_t)r;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

