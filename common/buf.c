/* Growable byte buffers and arenas. */
#include "custos_common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* The first byte at or after p that a string cannot hold as it is: '"',
 * '\\' or a control character; end when there is none. Sixteen bytes at a
 * time with SSE2 (every x86-64 has it), else eight in a word (a byte b is
 * below 0x20, '"' or '\\' when b - 0x20, b ^ '"' or b ^ '\\' has its top bit
 * set where b's is not, the test for a zero byte); the rest byte by byte. */
const char *custos_json_plain(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
	              ctl = _mm_set1_epi8(0x1f);
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* unsigned v <= 0x1f: max(v, 0x1f) == 0x1f */
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
		                                        _mm_cmpeq_epi8(v, bslash)),
		                           _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	while (end - p >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		uint64_t qt = w ^ (ones * '"'), bs = w ^ (ones * '\\');
		uint64_t hit = ((w - ones * 0x20) | (qt - ones) | (bs - ones)) & ~w & high;
		if (hit)
			break;
		p += 8;
	}
	while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
		p++;
	return p;
}

int custos_buf_add_json_str(custos_buf_t *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	/* worst case every byte becomes \u00XX; 8 more for the word stores */
	if (n > (SIZE_MAX - 16) / 6 || custos_buf_reserve(b, n * 6 + 2 + 8) != 0)
		return CUSTOS_ENOMEM;
	char *o = b->data + b->len;
	*o++ = '"';
	for (const char *p = s, *end = s + n; p < end; p++) {
		/* the run that needs no escape, copied whole */
		const char *q = custos_json_plain(p, end);
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		if ((p = q) == end)
			break;
		unsigned char c = (unsigned char)*p;
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
