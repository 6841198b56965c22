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
#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <mutex>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

const Xapian::valueno SLOT_TIME = 0;
const Xapian::valueno SLOT_REC = 1;
const Xapian::valueno SLOT_POS = 2;
const Xapian::valueno SLOT_FACET = 3;
const Xapian::valueno SLOT_MULTI = 4;   // record id, on records with several versions
const char MULTI_TERM[] = "Xmulti";
const size_t MAX_TERM = 240;   // Xapian's limit is 245 bytes
const unsigned MAX_WORD = 64 * 1024;   // longest word indexed (a query's length)
const char WATERMARK_KEY[] = "custos.watermark";
const char SCHEMA_KEY[] = "custos.schema";
const char SCHEMA_VERSION[] = "5";
const size_t QUEUE_MAX = 4096;
// Words of the lexicon a lane remembers having written, over its shards,
// past a commit. Without a bound the set held every distinct word the
// handle had indexed: an id, a number or a URL in each post made that
// about 80 bytes a record for as long as the index service ran
// (BENCHMARKS.md, "custos serve"). Forgetting only costs writing a word's
// metadata again, with the same value; the common words are back in the
// set within a commit or two.
const size_t LEXICON_SEEN_MAX = CUSTOS_INDEX__LEXICON_SEEN_MAX;
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

bool ascii(const std::string &s)
{
	for (unsigned char c : s)
		if (c >= 0x80)
			return false;
	return true;
}

// Text as search sees it: NFKC and case folding (indexer/text.c).
std::string fold(const std::string &s)
{
	char *out = nullptr;
	size_t n = 0;
	int e = custos_index__fold(s.data(), s.size(), &out, &n);
	if (e == CUSTOS_ENOMEM)
		throw std::bad_alloc();
	if (e < 0)
		return lower(s);   // not UTF-8: records and queries are checked before
	std::string r(out, n);
	free(out);
	return r;
}

// A term that fits Xapian's limit: prefix + value, or, for a value too long
// (a 300-byte hashtag, a URL domain, a feed title word), the first 200 bytes
// of it (cut at a character boundary), '#' and a 64-bit hash of the whole in
// hex. Queries make the same term from the same value, so it is still found.
std::string fit_term(const char *prefix, const std::string &v)
{
	std::string t = prefix + v;
	if (t.size() <= MAX_TERM)
		return t;
	uint64_t h = 1469598103934665603ull;
	for (unsigned char c : v)
		h = (h ^ c) * 1099511628211ull;
	size_t cut = 200;
	while (cut > 0 && ((unsigned char)v[cut] & 0xc0) == 0x80)
		cut--;
	char hex[20];
	snprintf(hex, sizeof hex, "#%016llx", (unsigned long long)h);
	return prefix + v.substr(0, cut) + hex;
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
	uint32_t version = 0;
	std::string id, platform, account, author;
};

bool parse_rec_value(const std::string &v, RecValue &r)
{
	size_t pos = 0;
	uint64_t ver;
	if (!get_varint(v, pos, r.seq) || !get_varint(v, pos, ver))
		return false;
	r.version = (uint32_t)ver;
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

// ---- word positions: phrases, NEAR, exact words ---------------------------
//
// Xapian's positional data (a position-table entry per term and document)
// cost more than half of the indexing time and 40% of the index. The index
// keeps instead one value per document: its words in position order, each
// as a 32-bit hash of its Z term (the stem) and, where the word as written
// differs from its stem, a hash of the word as written too (E prefix).
// Phrases, proximity and exact words become the AND (or OR) of their terms,
// filtered by a posting source that checks the value. Two different words
// must share a hash and stand exactly where the query needs them for a false
// match: about one in four billion per candidate position
// (docs/query-language.md, "Phrases and NEAR").

// The hash of the term prefix + t (FNV-1a 64, folded), without building it.
uint32_t term_hash(char prefix, const std::string &t)
{
	uint64_t h = (1469598103934665603ull ^ (unsigned char)prefix) * 1099511628211ull;
	for (unsigned char c : t)
		h = (h ^ c) * 1099511628211ull;
	return (uint32_t)(h ^ (h >> 32));
}

uint32_t term_hash(const std::string &t)
{
	return t.empty() ? term_hash('\0', t) : term_hash(t[0], t.substr(1));
}

struct PosTok {
	Xapian::termpos pos;
	uint32_t stem, raw;
	bool has_raw;
	bool operator<(const PosTok &o) const { return pos < o.pos || (pos == o.pos && stem < o.stem); }
};

// Per word: varint((position delta << 1) | has_raw), 4 bytes stem hash,
// and 4 bytes raw hash when has_raw.
std::string encode_positions(std::vector<PosTok> &toks)
{
	std::sort(toks.begin(), toks.end());
	std::string v;
	v.reserve(toks.size() * 6);
	Xapian::termpos prev = 0;
	auto put32 = [&v](uint32_t h) {
		for (int i = 0; i < 4; i++)
			v += (char)(h >> (8 * i));
	};
	for (const PosTok &t : toks) {
		put_varint(v, ((uint64_t)(t.pos - prev) << 1) | (t.has_raw ? 1 : 0));
		prev = t.pos;
		put32(t.stem);
		if (t.has_raw)
			put32(t.raw);
	}
	return v;
}

void decode_positions(const std::string &v, std::vector<PosTok> &out)
{
	out.clear();
	size_t p = 0;
	uint64_t pos = 0;
	auto get32 = [&v, &p]() {
		uint32_t h = (uint32_t)(unsigned char)v[p] | (uint32_t)(unsigned char)v[p + 1] << 8 |
		             (uint32_t)(unsigned char)v[p + 2] << 16 |
		             (uint32_t)(unsigned char)v[p + 3] << 24;
		p += 4;
		return h;
	};
	while (p < v.size()) {
		uint64_t d;
		if (!get_varint(v, p, d) || p + 4 > v.size())
			throw Xapian::DatabaseCorruptError("a document's position value is unreadable");
		pos += d >> 1;
		PosTok t{ (Xapian::termpos)pos, get32(), 0, (d & 1) != 0 };
		if (t.has_raw) {
			if (p + 4 > v.size())
				throw Xapian::DatabaseCorruptError("a document's position value is unreadable");
			t.raw = get32();
		}
		out.push_back(t);
	}
}

// The words one query slot accepts: any word of a stem (stem), a word as
// written that differs from its stem (raw), or a word as written that is
// its own stem (plain: the stem hash on a word without a raw hash).
struct PSlot {
	std::vector<uint32_t> stem, raw, plain;
	bool accepts(const PosTok &t) const
	{
		for (uint32_t h : stem)
			if (h == t.stem)
				return true;
		if (t.has_raw) {
			for (uint32_t h : raw)
				if (h == t.raw)
					return true;
		} else {
			for (uint32_t h : plain)
				if (h == t.stem)
					return true;
		}
		return false;
	}
};

// A positional expression: a slot (one word), a sequence of slots at fixed
// offsets (a phrase, or a word the tokenizer splits, CJK n-grams), an OR of
// expressions, or two expressions within dist words (ordered: a before b).
struct PExpr {
	enum Kind { SLOT, SEQ, OR, NEAR } kind = SLOT;
	PSlot slot;
	std::vector<std::pair<Xapian::termpos, PSlot>> seq;
	std::vector<PExpr> kids;
	unsigned dist = 0;
	bool ordered = false;
};

typedef std::pair<Xapian::termpos, Xapian::termpos> Span;

// Every span of the document's words that e matches, sorted.
void spans(const PExpr &e, const std::vector<PosTok> &toks, std::vector<Span> &out)
{
	out.clear();
	switch (e.kind) {
	case PExpr::SLOT:
		for (const PosTok &t : toks)
			if (e.slot.accepts(t) && (out.empty() || out.back().first != t.pos))
				out.emplace_back(t.pos, t.pos);
		break;
	case PExpr::SEQ: {
		const PSlot &first = e.seq[0].second;
		Xapian::termpos last = e.seq.back().first;
		for (size_t i = 0; i < toks.size(); i++) {
			if (!first.accepts(toks[i]) || (!out.empty() && out.back().first == toks[i].pos))
				continue;
			Xapian::termpos base = toks[i].pos;
			bool all = true;
			for (size_t k = 1; k < e.seq.size() && all; k++) {
				Xapian::termpos want = base + e.seq[k].first - e.seq[0].first;
				auto it = std::lower_bound(toks.begin(), toks.end(),
				                           PosTok{ want, 0, 0, false });
				bool found = false;
				for (; it != toks.end() && it->pos == want; ++it)
					if (e.seq[k].second.accepts(*it)) {
						found = true;
						break;
					}
				all = found;
			}
			if (all)
				out.emplace_back(base, base + last - e.seq[0].first);
		}
		break;
	}
	case PExpr::OR: {
		std::vector<Span> s;
		for (const PExpr &k : e.kids) {
			spans(k, toks, s);
			out.insert(out.end(), s.begin(), s.end());
		}
		std::sort(out.begin(), out.end());
		out.erase(std::unique(out.begin(), out.end()), out.end());
		break;
	}
	case PExpr::NEAR: {
		std::vector<Span> a, b;
		spans(e.kids[0], toks, a);
		if (a.empty())
			break;
		spans(e.kids[1], toks, b);
		for (const Span &x : a)
			for (const Span &y : b) {
				if (y.first > x.second && y.first - x.second <= e.dist)
					out.emplace_back(x.first, y.second);
				else if (!e.ordered && x.first > y.second && x.first - y.second <= e.dist)
					out.emplace_back(y.first, x.second);
			}
		std::sort(out.begin(), out.end());
		out.erase(std::unique(out.begin(), out.end()), out.end());
		break;
	}
	}
}

// Filters candidates by the position value: documents where expr has a
// span. Driven by the postings of the rarest term every match must hold
// (driver), else by walking the position values.
class PosSource : public Xapian::PostingSource {
	std::shared_ptr<const PExpr> expr;
	std::string driver;
	Xapian::ValueIterator vit, vend;
	Xapian::PostingIterator pit, pend;
	bool by_postings = false, done = false, at_match = false;
	Xapian::docid cur = 0;   // the last document looked at
	Xapian::doccount tf_max = 0, tf_est = 0;
	std::vector<PosTok> toks;
	std::vector<Span> scratch;

	bool verify(Xapian::docid did)
	{
		if (!vit.check(did) || vit == vend || vit.get_docid() != did)
			return false;
		decode_positions(*vit, toks);
		spans(*expr, toks, scratch);
		return !scratch.empty();
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
	PosSource(std::shared_ptr<const PExpr> e, const std::string &drv) : expr(e), driver(drv) {}
	PosSource *clone() const override { return new PosSource(expr, driver); }
	std::string get_description() const override { return "custos::PosSource"; }

	void init(const Xapian::Database &d) override
	{
		done = at_match = false;
		cur = 0;
		vit = d.valuestream_begin(SLOT_POS);
		vend = d.valuestream_end(SLOT_POS);
		by_postings = !driver.empty();
		Xapian::doccount best = d.get_doccount();
		if (by_postings) {
			pit = d.postlist_begin(driver);
			pend = d.postlist_end(driver);
			best = d.get_termfreq(driver);
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

// A term's postings as a posting source. Xapian 1.4.22 fails with
// "Unexpected end of posting list" when a term that every document of a
// shard holds is matched at zero weight (a boolean filter, a count, a
// term report) in a shard whose document ids have gaps (ours are store
// sequence numbers spread over the shards); walking the same postings
// through a PostingIterator works, so such terms are read through this.
class TermSource : public Xapian::PostingSource {
	std::string term;
	Xapian::PostingIterator it, end;
	bool started = false;
	Xapian::doccount tf = 0;

    public:
	explicit TermSource(const std::string &t) : term(t) {}
	TermSource *clone() const override { return new TermSource(term); }
	std::string get_description() const override { return "custos::TermSource(" + term + ")"; }
	void init(const Xapian::Database &d) override
	{
		it = d.postlist_begin(term);
		end = d.postlist_end(term);
		started = false;
		tf = d.get_termfreq(term);
		set_maxweight(0);
	}
	Xapian::doccount get_termfreq_min() const override { return tf; }
	Xapian::doccount get_termfreq_est() const override { return tf; }
	Xapian::doccount get_termfreq_max() const override { return tf; }
	void next(double) override
	{
		if (started)
			++it;
		started = true;
	}
	void skip_to(Xapian::docid did, double) override
	{
		started = true;
		it.skip_to(did);
	}
	bool at_end() const override { return started && it == end; }
	Xapian::docid get_docid() const override { return *it; }
};

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

// ---- the 1.4.22 workaround --------------------------------------------------

// Xapian 1.4.22's failure needs a shard of more than about 1,200 documents;
// smaller shards (a partition's first days, a year with a few records) read
// their terms as terms, which keeps them in snippets and costs no posting
// source. The margin is wide.
const Xapian::doccount GAPPY_MIN = 500;

// Per shard: its document count if its document ids have gaps and it is
// large enough for the failure, else 0.
struct ShardStats {
	std::vector<Xapian::Database> dbs;
	std::vector<Xapian::doccount> gappy;
	Xapian::doccount gappy_min = 0;
	explicit ShardStats(std::vector<Xapian::Database> v = {}) : dbs(std::move(v))
	{
		for (const Xapian::Database &d : dbs) {
			Xapian::doccount n = d.get_doccount();
			gappy.push_back(n >= GAPPY_MIN && d.get_lastdocid() != n ? n : 0);
			if (gappy.back() && (gappy_min == 0 || gappy.back() < gappy_min))
				gappy_min = gappy.back();
		}
	}
	// A term, read through TermSource where Xapian 1.4.22 would fail on it
	// (a term every document of a shard with gaps holds; see TermSource).
	Xapian::Query leaf(const Xapian::Database *db, const std::string &t) const
	{
		// a term rarer than the smallest such shard is in no shard's every document
		if (gappy_min == 0 || (db && db->get_termfreq(t) < gappy_min))
			return Xapian::Query(t);
		for (size_t i = 0; i < dbs.size(); i++)
			if (gappy[i] && dbs[i].get_termfreq(t) == gappy[i])
				return Xapian::Query((new TermSource(t))->release());
		return Xapian::Query(t);
	}
};

// ---- dates ----------------------------------------------------------------

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

// date:LO..HI (ms inclusive, INT64_MIN / INT64_MAX open): whole months
// inside the range become month terms (cheap posting lists); the partial
// months at the edges become their month term AND a value range, so no date
// query scans every document's value.
Xapian::Query date_query(const Xapian::Database *db, const ShardStats &ss, int64_t lo, int64_t hi)
{
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
			parts.push_back(ss.leaf(db, month_term(y, m)));
		else
			parts.emplace_back(Xapian::Query::OP_FILTER, ss.leaf(db, month_term(y, m)),
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
		uint64_t seq, ver;
		if (!get_varint(v, pos, seq) || !get_varint(v, pos, ver) ||
		    (a = v.find('\x1f', pos)) == std::string::npos ||
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
	// documents of records with several versions that match (docid ->
	// record id): such a record is counted once
	const std::unordered_map<Xapian::docid, std::string> *multi = nullptr;
	std::unordered_set<std::string> multi_seen;
	uint64_t records = 0;

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
		if (multi && !multi->empty()) {
			// the spy sees a shard's own docid; mm has the combined one
			Xapian::docid did = (doc.get_docid() - 1) * (Xapian::docid)facet.v.size() +
			                    (Xapian::docid)facet.cur + 1;
			auto m = multi->find(did);
			if (m != multi->end() && !multi_seen.insert(m->second).second)
				return;
		}
		records++;
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

// Review coding handed in by lib/ (custos_index_coding_t): the decider
// narrows the match to the records carrying every required tag, the spy
// counts the matching records per tag. Both read the record id of each
// document they see, so their cost follows the match, not the archive.
class Coding : public Xapian::MatchDecider {
	std::unordered_map<std::string, const unsigned char *> rows;
	std::vector<size_t> need;   // the required tags' numbers

    public:
	const size_t n_tags;

	explicit Coding(const custos_index_coding_t *c) : n_tags(c->n_tags)
	{
		rows.reserve(c->n);
		for (size_t i = 0; i < c->n; i++)
			rows.emplace(c->ids[i], c->rows + i * c->stride);
		for (size_t t = 0; c->require && t < c->n_tags; t++)
			if (c->require[t / 8] & (1u << (t % 8)))
				need.push_back(t);
	}
	bool narrows() const { return !need.empty(); }
	// The tag row of the document's record (nullptr: not coded); id gets
	// the record id.
	const unsigned char *row_of(const Xapian::Document &doc, std::string &id) const
	{
		const std::string v = doc.get_value(SLOT_REC);
		size_t pos = 0;
		uint64_t seq, ver;
		if (!get_varint(v, pos, seq) || !get_varint(v, pos, ver))
			return nullptr;
		size_t a = v.find('\x1f', pos);
		id.assign(v, pos, a == std::string::npos ? std::string::npos : a - pos);
		auto it = rows.find(id);
		return it == rows.end() ? nullptr : it->second;
	}
	bool operator()(const Xapian::Document &doc) const override
	{
		std::string id;
		const unsigned char *row = row_of(doc, id);
		for (size_t t : need)
			if (!row || !(row[t / 8] & (1u << (t % 8))))
				return false;
		return true;
	}
};

class TagSpy : public Xapian::MatchSpy {
	const Coding &coding;
	std::string id;
	std::unordered_set<std::string> seen;   // coded records counted (a record
	                                        // with several matching versions once)
    public:
	std::vector<uint64_t> counts;

	explicit TagSpy(const Coding &c) : coding(c), counts(c.n_tags, 0) {}
	void operator()(const Xapian::Document &doc, double) override
	{
		const unsigned char *row = coding.row_of(doc, id);
		if (!row || !seen.insert(id).second)
			return;
		for (size_t t = 0; t < counts.size(); t++)
			if (row[t / 8] & (1u << (t % 8)))
				counts[t]++;
	}
};

} // namespace

// ---- the handle -----------------------------------------------------------

namespace {

// A record reduced to what the index keeps, copied so a worker can build
// its document after the caller has moved on.
struct Rec {
	std::string id, platform, account, kind, author, lang, thread, title, text;
	std::vector<std::string> about;   // repost_of, quote_of, target
	std::vector<std::string> tags, mentions, urls;
	std::string alias;   // an edit's own platform id (x: from its permalink)
	std::string custodian;   // whose collection (capture metadata)
	bool undated = false;    // the source gave no time: created_at is a placeholder
	uint64_t seq = 0;
	uint32_t version = 1;
	int64_t created_at = CUSTOS_TIME_NONE;
	bool media = false, deleted = false;
};

struct Shard;

struct Op {
	enum Kind { REPLACE, DELETE, COMMIT } kind;
	Rec rec;            // REPLACE
	std::string id;     // DELETE
	uint64_t watermark; // COMMIT
	Shard *target;      // REPLACE: the database of the record's partition
};

// One database of the index: shard i of a partition, a glass database.
// Searches open every shard of every partition as one database.
struct Shard {
	std::string path, part;
	unsigned lane = 0;
	Xapian::WritableDatabase *wdb = nullptr;
	Xapian::Database *rdb = nullptr;   // read handles: this shard alone
	Xapian::TermGenerator tg;
	std::map<std::string, Xapian::Stem> stems;
	std::vector<PosTok> toks;   // scratch for make_document
	// the lexicon: words as written (metadata W<word>) and the words of
	// each stem (S<stem>\x1f<word>), for wildcards and fuzzy words; each
	// word is written at the next commit, and not again while this set
	// remembers it (bounded per lane: LEXICON_SEEN_MAX)
	std::unordered_set<std::string> lexicon_seen;
	std::vector<std::pair<std::string, std::string>> lexicon_new;
	bool dirty = false;     // changed since its last commit
	bool deleted = false;   // documents deleted since its last commit
};

// A writer thread and the shards it owns: shard i of every partition.
// Xapian's writer is single-threaded, so lanes (records spread by a hash of
// their id) are what lets indexing use every core. All versions of a record
// share its lane, so the lane that adds an edit finds the earlier versions
// in whichever partition they live.
struct Lane {
	std::vector<Shard *> shards;
	std::thread th;
	std::mutex mu;
	std::condition_variable cv_work, cv_room, cv_idle;
	std::deque<Op> queue;
	bool busy = false, stop = false, running = false;
	int wstatus = CUSTOS_OK;
	std::string wmsg;
};

void lexicon_add(Shard *sh, const std::string &raw, const std::string &stem)
{
	if (raw.size() > 100 || !sh->lexicon_seen.insert(raw).second)
		return;
	sh->lexicon_new.emplace_back(raw, stem);
}

// The words a lane remembers having written, over its shards.
size_t lexicon_held(const Lane *ln)
{
	size_t n = 0;
	for (const Shard *sh : ln->shards)
		n += sh->lexicon_seen.size();
	return n;
}

void flush_lexicon(Shard *sh)
{
	for (const auto &w : sh->lexicon_new) {
		sh->wdb->set_metadata("W" + w.first, w.second);
		sh->wdb->set_metadata("S" + w.second + '\x1f' + w.first, "1");
	}
	sh->lexicon_new.clear();
}

// A partition as the MANIFEST describes it: its generation (the directory
// <name>-<gen>), and its size when last compacted, from which the merge
// policy tells how much free space it has gathered since.
struct PartInfo {
	unsigned gen = 0;
	uint64_t docs = 0, bytes = 0;   // at its last compaction; 0: never compacted
};

// The MANIFEST: the layout every reader opens whole.
struct Manifest {
	unsigned shards = 0;
	unsigned last_gen = 0;                  // the highest generation ever used
	std::vector<uint64_t> watermark;        // per lane
	std::map<std::string, PartInfo> parts;
	std::set<std::string> compact;          // deletes committed, not yet compacted
};

} // namespace

struct custos_index {
	std::vector<Shard *> shards;   // every shard of every partition
	std::vector<Lane *> lanes;     // writers: one per shard number
	std::map<std::string, std::vector<Shard *>> parts;   // by partition, by lane
	Xapian::Database *db = nullptr;   // every shard, for reading
	bool writable = false;
	// a rebuild's build (CUSTOS_INDEX_FRESH): nothing reads it but its
	// publish, in the same process, which makes the compacted copy durable;
	// a crash before that leaves a build the next writer removes. So its
	// commits and MANIFEST go unsynced: syncing a commit per lane and
	// partition every few thousand records made the rebuild wait on the
	// disk for nothing.
	bool fresh = false;
	std::string path;   // the index
	std::string root;   // where its MANIFEST and partitions are: path, or path/build
	Manifest man;       // as last read (readers) or written (writers)
	std::set<std::string> doomed;   // writers: partitions to drop whole (drop_whole)
	std::set<std::string> spared;   // writers: partitions none of whose records a drop_whole named
	// writers: partitions drop_whole found mostly disposed of, rebuilt from
	// their other documents (by lane: their docids) instead of deleted from
	std::map<std::string, std::vector<std::vector<Xapian::docid>>> rebuild;
	std::mutex man_mu;  // writers: lanes update the watermarks
	custos_err_t err;
	std::map<std::string, Xapian::Stem> stems;   // for queries
};

namespace {

std::vector<Xapian::Database> shard_dbs(const custos_index_t *idx)
{
	std::vector<Xapian::Database> v;
	for (Shard *sh : idx->shards)
		v.push_back(sh->wdb ? Xapian::Database(*sh->wdb) : *sh->rdb);
	return v;
}

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

	doc.add_boolean_term(fit_term("Q", r.id));
	if (!r.alias.empty())
		doc.add_boolean_term(fit_term("I", r.alias));
	std::string platform = lower(r.platform);
	if (platform.empty()) {
		size_t c = r.id.find(':');
		if (c != std::string::npos)
			platform = lower(r.id.substr(0, c));
	}
	if (!platform.empty())
		doc.add_boolean_term(fit_term("P", platform));
	if (!r.account.empty())
		doc.add_boolean_term(fit_term("A", fold(r.account)));
	std::string handle = strip_lead(r.author, '@');
	if (!handle.empty())
		doc.add_boolean_term(fit_term("F", fold(handle)));
	if (!r.kind.empty())
		doc.add_boolean_term(fit_term("N", lower(r.kind)));
	std::string lang = lang_primary(r.lang.c_str());
	if (!lang.empty())
		doc.add_boolean_term(fit_term("L", lang));
	if (!r.thread.empty() && r.thread != r.id)   // a root is found by its Q term
		doc.add_boolean_term(fit_term("T", r.thread));
	for (const std::string &a : r.about)
		doc.add_boolean_term(fit_term("R", a));
	if (r.media)
		doc.add_boolean_term("Hmedia");
	if (r.deleted)
		doc.add_boolean_term("Hdeleted");
	// custodian: and has:nodate (the collection's owner; an item whose source
	// gave no time, whose created_at is a placeholder)
	if (!r.custodian.empty())
		doc.add_boolean_term(fit_term("C", fold(r.custodian)));
	if (r.undated)
		doc.add_boolean_term("Hnodate");

	std::vector<std::string> tags, mentions;
	for (const std::string &t : r.tags)
		tags.push_back(strip_lead(t, '#'));
	scan_text_entities(r.text.c_str(), '#', tags);
	scan_text_entities(r.title.c_str(), '#', tags);
	for (const std::string &t : tags)
		if (!t.empty())
			doc.add_boolean_term(fit_term("K", fold(t)));
	for (const std::string &m0 : r.mentions)
		mentions.push_back(strip_lead(m0, '@'));
	scan_text_entities(r.text.c_str(), '@', mentions);
	for (const std::string &m0 : mentions) {
		std::string m = fold(m0);
		if (m.empty())
			continue;
		doc.add_boolean_term(fit_term("M", m));
		size_t at = m.find('@');   // user@instance also finds @user
		if (at != std::string::npos && at > 0)
			doc.add_boolean_term(fit_term("M", m.substr(0, at)));
	}
	for (const std::string &u : r.urls) {
		std::string d = url_domain(u);
		// the domain and each parent above the top level
		while (!d.empty() && d.find('.') != std::string::npos) {
			doc.add_boolean_term(fit_term("U", d));
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
	put_varint(rv, r.version);
	rv += r.id;
	rv += '\x1f';
	rv += r.account;
	rv += '\x1f';
	rv += handle;
	doc.add_value(SLOT_REC, rv);

	// Text: folded (NFKC, case), split into words as written, each indexed
	// as the Z term of its English stem (one vocabulary every query
	// reaches); positions and the words as written go to value 2 and the
	// shard's lexicon rather than to Xapian's position table and postings
	// (see "word positions" above). Records in another language with a
	// stemmer add the stems of that language.
	// (ASCII needs no folding: the term generator lower-cases it)
	std::string title = ascii(r.title) ? r.title : fold(r.title);
	std::string text = ascii(r.text) ? r.text : fold(r.text);
	Xapian::TermGenerator &tg = sh->tg;
	Xapian::Document words;
	tg.set_document(words);
	tg.set_stemmer(Xapian::Stem());
	tg.set_stemming_strategy(Xapian::TermGenerator::STEM_NONE);
	tg.set_max_word_length(MAX_WORD);
	if (!title.empty()) {
		tg.index_text(title);
		tg.increase_termpos(10);
	}
	tg.index_text(text);
	std::vector<PosTok> &toks = sh->toks;
	toks.clear();
	Xapian::Stem en = stem_for(sh->stems, "en");
	for (Xapian::TermIterator t = words.termlist_begin(); t != words.termlist_end(); ++t) {
		const std::string &raw = *t;
		std::string stem = en(raw);
		// a word too long for a Xapian term is indexed cut and hashed
		std::string zterm = fit_term("Z", stem);
		doc.add_term(zterm, t.get_wdf());
		uint32_t hs = zterm.size() == stem.size() + 1 ? term_hash('Z', stem) : term_hash(zterm);
		uint32_t hr = 0;
		bool has_raw = raw != stem;
		if (has_raw)
			hr = term_hash('E', raw);
		for (Xapian::PositionIterator p = t.positionlist_begin(); p != t.positionlist_end(); ++p)
			toks.push_back(PosTok{ *p, hs, hr, has_raw });
		lexicon_add(sh, raw, stem);
	}
	if (!toks.empty())
		doc.add_value(SLOT_POS, encode_positions(toks));
	if (!lang.empty() && lang != "en") {
		Xapian::Stem native = stem_for(sh->stems, lang);
		if (!native.is_none()) {
			// this layer's terms go to Xapian as they are: words short
			// enough for them (the English layer above has every word).
			// The same terms as the term generator's STEM_ALL_Z over the
			// same text (Z + the stem of each word of up to 64 bytes, as
			// often as the word is there), from the words split above
			// rather than by splitting the text again
			for (Xapian::TermIterator t = words.termlist_begin(); t != words.termlist_end(); ++t) {
				const std::string raw = *t;
				if (raw.size() > 64)
					continue;
				std::string st = native(raw);
				if (!st.empty())
					doc.add_term("Z" + st, t.get_wdf());
			}
		}
	}
	tg.set_document(Xapian::Document());
	return doc;
}

// Writes go inside a Xapian transaction that only commit ends: Xapian then
// never flushes on its own, so documents and watermark land together, and a
// handle freed without commit leaves the index as it was.
//
// Every version of a record is a document of its own, numbered by its store
// sequence number (a replay after a crash replaces what it finds; a new
// record, above every id the shard holds, costs Xapian no lookup). The
// documents of a record with more than one version carry the term Xmulti
// and the record id in value 4, which is how searches count such a record
// once (see count_records); a record with one version pays nothing for it.
void apply_replace(Lane *ln, Op &op)
{
	Shard *sh = op.target;
	Xapian::Document doc = make_document(sh, op.rec);
	if (op.rec.version != 1) {
		std::string q = fit_term("Q", op.rec.id);
		bool others = false;
		for (Shard *o : ln->shards) {
			for (Xapian::PostingIterator p = o->wdb->postlist_begin(q);
			     p != o->wdb->postlist_end(q); ++p) {
				if (o == sh && *p == (Xapian::docid)op.rec.seq)
					continue;
				others = true;
				Xapian::Document old = o->wdb->get_document(*p);
				if (old.get_value(SLOT_MULTI).empty()) {
					old.add_boolean_term(MULTI_TERM);
					old.add_value(SLOT_MULTI, op.rec.id);
					o->wdb->replace_document(*p, old);
					o->dirty = true;
				}
			}
		}
		if (others) {
			doc.add_boolean_term(MULTI_TERM);
			doc.add_value(SLOT_MULTI, op.rec.id);
		}
	}
	sh->wdb->replace_document((Xapian::docid)op.rec.seq, doc);
	sh->dirty = true;
}

int write_manifest(const std::string &path, const Manifest &m, custos_err_t *err, bool sync = true);

// A lane's commit. The partitions it deleted from are named in the MANIFEST
// as still to compact before their deletes commit, so a crash anywhere
// after leaves the note for the next writer, which compacts them (the text
// of the deleted documents stays in Xapian's free blocks until then). The
// watermark goes into the MANIFEST after the shards' own commits: it never
// claims a document that is not committed, and documents committed ahead of
// it are replaced by id when the catch-up replays them.
void apply_commit(custos_index_t *idx, unsigned lane, uint64_t watermark)
{
	Lane *ln = idx->lanes[lane];
	custos_err_t e;
	custos_err_clear(&e);
	std::set<std::string> noted;
	for (Shard *sh : ln->shards)
		if (sh->deleted)
			noted.insert(sh->part);
	if (!noted.empty()) {
		std::lock_guard<std::mutex> lk(idx->man_mu);
		size_t before = idx->man.compact.size();
		idx->man.compact.insert(noted.begin(), noted.end());
		if (idx->man.compact.size() != before && write_manifest(idx->root, idx->man, &e, !idx->fresh) < 0)
			throw Xapian::DatabaseError(e.msg);
	}
	for (Shard *sh : ln->shards) {
		if (!sh->dirty)
			continue;
		flush_lexicon(sh);
		sh->wdb->commit_transaction();
		sh->wdb->begin_transaction(true);
		sh->dirty = sh->deleted = false;
	}
	if (lexicon_held(ln) > LEXICON_SEEN_MAX)
		for (Shard *sh : ln->shards)
			std::unordered_set<std::string>().swap(sh->lexicon_seen);   // buckets too
	std::lock_guard<std::mutex> lk(idx->man_mu);
	if (idx->man.watermark[lane] == watermark)
		return;
	idx->man.watermark[lane] = watermark;
	if (write_manifest(idx->root, idx->man, &e, !idx->fresh) < 0)
		throw Xapian::DatabaseError(e.msg);
}

// Writes go inside a Xapian transaction that only commit ends: Xapian then
// never flushes on its own, so a handle freed without commit leaves the
// index as it was.
//
// Every version of a record is a document of its own, numbered by its store
// sequence number (a replay after a crash replaces what it finds; a new
// record, above every id the shard holds, costs Xapian no lookup). The
// documents of a record with more than one version carry the term Xmulti
// and the record id in value 4, which is how searches count such a record
// once (see count_records); a record with one version pays nothing for it.
// A delete looks for the record in every partition of its lane.
void apply(custos_index_t *idx, unsigned lane, Op &op)
{
	Lane *ln = idx->lanes[lane];
	if (op.kind == Op::REPLACE) {
		apply_replace(ln, op);
	} else if (op.kind == Op::DELETE) {
		std::string q = fit_term("Q", op.id);
		for (Shard *sh : ln->shards)
			if (!idx->doomed.count(sh->part) && !idx->spared.count(sh->part) &&
			    !idx->rebuild.count(sh->part) && sh->wdb->term_exists(q)) {
				sh->wdb->delete_document(q);
				sh->dirty = sh->deleted = true;
			}
	} else {
		apply_commit(idx, lane, op.watermark);
	}
}

void worker_main(custos_index_t *idx, unsigned lane)
{
	Lane *ln = idx->lanes[lane];
	std::unique_lock<std::mutex> lk(ln->mu);
	for (;;) {
		ln->cv_work.wait(lk, [ln] { return ln->stop || !ln->queue.empty(); });
		if (ln->queue.empty() && ln->stop)
			break;
		Op op = std::move(ln->queue.front());
		ln->queue.pop_front();
		ln->busy = true;
		bool failed = ln->wstatus != CUSTOS_OK;
		ln->cv_room.notify_one();
		lk.unlock();
		custos_err_t e;
		custos_err_clear(&e);
		if (!failed) {
			try {
				apply(idx, lane, op);
			} catch (...) {
				translate(&e, op.kind == Op::COMMIT ? "cannot commit the index"
				                                    : "cannot update the index");
				if (op.kind == Op::REPLACE)
					custos_err_prefix(&e, "cannot index record '%.200s' (seq %llu)",
					                  op.rec.id.c_str(), (unsigned long long)op.rec.seq);
				else if (op.kind == Op::DELETE)
					custos_err_prefix(&e, "cannot delete record '%.200s'", op.id.c_str());
			}
		}
		lk.lock();
		if (e.status != CUSTOS_OK && ln->wstatus == CUSTOS_OK) {
			ln->wstatus = e.status;
			ln->wmsg = e.msg;
		}
		ln->busy = false;
		if (ln->queue.empty())
			ln->cv_idle.notify_all();
	}
}

// Runs op now, or hands it to the lane's worker.
int submit(custos_index_t *idx, unsigned lane, Op &&op)
{
	Lane *ln = idx->lanes[lane];
	if (!ln->running) {
		apply(idx, lane, op);
		return CUSTOS_OK;
	}
	std::unique_lock<std::mutex> lk(ln->mu);
	ln->cv_room.wait(lk, [ln] { return ln->queue.size() < QUEUE_MAX; });
	if (ln->wstatus != CUSTOS_OK)
		return set_err(&idx->err, ln->wstatus, ln->wmsg);
	ln->queue.push_back(std::move(op));
	ln->cv_work.notify_one();
	return CUSTOS_OK;
}

// Waits until every worker has nothing left; then the caller may use the
// databases itself. Returns a worker's first failure.
int drain(custos_index_t *idx)
{
	int status = CUSTOS_OK;
	for (Lane *ln : idx->lanes) {
		if (!ln->running)
			continue;
		std::unique_lock<std::mutex> lk(ln->mu);
		ln->cv_idle.wait(lk, [ln] { return ln->queue.empty() && !ln->busy; });
		if (ln->wstatus != CUSTOS_OK && status == CUSTOS_OK)
			status = set_err(&idx->err, ln->wstatus, ln->wmsg);
	}
	return status;
}

void stop_workers(custos_index_t *idx)
{
	for (Lane *ln : idx->lanes) {
		if (!ln->running)
			continue;
		{
			std::lock_guard<std::mutex> lk(ln->mu);
			ln->stop = true;
		}
		ln->cv_work.notify_all();
		ln->th.join();
		ln->running = false;
	}
}

unsigned lane_of(const custos_index_t *idx, const char *id)
{
	uint32_t h = 2166136261u;   // FNV-1a: stable across runs and machines
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % (unsigned)idx->lanes.size();
}

// The partition of a record version: the year of its created_at (UTC), as
// retention disposes of the oldest records first and so empties or thins
// whole years; records whose source gave no time have one of their own.
std::string part_of(const custos_record_t *r)
{
	if (r->undated)
		return "undated";
	int y;
	unsigned m;
	month_of(r->created_at, y, m);
	y = y < 1000 ? 1000 : y > 9999 ? 9999 : y;
	return std::to_string(y);
}

Rec rec_of(const custos_record_t *r)
{
	Rec x;
	auto s = [](const char *p) { return p ? std::string(p) : std::string(); };
	x.id = r->id;
	x.platform = s(r->platform);
	x.account = s(r->account);
	x.custodian = s(r->custodian);
	x.undated = r->undated;
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
	x.deleted = r->deleted_at != CUSTOS_TIME_NONE;
	// an X edit keeps the record id of its first version; its own id is
	// the one its permalink names
	const char *st = r->url && x.platform == "x" ? strstr(r->url, "/status/") : nullptr;
	if (st) {
		std::string own = "x:";
		for (st += 8; *st >= '0' && *st <= '9'; st++)
			own += *st;
		if (own.size() > 2 && own != x.id)
			x.alias = own;
	}
	return x;
}

// ---- from the parsed query to a Xapian query ------------------------------

struct Parsed {
	Xapian::Query query;
	Xapian::Stem stem;
	std::string notes;
	size_t expansions = 0;   // words the wildcards and fuzzy words matched
};

// A refusal already written to the builder's err.
struct Refused {
	int status;
};

const size_t EXPANSION_MAX = 2000;   // words one wildcard or fuzzy word may match

const char *const KNOWN_PLATFORMS[] = { "x", "mastodon", "facebook", "slack", "linkedin",
	                                "feed", nullptr };
const char *const KNOWN_KINDS[] = { "post", "reply", "repost", "quote", "comment", "message",
	                            "event", "like", nullptr };

// A positional part of a query: the candidates (documents holding the
// terms it needs), the check on the position value, whether that check is
// needed at all, and the terms every match holds (to drive the check).
struct PQ {
	Xapian::Query cand;
	PExpr pe;
	bool check = false;
	std::vector<std::string> required;
};

struct Builder {
	const Xapian::Database *db = nullptr;      // null: check the syntax only
	std::vector<Xapian::Database> shards;      // for the lexicon and the 1.4.22 workaround
	Xapian::Stem stem, en;
	unsigned flags = 0;
	const char *q = "";
	custos_err_t *err = nullptr;
	Xapian::TermGenerator tg;
	bool have_lexicon = false;
	size_t expansions = 0;
	std::vector<std::string> lexicon;   // words as written

	[[noreturn]] void refuse(const char *fmt, ...) __attribute__((format(printf, 2, 3)))
	{
		char msg[600];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		throw Refused{ custos_err_set(err, CUSTOS_EFORMAT, "%s", msg) };
	}
	std::string src(const custos_qnode_t *n) const { return std::string(q + n->pos, n->len); }

	// A term, read through TermSource where Xapian 1.4.22 would fail on it
	// (see TermSource).
	ShardStats stats;
	void set_shards(std::vector<Xapian::Database> &&v)
	{
		shards = v;
		stats = ShardStats(std::move(v));
	}
	Xapian::Query leaf(const std::string &t) const { return stats.leaf(db, t); }
	static Xapian::Query boolean(const Xapian::Query &x)
	{
		return Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, x, 0);
	}
	Xapian::doccount termfreq(const std::string &t) const { return db ? db->get_termfreq(t) : 0; }

	// The alternatives of one word (a wildcard's or fuzzy word's
	// expansion): weighted as one term, as Xapian weights its own
	// wildcards, which also spares Xapian an OR of hundreds of terms
	// (tens of milliseconds); an OR when a term is read through TermSource.
	static Xapian::Query any_of(const std::vector<Xapian::Query> &v)
	{
		bool terms = true;
		for (const Xapian::Query &q : v)
			if (q.get_type() != Xapian::Query::LEAF_TERM)
				terms = false;
		return Xapian::Query(terms ? Xapian::Query::OP_SYNONYM : Xapian::Query::OP_OR, v.begin(),
		                     v.end());
	}

	// The words of a piece of text as the index splits them: (position,
	// word as written, folded), in order.
	std::vector<std::pair<Xapian::termpos, std::string>> split(const std::string &text)
	{
		Xapian::Document d;
		tg.set_document(d);
		tg.index_text(fold(text));
		std::vector<std::pair<Xapian::termpos, std::string>> out;
		for (Xapian::TermIterator t = d.termlist_begin(); t != d.termlist_end(); ++t)
			for (Xapian::PositionIterator p = t.positionlist_begin(); p != t.positionlist_end(); ++p)
				out.emplace_back(*p, *t);
		std::sort(out.begin(), out.end());
		tg.set_document(Xapian::Document());
		return out;
	}

	// every word of every shard's lexicon, once, sorted
	void load_lexicon()
	{
		if (have_lexicon)
			return;
		for (const Xapian::Database &d : shards)
			for (Xapian::TermIterator k = d.metadata_keys_begin("W"); k != d.metadata_keys_end("W");
			     ++k)
				lexicon.push_back((*k).substr(1));
		std::sort(lexicon.begin(), lexicon.end());
		lexicon.erase(std::unique(lexicon.begin(), lexicon.end()), lexicon.end());
		have_lexicon = true;
	}
	// every word as written of stem s, over the shards
	std::set<std::string> words_of_stem(const std::string &s) const
	{
		std::set<std::string> out;
		std::string pre = "S" + s + '\x1f';
		for (const Xapian::Database &d : shards)
			for (Xapian::TermIterator k = d.metadata_keys_begin(pre); k != d.metadata_keys_end(pre);
			     ++k)
				out.insert((*k).substr(pre.size()));
		return out;
	}

	// A slot from a set of words as written: a stem whose every word is in
	// the set is taken whole (no check needed); the others by their words.
	PQ word_set(const std::set<std::string> &words)
	{
		PQ r;
		std::map<std::string, std::vector<std::string>> by_stem;
		for (const std::string &w : words)
			by_stem[en(w)].push_back(w);
		std::vector<Xapian::Query> cands;
		for (auto &kv : by_stem) {
			std::string z = "Z" + kv.first;
			cands.push_back(leaf(z));
			bool whole = true;
			for (const std::string &w : words_of_stem(kv.first))
				if (!words.count(w))
					whole = false;
			if (whole) {
				r.pe.slot.stem.push_back(term_hash(z));
				continue;
			}
			r.check = true;
			for (const std::string &w : kv.second) {
				if (w == kv.first)
					r.pe.slot.plain.push_back(term_hash(z));
				else
					r.pe.slot.raw.push_back(term_hash("E" + w));
			}
		}
		if (by_stem.size() == 1)
			r.required.push_back("Z" + by_stem.begin()->first);
		r.cand = cands.empty() ? Xapian::Query() : any_of(cands);
		return r;
	}

	// the folded form of a pattern or fuzzy word, which must be one word
	std::string one_word(const custos_qnode_t *n, bool pattern)
	{
		std::string f = fold(n->text);
		for (Xapian::Utf8Iterator it(f); it != Xapian::Utf8Iterator(); ++it) {
			unsigned ch = *it;
			if (pattern && (ch == '*' || ch == '?'))
				continue;
			if (!Xapian::Unicode::is_wordchar(ch))
				refuse("'%s' at position %zu: a %s works within one word (it has '%s')",
				       src(n).c_str(), n->pos, pattern ? "wildcard" : "fuzzy word",
				       std::string(1, (char)(ch < 0x80 ? ch : '?')).c_str());
		}
		return f;
	}

	PQ expand(const custos_qnode_t *n)
	{
		bool pattern = (n->flags & CUSTOS_QW_WILDCARD) != 0;
		std::string f = one_word(n, pattern);
		std::set<std::string> hits;
		if (!db)
			return PQ();
		auto take = [&](const std::string &w) {
			hits.insert(w);
			if (hits.size() > EXPANSION_MAX)
				refuse("'%s' at position %zu matches more than %zu words (the limit); make "
				       "it more specific", src(n).c_str(), n->pos, EXPANSION_MAX);
		};
		if (pattern) {
			size_t lit = f.find_first_of("*?");
			std::string pre = "W" + f.substr(0, lit);
			if (lit == std::string::npos) {
				take(f);
			} else if (lit > 0) {
				std::set<std::string> seen;
				for (const Xapian::Database &d : shards)
					for (Xapian::TermIterator k = d.metadata_keys_begin(pre);
					     k != d.metadata_keys_end(pre); ++k) {
						std::string w = (*k).substr(1);
						if (custos_index__wildcard_match(f.c_str(), w.c_str()))
							take(w);
					}
			} else {
				load_lexicon();
				for (const std::string &w : lexicon)
					if (custos_index__wildcard_match(f.c_str(), w.c_str()))
						take(w);
			}
		} else {
			load_lexicon();
			for (const std::string &w : lexicon)
				if (custos_index__edit_distance(f.c_str(), w.c_str(), n->fuzzy) <= n->fuzzy)
					take(w);
		}
		expansions += hits.size();
		return word_set(hits);
	}

	// A word token: one slot, or a sequence when the tokenizer splits it
	// ("e-mail", "pdp-10", CJK text).
	PQ word(const custos_qnode_t *n)
	{
		if (n->flags & (CUSTOS_QW_WILDCARD | CUSTOS_QW_FUZZY))
			return expand(n);
		bool exact = (n->flags & CUSTOS_QW_EXACT) != 0;
		auto ws = split(n->text);
		if (ws.empty())
			refuse("'%s' at position %zu has no word to search for", src(n).c_str(), n->pos);
		PQ r;
		std::vector<Xapian::Query> cands;
		Xapian::termpos base = ws[0].first;
		for (const auto &pw : ws) {
			PSlot slot;
			std::string s = exact ? en(pw.second) : stem(pw.second);
			std::string z = fit_term("Z", s);
			if (exact && pw.second == s)
				slot.plain.push_back(term_hash(z));
			else if (exact)
				slot.raw.push_back(term_hash("E" + pw.second));
			else
				slot.stem.push_back(term_hash(z));
			if ((flags & CUSTOS_QUERY_ACCENTS) && !exact && db) {
				// any word of the lexicon that reads the same without accents
				char *a = nullptr, *b = nullptr;
				if (custos_index__fold_accents(pw.second.data(), pw.second.size(), &a, nullptr) < 0)
					throw std::bad_alloc();
				std::string key(a);
				free(a);
				load_lexicon();
				std::vector<Xapian::Query> alts{ leaf(z) };
				for (const std::string &w : lexicon) {
					if (custos_index__fold_accents(w.data(), w.size(), &b, nullptr) < 0)
						throw std::bad_alloc();
					bool same = key == b;
					free(b);
					std::string wstem = same ? en(w) : std::string();
					if (same && wstem != s) {
						slot.stem.push_back(term_hash("Z" + wstem));
						alts.push_back(leaf("Z" + wstem));
					}
				}
				cands.push_back(any_of(alts));
				if (alts.size() == 1)
					r.required.push_back(z);
			} else {
				cands.push_back(leaf(z));
				r.required.push_back(z);
			}
			r.pe.seq.emplace_back(pw.first - base, slot);
		}
		if (r.pe.seq.size() == 1) {
			r.pe.kind = PExpr::SLOT;
			r.pe.slot = r.pe.seq[0].second;
			r.pe.seq.clear();
			r.check = exact;
			r.cand = cands[0];
		} else {
			r.pe.kind = PExpr::SEQ;
			r.check = true;
			r.cand = Xapian::Query(Xapian::Query::OP_AND, cands.begin(), cands.end());
		}
		return r;
	}

	PQ phrase(const custos_qnode_t *n)
	{
		if (n->n_kids == 1)
			return word(n->kids[0]);
		PQ r;
		r.pe.kind = PExpr::SEQ;
		r.check = true;
		std::vector<Xapian::Query> cands;
		Xapian::termpos at = 0;
		for (size_t i = 0; i < n->n_kids; i++) {
			PQ w = word(n->kids[i]);
			cands.push_back(w.cand);
			r.required.insert(r.required.end(), w.required.begin(), w.required.end());
			if (w.pe.kind == PExpr::SLOT) {
				r.pe.seq.emplace_back(at, w.pe.slot);
				at++;
			} else {
				Xapian::termpos last = 0;
				for (auto &s : w.pe.seq) {
					r.pe.seq.emplace_back(at + s.first, s.second);
					last = s.first;
				}
				at += last + 1;
			}
		}
		r.cand = Xapian::Query(Xapian::Query::OP_AND, cands.begin(), cands.end());
		return r;
	}

	PQ positional(const custos_qnode_t *n)
	{
		switch (n->kind) {
		case CUSTOS_QN_WORD:
			return word(n);
		case CUSTOS_QN_PHRASE:
			return phrase(n);
		case CUSTOS_QN_OR: {
			PQ r;
			r.pe.kind = PExpr::OR;
			std::vector<Xapian::Query> cands;
			for (size_t i = 0; i < n->n_kids; i++) {
				PQ k = positional(n->kids[i]);
				cands.push_back(k.cand);
				r.check = r.check || k.check;
				r.pe.kids.push_back(std::move(k.pe));
			}
			r.cand = Xapian::Query(Xapian::Query::OP_OR, cands.begin(), cands.end());
			return r;
		}
		case CUSTOS_QN_NEAR: {
			PQ a = positional(n->kids[0]), b = positional(n->kids[1]);
			PQ r;
			r.pe.kind = PExpr::NEAR;
			r.pe.dist = n->dist;
			r.pe.ordered = n->ordered != 0;
			r.pe.kids.push_back(std::move(a.pe));
			r.pe.kids.push_back(std::move(b.pe));
			r.check = true;
			r.cand = Xapian::Query(Xapian::Query::OP_AND, a.cand, b.cand);
			r.required = a.required;
			r.required.insert(r.required.end(), b.required.begin(), b.required.end());
			return r;
		}
		default:
			refuse("'%s' at position %zu cannot stand in a proximity search", src(n).c_str(),
			       n->pos);
		}
	}

	Xapian::Query checked(PQ &&p)
	{
		if (!p.check || p.cand.empty())
			return p.cand;
		std::string driver;
		Xapian::doccount best = 0;
		for (const std::string &t : p.required) {
			Xapian::doccount tf = termfreq(t);
			if (driver.empty() || tf < best) {
				driver = t;
				best = tf;
			}
		}
		auto pe = std::make_shared<const PExpr>(std::move(p.pe));
		return Xapian::Query(Xapian::Query::OP_FILTER, p.cand,
		                     Xapian::Query((new PosSource(pe, driver))->release()));
	}

	// a value checked against a list and, with an index, the values it holds
	void check_value(const custos_qnode_t *n, const std::string &v, const char *const *known,
	                 const char *prefix, const char *what)
	{
		std::set<std::string> ok;
		for (int i = 0; known[i]; i++)
			ok.insert(known[i]);
		for (const Xapian::Database &d : shards)
			for (Xapian::TermIterator t = d.allterms_begin(prefix); t != d.allterms_end(prefix); ++t)
				ok.insert((*t).substr(strlen(prefix)));
		if (ok.count(v))
			return;
		if (!db) {
			// without an index (a rule or hold being written) any
			// name of lower-case letters, digits, '-', '_', '.' may
			// still come; searches check it against the index
			bool plain = !v.empty();
			for (char c : v)
				if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
				      c == '_' || c == '.'))
					plain = false;
			if (plain)
				return;
		}
		std::string list;
		for (const std::string &x : ok)
			list += (list.empty() ? "" : ", ") + x;
		refuse("'%s' at position %zu: no %s '%s' (%ss: %s)%s", src(n).c_str(), n->pos, what,
		       v.c_str(), what, list.c_str(),
		       strcmp(what, "platform") == 0 && v == "twitter" ? "; X is 'x'" : "");
	}

	Xapian::Query field(const custos_qnode_t *n)
	{
		std::string f = n->field, v = n->text;
		Xapian::Query r;
		if (f == "from")
			r = leaf(fit_term("F", fold(strip_lead(v, '@'))));
		else if (f == "platform") {
			v = lower(v);
			check_value(n, v, KNOWN_PLATFORMS, "P", "platform");
			r = leaf(fit_term("P", v));
		} else if (f == "account")
			r = leaf(fit_term("A", fold(v)));
		else if (f == "custodian")
			r = leaf(fit_term("C", fold(v)));
		else if (f == "tag")
			r = leaf(fit_term("K", fold(strip_lead(v, '#'))));
		else if (f == "mention")
			r = leaf(fit_term("M", fold(strip_lead(v, '@'))));
		else if (f == "url") {
			std::string d = url_domain(v);
			if (d.empty())
				refuse("'%s' at position %zu: no domain in it", src(n).c_str(), n->pos);
			r = leaf(fit_term("U", d));
		} else if (f == "kind") {
			v = lower(v);
			check_value(n, v, KNOWN_KINDS, "N", "kind");
			r = leaf(fit_term("N", v));
		} else if (f == "lang")
			r = leaf(fit_term("L", lang_primary(v.c_str())));
		else if (f == "thread")
			r = Xapian::Query(Xapian::Query::OP_OR, leaf(fit_term("T", v)), leaf(fit_term("Q", v)));
		else if (f == "about")
			r = leaf(fit_term("R", v));
		else if (f == "has")
			r = leaf("H" + v);
		else if (f == "id")
			r = Xapian::Query(Xapian::Query::OP_OR, leaf(fit_term("Q", v)), leaf(fit_term("I", v)));
		else
			refuse("unknown field '%s:' at position %zu", f.c_str(), n->pos);
		return boolean(r);
	}

	Xapian::Query build(const custos_qnode_t *n)
	{
		switch (n->kind) {
		case CUSTOS_QN_ALL:
			return Xapian::Query::MatchAll;
		case CUSTOS_QN_WORD:
		case CUSTOS_QN_PHRASE:
		case CUSTOS_QN_NEAR:
			return checked(positional(n));
		case CUSTOS_QN_FIELD:
			return field(n);
		case CUSTOS_QN_DATE:
			return boolean(date_query(db, stats, n->lo, n->hi));
		case CUSTOS_QN_NOT:
			return Xapian::Query(Xapian::Query::OP_AND_NOT, Xapian::Query::MatchAll,
			                     build(n->kids[0]));
		case CUSTOS_QN_OR: {
			std::vector<Xapian::Query> v;
			for (size_t i = 0; i < n->n_kids; i++)
				v.push_back(build(n->kids[i]));
			return Xapian::Query(Xapian::Query::OP_OR, v.begin(), v.end());
		}
		case CUSTOS_QN_AND: {
			std::vector<Xapian::Query> pos, neg;
			for (size_t i = 0; i < n->n_kids; i++) {
				const custos_qnode_t *k = n->kids[i];
				if (k->kind == CUSTOS_QN_NOT)
					neg.push_back(build(k->kids[0]));
				else
					pos.push_back(build(k));
			}
			Xapian::Query p = pos.empty() ? Xapian::Query::MatchAll :
			                  Xapian::Query(Xapian::Query::OP_AND, pos.begin(), pos.end());
			if (neg.empty())
				return p;
			return Xapian::Query(Xapian::Query::OP_AND_NOT, p,
			                     Xapian::Query(Xapian::Query::OP_OR, neg.begin(), neg.end()));
		}
		}
		refuse("cannot search for '%s' at position %zu", src(n).c_str(), n->pos);
	}
};


int bad_query(custos_err_t *err, int status)
{
	if (err && status == CUSTOS_EFORMAT)
		custos_err_prefix(err, "bad query");
	return status;
}

int parse_query(custos_index_t *idx, const Xapian::Database *db, const char *q,
                const char *stem_lang, unsigned flags, Parsed &out, custos_err_t *err)
{
	custos_qparse_t tree;
	int e = custos_index__parse(q, (flags & CUSTOS_QUERY_DTSEARCH) ? CUSTOS_QP_DTSEARCH : 0,
	                            &tree, err);
	if (e < 0) {
		custos_index__qparse_free(&tree);
		return bad_query(err, e);
	}
	try {
		// English stems (the layer every record has, with positions), or
		// with stem_lang the stems of that language (phrases only where they
		// agree)
		std::map<std::string, Xapian::Stem> local;
		std::map<std::string, Xapian::Stem> &cache = idx ? idx->stems : local;
		std::string sl = stem_lang && *stem_lang ? lang_primary(stem_lang) : "en";
		Builder b;
		b.db = db;
		if (idx && db)
			b.set_shards(shard_dbs(idx));
		b.en = stem_for(cache, "en");
		b.stem = stem_for(cache, sl);
		if (b.stem.is_none())
			b.stem = b.en;
		b.flags = flags;
		b.q = q;
		b.err = err;
		b.tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
		b.tg.set_stemming_strategy(Xapian::TermGenerator::STEM_NONE);
		b.tg.set_max_word_length(MAX_WORD);
		out.stem = b.stem;
		out.query = b.build(tree.root);
		out.notes.assign(tree.notes.data ? tree.notes.data : "", tree.notes.len);
		out.expansions = b.expansions;
	} catch (const Refused &r) {
		custos_index__qparse_free(&tree);
		return bad_query(err, r.status);
	} catch (...) {
		custos_index__qparse_free(&tree);
		throw;
	}
	custos_index__qparse_free(&tree);
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

// Exact count of matches, with facets when asked; with dec, the documents
// it lets through (counted by a spy: a bare count is only a bound then).
uint64_t count_matches(const Xapian::Database *db, const Xapian::Query &q, FacetSpy *spy,
                       const Xapian::MatchDecider *dec = nullptr, Xapian::MatchSpy *spy2 = nullptr)
{
	// one term (a word, or a field alone): its frequency is the exact count
	if (!spy && !dec) {
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
	if (spy2)
		enq.add_matchspy(spy2);
	Xapian::doccount all = db->get_doccount();
	Xapian::MSet ms = enq.get_mset(0, 0, all, nullptr, dec);
	if (ms.get_matches_lower_bound() == ms.get_matches_upper_bound())
		return ms.get_matches_lower_bound();
	ms = enq.get_mset(0, 1, all);
	return ms.get_matches_estimated();
}

// The documents of records with several versions that q matches (docid ->
// record id). Few records have several versions, so this is cheap, and it
// is what lets every count count records while a record with one version
// costs nothing more than before.
typedef std::unordered_map<Xapian::docid, std::string> MultiMap;

MultiMap multi_matches(const Xapian::Database *db, const Xapian::Query &q)
{
	MultiMap out;
	Xapian::doccount nm = db->get_termfreq(MULTI_TERM);
	if (nm == 0)
		return out;
	Xapian::Enquire enq(*db);
	enq.set_query(Xapian::Query(Xapian::Query::OP_FILTER, q,
	                            Xapian::Query((new TermSource(MULTI_TERM))->release())));
	enq.set_weighting_scheme(Xapian::BoolWeight());
	Xapian::MSet ms = enq.get_mset(0, nm, nm);
	for (Xapian::MSetIterator it = ms.begin(); it != ms.end(); ++it)
		out.emplace(*it, it.get_document().get_value(SLOT_MULTI));
	return out;
}

// Records q matches: documents, less the extra versions of records matched
// by several.
uint64_t count_records(const Xapian::Database *db, const Xapian::Query &q, const MultiMap &mm)
{
	uint64_t docs = count_matches(db, q, nullptr);
	if (mm.empty())
		return docs;
	std::unordered_set<std::string> ids;
	for (const auto &kv : mm)
		ids.insert(kv.second);
	return docs - mm.size() + ids.size();
}

// Newest-first (or oldest-first) without sorting every match: the months the
// index holds, walked from the wanted end, give a window of whole months
// that is widened until it holds offset+limit matches. Everything outside
// the window is older (newer) than everything inside it, so the page is
// exact. Small result sets are sorted directly.
Xapian::MSet date_page(const Xapian::Database *db, const ShardStats &ss, const Xapian::Query &q, bool desc,
                       size_t offset, size_t limit, const Xapian::MatchDecider *dec)
{
	Xapian::Enquire enq(*db);
	enq.set_weighting_scheme(Xapian::BoolWeight());
	enq.set_sort_by_value(SLOT_TIME, desc);
	enq.set_docid_order(desc ? Xapian::Enquire::DESCENDING : Xapian::Enquire::ASCENDING);
	size_t want = offset + limit;
	Xapian::doccount all = db->get_doccount();

	enq.set_query(q);
	// narrowed by review tags: the window's bound would count documents
	// the decider turns away, so the match is sorted whole
	if (dec)
		return enq.get_mset(offset, limit, 0, nullptr, dec);
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
			window.push_back(ss.leaf(db, months[i].first));
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

// ---- the index on disk: MANIFEST, partitions and generations --------------
//
// <index>/MANIFEST names every partition with its generation, the shard
// count and each lane's watermark; partition P at generation G is the
// directory P-G holding shard0, shard1, ... A compaction writes a
// partition's next generation beside it and swaps the MANIFEST, so a reader
// opens one whole set of generations or fails naming what is missing.

namespace {

const char MANIFEST[] = "MANIFEST";
const char BUILD_DIR[] = "build";
const char LAYOUT[] = "custos-index 2";

std::string part_dir(const std::string &root, const std::string &part, unsigned gen)
{
	return root + "/" + part + "-" + std::to_string(gen);
}

std::string shard_dir(const std::string &dir, unsigned i)
{
	return dir + "/shard" + std::to_string(i);
}

bool part_name_ok(const std::string &n)
{
	if (n == "undated")
		return true;
	if (n.size() != 4)
		return false;
	for (char c : n)
		if (c < '0' || c > '9')
			return false;
	return true;
}

unsigned lanes_for_machine()
{
	unsigned n = std::thread::hardware_concurrency();
	return n < 2 ? 2 : n > 4 ? 4 : n;
}

int unreadable(custos_err_t *err, const std::string &p)
{
	return custos_err_set(err, CUSTOS_EINDEX, "the search index manifest '%s' is unreadable "
	                      "(run 'custos index --rebuild')", p.c_str());
}

// CUSTOS_OK with m filled, CUSTOS_ENOTFOUND when there is no MANIFEST,
// CUSTOS_EVERSION for the one-generation layout of an earlier custos.
int read_manifest(const std::string &root, Manifest &m, custos_err_t *err)
{
	std::string p = root + "/" + MANIFEST;
	FILE *f = fopen(p.c_str(), "r");
	if (!f) {
		if (errno == ENOENT)
			return CUSTOS_ENOTFOUND;
		return custos_err_set(err, CUSTOS_EINDEX, "cannot read '%s': %s", p.c_str(),
		                      strerror(errno));
	}
	std::string text;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		text.append(buf, n);
	fclose(f);
	m = Manifest();
	size_t pos = 0, line = 0;
	while (pos < text.size()) {
		size_t nl = text.find('\n', pos);
		if (nl == std::string::npos)
			return unreadable(err, p);
		std::string l = text.substr(pos, nl - pos);
		pos = nl + 1;
		if (line++ == 0) {
			if (l == "custos-index 1")
				return custos_err_set(err, CUSTOS_EVERSION, "the search index at '%s' has an "
				                      "older layout (run 'custos index --rebuild')",
				                      root.c_str());
			if (l != LAYOUT)
				return unreadable(err, p);
			continue;
		}
		char name[32];
		unsigned u, g;
		unsigned long long d, b;
		int used = 0;
		if (sscanf(l.c_str(), "shards %u%n", &u, &used) == 1 && (size_t)used == l.size()) {
			m.shards = u;
		} else if (sscanf(l.c_str(), "generation %u%n", &u, &used) == 1 &&
		           (size_t)used == l.size()) {
			m.last_gen = u;
		} else if (l.compare(0, 10, "watermark ") == 0) {
			const char *c = l.c_str() + 10;
			char *end;
			while (*c) {
				errno = 0;
				unsigned long long w = strtoull(c, &end, 10);
				if (end == c || errno)
					return unreadable(err, p);
				m.watermark.push_back(w);
				c = end + (*end == ' ');
			}
		} else if (sscanf(l.c_str(), "part %31s %u %llu %llu%n", name, &g, &d, &b, &used) == 4 &&
		           (size_t)used == l.size() && part_name_ok(name) && g > 0) {
			PartInfo &pi = m.parts[name];
			pi.gen = g;
			pi.docs = d;
			pi.bytes = b;
		} else if (sscanf(l.c_str(), "compact %31s%n", name, &used) == 1 &&
		           (size_t)used == l.size() && part_name_ok(name)) {
			m.compact.insert(name);
		} else {
			return unreadable(err, p);
		}
	}
	if (line == 0 || m.shards == 0 || m.shards > 64 || m.watermark.size() != m.shards)
		return unreadable(err, p);
	for (const auto &pi : m.parts)
		if (pi.second.gen > m.last_gen)
			return unreadable(err, p);
	return CUSTOS_OK;
}

int fsync_path(const std::string &p, custos_err_t *err)
{
	int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return custos_err_set(err, CUSTOS_EIO, "cannot open '%s': %s", p.c_str(), strerror(errno));
	if (fsync(fd) != 0) {
		int en = errno;
		close(fd);
		return custos_err_set(err, CUSTOS_EIO, "cannot fsync '%s': %s", p.c_str(), strerror(en));
	}
	if (close(fd) != 0)
		return custos_err_set(err, CUSTOS_EIO, "cannot close '%s': %s", p.c_str(), strerror(errno));
	return CUSTOS_OK;
}

// A directory made and made durable in its parent.
int make_dir(const std::string &p, custos_err_t *err)
{
	if (mkdir(p.c_str(), 0700) != 0 && errno != EEXIST)
		return custos_err_set(err, CUSTOS_EIO, "cannot create '%s': %s", p.c_str(), strerror(errno));
	size_t slash = p.find_last_of('/');
	return fsync_path(slash == std::string::npos ? "." : p.substr(0, slash ? slash : 1), err);
}

// Every file of a directory (a compacted shard) to disk, then the directory.
int fsync_tree(const std::string &dir, custos_err_t *err)
{
	DIR *d = opendir(dir.c_str());
	if (!d)
		return custos_err_set(err, CUSTOS_EIO, "cannot open '%s': %s", dir.c_str(), strerror(errno));
	struct dirent *de;
	int e = CUSTOS_OK;
	while (e == CUSTOS_OK && (de = readdir(d)) != nullptr)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			e = fsync_path(dir + "/" + de->d_name, err);
	closedir(d);
	return e < 0 ? e : fsync_path(dir, err);
}

// The bytes of the files of a directory (a shard).
uint64_t dir_bytes(const std::string &dir)
{
	DIR *d = opendir(dir.c_str());
	if (!d)
		return 0;
	uint64_t sum = 0;
	struct dirent *de;
	struct stat st;
	while ((de = readdir(d)) != nullptr)
		if (stat((dir + "/" + de->d_name).c_str(), &st) == 0 && S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	closedir(d);
	return sum;
}

// Replaces the MANIFEST atomically: a temporary, fsync, rename, fsync of
// the directory. Readers see the old one or the new one. Without sync (a
// rebuild's build, which nothing reads after a crash) the same, unsynced.
int write_manifest(const std::string &root, const Manifest &m, custos_err_t *err, bool sync)
{
	std::string tmp = root + "/" + MANIFEST + ".tmp", dst = root + "/" + MANIFEST;
	std::string t = std::string(LAYOUT) + "\nshards " + std::to_string(m.shards) +
	                "\ngeneration " + std::to_string(m.last_gen) + "\nwatermark";
	for (uint64_t w : m.watermark)
		t += " " + std::to_string(w);
	t += "\n";
	for (const auto &p : m.parts)
		t += "part " + p.first + " " + std::to_string(p.second.gen) + " " +
		     std::to_string(p.second.docs) + " " + std::to_string(p.second.bytes) + "\n";
	for (const std::string &c : m.compact)
		t += "compact " + c + "\n";
	int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return custos_err_set(err, CUSTOS_EIO, "cannot create '%s': %s", tmp.c_str(),
		                      strerror(errno));
	if (write(fd, t.data(), t.size()) != (ssize_t)t.size() || (sync && fsync(fd) != 0)) {
		int en = errno;
		close(fd);
		return custos_err_set(err, CUSTOS_EIO, "cannot write '%s': %s", tmp.c_str(), strerror(en));
	}
	if (close(fd) != 0)
		return custos_err_set(err, CUSTOS_EIO, "cannot close '%s': %s", tmp.c_str(), strerror(errno));
	if (rename(tmp.c_str(), dst.c_str()) != 0)
		return custos_err_set(err, CUSTOS_EIO, "cannot rename '%s': %s", tmp.c_str(),
		                      strerror(errno));
	return sync ? fsync_path(root, err) : CUSTOS_OK;
}

int remove_tree(const std::string &p, custos_err_t *err)
{
	struct stat st;
	if (lstat(p.c_str(), &st) != 0)
		return errno == ENOENT ? CUSTOS_OK
		                       : custos_err_set(err, CUSTOS_EIO, "cannot stat '%s': %s", p.c_str(),
		                                        strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(p.c_str());
		if (!d)
			return custos_err_set(err, CUSTOS_EIO, "cannot open '%s': %s", p.c_str(), strerror(errno));
		struct dirent *de;
		std::vector<std::string> names;
		while ((de = readdir(d)) != nullptr)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				names.push_back(de->d_name);
		closedir(d);
		for (const std::string &n : names) {
			int e = remove_tree(p + "/" + n, err);
			if (e < 0)
				return e;
		}
		if (rmdir(p.c_str()) != 0)
			return custos_err_set(err, CUSTOS_EIO, "cannot remove '%s': %s", p.c_str(),
			                      strerror(errno));
		return CUSTOS_OK;
	}
	if (unlink(p.c_str()) != 0)
		return custos_err_set(err, CUSTOS_EIO, "cannot remove '%s': %s", p.c_str(), strerror(errno));
	return CUSTOS_OK;
}

// Removes what the MANIFEST does not name: generations a compaction
// replaced or an interrupted one left, an earlier layout's gen-<G>, a
// build (unless keep_build: a rebuild's own).
int remove_stale(const std::string &root, const Manifest &m, bool keep_build, custos_err_t *err)
{
	DIR *d = opendir(root.c_str());
	if (!d)
		return custos_err_set(err, CUSTOS_EIO, "cannot open '%s': %s", root.c_str(), strerror(errno));
	std::set<std::string> named;
	for (const auto &p : m.parts)
		named.insert(p.first + "-" + std::to_string(p.second.gen));
	std::vector<std::string> stale;
	struct dirent *de;
	while ((de = readdir(d)) != nullptr) {
		std::string n = de->d_name;
		size_t dash = n.rfind('-');
		bool generation = dash != std::string::npos && dash + 1 < n.size() &&
		                  n.find_first_not_of("0123456789", dash + 1) == std::string::npos;
		if ((generation && !named.count(n)) || (!keep_build && n == BUILD_DIR) ||
		    n == std::string(MANIFEST) + ".tmp")
			stale.push_back(n);
	}
	closedir(d);
	for (const std::string &n : stale) {
		int e = remove_tree(root + "/" + n, err);
		if (e < 0)
			return e;
	}
	return stale.empty() ? CUSTOS_OK : fsync_path(root, err);
}

// Drops from a shard's lexicon the words no document holds any more (after
// deletes: a disposition run), so that the words of disposed records do not
// outlive them. A word that is its own stem is there while its Z term has
// postings; another is there while some position value holds its hash.
void prune_lexicon(Xapian::WritableDatabase &db)
{
	std::unordered_set<uint32_t> raw;
	std::vector<PosTok> toks;
	for (Xapian::ValueIterator v = db.valuestream_begin(SLOT_POS); v != db.valuestream_end(SLOT_POS);
	     ++v) {
		decode_positions(*v, toks);
		for (const PosTok &t : toks)
			if (t.has_raw)
				raw.insert(t.raw);
	}
	std::vector<std::pair<std::string, std::string>> gone;
	for (Xapian::TermIterator k = db.metadata_keys_begin("W"); k != db.metadata_keys_end("W"); ++k) {
		std::string w = (*k).substr(1), st = db.get_metadata(*k);
		bool there = w == st ? db.get_termfreq("Z" + st) > 0 : raw.count(term_hash("E" + w)) > 0;
		if (!there)
			gone.emplace_back(w, st);
	}
	for (const auto &g : gone) {
		db.set_metadata("W" + g.first, "");
		db.set_metadata("S" + g.second + '\x1f' + g.first, "");
	}
}

// One shard to compact: from a database a writer holds (committed) into
// dst, its lexicon pruned first when documents were deleted from it.
struct CompactJob {
	Xapian::WritableDatabase *src;
	std::string dst;
	bool prune;
	custos_err_t err;
};

// Runs the jobs on `threads` threads: compaction reads and writes one
// database at a time on one core.
void run_compactions(std::vector<CompactJob> &jobs, unsigned threads)
{
	std::atomic<size_t> next(0);
	auto work = [&]() {
		for (size_t i; (i = next++) < jobs.size();) {
			CompactJob &j = jobs[i];
			custos_err_clear(&j.err);
			try {
				if (j.prune) {
					prune_lexicon(*j.src);
					j.src->commit();
				}
				j.src->compact(j.dst, Xapian::Compactor::FULLER | Xapian::DBCOMPACT_NO_RENUMBER);
				fsync_tree(j.dst, &j.err);
			} catch (...) {
				translate(&j.err, "cannot compact the search index");
			}
		}
	};
	std::vector<std::thread> pool;
	try {
		for (unsigned t = 1; t < threads && t < jobs.size(); t++)
			pool.emplace_back(work);
	} catch (...) {
		// fewer threads: the caller's does the rest
	}
	work();
	for (std::thread &t : pool)
		t.join();
}

} // namespace

// ---- the C API --------------------------------------------------------------

extern "C" {

static void close_shard(Shard *sh)
{
	if (sh->wdb) {
		try {
			sh->wdb->cancel_transaction();   // uncommitted changes are dropped
		} catch (...) {
		}
		try {
			sh->wdb->close();
		} catch (...) {
		}
		try {
			delete sh->wdb;
		} catch (...) {
		}
		sh->wdb = nullptr;
	}
	delete sh->rdb;
	sh->rdb = nullptr;
}

static void free_handle(custos_index_t *idx)
{
	try {
		stop_workers(idx);
	} catch (...) {
	}
	delete idx->db;
	for (Shard *sh : idx->shards) {
		close_shard(sh);
		delete sh;
	}
	for (Lane *ln : idx->lanes)
		delete ln;
	delete idx;
}

// Every shard that MANIFEST m names is there, checked without opening Xapian.
static int check_shards(const std::string &root, const Manifest &m, custos_err_t *err)
{
	struct stat st;
	for (const auto &p : m.parts)
		for (unsigned i = 0; i < m.shards; i++) {
			std::string s = shard_dir(part_dir(root, p.first, p.second.gen), i);
			if (stat((s + "/iamglass").c_str(), &st) != 0)
				return custos_err_set(err, CUSTOS_EINDEX, "the search index is missing shard %u "
				                      "of %u of partition %s ('%s'): run 'custos index "
				                      "--rebuild'", i, m.shards, p.first.c_str(), s.c_str());
		}
	return CUSTOS_OK;
}

// The MANIFEST and the shards it names, checked without opening Xapian.
static int check_root(const std::string &root, Manifest &m, custos_err_t *err)
{
	int e = read_manifest(root, m, err);
	if (e == CUSTOS_ENOTFOUND)
		return custos_err_set(err, CUSTOS_EINDEX, "no search index at '%s' (no MANIFEST; run "
		                      "'custos index --rebuild')", root.c_str());
	if (e < 0)
		return e;
	return check_shards(root, m, err);
}

int custos_index_check(const char *path, custos_err_t *err)
{
	Manifest m;
	try {
		return check_root(path, m, err);
	} catch (...) {
		return translate(err, "cannot check the search index");
	}
}

// The shard's revision, or 0 when it cannot be opened.
static Xapian::rev shard_revision(const std::string &p)
{
	try {
		return Xapian::Database(p).get_revision();
	} catch (const Xapian::Error &) {
		return 0;
	}
}

// Reads one shard's tables through Xapian's checker: 0 when sound, else the
// number of errors, and what the first was. A shard that cannot be opened
// is damaged too.
static size_t check_one_shard(const std::string &p, std::string &what)
{
	// a writer committing while the tables are read can make them look
	// wrong: a result only counts when the revision stayed the same
	for (int attempt = 0;; attempt++) {
		Xapian::rev before = shard_revision(p);
		std::ostringstream out;
		size_t bad = 0;
		what.clear();
		try {
			Xapian::Database db(p);   // what opening finds, named as damage
			bad = Xapian::Database::check(p, 0, &out);
		} catch (const Xapian::DatabaseModifiedError &) {
			bad = 1;
			what = "it changed under the check";
		} catch (const Xapian::Error &x) {
			bad = 1;
			what = x.get_description();
		}
		if (bad && shard_revision(p) != before && attempt < 3)
			continue;
		if (bad && what.empty())
			what = std::to_string(bad) + " errors in its tables";
		return bad;
	}
}

int custos_index_check_tables(const char *path, bool *unchecked, custos_err_t *err)
{
	Manifest m;
	int e;
	*unchecked = false;
	if ((e = custos_index_check(path, err)) < 0 || (e = read_manifest(path, m, err)) < 0)
		return e;
	std::string p;
	try {
		for (const auto &part : m.parts) {
			for (unsigned i = 0; i < m.shards; i++) {
				p = shard_dir(part_dir(path, part.first, part.second.gen), i);
				// Xapian's checker opens the tables for writing (it can repair
				// them), though it writes nothing here: on a read-only archive
				// it cannot run, and the caller says so
				if (access((p + "/postlist.glass").c_str(), W_OK) != 0 &&
				    (errno == EROFS || errno == EACCES)) {
					*unchecked = true;
					continue;
				}
				std::string what;
				if (check_one_shard(p, what))
					return custos_err_set(err, CUSTOS_EINDEX, "shard %u of %u of partition %s "
					                      "('%s') is damaged: %s (run 'custos index --rebuild')",
					                      i, m.shards, part.first.c_str(), p.c_str(),
					                      what.c_str());
			}
		}
	} catch (...) {
		return translate(err, p.empty() ? "the search index" : p.c_str());
	}
	return CUSTOS_OK;
}

// Opens shard `lane` of partition part (generation gen) into the handle.
static Shard *attach_shard(custos_index_t *idx, const std::string &part, unsigned gen, unsigned lane,
                           bool create)
{
	Shard *sh = new Shard();
	idx->shards.push_back(sh);
	sh->part = part;
	sh->lane = lane;
	sh->path = shard_dir(part_dir(idx->root, part, gen), lane);
	if (idx->writable) {
		int action = create ? Xapian::DB_CREATE_OR_OPEN : Xapian::DB_OPEN;
		if (idx->fresh)
			action |= Xapian::DB_NO_SYNC;
		sh->wdb = new Xapian::WritableDatabase(sh->path, action | Xapian::DB_BACKEND_GLASS);
		if (sh->wdb->get_metadata(SCHEMA_KEY).empty()) {
			sh->wdb->set_metadata(SCHEMA_KEY, SCHEMA_VERSION);
			sh->wdb->commit();
		}
		sh->tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
		idx->lanes[lane]->shards.push_back(sh);
	} else {
		// glass, as every shard is made: Xapian need not look for the
		// other backends' files first
		sh->rdb = new Xapian::Database(sh->path, Xapian::DB_BACKEND_GLASS);
	}
	std::vector<Shard *> &v = idx->parts[part];
	v.resize(idx->man.shards);
	v[lane] = sh;
	std::string schema = sh->wdb ? sh->wdb->get_metadata(SCHEMA_KEY) : sh->rdb->get_metadata(SCHEMA_KEY);
	if (schema != SCHEMA_VERSION)
		throw Xapian::DatabaseVersionError("the search index at '" + idx->path + "' has schema '" +
		                                   schema + "', this custos knows " + SCHEMA_VERSION);
	if (sh->wdb)
		sh->wdb->begin_transaction(true);
	return sh;
}

// The handle's one database over every shard, made anew.
static void combine(custos_index_t *idx)
{
	delete idx->db;
	idx->db = nullptr;
	idx->db = new Xapian::Database();
	for (Shard *sh : idx->shards)
		idx->db->add_database(sh->wdb ? Xapian::Database(*sh->wdb) : *sh->rdb);
	// an index without records has no partition yet: it answers as an
	// empty database (Xapian refuses to search one with no database at all)
	if (idx->shards.empty()) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		idx->db->add_database(Xapian::InMemory::open());
#pragma GCC diagnostic pop
	}
}

// Opens every shard the MANIFEST names (or starts a fresh build).
static int open_layout(custos_index_t *idx, unsigned flags, custos_err_t *err)
{
	Manifest &m = idx->man;
	int e;
	struct stat st;
	const std::string &path = idx->path;
	if (flags & CUSTOS_INDEX_FRESH) {
		if ((e = make_dir(path, err)) < 0)
			return e;
		idx->root = path + "/" + BUILD_DIR;
		idx->fresh = true;
		if ((e = remove_tree(idx->root, err)) < 0 || (e = make_dir(idx->root, err)) < 0)
			return e;
		m = Manifest();
		m.shards = lanes_for_machine();
		m.watermark.assign(m.shards, 0);
		if ((e = write_manifest(idx->root, m, err, false)) < 0)
			return e;
	} else {
		idx->root = path;
		for (int attempt = 0;; attempt++) {
			e = read_manifest(path, m, err);
			if (e == CUSTOS_ENOTFOUND && stat((path + "/shard0").c_str(), &st) == 0)
				return custos_err_set(err, CUSTOS_EVERSION, "the search index at '%s' has an "
				                      "older layout (run 'custos index --rebuild')", path.c_str());
			if (e == CUSTOS_ENOTFOUND && (flags & CUSTOS_INDEX_CREATE)) {
				m = Manifest();
				m.shards = lanes_for_machine();
				m.watermark.assign(m.shards, 0);
				if ((e = make_dir(path, err)) < 0 || (e = write_manifest(path, m, err)) < 0)
					return e;
			} else if (e == CUSTOS_ENOTFOUND) {
				return custos_err_set(err, CUSTOS_EINDEX, "no search index at '%s' (run "
				                      "'custos index --rebuild')", path.c_str());
			} else if (e < 0) {
				return e;
			}
			// a compaction may have swapped generations between reading
			// the MANIFEST and opening: read it again, once
			if ((e = check_shards(path, m, err)) == CUSTOS_OK)
				break;
			if (attempt > 0)
				return e;
		}
		if (idx->writable && (e = remove_stale(path, m, false, err)) < 0)
			return e;
	}
	for (unsigned i = 0; idx->writable && i < m.shards; i++)
		idx->lanes.push_back(new Lane());
	for (const auto &p : m.parts)
		for (unsigned i = 0; i < m.shards; i++)
			attach_shard(idx, p.first, p.second.gen, i, false);
	combine(idx);
	return CUSTOS_OK;
}

// Adds partition part to a writer (lanes drained): its shards are created
// in a new directory, then the MANIFEST names it.
static int create_part(custos_index_t *idx, const std::string &part)
{
	custos_err_t *err = &idx->err;
	std::lock_guard<std::mutex> lk(idx->man_mu);
	Manifest m = idx->man;
	unsigned gen = ++m.last_gen;
	std::string dir = part_dir(idx->root, part, gen);
	int e;
	if ((e = remove_tree(dir, err)) < 0 || (e = make_dir(dir, err)) < 0)
		return e;
	for (unsigned i = 0; i < m.shards; i++) {
		Xapian::WritableDatabase w(shard_dir(dir, i), Xapian::DB_CREATE_OR_OPEN |
		                           Xapian::DB_BACKEND_GLASS | (idx->fresh ? Xapian::DB_NO_SYNC : 0));
		w.set_metadata(SCHEMA_KEY, SCHEMA_VERSION);
		w.commit();
		w.close();
	}
	m.parts[part].gen = gen;
	if ((!idx->fresh && (e = fsync_tree(dir, err)) < 0) ||
	    (e = write_manifest(idx->root, m, err, !idx->fresh)) < 0)
		return e;
	idx->man = m;
	for (unsigned i = 0; i < m.shards; i++)
		attach_shard(idx, part, gen, i, false);
	combine(idx);
	return CUSTOS_OK;
}

// Closes and removes the copies a rebuild compacted from.
static void drop_copies(std::vector<std::pair<std::string, Xapian::WritableDatabase *>> &copies)
{
	custos_err_t e;
	for (auto &c : copies) {
		try {
			delete c.second;
		} catch (...) {
		}
		remove_tree(c.first, &e);
	}
	copies.clear();
}

// Compacts partitions of a writer whose every change is committed: each
// into its next generation (its lexicon pruned when it lost documents),
// then one MANIFEST swap for all of them, then the old generations go (they
// may hold the text of disposed records). A partition left with no
// documents is dropped instead. Readers keep the generations they opened.
static int compact_parts(custos_index_t *idx, const std::set<std::string> &names)
{
	custos_err_t *err = &idx->err;
	for (Shard *sh : idx->shards)
		if (sh->dirty)
			return custos_err_set(err, CUSTOS_EINVAL, "cannot compact the search index: "
			                      "changes are not committed");
	Manifest m = idx->man;
	std::vector<CompactJob> jobs;
	std::vector<Shard *> moved;
	std::set<std::string> dropped;
	std::vector<std::pair<std::string, Xapian::WritableDatabase *>> copies;
	int e;
	for (const std::string &name : names) {
		auto it = idx->parts.find(name);
		if (it == idx->parts.end()) {
			m.compact.erase(name);
			continue;
		}
		auto rb = idx->rebuild.find(name);
		Xapian::doccount docs = 0;
		for (Shard *sh : it->second)
			docs += rb != idx->rebuild.end() ? (Xapian::doccount)rb->second[sh->lane].size()
			                                 : sh->wdb->get_doccount();
		if (docs == 0 || idx->doomed.count(name)) {
			dropped.insert(name);
			m.parts.erase(name);
			continue;
		}
		unsigned gen = ++m.last_gen;
		std::string dir = part_dir(idx->root, name, gen);
		if ((e = remove_tree(dir, err)) < 0 || (e = make_dir(dir, err)) < 0)
			return e;
		m.parts[name].gen = gen;
		m.parts[name].docs = docs;
		for (Shard *sh : it->second) {
			sh->wdb->commit_transaction();
			moved.push_back(sh);
			if (rb == idx->rebuild.end()) {
				jobs.push_back({ sh->wdb, shard_dir(dir, sh->lane), m.compact.count(name) > 0, {} });
				continue;
			}
			// a copy of the documents that stay, compacted into the generation
			copies.emplace_back(dir + "/copy" + std::to_string(sh->lane), nullptr);
			try {
				auto *w = new Xapian::WritableDatabase(copies.back().first,
				                                       Xapian::DB_CREATE_OR_OVERWRITE |
				                                       Xapian::DB_BACKEND_GLASS);
				copies.back().second = w;
				for (Xapian::docid did : rb->second[sh->lane])
					w->replace_document(did, sh->wdb->get_document(did));
				for (Xapian::TermIterator k = sh->wdb->metadata_keys_begin();
				     k != sh->wdb->metadata_keys_end(); ++k)
					w->set_metadata(*k, sh->wdb->get_metadata(*k));
				w->commit();
				if (w->get_doccount() != rb->second[sh->lane].size())
					throw Xapian::DatabaseError("a partition's copy lost documents");
			} catch (...) {
				translate(err, "cannot rebuild a partition of the search index");
				for (Shard *ms : moved)
					ms->wdb->begin_transaction(true);
				drop_copies(copies);
				return err->status;
			}
			jobs.push_back({ copies.back().second, shard_dir(dir, sh->lane), true, {} });
		}
	}
	run_compactions(jobs, (unsigned)idx->lanes.size());
	drop_copies(copies);
	for (const CompactJob &j : jobs)
		if (j.err.status != CUSTOS_OK) {
			*err = j.err;
			for (Shard *sh : moved)
				sh->wdb->begin_transaction(true);
			return j.err.status;
		}
	for (auto &p : m.parts)
		if (names.count(p.first) && !dropped.count(p.first)) {
			p.second.bytes = 0;
			for (unsigned i = 0; i < m.shards; i++)
				p.second.bytes += dir_bytes(shard_dir(part_dir(idx->root, p.first, p.second.gen), i));
		}
	for (const std::string &n : names)
		m.compact.erase(n);
	if ((e = fsync_path(idx->root, err)) < 0 || (e = write_manifest(idx->root, m, err)) < 0) {
		for (Shard *sh : moved)
			sh->wdb->begin_transaction(true);
		return e;
	}
	// the handle moves to the new generations
	delete idx->db;
	idx->db = nullptr;
	// the lanes let go of the dropped partitions' shards before they are freed
	for (Lane *ln : idx->lanes) {
		std::vector<Shard *> v;
		for (Shard *sh : ln->shards)
			if (!dropped.count(sh->part))
				v.push_back(sh);
		ln->shards.swap(v);
	}
	std::vector<Shard *> keep;
	for (Shard *sh : idx->shards) {
		bool gone = dropped.count(sh->part) > 0;
		bool move = std::find(moved.begin(), moved.end(), sh) != moved.end();
		if (gone || move)
			close_shard(sh);
		if (gone) {
			delete sh;
			continue;
		}
		keep.push_back(sh);
	}
	idx->shards.swap(keep);
	for (const std::string &n : dropped) {
		idx->parts.erase(n);
		idx->doomed.erase(n);
	}
	for (const std::string &n : names)
		idx->rebuild.erase(n);
	idx->spared.clear();   // a run's alone
	idx->man = m;
	for (Shard *sh : moved) {
		sh->path = shard_dir(part_dir(idx->root, sh->part, m.parts[sh->part].gen), sh->lane);
		sh->wdb = new Xapian::WritableDatabase(sh->path, Xapian::DB_OPEN | Xapian::DB_BACKEND_GLASS);
		sh->wdb->begin_transaction(true);
		sh->lexicon_seen.clear();
	}
	combine(idx);
	return remove_stale(idx->root, m, idx->root != idx->path, err);
}

int custos_index_open(custos_index_t **out, const char *path, unsigned flags, custos_err_t *err)
{
	*out = nullptr;
	if (!path || ((flags & (CUSTOS_INDEX_CREATE | CUSTOS_INDEX_FRESH)) && !(flags & CUSTOS_INDEX_WRITE)))
		return custos_err_set(err, CUSTOS_EINVAL, "custos_index_open: bad arguments");
	custos_index_t *idx = nullptr;
	try {
		idx = new custos_index();
		custos_err_clear(&idx->err);
		idx->path = path;
		idx->writable = (flags & CUSTOS_INDEX_WRITE) != 0;
		int e = open_layout(idx, flags, err);
		// a disposition's compaction that a crash cut short is done now
		if (e == CUSTOS_OK && idx->writable && !idx->man.compact.empty() &&
		    (e = compact_parts(idx, std::set<std::string>(idx->man.compact))) < 0)
			*err = idx->err;
		if (e < 0) {
			free_handle(idx);
			return e;
		}
		for (unsigned i = 0; i < idx->lanes.size() && !(flags & CUSTOS_INDEX_NOTHREAD); i++) {
			idx->lanes[i]->th = std::thread(worker_main, idx, i);
			idx->lanes[i]->running = true;
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

static bool same_generations(const Manifest &a, const Manifest &b)
{
	if (a.parts.size() != b.parts.size() || a.shards != b.shards)
		return false;
	for (auto i = a.parts.begin(), j = b.parts.begin(); i != a.parts.end(); ++i, ++j)
		if (i->first != j->first || i->second.gen != j->second.gen)
			return false;
	return true;
}

// A read handle moves to the latest committed state: to the generations the
// MANIFEST names now if a compaction or rebuild replaced some. The MANIFEST
// is read first, so the shards are at least as new as its watermark.
static void reload(custos_index_t *idx)
{
	if (idx->writable)
		return;
	Manifest m;
	custos_err_t e;
	custos_err_clear(&e);
	int r = read_manifest(idx->path, m, &e);
	if (r == CUSTOS_OK && !same_generations(m, idx->man)) {
		custos_index_t *fresh = nullptr;
		if (custos_index_open(&fresh, idx->path.c_str(), CUSTOS_INDEX_READ, &e) < 0)
			throw Xapian::DatabaseOpeningError(e.msg);
		std::swap(idx->shards, fresh->shards);
		std::swap(idx->parts, fresh->parts);
		std::swap(idx->db, fresh->db);
		std::swap(idx->man, fresh->man);
		free_handle(fresh);
		return;
	}
	if (r == CUSTOS_OK)
		idx->man.watermark = m.watermark;
	idx->db->reopen();
	for (Shard *sh : idx->shards)
		sh->rdb->reopen();
}

// Runs f (which reads the index), again on the latest state when a writer
// moved on under it (Xapian's DatabaseModifiedError), at most three times.
} // extern "C"

// A change to the partitions themselves: only on a writable index, and
// after every queued addition and delete has reached its shard.
static int writable_drained(custos_index_t *idx)
{
	if (!idx->writable)
		return custos_err_set(&idx->err, CUSTOS_EINVAL, "the index is open read-only");
	return drain(idx);
}

template <class F> static int with_retry(custos_index_t *idx, const char *what, F f)
{
	for (int attempt = 0;; attempt++) {
		try {
			return f();
		} catch (const Xapian::DatabaseModifiedError &) {
			if (attempt >= 2)
				return custos_err_set(&idx->err, CUSTOS_EINDEX, "%s: the index kept changing "
				                      "under the reader", what);
			try {
				reload(idx);
			} catch (...) {
				return translate(&idx->err, what);
			}
		} catch (...) {
			return translate(&idx->err, what);
		}
	}
}

extern "C" {

int custos_index_reopen(custos_index_t *idx)
{
	return with_retry(idx, "cannot reopen the search index", [idx]() {
		reload(idx);
		return CUSTOS_OK;
	});
}

int custos_index_add(custos_index_t *idx, const custos_record_t *rec)
{
	if (!idx->writable)
		return custos_err_set(&idx->err, CUSTOS_EINVAL, "the index is open read-only");
	if (!rec || !rec->id || !*rec->id || rec->seq == 0 || rec->version == 0 ||
	    rec->created_at == CUSTOS_TIME_NONE)
		return custos_err_set(&idx->err, CUSTOS_EINVAL, "cannot index record '%.200s': id, "
		                      "seq, version and created_at are required",
		                      rec && rec->id ? rec->id : "");
	if (rec->seq > 0xffffffffu)
		return custos_err_set(&idx->err, CUSTOS_ETOOBIG, "cannot index record '%.200s': the "
		                      "index numbers documents by store sequence up to 4294967295",
		                      rec->id);
	try {
		std::string part = part_of(rec);
		auto it = idx->parts.find(part);
		int e;
		if (it == idx->parts.end()) {
			// a new year: the lanes stop while it joins them
			if ((e = drain(idx)) < 0 || (e = create_part(idx, part)) < 0)
				return e;
			it = idx->parts.find(part);
		}
		unsigned lane = lane_of(idx, rec->id);
		Op op{ Op::REPLACE, rec_of(rec), std::string(), 0, it->second[lane] };
		return submit(idx, lane, std::move(op));
	} catch (...) {
		translate(&idx->err, "cannot index a record");
		return custos_err_prefix(&idx->err, "record '%.200s'", rec->id);
	}
}

int custos_index_delete(custos_index_t *idx, const char *id)
{
	if (!idx->writable)
		return custos_err_set(&idx->err, CUSTOS_EINVAL, "the index is open read-only");
	try {
		Op op{ Op::DELETE, Rec(), id, 0, nullptr };
		return submit(idx, lane_of(idx, id), std::move(op));
	} catch (...) {
		return translate(&idx->err, "cannot delete from the index");
	}
}

// Each lane commits its shards, then its watermark; the index's watermark
// is the smallest, so a crash between two lanes' commits only means
// replaying a little (replace by id makes that harmless).
static int commit(custos_index_t *idx, uint64_t watermark, bool wait)
{
	if (!idx->writable)
		return custos_err_set(&idx->err, CUSTOS_EINVAL, "the index is open read-only");
	try {
		int e;
		for (unsigned i = 0; i < idx->lanes.size(); i++) {
			Op op{ Op::COMMIT, Rec(), std::string(), watermark, nullptr };
			if ((e = submit(idx, i, std::move(op))) < 0)
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

int custos_index__lexicon_held(custos_index_t *idx, size_t *out)
{
	*out = 0;
	try {
		int e;
		if ((e = drain(idx)) < 0)
			return e;
		for (const Lane *ln : idx->lanes)
			*out = std::max(*out, lexicon_held(ln));
		return CUSTOS_OK;
	} catch (...) {
		return translate(&idx->err, "cannot read the index writer's state");
	}
}

static uint64_t read_watermark(custos_index_t *idx)
{
	std::lock_guard<std::mutex> lk(idx->man_mu);
	uint64_t w = UINT64_MAX;
	for (uint64_t x : idx->man.watermark)
		w = x < w ? x : w;
	return w == UINT64_MAX ? 0 : w;
}

int custos_index_watermark(custos_index_t *idx, uint64_t *out)
{
	*out = 0;
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	*out = read_watermark(idx);
	return CUSTOS_OK;
}

int custos_index_doccount(custos_index_t *idx, uint64_t *out)
{
	*out = 0;
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	return with_retry(idx, "cannot read the index", [&]() {
		*out = idx->db->get_doccount();
		return CUSTOS_OK;
	});
}

// A partition is dropped whole when every document in it carries the
// record-id term (Q) of a disposed record: its Q terms, walked in order
// beside the sorted terms of ids, must all be among them, and their
// frequencies must add up to its documents (every document has exactly one
// Q term, so none escapes the check).
int custos_index_drop_whole(custos_index_t *idx, const char *const *ids, size_t n,
                            unsigned *parts, uint64_t *docs, unsigned *rebuilt)
{
	if (rebuilt)
		*rebuilt = 0;
	if (parts)
		*parts = 0;
	if (docs)
		*docs = 0;
	int e;
	if ((e = writable_drained(idx)) < 0)
		return e;
	try {
		std::vector<std::string> terms;
		terms.reserve(n);
		for (size_t i = 0; i < n; i++)
			terms.push_back(fit_term("Q", ids[i]));
		std::sort(terms.begin(), terms.end());
		idx->doomed.clear();
		idx->spared.clear();
		idx->rebuild.clear();
		for (const auto &p : idx->parts) {
			uint64_t total = 0, covered = 0, kept = 0;
			bool whole = true, any = false;
			// the documents that stay, by lane, while they are fewer than
			// the partition's half
			std::vector<std::vector<Xapian::docid>> stay(idx->lanes.size());
			for (Shard *sh : p.second)
				total += sh->wdb->get_doccount();
			for (Shard *sh : p.second) {
				auto pos = terms.begin();
				for (Xapian::TermIterator t = sh->wdb->allterms_begin("Q");
				     t != sh->wdb->allterms_end("Q"); ++t) {
					const std::string &term = *t;
					pos = std::lower_bound(pos, terms.end(), term);
					if (pos == terms.end() || *pos != term) {
						whole = false;
						kept += t.get_termfreq();
						if (kept * 2 >= total && stay.size())
							stay.clear();   // half or more stays: not worth a rebuild
						for (auto d = sh->wdb->postlist_begin(term);
						     stay.size() && d != sh->wdb->postlist_end(term); ++d)
							stay[sh->lane].push_back(*d);
					} else {
						any = true;
						covered += t.get_termfreq();
					}
				}
			}
			// none of ids has a document here: deletes need not look
			if (!any) {
				idx->spared.insert(p.first);
				continue;
			}
			// most of it goes: what stays is copied into the next generation
			// (every document accounted for by exactly one record id)
			size_t listed = 0;
			for (const auto &v : stay)
				listed += v.size();
			if (!whole && stay.size() && kept * 2 < total && listed == kept &&
			    covered + kept == total) {
				idx->rebuild[p.first] = std::move(stay);
				if (rebuilt)
					(*rebuilt)++;
				continue;
			}
			if (!whole || total == 0 || covered != total)
				continue;
			idx->doomed.insert(p.first);
			if (parts)
				(*parts)++;
			if (docs)
				*docs += total;
		}
		return CUSTOS_OK;
	} catch (...) {
		idx->doomed.clear();
		idx->spared.clear();
		idx->rebuild.clear();
		return translate(&idx->err, "cannot read the search index");
	}
}

} // extern "C"

// Into compact_parts from outside: the index writable, its queue drained,
// then the partitions names() lists (an empty list does nothing when
// skip_none). Building the list may throw: it is inside the try.
template <class F>
static int compact_listed(custos_index_t *idx, const char *what, bool skip_none, F names)
{
	int e;
	if ((e = writable_drained(idx)) < 0)
		return e;
	try {
		std::set<std::string> n = names();
		return n.empty() && skip_none ? CUSTOS_OK : compact_parts(idx, n);
	} catch (...) {
		return translate(&idx->err, what);
	}
}

// Every match of q shown to spy (a match spy with an rc member that a
// failed callback sets), no document kept: a listing in bounded memory
// whatever the number of matches.
template <class Spy>
static int spy_every_match(custos_index_t *idx, const Xapian::Query &q, Spy &spy, const char *what)
{
	Xapian::Enquire enq(*idx->db);
	enq.set_query(q);
	enq.set_weighting_scheme(Xapian::BoolWeight());
	enq.add_matchspy(&spy);
	Xapian::doccount all = idx->db->get_doccount();
	enq.get_mset(0, 0, all ? all : 1);
	enq.clear_matchspies();
	if (spy.rc < 0)
		return custos_err_set(&idx->err, spy.rc, "%s: %s", what, custos_status_str(spy.rc));
	return CUSTOS_OK;
}

extern "C" {

int custos_index_drop_marked(custos_index_t *idx)
{
	return compact_listed(idx, "cannot drop a partition of the search index", true, [idx]() {
		std::set<std::string> names(idx->doomed);
		for (const auto &r : idx->rebuild)
			names.insert(r.first);
		return names;
	});
}

int custos_index_compact_pending(custos_index_t *idx)
{
	return compact_listed(idx, "cannot compact the search index", false, [idx]() {
		std::set<std::string> names(idx->man.compact);
		names.insert(idx->doomed.begin(), idx->doomed.end());
		return names;
	});
}

// The merge policy: a partition is compacted once its files exceed what it
// took when last compacted, scaled to its documents now, by MERGE_RATIO
// (and by at least MERGE_MIN bytes, so small partitions are left alone); a
// partition never compacted once it reaches MERGE_MIN, after which its own
// figure is known. Incremental commits leave Xapian's blocks part full and
// free blocks behind; the cost of merging is the partition's size, paid
// once per MERGE_RATIO of growth, so it stays proportional to what is
// indexed.
static const double MERGE_RATIO = 1.3;
static const uint64_t MERGE_MIN = 8u << 20;

int custos_index_merge(custos_index_t *idx, unsigned *merged)
{
	*merged = 0;
	int e;
	if ((e = writable_drained(idx)) < 0)
		return e;
	uint64_t min = MERGE_MIN;
	const char *t = getenv("CUSTOS_TEST_MERGE_MIN");
	if (t && *t)
		min = strtoull(t, nullptr, 10);
	try {
		std::set<std::string> due;
		for (const auto &p : idx->parts) {
			uint64_t bytes = 0, docs = 0;
			for (Shard *sh : p.second) {
				bytes += dir_bytes(sh->path);
				docs += sh->wdb->get_doccount();
			}
			const PartInfo &pi = idx->man.parts[p.first];
			double est = pi.docs ? (double)pi.bytes * (double)docs / (double)pi.docs : 0;
			if (pi.docs ? bytes > est * MERGE_RATIO && bytes - (uint64_t)est >= min : bytes >= min)
				due.insert(p.first);
		}
		if (due.empty())
			return CUSTOS_OK;
		if ((e = compact_parts(idx, due)) < 0)
			return e;
		*merged = (unsigned)due.size();
		return CUSTOS_OK;
	} catch (...) {
		return translate(&idx->err, "cannot merge the search index");
	}
}

int custos_index_compact(const char *path, custos_err_t *err)
{
	custos_index_t *idx = nullptr;
	int e = custos_index_open(&idx, path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_NOTHREAD, err);
	if (e < 0)
		return e;
	try {
		std::set<std::string> all;
		for (const auto &p : idx->parts)
			all.insert(p.first);
		// the lexicon is pruned of words no document holds any more
		idx->man.compact = all;
		if ((e = compact_parts(idx, all)) < 0)
			*err = idx->err;
	} catch (...) {
		e = translate(err, "cannot compact the search index");
	}
	custos_index_free(idx);
	return e;
}

// Compacts each partition of the build into a generation of the index, then
// the MANIFEST names them (and the build's watermarks) and everything else
// goes: the previous generations and the build.
int custos_index_publish(const char *path, custos_err_t *err)
{
	std::vector<Xapian::WritableDatabase *> open;
	try {
		std::string build = std::string(path) + "/" + BUILD_DIR;
		Manifest b, old, m;
		int e = check_root(build, b, err);
		if (e < 0)
			return custos_err_prefix(err, "no built index to publish at '%s'", build.c_str());
		custos_err_t ignored;
		if (read_manifest(path, old, &ignored) < 0)
			old = Manifest();
		m.shards = b.shards;
		m.watermark = b.watermark;
		m.last_gen = old.last_gen;
		std::vector<CompactJob> jobs;
		for (const auto &p : b.parts) {
			PartInfo &pi = m.parts[p.first];
			pi.gen = ++m.last_gen;
			std::string dir = part_dir(path, p.first, pi.gen);
			if ((e = remove_tree(dir, err)) < 0 || (e = make_dir(dir, err)) < 0)
				return e;
			for (unsigned i = 0; i < b.shards; i++) {
				std::string src = shard_dir(part_dir(build, p.first, p.second.gen), i);
				open.push_back(new Xapian::WritableDatabase(src, Xapian::DB_OPEN));
				pi.docs += open.back()->get_doccount();
				jobs.push_back({ open.back(), shard_dir(dir, i), false, {} });
			}
		}
		run_compactions(jobs, b.shards);
		for (Xapian::WritableDatabase *w : open)
			delete w;
		open.clear();
		for (const CompactJob &j : jobs)
			if (j.err.status != CUSTOS_OK) {
				*err = j.err;
				return j.err.status;
			}
		for (auto &p : m.parts)
			for (unsigned i = 0; i < m.shards; i++)
				p.second.bytes += dir_bytes(shard_dir(part_dir(path, p.first, p.second.gen), i));
		if ((e = fsync_path(path, err)) < 0 || (e = write_manifest(path, m, err)) < 0)
			return e;
		return remove_stale(path, m, false, err);
	} catch (...) {
		for (Xapian::WritableDatabase *w : open)
			delete w;
		return translate(err, "cannot publish the rebuilt index");
	}
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
			                      "account, author, year, month, tag)", (int)n, p);
		*out |= CUSTOS_FACET_BIT(f);
		p += n;
		if (*p == ',')
			p++;
	}
	return CUSTOS_OK;
}

const char *custos_index_facet_name(int field)
{
	static const char *const names[] = { "platform", "account", "author", "year", "month",
	                                     "tag" };
	return field >= 0 && field < CUSTOS_FACET_COUNT ? names[field] : "?";
}

int custos_index_query_check(const char *query, custos_err_t *err)
{
	try {
		Parsed p;
		return parse_query(nullptr, nullptr, query, nullptr, 0, p, err);
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

// The versions of a record that q matched, seqs and version numbers
// ascending: the document itself, or for a record with several versions
// every one of its documents in mm.
static void matched_versions(const Xapian::Database *db, const MultiMap &mm, Xapian::docid did,
                             std::vector<std::pair<uint64_t, uint32_t>> &out)
{
	out.clear();
	auto self = mm.find(did);
	std::vector<Xapian::docid> dids;
	if (self == mm.end())
		dids.push_back(did);
	else
		for (const auto &kv : mm)
			if (kv.second == self->second)
				dids.push_back(kv.first);
	for (Xapian::docid d : dids) {
		RecValue rv;
		int64_t t;
		read_hit(db->get_document(d), rv, t);
		out.emplace_back(rv.seq, rv.version);
	}
	std::sort(out.begin(), out.end());
}

int custos_index_search(custos_index_t *idx, custos_index_results_t **out, const char *query,
                        const custos_index_search_opts_t *opts)
{
	custos_index_search_opts_t dflt = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	const custos_index_search_opts_t *o = opts ? opts : &dflt;
	*out = nullptr;
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	return with_retry(idx, "search failed", [&]() -> int {
		custos_index_results_t *res = (custos_index_results_t *)calloc(1, sizeof *res);
		if (!res)
			throw std::bad_alloc();
		try {
			const Xapian::Database *db = idx->db;
			Parsed p;
			int pe = parse_query(idx, db, query, o->stem_lang, o->query_flags, p, &idx->err);
			if (pe < 0) {
				custos_index_results_free(res);
				return pe;
			}
			res->notes = arena_str(&res->arena, p.notes);
			res->expansions = p.expansions;
			res->watermark = read_watermark(idx);
			size_t limit = o->count_only ? 0 : o->limit;
			MultiMap mm = multi_matches(db, p.query);
			std::unique_ptr<Coding> coding;
			if (o->coding)
				coding.reset(new Coding(o->coding));
			const Xapian::MatchDecider *dec = coding && coding->narrows() ? coding.get() : nullptr;

			// The page: records, so with records of several versions in
			// the result a window of documents is read and the later
			// versions of a record already on it are passed over.
			std::vector<Xapian::MSetIterator> page;
			Xapian::MSet ms;
			bool exact_from_page = false;
			if (limit > 0) {
				size_t want = o->offset + limit;
				size_t fetch = mm.empty() ? limit : want + 16;
				for (;;) {
					size_t first = mm.empty() ? o->offset : 0;
					if (o->sort == CUSTOS_SORT_RELEVANCE) {
						Xapian::Enquire enq(*db);
						enq.set_query(p.query);
						enq.set_weighting_scheme(relevance_weight());
						// A result Xapian estimates small is ranked whole in one
						// pass, which makes its total exact; a large one is ranked
						// only as far as the page needs, and counted in a cheaper
						// unweighted pass below.
						Xapian::doccount check = 0;
						if (!o->facets && !o->estimate_total && mm.empty() && !coding &&
						    enq.get_mset(0, 0).get_matches_estimated() <= ONE_PASS_MAX)
							check = db->get_doccount();
						ms = enq.get_mset(first, fetch, check, nullptr, dec);
					} else {
						ms = date_page(db, ShardStats(shard_dbs(idx)), p.query,
						               o->sort == CUSTOS_SORT_DATE_DESC, first, fetch, dec);
					}
					page.clear();
					std::unordered_set<std::string> seen;
					for (Xapian::MSetIterator it = ms.begin(); it != ms.end(); ++it) {
						auto m = mm.find(*it);
						if (m != mm.end() && !seen.insert(m->second).second)
							continue;
						page.push_back(it);
					}
					if (mm.empty() || page.size() >= want || ms.size() < fetch)
						break;
					fetch *= 2;
				}
				if (!mm.empty()) {
					if (page.size() > o->offset)
						page.erase(page.begin(), page.begin() + (long)o->offset);
					else
						page.clear();
					if (page.size() > limit)
						page.resize(limit);
				}
				exact_from_page = mm.empty() && !coding && o->sort == CUSTOS_SORT_RELEVANCE &&
				                  ms.get_matches_lower_bound() == ms.get_matches_upper_bound();
			}
			// the total: exact from the page pass when Xapian knows it,
			// otherwise (or for facets) one counting pass over all matches
			// (with review coding too: the tags are counted, and a narrowed
			// match is counted, in that pass)
			if (o->facets || coding) {
				FacetSpy spy(o->facets, shard_dbs(idx));
				spy.multi = &mm;
				std::unique_ptr<TagSpy> tags;
				if (coding && o->coding->count)
					tags.reset(new TagSpy(*coding));
				count_matches(db, p.query, &spy, dec, tags.get());
				spy.finish();
				if (tags) {
					res->tag_counts = (uint64_t *)custos_arena_alloc(
						&res->arena, (tags->counts.size() + 1) * sizeof *res->tag_counts);
					if (!res->tag_counts)
						throw std::bad_alloc();
					for (size_t t = 0; t < tags->counts.size(); t++)
						res->tag_counts[t] = tags->counts[t];
				}
				res->total = spy.records;
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
			} else if (o->estimate_total && limit > 0 && mm.empty()) {
				res->total = ms.get_matches_estimated();
				res->total_exact = ms.get_matches_lower_bound() == ms.get_matches_upper_bound();
			} else {
				res->total = count_records(db, p.query, mm);
				res->total_exact = 1;
			}

			if (!page.empty()) {
				res->hits = (custos_index_hit_t *)custos_arena_alloc(&res->arena,
				                                                     page.size() * sizeof *res->hits);
				if (!res->hits)
					throw std::bad_alloc();
				std::string hs = o->hi_start ? o->hi_start : "[[";
				std::string he = o->hi_end ? o->hi_end : "]]";
				std::string om = o->omit ? o->omit : "...";
				std::vector<std::pair<uint64_t, uint32_t>> versions;
				for (size_t k = 0; k < page.size(); k++) {
					custos_index_hit_t *h = &res->hits[res->n_hits];
					memset(h, 0, sizeof *h);
					Xapian::Document doc = page[k].get_document();
					RecValue rv;
					read_hit(doc, rv, h->created_at);
					h->seq = rv.seq;
					h->version = rv.version;
					h->id = arena_str(&res->arena, rv.id);
					h->weight = o->sort == CUSTOS_SORT_RELEVANCE ? page[k].get_weight() : 0;
					h->platform = arena_str(&res->arena, rv.platform);
					h->account = arena_str(&res->arena, rv.account);
					h->author = arena_str(&res->arena, rv.author);
					if (mm.count(*page[k]))
						matched_versions(db, mm, *page[k], versions);
					else
						versions.assign(1, std::make_pair(rv.seq, rv.version));
					h->n_matched = versions.size();
					h->matched_seqs = (uint64_t *)custos_arena_alloc(&res->arena,
					                                                  versions.size() * 8);
					h->matched_versions = (uint32_t *)custos_arena_alloc(&res->arena,
					                                                      versions.size() * 4);
					if (!h->matched_seqs || !h->matched_versions)
						throw std::bad_alloc();
					for (size_t v = 0; v < versions.size(); v++) {
						h->matched_seqs[v] = versions[v].first;
						h->matched_versions[v] = versions[v].second;
					}
					const char *text = nullptr;
					size_t tlen = 0;
					if (o->text_fn && o->text_fn(o->text_ctx, h->id, h->seq, &text, &tlen) == 0 &&
					    text) {
						// The passage is chosen by the query's matches alone:
						// Xapian's background model, which also weighs every
						// other word by its frequency, looks each one up in
						// every shard (about 500 reads of 8 KB a hit on 200,000
						// posts in 10 shards: 40% of a search's CPU), and the
						// weights it caches per MSet are altered by the snippet
						// code, so a hit's snippet depended on the hits before
						// it on the page (BENCHMARKS.md, "Start-up").
						std::string sn = ms.snippet(std::string(text, tlen),
						                            o->snippet_len ? o->snippet_len : 200, p.stem,
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
		} catch (...) {
			custos_index_results_free(res);
			throw;
		}
	});
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
	return with_retry(idx, "cannot count matches", [&]() -> int {
		Parsed p;
		int pe = parse_query(idx, idx->db, query, nullptr, 0, p, &idx->err);
		if (pe < 0)
			return pe;
		*out = count_records(idx->db, p.query, multi_matches(idx->db, p.query));
		return CUSTOS_OK;
	});
}

// Every record q matches, once, with the versions that matched.
static int collect_ids(custos_index_t *idx, custos_index_idlist_t *out, const Xapian::Query &q,
                       bool by_time)
{
	const Xapian::Database *db = idx->db;
	Xapian::Enquire enq(*db);
	enq.set_query(q);
	enq.set_weighting_scheme(Xapian::BoolWeight());
	Xapian::doccount all = db->get_doccount();
	Xapian::MSet ms = enq.get_mset(0, all ? all : 1, all);
	MultiMap mm = multi_matches(db, q);
	struct Row {
		std::string id;
		int64_t created;
		std::vector<uint64_t> seqs;
	};
	std::vector<Row> rows;
	std::unordered_map<std::string, size_t> at;
	// each match's record and time values read from the value streams in
	// docid order (a chunk decoded once for all the matches it holds), not
	// document by document (each lookup decoding its chunk from the start:
	// most of a plan's time over a million matches)
	std::vector<Xapian::docid> dids;
	dids.reserve(ms.size());
	for (Xapian::MSetIterator it = ms.begin(); it != ms.end(); ++it)
		dids.push_back(*it);
	std::sort(dids.begin(), dids.end());
	Xapian::ValueIterator recs = db->valuestream_begin(SLOT_REC), recs_end = db->valuestream_end(SLOT_REC);
	Xapian::ValueIterator times = db->valuestream_begin(SLOT_TIME),
	                      times_end = db->valuestream_end(SLOT_TIME);
	// the value of slot for did from stream it, or "" when did has none
	auto at_did = [](Xapian::ValueIterator &it, const Xapian::ValueIterator &end, Xapian::docid did) {
		if (it != end && it.get_docid() < did)
			it.skip_to(did);
		return it != end && it.get_docid() == did ? *it : std::string();
	};
	for (Xapian::docid did : dids) {
		RecValue rv;
		if (!parse_rec_value(at_did(recs, recs_end, did), rv))
			throw Xapian::DatabaseCorruptError("a document's record value is unreadable");
		int64_t created = time_from_value(at_did(times, times_end, did));
		if (mm.count(did)) {
			auto f = at.find(rv.id);
			if (f != at.end()) {
				rows[f->second].seqs.push_back(rv.seq);
				continue;
			}
			at.emplace(rv.id, rows.size());
		}
		rows.push_back(Row{ rv.id, created, { rv.seq } });
	}
	out->v = (custos_index_ident_t *)custos_arena_alloc(&out->arena,
	                                                    (rows.size() + 1) * sizeof *out->v);
	if (!out->v)
		throw std::bad_alloc();
	for (Row &r : rows) {
		custos_index_ident_t *x = &out->v[out->n++];
		std::sort(r.seqs.begin(), r.seqs.end());
		x->id = arena_str(&out->arena, r.id);
		x->created_at = r.created;
		x->seq = r.seqs.back();
		x->n_matched = r.seqs.size();
		x->matched_seqs = (uint64_t *)custos_arena_alloc(&out->arena, r.seqs.size() * 8);
		if (!x->matched_seqs)
			throw std::bad_alloc();
		memcpy(x->matched_seqs, r.seqs.data(), r.seqs.size() * 8);
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
	return with_retry(idx, "cannot list matches", [&]() -> int {
		custos_index_idlist_free(out);
		Parsed p;
		int pe = parse_query(idx, idx->db, query, nullptr, 0, p, &idx->err);
		if (pe < 0)
			return pe;
		try {
			return collect_ids(idx, out, p.query, false);
		} catch (...) {
			custos_index_idlist_free(out);
			throw;
		}
	});
}

// Hands each match to the caller as it is found: nothing is kept per
// match, not even for the records of several versions, whose documents go
// to the second callback with their record's id (the caller merges them).
class EachSpy : public Xapian::MatchSpy {
	custos_index_match_fn fn;
	custos_index_match_multi_fn multi;
	void *ctx;
    public:
	int rc = CUSTOS_OK;

	EachSpy(custos_index_match_fn f, custos_index_match_multi_fn m, void *c)
		: fn(f), multi(m), ctx(c) {}
	void operator()(const Xapian::Document &doc, double) override
	{
		if (rc < 0)
			return;
		RecValue rv;
		int64_t created;
		read_hit(doc, rv, created);
		if (doc.get_value(SLOT_MULTI).empty())
			rc = fn(ctx, rv.seq, created);
		else
			rc = multi(ctx, rv.id.c_str(), rv.seq, created);
	}
};

int custos_index_match_each(custos_index_t *idx, const char *query, custos_index_match_fn fn,
                            custos_index_match_multi_fn multi, void (*restart)(void *ctx),
                            void *ctx)
{
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	return with_retry(idx, "cannot list matches", [&]() -> int {
		if (restart)
			restart(ctx);
		Parsed p;
		int pe = parse_query(idx, idx->db, query, nullptr, 0, p, &idx->err);
		if (pe < 0)
			return pe;
		EachSpy spy(fn, multi, ctx);
		return spy_every_match(idx, p.query, spy, "cannot list matches");
	});
}

int custos_index_each_record(custos_index_t *idx, custos_index_record_fn fn,
                             void (*restart)(void *ctx), void *ctx)
{
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	return with_retry(idx, "cannot list the index", [&]() -> int {
		if (restart)
			restart(ctx);
		const Xapian::Database *db = idx->db;
		// the records of several versions wait for their last document;
		// the others (most) are given as they are read
		std::unordered_map<std::string, uint64_t> multi;
		for (Xapian::PostingIterator it = db->postlist_begin(""); it != db->postlist_end("");
		     ++it) {
			Xapian::Document doc = db->get_document(*it);
			RecValue rv;
			int64_t created;
			read_hit(doc, rv, created);
			if (!doc.get_value(SLOT_MULTI).empty()) {
				uint64_t &top = multi[rv.id];
				top = rv.seq > top ? rv.seq : top;
				continue;
			}
			int rc = fn(ctx, rv.id.c_str(), rv.seq);
			if (rc < 0)
				return custos_err_set(&idx->err, rc, "cannot list the index: %s",
				                      custos_status_str(rc));
		}
		for (const auto &m : multi) {
			int rc = fn(ctx, m.first.c_str(), m.second);
			if (rc < 0)
				return custos_err_set(&idx->err, rc, "cannot list the index: %s",
				                      custos_status_str(rc));
		}
		return CUSTOS_OK;
	});
}

// The documents of the thread rooted at root_id, the root's included. b
// (which the query reads its terms through) must outlive the query.
static Xapian::Query thread_query(custos_index_t *idx, Builder &b, const char *root_id)
{
	b.db = idx->db;
	b.set_shards(shard_dbs(idx));
	return Xapian::Query(Xapian::Query::OP_OR, b.leaf(fit_term("T", root_id)),
	                     b.leaf(fit_term("Q", root_id)));
}

int custos_index_thread(custos_index_t *idx, custos_index_idlist_t *out, const char *root_id)
{
	memset(out, 0, sizeof *out);
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	return with_retry(idx, "cannot read the thread", [&]() -> int {
		custos_index_idlist_free(out);
		Builder b;
		Xapian::Query q = thread_query(idx, b, root_id);
		try {
			return collect_ids(idx, out, q, true);
		} catch (...) {
			custos_index_idlist_free(out);
			throw;
		}
	});
}

// Hands each document of a thread to the caller as the match finds it.
class MemberSpy : public Xapian::MatchSpy {
	custos_index_member_fn fn;
	void *ctx;
    public:
	int rc = CUSTOS_OK;

	MemberSpy(custos_index_member_fn f, void *c) : fn(f), ctx(c) {}
	void operator()(const Xapian::Document &doc, double) override
	{
		if (rc < 0)
			return;
		RecValue rv;
		int64_t created;
		read_hit(doc, rv, created);
		rc = fn(ctx, rv.id.c_str(), rv.seq, created, !doc.get_value(SLOT_MULTI).empty());
	}
};

int custos_index_thread_each(custos_index_t *idx, const char *root_id, custos_index_member_fn fn,
                             void (*restart)(void *ctx), void *ctx)
{
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	return with_retry(idx, "cannot read the thread", [&]() -> int {
		if (restart)
			restart(ctx);
		Builder b;
		Xapian::Query q = thread_query(idx, b, root_id);
		MemberSpy spy(fn, ctx);
		return spy_every_match(idx, q, spy, "cannot read the thread");
	});
}

int custos_index_threads_each(custos_index_t *idx, const char *const *roots, size_t n,
                              custos_index_member_fn fn, void (*restart)(void *ctx), void *ctx)
{
	int e;
	if (!n)
		return CUSTOS_OK;
	if ((e = drain(idx)) < 0)
		return e;
	// The terms' postings walked directly: the matcher's cost for an OR of
	// many terms grows faster than the terms (show --thread of a
	// conversation of 20,001 records, its members' threads read as ORs:
	// 0.3 user CPU s with 32 terms a query, 2.3 s with 2,048, 68 s with
	// 16,384; walking the postings, 0.3 s; BENCHMARKS.md), and walking
	// postings is what TermSource does where the matcher fails (see there).
	return with_retry(idx, "cannot read the thread", [&]() -> int {
		if (restart)
			restart(ctx);
		const Xapian::Database *db = idx->db;
		for (size_t i = 0; i < n; i++) {
			std::string t = fit_term("T", roots[i]);
			for (Xapian::PostingIterator it = db->postlist_begin(t); it != db->postlist_end(t);
			     ++it) {
				Xapian::Document doc = db->get_document(*it);
				RecValue rv;
				int64_t created;
				read_hit(doc, rv, created);
				int rc = fn(ctx, rv.id.c_str(), rv.seq, created,
				            !doc.get_value(SLOT_MULTI).empty());
				if (rc < 0)
					return custos_err_set(&idx->err, rc, "cannot read the thread: %s",
					                      custos_status_str(rc));
			}
		}
		return CUSTOS_OK;
	});
}

void custos_index_idlist_free(custos_index_idlist_t *l)
{
	if (!l)
		return;
	custos_arena_free(&l->arena);
	memset(l, 0, sizeof *l);
}

static custos_index_count_t *counts_out(custos_arena_t *a, const std::map<std::string, uint64_t> &m,
                                        size_t *n)
{
	std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
	std::sort(v.begin(), v.end(), [](const std::pair<std::string, uint64_t> &x,
	                                 const std::pair<std::string, uint64_t> &y) {
		return x.second != y.second ? x.second > y.second : x.first < y.first;
	});
	custos_index_count_t *out = (custos_index_count_t *)custos_arena_alloc(a, (v.size() + 1) *
	                                                                           sizeof *out);
	if (!out)
		throw std::bad_alloc();
	for (size_t i = 0; i < v.size(); i++) {
		out[i].key = arena_str(a, v[i].first);
		out[i].hits = v[i].second;
	}
	*n = v.size();
	return out;
}

// The record a matching document stands for: its docid, or for a record of
// several versions the smallest docid of its matching versions.
static Xapian::docid record_key(const MultiMap &mm, std::unordered_map<std::string, Xapian::docid> &first,
                                Xapian::docid did)
{
	auto m = mm.find(did);
	if (m == mm.end())
		return did;
	auto f = first.find(m->second);
	if (f == first.end() || did < f->second)
		first[m->second] = did;
	return first[m->second];
}

int custos_index_term_report(custos_index_t *idx, custos_index_term_report_t **out,
                             const char *const *queries, size_t n, unsigned query_flags)
{
	*out = nullptr;
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	return with_retry(idx, "cannot run the term report", [&]() -> int {
		custos_index_term_report_t *r =
			(custos_index_term_report_t *)calloc(1, sizeof *r);
		if (!r)
			throw std::bad_alloc();
		try {
			const Xapian::Database *db = idx->db;
			Xapian::doccount all = db->get_doccount();
			r->n = n;
			r->terms = (custos_index_term_t *)custos_arena_alloc(&r->arena, (n + 1) * sizeof *r->terms);
			if (!r->terms)
				throw std::bad_alloc();
			memset(r->terms, 0, (n + 1) * sizeof *r->terms);
			// per record: how many lines hit it, and the last line that did
			std::unordered_map<Xapian::docid, std::pair<uint32_t, uint32_t>> seen;
			ShardStats ss(shard_dbs(idx));
			for (size_t i = 0; i < n; i++) {
				custos_index_term_t *t = &r->terms[i];
				t->error = "";
				Parsed p;
				custos_err_t qe;
				custos_err_clear(&qe);
				if ((t->status = parse_query(idx, db, queries[i], nullptr, query_flags, p, &qe)) < 0) {
					t->error = arena_str(&r->arena, qe.msg);
					r->incomplete = 1;
					continue;
				}
				Xapian::Enquire enq(*db);
				enq.set_query(p.query);
				enq.set_weighting_scheme(Xapian::BoolWeight());
				Xapian::MSet ms = enq.get_mset(0, all ? all : 1, all);
				MultiMap mm = multi_matches(db, p.query);
				std::unordered_map<std::string, Xapian::docid> first;
				std::unordered_set<Xapian::docid> mine;
				std::map<std::string, uint64_t> by_account, by_platform;
				std::set<std::string> roots;
				for (Xapian::MSetIterator it = ms.begin(); it != ms.end(); ++it) {
					Xapian::docid key = record_key(mm, first, *it);
					if (!mine.insert(key).second)
						continue;
					auto &s = seen[key];
					if (s.first == 0 || s.second != i) {
						s.first++;
						s.second = (uint32_t)i;
					}
					Xapian::Document doc = it.get_document();
					RecValue rv;
					int64_t created;
					read_hit(doc, rv, created);
					by_account[rv.account]++;
					by_platform[rv.platform]++;
					Xapian::TermIterator ti = doc.termlist_begin();
					ti.skip_to("T");
					if (ti != doc.termlist_end() && (*ti)[0] == 'T')
						roots.insert((*ti).substr(1));
					else
						roots.insert(rv.id);
				}
				t->hits = mine.size();
				t->by_account = counts_out(&r->arena, by_account, &t->n_accounts);
				t->by_platform = counts_out(&r->arena, by_platform, &t->n_platforms);
				// family: every record of the threads the hits belong to
				std::vector<std::string> rv(roots.begin(), roots.end());
				std::unordered_set<Xapian::docid> fam;
				std::unordered_map<std::string, Xapian::docid> ffirst;
				for (size_t k = 0; k < rv.size(); k += 500) {
					std::vector<Xapian::Query> parts;
					for (size_t j = k; j < rv.size() && j < k + 500; j++) {
						parts.push_back(ss.leaf(db, fit_term("T", rv[j])));
						parts.push_back(ss.leaf(db, fit_term("Q", rv[j])));
					}
					Xapian::Query fq(Xapian::Query::OP_OR, parts.begin(), parts.end());
					Xapian::Enquire fe(*db);
					fe.set_query(fq);
					fe.set_weighting_scheme(Xapian::BoolWeight());
					Xapian::MSet fm = fe.get_mset(0, all ? all : 1, all);
					MultiMap fmm = multi_matches(db, fq);
					for (Xapian::MSetIterator it = fm.begin(); it != fm.end(); ++it)
						fam.insert(record_key(fmm, ffirst, *it));
				}
				t->family = fam.size();
			}
			for (auto &kv : seen)
				if (kv.second.first == 1)
					r->terms[kv.second.second].unique++;
			r->distinct = seen.size();
			*out = r;
			return CUSTOS_OK;
		} catch (...) {
			custos_index_term_report_free(r);
			throw;
		}
	});
}

void custos_index_term_report_free(custos_index_term_report_t *r)
{
	if (!r)
		return;
	custos_arena_free(&r->arena);
	free(r);
}

} // extern "C"

// The documents of one shard whose id (a store seq) is above after: what
// legal holds grow by once new records are indexed, so that the cost of
// growing them follows the new records, not the index. Xapian calls init
// once per shard, whose document ids are store seqs.
class SeqAfterSource : public Xapian::PostingSource {
	Xapian::docid after;
	Xapian::Database db;
	Xapian::PostingIterator it, end;
	Xapian::doccount upper = 0;
	bool started = false;
public:
	explicit SeqAfterSource(Xapian::docid a) : after(a) {}
	Xapian::doccount get_termfreq_min() const override { return 0; }
	Xapian::doccount get_termfreq_est() const override { return upper; }
	Xapian::doccount get_termfreq_max() const override { return upper; }
	Xapian::PostingSource *clone() const override { return new SeqAfterSource(after); }
	void init(const Xapian::Database &d) override
	{
		db = d;
		it = db.postlist_begin("");
		end = db.postlist_end("");
		started = false;
		Xapian::docid last = db.get_lastdocid();
		upper = last > after ? last - after : 0;
		if (upper > db.get_doccount())
			upper = db.get_doccount();
		set_maxweight(0);
	}
	void next(double) override
	{
		if (!started) {
			started = true;
			it.skip_to(after + 1);
		} else {
			++it;
		}
	}
	void skip_to(Xapian::docid did, double) override
	{
		started = true;
		it.skip_to(did > after ? did : after + 1);
	}
	bool at_end() const override { return it == end; }
	Xapian::docid get_docid() const override { return *it; }
};

int custos_index_match_ids_after(custos_index_t *idx, custos_index_idlist_t *out,
                                 const char *query, uint64_t after)
{
	memset(out, 0, sizeof *out);
	int e;
	if ((e = drain(idx)) < 0)
		return e;
	return with_retry(idx, "cannot list new matches", [&]() -> int {
		custos_index_idlist_free(out);
		Parsed p;
		int pe = parse_query(idx, idx->db, query, nullptr, 0, p, &idx->err);
		if (pe < 0)
			return pe;
		try {
			SeqAfterSource src((Xapian::docid)after);
			Xapian::Query q(Xapian::Query::OP_FILTER, p.query, Xapian::Query(&src));
			return collect_ids(idx, out, q, false);
		} catch (...) {
			custos_index_idlist_free(out);
			throw;
		}
	});
}
