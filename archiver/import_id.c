/* The id of an item whose source gives it none (Facebook, LinkedIn):
 * "<platform>:<UTC second, ISO 8601 basic>-<hash>". */
#include <stdio.h>

#include "import_internal.h"

/* The time comes first so that ids sort as the items were posted: an export
 * lists its items in time order (oldest or newest first), so their ids go
 * into the store's id index next to each other instead of all over it
 * (random hashed ids made every batch rewrite pages across the whole index:
 * memory and write cost grew with the archive). It is also what a reader can
 * check against the post. The hash tells apart items of the same second and
 * is the importer's own recipe (docs/importers.md); 16 bytes keep a crafted
 * collision out of reach. Four-digit years sort as bytes; others still give
 * a stable id. */
int custos_import__derived_id(custos_record_t *r, const char *platform,
                              const uint8_t hash[CUSTOS_IMPORT_ID_HASH])
{
	int64_t ms = r->created_at;
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - days * 86400, y;
	unsigned m, d;
	char hex[2 * CUSTOS_IMPORT_ID_HASH + 1], id[128];
	custos_time_civil_from_days(days, &y, &m, &d);
	custos_hex(hex, hash, CUSTOS_IMPORT_ID_HASH);
	snprintf(id, sizeof id, "%s:%04lld%02u%02uT%02d%02d%02dZ-%s", platform, (long long)y, m, d,
	         (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), hex);
	return custos_record_sets(r, &r->id, id);
}
