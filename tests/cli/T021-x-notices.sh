#!/bin/sh
# X: what says something about a post without being one (stream notices,
# likes, message events) is recorded beside the post, never applied to it.
. tests/cli/lib.sh

TW='{"created_at":"Sat Aug 02 15:49:45 +0000 2014","id":495597326736449536,"id_str":"495597326736449536","text":"keep me #evidence","user":{"id":2566877347,"id_str":"2566877347","screen_name":"acme","name":"Acme"}}'
DEL='{"delete":{"status":{"id":495597326736449536,"user_id":2566877347,"id_str":"495597326736449536","user_id_str":"2566877347"},"timestamp_ms":"1407000000000"}}'

test_expect 'a delete notice is a record of its own; the post stays as captured' '
	custos init >/dev/null &&
	printf "%s\n%s\n" "$TW" "$DEL" >stream.jsonl &&
	custos ingest --json stream.jsonl >out 2>warn &&
	grep -q "\"added\": 2, \"versions\": 0" out &&
	custos show --json x:495597326736449536 >post &&
	grep -q "\"text\":\"keep me #evidence\"" post && ! grep -q deleted_at post &&
	custos show --json x:delete:495597326736449536 >notice &&
	grep -q "\"subtype\":\"delete\"" notice &&
	grep -q "\"target\":\"x:495597326736449536\"" notice &&
	grep -q "\"created_at\":\"2014-08-02T17:20:00Z\"" notice &&
	custos stats --json >st && grep -q "\"deleted_upstream\": 0" st &&
	test "$(custos search --count "#evidence")" = 1 &&
	custos search --json about:x:495597326736449536 >about &&
	grep -q "\"id\": \"x:delete:495597326736449536\"" about &&
	test "$(custos search --count about:x:495597326736449536)" = 1 &&
	test "$(custos search --count about:x:1)" = 0 &&
	custos ingest --json stream.jsonl >again &&
	grep -q "\"added\": 0, \"versions\": 0, \"unchanged\": 2" again
'
test_expect 'withheld, scrub_geo and limit notices are kept; others are skipped with a warning' '
	custos init >/dev/null &&
	{ echo "{\"status_withheld\":{\"id\":\"495597326736449536\",\"user_id\":\"2566877347\",\"withheld_in_countries\":[\"DE\",\"FR\"],\"timestamp_ms\":\"1407000000001\"}}"
	  echo "{\"scrub_geo\":{\"user_id\":2566877347,\"user_id_str\":\"2566877347\",\"up_to_status_id\":495597326736449536,\"up_to_status_id_str\":\"495597326736449536\",\"timestamp_ms\":\"1407000000002\"}}"
	  echo "{\"limit\":{\"track\":1234,\"timestamp_ms\":\"1407000000003\"}}"
	  echo "{\"disconnect\":{\"code\":4,\"stream_name\":\"acme\",\"reason\":\"stall\"}}"
	} >notices.jsonl &&
	custos ingest --json --format twitter-api notices.jsonl >out 2>warn &&
	grep -q "\"added\": 3," out &&
	grep -q "line 4: not a tweet, a page of tweets or a notice about one; skipped" warn &&
	custos show --json x:status_withheld:495597326736449536 >w && grep -q "withheld in: DE FR" w &&
	custos show --json x:scrub_geo:2566877347:495597326736449536 >g &&
	grep -q "\"target\":\"x:495597326736449536\"" g &&
	custos show --json x:limit:1407000000003:1234 >l &&
	grep -q "1234 posts matching the stream" l
'
if ! have_fixtures; then
	test_skip 'X fixtures: likes, message events, DM threads' "no $FIXTURES: real-data tier skipped"
	test_done
	exit
fi
test_expect 'an X archive: likes and a DM conversation are searchable' '
	custos init >/dev/null &&
	custos ingest "$FIXTURES/x-archive-milahu104" >/dev/null 2>&1 &&
	strip() { sed "1s/^window\.[A-Za-z_.0-9]* = //" "$1"; } &&
	d="$FIXTURES/x-archive-milahu104/data" &&
	test "$(custos search --count kind:like)" = "$(strip "$d/like.js" | jq length)" &&
	c1=$(strip "$d/direct-messages.js" | jq "[.[].dmConversation | select(.conversationId==\"2815014648-1964312974236991488\") | .messages[] | select(.messageCreate)] | length") &&
	c2=$(strip "$d/message-event.js" | jq "[.[].messageEvent | select(.conversationId==\"2815014648:1964312974236991488\")] | length") &&
	test "$(custos search --count thread:x:dm:2815014648-1964312974236991488)" = $((c1 + c2))
'
test_done
