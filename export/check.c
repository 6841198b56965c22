/* Re-reading a production without the archive (custos export --verify):
 * the manifest's files and hashes, the numbering, every load file line,
 * the EDRM XML and the RSMF messages. */
#include "custos_export.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
	const char *dir;
	void      (*problem)(void *ctx, const char *msg);
	void       *ctx;
	custos_xcheck_counts_t *n;
	json_t     *files;      /* path -> size */
	json_t     *docs;       /* the manifest's documents */
	json_t     *m;
} ck_t;

static void bad(ck_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(ck_t *c, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->problem(c->ctx, msg);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	custos_buf_t b = { 0 };
	char buf[65536];
	size_t r;
	if (!f)
		return NULL;
	while ((r = fread(buf, 1, sizeof buf, f)) > 0)
		custos_buf_add(&b, buf, r);
	bool err = ferror(f);
	fclose(f);
	if (err) {
		custos_buf_free(&b);
		return NULL;
	}
	*n = b.len;
	if (!b.data)
		b.data = calloc(1, 1);
	return b.data;
}

/* The bytes of the production's file rel (NULL when unreadable: the
 * manifest's check of every file has named it already). */
static char *slurp_rel(ck_t *c, const char *rel, size_t *n)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", c->dir, rel);
	*n = 0;
	return slurp(path, n);
}

static void hash_file(const char *path, char hex[CUSTOS_SHA256_HEX], uint64_t *size, bool *ok)
{
	custos_sha256_ctx_t h;
	uint8_t sum[CUSTOS_SHA256_LEN];
	char buf[65536];
	size_t r;
	FILE *f = fopen(path, "rb");
	*ok = f != NULL;
	*size = 0;
	if (!f)
		return;
	custos_sha256_init(&h);
	while ((r = fread(buf, 1, sizeof buf, f)) > 0) {
		custos_sha256_update(&h, buf, r);
		*size += r;
	}
	*ok = !ferror(f);
	fclose(f);
	custos_sha256_final(&h, sum);
	custos_hex(hex, sum, sizeof sum);
}

static void walk(ck_t *c, const char *rel)
{
	char path[4200];
	snprintf(path, sizeof path, "%s%s%s", c->dir, *rel ? "/" : "", rel);
	DIR *d = opendir(path);
	struct dirent *e;
	if (!d) {
		bad(c, "cannot read '%s': %s", path, strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[4200], full[8400];
		snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		snprintf(full, sizeof full, "%s/%s", c->dir, sub);
		struct stat sb;
		if (lstat(full, &sb) < 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			walk(c, sub);
		else if (strcmp(sub, "manifest.json") && !json_object_get(c->files, sub))
			bad(c, "'%s' is in the directory but not in the manifest", sub);
	}
	closedir(d);
}

static bool listed(ck_t *c, const char *rel)
{
	return rel && *rel && json_object_get(c->files, rel) != NULL;
}

/* ---- numbering -------------------------------------------------------------- */

static void numbering(ck_t *c)
{
	json_t *b = json_object_get(c->m, "bates");
	const char *prefix = json_string_value(json_object_get(b, "prefix"));
	json_int_t next = json_integer_value(json_object_get(b, "start"));
	int width = (int)json_integer_value(json_object_get(b, "width"));
	char want[96];
	size_t i;
	json_t *d;
	if (!prefix) {
		bad(c, "manifest.json has no Bates prefix");
		return;
	}
	json_array_foreach(c->docs, i, d) {
		snprintf(want, sizeof want, "%s%0*lld", prefix, width, (long long)next++);
		const char *got = json_string_value(json_object_get(d, "bates"));
		if (!got || strcmp(got, want)) {
			bad(c, "document %zu is numbered '%s', not '%s': the numbering has a gap or "
			    "is out of order", i + 1, got ? got : "", want);
			return;
		}
		size_t j;
		json_t *a;
		json_array_foreach(json_object_get(d, "attachments"), j, a) {
			snprintf(want, sizeof want, "%s%0*lld", prefix, width, (long long)next++);
			got = json_string_value(json_object_get(a, "bates"));
			if (!got || strcmp(got, want)) {
				bad(c, "attachment %zu of %s is numbered '%s', not '%s'", j + 1,
				    json_string_value(json_object_get(d, "bates")), got ? got : "", want);
				return;
			}
			const char *p = json_string_value(json_object_get(a, "path"));
			if (p && !listed(c, p))
				bad(c, "attachment %s names '%s', which the manifest does not list", got, p);
		}
		c->n->documents += 1 + json_array_size(json_object_get(d, "attachments"));
		const char *native = json_string_value(json_object_get(d, "native"));
		if (native && !listed(c, native))
			bad(c, "document %s names the native '%s', which the manifest does not list",
			    json_string_value(json_object_get(d, "bates")), native);
	}
	c->n->records = json_array_size(c->docs);
	if ((json_int_t)c->n->records != json_integer_value(json_object_get(c->m, "records")))
		bad(c, "the manifest lists %llu documents but says records %lld",
		    (unsigned long long)c->n->records,
		    (long long)json_integer_value(json_object_get(c->m, "records")));
	if ((json_int_t)c->n->documents != json_integer_value(json_object_get(b, "documents")))
		bad(c, "the numbers run over %llu documents but the manifest says %lld",
		    (unsigned long long)c->n->documents,
		    (long long)json_integer_value(json_object_get(b, "documents")));
}

/* ---- DAT ---------------------------------------------------------------------- */

/* Splits one DAT line into its values (þ...þ separated by U+0014). */
static int dat_split(const char *p, size_t n, char ***out, size_t *nv)
{
	custos_buf_t v = { 0 };
	char **vals = NULL;
	size_t cnt = 0, i = 0;
	while (i < n) {
		if (n - i < 2 || memcmp(p + i, "\xc3\xbe", 2))
			goto fail;
		i += 2;
		custos_buf_clear(&v);
		for (;;) {
			if (i + 1 < n && !memcmp(p + i, "\xc3\xbe", 2)) {
				if (i + 3 < n && !memcmp(p + i + 2, "\xc3\xbe", 2)) {
					custos_buf_add(&v, p + i, 2);   /* a doubled qualifier */
					i += 4;
					continue;
				}
				i += 2;
				break;
			}
			if (i >= n)
				goto fail;
			custos_buf_addc(&v, p[i++]);
		}
		char **nv2 = realloc(vals, (cnt + 1) * sizeof *nv2);
		if (!nv2)
			goto fail;
		vals = nv2;
		vals[cnt++] = strdup(v.data ? v.data : "");
		if (i < n) {
			if (p[i] != 0x14)
				goto fail;
			i++;
		}
	}
	custos_buf_free(&v);
	*out = vals;
	*nv = cnt;
	return 0;
fail:
	custos_buf_free(&v);
	for (size_t k = 0; k < cnt; k++)
		free(vals[k]);
	free(vals);
	return -1;
}

static void path_of(char *out, size_t cap, const char *v)
{
	snprintf(out, cap, "%s", v);
	for (char *s = out; *s; s++)
		if (*s == '\\')
			*s = '/';
}

static void check_dat(ck_t *c, const char *rel)
{
	size_t n = 0;
	char *text = slurp_rel(c, rel, &n);
	if (!text)
		return;
	if (n < 3 || memcmp(text, "\xef\xbb\xbf", 3)) {
		bad(c, "%s does not start with a UTF-8 byte order mark", rel);
		free(text);
		return;
	}
	char **head = NULL;
	size_t nh = 0, line = 0, at = 3, docs = 0;
	int ibeg = -1, inat = -1, itext = -1;
	json_t *d = NULL;
	size_t di = 0, ai = 0;
	while (at < n) {
		const char *end = memmem(text + at, n - at, "\r\n", 2);
		if (!end) {
			bad(c, "%s line %zu does not end in CRLF", rel, line + 1);
			break;
		}
		line++;
		char **vals = NULL;
		size_t nv = 0;
		if (dat_split(text + at, (size_t)(end - text - at), &vals, &nv) < 0) {
			bad(c, "%s line %zu does not parse as þ-qualified values separated by U+0014",
			    rel, line);
			at = (size_t)(end - text) + 2;
			continue;
		}
		at = (size_t)(end - text) + 2;
		if (!head) {
			head = vals;
			nh = nv;
			for (size_t k = 0; k < nh; k++) {
				if (!strcmp(head[k], "BEGDOC")) ibeg = (int)k;
				if (!strcmp(head[k], "NATIVEPATH")) inat = (int)k;
				if (!strcmp(head[k], "TEXTPATH")) itext = (int)k;
			}
			continue;
		}
		c->n->load_lines++;
		if (nv != nh)
			bad(c, "%s line %zu has %zu values for %zu fields", rel, line, nv, nh);
		else {
			char p[4200];
			if (inat >= 0 && *vals[inat]) {
				path_of(p, sizeof p, vals[inat]);
				if (!listed(c, p))
					bad(c, "%s line %zu: NATIVEPATH '%s' is not a file of the production", rel,
					    line, p);
			}
			if (itext >= 0 && *vals[itext]) {
				path_of(p, sizeof p, vals[itext]);
				if (!listed(c, p))
					bad(c, "%s line %zu: TEXTPATH '%s' is not a file of the production", rel,
					    line, p);
			}
			/* the rows follow the documents and their attachments, in order */
			if (ibeg >= 0) {
				const char *want = NULL;
				while (!want && di < json_array_size(c->docs)) {
					d = json_array_get(c->docs, di);
					json_t *at2 = json_object_get(d, "attachments");
					if (ai == 0)
						want = json_string_value(json_object_get(d, "bates"));
					else if (ai <= json_array_size(at2))
						want = json_string_value(json_object_get(json_array_get(at2, ai - 1),
						                                         "bates"));
					if (want)
						ai++;
					else {
						di++;
						ai = 0;
					}
				}
				if (!want || strcmp(want, vals[ibeg]))
					bad(c, "%s line %zu: BEGDOC '%s' where the manifest has '%s'", rel, line,
					    vals[ibeg], want ? want : "(no more documents)");
			}
			docs++;
		}
		for (size_t k = 0; k < nv; k++)
			free(vals[k]);
		free(vals);
	}
	if (head && docs != c->n->documents)
		bad(c, "%s has %zu rows for %llu documents", rel, docs,
		    (unsigned long long)c->n->documents);
	for (size_t k = 0; k < nh; k++)
		free(head[k]);
	free(head);
	free(text);
}

static void check_opt(ck_t *c, const char *rel)
{
	size_t n = 0, line = 0, docs = 0;
	char *text = slurp_rel(c, rel, &n);
	if (!text)
		return;
	for (char *s = text, *end; s < text + n; s = end + 2) {
		if (!(end = memmem(s, (size_t)(text + n - s), "\r\n", 2))) {
			bad(c, "%s line %zu does not end in CRLF", rel, line + 1);
			break;
		}
		*end = '\0';
		line++;
		char *f[8] = { 0 };
		int k = 0;
		for (char *p = s; k < 8; k++) {
			f[k] = p;
			char *comma = strchr(p, ',');
			if (!comma)
				break;
			*comma = '\0';
			p = comma + 1;
		}
		if (k != 6) {
			bad(c, "%s line %zu has %d fields, not 7", rel, line, k + 1);
			continue;
		}
		char p[4200];
		path_of(p, sizeof p, f[2]);
		if (!listed(c, p))
			bad(c, "%s line %zu: image '%s' is not a file of the production", rel, line, p);
		if (!strcmp(f[3], "Y"))
			docs++;
		c->n->pages++;
	}
	if ((json_int_t)c->n->pages != json_integer_value(json_object_get(c->m, "pages")))
		bad(c, "%s has %llu pages, the manifest says %lld", rel,
		    (unsigned long long)c->n->pages,
		    (long long)json_integer_value(json_object_get(c->m, "pages")));
	free(text);
}

static void check_edrm(ck_t *c, const char *rel)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", c->dir, rel);
	xmlDocPtr x = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
	                          XML_PARSE_NOWARNING | XML_PARSE_HUGE);
	if (!x) {
		bad(c, "%s is not well-formed XML", rel);
		return;
	}
	uint64_t docs = 0;
	xmlNodePtr root = xmlDocGetRootElement(x);
	for (xmlNodePtr b = root ? root->children : NULL; b; b = b->next)
		for (xmlNodePtr ds = b->children; ds; ds = ds->next)
			if (ds->type == XML_ELEMENT_NODE && !xmlStrcmp(ds->name, BAD_CAST "Documents"))
				for (xmlNodePtr d = ds->children; d; d = d->next)
					docs += d->type == XML_ELEMENT_NODE &&
					        !xmlStrcmp(d->name, BAD_CAST "Document");
	if (docs != c->n->documents)
		bad(c, "%s has %llu Document elements for %llu documents", rel,
		    (unsigned long long)docs, (unsigned long long)c->n->documents);
	xmlFreeDoc(x);
}

/* ---- RSMF --------------------------------------------------------------------- */

static const char *hdr(const char *msg, size_t n, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const char *end = memmem(msg, n, "\r\n\r\n", 4);
	for (const char *p = msg; p && p < end; ) {
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			*len = strcspn(v, "\r\n");
			return v;
		}
		p = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (p)
			p += 2;
	}
	return NULL;
}

static bool strings_in(json_t *arr, json_t *ids, const char *what, ck_t *c, const char *rel)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (!json_is_string(v) || !json_object_get(ids, json_string_value(v))) {
			bad(c, "%s: %s names '%s', which is not defined", rel, what,
			    json_is_string(v) ? json_string_value(v) : "(not a string)");
			return false;
		}
	return true;
}

static void check_rsmf_manifest(ck_t *c, const char *rel, json_t *m, uint64_t count)
{
	static const char *const types[] = { "message", "disclaimer", "join", "leave", "history",
	                                     "unknown", NULL };
	json_t *pids = json_object(), *cids = json_object();
	size_t i;
	json_t *v;
	if (!json_is_string(json_object_get(m, "version")) ||
	    !json_is_array(json_object_get(m, "participants")) ||
	    !json_is_array(json_object_get(m, "conversations")) ||
	    !json_is_array(json_object_get(m, "events"))) {
		bad(c, "%s: rsmf_manifest.json lacks version, participants, conversations or events",
		    rel);
		goto done;
	}
	json_array_foreach(json_object_get(m, "participants"), i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		if (!id || !*id)
			bad(c, "%s: participant %zu has no id", rel, i + 1);
		else
			json_object_set(pids, id, json_true());
	}
	json_array_foreach(json_object_get(m, "conversations"), i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		if (!id || !*id || !json_is_string(json_object_get(v, "platform")))
			bad(c, "%s: conversation %zu lacks an id or platform", rel, i + 1);
		else
			json_object_set(cids, id, json_true());
		strings_in(json_object_get(v, "participants"), pids, "a conversation", c, rel);
	}
	json_array_foreach(json_object_get(m, "events"), i, v) {
		const char *t = json_string_value(json_object_get(v, "type"));
		bool ok = false;
		for (int k = 0; t && types[k]; k++)
			ok |= !strcmp(t, types[k]);
		if (!ok)
			bad(c, "%s: event %zu has no valid type", rel, i + 1);
		const char *p = json_string_value(json_object_get(v, "participant"));
		const char *cv = json_string_value(json_object_get(v, "conversation"));
		if (p && !json_object_get(pids, p))
			bad(c, "%s: event %zu names participant '%s', not defined", rel, i + 1, p);
		if (cv && !json_object_get(cids, cv))
			bad(c, "%s: event %zu names conversation '%s', not defined", rel, i + 1, cv);
	}
	if (json_array_size(json_object_get(m, "events")) != count)
		bad(c, "%s: X-RSMF-EventCount says %llu, the manifest has %zu events", rel,
		    (unsigned long long)count, json_array_size(json_object_get(m, "events")));
done:
	json_decref(pids);
	json_decref(cids);
}

static void check_rsmf(ck_t *c, const char *rel, uint64_t *events)
{
	size_t n = 0, len = 0;
	char *msg = slurp_rel(c, rel, &n);
	if (!msg)
		return;
	c->n->rsmf_files++;
	const char *ver = hdr(msg, n, "X-RSMF-Version", &len);
	if (!ver || len != 5 || strncmp(ver, "2.0.0", 5))
		bad(c, "%s has no X-RSMF-Version: 2.0.0 header", rel);
	const char *cnt = hdr(msg, n, "X-RSMF-EventCount", &len);
	uint64_t count = cnt ? strtoull(cnt, NULL, 10) : 0;
	const char *att = memmem(msg, n, "filename=\"rsmf.zip\"", 19);
	const char *body = att ? memmem(att, (size_t)(msg + n - att), "\r\n\r\n", 4) : NULL;
	const char *stop = body ? memmem(body, (size_t)(msg + n - body), "\r\n--", 4) : NULL;
	if (!body || !stop) {
		bad(c, "%s has no rsmf.zip attachment", rel);
		free(msg);
		return;
	}
	body += 4;
	size_t cap = (size_t)(stop - body);
	unsigned char *zip = malloc(cap + 1);
	size_t zn = 0;
	if (!zip || sodium_base642bin(zip, cap, body, (size_t)(stop - body), "\r\n", &zn, NULL,
	                              sodium_base64_VARIANT_ORIGINAL) != 0) {
		bad(c, "%s: rsmf.zip is not valid base64", rel);
		free(zip);
		free(msg);
		return;
	}
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	json_t *m = NULL;
	archive_read_support_format_zip(a);
	if (archive_read_open_memory(a, zip, zn) == ARCHIVE_OK)
		while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
			if (strcmp(archive_entry_pathname(e), "rsmf_manifest.json"))
				continue;
			custos_buf_t b = { 0 };
			char buf[65536];
			la_ssize_t r;
			while ((r = archive_read_data(a, buf, sizeof buf)) > 0)
				custos_buf_add(&b, buf, (size_t)r);
			m = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
			custos_buf_free(&b);
			break;
		}
	archive_read_free(a);
	if (!m)
		bad(c, "%s: rsmf.zip holds no readable rsmf_manifest.json", rel);
	else {
		check_rsmf_manifest(c, rel, m, count);
		*events += json_array_size(json_object_get(m, "events"));
	}
	json_decref(m);
	free(zip);
	free(msg);
}

static void check_rsmf_dir(ck_t *c)
{
	const char *path;
	json_t *v;
	uint64_t events = 0;
	bool any = false;
	json_object_foreach(c->files, path, v)
		if (!strncmp(path, "RSMF/", 5)) {
			any = true;
			check_rsmf(c, path, &events);
		}
	if (any && events != c->n->records)
		bad(c, "the RSMF files hold %llu events for %llu records",
		    (unsigned long long)events, (unsigned long long)c->n->records);
}

static void check_lines(ck_t *c, const char *rel, bool jsonl)
{
	size_t n = 0;
	char *text = slurp_rel(c, rel, &n);
	if (!text)
		return;
	uint64_t rows = 0;
	if (jsonl) {
		for (char *s = text, *e; s < text + n; s = e + 1) {
			e = memchr(s, '\n', (size_t)(text + n - s));
			if (!e) {
				bad(c, "%s ends without a newline", rel);
				break;
			}
			json_t *o = json_loadb(s, (size_t)(e - s), 0, NULL);
			if (!o)
				bad(c, "%s line %llu is not JSON", rel, (unsigned long long)rows + 1);
			json_decref(o);
			rows++;
		}
	} else {
		/* RFC 4180: rows end at CRLF outside quotes */
		bool q = false;
		for (size_t i = 0; i < n; i++) {
			if (text[i] == '"')
				q = !q;
			else if (!q && text[i] == '\n')
				rows++;
		}
		if (q)
			bad(c, "%s ends inside a quoted field", rel);
		rows = rows ? rows - 1 : 0;   /* the header */
	}
	if (rows != c->n->records)
		bad(c, "%s has %llu records, the manifest %llu", rel, (unsigned long long)rows,
		    (unsigned long long)c->n->records);
	free(text);
}

int custos_export_check(const char *dir, void (*problem)(void *ctx, const char *msg),
                        void *ctx, custos_xcheck_counts_t *counts, custos_err_t *err)
{
	char path[4200];
	json_error_t je;
	ck_t c = { dir, problem, ctx, counts, NULL, NULL, NULL };
	struct stat sb;

	snprintf(path, sizeof path, "%s/manifest.json", dir);
	if (stat(path, &sb) < 0)
		return custos_err_set(err, CUSTOS_ENOTFOUND, "no manifest.json in '%s': not a finished "
		                      "production (an export that failed or was cancelled leaves none)",
		                      dir);
	if (!(c.m = json_load_file(path, 0, &je)))
		return custos_err_set(err, CUSTOS_ECORRUPT, "%s is not JSON: %s (line %d)", path,
		                      je.text, je.line);
	c.files = json_object();
	c.docs = json_object_get(c.m, "documents");
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(c.m, "files"), i, f) {
		const char *rel = json_string_value(json_object_get(f, "path"));
		const char *sha = json_string_value(json_object_get(f, "sha256"));
		json_int_t size = json_integer_value(json_object_get(f, "size"));
		char hex[CUSTOS_SHA256_HEX], full[8400];
		uint64_t got = 0;
		bool ok;
		if (!rel || !sha || strstr(rel, "..") || *rel == '/') {
			bad(&c, "file %zu of the manifest has no usable path or hash", i + 1);
			continue;
		}
		json_object_set_new(c.files, rel, json_integer(size));
		snprintf(full, sizeof full, "%s/%s", dir, rel);
		hash_file(full, hex, &got, &ok);
		if (!ok)
			bad(&c, "'%s' is listed in the manifest but cannot be read: %s", rel,
			    strerror(errno));
		else if ((json_int_t)got != size || strcmp(hex, sha))
			bad(&c, "'%s' does not match the manifest (size %llu, SHA-256 %.16s...; the "
			    "manifest says %lld, %.16s...)", rel, (unsigned long long)got, hex,
			    (long long)size, sha);
		counts->files++;
		counts->bytes += got;
	}
	walk(&c, "");
	numbering(&c);
	if (listed(&c, "LOADFILES/production.dat"))
		check_dat(&c, "LOADFILES/production.dat");
	if (listed(&c, "LOADFILES/production.opt"))
		check_opt(&c, "LOADFILES/production.opt");
	if (listed(&c, "LOADFILES/production.xml"))
		check_edrm(&c, "LOADFILES/production.xml");
	if (listed(&c, "records.jsonl"))
		check_lines(&c, "records.jsonl", true);
	if (listed(&c, "records.csv"))
		check_lines(&c, "records.csv", false);
	check_rsmf_dir(&c);
	json_decref(c.files);
	json_decref(c.m);
	return CUSTOS_OK;
}
