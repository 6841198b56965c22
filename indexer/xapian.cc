// The Xapian glue behind indexer/custos_indexer.h: the only C++ in custos.
// Every entry point catches what Xapian and the C++ library throw and turns
// it into a custos status with the message kept on the handle.
//
// Document layout (docs/query-language.md explains the choices):
//   data      none
//   value 0   created_at: 8 bytes big-endian, sign bit flipped (sorts as a number)
//   value 1   varint(seq) id \x1f account \x1f author handle (hits and facets)
//   value 2   the word positions of text and title: (varint position delta,
//             32-bit hash of the Z term) in position order, for phrases and
//             NEAR (see "Phrases and NEAR" below)
//   value 3   facet codes: platform (1 byte), months since 1970-01 (2 bytes)
//   docid     the record version's store sequence number
//   terms     text and title: Z+English stem, Z+stem of the record's
//             language; no positional data
//             Q id, P platform, A account, F author handle, K hashtag, M mention,
//             U url domain (and its parents), N kind, L language, T thread root,
//             R what a repost, quote, like or notice is about,
//             H has (media), Y year (YYYY) and month (YYYYMM) buckets
#include "custos_indexer.h"
#include "index_internal.h"

#include <xapian.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

const Xapian::valueno SLOT_TIME = 0;
const Xapian::valueno SLOT_REC = 1;
const Xapian::valueno SLOT_POS = 2;
const Xapian::valueno SLOT_FACET = 3;
const char WATERMARK_KEY[] = "custos.watermark";
const char SCHEMA_KEY[] = "custos.schema";
const char SCHEMA_VERSION[] = "4";
const size_t QUEUE_MAX = 4096;
const Xapian::doccount ONE_PASS_MAX = 5000;   // see custos_index_search

// ---- small helpers --------------------------------------------------------

std::string lower(const std::string &s)
{
	std::string out;
	out.reserve(s.size());
	bool ascii = true;
	for (unsigned char c : s)
		if (c >= 0x80) {
			ascii = false;
			break;
		}
	if (ascii) {
		for (unsigned char c : s)
			out += (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
		return out;
	}
	for (Xapian::Utf8Iterator it(s); it != Xapian::Utf8Iterator(); ++it)
		Xapian::Unicode::append_utf8(out, Xapian::Unicode::tolower(*it));
	return out;
}

std::string time_value(int64_t ms)
{
	uint64_t u = (uint64_t)ms ^ 0x8000000000000000ull;
	std::string v(8, '\0');
	for (int i = 7; i >= 0; i--) {
		v[i] = (char)(u & 0xff);
		u >>= 8;
	}
	return v;
}

int64_t time_from_value(const std::string &v)
{
	if (v.size() != 8)
		return CUSTOS_TIME_NONE;
	uint64_t u = 0;
	for (unsigned char c : v)
		u = (u << 8) | c;
	return (int64_t)(u ^ 0x8000000000000000ull);
}

void put_varint(std::string &s, uint64_t v)
{
	while (v >= 0x80) {
		s += (char)(v | 0x80);
		v >>= 7;
	}
	s += (char)v;
}

bool get_varint(const std::string &s, size_t &pos, uint64_t &v)
{
	v = 0;
	for (int shift = 0; pos < s.size() && shift < 64; shift += 7) {
		unsigned char c = (unsigned char)s[pos++];
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

// Value 1 holds what a hit shows: varint(seq) id \x1f account \x1f author
// (the platform is the id's prefix). There is no document data: one value
// read per hit is cheaper than the data table, and smaller.
struct RecValue {
	uint64_t seq = 0;
	std::string id, platform, account, author;
};

bool parse_rec_value(const std::string &v, RecValue &r)
{
	size_t pos = 0;
	if (!get_varint(v, pos, r.seq))
		return false;
	size_t a = v.find('\x1f', pos), b = a == std::string::npos ? a : v.find('\x1f', a + 1);
	if (b == std::string::npos)
		return false;
	r.id = v.substr(pos, a - pos);
	r.account = v.substr(a + 1, b - a - 1);
	r.author = v.substr(b + 1);
	size_t c = r.id.find(':');
	r.platform = c == std::string::npos ? std::string() : r.id.substr(0, c);
	return true;
}

// "de-AT" -> "de"
std::string lang_primary(const char *lang)
{
	std::string l;
	for (const char *p = lang; p && *p && *p != '-' && *p != '_'; p++)
		l += (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	return l;
}

// "https://www.Example.com:443/x" -> "example.com"
std::string url_domain(const std::string &u)
{
	std::string s = u;
	size_t p = s.find("://");
	if (p != std::string::npos)
		s = s.substr(p + 3);
	p = s.find_first_of("/?#");
	if (p != std::string::npos)
		s = s.substr(0, p);
	p = s.rfind('@');
	if (p != std::string::npos)
		s = s.substr(p + 1);
	p = s.find(':');
	if (p != std::string::npos)
		s = s.substr(0, p);
	s = lower(s);
	if (s.compare(0, 4, "www.") == 0)
		s = s.substr(4);
	while (!s.empty() && s.back() == '.')
		s.pop_back();
	return s;
}

std::string strip_lead(const std::string &s, char c)
{
	return !s.empty() && s[0] == c ? s.substr(1) : s;
}

// Hashtags (#) or mentions (@) written in text: the sign after a non-word
// character, then word characters (and for mentions an @domain part).
void scan_text_entities(const char *text, char sign, std::vector<std::string> &out)
{
	if (!text)
		return;
	std::string s(text);
	size_t i = 0, n = s.size();
	unsigned prevch = ' ';
	while (i < n) {
		if (s[i] == sign && !Xapian::Unicode::is_wordchar(prevch) && prevch != '&') {
			size_t j = i + 1;
			bool nondigit = false;
			Xapian::Utf8Iterator it(s.data() + j, n - j);
			for (; it != Xapian::Utf8Iterator(); ++it) {
				unsigned ch = *it;
				if (!Xapian::Unicode::is_wordchar(ch) &&
				    !(sign == '@' && (ch == '.' || ch == '@')))
					break;
				if (!(ch >= '0' && ch <= '9'))
					nondigit = true;
			}
			j = n - it.left();
			if (it == Xapian::Utf8Iterator())
				j = n;
			std::string tok = s.substr(i + 1, j - i - 1);
			while (!tok.empty() && (tok.back() == '.' || tok.back() == '@'))
				tok.pop_back();
			if (!tok.empty() && nondigit)
				out.push_back(tok);
			i = j;
			prevch = 'a';
			continue;
		}
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			prevch = c;
			i++;
		} else {
			Xapian::Utf8Iterator it(s.data() + i, n - i);
			prevch = *it;
			++it;
			i = it == Xapian::Utf8Iterator() ? n : n - it.left();
		}
	}
}

// The stemmer for a language, "none" when Xapian has none for it.
Xapian::Stem stem_for(std::map<std::string, Xapian::Stem> &cache, const std::string &lang)
{
	std::string l = lang.empty() ? "en" : lang;
	auto it = cache.find(l);
	if (it != cache.end())
		return it->second;
	Xapian::Stem st;
	try {
		st = Xapian::Stem(l);
	} catch (const Xapian::InvalidArgumentError &) {
		st = Xapian::Stem();
	}
	cache.emplace(l, st);
	return st;
}

// ---- phrases and NEAR ---------------------------------------------------------
//
// Xapian's positional data (a position-table entry per term and document)
// cost more than half of the indexing time and 40% of the index. The index
// keeps instead one value per document: its words in position order, each
// as a 32-bit hash of its Z term. A phrase or NEAR query becomes the AND of
// its terms (which gives the ranking Xapian gives a phrase) filtered by a
// posting source that checks the order and window on that value. Two
// different words must share a hash and stand exactly where the phrase
// needs them for a false match: about one in four billion per candidate
// position (docs/query-language.md).

uint32_t term_hash(const std::string &t)
{
	uint64_t h = 1469598103934665603ull;   // FNV-1a 64, folded
	for (unsigned char c : t)
		h = (h ^ c) * 1099511628211ull;
	return (uint32_t)(h ^ (h >> 32));
}

struct PosTok {
	Xapian::termpos pos;
	uint32_t hash;
	bool operator<(const PosTok &o) const { return pos < o.pos || (pos == o.pos && hash < o.hash); }
};

std::string encode_positions(std::vector<PosTok> &toks)
{
	std::sort(toks.begin(), toks.end());
	std::string v;
	v.reserve(toks.size() * 5);
	Xapian::termpos prev = 0;
	for (const PosTok &t : toks) {
		put_varint(v, t.pos - prev);
		prev = t.pos;
		for (int i = 0; i < 4; i++)
			v += (char)(t.hash >> (8 * i));
	}
	return v;
}

// A phrase (ordered, every word within window positions of the first) or
// NEAR (any order, within window) over slots of alternative terms.
struct PhraseSpec {
	std::vector<std::vector<std::string>> slots;
	Xapian::termcount window;
	bool ordered;
	bool cjk;   // every slot one CJK character: the n-gram layout below
};

// The TermGenerator gives a run of CJK text its characters at every other
// position, the two-character n-grams between them; the QueryParser makes
// a quoted run a phrase of its characters.
bool is_cjk_char_term(const std::string &t)
{
	if (t.size() < 2 || t[0] != 'Z')
		return false;
	Xapian::Utf8Iterator it(t.data() + 1, t.size() - 1);
	unsigned ch = *it;
	++it;
	return it == Xapian::Utf8Iterator() && ch >= 0x2E80;
}

class PhraseSource : public Xapian::PostingSource {
	PhraseSpec spec;
	std::vector<std::vector<uint32_t>> hashes;
	Xapian::ValueIterator vit, vend;
	Xapian::PostingIterator pit, pend;
	bool by_postings = false, done = false, at_match = false;
	Xapian::docid cur = 0;   // the last document looked at
	Xapian::doccount tf_max = 0, tf_est = 0;
	std::vector<std::vector<Xapian::termpos>> at;   // scratch: positions per slot

	bool matches(const std::string &v);
	bool verify(Xapian::docid did)
	{
		return vit.check(did) && vit != vend && vit.get_docid() == did && matches(*vit);
	}
	// moves to the first match after cur
	void advance()
	{
		at_match = false;
		for (;;) {
			Xapian::docid did;
			if (by_postings) {
				if (pit != pend && *pit <= cur)
					pit.skip_to(cur + 1);
				if (pit == pend)
					break;
				did = *pit;
			} else {
				vit.skip_to(cur + 1);
				if (vit == vend)
					break;
				did = vit.get_docid();
			}
			cur = did;
			if (verify(did)) {
				at_match = true;
				return;
			}
		}
		done = true;
	}

public:
	explicit PhraseSource(const PhraseSpec &s) : spec(s)
	{
		for (const auto &slot : spec.slots) {
			hashes.emplace_back();
			for (const std::string &t : slot)
				hashes.back().push_back(term_hash(t));
		}
		at.resize(spec.slots.size());
	}
	PhraseSource *clone() const override { return new PhraseSource(spec); }
	std::string get_description() const override { return "custos::PhraseSource"; }

	// Drives from the postings of the rarest one-term slot; a phrase whose
	// every slot has alternatives walks the position values instead.
	void init(const Xapian::Database &d) override
	{
		done = at_match = false;
		cur = 0;
		vit = d.valuestream_begin(SLOT_POS);
		vend = d.valuestream_end(SLOT_POS);
		Xapian::doccount best = d.get_doccount();
		std::string driver;
		for (const auto &slot : spec.slots) {
			if (slot.size() != 1)
				continue;
			Xapian::doccount tf = d.get_termfreq(slot[0]);
			if (driver.empty() || tf < best) {
				best = tf;
				driver = slot[0];
			}
		}
		by_postings = !driver.empty();
		if (by_postings) {
			pit = d.postlist_begin(driver);
			pend = d.postlist_end(driver);
		}
		set_maxweight(0);
		tf_max = best;
		tf_est = best / 2;
	}
	Xapian::doccount get_termfreq_min() const override { return 0; }
	Xapian::doccount get_termfreq_est() const override { return tf_est; }
	Xapian::doccount get_termfreq_max() const override { return tf_max; }

	void next(double) override { advance(); }
	void skip_to(Xapian::docid did, double) override
	{
		if (done || (at_match && cur >= did))
			return;
		if (cur < did)
			cur = did - 1;
		advance();
	}
	// true: did matches and is the current document; false: it does not,
	// and next() goes on after it
	bool check(Xapian::docid did, double) override
	{
		cur = did;
		at_match = verify(did);
		return at_match;
	}
	bool at_end() const override { return done; }
	Xapian::docid get_docid() const override { return cur; }
};

bool PhraseSource::matches(const std::string &v)
{
	size_t k = spec.slots.size();
	for (auto &a : at)
		a.clear();
	size_t p = 0;
	uint64_t pos = 0;
	while (p < v.size()) {
		uint64_t d;
		if (!get_varint(v, p, d) || p + 4 > v.size())
			throw Xapian::DatabaseCorruptError("a document's position value is unreadable");
		pos += d;
		uint32_t h = (uint32_t)(unsigned char)v[p] | (uint32_t)(unsigned char)v[p + 1] << 8 |
		             (uint32_t)(unsigned char)v[p + 2] << 16 | (uint32_t)(unsigned char)v[p + 3] << 24;
		p += 4;
		for (size_t i = 0; i < k; i++)
			for (uint32_t x : hashes[i])
				if (x == h) {
					at[i].push_back((Xapian::termpos)pos);
					break;
				}
	}
	for (const auto &a : at)
		if (a.empty())
			return false;
	Xapian::termcount w = spec.window;
	if (spec.ordered && spec.cjk) {
		for (Xapian::termpos first : at[0]) {
			size_t i = 1;
			for (; i < k; i++)
				if (!std::binary_search(at[i].begin(), at[i].end(), first + 2 * i))
					break;
			if (i == k)
				return true;
		}
		return false;
	}
	if (spec.ordered) {
		// from each start, the earliest position of each next word: the
		// shortest span that starts there
		for (Xapian::termpos first : at[0]) {
			Xapian::termpos prev = first;
			size_t i = 1;
			for (; i < k; i++) {
				auto it = std::upper_bound(at[i].begin(), at[i].end(), prev);
				if (it == at[i].end() || *it - first + 1 > w)
					break;
				prev = *it;
			}
			if (i == k)
				return true;
		}
		return false;
	}
	// NEAR: some window of w positions holds a position of every slot
	for (const auto &a : at)
		for (Xapian::termpos s : a) {
			size_t i = 0;
			for (; i < k; i++) {
				auto it = std::lower_bound(at[i].begin(), at[i].end(), s);
				if (it == at[i].end() || *it - s + 1 > w)
					break;
			}
			if (i == k)
				return true;
		}
	return false;
}

// The terms a phrase slot may hold: a term, or terms joined by OR.
std::vector<std::string> slot_terms(const Xapian::Query &q)
{
	std::vector<std::string> out;
	Xapian::Query::op t = q.get_type();
	if (t == Xapian::Query::LEAF_TERM || t == Xapian::Query::OP_OR ||
	    t == Xapian::Query::OP_SYNONYM) {
		bool terms_only = true;
		for (size_t i = 0; i < q.get_num_subqueries(); i++)
			if (q.get_subquery(i).get_type() != Xapian::Query::LEAF_TERM)
				terms_only = false;
		if (terms_only)
			for (Xapian::TermIterator it = q.get_unique_terms_begin();
			     it != q.get_unique_terms_end(); ++it)
				out.push_back(*it);
	}
	if (out.empty())
		throw Xapian::InvalidArgumentError("only words may stand in a phrase or NEAR");
	return out;
}

// The window Xapian keeps for OP_PHRASE / OP_NEAR is readable only in the
// query's description: "Query((Za@1 NEAR 11 Zb@2))".
Xapian::termcount query_window(const Xapian::Query &q, const char *opname)
{
	std::string d = q.get_description(), key = std::string(" ") + opname + " ";
	size_t at = d.find(key);
	if (at == std::string::npos)
		throw Xapian::InvalidArgumentError("cannot read the window of a phrase or NEAR");
	return (Xapian::termcount)strtoul(d.c_str() + at + key.size(), nullptr, 10);
}

// Replaces every OP_PHRASE and OP_NEAR in q (see above); what has none is
// returned as it is.
Xapian::Query unposition(const Xapian::Query &q, bool &changed)
{
	Xapian::Query::op op = q.get_type();
	size_t n = q.get_num_subqueries();
	if (op == Xapian::Query::OP_PHRASE || op == Xapian::Query::OP_NEAR) {
		bool ordered = op == Xapian::Query::OP_PHRASE;
		PhraseSpec spec;
		std::vector<Xapian::Query> subs;
		for (size_t i = 0; i < n; i++) {
			subs.push_back(q.get_subquery(i));
			spec.slots.push_back(slot_terms(subs.back()));
		}
		spec.window = query_window(q, ordered ? "PHRASE" : "NEAR");
		spec.ordered = ordered;
		spec.cjk = true;
		for (const auto &slot : spec.slots)
			if (slot.size() != 1 || !is_cjk_char_term(slot[0]))
				spec.cjk = false;
		if (spec.window < n)
			spec.window = (Xapian::termcount)n;
		changed = true;
		Xapian::Query all(Xapian::Query::OP_AND, subs.begin(), subs.end());
		return Xapian::Query(Xapian::Query::OP_FILTER, all,
		                     Xapian::Query((new PhraseSource(spec))->release()));
	}
	if (n == 0)
		return q;
	std::vector<Xapian::Query> subs;
	bool any = false;
	for (size_t i = 0; i < n; i++)
		subs.push_back(unposition(q.get_subquery(i), any));
	if (!any)
		return q;
	changed = true;
	if (op == Xapian::Query::OP_SCALE_WEIGHT) {
		// "Query(0 * ...)": the factor is readable only there too
		std::string d = q.get_description();
		double f = strtod(d.c_str() + 6, nullptr);
		return Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, subs[0], f);
	}
	if (op == Xapian::Query::OP_ELITE_SET)
		throw Xapian::InvalidArgumentError("a phrase inside an elite set is not supported");
	return Xapian::Query(op, subs.begin(), subs.end());
}

std::string strip_html_escapes(const std::string &s, const std::string &hs, const std::string &he,
                               const std::string &om)
{
	// MSet::snippet escapes for HTML; custos prints to terminals and JSON, so
	// undo the escapes, leaving the markers (which Xapian inserts verbatim).
	static const struct { const char *from; char to; } esc[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		{ "&#39;", '\'' }, { "&#x27;", '\'' }, { "&apos;", '\'' },
	};
	std::string out;
	out.reserve(s.size());
	for (size_t i = 0; i < s.size();) {
		bool done = false;
		for (const std::string *m : { &hs, &he, &om })
			if (!m->empty() && s.compare(i, m->size(), *m) == 0) {
				out += *m;
				i += m->size();
				done = true;
				break;
			}
		if (done)
			continue;
		if (s[i] == '&')
			for (auto &e : esc) {
				size_t l = strlen(e.from);
				if (s.compare(i, l, e.from) == 0) {
					out += e.to;
					i += l;
					done = true;
					break;
				}
			}
		if (!done)
			out += s[i++];
	}
	return out;
}

// ---- query fields ---------------------------------------------------------

// A boolean filter field whose value is lower-cased (and a leading sign
// dropped): from:, platform:, account:, tag:, mention:, kind:, has:.
class LowerField : public Xapian::FieldProcessor {
	std::string prefix;
	char strip;

    public:
	LowerField(const std::string &p, char s) : prefix(p), strip(s) {}
	Xapian::Query operator()(const std::string &v) override
	{
		std::string t = lower(strip ? strip_lead(v, strip) : v);
		return Xapian::Query(prefix + t);
	}
};

class LangField : public Xapian::FieldProcessor {
    public:
	Xapian::Query operator()(const std::string &v) override
	{
		return Xapian::Query("L" + lang_primary(v.c_str()));
	}
};

class UrlField : public Xapian::FieldProcessor {
    public:
	Xapian::Query operator()(const std::string &v) override
	{
		return Xapian::Query("U" + url_domain(v));
	}
};

// thread:ID is the root and every record naming it as thread root.
class ThreadField : public Xapian::FieldProcessor {
    public:
	Xapian::Query operator()(const std::string &v) override
	{
		Xapian::Query a("T" + v), b("Q" + v);
		return Xapian::Query(Xapian::Query::OP_OR, a, b);
	}
};

// date:LO_HI (the rewritten form, ms inclusive, "x" open): whole months and
// years inside the range become bucket terms (cheap posting lists); the
// partial months at the edges become their month term AND a value range, so
// no date query scans every document's value.
class DateField : public Xapian::FieldProcessor {
	const Xapian::Database *db;

    public:
	explicit DateField(const Xapian::Database *d) : db(d) {}
	Xapian::Query operator()(const std::string &v) override;
};

void month_of(int64_t ms, int &y, unsigned &m)
{
	int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	unsigned d;
	int64_t yy;
	custos_time_civil_from_days(days, &yy, &m, &d);
	y = (int)yy;
}

int64_t month_start(int y, unsigned m)
{
	return custos_time_days_from_civil(y, m, 1) * 86400000;
}

std::string month_term(int y, unsigned m)
{
	char b[16];
	snprintf(b, sizeof b, "Y%04d%02u", y, m);
	return b;
}

Xapian::Query DateField::operator()(const std::string &v)
{
	size_t us = v.find('_');
	if (us == std::string::npos)
		throw Xapian::QueryParserError("bad date value");
	std::string a = v.substr(0, us), b = v.substr(us + 1);
	int64_t lo = a == "x" ? INT64_MIN : std::stoll(a);
	int64_t hi = b == "x" ? INT64_MAX : std::stoll(b);
	Xapian::Query range = Xapian::Query(Xapian::Query::OP_VALUE_RANGE, SLOT_TIME,
	                                    time_value(lo), time_value(hi));
	if (!db)
		return range;
	// clamp open ends to the months the index holds
	std::string first, last;
	for (Xapian::TermIterator t = db->allterms_begin("Y"); t != db->allterms_end("Y"); ++t) {
		if ((*t).size() != 7)
			continue;
		if (first.empty())
			first = *t;
		last = *t;
	}
	if (first.empty())
		return Xapian::Query(std::string("Y"));  // no document has a bare Y term
	int y0 = std::atoi(first.substr(1, 4).c_str()), y1 = std::atoi(last.substr(1, 4).c_str());
	unsigned m0 = (unsigned)std::atoi(first.substr(5).c_str());
	unsigned m1 = (unsigned)std::atoi(last.substr(5).c_str());
	int64_t imin = month_start(y0, m0);
	int64_t imax = (m1 == 12 ? month_start(y1 + 1, 1) : month_start(y1, m1 + 1)) - 1;
	if (lo < imin)
		lo = imin;
	if (hi > imax)
		hi = imax;
	if (lo > hi)
		return Xapian::Query(std::string("Y"));
	std::vector<Xapian::Query> parts;
	int y;
	unsigned m;
	month_of(lo, y, m);
	while (true) {
		int64_t ms = month_start(y, m);
		if (ms > hi)
			break;
		int64_t me = (m == 12 ? month_start(y + 1, 1) : month_start(y, m + 1)) - 1;
		if (ms >= lo && me <= hi)
			parts.emplace_back(month_term(y, m));
		else
			parts.emplace_back(Xapian::Query::OP_FILTER, Xapian::Query(month_term(y, m)),
			                   Xapian::Query(Xapian::Query::OP_VALUE_RANGE, SLOT_TIME,
			                                 time_value(std::max(lo, ms)),
			                                 time_value(std::min(hi, me))));
		if (++m > 12) {
			m = 1;
			y++;
		}
	}
	return Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
}

// Counts the facets of every match: platform, account and author from
// value 1, year and month from value 0.
// Value 3, for the platform, year and month facets: a platform code and
// the month as months since 1970-01, three bytes, so that counting them
// reads a value stream a tenth the size of value 1's.
const char *const FACET_PLATFORMS[] = { "x", "mastodon", "facebook", "slack", "linkedin",
	                                "feed", nullptr };   // code = index + 1; 0: another

std::string facet_value(const std::string &platform, int64_t created_at)
{
	unsigned char code = 0;
	for (int i = 0; FACET_PLATFORMS[i]; i++)
		if (platform == FACET_PLATFORMS[i])
			code = (unsigned char)(i + 1);
	int y;
	unsigned m;
	month_of(created_at, y, m);
	long mi = (long)(y - 1970) * 12 + (long)m - 1;
	unsigned v = mi < 0 || mi > 0xfffe ? 0xffff : (unsigned)mi;
	std::string out(3, '\0');
	out[0] = (char)code;
	out[1] = (char)(v >> 8);
	out[2] = (char)v;
	return out;
}

class FacetSpy : public Xapian::MatchSpy {
	// Document::get_value looks a value up from the start of its value
	// chunk, which was most of a faceted query's time. The matcher goes
	// through the shards one after the other, each in docid order, and a
	// document's id (its store seq) is in one shard only; so each shard's
	// value streams are read forward instead, and a docid not where the
	// current shard's stream can reach it means the next shard has begun.
	struct Stream {
		Xapian::ValueIterator it, end;
	};
	struct Streams {
		std::vector<Stream> v;
		size_t cur = 0;
		Xapian::docid last = 0;
	};
	Streams rec, facet;
	bool want_rec;
	std::string key;   // reused: a facet value being counted
	uint64_t platform_codes[8] = { 0 };
	std::vector<uint64_t> month_counts;   // by months since 1970-01

	static std::string value(const Xapian::Document &doc, Streams &ss, Xapian::valueno slot)
	{
		Xapian::docid did = doc.get_docid();
		if (did < ss.last)
			ss.cur++;
		ss.last = did;
		while (ss.cur < ss.v.size()) {
			Stream &s = ss.v[ss.cur];
			if (s.it == s.end || s.it.get_docid() > did) {
				ss.cur++;
				continue;
			}
			s.it.skip_to(did);
			if (s.it != s.end && s.it.get_docid() == did)
				return *s.it;
			ss.cur++;
		}
		return doc.get_value(slot);
	}

	void count_rec(const std::string &v, bool platform)
	{
		// value 1 is varint(seq) id \x1f account \x1f author; the
		// platform is the id up to its ':'
		size_t pos = 0, a, b;
		uint64_t seq;
		if (!get_varint(v, pos, seq) || (a = v.find('\x1f', pos)) == std::string::npos ||
		    (b = v.find('\x1f', a + 1)) == std::string::npos)
			return;
		if (platform) {
			size_t c = v.find(':', pos);
			key.assign(v, pos, c < a ? c - pos : 0);
			counts[0][key]++;
		}
		if (want & CUSTOS_FACET_BIT(CUSTOS_FACET_ACCOUNT)) {
			key.assign(v, a + 1, b - a - 1);
			counts[1][key]++;
		}
		if (want & CUSTOS_FACET_BIT(CUSTOS_FACET_AUTHOR)) {
			key.assign(v, b + 1, std::string::npos);
			counts[2][key]++;
		}
	}

    public:
	unsigned want;
	std::unordered_map<std::string, uint64_t> counts[3];

	FacetSpy(unsigned w, const std::vector<Xapian::Database> &shards) : want(w)
	{
		want_rec = (w & (CUSTOS_FACET_BIT(CUSTOS_FACET_ACCOUNT) |
		                 CUSTOS_FACET_BIT(CUSTOS_FACET_AUTHOR))) != 0;
		for (const Xapian::Database &d : shards) {
			if (want_rec)
				rec.v.push_back(Stream{ d.valuestream_begin(SLOT_REC), d.valuestream_end(SLOT_REC) });
			facet.v.push_back(Stream{ d.valuestream_begin(SLOT_FACET), d.valuestream_end(SLOT_FACET) });
		}
	}
	void operator()(const Xapian::Document &doc, double) override
	{
		const std::string f = value(doc, facet, SLOT_FACET);
		bool platform = want & CUSTOS_FACET_BIT(CUSTOS_FACET_PLATFORM);
		bool other = f.size() == 3 && f[0] == 0;   // a platform without a code
		if (f.size() == 3) {
			if (platform && !other)
				platform_codes[(unsigned char)f[0] & 7]++;
			unsigned mi = (unsigned)(unsigned char)f[1] << 8 | (unsigned char)f[2];
			if (mi != 0xffff) {
				if (mi >= month_counts.size())
					month_counts.resize(mi + 1);
				month_counts[mi]++;
			}
		}
		if (want_rec)
			count_rec(value(doc, rec, SLOT_REC), platform && other);
		else if (platform && other)
			count_rec(doc.get_value(SLOT_REC), true);
	}
	// Adds the coded platforms to counts[0]; call once, after the match.
	void finish()
	{
		for (int i = 0; FACET_PLATFORMS[i]; i++)
			if (platform_codes[i + 1])
				counts[0][FACET_PLATFORMS[i]] += platform_codes[i + 1];
	}
	// yyyymm -> count, and yyyy -> count
	std::map<int, uint64_t> months() const
	{
		std::map<int, uint64_t> out;
		for (size_t i = 0; i < month_counts.size(); i++)
			if (month_counts[i])
				out[(int)(1970 + i / 12) * 100 + (int)(i % 12) + 1] = month_counts[i];
		return out;
	}
	std::map<int, uint64_t> years() const
	{
		std::map<int, uint64_t> out;
		for (size_t i = 0; i < month_counts.size(); i++)
			if (month_counts[i])
				out[(int)(1970 + i / 12)] += month_counts[i];
		return out;
	}
};

} // namespace

// ---- the handle -----------------------------------------------------------

namespace {

// A record reduced to what the index keeps, copied so a worker can build
// its document after the caller has moved on.
struct Rec {
	std::string id, platform, account, kind, author, lang, thread, title, text;
	std::string custodian;            // whose collection (capture metadata)
	bool undated = false;             // the source gave no time
	std::vector<std::string> about;   // repost_of, quote_of, target
	std::vector<std::string> tags, mentions, urls;
	uint64_t seq = 0;
	uint32_t version = 1;
	int64_t created_at = CUSTOS_TIME_NONE;
	bool media = false;
};

struct Op {
	enum Kind { REPLACE, DELETE, COMMIT } kind;
	Rec rec;            // REPLACE
	std::string id;     // DELETE
	uint64_t watermark; // COMMIT
};

// One shard of the index: a glass database with its own writer thread that
// builds documents and feeds Xapian. Xapian's writer is single-threaded, so
// shards (records spread by a hash of their id) are what lets indexing use
// every core; searches open all shards as one database.
struct Shard {
	std::string path;
	Xapian::WritableDatabase *wdb = nullptr;
	Xapian::Database *rdb = nullptr;   // read handles: this shard alone
	Xapian::TermGenerator tg;
	std::map<std::string, Xapian::Stem> stems;
	std::vector<PosTok> toks;   // scratch for make_document

	std::thread th;
	std::mutex mu;
	std::condition_variable cv_work, cv_room, cv_idle;
	std::deque<Op> queue;
	bool busy = false, stop = false, running = false;
	int wstatus = CUSTOS_OK;
	std::string wmsg;
};

} // namespace

struct custos_index {
	std::vector<Shard *> shards;
	Xapian::Database *db = nullptr;   // every shard, for reading
	bool writable = false;
	std::string path;
	custos_err_t err;
	std::map<std::string, Xapian::Stem> stems;   // for queries
};

namespace {

int set_err(custos_err_t *err, int status, const std::string &msg)
{
	return custos_err_set(err, status, "%s", msg.c_str());
}

// The one place where Xapian's and C++'s exceptions become statuses.
int translate(custos_err_t *err, const char *what)
{
	try {
		throw;
	} catch (const Xapian::QueryParserError &e) {
		return custos_err_set(err, CUSTOS_EFORMAT, "%s: bad query: %s", what, e.get_msg().c_str());
	} catch (const Xapian::DatabaseLockError &e) {
		return custos_err_set(err, CUSTOS_EBUSY, "%s: the index is locked by another writer: %s",
		                      what, e.get_msg().c_str());
	} catch (const Xapian::DatabaseOpeningError &e) {
		return custos_err_set(err, CUSTOS_EINDEX, "%s: cannot open the search index: %s "
		                      "(run 'custos index --rebuild')", what, e.get_msg().c_str());
	} catch (const Xapian::DatabaseCorruptError &e) {
		return custos_err_set(err, CUSTOS_EINDEX, "%s: the search index is corrupt: %s "
		                      "(run 'custos index --rebuild')", what, e.get_msg().c_str());
	} catch (const Xapian::Error &e) {
		return custos_err_set(err, CUSTOS_EINDEX, "%s: %s: %s", what, e.get_type(),
		                      e.get_msg().c_str());
	} catch (const std::bad_alloc &) {
		return custos_err_set(err, CUSTOS_ENOMEM, "%s: out of memory", what);
	} catch (const std::exception &e) {
		return custos_err_set(err, CUSTOS_EINTERNAL, "%s: %s", what, e.what());
	} catch (...) {
		return custos_err_set(err, CUSTOS_EINTERNAL, "%s: unknown exception", what);
	}
}

// ---- building a document ----------------------------------------------------

Xapian::Document make_document(Shard *sh, const Rec &r)
{
	Xapian::Document doc;

	doc.add_boolean_term("Q" + r.id);
	std::string platform = lower(r.platform);
	if (platform.empty()) {
		size_t c = r.id.find(':');
		if (c != std::string::npos)
			platform = lower(r.id.substr(0, c));
	}
	if (!platform.empty())
		doc.add_boolean_term("P" + platform);
	if (!r.account.empty())
		doc.add_boolean_term("A" + lower(r.account));
	std::string handle = strip_lead(r.author, '@');
	if (!handle.empty())
		doc.add_boolean_term("F" + lower(handle));
	if (!r.kind.empty())
		doc.add_boolean_term("N" + lower(r.kind));
	std::string lang = lang_primary(r.lang.c_str());
	if (!lang.empty())
		doc.add_boolean_term("L" + lang);
	if (!r.thread.empty() && r.thread != r.id)   // a root is found by its Q term
		doc.add_boolean_term("T" + r.thread);
	for (const std::string &a : r.about)
		doc.add_boolean_term("R" + a);
	if (r.media)
		doc.add_boolean_term("Hmedia");
	// custodian: and has:nodate (the collection's owner; an item whose
	// source gave no time, whose created_at is a placeholder)
	if (!r.custodian.empty())
		doc.add_boolean_term("C" + lower(r.custodian));
	if (r.undated)
		doc.add_boolean_term("Hnodate");

	std::vector<std::string> tags, mentions;
	for (const std::string &t : r.tags)
		tags.push_back(strip_lead(t, '#'));
	scan_text_entities(r.text.c_str(), '#', tags);
	scan_text_entities(r.title.c_str(), '#', tags);
	for (const std::string &t : tags)
		if (!t.empty())
			doc.add_boolean_term("K" + lower(t));
	for (const std::string &m0 : r.mentions)
		mentions.push_back(strip_lead(m0, '@'));
	scan_text_entities(r.text.c_str(), '@', mentions);
	for (const std::string &m0 : mentions) {
		std::string m = lower(m0);
		if (m.empty())
			continue;
		doc.add_boolean_term("M" + m);
		size_t at = m.find('@');   // user@instance also finds @user
		if (at != std::string::npos && at > 0)
			doc.add_boolean_term("M" + m.substr(0, at));
	}
	for (const std::string &u : r.urls) {
		std::string d = url_domain(u);
		// the domain and each parent above the top level
		while (!d.empty() && d.find('.') != std::string::npos) {
			doc.add_boolean_term("U" + d);
			d = d.substr(d.find('.') + 1);
		}
	}

	if (r.created_at != CUSTOS_TIME_NONE) {
		int y;
		unsigned m;
		month_of(r.created_at, y, m);
		doc.add_boolean_term(month_term(y, m));
		doc.add_value(SLOT_TIME, time_value(r.created_at));
		doc.add_value(SLOT_FACET, facet_value(platform, r.created_at));
	}
	std::string rv;
	put_varint(rv, r.seq);
	rv += r.id;
	rv += '\x1f';
	rv += r.account;
	rv += '\x1f';
	rv += handle;
	doc.add_value(SLOT_REC, rv);

	// Text: Z-prefixed English stems for every record (one vocabulary that
	// every query reaches), their positions kept in value 2 rather than as
	// Xapian positional data (see "Phrases and NEAR"); records in another
	// language with a stemmer add the stems of that language.
	Xapian::TermGenerator &tg = sh->tg;
	Xapian::Document words;
	tg.set_document(words);
	tg.set_stemmer(stem_for(sh->stems, "en"));
	tg.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL_Z);
	if (!r.title.empty()) {
		tg.index_text(r.title);
		tg.increase_termpos(10);
	}
	tg.index_text(r.text);
	std::vector<PosTok> &toks = sh->toks;
	toks.clear();
	for (Xapian::TermIterator t = words.termlist_begin(); t != words.termlist_end(); ++t) {
		const std::string &term = *t;
		doc.add_term(term, t.get_wdf());
		uint32_t h = term_hash(term);
		for (Xapian::PositionIterator p = t.positionlist_begin(); p != t.positionlist_end(); ++p)
			toks.push_back(PosTok{*p, h});
	}
	if (!toks.empty())
		doc.add_value(SLOT_POS, encode_positions(toks));
	tg.set_document(doc);
	if (!lang.empty() && lang != "en") {
		Xapian::Stem native = stem_for(sh->stems, lang);
		if (!native.is_none()) {
			tg.set_stemmer(native);
			tg.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL_Z);
			if (!r.title.empty())
				tg.index_text_without_positions(r.title);
			tg.index_text_without_positions(r.text);
		}
	}
	tg.set_document(Xapian::Document());
	return doc;
}

// Writes go inside a Xapian transaction that only commit ends: Xapian then
// never flushes on its own, so documents and watermark land together, and a
// handle freed without commit leaves the index as it was.
void apply(Shard *sh, Op &op)
{
	if (op.kind == Op::REPLACE) {
		// The document id is the version's store sequence number: a
		// replay after a crash replaces what it finds, and a new record
		// (above every id the shard holds) costs Xapian no lookup. A
		// later version replaces the one its record id has.
		if (op.rec.version != 1)
			sh->wdb->delete_document("Q" + op.rec.id);
		sh->wdb->replace_document((Xapian::docid)op.rec.seq, make_document(sh, op.rec));
	}
	else if (op.kind == Op::DELETE)
		sh->wdb->delete_document("Q" + op.id);
	else {
		sh->wdb->set_metadata(WATERMARK_KEY, std::to_string(op.watermark));
		sh->wdb->commit_transaction();
		sh->wdb->begin_transaction(true);
	}
}

void worker_main(Shard *sh)
{
	std::unique_lock<std::mutex> lk(sh->mu);
	for (;;) {
		sh->cv_work.wait(lk, [sh] { return sh->stop || !sh->queue.empty(); });
		if (sh->queue.empty() && sh->stop)
			break;
		Op op = std::move(sh->queue.front());
		sh->queue.pop_front();
		sh->busy = true;
		bool failed = sh->wstatus != CUSTOS_OK;
		sh->cv_room.notify_one();
		lk.unlock();
		custos_err_t e;
		custos_err_clear(&e);
		if (!failed) {
			try {
				apply(sh, op);
			} catch (...) {
				translate(&e, op.kind == Op::COMMIT ? "cannot commit the index"
				                                    : "cannot update the index");
			}
		}
		lk.lock();
		if (e.status != CUSTOS_OK && sh->wstatus == CUSTOS_OK) {
			sh->wstatus = e.status;
			sh->wmsg = e.msg;
		}
		sh->busy = false;
		if (sh->queue.empty())
			sh->cv_idle.notify_all();
	}
}

// Runs op now, or hands it to the shard's worker.
int submit(custos_index_t *idx, Shard *sh, Op &&op)
{
	if (!sh->running) {
		apply(sh, op);
		return CUSTOS_OK;
	}
	std::unique_lock<std::mutex> lk(sh->mu);
	sh->cv_room.wait(lk, [sh] { return sh->queue.size() < QUEUE_MAX; });
	if (sh->wstatus != CUSTOS_OK)
		return set_err(&idx->err, sh->wstatus, sh->wmsg);
	sh->queue.push_back(std::move(op));
	sh->cv_work.notify_one();
	return CUSTOS_OK;
}

// Waits until every worker has nothing left; then the caller may use the
// databases itself. Returns a worker's first failure.
int drain(custos_index_t *idx)
{
	int status = CUSTOS_OK;
	for (Shard *sh : idx->shards) {
		if (!sh->running)
			continue;
		std::unique_lock<std::mutex> lk(sh->mu);
		sh->cv_idle.wait(lk, [sh] { return sh->queue.empty() && !sh->busy; });
		if (sh->wstatus != CUSTOS_OK && status == CUSTOS_OK)
			status = set_err(&idx->err, sh->wstatus, sh->wmsg);
	}
	return status;
}

void stop_workers(custos_index_t *idx)
{
	for (Shard *sh : idx->shards) {
		if (!sh->running)
			continue;
		{
			std::lock_guard<std::mutex> lk(sh->mu);
			sh->stop = true;
		}
		sh->cv_work.notify_all();
		sh->th.join();
		sh->running = false;
	}
}

Shard *shard_of(custos_index_t *idx, const char *id)
{
	uint32_t h = 2166136261u;   // FNV-1a: stable across runs and machines
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return idx->shards[h % idx->shards.size()];
}

Rec rec_of(const custos_record_t *r)
{
	Rec x;
	auto s = [](const char *p) { return p ? std::string(p) : std::string(); };
	x.id = r->id;
	x.platform = s(r->platform);
	x.account = s(r->account);
	x.kind = s(r->kind);
	x.author = s(r->author_handle);
	x.lang = s(r->lang);
	x.thread = s(r->thread);
	for (const char *a : { r->repost_of, r->quote_of, r->target })
		if (a && *a)
			x.about.push_back(a);
	x.title = s(r->title);
	x.text = s(r->text);
	for (size_t i = 0; i < r->hashtags.n; i++)
		x.tags.push_back(s(r->hashtags.v[i]));
	for (size_t i = 0; i < r->mentions.n; i++)
		x.mentions.push_back(s(r->mentions.v[i]));
	for (size_t i = 0; i < r->urls.n; i++)
		x.urls.push_back(s(r->urls.v[i]));
	x.seq = r->seq;
	x.version = r->version;
	x.created_at = r->created_at;
	x.media = r->n_media > 0;
	x.custodian = s(r->custodian);
	x.undated = r->undated;
	return x;
}

// ---- query parsing ----------------------------------------------------------

struct Parsed {
	Xapian::Query query;
	Xapian::Stem stem;
};

int parse_query(custos_index_t *idx, const Xapian::Database *db, const char *q,
                const char *stem_lang, Parsed &out, custos_err_t *err)
{
	custos_buf_t rw = { nullptr, 0, 0 };
	char lang[16];
	int e = custos_index__prepare(q, &rw, lang, sizeof lang, err);
	if (e < 0) {
		custos_buf_free(&rw);
		return e;
	}
	std::string rewritten(rw.data ? rw.data : "", rw.len);
	custos_buf_free(&rw);

	// English stems (the layer every record has, with positions), or with
	// stem_lang the stems of that language (phrases only where they agree)
	std::string sl = stem_lang && *stem_lang ? lang_primary(stem_lang) : "en";
	std::map<std::string, Xapian::Stem> local;
	out.stem = stem_for(idx ? idx->stems : local, sl);
	bool native = sl != "en" && !out.stem.is_none();
	if (!native)
		out.stem = stem_for(idx ? idx->stems : local, "en");

	Xapian::QueryParser qp;
	if (db)
		qp.set_database(*db);
	qp.set_stemmer(out.stem);
	// every free-text term (stems, CJK n-grams, wildcard patterns) gets
	// the Z prefix, as the index has them
	qp.set_stemming_strategy(Xapian::QueryParser::STEM_ALL);
	qp.add_prefix("", "Z");
	qp.set_default_op(Xapian::Query::OP_AND);
	qp.set_max_expansion(2000, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT,
	                     Xapian::QueryParser::FLAG_WILDCARD);
	qp.add_boolean_prefix("from", (new LowerField("F", '@'))->release());
	qp.add_boolean_prefix("platform", (new LowerField("P", 0))->release());
	qp.add_boolean_prefix("account", (new LowerField("A", 0))->release());
	qp.add_boolean_prefix("tag", (new LowerField("K", '#'))->release());
	qp.add_boolean_prefix("hashtag", (new LowerField("K", '#'))->release());
	qp.add_boolean_prefix("mention", (new LowerField("M", '@'))->release());
	qp.add_boolean_prefix("kind", (new LowerField("N", 0))->release());
	qp.add_boolean_prefix("has", (new LowerField("H", 0))->release());
	qp.add_boolean_prefix("custodian", (new LowerField("C", 0))->release());
	qp.add_boolean_prefix("lang", (new LangField())->release());
	qp.add_boolean_prefix("url", (new UrlField())->release());
	qp.add_boolean_prefix("thread", (new ThreadField())->release());
	qp.add_boolean_prefix("about", "R");
	qp.add_boolean_prefix("date", (new DateField(db))->release());
	unsigned flags = Xapian::QueryParser::FLAG_BOOLEAN | Xapian::QueryParser::FLAG_PHRASE |
	                 Xapian::QueryParser::FLAG_LOVEHATE | Xapian::QueryParser::FLAG_WILDCARD |
	                 Xapian::QueryParser::FLAG_PURE_NOT | Xapian::QueryParser::FLAG_CJK_NGRAM;
	bool positional = false;
	out.query = unposition(qp.parse_query(rewritten, flags), positional);
	if (out.query.empty())
		return custos_err_set(err, CUSTOS_EFORMAT, "the query has no searchable term");
	return CUSTOS_OK;
}

char *arena_str(custos_arena_t *a, const std::string &s)
{
	char *p = custos_arena_strndup(a, s.data(), s.size());
	if (!p)
		throw std::bad_alloc();
	return p;
}

void read_hit(const Xapian::Document &doc, RecValue &rv, int64_t &created)
{
	if (!parse_rec_value(doc.get_value(SLOT_REC), rv))
		throw Xapian::DatabaseCorruptError("a document's record value is unreadable");
	created = time_from_value(doc.get_value(SLOT_TIME));
}


// BM25 without document-length normalization (b = 0): posts are short and
// of similar length, so normalizing changes little in the ranking, while
// reading every match's length made relevance queries 4-5 times slower at
// 1M records (docs/query-language.md).
Xapian::BM25Weight relevance_weight()
{
	return Xapian::BM25Weight(1.2, 0, 1, 0, 0.5);
}

// Exact count of matches, with facets when asked.
uint64_t count_matches(const Xapian::Database *db, const Xapian::Query &q, FacetSpy *spy)
{
	// one term (a word, or a field alone): its frequency is the exact count
	if (!spy) {
		Xapian::Query t = q;
		if (t.get_type() == Xapian::Query::OP_SCALE_WEIGHT && t.get_num_subqueries() == 1)
			t = t.get_subquery(0);
		if (t.get_type() == Xapian::Query::LEAF_TERM) {
			Xapian::TermIterator it = t.get_unique_terms_begin();
			if (it != t.get_unique_terms_end())
				return db->get_termfreq(*it);
		}
	}
	Xapian::Enquire enq(*db);
	enq.set_query(q);
	enq.set_weighting_scheme(Xapian::BoolWeight());
	enq.set_docid_order(spy ? Xapian::Enquire::ASCENDING : Xapian::Enquire::DONT_CARE);
	if (spy)
		enq.add_matchspy(spy);
	Xapian::doccount all = db->get_doccount();
	Xapian::MSet ms = enq.get_mset(0, 0, all);
	if (ms.get_matches_lower_bound() == ms.get_matches_upper_bound())
		return ms.get_matches_lower_bound();
	ms = enq.get_mset(0, 1, all);
	return ms.get_matches_estimated();
}

// Newest-first (or oldest-first) without sorting every match: the months the
// index holds, walked from the wanted end, give a window of whole months
// that is widened until it holds offset+limit matches. Everything outside
// the window is older (newer) than everything inside it, so the page is
// exact. Small result sets are sorted directly.
Xapian::MSet date_page(const Xapian::Database *db, const Xapian::Query &q, bool desc,
                       size_t offset, size_t limit)
{
	Xapian::Enquire enq(*db);
	enq.set_weighting_scheme(Xapian::BoolWeight());
	enq.set_sort_by_value(SLOT_TIME, desc);
	enq.set_docid_order(desc ? Xapian::Enquire::DESCENDING : Xapian::Enquire::ASCENDING);
	size_t want = offset + limit;
	Xapian::doccount all = db->get_doccount();

	enq.set_query(q);
	Xapian::Enquire est(*db);
	est.set_query(q);
	est.set_weighting_scheme(Xapian::BoolWeight());
	double matches = est.get_mset(0, 0).get_matches_estimated();
	if (matches <= 1000 || all == 0)
		return enq.get_mset(offset, limit);

	std::vector<std::pair<std::string, Xapian::doccount>> months;
	for (Xapian::TermIterator t = db->allterms_begin("Y"); t != db->allterms_end("Y"); ++t)
		if ((*t).size() == 7)
			months.emplace_back(*t, t.get_termfreq());
	if (desc)
		std::reverse(months.begin(), months.end());
	double sel = matches / all;
	double need = 2.0 * (double)want / sel;   // documents to cover, with a margin
	size_t i = 0;
	double covered = 0;
	std::vector<Xapian::Query> window;
	while (i < months.size()) {
		while (i < months.size() && (covered < need || window.empty())) {
			window.emplace_back(months[i].first);
			covered += months[i].second;
			i++;
		}
		if (i >= months.size())
			break;
		Xapian::Query w(Xapian::Query::OP_OR, window.begin(), window.end());
		enq.set_query(Xapian::Query(Xapian::Query::OP_FILTER, q, w));
		Xapian::MSet ms = enq.get_mset(offset, limit, want);
		if (ms.get_matches_lower_bound() >= want)
			return ms;
		need *= 4;
	}
	enq.set_query(q);
	return enq.get_mset(offset, limit);
}

} // namespace

// ---- the C API --------------------------------------------------------------

extern "C" {

static void free_handle(custos_index_t *idx)
{
	try {
		stop_workers(idx);
	} catch (...) {
	}
	delete idx->db;
	for (Shard *sh : idx->shards) {
		if (sh->wdb) {
			try {
				sh->wdb->cancel_transaction();   // uncommitted changes are dropped
			} catch (...) {
			}
			try {
				delete sh->wdb;
			} catch (...) {
			}
		}
		delete sh->rdb;
		delete sh;
	}
	delete idx;
}

// The shard directories of the index at path: path/shard0, path/shard1, ...
static std::vector<std::string> shard_paths(const std::string &path)
{
	std::vector<std::string> v;
	struct stat st;
	for (int i = 0;; i++) {
		std::string p = path + "/shard" + std::to_string(i);
		if (stat(p.c_str(), &st) != 0)
			break;
		v.push_back(p);
	}
	return v;
}

int custos_index_open(custos_index_t **out, const char *path, unsigned flags, custos_err_t *err)
{
	*out = nullptr;
	if (!path || ((flags & CUSTOS_INDEX_CREATE) && !(flags & CUSTOS_INDEX_WRITE)))
		return custos_err_set(err, CUSTOS_EINVAL, "custos_index_open: bad arguments");
	custos_index_t *idx = nullptr;
	try {
		idx = new custos_index();
		custos_err_clear(&idx->err);
		idx->path = path;
		idx->writable = (flags & CUSTOS_INDEX_WRITE) != 0;
		std::vector<std::string> paths = shard_paths(path);
		if (paths.empty() && (flags & CUSTOS_INDEX_CREATE)) {
			if (mkdir(path, 0777) != 0 && errno != EEXIST) {
				custos_err_set(err, CUSTOS_EIO, "cannot create '%s': %s", path, strerror(errno));
				free_handle(idx);
				return CUSTOS_EIO;
			}
			unsigned n = std::thread::hardware_concurrency();
			n = n < 2 ? 2 : n > 4 ? 4 : n;
			for (unsigned i = 0; i < n; i++)
				paths.push_back(std::string(path) + "/shard" + std::to_string(i));
		}
		if (paths.empty()) {
			custos_err_set(err, CUSTOS_EINDEX, "no search index at '%s' (run 'custos index "
			               "--rebuild')", path);
			free_handle(idx);
			return CUSTOS_EINDEX;
		}
		idx->db = new Xapian::Database();
		for (const std::string &p : paths) {
			Shard *sh = new Shard();
			idx->shards.push_back(sh);
			sh->path = p;
			if (idx->writable) {
				int action = (flags & CUSTOS_INDEX_CREATE) ? Xapian::DB_CREATE_OR_OPEN
				                                           : Xapian::DB_OPEN;
				sh->wdb = new Xapian::WritableDatabase(p, action | Xapian::DB_BACKEND_GLASS);
				if (sh->wdb->get_metadata(SCHEMA_KEY).empty()) {
					sh->wdb->set_metadata(SCHEMA_KEY, SCHEMA_VERSION);
					sh->wdb->commit();
				}
				idx->db->add_database(*sh->wdb);
			} else {
				sh->rdb = new Xapian::Database(p);
				idx->db->add_database(*sh->rdb);
			}
		}
		for (Shard *sh : idx->shards) {
			std::string schema = sh->wdb ? sh->wdb->get_metadata(SCHEMA_KEY)
			                             : sh->rdb->get_metadata(SCHEMA_KEY);
			if (schema != SCHEMA_VERSION) {
				custos_err_set(err, CUSTOS_EVERSION, "the search index at '%s' has schema "
				               "'%s', this custos knows %s (run 'custos index --rebuild')",
				               path, schema.c_str(), SCHEMA_VERSION);
				free_handle(idx);
				return CUSTOS_EVERSION;
			}
		}
		for (Shard *sh : idx->shards) {
			if (!sh->wdb)
				continue;
			sh->wdb->begin_transaction(true);
			sh->tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
			if (!(flags & CUSTOS_INDEX_NOTHREAD)) {
				sh->th = std::thread(worker_main, sh);
				sh->running = true;
			}
		}
		*out = idx;
		return CUSTOS_OK;
	} catch (...) {
		int s = translate(err, "cannot open the search index");
		if (idx)
			free_handle(idx);
		return s;
	}
}

void custos_index_free(custos_index_t *idx)
{
	if (idx)
		free_handle(idx);
}

const char *custos_index_errmsg(const custos_index_t *idx)
{
	return idx ? idx->err.msg : "";
}

int custos_index_reopen(custos_index_t *idx)
{
	try {
		if (!idx->writable) {
			idx->db->reopen();
			for (Shard *sh : idx->shards)
				sh->rdb->reopen();
		}
		return CUSTOS_OK;
	} catch (...) {
		return translate(&idx->err, "cannot reopen the search index");
	}
}

int custos_index_add(custos_index_t *idx, const custos_record_t *rec)
{
	if (!idx->writable)
		return custos_err_set(&idx->err, CUSTOS_EINVAL, "the index is open read-only");
	if (!rec || !rec->id || !*rec->id || rec->seq == 0 || rec->created_at == CUSTOS_TIME_NONE)
		return custos_err_set(&idx->err, CUSTOS_EINVAL, "cannot index record '%s': id, seq "
		                      "and created_at are required", rec && rec->id ? rec->id : "");
	if (rec->seq > 0xffffffffu)
		return custos_err_set(&idx->err, CUSTOS_ETOOBIG, "cannot index record '%s': the index "
		                      "numbers documents by store sequence up to 4294967295", rec->id);
	try {
		Op op{ Op::REPLACE, rec_of(rec), std::string(), 0 };
		return submit(idx, shard_of(idx, rec->id), std::move(op));
	} catch (...) {
		return translate(&idx->err, "cannot index a record");
	}
}

int custos_index_delete(custos_index_t *idx, const char *id)
{
	if (!idx->writable)
		return custos_err_set(&idx->err, CUSTOS_EINVAL, "the index is open read-only");
	try {
		Op op{ Op::DELETE, Rec(), id, 0 };
		return submit(idx, shard_of(idx, id), std::move(op));
	} catch (...) {
		return translate(&idx->err, "cannot delete from the index");
	}
}

// Each shard commits its documents with the watermark; the index's
// watermark is the smallest, so a crash between two shard commits only
// means replaying a little (replace by id makes that harmless).
static int commit(custos_index_t *idx, uint64_t watermark, bool wait)
{
	if (!idx->writable)
		return custos_err_set(&idx->err, CUSTOS_EINVAL, "the index is open read-only");
	try {
		int e;
		for (Shard *sh : idx->shards) {
			Op op{ Op::COMMIT, Rec(), std::string(), watermark };
			if ((e = submit(idx, sh, std::move(op))) < 0)
				return e;
		}
		return wait ? drain(idx) : CUSTOS_OK;
	} catch (...) {
		return translate(&idx->err, "cannot commit the index");
	}
}

int custos_index_commit(custos_index_t *idx, uint64_t watermark)
{
	return commit(idx, watermark, true);
}

int custos_index_commit_queued(custos_index_t *idx, uint64_t watermark)
{
	return commit(idx, watermark, false);
}

static uint64_t read_watermark(custos_index_t *idx)
{
	uint64_t w = UINT64_MAX;
	for (Shard *sh : idx->shards) {
		std::string v = sh->wdb ? sh->wdb->get_metadata(WATERMARK_KEY)
		                        : sh->rdb->get_metadata(WATERMARK_KEY);
		uint64_t x = v.empty() ? 0 : std::strtoull(v.c_str(), nullptr, 10);
		if (x < w)
			w = x;
	}
	return w == UINT64_MAX ? 0 : w;
}

int custos_index_watermark(custos_index_t *idx, uint64_t *out)
{
	*out = 0;
	try {
		int e;
		if ((e = drain(idx)) < 0)
			return e;
		*out = read_watermark(idx);
		return CUSTOS_OK;
	} catch (...) {
		return translate(&idx->err, "cannot read the index watermark");
	}
}

int custos_index_doccount(custos_index_t *idx, uint64_t *out)
{
	*out = 0;
	try {
		int e;
		if ((e = drain(idx)) < 0)
			return e;
		*out = idx->db->get_doccount();
		return CUSTOS_OK;
	} catch (...) {
		return translate(&idx->err, "cannot read the index");
	}
}

static int remove_dir(const std::string &dir, custos_err_t *err)
{
	DIR *d = opendir(dir.c_str());
	if (!d)
		return custos_err_set(err, CUSTOS_EIO, "cannot open '%s': %s", dir.c_str(), strerror(errno));
	struct dirent *de;
	while ((de = readdir(d)) != nullptr) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		std::string p = dir + "/" + de->d_name;
		if (unlink(p.c_str()) != 0) {
			int en = errno;
			closedir(d);
			return custos_err_set(err, CUSTOS_EIO, "cannot remove '%s': %s", p.c_str(), strerror(en));
		}
	}
	closedir(d);
	if (rmdir(dir.c_str()) != 0)
		return custos_err_set(err, CUSTOS_EIO, "cannot remove '%s': %s", dir.c_str(), strerror(errno));
	return CUSTOS_OK;
}

// Shards compact side by side, one thread each: compaction reads and
// writes one database at a time with one core.
int custos_index_compact(const char *path, custos_err_t *err)
{
	std::vector<std::string> paths = shard_paths(path);
	if (paths.empty())
		return custos_err_set(err, CUSTOS_EINDEX, "no search index at '%s'", path);
	std::vector<custos_err_t> errs(paths.size());
	std::vector<std::thread> threads;
	auto compact_one = [&paths, &errs](size_t i) {
		custos_err_clear(&errs[i]);
		try {
			Xapian::Database db(paths[i]);
			db.compact(paths[i] + ".compact", Xapian::Compactor::FULLER);
			db.close();
		} catch (...) {
			translate(&errs[i], "cannot compact the search index");
		}
	};
	try {
		for (size_t i = 1; i < paths.size(); i++)
			threads.emplace_back(compact_one, i);
	} catch (...) {
		for (std::thread &t : threads)
			t.join();
		return translate(err, "cannot compact the search index");
	}
	compact_one(0);
	for (std::thread &t : threads)
		t.join();
	for (const custos_err_t &e : errs)
		if (e.status != CUSTOS_OK) {
			*err = e;
			return e.status;
		}
	for (const std::string &src : paths) {
		std::string tmp = src + ".compact", old = src + ".old";
		// swap the directories; a crash in between leaves a shard missing,
		// which open reports, and the index can always be rebuilt
		if (rename(src.c_str(), old.c_str()) != 0)
			return custos_err_set(err, CUSTOS_EIO, "cannot rename '%s': %s", src.c_str(),
			                      strerror(errno));
		if (rename(tmp.c_str(), src.c_str()) != 0)
			return custos_err_set(err, CUSTOS_EIO, "cannot rename '%s': %s", tmp.c_str(),
			                      strerror(errno));
		int e;
		if ((e = remove_dir(old, err)) < 0)
			return e;
	}
	return CUSTOS_OK;
}

int custos_index_facets_parse(unsigned *out, const char *list, custos_err_t *err)
{
	*out = 0;
	const char *p = list ? list : "";
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int f;
		for (f = 0; f < CUSTOS_FACET_COUNT; f++)
			if (strlen(custos_index_facet_name(f)) == n &&
			    strncmp(custos_index_facet_name(f), p, n) == 0)
				break;
		if (f == CUSTOS_FACET_COUNT)
			return custos_err_set(err, CUSTOS_EFORMAT, "unknown facet '%.*s' (facets: platform, "
			                      "account, author, year, month)", (int)n, p);
		*out |= CUSTOS_FACET_BIT(f);
		p += n;
		if (*p == ',')
			p++;
	}
	return CUSTOS_OK;
}

const char *custos_index_facet_name(int field)
{
	static const char *const names[] = { "platform", "account", "author", "year", "month" };
	return field >= 0 && field < CUSTOS_FACET_COUNT ? names[field] : "?";
}

int custos_index_query_check(const char *query, custos_err_t *err)
{
	try {
		Parsed p;
		return parse_query(nullptr, nullptr, query, nullptr, p, err);
	} catch (...) {
		return translate(err, "cannot parse the query");
	}
}

static void facet_out(custos_arena_t *a, custos_index_facet_t *f,
                      std::vector<std::pair<std::string, uint64_t>> &v)
{
	std::sort(v.begin(), v.end(), [](const std::pair<std::string, uint64_t> &x,
	                                 const std::pair<std::string, uint64_t> &y) {
		return x.second != y.second ? x.second > y.second : x.first < y.first;
	});
	f->n = v.size();
	f->v = (custos_index_facet_value_t *)custos_arena_alloc(a, (v.size() + 1) * sizeof *f->v);
	if (!f->v)
		throw std::bad_alloc();
	for (size_t i = 0; i < v.size(); i++) {
		f->v[i].value = arena_str(a, v[i].first);
		f->v[i].count = v[i].second;
	}
}

int custos_index_search(custos_index_t *idx, custos_index_results_t **out, const char *query,
                        const custos_index_search_opts_t *opts)
{
	custos_index_search_opts_t dflt = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	const custos_index_search_opts_t *o = opts ? opts : &dflt;
	custos_index_results_t *res = nullptr;
	*out = nullptr;
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	for (int attempt = 0;; attempt++) {
		try {
			res = (custos_index_results_t *)calloc(1, sizeof *res);
			if (!res)
				throw std::bad_alloc();
			const Xapian::Database *db = idx->db;
			Parsed p;
			if ((e = parse_query(idx, db, query, o->stem_lang, p, &idx->err)) < 0) {
				custos_index_results_free(res);
				return e;
			}
			res->watermark = read_watermark(idx);
			size_t limit = o->count_only ? 0 : o->limit;

			Xapian::MSet ms;
			if (limit > 0) {
				if (o->sort == CUSTOS_SORT_RELEVANCE) {
					Xapian::Enquire enq(*db);
					enq.set_query(p.query);
					enq.set_weighting_scheme(relevance_weight());
					// A result Xapian estimates small is ranked whole in
					// one pass, which makes its total exact; a large one
					// is ranked only as far as the page needs, and counted
					// in a cheaper unweighted pass below.
					Xapian::doccount check = 0;
					if (!o->facets && !o->estimate_total &&
					    enq.get_mset(0, 0).get_matches_estimated() <= ONE_PASS_MAX)
						check = db->get_doccount();
					ms = enq.get_mset(o->offset, limit, check);
				} else {
					ms = date_page(db, p.query, o->sort == CUSTOS_SORT_DATE_DESC,
					               o->offset, limit);
				}
			}
			// the total: exact from the page pass when Xapian knows it,
			// otherwise (or for facets) one counting pass over all matches
			bool exact_from_page = limit > 0 && o->sort == CUSTOS_SORT_RELEVANCE &&
			                       ms.get_matches_lower_bound() == ms.get_matches_upper_bound();
			if (o->facets) {
				std::vector<Xapian::Database> shards;
				for (Shard *sh : idx->shards)
					shards.push_back(sh->wdb ? Xapian::Database(*sh->wdb) : *sh->rdb);
				FacetSpy spy(o->facets, shards);
				res->total = count_matches(db, p.query, &spy);
				spy.finish();
				res->total_exact = 1;
				for (int f = 0; f < 3; f++)
					if (o->facets & CUSTOS_FACET_BIT(f)) {
						std::vector<std::pair<std::string, uint64_t>> v(spy.counts[f].begin(),
						                                                spy.counts[f].end());
						facet_out(&res->arena, &res->facets[f], v);
					}
				if (o->facets & CUSTOS_FACET_BIT(CUSTOS_FACET_YEAR)) {
					std::vector<std::pair<std::string, uint64_t>> v;
					for (auto &kv : spy.years())
						v.emplace_back(std::to_string(kv.first), kv.second);
					facet_out(&res->arena, &res->facets[CUSTOS_FACET_YEAR], v);
				}
				if (o->facets & CUSTOS_FACET_BIT(CUSTOS_FACET_MONTH)) {
					std::vector<std::pair<std::string, uint64_t>> v;
					char b[16];
					for (auto &kv : spy.months()) {
						snprintf(b, sizeof b, "%04d-%02d", kv.first / 100, kv.first % 100);
						v.emplace_back(b, kv.second);
					}
					facet_out(&res->arena, &res->facets[CUSTOS_FACET_MONTH], v);
				}
			} else if (exact_from_page) {
				res->total = ms.get_matches_lower_bound();
				res->total_exact = 1;
			} else if (o->estimate_total && limit > 0) {
				res->total = ms.get_matches_estimated();
				res->total_exact = ms.get_matches_lower_bound() == ms.get_matches_upper_bound();
			} else {
				res->total = count_matches(db, p.query, nullptr);
				res->total_exact = 1;
			}

			if (ms.size() > 0) {
				res->hits = (custos_index_hit_t *)custos_arena_alloc(&res->arena,
				                                                     ms.size() * sizeof *res->hits);
				if (!res->hits)
					throw std::bad_alloc();
				std::string hs = o->hi_start ? o->hi_start : "[[";
				std::string he = o->hi_end ? o->hi_end : "]]";
				std::string om = o->omit ? o->omit : "...";
				for (Xapian::MSetIterator it = ms.begin(); it != ms.end(); ++it) {
					custos_index_hit_t *h = &res->hits[res->n_hits];
					memset(h, 0, sizeof *h);
					Xapian::Document doc = it.get_document();
					RecValue rv;
					read_hit(doc, rv, h->created_at);
					h->seq = rv.seq;
					h->id = arena_str(&res->arena, rv.id);
					h->weight = o->sort == CUSTOS_SORT_RELEVANCE ? it.get_weight() : 0;
					h->platform = arena_str(&res->arena, rv.platform);
					h->account = arena_str(&res->arena, rv.account);
					h->author = arena_str(&res->arena, rv.author);
					const char *text = nullptr;
					size_t tlen = 0;
					if (o->text_fn && o->text_fn(o->text_ctx, h->id, h->seq, &text, &tlen) == 0 &&
					    text) {
						std::string sn = ms.snippet(std::string(text, tlen),
						                            o->snippet_len ? o->snippet_len : 200, p.stem,
						                            Xapian::MSet::SNIPPET_BACKGROUND_MODEL |
						                            Xapian::MSet::SNIPPET_EXHAUSTIVE |
						                            Xapian::MSet::SNIPPET_CJK_NGRAM,
						                            hs, he, om);
						h->snippet = arena_str(&res->arena, strip_html_escapes(sn, hs, he, om));
					}
					res->n_hits++;
				}
			}
			*out = res;
			return CUSTOS_OK;
		} catch (const Xapian::DatabaseModifiedError &) {
			// a writer moved on under this reader: read the latest and retry once
			custos_index_results_free(res);
			res = nullptr;
			if (attempt > 0)
				return custos_err_set(&idx->err, CUSTOS_EINDEX, "the index kept changing "
				                      "during the search");
			try {
				idx->db->reopen();
				for (Shard *sh : idx->shards)
					if (sh->rdb)
						sh->rdb->reopen();
			} catch (...) {
				return translate(&idx->err, "cannot reopen the search index");
			}
		} catch (...) {
			custos_index_results_free(res);
			return translate(&idx->err, "search failed");
		}
	}
}

void custos_index_results_free(custos_index_results_t *res)
{
	if (!res)
		return;
	custos_arena_free(&res->arena);
	free(res);
}

int custos_index_count(custos_index_t *idx, uint64_t *out, const char *query)
{
	*out = 0;
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	try {
		Parsed p;
		if ((e = parse_query(idx, idx->db, query, nullptr, p, &idx->err)) < 0)
			return e;
		*out = count_matches(idx->db, p.query, nullptr);
		return CUSTOS_OK;
	} catch (...) {
		return translate(&idx->err, "cannot count matches");
	}
}

static int collect_ids(custos_index_t *idx, custos_index_idlist_t *out, const Xapian::Query &q,
                       bool by_time)
{
	const Xapian::Database *db = idx->db;
	Xapian::Enquire enq(*db);
	enq.set_query(q);
	enq.set_weighting_scheme(Xapian::BoolWeight());
	Xapian::doccount all = db->get_doccount();
	Xapian::MSet ms = enq.get_mset(0, all ? all : 1, all);
	out->v = (custos_index_ident_t *)custos_arena_alloc(&out->arena,
	                                                    (ms.size() + 1) * sizeof *out->v);
	if (!out->v)
		throw std::bad_alloc();
	for (Xapian::MSetIterator it = ms.begin(); it != ms.end(); ++it) {
		RecValue rv;
		custos_index_ident_t *r = &out->v[out->n];
		read_hit(it.get_document(), rv, r->created_at);
		r->seq = rv.seq;
		r->id = arena_str(&out->arena, rv.id);
		out->n++;
	}
	if (by_time)
		std::sort(out->v, out->v + out->n, [](const custos_index_ident_t &a,
		                                      const custos_index_ident_t &b) {
			return a.created_at != b.created_at ? a.created_at < b.created_at
			                                    : strcmp(a.id, b.id) < 0;
		});
	else
		std::sort(out->v, out->v + out->n, [](const custos_index_ident_t &a,
		                                      const custos_index_ident_t &b) {
			return strcmp(a.id, b.id) < 0;
		});
	return CUSTOS_OK;
}

int custos_index_match_ids(custos_index_t *idx, custos_index_idlist_t *out, const char *query)
{
	memset(out, 0, sizeof *out);
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	try {
		Parsed p;
		if ((e = parse_query(idx, idx->db, query, nullptr, p, &idx->err)) < 0)
			return e;
		return collect_ids(idx, out, p.query, false);
	} catch (...) {
		custos_index_idlist_free(out);
		return translate(&idx->err, "cannot list matches");
	}
}

int custos_index_thread(custos_index_t *idx, custos_index_idlist_t *out, const char *root_id)
{
	memset(out, 0, sizeof *out);
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	try {
		Xapian::Query q(Xapian::Query::OP_OR, Xapian::Query(std::string("T") + root_id),
		                Xapian::Query(std::string("Q") + root_id));
		return collect_ids(idx, out, q, true);
	} catch (...) {
		custos_index_idlist_free(out);
		return translate(&idx->err, "cannot read the thread");
	}
}

int custos_index_all_ids(custos_index_t *idx, custos_index_idlist_t *out)
{
	memset(out, 0, sizeof *out);
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	try {
		return collect_ids(idx, out, Xapian::Query::MatchAll, false);
	} catch (...) {
		custos_index_idlist_free(out);
		return translate(&idx->err, "cannot list the index");
	}
}

void custos_index_idlist_free(custos_index_idlist_t *l)
{
	if (!l)
		return;
	custos_arena_free(&l->arena);
	memset(l, 0, sizeof *l);
}

int custos_index_term_report(custos_index_t *idx, const char *const *queries, size_t n,
                             uint64_t *hits, uint64_t *unique, uint64_t *distinct, size_t *bad)
{
	int e;
	*distinct = 0;
	*bad = (size_t)-1;
	if ((e = drain(idx)) < 0)
		return e;
	try {
		const Xapian::Database *db = idx->db;
		Xapian::doccount all = db->get_doccount();
		// per document: how many lines hit it, and the last line that did
		std::unordered_map<Xapian::docid, std::pair<uint32_t, uint32_t>> seen;
		for (size_t i = 0; i < n; i++) {
			Parsed p;
			hits[i] = unique[i] = 0;
			if ((e = parse_query(idx, db, queries[i], nullptr, p, &idx->err)) < 0) {
				*bad = i;
				return custos_err_prefix(&idx->err, "line %zu", i + 1);
			}
			Xapian::Enquire enq(*db);
			enq.set_query(p.query);
			enq.set_weighting_scheme(Xapian::BoolWeight());
			Xapian::MSet ms = enq.get_mset(0, all ? all : 1, all);
			for (Xapian::MSetIterator it = ms.begin(); it != ms.end(); ++it) {
				auto &s = seen[*it];
				if (s.first == 0 || s.second != i) {
					s.first++;
					s.second = (uint32_t)i;
				}
			}
			hits[i] = ms.size();
		}
		for (auto &kv : seen)
			if (kv.second.first == 1)
				unique[kv.second.second]++;
		*distinct = seen.size();
		return CUSTOS_OK;
	} catch (...) {
		return translate(&idx->err, "cannot run the term report");
	}
}

} // extern "C"
