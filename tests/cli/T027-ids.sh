#!/bin/sh
# Ids come from what identifies an item in its source: one message, one id,
# however the export is packaged; records an older custos stored under the
# ids of the recipes before keep them, and re-ingesting adds nothing.
. tests/cli/lib.sh

# slack-mini: 7 messages and one without a ts (set aside: --skip-bad)
slack_forms() {
	cp -r "$TOP/tests/data/import-b/slack-mini" full &&
	cp -r full bare && rm bare/channels.json bare/dms.json &&
	(cd full && zip -qr ../full.zip .)
}

test_expect 'a Slack export as a zip, as a folder and without channels.json: one record per message' '
	custos init >/dev/null && slack_forms &&
	custos ingest --skip-bad --json full.zip >1 2>/dev/null && jq -e ".added == 7" 1 >/dev/null &&
	custos ingest --skip-bad --json full >2 2>/dev/null && jq -e ".added == 0 and .versions == 0" 2 >/dev/null &&
	custos ingest --skip-bad --json bare >3 2>/dev/null && jq -e ".added == 0" 3 >/dev/null &&
	test "$(custos search --count platform:slack)" = 7 &&
	test "$(custos search --count from:bo)" = 3
'

test_expect 'without its channel list, a Slack export still names its authors from users.json' '
	custos init >/dev/null && slack_forms &&
	custos ingest --skip-bad bare >/dev/null 2>&1 &&
	custos show --json slack:general:1704153660.000200 >r &&
	jq -e ".author.handle == \"bo\" and .author.name == \"Bo Chen\"" r >/dev/null
'

test_expect 'exports an older custos took under other ids: re-ingesting adds nothing' '
	custos init >/dev/null && slack_forms &&
	mkdir li && printf "Date,Link,Message\n2025-07-13 08:04:08,https://www.linkedin.com/feed/update/urn%%3Ali%%3Aactivity%%3A7000000000000000001,Nice\n" >li/Comments.csv &&
	mkdir fb && printf "[{\"timestamp\": 1700000300, \"data\": [{\"post\": \"hola\"}], \"title\": \"Ana Lima actualiz\\\\u00f3 su estado.\"}]" >fb/your_posts_1.json &&
	CUSTOS_TEST_OLD_IDS=1 custos ingest --skip-bad --json full li fb >old 2>/dev/null &&
	jq -e ".added == 9" old >/dev/null &&
	custos show --json slack:C001:1704153600.000100 >/dev/null &&
	custos ingest --skip-bad --json full li fb >new 2>/dev/null &&
	jq -e ".added == 0 and .versions == 0 and .unchanged == 9" new >/dev/null &&
	custos ingest --skip-bad --json full.zip >new2 2>/dev/null &&
	jq -e ".added == 0 and .versions == 0" new2 >/dev/null &&
	test "$(custos search --count "thread:slack:C001:1704153600.000100")" = 2
'

test_expect 'LinkedIn: one comment text at one second on two posts is two records' '
	custos init >/dev/null && mkdir li &&
	{ echo "Date,Link,Message" &&
	  echo "2025-07-13 08:04:08,https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7000000000000000001,Congratulations!" &&
	  echo "2025-07-13 08:04:08,https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7000000000000000002,Congratulations!"; } >li/Comments.csv &&
	custos ingest --skip-bad --json li >out 2>/dev/null &&
	jq -e ".added == 2 and .versions == 0" out >/dev/null &&
	test "$(custos search --count "thread:linkedin:7000000000000000001")" = 1 &&
	test "$(custos search --count "thread:linkedin:7000000000000000002")" = 1
'

test_expect 'LinkedIn: rows of one post with different texts leave both searchable' '
	custos init >/dev/null && mkdir li &&
	{ echo "Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility" &&
	  echo "2025-07-01 14:33:22,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A71,First words,,https://media/1,PUBLIC" &&
	  echo "2025-07-01 14:33:22,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A71,Other zebra words,,https://media/2,PUBLIC"; } >li/Shares.csv &&
	custos ingest --skip-bad --json li >out 2>/dev/null &&
	jq -e ".added == 1" out >/dev/null &&
	test "$(custos search --count first)" = 1 &&
	test "$(custos search --count zebra)" = 1
'
test_done
