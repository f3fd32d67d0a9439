/* Issue 16, item 2: the issuer's connections under abuse.
 *
 * A slowloris from one address (connections that trickle their headers or
 * their body a byte at a time, never idle long enough for libmicrohttpd's
 * own timeout), then from many addresses (each of 127.0.0.0/8 is a
 * different client to the server), while an honest client makes payouts;
 * libmicrohttpd's own refusals with obol's error body; a request with both
 * Content-Length and Transfer-Encoding. Before the fixes 300 trickling
 * connections held every slot of the issuer and honest clients got none. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../test.h"
#include "abuse.h"
#include "net/http_server.h"

/* ---- the slow crowd ---- */

#define CROWD_MAX 512
#define CROWD_ROUND_MS 200
/* Connections the crowd opens again in one round, at most (250 a second):
 * the slots are its aim, and it takes back each one the issuer frees. As
 * fast as the issuer closes them (1,600 a second here) it would be a flood
 * of new connections, whose cost lands on this machine's CPUs too: under a
 * load of 25 the issuer's accepts fell behind it, and honest newcomers waited
 * in the kernel's accept queue behind hundreds of the crowd's (28 of 30 got
 * no answer within 5 s, the issuer holding every connection it had
 * accepted for under its deadline). */
#define CROWD_REOPEN_PER_ROUND 50

struct crowd {
	uint16_t port;
	unsigned first_src, nsrc, per_src; /* addresses 127.0.0.first_src.., per_src connections each */
	bool reconnect;                    /* open a new connection for each one closed (CROWD_REOPEN_PER_ROUND) */
	atomic_bool stop;
	int fd[CROWD_MAX];
	size_t sent[CROWD_MAX];
	unsigned long long opened, closed; /* connections made, and seen closed by the server */
	unsigned alive;                    /* at the last round */
};

/* What a slow client sends, one byte a round: half of them dribble a
 * header, the others a body after whole headers. */
static const char *crowd_text(int i)
{
	static const char slow_headers[] = "POST /account/payout HTTP/1.1\r\nHost: 127.0.0.1\r\n"
					   "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char slow_body[] = "POST /account/payout HTTP/1.1\r\nHost: 127.0.0.1\r\n"
					"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
					"{\"request_id\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	return i % 2 ? slow_body : slow_headers;
}

static void *crowd_run(void *arg)
{
	struct crowd *c = arg;
	int n = (int)(c->nsrc * c->per_src);
	for (int i = 0; i < n; i++) {
		c->fd[i] = abuse_connect_from(c->first_src + (unsigned)i / c->per_src, c->port);
		c->opened += c->fd[i] >= 0;
	}
	while (!atomic_load(&c->stop)) {
		unsigned alive = 0, reopened = 0;
		for (int i = 0; i < n; i++) {
			if (c->fd[i] < 0) {
				if (c->reconnect && reopened++ < CROWD_REOPEN_PER_ROUND) {
					c->fd[i] = abuse_connect_from(c->first_src + (unsigned)i / c->per_src, c->port);
					c->opened += c->fd[i] >= 0;
					c->sent[i] = 0;
				}
				continue;
			}
			/* the server closed it? */
			char buf[512];
			ssize_t r = recv(c->fd[i], buf, sizeof buf, MSG_DONTWAIT);
			const char *t = crowd_text(i);
			bool dead = r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN);
			if (!dead && c->sent[i] < strlen(t)) {
				ssize_t w = send(c->fd[i], t + c->sent[i], 1, MSG_NOSIGNAL | MSG_DONTWAIT);
				if (w == 1)
					c->sent[i]++;
				else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN)
					dead = true;
			}
			if (dead) {
				close(c->fd[i]);
				c->fd[i] = -1;
				c->closed++;
			} else {
				alive++;
			}
		}
		c->alive = alive;
		abuse_sleep_ms(CROWD_ROUND_MS);
	}
	for (int i = 0; i < n; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	return NULL;
}

static void server_figures(struct abuse_issuer *a, const char *when)
{
	unsigned open;
	unsigned long long late, pressed;
	obol_http_server_conns(obol_issuer_http(a->iss), &open, &late, &pressed);
	test_note("%s: %u connections open at the issuer; %llu closed past their request deadline, %llu to make room",
		  when, open, late, pressed);
}

/* The baseline after a crowd: once the issuer has closed the crowd's
 * connections (2 s at most), n more fresh GETs, pooled with before. */
static void baseline_after(struct abuse_issuer *a, int n, struct abuse_latency *before)
{
	struct abuse_latency after;
	unsigned open = 1;
	unsigned long long late, pressed;
	for (int i = 0; i < 200 && open > 0; i++) {
		obol_http_server_conns(obol_issuer_http(a->iss), &open, &late, &pressed);
		if (open > 0)
			abuse_sleep_ms(10);
	}
	abuse_fresh_gets(a->port, n, &after);
	test_note("baseline after the crowd (%u of its connections still open): median %.1f ms p90 %.1f ms", open,
		  abuse_quantile(&after, 0.5), abuse_quantile(&after, 0.9));
	abuse_latency_add(before, &after);
}

TEST(abuse, slowloris_from_one_address)
{
	struct abuse_issuer a;
	struct obol_issuer_config cfg = { .max_conns = 128, .max_conns_per_ip = 16, .request_ms = 2000 };
	struct abuse_latency base, attack;
	static struct crowd c;
	pthread_t th;
	REQUIRE(abuse_issuer_start(test_db_url_new("issuer"), &cfg, &a));
	abuse_fresh_gets(a.port, 15, &base);
	c = (struct crowd){ .port = a.port, .first_src = 2, .nsrc = 1, .per_src = 300, .reconnect = true };
	REQUIRE(pthread_create(&th, NULL, crowd_run, &c) == 0);
	abuse_sleep_ms(2500); /* past one request deadline */
	abuse_fresh_gets(a.port, 30, &attack);
	unsigned held = c.alive;
	server_figures(&a, "slowloris from 127.0.0.2");
	atomic_store(&c.stop, true);
	pthread_join(th, NULL);
	baseline_after(&a, 15, &base);
	test_note("the slow client opened %llu connections (300 at once, each closed one opened again); %u were open "
		  "at the end",
		  c.opened, held);
	CHECK(held <= 16 + 2); /* its own limit (a closing one may still look open) */
	CHECK(c.closed >= 300 - 16);
	CHECK(abuse_report("slowloris, one address", &base, &attack, abuse_crowd_bound_ms(&base, cfg.request_ms)));
	abuse_issuer_stop(&a);
}

TEST(abuse, slowloris_from_many_addresses)
{
	struct abuse_issuer a;
	struct obol_issuer_config cfg = { .max_conns = 96, .max_conns_per_ip = 8, .request_ms = 3000 };
	struct abuse_latency base, attack;
	static struct crowd c;
	pthread_t th;
	REQUIRE(abuse_issuer_start(test_db_url_new("issuer"), &cfg, &a));
	abuse_fresh_gets(a.port, 15, &base);
	/* 40 addresses, 8 each: 320 connections for 96 places, each one the
	 * issuer closes opened again (CROWD_REOPEN_PER_ROUND). */
	c = (struct crowd){ .port = a.port, .first_src = 10, .nsrc = 40, .per_src = 8, .reconnect = true };
	REQUIRE(pthread_create(&th, NULL, crowd_run, &c) == 0);
	abuse_sleep_ms(1500);
	abuse_fresh_gets(a.port, 30, &attack);
	server_figures(&a, "slowloris from 40 addresses");
	atomic_store(&c.stop, true);
	pthread_join(th, NULL);
	baseline_after(&a, 15, &base);
	test_note("the slow clients opened %llu connections, saw %llu closed", c.opened, c.closed);
	CHECK(c.closed > 0);
	CHECK(abuse_report("slowloris, 40 addresses", &base, &attack, abuse_crowd_bound_ms(&base, cfg.request_ms)));
	abuse_issuer_stop(&a);
}

/* ---- what libmicrohttpd refuses itself ---- */

/* The answer's status line starts with "HTTP/1.x STATUS", its body is
 * JSON naming err. */
static bool answered(const char *resp, unsigned status, obol_err err)
{
	char want_status[16], want_name[96];
	snprintf(want_status, sizeof want_status, " %u ", status);
	snprintf(want_name, sizeof want_name, "\"name\":\"%s\"", obol_strerror(err));
	const char *body = strstr(resp, "\r\n\r\n");
	bool ok = strncmp(resp, "HTTP/1.", 7) == 0 && strncmp(resp + 8, want_status, strlen(want_status)) == 0 &&
		  body != NULL && strstr(body, want_name) != NULL &&
		  strstr(resp, "Content-Type: application/json") != NULL;
	if (!ok)
		test_note("want %u %s, got: %.300s", status, obol_strerror(err), resp);
	return ok;
}

TEST(abuse, refusals_carry_obol_error_bodies)
{
	struct abuse_issuer a;
	struct obol_issuer_config cfg = { 0 };
	bool closed;
	char *r;
	REQUIRE(abuse_issuer_start(test_db_url_new("issuer"), &cfg, &a));

	/* Headers larger than a connection's memory: 431. */
	size_t big = 100 * 1024;
	char *huge = malloc(big + 128);
	REQUIRE(huge != NULL);
	int n = snprintf(huge, 128, "GET /keys HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(huge + n, 'a', big);
	memcpy(huge + n + big, "\r\n\r\n", 5);
	r = abuse_exchange(a.port, huge, strlen(huge), &closed);
	CHECK(answered(r, 431, OBOL_E_HTTP_HEADER_TOO_LARGE));
	free(r);
	free(huge);

	/* A header line that is no header, and a chunked body whose chunk
	 * size is no number: 400. */
	static const char garbage[] = "GET /keys HTTP/1.1\r\nBad Header Line\r\n\r\n";
	r = abuse_exchange(a.port, garbage, strlen(garbage), &closed);
	CHECK(answered(r, 400, OBOL_E_HTTP_MALFORMED_REQUEST));
	free(r);
	static const char bad_chunk[] = "POST /account/payout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
					"zz\r\n{}\r\n0\r\n\r\n";
	r = abuse_exchange(a.port, bad_chunk, strlen(bad_chunk), &closed);
	CHECK(answered(r, 400, OBOL_E_HTTP_MALFORMED_REQUEST));
	free(r);

	/* A Content-Length that is no number, and one beyond 64 bits. */
	static const char bad_len[] = "POST /account/payout HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n";
	r = abuse_exchange(a.port, bad_len, strlen(bad_len), &closed);
	CHECK(answered(r, 400, OBOL_E_HTTP_MALFORMED_REQUEST));
	free(r);
	static const char huge_len[] = "POST /account/payout HTTP/1.1\r\nHost: x\r\n"
				       "Content-Length: 999999999999999999999999\r\n\r\n";
	r = abuse_exchange(a.port, huge_len, strlen(huge_len), &closed);
	CHECK(answered(r, 413, OBOL_E_WIRE_OVERSIZED));
	free(r);

	/* Content-Length and Transfer-Encoding together: refused, and the
	 * connection closed, whatever follows (here a smuggled request). */
	static const char smuggle[] = "POST /account/payout HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
				      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /keys HTTP/1.1\r\nHost: x\r\n\r\n";
	r = abuse_exchange(a.port, smuggle, strlen(smuggle), &closed);
	CHECK(answered(r, 400, OBOL_E_HTTP_AMBIGUOUS_LENGTH));
	CHECK(closed);
	CHECK(strstr(r, "\"master_pk\"") == NULL); /* the second request was not served */
	free(r);
	abuse_issuer_stop(&a);
}
