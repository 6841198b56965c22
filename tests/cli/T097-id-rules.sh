#!/bin/sh
# Ids a person can name: a feed's <guid> written across lines, or holding
# blanks and a '#', gives an id without control characters or blanks at its
# ends; such an id can be held by --ids (where '#' starts a comment only at a
# line's start or after a blank) and by a query, its membership line is read
# back by every later command, verify agrees, and disposition keeps it.
. tests/cli/lib.sh

feed() {
	cat <<'XML'
<?xml version="1.0"?>
<rss version="2.0"><channel><title>t</title><link>http://e.com/</link><description>d</description>
<item><title>a</title><guid isPermaLink="false">
    tag one	  two
</guid><description>first words</description><pubDate>Mon, 07 Dec 2023 10:00:00 GMT</pubDate></item>
<item><title>b</title><guid>http://e.com/p#frag</guid><description>second words</description><pubDate>Mon, 07 Dec 2023 11:00:00 GMT</pubDate></item>
<item><title>c</title><guid>  http://e.com/q  </guid><description>third words</description><pubDate>Mon, 07 Dec 2023 12:00:00 GMT</pubDate></item>
</channel></rss>
XML
}
setup() { custos init >/dev/null && feed >f.xml && custos ingest f.xml >/dev/null; }

test_expect 'a guid across lines, with blanks or a fragment gives a clean id' '
	setup &&
	custos search --json words | jq -r ".hits[].id" | sort >got &&
	printf "feed:e.com:http://e.com/p#frag\nfeed:e.com:http://e.com/q\nfeed:e.com:tag one two\n" >expect &&
	test_cmp expect got &&
	custos show "feed:e.com:tag one two" | grep -q "first words"
'
test_expect 'ids with blanks and # are held by --ids and by query, read back, kept by disposition' '
	setup &&
	printf "# the matter\nfeed:e.com:tag one two   # the first\nfeed:e.com:http://e.com/p#frag\nx:404 #not captured\n" >ids &&
	custos hold create h1 --ids ids >out &&
	grep -q "2 in the archive, 1 not captured yet" out &&
	custos hold create h2 --query "first OR second" >/dev/null &&
	custos hold show h1 | tail -n 3 | head -n 2 >got1 &&
	custos hold show h2 | tail -n 2 >got2 &&
	printf "feed:e.com:http://e.com/p#frag\nfeed:e.com:tag one two\n" >expect &&
	test_cmp expect got1 && test_cmp expect got2 &&
	grep -q "^feed:e.com:tag one two [0-9a-f]\{64\}$" archive/holds/h2.members &&
	custos verify >/dev/null &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1d\n" >r.yaml &&
	custos policy set r.yaml >/dev/null &&
	custos retention apply --yes >/dev/null &&
	test "$(custos stats --json | jq .tombstones)" = 1 &&
	custos show "feed:e.com:tag one two" | grep -q "first words" &&
	custos show "feed:e.com:http://e.com/p#frag" | grep -q "second words" &&
	custos show feed:e.com:http://e.com/q | grep -q "^status  *disposed of"
'
test_expect 'a hold list naming an id with a blank at its end or a control character is refused' '
	setup &&
	printf "feed:e.com:a\tb\n" >bad &&
	test_exit 1 custos hold create h3 --ids bad 2>err &&
	grep -q "is not a record id" err &&
	test_exit 1 custos hold show h3 2>/dev/null
'
test_done
