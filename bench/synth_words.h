/* The synthetic posts of the search benchmarks (bench/index_bench.c and
 * bench/search_peers.c): one deterministic PRNG, generated pseudo-words, a
 * Zipf distribution over them and the posts made of them, so both programs
 * index the same records; and the few measuring helpers both use.
 * Static functions in a header because every .c file in bench/ is a program. */
#ifndef CUSTOS_BENCH_SYNTH_WORDS_H
#define CUSTOS_BENCH_SYNTH_WORDS_H

#define VOCAB 60000
#define NTAGS 2000
#define NAUTH 20000

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static double rndf(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static char *words[VOCAB];
#define HSIZE (VOCAB * 4)
static int seen[HSIZE];
static double *zipf_cdf;

static void make_vocab(void)
{
	static const char *syl[] = { "ka", "ro", "mi", "te", "su", "na", "lo", "ve", "de", "an",
	                             "or", "is", "ul", "pe", "ti", "ga", "bo", "ne", "ri", "sa",
	                             "mo", "ku", "le", "fa", "zi", "ho", "ba", "en", "ar", "ly" };
	zipf_cdf = malloc(sizeof(double) * VOCAB);
	double sum = 0;
	for (int i = 0; i < VOCAB; i++) {
		char w[32];
		int n;
		do {
			n = 0;
			int k = 1 + (int)(rnd() % 4);
			for (int j = 0; j < k; j++)
				n += sprintf(w + n, "%s", syl[rnd() % 30]);
			w[n] = '\0';
			/* keep words unique (open addressing over a FNV hash) */
			uint32_t h = 2166136261u;
			for (int j = 0; j < n; j++)
				h = (h ^ (unsigned char)w[j]) * 16777619u;
			int dup = 0;
			for (uint32_t slot = h % HSIZE;; slot = (slot + 1) % HSIZE) {
				if (!seen[slot]) {
					seen[slot] = i + 1;
					break;
				}
				if (strcmp(words[seen[slot] - 1], w) == 0) {
					dup = 1;
					break;
				}
			}
			if (!dup)
				break;
		} while (1);
		words[i] = strdup(w);
		sum += 1.0 / pow(i + 1, 1.0);
		zipf_cdf[i] = sum;
	}
	for (int i = 0; i < VOCAB; i++)
		zipf_cdf[i] /= sum;
}

static int zipf(void)
{
	double u = rndf();
	int lo = 0, hi = VOCAB - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

typedef struct {
	uint32_t text_off;
	int64_t created_at;
	uint16_t author, tag;
	uint8_t platform, account, kind, lang, media, ntag, mention, url;
	uint32_t thread;
} gen_t;

static const char *platforms[] = { "x", "mastodon", "facebook", "slack", "linkedin", "feed" };
static const char *kinds[] = { "post", "reply", "repost", "quote", "comment", "message" };
static const char *langs[] = { "en", "en", "en", "en", "en", "en", "de", "fr", "es", "en" };

/* Generates n posts: *g (calloc'd) and their texts, NUL-separated, in
 * *texts (malloc'd, *tlen bytes); the caller frees both. */
static void synth_generate(long n, gen_t **out_g, char **out_texts, size_t *out_tlen)
{
	gen_t *g = calloc((size_t)n, sizeof *g);
	size_t tcap = (size_t)n * 160, tlen = 0;
	char *texts = malloc(tcap);
	int64_t t0 = 1262304000000LL;                 /* 2010-01-01 */
	int64_t span = 13LL * 365 * 86400000;         /* to 2023 */
	for (long i = 0; i < n; i++) {
		gen_t *x = &g[i];
		/* capture order follows time, with a day of jitter */
		x->created_at = t0 + (int64_t)((double)span * i / n) + (int64_t)(rnd() % 86400000);
		x->platform = (uint8_t)(rnd() % 6);
		x->account = (uint8_t)(rnd() % 24);
		x->kind = (uint8_t)(rnd() % 10 < 6 ? 0 : rnd() % 6);
		x->lang = (uint8_t)(rnd() % 10);
		x->author = (uint16_t)(zipf() % NAUTH);
		x->media = rnd() % 10 == 0;
		x->ntag = rnd() % 10 == 0 ? 1 + rnd() % 2 : 0;
		x->tag = (uint16_t)(zipf() % NTAGS);
		x->mention = rnd() % 5 == 0;
		x->url = rnd() % 7 == 0;
		x->thread = x->kind == 1 && i > 0 ? (uint32_t)(rnd() % i) + 1 : 0;
		if (tlen + 400 > tcap) {
			tcap *= 2;
			texts = realloc(texts, tcap);
		}
		x->text_off = (uint32_t)tlen;
		int len = 6 + (int)(rnd() % 25);
		for (int k = 0; k < len; k++) {
			const char *w = words[zipf()];
			size_t wl = strlen(w);
			if (k)
				texts[tlen++] = ' ';
			memcpy(texts + tlen, w, wl);
			tlen += wl;
		}
		texts[tlen++] = '\0';
	}
	*out_g = g;
	*out_texts = texts;
	*out_tlen = tlen;
}

/* The query mix's phrase: the first two words of the text a third of the
 * way into the n generated posts. */
static void synth_phrase(char *out, size_t cap, long n, const char *texts, const gen_t *g)
{
	const char *phr = texts + g[n / 3].text_off;
	const char *sp = strchr(phr, ' ');
	const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
	size_t l = sp2 ? (size_t)(sp2 - phr) : strlen(phr);
	snprintf(out, cap, "%.*s", (int)l, phr);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static long dir_bytes(const char *dir)
{
	char cmd[4300];
	snprintf(cmd, sizeof cmd, "du -sb '%s'", dir);
	FILE *p = popen(cmd, "r");
	long n = 0;
	if (p) {
		if (fscanf(p, "%ld", &n) != 1)
			n = 0;
		pclose(p);
	}
	return n;
}

#endif
