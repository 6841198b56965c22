#!/bin/sh
# Matters through custos serve: created, coded by query, thread and ids
# with a note, all or nothing; the coding is what `custos matter show`
# reports, each record's tags are readable (the record's coding, a
# search's hits), saved searches are saved, listed and run again; audited
# as the command line audits them; hostile text comes back escaped.
. tests/cli/lib.sh
. tests/cli/gen.sh
. tests/cli/serve.sh

# jpost TOKEN PATH JSON [CURL ARGS]: POSTs JSON, prints the status
jpost() {
	p_tok=$1 p_path=$2 p_json=$3; shift 3
	api "$p_tok" POST "$p_path" -H "Content-Type: application/json" --data-binary "$p_json" "$@"
}

setup() {
	custos init >/dev/null && gen_posts 30 >a.ndjson &&
	printf "%s\n" "{\"id\":\"x:100\",\"platform\":\"x\",\"account\":\"acme\",\"author\":{\"handle\":\"b\"},\"created_at\":\"2024-01-02T00:00:00Z\",\"text\":\"</script><script>alert(\\\"x\\\")</script> a reply\",\"in_reply_to\":\"x:1\"}" >>a.ndjson &&
	custos ingest a.ndjson >/dev/null && token l legal && token a auditor && token c compliance &&
	serve_start --no-poll
}

test_expect 'matters over HTTP: tags by query, thread and ids with a note, all or nothing, as matter show reports them' '
	setup &&
	test "$(jpost l /v1/matters "{\"name\":\"acme\",\"tags\":[\"hot\"],\"description\":\"the <b>\\\"case\\\"</b>\"}")" = 201 &&
	test "$(jpost l /v1/matters "{\"name\":\"acme\"}")" = 409 &&
	test "$(jpost l /v1/matters/acme/tag "{\"tag\":\"responsive\",\"query\":\"#topic3 OR #topic4\",\"note\":\"first pass\"}")" = 200 &&
	jq -e ".selected == 6 and .changed == 6 and .op == \"add\"" body >/dev/null &&
	test "$(jpost l /v1/matters/acme/tag "{\"tag\":\"privileged\",\"ids\":[\"x:3\"],\"note\":\"Attorney-client\"}" -H "X-Custos-Actor: Rita Reviewer <rita@acme.com>")" = 200 &&
	test "$(jpost l /v1/matters/acme/tag "{\"tag\":\"confidential\",\"thread\":\"x:100\"}")" = 200 &&
	jq -e ".selected == 2" body >/dev/null &&
	test "$(jpost l /v1/matters/acme/tag "{\"tag\":\"hot\",\"ids\":[\"x:3\",\"x:999\"]}")" = 404 &&
	grep -q "no record .x:999.: nothing was tagged" body &&
	test "$(jpost l /v1/matters/acme/tag "{\"tag\":\"nosuchtag\",\"ids\":[\"x:3\"]}")" = 400 &&
	test "$(jpost l /v1/matters/acme/tag "{\"tag\":\"hot\",\"query\":\"post\",\"ids\":[\"x:3\"]}")" = 400 &&
	grep -q "exactly one selection" body &&
	test "$(jpost l /v1/matters/acme/tag "{\"tag\":\"responsive\",\"ids\":[\"x:4\"],\"remove\":true}")" = 200 &&
	jq -e ".changed == 1 and .op == \"remove\"" body >/dev/null &&
	test "$(api l GET /v1/matters/acme)" = 200 && mv body http.json &&
	custos matter show acme --json >cli.json && cmp http.json cli.json &&
	jq -e ".tags.responsive == 5 and .tags.privileged == 1 and .tags.confidential == 2 and .tags.hot == 0 and .coded == 7 and .description == \"the <b>\\\"case\\\"</b>\" and .created_by == \"token l\"" cli.json >/dev/null &&
	test "$(api l GET /v1/matters/acme/records/x:3)" = 200 &&
	jq -e "[.tags[] | [.tag, .by, .note]] == [[\"responsive\", \"token l\", \"first pass\"], [\"privileged\", \"Rita Reviewer <rita@acme.com>\", \"Attorney-client\"]] and .disposed == false" body >/dev/null &&
	test "$(api l GET /v1/matters/acme/records/x:2)" = 200 && jq -e ".tags == []" body >/dev/null &&
	test "$(api l GET /v1/matters/acme/records/x:999)" = 404 &&
	test "$(api l GET "/v1/search?q=%23topic3+OR+reply&matter=acme&sort=date")" = 200 &&
	jq -e ".matter == \"acme\" and ([.hits[] | [.id, (.tags | join(\",\"))]] == [[\"x:3\", \"responsive,privileged\"], [\"x:16\", \"responsive\"], [\"x:29\", \"responsive\"], [\"x:100\", \"confidential\"]])" body >/dev/null &&
	test "$(api l GET "/v1/search?q=reply")" = 200 && ! grep -q "\"tags\"" body &&
	jq -r ".hits[0].snippet" body | grep -qF "</script><script>alert(\"x\")</script> a [[reply]]" &&
	test "$(api c GET "/v1/search?q=post&matter=acme")" = 403 && grep -q "may not read matters" body &&
	test "$(api a GET "/v1/search?q=post&matter=nosuch")" = 404 &&
	test "$(api a GET /v1/matters/acme)" = 200 &&
	test "$(jpost a /v1/matters/acme/tag "{\"tag\":\"hot\",\"ids\":[\"x:3\"]}")" = 403 &&
	test "$(api l GET /v1/matters)" = 200 && jq -e ".matters == [\"acme\"]" body >/dev/null &&
	serve_stop &&
	sha=$(printf "x:3\n" | sha256sum | cut -c1-64) &&
	custos audit --json | jq -s -e --arg s "$sha" "map(select(.action == \"matter-tag\" and .token == \"l\" and .actor == \"Rita Reviewer <rita@acme.com>\" and .params.tag == \"privileged\" and .result.ids_sha256 == \$s)) | length == 1" >/dev/null &&
	custos audit --json | jq -s -e "map(select(.action == \"matter-tag\" and .token == \"l\")) | length == 7 and (map(select(.status == \"ok\")) | length == 4)" >/dev/null &&
	custos audit --json | jq -s -e "map(select(.action == \"matter-tag\" and .token == \"a\" and .status == \"not allowed for this role\")) | length == 1" >/dev/null &&
	custos audit --json | jq -s -e "map(select(.action == \"matter-read\" and .token == \"l\" and .params.matter == \"acme\")) | length >= 3" >/dev/null
'

test_expect 'saved searches: saved with their hits and watermark, listed, run again as the archive is now' '
	setup &&
	test "$(jpost l /v1/matters "{\"name\":\"acme\"}")" = 201 &&
	test "$(jpost l /v1/matters/acme/searches "{\"name\":\"t3\",\"query\":\"#topic3\"}")" = 201 &&
	jq -e ".hits == 3 and .watermark == 31" body >/dev/null &&
	test "$(jpost l /v1/matters/acme/searches "{\"name\":\"bad\",\"query\":\"(\"}")" = 400 &&
	token i ingest && gen_posts 13 40 >b.ndjson &&
	test "$(api i POST /v1/records -H "Content-Type: application/x-ndjson" --data-binary @b.ndjson)" = 200 &&
	wait_for 30 sh -c "curl -s -H \"Authorization: Bearer $(cat tok.l)\" \"$URL/v1/search?q=%23topic3&count=1\" | grep -q \"total.: 4\"" &&
	test "$(api a GET /v1/matters/acme/searches)" = 200 &&
	jq -e ".searches | length == 1 and .[0].name == \"t3\" and .[0].hits == 3 and .[0].saved_by == \"token l\"" body >/dev/null &&
	test "$(api a GET "/v1/matters/acme/searches/t3?limit=1&sort=date")" = 200 &&
	jq -e ".saved.hits == 3 and .search.total == 4 and (.search.hits | length) == 1 and .search.hits[0].id == \"x:3\"" body >/dev/null &&
	test "$(api a GET /v1/matters/acme/searches/nope)" = 404 && grep -q "has no saved search .nope." body &&
	test "$(api c GET /v1/matters/acme/searches/t3)" = 403 &&
	serve_stop &&
	custos matter show acme --json | jq -e ".searches[0].hits == 3" >/dev/null &&
	custos audit --json | jq -s -e "map(select(.action == \"matter-search\" and .token == \"a\" and .status == \"ok\" and .result.hits == 4 and .result.saved_hits == 3)) | length == 1" >/dev/null
'

test_expect 'a search narrowed by tags and its tag facet over HTTP: the JSON of custos search, unknown tags refused' '
	setup &&
	test "$(jpost l /v1/matters "{\"name\":\"acme\",\"tags\":[\"hot\"]}")" = 201 &&
	test "$(jpost l /v1/matters/acme/tag "{\"tag\":\"responsive\",\"query\":\"#topic3 OR #topic4\"}")" = 200 &&
	test "$(jpost l /v1/matters/acme/tag "{\"tag\":\"privileged\",\"ids\":[\"x:3\",\"x:5\"]}")" = 200 &&
	test "$(jpost l /v1/matters/acme/tag "{\"tag\":\"hot\",\"thread\":\"x:100\"}")" = 200 &&
	test "$(api a GET "/v1/search?q=post+OR+reply&matter=acme&tag=responsive&facets=tag,platform&limit=100&sort=date")" = 200 &&
	mv body narrowed.json &&
	jq -e ".total == 6 and ([.hits[].id] | sort) == [\"x:16\", \"x:17\", \"x:29\", \"x:3\", \"x:30\", \"x:4\"] and .facets.tag == {\"responsive\": 6, \"privileged\": 1, \"confidential\": 0, \"hot\": 0, \"non-responsive\": 0} and .facets.platform == {\"x\": 6}" narrowed.json >/dev/null &&
	test "$(api l GET "/v1/search?q=post+OR+reply&matter=acme&facets=tag&limit=1")" = 200 && mv body all.json &&
	test "$(api l GET "/v1/search?q=post+OR+reply&matter=acme&tag=responsive,privileged&count=1")" = 200 &&
	jq -e ".total == 1" body >/dev/null &&
	test "$(api l GET "/v1/matters/acme/searches")" = 200 &&
	test "$(jpost l /v1/matters/acme/searches "{\"name\":\"all\",\"query\":\"post OR reply\"}")" = 201 &&
	test "$(api l GET "/v1/matters/acme/searches/all?tag=hot&facets=tag")" = 200 &&
	jq -e ".saved.hits == 31 and .search.total == 2 and .search.facets.tag.hot == 2" body >/dev/null &&
	test "$(api l GET "/v1/search?q=post&matter=acme&tag=nosuch")" = 400 &&
	grep -q "matter .acme. has no tag .nosuch." body &&
	test "$(api l GET "/v1/search?q=post&matter=nosuch&tag=hot")" = 404 &&
	test "$(api l GET "/v1/search?q=post&tag=hot")" = 400 && grep -q "needs a matter" body &&
	test "$(api l GET "/v1/search?q=post&facets=tag")" = 400 && grep -q "needs a matter" body &&
	test "$(api c GET "/v1/search?q=post&matter=acme&facets=tag")" = 403 &&
	test "$(api c GET "/v1/search?q=post&matter=acme&tag=responsive&count=1")" = 403 &&
	serve_stop &&
	custos search --json --matter acme --tag responsive --facets tag,platform --limit 100 --sort date "post OR reply" >cli.json &&
	cmp narrowed.json cli.json &&
	custos matter show acme --json | jq -S .tags >want && jq -S .facets.tag all.json >got && test_cmp want got
'

serve_reap
test_done
