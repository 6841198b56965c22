/* The canonical record: lifetime, setters for importers, validation and
 * derivation of what the text implies. */
#include "custos_common.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void custos_record_init(custos_record_t *r)
{
	memset(r, 0, sizeof *r);
	r->created_at = r->edited_at = r->deleted_at = r->captured_at = CUSTOS_TIME_NONE;
	r->source.offset = r->source.line = -1;
}

void custos_record_reset(custos_record_t *r)
{
	custos_arena_t arena = r->arena;
	custos_arena_reset(&arena);
	custos_record_init(r);
	r->arena = arena;
}

void custos_record_free(custos_record_t *r)
{
	if (!r)
		return;
	custos_arena_free(&r->arena);
	custos_record_init(r);
}

int custos_record_set(custos_record_t *r, char **field, const char *s, size_t n)
{
	char *p = custos_arena_strndup(&r->arena, s, n);
	if (!p)
		return CUSTOS_ENOMEM;
	*field = p;
	return CUSTOS_OK;
}

int custos_record_sets(custos_record_t *r, char **field, const char *s)
{
	if (!s) {
		*field = NULL;
		return CUSTOS_OK;
	}
	return custos_record_set(r, field, s, strlen(s));
}

int custos_record_strv_add(custos_record_t *r, custos_strv_t *v, const char *s, size_t n)
{
	/* capacity is 4, then doubles; the old array is left in the arena */
	if (v->n == 0 || (v->n >= 4 && (v->n & (v->n - 1)) == 0)) {
		size_t cap = v->n ? v->n * 2 : 4;
		char **nv = custos_arena_alloc(&r->arena, cap * sizeof *nv);
		if (!nv)
			return CUSTOS_ENOMEM;
		if (v->n)
			memcpy(nv, v->v, v->n * sizeof *nv);
		v->v = nv;
	}
	char *p = custos_arena_strndup(&r->arena, s, n);
	if (!p)
		return CUSTOS_ENOMEM;
	v->v[v->n++] = p;
	return CUSTOS_OK;
}

custos_media_t *custos_record_media_add(custos_record_t *r)
{
	size_t n = r->n_media;
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		size_t cap = n ? n * 2 : 4;
		custos_media_t *nm = custos_arena_alloc(&r->arena, cap * sizeof *nm);
		if (!nm)
			return NULL;
		if (n)
			memcpy(nm, r->media, n * sizeof *nm);
		r->media = nm;
	}
	custos_media_t *m = &r->media[r->n_media++];
	memset(m, 0, sizeof *m);
	m->size = -1;
	return m;
}

int custos_record_set_raw(custos_record_t *r, const char *p, size_t n)
{
	char *copy = custos_arena_alloc(&r->arena, n ? n : 1);
	if (!copy)
		return CUSTOS_ENOMEM;
	if (n)
		memcpy(copy, p, n);
	r->raw = copy;
	r->raw_len = n;
	return CUSTOS_OK;
}

static const char *const kinds[] = {
	"post", "reply", "repost", "quote", "comment", "message", "event", "like", NULL
};

static int known_kind(const char *k)
{
	for (size_t i = 0; kinds[i]; i++)
		if (!strcmp(k, kinds[i]))
			return 1;
	return 0;
}

int custos_record_validate(const custos_record_t *r, custos_err_t *err)
{
	if (!r->platform || !*r->platform)
		return custos_err_set(err, CUSTOS_EFORMAT, "missing field 'platform'");
	for (const char *p = r->platform; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return custos_err_set(err, CUSTOS_EFORMAT,
			                      "platform '%s' must be lower-case letters, digits, '-' or '_'",
			                      r->platform);
	if (!r->id || !*r->id)
		return custos_err_set(err, CUSTOS_EFORMAT, "missing field 'id'");
	/* an id is named on command lines, in hold lists (a line each) and in
	 * messages: no control character, no blank at either end of the native id */
	for (const unsigned char *c = (const unsigned char *)r->id; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return custos_err_set(err, CUSTOS_EFORMAT, "id has a control character (0x%02x) "
			                      "at byte %zu", *c, (size_t)(c - (const unsigned char *)r->id));
	size_t pl = strlen(r->platform);
	if (strncmp(r->id, r->platform, pl) != 0 || r->id[pl] != ':' || !r->id[pl + 1])
		return custos_err_set(err, CUSTOS_EFORMAT,
		                      "id '%s' must be '%s:<native id>'", r->id, r->platform);
	if (strlen(r->id) > 400)
		return custos_err_set(err, CUSTOS_EFORMAT, "id longer than 400 bytes");
	/* ...and no blank at either end of its native part */
	const char *native = r->id + pl + 1, *last = native + strlen(native) - 1;
	if (*native == ' ' || *last == ' ')
		return custos_err_set(err, CUSTOS_EFORMAT, "id has a blank at the %s of its native "
		                      "part", *native == ' ' ? "start" : "end");
	if (r->created_at == CUSTOS_TIME_NONE)
		return custos_err_set(err, CUSTOS_EFORMAT, "missing field 'created_at'");
	/* a time custos could not read back would make the record unreadable */
	const struct { const char *name; int64_t t; } times[] = {
		{ "created_at", r->created_at }, { "edited_at", r->edited_at },
		{ "deleted_at", r->deleted_at }, { "captured_at", r->captured_at } };
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		int64_t t = times[i].t;
		if (t == CUSTOS_TIME_NONE || custos_time_in_range(t))
			continue;
		char when[48];
		if (t > -(INT64_C(1) << 56) && t < (INT64_C(1) << 56))
			custos_time_format(when, sizeof when, t);
		else
			snprintf(when, sizeof when, "%lld ms after the epoch", (long long)t);
		return custos_err_set(err, CUSTOS_EFORMAT, "field '%s': %s is outside the years "
		                      "0000 to 9999 (UTC) that custos can keep", times[i].name, when);
	}
	if (r->custodian && (!*r->custodian || strlen(r->custodian) > 200))
		return custos_err_set(err, CUSTOS_EFORMAT, "custodian must be 1 to 200 bytes");
	if (r->undated && r->created_at != 0)
		return custos_err_set(err, CUSTOS_EFORMAT, "an undated record's created_at must be "
		                      "1970-01-01T00:00:00Z or absent");
	if (!r->author_handle || !*r->author_handle)
		return custos_err_set(err, CUSTOS_EFORMAT, "missing field 'author.handle'");
	if (!r->text)
		return custos_err_set(err, CUSTOS_EFORMAT, "missing field 'text'");
	if (r->kind && !known_kind(r->kind))
		return custos_err_set(err, CUSTOS_EFORMAT,
		                      "unknown kind '%s' (post, reply, repost, quote, comment, "
		                      "message, event or like)", r->kind);
	return CUSTOS_OK;
}

int custos_record_derive(custos_record_t *r)
{
	int err;
	if (r->text && !r->hashtags.n && !r->mentions.n && !r->cashtags.n && !r->urls.n &&
	    (err = custos_extract_entities(r, r->text)) < 0)
		return err;
	if (!r->kind) {
		const char *k = r->in_reply_to ? "reply" : r->repost_of ? "repost" :
		                r->quote_of ? "quote" : "post";
		if ((err = custos_record_sets(r, &r->kind, k)) < 0)
			return err;
	}
	return CUSTOS_OK;
}

static int copy_str(custos_record_t *d, char **out, const char *s)
{
	return custos_record_sets(d, out, s);
}

static int copy_strv(custos_record_t *d, custos_strv_t *out, const custos_strv_t *in)
{
	int err;
	for (size_t i = 0; i < in->n; i++)
		if ((err = custos_record_strv_add(d, out, in->v[i], strlen(in->v[i]))) < 0)
			return err;
	return CUSTOS_OK;
}

static int copy_fields(custos_record_t *dst, const custos_record_t *src);

int custos_record_copy(custos_record_t *dst, const custos_record_t *src)
{
	custos_record_reset(dst);
	return copy_fields(dst, src);
}

int custos_record_copy_into(custos_record_t *dst, const custos_record_t *src,
                            custos_arena_t *arena)
{
	custos_record_reset(dst);
	custos_arena_t own = dst->arena;
	dst->arena = *arena;
	int err = copy_fields(dst, src);
	*arena = dst->arena;
	dst->arena = own;
	return err;
}

static int copy_fields(custos_record_t *dst, const custos_record_t *src)
{
	int err = 0;
	dst->version = src->version;
	dst->seq = src->seq;
	dst->created_at = src->created_at;
	dst->undated = src->undated;
	dst->edited_at = src->edited_at;
	dst->deleted_at = src->deleted_at;
	dst->captured_at = src->captured_at;
	dst->source.offset = src->source.offset;
	dst->source.line = src->source.line;
	memcpy(dst->content_sha256, src->content_sha256, sizeof dst->content_sha256);
	char **fields_d[] = { &dst->id, &dst->platform, &dst->account, &dst->custodian,
	                      &dst->kind, &dst->subtype,
	                      &dst->author_id, &dst->author_handle, &dst->author_name,
	                      &dst->in_reply_to, &dst->thread, &dst->repost_of, &dst->quote_of,
	                      &dst->target,
	                      &dst->url, &dst->title, &dst->text, &dst->lang, &dst->visibility,
	                      &dst->content_warning, &dst->source.format, &dst->source.file,
	                      &dst->source.file_sha256, &dst->source.connector };
	const char *fields_s[] = { src->id, src->platform, src->account, src->custodian,
	                           src->kind, src->subtype,
	                           src->author_id, src->author_handle, src->author_name,
	                           src->in_reply_to, src->thread, src->repost_of, src->quote_of,
	                           src->target,
	                           src->url, src->title, src->text, src->lang, src->visibility,
	                           src->content_warning, src->source.format, src->source.file,
	                           src->source.file_sha256, src->source.connector };
	for (size_t i = 0; i < sizeof fields_s / sizeof fields_s[0]; i++)
		err |= copy_str(dst, fields_d[i], fields_s[i]);
	err |= copy_strv(dst, &dst->hashtags, &src->hashtags);
	err |= copy_strv(dst, &dst->mentions, &src->mentions);
	err |= copy_strv(dst, &dst->cashtags, &src->cashtags);
	err |= copy_strv(dst, &dst->urls, &src->urls);
	for (size_t i = 0; i < src->n_media; i++) {
		custos_media_t *m = custos_record_media_add(dst);
		if (!m)
			return CUSTOS_ENOMEM;
		m->size = src->media[i].size;
		err |= copy_str(dst, &m->sha256, src->media[i].sha256);
		err |= copy_str(dst, &m->type, src->media[i].type);
		err |= copy_str(dst, &m->name, src->media[i].name);
		err |= copy_str(dst, &m->url, src->media[i].url);
	}
	if (src->raw)
		err |= custos_record_set_raw(dst, src->raw, src->raw_len);
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}
