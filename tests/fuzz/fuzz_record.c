/* libFuzzer target for the connector record parser: any bytes either give
 * a record whose canonical JSON parses back to the same canonical JSON, or
 * a refusal with a message. Built by `make fuzz`. */
#include "custos_common.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	custos_record_t a, b;
	custos_err_t err = { 0 };
	custos_buf_t ja = { 0 }, jb = { 0 };
	static int inited;
	if (!inited++ && custos_global_init() < 0)
		abort();
	custos_record_init(&a);
	custos_record_init(&b);
	if (custos_record_from_json(&a, (const char *)data, size, &err) == CUSTOS_OK) {
		if (custos_record_to_json(&a, CUSTOS_JSON_FULL, &ja) < 0 ||
		    custos_record_from_json(&b, ja.data, ja.len, &err) < 0 ||
		    custos_record_to_json(&b, CUSTOS_JSON_FULL, &jb) < 0 ||
		    ja.len != jb.len || memcmp(ja.data, jb.data, ja.len) != 0)
			abort();
	} else if (!err.msg[0]) {
		abort();
	}
	custos_buf_free(&ja);
	custos_buf_free(&jb);
	custos_record_free(&a);
	custos_record_free(&b);
	return 0;
}
