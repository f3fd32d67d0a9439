/* The in-memory metrics and the text format (metrics.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "console/metrics.h"
#include "core/clock.h"
#include "core/version.h"

/* Latency bounds in microseconds (the histograms' "le", in seconds). */
static const uint64_t lat_us[] = { 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
				   1000000, 2500000, 5000000, 10000000 };
#define NLAT (sizeof lat_us / sizeof lat_us[0])
static const uint64_t units_le[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024 };
#define NUNITS (sizeof units_le / sizeof units_le[0])

#define ROUTES_MAX 128
#define CODES_MAX 8
#define LISTENERS_MAX 4
#define SCHEMES_MAX 8

struct hist {
	uint64_t bucket[NLAT + 1]; /* the last: above every bound */
	uint64_t count, sum_ns;
};

struct route_series {
	const char *listener, *method, *route; /* static strings */
	struct {
		unsigned status;
		uint64_t count;
	} codes[CODES_MAX];
	struct hist lat;
};

struct slot {
	int64_t t;
	uint64_t requests, errors;
	uint32_t bucket[NLAT + 1];
};

struct listener_series {
	const char *name;
	struct slot slots[OBOL_SERIES_SLOTS];
};

struct outbox_counts {
	char scheme[16];
	uint64_t ok, refused, retry;
};

static struct {
	pthread_mutex_t mu;
	struct route_series routes[ROUTES_MAX];
	size_t nroutes;
	struct listener_series listeners[LISTENERS_MAX];
	size_t nlisteners;
	uint64_t batch_units_bucket[NUNITS + 1], batch_count, batch_units_sum;
	struct hist batch_lat;
	struct outbox_counts outbox[SCHEMES_MAX];
	size_t noutbox;
	int64_t issuer_answer, issuer_failure;
	obol_err issuer_error;
	uint64_t logins[OBOL_LOGIN_BUSY + 1];
	int64_t started;
} m = { .mu = PTHREAD_MUTEX_INITIALIZER };

__attribute__((constructor)) static void metrics_start(void)
{
	m.started = obol_now();
}

static size_t lat_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	size_t i = 0;
	while (i < NLAT && us > lat_us[i])
		i++;
	return i;
}

static void hist_add(struct hist *h, uint64_t ns)
{
	h->bucket[lat_bucket(ns)]++;
	h->count++;
	h->sum_ns += ns;
}

static const char *method_name(const char *method)
{
	static const char *const known[] = { "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS" };
	for (size_t i = 0; method != NULL && i < sizeof known / sizeof known[0]; i++)
		if (strcmp(method, known[i]) == 0)
			return known[i];
	return "OTHER";
}

/* The series of (listener, method, route); the last slot is "(other)". */
static struct route_series *route_of(const char *listener, const char *method, const char *route)
{
	for (size_t i = 0; i < m.nroutes; i++) {
		struct route_series *r = &m.routes[i];
		if (r->method == method && strcmp(r->listener, listener) == 0 && strcmp(r->route, route) == 0)
			return r;
	}
	if (m.nroutes < ROUTES_MAX - 1) {
		struct route_series *r = &m.routes[m.nroutes++];
		r->listener = listener;
		r->method = method;
		r->route = route;
		return r;
	}
	struct route_series *other = &m.routes[ROUTES_MAX - 1];
	other->listener = "(other)";
	other->method = "OTHER";
	other->route = "(other)";
	m.nroutes = ROUTES_MAX;
	return other;
}

static struct listener_series *listener_of(const char *name, bool add)
{
	for (size_t i = 0; i < m.nlisteners; i++)
		if (strcmp(m.listeners[i].name, name) == 0)
			return &m.listeners[i];
	if (!add || m.nlisteners == LISTENERS_MAX)
		return NULL;
	m.listeners[m.nlisteners].name = name;
	return &m.listeners[m.nlisteners++];
}

void obol_metrics_http(const char *listener, const char *method, const char *route, unsigned status,
		       uint64_t elapsed_ns)
{
	int64_t step = obol_now() / OBOL_SERIES_STEP_S * OBOL_SERIES_STEP_S;
	listener = listener != NULL ? listener : "api";
	pthread_mutex_lock(&m.mu);
	struct route_series *r = route_of(listener, method_name(method), route != NULL ? route : "(none)");
	size_t c = 0;
	while (c < CODES_MAX - 1 && r->codes[c].status != 0 && r->codes[c].status != status)
		c++;
	if (r->codes[c].status == 0)
		r->codes[c].status = status;
	r->codes[c].count++; /* the last slot takes every further code */
	hist_add(&r->lat, elapsed_ns);
	struct listener_series *l = listener_of(listener, true);
	if (l != NULL) {
		struct slot *s = &l->slots[(uint64_t)(step / OBOL_SERIES_STEP_S) % OBOL_SERIES_SLOTS];
		if (s->t != step)
			memset(s, 0, sizeof *s);
		s->t = step;
		s->requests++;
		s->errors += status >= 500;
		s->bucket[lat_bucket(elapsed_ns)]++;
	}
	pthread_mutex_unlock(&m.mu);
}

void obol_metrics_batch(size_t units, uint64_t elapsed_ns)
{
	size_t i = 0;
	while (i < NUNITS && units > units_le[i])
		i++;
	pthread_mutex_lock(&m.mu);
	m.batch_units_bucket[i]++;
	m.batch_count++;
	m.batch_units_sum += units;
	hist_add(&m.batch_lat, elapsed_ns);
	pthread_mutex_unlock(&m.mu);
}

void obol_metrics_outbox_attempt(const char *scheme, obol_err result, bool definitive)
{
	bool answered = definitive || (result != OBOL_E_NETWORK && result != OBOL_E_HTTP && result != OBOL_E_HTTP_TLS);
	int64_t now = obol_now();
	pthread_mutex_lock(&m.mu);
	struct outbox_counts *o = NULL;
	for (size_t i = 0; i < m.noutbox && o == NULL; i++)
		if (strcmp(m.outbox[i].scheme, scheme) == 0)
			o = &m.outbox[i];
	if (o == NULL && m.noutbox < SCHEMES_MAX) {
		o = &m.outbox[m.noutbox++];
		snprintf(o->scheme, sizeof o->scheme, "%s", scheme);
	}
	if (o != NULL) {
		if (!definitive)
			o->retry++;
		else if (result == OBOL_OK)
			o->ok++;
		else
			o->refused++;
	}
	if (answered) {
		m.issuer_answer = now;
	} else {
		m.issuer_failure = now;
		m.issuer_error = result;
	}
	pthread_mutex_unlock(&m.mu);
}

void obol_metrics_login(enum obol_metrics_login what)
{
	pthread_mutex_lock(&m.mu);
	m.logins[what]++;
	pthread_mutex_unlock(&m.mu);
}

void obol_metrics_issuer_contact(int64_t *last_answer, int64_t *last_failure, obol_err *last_error)
{
	pthread_mutex_lock(&m.mu);
	*last_answer = m.issuer_answer;
	*last_failure = m.issuer_failure;
	*last_error = m.issuer_error;
	pthread_mutex_unlock(&m.mu);
}

/* The upper bound (µs) of the bucket where the q-th share of n falls. */
static uint64_t quantile(const uint32_t *bucket, uint64_t n, unsigned percent)
{
	uint64_t want = (n * percent + 99) / 100, seen = 0;
	for (size_t i = 0; i <= NLAT; i++) {
		seen += bucket[i];
		if (seen >= want && want > 0)
			return i < NLAT ? lat_us[i] : lat_us[NLAT - 1] * 2;
	}
	return 0;
}

void obol_metrics_series(const char *listener, int64_t now, struct obol_series_point out[OBOL_SERIES_SLOTS])
{
	int64_t last = now / OBOL_SERIES_STEP_S * OBOL_SERIES_STEP_S;
	pthread_mutex_lock(&m.mu);
	struct listener_series *l = listener_of(listener, false);
	for (size_t i = 0; i < OBOL_SERIES_SLOTS; i++) {
		int64_t t = last - (int64_t)(OBOL_SERIES_SLOTS - 1 - i) * OBOL_SERIES_STEP_S;
		struct obol_series_point *p = &out[i];
		memset(p, 0, sizeof *p);
		p->t = t;
		const struct slot *s = l != NULL ? &l->slots[(uint64_t)(t / OBOL_SERIES_STEP_S) % OBOL_SERIES_SLOTS] : NULL;
		if (s == NULL || s->t != t)
			continue;
		p->requests = s->requests;
		p->errors = s->errors;
		p->p50_us = quantile(s->bucket, s->requests, 50);
		p->p95_us = quantile(s->bucket, s->requests, 95);
	}
	pthread_mutex_unlock(&m.mu);
}

/* ---- the text format -------------------------------------------------------------- */

void obol_metrics_header(struct obol_buf *out, const char *name, const char *type, const char *help)
{
	obol_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void obol_metrics_label(struct obol_buf *out, const char *v)
{
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '\\')
			obol_buf_add(out, "\\\\");
		else if (*p == '"')
			obol_buf_add(out, "\\\"");
		else if (*p == '\n')
			obol_buf_add(out, "\\n");
		else
			obol_buf_addn(out, p, 1);
	}
}

void obol_metrics_fixed(struct obol_buf *out, int64_t v, unsigned decimals)
{
	uint64_t scale = 1, mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	for (unsigned i = 0; i < decimals; i++)
		scale *= 10;
	uint64_t whole = mag / scale, frac = mag % scale;
	obol_buf_printf(out, "%s%llu", v < 0 ? "-" : "", (unsigned long long)whole);
	if (frac == 0)
		return;
	char digits[24];
	snprintf(digits, sizeof digits, "%0*llu", (int)decimals, (unsigned long long)frac);
	size_t n = strlen(digits);
	while (n > 0 && digits[n - 1] == '0')
		n--;
	obol_buf_add(out, ".");
	obol_buf_addn(out, digits, n);
}

/* `name_bucket{labels,le="..."} n` lines of a histogram, then _sum and
 * _count; labels is "" or `a="b",` (with the trailing comma). */
static void write_hist(struct obol_buf *out, const char *name, const char *labels, const uint64_t *bucket,
		       const uint64_t *le, size_t nle, unsigned le_decimals, uint64_t count, const char *sum)
{
	uint64_t cum = 0;
	for (size_t i = 0; i <= nle; i++) {
		cum += bucket[i];
		obol_buf_printf(out, "%s_bucket{%sle=\"", name, labels);
		if (i < nle)
			obol_metrics_fixed(out, (int64_t)le[i], le_decimals);
		else
			obol_buf_add(out, "+Inf");
		obol_buf_printf(out, "\"} %llu\n", (unsigned long long)cum);
	}
	/* the labels without their trailing comma, in braces when there are any */
	int n = (int)strlen(labels);
	const char *open = n > 0 ? "{" : "", *close = n > 0 ? "}" : "";
	n = n > 0 ? n - 1 : 0;
	obol_buf_printf(out, "%s_sum%s%.*s%s %s\n%s_count%s%.*s%s %llu\n", name, open, n, labels, close, sum, name, open,
			n, labels, close, (unsigned long long)count);
}

/* The labels of a route series, `listener="..",route="..",method="..",`. */
static void route_labels(struct obol_buf *lb, const struct route_series *r)
{
	obol_buf_add(lb, "listener=\"");
	obol_metrics_label(lb, r->listener);
	obol_buf_add(lb, "\",route=\"");
	obol_metrics_label(lb, r->route);
	obol_buf_printf(lb, "\",method=\"%s\",", r->method);
}

static void sum_seconds(char out[32], uint64_t ns)
{
	snprintf(out, 32, "%llu.%09llu", (unsigned long long)(ns / 1000000000u), (unsigned long long)(ns % 1000000000u));
}

void obol_metrics_write(struct obol_buf *out)
{
	char sum[32];
	struct obol_buf lb = { 0 };
	pthread_mutex_lock(&m.mu);
	obol_metrics_header(out, "obol_build_info", "gauge", "obol's version (always 1).");
	obol_buf_printf(out, "obol_build_info{version=\"%s\"} 1\n", OBOL_VERSION);
	obol_metrics_header(out, "obol_process_start_time_seconds", "gauge", "When the daemon started (Unix time).");
	obol_buf_printf(out, "obol_process_start_time_seconds %lld\n", (long long)m.started);

	obol_metrics_header(out, "obol_http_requests_total", "counter",
			    "HTTP requests answered, by listener, route, method and status code.");
	for (size_t i = 0; i < m.nroutes; i++) {
		const struct route_series *r = &m.routes[i];
		for (size_t c = 0; c < CODES_MAX && r->codes[c].status != 0; c++) {
			lb.len = 0;
			route_labels(&lb, r);
			obol_buf_printf(out, "obol_http_requests_total{%scode=\"%u\"} %llu\n", lb.p != NULL ? lb.p : "",
					r->codes[c].status, (unsigned long long)r->codes[c].count);
		}
	}
	obol_metrics_header(out, "obol_http_request_duration_seconds", "histogram",
			    "Time from a request's first byte to its answer, by listener, route and method.");
	for (size_t i = 0; i < m.nroutes; i++) {
		const struct route_series *r = &m.routes[i];
		lb.len = 0;
		route_labels(&lb, r);
		sum_seconds(sum, r->lat.sum_ns);
		write_hist(out, "obol_http_request_duration_seconds", lb.p != NULL ? lb.p : "", r->lat.bucket, lat_us,
			   NLAT, 6, r->lat.count, sum);
	}
	obol_metrics_header(out, "obol_store_batch_units", "histogram",
			    "Units of work per group-commit transaction (src/store/batch.h).");
	char usum[32];
	snprintf(usum, sizeof usum, "%llu", (unsigned long long)m.batch_units_sum);
	write_hist(out, "obol_store_batch_units", "", m.batch_units_bucket, units_le, NUNITS, 0, m.batch_count, usum);
	obol_metrics_header(out, "obol_store_batch_duration_seconds", "histogram",
			    "Time to run and durably commit one group-commit transaction.");
	sum_seconds(sum, m.batch_lat.sum_ns);
	write_hist(out, "obol_store_batch_duration_seconds", "", m.batch_lat.bucket, lat_us, NLAT, 6,
		   m.batch_lat.count, sum);
	if (m.noutbox > 0) {
		obol_metrics_header(out, "obol_outbox_attempts_total", "counter",
				    "Outbox deliveries to the issuer, by scheme and result (ok, refused: a definitive "
				    "error; retry: no definitive answer).");
		for (size_t i = 0; i < m.noutbox; i++) {
			const struct outbox_counts *o = &m.outbox[i];
			obol_buf_printf(out,
					"obol_outbox_attempts_total{scheme=\"%s\",result=\"ok\"} %llu\n"
					"obol_outbox_attempts_total{scheme=\"%s\",result=\"refused\"} %llu\n"
					"obol_outbox_attempts_total{scheme=\"%s\",result=\"retry\"} %llu\n",
					o->scheme, (unsigned long long)o->ok, o->scheme, (unsigned long long)o->refused,
					o->scheme, (unsigned long long)o->retry);
		}
	}
	obol_metrics_header(out, "obol_console_logins_total", "counter",
			    "Console logins: ok, refused (wrong name or password), limited (too many failures), "
			    "busy (as many passwords being checked as allowed).");
	obol_buf_printf(out,
			"obol_console_logins_total{result=\"ok\"} %llu\n"
			"obol_console_logins_total{result=\"refused\"} %llu\n"
			"obol_console_logins_total{result=\"limited\"} %llu\n"
			"obol_console_logins_total{result=\"busy\"} %llu\n",
			(unsigned long long)m.logins[OBOL_LOGIN_OK], (unsigned long long)m.logins[OBOL_LOGIN_REFUSED],
			(unsigned long long)m.logins[OBOL_LOGIN_LIMITED], (unsigned long long)m.logins[OBOL_LOGIN_BUSY]);
	pthread_mutex_unlock(&m.mu);
	if (lb.failed)
		out->failed = true;
	obol_buf_free(&lb);
}

void obol_metrics_reset(void)
{
	pthread_mutex_lock(&m.mu);
	int64_t started = m.started;
	memset(&m.routes, 0, sizeof m.routes);
	m.nroutes = 0;
	memset(&m.listeners, 0, sizeof m.listeners);
	m.nlisteners = 0;
	memset(m.batch_units_bucket, 0, sizeof m.batch_units_bucket);
	m.batch_count = m.batch_units_sum = 0;
	memset(&m.batch_lat, 0, sizeof m.batch_lat);
	memset(&m.outbox, 0, sizeof m.outbox);
	m.noutbox = 0;
	m.issuer_answer = m.issuer_failure = 0;
	m.issuer_error = OBOL_OK;
	memset(m.logins, 0, sizeof m.logins);
	m.started = started;
	pthread_mutex_unlock(&m.mu);
}
