#!/bin/sh
# The command line's habits: --json is JSON for the whole call, errors
# included, one shape per kind of object; options that cannot be honoured
# together are refused; messages say each thing once; query errors start
# with "bad query:"; --format bogus lists the formats.
. tests/cli/lib.sh
. tests/cli/gen.sh

setup() {
	custos init >/dev/null && gen_posts 30 >a.ndjson && custos ingest a.ndjson >/dev/null
}

test_expect 'search --json --count is an object; a plain --count a number' '
	setup &&
	custos search --json --count "#topic3" >out &&
	echo "{\"query\": \"#topic3\", \"total\": 3, \"exact\": true, \"watermark\": 30, \"hits\": []}" >expect &&
	test_cmp expect out &&
	custos search --count "#topic3" >n && echo 3 >expect && test_cmp expect n &&
	custos search --csv --count "#topic3" >c && printf "query,total\n#topic3,3\n" >expect &&
	test_cmp expect c
'
test_expect '--facets with --count or --csv is refused, never dropped' '
	setup &&
	test_exit 2 custos search --count --facets platform post 2>err && head -n 1 err >got &&
	echo "custos: a count has no facets: ask for one or the other" >expect && test_cmp expect got &&
	test_exit 2 custos search --csv --facets platform post 2>err2 >out2 && head -n 1 err2 >got2 &&
	echo "custos: --facets has no place in CSV output (one row per hit): use --json or the table for the counts" >expect &&
	test_cmp expect got2 && test ! -s out2 &&
	custos search --json --facets platform "#topic3" | jq -e ".facets.platform.x == 3" >/dev/null
'
test_expect 'with --json a failure is a JSON object on stdout, and nothing on stderr' '
	setup &&
	test_exit 1 custos show --json x:999 >out 2>err &&
	echo "{\"error\": \"no record '"'"'x:999'"'"'\", \"status\": \"notfound\"}" >expect &&
	test_cmp expect out && test ! -s err &&
	test_exit 2 custos search --json --limit lots post >out2 2>err2 &&
	echo "{\"error\": \"--limit takes a number up to 1000000\", \"status\": \"usage\"}" >expect &&
	test_cmp expect out2 && test ! -s err2 &&
	test_exit 2 custos hold list --json --bogus >out3 2>err3 &&
	echo "{\"error\": \"unknown option '"'"'--bogus'"'"'\", \"status\": \"usage\"}" >expect &&
	test_cmp expect out3 && test ! -s err3 &&
	test_exit 1 custos search --json "from:((" >out4 2>err4 &&
	jq -e ".status == \"format\" and (.error | startswith(\"bad query: \"))" out4 >/dev/null &&
	test ! -s err4 &&
	CUSTOS_ARCHIVE=$TEST_DIR/none test_exit 1 custos stats --json >out5 2>err5 &&
	jq -e ".status == \"notarchive\"" out5 >/dev/null && test ! -s err5
'
test_expect 'one shape per kind of object: a hold is the same in create, list and show' '
	setup &&
	custos hold create --json --query "#topic3" m >c &&
	custos hold list --json >l && custos hold show --json m >s &&
	jq -c ".hold | keys" c >k1 && jq -c ".holds[0] | keys" l >k2 && jq -c ".hold | keys" s >k3 &&
	test_cmp k1 k2 && test_cmp k1 k3 &&
	jq -c ".hold" c >h1 && jq -c ".holds[0]" l >h2 && test_cmp h1 h2 &&
	custos show --json x:1 >r && custos show --json --versions x:1 >v &&
	jq -c "keys" r >rk && jq -c ".versions[0] | keys" v >vk && test_cmp rk vk &&
	custos stats --json | jq -c "[.records, .versions, .tombstones]" >sk &&
	custos verify --json | jq -c "[.records, .versions, .tombstones]" >vk2 && test_cmp sk vk2
'
test_expect 'messages say each thing once; query errors start with "bad query:"' '
	setup &&
	custos hold create --query "#topic3" m >/dev/null &&
	custos hold release m --reason "done" >/dev/null &&
	test_exit 1 custos hold release m --reason "again" 2>err &&
	echo "custos: hold m was already released" >expect && test_cmp expect err &&
	test_exit 1 custos hold release nope --reason x 2>err2 &&
	echo "custos: no hold '"'"'nope'"'"'" >expect && test_cmp expect err2 &&
	test_exit 1 custos hold create --query "foo:bar" q 2>err3 &&
	test_exit 1 custos search "foo:bar" 2>err4 && test_cmp err4 err3 &&
	grep -q "^custos: bad query: unknown field '"'"'foo:'"'"' at position 0 (fields: from " err3 &&
	test "$(wc -l <err3)" = 1 &&
	printf "rules:\n  - name: d\n    match: \"*\"\n    retain: 1y\n  - name: q\n    match: \"foo:bar\"\n    retain: 1y\n" >r.yaml &&
	test_exit 1 custos policy set r.yaml 2>err5 &&
	grep -q "^r.yaml:6:12: bad query .foo:bar.: unknown field" err5
'
test_expect '--format bogus lists the formats' '
	custos init >/dev/null && gen_posts 1 >a.ndjson &&
	test_exit 2 custos ingest --format bogus a.ndjson 2>err && head -n 1 err >got &&
	echo "custos: unknown format '"'"'bogus'"'"' (one of: auto, ndjson, x-archive, twitter-api, mastodon, mastodon-api, facebook, slack, linkedin, feed)" >expect &&
	test_cmp expect got &&
	test_exit 2 custos search --sort bogus x 2>err2 && head -n 1 err2 >got2 &&
	echo "custos: --sort takes relevance, date or -date, not '"'"'bogus'"'"'" >expect &&
	test_cmp expect got2
'
test_done
