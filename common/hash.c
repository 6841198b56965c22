/* SHA-256 and hex. Hashing is on the ingest's hot path (content, raw
 * bytes, chains: several KB a record), so it uses OpenSSL's libcrypto, which
 * takes the CPU's SHA instructions where there are any (about 4x libsodium's
 * portable code on this project's machines). Its low-level interface keeps
 * the state in the caller's memory, so a context needs no allocation and no
 * freeing; OpenSSL 3 calls that interface deprecated, not removed. */
#define OPENSSL_API_COMPAT 10101
#include "custos_common.h"

#include <openssl/sha.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

_Static_assert(sizeof(custos_sha256_ctx_t) >= sizeof(SHA256_CTX),
               "custos_sha256_ctx_t too small for SHA256_CTX");

int custos_global_init(void)
{
	/* libgit2 and Xapian create the policy repository's and the index's
	 * files with the process umask: nothing of an archive is for other
	 * users (docs/threat-model.md), so group and other bits are masked
	 * for good. The umask is only ever tightened. */
	mode_t old = umask(077);
	umask(old | 077);
	return sodium_init() < 0 ? CUSTOS_EINTERNAL : CUSTOS_OK;
}

/* Not OpenSSL's one-call SHA256(): in OpenSSL 3 that goes through EVP,
 * whose first use initialises the library (reads openssl.cnf, loads the
 * default provider), a third of a millisecond a process for one hash, and
 * that looks the digest up by name on every call (EVP_Q_digest), a quarter
 * of the time of hashing a 1.3 KB record */
void custos_sha256(uint8_t out[CUSTOS_SHA256_LEN], const void *p, size_t n)
{
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Update(&c, p, n);
	SHA256_Final(out, &c);
	sodium_memzero(&c, sizeof c);
}

void custos_sha256_init(custos_sha256_ctx_t *c)
{
	SHA256_Init((SHA256_CTX *)c->opaque);
}

void custos_sha256_update(custos_sha256_ctx_t *c, const void *p, size_t n)
{
	SHA256_Update((SHA256_CTX *)c->opaque, p, n);
}

void custos_sha256_final(custos_sha256_ctx_t *c, uint8_t out[CUSTOS_SHA256_LEN])
{
	SHA256_Final(out, (SHA256_CTX *)c->opaque);
}

void custos_hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* a digit's value, 16 for any other byte: a table, as the ingest reads a
 * content hash back for each record it accounts for */
static const uint8_t hexval[256] = {
#define X16 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16
	X16, X16, X16,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 16, 16, 16, 16, 16,
	16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, X16,
	16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, X16,
	X16, X16, X16, X16, X16, X16, X16, X16
#undef X16
};

int custos_unhex(uint8_t *out, const char *hex, size_t n)
{
	const unsigned char *h = (const unsigned char *)hex;
	for (size_t i = 0; i < n; i++) {
		unsigned hi = hexval[h[2 * i]];
		if (hi > 15)
			return CUSTOS_EFORMAT;
		unsigned lo = hexval[h[2 * i + 1]];
		if (lo > 15)
			return CUSTOS_EFORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return CUSTOS_OK;
}
