#!/bin/sh
# Checks the generator's output: every item is valid JSON (jq), ids are
# unique except edits, every format carries the same posts, sizes per item.
#   sh bench/check_gen.sh [N]     (default 20000; needs jq)
set -eu
N=${1:-20000}
BUILD=${BUILD:-$(dirname "$(readlink custos 2>/dev/null || echo build/release/custos)")}
GEN=$BUILD/bench/gen
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "check_gen: FAIL: $*" >&2; exit 1; }
for f in ndjson twitter-api mastodon-api x-archive; do
	"$GEN" --format $f --count "$N" --seed 7 >"$T/$f"
done
"$GEN" --format ndjson --count "$N" --seed 7 | cmp -s - "$T/ndjson" || fail "same seed, different output"
# valid JSON, one item a line; the archive is one JS assignment of an array
jq -c . "$T/ndjson" >/dev/null || fail "ndjson: invalid JSON"
jq -c . "$T/twitter-api" >/dev/null || fail "twitter-api: invalid JSON"
jq -c . "$T/mastodon-api" >/dev/null || fail "mastodon-api: invalid JSON"
head -c 27 "$T/x-archive" | grep -q '^window.YTD.tweets.part0 = \[' || fail "x-archive: no window.YTD prefix"
sed '1s/^window.YTD.tweets.part0 = //' "$T/x-archive" >"$T/xa.json"
n=$(jq 'length' "$T/xa.json"); [ "$n" = "$N" ] || fail "x-archive: $n items, want $N"
jq -e 'all(.[]; .tweet.id_str | type == "string") and all(.[]; .tweet.favorite_count | type == "string")' \
	"$T/xa.json" >/dev/null || fail "x-archive: numbers must be strings"
for f in ndjson twitter-api mastodon-api; do
	n=$(wc -l <"$T/$f"); [ "$n" -eq "$N" ] || fail "$f: $n lines, want $N"
done
# ids: unique except edits, which repeat an earlier id (ndjson, Mastodon) or
# carry a new id pointing at the first (X)
edits=$(jq -r 'select(.edited_at) | .id' "$T/ndjson" | wc -l)
dups=$(jq -r .id "$T/ndjson" | sort | uniq -d | wc -l)
[ "$edits" -gt 0 ] || fail "no edits generated"
[ "$dups" -eq "$edits" ] || fail "ndjson: $dups repeated ids for $edits edits"
[ "$(jq -r .id_str "$T/twitter-api" | sort | uniq -d | wc -l)" -eq 0 ] || fail "twitter-api: repeated ids"
[ "$(jq -r 'select(.edit_history) | .id' "$T/twitter-api" | wc -l)" -eq "$edits" ] ||
	fail "twitter-api: edit count differs from ndjson"
[ "$(jq -r .uri "$T/mastodon-api" | sort | uniq -d | wc -l)" -eq "$edits" ] ||
	fail "mastodon-api: repeated ids differ from edits"
# the same posts: the same text (X formats), the same kinds
jq -r 'select(.platform == "x" and .kind != "repost") | .text' "$T/ndjson" | sort >"$T/t1"
jq -r 'select(.retweeted_status | not) | .full_text' "$T/twitter-api" | sort >"$T/t2"
grep -c . "$T/t1" >/dev/null
comm -23 "$T/t1" "$T/t2" | grep -q . && fail "ndjson X texts missing from twitter-api"
[ "$(jq -r 'select(.kind == "repost") | .id' "$T/ndjson" | wc -l)" -eq \
  "$(jq -r 'select(.retweeted_status) | .id' "$T/twitter-api" | wc -l)" ] || fail "repost counts differ"
for f in ndjson twitter-api mastodon-api x-archive; do
	printf 'check_gen: %-13s %6d B/item\n' "$f" $(( $(stat -c %s "$T/$f") / N ))
done
echo "check_gen: ok ($N items, $edits edits)"
