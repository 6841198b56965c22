#!/bin/sh
# A conversation whose replies were captured before their parents: each
# such reply is indexed under its parent as its root, and show --thread, a
# hold with_thread and export --with-thread (and an export of that hold)
# read the conversation whole through those parents.
. tests/cli/lib.sh

# x:N, a reply to x:P when P is given, posted on March N
post() {
	printf '{"id":"x:%s","platform":"x","account":"acme","author":{"handle":"u%s"},"created_at":"2021-03-0%sT10:00:00Z","text":"message %s"%s}\n' \
		"$1" "$1" "$1" "$1" "${2:+,\"in_reply_to\":\"x:$2\"}"
}
# x:1 and its reply x:2, and x:6 (a conversation of its own); then x:5, a
# reply to x:4, which comes next, a reply to x:3, which comes last, a reply
# to x:1: x:5 is indexed in x:4's thread, x:4 in x:3's. $1, when given, is
# run after the first ingest (a hold placed then).
capture() {
	{ post 1 && post 2 1 && post 6; } >a.ndjson && custos ingest a.ndjson >/dev/null &&
	if [ $# -gt 0 ]; then "$@"; fi &&
	post 5 4 >b.ndjson && custos ingest b.ndjson >/dev/null &&
	post 4 3 >c.ndjson && custos ingest c.ndjson >/dev/null &&
	post 3 1 >d.ndjson && custos ingest d.ndjson >/dev/null
}
hold_x2() { echo x:2 >ids && custos hold create --ids ids --with-thread --reason r h >/dev/null; }

test_expect 'show --thread reads replies indexed under parents captured after them, to any depth' '
	custos init >/dev/null && capture &&
	custos show --thread x:5 >out &&
	cat >expect <<-EOF &&
	  2021-03-01T10:00:00Z  x:1  @u1 (post)
	    message 1
	  2021-03-02T10:00:00Z  x:2  @u2 (reply) in reply to x:1
	    message 2
	  2021-03-03T10:00:00Z  x:3  @u3 (reply) in reply to x:1
	    message 3
	  2021-03-04T10:00:00Z  x:4  @u4 (reply) in reply to x:3
	    message 4
	> 2021-03-05T10:00:00Z  x:5  @u5 (reply) in reply to x:4
	    message 5
	EOF
	test_cmp expect out &&
	custos show --thread x:1 | sed "s/^>/ /" >from_root && sed "s/^>/ /" out >from_leaf &&
	test_cmp from_leaf from_root &&
	custos show --thread --json x:4 | jq -r ".thread[].id" >ids_json &&
	printf "x:1\nx:2\nx:3\nx:4\nx:5\n" >expect && test_cmp expect ids_json &&
	custos show --thread --json x:6 | jq -r ".thread[].id" >other &&
	echo x:6 >expect && test_cmp expect other
'

test_expect 'a hold with_thread placed before grows by the replies captured before their parents' '
	custos init >/dev/null && capture hold_x2 &&
	custos hold show --json h | jq -r ".records[].id" >held &&
	printf "x:1\nx:2\nx:3\nx:4\nx:5\n" >expect && test_cmp expect held
'

test_expect 'a hold with_thread placed after holds them from the start' '
	custos init >/dev/null && capture && hold_x2 &&
	custos hold show --json h | jq -r ".records[].id" >held &&
	printf "x:1\nx:2\nx:3\nx:4\nx:5\n" >expect && test_cmp expect held
'

# ids: the ids a jsonl production holds, in its order
ids() { jq -r ".record.id" "$1/records.jsonl"; }

test_expect 'export --with-thread produces the replies captured before their parents' '
	custos init >/dev/null && capture &&
	custos export "id:x:2" --with-thread --format jsonl --out p1 >/dev/null &&
	ids p1 >got && printf "x:1\nx:2\nx:3\nx:4\nx:5\n" >expect && test_cmp expect got &&
	custos export "id:x:6" --with-thread --format jsonl --out p2 >/dev/null &&
	ids p2 >got && echo x:6 >expect && test_cmp expect got &&
	custos export --verify p1 >/dev/null
'

# twenty more replies to x:1, on March 10 (x:10 to x:29)
more() {
	i=10 && while [ $i -lt 30 ]; do
		printf '{"id":"x:%s","platform":"x","account":"acme","author":{"handle":"u%s"},"created_at":"2021-03-10T10:00:%sZ","text":"more %s","in_reply_to":"x:1"}\n' \
			$i $i $i $i; i=$((i + 1))
	done >e.ndjson && custos ingest e.ndjson >/dev/null
}

test_expect 'the same through spilled runs and a spilled queue of ids (a budget of 2 entries)' '
	custos init >/dev/null && more && capture &&
	CUSTOS_TEST_SORT_BUDGET=2 custos export "id:x:5" --with-thread --format jsonl --out p1 >/dev/null &&
	ids p1 >got && { printf "x:1\nx:2\nx:3\nx:4\nx:5\n" && seq -f "x:%g" 10 29; } >expect &&
	test_cmp expect got &&
	custos export "id:x:5" --with-thread --format jsonl --out p2 >/dev/null &&
	cmp p1/records.jsonl p2/records.jsonl
'

test_expect 'an export of a hold with_thread produces them too' '
	custos init >/dev/null && capture hold_x2 &&
	custos export --hold h --format jsonl --out p1 >/dev/null &&
	ids p1 >got && printf "x:1\nx:2\nx:3\nx:4\nx:5\n" >expect && test_cmp expect got
'

test_done
