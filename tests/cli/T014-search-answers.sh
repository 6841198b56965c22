#!/bin/sh
# Search always answers and never silently under-reports (issue 12): a term
# every record of a realistic shard carries, '*', every version of an edited
# post, text in Unicode bold letters, refusals with a position, the term
# report's comments, bad lines and breakdowns, an index that cannot shrink
# silently (MANIFEST, generations, a missing shard), and terms too long for
# Xapian.
. tests/cli/lib.sh
. tests/cli/gen.sh

test_expect 'a term every record carries answers on a shard of realistic size' '
	custos init >/dev/null && gen_posts 3000 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos search platform:x >out && tail -n 1 out >last &&
	echo "3000 records, showing 1-20" >expect && test_cmp expect last &&
	test "$(custos search --count "*")" = 3000 &&
	test "$(custos search --count "platform:x")" = 3000 &&
	custos search --json --sort -date --limit 5 "platform:x NOT #topic3" >j &&
	grep -q "\"total\": 2769," j &&
	custos hold create all-x --query platform:x >/dev/null &&
	custos hold list >holds && grep -q "all-x" holds &&
	printf "platform:x\n*\n" >terms && custos report terms --json terms >r &&
	grep -q "\"query\": \"platform:x\", \"hits\": 3000, \"unique\": 0" r &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n  - name: x\n    match: \"platform:x\"\n    retain: 2y\n" >p.yaml &&
	custos policy set p.yaml -m all >/dev/null &&
	custos retention plan --as-of 2031-01-01 --json >plan &&
	grep -q "\"eligible\":0,\"held\":3000" plan
'
test_expect 'a month every record falls in answers too (dates, newest first, threads)' '
	custos init >/dev/null &&
	awk "BEGIN { for (i = 1; i <= 3000; i++) printf \"{\\\"id\\\":\\\"slack:C1:%d\\\",\\\"platform\\\":\\\"slack\\\",\\\"account\\\":\\\"general\\\",\\\"author\\\":{\\\"handle\\\":\\\"u\\\"},\\\"created_at\\\":\\\"2023-03-%02dT10:00:00Z\\\",\\\"text\\\":\\\"message %d\\\",\\\"thread\\\":\\\"slack:C1:1\\\"}\\n\", i, 1 + i % 28, i }" >m.ndjson &&
	custos ingest m.ndjson >/dev/null &&
	test "$(custos search --count date:2023-03)" = 3000 &&
	test "$(custos search --count "date:2023-03-01..2023-03-31 platform:slack")" = 3000 &&
	custos search --sort -date --limit 3 "message" >p && tail -n 1 p >last &&
	echo "3000 records, showing 1-3" >expect && test_cmp expect last &&
	custos search --sort date --limit 1 "date:2023-03" >p2 && tail -n 1 p2 >last2 &&
	echo "3000 records, showing 1-1" >expect2 && test_cmp expect2 last2 &&
	printf "message\n" >terms && custos report terms --json terms >r &&
	grep -q "\"hits\": 3000, \"unique\": 3000, \"family\": 3000" r &&
	custos show --thread slack:C1:5 >t && test "$(grep -c "slack:C1:" t)" -ge 3000
'

edits() {
	custos init >/dev/null &&
	printf "%s\n" "{\"id\":\"x:1\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2022-03-05T09:30:00Z\",\"text\":\"Our prodcut launches today\",\"url\":\"https://x.com/a/status/1\"}" >v1.ndjson &&
	printf "%s\n" "{\"id\":\"x:1\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2022-03-05T09:30:00Z\",\"edited_at\":\"2022-03-05T09:31:00Z\",\"text\":\"Our product (fixed) launches today\",\"url\":\"https://x.com/a/status/2\"}" >v2.ndjson &&
	custos ingest v1.ndjson >/dev/null && custos ingest v2.ndjson >/dev/null
}
test_expect 'every version is found by its own words; a record counts once' '
	edits &&
	custos search --json prodcut >j1 && grep -q "\"id\": \"x:1\".*\"version\": 1, \"matched_versions\": \[1\]" j1 &&
	custos search --json "product fixed" >j2 && grep -q "\"version\": 2, \"matched_versions\": \[2\]" j2 &&
	custos search --json launches >j3 && grep -q "\"total\": 1," j3 &&
	grep -q "\"matched_versions\": \[1, 2\]" j3 &&
	test "$(custos search --count "prodcut OR product")" = 1 &&
	custos search --json "id:x:2" >j4 && grep -q "\"id\": \"x:1\"" j4
'
test_expect 'an edit'"'"'s own id resolves to its record, and show presents the edit as current' '
	edits &&
	custos show x:2 >s && grep -q "Our product (fixed)" s &&
	custos show x:1 >s1 && grep -q "Our product (fixed)" s1 &&
	printf "%s\n" "{\"id\":\"x:1\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2022-03-05T09:30:00Z\",\"text\":\"Our prodcut launches today (as captured again, later)\",\"url\":\"https://x.com/a/status/1\"}" >v1b.ndjson &&
	custos ingest v1b.ndjson >/dev/null &&
	custos show x:1 >s2 && grep -q "Our product (fixed)" s2
'
test_expect 'the LinkedIn post in Unicode bold letters is found by the plain word' '
	if ! have_fixtures; then echo "no fixtures"; exit 0; fi &&
	custos init >/dev/null && custos ingest --skip-bad "$FIXTURES/linkedin-sanand0" >/dev/null &&
	test "$(custos search --count inconsistency)" -ge 1 &&
	test "$(custos search --count "=inconsistency")" -ge 1
'
test_expect 'what cannot be searched is refused with its position' '
	custos init >/dev/null && gen_posts 10 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	test_exit 1 custos search "post NEAR/4294967297 number" 2>e1 &&
	echo "custos: bad query: the distance '"'"'4294967297'"'"' at position 10 is not a whole number from 1 to 1000" >x1 && test_cmp x1 e1 &&
	test_exit 1 custos search "post NEAR/0 number" 2>e2 && grep -q "position 10" e2 &&
	test_exit 1 custos search platform:twitter 2>e3 &&
	echo "custos: bad query: '"'"'platform:twitter'"'"' at position 0: no platform '"'"'twitter'"'"' (platforms: facebook, feed, linkedin, mastodon, slack, x); X is '"'"'x'"'"'" >x3 && test_cmp x3 e3 &&
	test_exit 1 custos search kind:bogus 2>e4 && grep -q "no kind '"'"'bogus'"'"'" e4 &&
	test_exit 1 custos search "post NEAR platform:x" 2>e5 && grep -q "proximity works between words" e5 &&
	test_exit 1 custos search "NOT NOT" 2>e6 && grep -q "position 4" e6 &&
	custos search --count "NOT NOT NOT post" >n && test "$(cat n)" = 0 &&
	custos search --count "post or zebra" >n 2>note && test "$(cat n)" = 0 &&
	grep -q "'"'"'or'"'"' at position 5 was searched as a word" note &&
	test "$(custos search --dtsearch --count "post or zebra")" = 10
'
test_expect 'report terms: comments, a bad line by its number while the others run, breakdowns' '
	custos init >/dev/null && gen_posts 30 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	printf "# the matter terms\n#topic1   # the hashtag, not a comment\n\nfoo:bar\nnumber w/3 topic*\n" >terms &&
	test_exit 1 custos report terms --json terms >r 2>err &&
	grep -q "{\"line\": 4, \"query\": \"foo:bar\", \"error\": \"bad query: unknown field '"'"'foo:'"'"' at position 0" r &&
	test ! -s err && test_exit 1 custos report terms terms >/dev/null 2>err &&
	grep -q "^custos: terms:4: bad query: unknown field '"'"'foo:'"'"' at position 0" err &&
	grep -q "\"incomplete\": true" r &&
	grep -q "{\"line\": 2, \"query\": \"#topic1\", \"hits\": 3, \"unique\": 0, \"family\": 3, \"accounts\": {\"acme\": 3}, \"platforms\": {\"x\": 3}}" r &&
	grep -q "\"line\": 5, \"query\": \"number w/3 topic\*\", \"hits\": 30," r &&
	test_exit 1 custos report terms --csv terms >c 2>/dev/null &&
	grep -q "^2,#topic1,account,acme,3,,,$" c
'
test_expect 'a removed shard makes searches fail loudly; a rebuild leaves one generation' '
	custos init >/dev/null && gen_posts 50 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	cat archive/index/MANIFEST >m && grep -q "^part 2023 1 " m &&
	custos index --rebuild >/dev/null &&
	grep -q "^part 2023 2 " archive/index/MANIFEST && ls archive/index >dirs &&
	printf "2023-2\nMANIFEST\n" >expect && test_cmp expect dirs &&
	rm -rf archive/index/2023-2/shard1 &&
	test_exit 1 custos search --count post 2>err &&
	grep -q "the search index is missing shard 1 of [0-9] of partition 2023" err &&
	grep -q "custos index --rebuild" err &&
	custos index --rebuild >/dev/null && test "$(custos search --count post)" = 50
'
test_expect 'leftovers of an interrupted compaction or rebuild are removed by the next writer' '
	custos init >/dev/null && gen_posts 20 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	cp -r archive/index/2023-1 archive/index/2023-7 && mkdir -p archive/index/build/shard0 &&
	mkdir -p archive/index.rebuild/shard0 && echo x >archive/index.rebuild/shard0/f &&
	test "$(custos search --count post)" = 20 &&
	gen_posts 5 100 >b.ndjson && custos ingest b.ndjson >/dev/null &&
	ls archive/index >dirs && printf "2023-1\nMANIFEST\n" >expect && test_cmp expect dirs &&
	custos index --rebuild >/dev/null && ! test -e archive/index.rebuild &&
	test "$(custos search --count post)" = 25
'
test_expect 'values longer than a Xapian term index cut and hashed, and are found' '
	custos init >/dev/null &&
	long=$(awk "BEGIN { for (i = 0; i < 300; i++) printf \"a\" }") &&
	l63=$(awk "BEGIN { for (i = 0; i < 63; i++) printf \"d\" }") && dom=$l63.$l63.$l63.$l63.example.com &&
	big=$(awk "BEGIN { for (i = 0; i < 20000; i++) printf \"c\" }") &&
	huge=$(awk "BEGIN { for (i = 0; i < 100000; i++) printf \"b\" }") &&
	printf "{\"id\":\"x:1\",\"platform\":\"x\",\"account\":\"%s\",\"author\":{\"handle\":\"h%s\"},\"created_at\":\"2020-01-01\",\"text\":\"see #%s and https://%s/x\",\"lang\":\"en\"}\n" "$long" "$long" "$long" "$dom" >l.ndjson &&
	printf "{\"id\":\"x:2\",\"platform\":\"x\",\"author\":{\"handle\":\"b\"},\"created_at\":\"2020-01-01\",\"text\":\"tag #%s\"}\n" "$huge" >>l.ndjson &&
	printf "{\"id\":\"x:3\",\"platform\":\"x\",\"author\":{\"handle\":\"b\"},\"created_at\":\"2020-01-01\",\"text\":\"tag #%s\",\"in_reply_to\":\"x:%s\",\"lang\":\"%s\"}\n" "$big" "$long" "en" >>l.ndjson &&
	w270=$(awk "BEGIN { for (i = 0; i < 270; i++) printf \"t\" }") &&
	printf "{\"id\":\"feed:1\",\"platform\":\"feed\",\"author\":{\"handle\":\"f\"},\"created_at\":\"2020-01-01\",\"title\":\"A %s title\",\"text\":\"body\",\"lang\":\"de\"}\n" "$w270" >>l.ndjson &&
	custos ingest l.ndjson >/dev/null 2>err && test "$(wc -c <err)" -lt 2000 &&
	test "$(custos search --count "$w270")" = 1 &&
	test "$(custos search --count "\"a $w270 title\"")" = 1 &&
	test "$(custos search --count "${w270}t")" = 0 &&
	test "$(custos search --count "#$long")" = 1 &&
	test "$(custos search --count "account:$long")" = 1 &&
	test "$(custos search --count "from:h$long")" = 1 &&
	test "$(custos search --count "url:$dom")" = 1 &&
	test "$(custos search --count "#$big")" = 1 &&
	test "$(custos search --count "thread:x:$long")" = 1 &&
	test "$(custos search --count "#${long}x")" = 0 &&
	custos verify >/dev/null
'
test_done
