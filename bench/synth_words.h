/* The synthetic vocabulary of the search benchmarks (bench/index_bench.c and
 * bench/search_peers.c): one deterministic PRNG, generated pseudo-words and a
 * Zipf distribution over them, so both programs index the same records.
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

#endif
