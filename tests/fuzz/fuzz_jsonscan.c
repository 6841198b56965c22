/* libFuzzer target: the streaming JSON scanner (every path mode) and the
 * arena JSON parser over each element it hands over. No input may crash,
 * hang or leak; every element must lie inside the input. Built and run by
 * `make fuzz` (corpus seeded from tests/data/import and the fixtures). */
#include <stdlib.h>
#include <string.h>
#include "import_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "", "orderedItems", "data", "includes.users", NULL };
	static int init;
	if (!init) {
		custos_global_init();
		init = 1;
	}
	for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
		custos_input_t *in = NULL;
		custos_jsonscan_t *js = NULL;
		custos_arena_t a = { 0 };
		custos_err_t err;
		const char *e;
		size_t n;
		int64_t off, line;
		int r;
		if (custos_input__open_mem(&in, "fuzz", data, size) < 0)
			return 0;
		if (custos_jsonscan__open(&js, in, paths[k]) < 0) {
			custos_input__close(in);
			return 0;
		}
		if (k == 1)
			custos_jsonscan__only(js, 2);
		while ((r = custos_jsonscan__next(js, &e, &n, &off, &line, &err)) > 0) {
			if (off < 0 || (size_t)off + n > size || memcmp(e, data + off, n) != 0)
				abort();   /* an element must be the input's own bytes */
			custos_jv_err_t je;
			custos_jv__parse(&a, e, n, &je);
			custos_arena_reset(&a);
		}
		custos_arena_free(&a);
		custos_jsonscan__free(js);
		custos_input__close(in);
	}
	return 0;
}
