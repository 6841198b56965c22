/* Ids of items with no native id (custos_import__derived_id): the time
 * first, in a form that sorts as bytes, then the hash. */
#include <string.h>

#include "check.h"
#include "import_internal.h"

static const uint8_t HASH[CUSTOS_IMPORT_ID_HASH] = {
	0xc5, 0x6d, 0xc1, 0x4a, 0xc6, 0xa8, 0x26, 0xbb, 0x0a, 0x39, 0x4c, 0x90, 0x1d, 0xf9, 0xc7, 0x29
};

static const char *id_at(custos_record_t *r, int64_t ms, const uint8_t *hash)
{
	r->created_at = ms;
	CHECK_OK(custos_import__derived_id(r, "facebook", hash));
	return r->id;
}

static void test_import_id__time_in_utc_seconds_then_the_hash(void)
{
	custos_record_t r;
	custos_record_init(&r);
	/* date -u -d @1460550649 -> Wed Apr 13 12:30:49 UTC 2016 */
	CHECK_STR(id_at(&r, 1460550649000LL, HASH),
	          "facebook:20160413T123049Z-c56dc14ac6a826bb0a394c901df9c729");
	/* milliseconds are rounded down: the hash covers them */
	CHECK_STR(id_at(&r, 1460550649999LL, HASH),
	          "facebook:20160413T123049Z-c56dc14ac6a826bb0a394c901df9c729");
	/* before 1970 too: date -u -d @-1 -> 1969-12-31 23:59:59 */
	CHECK_STR(id_at(&r, -1, HASH), "facebook:19691231T235959Z-c56dc14ac6a826bb0a394c901df9c729");
	CHECK_STR(id_at(&r, 0, HASH), "facebook:19700101T000000Z-c56dc14ac6a826bb0a394c901df9c729");
	custos_record_free(&r);
}

static int64_t second_of(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

static void test_import_id__later_items_sort_after_earlier_ones(void)
{
	static const int64_t t[] = { -86400001LL, -1, 0, 999, 1000, 59000, 3600000, 86400000,
	                             1276950712000LL, 1460550649000LL, 4102444800000LL,
	                             253402300799000LL /* 9999-12-31T23:59:59Z */ };
	uint8_t lo[CUSTOS_IMPORT_ID_HASH], hi[CUSTOS_IMPORT_ID_HASH];
	char prev[128] = "";
	custos_record_t r;
	custos_record_init(&r);
	memset(lo, 0x00, sizeof lo);
	memset(hi, 0xff, sizeof hi);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		/* the earliest hash of a second sorts after the latest of the one before */
		const char *id = id_at(&r, t[i], lo);
		if (i && second_of(t[i]) != second_of(t[i - 1]) && strcmp(prev, id) >= 0)
			check__fail(__FILE__, __LINE__, "%s sorts after %s", prev, id);
		strcpy(prev, id_at(&r, t[i], hi));
	}
	custos_record_free(&r);
}

CHECK_MAIN(CHECK_CASE(test_import_id__time_in_utc_seconds_then_the_hash),
           CHECK_CASE(test_import_id__later_items_sort_after_earlier_ones))
