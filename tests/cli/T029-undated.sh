#!/bin/sh
# Items whose source gives no time are marked undated (not silently dated
# 1970-01-01): has:nodate finds them, and retention counts from their
# capture, so a "default 6y" schedule does not make them eligible at once.
. tests/cli/lib.sh

undated_feed() {
	printf '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>T</title><link>http://ex.com/</link>\n'
	printf '<item><title>no date one</title><guid>g1</guid></item>\n'
	printf '<item><title>no date two</title><guid>g2</guid></item>\n</channel></rss>\n'
}
dated() { printf '{"id":"x:1","platform":"x","author":{"handle":"a"},"created_at":"2001-01-01T00:00:00Z","text":"old post"}\n'; }

test_expect 'an item without a date is stored undated and has:nodate finds it' '
	custos init >/dev/null && undated_feed >u.rss && dated >d.ndjson &&
	custos ingest u.rss d.ndjson >/dev/null 2>err &&
	grep -q "stored as undated (has:nodate)" err &&
	test "$(custos search --count has:nodate)" = 2 &&
	test "$(custos search --count "NOT has:nodate")" = 1 &&
	custos show --json feed:ex.com:g1 >r &&
	jq -e ".undated == true" r >/dev/null &&
	custos verify >/dev/null
'

test_expect 'a connector may send undated records; an undated record with a real time is refused' '
	custos init >/dev/null &&
	printf "{\"id\":\"x:9\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"undated\":true,\"text\":\"when?\"}\n" >n.ndjson &&
	printf "{\"id\":\"x:8\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"undated\":true,\"created_at\":\"2020-01-01\",\"text\":\"both\"}\n" >>n.ndjson &&
	custos ingest --skip-bad --json n.ndjson >out &&
	jq -e ".added == 1 and .quarantined == 1" out >/dev/null &&
	test "$(custos search --count has:nodate)" = 1
'

test_expect 'retention counts undated records from their capture, and the plan counts them' '
	custos init >/dev/null && undated_feed >u.rss && dated >d.ndjson &&
	custos ingest u.rss d.ndjson >/dev/null 2>&1 &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 6y\n" >r.yaml &&
	custos policy set r.yaml -m schedule >/dev/null &&
	custos retention plan --json >p &&
	jq -e ".undated == 2 and .eligible == 1 and .records[0].id == \"x:1\"" p >/dev/null &&
	custos retention plan >h &&
	grep -q "^2 of the records are undated: retained from their capture time$" h
'
test_done
