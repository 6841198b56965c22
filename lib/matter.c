/* Matters and review coding: saved searches and review tags, work product
 * kept beside the store in its own LMDB environment (<archive>/matters;
 * docs/storage.md, "Review coding"), audited, and reduced to the fact of
 * coding when a record is disposed of. */
#include "matter_internal.h"

#include <errno.h>
#include <jansson.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The environment's named databases:
 *   matters   name -> {"name","description","tags":[...],"created_at","created_by"}
 *   searches  matter NUL name -> {"name","query","hits","watermark","saved_at","saved_by"}
 *   coding    matter NUL record id -> {"p":platform,"a":custodian,"n":changes,
 *             "first":ms,"last":ms,"t":{tag:{"by","at","note"}}}; after the record's
 *             disposal {"p","a","n","first","last","disposed_at"}: the fact, not the tags
 *   meta      "tombstones" -> u64: the store's tombstones this coding accounts for */
enum { DB_MATTERS, DB_SEARCHES, DB_CODING, DB_META, DB_N };
static const char *const db_names[DB_N] = { "matters", "searches", "coding", "meta" };

static const char *const standard_tags[] = { "responsive", "non-responsive", "privileged",
                                             "confidential" };
#define N_STANDARD 4

struct custos_matters {
	MDB_env *env;
	MDB_dbi  dbi[DB_N];
	bool     writable;
};

void custos_matters__close(custos_matters_t *m)
{
	if (!m)
		return;
	mdb_env_close(m->env);
	free(m);
}

static int mdb_fail(custos_err_t *err, int rc, const char *what)
{
	int st = rc == MDB_MAP_FULL || rc == ENOSPC ? CUSTOS_ENOSPC :
	         rc == EACCES ? CUSTOS_EACCESS : rc == ENOMEM ? CUSTOS_ENOMEM : CUSTOS_EIO;
	return custos_err_set(err, st, "%s: %s", what, mdb_strerror(rc));
}

/* Ends a write transaction: commits it when r is 0, else aborts it.
 * @return r, or the commit's status. */
static int txn_end(MDB_txn *txn, int r)
{
	if (r) {
		mdb_txn_abort(txn);
		return r;
	}
	return mdb_txn_commit(txn);
}

/* ---- names ------------------------------------------------------------- */

static int check_name(custos_err_t *err, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	bool ok = n >= 1 && n <= 64 && name[0] != '.' && name[0] != '-';
	for (size_t i = 0; ok && i < n; i++) {
		char c = name[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '.' || c == '_' || c == '-';
	}
	if (!ok) {
		custos_buf_t b = { 0 };
		custos_buf_add_printable(&b, name ? name : "", n > 80 ? 80 : n);
		custos_err_set(err, CUSTOS_EINVAL, "invalid matter name '%s': 1-64 of letters, digits, "
		               "'.', '_' and '-', not starting with '.' or '-'", b.data ? b.data : "");
		custos_buf_free(&b);
		return CUSTOS_EINVAL;
	}
	return CUSTOS_OK;
}

static int check_tag(custos_err_t *err, const char *tag)
{
	size_t n = tag ? strlen(tag) : 0;
	bool ok = n >= 1 && n <= 40;
	for (size_t i = 0; ok && i < n; i++) {
		char c = tag[i];
		ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
	}
	if (!ok) {
		custos_buf_t b = { 0 };
		custos_buf_add_printable(&b, tag ? tag : "", n > 60 ? 60 : n);
		custos_err_set(err, CUSTOS_EINVAL, "invalid tag '%s': 1-40 of lower-case letters, "
		               "digits, '_' and '-'", b.data ? b.data : "");
		custos_buf_free(&b);
		return CUSTOS_EINVAL;
	}
	return CUSTOS_OK;
}

/* ---- the environment --------------------------------------------------- */

static int reconcile(custos_session_t *s, custos_matters_t *m);

/* The archive's matters environment; with write, created when missing.
 * *out is NULL (and CUSTOS_OK) when reading an archive that has none. */
static int matters_get(custos_session_t *s, bool write, custos_matters_t **out)
{
	custos_archive_t *a = s->a;
	char path[4200];
	struct stat sb;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&a->mu);
	custos_matters_t *m = a->matters;
	pthread_mutex_unlock(&a->mu);
	if (m) {
		*out = m;
		return CUSTOS_OK;
	}
	snprintf(path, sizeof path, "%s/matters", a->dir);
	bool exists = stat(path, &sb) == 0;
	if (!exists && !write)
		return CUSTOS_OK;
	if (!exists && mkdir(path, 0700) < 0 && errno != EEXIST)
		return custos_err_set(&s->err, errno == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
		                      "cannot create '%s': %s", path, strerror(errno));
	if (!(m = calloc(1, sizeof *m)))
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	m->writable = custos_archive_writable(a);
	if ((rc = mdb_env_create(&m->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(m->env, DB_N)) != 0 ||
	    /* a sparse file: it grows with the coding, up to 64 GiB */
	    (rc = mdb_env_set_mapsize(m->env, (size_t)1 << 36)) != 0 ||
	    (rc = mdb_env_open(m->env, path, MDB_NOTLS | (m->writable ? 0 : MDB_RDONLY), 0600)) != 0) {
		mdb_fail(&s->err, rc, "cannot open the matters");
		custos_matters__close(m);
		return s->err.status;
	}
	MDB_txn *txn;
	if ((rc = mdb_txn_begin(m->env, NULL, m->writable ? 0 : MDB_RDONLY, &txn)) != 0) {
		mdb_fail(&s->err, rc, "cannot open the matters");
		custos_matters__close(m);
		return s->err.status;
	}
	for (int i = 0; i < DB_N && rc == 0; i++)
		rc = mdb_dbi_open(txn, db_names[i], m->writable ? MDB_CREATE : 0, &m->dbi[i]);
	rc = txn_end(txn, rc);
	if (rc != 0) {
		mdb_fail(&s->err, rc, "cannot open the matters");
		custos_matters__close(m);
		return s->err.status;
	}
	pthread_mutex_lock(&a->mu);
	if (a->matters) {
		/* another thread opened it meanwhile: LMDB wants one per process */
		pthread_mutex_unlock(&a->mu);
		custos_matters__close(m);
		pthread_mutex_lock(&a->mu);
		m = a->matters;
	} else {
		a->matters = m;
	}
	pthread_mutex_unlock(&a->mu);
	if (m->writable && (rc = reconcile(s, m)) < 0)
		return rc;
	*out = m;
	return CUSTOS_OK;
}

static void key_of(custos_buf_t *k, const char *matter, const char *rest)
{
	custos_buf_clear(k);
	custos_buf_adds(k, matter);
	custos_buf_addc(k, '\0');
	custos_buf_adds(k, rest);
}

static json_t *get_json(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kn, int *rc)
{
	MDB_val key = { kn, (void *)k }, v;
	*rc = mdb_get(txn, dbi, &key, &v);
	if (*rc)
		return NULL;
	json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
	if (!o)
		*rc = MDB_CORRUPTED;
	return o;
}

static int put_json(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kn, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	if (!text)
		return ENOMEM;
	MDB_val key = { kn, (void *)k }, v = { strlen(text), text };
	int rc = mdb_put(txn, dbi, &key, &v, 0);
	free(text);
	return rc;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Who the coding names: the actor, else the service token ("token NAME"),
 * else "" (the operator without --actor). by holds the text. */
static const char *who_of(custos_session_t *s, char by[CUSTOS_TOKEN_NAME_MAX + 8])
{
	if (s->actor)
		return s->actor;
	snprintf(by, CUSTOS_TOKEN_NAME_MAX + 8, "%s%.*s", s->token ? "token " : "",
	         CUSTOS_TOKEN_NAME_MAX, s->token ? s->token : "");
	return by;
}

/* ---- disposition -------------------------------------------------------- */

/* The coding of a disposed record: the fact, not the tags. */
static json_t *fact_of(json_t *c, int64_t now)
{
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "p", jstr(c, "p"), "a", jstr(c, "a"),
	                 "n", (json_int_t)jint(c, "n"), "first", (json_int_t)jint(c, "first"),
	                 "last", (json_int_t)jint(c, "last"), "disposed_at", (json_int_t)now);
}

/* Reduces the coding of id, in every matter, to the fact. */
static int forget_tags(custos_matters_t *m, MDB_txn *txn, const char *id, int64_t now)
{
	MDB_cursor *c;
	MDB_val k, v;
	size_t idn = strlen(id);
	int rc = mdb_cursor_open(txn, m->dbi[DB_CODING], &c);
	if (rc)
		return rc;
	/* keys are matter NUL id: walk the matters (few) and look id up in each */
	MDB_cursor *mc;
	if ((rc = mdb_cursor_open(txn, m->dbi[DB_MATTERS], &mc))) {
		mdb_cursor_close(c);
		return rc;
	}
	custos_buf_t key = { 0 };
	for (rc = mdb_cursor_get(mc, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(mc, &k, &v, MDB_NEXT)) {
		custos_buf_clear(&key);
		custos_buf_add(&key, k.mv_data, k.mv_size);
		custos_buf_addc(&key, '\0');
		custos_buf_add(&key, id, idn);
		int r2;
		json_t *o = get_json(txn, m->dbi[DB_CODING], key.data, key.len, &r2);
		if (r2 == MDB_NOTFOUND)
			continue;
		if (r2) {
			rc = r2;
			break;
		}
		if (!json_object_get(o, "disposed_at")) {
			json_t *f = fact_of(o, now);
			r2 = f ? put_json(txn, m->dbi[DB_CODING], key.data, key.len, f) : ENOMEM;
			json_decref(f);
		}
		json_decref(o);
		if (r2) {
			rc = r2;
			break;
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	custos_buf_free(&key);
	mdb_cursor_close(mc);
	mdb_cursor_close(c);
	return rc;
}

static int put_seen(custos_matters_t *m, MDB_txn *txn, uint64_t n)
{
	MDB_val k = { 10, "tombstones" }, v = { sizeof n, &n };
	return mdb_put(txn, m->dbi[DB_META], &k, &v, 0);
}

static uint64_t get_seen(custos_matters_t *m, MDB_txn *txn)
{
	MDB_val k = { 10, "tombstones" }, v;
	uint64_t n = 0;
	if (mdb_get(txn, m->dbi[DB_META], &k, &v) == 0 && v.mv_size == sizeof n)
		memcpy(&n, v.mv_data, sizeof n);
	return n;
}

static int tomb_count(custos_store_t *st, uint64_t *n, custos_err_t *err)
{
	custos_store_stats_t ss;
	int rc = custos_store_stats(st, &ss);
	if (rc < 0)
		return custos_err_set(err, rc, "%s", custos_store_err(st)->msg);
	*n = ss.tombstones;
	custos_store_stats_free(&ss);
	return CUSTOS_OK;
}

/* After a crash between a disposal's commit and its hook: every coded
 * record that is no longer stored loses its tags. Runs only when the
 * store's tombstones differ from those the coding accounts for. */
static int reconcile(custos_session_t *s, custos_matters_t *m)
{
	custos_store_t *st = NULL;
	custos_record_t rec;
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint64_t tombs = 0;
	int rc;

	if ((rc = custos_store_view(&st, s->a->store, &s->err)) < 0)
		return rc;
	custos_record_init(&rec);
	if ((rc = tomb_count(st, &tombs, &s->err)) < 0)
		goto done;
	if ((rc = mdb_txn_begin(m->env, NULL, 0, &txn))) {
		rc = mdb_fail(&s->err, rc, "cannot update the matters");
		goto done;
	}
	if (get_seen(m, txn) == tombs) {
		mdb_txn_abort(txn);
		txn = NULL;
		goto done;
	}
	int64_t now = custos_time_now();
	int r;
	if ((r = mdb_cursor_open(txn, m->dbi[DB_CODING], &c)) == 0) {
		for (r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
		     r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			const char *key = k.mv_data;
			size_t ml = strnlen(key, k.mv_size);
			if (ml >= k.mv_size)
				continue;
			char id[512];
			snprintf(id, sizeof id, "%.*s", (int)(k.mv_size - ml - 1), key + ml + 1);
			json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
			if (!o || json_object_get(o, "disposed_at")) {
				json_decref(o);
				continue;
			}
			uint64_t *seqs = NULL;
			size_t n = 0;
			int gone = 0;
			if (custos_store_versions(st, id, &seqs, &n) == CUSTOS_OK && n)
				gone = custos_store_get_seq(st, seqs[n - 1], &rec) == CUSTOS_ENOTFOUND;
			free(seqs);
			if (gone) {
				json_t *f = fact_of(o, now);
				MDB_val nv;
				char *text = f ? json_dumps(f, JSON_COMPACT) : NULL;
				nv.mv_data = text;
				nv.mv_size = text ? strlen(text) : 0;
				r = text ? mdb_cursor_put(c, &k, &nv, MDB_CURRENT) : ENOMEM;
				free(text);
				json_decref(f);
			}
			json_decref(o);
			if (r)
				break;
		}
		mdb_cursor_close(c);
		if (r == MDB_NOTFOUND)
			r = 0;
	}
	if (!r)
		r = put_seen(m, txn, tombs);
	if (r) {
		mdb_txn_abort(txn);
		txn = NULL;
		rc = mdb_fail(&s->err, r, "cannot clear the coding of disposed records");
		goto done;
	}
	if ((r = mdb_txn_commit(txn)))
		rc = mdb_fail(&s->err, r, "cannot clear the coding of disposed records");
	txn = NULL;
done:
	if (txn)
		mdb_txn_abort(txn);
	custos_record_free(&rec);
	custos_store_free(st);
	return rc;
}

int custos_matter__disposed(custos_archive_t *a, custos_store_t *st,
                            const custos_dispose_item_t *items, size_t n, custos_err_t *err)
{
	char path[4200];
	struct stat sb;
	custos_matters_t *m;
	MDB_txn *txn;
	uint64_t tombs = 0;
	int rc;

	pthread_mutex_lock(&a->mu);
	m = a->matters;
	pthread_mutex_unlock(&a->mu);
	if (!m) {
		snprintf(path, sizeof path, "%s/matters", a->dir);
		if (stat(path, &sb) < 0)
			return CUSTOS_OK;   /* nothing was ever coded */
		/* open it through a session of the archive's own */
		custos_session_t *s = NULL;
		if ((rc = custos_session_open(&s, a, NULL, err)) < 0)
			return rc;
		rc = matters_get(s, true, &m);
		if (rc < 0 && err)
			*err = s->err;
		custos_session_free(s);
		if (rc < 0)
			return rc;
	}
	if ((rc = tomb_count(st, &tombs, err)) < 0)
		return rc;
	if ((rc = mdb_txn_begin(m->env, NULL, 0, &txn)))
		return mdb_fail(err, rc, "cannot clear the coding of disposed records");
	int64_t now = custos_time_now();
	for (size_t i = 0; i < n && !rc; i++)
		rc = forget_tags(m, txn, items[i].id, now);
	if (!rc)
		rc = put_seen(m, txn, tombs);
	if (rc) {
		mdb_txn_abort(txn);
		return mdb_fail(err, rc, "cannot clear the coding of disposed records");
	}
	if ((rc = mdb_txn_commit(txn)))
		return mdb_fail(err, rc, "cannot clear the coding of disposed records");
	return CUSTOS_OK;
}

/* ---- create ------------------------------------------------------------- */

static int audit_err(custos_session_t *s, custos_buf_t *r)
{
	return custos_lib__json_error(r, s->err.msg);
}

int custos_archive_matter_create(custos_session_t *s, const char *name, const char *description,
                                 const char *const *tags, size_t n_tags)
{
	custos_matters_t *m = NULL;
	MDB_txn *txn = NULL;
	json_t *o = NULL, *tl = NULL;
	char by[CUSTOS_TOKEN_NAME_MAX + 8];
	int rc, r;

	if ((rc = custos_session__begin(s, CUSTOS_OP_MATTER_WRITE, "create matters")) < 0 ||
	    (rc = custos_session__need_write(s, "create a matter")) < 0 ||
	    (rc = check_name(&s->err, name)) < 0)
		goto audit;
	if (description && (rc = custos_text_check("description", description, 4000,
	                                            CUSTOS_TEXT_LINES | CUSTOS_TEXT_EMPTY,
	                                            &s->err)) < 0)
		goto audit;
	if (!(tl = json_array())) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	for (int i = 0; i < N_STANDARD; i++)
		json_array_append_new(tl, json_string(standard_tags[i]));
	for (size_t i = 0; i < n_tags; i++) {
		if ((rc = check_tag(&s->err, tags[i])) < 0)
			goto audit;
		bool dup = false;
		for (size_t j = 0; j < json_array_size(tl); j++)
			dup |= !strcmp(json_string_value(json_array_get(tl, j)), tags[i]);
		if (!dup)
			json_array_append_new(tl, json_string(tags[i]));
	}
	if ((rc = matters_get(s, true, &m)) < 0)
		goto audit;
	if ((r = mdb_txn_begin(m->env, NULL, 0, &txn))) {
		rc = mdb_fail(&s->err, r, "cannot create the matter");
		goto audit;
	}
	MDB_val k = { strlen(name), (void *)name }, v;
	if ((r = mdb_get(txn, m->dbi[DB_MATTERS], &k, &v)) == 0) {
		rc = custos_err_set(&s->err, CUSTOS_EEXISTS, "matter '%s' exists already", name);
		goto audit;
	}
	o = json_pack("{s:s,s:s,s:O,s:I,s:s}", "name", name, "description",
	              description ? description : "", "tags", tl,
	              "created_at", (json_int_t)custos_time_now(), "created_by",
	              who_of(s, by));
	if (!o || (r = put_json(txn, m->dbi[DB_MATTERS], name, strlen(name), o)) ||
	    (r = mdb_txn_commit(txn))) {
		txn = NULL;
		rc = mdb_fail(&s->err, o ? r : ENOMEM, "cannot create the matter");
		goto audit;
	}
	txn = NULL;
	rc = CUSTOS_OK;
audit:
	if (txn)
		mdb_txn_abort(txn);
	custos_buf_t p = { 0 }, res = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "name", name ? name : "");
	if (tl) {
		char *t = json_dumps(tl, JSON_COMPACT);
		custos_buf_printf(&p, ",\"tags\":%s", t ? t : "[]");
		free(t);
	}
	custos_buf_addc(&p, '}');
	if (rc < 0)
		audit_err(s, &res);
	rc = custos_session__audit(s, "matter-create", p.data, res.data, rc);
	custos_buf_free(&p);
	custos_buf_free(&res);
	json_decref(o);
	json_decref(tl);
	return rc;
}

/* ---- tagging ------------------------------------------------------------ */

typedef struct {
	char *id;
	char  platform[32];
	char *account;
} sel_rec_t;

typedef struct {
	sel_rec_t *v;
	size_t n, cap;
	custos_arena_t ar;
} sel_t;

static int sel_add(sel_t *l, const char *id, const char *platform, const char *account)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		sel_rec_t *nv = realloc(l->v, cap * sizeof *nv);
		if (!nv)
			return CUSTOS_ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	sel_rec_t *r = &l->v[l->n];
	r->id = custos_arena_strdup(&l->ar, id);
	r->account = custos_arena_strdup(&l->ar, account ? account : "");
	snprintf(r->platform, sizeof r->platform, "%s", platform ? platform : "");
	if (!r->id || !r->account)
		return CUSTOS_ENOMEM;
	l->n++;
	return CUSTOS_OK;
}

static int cmp_sel(const void *x, const void *y)
{
	return strcmp(((const sel_rec_t *)x)->id, ((const sel_rec_t *)y)->id);
}

/* The records a selection names, each with platform and custodian, read
 * in the session's snapshot; sorted by id, without repeats. */
static int select_records(custos_session_t *s, const custos_selection_t *sel, sel_t *out)
{
	custos_store_t *st = NULL;
	custos_index_t *idx = NULL;
	custos_record_t rec;
	int rc = CUSTOS_OK;
	int n_sel = !!sel->query + !!sel->thread + !!sel->ids;

	if (n_sel != 1)
		return custos_err_set(&s->err, CUSTOS_EINVAL, "name exactly one selection: a query, "
		                      "a thread or a list of ids");
	custos_record_init(&rec);
	if ((rc = custos_session__store(s, &st)) < 0)
		return rc;
	if (sel->query) {
		custos_index_idlist_t l = { 0 };
		if ((rc = custos_session__index(s, &idx)) < 0)
			return rc;
		if ((rc = custos_index_match_ids(idx, &l, sel->query)) < 0) {
			const char *msg = custos_index_errmsg(idx);
			return custos_err_set(&s->err, rc, "%s%s", rc == CUSTOS_EFORMAT &&
			                      strncmp(msg, "bad query", 9) ? "bad query: " : "", msg);
		}
		for (size_t i = 0; i < l.n && rc == CUSTOS_OK; i++) {
			if ((rc = custos_store_get_seq(st, l.v[i].seq, &rec)) < 0) {
				custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read %s",
				                     l.v[i].id);
				break;
			}
			if ((rc = sel_add(out, rec.id, rec.platform, rec.account)) < 0)
				custos_err_set(&s->err, rc, "out of memory");
		}
		custos_index_idlist_free(&l);
	} else if (sel->thread) {
		custos_items_t items = { 0 };
		if ((rc = custos_archive_show(s, sel->thread, 0, CUSTOS_SHOW_THREAD, &items)) < 0)
			return rc;
		for (size_t i = 0; i < items.n && rc == CUSTOS_OK; i++) {
			if (items.v[i].disposed)
				continue;
			const custos_record_t *r = &items.v[i].rec;
			if ((rc = sel_add(out, r->id, r->platform, r->account)) < 0)
				custos_err_set(&s->err, rc, "out of memory");
		}
		custos_items_free(&items);
	} else {
		for (size_t i = 0; i < sel->n_ids && rc == CUSTOS_OK; i++) {
			uint64_t *seqs = NULL;
			size_t n = 0;
			const char *id = sel->ids[i];
			if ((rc = custos_store_versions(st, id, &seqs, &n)) < 0) {
				custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read %s", id);
				break;
			}
			if (!n) {
				rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "no record '%s': nothing was "
				                    "tagged", id);
				break;
			}
			rc = custos_store_get_seq(st, seqs[n - 1], &rec);
			free(seqs);
			if (rc == CUSTOS_ENOTFOUND) {
				rc = custos_err_set(&s->err, CUSTOS_EINVAL, "record '%s' was disposed of: "
				                    "it cannot be coded (nothing was tagged)", id);
				break;
			}
			if (rc < 0) {
				custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read %s", id);
				break;
			}
			if ((rc = sel_add(out, rec.id, rec.platform, rec.account)) < 0)
				custos_err_set(&s->err, rc, "out of memory");
		}
	}
	custos_record_free(&rec);
	if (rc < 0)
		return rc;
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, cmp_sel);
	size_t u = 0;
	for (size_t i = 0; i < out->n; i++)
		if (!u || strcmp(out->v[u - 1].id, out->v[i].id))
			out->v[u++] = out->v[i];
	out->n = u;
	return CUSTOS_OK;
}

static bool matter_has_tag(json_t *matter, const char *tag)
{
	json_t *tl = json_object_get(matter, "tags");
	for (size_t i = 0; i < json_array_size(tl); i++)
		if (!strcmp(json_string_value(json_array_get(tl, i)), tag))
			return true;
	return false;
}

static json_t *load_matter(custos_session_t *s, custos_matters_t *m, MDB_txn *txn,
                           const char *name, int *rc)
{
	int r;
	json_t *o = m ? get_json(txn, m->dbi[DB_MATTERS], name, strlen(name), &r) : NULL;
	if (!m)
		r = MDB_NOTFOUND;
	if (r == MDB_NOTFOUND)
		*rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "no matter named '%s'", name);
	else if (r)
		*rc = mdb_fail(&s->err, r, "cannot read the matter");
	else
		*rc = CUSTOS_OK;
	return o;
}

int custos_archive_matter_tag(custos_session_t *s, const char *matter, const char *tag,
                              bool remove, const char *note, const custos_selection_t *sel,
                              uint64_t *selected, uint64_t *changed)
{
	static const custos_selection_t none = CUSTOS_SELECTION_INIT;
	custos_matters_t *m = NULL;
	MDB_txn *txn = NULL;
	json_t *mo = NULL;
	sel_t l = { 0 };
	uint64_t nchanged = 0;
	char digest[CUSTOS_SHA256_HEX] = "";
	char by[CUSTOS_TOKEN_NAME_MAX + 8];
	int rc, r;

	if (!sel)
		sel = &none;
	if ((rc = custos_session__begin(s, CUSTOS_OP_MATTER_WRITE, "code records")) < 0 ||
	    (rc = custos_session__need_write(s, "code records")) < 0 ||
	    (rc = check_name(&s->err, matter)) < 0 || (rc = check_tag(&s->err, tag)) < 0)
		goto audit;
	if (note && (rc = custos_text_check("note", note, 1000, CUSTOS_TEXT_LINES, &s->err)) < 0)
		goto audit;
	if ((rc = matters_get(s, true, &m)) < 0)
		goto audit;
	/* the matter first, so that a bad name costs no search */
	if ((r = mdb_txn_begin(m->env, NULL, MDB_RDONLY, &txn))) {
		rc = mdb_fail(&s->err, r, "cannot read the matters");
		goto audit;
	}
	mo = load_matter(s, m, txn, matter, &rc);
	mdb_txn_abort(txn);
	txn = NULL;
	if (rc < 0)
		goto audit;
	if (!matter_has_tag(mo, tag)) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "matter '%s' has no tag '%s' (it has the "
		                    "standard four and those named at its creation)", matter, tag);
		goto audit;
	}
	if ((rc = select_records(s, sel, &l)) < 0)
		goto audit;
	/* the digest the audit entry keeps: which records, without listing them */
	custos_sha256_ctx_t h;
	uint8_t d[CUSTOS_SHA256_LEN];
	custos_sha256_init(&h);
	for (size_t i = 0; i < l.n; i++) {
		custos_sha256_update(&h, l.v[i].id, strlen(l.v[i].id));
		custos_sha256_update(&h, "\n", 1);
	}
	custos_sha256_final(&h, d);
	custos_hex(digest, d, sizeof d);

	if ((r = mdb_txn_begin(m->env, NULL, 0, &txn))) {
		rc = mdb_fail(&s->err, r, "cannot code records");
		goto audit;
	}
	int64_t now = custos_time_now();
	custos_buf_t key = { 0 };
	for (size_t i = 0; i < l.n && !r; i++) {
		key_of(&key, matter, l.v[i].id);
		int gr;
		json_t *c = get_json(txn, m->dbi[DB_CODING], key.data, key.len, &gr);
		if (gr == MDB_NOTFOUND) {
			if (remove)
				continue;
			c = json_pack("{s:s,s:s,s:I,s:I,s:I,s:{}}", "p", l.v[i].platform, "a",
			              l.v[i].account, "n", (json_int_t)0, "first", (json_int_t)now,
			              "last", (json_int_t)now, "t");
			gr = c ? 0 : ENOMEM;
		}
		if (gr) {
			r = gr;
			break;
		}
		json_t *t = json_object_get(c, "t");
		if (!t) {
			/* coded before and disposed of since: the fact only (not reached: a
			 * disposed record cannot be selected) */
			json_decref(c);
			continue;
		}
		bool had = json_object_get(t, tag) != NULL;
		if (remove ? had : (!had || note)) {
			if (remove)
				json_object_del(t, tag);
			else
				json_object_set_new(t, tag, json_pack("{s:s,s:I,s:s}", "by",
				                    who_of(s, by), "at", (json_int_t)now,
				                    "note", note ? note : ""));
			json_object_set_new(c, "n", json_integer(jint(c, "n") + 1));
			json_object_set_new(c, "last", json_integer(now));
			r = put_json(txn, m->dbi[DB_CODING], key.data, key.len, c);
			nchanged++;
		}
		json_decref(c);
	}
	custos_buf_free(&key);
	r = txn_end(txn, r);
	txn = NULL;
	if (r) {
		rc = mdb_fail(&s->err, r, "cannot code records");
		goto audit;
	}
	rc = CUSTOS_OK;
audit:
	if (txn)
		mdb_txn_abort(txn);
	custos_buf_t p = { 0 }, res = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "matter", matter ? matter : "");
	custos_lib__json_kv(&p, "tag", tag ? tag : "");
	custos_lib__json_kv(&p, "op", remove ? "remove" : "add");
	if (sel->query)
		custos_lib__json_kv(&p, "query", sel->query);
	if (sel->thread)
		custos_lib__json_kv(&p, "thread", sel->thread);
	if (sel->ids)
		custos_buf_printf(&p, ",\"ids\":%zu", sel->n_ids);
	if (note)
		custos_buf_adds(&p, ",\"note\":true");
	custos_buf_addc(&p, '}');
	if (rc == CUSTOS_OK)
		custos_buf_printf(&res, "{\"selected\":%zu,\"changed\":%llu,\"ids_sha256\":\"%s\"}",
		                  l.n, (unsigned long long)nchanged, digest);
	else
		audit_err(s, &res);
	rc = custos_session__audit(s, "matter-tag", p.data, res.data, rc);
	custos_buf_free(&p);
	custos_buf_free(&res);
	if (selected)
		*selected = rc == CUSTOS_OK ? l.n : 0;
	if (changed)
		*changed = rc == CUSTOS_OK ? nchanged : 0;
	free(l.v);
	custos_arena_free(&l.ar);
	json_decref(mo);
	return rc;
}

/* ---- saved searches ----------------------------------------------------- */

int custos_archive_matter_save_search(custos_session_t *s, const char *matter, const char *name,
                                      const char *query, uint64_t *hits, uint64_t *watermark)
{
	custos_matters_t *m = NULL;
	custos_index_t *idx = NULL;
	custos_store_t *st = NULL;
	MDB_txn *txn = NULL;
	json_t *mo = NULL, *o = NULL;
	uint64_t n = 0, wm = 0;
	char by[CUSTOS_TOKEN_NAME_MAX + 8];
	int rc, r;

	if ((rc = custos_session__begin(s, CUSTOS_OP_MATTER_WRITE, "save searches")) < 0 ||
	    (rc = custos_session__need_write(s, "save a search")) < 0 ||
	    (rc = check_name(&s->err, matter)) < 0)
		goto audit;
	if ((rc = check_name(&s->err, name)) < 0) {
		custos_err_set(&s->err, CUSTOS_EINVAL, "invalid search name '%s': 1-64 of letters, "
		               "digits, '.', '_' and '-'", name ? name : "");
		goto audit;
	}
	if ((rc = custos_text_check("query", query, 10000, 0, &s->err)) < 0)
		goto audit;
	if ((rc = matters_get(s, true, &m)) < 0)
		goto audit;
	if ((r = mdb_txn_begin(m->env, NULL, 0, &txn))) {
		rc = mdb_fail(&s->err, r, "cannot save the search");
		goto audit;
	}
	if (!(mo = load_matter(s, m, txn, matter, &rc)))
		goto audit;
	if ((rc = custos_session__store(s, &st)) < 0 || (rc = custos_session__index(s, &idx)) < 0)
		goto audit;
	if ((rc = custos_index_watermark(idx, &wm)) < 0 ||
	    (rc = custos_index_count(idx, &n, query)) < 0) {
		const char *msg = custos_index_errmsg(idx);
		custos_err_set(&s->err, rc, "%s%s", rc == CUSTOS_EFORMAT &&
		               strncmp(msg, "bad query", 9) ? "bad query: " : "", msg);
		goto audit;
	}
	custos_buf_t key = { 0 };
	key_of(&key, matter, name);
	o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "name", name, "query", query,
	              "hits", (json_int_t)n, "watermark", (json_int_t)wm,
	              "saved_at", (json_int_t)custos_time_now(), "saved_by", who_of(s, by));
	r = o ? put_json(txn, m->dbi[DB_SEARCHES], key.data, key.len, o) : ENOMEM;
	custos_buf_free(&key);
	r = txn_end(txn, r);
	txn = NULL;
	if (r) {
		rc = mdb_fail(&s->err, r, "cannot save the search");
		goto audit;
	}
	rc = CUSTOS_OK;
audit:
	if (txn)
		mdb_txn_abort(txn);
	custos_buf_t p = { 0 }, res = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "matter", matter ? matter : "");
	custos_lib__json_kv(&p, "name", name ? name : "");
	custos_lib__json_kv(&p, "query", query ? query : "");
	custos_buf_addc(&p, '}');
	if (rc == CUSTOS_OK)
		custos_buf_printf(&res, "{\"hits\":%llu,\"watermark\":%llu}", (unsigned long long)n,
		                  (unsigned long long)wm);
	else
		audit_err(s, &res);
	rc = custos_session__audit(s, "matter-save-search", p.data, res.data, rc);
	custos_buf_free(&p);
	custos_buf_free(&res);
	if (hits)
		*hits = rc == CUSTOS_OK ? n : 0;
	if (watermark)
		*watermark = rc == CUSTOS_OK ? wm : 0;
	json_decref(mo);
	json_decref(o);
	return rc;
}

/* ---- reading ------------------------------------------------------------ */

void custos_matter_free(custos_matter_t *m)
{
	if (!m)
		return;
	custos_arena_free(&m->arena);
	free(m);
}

typedef struct {
	char    *value;
	uint64_t count;
} counter_t;

typedef struct {
	counter_t *v;
	size_t n, cap;
} counts_t;

static int count_add(counts_t *c, const char *value)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].value, value)) {
			c->v[i].count++;
			return CUSTOS_OK;
		}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		counter_t *nv = realloc(c->v, cap * sizeof *nv);
		if (!nv)
			return CUSTOS_ENOMEM;
		c->v = nv;
		c->cap = cap;
	}
	if (!(c->v[c->n].value = strdup(value)))
		return CUSTOS_ENOMEM;
	c->v[c->n++].count = 1;
	return CUSTOS_OK;
}

static int cmp_count(const void *x, const void *y)
{
	const counter_t *a = x, *b = y;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->value, b->value);
}

static int counts_out(custos_arena_t *ar, counts_t *c, custos_facet_value_t **out, size_t *n)
{
	if (c->n)
		qsort(c->v, c->n, sizeof *c->v, cmp_count);
	*out = custos_arena_alloc(ar, (c->n + 1) * sizeof **out);
	if (!*out)
		return CUSTOS_ENOMEM;
	for (size_t i = 0; i < c->n; i++) {
		(*out)[i].value = custos_arena_strdup(ar, c->v[i].value);
		(*out)[i].count = c->v[i].count;
		if (!(*out)[i].value)
			return CUSTOS_ENOMEM;
	}
	*n = c->n;
	return CUSTOS_OK;
}

static void counts_free(counts_t *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].value);
	free(c->v);
}

static int fill_report(custos_matter_t *out, custos_matters_t *m, MDB_txn *txn, json_t *mo,
                       const char *name)
{
	custos_arena_t *ar = &out->arena;
	counts_t cust = { 0 }, plat = { 0 };
	MDB_cursor *c = NULL;
	MDB_val k, v;
	size_t nl = strlen(name);
	int rc = CUSTOS_OK, r;

	out->name = custos_arena_strdup(ar, name);
	out->description = custos_arena_strdup(ar, jstr(mo, "description"));
	out->created_by = custos_arena_strdup(ar, jstr(mo, "created_by"));
	out->created_at = jint(mo, "created_at");
	json_t *tl = json_object_get(mo, "tags");
	out->n_tags = json_array_size(tl);
	out->tags = custos_arena_alloc(ar, (out->n_tags + 1) * sizeof *out->tags);
	out->per_tag = custos_arena_alloc(ar, (out->n_tags + 1) * sizeof *out->per_tag);
	if (!out->name || !out->description || !out->created_by || !out->tags || !out->per_tag)
		return CUSTOS_ENOMEM;
	for (size_t i = 0; i < out->n_tags; i++) {
		out->per_tag[i] = 0;
		if (!(out->tags[i] = custos_arena_strdup(ar, json_string_value(json_array_get(tl, i)))))
			return CUSTOS_ENOMEM;
	}
	/* the coding: keys matter NUL id, contiguous */
	custos_buf_t key = { 0 };
	key_of(&key, name, "");
	if ((r = mdb_cursor_open(txn, m->dbi[DB_CODING], &c)))
		goto done;
	k.mv_data = key.data;
	k.mv_size = key.len;
	for (r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); r == 0;
	     r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size <= nl || memcmp(k.mv_data, name, nl) || ((char *)k.mv_data)[nl])
			break;
		json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		if (!o)
			continue;
		json_t *t = json_object_get(o, "t");
		if (!t) {
			out->disposed++;
		} else if (json_object_size(t)) {
			out->coded++;
			for (size_t i = 0; i < out->n_tags; i++)
				if (json_object_get(t, out->tags[i]))
					out->per_tag[i]++;
			if (count_add(&cust, jstr(o, "a")) < 0 || count_add(&plat, jstr(o, "p")) < 0)
				rc = CUSTOS_ENOMEM;
		}
		json_decref(o);
		if (rc < 0)
			goto done;
	}
	if (r == MDB_NOTFOUND)
		r = 0;
	mdb_cursor_close(c);
	c = NULL;
	if (r)
		goto done;
	/* the saved searches */
	size_t cap = 0;
	k.mv_data = key.data;
	k.mv_size = key.len;
	if ((r = mdb_cursor_open(txn, m->dbi[DB_SEARCHES], &c)))
		goto done;
	for (r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); r == 0;
	     r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size <= nl || memcmp(k.mv_data, name, nl) || ((char *)k.mv_data)[nl])
			break;
		json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		if (!o)
			continue;
		if (out->n_searches == cap) {
			size_t nc = cap ? cap * 2 : 8;
			custos_saved_search_t *nv = custos_arena_alloc(ar, nc * sizeof *nv);
			if (!nv) {
				json_decref(o);
				rc = CUSTOS_ENOMEM;
				goto done;
			}
			if (out->n_searches)
				memcpy(nv, out->searches, out->n_searches * sizeof *nv);
			out->searches = nv;
			cap = nc;
		}
		custos_saved_search_t *ss = &out->searches[out->n_searches++];
		ss->name = custos_arena_strdup(ar, jstr(o, "name"));
		ss->query = custos_arena_strdup(ar, jstr(o, "query"));
		ss->saved_by = custos_arena_strdup(ar, jstr(o, "saved_by"));
		ss->hits = (uint64_t)jint(o, "hits");
		ss->watermark = (uint64_t)jint(o, "watermark");
		ss->saved_at = jint(o, "saved_at");
		json_decref(o);
		if (!ss->name || !ss->query || !ss->saved_by) {
			rc = CUSTOS_ENOMEM;
			goto done;
		}
	}
	if (r == MDB_NOTFOUND)
		r = 0;
	if (rc == CUSTOS_OK && ((rc = counts_out(ar, &cust, &out->per_custodian,
	                                         &out->n_custodian)) < 0 ||
	                        (rc = counts_out(ar, &plat, &out->per_platform,
	                                         &out->n_platform)) < 0))
		goto done;
done:
	if (c)
		mdb_cursor_close(c);
	custos_buf_free(&key);
	counts_free(&cust);
	counts_free(&plat);
	if (rc == CUSTOS_OK && r)
		rc = r == ENOMEM ? CUSTOS_ENOMEM : CUSTOS_EIO;
	return rc;
}

/* The start of a read of matter name: the role, the name, the matters'
 * environment, a read transaction (*txn: the caller aborts it) and the
 * matter (*mo: the caller decrefs it). */
static int read_matter(custos_session_t *s, const char *name, custos_matters_t **m,
                       MDB_txn **txn, json_t **mo)
{
	int rc, r;
	*m = NULL;
	*txn = NULL;
	*mo = NULL;
	if ((rc = custos_session__begin(s, CUSTOS_OP_MATTER_READ, "read matters")) < 0 ||
	    (rc = check_name(&s->err, name)) < 0 || (rc = matters_get(s, false, m)) < 0)
		return rc;
	if (*m && (r = mdb_txn_begin((*m)->env, NULL, MDB_RDONLY, txn))) {
		*txn = NULL;
		return mdb_fail(&s->err, r, "cannot read the matters");
	}
	*mo = load_matter(s, *m, *txn, name, &rc);
	return rc;
}

int custos_archive_matter_show(custos_session_t *s, const char *name, custos_matter_t **out)
{
	custos_matters_t *m = NULL;
	MDB_txn *txn = NULL;
	json_t *mo = NULL;
	int rc;

	*out = NULL;
	if ((rc = read_matter(s, name, &m, &txn, &mo)) < 0)
		goto audit;
	if (!(*out = calloc(1, sizeof **out))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	if ((rc = fill_report(*out, m, txn, mo, name)) < 0)
		custos_err_set(&s->err, rc, "cannot read matter '%s': %s", name, custos_status_str(rc));
audit:
	if (txn)
		mdb_txn_abort(txn);
	json_decref(mo);
	if (rc < 0) {
		custos_matter_free(*out);
		*out = NULL;
	}
	custos_buf_t p = { 0 }, res = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "name", name ? name : "");
	custos_buf_addc(&p, '}');
	if (rc == CUSTOS_OK)
		custos_buf_printf(&res, "{\"coded\":%llu}", (unsigned long long)(*out)->coded);
	else
		audit_err(s, &res);
	rc = custos_session__audit(s, "matter-show", p.data, res.data, rc);
	custos_buf_free(&p);
	custos_buf_free(&res);
	if (rc < 0) {
		custos_matter_free(*out);
		*out = NULL;
	}
	return rc;
}

int custos_archive_matter_list(custos_session_t *s, char ***out)
{
	custos_matters_t *m = NULL;
	MDB_txn *txn = NULL;
	custos_buf_t names = { 0 };
	size_t n = 0;
	int rc, r = 0;

	*out = NULL;
	if ((rc = custos_session__begin(s, CUSTOS_OP_MATTER_READ, "read matters")) < 0 ||
	    (rc = matters_get(s, false, &m)) < 0)
		goto audit;
	if (m) {
		MDB_cursor *c;
		MDB_val k, v;
		if ((r = mdb_txn_begin(m->env, NULL, MDB_RDONLY, &txn)) ||
		    (r = mdb_cursor_open(txn, m->dbi[DB_MATTERS], &c))) {
			rc = mdb_fail(&s->err, r, "cannot read the matters");
			goto audit;
		}
		for (r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
		     r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			custos_buf_add(&names, k.mv_data, k.mv_size);
			custos_buf_addc(&names, '\0');
			n++;
		}
		mdb_cursor_close(c);
	}
	/* one allocation: the pointers, then the names */
	char **v = malloc((n + 1) * sizeof *v + names.len + 1);
	if (!v) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	char *p = (char *)(v + n + 1);
	if (names.len)
		memcpy(p, names.data, names.len);
	for (size_t i = 0; i < n; i++) {
		v[i] = p;
		p += strlen(p) + 1;
	}
	v[n] = NULL;
	*out = v;
	rc = CUSTOS_OK;
audit:
	if (txn)
		mdb_txn_abort(txn);
	custos_buf_free(&names);
	char res[64];
	snprintf(res, sizeof res, "{\"matters\":%zu}", rc == CUSTOS_OK ? n : (size_t)0);
	rc = custos_session__audit(s, "matter-list", NULL, rc == CUSTOS_OK ? res : NULL, rc);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- coding for the faces ---------------------------------------------- */

void custos_codings_free(custos_codings_t *c)
{
	if (!c)
		return;
	custos_arena_free(&c->arena);
	memset(c, 0, sizeof *c);
}

/* One record's coding out of its stored JSON (NULL: not coded), the tags
 * in the matter's order (tl). */
static int coding_fill(custos_arena_t *ar, custos_coding_t *out, const char *id, json_t *o,
                       json_t *tl)
{
	json_t *t = json_object_get(o, "t");
	out->id = custos_arena_strdup(ar, id);
	out->disposed = o && !t;
	out->n_tags = 0;
	out->tags = custos_arena_alloc(ar, (json_object_size(t) + 1) * sizeof *out->tags);
	if (!out->id || !out->tags)
		return CUSTOS_ENOMEM;
	for (size_t i = 0; i < json_array_size(tl); i++) {
		const char *name = json_string_value(json_array_get(tl, i));
		json_t *e = name ? json_object_get(t, name) : NULL;
		if (!e)
			continue;
		custos_coding_tag_t *ct = &out->tags[out->n_tags++];
		ct->tag = custos_arena_strdup(ar, name);
		ct->by = custos_arena_strdup(ar, jstr(e, "by"));
		ct->note = custos_arena_strdup(ar, jstr(e, "note"));
		ct->at = jint(e, "at");
		if (!ct->tag || !ct->by || !ct->note)
			return CUSTOS_ENOMEM;
	}
	return CUSTOS_OK;
}

int custos_archive_matter_coding(custos_session_t *s, const char *matter,
                                 const char *const *ids, size_t n, custos_codings_t *out)
{
	custos_matters_t *m = NULL;
	custos_store_t *st = NULL;
	MDB_txn *txn = NULL;
	json_t *mo = NULL;
	custos_buf_t key = { 0 };
	uint64_t coded = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = read_matter(s, matter, &m, &txn, &mo)) < 0 ||
	    (rc = custos_session__store(s, &st)) < 0)
		goto audit;
	if (!(out->v = custos_arena_alloc(&out->arena, (n + 1) * sizeof *out->v))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	json_t *tl = json_object_get(mo, "tags");
	for (size_t i = 0; i < n; i++) {
		uint64_t *seqs = NULL;
		size_t nv = 0;
		if ((rc = custos_store_versions(st, ids[i], &seqs, &nv)) < 0) {
			custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read %s", ids[i]);
			goto audit;
		}
		free(seqs);
		if (!nv) {
			custos_buf_t b = { 0 };
			custos_buf_add_printable(&b, ids[i], strlen(ids[i]) > 200 ? 200 : strlen(ids[i]));
			rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "no record '%s'",
			                    b.data ? b.data : "");
			custos_buf_free(&b);
			goto audit;
		}
		int r;
		key_of(&key, matter, ids[i]);
		json_t *o = get_json(txn, m->dbi[DB_CODING], key.data, key.len, &r);
		if (r && r != MDB_NOTFOUND) {
			rc = mdb_fail(&s->err, r, "cannot read the coding");
			goto audit;
		}
		rc = coding_fill(&out->arena, &out->v[i], ids[i], o, tl);
		json_decref(o);
		if (rc < 0) {
			custos_err_set(&s->err, rc, "out of memory");
			goto audit;
		}
		coded += out->v[i].n_tags > 0;
		out->n++;
	}
	rc = CUSTOS_OK;
audit:
	if (txn)
		mdb_txn_abort(txn);
	json_decref(mo);
	custos_buf_free(&key);
	custos_buf_t p = { 0 }, res = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "matter", matter ? matter : "");
	custos_buf_printf(&p, ",\"ids\":%zu}", n);
	if (rc == CUSTOS_OK)
		custos_buf_printf(&res, "{\"coded\":%llu}", (unsigned long long)coded);
	else
		audit_err(s, &res);
	rc = custos_session__audit(s, "matter-read", p.data, res.data, rc);
	custos_buf_free(&p);
	custos_buf_free(&res);
	if (rc < 0)
		custos_codings_free(out);
	return rc;
}

int custos_archive_matter_search(custos_session_t *s, const char *matter, const char *name,
                                 const custos_search_opts_t *opts, custos_saved_search_t *saved,
                                 custos_search_result_t **out)
{
	custos_matters_t *m = NULL;
	MDB_txn *txn = NULL;
	json_t *mo = NULL, *o = NULL;
	custos_buf_t key = { 0 };
	int rc, r;

	*out = NULL;
	if ((rc = read_matter(s, matter, &m, &txn, &mo)) < 0)
		goto audit;
	key_of(&key, matter, name ? name : "");
	o = get_json(txn, m->dbi[DB_SEARCHES], key.data, key.len, &r);
	if (r == MDB_NOTFOUND) {
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "matter '%s' has no saved search '%s'",
		                    matter, name ? name : "");
		goto audit;
	}
	if (r) {
		rc = mdb_fail(&s->err, r, "cannot read the saved search");
		goto audit;
	}
	mdb_txn_abort(txn);
	txn = NULL;
	if ((rc = custos_archive_search(s, jstr(o, "query"), opts, out)) < 0)
		goto audit;
	if (saved) {
		custos_arena_t *ar = &(*out)->arena;
		saved->name = custos_arena_strdup(ar, jstr(o, "name"));
		saved->query = custos_arena_strdup(ar, jstr(o, "query"));
		saved->saved_by = custos_arena_strdup(ar, jstr(o, "saved_by"));
		saved->hits = (uint64_t)jint(o, "hits");
		saved->watermark = (uint64_t)jint(o, "watermark");
		saved->saved_at = jint(o, "saved_at");
		if (!saved->name || !saved->query || !saved->saved_by)
			rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	}
audit:
	if (txn)
		mdb_txn_abort(txn);
	custos_buf_free(&key);
	custos_buf_t p = { 0 }, res = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "matter", matter ? matter : "");
	custos_lib__json_kv(&p, "name", name ? name : "");
	custos_buf_addc(&p, '}');
	if (rc == CUSTOS_OK)
		custos_buf_printf(&res, "{\"hits\":%llu,\"watermark\":%llu,\"saved_hits\":%llu}",
		                  (unsigned long long)(*out)->total,
		                  (unsigned long long)(*out)->watermark,
		                  (unsigned long long)jint(o, "hits"));
	else
		audit_err(s, &res);
	rc = custos_session__audit(s, "matter-search", p.data, res.data, rc);
	custos_buf_free(&p);
	custos_buf_free(&res);
	json_decref(mo);
	json_decref(o);
	if (rc < 0) {
		custos_search_result_free(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- the export's reader ------------------------------------------------ */

struct custos_matter_reader {
	custos_matters_t *m;
	MDB_txn *txn;
	char    *name;
	char   **tags;
	size_t   n_tags;
	custos_buf_t key;
};

void custos_matter__reader_free(custos_matter_reader_t *r)
{
	if (!r)
		return;
	if (r->txn)
		mdb_txn_abort(r->txn);
	for (size_t i = 0; i < r->n_tags; i++)
		free(r->tags[i]);
	free(r->tags);
	free(r->name);
	custos_buf_free(&r->key);
	free(r);
}

int custos_matter__reader(custos_session_t *s, const char *name, custos_matter_reader_t **out)
{
	custos_matters_t *m = NULL;
	custos_matter_reader_t *r;
	int rc, e;

	*out = NULL;
	if ((rc = check_name(&s->err, name)) < 0 || (rc = matters_get(s, false, &m)) < 0)
		return rc;
	if (!(r = calloc(1, sizeof *r)) || !(r->name = strdup(name))) {
		free(r);
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	}
	r->m = m;
	if (m && (e = mdb_txn_begin(m->env, NULL, MDB_RDONLY, &r->txn))) {
		custos_matter__reader_free(r);
		return mdb_fail(&s->err, e, "cannot read the matters");
	}
	json_t *mo = load_matter(s, m, r->txn, name, &rc);
	if (!mo) {
		custos_matter__reader_free(r);
		return rc;
	}
	json_t *tl = json_object_get(mo, "tags");
	size_t want = json_array_size(tl);
	r->tags = calloc(want + 1, sizeof *r->tags);
	for (size_t i = 0; r->tags && i < want; i++)
		if ((r->tags[r->n_tags] = strdup(json_string_value(json_array_get(tl, i)))))
			r->n_tags++;
	json_decref(mo);
	if (!r->tags || r->n_tags != want) {
		custos_matter__reader_free(r);
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	}
	*out = r;
	return CUSTOS_OK;
}

size_t custos_matter__tag_names(custos_matter_reader_t *r, const char *const **out)
{
	*out = (const char *const *)r->tags;
	return r->n_tags;
}

static json_t *coding_of(custos_matter_reader_t *r, const char *id)
{
	int rc;
	key_of(&r->key, r->name, id);
	json_t *o = get_json(r->txn, r->m->dbi[DB_CODING], r->key.data, r->key.len, &rc);
	return o;
}

int custos_matter__tags(custos_matter_reader_t *r, const char *id, custos_buf_t *out,
                        const char *note_of, custos_buf_t *note)
{
	custos_buf_clear(out);
	if (note)
		custos_buf_clear(note);
	json_t *o = coding_of(r, id);
	json_t *t = json_object_get(o, "t");
	/* in the matter's order of tags, not the order they were given */
	for (size_t i = 0; i < r->n_tags; i++) {
		json_t *e = json_object_get(t, r->tags[i]);
		if (!e)
			continue;
		if (out->len)
			custos_buf_adds(out, "; ");
		custos_buf_adds(out, r->tags[i]);
		if (note && note_of && !strcmp(note_of, r->tags[i]))
			custos_buf_adds(note, jstr(e, "note"));
	}
	json_decref(o);
	return CUSTOS_OK;
}

bool custos_matter__has(custos_matter_reader_t *r, const char *id, const char *tag)
{
	json_t *o = coding_of(r, id);
	bool has = json_object_get(json_object_get(o, "t"), tag) != NULL;
	json_decref(o);
	return has;
}

int custos_matter__each(custos_matter_reader_t *r, const char *tag,
                        int (*fn)(void *ctx, const char *id), void *ctx)
{
	MDB_cursor *c;
	MDB_val k, v;
	size_t nl = strlen(r->name);
	int rc, ret = 0;
	key_of(&r->key, r->name, "");
	k.mv_data = r->key.data;
	k.mv_size = r->key.len;
	if ((rc = mdb_cursor_open(r->txn, r->m->dbi[DB_CODING], &c)))
		return CUSTOS_EIO;
	char id[600];
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && !ret;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size <= nl || memcmp(k.mv_data, r->name, nl) || ((char *)k.mv_data)[nl])
			break;
		json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		bool has = json_object_get(json_object_get(o, "t"), tag) != NULL;
		json_decref(o);
		if (!has)
			continue;
		snprintf(id, sizeof id, "%.*s", (int)(k.mv_size - nl - 1), (char *)k.mv_data + nl + 1);
		ret = fn(ctx, id);
	}
	mdb_cursor_close(c);
	if (ret)
		return ret;
	return rc == 0 || rc == MDB_NOTFOUND ? CUSTOS_OK : CUSTOS_EIO;
}

void custos_matter__coded_free(custos_matter_coded_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->ids[i]);
	free(c->ids);
	free(c->rows);
	memset(c, 0, sizeof *c);
}

int custos_matter__coded(custos_matter_reader_t *r, custos_matter_coded_t *out)
{
	MDB_cursor *c;
	MDB_val k, v;
	size_t nl = strlen(r->name), cap = 0;
	int rc, ret = CUSTOS_OK;

	memset(out, 0, sizeof *out);
	out->stride = (r->n_tags + 7) / 8;
	if (!r->txn)
		return CUSTOS_OK;
	key_of(&r->key, r->name, "");
	k.mv_data = r->key.data;
	k.mv_size = r->key.len;
	if ((rc = mdb_cursor_open(r->txn, r->m->dbi[DB_CODING], &c)))
		return CUSTOS_EIO;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size <= nl || memcmp(k.mv_data, r->name, nl) || ((char *)k.mv_data)[nl])
			break;
		json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		json_t *t = json_object_get(o, "t");
		if (!json_object_size(t)) {
			json_decref(o);
			continue;
		}
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			char **ids = realloc(out->ids, nc * sizeof *ids);
			if (ids)
				out->ids = ids;
			unsigned char *rows = ids ? realloc(out->rows, nc * (out->stride ? out->stride : 1))
			                          : NULL;
			if (!rows) {
				json_decref(o);
				ret = CUSTOS_ENOMEM;
				break;
			}
			out->rows = rows;
			cap = nc;
		}
		unsigned char *row = out->rows + out->n * out->stride;
		memset(row, 0, out->stride);
		for (size_t i = 0; i < r->n_tags; i++)
			if (json_object_get(t, r->tags[i]))
				row[i / 8] |= (unsigned char)(1u << (i % 8));
		json_decref(o);
		if (!(out->ids[out->n] = strndup((char *)k.mv_data + nl + 1, k.mv_size - nl - 1))) {
			ret = CUSTOS_ENOMEM;
			break;
		}
		out->n++;
	}
	mdb_cursor_close(c);
	if (ret == CUSTOS_OK && rc != 0 && rc != MDB_NOTFOUND)
		ret = CUSTOS_EIO;
	if (ret < 0)
		custos_matter__coded_free(out);
	return ret;
}
