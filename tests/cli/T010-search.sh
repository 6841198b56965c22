#!/bin/sh
# Search through the real binary: result sets, counts, formats, paging,
# facets, bad queries, lag, rebuild, threads and the term report.
. tests/cli/lib.sh

corpus() {
	cat >corpus.ndjson <<'J'
{"id":"x:1","platform":"x","account":"acme","author":{"handle":"AcmeCorp"},"created_at":"2019-03-01T10:00:00Z","text":"Product recall notice for model X heaters #Recall","lang":"en"}
{"id":"x:2","platform":"x","account":"acme","author":{"handle":"jdoe"},"created_at":"2019-03-02T11:00:00Z","text":"@AcmeCorp is my heater part of the recall?","lang":"en","in_reply_to":"x:1"}
{"id":"x:3","platform":"x","account":"acme","author":{"handle":"AcmeCorp"},"created_at":"2019-03-02T12:00:00Z","text":"@jdoe yes, see https://www.acme.com/recall for the steps","lang":"en","in_reply_to":"x:2"}
{"id":"mastodon:social.example:10","platform":"mastodon","account":"acme@social.example","author":{"handle":"acme@social.example"},"created_at":"2020-07-15T09:00:00Z","text":"Wir rufen Heizgeräte zurück #recall","lang":"de"}
{"id":"slack:C1:1.0","platform":"slack","account":"#support","author":{"handle":"mina"},"created_at":"2021-01-05T08:00:00Z","text":"Customer asks about refund for the heater, escalating","lang":"en"}
{"id":"x:4","platform":"x","account":"acme","author":{"handle":"rsmith"},"created_at":"2021-06-30T23:59:59Z","text":"Great service from the support team today","lang":"en"}
J
	custos init >/dev/null && custos ingest corpus.ndjson >/dev/null
}
ids() { custos search --json --limit 100 "$@" | grep -o '"id": "[^"]*"' | cut -d'"' -f4 | sort | tr '\n' ' '; }

test_expect 'words, hashtags, mentions, fields and dates give exact sets' '
	corpus &&
	test "$(ids recall)" = "mastodon:social.example:10 x:1 x:2 x:3 " &&
	test "$(ids "#recall")" = "mastodon:social.example:10 x:1 " &&
	test "$(ids "@jdoe")" = "x:3 " &&
	test "$(ids from:acmecorp)" = "x:1 x:3 " &&
	test "$(ids platform:slack)" = "slack:C1:1.0 " &&
	test "$(ids kind:reply)" = "x:2 x:3 " &&
	test "$(ids url:acme.com)" = "x:3 " &&
	test "$(ids lang:de)" = "mastodon:social.example:10 " &&
	test "$(ids date:2019)" = "x:1 x:2 x:3 " &&
	test "$(ids date:2021-01-01..2021-06-30)" = "slack:C1:1.0 x:4 " &&
	test "$(ids date:..2019-03-01)" = "x:1 " &&
	test "$(ids heater NOT platform:x)" = "slack:C1:1.0 " &&
	test "$(ids \"recall notice\")" = "x:1 " &&
	test "$(ids support OR refund)" = "slack:C1:1.0 x:4 "
'
test_expect '--count, --csv, paging and date order' '
	corpus &&
	test "$(custos search --count recall)" = 4 &&
	custos search --csv recall >out.csv && test $(wc -l <out.csv) = 5 &&
	head -n 1 out.csv | grep -q "^id,created_at,platform" &&
	first=$(custos search --json --sort date --limit 1 recall | grep -o "\"id\": \"[^\"]*\"" | head -n 1) &&
	test "$first" = "\"id\": \"x:1\"" &&
	newest=$(custos search --json --sort -date --limit 1 recall | grep -o "\"id\": \"[^\"]*\"" | head -n 1) &&
	test "$newest" = "\"id\": \"mastodon:social.example:10\"" &&
	second=$(custos search --json --sort date --limit 1 --offset 1 recall | grep -o "\"id\": \"[^\"]*\"" | head -n 1) &&
	test "$second" = "\"id\": \"x:2\""
'
test_expect 'facets count the whole result, not the page' '
	corpus &&
	custos search --json --limit 1 --facets platform,year heater >out &&
	grep -q "\"platform\": {\"x\": 2, \"slack\": 1}" out &&
	grep -q "\"year\": {\"2019\": 2, \"2021\": 1}" out
'
test_expect 'snippets highlight the match' '
	corpus &&
	custos search refund >out && grep -q "\[\[refund\]\]" out
'
test_expect 'bad queries are refused clearly with exit 1' '
	corpus &&
	test_exit 1 custos search "\"unbalanced" 2>err && grep -q "unbalanced quote" err &&
	test_exit 1 custos search "(a OR b" 2>err && grep -q "parenthesis" err &&
	test_exit 1 custos search foo:bar 2>err && grep -q "unknown field" err &&
	test_exit 1 custos search date:2020-01-01..2019-01-01 2>err && grep -q "ends before it starts" err &&
	test_exit 1 custos search "" 2>err && grep -q "empty query" err &&
	test_exit 1 custos search "$(printf "caf\351")" 2>err && grep -q "UTF-8" err &&
	awk "BEGIN { for (i = 0; i < 10000; i++) printf \"w%d \", i }" >long.q &&
	test_exit 1 custos search "$(cat long.q)" 2>err && grep -q "too long" err
'
test_expect 'a missing index says how to rebuild; rebuild gives the same results' '
	corpus &&
	custos search --json --limit 100 heater >before &&
	rm -rf archive/index &&
	test_exit 1 custos search heater 2>err && grep -q "custos index --rebuild" err &&
	custos index --rebuild >/dev/null &&
	custos search --json --limit 100 heater >after &&
	test_cmp before after
'
test_expect 'after a rebuild (compacted) new records and new versions index as before' '
	corpus &&
	custos index --rebuild >/dev/null &&
	echo "{\"id\":\"x:9\",\"platform\":\"x\",\"author\":{\"handle\":\"late\"},\"created_at\":\"2022-01-01\",\"text\":\"late heater post\"}" >late.ndjson &&
	echo "{\"id\":\"x:4\",\"platform\":\"x\",\"account\":\"acme\",\"author\":{\"handle\":\"rsmith\"},\"created_at\":\"2021-06-30T23:59:59Z\",\"text\":\"Great heater service from the support team today\",\"lang\":\"en\"}" >edit.ndjson &&
	custos ingest late.ndjson edit.ndjson >/dev/null &&
	test "$(ids heater)" = "slack:C1:1.0 x:1 x:2 x:4 x:9 " &&
	test "$(ids "\"heater service\"")" = "x:4 " &&
	test "$(ids "\"great service\"")" = "x:4 " &&
	custos search --count "support team" >n && test "$(cat n)" = 1 &&
	custos verify >/dev/null
'
test_expect 'with --no-index the search says it lags; custos index catches up' '
	corpus &&
	echo "{\"id\":\"x:9\",\"platform\":\"x\",\"author\":{\"handle\":\"late\"},\"created_at\":\"2022-01-01\",\"text\":\"late heater post\"}" >late.ndjson &&
	custos ingest --no-index late.ndjson >/dev/null &&
	custos search --count heater >n 2>err && test "$(cat n)" = 3 &&
	grep -q "lags the store by 1 record" err &&
	custos index >/dev/null &&
	custos search --count heater >n 2>err && test "$(cat n)" = 4 && ! test -s err
'
test_expect 'show --thread gives the conversation in order, whichever member is named' '
	corpus &&
	custos show --thread x:2 >t &&
	sed -n "s/^[> ] [0-9][^ ]*  \([^ ]*\) .*/\1/p" t | tr "\n" " " >order && test "$(cat order)" = "x:1 x:2 x:3 " &&
	grep -q "^> .*x:2" t &&
	custos show --thread x:3 | sed -n "s/^[> ] [0-9][^ ]*  \([^ ]*\) .*/\1/p" | tr "\n" " " >order2 && test_cmp order order2
'
test_expect 'a reply captured before its parent joins the thread once the parent comes' '
	custos init >/dev/null &&
	echo "{\"id\":\"x:21\",\"platform\":\"x\",\"author\":{\"handle\":\"b\"},\"created_at\":\"2020-01-02\",\"text\":\"child\",\"in_reply_to\":\"x:20\"}" >c.ndjson &&
	echo "{\"id\":\"x:20\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2020-01-01\",\"text\":\"parent\",\"in_reply_to\":\"x:19\"}" >p.ndjson &&
	echo "{\"id\":\"x:19\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2019-12-31\",\"text\":\"root\"}" >r.ndjson &&
	custos ingest c.ndjson >/dev/null && custos ingest p.ndjson >/dev/null && custos ingest r.ndjson >/dev/null &&
	custos show --thread x:19 | sed -n "s/^[> ] [0-9][^ ]*  \([^ ]*\) .*/\1/p" | tr "\n" " " >order &&
	test "$(cat order)" = "x:19 x:20 x:21 "
'
test_expect 'report terms gives hits, unique hits and the distinct total' '
	corpus &&
	printf "recall\nheater\n\n#recall\n" >terms &&
	custos report terms --json terms >out &&
	grep -q "\"line\": 1, \"query\": \"recall\", \"hits\": 4, \"unique\": 1" out &&
	grep -q "\"line\": 2, \"query\": \"heater\", \"hits\": 3, \"unique\": 1" out &&
	grep -q "\"line\": 4, \"query\": \"#recall\", \"hits\": 2, \"unique\": 0" out &&
	grep -q "\"distinct\": 5" out &&
	printf "ok\n(broken\n" >bad &&
	test_exit 1 custos report terms bad 2>err && grep -q "bad:2: " err
'
test_expect 'searches are audited with the query and the number of hits' '
	corpus &&
	custos search heater >/dev/null &&
	custos audit --json | tail -n 1 | grep -q "\"action\":\"search\".*\"query\":\"heater\".*\"hits\":3"
'
test_done
