/* A man in the middle of the device link (THREATS.md: "on the device link:
 * read, drop, delay, duplicate, reorder, inject and replay frames"). It
 * listens where the wallet thinks the vendor is, connects to the real vendor
 * and relays the bytes, deviating as told:
 *
 *   watch       relays everything and keeps what it saw: it counts the units
 *               that read as device-link frames in clear and looks for the
 *               strings given with --look-for
 *   flip        flips one bit of record --at in direction --dir
 *   replay      sends record --at twice
 *   reorder     holds record --at back and sends it after the next one
 *   drop        never sends record --at
 *   downgrade   answers the wallet's handshake itself, as a version 1 vendor
 *               (plain frames) would: with a v1 ERROR frame
 *   impostor    answers the handshake itself with the vendor's genuine
 *               certificate (--cert) and a static key of its own
 *   impostor-key  the same with the certificate's own box key, whose private
 *               half it does not have
 *
 * Records are counted from 0 per direction (w2v: wallet to vendor, v2w: the
 * other way) after the two handshake frames, which are relayed untouched.
 * It serves --count connections (default 1) and prints, per connection,
 * "records_w2v", "records_v2w", "deviated" (yes/no: the scripted deviation
 * took place), then "frames_in_clear" and "seen_STRING" (yes/no) over all. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attack.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "schemes/common/vendor_cert.h"
#include "net/http_server.h"
#include "vendor/vendor.h"

#define LOOK_MAX 8
#define CAPTURE_MAX (4u << 20)

enum mode { WATCH, FLIP, REPLAY, REORDER, DROP, DOWNGRADE, IMPOSTOR, IMPOSTOR_KEY };
static const char *const mode_names[] = { "watch", "flip", "replay", "reorder", "drop", "downgrade", "impostor",
					  "impostor-key" };

struct opts {
	const char *listen, *vendor, *cert_dir;
	enum mode mode;
	int dir_w2v; /* the direction deviated: 1 wallet->vendor, 0 the other */
	unsigned at, count;
	const char *look[LOOK_MAX];
	size_t nlook;
};

/* One direction of the relay: bytes in, whole units out. */
struct pipe {
	int from, to;
	bool w2v;
	uint8_t buf[2 + 65536 + 4];
	size_t have;
	unsigned handshake_left; /* clear frames (4-byte length) before the records */
	unsigned records;
	uint8_t held[2 + 65536];
	size_t held_len;
};

static uint8_t *capture;
static size_t capture_len;
static bool deviated;

static void keep(const uint8_t *p, size_t n)
{
	if (capture_len + n <= CAPTURE_MAX) {
		memcpy(capture + capture_len, p, n);
		capture_len += n;
	}
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Forwards one whole unit (a clear frame or a record), deviating as told. */
static int forward(struct pipe *p, const struct opts *o, uint8_t *u, size_t n)
{
	bool clear = p->handshake_left > 0;
	keep(u, n);
	if (clear) {
		p->handshake_left--;
		return send_all(p->to, u, n);
	}
	unsigned i = p->records++;
	bool target = o->mode != WATCH && (o->dir_w2v != 0) == p->w2v && i == o->at;
	if (p->held_len > 0 && i == o->at + 1) {
		/* reorder: the next one first, then the one held back */
		int r = send_all(p->to, u, n) == 0 && send_all(p->to, p->held, p->held_len) == 0 ? 0 : -1;
		p->held_len = 0;
		deviated = true;
		return r;
	}
	if (!target)
		return send_all(p->to, u, n);
	switch (o->mode) {
	case FLIP:
		u[n / 2] ^= 0x04;
		deviated = true;
		return send_all(p->to, u, n);
	case REPLAY:
		deviated = true;
		return send_all(p->to, u, n) == 0 && send_all(p->to, u, n) == 0 ? 0 : -1;
	case REORDER:
		memcpy(p->held, u, n);
		p->held_len = n;
		return 0;
	case DROP:
		deviated = true;
		return 0;
	default:
		return send_all(p->to, u, n);
	}
}

/* Reads what is there and forwards each whole unit. -1 at the end. */
static int pump(struct pipe *p, const struct opts *o)
{
	ssize_t r = read(p->from, p->buf + p->have, sizeof p->buf - p->have);
	if (r <= 0)
		return -1;
	p->have += (size_t)r;
	for (;;) {
		size_t hdr = p->handshake_left > 0 ? 4 : 2, need;
		if (p->have < hdr)
			return 0;
		need = hdr == 4 ? hdr + ((size_t)p->buf[0] << 24 | (size_t)p->buf[1] << 16 | (size_t)p->buf[2] << 8 |
					 p->buf[3])
				: hdr + ((size_t)p->buf[0] << 8 | p->buf[1]);
		if (need > sizeof p->buf)
			return -1;
		if (p->have < need)
			return 0;
		if (forward(p, o, p->buf, need) != 0)
			return -1;
		memmove(p->buf, p->buf + need, p->have - need);
		p->have -= need;
	}
}

/* A plain TCP connection to HOST:PORT. */
static int tcp_connect(const char *addr)
{
	char host[64];
	uint16_t port;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	if (obol_parse_hostport(addr, host, &port) != OBOL_OK || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	sa.sin_port = htons(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Relays one connection until either side closes. */
static void relay(int wallet, const struct opts *o)
{
	static struct pipe w2v, v2w;
	int vendor = tcp_connect(o->vendor);
	if (vendor < 0) {
		fprintf(stderr, "link-mitm: cannot reach the vendor at %s\n", o->vendor);
		return;
	}
	memset(&w2v, 0, sizeof w2v);
	memset(&v2w, 0, sizeof v2w);
	w2v = (struct pipe){ .from = wallet, .to = vendor, .w2v = true, .handshake_left = 1 };
	v2w = (struct pipe){ .from = vendor, .to = wallet, .w2v = false, .handshake_left = 1 };
	for (;;) {
		struct pollfd p[2] = { { .fd = wallet, .events = POLLIN }, { .fd = vendor, .events = POLLIN } };
		if (poll(p, 2, 30000) <= 0)
			break;
		if ((p[0].revents & (POLLIN | POLLHUP)) && pump(&w2v, o) != 0)
			break;
		if ((p[1].revents & (POLLIN | POLLHUP)) && pump(&v2w, o) != 0)
			break;
	}
	printf("records_w2v: %u\nrecords_v2w: %u\n", w2v.records, v2w.records);
	close(vendor);
}

/* The handshake answered by the attacker itself. */
static void answer(int wallet, const struct opts *o)
{
	struct obol_devlink *l = NULL;
	struct obol_vendor_cert cert;
	struct obol_box_keypair key;
	uint8_t cbor[OBOL_VENDOR_CERT_MAX];
	size_t len;
	if (o->mode == DOWNGRADE) {
		/* What a version 1 vendor answers to a version 2 HELLO. */
		static const uint8_t v1[] = { 0,   0,   0,   21,  0x83, 1,   1,   0xa2, 1,   0x18, 0xd1, 2, 0x6c,
					      'W', 'I', 'R', 'E', '_',  'V', 'E', 'R',  'S', 'I',  'O',  'N' };
		uint8_t hello[256];
		if (read(wallet, hello, sizeof hello) > 0 && send_all(wallet, v1, sizeof v1) == 0)
			deviated = true;
		close(wallet);
		return;
	}
	if (obol_vendor_cert_load(o->cert_dir, &cert) != OBOL_OK ||
	    obol_vendor_cert_encode(&cert, cbor, sizeof cbor, &len) != OBOL_OK) {
		fprintf(stderr, "link-mitm: no certificate in %s\n", o->cert_dir);
		close(wallet);
		return;
	}
	obol_box_keypair_new(&key);
	if (o->mode == IMPOSTOR_KEY)
		memcpy(key.pk, cert.box_pk, OBOL_BOX_PK_LEN); /* the genuine key, without its private half */
	struct obol_devlink_identity me = { .key = &key, .kind = OBOL_DL_CRED_VENDOR, .cred = cbor, .cred_len = len };
	if (obol_devlink_from_fd(wallet, 3000, &l) != OBOL_OK)
		return;
	obol_err e = obol_devlink_respond(l, &me);
	deviated = true;
	printf("impostor_handshake: %s\n", obol_strerror(e));
	if (e == OBOL_OK) { /* never expected: then it reads what the wallet sends */
		uint32_t type;
		const uint8_t *body;
		size_t blen;
		while (obol_devlink_read(l, &type, &body, &blen) == OBOL_OK)
			printf("impostor_read_type: %u\n", (unsigned)type);
	}
	obol_devlink_close(l);
	OBOL_WIPE(key);
}

/* How many units of the capture read as device-link frames in clear (of
 * version 1 or 2: CBOR [type, version, body]), scanning at every offset. */
static unsigned frames_in_clear(void)
{
	unsigned n = 0;
	for (size_t off = 0; off + OBOL_FRAME_HEADER_LEN < capture_len; off++) {
		size_t need;
		uint32_t type;
		const uint8_t *body;
		size_t blen;
		if (obol_frame_need(capture + off, capture_len - off, &need) != OBOL_OK || need > capture_len - off ||
		    need <= OBOL_FRAME_HEADER_LEN + 3)
			continue;
		obol_err e = obol_frame_decode(capture + off, need, &type, &body, &blen);
		if ((e == OBOL_OK || e == OBOL_E_WIRE_VERSION) && type >= OBOL_DL_COUPON_MIN)
			n++;
	}
	return n;
}

static int run(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' }, { "vendor", required_argument, NULL, 'v' },
		{ "mode", required_argument, NULL, 'm' },   { "dir", required_argument, NULL, 'd' },
		{ "at", required_argument, NULL, 'a' },     { "count", required_argument, NULL, 'c' },
		{ "cert-dir", required_argument, NULL, 'C' }, { "look-for", required_argument, NULL, 'L' },
		{ 0, 0, 0, 0 },
	};
	struct opts o = { .listen = "127.0.0.1:0", .dir_w2v = 1, .count = 1 };
	const char *mode = "watch";
	int c, lfd;
	uint16_t port;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'v': o.vendor = optarg; break;
		case 'm': mode = optarg; break;
		case 'd': o.dir_w2v = strcmp(optarg, "w2v") == 0; break;
		case 'a': o.at = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'c': o.count = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'C': o.cert_dir = optarg; break;
		case 'L':
			if (o.nlook < LOOK_MAX)
				o.look[o.nlook++] = optarg;
			break;
		default: return 2;
		}
	}
	size_t m = 0;
	while (m < sizeof mode_names / sizeof *mode_names && strcmp(mode_names[m], mode) != 0)
		m++;
	if (m == sizeof mode_names / sizeof *mode_names)
		return 2;
	o.mode = (enum mode)m;
	if ((o.mode < DOWNGRADE && o.vendor == NULL) || (o.mode >= IMPOSTOR && o.cert_dir == NULL))
		return 2;
	if (obol_crypto_init() != OBOL_OK || (capture = malloc(CAPTURE_MAX)) == NULL)
		return 1;
	if (obol_devlink_listen(o.listen, &lfd, &port) != OBOL_OK)
		return 1;
	char host[64];
	uint16_t want;
	if (obol_parse_hostport(o.listen, host, &want) != OBOL_OK)
		return 2;
	printf("listening on %s:%u\n", host, port);
	fflush(stdout);
	for (unsigned i = 0; i < o.count; i++) {
		struct obol_devlink *l = NULL;
		if (obol_devlink_accept(lfd, 60000, 3000, &l) != OBOL_OK)
			break;
		/* Take the socket back from the link object: the relay works on bytes. */
		int fd = dup(obol_devlink_fd(l));
		obol_devlink_close(l);
		if (fd < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
			break;
		if (o.mode >= DOWNGRADE)
			answer(fd, &o);
		else
			relay(fd, &o);
		close(fd);
		fflush(stdout);
	}
	printf("deviated: %s\nframes_in_clear: %u\n", deviated ? "yes" : "no", frames_in_clear());
	for (size_t i = 0; i < o.nlook; i++)
		printf("seen_%s: %s\n", o.look[i],
		       memmem(capture, capture_len, o.look[i], strlen(o.look[i])) != NULL ? "yes" : "no");
	close(lfd);
	free(capture);
	return 0;
}

OBOL_ATTACK(link_mitm_attack, "link-mitm",
	    "--vendor HOST:PORT [--listen HOST:PORT] [--mode watch|flip|replay|reorder|drop|downgrade|impostor|"
	    "impostor-key] [--dir w2v|v2w] [--at N] [--count N] [--cert-dir DIR] [--look-for TEXT]...",
	    "a man in the middle of the device link: watches, changes, replays, reorders, drops, downgrades or "
	    "answers for the vendor",
	    run)
