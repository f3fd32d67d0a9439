/* The wallet state file: sealed JSON, atomic replace, exclusive lock
 * (contract in file.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core/fault.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/common/issuer_sig.h"
#include "schemes/common/key_announce.h"
#include "wallet/file.h"
#include "wallet/prune.h"
#include "wallet/payer.h"

#define WALLET_VERSION 1
#define WALLET_MAX (16u * 1024 * 1024) /* bytes of a sealed wallet file */
#define PASS_MAX 1024

struct obol_wallet {
	char path[PATH_MAX];
	int lock_fd;
	json_t *doc;
	struct obol_filekey key; /* secret */
	struct obol_payer *payer; /* made at the first obol_wallet_payer */
};

/* ---- secrets in JSON ----------------------------------------------------------- */

/* Overwrites every string of a document (keys stay: they are not secret). */
static void wipe_json(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	if (json_is_string(j)) {
		obol_wipe((char *)json_string_value(j), json_string_length(j));
	} else if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			wipe_json(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			wipe_json(v);
	}
}

static void free_doc(json_t *doc)
{
	if (doc != NULL && doc->refcount == 1)
		wipe_json(doc);
	json_decref(doc);
}

/* ---- keys ------------------------------------------------------------------------ */

/* Reads a passphrase from the terminal without echo. */
static obol_err prompt(const char *text, char *buf, size_t cap)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	if (tty == NULL)
		return OBOL_E_PASSPHRASE_MISSING;
	int fd = fileno(tty);
	fprintf(tty, "%s", text);
	fflush(tty);
	bool restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	char *r = fgets(buf, (int)cap, tty);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	fprintf(tty, "\n");
	fclose(tty);
	if (r == NULL)
		return OBOL_E_PASSPHRASE_MISSING;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] != '\0' ? OBOL_OK : OBOL_E_PASSPHRASE_MISSING;
}

/* The passphrase from OBOL_PASSPHRASE or the terminal (twice when confirm). */
static obol_err get_passphrase(char buf[PASS_MAX], bool confirm)
{
	const char *env = getenv("OBOL_PASSPHRASE");
	if (env != NULL && env[0] != '\0')
		return obol_strlcpy_checked(buf, env, PASS_MAX) == OBOL_OK ? OBOL_OK : OBOL_E_PARSE_TOO_LONG;
	if (!isatty(STDIN_FILENO))
		return OBOL_E_PASSPHRASE_MISSING;
	obol_err e = prompt("wallet passphrase: ", buf, PASS_MAX);
	if (e != OBOL_OK || !confirm)
		return e;
	char again[PASS_MAX];
	e = prompt("again: ", again, sizeof again);
	if (e == OBOL_OK && strcmp(again, buf) != 0)
		e = OBOL_E_PASSPHRASE_MISSING;
	OBOL_WIPE(again);
	return e;
}

/* A key file: 32 raw bytes, or 43 characters of base64url (a newline may follow). */
static obol_err read_key_file(const char *path, struct obol_filekey *k)
{
	uint8_t buf[128], key[OBOL_FILEKEY_LEN];
	size_t n = 0, len;
	obol_err e = OBOL_OK;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return OBOL_E_CONFIG;
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	if (n == OBOL_FILEKEY_LEN) {
		memcpy(key, buf, sizeof key);
	} else {
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		if (n >= sizeof buf) {
			e = OBOL_E_CONFIG;
			goto out;
		}
		buf[n] = '\0';
		if (obol_b64_decode((const char *)buf, key, sizeof key, &len, 1) != OBOL_OK) {
			e = OBOL_E_CONFIG;
			goto out;
		}
	}
	obol_filekey_from_bytes(k, key);
out:
	OBOL_WIPE(buf);
	OBOL_WIPE(key);
	return e;
}

/* ---- files --------------------------------------------------------------------------- */

static obol_err lock_wallet(struct obol_wallet *w)
{
	char lp[PATH_MAX + 8];
	if (snprintf(lp, sizeof lp, "%s.lock", w->path) >= (int)sizeof lp)
		return OBOL_E_INVALID_ARGUMENT;
	w->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (w->lock_fd < 0)
		return OBOL_E_WALLET_FILE;
	if (flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0)
		return errno == EWOULDBLOCK ? OBOL_E_WALLET_LOCKED : OBOL_E_IO;
	return OBOL_OK;
}

static obol_err read_file(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return OBOL_E_WALLET_FILE;
	obol_err e = OBOL_OK;
	uint8_t *buf = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || (size_t)st.st_size > WALLET_MAX) {
		e = OBOL_E_WALLET_FILE;
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (buf == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	size_t done = 0;
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + done, (size_t)st.st_size - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = OBOL_E_IO;
			goto out;
		}
		done += (size_t)r;
	}
	*out = buf;
	*len = done;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return e;
}

/* Writes path.tmp, fsyncs, renames over path, fsyncs the directory. */
static obol_err replace_file(const char *path, const uint8_t *data, size_t len)
{
	char tmp[PATH_MAX + 8], dir[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp ||
	    obol_strlcpy_checked(dir, path, sizeof dir) != OBOL_OK)
		return OBOL_E_INVALID_ARGUMENT;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return OBOL_E_IO;
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done != len || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return OBOL_E_IO;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return OBOL_E_IO;
	}
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return OBOL_E_IO;
	int r = fsync(dfd);
	close(dfd);
	return r == 0 ? OBOL_OK : OBOL_E_IO;
}

/* ---- the issuer's announced keys ------------------------------------------------------ */

/* Registers the announcements the issuer object keeps (issuer_sig.h), each
 * verified under the pinned master key. A list that does not verify is left
 * out with a warning, never a reason to refuse the wallet: the wallet then
 * verifies as it would without it, and relearns the keys at its next fetch
 * of the key document. */
static void register_announcements(struct obol_wallet *w)
{
	json_t *iss = json_object_get(w->doc, "issuer");
	json_t *list = json_object_get(iss, "announcements");
	json_t *at = json_object_get(iss, "keys_issued_at");
	uint8_t master[OBOL_SIGN_PK_LEN];
	struct obol_key_set *set = NULL;
	obol_err e = OBOL_OK;
	if (list == NULL || obol_wallet_json_get_bytes(iss, "master_pk", master, sizeof master) != OBOL_OK)
		return;
	if (!json_is_array(list) || json_array_size(list) > OBOL_KEY_SET_MAX || !json_is_integer(at)) {
		e = OBOL_E_WALLET_FILE;
		goto out;
	}
	if ((set = malloc(sizeof *set)) == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	obol_key_set_init(set, master);
	for (size_t i = 0; i < json_array_size(list) && e == OBOL_OK; i++) {
		struct obol_key_announce a;
		const char *t = json_string_value(json_array_get(list, i));
		e = t == NULL ? OBOL_E_WALLET_FILE : obol_key_announce_from_text(t, &a);
		if (e == OBOL_OK)
			e = obol_key_set_add(set, &a);
	}
	if (e == OBOL_OK)
		e = obol_issuer_keys_register(set, json_integer_value(at));
out:
	if (e != OBOL_OK)
		obol_log_warn("wallet %s: the issuer's announced keys it keeps are not used: %s", w->path,
			      obol_strerror(e));
	free(set);
}

/* Writes into the issuer object the online keys and revocations of the set
 * registered for its master key (the newest the process verified: its own
 * list read at open, or a later key document), so the next open knows them
 * without the network. Coupon and ecash keys are not kept: the schemes keep
 * what they need of them, and issuer_sig.h checks online keys only. */
static obol_err keep_announcements(struct obol_wallet *w)
{
	json_t *iss = json_object_get(w->doc, "issuer");
	uint8_t master[OBOL_SIGN_PK_LEN];
	struct obol_key_set *set = NULL;
	json_t *list = NULL;
	int64_t at;
	char text[OBOL_KEY_ANNOUNCE_TEXT_MAX];
	obol_err e = OBOL_OK;
	if (!json_is_object(iss) || obol_wallet_json_get_bytes(iss, "master_pk", master, sizeof master) != OBOL_OK)
		return OBOL_OK;
	if ((set = malloc(sizeof *set)) == NULL)
		return OBOL_E_NO_MEMORY;
	if (obol_issuer_keys_get(master, set, &at) != OBOL_OK)
		goto out; /* none held (or evicted): the file keeps its own */
	if ((list = json_array()) == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	for (size_t i = 0; i < set->n && e == OBOL_OK; i++) {
		if (set->a[i].kind != OBOL_KEY_ONLINE && set->a[i].kind != OBOL_KEY_REVOKE)
			continue;
		if ((e = obol_key_announce_to_text(&set->a[i], text)) == OBOL_OK &&
		    json_array_append_new(list, json_string(text)) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	if (e == OBOL_OK && (json_object_set(iss, "announcements", list) != 0 ||
			     json_object_set_new(iss, "keys_issued_at", json_integer((json_int_t)at)) != 0))
		e = OBOL_E_NO_MEMORY;
out:
	json_decref(list);
	free(set);
	return e;
}

/* ---- the API ------------------------------------------------------------------------- */

static obol_err wallet_new(const char *path, struct obol_wallet **out)
{
	struct obol_wallet *w = calloc(1, sizeof *w);
	if (w == NULL)
		return OBOL_E_NO_MEMORY;
	w->lock_fd = -1;
	if (obol_strlcpy_checked(w->path, path, sizeof w->path) != OBOL_OK) {
		free(w);
		return OBOL_E_INVALID_ARGUMENT;
	}
	*out = w;
	return OBOL_OK;
}

obol_err obol_wallet_create(const char *path, const struct obol_wallet_keysrc *ks, struct obol_wallet **out)
{
	struct obol_wallet *w = NULL;
	char pass[PASS_MAX];
	obol_err e = wallet_new(path, &w);
	if (e != OBOL_OK)
		return e;
	if ((e = lock_wallet(w)) != OBOL_OK)
		goto out;
	if (access(path, F_OK) == 0) {
		e = OBOL_E_WALLET_EXISTS;
		goto out;
	}
	if (ks != NULL && ks->key_file != NULL)
		e = read_key_file(ks->key_file, &w->key);
	else if ((e = get_passphrase(pass, true)) == OBOL_OK)
		e = obol_filekey_from_passphrase(&w->key, pass, NULL, 0, 0);
	if (e != OBOL_OK)
		goto out;
	w->doc = json_pack("{s:i}", "version", WALLET_VERSION);
	if (w->doc == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	e = obol_wallet_save(w);
out:
	OBOL_WIPE(pass);
	if (e != OBOL_OK) {
		obol_wallet_close(w);
		return e;
	}
	*out = w;
	return OBOL_OK;
}

obol_err obol_wallet_open(const char *path, const struct obol_wallet_keysrc *ks, struct obol_wallet **out)
{
	struct obol_wallet *w = NULL;
	uint8_t *sealed = NULL, *plain = NULL, salt[16];
	size_t sealed_len = 0, plain_len = 0;
	char pass[PASS_MAX];
	int from_pass;
	uint32_t ops, mem;
	struct stat st;
	/* A wallet that is not there gets no lock file left beside it. */
	if (stat(path, &st) != 0)
		return OBOL_E_WALLET_FILE;
	obol_err e = wallet_new(path, &w);
	if (e != OBOL_OK)
		return e;
	if ((e = lock_wallet(w)) != OBOL_OK || (e = read_file(path, &sealed, &sealed_len)) != OBOL_OK)
		goto out;
	if (obol_fileseal_header(sealed, sealed_len, &from_pass, salt, &ops, &mem) != OBOL_OK) {
		e = OBOL_E_WALLET_FILE;
		goto out;
	}
	if (ks != NULL && ks->key_file != NULL)
		e = read_key_file(ks->key_file, &w->key);
	else if ((e = get_passphrase(pass, false)) == OBOL_OK)
		e = obol_filekey_from_passphrase(&w->key, pass, salt, ops, mem);
	if (e != OBOL_OK)
		goto out;
	if ((e = obol_fileseal_open(&w->key, sealed, sealed_len, &plain, &plain_len)) != OBOL_OK)
		goto out;
	w->doc = json_loadb((const char *)plain, plain_len, JSON_REJECT_DUPLICATES, NULL);
	json_t *ver = json_object_get(w->doc, "version");
	if (!json_is_object(w->doc) || !json_is_integer(ver) || json_integer_value(ver) != WALLET_VERSION)
		e = OBOL_E_WALLET_FILE;
	else {
		register_announcements(w);
		(void)obol_history_prune(w, OBOL_HISTORY_KEEP, OBOL_HISTORY_PRUNE_BATCH);
	}
out:
	OBOL_WIPE(pass);
	free(sealed);
	if (plain != NULL) {
		obol_wipe(plain, plain_len);
		free(plain);
	}
	if (e != OBOL_OK) {
		obol_wallet_close(w);
		return e;
	}
	*out = w;
	return OBOL_OK;
}

obol_err obol_wallet_save(struct obol_wallet *w)
{
	uint8_t *sealed = NULL;
	size_t sealed_len = 0;
	obol_err e = keep_announcements(w);
	if (e != OBOL_OK)
		return e;
	char *text = json_dumps(w->doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL)
		return OBOL_E_NO_MEMORY;
	size_t len = strlen(text);
	e = obol_fileseal_seal(&w->key, (const uint8_t *)text, len, &sealed, &sealed_len);
	obol_wipe(text, len);
	free(text);
	/* a file obol_wallet_open would refuse must never replace one it reads:
	 * that would lose everything the wallet holds */
	if (e == OBOL_OK && sealed_len > WALLET_MAX)
		e = OBOL_E_WALLET_TOO_LARGE;
	if (e == OBOL_OK && (e = obol_fault_point("wallet save")) == OBOL_OK)
		e = replace_file(w->path, sealed, sealed_len);
	free(sealed);
	return e;
}

void obol_wallet_close(struct obol_wallet *w)
{
	if (w == NULL)
		return;
	obol_payer_free(w->payer);
	free_doc(w->doc);
	obol_filekey_wipe(&w->key);
	if (w->lock_fd >= 0)
		close(w->lock_fd); /* releases the flock */
	free(w);
}

json_t *obol_wallet_doc(struct obol_wallet *w)
{
	return w->doc;
}

struct obol_payer *obol_wallet_payer(struct obol_wallet *w)
{
	if (w->payer == NULL)
		w->payer = obol_payer_new(w);
	return w->payer;
}

const char *obol_wallet_path(const struct obol_wallet *w)
{
	return w->path;
}

json_t *obol_wallet_section(struct obol_wallet *w, const char *scheme)
{
	json_t *s = json_object_get(w->doc, scheme);
	if (json_is_object(s))
		return s;
	s = json_object();
	if (s == NULL || json_object_set_new(w->doc, scheme, s) != 0)
		return NULL;
	return s;
}

obol_err obol_wallet_json_set_bytes(json_t *obj, const char *key, const uint8_t *p, size_t n)
{
	char *b = malloc(OBOL_B64_LEN(n));
	if (b == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_b64_encode(p, n, b, OBOL_B64_LEN(n));
	if (e == OBOL_OK && json_object_set_new(obj, key, json_string(b)) != 0)
		e = OBOL_E_NO_MEMORY;
	obol_wipe(b, OBOL_B64_LEN(n));
	free(b);
	return e;
}

obol_err obol_wallet_json_get_bytes(const json_t *obj, const char *key, uint8_t *p, size_t n)
{
	const char *t = json_string_value(json_object_get(obj, key));
	size_t len;
	if (t == NULL || obol_b64_decode(t, p, n, &len, 1) != OBOL_OK)
		return OBOL_E_WALLET_FILE;
	return OBOL_OK;
}

obol_err obol_wallet_set_issuer(struct obol_wallet *w, const char *url, const uint8_t master_pk[32],
				const uint8_t box_pk[32], const char *currency)
{
	json_t *iss = json_pack("{s:s, s:s}", "url", url, "currency", currency);
	if (iss == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_wallet_json_set_bytes(iss, "master_pk", master_pk, 32);
	if (e == OBOL_OK)
		e = obol_wallet_json_set_bytes(iss, "box_pk", box_pk, 32);
	if (e == OBOL_OK && json_object_set(w->doc, "issuer", iss) != 0)
		e = OBOL_E_NO_MEMORY;
	json_decref(iss);
	return e;
}

obol_err obol_wallet_issuer(struct obol_wallet *w, const char **url, uint8_t master_pk[32], uint8_t box_pk[32],
			    char currency[16])
{
	json_t *iss = json_object_get(w->doc, "issuer");
	const char *u = json_string_value(json_object_get(iss, "url"));
	const char *c = json_string_value(json_object_get(iss, "currency"));
	if (u == NULL || c == NULL || strlen(c) >= 16)
		return OBOL_E_WALLET_FILE;
	if (master_pk != NULL && obol_wallet_json_get_bytes(iss, "master_pk", master_pk, 32) != OBOL_OK)
		return OBOL_E_WALLET_FILE;
	if (box_pk != NULL && obol_wallet_json_get_bytes(iss, "box_pk", box_pk, 32) != OBOL_OK)
		return OBOL_E_WALLET_FILE;
	if (url != NULL)
		*url = u;
	if (currency != NULL)
		strcpy(currency, c);
	return OBOL_OK;
}

obol_err obol_wallet_set_account(struct obol_wallet *w, int64_t id, const char *name,
				 const uint8_t sk[static OBOL_SIGN_SK_LEN])
{
	json_t *acc = json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name != NULL ? name : "");
	if (acc == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_wallet_json_set_bytes(acc, "sk", sk, OBOL_SIGN_SK_LEN);
	if (e == OBOL_OK && json_object_set(w->doc, "account", acc) != 0)
		e = OBOL_E_NO_MEMORY;
	json_decref(acc);
	return e;
}

obol_err obol_wallet_account(struct obol_wallet *w, int64_t *id, uint8_t sk[static OBOL_SIGN_SK_LEN])
{
	json_t *acc = json_object_get(w->doc, "account");
	json_t *jid = json_object_get(acc, "id");
	if (acc == NULL)
		return OBOL_E_NOT_FOUND;
	if (!json_is_integer(jid) || obol_wallet_json_get_bytes(acc, "sk", sk, OBOL_SIGN_SK_LEN) != OBOL_OK)
		return OBOL_E_WALLET_FILE;
	*id = (int64_t)json_integer_value(jid);
	return OBOL_OK;
}
