/* Legal holds: holds/<name>.json in the policy repository (created and
 * released by commits, never deleted), and their membership, an append-only
 * file <archive>/holds/<name>.members anchored by a count and digest kept in
 * the hold's file. docs/retention.md says why membership lives outside git. */
#include "retention_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------
 * String set
 */
static uint64_t hash_bytes(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a ... */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ULL;
	}
	/* ... then murmur3's finalizer: FNV's low bits, which pick the slot,
	 * depend only on the low bits of the input bytes */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h | 1;   /* 0 marks an empty slot */
}

static bool slot_is(const custos_retention__slot_t *sl, uint64_t h, const char *k, size_t n)
{
	return sl->h == h && strncmp(sl->k, k, n) == 0 && sl->k[n] == '\0';
}

bool custos_retention__set_has(const custos_retention__set_t *s, const char *k, size_t n)
{
	if (!s->cap)
		return false;
	uint64_t h = hash_bytes(k, n);
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slots[i].h)
			return false;
		if (slot_is(&s->slots[i], h, k, n))
			return true;
	}
}

int custos_retention__set_add(custos_retention__set_t *s, const char *k, size_t n)
{
	if ((s->n + 1) * 4 >= s->cap * 3) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		custos_retention__slot_t *ns = calloc(ncap, sizeof *ns);
		if (!ns)
			return CUSTOS_ENOMEM;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slots[i].h)
				continue;
			size_t j = s->slots[i].h & (ncap - 1);
			while (ns[j].h)
				j = (j + 1) & (ncap - 1);
			ns[j] = s->slots[i];
		}
		free(s->slots);
		s->slots = ns;
		s->cap = ncap;
	}
	uint64_t h = hash_bytes(k, n);
	size_t i = h & (s->cap - 1);
	for (; s->slots[i].h; i = (i + 1) & (s->cap - 1))
		if (slot_is(&s->slots[i], h, k, n))
			return 0;
	if (!(s->slots[i].k = custos_arena_strndup(&s->keys, k, n)))
		return CUSTOS_ENOMEM;
	s->slots[i].h = h;
	s->n++;
	return 1;
}

void custos_retention__set_free(custos_retention__set_t *s)
{
	free(s->slots);
	custos_arena_free(&s->keys);
	memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------------------
 * Hold files
 */
static int hold_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 100 || name[0] == '.')
		return 0;
	for (const char *s = name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static int sha_hex_ok(const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

/* A record id as a hold names it: what the store accepts (docs/record-format.md,
 * "Ids"): "<platform>:<native id>", the platform of lower-case letters,
 * digits, '-' and '_', no control character, no blank at either end of the
 * native id; blanks inside are kept (a feed's guid may hold them). */
static bool id_ok(const char *id)
{
	if (!id)
		return false;
	const char *c = id;
	while ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_')
		c++;
	if (c == id || *c != ':' || !c[1] || c[1] == ' ' || id[strlen(id) - 1] == ' ')
		return false;
	for (const unsigned char *u = (const unsigned char *)id; *u; u++)
		if (*u < 0x20 || *u == 0x7f)
			return false;
	return true;
}

/* The blank between a member line's id and its SHA-256 (the last 64
 * characters): NULL when the line is not "<id> <sha256>". */
static char *member_space(char *line, size_t len)
{
	if (len < 66 || line[len - 65] != ' ' || line[0] == ' ')
		return NULL;
	return line + len - 65;
}

/* A hold as stored. Strings point into the json object. */
typedef struct {
	json_t *root;
	const char *name, *query, *reason, *created_by, *status;
	const char *released_by, *release_reason;
	int64_t created_at, released_at;
	uint64_t anchor_n;
	const char *anchor_sha;
	bool active;
	bool with_thread;
	uint64_t ids_n;             /* ids listed (holds/<name>.ids), 0 when none */
	const char *ids_sha;        /* SHA-256 of that file, or NULL */
} hold_file_t;

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int jtime(json_t *o, const char *k, int64_t *out)
{
	const char *s = jstr(o, k);
	return s && custos_time_parse(out, s, strlen(s)) == 0 ? 0 : -1;
}

/* Parses a hold file's text; why says what is wrong. */
static int hold_parse(hold_file_t *h, const char *file_name, const char *text, size_t n,
                      char *why, size_t cap)
{
	json_error_t je;
	memset(h, 0, sizeof *h);
	h->released_at = CUSTOS_TIME_NONE;
	if (!(h->root = json_loadb(text, n, 0, &je))) {
		snprintf(why, cap, "holds/%s: line %d: %s", file_name, je.line, je.text);
		return CUSTOS_EFORMAT;
	}
	json_t *m = json_object_get(h->root, "members");
	h->name = jstr(h->root, "name");
	h->query = jstr(h->root, "query");
	h->reason = jstr(h->root, "reason");
	h->created_by = jstr(h->root, "created_by");
	h->status = jstr(h->root, "status");
	const char *bad = NULL;
	if (!json_is_object(h->root))
		bad = "not a JSON object";
	else if (!h->name || !h->query || !h->created_by || !h->status)
		bad = "name, query, created_by and status are required";
	else if (json_object_get(h->root, "with_thread") &&
	         !json_is_boolean(json_object_get(h->root, "with_thread")))
		bad = "with_thread must be true or false";
	else if (json_object_get(h->root, "ids") &&
	         (!json_is_object(json_object_get(h->root, "ids")) ||
	          !json_is_integer(json_object_get(json_object_get(h->root, "ids"), "count")) ||
	          json_integer_value(json_object_get(json_object_get(h->root, "ids"), "count")) < 1 ||
	          !jstr(json_object_get(h->root, "ids"), "sha256") ||
	          !sha_hex_ok(jstr(json_object_get(h->root, "ids"), "sha256"))))
		bad = "ids must hold count and sha256";
	else if (!*h->query && !json_object_get(h->root, "ids"))
		bad = "a hold needs a query or ids";
	else if (jtime(h->root, "created_at", &h->created_at) < 0)
		bad = "created_at is not a date";
	else if (strcmp(h->status, "active") != 0 && strcmp(h->status, "released") != 0)
		bad = "status must be active or released";
	else if (!json_is_object(m) || !json_is_integer(json_object_get(m, "count")) ||
	         json_integer_value(json_object_get(m, "count")) < 0 ||
	         !jstr(m, "sha256") || !sha_hex_ok(jstr(m, "sha256")))
		bad = "members must hold count and sha256";
	if (!bad) {
		char want[128];
		snprintf(want, sizeof want, "%s.json", h->name);
		if (!hold_name_ok(h->name))
			bad = "the name must be 1-100 of A-Z a-z 0-9 . _ -, not starting with '.'";
		else if (strcmp(want, file_name) != 0)
			bad = "the name inside differs from the file name";
	}
	if (!bad) {
		json_t *ids = json_object_get(h->root, "ids");
		h->active = strcmp(h->status, "active") == 0;
		h->anchor_n = (uint64_t)json_integer_value(json_object_get(m, "count"));
		h->anchor_sha = jstr(m, "sha256");
		h->with_thread = json_is_true(json_object_get(h->root, "with_thread"));
		if (ids) {
			h->ids_n = (uint64_t)json_integer_value(json_object_get(ids, "count"));
			h->ids_sha = jstr(ids, "sha256");
		}
		if (!h->active) {
			h->released_by = jstr(h->root, "released_by");
			h->release_reason = jstr(h->root, "release_reason");
			if (jtime(h->root, "released_at", &h->released_at) < 0 || !h->released_by ||
			    !h->release_reason)
				bad = "a released hold needs released_at, released_by and release_reason";
		}
	}
	if (bad) {
		snprintf(why, cap, "holds/%s: %s", file_name, bad);
		json_decref(h->root);
		h->root = NULL;
		return CUSTOS_EFORMAT;
	}
	return CUSTOS_OK;
}

static void hold_file_free(hold_file_t *h)
{
	json_decref(h->root);
	h->root = NULL;
}

static int hold_read(custos_policy_t *p, const git_oid *commit, const char *name, hold_file_t *h)
{
	char path[160], file[128], why[512];
	custos_buf_t text = { 0 };
	snprintf(file, sizeof file, "%s.json", name);
	snprintf(path, sizeof path, "holds/%s", file);
	int err = custos_policy__read(p, commit, path, &text, NULL);
	if (err == CUSTOS_ENOTFOUND)
		custos_err_set(&p->err, err, "no hold '%s'", name);
	if (err == CUSTOS_OK && (err = hold_parse(h, file, text.data, text.len, why, sizeof why)) < 0)
		err = custos_err_set(&p->err, CUSTOS_ECORRUPT, "%s", why);
	custos_buf_free(&text);
	return err;
}

/* Reads hold name from HEAD for a call that starts afresh (p's error
 * cleared): CUSTOS_EINVAL for a name no hold can have. */
static int hold_named(custos_policy_t *p, const char *name, hold_file_t *h)
{
	custos_err_clear(&p->err);
	if (!name || !hold_name_ok(name))
		return custos_err_set(&p->err, CUSTOS_EINVAL, "invalid hold name '%s'", name ? name : "");
	return hold_read(p, NULL, name, h);
}

/* Serializes a hold as the committed JSON (fixed key order, one key a line). */
static int hold_write(custos_policy_t *p, json_t *root, char **out)
{
	*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	if (!*out)
		return custos_err_set(&p->err, CUSTOS_ENOMEM, "cannot write the hold: out of memory");
	size_t n = strlen(*out);
	char *t = realloc(*out, n + 2);
	if (!t) {
		free(*out);
		*out = NULL;
		return custos_err_set(&p->err, CUSTOS_ENOMEM, "cannot write the hold: out of memory");
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	*out = t;
	return CUSTOS_OK;
}

static json_t *jtime_str(int64_t ms)
{
	char b[40];
	custos_time_format(b, sizeof b, ms);
	return json_string(b);
}

static void anchor_set(json_t *root, uint64_t n, const char *sha)
{
	json_t *m = json_object();
	json_object_set_new(m, "count", json_integer((json_int_t)n));
	json_object_set_new(m, "sha256", json_string(sha));
	json_object_set_new(root, "members", m);
}

/* ---------------------------------------------------------------------------
 * Member files
 */
static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

static int ensure_holds_dir(custos_policy_t *p)
{
	if (mkdir(p->holds_dir, 0700) == 0) {
		if (fsync_dir(p->archive) < 0)
			return custos_err_set(&p->err, CUSTOS_EIO, "cannot sync '%s': %s", p->archive,
			                      strerror(errno));
		return CUSTOS_OK;
	}
	if (errno == EEXIST)
		return CUSTOS_OK;
	return custos_err_set(&p->err, CUSTOS_EIO, "cannot create '%s': %s", p->holds_dir,
	                      strerror(errno));
}

static custos_retention__members_t *members_find(custos_policy_t *p, const char *name)
{
	for (custos_retention__members_t *m = p->members; m; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static void members_one_free(custos_retention__members_t *m)
{
	custos_retention__set_free(&m->pairs);
	custos_retention__set_free(&m->ids);
	custos_retention__set_free(&m->listed);
	free(m->name);
	free(m->path);
	free(m);
}

void custos_policy__members_free(custos_policy_t *p)
{
	while (p->members) {
		custos_retention__members_t *m = p->members;
		p->members = m->next;
		members_one_free(m);
	}
}

static void members_forget(custos_policy_t *p, const char *name)
{
	for (custos_retention__members_t **pp = &p->members; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) {
			custos_retention__members_t *m = *pp;
			*pp = m->next;
			members_one_free(m);
			return;
		}
}

static void digest_now(const custos_retention__members_t *m, char hex[CUSTOS_SHA256_HEX])
{
	custos_sha256_ctx_t c = m->sha;
	uint8_t d[CUSTOS_SHA256_LEN];
	custos_sha256_final(&c, d);
	custos_hex(hex, d, sizeof d);
}

/* Reads what was appended to the member file since the cache last looked,
 * checking the anchor (count, sha256) of hold h when the cache passes it.
 * A torn last line (a crash mid-append, never acknowledged) is not read. */
static int members_refresh(custos_policy_t *p, const hold_file_t *h, custos_retention__members_t **out)
{
	custos_retention__members_t *m = members_find(p, h->name);
	char *buf = NULL;
	int fd = -1, err = CUSTOS_OK;
	*out = NULL;
	if (!m) {
		if (!(m = calloc(1, sizeof *m)) || !(m->name = strdup(h->name))) {
			free(m);
			return custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
		}
		size_t l = strlen(p->holds_dir) + strlen(h->name) + 10;
		if (!(m->path = malloc(l))) {
			members_one_free(m);
			return custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
		}
		snprintf(m->path, l, "%s/%s.members", p->holds_dir, h->name);
		custos_sha256_init(&m->sha);
		m->next = p->members;
		p->members = m;
	}
	*out = m;
	if (m->corrupt) {
		err = custos_err_set(&p->err, CUSTOS_ECORRUPT, "hold %s: member file '%s' failed its "
		                     "check against the policy repository", h->name, m->path);
		goto done;
	}
	struct stat st;
	fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		err = custos_err_set(&p->err, CUSTOS_EIO, "cannot open '%s': %s", m->path, strerror(errno));
		goto done;
	}
	if (fd >= 0) {
		if (fstat(fd, &st) < 0) {
			err = custos_err_set(&p->err, CUSTOS_EIO, "cannot stat '%s': %s", m->path, strerror(errno));
			goto done;
		}
		if (st.st_size < m->bytes) {
			err = custos_err_set(&p->err, CUSTOS_ECORRUPT, "hold %s: member file '%s' shrank "
			                     "behind custos's back", h->name, m->path);
			goto done;
		}
		size_t want = (size_t)(st.st_size - m->bytes);
		if (want && !(buf = malloc(want))) {
			err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		size_t got = 0;
		while (got < want) {
			ssize_t r = pread(fd, buf + got, want - got, m->bytes + (off_t)got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				err = custos_err_set(&p->err, CUSTOS_EIO, "cannot read '%s': %s", m->path,
				                     strerror(errno));
				goto done;
			}
			if (r == 0)
				break;
			got += (size_t)r;
		}
		size_t pos = 0;
		while (pos < got) {
			char *nl = memchr(buf + pos, '\n', got - pos);
			if (!nl)
				break;
			size_t len = (size_t)(nl - (buf + pos));
			char *line = buf + pos, *sp = member_space(line, len);
			if (!sp) {
				err = custos_err_set(&p->err, CUSTOS_ECORRUPT, "hold %s: '%s' entry %llu is "
				                     "malformed", h->name, m->path, (unsigned long long)m->n + 1);
				goto done;
			}
			int r1, r2;
			if ((r1 = custos_retention__set_add(&m->pairs, line, len)) < 0 ||
			    (r2 = custos_retention__set_add(&m->ids, line, (size_t)(sp - line))) < 0) {
				err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
			custos_sha256_update(&m->sha, line, len + 1);
			m->n++;
			m->bytes += (off_t)(len + 1);
			pos += len + 1;
			if (!m->verified && m->n == h->anchor_n) {
				char hex[CUSTOS_SHA256_HEX];
				digest_now(m, hex);
				if (strcmp(hex, h->anchor_sha) != 0) {
					err = custos_err_set(&p->err, CUSTOS_ECORRUPT, "hold %s: the first %llu "
					        "entries of '%s' differ from those the policy repository recorded",
					        h->name, (unsigned long long)h->anchor_n, m->path);
					goto done;
				}
				m->verified = true;
			}
		}
	}
	if (!m->verified) {
		if (m->n < h->anchor_n) {
			err = custos_err_set(&p->err, CUSTOS_ECORRUPT, "hold %s: '%s' has %llu entries, "
			        "the policy repository recorded %llu: membership was lost behind custos's back",
			        h->name, m->path, (unsigned long long)m->n, (unsigned long long)h->anchor_n);
			goto done;
		}
		/* anchor 0 is the empty digest, checked here */
		m->verified = h->anchor_n == 0 || m->n >= h->anchor_n;
	}
done:
	if (fd >= 0)
		close(fd);
	free(buf);
	/* the cache stays (a hold set may point into it): what it holds was
	 * read whole lines at a time; a failed check sticks until a new handle */
	if (err == CUSTOS_ECORRUPT)
		m->corrupt = true;
	if (err < 0)
		*out = NULL;
	return err;
}

/* Appends bytes to the member file and fsyncs it. A torn tail left by a
 * crash is cut first, so entries always start on a line. */
static int members_append(custos_policy_t *p, custos_retention__members_t *m,
                          const char *data, size_t n, bool create)
{
	int fd = -1, err = CUSTOS_OK;
	if ((err = ensure_holds_dir(p)) < 0)
		return err;
	fd = open(m->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return custos_err_set(&p->err, CUSTOS_EIO, "cannot open '%s': %s", m->path, strerror(errno));
	if (ftruncate(fd, m->bytes) < 0 || lseek(fd, m->bytes, SEEK_SET) < 0) {
		err = custos_err_set(&p->err, CUSTOS_EIO, "cannot write '%s': %s", m->path, strerror(errno));
		goto done;
	}
	size_t done_n = 0;
	while (done_n < n) {
		ssize_t w = write(fd, data + done_n, n - done_n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err = custos_err_set(&p->err, CUSTOS_EIO, "cannot write '%s': %s", m->path, strerror(errno));
			goto done;
		}
		done_n += (size_t)w;
	}
	if (fsync(fd) < 0) {
		err = custos_err_set(&p->err, CUSTOS_EIO, "cannot sync '%s': %s", m->path, strerror(errno));
		goto done;
	}
done:
	if (fd >= 0 && close(fd) < 0 && err == CUSTOS_OK)
		err = custos_err_set(&p->err, CUSTOS_EIO, "cannot close '%s': %s", m->path, strerror(errno));
	if (err == CUSTOS_OK && create && fsync_dir(p->holds_dir) < 0)
		err = custos_err_set(&p->err, CUSTOS_EIO, "cannot sync '%s': %s", p->holds_dir, strerror(errno));
	return err;
}

/* Adds the new pairs of members to the cache and the file. */
static int members_add(custos_policy_t *p, custos_retention__members_t *m,
                       const custos_hold_member_t *members, size_t n, bool create, size_t *added)
{
	custos_buf_t buf = { 0 };
	custos_retention__set_t fresh = { 0 };
	int err = CUSTOS_OK;
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		const char *id = members[i].id, *sha = members[i].sha256;
		if (!id_ok(id) || !sha || !sha_hex_ok(sha)) {
			err = custos_err_set(&p->err, CUSTOS_EINVAL, "hold %s: member %zu: want a record id "
			                     "(no control character, no blank at either end) and a "
			                     "lower-case SHA-256 in hex", m->name, i);
			goto done;
		}
		size_t start = buf.len;
		if (custos_buf_printf(&buf, "%s %s\n", id, sha) < 0)
			goto oom;
		size_t len = buf.len - start - 1;
		if (custos_retention__set_has(&m->pairs, buf.data + start, len)) {
			buf.len = start;
			continue;
		}
		int r = custos_retention__set_add(&fresh, buf.data + start, len);
		if (r < 0)
			goto oom;
		if (r == 0) {   /* twice in this call */
			buf.len = start;
			continue;
		}
		count++;
	}
	if (count && (err = members_append(p, m, buf.data, buf.len, create || m->bytes == 0)) < 0)
		goto done;
	/* durable now: bring the cache up to date */
	for (size_t pos = 0; pos < buf.len;) {
		char *line = buf.data + pos, *nl = memchr(line, '\n', buf.len - pos);
		size_t len = (size_t)(nl - line);
		char *sp = line + len - 65;   /* "<id> <sha256>": the id may hold blanks */
		if (custos_retention__set_add(&m->pairs, line, len) < 0 ||
		    custos_retention__set_add(&m->ids, line, (size_t)(sp - line)) < 0)
			goto oom;
		custos_sha256_update(&m->sha, line, len + 1);
		m->n++;
		m->bytes += (off_t)(len + 1);
		pos += len + 1;
	}
	if (added)
		*added = count;
	goto done;
oom:
	err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
done:
	custos_retention__set_free(&fresh);
	custos_buf_free(&buf);
	return err;
}

/* Loads the ids hold h lists (holds/<name>.ids at HEAD) into m->listed,
 * once per handle, checked against the count and SHA-256 its file holds. */
static int listed_load(custos_policy_t *p, const hold_file_t *h, custos_retention__members_t *m)
{
	custos_buf_t text = { 0 };
	char path[160], hex[CUSTOS_SHA256_HEX];
	uint8_t d[CUSTOS_SHA256_LEN];
	uint64_t n = 0;
	int err;
	if (m->listed_loaded || !h->ids_n)
		return CUSTOS_OK;
	snprintf(path, sizeof path, "holds/%s.ids", h->name);
	if ((err = custos_policy__read(p, NULL, path, &text, NULL)) < 0) {
		if (err == CUSTOS_ENOTFOUND)
			err = custos_err_set(&p->err, CUSTOS_ECORRUPT, "hold %s: %s is missing", h->name,
			                     path);
		goto done;
	}
	custos_sha256(d, text.data ? text.data : "", text.len);
	custos_hex(hex, d, sizeof d);
	for (size_t pos = 0; pos < text.len;) {
		char *nl = memchr(text.data + pos, '\n', text.len - pos);
		size_t len = nl ? (size_t)(nl - (text.data + pos)) : text.len - pos;
		if (len && custos_retention__set_add(&m->listed, text.data + pos, len) < 0) {
			err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		n += len != 0;
		pos += len + 1;
	}
	if (strcmp(hex, h->ids_sha) != 0 || n != h->ids_n) {
		custos_retention__set_free(&m->listed);
		err = custos_err_set(&p->err, CUSTOS_ECORRUPT, "hold %s: %s differs from the list the "
		                     "hold was created with", h->name, path);
		goto done;
	}
	m->listed_loaded = true;
done:
	custos_buf_free(&text);
	return err;
}

/* ---------------------------------------------------------------------------
 * Create, release, checkpoint
 */
/* The actor as the hold file names it (checked by custos_policy__change_check). */
static const char *actor_text(const custos_policy_change_t *c, custos_actor_t *a)
{
	custos_err_t e;
	if (!c->actor || !*c->actor || custos_actor_parse(a, c->actor, &e) < 0)
		return "custos";
	return a->text;
}

static int commit_hold(custos_policy_t *p, json_t *root, const char *name,
                       const custos_policy_change_t *c, const char *msg, char out[CUSTOS_COMMIT_HEX])
{
	char path[160], *text = NULL;
	int err;
	snprintf(path, sizeof path, "holds/%s.json", name);
	if ((err = hold_write(p, root, &text)) < 0)
		return err;
	custos_policy__file_t f = { path, text, strlen(text) };
	err = custos_policy__commit(p, &f, 1, c, msg, out);
	free(text);
	return err;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The text of holds/<name>.ids: the ids checked, sorted, once each. */
static int ids_text(custos_policy_t *p, const char *name, const char *const *ids, size_t n,
                    custos_buf_t *out, uint64_t *count)
{
	const char **v = NULL;
	int err = CUSTOS_OK;
	*count = 0;
	if (n > CUSTOS_HOLD_IDS_MAX)
		return custos_err_set(&p->err, CUSTOS_ETOOBIG, "hold %s: %zu ids, over the limit of "
		                      "%u", name, n, CUSTOS_HOLD_IDS_MAX);
	if (!(v = malloc(n * sizeof *v)))
		return custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *id = ids[i];
		size_t l = id ? strlen(id) : 0;
		bool ok = l <= CUSTOS_HOLD_ID_MAX && custos_utf8_check(id, l) == l && id_ok(id);
		if (!ok) {
			char shown[64];
			custos_buf_t b = { 0 };
			custos_buf_add_printable(&b, id ? id : "", l > 40 ? 40 : l);
			snprintf(shown, sizeof shown, "%s%s", b.data ? b.data : "", l > 40 ? "..." : "");
			custos_buf_free(&b);
			err = custos_err_set(&p->err, CUSTOS_EINVAL, "hold %s: id %zu ('%s') is not a "
			                     "record id: '<platform>:<native id>', 1-%d bytes of UTF-8, no "
			                     "control character, no blank at either end", name, i + 1, shown,
			                     CUSTOS_HOLD_ID_MAX);
			goto done;
		}
		v[i] = id;
	}
	qsort(v, n, sizeof *v, cmp_cstr);
	for (size_t i = 0; i < n; i++) {
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		if (custos_buf_printf(out, "%s\n", v[i]) < 0) {
			err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		(*count)++;
	}
done:
	free(v);
	return err;
}

int custos_hold_place(custos_policy_t *p, const char *name, const custos_hold_def_t *def,
                      const custos_hold_member_t *members, size_t n,
                      const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX])
{
	static const custos_policy_change_t none = { 0 };
	custos_retention__members_t *m = NULL;
	hold_file_t h;
	json_t *root = NULL;
	custos_actor_t who;
	custos_buf_t ids = { 0 };
	uint64_t n_ids = 0;
	char msg[400], hex[CUSTOS_SHA256_HEX], out[CUSTOS_COMMIT_HEX];
	int err, locked = 0, fresh = 0;
	const char *query = def->query ? def->query : "", *reason = def->reason;

	custos_err_clear(&p->err);
	if (!c)
		c = &none;
	if (!name || !hold_name_ok(name))
		return custos_err_set(&p->err, CUSTOS_EINVAL, "invalid hold name '%s': 1-100 of "
		                      "A-Z a-z 0-9 . _ -, not starting with '.'", name ? name : "");
	if (!*query && !def->n_ids)
		return custos_err_set(&p->err, CUSTOS_EINVAL, "hold %s: a query or a list of ids is "
		                      "required", name);
	/* what the hold file keeps must be text JSON can hold: jansson drops a
	 * string that is not UTF-8, and a hold without its reason breaks every
	 * later read of the repository */
	if ((*query && (err = custos_text_check("query", query, CUSTOS_HOLD_TEXT_MAX,
	                                        CUSTOS_TEXT_LINES, &p->err)) < 0) ||
	    (reason && (err = custos_text_check("reason", reason, CUSTOS_HOLD_TEXT_MAX,
	                                        CUSTOS_TEXT_LINES | CUSTOS_TEXT_EMPTY, &p->err)) < 0) ||
	    (err = custos_policy__change_check(p, c)) < 0) {
		custos_err_prefix(&p->err, "hold %s", name);
		return err;
	}
	if (*query && p->check) {
		char why[400] = "";
		if (p->check(p->check_ctx, query, why, sizeof why) != 0)
			return custos_err_set(&p->err, CUSTOS_EFORMAT, "bad query: %s",
			                      why[0] ? why : "refused by the query parser");
	}
	if (def->n_ids && (err = ids_text(p, name, def->ids, def->n_ids, &ids, &n_ids)) < 0)
		goto done;
	if ((err = custos_policy__lock(p)) < 0)
		goto done;
	locked = 1;
	err = hold_read(p, NULL, name, &h);
	if (err == CUSTOS_OK) {
		hold_file_free(&h);
		err = custos_err_set(&p->err, CUSTOS_EEXISTS, "hold '%s' already exists", name);
		goto done;
	}
	if (err != CUSTOS_ENOTFOUND)
		goto done;
	/* a member file without a hold is left by a create that crashed before
	 * its commit: it was never acknowledged, start afresh */
	members_forget(p, name);
	fresh = 1;
	if ((err = ensure_holds_dir(p)) < 0)
		goto done;
	{
		if (!(m = calloc(1, sizeof *m)) || !(m->name = strdup(name))) {
			free(m);
			m = NULL;
			err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		size_t l = strlen(p->holds_dir) + strlen(name) + 10;
		if (!(m->path = malloc(l))) {
			members_one_free(m);
			err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		snprintf(m->path, l, "%s/%s.members", p->holds_dir, name);
		custos_sha256_init(&m->sha);
		m->verified = true;
		m->next = p->members;
		p->members = m;
	}
	if ((err = members_add(p, m, members, n, true, NULL)) < 0)
		goto done;
	if (m->n == 0) {
		/* leave an empty file: its presence is the start of the record */
		if ((err = members_append(p, m, "", 0, true)) < 0)
			goto done;
	}
	digest_now(m, hex);
	int64_t now = c->when ? c->when : custos_time_now();
	root = json_object();
	json_object_set_new(root, "name", json_string(name));
	json_object_set_new(root, "query", json_string(query));
	json_object_set_new(root, "reason", json_string(reason ? reason : ""));
	json_object_set_new(root, "created_at", jtime_str(now));
	json_object_set_new(root, "created_by", json_string(actor_text(c, &who)));
	json_object_set_new(root, "status", json_string("active"));
	if (def->with_thread)
		json_object_set_new(root, "with_thread", json_true());
	if (n_ids) {
		uint8_t d[CUSTOS_SHA256_LEN];
		char ihex[CUSTOS_SHA256_HEX];
		custos_sha256(d, ids.data, ids.len);
		custos_hex(ihex, d, sizeof d);
		json_t *io = json_object();
		json_object_set_new(io, "count", json_integer((json_int_t)n_ids));
		json_object_set_new(io, "sha256", json_string(ihex));
		json_object_set_new(root, "ids", io);
	}
	anchor_set(root, m->n, hex);
	snprintf(msg, sizeof msg, "Create legal hold %s", name);
	{
		char path[160], ipath[160], *text = NULL;
		snprintf(path, sizeof path, "holds/%s.json", name);
		snprintf(ipath, sizeof ipath, "holds/%s.ids", name);
		if ((err = hold_write(p, root, &text)) < 0)
			goto done;
		custos_policy__file_t f[2] = { { path, text, strlen(text) },
		                               { ipath, ids.data, ids.len } };
		err = custos_policy__commit(p, f, n_ids ? 2 : 1, c, msg, out);
		free(text);
	}
done:
	/* only a cache this call started, for a hold that does not exist */
	if (err < 0 && fresh)
		members_forget(p, name);
	json_decref(root);
	custos_buf_free(&ids);
	if (locked)
		custos_policy__unlock(p);
	if (err == CUSTOS_OK && out_commit)
		memcpy(out_commit, out, CUSTOS_COMMIT_HEX);
	return err;
}

int custos_hold_create(custos_policy_t *p, const char *name, const char *query,
                       const char *reason, const custos_hold_member_t *members, size_t n,
                       const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX])
{
	custos_hold_def_t def = { query, reason, NULL, 0, false };
	custos_err_clear(&p->err);
	if (!query || !*query)
		return custos_err_set(&p->err, CUSTOS_EINVAL, "hold %s: a query is required",
		                      name ? name : "");
	return custos_hold_place(p, name, &def, members, n, c, out_commit);
}

int custos_hold_release(custos_policy_t *p, const char *name, const char *reason,
                        const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX])
{
	static const custos_policy_change_t none = { 0 };
	custos_retention__members_t *m = NULL;
	hold_file_t h = { 0 };
	custos_actor_t who;
	char msg[512], hex[CUSTOS_SHA256_HEX], out[CUSTOS_COMMIT_HEX];
	int err;

	custos_err_clear(&p->err);
	if (!c)
		c = &none;
	if (!name || !hold_name_ok(name))
		return custos_err_set(&p->err, CUSTOS_EINVAL, "invalid hold name '%s'", name ? name : "");
	if (!reason || !*reason)
		return custos_err_set(&p->err, CUSTOS_EINVAL, "hold %s: a release needs a reason", name);
	if ((err = custos_text_check("reason", reason, CUSTOS_HOLD_TEXT_MAX, CUSTOS_TEXT_LINES,
	                             &p->err)) < 0 ||
	    (err = custos_policy__change_check(p, c)) < 0) {
		custos_err_prefix(&p->err, "hold %s", name);
		return err;
	}
	if ((err = custos_policy__lock(p)) < 0)
		return err;
	if ((err = hold_read(p, NULL, name, &h)) < 0)
		goto done;
	if (!h.active) {
		err = custos_err_set(&p->err, CUSTOS_EINVAL, "hold %s was already released", name);
		goto done;
	}
	if ((err = members_refresh(p, &h, &m)) < 0)
		goto done;
	digest_now(m, hex);
	int64_t now = c->when ? c->when : custos_time_now();
	json_object_set_new(h.root, "status", json_string("released"));
	json_object_set_new(h.root, "released_at", jtime_str(now));
	json_object_set_new(h.root, "released_by", json_string(actor_text(c, &who)));
	json_object_set_new(h.root, "release_reason", json_string(reason));
	anchor_set(h.root, m->n, hex);
	size_t rl = strlen(reason);
	if (rl > 300)
		for (rl = 300; (reason[rl] & 0xC0) == 0x80; rl--)
			;   /* not inside a UTF-8 sequence */
	snprintf(msg, sizeof msg, "Release legal hold %s: %.*s", name, (int)rl, reason);
	err = commit_hold(p, h.root, name, c, msg, out);
done:
	hold_file_free(&h);
	custos_policy__unlock(p);
	if (err == CUSTOS_OK && out_commit)
		memcpy(out_commit, out, CUSTOS_COMMIT_HEX);
	return err;
}

int custos_hold_add_members(custos_policy_t *p, const char *name,
                            const custos_hold_member_t *members, size_t n, size_t *added)
{
	custos_retention__members_t *m = NULL;
	hold_file_t h = { 0 };
	int err;
	custos_err_clear(&p->err);
	if (added)
		*added = 0;
	if (!name || !hold_name_ok(name))
		return custos_err_set(&p->err, CUSTOS_EINVAL, "invalid hold name '%s'", name ? name : "");
	if ((err = custos_policy__lock(p)) < 0)
		return err;
	if ((err = hold_read(p, NULL, name, &h)) < 0)
		goto done;
	if (!h.active) {
		err = custos_err_set(&p->err, CUSTOS_EINVAL, "hold %s is released: its membership is final", name);
		goto done;
	}
	if ((err = members_refresh(p, &h, &m)) < 0)
		goto done;
	err = members_add(p, m, members, n, false, added);
done:
	hold_file_free(&h);
	custos_policy__unlock(p);
	return err;
}

/* Names of the hold files in HEAD ("x" for holds/x.json), sorted. */
static int hold_names(custos_policy_t *p, git_tree *root, char ***names, size_t *n)
{
	git_tree_entry *e = NULL;
	git_tree *t = NULL;
	int err = CUSTOS_OK, rc;
	*names = NULL;
	*n = 0;
	rc = git_tree_entry_bypath(&e, root, "holds");
	if (rc == GIT_ENOTFOUND)
		return CUSTOS_OK;
	if (rc < 0)
		return custos_policy__git(p, rc, "cannot read holds/");
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
		goto done;
	if ((rc = git_tree_lookup(&t, p->repo, git_tree_entry_id(e))) < 0) {
		err = custos_policy__git(p, rc, "cannot read holds/");
		goto done;
	}
	size_t cnt = git_tree_entrycount(t);
	if (cnt && !(*names = calloc(cnt, sizeof **names))) {
		err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < cnt; i++) {
		const char *fn = git_tree_entry_name(git_tree_entry_byindex(t, i));
		size_t l = strlen(fn);
		if (l <= 5 || strcmp(fn + l - 5, ".json") != 0)
			continue;
		if (!((*names)[*n] = strndup(fn, l - 5))) {
			err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		(*n)++;
	}
done:
	git_tree_free(t);
	git_tree_entry_free(e);
	return err;
}

static void names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int head_tree(custos_policy_t *p, git_oid *head, git_tree **tree)
{
	git_commit *c = NULL;
	int err;
	*tree = NULL;
	if ((err = custos_policy__head(p, head)) < 0)
		return err;
	int rc = git_commit_lookup(&c, p->repo, head);
	if (rc == 0)
		rc = git_commit_tree(tree, c);
	git_commit_free(c);
	return rc < 0 ? custos_policy__git(p, rc, "cannot read HEAD") : CUSTOS_OK;
}

int custos_hold_checkpoint(custos_policy_t *p, const custos_policy_change_t *c,
                           char out_commit[CUSTOS_COMMIT_HEX])
{
	git_oid head;
	git_tree *tree = NULL;
	char **names = NULL, **texts = NULL, out[CUSTOS_COMMIT_HEX] = "";
	char (*paths)[160] = NULL;
	custos_policy__file_t *files = NULL;
	size_t n = 0, nf = 0;
	int err;

	custos_err_clear(&p->err);
	if ((err = custos_policy__lock(p)) < 0)
		return err;
	if ((err = head_tree(p, &head, &tree)) < 0 || (err = hold_names(p, tree, &names, &n)) < 0)
		goto done;
	if (n && (!(texts = calloc(n, sizeof *texts)) || !(paths = calloc(n, sizeof *paths)) ||
	          !(files = calloc(n, sizeof *files)))) {
		err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		hold_file_t h;
		custos_retention__members_t *m;
		char hex[CUSTOS_SHA256_HEX];
		if ((err = hold_read(p, &head, names[i], &h)) < 0)
			goto done;
		if (!h.active) {
			hold_file_free(&h);
			continue;
		}
		if ((err = members_refresh(p, &h, &m)) < 0) {
			hold_file_free(&h);
			goto done;
		}
		if (m->n > h.anchor_n) {
			digest_now(m, hex);
			anchor_set(h.root, m->n, hex);
			if ((err = hold_write(p, h.root, &texts[nf])) < 0) {
				hold_file_free(&h);
				goto done;
			}
			snprintf(paths[nf], sizeof paths[nf], "holds/%s.json", names[i]);
			files[nf].path = paths[nf];
			files[nf].data = texts[nf];
			files[nf].len = strlen(texts[nf]);
			nf++;
		}
		hold_file_free(&h);
	}
	if (nf)
		err = custos_policy__commit(p, files, nf, c, "Record the membership of legal holds", out);
done:
	for (size_t i = 0; texts && i < n; i++)
		free(texts[i]);
	free(texts);
	free(paths);
	free(files);
	names_free(names, n);
	git_tree_free(tree);
	custos_policy__unlock(p);
	if (err == CUSTOS_OK && out_commit)
		memcpy(out_commit, out, CUSTOS_COMMIT_HEX);
	return err;
}

/* ---------------------------------------------------------------------------
 * Listing
 */
static int hold_fill(custos_policy_t *p, custos_holds_t *out, const git_oid *head, const char *name)
{
	hold_file_t h;
	custos_retention__members_t *m = NULL;
	char path[160];
	git_oid changed;
	int err;
	if ((err = hold_read(p, head, name, &h)) < 0)
		return err;
	custos_hold_t *o = &out->v[out->n];
	memset(o, 0, sizeof *o);
	custos_arena_t *a = &out->arena;
	o->name = custos_arena_strdup(a, h.name);
	o->query = custos_arena_strdup(a, h.query);
	o->reason = custos_arena_strdup(a, h.reason ? h.reason : "");
	o->created_by = custos_arena_strdup(a, h.created_by);
	o->created_at = h.created_at;
	o->active = h.active;
	o->released_at = h.released_at;
	o->released_by = custos_arena_strdup(a, h.released_by);
	o->release_reason = custos_arena_strdup(a, h.release_reason);
	o->members_anchored = h.anchor_n;
	o->with_thread = h.with_thread;
	o->listed = h.ids_n;
	if (!o->name || !o->query || !o->reason || !o->created_by ||
	    (h.released_by && !o->released_by) || (h.release_reason && !o->release_reason)) {
		err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = members_refresh(p, &h, &m)) < 0)
		goto done;
	o->members = m->n;
	o->member_ids = m->ids.n;
	snprintf(path, sizeof path, "holds/%s.json", name);
	if ((err = custos_policy__last_change(p, head, path, &changed, NULL)) < 0)
		goto done;
	git_oid_tostr(o->commit, sizeof o->commit, &changed);
	out->n++;
done:
	hold_file_free(&h);
	return err;
}

int custos_hold_list(custos_policy_t *p, custos_holds_t *out)
{
	git_oid head;
	git_tree *tree = NULL;
	char **names = NULL;
	size_t n = 0;
	int err;
	memset(out, 0, sizeof *out);
	custos_err_clear(&p->err);
	if ((err = head_tree(p, &head, &tree)) < 0 || (err = hold_names(p, tree, &names, &n)) < 0)
		goto done;
	if (n && !(out->v = calloc(n, sizeof *out->v))) {
		err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if ((err = hold_fill(p, out, &head, names[i])) < 0)
			goto done;
done:
	if (err < 0)
		custos_holds_free(out);
	names_free(names, n);
	git_tree_free(tree);
	return err;
}

int custos_hold_get(custos_policy_t *p, const char *name, custos_holds_t *out)
{
	git_oid head;
	int err;
	memset(out, 0, sizeof *out);
	custos_err_clear(&p->err);
	if (!name || !hold_name_ok(name))
		return custos_err_set(&p->err, CUSTOS_EINVAL, "invalid hold name '%s'", name ? name : "");
	if ((err = custos_policy__head(p, &head)) < 0)
		return err;
	if (!(out->v = calloc(1, sizeof *out->v)))
		return custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
	if ((err = hold_fill(p, out, &head, name)) < 0)
		custos_holds_free(out);
	return err;
}

int custos_hold_members(custos_policy_t *p, const char *name, custos_hold_member_fn fn, void *ctx)
{
	hold_file_t h;
	custos_retention__members_t *m = NULL;
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int err;
	if ((err = hold_named(p, name, &h)) < 0)
		return err;
	/* refreshing checks the anchor before anything is shown */
	if ((err = members_refresh(p, &h, &m)) < 0)
		goto done;
	if (!(f = fopen(m->path, "re"))) {
		if (errno != ENOENT)
			err = custos_err_set(&p->err, CUSTOS_EIO, "cannot open '%s': %s", m->path, strerror(errno));
		goto done;
	}
	uint64_t seen = 0, upto = m->n;
	while (seen < upto && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			break;
		line[len - 1] = '\0';
		char *sp = member_space(line, (size_t)len - 1);
		if (!sp)
			break;
		*sp = '\0';
		seen++;
		if ((err = fn(ctx, line, sp + 1)) != 0)
			goto done;
	}
done:
	if (f)
		fclose(f);
	free(line);
	hold_file_free(&h);
	return err;
}

int custos_hold_listed(custos_policy_t *p, const char *name, custos_hold_member_fn fn, void *ctx)
{
	hold_file_t h;
	custos_buf_t text = { 0 };
	custos_retention__members_t *m = NULL;
	char path[160];
	int err;
	if ((err = hold_named(p, name, &h)) < 0)
		return err;
	if (!h.ids_n)
		goto done;
	/* loading checks the list against its anchor before anything is shown */
	if ((err = members_refresh(p, &h, &m)) < 0 || (err = listed_load(p, &h, m)) < 0)
		goto done;
	snprintf(path, sizeof path, "holds/%s.ids", name);
	if ((err = custos_policy__read(p, NULL, path, &text, NULL)) < 0)
		goto done;
	for (size_t pos = 0; pos < text.len;) {
		char *nl = memchr(text.data + pos, '\n', text.len - pos);
		size_t len = nl ? (size_t)(nl - (text.data + pos)) : text.len - pos;
		if (nl)
			*nl = '\0';
		if (len && (err = fn(ctx, text.data + pos, NULL)) != 0)
			goto done;
		pos += len + 1;
	}
done:
	custos_buf_free(&text);
	hold_file_free(&h);
	return err;
}

/* The member cache of hold name, its list loaded; NULL on failure. */
static custos_retention__members_t *members_of(custos_policy_t *p, const char *name)
{
	custos_retention__members_t *m = members_find(p, name);
	hold_file_t h;
	if (m && (m->listed_loaded || !m->verified))
		return m->verified ? m : NULL;
	if (!name || !hold_name_ok(name) || hold_read(p, NULL, name, &h) < 0)
		return NULL;
	int err = members_refresh(p, &h, &m);
	if (err == CUSTOS_OK)
		err = listed_load(p, &h, m);
	hold_file_free(&h);
	return err < 0 ? NULL : m;
}

bool custos_hold_has_member(custos_policy_t *p, const char *name, const char *id)
{
	custos_retention__members_t *m = members_of(p, name);
	return m && custos_retention__set_has(&m->ids, id, strlen(id));
}

bool custos_hold_lists(custos_policy_t *p, const char *name, const char *id)
{
	custos_retention__members_t *m = members_of(p, name);
	return m && custos_retention__set_has(&m->listed, id, strlen(id));
}

/* ---------------------------------------------------------------------------
 * The hold set for disposition
 */
struct custos_holdset {
	size_t n;
	char **names;
	const custos_retention__set_t **ids;      /* borrowed from the policy's caches */
	const custos_retention__set_t **listed;   /* the same; empty sets for none */
};

int custos_holdset_load(custos_holdset_t **out, custos_policy_t *p)
{
	git_oid head;
	git_tree *tree = NULL;
	char **names = NULL;
	size_t n = 0;
	custos_holdset_t *s = NULL;
	int err;
	*out = NULL;
	custos_err_clear(&p->err);
	if ((err = head_tree(p, &head, &tree)) < 0 || (err = hold_names(p, tree, &names, &n)) < 0)
		goto done;
	if (!(s = calloc(1, sizeof *s)) || (n && (!(s->names = calloc(n, sizeof *s->names)) ||
	                                          !(s->ids = calloc(n, sizeof *s->ids)) ||
	                                          !(s->listed = calloc(n, sizeof *s->listed))))) {
		err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		hold_file_t h;
		custos_retention__members_t *m;
		if ((err = hold_read(p, &head, names[i], &h)) < 0)
			goto done;
		if (h.active && (err = members_refresh(p, &h, &m)) == CUSTOS_OK &&
		    (err = listed_load(p, &h, m)) == CUSTOS_OK) {
			s->names[s->n] = names[i];
			names[i] = NULL;
			s->ids[s->n] = &m->ids;
			s->listed[s->n] = &m->listed;
			s->n++;
		}
		hold_file_free(&h);
		if (err < 0)
			goto done;
	}
done:
	names_free(names, n);
	git_tree_free(tree);
	if (err < 0) {
		custos_holdset_free(s);
		return err;
	}
	*out = s;
	return CUSTOS_OK;
}

size_t custos_holdset_covers(const custos_holdset_t *s, const char *id,
                             const char **names, size_t cap)
{
	size_t k = 0, len = strlen(id);
	for (size_t i = 0; i < s->n; i++)
		if (custos_retention__set_has(s->ids[i], id, len) ||
		    custos_retention__set_has(s->listed[i], id, len)) {
			if (names && k < cap)
				names[k] = s->names[i];
			k++;
		}
	return k;
}

void custos_holdset_free(custos_holdset_t *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->ids);
	free(s->listed);
	free(s);
}

/* ---------------------------------------------------------------------------
 * Checking hold files of a tree (for commits made outside custos)
 */
int custos_policy__check_holds(custos_policy_t *p, git_tree *tree, git_tree *known_tree,
                               char *why, size_t cap)
{
	git_tree_entry *e = NULL, *ke = NULL;
	git_tree *t = NULL, *kt = NULL;
	int err = CUSTOS_OK, rc;

	rc = git_tree_entry_bypath(&e, tree, "holds");
	if (rc < 0 && rc != GIT_ENOTFOUND)
		return custos_policy__git(p, rc, "cannot read holds/");
	if (e && (rc = git_tree_lookup(&t, p->repo, git_tree_entry_id(e))) < 0) {
		err = custos_policy__git(p, rc, "holds/ is not a folder");
		goto done;
	}
	if (known_tree) {
		rc = git_tree_entry_bypath(&ke, known_tree, "holds");
		if (rc < 0 && rc != GIT_ENOTFOUND) {
			err = custos_policy__git(p, rc, "cannot read holds/");
			goto done;
		}
		if (ke && (rc = git_tree_lookup(&kt, p->repo, git_tree_entry_id(ke))) < 0) {
			err = custos_policy__git(p, rc, "cannot read holds/");
			goto done;
		}
	}
	/* every hold file is well-formed */
	for (size_t i = 0; t && i < git_tree_entrycount(t); i++) {
		const git_tree_entry *he = git_tree_entry_byindex(t, i);
		const char *fn = git_tree_entry_name(he);
		git_blob *b = NULL;
		hold_file_t h;
		size_t l = strlen(fn);
		if (git_tree_entry_type(he) == GIT_OBJECT_BLOB && l > 4 && !strcmp(fn + l - 4, ".ids")) {
			/* a hold's id list: checked with its hold file below */
			char jn[160];
			snprintf(jn, sizeof jn, "%.*s.json", (int)(l - 4), fn);
			if (git_tree_entry_byname(t, jn))
				continue;
			snprintf(why, cap, "holds/%s: an id list without its hold file %s", fn, jn);
			err = CUSTOS_EPOLICY;
			goto done;
		}
		if (git_tree_entry_type(he) != GIT_OBJECT_BLOB || l <= 5 || strcmp(fn + l - 5, ".json") != 0) {
			snprintf(why, cap, "holds/%s: only <name>.json and <name>.ids files belong in "
			         "holds/", fn);
			err = CUSTOS_EPOLICY;
			goto done;
		}
		if ((rc = git_blob_lookup(&b, p->repo, git_tree_entry_id(he))) < 0) {
			err = custos_policy__git(p, rc, "cannot read holds/%s", fn);
			goto done;
		}
		rc = hold_parse(&h, fn, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), why, cap);
		git_blob_free(b);
		if (rc < 0) {
			err = CUSTOS_EPOLICY;
			goto done;
		}
		/* its id list is there and is the one its file anchors */
		if (h.ids_n) {
			char idn[160];
			const git_tree_entry *ie;
			git_blob *ib = NULL;
			snprintf(idn, sizeof idn, "%s.ids", h.name);
			if (!(ie = git_tree_entry_byname(t, idn)) ||
			    git_blob_lookup(&ib, p->repo, git_tree_entry_id(ie)) < 0) {
				snprintf(why, cap, "holds/%s: its id list holds/%s is missing", fn, idn);
				hold_file_free(&h);
				err = CUSTOS_EPOLICY;
				goto done;
			}
			uint8_t d[CUSTOS_SHA256_LEN];
			char hex[CUSTOS_SHA256_HEX];
			custos_sha256(d, git_blob_rawcontent(ib), (size_t)git_blob_rawsize(ib));
			custos_hex(hex, d, sizeof d);
			git_blob_free(ib);
			if (strcmp(hex, h.ids_sha) != 0) {
				snprintf(why, cap, "holds/%s: holds/%s is not the id list the hold anchors", fn,
				         idn);
				hold_file_free(&h);
				err = CUSTOS_EPOLICY;
				goto done;
			}
		}
		/* a new hold's query must parse, as custos_hold_create checks; old
		 * ones keep the query they were accepted with */
		if (p->check && h.active && *h.query && !(kt && git_tree_entry_byname(kt, fn))) {
			char qwhy[400] = "";
			if (p->check(p->check_ctx, h.query, qwhy, sizeof qwhy) != 0) {
				snprintf(why, cap, "holds/%s: bad query '%.200s': %s", fn, h.query,
				         qwhy[0] ? qwhy : "refused by the query parser");
				hold_file_free(&h);
				err = CUSTOS_EPOLICY;
				goto done;
			}
		}
		hold_file_free(&h);
	}
	/* what was held stays held: an active hold may be released, never
	 * removed, re-queried or have its anchored membership lowered */
	for (size_t i = 0; kt && i < git_tree_entrycount(kt); i++) {
		const git_tree_entry *ke2 = git_tree_entry_byindex(kt, i);
		const char *fn = git_tree_entry_name(ke2);
		git_blob *b = NULL;
		hold_file_t old, cur;
		size_t fl = strlen(fn);
		if (fl > 4 && !strcmp(fn + fl - 4, ".ids"))
			continue;   /* checked against its hold file */
		if ((rc = git_blob_lookup(&b, p->repo, git_tree_entry_id(ke2))) < 0) {
			err = custos_policy__git(p, rc, "cannot read holds/%s", fn);
			goto done;
		}
		rc = hold_parse(&old, fn, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), why, cap);
		git_blob_free(b);
		if (rc < 0)
			continue;   /* it was accepted before; nothing to compare with */
		const git_tree_entry *ce = t ? git_tree_entry_byname(t, fn) : NULL;
		if (!ce) {
			snprintf(why, cap, "holds/%s was removed: a hold is released, never deleted", fn);
			hold_file_free(&old);
			err = CUSTOS_EPOLICY;
			goto done;
		}
		if ((rc = git_blob_lookup(&b, p->repo, git_tree_entry_id(ce))) < 0) {
			hold_file_free(&old);
			err = custos_policy__git(p, rc, "cannot read holds/%s", fn);
			goto done;
		}
		rc = hold_parse(&cur, fn, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), why, cap);
		git_blob_free(b);
		if (rc == CUSTOS_OK) {
			if (old.active && strcmp(old.query, cur.query) != 0)
				snprintf(why, cap, "holds/%s: the query of an active hold was changed", fn), rc = -1;
			else if (!old.active && cur.active)
				snprintf(why, cap, "holds/%s: a released hold was made active again "
				         "(create a new hold instead)", fn), rc = -1;
			else if (old.active && old.with_thread && !cur.with_thread)
				snprintf(why, cap, "holds/%s: an active hold stopped covering whole "
				         "conversations (with_thread)", fn), rc = -1;
			else if (old.active && (old.ids_n != cur.ids_n ||
			                        (old.ids_sha && strcmp(old.ids_sha, cur.ids_sha))))
				snprintf(why, cap, "holds/%s: the id list of an active hold was changed", fn),
				rc = -1;
			else if (cur.anchor_n < old.anchor_n)
				snprintf(why, cap, "holds/%s: the recorded membership shrank from %llu to %llu",
				         fn, (unsigned long long)old.anchor_n, (unsigned long long)cur.anchor_n), rc = -1;
			hold_file_free(&cur);
		}
		hold_file_free(&old);
		if (rc < 0) {
			err = CUSTOS_EPOLICY;
			goto done;
		}
	}
done:
	git_tree_free(kt);
	git_tree_free(t);
	git_tree_entry_free(ke);
	git_tree_entry_free(e);
	return err;
}

/* ---------------------------------------------------------------------------
 * Comparing the holds of two commits (the one the store's chain anchored
 * and the branch's head), and the member files with both anchors
 */

/* The hold files of the holds/ folder of commit (NULL: none). */
static int holds_tree(custos_policy_t *p, const git_oid *commit, git_tree **out)
{
	git_commit *c = NULL;
	git_tree *root = NULL;
	git_tree_entry *e = NULL;
	int rc;
	*out = NULL;
	if ((rc = git_commit_lookup(&c, p->repo, commit)) < 0 ||
	    (rc = git_commit_tree(&root, c)) < 0) {
		git_commit_free(c);
		return custos_policy__git(p, rc, "cannot read commit %s", git_oid_tostr_s(commit));
	}
	rc = git_tree_entry_bypath(&e, root, "holds");
	if (rc == 0 && git_tree_entry_type(e) == GIT_OBJECT_TREE)
		rc = git_tree_lookup(out, p->repo, git_tree_entry_id(e));
	else if (rc == 0 || rc == GIT_ENOTFOUND)
		rc = 0;
	git_tree_entry_free(e);
	git_tree_free(root);
	git_commit_free(c);
	return rc < 0 ? custos_policy__git(p, rc, "cannot read holds/ of commit %s",
	                                   git_oid_tostr_s(commit)) : CUSTOS_OK;
}

static int hold_parse_entry(custos_policy_t *p, const git_tree_entry *e, hold_file_t *h,
                            char *why, size_t cap)
{
	git_blob *b = NULL;
	int rc = git_blob_lookup(&b, p->repo, git_tree_entry_id(e));
	if (rc < 0)
		return custos_policy__git(p, rc, "cannot read holds/%s", git_tree_entry_name(e));
	rc = hold_parse(h, git_tree_entry_name(e), git_blob_rawcontent(b),
	                (size_t)git_blob_rawsize(b), why, cap);
	git_blob_free(b);
	return rc;
}

/* Checks the first n entries of the hold's member file against each of the
 * anchors (count, sha256) given (the base's and the head's). */
static int members_check(custos_policy_t *p, const char *name, const uint64_t *count,
                         const char *const *sha, const char *const *where, size_t n_anchors,
                         custos_hold_change_fn fn, void *ctx)
{
	char path[4200], why[700];
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t seen = 0, want = 0;
	custos_sha256_ctx_t c;
	bool done[2] = { false, false };
	int err = CUSTOS_OK;

	for (size_t i = 0; i < n_anchors; i++)
		want = count[i] > want ? count[i] : want;
	snprintf(path, sizeof path, "%s/%s.members", p->holds_dir, name);
	custos_sha256_init(&c);
	f = fopen(path, "re");
	if (!f && errno != ENOENT)
		return custos_err_set(&p->err, CUSTOS_EIO, "cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		for (size_t i = 0; i < n_anchors; i++) {
			if (done[i] || count[i] != seen)
				continue;
			char hex[CUSTOS_SHA256_HEX];
			custos_sha256_ctx_t c2 = c;
			uint8_t d[CUSTOS_SHA256_LEN];
			custos_sha256_final(&c2, d);
			custos_hex(hex, d, sizeof d);
			done[i] = true;
			if (strcmp(hex, sha[i]) != 0) {
				snprintf(why, sizeof why, "the first %llu entries of holds/%s.members differ "
				         "from those the policy repository recorded (%s): membership was "
				         "changed behind custos's back", (unsigned long long)count[i], name,
				         where[i]);
				if ((err = fn(ctx, CUSTOS_HOLD_MEMBERS, name, why)) != 0)
					goto done;
			}
		}
		if (!f || (len = getline(&line, &cap, f)) <= 0 || line[len - 1] != '\n')
			break;   /* a torn last line was never acknowledged */
		/* every entry, anchored or not yet, is "<id> <sha256>" */
		char *sp = member_space(line, (size_t)len - 1);
		if (!sp) {
			snprintf(why, sizeof why, "entry %llu of holds/%s.members is malformed: the file "
			         "was changed behind custos's back", (unsigned long long)seen + 1, name);
			err = fn(ctx, CUSTOS_HOLD_MEMBERS, name, why);
			goto done;   /* what follows from it is the same damage */
		}
		if (seen < want)
			custos_sha256_update(&c, line, (size_t)len);
		seen++;
	}
	if (seen > want)
		seen = want;   /* what the anchors cover: the rest is not yet anchored */
	for (size_t i = 0; i < n_anchors; i++) {
		if (done[i])
			continue;
		snprintf(why, sizeof why, "holds/%s.members has %llu entries, the policy repository "
		         "recorded %llu (%s): membership was lost behind custos's back", name,
		         (unsigned long long)seen, (unsigned long long)count[i], where[i]);
		if ((err = fn(ctx, CUSTOS_HOLD_MEMBERS, name, why)) != 0)
			goto done;
	}
done:
	if (f)
		fclose(f);
	free(line);
	return err;
}

int custos_holds_compare(custos_policy_t *p, const char *base, const char *head, unsigned flags,
                         custos_hold_change_fn fn, void *ctx)
{
	git_oid bid, hid;
	git_tree *bt = NULL, *ht = NULL;
	char why[700], bwhere[64], hwhere[64];
	int err;

	custos_err_clear(&p->err);
	if (git_oid_fromstr(&bid, base) < 0)
		return custos_err_set(&p->err, CUSTOS_EINVAL, "'%s' is not a commit id", base);
	if (head && git_oid_fromstr(&hid, head) < 0)
		return custos_err_set(&p->err, CUSTOS_EINVAL, "'%s' is not a commit id", head);
	if (!head && (err = custos_policy__head(p, &hid)) < 0)
		return err;
	snprintf(bwhere, sizeof bwhere, "commit %.12s", git_oid_tostr_s(&bid));
	snprintf(hwhere, sizeof hwhere, "commit %.12s", git_oid_tostr_s(&hid));
	if ((err = holds_tree(p, &bid, &bt)) < 0 || (err = holds_tree(p, &hid, &ht)) < 0)
		goto done;
	/* what was held at the base stays held, or was released */
	for (size_t i = 0; bt && i < git_tree_entrycount(bt); i++) {
		const git_tree_entry *be = git_tree_entry_byindex(bt, i);
		const char *fn_ = git_tree_entry_name(be);
		const git_tree_entry *he = ht ? git_tree_entry_byname(ht, fn_) : NULL;
		hold_file_t old, cur;
		size_t l = strlen(fn_);
		char name[128];
		if (l <= 5 || l - 5 >= sizeof name || strcmp(fn_ + l - 5, ".json") != 0)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(l - 5), fn_);
		if (he && git_oid_equal(git_tree_entry_id(be), git_tree_entry_id(he)))
			continue;   /* the same file */
		if ((err = hold_parse_entry(p, be, &old, why, sizeof why)) < 0) {
			if (err != CUSTOS_EFORMAT)
				goto done;
			err = CUSTOS_OK;
			continue;   /* custos never wrote it: nothing to compare with */
		}
		int r = 0;
		if (!he) {
			snprintf(why, sizeof why, "holds/%s was removed from the branch", fn_);
			r = fn(ctx, CUSTOS_HOLD_REMOVED, name, why);
		} else if ((err = hold_parse_entry(p, he, &cur, why, sizeof why)) < 0) {
			if (err != CUSTOS_EFORMAT) {
				hold_file_free(&old);
				goto done;
			}
			err = CUSTOS_OK;
			r = fn(ctx, CUSTOS_HOLD_UNREADABLE, name, why);
		} else {
			if (old.active && !cur.active) {
				snprintf(why, sizeof why, "holds/%s says released (by %s, \"%.200s\")", fn_,
				         cur.released_by, cur.release_reason);
				r = fn(ctx, CUSTOS_HOLD_RELEASED, name, why);
			} else if (!old.active && cur.active) {
				snprintf(why, sizeof why, "holds/%s: a released hold was made active again", fn_);
				r = fn(ctx, CUSTOS_HOLD_REACTIVATED, name, why);
			}
			if (!r && old.active && strcmp(old.query, cur.query) != 0) {
				snprintf(why, sizeof why, "holds/%s: the query of an active hold was changed",
				         fn_);
				r = fn(ctx, CUSTOS_HOLD_REQUERIED, name, why);
			}
			if (!r && (cur.anchor_n < old.anchor_n ||
			           (cur.anchor_n == old.anchor_n && strcmp(cur.anchor_sha, old.anchor_sha)))) {
				snprintf(why, sizeof why, "holds/%s: the recorded membership went from %llu "
				         "entries to %llu%s", fn_, (unsigned long long)old.anchor_n,
				         (unsigned long long)cur.anchor_n,
				         cur.anchor_n == old.anchor_n ? " with another digest" : "");
				r = fn(ctx, CUSTOS_HOLD_SHRUNK, name, why);
			}
			hold_file_free(&cur);
		}
		hold_file_free(&old);
		if (r) {
			err = r;
			goto done;
		}
	}
	/* every member file holds what both commits recorded of it */
	for (size_t i = 0; (flags & CUSTOS_HOLDS_MEMBERS) && ht && i < git_tree_entrycount(ht); i++) {
		const git_tree_entry *he = git_tree_entry_byindex(ht, i);
		const git_tree_entry *be = bt ? git_tree_entry_byname(bt, git_tree_entry_name(he)) : NULL;
		const char *fn_ = git_tree_entry_name(he);
		hold_file_t cur, old;
		size_t l = strlen(fn_);
		if (l <= 5 || strcmp(fn_ + l - 5, ".json") != 0)
			continue;
		if ((err = hold_parse_entry(p, he, &cur, why, sizeof why)) < 0) {
			if (err != CUSTOS_EFORMAT)
				goto done;
			err = CUSTOS_OK;
			continue;
		}
		uint64_t count[2] = { cur.anchor_n, 0 };
		const char *sha[2] = { cur.anchor_sha, NULL }, *where[2] = { hwhere, bwhere };
		size_t n = 1;
		bool have_old = false;
		if (be && !git_oid_equal(git_tree_entry_id(be), git_tree_entry_id(he)) &&
		    hold_parse_entry(p, be, &old, why, sizeof why) == CUSTOS_OK) {
			have_old = true;
			count[1] = old.anchor_n;
			sha[1] = old.anchor_sha;
			n = 2;
		}
		int r = members_check(p, cur.name, count, sha, where, n, fn, ctx);
		if (have_old)
			hold_file_free(&old);
		hold_file_free(&cur);
		if (r) {
			err = r;
			goto done;
		}
	}
	err = CUSTOS_OK;
done:
	git_tree_free(bt);
	git_tree_free(ht);
	return err;
}
