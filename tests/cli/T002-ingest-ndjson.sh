#!/bin/sh
# Ingest of the canonical ndjson format: counts, versions, show, stats.
. tests/cli/lib.sh
. tests/cli/gen.sh

test_expect 'ingest reports added records and re-ingest adds nothing' '
	custos init >/dev/null &&
	gen_posts 50 >posts.ndjson &&
	custos ingest --json posts.ndjson >out &&
	grep -q "\"added\": 50, \"versions\": 0, \"unchanged\": 0, \"quarantined\": 0" out &&
	custos ingest --json posts.ndjson >out &&
	grep -q "\"added\": 0, \"versions\": 0, \"unchanged\": 50, \"quarantined\": 0" out
'
test_expect 'an edited post becomes version 2; the old export adds nothing' '
	custos init >/dev/null &&
	gen_posts 5 >v1.ndjson &&
	gen_posts 2 1 " (edited)" >v2.ndjson &&
	custos ingest v1.ndjson >/dev/null &&
	custos ingest --json v2.ndjson >out &&
	grep -q "\"added\": 0, \"versions\": 2, \"unchanged\": 0" out &&
	custos ingest --json v1.ndjson >out &&
	grep -q "\"added\": 0, \"versions\": 0, \"unchanged\": 5" out &&
	custos show --versions x:1 >out &&
	test $(grep -c "^[12] " out) = 2 &&
	custos show --json x:1 >out &&
	grep -q "\"version\":2" out && grep -q "(edited)" out &&
	custos show --json --version 1 x:1 >out &&
	grep -q "\"version\":1" out && ! grep -q "(edited)" out
'
test_expect 'show --raw gives back the original bytes exactly' '
	custos init >/dev/null &&
	printf "%s\n" "{\"text\": \"spaced  out\",   \"id\":\"x:9\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2020-01-01T00:00:00+02:00\"}" >one.ndjson &&
	custos ingest one.ndjson >/dev/null &&
	custos show --raw x:9 >raw &&
	printf "%s" "$(cat one.ndjson)" >expect &&
	cmp expect raw &&
	custos show --json x:9 >out &&
	grep -q "\"created_at\":\"2019-12-31T22:00:00Z\"" out
'
test_expect 'entities are derived from text and kind from links' '
	custos init >/dev/null &&
	echo "{\"id\":\"x:7\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2020-01-01\",\"text\":\"hi @bob see #News and \$ACME https://ex.com/a\",\"in_reply_to\":\"x:6\"}" >e.ndjson &&
	custos ingest e.ndjson >/dev/null &&
	custos show --json x:7 >out &&
	grep -q "\"kind\":\"reply\"" out &&
	grep -q "\"hashtags\":\[\"News\"\]" out &&
	grep -q "\"mentions\":\[\"bob\"\]" out &&
	grep -q "\"cashtags\":\[\"ACME\"\]" out &&
	grep -q "\"urls\":\[\"https://ex.com/a\"\]" out
'
test_expect 'a post deleted upstream is kept and marked' '
	custos init >/dev/null &&
	gen_posts 3 >a.ndjson &&
	custos ingest a.ndjson >/dev/null &&
	gen_posts 1 2 | sed "s/}\$/,\"deleted_at\":\"2024-01-01T00:00:00Z\"}/" >del.ndjson &&
	custos ingest --json del.ndjson >out &&
	grep -q "\"versions\": 1" out &&
	custos show x:2 >out && grep -q "deleted upstream; kept" out &&
	custos stats --json >out && grep -q "\"deleted_upstream\": 1" out
'
test_expect 'stats counts records, versions and platforms' '
	custos init >/dev/null &&
	gen_posts 20 >a.ndjson && gen_posts 3 1 " v2" >b.ndjson &&
	custos ingest a.ndjson b.ndjson >/dev/null &&
	custos stats --json >out &&
	grep -q "\"records\": 20, \"versions\": 23" out &&
	grep -q "\"x\": {\"records\": 20, \"versions\": 23" out &&
	custos stats >out && grep -q "^records *20" out
'
test_expect 'a folder is ingested whole' '
	custos init >/dev/null &&
	mkdir in && gen_posts 4 >in/a.ndjson && gen_posts 4 100 >in/b.ndjson &&
	custos ingest --json in >out &&
	grep -q "\"added\": 8" out
'
test_expect 'show of an empty or overlong id says there is no such record' '
	custos init >/dev/null && gen_posts 2 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	test_exit 1 custos show "" 2>err && grep -q "no record" err &&
	test_exit 1 custos show --versions "" 2>err && grep -q "no record" err &&
	long=$(awk "BEGIN { for (i = 0; i < 600; i++) printf \"a\" }") &&
	test_exit 1 custos show "x:$long" 2>err && grep -q "no record" err
'
test_expect 'records carry the sha256 of their file, as the audit entry names it' '
	custos init >/dev/null &&
	gen_posts 8000 >big.ndjson && test $(wc -c <big.ndjson) -gt 1048576 &&
	mkdir d && gen_posts 3 9001 >d/small.ndjson &&
	custos ingest big.ndjson d >/dev/null &&
	h=$(sha256sum big.ndjson | cut -c1-64) && s=$(sha256sum d/small.ndjson | cut -c1-64) &&
	custos audit --json | grep "\"action\":\"ingest-begin\"" | grep -q "\"path\":\"big.ndjson\",\"bytes\":[0-9]*,\"sha256\":\"$h\"" &&
	custos show --json x:1 | grep -q "\"file_sha256\":\"$h\"" &&
	custos show --json x:8000 | grep -q "\"file_sha256\":\"$h\"" &&
	custos show --json x:9002 | grep -q "\"file_sha256\":\"$s\""
'
test_done
