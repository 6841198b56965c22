/* Tombstones in binary (issue 17): what a disposed version leaves, without
 * the version and the hashes its record header keeps anyway; read back as
 * the JSON object every reader of tombstones has always been given. */
#include "store_internal.h"

#include <string.h>

/* The value in `tombstones`, after the marker byte STORE_TOMB_BINARY (a JSON
 * tombstone of an earlier custos starts with '{'):
 *   u8  flags         1 account, 2 in_reply_to, 4 thread (present when set;
 *                     a missing account is null)
 *   i64 created_at ms
 *   varint context    the disposal it was part of, in meta "tc:" + u32
 *   text id, platform, [account], [in_reply_to], [thread]
 *   varint number of media, then each as text
 * and the context, written once per rule of each disposal call:
 *   u8  flags         8 the policy commit is 40 lower-case hex digits, kept
 *                     as its 20 bytes
 *   i64 disposed_at ms
 *   varint run (0: none)
 *   text rule, policy_commit (text, or 20 bytes with flag 8), actor
 * where text is a varint length and the bytes. */
enum { TF_ACCOUNT = 1, TF_REPLY = 2, TF_THREAD = 4, TF_COMMIT20 = 8 };

static int put_varint(custos_buf_t *b, uint64_t v)
{
	uint8_t x[10];
	size_t n = 0;
	do {
		x[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return custos_buf_add(b, x, n);
}

static int put_text(custos_buf_t *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return put_varint(b, n) | (n ? custos_buf_add(b, s, n) : 0);
}

static bool is_hex40(const char *s)
{
	if (!s || strlen(s) != 40)
		return false;
	for (int i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int custos_store__tomb_ctx_encode(custos_buf_t *b, const char *rule, const char *commit,
                                  uint64_t run, const char *actor, int64_t when)
{
	uint8_t fixed[9];
	int err = 0;
	fixed[0] = is_hex40(commit) ? TF_COMMIT20 : 0;
	custos_store__be64(fixed + 1, (uint64_t)when);
	b->len = 0;
	err |= custos_buf_add(b, fixed, sizeof fixed);
	err |= put_varint(b, run);
	err |= put_text(b, rule);
	if (fixed[0] & TF_COMMIT20) {
		uint8_t raw[20];
		custos_unhex(raw, commit, sizeof raw);
		err |= custos_buf_add(b, raw, sizeof raw);
	} else {
		err |= put_text(b, commit);
	}
	err |= put_text(b, actor);
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

int custos_store__tomb_encode(custos_buf_t *b, const custos_record_t *rec, uint32_t ctx)
{
	uint8_t fixed[10];
	int err = 0;
	fixed[0] = STORE_TOMB_BINARY;
	fixed[1] = (rec->account ? TF_ACCOUNT : 0) | (rec->in_reply_to ? TF_REPLY : 0) |
	           (rec->thread ? TF_THREAD : 0);
	custos_store__be64(fixed + 2, (uint64_t)rec->created_at);
	b->len = 0;
	err |= custos_buf_add(b, fixed, sizeof fixed);
	err |= put_varint(b, ctx);
	err |= put_text(b, rec->id);
	err |= put_text(b, rec->platform);
	if (rec->account)
		err |= put_text(b, rec->account);
	if (rec->in_reply_to)
		err |= put_text(b, rec->in_reply_to);
	if (rec->thread)
		err |= put_text(b, rec->thread);
	size_t n_media = 0;
	for (size_t i = 0; i < rec->n_media; i++)
		n_media += rec->media[i].sha256 != NULL;
	err |= put_varint(b, n_media);
	for (size_t i = 0; i < rec->n_media; i++)
		if (rec->media[i].sha256)
			err |= put_text(b, rec->media[i].sha256);
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

/* A reader over a binary tombstone; ok turns false at the first overrun. */
typedef struct {
	const uint8_t *p, *end;
	bool ok;
} rd_t;

static uint64_t get_varint(rd_t *r)
{
	uint64_t v = 0;
	for (int shift = 0; r->ok; shift += 7) {
		if (r->p >= r->end || shift > 63) {
			r->ok = false;
			break;
		}
		uint8_t x = *r->p++;
		v |= (uint64_t)(x & 0x7f) << shift;
		if (!(x & 0x80))
			break;
	}
	return v;
}

static const char *get_bytes(rd_t *r, size_t n)
{
	if (!r->ok || (size_t)(r->end - r->p) < n) {
		r->ok = false;
		return "";
	}
	const char *s = (const char *)r->p;
	r->p += n;
	return s;
}

typedef struct {
	const char *s;
	size_t n;
} text_t;

static text_t get_text(rd_t *r)
{
	text_t t;
	t.n = (size_t)get_varint(r);
	if (!r->ok || (size_t)(r->end - r->p) < t.n) {
		r->ok = false;
		t.n = 0;
	}
	t.s = get_bytes(r, t.n);
	return t;
}

static int add_str(custos_buf_t *j, text_t t)
{
	return custos_buf_add_json_str(j, t.s, t.n);
}

static uint32_t tomb_ctx(const void *v, size_t n)
{
	rd_t r = { v, (const uint8_t *)v + n, n >= 10 };
	if (!r.ok || r.p[0] != STORE_TOMB_BINARY)
		return 0;
	r.p += 10;
	uint64_t ctx = get_varint(&r);
	return r.ok && ctx <= UINT32_MAX ? (uint32_t)ctx : 0;
}

static int tomb_json(custos_buf_t *j, uint64_t seq, const custos_store__rechdr_t *h,
                     const void *v, size_t n, const void *cv, size_t cn)
{
	rd_t r = { v, (const uint8_t *)v + n, n >= 10 }, c = { cv, (const uint8_t *)cv + cn, cn >= 9 };
	char hex[CUSTOS_SHA256_HEX], t[40], commit[41];
	int err = 0;
	if (!r.ok || r.p[0] != STORE_TOMB_BINARY || !c.ok)
		return CUSTOS_ECORRUPT;
	uint8_t flags = r.p[1];
	int64_t created = (int64_t)custos_store__get64(r.p + 2);
	r.p += 10;
	get_varint(&r);   /* the context, given */
	text_t id = get_text(&r), platform = get_text(&r), none = { NULL, 0 };
	text_t account = flags & TF_ACCOUNT ? get_text(&r) : none;
	text_t reply = flags & TF_REPLY ? get_text(&r) : none;
	text_t thread = flags & TF_THREAD ? get_text(&r) : none;
	uint64_t n_media = get_varint(&r);
	if (!r.ok || flags & ~(TF_ACCOUNT | TF_REPLY | TF_THREAD))
		return CUSTOS_ECORRUPT;

	uint8_t cflags = c.p[0];
	int64_t disposed = (int64_t)custos_store__get64(c.p + 1);
	c.p += 9;
	uint64_t run = get_varint(&c);
	text_t rule = get_text(&c), pc;
	if (cflags & TF_COMMIT20) {
		const char *raw = get_bytes(&c, 20);
		if (c.ok)
			custos_hex(commit, (const uint8_t *)raw, 20);
		pc.s = commit;
		pc.n = c.ok ? 40 : 0;
	} else {
		pc = get_text(&c);
	}
	text_t actor = get_text(&c);
	if (!c.ok || c.p != c.end || cflags & ~TF_COMMIT20)
		return CUSTOS_ECORRUPT;
	/* the fields and their order of the JSON tombstones written before */
	j->len = 0;
	err |= custos_buf_adds(j, "{\"id\":");
	err |= add_str(j, id);
	err |= custos_buf_printf(j, ",\"version\":%u,\"seq\":%llu", h->version,
	                         (unsigned long long)seq);
	custos_hex(hex, h->content, 32);
	err |= custos_buf_printf(j, ",\"content_sha256\":\"%s\"", hex);
	custos_hex(hex, h->raw, 32);
	err |= custos_buf_printf(j, ",\"raw_sha256\":\"%s\",\"platform\":", hex);
	err |= add_str(j, platform);
	err |= custos_buf_adds(j, ",\"account\":");
	err |= flags & TF_ACCOUNT ? add_str(j, account) : custos_buf_adds(j, "null");
	custos_time_format(t, sizeof t, created);
	err |= custos_buf_printf(j, ",\"created_at\":\"%s\"", t);
	if (flags & TF_REPLY) {
		err |= custos_buf_adds(j, ",\"in_reply_to\":");
		err |= add_str(j, reply);
	}
	if (flags & TF_THREAD) {
		err |= custos_buf_adds(j, ",\"thread\":");
		err |= add_str(j, thread);
	}
	err |= custos_buf_adds(j, ",\"rule\":");
	err |= add_str(j, rule);
	err |= custos_buf_adds(j, ",\"policy_commit\":");
	err |= add_str(j, pc);
	custos_time_format(t, sizeof t, disposed);
	err |= custos_buf_printf(j, ",\"disposed_at\":\"%s\"", t);
	if (run)
		err |= custos_buf_printf(j, ",\"run\":%llu", (unsigned long long)run);
	err |= custos_buf_adds(j, ",\"actor\":");
	err |= add_str(j, actor);
	err |= custos_buf_adds(j, ",\"media\":[");
	for (uint64_t i = 0; i < n_media && r.ok; i++) {
		text_t m = get_text(&r);
		err |= custos_buf_adds(j, i ? ",\"" : "\"");
		err |= custos_buf_add(j, m.s, m.n);
		err |= custos_buf_adds(j, "\"");
	}
	err |= custos_buf_adds(j, "]}");
	if (!r.ok || r.p != r.end)
		return CUSTOS_ECORRUPT;
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

void custos_store__tomb_ctx_key(uint8_t key[STORE_TOMB_CTX_KEY], uint32_t id)
{
	memcpy(key, "tc:", 3);
	custos_store__be32(key + 3, id);
}

int custos_store__tomb_to_json(custos_store_t *st, MDB_txn *txn, uint64_t seq,
                               const custos_store__rechdr_t *h, const MDB_val *tv,
                               custos_buf_t *j)
{
	uint8_t key[STORE_TOMB_CTX_KEY];
	uint32_t id = tomb_ctx(tv->mv_data, tv->mv_size);
	if (!id)
		return CUSTOS_ECORRUPT;
	custos_store__tomb_ctx_key(key, id);
	MDB_val k = { sizeof key, key }, cv;
	if (mdb_get(txn, st->dbi[STORE_DB_META], &k, &cv) != 0)
		return CUSTOS_ECORRUPT;
	return tomb_json(j, seq, h, tv->mv_data, tv->mv_size, cv.mv_data, cv.mv_size);
}

int custos_store__tomb_platform(const void *v, size_t n, char *out, size_t cap)
{
	rd_t r = { v, (const uint8_t *)v + n, n >= 10 };
	out[0] = '\0';
	if (!r.ok || r.p[0] != STORE_TOMB_BINARY)
		return CUSTOS_ECORRUPT;
	r.p += 10;
	get_varint(&r);
	get_text(&r);
	text_t p = get_text(&r);
	if (!r.ok || p.n >= cap)
		return CUSTOS_ECORRUPT;
	memcpy(out, p.s, p.n);
	out[p.n] = '\0';
	return CUSTOS_OK;
}

/* The id and context of a binary tombstone, and the run of its context. */
int custos_store__tomb_brief(custos_store_t *st, MDB_txn *txn, const MDB_val *tv,
                             const char **id, size_t *id_len, uint64_t *run)
{
	rd_t r = { tv->mv_data, (const uint8_t *)tv->mv_data + tv->mv_size, tv->mv_size >= 10 };
	uint8_t key[STORE_TOMB_CTX_KEY];
	if (!r.ok || r.p[0] != STORE_TOMB_BINARY)
		return CUSTOS_ECORRUPT;
	r.p += 10;
	uint64_t ctx = get_varint(&r);
	text_t t = get_text(&r);
	if (!r.ok || !ctx || ctx > UINT32_MAX)
		return CUSTOS_ECORRUPT;
	custos_store__tomb_ctx_key(key, (uint32_t)ctx);
	MDB_val k = { sizeof key, key }, cv;
	if (mdb_get(txn, st->dbi[STORE_DB_META], &k, &cv) != 0)
		return CUSTOS_ECORRUPT;
	rd_t c = { cv.mv_data, (const uint8_t *)cv.mv_data + cv.mv_size, cv.mv_size >= 9 };
	if (!c.ok)
		return CUSTOS_ECORRUPT;
	c.p += 9;
	*run = get_varint(&c);
	if (!c.ok)
		return CUSTOS_ECORRUPT;
	*id = t.s;
	*id_len = t.n;
	return CUSTOS_OK;
}
