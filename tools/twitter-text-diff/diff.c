/* Compares custos_extract and custos_extract_reply with the twitter-text
 * results that gen.js wrote (see there); prints the texts that differ. */
#include "custos_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[1 << 16];
static size_t out_len;

static size_t utf16_offset(const char *t, size_t off)
{
	size_t u = 0;
	for (size_t i = 0; i < off; i++)
		if (((unsigned char)t[i] & 0xC0) != 0x80)
			u += (unsigned char)t[i] >= 0xF0 ? 2 : 1;
	return u;
}

static int add(int kind, const char *t, size_t s, size_t e, void *ctx)
{
	out_len += (size_t)snprintf(out + out_len, sizeof out - out_len, "%s%d:%zu:%zu",
	                            out_len ? "," : "", kind, utf16_offset(t, s), utf16_offset(t, e));
	return out_len < sizeof out - 64 ? 0 : 1;
}

int main(void)
{
	static char line[1 << 17], text[1 << 16];
	long cases = 0, differ = 0;
	while (fgets(line, sizeof line, stdin)) {
		char *want = strchr(line, '\t'), *reply;
		if (!want || !(reply = strchr(want + 1, '\t')))
			continue;
		*want++ = '\0';
		*reply++ = '\0';
		reply[strcspn(reply, "\n")] = '\0';
		size_t n = strlen(line) / 2;
		if (n >= sizeof text)
			continue;
		for (size_t i = 0; i < n; i++) {
			unsigned v;
			sscanf(line + 2 * i, "%2x", &v);
			text[i] = (char)v;
		}
		text[n] = '\0';
		out_len = 0;
		out[0] = '\0';
		custos_extract(text, add, NULL);
		char got_reply[64] = "";
		size_t rs, re;
		if (custos_extract_reply(text, &rs, &re)) {
			size_t sl = (unsigned char)text[rs] == 0xEF ? 3 : 1;
			snprintf(got_reply, sizeof got_reply, "%.*s", (int)(re - rs - sl), text + rs + sl);
		}
		cases++;
		if (strcmp(out, want) != 0 || strcmp(got_reply, reply) != 0) {
			if (differ++ < 20)
				printf("text \"%s\"\n  twitter-text: %s | %s\n  custos:       %s | %s\n",
				       text, want, reply, out, got_reply);
		}
	}
	printf("%ld cases, %ld differ\n", cases, differ);
	return differ != 0;
}
