/* Growable byte buffers and arenas. */
#include "custos_common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int custos_buf_reserve(custos_buf_t *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need < b->len)
		return CUSTOS_ENOMEM;
	if (need <= b->cap)
		return CUSTOS_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return CUSTOS_ENOMEM;
	b->data = p;
	b->cap = cap;
	return CUSTOS_OK;
}

int custos_buf_add(custos_buf_t *b, const void *p, size_t n)
{
	if (custos_buf_reserve(b, n) != 0)
		return CUSTOS_ENOMEM;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return CUSTOS_OK;
}

int custos_buf_adds(custos_buf_t *b, const char *s)
{
	return custos_buf_add(b, s, strlen(s));
}

int custos_buf_addc(custos_buf_t *b, char c)
{
	if (b->len + 2 <= b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return CUSTOS_OK;
	}
	return custos_buf_add(b, &c, 1);
}

int custos_buf_printf(custos_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CUSTOS_EINVAL;
	if ((size_t)n < sizeof small)
		return custos_buf_add(b, small, (size_t)n);
	if (custos_buf_reserve(b, (size_t)n) != 0)
		return CUSTOS_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return CUSTOS_OK;
}

/* The bytes of w (8 of the string, little-endian) that JSON must escape
 * (below 0x20, '"', '\\'), as the high bit of each: the lowest one set is
 * exact (a borrow only runs upward from a byte that is itself flagged). */
static inline uint64_t json_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
	return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs;
}

int custos_buf_add_json_str(custos_buf_t *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	/* worst case every byte becomes \u00XX; 8 more for the word stores */
	if (n > (SIZE_MAX - 16) / 6 || custos_buf_reserve(b, n * 6 + 2 + 8) != 0)
		return CUSTOS_ENOMEM;
	char *o = b->data + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		if (i + 8 <= n) {
			/* 8 bytes at a time: stored whole, kept up to the first to escape */
			uint64_t w, m;
			memcpy(&w, s + i, 8);
			memcpy(o, &w, 8);
			if (!(m = json_special(w))) {
				i += 8;
				o += 8;
				continue;
			}
			size_t k = (size_t)__builtin_ctzll(m) >> 3;
			i += k;
			o += k;
		}
#endif
		c = (unsigned char)s[i++];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"':  *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		default:
			*o++ = 'u'; *o++ = '0'; *o++ = '0';
			*o++ = hex[c >> 4]; *o++ = hex[c & 15];
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
	return CUSTOS_OK;
}

void custos_buf_clear(custos_buf_t *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void custos_buf_free(custos_buf_t *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Arena blocks: a header followed by the space handed out. */
struct custos_arena_block {
	custos_arena_block_t *next;
	size_t used, cap;
	max_align_t data[];
};

#define ARENA_BLOCK 8192

void *custos_arena_alloc(custos_arena_t *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	custos_arena_block_t *blk = a->head;
	if (!blk || blk->cap - blk->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		custos_arena_block_t *nb = malloc(sizeof *nb + cap);
		if (!nb)
			return NULL;
		nb->used = 0;
		nb->cap = cap;
		if (blk && n > ARENA_BLOCK) {
			/* a big one goes behind the current block, which keeps its room */
			nb->next = blk->next;
			blk->next = nb;
			nb->used = n;
			return (char *)nb->data;
		}
		nb->next = blk;
		a->head = blk = nb;
	}
	void *p = (char *)blk->data + blk->used;
	blk->used += n;
	return p;
}

char *custos_arena_strndup(custos_arena_t *a, const char *s, size_t n)
{
	char *p = custos_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *custos_arena_strdup(custos_arena_t *a, const char *s)
{
	return s ? custos_arena_strndup(a, s, strlen(s)) : NULL;
}

void custos_arena_reset(custos_arena_t *a)
{
	custos_arena_block_t *blk = a->head;
	if (!blk)
		return;
	/* keep one ordinary block for reuse: the last one in the list is the
	 * first allocated, and always ordinary-sized unless it was big */
	custos_arena_block_t *keep = NULL;
	while (blk) {
		custos_arena_block_t *next = blk->next;
		if (!keep && blk->cap == ARENA_BLOCK) {
			keep = blk;
		} else {
			free(blk);
		}
		blk = next;
	}
	if (keep) {
		keep->used = 0;
		keep->next = NULL;
	}
	a->head = keep;
}

void custos_arena_free(custos_arena_t *a)
{
	custos_arena_block_t *blk = a->head;
	while (blk) {
		custos_arena_block_t *next = blk->next;
		free(blk);
		blk = next;
	}
	a->head = NULL;
}
