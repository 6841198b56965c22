#!/bin/sh
# Retention and proof of disposal: rules that can never decide are named,
# precedence by overrides, the log of every run and tombstone, certificates
# of disposal that verify checks, stats that agree with verify, and the
# conversation of a disposed record.
. tests/cli/lib.sh
. tests/cli/gen.sh

# 20 posts of 2023 on x (x:1..x:20) and a Slack conversation of 2021
setup() {
	custos init >/dev/null && gen_posts 20 >a.ndjson &&
	for r in 1: 2:1 3:2; do
		i=${r%%:*} p=${r#*:}
		printf '{"id":"slack:%s","platform":"slack","account":"general","author":{"handle":"u%s"},"created_at":"2021-0%s-01T10:00:00Z","text":"message %s"%s}\n' \
			"$i" "$i" "$i" "$i" "${p:+,\"in_reply_to\":\"slack:$p\"}"
	done >>a.ndjson &&
	custos ingest a.ndjson >/dev/null
}
# rules NAME|MATCH|RETAIN...: a schedule, one rule per argument
rules() {
	printf 'rules:\n'
	for r in "$@"; do
		name=${r%%|*} rest=${r#*|}
		printf '  - name: %s\n    match: "%s"\n    retain: %s\n' "$name" "${rest%%|*}" "${rest#*|}"
	done
}

test_expect 'policy set names every rule that can never decide a record, and why' '
	setup && rules "default|*|6y" "slack-chat|platform:slack|3y" "twin|*|6y" >s.yaml &&
	custos policy set s.yaml >out 2>err &&
	cat >expect <<-EOF &&
	custos: warning: s.yaml:5: rule '"'"'slack-chat'"'"' can never decide a record: rule '"'"'default'"'"' (line 2) matches every record it matches and keeps it longer (6y against 3y); if '"'"'slack-chat'"'"' should decide, give it '"'"'overrides: [default]'"'"'
	custos: warning: s.yaml:8: rule '"'"'twin'"'"' can never decide a record: rule '"'"'default'"'"' (line 2) matches every record it matches and keeps it as long, and comes first (6y against 6y); if '"'"'twin'"'"' should decide, give it '"'"'overrides: [default]'"'"'
	EOF
	test_cmp expect err &&
	custos policy set --json s.yaml | jq -e ".changed == false and (.warnings | length) == 2" >/dev/null &&
	custos audit --json --action policy-set | tail -n 1 | jq -e ".result.warnings == 2" >/dev/null
'
test_expect 'overrides: a rule decides over the rules it names, and is not shadowed' '
	setup && rules "default|*|6y" "slack-chat|platform:slack|1y" >o.yaml &&
	printf "    overrides: [default]\n" >>o.yaml &&
	custos policy set o.yaml >out 2>err && test ! -s err &&
	custos retention plan --json >p &&
	jq -c "[.rules[] | [.name, .deciding, .eligible]]" p >got &&
	echo "[[\"default\",20,0],[\"slack-chat\",3,3]]" >expect && test_cmp expect got &&
	rules "default|*|6y" "a|platform:x|1y" "b|platform:x|2y" >c.yaml &&
	printf "    overrides: a\n" >>c.yaml &&
	sed -i "7a\\    overrides: [b]" c.yaml &&
	test_exit 1 custos policy set c.yaml 2>err &&
	grep -q "rule a overrides, through the rules it overrides, itself" err
'
test_expect 'the precedence example of docs/retention.md decides as the page says' '
	custos init >/dev/null &&
	sed -n "/^Examples from records-management practice:/,/^\`\`\`$/p" "$TOP/docs/retention.md" |
		sed -n "/^rules:/,/^\`\`\`$/p" | sed "\$d" >ex.yaml &&
	grep -q "overrides: \[default\]" ex.yaml &&
	for r in slack:1/slack/general x:1/x/board x:2/x/acme slack:2/slack/trading-desk; do
		id=${r%%/*} rest=${r#*/}
		printf "{\"id\":\"%s\",\"platform\":\"%s\",\"account\":\"%s\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2020-01-01T00:00:00Z\",\"text\":\"t\"}\n" \
			"$id" "${rest%%/*}" "${rest#*/}"
	done >d.ndjson && custos ingest d.ndjson >/dev/null &&
	custos policy set ex.yaml >/dev/null 2>err && test ! -s err &&
	custos retention plan --as-of 2100-01-01 --json | jq -r ".records[] | .id + \" \" + .rule + \" \" + .expired_at" >got &&
	cat >expect <<-EOF &&
	slack:1 slack-chat 2021-01-01T00:00:00Z
	slack:2 trading-desk 2026-01-01T00:00:00Z
	x:2 default 2026-01-01T00:00:00Z
	EOF
	test_cmp expect got
'
test_expect 'retention log lists every run and tombstone; a certificate verify checks' '
	setup && rules "default|*|1y" >r.yaml && custos policy set r.yaml >/dev/null &&
	commit=$(git -C archive/policy log -1 --format=%H -- retention.yaml) &&
	custos hold create --query "#topic3" keep >/dev/null &&
	custos --actor Carla retention apply --yes >ap1 &&
	custos hold release keep --reason "settled" >/dev/null &&
	custos --actor Dora retention apply --yes >/dev/null &&
	custos retention log --json >log &&
	jq -c "[.runs[] | [.actor, .records, .versions, .status]]" log >runs &&
	echo "[[\"Carla\",21,21,\"ok\"],[\"Dora\",2,2,\"ok\"]]" >expect && test_cmp expect runs &&
	run=$(jq ".runs[0].run" log) &&
	tail -n 1 ap1 >last && echo "disposition run $run: '"'"'custos retention certificate $run'"'"' proves it" >expect &&
	test_cmp expect last &&
	jq -r ".tombstones[] | [.id, .platform, .account, .created_at, .rule, .policy_commit, .actor, (.run|tostring)] | join(\" \")" log | sort >t &&
	grep -qx "x:1 x acme 2023-02-02T10:00:00Z default $commit Carla $run" t &&
	grep -qx "slack:2 slack general 2021-02-01T10:00:00Z default $commit Carla $run" t &&
	test "$(wc -l <t)" = 23 &&
	custos retention log --csv >csv && head -n 1 csv >h &&
	echo "run,id,version,platform,account,created_at,rule,policy_commit,disposed_at,actor,content_sha256" >expect &&
	test_cmp expect h && test "$(wc -l <csv)" = 24 &&
	custos retention log >table && grep -q "^$run  *20..-..-..T.*Carla .* 21  *21  ok$" table &&
	custos retention certificate $run >cert &&
	jq -e ".run == $run and .versions == 21 and (.disposed | length) == 21 and .policy_commit == \"$commit\"" cert >/dev/null &&
	custos verify --certificate cert >v && grep -q "^disposition runs: 2, each matching its tombstones$" v &&
	grep -q "^certificate cert: run $run disposed of 21 records (21 versions) as it says$" v &&
	jq ".disposed |= .[1:]" cert >short && test_exit 1 custos verify --certificate short 2>err &&
	grep -q "^custos: certificate short: its list of 20 disposed versions does not give its digest" err &&
	jq ".disposed[0].content_sha256 = \"$(printf %064d 0)\"" cert >forged &&
	test_exit 1 custos verify --certificate forged 2>err2 &&
	grep -q "does not give its digest" err2 &&
	digest=$(jq -r ".disposed[] | \"\\(.seq) \\(.id) \\(.version) \\(.content_sha256)\"" forged | sha256sum | cut -c1-64) &&
	jq ".digest = \"$digest\"" forged >forged2 &&
	test_exit 1 custos verify --certificate forged2 2>err4 &&
	grep -q "^custos: certificate forged2: it names x:1 (seq 1) with content 0000000000000000..., the archive.s tombstone at that place is x:1 (seq 1) with content" err4 &&
	test_exit 1 custos retention certificate 999 2>err3 &&
	echo "custos: no disposition run 999 (custos retention log lists them)" >expect && test_cmp expect err3
'
test_expect 'stats agrees with verify after a disposition: live records, tombstones beside' '
	setup && rules "default|*|1y" >r.yaml && custos policy set r.yaml >/dev/null &&
	gen_posts 1 1 " edited" >e.ndjson && custos ingest e.ndjson >/dev/null &&
	custos hold create --query "#topic3" keep >/dev/null &&
	custos retention apply --yes >/dev/null &&
	custos stats --json >s && custos verify --json >v &&
	jq -c "[.records, .versions, .tombstones, .disposed_records]" s >got &&
	echo "[2,2,22,21]" >expect && test_cmp expect got &&
	jq -c "[.records, .versions, .tombstones]" v >gotv &&
	echo "[2,2,22]" >expect && test_cmp expect gotv &&
	custos stats >st && grep -q "^records  *2$" st && grep -q "^tombstones  *22 (of 21 records disposed of)$" st &&
	custos verify >vt && grep -q "^verified 2 records (2 versions), 0 media blobs, 22 tombstones" vt
'
test_expect 'show --thread names the disposed members of a conversation, by their tombstones' '
	setup && rules "default|*|1y" "recent|date:2021-03|10y" >r.yaml &&
	custos policy set r.yaml >/dev/null && custos retention apply --yes >/dev/null &&
	custos show --thread slack:3 | sed "s/on ....-..-.. under/on DAY under/; s/commit [0-9a-f]*:/commit C:/" >got &&
	cat >expect <<-EOF &&
	  2021-01-01T10:00:00Z  slack:1  [disposed of on DAY under rule default, policy commit C: only its tombstone remains]
	  2021-02-01T10:00:00Z  slack:2  [disposed of on DAY under rule default, policy commit C: only its tombstone remains]
	> 2021-03-01T10:00:00Z  slack:3  @u3 (reply) in reply to slack:2
	    message 3
	EOF
	test_cmp expect got &&
	custos show --thread --json slack:1 | jq -c "[.id, [.thread[] | [.id, (.disposed // false)]]]" >j &&
	echo "[\"slack:1\",[[\"slack:1\",true],[\"slack:2\",true],[\"slack:3\",false]]]" >expect &&
	test_cmp expect j
'
test_done
