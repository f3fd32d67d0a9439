/* Request rates and latencies as charts: SVG images the daemon draws from
 * its own counters (metrics.h, obol_metrics_series), the last hour in steps
 * of OBOL_SERIES_STEP_S seconds. Drawn with presentation attributes only (no
 * style attribute, no script), so that the console's Content-Security-Policy
 * holds for them too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console/html.h"
#include "console/issuer_console.h"
#include "console/metrics.h"

#define W 720
#define H 220
#define LEFT 56
#define RIGHT 12
#define TOP 24
#define BOTTOM 28

/* The smallest 1, 2 or 5 times a power of ten at or above v (at least 1). */
static uint64_t nice_max(uint64_t v)
{
	uint64_t p = 1;
	while (p * 10 <= v && p < UINT64_MAX / 100)
		p *= 10;
	for (;;) {
		if (v <= p)
			return p;
		if (v <= 2 * p)
			return 2 * p;
		if (v <= 5 * p)
			return 5 * p;
		p *= 10;
	}
}

struct line {
	const char *label, *colour;
	uint64_t v[OBOL_SERIES_SLOTS];
};

/* value v at slot i as SVG coordinates (integers: no floating point). */
static void point(struct obol_buf *out, size_t i, uint64_t v, uint64_t ymax)
{
	long x = LEFT + (long)(i * (W - LEFT - RIGHT) / (OBOL_SERIES_SLOTS - 1));
	long y = TOP + (long)(H - TOP - BOTTOM) - (long)((v > ymax ? ymax : v) * (uint64_t)(H - TOP - BOTTOM) / ymax);
	obol_buf_printf(out, "%ld,%ld ", x, y);
}

/* One chart of lines over the hour that ends at now; unit is the y axis's
 * label, divisor turns values into the unit (µs to ms: 1000). */
static void draw(struct obol_buf *out, const char *title, const char *unit, const struct line *lines, size_t nlines,
		 const struct obol_series_point *pts, uint64_t divisor)
{
	uint64_t top = 0;
	for (size_t l = 0; l < nlines; l++)
		for (size_t i = 0; i < OBOL_SERIES_SLOTS; i++)
			if (lines[l].v[i] > top)
				top = lines[l].v[i];
	uint64_t ymax = nice_max((top + divisor - 1) / divisor) * divisor;
	obol_buf_printf(out,
			"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
			"font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\">"
			"<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>",
			W, H, W, H, W, H);
	obol_buf_add(out, "<text x=\"8\" y=\"15\" font-size=\"13\" font-weight=\"bold\" fill=\"#1d2329\">");
	obol_html_escape(out, title);
	obol_buf_add(out, "</text>");
	/* the y grid: 0, half, top */
	for (int k = 0; k <= 2; k++) {
		long y = TOP + (long)(H - TOP - BOTTOM) - (long)(H - TOP - BOTTOM) * k / 2;
		obol_buf_printf(out,
				"<line x1=\"%d\" y1=\"%ld\" x2=\"%d\" y2=\"%ld\" stroke=\"#d8dee4\" stroke-width=\"1\"/>"
				"<text x=\"%d\" y=\"%ld\" text-anchor=\"end\" fill=\"#5b6670\">%llu</text>",
				LEFT, y, W - RIGHT, y, LEFT - 6, y + 4, (unsigned long long)(ymax / divisor * (uint64_t)k / 2));
	}
	obol_buf_printf(out, "<text x=\"8\" y=\"%d\" fill=\"#5b6670\">", TOP + 12);
	obol_html_escape(out, unit);
	obol_buf_add(out, "</text>");
	/* the x axis: the times of every 15 minutes */
	for (size_t i = 0; i < OBOL_SERIES_SLOTS; i++) {
		if (pts[i].t % 900 != 0)
			continue;
		char hm[8];
		struct tm tm;
		time_t t = (time_t)pts[i].t;
		if (gmtime_r(&t, &tm) == NULL || strftime(hm, sizeof hm, "%H:%M", &tm) == 0)
			continue;
		long x = LEFT + (long)(i * (W - LEFT - RIGHT) / (OBOL_SERIES_SLOTS - 1));
		obol_buf_printf(out,
				"<line x1=\"%ld\" y1=\"%d\" x2=\"%ld\" y2=\"%d\" stroke=\"#eef1f4\"/>"
				"<text x=\"%ld\" y=\"%d\" text-anchor=\"middle\" fill=\"#5b6670\">%s</text>",
				x, TOP, x, H - BOTTOM, x, H - BOTTOM + 16, hm);
	}
	for (size_t l = 0; l < nlines; l++) {
		obol_buf_printf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", lines[l].colour);
		for (size_t i = 0; i < OBOL_SERIES_SLOTS; i++)
			point(out, i, lines[l].v[i], ymax);
		obol_buf_add(out, "\"/>");
		long lx = W - RIGHT - 150 + (long)l * 75;
		obol_buf_printf(out,
				"<rect x=\"%ld\" y=\"6\" width=\"10\" height=\"10\" fill=\"%s\"/>"
				"<text x=\"%ld\" y=\"15\" fill=\"#1d2329\">",
				lx, lines[l].colour, lx + 14);
		obol_html_escape(out, lines[l].label);
		obol_buf_add(out, "</text>");
	}
	obol_buf_add(out, "</svg>\n");
}

/* GET /charts/LISTENER-requests.svg and /charts/LISTENER-latency.svg. */
obol_err obol_console_chart_image(struct obol_console_req *r)
{
	static const char *const listeners[] = { "api", "console" };
	struct obol_series_point *pts = calloc(OBOL_SERIES_SLOTS, sizeof *pts);
	struct line *lines = calloc(2, sizeof *lines);
	struct obol_buf out = { 0 }, headers = { 0 };
	const char *listener = NULL;
	bool latency = false;
	obol_err e = OBOL_E_HTTP_NOT_FOUND;
	if (pts == NULL || lines == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	for (size_t i = 0; i < sizeof listeners / sizeof listeners[0]; i++) {
		size_t n = strlen(listeners[i]);
		if (strncmp(r->tail, listeners[i], n) != 0)
			continue;
		if (strcmp(r->tail + n, "-requests.svg") == 0)
			listener = listeners[i];
		else if (strcmp(r->tail + n, "-latency.svg") == 0)
			listener = listeners[i], latency = true;
	}
	if (listener == NULL)
		goto out;
	obol_metrics_series(listener, r->now, pts);
	for (size_t i = 0; i < OBOL_SERIES_SLOTS; i++) {
		lines[0].v[i] = latency ? pts[i].p50_us : pts[i].requests;
		lines[1].v[i] = latency ? pts[i].p95_us : pts[i].errors;
	}
	lines[0].label = latency ? "median" : "requests";
	lines[0].colour = "#1f5f99";
	lines[1].label = latency ? "95th pct" : "5xx";
	lines[1].colour = latency ? "#9a6700" : "#b3261e";
	if (latency)
		draw(&out, "Latency (upper bound of the histogram bucket)", "ms", lines, 2, pts, 1000);
	else
		draw(&out, "Requests per 10 s", "requests", lines, 2, pts, 1);
	/* The image's own headers: what send_text gives pages. */
	obol_buf_add(&headers, "Content-Security-Policy: default-src 'none'\n"
			       "X-Content-Type-Options: nosniff\nCache-Control: no-store\n");
	if ((e = obol_buf_error(&out)) != OBOL_OK || (e = obol_buf_error(&headers)) != OBOL_OK)
		goto out;
	size_t len;
	r->rep->raw = (uint8_t *)obol_buf_take(&out, &len);
	r->rep->raw_len = len;
	r->rep->headers = obol_buf_take(&headers, &len);
	r->rep->content_type = "image/svg+xml";
	e = r->rep->raw != NULL && r->rep->headers != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
out:
	obol_buf_free(&out);
	obol_buf_free(&headers);
	free(lines);
	free(pts);
	return e;
}

obol_err obol_console_issuer_charts(struct obol_console_req *r)
{
	obol_console_h1(r, "Traffic");
	obol_buf_add(&r->body,
		     "<p class=\"hint\">Requests to the issuer's API over the last hour, drawn by the daemon from its own "
		     "counters (they start at its start); they refresh every 10 s. The same counters are in "
		     "<a href=\"/metrics\">/metrics</a> for Prometheus.</p>"
		     "<h2>API</h2><img class=\"chart\" alt=\"API requests per 10 s\" src=\"/charts/api-requests.svg\" "
		     "data-refresh=\"/charts/api-requests.svg\" width=\"720\" height=\"220\">"
		     "<img class=\"chart\" alt=\"API latency\" src=\"/charts/api-latency.svg\" "
		     "data-refresh=\"/charts/api-latency.svg\" width=\"720\" height=\"220\">"
		     "<h2>This console</h2><img class=\"chart\" alt=\"console requests per 10 s\" "
		     "src=\"/charts/console-requests.svg\" data-refresh=\"/charts/console-requests.svg\" width=\"720\" "
		     "height=\"220\">");
	return OBOL_OK;
}
