#!/bin/sh
# Who acts and why: an actor, a reason or a message custos cannot keep is
# refused with the reason before anything is written; "Name <email>" is an
# actor git keeps whole; the audit table never lets typed text drive the
# terminal.
. tests/cli/lib.sh
. tests/cli/gen.sh

schedule() {
	printf 'rules:\n  - name: default\n    match: "*"\n    retain: %s\n' "$1"
}
# the audit log's lines must be JSON, and UTF-8
audit_is_json() {
	LC_ALL=C.UTF-8 grep -naxv '.*' archive/audit/audit.log && return 1
	jq -c . archive/audit/audit.log >/dev/null
}

test_expect 'an actor with a newline is refused; git, holds and policy stay usable' '
	custos init >/dev/null && gen_posts 5 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	schedule 7y >r.yaml &&
	test_exit 1 custos --actor "$(printf "bad\nactor")" policy set r.yaml 2>err &&
	echo "custos: actor holds the control character U+000A at byte 4" >expect &&
	test_cmp expect err &&
	test_exit 1 custos --actor "$(printf "bad\nactor")" hold create m1 --query post 2>err &&
	test_cmp expect err &&
	test $(git -C archive/policy rev-list --count HEAD) = 1 &&
	git -C archive/policy fsck --strict --no-dangling &&
	custos policy set r.yaml >/dev/null &&
	custos hold create m1 --query post >/dev/null &&
	custos hold list >/dev/null && custos policy log >/dev/null &&
	custos retention plan >/dev/null &&
	git -C archive/policy fsck --strict --no-dangling &&
	audit_is_json
'
test_expect 'an actor given as "Name <email>" is the commit author, name and email' '
	custos init >/dev/null && gen_posts 5 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	schedule 7y >r.yaml &&
	custos --actor "Jane Doe <jane@acme.com>" policy set r.yaml >/dev/null &&
	custos --actor "  Jane Doe<jane@acme.com> " hold create m1 --query post --reason "Acme" >/dev/null &&
	CUSTOS_ACTOR="Jane Doe <jane@acme.com>" custos hold release m1 --reason done >/dev/null &&
	git -C archive/policy log -3 --format="%an|%ae|%s" >log &&
	cat >expect <<-EOF &&
	Jane Doe|jane@acme.com|Release legal hold m1: done
	Jane Doe|jane@acme.com|Create legal hold m1
	Jane Doe|jane@acme.com|Set the retention schedule
	EOF
	test_cmp expect log &&
	git -C archive/policy show HEAD:holds/m1.json >m1.json &&
	grep -q "\"created_by\": \"Jane Doe <jane@acme.com>\"" m1.json &&
	grep -q "\"released_by\": \"Jane Doe <jane@acme.com>\"" m1.json &&
	custos audit --json | tail -n 2 | grep -c "\"actor\":\"Jane Doe <jane@acme.com>\"" >n &&
	echo 2 >two && test_cmp two n &&
	test_exit 1 custos --actor "Jane <jane>" policy set r.yaml 2>err &&
	echo "custos: actor: '"'"'jane'"'"' is not an email address (local@domain, no spaces)" >expect &&
	test_cmp expect err &&
	test_exit 1 custos --actor "a <b@c> d" policy set r.yaml 2>err &&
	grep -q "may only enclose an email at the end" err
'
test_expect 'a non-UTF-8 actor or reason is refused; no hold without its field is committed' '
	custos init >/dev/null && gen_posts 5 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	test_exit 1 custos --actor "$(printf "J\351r\364me")" hold create m1 --query post 2>err &&
	echo "custos: actor is not valid UTF-8 (byte 2)" >expect && test_cmp expect err &&
	test_exit 1 custos hold create m1 --query post --reason "$(printf "caf\351")" 2>err &&
	echo "custos: hold m1: reason is not valid UTF-8 (byte 4)" >expect &&
	test_cmp expect err &&
	test $(git -C archive/policy rev-list --count HEAD) = 1 &&
	custos hold list >list && echo "no legal holds" >expect && test_cmp expect list &&
	custos hold create m1 --query post --reason "café" >/dev/null &&
	test_exit 1 custos hold release m1 --reason "$(printf "\377")" 2>err &&
	grep -q "reason is not valid UTF-8" err &&
	custos hold show m1 | sed -n 3p >reason && echo "reason   café" >expect && test_cmp expect reason &&
	schedule 7y >r.yaml && custos policy set r.yaml >/dev/null && custos retention plan >/dev/null &&
	test_exit 1 custos policy set r.yaml -m "$(printf "msg \377")" 2>err &&
	grep -q "commit message is not valid UTF-8" err &&
	audit_is_json &&
	git -C archive/policy fsck --strict --no-dangling
'
test_expect 'ESC and CR are refused in an actor and escaped when the audit shows older entries' '
	custos init >/dev/null &&
	test_exit 1 custos --actor "$(printf "a\033[2Jb")" audit 2>err &&
	echo "custos: actor holds the control character U+001B at byte 2" >expect && test_cmp expect err &&
	test_exit 1 custos --actor "$(printf "a\rb")" audit 2>err && grep -q "U+000D" err &&
	test_exit 1 custos --actor "$(printf "a\342\200\256b")" audit 2>err && grep -q "U+202E" err &&
	custos verify >/dev/null &&
	prev=$(tail -n 1 archive/audit/audit.log | tr -d "\n" | sha256sum | cut -c1-64) &&
	printf "{\"n\":3,\"time\":\"2024-01-01T00:00:00Z\",\"user\":\"u\",\"actor\":\"\\\\u001b[2J\\\\rx\\\\u009b\",\"action\":\"show\",\"params\":{\"id\":\"\\\\u001b]0;t\\\\u0007\"},\"result\":{},\"status\":\"ok\",\"prev\":\"%s\"}\n" "$prev" >>archive/audit/audit.log &&
	custos verify >/dev/null &&
	custos audit >table &&
	test_exit 1 grep -q "$(printf "\033")" table &&
	test_exit 1 grep -q "$(printf "\r")" table &&
	sed -n 4p table >row &&
	printf "%s\n" "3     2024-01-01T00:00:00Z u/\\x1b[2J\\x0dx\\u009b   show           ok      {\"id\":\"\\u001B]0;t\\u0007\"} " >expect &&
	test_cmp expect row
'
test_done
