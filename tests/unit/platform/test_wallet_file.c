/* The wallet file: round trip, wrong passphrase, key file, lock, atomic replace. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test.h"
#include "wallet/file.h"

static const char *path_in_tmp(const char *name)
{
	static char buf[4][512];
	static int n;
	char *b = buf[n++ % 4];
	snprintf(b, 512, "%s/%s", test_tmpdir(), name);
	return b;
}

TEST(wallet_file, round_trip_and_wrong_passphrase)
{
	struct obol_wallet *w = NULL;
	struct obol_wallet_keysrc ks = { 0 };
	uint8_t mpk[32], bpk[32], sk[64], got[64], m2[32];
	const char *url;
	char cur[16];
	int64_t id;
	const char *p = path_in_tmp("w");
	setenv("OBOL_ARGON2_FAST", "1", 1);
	setenv("OBOL_PASSPHRASE", "correct horse", 1);
	memset(mpk, 1, 32);
	memset(bpk, 2, 32);
	memset(sk, 3, 64);

	REQUIRE_OK(obol_wallet_create(p, &ks, &w));
	CHECK_ERR(obol_wallet_account(w, &id, got), OBOL_E_NOT_FOUND);
	REQUIRE_OK(obol_wallet_set_issuer(w, "http://127.0.0.1:1", mpk, bpk, "EUR"));
	REQUIRE_OK(obol_wallet_set_account(w, 7, "alice", sk));
	json_t *sec = obol_wallet_section(w, "coupon");
	REQUIRE(sec != NULL);
	json_object_set_new(sec, "coins", json_integer(3));
	REQUIRE_OK(obol_wallet_save(w));
	obol_wallet_close(w);
	w = NULL;

	/* The file does not hold the plaintext. */
	FILE *f = fopen(p, "rb");
	char raw[4096];
	size_t n = fread(raw, 1, sizeof raw, f);
	fclose(f);
	CHECK(n > 0 && memmem(raw, n, "alice", 5) == NULL && memmem(raw, n, "coupon", 6) == NULL);
	struct stat st;
	REQUIRE(stat(p, &st) == 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);

	REQUIRE_OK(obol_wallet_open(p, &ks, &w));
	REQUIRE_OK(obol_wallet_issuer(w, &url, m2, NULL, cur));
	CHECK_EQ_STR(url, "http://127.0.0.1:1");
	CHECK_EQ_STR(cur, "EUR");
	CHECK_MEM_EQ(m2, mpk, 32);
	REQUIRE_OK(obol_wallet_account(w, &id, got));
	CHECK_EQ_INT(id, 7);
	CHECK_MEM_EQ(got, sk, 64);
	CHECK_EQ_INT(json_integer_value(json_object_get(obol_wallet_section(w, "coupon"), "coins")), 3);
	obol_wallet_close(w);
	w = NULL;

	setenv("OBOL_PASSPHRASE", "wrong horse", 1);
	CHECK_ERR(obol_wallet_open(p, &ks, &w), OBOL_E_DECRYPT_FAILED);
	unsetenv("OBOL_PASSPHRASE");
	CHECK_ERR(obol_wallet_open(p, &ks, &w), OBOL_E_PASSPHRASE_MISSING);
	setenv("OBOL_PASSPHRASE", "correct horse", 1);
	CHECK_ERR(obol_wallet_create(p, &ks, &w), OBOL_E_WALLET_EXISTS);
	CHECK_ERR(obol_wallet_open(path_in_tmp("absent"), &ks, &w), OBOL_E_WALLET_FILE);

	/* One changed byte anywhere is refused. */
	f = fopen(p, "r+b");
	fseek(f, (long)n - 3, SEEK_SET);
	fputc(raw[n - 3] ^ 0x40, f);
	fclose(f);
	CHECK_ERR(obol_wallet_open(p, &ks, &w), OBOL_E_DECRYPT_FAILED);
	/* Not a wallet at all. */
	f = fopen(path_in_tmp("junk"), "w");
	fputs("hello, not a wallet\n", f);
	fclose(f);
	CHECK_ERR(obol_wallet_open(path_in_tmp("junk"), &ks, &w), OBOL_E_WALLET_FILE);
}

TEST(wallet_file, key_file)
{
	struct obol_wallet *w = NULL;
	struct obol_wallet_keysrc ks = { .key_file = path_in_tmp("key") }, other = { .key_file = path_in_tmp("key2") };
	uint8_t key[32];
	memset(key, 9, sizeof key);
	FILE *f = fopen(ks.key_file, "wb");
	fwrite(key, 1, sizeof key, f);
	fclose(f);
	f = fopen(other.key_file, "w");
	fputs("CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQo\n", f); /* base64url of another key */
	fclose(f);
	unsetenv("OBOL_PASSPHRASE");
	REQUIRE_OK(obol_wallet_create(path_in_tmp("kw"), &ks, &w));
	obol_wallet_close(w);
	w = NULL;
	REQUIRE_OK(obol_wallet_open(path_in_tmp("kw"), &ks, &w));
	obol_wallet_close(w);
	w = NULL;
	CHECK_ERR(obol_wallet_open(path_in_tmp("kw"), &other, &w), OBOL_E_DECRYPT_FAILED);
}

TEST(wallet_file, exclusive_lock)
{
	struct obol_wallet *a = NULL, *b = NULL;
	struct obol_wallet_keysrc ks = { 0 };
	setenv("OBOL_ARGON2_FAST", "1", 1);
	setenv("OBOL_PASSPHRASE", "p", 1);
	REQUIRE_OK(obol_wallet_create(path_in_tmp("lw"), &ks, &a));
	/* Another process cannot open it while it is held. */
	pid_t pid = fork();
	if (pid == 0) {
		struct obol_wallet *c = NULL;
		_exit(obol_wallet_open(path_in_tmp("lw"), &ks, &c) == OBOL_E_WALLET_LOCKED ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_ERR(obol_wallet_open(path_in_tmp("lw"), &ks, &b), OBOL_E_WALLET_LOCKED);
	obol_wallet_close(a);
	REQUIRE_OK(obol_wallet_open(path_in_tmp("lw"), &ks, &b));
	obol_wallet_close(b);
}

TEST(wallet_file, atomic_replace)
{
	struct obol_wallet *w = NULL;
	struct obol_wallet_keysrc ks = { 0 };
	struct stat before, after;
	const char *p = path_in_tmp("aw");
	char tmp[600];
	setenv("OBOL_ARGON2_FAST", "1", 1);
	setenv("OBOL_PASSPHRASE", "p", 1);
	REQUIRE_OK(obol_wallet_create(p, &ks, &w));
	REQUIRE(stat(p, &before) == 0);
	/* A leftover temp file from a crash does not disturb the next save. */
	snprintf(tmp, sizeof tmp, "%s.tmp", p);
	FILE *f = fopen(tmp, "w");
	fputs("half-written", f);
	fclose(f);
	json_object_set_new(obol_wallet_section(w, "ecash"), "n", json_integer(1));
	REQUIRE_OK(obol_wallet_save(w));
	REQUIRE(stat(p, &after) == 0);
	/* A new file took the old one's place (rename), and no temp file is left. */
	CHECK(before.st_ino != after.st_ino);
	CHECK(access(tmp, F_OK) != 0);
	obol_wallet_close(w);
	w = NULL;
	REQUIRE_OK(obol_wallet_open(p, &ks, &w));
	CHECK_EQ_INT(json_integer_value(json_object_get(obol_wallet_section(w, "ecash"), "n")), 1);
	obol_wallet_close(w);
}

TEST(wallet_file, missing_wallet_leaves_no_lock_file)
{
	struct obol_wallet *w = NULL;
	struct obol_wallet_keysrc ks = { 0 };
	struct stat st;
	setenv("OBOL_PASSPHRASE", "p", 1);
	CHECK_ERR(obol_wallet_open(path_in_tmp("nowallet"), &ks, &w), OBOL_E_WALLET_FILE);
	CHECK(w == NULL);
	CHECK(stat(path_in_tmp("nowallet.lock"), &st) != 0);
}

/* A wallet grown past what a wallet file may hold (a revocation list or a
 * blacklist copy kept in it, say) is refused at save, by name, and the file
 * keeps its last state: a save must never write a file the next open
 * refuses, which would lose every coin in it. */
TEST(wallet_file, a_save_too_large_to_open_again_is_refused_and_the_file_kept)
{
	struct obol_wallet *w = NULL;
	struct obol_wallet_keysrc ks = { 0 };
	const char *p = path_in_tmp("big");
	size_t big = 17u * 1024 * 1024;
	char *fill = malloc(big + 1);
	REQUIRE(fill != NULL);
	memset(fill, 'a', big);
	fill[big] = '\0';
	setenv("OBOL_ARGON2_FAST", "1", 1);
	setenv("OBOL_PASSPHRASE", "p", 1);
	REQUIRE_OK(obol_wallet_create(p, &ks, &w));
	json_object_set_new(obol_wallet_section(w, "ecash"), "n", json_integer(1));
	REQUIRE_OK(obol_wallet_save(w));
	json_object_set_new(obol_wallet_section(w, "ecash"), "revocations", json_string(fill));
	free(fill);
	CHECK_ERR(obol_wallet_save(w), OBOL_E_WALLET_TOO_LARGE);
	obol_wallet_close(w);
	w = NULL;
	REQUIRE_OK(obol_wallet_open(p, &ks, &w));
	CHECK_EQ_INT(json_integer_value(json_object_get(obol_wallet_section(w, "ecash"), "n")), 1);
	CHECK(json_object_get(obol_wallet_section(w, "ecash"), "revocations") == NULL);
	obol_wallet_close(w);
}
