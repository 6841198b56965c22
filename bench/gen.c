/* gen: a deterministic generator of realistic social posts for the custos
 * benchmarks. The same posts (same seed, same count) come out in every
 * format, so importer rates compare on identical content:
 *
 *   gen --format ndjson|twitter-api|mastodon-api|x-archive --count N --seed S
 *       (one stream on stdout; x-archive is data/tweets.js)
 *   gen --format mastodon|facebook|slack|linkedin|feed --out DIR --count N --seed S
 *       (an export folder under DIR)
 *
 * Posts are modelled once (text from a Zipf vocabulary, entities, threads,
 * reposts, quotes, edits, media, 20 custodian accounts over 5 years) with
 * one PRNG stream that does not depend on the output format; rendering uses
 * no randomness. --count is the number of items written (edits included).
 * See BENCHMARKS.md for the sizes.
 *
 * What each export can and cannot say (the renderers' comments say more):
 * - mastodon: outbox.json (Create/Note, Announce with a bare URL object, the
 *   duplicated "orderedItems" key of real exports) + actor.json. One owner:
 *   every post is the owner's. Quotes are Notes with the link. An edit is
 *   the Create again with "updated" (a version).
 * - facebook: posts/your_posts_1.json + comments/comments.json +
 *   profile_information.json, with the real mojibake (\u00XX per byte). One
 *   owner. Replies are comments (no parent link in the export); reposts are
 *   "shared a post" entries. Ids derive from time and text, so an edit is a
 *   record of its own, not a version.
 * - slack: users.json, channels.json (a channel per account), day files;
 *   threads (thread_ts), edits ("edited"), reactions, files, shares as
 *   attachments. Reposts and quotes are shared-message attachments.
 * - linkedin: Shares.csv (posts, quotes, reposts without commentary; a row
 *   per media URL) + Comments.csv (replies) + Profile.csv, with LinkedIn's
 *   quoting. One owner. A share edit is a version (same ShareLink); a
 *   comment edit is a record of its own (its id derives from the text).
 *   No hashtag or mention markup: they stay in the text.
 * - feed: feeds/<account>-YYYY-MM.xml, RSS 2.0 (even accounts) and Atom 1.0
 *   (odd). Feeds have no replies or reposts: they are items (no thread
 *   links). An edit is the item again with its guid/id (Atom: <updated>).
 */
#include <inttypes.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <sys/stat.h>

/* ---- PRNG: xoshiro256** seeded through splitmix64 ------------------------ */

static uint64_t rng_s[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rng_s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_u64(void)
{
	uint64_t r = rotl(rng_s[1] * 5, 7) * 9, t = rng_s[1] << 17;
	rng_s[2] ^= rng_s[0];
	rng_s[3] ^= rng_s[1];
	rng_s[1] ^= rng_s[2];
	rng_s[0] ^= rng_s[3];
	rng_s[2] ^= t;
	rng_s[3] = rotl(rng_s[3], 45);
	return r;
}

static double rng_unit(void) { return (double)(rng_u64() >> 11) * 0x1.0p-53; }
static uint32_t rng_below(uint32_t n) { return (uint32_t)(((rng_u64() >> 32) * n) >> 32); }
static int rng_chance(double p) { return rng_unit() < p; }
static int64_t rng_range(int64_t lo, int64_t hi) { return lo + (int64_t)(rng_unit() * (double)(hi - lo + 1)); }

/* ---- vocabulary: real words at the top ranks, pseudo-words below, Zipf ---- */

static const char *const real_words[] = {
	"the", "to", "and", "a", "of", "in", "is", "for", "on", "that", "it", "with", "we",
	"you", "this", "are", "our", "at", "be", "will", "new", "from", "your", "today", "all",
	"have", "more", "by", "can", "about", "an", "not", "thanks", "great", "just", "now",
	"team", "out", "how", "what", "join", "us", "here", "customers", "read", "who", "week",
	"product", "update", "year", "get", "one", "time", "they", "was", "but", "so", "up",
	"if", "do", "see", "make", "help", "launch", "service", "support", "data", "report",
	"live", "news", "first", "work", "best", "announce", "announcing", "excited", "proud",
	"partners", "community", "event", "webinar", "register", "free", "available", "now",
	"release", "version", "security", "privacy", "customer", "results", "quarter",
	"growth", "earnings", "market", "store", "open", "closed", "hours", "holiday",
	"please", "sorry", "issue", "fixed", "working", "looking", "forward", "meet",
	"conference", "booth", "talk", "slides", "video", "watch", "listen", "podcast",
	"episode", "blog", "post", "article", "story", "interview", "hiring", "jobs", "apply",
	"engineers", "designers", "remote", "office", "city", "country", "world", "global",
	"local", "people", "everyone", "happy", "birthday", "congratulations", "winner",
	"contest", "giveaway", "deal", "offer", "discount", "sale", "shipping", "order",
	"delivery", "app", "download", "ios", "android", "web", "platform", "cloud", "api",
	"developers", "docs", "feature", "features", "feedback", "roadmap", "beta", "preview",
	"outage", "incident", "status", "resolved", "investigating", "monitoring", "degraded",
	"performance", "faster", "better", "simple", "easy", "powerful", "secure", "reliable",
	"sustainable", "energy", "climate", "future", "innovation", "research", "science",
	"health", "care", "safety", "policy", "compliance", "regulation", "court", "filing",
	"statement", "press", "release", "media", "brand", "design", "art", "music", "film",
	"sports", "game", "season", "match", "score", "win", "lose", "fans", "tickets",
	"morning", "evening", "night", "monday", "tuesday", "wednesday", "thursday", "friday",
	"weekend", "coffee", "lunch", "dinner", "recipe", "travel", "flight", "hotel", "trip",
	"café", "naïve", "déjà", "über", "señor", "Zürich", "München", "São", "Paulo", "—",
	"🚀", "🎉", "👏", "🙏", "❤️", "✅", "📣", "👉", "🔥", "💡", "it's", "we're", "don't",
	"can't", "you're", "let's", "here's", "that's", "isn't", "won't", "(thread)", "1/",
	"2/", "3/", "via", "RT", "PSA:", "TIL", "FYI", "ICYMI:", "NEW:", "UPDATE:", "BREAKING:",
	"2020", "2021", "2022", "2023", "2024", "Q1", "Q2", "Q3", "Q4", "10%", "50%", "$99",
	"100", "1,000", "24/7", "#1", "e.g.", "i.e.", "etc.", "vs", "w/", "+", "&", "?", "!",
};
#define N_REAL (sizeof real_words / sizeof real_words[0])
#define N_PSEUDO 50000
#define N_VOCAB (N_REAL + N_PSEUDO)

static char *vocab[N_VOCAB];
static unsigned char vocab_len[N_VOCAB];
static double zipf_cdf[N_VOCAB];

static const char *const onsets[] = {
	"b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
	"z", "br", "ch", "cl", "dr", "fl", "gr", "pl", "pr", "sh", "sk", "st", "str", "th", "tr",
	"qu", "sp", "",
};
static const char *const nuclei[] = {
	"a", "e", "i", "o", "u", "ai", "ea", "ee", "ie", "oo", "ou", "y", "io", "ue",
};
static const char *const codas[] = {
	"", "", "", "n", "r", "s", "t", "l", "m", "nd", "nt", "st", "ck", "ng", "x", "rk",
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char *pseudo_word(char *out, size_t cap)
{
	size_t n = 0;
	int syl = 1 + (int)rng_below(3);
	out[0] = 0;
	for (int i = 0; i < syl; i++) {
		const char *parts[3] = { onsets[rng_below(NELEM(onsets))],
		                         nuclei[rng_below(NELEM(nuclei))],
		                         codas[rng_below(NELEM(codas))] };
		for (int k = 0; k < 3; k++) {
			size_t l = strlen(parts[k]);
			if (n + l + 1 < cap) {
				memcpy(out + n, parts[k], l);
				n += l;
			}
		}
	}
	out[n] = 0;
	return out;
}

static void vocab_build(void)
{
	char w[64];
	double sum = 0, acc = 0;
	for (size_t i = 0; i < N_REAL; i++)
		vocab[i] = (char *)real_words[i];
	for (size_t i = N_REAL; i < N_VOCAB; i++)
		vocab[i] = strdup(pseudo_word(w, sizeof w));
	for (size_t i = 0; i < N_VOCAB; i++) {
		vocab_len[i] = (unsigned char)strlen(vocab[i]);
		sum += 1.0 / pow((double)(i + 1), 1.1);
	}
	for (size_t i = 0; i < N_VOCAB; i++) {
		acc += 1.0 / pow((double)(i + 1), 1.1) / sum;
		zipf_cdf[i] = acc;
	}
	zipf_cdf[N_VOCAB - 1] = 1.0;
}

static size_t zipf_word(void)
{
	double u = rng_unit();
	size_t lo = 0, hi = N_VOCAB - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- people --------------------------------------------------------------- */

enum { PLAT_X, PLAT_MASTODON };

typedef struct {
	int      platform;       /* where a custodian account lives (ndjson only) */
	char     handle[32];
	char     name[64];
	char     host[32];       /* Mastodon instance (used when rendered as Mastodon) */
	uint64_t id;             /* X user id */
	uint64_t mid;            /* Mastodon account id */
	char     description[160];
	char     location[40];
	char     url[64];
	int64_t  created_ms;
	uint32_t followers, friends, listed, favourites, statuses;
	int      verified;
	int      lang;
} user_t;

#define N_ACCOUNTS 20
#define N_USERS 320

static user_t users[N_USERS];

static const char *const hosts[] = {
	"mastodon.social", "fosstodon.org", "hachyderm.io", "mstdn.social", "infosec.exchange",
	"social.example.com",
};
static const char *const first_names[] = {
	"Ada", "Ben", "Chloé", "David", "Emma", "Farid", "Grace", "Hiro", "Inès", "Jonas",
	"Kemal", "Lena", "Marta", "Noah", "Olga", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
	"Uma", "Viktor", "Wen", "Xavier", "Yara", "Zoë",
};
static const char *const last_names[] = {
	"Andersen", "Bianchi", "Castillo", "Dubois", "Eriksson", "Fischer", "García", "Huang",
	"Ivanova", "Jensen", "Kowalski", "López", "Müller", "Nakamura", "O'Brien", "Petrov",
	"Quinn", "Rossi", "Schmidt", "Tanaka", "Usman", "Vargas", "Weber", "Xu", "Yilmaz",
	"Zimmermann",
};
static const char *const company_suffix[] = {
	" Inc.", " Support", " News", " Labs", " Careers", " Press", " Foundation", " Group",
	" Europe", " Status", "",
};
static const char *const cities[] = {
	"San Francisco, CA", "New York, NY", "London, England", "Berlin, Germany", "Paris",
	"Tokyo", "Toronto, Ontario", "Amsterdam", "Zürich", "São Paulo, Brasil", "Remote",
	"Seattle, WA", "Austin, TX", "Dublin, Ireland", "",
};
static const char *const langs[] = { "en", "en", "en", "en", "en", "de", "fr", "es", "ja", "pt" };

static void capitalize(char *s)
{
	if (*s >= 'a' && *s <= 'z')
		*s = (char)(*s - 'a' + 'A');
}

static void text_words(char *out, size_t cap, int n)
{
	size_t len = 0;
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		size_t w = zipf_word();
		if (len + vocab_len[w] + 2 >= cap)
			break;
		if (len)
			out[len++] = ' ';
		memcpy(out + len, vocab[w], vocab_len[w]);
		len += vocab_len[w];
	}
	out[len] = 0;
}

static void users_build(void)
{
	const int64_t t2008 = 1199145600000LL, t2019 = 1546300800000LL;
	char w[64];
	for (int i = 0; i < N_USERS; i++) {
		user_t *u = &users[i];
		u->platform = i < N_ACCOUNTS ? (i % 10 < 7 ? PLAT_X : PLAT_MASTODON) : PLAT_X;
		if (i < N_ACCOUNTS) {
			/* corporate accounts: a brand name and a function */
			pseudo_word(w, sizeof w);
			capitalize(w);
			const char *suf = company_suffix[rng_below(NELEM(company_suffix))];
			snprintf(u->name, sizeof u->name, "%s%s", w, suf);
			snprintf(u->handle, sizeof u->handle, "%.14s%s", w,
			         suf[0] ? suf + 1 : "");
			for (char *p = u->handle; *p; p++)
				if (*p == '.' || *p == ' ')
					*p = '_';
			snprintf(u->url, sizeof u->url, "https://www.%s.com", pseudo_word(w, sizeof w));
		} else {
			const char *f = first_names[rng_below(NELEM(first_names))];
			const char *l = last_names[rng_below(NELEM(last_names))];
			snprintf(u->name, sizeof u->name, "%s %s", f, l);
			snprintf(u->handle, sizeof u->handle, "%.10s%u", pseudo_word(w, sizeof w),
			         rng_below(1000));
			if (rng_chance(0.5))
				snprintf(u->url, sizeof u->url, "https://%s.example.org",
				         pseudo_word(w, sizeof w));
			else
				u->url[0] = 0;
		}
		snprintf(u->host, sizeof u->host, "%s", hosts[rng_below(NELEM(hosts))]);
		u->id = 10000000ULL + rng_u64() % 1500000000000000000ULL;
		u->mid = 100000ULL + rng_u64() % 110000000000000000ULL;
		text_words(u->description, sizeof u->description, 3 + (int)rng_below(8));
		snprintf(u->location, sizeof u->location, "%s", cities[rng_below(NELEM(cities))]);
		u->created_ms = rng_range(t2008, t2019);
		u->followers = i < N_ACCOUNTS ? 10000 + rng_below(2000000) : rng_below(5000);
		u->friends = rng_below(3000);
		u->listed = rng_below(i < N_ACCOUNTS ? 20000 : 50);
		u->favourites = rng_below(40000);
		u->statuses = 1000 + rng_below(90000);
		u->verified = i < N_ACCOUNTS ? rng_chance(0.6) : rng_chance(0.02);
		u->lang = (int)rng_below(NELEM(langs));
	}
}

/* ---- the post model ------------------------------------------------------- */

enum { K_POST, K_REPLY, K_REPOST, K_QUOTE };
enum { E_HASHTAG, E_MENTION, E_URL, E_CASHTAG };

typedef struct {
	int      type;
	uint16_t start, end;     /* byte offsets in the X text */
	uint16_t mstart, mend;   /* byte offsets in the Mastodon text (long URLs) */
	int      user;           /* mention */
	char     tco[24];        /* url: https://t.co/XXXXXXXXXX */
	char     expanded[96];   /* url */
} entity_t;

typedef struct {
	int      type;           /* 0 photo, 1 video, 2 animated_gif */
	uint64_t id;
	char     key[20];        /* media file key */
	uint32_t w, h, size;
	char     alt[80];
} media_t;

#define MAX_ENT 10
#define MAX_TEXT 1100

typedef struct post {
	uint64_t index;          /* position in the stream */
	int64_t  ms;             /* created_at */
	int      account;        /* custodian */
	int      author;
	int      kind;
	uint64_t xid, mid;       /* native ids on X and Mastodon */
	/* reply */
	uint64_t parent_xid, parent_mid, root_xid, root_mid;
	int      parent_author, root_author;
	/* repost / quote target: a copy of the shared post */
	struct post *target;
	/* content: the X form (t.co links) and the Mastodon form (full links) */
	char     text[MAX_TEXT];
	size_t   text_len;
	char     mtext[MAX_TEXT];
	size_t   mtext_len;
	entity_t ent[MAX_ENT];
	int      n_ent;
	char     title[120];     /* link title when the post shares a link */
	media_t  media[4];
	int      n_media;
	int      lang;
	int      source_app;
	int      visibility;     /* 0 public, 1 unlisted, 2 private */
	int      sensitive;
	char     spoiler[48];
	uint32_t retweets, favorites, replies, quotes;
	/* an edit: same post, new text, later in the stream */
	int      is_edit;
	uint64_t edit_xid;       /* the X id of this edit (X gives edits new ids) */
	int64_t  edited_ms;
} post_t;

static const char *const apps[][2] = {
	{ "Twitter Web App", "https://mobile.twitter.com" },
	{ "Twitter for iPhone", "http://twitter.com/download/iphone" },
	{ "Twitter for Android", "http://twitter.com/download/android" },
	{ "Sprout Social", "https://sproutsocial.com" },
	{ "Hootsuite Inc.", "https://www.hootsuite.com" },
	{ "Buffer", "https://buffer.com" },
	{ "TweetDeck", "https://about.twitter.com/products/tweetdeck" },
	{ "Zendesk", "https://www.zendesk.com" },
};
static const char *const domains[] = {
	"www.example.com", "blog.example.org", "news.example.net", "docs.example.com",
	"status.example.io", "www.youtube.com", "github.com", "www.linkedin.com",
	"medium.com", "www.nytimes.com", "techcrunch.com", "investor.example.com",
};
static const char *const tickers[] = {
	"AAPL", "MSFT", "GOOG", "AMZN", "TSLA", "NVDA", "META", "IBM", "ORCL", "SAP", "BTC",
};

#define TWEPOCH 1288834974657LL

/* Rings of recent posts per account: replies, reposts and quotes point at
 * them, so threads and targets stay on one platform and stay near in time. */
#define RING 64
static post_t *ring[N_ACCOUNTS][RING];
static uint64_t ring_n[N_ACCOUNTS];

/* Edits wait here until their turn in the stream. */
#define MAX_PENDING 512
static post_t *pending[MAX_PENDING];
static uint64_t pending_due[MAX_PENDING];
static int n_pending;

static size_t utf8_cps(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* Text building: the X form and the Mastodon form grow together; they
 * differ only in links (t.co in X, the full URL on Mastodon). */
typedef struct {
	post_t *p;
	size_t  limit;
} tb_t;

static int tb_fits(tb_t *t, size_t n)
{
	return t->p->text_len + n + 1 < t->limit && t->p->mtext_len + n + 100 < MAX_TEXT;
}

static void tb_add2(tb_t *t, const char *x, size_t xn, const char *m, size_t mn)
{
	post_t *p = t->p;
	memcpy(p->text + p->text_len, x, xn);
	p->text_len += xn;
	memcpy(p->mtext + p->mtext_len, m, mn);
	p->mtext_len += mn;
	p->text[p->text_len] = 0;
	p->mtext[p->mtext_len] = 0;
}

static void tb_add(tb_t *t, const char *s, size_t n) { tb_add2(t, s, n, s, n); }

static void tb_sep(tb_t *t)
{
	if (t->p->text_len && t->p->text[t->p->text_len - 1] != '\n')
		tb_add(t, rng_chance(0.03) ? "\n" : " ", 1);
}

static entity_t *tb_entity(tb_t *t, int type, const char *x, size_t xn, const char *m, size_t mn)
{
	post_t *p = t->p;
	if (p->n_ent >= MAX_ENT)
		return NULL;
	entity_t *e = &p->ent[p->n_ent++];
	memset(e, 0, sizeof *e);
	e->type = type;
	e->start = (uint16_t)p->text_len;
	e->mstart = (uint16_t)p->mtext_len;
	tb_add2(t, x, xn, m, mn);
	e->end = (uint16_t)p->text_len;
	e->mend = (uint16_t)p->mtext_len;
	return e;
}

static void tb_mention(tb_t *t, int user)
{
	char h[40];
	int n = snprintf(h, sizeof h, "@%s", users[user].handle);
	if (!tb_fits(t, (size_t)n) || t->p->n_ent >= MAX_ENT)
		return;
	tb_sep(t);
	entity_t *e = tb_entity(t, E_MENTION, h, (size_t)n, h, (size_t)n);
	e->user = user;
}

static void tb_hashtag(tb_t *t)
{
	char h[64];
	size_t w;
	do
		w = zipf_word();
	while (w < N_REAL); /* hashtags are pseudo-words: real top words make poor tags */
	int n = snprintf(h, sizeof h, "#%s", vocab[w]);
	if (rng_chance(0.3))
		h[1] = (char)(h[1] >= 'a' && h[1] <= 'z' ? h[1] - 'a' + 'A' : h[1]);
	if (!tb_fits(t, (size_t)n) || t->p->n_ent >= MAX_ENT)
		return;
	tb_sep(t);
	tb_entity(t, E_HASHTAG, h, (size_t)n, h, (size_t)n);
}

static void tb_cashtag(tb_t *t)
{
	char h[16];
	int n = snprintf(h, sizeof h, "$%s", tickers[rng_below(NELEM(tickers))]);
	if (!tb_fits(t, (size_t)n) || t->p->n_ent >= MAX_ENT)
		return;
	tb_sep(t);
	tb_entity(t, E_CASHTAG, h, (size_t)n, h, (size_t)n);
}

static const char tco_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static void tb_url(tb_t *t, const char *fixed)
{
	char tco[24], exp[96], w1[40], w2[40];
	memcpy(tco, "https://t.co/", 13);
	for (int i = 0; i < 10; i++)
		tco[13 + i] = tco_alphabet[rng_below(62)];
	tco[23] = 0;
	if (fixed)
		snprintf(exp, sizeof exp, "%s", fixed);
	else
		snprintf(exp, sizeof exp, "https://%s/%u/%s-%s", domains[rng_below(NELEM(domains))],
		         2020 + rng_below(5), pseudo_word(w1, 20), pseudo_word(w2, 20));
	if (!tb_fits(t, strlen(exp)) || t->p->n_ent >= MAX_ENT)
		return;
	tb_sep(t);
	entity_t *e = tb_entity(t, E_URL, tco, 23, exp, strlen(exp));
	memcpy(e->tco, tco, sizeof tco);
	snprintf(e->expanded, sizeof e->expanded, "%s", exp);
}

static void tb_words(tb_t *t, size_t target)
{
	int first = t->p->text_len == 0;
	while (t->p->text_len < target) {
		size_t w = zipf_word();
		if (!tb_fits(t, vocab_len[w] + 1))
			break;
		tb_sep(t);
		if (first && vocab[w][0] >= 'a' && vocab[w][0] <= 'z') {
			char c = (char)(vocab[w][0] - 'a' + 'A');
			tb_add(t, &c, 1);
			tb_add(t, vocab[w] + 1, vocab_len[w] - 1u);
		} else {
			tb_add(t, vocab[w], vocab_len[w]);
		}
		first = 0;
		if (rng_chance(0.06) && tb_fits(t, 1))
			tb_add(t, rng_chance(0.7) ? "." : ",", 1);
	}
}

/* Length of a post's text: short ones are common, 280 is a hard wall. */
static size_t text_target(void)
{
	double u = rng_unit();
	size_t n = u < 0.35 ? (size_t)rng_range(10, 80)
	         : u < 0.80 ? (size_t)rng_range(80, 200) : (size_t)rng_range(200, 280);
	return n;
}

static int64_t t_start = 1577836800000LL; /* 2020-01-01 */
static int64_t t_span = 5LL * 365 * 86400000LL;

static uint64_t x_snowflake(int64_t ms, uint64_t index)
{
	return ((uint64_t)(ms - TWEPOCH) << 22) | (index & 0x3fffff);
}

static uint64_t m_snowflake(int64_t ms, uint64_t index)
{
	return ((uint64_t)ms << 16) | (index & 0xffff);
}

static post_t *pick_recent(int acct)
{
	uint64_t n = ring_n[acct];
	if (!n)
		return NULL;
	uint64_t back = n < RING ? n : RING;
	/* favour the most recent posts */
	uint64_t k = (uint64_t)(back * rng_unit() * rng_unit());
	return ring[acct][(n - 1 - k) % RING];
}

static void post_content(post_t *p, int reply_to_user)
{
	tb_t t = { p, 281 };
	size_t target = text_target();
	p->n_ent = 0;
	p->text_len = p->mtext_len = 0;
	p->text[0] = p->mtext[0] = 0;
	p->title[0] = 0;
	if (reply_to_user >= 0) {
		tb_mention(&t, reply_to_user);
		if (rng_chance(0.2))
			tb_mention(&t, N_ACCOUNTS + (int)rng_below(N_USERS - N_ACCOUNTS));
	}
	if (rng_chance(0.12))
		tb_mention(&t, (int)rng_below(N_USERS));
	size_t first_part = target / 2;
	tb_words(&t, first_part);
	if (rng_chance(0.05))
		tb_cashtag(&t);
	tb_words(&t, target - (target > 40 ? 30 : 0));
	if (rng_chance(0.28)) {
		tb_url(&t, NULL);
		if (rng_chance(0.6))
			text_words(p->title, sizeof p->title, 4 + (int)rng_below(8));
	}
	int tags = rng_chance(0.35) ? 1 + (int)rng_below(3) : 0;
	for (int i = 0; i < tags; i++)
		tb_hashtag(&t);
	if (p->text_len < 10)
		tb_words(&t, 10);
	p->n_media = 0;
	if (rng_chance(0.15)) {
		p->n_media = 1 + (rng_chance(0.2) ? (int)rng_below(3) : 0);
		for (int i = 0; i < p->n_media; i++) {
			media_t *m = &p->media[i];
			m->type = rng_chance(0.85) ? 0 : rng_chance(0.7) ? 1 : 2;
			m->id = x_snowflake(p->ms, p->index) + 1 + (uint64_t)i;
			for (int k = 0; k < 15; k++)
				m->key[k] = tco_alphabet[rng_below(62)];
			m->key[15] = 0;
			m->w = 600 + rng_below(3400);
			m->h = 400 + rng_below(2600);
			m->size = 20000 + rng_below(m->type == 1 ? 20000000 : 900000);
			if (rng_chance(0.4))
				text_words(m->alt, sizeof m->alt, 3 + (int)rng_below(8));
			else
				m->alt[0] = 0;
		}
	}
}

static void post_make(post_t *p, uint64_t index, uint64_t n_total)
{
	int64_t step = t_span / (int64_t)(n_total ? n_total : 1);
	if (step < 4)
		step = 4;
	memset(p, 0, sizeof *p);
	p->index = index;
	/* strictly increasing times: each post in its own slot of the span */
	p->ms = t_start + (int64_t)index * step + rng_range(0, step / 2);
	p->account = (int)rng_below(N_ACCOUNTS);
	p->author = rng_chance(0.85) ? p->account
	          : N_ACCOUNTS + (int)rng_below(N_USERS - N_ACCOUNTS);
	p->xid = x_snowflake(p->ms, index);
	p->mid = m_snowflake(p->ms, index);
	p->lang = users[p->author].lang;
	if (rng_chance(0.1))
		p->lang = (int)rng_below(NELEM(langs));
	p->source_app = (int)rng_below(NELEM(apps));
	double u = rng_unit();
	post_t *target = pick_recent(p->account);
	p->kind = !target ? K_POST : u < 0.30 ? K_REPLY : u < 0.40 ? K_REPOST
	        : u < 0.43 ? K_QUOTE : K_POST;
	p->visibility = rng_chance(0.85) ? 0 : rng_chance(0.6) ? 1 : 2;
	p->sensitive = rng_chance(0.02);
	if (p->sensitive)
		text_words(p->spoiler, sizeof p->spoiler, 2 + (int)rng_below(3));
	else
		p->spoiler[0] = 0;
	p->retweets = rng_chance(0.5) ? 0 : (uint32_t)(pow(rng_unit(), 4) * 5000);
	p->favorites = rng_chance(0.3) ? 0 : (uint32_t)(pow(rng_unit(), 4) * 20000);
	p->replies = rng_below(40);
	p->quotes = rng_below(10);
	p->target = NULL;
	switch (p->kind) {
	case K_REPLY:
		p->parent_xid = target->xid;
		p->parent_mid = target->mid;
		p->parent_author = target->author;
		if (target->kind == K_REPLY) {
			p->root_xid = target->root_xid;
			p->root_mid = target->root_mid;
			p->root_author = target->root_author;
		} else {
			p->root_xid = target->xid;
			p->root_mid = target->mid;
			p->root_author = target->author;
		}
		post_content(p, target->author);
		break;
	case K_REPOST:
		/* a repost of a repost shares the original */
		if (target->kind == K_REPOST)
			target = target->target;
		p->target = target;
		p->author = p->account;
		p->n_ent = 0;
		p->n_media = 0;
		break;
	case K_QUOTE:
		if (target->kind == K_REPOST)
			target = target->target;
		p->target = target;
		post_content(p, -1);
		break;
	default:
		post_content(p, -1);
	}
	if (p->kind == K_QUOTE) {
		/* X shows a quote's link to the quoted post at the end of the text */
		char link[96];
		snprintf(link, sizeof link, "https://twitter.com/%s/status/%" PRIu64,
		         users[p->target->author].handle, p->target->xid);
		tb_t t = { p, 320 };
		tb_url(&t, link);
	}
}

/* An edit of p: the same id with reworded text, at a later time. */
static void post_edit(post_t *e, const post_t *p)
{
	memcpy(e, p, sizeof *e);
	e->is_edit = 1;
	e->edited_ms = p->ms + rng_range(30000, 3600000);
	/* reword: keep the leading part, write a new tail */
	tb_t t = { e, 281 };
	size_t keep = e->text_len / 2;
	while (e->n_ent && e->ent[e->n_ent - 1].end > keep) {
		if (e->ent[e->n_ent - 1].start < keep)
			keep = e->ent[e->n_ent - 1].start;
		e->n_ent--;
	}
	/* cut both forms at the same place: past the last kept entity the two
	 * texts are the same bytes, shifted by the links' length difference */
	size_t mkeep = keep;
	if (e->n_ent) {
		const entity_t *l = &e->ent[e->n_ent - 1];
		mkeep = keep - l->end + l->mend;
	}
	/* step back to a character boundary */
	while (keep > 0 && ((unsigned char)e->text[keep] & 0xC0) == 0x80) {
		keep--;
		mkeep--;
	}
	e->text_len = keep;
	e->mtext_len = mkeep;
	e->text[keep] = 0;
	e->mtext[mkeep] = 0;
	tb_words(&t, keep + 20 + rng_below(80));
	if (rng_chance(0.3))
		tb_hashtag(&t);
}

/* ---- JSON writer: compact, or pretty as X archives are ---------------- */

typedef struct {
	char  *p;
	size_t len, cap;
	int    pretty;           /* X archive layout: 2-space indent, " : " */
	int    numstr;           /* numbers as strings (X archives) */
	int    depth;
	int    first[32];
	int    base;             /* indentation added to every line */
	int    ind;              /* spaces per level when pretty (0: 2) */
	const char *colon;       /* between key and value when pretty (NULL: " : ") */
	int    fbesc;            /* Facebook: every byte >= 0x80 as a \u00XX escape */
	int    slash;            /* Slack: '/' as "\/" */
	FILE  *fp;               /* where out_flush writes (NULL: stdout) */
} jw_t;

static void out_reserve(jw_t *w, size_t n)
{
	if (w->len + n <= w->cap)
		return;
	size_t cap = w->cap ? w->cap : 1 << 20;
	while (cap < w->len + n)
		cap *= 2;
	w->p = realloc(w->p, cap);
	if (!w->p) {
		fprintf(stderr, "gen: out of memory\n");
		exit(1);
	}
	w->cap = cap;
}

static inline void out_raw(jw_t *w, const char *s, size_t n)
{
	out_reserve(w, n);
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static inline void out_c(jw_t *w, char c)
{
	out_reserve(w, 1);
	w->p[w->len++] = c;
}

static void out_s(jw_t *w, const char *s) { out_raw(w, s, strlen(s)); }

static void out_f(jw_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_f(jw_t *w, const char *fmt, ...)
{
	va_list ap;
	out_reserve(w, 256);
	va_start(ap, fmt);
	int n = vsnprintf(w->p + w->len, 256, fmt, ap);
	va_end(ap);
	if (n >= 256) {
		out_reserve(w, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(w->p + w->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	w->len += (size_t)n;
}

static void out_flush(jw_t *w, int force)
{
	if (w->len >= (1 << 20) || (force && w->len)) {
		if (fwrite(w->p, 1, w->len, w->fp ? w->fp : stdout) != w->len) {
			perror("gen: write");
			exit(1);
		}
		w->len = 0;
	}
}

static void out_indent(jw_t *w)
{
	out_c(w, '\n');
	for (int i = 0; i < w->base + w->depth * (w->ind ? w->ind : 2); i++)
		out_c(w, ' ');
}

static void j_esc(jw_t *w, const char *s, size_t n)
{
	out_reserve(w, n * 6 + 2);
	char *o = w->p + w->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c < 0x20 || (c >= 0x80 && w->fbesc)) {
			o += sprintf(o, "\\u%04x", c);
		} else if (c == '/' && w->slash) {
			*o++ = '\\';
			*o++ = '/';
		} else {
			*o++ = (char)c;
		}
	}
	*o++ = '"';
	w->len = (size_t)(o - w->p);
}

static void j_key(jw_t *w, const char *key)
{
	if (w->depth > 0) {
		if (!w->first[w->depth])
			out_c(w, ',');
		w->first[w->depth] = 0;
		if (w->pretty)
			out_indent(w);
	}
	if (key) {
		j_esc(w, key, strlen(key));
		if (w->pretty)
			out_s(w, w->colon ? w->colon : " : ");
		else
			out_c(w, ':');
	}
}

static void j_open(jw_t *w, const char *key, char c)
{
	j_key(w, key);
	out_c(w, c);
	w->depth++;
	w->first[w->depth] = 1;
}

static void j_close(jw_t *w, char c)
{
	int empty = w->first[w->depth];
	w->depth--;
	if (w->pretty) {
		if (empty)
			out_c(w, ' ');
		else
			out_indent(w);
	}
	out_c(w, c);
}

static void j_strn(jw_t *w, const char *key, const char *s, size_t n)
{
	j_key(w, key);
	j_esc(w, s, n);
}

static void j_str(jw_t *w, const char *key, const char *s) { j_strn(w, key, s, strlen(s)); }

static void j_u64(jw_t *w, const char *key, uint64_t v)
{
	j_key(w, key);
	out_f(w, w->numstr ? "\"%" PRIu64 "\"" : "%" PRIu64, v);
}

/* ids with an _str twin, as X writes them */
static void j_id(jw_t *w, const char *key, uint64_t v)
{
	char k[64];
	j_u64(w, key, v);
	snprintf(k, sizeof k, "%s_str", key);
	j_key(w, k);
	out_f(w, "\"%" PRIu64 "\"", v);
}

static void j_bool(jw_t *w, const char *key, int v)
{
	j_key(w, key);
	out_s(w, v ? "true" : "false");
}

static void j_null(jw_t *w, const char *key)
{
	j_key(w, key);
	out_s(w, "null");
}

static void j_ms_rfc3339(jw_t *w, const char *key, int64_t ms, int frac)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char b[48];
	gmtime_r(&s, &tm);
	size_t n = strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac)
		snprintf(b + n, sizeof b - n, ".%03dZ", (int)(ms % 1000));
	else
		snprintf(b + n, sizeof b - n, "Z");
	j_str(w, key, b);
}

static void j_ms_twitter(jw_t *w, const char *key, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char b[48];
	gmtime_r(&s, &tm);
	strftime(b, sizeof b, "%a %b %d %H:%M:%S +0000 %Y", &tm);
	j_str(w, key, b);
}

/* ---- rendering: X (API v1.1 and archive) --------------------------------- */

static uint64_t out_xid(const post_t *p) { return p->is_edit ? p->edit_xid : p->xid; }

static void x_indices(jw_t *w, const post_t *p, const entity_t *e, size_t shift)
{
	j_open(w, "indices", '[');
	j_u64(w, NULL, shift + utf8_cps(p->text, e->start));
	j_u64(w, NULL, shift + utf8_cps(p->text, e->end));
	j_close(w, ']');
}

static void x_entities(jw_t *w, const post_t *p, size_t shift, int archive)
{
	j_open(w, "entities", '{');
	j_open(w, "hashtags", '[');
	for (int i = 0; i < p->n_ent; i++) {
		const entity_t *e = &p->ent[i];
		if (e->type != E_HASHTAG)
			continue;
		j_open(w, NULL, '{');
		j_strn(w, "text", p->text + e->start + 1, e->end - e->start - 1u);
		x_indices(w, p, e, shift);
		j_close(w, '}');
	}
	j_close(w, ']');
	j_open(w, "symbols", '[');
	for (int i = 0; i < p->n_ent; i++) {
		const entity_t *e = &p->ent[i];
		if (e->type != E_CASHTAG)
			continue;
		j_open(w, NULL, '{');
		j_strn(w, "text", p->text + e->start + 1, e->end - e->start - 1u);
		x_indices(w, p, e, shift);
		j_close(w, '}');
	}
	j_close(w, ']');
	j_open(w, "user_mentions", '[');
	for (int i = 0; i < p->n_ent; i++) {
		const entity_t *e = &p->ent[i];
		if (e->type != E_MENTION)
			continue;
		const user_t *u = &users[e->user];
		j_open(w, NULL, '{');
		j_str(w, "screen_name", u->handle);
		j_str(w, "name", u->name);
		j_id(w, "id", u->id);
		x_indices(w, p, e, shift);
		j_close(w, '}');
	}
	j_close(w, ']');
	j_open(w, "urls", '[');
	for (int i = 0; i < p->n_ent; i++) {
		const entity_t *e = &p->ent[i];
		char disp[48];
		if (e->type != E_URL)
			continue;
		const char *x = strstr(e->expanded, "://");
		x = x ? x + 3 : e->expanded;
		if (strlen(x) > 26)
			snprintf(disp, sizeof disp, "%.26s…", x);
		else
			snprintf(disp, sizeof disp, "%s", x);
		j_open(w, NULL, '{');
		j_str(w, "url", e->tco);
		j_str(w, "expanded_url", e->expanded);
		j_str(w, "display_url", disp);
		x_indices(w, p, e, shift);
		j_close(w, '}');
	}
	j_close(w, ']');
	if (p->n_media && !archive) {
		/* v1.1 lists the first photo in entities.media too; keep it short */
		const media_t *m = &p->media[0];
		j_open(w, "media", '[');
		j_open(w, NULL, '{');
		j_id(w, "id", m->id);
		j_str(w, "media_url_https", "https://pbs.twimg.com/media/");
		j_str(w, "type", m->type == 0 ? "photo" : m->type == 1 ? "video" : "animated_gif");
		j_close(w, '}');
		j_close(w, ']');
	}
	j_close(w, '}');
}

static void x_extended_media(jw_t *w, const post_t *p)
{
	char b[160];
	if (!p->n_media)
		return;
	j_open(w, "extended_entities", '{');
	j_open(w, "media", '[');
	for (int i = 0; i < p->n_media; i++) {
		const media_t *m = &p->media[i];
		const char *type = m->type == 0 ? "photo" : m->type == 1 ? "video" : "animated_gif";
		j_open(w, NULL, '{');
		j_id(w, "id", m->id);
		snprintf(b, sizeof b, "https://pbs.twimg.com/%s/%s.jpg",
		         m->type == 0 ? "media" : "ext_tw_video_thumb", m->key);
		j_str(w, "media_url_https", b);
		j_str(w, "type", type);
		if (m->alt[0])
			j_str(w, "ext_alt_text", m->alt);
		j_open(w, "original_info", '{');
		j_u64(w, "width", m->w);
		j_u64(w, "height", m->h);
		j_close(w, '}');
		if (m->type) {
			j_open(w, "video_info", '{');
			j_u64(w, "duration_millis", m->size / 1000);
			j_open(w, "variants", '[');
			j_open(w, NULL, '{');
			j_u64(w, "bitrate", 832000);
			j_str(w, "content_type", "video/mp4");
			snprintf(b, sizeof b, "https://video.twimg.com/ext_tw_video/%" PRIu64 "/pu/vid/%ux%u/%s.mp4",
			         m->id, m->w, m->h, m->key);
			j_str(w, "url", b);
			j_close(w, '}');
			j_close(w, ']');
			j_close(w, '}');
		}
		j_close(w, '}');
	}
	j_close(w, ']');
	j_close(w, '}');
}

static void x_user(jw_t *w, const user_t *u)
{
	j_open(w, "user", '{');
	j_id(w, "id", u->id);
	j_str(w, "name", u->name);
	j_str(w, "screen_name", u->handle);
	j_str(w, "location", u->location);
	j_str(w, "description", u->description);
	if (u->url[0])
		j_str(w, "url", u->url);
	else
		j_null(w, "url");
	j_bool(w, "protected", 0);
	j_u64(w, "followers_count", u->followers);
	j_u64(w, "friends_count", u->friends);
	j_ms_twitter(w, "created_at", u->created_ms);
	j_u64(w, "favourites_count", u->favourites);
	j_bool(w, "verified", u->verified);
	j_u64(w, "statuses_count", u->statuses);
	j_close(w, '}');
}

/* One tweet object. archive: the X archive's layout (no user object,
 * full_text, edit_info, numbers as strings by the writer). */
static void x_tweet(jw_t *w, const post_t *p, int archive, const char *key)
{
	const user_t *au = &users[p->author];
	uint64_t id = out_xid(p);
	char src[160];

	j_open(w, key, '{');
	if (archive) {
		j_open(w, "edit_info", '{');
		if (p->is_edit) {
			j_open(w, "edit", '{');
			j_u64(w, "initialTweetId", p->xid);
			j_open(w, "editControlInitial", '{');
			j_open(w, "editTweetIds", '[');
			j_u64(w, NULL, p->xid);
			j_u64(w, NULL, id);
			j_close(w, ']');
			j_ms_rfc3339(w, "editableUntil", p->ms + 3600000, 1);
			j_u64(w, "editsRemaining", 4);
			j_bool(w, "isEditEligible", 1);
			j_close(w, '}');
			j_close(w, '}');
		} else {
			j_open(w, "initial", '{');
			j_open(w, "editTweetIds", '[');
			j_u64(w, NULL, id);
			j_close(w, ']');
			j_ms_rfc3339(w, "editableUntil", p->ms + 3600000, 1);
			j_u64(w, "editsRemaining", 5);
			j_bool(w, "isEditEligible", p->kind == K_POST);
			j_close(w, '}');
		}
		j_close(w, '}');
		j_bool(w, "retweeted", 0);
		snprintf(src, sizeof src, "<a href=\"%s\" rel=\"nofollow\">%s</a>",
		         apps[p->source_app][1], apps[p->source_app][0]);
		j_str(w, "source", src);
	} else {
		j_ms_twitter(w, "created_at", p->is_edit ? p->edited_ms : p->ms);
		j_id(w, "id", id);
	}

	/* reposts: "RT @author: " + the original text, entities shifted */
	const post_t *body = p->kind == K_REPOST ? p->target : p;
	char rt[64] = "";
	size_t shift = 0;
	if (p->kind == K_REPOST) {
		snprintf(rt, sizeof rt, "RT @%s: ", users[body->author].handle);
		shift = utf8_cps(rt, strlen(rt));
	}
	if (archive) {
		x_entities(w, body, shift, 1);
		if (body->n_media)
			x_extended_media(w, body);
		j_open(w, "display_text_range", '[');
		j_u64(w, NULL, 0);
		j_u64(w, NULL, shift + utf8_cps(body->text, body->text_len));
		j_close(w, ']');
		j_u64(w, "favorite_count", p->favorites);
		if (p->kind == K_REPLY) {
			j_id(w, "in_reply_to_status_id", p->parent_xid);
			j_id(w, "in_reply_to_user_id", users[p->parent_author].id);
			j_str(w, "in_reply_to_screen_name", users[p->parent_author].handle);
		}
		j_id(w, "id", id);
		j_bool(w, "truncated", 0);
		j_u64(w, "retweet_count", p->retweets);
		if (body->n_ent)
			j_bool(w, "possibly_sensitive", p->sensitive);
		j_ms_twitter(w, "created_at", p->is_edit ? p->edited_ms : p->ms);
		j_bool(w, "favorited", 0);
		j_key(w, "full_text");
		{
			out_reserve(w, 16);
			size_t n0 = strlen(rt);
			char *tmp = malloc(n0 + body->text_len + 1);
			memcpy(tmp, rt, n0);
			memcpy(tmp + n0, body->text, body->text_len);
			j_esc(w, tmp, n0 + body->text_len);
			free(tmp);
		}
		j_str(w, "lang", langs[p->lang]);
		j_close(w, '}');
		return;
	}

	/* API v1.1 with tweet_mode=extended */
	{
		size_t n0 = strlen(rt);
		char *tmp = malloc(n0 + body->text_len + 1);
		memcpy(tmp, rt, n0);
		memcpy(tmp + n0, body->text, body->text_len);
		j_strn(w, "full_text", tmp, n0 + body->text_len);
		free(tmp);
	}
	j_bool(w, "truncated", 0);
	j_open(w, "display_text_range", '[');
	j_u64(w, NULL, 0);
	j_u64(w, NULL, shift + utf8_cps(body->text, body->text_len));
	j_close(w, ']');
	x_entities(w, body, shift, 0);
	if (body->n_media)
		x_extended_media(w, body);
	snprintf(src, sizeof src, "<a href=\"%s\" rel=\"nofollow\">%s</a>",
	         apps[p->source_app][1], apps[p->source_app][0]);
	j_str(w, "source", src);
	if (p->kind == K_REPLY) {
		j_id(w, "in_reply_to_status_id", p->parent_xid);
		j_id(w, "in_reply_to_user_id", users[p->parent_author].id);
		j_str(w, "in_reply_to_screen_name", users[p->parent_author].handle);
	} else {
		j_null(w, "in_reply_to_status_id");
		j_null(w, "in_reply_to_status_id_str");
		j_null(w, "in_reply_to_user_id");
		j_null(w, "in_reply_to_user_id_str");
		j_null(w, "in_reply_to_screen_name");
	}
	x_user(w, au);
	if (p->kind == K_REPOST)
		x_tweet(w, p->target, 0, "retweeted_status");
	j_bool(w, "is_quote_status", p->kind == K_QUOTE);
	if (p->kind == K_QUOTE && p->target) {
		j_id(w, "quoted_status_id", p->target->xid);
		x_tweet(w, p->target, 0, "quoted_status");
	}
	j_u64(w, "retweet_count", p->retweets);
	j_u64(w, "favorite_count", p->favorites);
	j_bool(w, "favorited", 0);
	j_bool(w, "retweeted", p->kind == K_REPOST);
	if (body->n_ent)
		j_bool(w, "possibly_sensitive", p->sensitive);
	j_str(w, "lang", langs[p->lang]);
	if (p->is_edit) {
	/* only edits say so: the collector saw the first version without it */
	j_open(w, "edit_history", '{');
	j_id(w, "initial_tweet_id", p->xid);
	j_open(w, "edit_tweet_ids", '[');
	snprintf(src, sizeof src, "%" PRIu64, p->xid);
	j_str(w, NULL, src);
	if (p->is_edit) {
		snprintf(src, sizeof src, "%" PRIu64, id);
		j_str(w, NULL, src);
	}
	j_close(w, ']');
	j_close(w, '}');
	}
	j_close(w, '}');
}

/* ---- rendering: Mastodon REST Status ------------------------------------ */

/* XML/HTML escaping; with br, a line break becomes <br /> (HTML content). */
static void esc_markup(jw_t *h, const char *s, size_t n, int br)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': out_s(h, "&amp;"); break;
		case '<': out_s(h, "&lt;"); break;
		case '>': out_s(h, "&gt;"); break;
		case '"': out_s(h, "&quot;"); break;
		case '\n': if (br) { out_s(h, "<br />"); break; } /* fall through */
		default: out_c(h, s[i]);
		}
	}
}

static void m_html_esc(jw_t *h, const char *s, size_t n)
{
	esc_markup(h, s, n, 1);
}

/* The Mastodon HTML of a post's text, with its links, mentions and tags. */
static void m_content(jw_t *h, const post_t *p, const char *author_host)
{
	size_t at = 0;
	out_s(h, "<p>");
	for (int i = 0; i < p->n_ent; i++) {
		const entity_t *e = &p->ent[i];
		const char *s = p->mtext + e->mstart;
		size_t n = e->mend - e->mstart;
		m_html_esc(h, p->mtext + at, e->mstart - at);
		switch (e->type) {
		case E_MENTION: {
			const user_t *u = &users[e->user];
			out_f(h, "<span class=\"h-card\" translate=\"no\"><a href=\"https://%s/@%s\" "
			      "class=\"u-url mention\">@<span>%s</span></a></span>", u->host, u->handle,
			      u->handle);
			break;
		}
		case E_HASHTAG:
			out_f(h, "<a href=\"https://%s/tags/%.*s\" class=\"mention hashtag\" rel=\"tag\">"
			      "#<span>%.*s</span></a>", author_host, (int)n - 1, s + 1, (int)n - 1, s + 1);
			break;
		case E_URL: {
			const char *x = strstr(e->expanded, "://");
			x = x ? x + 3 : e->expanded;
			size_t xl = strlen(x);
			out_f(h, "<a href=\"%s\" target=\"_blank\" rel=\"nofollow noopener noreferrer\" "
			      "translate=\"no\"><span class=\"invisible\">https://</span>"
			      "<span class=\"%s\">%.30s</span><span class=\"invisible\">%s</span></a>",
			      e->expanded, xl > 30 ? "ellipsis" : "", x, xl > 30 ? x + 30 : "");
			break;
		}
		default:
			m_html_esc(h, s, n);
		}
		at = e->mend;
	}
	m_html_esc(h, p->mtext + at, p->mtext_len - at);
	out_s(h, "</p>");
}

static void m_account(jw_t *w, const user_t *u, const char *viewer_host)
{
	char b[200];
	j_open(w, "account", '{');
	snprintf(b, sizeof b, "%" PRIu64, u->mid);
	j_str(w, "id", b);
	j_str(w, "username", u->handle);
	if (strcmp(u->host, viewer_host) == 0)
		j_str(w, "acct", u->handle);
	else {
		snprintf(b, sizeof b, "%s@%s", u->handle, u->host);
		j_str(w, "acct", b);
	}
	j_str(w, "display_name", u->name);
	j_bool(w, "locked", 0);
	j_bool(w, "bot", 0);
	j_ms_rfc3339(w, "created_at", u->created_ms - u->created_ms % 86400000, 1);
	snprintf(b, sizeof b, "<p>%s</p>", u->description);
	j_str(w, "note", b);
	snprintf(b, sizeof b, "https://%s/@%s", u->host, u->handle);
	j_str(w, "url", b);
	snprintf(b, sizeof b, "https://files.%s/accounts/avatars/%03" PRIu64 "/original/%.8s.png",
	         u->host, u->mid % 1000, u->handle);
	j_str(w, "avatar", b);
	j_u64(w, "followers_count", u->followers);
	j_u64(w, "following_count", u->friends);
	j_u64(w, "statuses_count", u->statuses);
	j_close(w, '}');
}

static void m_status(jw_t *w, const post_t *p, const char *key, const char *viewer_host)
{
	const user_t *au = &users[p->author];
	char b[300];
	jw_t h = { 0 };
	static const char *const vis[] = { "public", "unlisted", "private" };

	j_open(w, key, '{');
	/* Mastodon ids are strings in JSON */
	snprintf(b, sizeof b, "%" PRIu64, p->mid);
	j_str(w, "id", b);
	j_ms_rfc3339(w, "created_at", p->ms, 1);
	if (p->kind == K_REPLY) {
		snprintf(b, sizeof b, "%" PRIu64, p->parent_mid);
		j_str(w, "in_reply_to_id", b);
		snprintf(b, sizeof b, "%" PRIu64, users[p->parent_author].mid);
		j_str(w, "in_reply_to_account_id", b);
	} else {
		j_null(w, "in_reply_to_id");
		j_null(w, "in_reply_to_account_id");
	}
	j_bool(w, "sensitive", p->sensitive);
	j_str(w, "spoiler_text", p->spoiler);
	j_str(w, "visibility", vis[p->visibility]);
	j_str(w, "language", langs[p->lang]);
	snprintf(b, sizeof b, "https://%s/users/%s/statuses/%" PRIu64, au->host, au->handle, p->mid);
	j_str(w, "uri", b);
	snprintf(b, sizeof b, "https://%s/@%s/%" PRIu64, au->host, au->handle, p->mid);
	j_str(w, "url", b);
	j_u64(w, "replies_count", p->replies);
	j_u64(w, "reblogs_count", p->retweets);
	j_u64(w, "favourites_count", p->favorites);
	if (p->is_edit)
		j_ms_rfc3339(w, "edited_at", p->edited_ms, 1);
	else
		j_null(w, "edited_at");
	if (p->kind == K_REPOST) {
		j_str(w, "content", "");
		m_status(w, p->target, "reblog", viewer_host);
	} else {
		m_content(&h, p, au->host);
		j_strn(w, "content", h.p, h.len);
		j_null(w, "reblog");
	}
	free(h.p);
	j_open(w, "application", '{');
	j_str(w, "name", apps[p->source_app][0]);
	j_str(w, "website", apps[p->source_app][1]);
	j_close(w, '}');
	m_account(w, au, viewer_host);
	j_open(w, "media_attachments", '[');
	for (int i = 0; i < p->n_media && p->kind != K_REPOST; i++) {
		const media_t *m = &p->media[i];
		static const char *const mt[] = { "image", "video", "gifv" };
		j_open(w, NULL, '{');
		snprintf(b, sizeof b, "%" PRIu64, m->id);
		j_str(w, "id", b);
		j_str(w, "type", mt[m->type]);
		snprintf(b, sizeof b, "https://files.%s/media_attachments/files/%s.%s", au->host,
		         m->key, m->type ? "mp4" : "jpeg");
		j_str(w, "url", b);
		snprintf(b, sizeof b, "https://files.%s/media_attachments/files/small/%s.jpeg",
		         au->host, m->key);
		j_str(w, "preview_url", b);
		j_open(w, "meta", '{');
		j_open(w, "original", '{');
		j_u64(w, "width", m->w);
		j_u64(w, "height", m->h);
		j_close(w, '}');
		j_close(w, '}');
		if (m->alt[0])
			j_str(w, "description", m->alt);
		else
			j_null(w, "description");
		j_str(w, "blurhash", "UEHLh[WB2yk8pyoJadR*.7kCMdnjS#M|%1%2");
		j_close(w, '}');
	}
	j_close(w, ']');
	j_open(w, "mentions", '[');
	for (int i = 0; i < p->n_ent; i++) {
		const entity_t *e = &p->ent[i];
		if (e->type != E_MENTION || p->kind == K_REPOST)
			continue;
		const user_t *u = &users[e->user];
		j_open(w, NULL, '{');
		snprintf(b, sizeof b, "%" PRIu64, u->mid);
		j_str(w, "id", b);
		j_str(w, "username", u->handle);
		snprintf(b, sizeof b, "https://%s/@%s", u->host, u->handle);
		j_str(w, "url", b);
		snprintf(b, sizeof b, "%s@%s", u->handle, u->host);
		j_str(w, "acct", b);
		j_close(w, '}');
	}
	j_close(w, ']');
	j_open(w, "tags", '[');
	for (int i = 0; i < p->n_ent; i++) {
		const entity_t *e = &p->ent[i];
		if (e->type != E_HASHTAG || p->kind == K_REPOST)
			continue;
		int n = e->mend - e->mstart - 1;
		j_open(w, NULL, '{');
		j_strn(w, "name", p->mtext + e->mstart + 1, (size_t)n);
		snprintf(b, sizeof b, "https://%s/tags/%.*s", au->host, n, p->mtext + e->mstart + 1);
		j_str(w, "url", b);
		j_close(w, '}');
	}
	j_close(w, ']');
	j_open(w, "emojis", '[');
	j_close(w, ']');
	if (p->title[0] && p->kind != K_REPOST) {
		const entity_t *url = NULL;
		for (int i = 0; i < p->n_ent; i++)
			if (p->ent[i].type == E_URL)
				url = &p->ent[i];
		if (url) {
			j_open(w, "card", '{');
			j_str(w, "url", url->expanded);
			j_str(w, "title", p->title);
			j_str(w, "description", "");
			j_str(w, "type", "link");
			j_close(w, '}');
		} else {
			j_null(w, "card");
		}
	} else {
		j_null(w, "card");
	}
	j_null(w, "poll");
	j_close(w, '}');
}

/* ---- rendering: the custos canonical record (ndjson) --------------------- */

static void rec_id(char *b, size_t cap, const post_t *p, uint64_t xid, uint64_t mid, int author)
{
	if (users[p->account].platform == PLAT_X)
		snprintf(b, cap, "x:%" PRIu64, xid);
	else
		snprintf(b, cap, "mastodon:%s:%" PRIu64, users[author].host, mid);
}

static void rec_permalink(char *b, size_t cap, const post_t *p, const post_t *of)
{
	const user_t *u = &users[of->author];
	if (users[p->account].platform == PLAT_X)
		snprintf(b, cap, "https://x.com/%s/status/%" PRIu64, u->handle, of->xid);
	else
		snprintf(b, cap, "https://%s/@%s/%" PRIu64, u->host, u->handle, of->mid);
}

static void ndjson_record(jw_t *w, const post_t *p)
{
	static const char *const kinds[] = { "post", "reply", "repost", "quote" };
	static const char *const vis[] = { "public", "unlisted", "private" };
	const int x = users[p->account].platform == PLAT_X;
	const user_t *au = &users[p->author], *acct = &users[p->account];
	const post_t *body = p->kind == K_REPOST ? p->target : p;
	const char *text = x ? body->text : body->mtext;
	size_t text_len = x ? body->text_len : body->mtext_len;
	char b[300];

	j_open(w, NULL, '{');
	rec_id(b, sizeof b, p, p->xid, p->mid, p->author);
	j_str(w, "id", b);
	j_str(w, "platform", x ? "x" : "mastodon");
	if (x)
		j_str(w, "account", acct->handle);
	else {
		snprintf(b, sizeof b, "%s@%s", acct->handle, acct->host);
		j_str(w, "account", b);
	}
	j_str(w, "kind", kinds[p->kind]);
	j_open(w, "author", '{');
	snprintf(b, sizeof b, "%" PRIu64, x ? au->id : au->mid);
	j_str(w, "id", b);
	j_str(w, "handle", au->handle);
	j_str(w, "name", au->name);
	j_close(w, '}');
	j_ms_rfc3339(w, "created_at", p->ms, 1);
	if (p->kind == K_REPLY) {
		rec_id(b, sizeof b, p, p->parent_xid, p->parent_mid, p->parent_author);
		j_str(w, "in_reply_to", b);
		rec_id(b, sizeof b, p, p->root_xid, p->root_mid, p->root_author);
		j_str(w, "thread", b);
	}
	if (p->kind == K_REPOST) {
		rec_id(b, sizeof b, p, p->target->xid, p->target->mid, p->target->author);
		j_str(w, "repost_of", b);
	}
	if (p->kind == K_QUOTE) {
		rec_id(b, sizeof b, p, p->target->xid, p->target->mid, p->target->author);
		j_str(w, "quote_of", b);
	}
	rec_permalink(b, sizeof b, p, p);
	j_str(w, "url", b);
	if (body->title[0])
		j_str(w, "title", body->title);
	j_strn(w, "text", text, text_len);
	j_str(w, "lang", langs[p->lang]);
	static const int types[] = { E_HASHTAG, E_MENTION, E_CASHTAG, E_URL };
	static const char *const names[] = { "hashtags", "mentions", "cashtags", "urls" };
	for (int k = 0; k < 4; k++) {
		int any = 0;
		for (int i = 0; i < body->n_ent; i++) {
			const entity_t *e = &body->ent[i];
			if (e->type != types[k])
				continue;
			if (!any)
				j_open(w, names[k], '[');
			any = 1;
			if (e->type == E_URL)
				j_str(w, NULL, e->expanded);
			else if (e->type == E_MENTION && !x) {
				snprintf(b, sizeof b, "%s@%s", users[e->user].handle, users[e->user].host);
				j_str(w, NULL, b);
			} else
				j_strn(w, NULL, body->text + e->start + 1, e->end - e->start - 1u);
		}
		if (any)
			j_close(w, ']');
	}
	if (body->n_media) {
		j_open(w, "media", '[');
		for (int i = 0; i < body->n_media; i++) {
			const media_t *m = &body->media[i];
			static const char *const mt[] = { "image/jpeg", "video/mp4", "video/mp4" };
			j_open(w, NULL, '{');
			j_str(w, "type", mt[m->type]);
			j_u64(w, "size", m->size);
			snprintf(b, sizeof b, "%s.%s", m->key, m->type ? "mp4" : "jpg");
			j_str(w, "name", b);
			if (x)
				snprintf(b, sizeof b, "https://pbs.twimg.com/media/%s.%s", m->key,
				         m->type ? "mp4" : "jpg");
			else
				snprintf(b, sizeof b, "https://files.%s/media_attachments/files/%s.%s",
				         users[body->author].host, m->key, m->type ? "mp4" : "jpeg");
			j_str(w, "url", b);
			j_close(w, '}');
		}
		j_close(w, ']');
	}
	j_str(w, "visibility", x ? "public" : vis[p->visibility]);
	if (p->spoiler[0] && !x)
		j_str(w, "content_warning", p->spoiler);
	if (p->is_edit)
		j_ms_rfc3339(w, "edited_at", p->edited_ms, 1);
	/* What a collector carries beyond the canonical fields: custos keeps it
	 * in the record's original bytes. */
	j_open(w, "extra", '{');
	j_str(w, "collector", "acme-social-capture/3.2");
	snprintf(b, sizeof b, "%" PRIu64, p->index + 1);
	j_str(w, "capture_id", b);
	j_str(w, "application", apps[p->source_app][0]);
	if (x)
		snprintf(b, sizeof b, "https://api.twitter.com/2/tweets/%" PRIu64 "?expansions=author_id,"
		         "attachments.media_keys,referenced_tweets.id&tweet.fields=created_at,"
		         "entities,public_metrics,lang", p->xid);
	else
		snprintf(b, sizeof b, "https://%s/api/v1/statuses/%" PRIu64, users[p->author].host, p->mid);
	j_str(w, "fetched_from", b);
	j_str(w, "reply_settings", "everyone");
	j_open(w, "metrics", '{');
	j_u64(w, "reposts", p->retweets);
	j_u64(w, "likes", p->favorites);
	j_u64(w, "replies", p->replies);
	j_u64(w, "quotes", p->quotes);
	j_close(w, '}');
	j_open(w, "author_profile", '{');
	j_str(w, "description", au->description);
	j_str(w, "location", au->location);
	if (au->url[0])
		j_str(w, "url", au->url);
	j_u64(w, "followers", au->followers);
	j_u64(w, "following", au->friends);
	j_u64(w, "posts", au->statuses);
	j_bool(w, "verified", au->verified);
	j_ms_rfc3339(w, "created_at", au->created_ms, 0);
	snprintf(b, sizeof b, x ? "https://pbs.twimg.com/profile_banners/%" PRIu64 "/%" PRId64 "/1500x500"
	                        : "https://files.mastodon.example/headers/%" PRIu64 "/%" PRId64 ".png",
	         au->id, au->created_ms / 1000 + 86400 * 30);
	j_str(w, "banner", b);
	snprintf(b, sizeof b, x ? "https://pbs.twimg.com/profile_images/%" PRIu64 "/%.8s_normal.jpg"
	                        : "https://files.mastodon.example/avatars/%" PRIu64 "/%.8s.png",
	         au->id / 7, au->handle);
	j_str(w, "avatar", b);
	j_close(w, '}');
	if (p->kind == K_REPLY)
		j_str(w, "in_reply_to_handle", users[p->parent_author].handle);
	if (p->kind == K_REPOST || p->kind == K_QUOTE) {
		rec_permalink(b, sizeof b, p, p->target);
		j_str(w, "shared_url", b);
		j_str(w, "shared_author", users[p->target->author].name);
	}
	j_close(w, '}');
	j_close(w, '}');
}

/* ---- rendering: export folders (--out DIR) -------------------------------
 *
 * The formats below are folders of files, written under --out. The
 * single-owner exports (mastodon, facebook, linkedin) are one account's
 * export: every post is rendered as the owner's (users[0]); slack is one
 * workspace with a channel per custodian account; feed is one file per
 * account per month. */

static const char *out_dir;

static void mkdirs(char *path)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "gen: mkdir %s: %s\n", path, strerror(errno));
			exit(1);
		}
		*s = '/';
	}
}

/* Opens DIR/rel for writing (folders made as needed) into w. */
static void w_open(jw_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void w_open(jw_t *w, const char *fmt, ...)
{
	char path[1200], rel[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	snprintf(path, sizeof path, "%s/%s", out_dir, rel);
	mkdirs(path);
	if (!(w->fp = fopen(path, "w"))) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	w->len = 0;
	w->depth = 0;
}

static void w_close(jw_t *w)
{
	out_flush(w, 1);
	if (fclose(w->fp) != 0) {
		perror("gen: close");
		exit(1);
	}
	w->fp = NULL;
}

static void ms_fmt(char *b, size_t cap, int64_t ms, const char *fmt)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(b, cap, fmt, &tm);
}

static const char *const media_mime[] = { "image/jpeg", "video/mp4", "video/mp4" };
static const char *const media_ext[] = { "jpg", "mp4", "mp4" };

/* The text of an item as the Mastodon form has it (full links), and the
 * post whose body it is (a repost shows what it shares). */
static const post_t *body_of(const post_t *p) { return p->kind == K_REPOST ? p->target : p; }

/* ---- mastodon: an account export (outbox.json + actor.json) -------------
 * Create activities with Note objects (replies: inReplyTo; quotes: a Note
 * whose text ends with the quoted post's link; Mastodon has no quotes),
 * Announce activities whose object is the boosted status's bare URL, as real
 * exports write them. The owner is users[0]; every object is its. Edits:
 * the Create again with the same object id and "updated" (a real export
 * holds the last state only; here the first state comes too, so the edit
 * is a version). The duplicated "orderedItems" key of real exports is kept.
 * Media attachments are referenced (no media_attachments/ files). */

static const user_t *owner(void) { return &users[0]; }

static void mo_uri(char *b, size_t cap, const user_t *u, uint64_t mid)
{
	snprintf(b, cap, "https://%s/users/%s/statuses/%" PRIu64, u->host, u->handle, mid);
}

static void mo_addressing(jw_t *w, const post_t *p, const post_t *body)
{
	const user_t *o = owner();
	char pub[] = "https://www.w3.org/ns/activitystreams#Public", fol[200], b[200];
	snprintf(fol, sizeof fol, "https://%s/users/%s/followers", o->host, o->handle);
	j_open(w, "to", '[');
	j_str(w, NULL, p->visibility == 0 ? pub : fol);
	j_close(w, ']');
	j_open(w, "cc", '[');
	if (p->visibility == 0)
		j_str(w, NULL, fol);
	else if (p->visibility == 1)
		j_str(w, NULL, pub);
	for (int i = 0; body && i < body->n_ent; i++) {
		if (body->ent[i].type != E_MENTION)
			continue;
		const user_t *u = &users[body->ent[i].user];
		snprintf(b, sizeof b, "https://%s/users/%s", u->host, u->handle);
		j_str(w, NULL, b);
	}
	j_close(w, ']');
}

static void mo_activity(jw_t *w, const post_t *p)
{
	const user_t *o = owner();
	char b[400], actor[200];
	jw_t h = { 0 };
	snprintf(actor, sizeof actor, "https://%s/users/%s", o->host, o->handle);
	j_open(w, NULL, '{');
	mo_uri(b, sizeof b - 10, o, p->mid);
	strcat(b, "/activity");
	j_str(w, "id", b);
	j_str(w, "type", p->kind == K_REPOST ? "Announce" : "Create");
	j_str(w, "actor", actor);
	j_ms_rfc3339(w, "published", p->ms, 0);
	if (p->kind == K_REPOST) {
		const post_t *t = p->target;
		mo_addressing(w, p, NULL);
		mo_uri(b, sizeof b, &users[t->author], t->mid);
		j_str(w, "object", b);
		j_close(w, '}');
		return;
	}
	mo_addressing(w, p, p);
	j_open(w, "object", '{');
	mo_uri(b, sizeof b, o, p->mid);
	j_str(w, "id", b);
	j_str(w, "type", "Note");
	if (p->spoiler[0])
		j_str(w, "summary", p->spoiler);
	else
		j_null(w, "summary");
	if (p->kind == K_REPLY) {
		mo_uri(b, sizeof b, o, p->parent_mid);
		j_str(w, "inReplyTo", b);
	} else {
		j_null(w, "inReplyTo");
	}
	j_ms_rfc3339(w, "published", p->ms, 0);
	snprintf(b, sizeof b, "https://%s/@%s/%" PRIu64, o->host, o->handle, p->mid);
	j_str(w, "url", b);
	j_str(w, "attributedTo", actor);
	mo_addressing(w, p, p);
	j_bool(w, "sensitive", p->sensitive);
	mo_uri(b, sizeof b, o, p->mid);
	j_str(w, "atomUri", b);
	if (p->kind == K_REPLY) {
		mo_uri(b, sizeof b, o, p->parent_mid);
		j_str(w, "inReplyToAtomUri", b);
	} else {
		j_null(w, "inReplyToAtomUri");
	}
	ms_fmt(b, sizeof b, p->ms, "%Y-%m-%d");
	{
		char c[520];
		snprintf(c, sizeof c, "tag:%s,%s:objectId=%" PRIu64 ":objectType=Conversation", o->host, b,
		         (p->kind == K_REPLY ? p->root_mid : p->mid) % 100000000);
		j_str(w, "conversation", c);
	}
	m_content(&h, p, o->host);
	j_strn(w, "content", h.p, h.len);
	j_open(w, "contentMap", '{');
	j_strn(w, langs[p->lang], h.p, h.len);
	j_close(w, '}');
	free(h.p);
	if (p->is_edit)
		j_ms_rfc3339(w, "updated", p->edited_ms, 0);
	j_open(w, "attachment", '[');
	for (int i = 0; i < p->n_media; i++) {
		const media_t *m = &p->media[i];
		j_open(w, NULL, '{');
		j_str(w, "type", "Document");
		j_str(w, "mediaType", m->type ? "video/mp4" : "image/jpeg");
		snprintf(b, sizeof b, "/%s/media_attachments/files/%03" PRIu64 "/%03" PRIu64 "/%s/original/%s.%s",
		         "acmebucket", m->id % 1000, (m->id / 1000) % 1000, m->key,
		         m->key, m->type ? "mp4" : "jpeg");
		j_str(w, "url", b);
		if (m->alt[0])
			j_str(w, "name", m->alt);
		else
			j_null(w, "name");
		j_str(w, "blurhash", "UEHLh[WB2yk8pyoJadR*.7kCMdnjS#M|%1%2");
		j_u64(w, "width", m->w);
		j_u64(w, "height", m->h);
		j_close(w, '}');
	}
	j_close(w, ']');
	j_open(w, "tag", '[');
	for (int i = 0; i < p->n_ent; i++) {
		const entity_t *e = &p->ent[i];
		if (e->type == E_MENTION) {
			const user_t *u = &users[e->user];
			j_open(w, NULL, '{');
			j_str(w, "type", "Mention");
			snprintf(b, sizeof b, "https://%s/users/%s", u->host, u->handle);
			j_str(w, "href", b);
			snprintf(b, sizeof b, "@%s@%s", u->handle, u->host);
			j_str(w, "name", b);
			j_close(w, '}');
		} else if (e->type == E_HASHTAG) {
			int n = e->mend - e->mstart - 1;
			j_open(w, NULL, '{');
			j_str(w, "type", "Hashtag");
			snprintf(b, sizeof b, "https://%s/tags/%.*s", o->host, n, p->mtext + e->mstart + 1);
			j_str(w, "href", b);
			j_strn(w, "name", p->mtext + e->mstart, (size_t)n + 1);
			j_close(w, '}');
		}
	}
	j_close(w, ']');
	j_open(w, "replies", '{');
	mo_uri(b, sizeof b - 10, o, p->mid);
	strcat(b, "/replies");
	j_str(w, "id", b);
	j_str(w, "type", "Collection");
	j_open(w, "first", '{');
	j_str(w, "type", "CollectionPage");
	j_str(w, "partOf", b);
	j_open(w, "items", '[');
	j_close(w, ']');
	j_close(w, '}');
	j_close(w, '}');
	j_close(w, '}');
	j_close(w, '}');
}

static void mo_begin(jw_t *w, uint64_t count)
{
	const user_t *o = owner();
	jw_t a = { 0 };
	char b[300];
	w_open(&a, "actor.json");
	j_open(&a, NULL, '{');
	j_str(&a, "@context", "https://www.w3.org/ns/activitystreams");
	snprintf(b, sizeof b, "https://%s/users/%s", o->host, o->handle);
	j_str(&a, "id", b);
	j_str(&a, "type", "Person");
	snprintf(b, sizeof b, "https://%s/users/%s/followers", o->host, o->handle);
	j_str(&a, "followers", b);
	j_str(&a, "outbox", "outbox.json");
	j_str(&a, "preferredUsername", o->handle);
	j_str(&a, "name", o->name);
	snprintf(b, sizeof b, "<p>%s</p>", o->description);
	j_str(&a, "summary", b);
	snprintf(b, sizeof b, "https://%s/@%s", o->host, o->handle);
	j_str(&a, "url", b);
	j_ms_rfc3339(&a, "published", o->created_ms - o->created_ms % 86400000, 0);
	j_str(&a, "likes", "likes.json");
	j_str(&a, "bookmarks", "bookmarks.json");
	j_close(&a, '}');
	w_close(&a);
	free(a.p);
	w_open(w, "outbox.json");
	out_f(w, "{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"id\":\"outbox.json\","
	      "\"type\":\"OrderedCollection\",\"totalItems\":%" PRIu64 ",\"orderedItems\":[],"
	      "\"orderedItems\":[", count);
	w->depth = 1;
	w->first[1] = 1;
}

static void mo_end(jw_t *w)
{
	w->depth = 0;
	out_s(w, "]}");
	w_close(w);
}

/* ---- facebook: a "Download Your Information" export in JSON -------------
 * posts/your_posts_1.json (a root array, the old layout of the real export)
 * and comments/comments.json ({"comments_v2": [...]}); profile_information/
 * profile_information.json names the owner. Indented as Facebook writes it,
 * every byte of non-ASCII text a \u00XX escape (the real mojibake). Posts,
 * quotes and reposts ("shared a post": the shared post's link, no text) are
 * posts; replies are comments (the export says whose post, not which).
 * Facebook ids derive from time and text, so an edit (written again with
 * the new text) is a record of its own, not a version. Media are
 * referenced by uri (no files in the export). */

static jw_t fb_comments;

static void fb_title(char *b, size_t cap, const post_t *p)
{
	const char *who = owner()->name;
	if (p->kind == K_REPLY)
		snprintf(b, cap, "%s commented on %s's post.", who, users[p->parent_author].name);
	else if (p->kind == K_REPOST || p->kind == K_QUOTE)
		snprintf(b, cap, "%s shared a post.", who);
	else if (p->n_media)
		snprintf(b, cap, "%s added %d new photo%s.", who, p->n_media, p->n_media > 1 ? "s" : "");
	else if (p->title[0])
		snprintf(b, cap, "%s shared a link.", who);
	else
		snprintf(b, cap, "%s updated his status.", who);
}

static void fb_entry(jw_t *w, const post_t *p)
{
	const post_t *body = body_of(p);
	char b[400];
	int64_t ts = p->ms / 1000;
	if (p->kind == K_REPLY)
		w = &fb_comments;
	j_open(w, NULL, '{');
	j_u64(w, "timestamp", (uint64_t)ts);
	if (p->kind == K_REPLY) {
		j_open(w, "data", '[');
		j_open(w, NULL, '{');
		j_open(w, "comment", '{');
		j_u64(w, "timestamp", (uint64_t)ts);
		j_strn(w, "comment", p->mtext, p->mtext_len);
		j_str(w, "author", owner()->name);
		j_close(w, '}');
		j_close(w, '}');
		j_close(w, ']');
		fb_title(b, sizeof b, p);
		j_str(w, "title", b);
		j_close(w, '}');
		return;
	}
	int any = 0;
	const entity_t *url = NULL;
	for (int i = 0; i < p->n_ent && p->kind != K_REPOST; i++)
		if (p->ent[i].type == E_URL)
			url = &p->ent[i];
	if (url || p->kind == K_REPOST || p->n_media) {
		j_open(w, "attachments", '[');
		any = 1;
	}
	if (p->kind == K_REPOST || url) {
		j_open(w, NULL, '{');
		j_open(w, "data", '[');
		j_open(w, NULL, '{');
		j_open(w, "external_context", '{');
		if (p->kind == K_REPOST) {
			snprintf(b, sizeof b, "https://www.facebook.com/%s/posts/%" PRIu64,
			         users[body->author].handle, body->mid);
			j_str(w, "url", b);
		} else {
			if (p->title[0])
				j_str(w, "name", p->title);
			j_str(w, "url", url->expanded);
		}
		j_close(w, '}');
		j_close(w, '}');
		j_close(w, ']');
		j_close(w, '}');
	}
	if (p->n_media) {
		j_open(w, NULL, '{');
		j_open(w, "data", '[');
		for (int i = 0; i < p->n_media; i++) {
			const media_t *m = &p->media[i];
			j_open(w, NULL, '{');
			j_open(w, "media", '{');
			snprintf(b, sizeof b, "posts/media/Timelinephotos_%.10s/%" PRIu64 "_%s_n.%s",
			         owner()->handle, m->id % (uint64_t)1000000000000, m->key, media_ext[m->type]);
			j_str(w, "uri", b);
			j_u64(w, "creation_timestamp", (uint64_t)ts);
			j_open(w, "media_metadata", '{');
			j_open(w, m->type ? "video_metadata" : "photo_metadata", '{');
			j_open(w, "exif_data", '[');
			j_open(w, NULL, '{');
			j_u64(w, "upload_ip", 0);
			j_u64(w, "taken_timestamp", (uint64_t)ts - 600);
			j_close(w, '}');
			j_close(w, ']');
			j_close(w, '}');
			j_close(w, '}');
			j_str(w, "title", "Timeline photos");
			if (m->alt[0])
				j_str(w, "description", m->alt);
			j_close(w, '}');
			j_close(w, '}');
		}
		j_close(w, ']');
		j_close(w, '}');
	}
	if (any)
		j_close(w, ']');
	j_open(w, "data", '[');
	if (p->kind != K_REPOST) {
		j_open(w, NULL, '{');
		j_strn(w, "post", p->mtext, p->mtext_len);
		j_close(w, '}');
	}
	j_open(w, NULL, '{');
	j_u64(w, "update_timestamp", (uint64_t)((p->is_edit ? p->edited_ms : p->ms) / 1000));
	j_close(w, '}');
	j_close(w, ']');
	int tags = 0;
	for (int i = 0; i < body->n_ent && p->kind != K_REPOST; i++) {
		if (body->ent[i].type != E_MENTION)
			continue;
		if (!tags++)
			j_open(w, "tags", '[');
		j_open(w, NULL, '{');
		j_str(w, "name", users[body->ent[i].user].name);
		j_close(w, '}');
	}
	if (tags)
		j_close(w, ']');
	fb_title(b, sizeof b, p);
	j_str(w, "title", b);
	j_close(w, '}');
}

static void fb_style(jw_t *w)
{
	w->pretty = 1;
	w->colon = ": ";
	w->ind = 2;
	w->fbesc = 1;
}

static void fb_begin(jw_t *w)
{
	jw_t a = { 0 };
	fb_style(&a);
	w_open(&a, "profile_information/profile_information.json");
	j_open(&a, NULL, '{');
	j_open(&a, "profile_v2", '{');
	j_open(&a, "name", '{');
	j_str(&a, "full_name", owner()->name);
	j_str(&a, "first_name", owner()->name);
	j_str(&a, "middle_name", "");
	j_str(&a, "last_name", "");
	j_close(&a, '}');
	j_close(&a, '}');
	j_close(&a, '}');
	w_close(&a);
	free(a.p);
	fb_style(w);
	w_open(w, "posts/your_posts_1.json");
	j_open(w, NULL, '[');
	fb_style(&fb_comments);
	w_open(&fb_comments, "comments/comments.json");
	j_open(&fb_comments, NULL, '{');
	j_open(&fb_comments, "comments_v2", '[');
}

static void fb_end(jw_t *w)
{
	j_close(w, ']');
	w_close(w);
	j_close(&fb_comments, ']');
	j_close(&fb_comments, '}');
	w_close(&fb_comments);
	free(fb_comments.p);
}

/* ---- slack: a workspace export -------------------------------------------
 * users.json (all 320 people), channels.json (a channel per custodian
 * account), <channel>/<YYYY-MM-DD>.json per channel and day, pretty-printed
 * with 4 spaces and "\/" as Slack writes them. Messages carry
 * client_msg_id, user_profile and a rich_text block as modern exports do;
 * replies are thread replies (thread_ts = the root's ts; roots do not list
 * their replies: the generator writes a root before it knows them);
 * reposts and quotes share the post as a message attachment (is_share);
 * link titles are unfurl attachments; media are "files" (referenced, no
 * bytes); favourites are reactions. An edit is the message again with
 * "edited" and the new text, in the channel's current day file (a real
 * export holds the last state only). */

#define SL_TEAM "T0ACMECORP"

static jw_t sl_w[N_ACCOUNTS];
static int64_t sl_day[N_ACCOUNTS];

static void sl_uid(char *b, size_t cap, int user)
{
	static const char a[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	uint64_t v = users[user].id;
	b[0] = 'U';
	for (int i = 1; i < 11; i++, v /= 34)
		b[i] = a[v % 34];
	b[11] = 0;
	(void)cap;
}

static void sl_cid(char *b, int acct)
{
	static const char a[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	uint64_t v = users[acct].mid * 31 + 7;
	b[0] = 'C';
	for (int i = 1; i < 11; i++, v /= 34)
		b[i] = a[v % 34];
	b[11] = 0;
}

static void sl_cname(char *b, size_t cap, int acct)
{
	snprintf(b, cap, "%s", users[acct].handle);
	for (char *s = b; *s; s++)
		*s = *s == '_' ? '-' : (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
}

static void sl_ts(char *b, size_t cap, int64_t ms)
{
	snprintf(b, cap, "%" PRId64 ".%03d%03d", ms / 1000, (int)(ms % 1000), (int)((ms * 7) % 1000));
}

/* Slack's text: &, <, > escaped; mentions <@U..>; links <url>. */
static void sl_text(jw_t *t, const post_t *p)
{
	size_t at = 0;
	char uid[16];
	for (int i = 0; i <= p->n_ent; i++) {
		size_t end = i < p->n_ent ? p->ent[i].mstart : p->mtext_len;
		for (size_t k = at; k < end; k++) {
			char c = p->mtext[k];
			if (c == '&') out_s(t, "&amp;");
			else if (c == '<') out_s(t, "&lt;");
			else if (c == '>') out_s(t, "&gt;");
			else out_c(t, c);
		}
		if (i == p->n_ent)
			break;
		const entity_t *e = &p->ent[i];
		if (e->type == E_MENTION) {
			sl_uid(uid, sizeof uid, e->user);
			out_f(t, "<@%s>", uid);
		} else if (e->type == E_URL) {
			out_f(t, "<%s>", e->expanded);
		} else {
			out_raw(t, p->mtext + e->mstart, (size_t)(e->mend - e->mstart));
		}
		at = e->mend;
	}
}

static void sl_profile(jw_t *w, int user)
{
	const user_t *u = &users[user];
	char b[300];
	snprintf(b, sizeof b, "%012" PRIx64, u->id * 2654435761u);
	j_str(w, "avatar_hash", b);
	snprintf(b, sizeof b, "https://avatars.slack-edge.com/2020-01-01/%" PRIu64 "_%.12s_72.png",
	         u->id, u->handle);
	j_str(w, "image_72", b);
	j_str(w, "first_name", u->name);
	j_str(w, "real_name", u->name);
	j_str(w, "display_name", u->handle);
	j_str(w, "team", SL_TEAM);
	j_str(w, "name", u->handle);
	j_bool(w, "is_restricted", 0);
	j_bool(w, "is_ultra_restricted", 0);
}

static void sl_file(jw_t *w, const post_t *p, const media_t *m, int user)
{
	char b[400], uid[16];
	sl_uid(uid, sizeof uid, user);
	j_open(w, NULL, '{');
	snprintf(b, sizeof b, "F%.10s", m->key);
	for (char *s = b; *s; s++)
		*s = *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
	char fid[16];
	memcpy(fid, b, 12);
	fid[11] = 0;
	j_str(w, "id", fid);
	j_u64(w, "created", (uint64_t)(p->ms / 1000));
	j_u64(w, "timestamp", (uint64_t)(p->ms / 1000));
	snprintf(b, sizeof b, "%s.%s", m->key, media_ext[m->type]);
	j_str(w, "name", b);
	j_str(w, "title", m->alt[0] ? m->alt : b);
	j_str(w, "mimetype", media_mime[m->type]);
	j_str(w, "filetype", media_ext[m->type]);
	j_str(w, "pretty_type", m->type ? "MPEG 4 Video" : "JPEG");
	j_str(w, "user", uid);
	j_bool(w, "editable", 0);
	j_u64(w, "size", m->size);
	j_str(w, "mode", "hosted");
	j_bool(w, "is_external", 0);
	j_str(w, "external_type", "");
	j_bool(w, "is_public", 1);
	snprintf(b, sizeof b, "https://files.slack.com/files-pri/%s-%s/%s.%s", SL_TEAM, fid, m->key,
	         media_ext[m->type]);
	j_str(w, "url_private", b);
	snprintf(b, sizeof b, "https://files.slack.com/files-pri/%s-%s/download/%s.%s", SL_TEAM, fid,
	         m->key, media_ext[m->type]);
	j_str(w, "url_private_download", b);
	snprintf(b, sizeof b, "https://acme.slack.com/files/%s/%s/%s.%s", uid, fid, m->key,
	         media_ext[m->type]);
	j_str(w, "permalink", b);
	j_u64(w, "original_w", m->w);
	j_u64(w, "original_h", m->h);
	j_close(w, '}');
}

static void sl_message(const post_t *p)
{
	const int a = p->account;
	jw_t *w = &sl_w[a];
	char b[400], uid[16], cname[64], cid[16];
	int64_t day = p->ms / 86400000;
	sl_cname(cname, sizeof cname, a);
	sl_cid(cid, a);
	if (!p->is_edit && (!w->fp || day != sl_day[a])) {
		if (w->fp) {
			j_close(w, ']');
			w_close(w);
		}
		w->pretty = 1;
		w->colon = ": ";
		w->ind = 4;
		w->slash = 1;
		ms_fmt(b, sizeof b, p->ms, "%Y-%m-%d");
		w_open(w, "%s/%s.json", cname, b);
		j_open(w, NULL, '[');
		sl_day[a] = day;
	}
	const post_t *body = body_of(p);
	jw_t t = { 0 };
	j_open(w, NULL, '{');
	snprintf(b, sizeof b, "%08" PRIx64 "-%04x-4%03x-a%03x-%012" PRIx64, p->mid >> 32,
	         (unsigned)(p->mid >> 16) & 0xffff, (unsigned)p->mid & 0xfff,
	         (unsigned)(p->index & 0xfff), p->xid & (uint64_t)0xffffffffffff);
	j_str(w, "client_msg_id", b);
	j_str(w, "type", "message");
	if (p->kind != K_REPOST)
		sl_text(&t, p);
	j_strn(w, "text", t.p ? t.p : "", t.len);
	sl_uid(uid, sizeof uid, p->author);
	j_str(w, "user", uid);
	sl_ts(b, sizeof b, p->ms);
	j_str(w, "ts", b);
	j_str(w, "team", SL_TEAM);
	j_open(w, "user_profile", '{');
	sl_profile(w, p->author);
	j_close(w, '}');
	if (p->is_edit) {
		j_open(w, "edited", '{');
		j_str(w, "user", uid);
		sl_ts(b, sizeof b, p->edited_ms);
		j_str(w, "ts", b);
		j_close(w, '}');
	}
	if (p->kind == K_REPLY) {
		sl_ts(b, sizeof b, (int64_t)(p->root_mid >> 16));
		j_str(w, "thread_ts", b);
		sl_uid(uid, sizeof uid, p->root_author);
		j_str(w, "parent_user_id", uid);
	}
	if (p->kind == K_REPOST || p->kind == K_QUOTE || (p->title[0] && p->kind != K_REPOST)) {
		j_open(w, "attachments", '[');
		if (p->kind == K_REPOST || p->kind == K_QUOTE) {
			const post_t *s = p->target;
			jw_t st = { 0 };
			sl_text(&st, s);
			j_open(w, NULL, '{');
			sl_uid(uid, sizeof uid, s->author);
			j_str(w, "author_id", uid);
			j_str(w, "channel_id", cid);
			j_str(w, "channel_name", cname);
			j_bool(w, "is_msg_unfurl", 1);
			j_bool(w, "is_share", 1);
			sl_ts(b, sizeof b, s->ms);
			j_str(w, "ts", b);
			char link[300];
			snprintf(link, sizeof link, "https://acme.slack.com/archives/%s/p%" PRId64 "%06d", cid,
			         s->ms / 1000, (int)(s->ms % 1000) * 1000);
			j_str(w, "from_url", link);
			j_str(w, "author_name", users[s->author].name);
			j_str(w, "author_subname", users[s->author].handle);
			j_strn(w, "text", st.p ? st.p : "", st.len);
			size_t fl = st.len > 100 ? 100 : st.len;
			while (fl < st.len && fl > 0 && ((unsigned char)st.p[fl] & 0xC0) == 0x80)
				fl--;   /* a whole character */
			j_strn(w, "fallback", st.p ? st.p : "", fl);
			j_open(w, "mrkdwn_in", '[');
			j_str(w, NULL, "text");
			j_close(w, ']');
			snprintf(b, sizeof b, "Posted in #%s", cname);
			j_str(w, "footer", b);
			j_close(w, '}');
			free(st.p);
		}
		if (p->title[0] && p->kind != K_REPOST) {
			const entity_t *url = NULL;
			for (int i = 0; i < p->n_ent; i++)
				if (p->ent[i].type == E_URL)
					url = &p->ent[i];
			if (url) {
				j_open(w, NULL, '{');
				j_str(w, "service_name", "example.com");
				j_str(w, "title", p->title);
				j_str(w, "title_link", url->expanded);
				j_str(w, "fallback", p->title);
				j_str(w, "from_url", url->expanded);
				j_u64(w, "id", 1);
				j_str(w, "original_url", url->expanded);
				j_close(w, '}');
			}
		}
		j_close(w, ']');
	}
	if (body->n_media && p->kind != K_REPOST) {
		j_open(w, "files", '[');
		for (int i = 0; i < p->n_media; i++)
			sl_file(w, p, &p->media[i], p->author);
		j_close(w, ']');
		j_bool(w, "upload", 1);
	}
	j_open(w, "blocks", '[');
	j_open(w, NULL, '{');
	j_str(w, "type", "rich_text");
	snprintf(b, sizeof b, "%05" PRIx64, p->mid & 0xfffff);
	j_str(w, "block_id", b);
	j_open(w, "elements", '[');
	j_open(w, NULL, '{');
	j_str(w, "type", "rich_text_section");
	j_open(w, "elements", '[');
	if (p->kind != K_REPOST) {
		size_t at = 0;
		for (int i = 0; i <= p->n_ent; i++) {
			size_t end = i < p->n_ent ? p->ent[i].mstart : p->mtext_len;
			if (end > at) {
				j_open(w, NULL, '{');
				j_str(w, "type", "text");
				j_strn(w, "text", p->mtext + at, end - at);
				j_close(w, '}');
			}
			if (i == p->n_ent)
				break;
			const entity_t *e = &p->ent[i];
			j_open(w, NULL, '{');
			if (e->type == E_MENTION) {
				j_str(w, "type", "user");
				sl_uid(uid, sizeof uid, e->user);
				j_str(w, "user_id", uid);
			} else if (e->type == E_URL) {
				j_str(w, "type", "link");
				j_str(w, "url", e->expanded);
			} else {
				j_str(w, "type", "text");
				j_strn(w, "text", p->mtext + e->mstart, (size_t)(e->mend - e->mstart));
			}
			j_close(w, '}');
			at = e->mend;
		}
	}
	j_close(w, ']');
	j_close(w, '}');
	j_close(w, ']');
	j_close(w, '}');
	j_close(w, ']');
	if (p->favorites) {
		static const char *const emo[] = { "+1", "tada", "heart", "eyes", "rocket", "raised_hands" };
		int k = 1 + (int)(p->favorites % 3);
		j_open(w, "reactions", '[');
		for (int r = 0; r < k; r++) {
			int n = 1 + (int)((p->favorites >> (r * 3)) % 4);
			j_open(w, NULL, '{');
			j_str(w, "name", emo[(p->favorites + (uint32_t)r) % NELEM(emo)]);
			j_open(w, "users", '[');
			for (int u = 0; u < n; u++) {
				sl_uid(uid, sizeof uid, N_ACCOUNTS + (int)((p->mid + (uint64_t)(u * 37 + r)) %
				                                          (N_USERS - N_ACCOUNTS)));
				j_str(w, NULL, uid);
			}
			j_close(w, ']');
			j_u64(w, "count", (uint64_t)n);
			j_close(w, '}');
		}
		j_close(w, ']');
	}
	j_close(w, '}');
	free(t.p);
	out_flush(w, 0);
}

static void sl_begin(void)
{
	jw_t w = { .pretty = 1, .colon = ": ", .ind = 4, .slash = 1 };
	char b[300], uid[16], cid[16];
	w_open(&w, "users.json");
	j_open(&w, NULL, '[');
	for (int i = 0; i < N_USERS; i++) {
		const user_t *u = &users[i];
		sl_uid(uid, sizeof uid, i);
		j_open(&w, NULL, '{');
		j_str(&w, "id", uid);
		j_str(&w, "team_id", SL_TEAM);
		j_str(&w, "name", u->handle);
		j_bool(&w, "deleted", 0);
		j_str(&w, "color", "3c989f");
		j_str(&w, "real_name", u->name);
		j_str(&w, "tz", "Europe/Berlin");
		j_str(&w, "tz_label", "Central European Time");
		j_u64(&w, "tz_offset", 3600);
		j_open(&w, "profile", '{');
		j_str(&w, "title", u->description);
		j_str(&w, "phone", "");
		j_str(&w, "skype", "");
		j_str(&w, "real_name", u->name);
		j_str(&w, "real_name_normalized", u->name);
		j_str(&w, "display_name", u->handle);
		j_str(&w, "display_name_normalized", u->handle);
		j_null(&w, "fields");
		j_str(&w, "status_text", "");
		j_str(&w, "status_emoji", "");
		sl_profile(&w, i);
		j_close(&w, '}');
		j_bool(&w, "is_admin", i == 0);
		j_bool(&w, "is_owner", i == 0);
		j_bool(&w, "is_bot", 0);
		j_bool(&w, "is_app_user", 0);
		j_u64(&w, "updated", (uint64_t)(u->created_ms / 1000));
		j_close(&w, '}');
		out_flush(&w, 0);
	}
	j_close(&w, ']');
	w_close(&w);
	w.len = 0;
	w_open(&w, "channels.json");
	j_open(&w, NULL, '[');
	for (int a = 0; a < N_ACCOUNTS; a++) {
		sl_cid(cid, a);
		sl_cname(b, sizeof b, a);
		j_open(&w, NULL, '{');
		j_str(&w, "id", cid);
		j_str(&w, "name", b);
		j_u64(&w, "created", (uint64_t)(t_start / 1000 - 86400));
		sl_uid(uid, sizeof uid, 0);
		j_str(&w, "creator", uid);
		j_bool(&w, "is_archived", 0);
		j_bool(&w, "is_general", a == 0);
		j_open(&w, "members", '[');
		for (int i = 0; i < N_USERS; i += 7) {
			sl_uid(uid, sizeof uid, i);
			j_str(&w, NULL, uid);
		}
		j_close(&w, ']');
		j_open(&w, "topic", '{');
		j_str(&w, "value", users[a].name);
		j_str(&w, "creator", uid);
		j_u64(&w, "last_set", 0);
		j_close(&w, '}');
		j_open(&w, "purpose", '{');
		j_str(&w, "value", users[a].description);
		j_str(&w, "creator", uid);
		j_u64(&w, "last_set", 0);
		j_close(&w, '}');
		j_close(&w, '}');
	}
	j_close(&w, ']');
	w_close(&w);
	free(w.p);
}

static void sl_end(void)
{
	for (int a = 0; a < N_ACCOUNTS; a++) {
		if (sl_w[a].fp) {
			j_close(&sl_w[a], ']');
			w_close(&sl_w[a]);
		}
		free(sl_w[a].p);
	}
}

/* ---- linkedin: Shares.csv + Comments.csv (+ Profile.csv) -----------------
 * Posts, quotes and reposts are Shares rows (a repost: no commentary, the
 * shared post's link as SharedUrl), one row per media URL as LinkedIn
 * writes them; replies are Comments rows (Link: the parent's activity URN).
 * The commentary carries LinkedIn's quoting: a multi-line ShareCommentary
 * has every line wrapped in quotes ("" LF ""), and a Comments message
 * escapes quotes as \". The link title, which the export has no column
 * for, is a last line in quotes, so the quotes occur. Edits: a share row
 * again with the same ShareLink (its id) is a version; a comment's id is
 * derived from its time and text, so an edited comment is a record of its
 * own. LinkedIn has no hashtag or mention markup: they stay in the text. */

static jw_t li_comments;

static void li_date(jw_t *w, int64_t ms)
{
	char b[40];
	ms_fmt(b, sizeof b, ms, "%Y-%m-%d %H:%M:%S");
	out_s(w, b);
}

/* The text with its link title as a quoted last line. */
static void li_text(jw_t *t, const post_t *p)
{
	out_raw(t, p->mtext, p->mtext_len);
	if (p->title[0])
		out_f(t, "\n\"%s\"", p->title);
}

static void li_share(jw_t *w, const post_t *p)
{
	jw_t t = { 0 }, f = { 0 };
	char link[200], shared[300] = "";
	snprintf(link, sizeof link, "https://www.linkedin.com/feed/update/urn%%3Ali%%3Ashare%%3A%" PRIu64,
	         p->xid);
	if (p->kind == K_REPOST) {
		snprintf(shared, sizeof shared, "https://www.linkedin.com/feed/update/urn%%3Ali%%3Ashare%%3A%" PRIu64,
		         p->target->xid);
	} else {
		for (int i = 0; i < p->n_ent; i++)
			if (p->ent[i].type == E_URL)
				snprintf(shared, sizeof shared, "%s", p->ent[i].expanded);
		li_text(&t, p);
	}
	/* the commentary field: LinkedIn's wrapped lines, then RFC 4180 quoting */
	int need = 0;
	for (size_t i = 0; i < t.len; i++)
		if (t.p[i] == ',' || t.p[i] == '"' || t.p[i] == '\n')
			need = 1;
	if (!t.len) {
		out_s(&f, "\"\"");
	} else if (!need) {
		out_raw(&f, t.p, t.len);
	} else {
		out_c(&f, '"');
		for (size_t i = 0; i < t.len; i++) {
			if (t.p[i] == '"')
				out_s(&f, "\"\"");
			else if (t.p[i] == '\n')
				out_s(&f, "\"\"\n\"\"");
			else
				out_c(&f, t.p[i]);
		}
		out_c(&f, '"');
	}
	static const char *const vis[] = { "MEMBER_NETWORK", "PUBLIC", "CONNECTIONS" };
	int rows = p->kind == K_REPOST || !p->n_media ? 1 : p->n_media;
	for (int r = 0; r < rows; r++) {
		li_date(w, p->ms);
		out_c(w, ',');
		out_s(w, link);
		out_c(w, ',');
		out_raw(w, f.p, f.len);
		out_c(w, ',');
		if (shared[0])
			out_s(w, shared);
		else
			out_s(w, "\"\"");
		out_c(w, ',');
		if (p->kind != K_REPOST && p->n_media) {
			const media_t *m = &p->media[r];
			out_f(w, "https://media.licdn.com/dms/image/v2/D4E22AQ%s/feedshare-shrink_2048_1536/0/%"
			      PRId64 "?e=1756944000&v=beta&t=%s", m->key, p->ms, m->key);
		} else {
			out_s(w, "\"\"");
		}
		out_c(w, ',');
		out_s(w, vis[p->visibility]);
		out_c(w, '\n');
	}
	free(t.p);
	free(f.p);
}

static void li_comment(const post_t *p)
{
	jw_t *w = &li_comments, t = { 0 };
	li_text(&t, p);
	li_date(w, p->ms);
	out_f(w, ",https://www.linkedin.com/feed/update/urn%%3Ali%%3Aactivity%%3A%" PRIu64 ",",
	      p->parent_xid);
	int need = 0;
	for (size_t i = 0; i < t.len; i++)
		if (t.p[i] == ',' || t.p[i] == '"' || t.p[i] == '\n')
			need = 1;
	if (need) {
		out_c(w, '"');
		for (size_t i = 0; i < t.len; i++) {
			if (t.p[i] == '"')
				out_s(w, "\\\"");
			else
				out_c(w, t.p[i]);
		}
		out_c(w, '"');
	} else {
		out_raw(w, t.p, t.len);
	}
	out_c(w, '\n');
	free(t.p);
	out_flush(w, 0);
}

static void li_begin(jw_t *w)
{
	jw_t a = { 0 };
	w_open(&a, "Profile.csv");
	out_s(&a, "First Name,Last Name,Maiden Name,Address,Birth Date,Headline,Summary,Industry,"
	      "Zip Code,Geo Location,Twitter Handles,Websites,Instant Messengers\n");
	out_f(&a, "%s,,,,,\"%s\",,Technology,,\"%s\",,[%s],\n", owner()->name, owner()->description,
	      owner()->location, owner()->url);
	w_close(&a);
	free(a.p);
	w_open(w, "Shares.csv");
	out_s(w, "Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\n");
	w_open(&li_comments, "Comments.csv");
	out_s(&li_comments, "Date,Link,Message\n");
}

static void li_end(jw_t *w)
{
	w_close(w);
	w_close(&li_comments);
	free(li_comments.p);
}

/* ---- feed: RSS 2.0 and Atom 1.0, one file per account per month ----------
 * feeds/<account>-YYYY-MM.xml; even accounts write RSS 2.0 (WordPress-like:
 * description and content:encoded in CDATA, dc:creator, categories for
 * hashtags, enclosures for media), odd ones Atom 1.0 (Blogger-like: HTML
 * content escaped, categories, enclosure links). Every item is an entry
 * with the post's HTML; feeds have no replies or reposts, so a reply is an
 * item (no thread link; its first line mentions whom it answers) and a
 * repost an item whose link is the shared post's. An edit is the item again
 * with the same guid/id (Atom: <updated>), in the account's current file. */

static jw_t fd_w[N_ACCOUNTS];
static int fd_month[N_ACCOUNTS];

static void x_esc(jw_t *w, const char *s, size_t n)
{
	esc_markup(w, s, n, 0);
}

static void fd_site(char *b, size_t cap, int acct)
{
	char h[64];
	sl_cname(h, sizeof h, acct);
	snprintf(b, cap, "https://www.%s.example.com", h);
}

static void fd_open(int a, int64_t ms)
{
	jw_t *w = &fd_w[a];
	char site[128], d[64], h[64];
	const user_t *u = &users[a];
	fd_site(site, sizeof site, a);
	sl_cname(h, sizeof h, a);
	ms_fmt(d, sizeof d, ms, "%Y-%m");
	w_open(w, "feeds/%s-%s.xml", h, d);
	if (a % 2 == 0) {
		ms_fmt(d, sizeof d, ms, "%a, %d %b %Y %H:%M:%S +0000");
		out_s(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"\n"
		      "\txmlns:content=\"http://purl.org/rss/1.0/modules/content/\"\n"
		      "\txmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
		      "\txmlns:atom=\"http://www.w3.org/2005/Atom\"\n"
		      "\txmlns:slash=\"http://purl.org/rss/1.0/modules/slash/\"\n>\n<channel>\n\t<title>");
		x_esc(w, u->name, strlen(u->name));
		out_f(w, "</title>\n\t<atom:link href=\"%s/feed/\" rel=\"self\" type=\"application/rss+xml\" />\n"
		      "\t<link>%s</link>\n\t<description>", site, site);
		x_esc(w, u->description, strlen(u->description));
		out_f(w, "</description>\n\t<lastBuildDate>%s</lastBuildDate>\n\t<language>%s</language>\n"
		      "\t<generator>https://wordpress.org/?v=6.4.2</generator>\n", d, langs[u->lang]);
	} else {
		ms_fmt(d, sizeof d, ms, "%Y-%m-%dT%H:%M:%SZ");
		out_f(w, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" "
		      "xml:lang=\"%s\">\n<title type=\"text\">", langs[u->lang]);
		x_esc(w, u->name, strlen(u->name));
		out_f(w, "</title>\n<subtitle type=\"html\">");
		x_esc(w, u->description, strlen(u->description));
		out_f(w, "</subtitle>\n<link rel=\"alternate\" type=\"text/html\" href=\"%s/\"/>\n"
		      "<link rel=\"self\" type=\"application/atom+xml\" href=\"%s/feeds/posts/default\"/>\n"
		      "<id>tag:%s,2020:blog-%" PRIu64 "</id>\n<updated>%s</updated>\n<author><name>",
		      site, site, site + 8, u->id, d);
		x_esc(w, u->name, strlen(u->name));
		out_s(w, "</name></author>\n<generator version=\"7.00\" uri=\"http://www.blogger.com\">Blogger</generator>\n");
	}
}

static void fd_close(int a)
{
	out_s(&fd_w[a], a % 2 == 0 ? "</channel>\n</rss>\n" : "</feed>\n");
	w_close(&fd_w[a]);
}

static void fd_item(const post_t *p)
{
	const int a = p->account;
	jw_t *w = &fd_w[a], h = { 0 };
	const post_t *body = body_of(p);
	const user_t *au = &users[p->author];
	char site[128], link[300], d[64], title[200];
	int month;
	{
		time_t s = (time_t)(p->ms / 1000);
		struct tm tm;
		gmtime_r(&s, &tm);
		month = tm.tm_year * 12 + tm.tm_mon;
	}
	if (!p->is_edit && (!w->fp || month != fd_month[a])) {
		if (w->fp)
			fd_close(a);
		fd_open(a, p->ms);
		fd_month[a] = month;
	}
	fd_site(site, sizeof site, a);
	ms_fmt(d, sizeof d, p->ms, "%Y/%m");
	if (p->kind == K_REPOST)
		snprintf(link, sizeof link, "https://%s/@%s/%" PRIu64, users[body->author].host,
		         users[body->author].handle, body->mid);
	else
		snprintf(link, sizeof link, "%s/%s/%" PRIu64 "/", site, d, p->mid);
	/* the title: the link's title, else the text's first words */
	if (body->title[0]) {
		snprintf(title, sizeof title, "%s%s", p->kind == K_REPOST ? "Shared: " : "", body->title);
	} else {
		size_t n = body->mtext_len < 60 ? body->mtext_len : 60;
		while (n < body->mtext_len && n > 0 && ((unsigned char)body->mtext[n] & 0xC0) == 0x80)
			n--;
		snprintf(title, sizeof title, "%s%.*s%s", p->kind == K_REPOST ? "Shared: " : "", (int)n,
		         body->mtext, n < body->mtext_len ? "…" : "");
	}
	for (char *s = title; *s; s++)
		if (*s == '\n')
			*s = ' ';
	m_content(&h, body, users[a].host);
	if (a % 2 == 0) {
		out_s(w, "\t<item>\n\t\t<title>");
		x_esc(w, title, strlen(title));
		out_f(w, "</title>\n\t\t<link>%s</link>\n", link);
		if (p->kind == K_REPLY)
			out_f(w, "\t\t<comments>%s/%s/%" PRIu64 "/#comments</comments>\n", site, d,
			      p->parent_mid);
		ms_fmt(d, sizeof d, p->ms, "%a, %d %b %Y %H:%M:%S +0000");
		out_f(w, "\t\t<dc:creator><![CDATA[%s]]></dc:creator>\n\t\t<pubDate>%s</pubDate>\n",
		      au->name, d);
		for (int i = 0; i < body->n_ent; i++)
			if (body->ent[i].type == E_HASHTAG)
				out_f(w, "\t\t<category><![CDATA[%.*s]]></category>\n",
				      body->ent[i].mend - body->ent[i].mstart - 1,
				      body->mtext + body->ent[i].mstart + 1);
		out_f(w, "\t\t<guid isPermaLink=\"false\">%s/?p=%" PRIu64 "</guid>\n", site, p->mid);
		out_s(w, "\t\t<description><![CDATA[");
		size_t n = body->mtext_len < 200 ? body->mtext_len : 200;
		while (n < body->mtext_len && n > 0 && ((unsigned char)body->mtext[n] & 0xC0) == 0x80)
			n--;
		out_raw(w, body->mtext, n);
		out_s(w, n < body->mtext_len ? " [&#8230;]" : "");
		out_s(w, "]]></description>\n\t\t<content:encoded><![CDATA[");
		out_raw(w, h.p, h.len);
		out_s(w, "]]></content:encoded>\n");
		for (int i = 0; i < body->n_media; i++) {
			const media_t *m = &body->media[i];
			out_f(w, "\t\t<enclosure url=\"%s/wp-content/uploads/%s.%s\" length=\"%u\" type=\"%s\" />\n",
			      site, m->key, media_ext[m->type], m->size, media_mime[m->type]);
		}
		out_f(w, "\t\t<slash:comments>%u</slash:comments>\n\t</item>\n", p->replies);
	} else {
		out_s(w, "<entry>\n\t<id>");
		out_f(w, "tag:%s,2020:blog-%" PRIu64 ".post-%" PRIu64 "</id>\n", site + 8, users[a].id,
		      p->mid);
		ms_fmt(d, sizeof d, p->ms, "%Y-%m-%dT%H:%M:%SZ");
		out_f(w, "\t<published>%s</published>\n", d);
		ms_fmt(d, sizeof d, p->is_edit ? p->edited_ms : p->ms, "%Y-%m-%dT%H:%M:%SZ");
		out_f(w, "\t<updated>%s</updated>\n", d);
		for (int i = 0; i < body->n_ent; i++)
			if (body->ent[i].type == E_HASHTAG)
				out_f(w, "\t<category scheme=\"http://www.blogger.com/atom/ns#\" term=\"%.*s\"/>\n",
				      body->ent[i].mend - body->ent[i].mstart - 1,
				      body->mtext + body->ent[i].mstart + 1);
		out_s(w, "\t<title type=\"text\">");
		x_esc(w, title, strlen(title));
		out_s(w, "</title>\n\t<content type=\"html\">");
		x_esc(w, h.p, h.len);
		out_f(w, "</content>\n\t<link rel=\"alternate\" type=\"text/html\" href=\"%s\" title=\"", link);
		x_esc(w, title, strlen(title));
		out_s(w, "\"/>\n");
		if (p->kind == K_REPLY)
			out_f(w, "\t<link rel=\"replies\" type=\"text/html\" href=\"%s/%" PRIu64 "/#comments\"/>\n",
			      site, p->parent_mid);
		for (int i = 0; i < body->n_media; i++) {
			const media_t *m = &body->media[i];
			out_f(w, "\t<link rel=\"enclosure\" type=\"%s\" length=\"%u\" href=\"https://blogger.googleusercontent.com/img/b/%s.%s\"/>\n",
			      media_mime[m->type], m->size, m->key, media_ext[m->type]);
		}
		out_s(w, "\t<author><name>");
		x_esc(w, au->name, strlen(au->name));
		out_s(w, "</name></author>\n</entry>\n");
	}
	free(h.p);
	out_flush(w, 0);
}

static void fd_end(void)
{
	for (int a = 0; a < N_ACCOUNTS; a++) {
		if (fd_w[a].fp)
			fd_close(a);
		free(fd_w[a].p);
	}
}

/* ---- main ------------------------------------------------------------------ */

enum { F_NDJSON, F_TWITTER, F_MASTODON, F_ARCHIVE, F_MOUT, F_FACEBOOK, F_SLACK, F_LINKEDIN,
       F_FEED };

static void usage(void)
{
	fprintf(stderr, "usage: gen --format ndjson|twitter-api|mastodon-api|x-archive "
	                "--count N [--seed S] [--edits P]\n"
	                "       gen --format mastodon|facebook|slack|linkedin|feed --out DIR "
	                "--count N [--seed S] [--edits P]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int format = -1;
	uint64_t count = 1000, seed = 1;
	double edit_rate = 0.02;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--format") && v) {
			format = !strcmp(v, "ndjson") ? F_NDJSON : !strcmp(v, "twitter-api") ? F_TWITTER
			       : !strcmp(v, "mastodon-api") ? F_MASTODON
			       : !strcmp(v, "x-archive") ? F_ARCHIVE : !strcmp(v, "mastodon") ? F_MOUT
			       : !strcmp(v, "facebook") ? F_FACEBOOK : !strcmp(v, "slack") ? F_SLACK
			       : !strcmp(v, "linkedin") ? F_LINKEDIN : !strcmp(v, "feed") ? F_FEED : -2;
			i++;
		} else if (!strcmp(a, "--count") && v) {
			count = strtoull(v, NULL, 10);
			i++;
		} else if (!strcmp(a, "--seed") && v) {
			seed = strtoull(v, NULL, 10);
			i++;
		} else if (!strcmp(a, "--out") && v) {
			out_dir = v;
			i++;
		} else if (!strcmp(a, "--edits") && v) {
			edit_rate = atof(v);
			i++;
		} else {
			usage();
		}
	}
	if (format < 0 || (format >= F_MOUT && !out_dir))
		usage();

	rng_seed(seed);
	vocab_build();
	users_build();
	for (int a = 0; a < N_ACCOUNTS; a++)
		for (int k = 0; k < RING; k++)
			if (!(ring[a][k] = calloc(1, sizeof(post_t))))
				return 1;

	jw_t w = { 0 };
	w.pretty = format == F_ARCHIVE;
	w.numstr = format == F_ARCHIVE;
	post_t *cur = calloc(1, sizeof *cur);
	if (!cur)
		return 1;
	if (format == F_ARCHIVE)
		out_s(&w, "window.YTD.tweets.part0 = [");
	if (out_dir) {
		char d[1200];
		snprintf(d, sizeof d, "%s/", out_dir);
		mkdirs(d);
	}
	if (format == F_MOUT)
		mo_begin(&w, count);
	else if (format == F_FACEBOOK)
		fb_begin(&w);
	else if (format == F_SLACK)
		sl_begin();
	else if (format == F_LINKEDIN)
		li_begin(&w);

	/* Posts are modelled in a fixed order whatever the format: one PRNG
	 * stream, so every format carries the same posts. */
	for (uint64_t i = 0; i < count; i++) {
		post_t *p = NULL;
		for (int k = 0; k < n_pending; k++) {
			if (pending_due[k] <= i) {
				p = pending[k];
				pending[k] = pending[--n_pending];
				pending_due[k] = pending_due[n_pending];
				break;
			}
		}
		post_t *edit_src = NULL;
		if (p) {
			/* an edit takes this slot; its X id comes from the slot, so it is
			 * unique beside the posts' ids */
			p->edit_xid = x_snowflake(p->edited_ms, i);
		} else {
			post_make(cur, i, count);
			/* a repost or quote keeps its own copy of what it shares: the
			 * original may leave the ring before the repost does */
			if (cur->target) {
				post_t *copy = malloc(sizeof *copy);
				if (!copy)
					return 1;
				memcpy(copy, cur->target, sizeof *copy);
				copy->target = NULL;
				cur->target = copy;
			}
			/* the ring keeps cur; the evicted slot becomes the next scratch */
			int a = cur->account;
			post_t **slot = &ring[a][ring_n[a] % RING], *evicted = *slot;
			*slot = cur;
			ring_n[a]++;
			p = cur;
			cur = evicted;
			free(cur->target);
			cur->target = NULL;
			if ((p->kind == K_POST || p->kind == K_REPLY) && p->author == p->account &&
			    n_pending < MAX_PENDING && rng_chance(edit_rate))
				edit_src = p;
		}
		switch (format) {
		case F_NDJSON:
			ndjson_record(&w, p);
			out_c(&w, '\n');
			break;
		case F_TWITTER:
			x_tweet(&w, p, 0, NULL);
			out_c(&w, '\n');
			break;
		case F_MASTODON: {
			m_status(&w, p, NULL, users[p->account].host);
			out_c(&w, '\n');
			break;
		}
		case F_ARCHIVE:
			out_s(&w, i ? ",\n  {\n    \"tweet\" : " : "\n  {\n    \"tweet\" : ");
			w.depth = 0;
			w.base = 4;
			x_tweet(&w, p, 1, NULL);
			out_s(&w, "\n  }");
			w.base = 0;
			break;
		case F_MOUT:
			mo_activity(&w, p);
			break;
		case F_FACEBOOK:
			fb_entry(&w, p);
			out_flush(&fb_comments, 0);
			break;
		case F_SLACK:
			sl_message(p);
			break;
		case F_LINKEDIN:
			if (p->kind == K_REPLY)
				li_comment(p);
			else
				li_share(&w, p);
			break;
		case F_FEED:
			fd_item(p);
			break;
		}
		if (p->is_edit)
			free(p);   /* edits are of posts and replies: no target */
		if (edit_src) {
			post_t *e = malloc(sizeof *e);
			if (!e)
				return 1;
			post_edit(e, edit_src);
			pending[n_pending] = e;
			pending_due[n_pending++] = i + 20 + rng_below(480);
		}
		out_flush(&w, 0);
	}
	if (format == F_ARCHIVE)
		out_s(&w, "\n]");
	if (format == F_MOUT)
		mo_end(&w);
	else if (format == F_FACEBOOK)
		fb_end(&w);
	else if (format == F_SLACK)
		sl_end();
	else if (format == F_LINKEDIN)
		li_end(&w);
	else if (format == F_FEED)
		fd_end();
	out_flush(&w, 1);
	if (fflush(stdout) != 0) {
		perror("gen: write");
		return 1;
	}
	free(w.p);
	free(cur->target);
	free(cur);
	for (int a = 0; a < N_ACCOUNTS; a++)
		for (int k = 0; k < RING; k++) {
			free(ring[a][k]->target);
			free(ring[a][k]);
		}
	for (int k = 0; k < n_pending; k++)
		free(pending[k]);
	for (size_t i = N_REAL; i < N_VOCAB; i++)
		free(vocab[i]);
	return 0;
}
