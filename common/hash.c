/* SHA-256 (libsodium) and hex. */
#include "custos_common.h"

#include <sodium.h>
#include <string.h>

_Static_assert(sizeof(custos_sha256_ctx_t) >= sizeof(crypto_hash_sha256_state),
               "custos_sha256_ctx_t too small for libsodium's state");

int custos_global_init(void)
{
	return sodium_init() < 0 ? CUSTOS_EINTERNAL : CUSTOS_OK;
}

void custos_sha256(uint8_t out[CUSTOS_SHA256_LEN], const void *p, size_t n)
{
	crypto_hash_sha256(out, p, n);
}

void custos_sha256_init(custos_sha256_ctx_t *c)
{
	crypto_hash_sha256_init((crypto_hash_sha256_state *)c->opaque);
}

void custos_sha256_update(custos_sha256_ctx_t *c, const void *p, size_t n)
{
	crypto_hash_sha256_update((crypto_hash_sha256_state *)c->opaque, p, n);
}

void custos_sha256_final(custos_sha256_ctx_t *c, uint8_t out[CUSTOS_SHA256_LEN])
{
	crypto_hash_sha256_final((crypto_hash_sha256_state *)c->opaque, out);
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

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int custos_unhex(uint8_t *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return CUSTOS_EFORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return CUSTOS_OK;
}
