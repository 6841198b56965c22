/* Disposition runs: which records are past retention and held by nothing,
 * disposing of exactly those through the writer, and the record of every
 * run: its log and its certificate of disposal. A run and a hold's creation
 * or release exclude each other (a->dispose_mu, lib/holds.c). */
#include "lib_internal.h"
#include "matter_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

/* ids per store transaction (one commit and one sync of the key file
 * each), and batches per index commit. Batches of 10,000 measured no faster
 * at 200,000 records (within the noise of a loaded machine) and left the
 * store's file 10% larger before compaction (more pages dirty at once). */
enum { DISPOSE_BATCH = 2000, INDEX_COMMIT_BATCHES = 10 };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int custos_lib__index_fail(custos_session_t *s, custos_index_t *idx, int err, const char *what)
{
	return custos_err_set(&s->err, err, "%s: %s", what, custos_index_errmsg(idx));
}

int custos_lib__policy_fail(custos_session_t *s, custos_policy_t *p, int err)
{
	const custos_err_t *pe = custos_policy_err(p);
	custos_err_set(&s->err, err, "%s", pe->msg[0] ? pe->msg : custos_status_str(err));
	return err;
}

void custos_lib__error_result(custos_buf_t *b, custos_session_t *s)
{
	const char *m = s->err.msg[0] ? s->err.msg : custos_status_str(s->err.status);
	custos_buf_adds(b, "{\"error\":");
	custos_buf_add_json_str(b, m, strlen(m));
	custos_buf_addc(b, '}');
}

int custos_lib__caught_up(custos_session_t *s, custos_store_t **st, custos_index_t **idx)
{
	uint64_t last = 0;
	int rc;
	custos_session__unpin(s);
	if ((rc = custos_session__store(s, st)) < 0)
		return rc;
	if ((rc = custos_store_last_seq(*st, &last)) < 0)
		return custos_err_set(&s->err, rc, "%s", custos_store_err(*st)->msg);
	custos_session__unpin(s);
	if (custos_archive_writable(s->a) &&
	    (rc = custos_indexsvc__wait(s->a, last, &s->err)) < 0)
		return custos_err_prefix(&s->err, "cannot bring the search index up to date");
	if ((rc = custos_session__store(s, st)) < 0)
		return rc;
	if ((rc = custos_session__index(s, idx)) < 0)
		return custos_err_prefix(&s->err, "cannot open the search index");
	return CUSTOS_OK;
}

/* ---- the plan ------------------------------------------------------------- */

void custos_retention_plan_free(custos_retention_plan_t *p)
{
	if (!p)
		return;
	custos_schedule_free(p->schedule);
	free(p->v);
	free(p->rules);
	custos_arena_free(&p->arena);
	free(p);
}

/* Builds the plan with an open policy and index. */
static int plan_build(custos_session_t *s, custos_policy_t *pol, custos_store_t *st,
                      custos_index_t *idx, int64_t as_of, custos_retention_plan_t **out)
{
	custos_retention_plan_t *pl;
	custos_index_idlist_t all = { 0 }, *rm = NULL, nodate = { 0 };
	size_t npos = 0;
	custos_holdset_t *hs = NULL;
	custos_holds_t holds = { 0 };
	custos_lib__ids_t held_now = { 0 };
	size_t *rpos = NULL, *hit = NULL, cap = 0;
	size_t n_rm = 0;
	bool need_captured = false;
	custos_record_t rec;
	int err;

	*out = NULL;
	custos_record_init(&rec);
	if (!(pl = calloc(1, sizeof *pl)))
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	pl->as_of = as_of;
	if ((err = custos_policy_schedule_at_time(pol, as_of, &pl->schedule)) < 0) {
		custos_lib__policy_fail(s, pol, err);
		if (err == CUSTOS_ENOTFOUND) {
			char t[40];
			custos_time_format(t, sizeof t, as_of);
			custos_err_set(&s->err, err, "no retention schedule was in force at %s "
			               "(set one with 'custos policy set')", t);
		}
		goto done;
	}
	const custos_schedule_t *sc = pl->schedule;
	memcpy(pl->commit, sc->commit, CUSTOS_COMMIT_HEX);
	pl->commit_time = sc->commit_time;
	pl->n_rules = sc->n_rules;
	n_rm = sc->n_rules;
	if (!(pl->rules = calloc(sc->n_rules + 1, sizeof *pl->rules)) ||
	    !(rm = calloc(sc->n_rules + 1, sizeof *rm)) ||
	    !(rpos = calloc(sc->n_rules + 1, sizeof *rpos)) ||
	    !(hit = calloc(sc->n_rules + 1, sizeof *hit))) {
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = custos_index_watermark(idx, &pl->index_watermark)) < 0 ||
	    (err = custos_index_match_ids(idx, &all, CUSTOS_LIB_MATCH_ALL)) < 0) {
		custos_lib__index_fail(s, idx, err, "cannot list the indexed records");
		goto done;
	}
	if ((err = custos_store_last_seq(st, &pl->store_last_seq)) < 0) {
		custos_err_set(&s->err, err, "%s", custos_store_err(st)->msg);
		goto done;
	}
	pl->records = all.n;
	/* records whose source gave no time: their created_at is a placeholder
	 * (1970-01-01), so they count from their capture (docs/retention.md) */
	if ((err = custos_index_match_ids(idx, &nodate, "has:nodate")) < 0) {
		custos_lib__index_fail(s, idx, err, "cannot list the undated records");
		goto done;
	}
	for (size_t r = 0; r < sc->n_rules; r++) {
		const custos_rule_t *ru = &sc->rules[r];
		pl->rules[r].name = ru->name;
		custos_retain_format(pl->rules[r].retain, sizeof pl->rules[r].retain, ru->retain);
		if (ru->from == CUSTOS_FROM_CAPTURED)
			need_captured = true;
		if (ru->match_all)
			continue;
		if ((err = custos_index_match_ids(idx, &rm[r], ru->match)) < 0) {
			custos_lib__index_fail(s, idx, err, "cannot run a retention rule");
			custos_err_prefix(&s->err, "rule '%s'", ru->name);
			goto done;
		}
	}
	/* holds: their members, and what they cover now beyond them (a query's
	 * new matches, listed records, conversations) */
	if ((err = custos_hold_list(pol, &holds)) < 0 || (err = custos_holdset_load(&hs, pol)) < 0) {
		custos_lib__policy_fail(s, pol, err);
		goto done;
	}
	for (size_t i = 0; i < holds.n; i++)
		if ((err = custos_lib__hold_current(s, pol, st, idx, &holds.v[i], &held_now)) < 0) {
			custos_err_prefix(&s->err, "hold '%s'", holds.v[i].name);
			goto done;
		}
	custos_lib__ids_sort(&held_now);

	for (size_t i = 0; i < all.n; i++) {
		const custos_index_ident_t *id = &all.v[i];
		size_t nh = 0, rule;
		if (s->progress && (i & 1023) == 0)
			s->progress(s->progress_ctx, i, all.n);
		int64_t expiry, captured = CUSTOS_TIME_NONE;
		for (size_t r = 0; r < sc->n_rules; r++) {
			if (sc->rules[r].match_all) {
				hit[nh++] = r;
				pl->rules[r].matched++;
				continue;
			}
			custos_index_idlist_t *l = &rm[r];
			while (rpos[r] < l->n && strcmp(l->v[rpos[r]].id, id->id) < 0)
				rpos[r]++;
			if (rpos[r] < l->n && !strcmp(l->v[rpos[r]].id, id->id)) {
				hit[nh++] = r;
				pl->rules[r].matched++;
			}
		}
		if (!nh)
			continue;   /* cannot happen: a schedule has a match-all rule */
		while (npos < nodate.n && strcmp(nodate.v[npos].id, id->id) < 0)
			npos++;
		bool undated = npos < nodate.n && !strcmp(nodate.v[npos].id, id->id);
		pl->undated += undated;
		if (need_captured || undated) {
			if ((err = custos_store_get_seq(st, id->seq, &rec)) < 0) {
				custos_err_set(&s->err, err, "%s", custos_store_err(st)->msg);
				goto done;
			}
			captured = rec.captured_at;
		}
		if ((err = custos_schedule_expiry(sc, hit, nh, undated ? captured : id->created_at,
		                                  captured, &rule, &expiry)) < 0) {
			custos_err_set(&s->err, err, "cannot compute the retention of %s", id->id);
			goto done;
		}
		pl->rules[rule].deciding++;
		if (expiry > as_of)
			continue;
		if (custos_holdset_covers(hs, id->id, NULL, 0) ||
		    custos_lib__ids_has(&held_now, id->id)) {
			pl->held++;
			pl->rules[rule].held++;
			continue;
		}
		if (pl->n == cap) {
			cap = cap ? cap * 2 : 1024;
			custos_plan_entry_t *nv = realloc(pl->v, cap * sizeof *nv);
			if (!nv) {
				err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
			pl->v = nv;
		}
		custos_plan_entry_t *e = &pl->v[pl->n++];
		if (!(e->id = custos_arena_strdup(&pl->arena, id->id))) {
			err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		e->seq = id->seq;
		e->created_at = id->created_at;
		e->expiry = expiry;
		e->rule = rule;
		pl->rules[rule].eligible++;
	}
	if (s->progress)
		s->progress(s->progress_ctx, all.n, all.n);
	*out = pl;
	pl = NULL;
	err = CUSTOS_OK;
done:
	custos_record_free(&rec);
	custos_index_idlist_free(&all);
	custos_index_idlist_free(&nodate);
	if (rm)
		for (size_t r = 0; r < n_rm; r++)
			custos_index_idlist_free(&rm[r]);
	custos_lib__ids_free(&held_now);
	free(rm);
	free(rpos);
	free(hit);
	custos_holdset_free(hs);
	custos_holds_free(&holds);
	custos_retention_plan_free(pl);
	return err;
}

static void plan_audit_result(custos_buf_t *r, const custos_retention_plan_t *pl,
                              const custos_retention_apply_t *ap, uint64_t run,
                              const char *digest)
{
	custos_buf_printf(r, "{\"commit\":\"%s\",\"eligible\":%zu,\"held\":%llu", pl->commit,
	                  pl->n, (unsigned long long)pl->held);
	/* the run and the digest of its tombstones: what its certificate of
	 * disposal is checked against */
	if (run)
		custos_buf_printf(r, ",\"run\":%llu", (unsigned long long)run);
	if (digest && *digest)
		custos_buf_printf(r, ",\"disposed_digest\":\"%s\"", digest);
	if (ap)
		custos_buf_printf(r, ",\"records\":%llu,\"versions\":%llu,\"blobs\":%llu,"
		                  "\"dictionaries\":%llu,\"index_deleted\":%llu",
		                  (unsigned long long)ap->records, (unsigned long long)ap->versions,
		                  (unsigned long long)ap->blobs, (unsigned long long)ap->dictionaries,
		                  (unsigned long long)ap->index_deleted);
	custos_buf_adds(r, ",\"rules\":{");
	for (size_t i = 0; i < pl->n_rules; i++) {
		if (i)
			custos_buf_addc(r, ',');
		custos_buf_add_json_str(r, pl->rules[i].name, strlen(pl->rules[i].name));
		custos_buf_printf(r, ":{\"eligible\":%llu,\"held\":%llu}",
		                  (unsigned long long)pl->rules[i].eligible,
		                  (unsigned long long)pl->rules[i].held);
	}
	custos_buf_adds(r, "}}");
}

static void asof_params(custos_buf_t *p, int64_t as_of)
{
	char t[40];
	custos_time_format(t, sizeof t, as_of);
	custos_buf_addc(p, '{');
	custos_lib__json_kv(p, "as_of", t);
	custos_buf_addc(p, '}');
}

int custos_archive_retention_plan(custos_session_t *s, int64_t as_of,
                                  custos_retention_plan_t **out)
{
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL;
	custos_store_t *st = NULL;
	custos_buf_t params = { 0 }, result = { 0 };
	int err;
	*out = NULL;
	if ((err = custos_session__begin(s, CUSTOS_OP_RETENTION_PLAN, "plan disposition")) < 0 ||
	    (err = custos_session__policy(s, &p)) < 0 ||
	    (err = custos_lib__disposal_guard(s, p, "planning")) < 0 ||
	    (err = custos_lib__caught_up(s, &st, &idx)) < 0)
		goto audit;
	err = plan_build(s, p, st, idx, as_of, out);
audit:
	asof_params(&params, as_of);
	if (*out)
		plan_audit_result(&result, *out, NULL, 0, NULL);
	else
		custos_lib__error_result(&result, s);
	err = custos_session__audit(s, "retention-plan", params.data, result.data, err);
	if (err < 0) {
		custos_retention_plan_free(*out);
		*out = NULL;
	}
	custos_buf_free(&params);
	custos_buf_free(&result);
	custos_policy_free(p);
	return err;
}

/* One batch of a disposition run, on the writer's store view. */
typedef struct {
	const custos_dispose_item_t *items;
	size_t n;
	const char *actor;
	bool complete;              /* the run's last step: retire dictionaries */
	custos_dispose_summary_t sum;
	custos_archive_t *a;
} dispose_job_t;

static int dispose_fn(void *ctx, custos_store_t *st, custos_err_t *err)
{
	dispose_job_t *d = ctx;
	int rc = d->complete ? custos_store_dispose_complete(st, &d->sum)
	                     : custos_store_dispose(st, d->items, d->n, d->actor, 0, &d->sum);
	if (rc < 0) {
		*err = *custos_store_err(st);
		return rc;
	}
	/* review coding keeps the fact that these were coded, not the tags */
	if (!d->complete && (rc = custos_matter__disposed(d->a, st, d->items, d->n, err)) < 0)
		custos_err_prefix(err, "records disposed of; their review coding is cleared at the "
		                  "next use of the matters");
	return rc;
}

static int run_dispose(custos_session_t *s, dispose_job_t *d)
{
	custos_wjob_t j;
	memset(&j, 0, sizeof j);
	j.fn = dispose_fn;
	j.fn_ctx = d;
	int rc = custos_writer__run(s->a, &j);
	if (rc < 0)
		custos_err_set(&s->err, rc, "%s", j.err.msg);
	return rc;
}

int custos_archive_retention_apply(custos_session_t *s, int64_t as_of,
                                   custos_retention_plan_t **out_plan,
                                   custos_retention_apply_t *out)
{
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL, *widx = NULL;
	custos_store_t *st = NULL;
	custos_retention_plan_t *pl = NULL;
	custos_retention_apply_t ap;
	custos_dispose_item_t *items = NULL;
	custos_buf_t params = { 0 }, result = { 0 };
	uint64_t wm = 0, last = 0, run = 0;
	char digest[CUSTOS_SHA256_HEX] = "";
	bool locked = false, paused = false;
	double t0;
	int err;

	memset(&ap, 0, sizeof ap);
	if (out_plan)
		*out_plan = NULL;
	if ((err = custos_session__begin(s, CUSTOS_OP_RETENTION_APPLY, "dispose of records")) < 0 ||
	    (err = custos_session__need_write(s, "dispose of records")) < 0)
		goto audit;
	if (as_of > custos_time_now()) {
		char t[40];
		custos_time_format(t, sizeof t, as_of);
		err = custos_err_set(&s->err, CUSTOS_EINVAL, "the as-of date %s is in the future: "
		                     "records can be disposed of only once their retention has ended", t);
		goto audit;
	}
	pthread_mutex_lock(&s->a->dispose_mu);
	locked = true;
	t0 = now_s();
	if ((err = custos_session__policy(s, &p)) < 0 ||
	    (err = custos_lib__disposal_guard(s, p, "disposition")) < 0 ||
	    (err = custos_lib__caught_up(s, &st, &idx)) < 0)
		goto audit;
	if ((err = custos_index_watermark(idx, &wm)) < 0) {
		custos_lib__index_fail(s, idx, err, "cannot read the index watermark");
		goto audit;
	}
	if ((err = custos_store_last_seq(st, &last)) < 0) {
		custos_err_set(&s->err, err, "%s", custos_store_err(st)->msg);
		goto audit;
	}
	if (wm < last) {
		err = custos_err_set(&s->err, CUSTOS_ELAG, "the search index lags the store "
		                     "(indexed up to record %llu of %llu): run 'custos index' first, "
		                     "so that rules and holds see every record",
		                     (unsigned long long)wm, (unsigned long long)last);
		goto audit;
	}
	/* the plan honours both a hold's members and what its query matches now */
	if ((err = plan_build(s, p, st, idx, as_of, &pl)) < 0)
		goto audit;
	ap.plan_seconds = now_s() - t0;
	custos_session__unpin(s);

	/* the tombstone names the person acted for, else the operating-system user */
	const char *actor = s->actor;
	char user[256];
	if (!actor) {
		struct passwd pw, *res = NULL;
		char tmp[4096];
		if (getpwuid_r(geteuid(), &pw, tmp, sizeof tmp, &res) == 0 && res)
			snprintf(user, sizeof user, "%s", res->pw_name);
		else
			snprintf(user, sizeof user, "uid:%u", (unsigned)geteuid());
		actor = user;
	}
	if (!(items = malloc(DISPOSE_BATCH * sizeof *items))) {
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	/* the run begins in the audit chain before anything is disposed of: its
	 * entry's number is the run's, which every tombstone it leaves names */
	{
		custos_buf_t bp = { 0 }, br = { 0 };
		asof_params(&bp, as_of);
		custos_buf_printf(&br, "{\"commit\":\"%s\",\"eligible\":%zu,\"held\":%llu}",
		                  pl->commit, pl->n, (unsigned long long)pl->held);
		err = custos_session__audit_n(s, "retention-apply-begin", bp.data, br.data, CUSTOS_OK,
		                              &run);
		custos_buf_free(&bp);
		custos_buf_free(&br);
		if (err < 0)
			goto audit;
		if (!run) {
			err = custos_err_set(&s->err, CUSTOS_EACCESS, "cannot dispose of records: the "
			                     "audit log cannot be written");
			goto audit;
		}
	}
	/* the index service lets the index go: the run deletes from it */
	custos_indexsvc__pause(s->a);
	paused = true;
	char path[4200];
	custos_lib__index_path(path, sizeof path, s->a->dir);
	if ((err = custos_index_open(&widx, path, CUSTOS_INDEX_WRITE, &s->err)) < 0)
		goto audit;
	/* partitions holding only records this run disposes of are dropped whole
	 * once the store has disposed of them all (custos_index_drop_marked
	 * below), instead of losing their documents one by one (a partition with
	 * a held or not yet eligible record is not among them); one losing more
	 * than half its documents is rebuilt from those that stay, then */
	if (pl->n) {
		const char **ids = malloc(pl->n * sizeof *ids);
		double t2 = now_s();
		if (!ids) {
			err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
			goto audit;
		}
		for (size_t i = 0; i < pl->n; i++)
			ids[i] = pl->v[i].id;
		err = custos_index_drop_whole(widx, ids, pl->n, &ap.index_parts_dropped,
		                              &ap.index_dropped, &ap.index_parts_rebuilt);
		free(ids);
		if (err < 0) {
			custos_lib__index_fail(s, widx, err, "cannot read the search index");
			goto audit;
		}
		ap.index_seconds += now_s() - t2;
	}
	for (size_t i = 0; i < pl->n; i += DISPOSE_BATCH) {
		size_t n = pl->n - i < DISPOSE_BATCH ? pl->n - i : DISPOSE_BATCH;
		dispose_job_t d = { items, n, actor, false, { 0 }, s->a };
		double t1 = now_s();
		if (s->progress)
			s->progress(s->progress_ctx, i, pl->n);
		for (size_t j = 0; j < n; j++) {
			items[j].id = pl->v[i + j].id;
			items[j].rule = pl->schedule->rules[pl->v[i + j].rule].name;
			items[j].commit = pl->commit;
			items[j].run = run;
		}
		if ((err = run_dispose(s, &d)) < 0)
			goto audit;
		double t2 = now_s();
		ap.dispose_seconds += t2 - t1;
		ap.records += d.sum.records;
		ap.versions += d.sum.versions;
		ap.blobs += d.sum.blobs;
		ap.dictionaries += d.sum.dictionaries;
		ap.recompressed += d.sum.recompressed;
		/* the store is the record of truth: its tombstones are committed, so a
		 * crash here leaves index documents that the next apply deletes */
		for (size_t j = 0; j < n; j++) {
			if ((err = custos_index_delete(widx, items[j].id)) < 0) {
				custos_lib__index_fail(s, widx, err, "cannot delete from the search index");
				goto audit;
			}
		}
		/* an index commit every few batches, queued behind the deletes: the
		 * lanes commit while the store goes on with the next batch (the last
		 * commit below waits for all). A crash leaves documents of disposed
		 * records, which the next apply deletes */
		if ((i / DISPOSE_BATCH) % INDEX_COMMIT_BATCHES == INDEX_COMMIT_BATCHES - 1 &&
		    (err = custos_index_commit_queued(widx, wm)) < 0) {
			custos_lib__index_fail(s, widx, err, "cannot commit the search index");
			goto audit;
		}
		ap.index_deleted += n;
		ap.index_seconds += now_s() - t2;
	}
	if (pl->n) {
		double t2 = now_s();
		if ((err = custos_index_commit(widx, wm)) < 0) {
			custos_lib__index_fail(s, widx, err, "cannot commit the search index");
			goto audit;
		}
		/* every record of the partitions marked above is disposed of in the
		 * store now: they go, or are rebuilt, at once (a crash before this
		 * point leaves their documents to the next apply, as it does
		 * uncommitted deletes) */
		if ((err = custos_index_drop_marked(widx)) < 0) {
			custos_lib__index_fail(s, widx, err, "cannot drop a partition of the search index");
			goto audit;
		}
		ap.index_seconds += now_s() - t2;
	}
	{
		dispose_job_t d = { NULL, 0, actor, true, { 0 }, s->a };
		double t1 = now_s();
		if ((err = run_dispose(s, &d)) < 0)
			goto audit;
		ap.dispose_seconds += now_s() - t1;
		ap.dictionaries += d.sum.dictionaries;
		ap.recompressed += d.sum.recompressed;
		ap.trained += d.sum.trained;
	}
	/* Xapian keeps deleted terms in free blocks until rewritten: the
	 * partitions the deletes touched are compacted, and only those. The
	 * MANIFEST names them from before the deletes were committed, so after
	 * a crash here the next writer's open compacts them. */
	custos_test_point("dispose-before-compact");
	if (pl->n) {
		double t3 = now_s();
		if ((err = custos_index_compact_pending(widx)) < 0) {
			custos_lib__index_fail(s, widx, err, "cannot compact the search index");
			goto audit;
		}
		ap.index_seconds += now_s() - t3;
	}
	if (s->progress)
		s->progress(s->progress_ctx, pl->n, pl->n);
	custos_index_free(widx);
	widx = NULL;
	err = CUSTOS_OK;
audit:
	custos_index_free(widx);
	if (paused)
		custos_indexsvc__resume(s->a);
	if (run) {
		/* what the run's tombstones say, for its certificate: read back from
		 * the store, whatever happened to the run */
		custos_err_t keep = s->err;
		const char **ids = pl->n ? malloc(pl->n * sizeof *ids) : NULL;
		custos_store_t *now = NULL;
		for (size_t i = 0; ids && i < pl->n; i++)
			ids[i] = pl->v[i].id;
		custos_session__unpin(s);
		if ((pl->n && !ids) || custos_session__store(s, &now) < 0 ||
		    custos_lib__run_digest(s, now, run, ids, pl->n, digest, NULL) < 0) {
			if (err == CUSTOS_OK)
				err = s->err.status ? s->err.status : CUSTOS_ENOMEM;
			else
				s->err = keep;
			digest[0] = '\0';
		} else if (err < 0) {
			s->err = keep;
		}
		free(ids);
	}
	if (locked)
		pthread_mutex_unlock(&s->a->dispose_mu);
	asof_params(&params, as_of);
	if (pl)
		plan_audit_result(&result, pl, &ap, run, digest);
	else
		custos_lib__error_result(&result, s);
	if (pl && err < 0) {
		/* the failure with what was done before it */
		custos_buf_t e = { 0 };
		custos_lib__error_result(&e, s);
		result.len--;   /* reopen the object */
		custos_buf_printf(&result, ",%.*s", (int)(e.len - 2), e.data + 1);
		custos_buf_addc(&result, '}');
		custos_buf_free(&e);
	}
	ap.run = run;
	memcpy(ap.digest, digest, sizeof ap.digest);
	err = custos_session__audit(s, "retention-apply", params.data, result.data, err);
	/* the tombstones and this entry join the record chain now */
	custos_writer__anchor(s->a, NULL);
	if (out)
		*out = ap;
	if (out_plan)
		*out_plan = pl;
	else
		custos_retention_plan_free(pl);
	free(items);
	custos_buf_free(&params);
	custos_buf_free(&result);
	custos_policy_free(p);
	return err;
}
