/* The JSON texts the faces show (custos search --json, custos show --json,
 * and the HTTP service's answers), written once so the two faces agree. */
#include "lib_internal.h"

#include <string.h>

static void one_line(char *s)
{
	for (; s && *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

static int json_str_or_null(custos_buf_t *b, const char *s)
{
	return s ? custos_buf_add_json_str(b, s, strlen(s)) : custos_buf_adds(b, "null");
}

/* The search's JSON; with coding (one per hit), each hit's tags in matter. */
static int search_json(custos_search_result_t *r, const char *query, unsigned facets,
                       const char *matter, const custos_codings_t *coding, custos_buf_t *out)
{
	int err = 0;
	err |= custos_buf_adds(out, "{\"query\": ");
	err |= json_str_or_null(out, query);
	if (coding) {
		err |= custos_buf_adds(out, ", \"matter\": ");
		err |= json_str_or_null(out, matter);
	}
	err |= custos_buf_printf(out, ", \"total\": %llu, \"exact\": true, \"watermark\": %llu, "
	                         "\"hits\": [", (unsigned long long)r->total,
	                         (unsigned long long)r->watermark);
	for (size_t i = 0; i < r->n_hits; i++) {
		custos_search_hit_t *h = &r->hits[i];
		char t[40];
		custos_time_format(t, sizeof t, h->created_at);
		one_line(h->snippet);
		err |= custos_buf_adds(out, i ? ", {\"id\": " : "{\"id\": ");
		err |= json_str_or_null(out, h->id);
		err |= custos_buf_printf(out, ", \"created_at\": \"%s\", \"platform\": ", t);
		err |= json_str_or_null(out, h->platform);
		err |= custos_buf_adds(out, ", \"account\": ");
		err |= json_str_or_null(out, h->account);
		err |= custos_buf_adds(out, ", \"author\": ");
		err |= json_str_or_null(out, h->author);
		err |= custos_buf_adds(out, ", \"snippet\": ");
		err |= json_str_or_null(out, h->snippet);
		err |= custos_buf_printf(out, ", \"weight\": %.4f, \"version\": %u, "
		                         "\"matched_versions\": [", h->weight, h->version);
		for (size_t v = 0; v < h->n_matched; v++)
			err |= custos_buf_printf(out, "%s%u", v ? ", " : "", h->matched_versions[v]);
		err |= custos_buf_addc(out, ']');
		if (coding) {
			const custos_coding_t *c = i < coding->n ? &coding->v[i] : NULL;
			err |= custos_buf_adds(out, ", \"tags\": [");
			for (size_t k = 0; c && k < c->n_tags; k++) {
				err |= custos_buf_adds(out, k ? ", " : "");
				err |= json_str_or_null(out, c->tags[k].tag);
			}
			err |= custos_buf_addc(out, ']');
		}
		err |= custos_buf_addc(out, '}');
	}
	err |= custos_buf_addc(out, ']');
	if (facets) {
		err |= custos_buf_adds(out, ", \"facets\": {");
		bool first = true;
		for (int f = 0; f < CUSTOS_FACET_COUNT; f++) {
			if (!(facets & CUSTOS_FACET_BIT(f)))
				continue;
			err |= custos_buf_printf(out, "%s\"%s\": {", first ? "" : ", ", custos_facet_name(f));
			first = false;
			for (size_t i = 0; i < r->facets[f].n; i++) {
				if (i)
					err |= custos_buf_adds(out, ", ");
				err |= json_str_or_null(out, r->facets[f].v[i].value);
				err |= custos_buf_printf(out, ": %llu",
				                         (unsigned long long)r->facets[f].v[i].count);
			}
			err |= custos_buf_addc(out, '}');
		}
		err |= custos_buf_addc(out, '}');
	}
	err |= custos_buf_addc(out, '}');
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

int custos_search_result_json(custos_search_result_t *r, const char *query, unsigned facets,
                              custos_buf_t *out)
{
	return search_json(r, query, facets, NULL, NULL, out);
}

int custos_search_result_json_coded(custos_search_result_t *r, const char *query,
                                    unsigned facets, const char *matter,
                                    const custos_codings_t *coding, custos_buf_t *out)
{
	static const custos_codings_t none = { NULL, 0, { 0 } };
	return search_json(r, query, facets, matter, coding ? coding : &none, out);
}

/* "name":{"value":count,...} of one of a matter's counts. */
static int counts_json(custos_buf_t *out, const char *name, const custos_facet_value_t *v,
                       size_t n)
{
	int err = custos_buf_printf(out, ",\"%s\":{", name);
	for (size_t i = 0; i < n; i++) {
		err |= custos_buf_adds(out, i ? "," : "");
		err |= json_str_or_null(out, v[i].value);
		err |= custos_buf_printf(out, ":%llu", (unsigned long long)v[i].count);
	}
	return err | custos_buf_addc(out, '}');
}

int custos_matter_json(const custos_matter_t *m, custos_buf_t *out)
{
	char t[40];
	int err = 0;
	custos_time_format(t, sizeof t, m->created_at);
	err |= custos_buf_adds(out, "{\"name\":");
	err |= json_str_or_null(out, m->name);
	err |= custos_buf_adds(out, ",\"description\":");
	err |= json_str_or_null(out, m->description);
	err |= custos_buf_printf(out, ",\"created_at\":\"%s\",\"created_by\":", t);
	err |= json_str_or_null(out, m->created_by);
	err |= custos_buf_printf(out, ",\"coded\":%llu,\"disposed\":%llu,\"tags\":{",
	                         (unsigned long long)m->coded, (unsigned long long)m->disposed);
	for (size_t i = 0; i < m->n_tags; i++) {
		err |= custos_buf_adds(out, i ? "," : "");
		err |= json_str_or_null(out, m->tags[i]);
		err |= custos_buf_printf(out, ":%llu", (unsigned long long)m->per_tag[i]);
	}
	err |= custos_buf_addc(out, '}');
	err |= counts_json(out, "custodians", m->per_custodian, m->n_custodian);
	err |= counts_json(out, "platforms", m->per_platform, m->n_platform);
	err |= custos_buf_adds(out, ",\"searches\":[");
	for (size_t i = 0; i < m->n_searches; i++) {
		const custos_saved_search_t *ss = &m->searches[i];
		custos_time_format(t, sizeof t, ss->saved_at);
		err |= custos_buf_adds(out, i ? ",{\"name\":" : "{\"name\":");
		err |= json_str_or_null(out, ss->name);
		err |= custos_buf_adds(out, ",\"query\":");
		err |= json_str_or_null(out, ss->query);
		err |= custos_buf_printf(out, ",\"hits\":%llu,\"watermark\":%llu,\"saved_at\":\"%s\","
		                         "\"saved_by\":", (unsigned long long)ss->hits,
		                         (unsigned long long)ss->watermark, t);
		err |= json_str_or_null(out, ss->saved_by);
		err |= custos_buf_addc(out, '}');
	}
	err |= custos_buf_adds(out, "]}");
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

int custos_item_json(const custos_item_t *it, const char *id, custos_buf_t *out)
{
	const custos_record_t *r = &it->rec;
	int err = 0;
	if (it->disposed) {
		err |= custos_buf_adds(out, "{\"id\":");
		err |= json_str_or_null(out, r->id ? r->id : id);
		err |= custos_buf_printf(out, ",\"disposed\":true,\"tombstone\":%s}", it->tombstone);
		return err ? CUSTOS_ENOMEM : CUSTOS_OK;
	}
	size_t start = out->len;
	if (custos_record_to_json(r, CUSTOS_JSON_FULL, out) < 0)
		return CUSTOS_ENOMEM;
	/* the canonical form plus what only show adds: drop its closing brace */
	out->len = out->len > start ? out->len - 1 : start;
	err |= custos_buf_printf(out, ",\"versions\":%u", it->n_versions);
	if (custos_utf8_check(r->raw, r->raw_len) == r->raw_len) {
		err |= custos_buf_adds(out, ",\"raw\":");
		err |= custos_buf_add_json_str(out, r->raw ? r->raw : "", r->raw_len);
	} else {
		/* not text: hex keeps every byte and needs no extra dependency */
		err |= custos_buf_adds(out, ",\"raw_hex\":\"");
		err |= custos_buf_reserve(out, 2 * r->raw_len + 1);
		if (!err) {
			custos_hex(out->data + out->len, (const uint8_t *)r->raw, r->raw_len);
			out->len += 2 * r->raw_len;
		}
		err |= custos_buf_addc(out, '"');
	}
	err |= custos_buf_addc(out, '}');
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}
