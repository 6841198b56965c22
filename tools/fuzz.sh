#!/bin/sh
# make fuzz: runs each fuzz program for FUZZ_SECONDS on a corpus seeded
# from ../shared/fixtures (when present) and the project's own test inputs.
# Fails on any crash, leak, timeout or out-of-memory.
set -u
bin=$(cd "$1" && pwd) || exit 1; shift
secs=${FUZZ_SECONDS:-20}
fx=${CUSTOS_FIXTURES:-../shared/fixtures}
work=$bin/work
rm -rf "$work"; mkdir -p "$work"
seed() { # seed NAME FILES...: copies the existing files into NAME's corpus
	d="$work/corpus-$1"; shift; mkdir -p "$d"
	for f in "$@"; do [ -f "$f" ] && cp "$f" "$d/$(echo "$f" | tr '/' '_')"; done
	return 0
}
# keep the seeds small: libFuzzer mutates better from short inputs
split_lines() { # split_lines NAME FILE: one seed per line (first 50)
	[ -f "$2" ] || return 0
	d="$work/corpus-$1"; mkdir -p "$d"
	head -n 50 "$2" | awk -v d="$d" '{ f = sprintf("%s/line%03d", d, NR); print > f; close(f) }'
}
seed ndjson demo/posts.ndjson
split_lines ndjson demo/posts.ndjson
split_lines record demo/posts.ndjson
split_lines twitter-api "$fx/twitter-api-v2-twarc-csv/two_tweets.jsonl"
seed twitter-api "$fx"/twitter-api-v1.1-twitter-types/status*.json "$fx"/twitter-api-v2-twarc-csv/edited.jsonl
seed x-archive "$fx/x-archive-2021-larsbrinkhoff/data/tweet.js"
seed mastodon "$fx/mastodon-archive-dealingwith/outbox.json"
seed facebook "$fx/facebook-dyi-lucasfdz/your_posts_1.json"
seed linkedin "$fx/linkedin-sanand0/Shares.csv" "$fx/linkedin-sanand0/Comments.csv"
seed feed $(ls "$fx"/feedparser-tests/wellformed/rss/*.xml 2>/dev/null | head -n 40) \
          $(ls "$fx"/feedparser-tests/wellformed/atom10/*.xml 2>/dev/null | head -n 40)
seed slack $(ls "$fx"/slack-export-viewer-testarchive/unzipped/*/*.json 2>/dev/null | head -n 20)
seed jsonscan "$fx/x-archive-2021-larsbrinkhoff/data/tweet.js" "$fx/mastodon-archive-dealingwith/actor.json"
seed entities $(ls "$fx"/twitter-text-conformance/*.yml 2>/dev/null | head -n 2)
for d in tests/data/import*/; do [ -d "$d" ] && for f in "$d"*; do
	case "$f" in *.ndjson) seed ndjson "$f";; *.jsonl) seed twitter-api "$f"; seed mastodon-api "$f";;
	             *.csv) seed linkedin "$f";; *.xml|*.rss|*.atom) seed feed "$f";; esac; done; done
[ -d "$fx" ] || echo "fuzz: no $fx: corpora seeded from the project's own inputs only"

failed=0 ran=0
for name in "$@" record entities jsonscan; do
	case $name in record|entities|jsonscan) prog=$bin/$name;; *) prog=$bin/import-$name;; esac
	corpus="$work/corpus-$name"; mkdir -p "$corpus"
	log="$work/$name.log"
	(cd "$work" && "$prog" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 "$corpus" >"$log" 2>&1)
	rc=$?
	ran=$((ran + 1))
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		echo "FAIL fuzz $name (exit $rc):"; grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -n 15 | sed 's/^/    /'
		ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | sed 's/^/    input: /'
	else
		echo "ok   fuzz $name: ${runs:-?} inputs in ${secs}s, no crash, leak or hang"
	fi
done
echo "fuzz: $((ran - failed)) passed, $failed failed"
[ $failed = 0 ]
