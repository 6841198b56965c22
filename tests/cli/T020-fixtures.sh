#!/bin/sh
# Every real export in ../shared/fixtures goes in through the real binary
# with format recognition, verifies, is searchable, and adds nothing the
# second time. (Per-format record counts are checked in tests/unit.)
. tests/cli/lib.sh

if ! have_fixtures; then
	test_skip 'real exports' "no $FIXTURES: real-data tier skipped"
	test_done
	exit
fi

# ingest_twice NAME PATH...: ingest, check something came in, ingest again
ingest_twice() {
	name=$1; shift
	custos init >/dev/null &&
	custos ingest --skip-bad --json "$@" >first 2>warn1 &&
	added=$(sed -n 's/.*"added": \([0-9]*\).*/\1/p' first) &&
	test "$added" -gt 0 &&
	custos ingest --skip-bad --json "$@" >second 2>warn2 &&
	grep -q "\"added\": 0, \"versions\": 0," second &&
	grep -q "\"quarantined\": 0," second &&
	custos verify >/dev/null &&
	test "$(custos stats --json | sed -n 's/.*"index_lag": \([0-9]*\).*/\1/p')" = 0 &&
	echo "$name: $added records" >&2
}

test_expect 'X archive (2026 layout) folder' 'ingest_twice x-2026 "$FIXTURES/x-archive-milahu104"'
test_expect 'X archive (2021 layout) folder' 'ingest_twice x-2021 "$FIXTURES/x-archive-2021-larsbrinkhoff"'
test_expect 'X archive as a .zip' '
	(cd "$FIXTURES/x-archive-milahu104" && zip -qr "$TEST_DIR/x.zip" .) &&
	ingest_twice x-zip x.zip &&
	custos search --count "platform:x" >n && test "$(cat n)" -gt 0
'
test_expect 'twitter API v1.1 objects' 'ingest_twice v1 "$FIXTURES/twitter-api-v1.1-twitter-types"/status*.json'
test_expect 'twitter API v1.1 notices and events' '
	ingest_twice v1-notices "$FIXTURES/twitter-api-v1.1-twitter-types"/delete.json \
		"$FIXTURES/twitter-api-v1.1-twitter-types"/event_*.json &&
	test "$(custos search --count kind:like)" = 1 &&
	test "$(custos search --count kind:event)" = 2
'
test_expect 'twitter API v2 pages (twarc)' 'ingest_twice v2 "$FIXTURES/twitter-api-v2-twarc-csv"/two_tweets.jsonl "$FIXTURES/twitter-api-v2-twarc-csv"/edited.jsonl'
test_expect 'a twarc stream with a broken line: quarantined once, however often ingested' '
	ingest_twice v2-bad "$FIXTURES/twitter-api-v2-twarc-csv/streaming_output_with_error.jsonl" &&
	grep -q "\"quarantined\": 1," first &&
	test "$(custos quarantine list | grep -c streaming_output_with_error)" = 1 &&
	custos stats --json | grep -q "\"quarantined\": 1,"
'
test_expect 'Mastodon account export' 'ingest_twice mastodon "$FIXTURES/mastodon-archive-dealingwith"'
test_expect 'Facebook posts' 'ingest_twice facebook "$FIXTURES/facebook-dyi-lucasfdz/your_posts_1.json"'
test_expect 'Slack export as a .zip' 'ingest_twice slack "$FIXTURES/slack-export-viewer-testarchive/testarchive.zip"'
test_expect 'LinkedIn shares and comments' 'ingest_twice linkedin "$FIXTURES/linkedin-sanand0"'
test_expect 'feeds (well-formed RSS and Atom)' '
	ingest_twice feeds "$FIXTURES/feedparser-tests/wellformed/rss" "$FIXTURES/feedparser-tests/wellformed/atom10"
'
test_done
