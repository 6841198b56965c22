# gen_posts N [START] [TEXT_SUFFIX]: N canonical ndjson records with ids x:START.. on stdout
gen_posts() {
	awk -v n="$1" -v s="${2:-1}" -v suf="${3:-}" 'BEGIN {
		for (i = s; i < s + n; i++)
			printf "{\"id\":\"x:%d\",\"platform\":\"x\",\"account\":\"acme\",\"author\":{\"handle\":\"user%d\"},\"created_at\":\"2023-%02d-%02dT10:00:00Z\",\"text\":\"post number %d about #topic%d with @user%d and https://example.com/%d%s\",\"lang\":\"en\"}\n", i, i % 97, 1 + i % 12, 1 + i % 28, i, i % 13, (i + 1) % 97, i, suf
	}'
}
# big_line BYTES: one ndjson line of about BYTES bytes
big_line() {
	awk -v n="$1" 'BEGIN {
		printf "{\"id\":\"x:1\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2020-01-01\",\"text\":\"";
		for (i = 0; i < n / 64; i++) printf "%064d", 0;
		print "\"}"
	}'
}
# gen_years N FIRST YEARS: N canonical ndjson records x:1..N spread over YEARS
# years from FIRST (record i in year FIRST + i % YEARS), each time distinct
gen_years() {
	awk -v n="$1" -v y0="$2" -v ny="$3" 'BEGIN {
		split("red green blue amber violet", w, " ");
		for (i = 1; i <= n; i++)
			printf "{\"id\":\"x:%d\",\"platform\":\"x\",\"account\":\"acme\",\"author\":{\"handle\":\"user%d\"},\"created_at\":\"%d-%02d-%02dT%02d:%02d:%02dZ\",\"text\":\"post %d of year %d in %s about #topic%d\",\"lang\":\"en\"}\n", i, i % 7, y0 + i % ny, 1 + int(i / ny) % 12, 1 + int(i / ny / 12) % 28, int(i / 60) % 24, i % 60, int(i / 7) % 60, i, y0 + i % ny, w[1 + int(i / 5) % 5], i % 11
	}'
}
