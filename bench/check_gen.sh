#!/bin/sh
# Checks the generator's output: every item is valid JSON (jq), ids are
# unique except edits, every format carries the same posts, sizes per item;
# the export folders (mastodon, facebook, slack, linkedin, feed) parse
# (jq, python3's csv, xmllint) and hold N items.
#   sh bench/check_gen.sh [N]     (default 20000; needs jq, python3, xmllint)
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
# the export folders: same seed, same count
for f in mastodon facebook slack linkedin feed; do
	"$GEN" --format $f --count "$N" --seed 7 --out "$T/$f"
done
n=$(jq '.orderedItems | length' "$T/mastodon/outbox.json"); [ "$n" = "$N" ] || fail "mastodon: $n items, want $N"
grep -q '"orderedItems":\[\],"orderedItems":\[' "$T/mastodon/outbox.json" || fail "mastodon: no duplicated orderedItems key"
[ "$(jq -r .preferredUsername "$T/mastodon/actor.json")" != null ] || fail "mastodon: actor.json has no preferredUsername"
[ "$(jq '[.orderedItems[] | select(.type == "Announce")] | length' "$T/mastodon/outbox.json")" -eq \
  "$(jq -r 'select(.kind == "repost") | .id' "$T/ndjson" | wc -l)" ] || fail "mastodon: boost count differs from ndjson reposts"
[ "$(jq '[.orderedItems[] | select(.type == "Create" and .object.updated)] | length' "$T/mastodon/outbox.json")" -eq "$edits" ] ||
	fail "mastodon: edit count differs from ndjson"
p=$(jq length "$T/facebook/posts/your_posts_1.json"); c=$(jq '.comments_v2 | length' "$T/facebook/comments/comments.json")
[ $((p + c)) -eq "$N" ] || fail "facebook: $p posts + $c comments, want $N"
LC_ALL=C grep -q '[^[:print:][:space:]]' "$T/facebook/posts/your_posts_1.json" && fail "facebook: non-ASCII bytes (the export escapes them all)"
grep -q '\\u00c3' "$T/facebook/posts/your_posts_1.json" || fail "facebook: no mojibake escapes"
jq -e 'length == 320' "$T/slack/users.json" >/dev/null || fail "slack: users.json"
n=$(find "$T/slack" -mindepth 2 -name '*.json' -exec jq length {} + | awk '{ s += $1 } END { print s }')
[ "$n" = "$N" ] || fail "slack: $n messages, want $N"
python3 - "$T/linkedin" "$N" <<'PY' || fail "linkedin: CSV rows"
import csv, sys
d, n = sys.argv[1], int(sys.argv[2])
shares = list(csv.DictReader(open(d + "/Shares.csv", newline="", encoding="utf-8")))
comments = list(csv.DictReader(open(d + "/Comments.csv", newline="", encoding="utf-8")))
# a post with several media is one row per media URL, consecutive
posts = sum(1 for i, r in enumerate(shares) if i == 0 or
            (r["Date"], r["ShareLink"]) != (shares[i - 1]["Date"], shares[i - 1]["ShareLink"]))
assert posts + len(comments) == n, (posts, len(comments), n)
assert any('"\n"' in r["ShareCommentary"] for r in shares), "no wrapped lines"
PY
xmllint --noout "$T"/feed/feeds/*.xml || fail "feed: XML not well-formed"
n=$(cat "$T"/feed/feeds/*.xml | grep -c -e '<item>' -e '<entry>'); [ "$n" = "$N" ] || fail "feed: $n items, want $N"
for f in ndjson twitter-api mastodon-api x-archive; do
	printf 'check_gen: %-13s %6d B/item\n' "$f" $(( $(stat -c %s "$T/$f") / N ))
done
for f in mastodon facebook slack linkedin feed; do
	printf 'check_gen: %-13s %6d B/item\n' "$f" $(( $(find "$T/$f" -type f -printf '%s\n' |
		awk '{ s += $1 } END { print s }') / N ))
done
echo "check_gen: ok ($N items, $edits edits)"
