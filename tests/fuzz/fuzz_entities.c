/* libFuzzer target for entity extraction and UTF-8 checking: any bytes give
 * entities inside the text, a reply inside it, and a UTF-8 verdict that is
 * consistent with itself. Built and run by `make fuzz` (corpus seeded from
 * twitter-text's conformance files). */
#include "custos_common.h"

#include <stdlib.h>
#include <string.h>

static int check_entity(int kind, const char *text, size_t start, size_t end, void *ctx)
{
	if (!(start < end && end <= *(size_t *)ctx) || kind < 0 || kind > CUSTOS_ENTITY_URL)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *text = malloc(size + 1);
	size_t n, a, b, bad;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	n = strlen(text);
	custos_extract(text, check_entity, &n);
	if (custos_extract_reply(text, &a, &b) && !(a < b && b <= n))
		abort();
	bad = custos_utf8_check((const char *)data, size);
	/* everything before the first bad byte is valid on its own */
	if (bad > size || (bad < size && custos_utf8_check((const char *)data, bad) != bad))
		abort();
	free(text);
	return 0;
}
