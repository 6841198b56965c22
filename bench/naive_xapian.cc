// The naive Xapian baseline of the search benchmark (issue 4 "Figures"):
// what a user who read the Xapian tutorial would write. One writable
// database, TermGenerator with the English stemmer and positions, the fields
// as boolean prefixed terms, created_at as a sortable value, one commit at the
// end; search through QueryParser plus OP_FILTER for the fields, relevance by
// the default BM25, newest-first by set_sort_by_value. Exact totals
// (check_at_least = document count), as custos computes them.
//
// Only bench/search_peers.c calls it, through the plain C functions below.
#include "naive_xapian.h"

#include <xapian.h>

#include <cstdio>
#include <memory>
#include <string>

struct naive_xapian {
	std::unique_ptr<Xapian::WritableDatabase> wdb;
	std::unique_ptr<Xapian::Database> db;
	Xapian::TermGenerator tg;
	Xapian::QueryParser qp;
	Xapian::Stem stem{ "english" };
	std::string err;
};

enum { SLOT_CREATED = 0, SLOT_PLATFORM = 1, SLOT_YEAR = 2 };

static std::string lower(const char *s)
{
	std::string r(s);
	for (auto &c : r)
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
	return r;
}

extern "C" naive_xapian_t *naive_xapian_create(const char *path)
{
	try {
		auto *nx = new naive_xapian();
		nx->wdb.reset(new Xapian::WritableDatabase(path, Xapian::DB_CREATE_OR_OVERWRITE));
		nx->tg.set_stemmer(nx->stem);
		return nx;
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "naive xapian: %s\n", e.get_description().c_str());
		return nullptr;
	}
}

extern "C" int naive_xapian_add(naive_xapian_t *nx, const naive_rec_t *r)
{
	try {
		Xapian::Document doc;
		nx->tg.set_document(doc);
		nx->tg.index_text(r->text);
		doc.add_boolean_term(std::string("P") + r->platform);
		doc.add_boolean_term(std::string("A") + lower(r->account));
		doc.add_boolean_term(std::string("F") + lower(r->author));
		doc.add_boolean_term(std::string("K") + r->kind);
		doc.add_boolean_term(std::string("L") + r->lang);
		for (int i = 0; i < r->ntags; i++)
			doc.add_boolean_term(std::string("H") + lower(r->tags[i]));
		if (r->mention)
			doc.add_boolean_term(std::string("M") + lower(r->mention));
		if (r->domain)
			doc.add_boolean_term(std::string("U") + r->domain);
		if (r->thread)
			doc.add_boolean_term(std::string("T") + r->thread);
		doc.add_boolean_term(std::string("Q") + r->id);   /* for the thread root */
		if (r->media)
			doc.add_boolean_term("XMEDIA");
		doc.add_value(SLOT_CREATED, Xapian::sortable_serialise((double)r->created_at));
		doc.add_value(SLOT_PLATFORM, r->platform);
		time_t s = (time_t)(r->created_at / 1000);
		struct tm tm;
		gmtime_r(&s, &tm);
		doc.add_value(SLOT_YEAR, std::to_string(tm.tm_year + 1900));
		doc.set_data(r->id);
		nx->wdb->add_document(doc);
		return 0;
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "naive xapian: %s\n", e.get_description().c_str());
		return -1;
	}
}

extern "C" int naive_xapian_commit(naive_xapian_t *nx)
{
	try {
		nx->wdb->commit();
		return 0;
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "naive xapian: %s\n", e.get_description().c_str());
		return -1;
	}
}

extern "C" void naive_xapian_free(naive_xapian_t *nx)
{
	if (!nx)
		return;
	try {
		if (nx->wdb)
			nx->wdb->close();
	} catch (const Xapian::Error &) {
	}
	delete nx;
}

extern "C" int naive_xapian_compact(const char *src, const char *dst)
{
	try {
		Xapian::Database db(src);
		db.compact(dst);
		return 0;
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "naive xapian compact: %s\n", e.get_description().c_str());
		return -1;
	}
}

extern "C" naive_xapian_t *naive_xapian_open(const char *path)
{
	try {
		auto *nx = new naive_xapian();
		nx->db.reset(new Xapian::Database(path));
		nx->qp.set_stemmer(nx->stem);
		nx->qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
		nx->qp.set_database(*nx->db);
		nx->qp.set_default_op(Xapian::Query::OP_AND);
		return nx;
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "naive xapian: %s\n", e.get_description().c_str());
		return nullptr;
	}
}

static void add_filter(Xapian::Query &q, const std::string &term)
{
	q = Xapian::Query(Xapian::Query::OP_FILTER, q, Xapian::Query(term));
}

extern "C" int naive_xapian_search(naive_xapian_t *nx, const naive_query_t *nq, int newest,
                                   int facets, uint64_t *total)
{
	try {
		Xapian::Query q = Xapian::Query::MatchAll;
		if (nq->text && *nq->text)
			q = nx->qp.parse_query(nq->text, Xapian::QueryParser::FLAG_DEFAULT |
			                                     Xapian::QueryParser::FLAG_WILDCARD);
		if (nq->platform)
			add_filter(q, std::string("P") + nq->platform);
		if (nq->author)
			add_filter(q, std::string("F") + nq->author);
		if (nq->tag)
			add_filter(q, std::string("H") + nq->tag);
		if (nq->mention)
			add_filter(q, std::string("M") + nq->mention);
		if (nq->kind)
			add_filter(q, std::string("K") + nq->kind);
		if (nq->lang)
			add_filter(q, std::string("L") + nq->lang);
		if (nq->domain)
			add_filter(q, std::string("U") + nq->domain);
		if (nq->media)
			add_filter(q, "XMEDIA");
		if (nq->thread)
			q = Xapian::Query(Xapian::Query::OP_FILTER, q,
			                  Xapian::Query(Xapian::Query::OP_OR,
			                                Xapian::Query(std::string("T") + nq->thread),
			                                Xapian::Query(std::string("Q") + nq->thread)));
		if (nq->date_lo || nq->date_hi)
			q = Xapian::Query(Xapian::Query::OP_FILTER, q,
			                  Xapian::Query(Xapian::Query::OP_VALUE_RANGE, SLOT_CREATED,
			                                Xapian::sortable_serialise((double)nq->date_lo),
			                                Xapian::sortable_serialise((double)nq->date_hi)));
		Xapian::Enquire enq(*nx->db);
		enq.set_query(q);
		if (newest)
			enq.set_sort_by_value(SLOT_CREATED, true);
		Xapian::ValueCountMatchSpy spy_p(SLOT_PLATFORM), spy_y(SLOT_YEAR);
		if (facets) {
			enq.add_matchspy(&spy_p);
			enq.add_matchspy(&spy_y);
		}
		Xapian::MSet m = enq.get_mset(0, 20, nx->db->get_doccount());
		for (auto it = m.begin(); it != m.end(); ++it) {
			/* read what a result page shows: the stored id */
			std::string data = it.get_document().get_data();
			(void)data;
		}
		*total = m.get_matches_estimated();
		return 0;
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "naive xapian search: %s\n", e.get_description().c_str());
		return -1;
	}
}
