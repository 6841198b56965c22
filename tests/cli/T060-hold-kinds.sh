#!/bin/sh
# Holds by list of ids, by account and custodian, with whole conversations,
# and a hold's scope report.
. tests/cli/lib.sh
. tests/cli/gen.sh

# A schedule under which every record of 2020-2023 is past retention.
short() {
	printf 'rules:\n  - name: default\n    match: "*"\n    retain: 1y\n' >r.yaml &&
	custos policy set r.yaml >/dev/null
}
# ids the plan would dispose of, one a line
plan_ids() { custos retention plan --json | jq -r '.records[].id' | sort; }

# a conversation: slack:1 starts it, slack:2 and :3 reply to it, :4 replies to
# :3; slack:9 is another conversation; all of one Slack channel
thread_posts() {
	for r in 1: 2:1 3:1 4:3 9:; do
		i=${r%%:*} p=${r#*:}
		printf '{"id":"slack:%s","platform":"slack","account":"general","author":{"handle":"u%s"},"created_at":"2021-0%s-01T10:00:00Z","text":"message %s"%s}\n' \
			"$i" "$i" "$i" "$i" "${p:+,\"in_reply_to\":\"slack:$p\"}"
	done
}

test_expect 'a hold by a list of ids holds those records, and one captured later' '
	custos init >/dev/null && gen_posts 10 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	short && printf "# the custodian'"'"'s posts\nx:2\n  x:5  \nx:77\n\nx:2\n" >ids &&
	custos hold create --ids ids --reason "preserve" listed >out 2>err &&
	cat >expect <<-EOF &&
	hold '"'"'listed'"'"' created over 2 records (commit $(git -C archive/policy rev-parse HEAD))
	  listed ids             2 in the archive, 1 not captured yet (held when they are)
	EOF
	test_cmp expect out && test ! -s err &&
	git -C archive/policy show HEAD:holds/listed.ids >committed &&
	printf "x:2\nx:5\nx:77\n" >expect && test_cmp expect committed &&
	plan_ids >p && ! grep -qx "x:2" p && ! grep -qx "x:5" p && grep -qx "x:1" p &&
	gen_posts 1 77 >late.ndjson && custos ingest late.ndjson >/dev/null &&
	plan_ids >p2 && ! grep -qx "x:77" p2 &&
	custos hold show --json listed | jq -c "[.records[] | [.id, .listed, .captured, .member]]" >shown &&
	echo "[[\"x:2\",true,true,true],[\"x:5\",true,true,true],[\"x:77\",true,true,true]]" >expect &&
	test_cmp expect shown &&
	custos retention apply --yes >/dev/null && custos show x:5 | grep -q "post number 5 " &&
	custos show x:77 | grep -q "post number 77 "
'
test_expect 'a malformed id, or no scope at all, is refused' '
	custos init >/dev/null &&
	printf "x:1\nhas space\n" >bad && test_exit 1 custos hold create --ids bad h 2>err &&
	grep -q "^custos: hold h: id 2 (.has space.) is not a record id" err &&
	test_exit 2 custos hold create h 2>err2 && head -n 1 err2 >got &&
	echo "custos: a hold needs a query, an account, a custodian or a list of ids: what would it hold?" >expect &&
	test_cmp expect got && test "$(custos hold list --names)" = ""
'
test_expect 'a hold by account covers its records now and later, through a query' '
	custos init >/dev/null && gen_posts 4 >a.ndjson &&
	printf "{\"id\":\"mastodon:1\",\"platform\":\"mastodon\",\"account\":\"Acme Corp\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2021-05-01T00:00:00Z\",\"text\":\"hi\"}\n" >>a.ndjson &&
	custos ingest a.ndjson >/dev/null && short &&
	custos hold create --account "Acme Corp" corp >out &&
	grep -q "created over 1 record " out &&
	custos hold list --json | jq -r ".holds[0].query" >q && echo "account:\"Acme Corp\"" >expect &&
	test_cmp expect q &&
	printf "{\"id\":\"mastodon:2\",\"platform\":\"mastodon\",\"account\":\"Acme Corp\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2021-06-01T00:00:00Z\",\"text\":\"later\"}\n" >b.ndjson &&
	custos ingest b.ndjson >/dev/null &&
	plan_ids >p && ! grep -q "^mastodon:" p && grep -qx "x:1" p &&
	test "$(wc -l <archive/holds/corp.members)" = 2 &&
	test_exit 1 custos hold create --account "say \"hi\"" q2 2>err &&
	grep -q "^custos: account .say \"hi\".: a name without double quotes is needed" err
'
test_expect 'a hold by custodian covers the records collected for them, and counts them' '
	custos init >/dev/null && gen_posts 3 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	gen_posts 2 50 >j.ndjson && custos ingest --custodian "Jane Doe" j.ndjson >/dev/null &&
	custos hold create --custodian "Jane Doe" jane >out && grep -q "created over 2 records" out &&
	custos hold list --json | jq -r ".holds[0].query" >q && echo "custodian:\"Jane Doe\"" >expect &&
	test_cmp expect q &&
	gen_posts 1 60 >k.ndjson && custos ingest --custodian "Jane Doe" k.ndjson >/dev/null &&
	custos hold scope --json jane | jq -c ".custodians" >c && echo "{\"Jane Doe\":3}" >expect &&
	test_cmp expect c
'
test_expect 'a hold --with-thread keeps every record of the held conversation, as it grows' '
	custos init >/dev/null && thread_posts >t.ndjson && custos ingest t.ndjson >/dev/null &&
	short &&
	custos hold create --query "message 3" --with-thread conv >out &&
	grep -q "created over 4 records" out && grep -q "from conversations *3 more" out &&
	plan_ids >p && echo slack:9 >expect && test_cmp expect p &&
	printf "{\"id\":\"slack:5\",\"platform\":\"slack\",\"account\":\"general\",\"author\":{\"handle\":\"u5\"},\"created_at\":\"2021-05-02T10:00:00Z\",\"text\":\"late reply\",\"in_reply_to\":\"slack:2\"}\n" >late.ndjson &&
	custos ingest late.ndjson >/dev/null &&
	plan_ids >p2 && test_cmp expect p2 &&
	custos retention apply --yes >/dev/null &&
	for i in 1 2 3 4 5; do custos show slack:$i | grep -q "^id  *slack:$i$" || exit 1; done &&
	custos show slack:9 | grep -q "^status  *disposed of" &&
	custos hold show --json conv | jq -r "[.records[].id] | join(\" \")" >ids &&
	echo "slack:1 slack:2 slack:3 slack:4 slack:5" >expect && test_cmp expect ids
'
test_expect 'without --with-thread, the rest of the conversation is not held' '
	custos init >/dev/null && thread_posts >t.ndjson && custos ingest t.ndjson >/dev/null &&
	short && custos hold create --query "message 3" alone >/dev/null &&
	plan_ids >p && printf "slack:1\nslack:2\nslack:4\nslack:9\n" >expect && test_cmp expect p
'
test_expect 'a hold'"'"'s scope: what it covers by platform, month and custodian' '
	custos init >/dev/null && thread_posts >t.ndjson && gen_posts 3 >x.ndjson &&
	custos ingest t.ndjson x.ndjson >/dev/null &&
	printf "slack:1\nslack:9\nx:2\nnever:1\n" >ids &&
	custos hold create --ids ids --query "message 4" scoped >/dev/null &&
	custos hold scope scoped >out &&
	cat >expect <<-EOF &&
	hold scoped covers 4 records in the archive and 1 listed ids not captured

	by platform:
	  slack                                   3
	  x                                       1

	by month:
	  2021-01                                 1
	  2021-04                                 1
	  2021-09                                 1
	  2023-03                                 1

	by custodian:
	  (none)                                  4
	EOF
	test_cmp expect out &&
	custos hold scope --json scoped >j &&
	echo "{\"name\":\"scoped\",\"records\":4,\"not_captured\":1,\"platforms\":{\"slack\":3,\"x\":1},\"months\":{\"2021-01\":1,\"2021-04\":1,\"2021-09\":1,\"2023-03\":1},\"custodians\":{\"(none)\":4}}" >expect &&
	test_cmp expect j &&
	custos hold scope --csv scoped >c && head -n 3 c >c3 &&
	printf "by,key,records\nplatform,slack,3\nplatform,x,1\n" >expect && test_cmp expect c3 &&
	custos audit --json --action hold-scope | jq -e ".result.records == 4" >/dev/null
'
test_done
