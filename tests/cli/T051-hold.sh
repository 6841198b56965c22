#!/bin/sh
# custos hold: legal holds as queries whose membership only grows.
. tests/cli/lib.sh
. tests/cli/gen.sh

# posts: x:1..N, text "post number I about #topicK ..." (K = I mod 13)
setup() {
	custos init >/dev/null && gen_posts 30 >a.ndjson && custos ingest a.ndjson >/dev/null
}

test_expect 'hold create records the matches, commits, and is audited' '
	setup &&
	custos --actor "Lena Legal" hold create acme-v-us --query "#topic3" --reason "Acme v. US" >out &&
	grep -q "^hold .acme-v-us. created over 3 records (commit [0-9a-f]\{40\})$" out &&
	git -C archive/policy log -1 --format="%an" >who && echo "Lena Legal" >expect && test_cmp expect who &&
	git -C archive/policy show HEAD:holds/acme-v-us.json | grep -q "\"query\": *\"#topic3\"" &&
	test $(wc -l <archive/holds/acme-v-us.members) = 3 &&
	custos audit --json >log && grep -q "\"action\":\"hold-create\".*\"members\":3" log
'
test_expect 'a query that matches nothing is allowed, with a warning' '
	setup &&
	custos hold create future --query "nothingmatchesthis" >out 2>err &&
	grep -q "created over 0 records" out &&
	grep -q "^custos: warning: .*covers no record yet" err
'
test_expect 'an invalid query or a taken name is refused with exit 1' '
	setup &&
	test_exit 1 custos hold create bad --query "from:((" 2>err && grep -q "^custos: bad query: " err &&
	custos hold create m1 --query "#topic3" >/dev/null &&
	test_exit 1 custos hold create m1 --query "#topic4" 2>err2 && grep -q "^custos: " err2 &&
	test_exit 1 custos hold create "bad/name" --query "#topic4" 2>/dev/null
'
test_expect 'holds over several matters; list shows how many records each covers' '
	setup &&
	custos hold create m-three --query "#topic3" >/dev/null &&
	custos hold create m-four --query "#topic4 OR #topic3" >/dev/null &&
	custos hold list >l &&
	grep -q "^m-four  *active  *6 " l && grep -q "^m-three  *active  *3 " l &&
	custos hold list --json >j && grep -q "\"name\":\"m-four\".*\"covers\":6" j &&
	custos hold show m-three >s && grep -q "^x:3$" s && grep -q "^x:16$" s &&
	custos hold show m-three --json | grep -q "\"records\":\[{\"id\":\"x:16\""
'
test_expect 'a hold created before later captures covers them' '
	setup &&
	custos hold create m --query "#topic5" >/dev/null &&
	gen_posts 30 31 >b.ndjson && custos ingest b.ndjson >/dev/null &&
	custos hold list >l && grep -q "^m  *active  *5 " l &&
	custos hold show m >s && grep -q "^x:44" s &&
	test "$(wc -l <archive/holds/m.members)" = 5 &&
	grep -q "^x:44 [0-9a-f]\{64\}$" archive/holds/m.members &&
	custos audit --json | grep -q "\"action\":\"hold-grow\""
'
test_expect 'release needs a reason; a released hold covers nothing and its file stays' '
	setup &&
	custos hold create m --query "#topic3" >/dev/null &&
	test_exit 2 custos hold release m 2>/dev/null &&
	custos --actor Lena hold release m --reason "Settled" >out &&
	grep -q "released" out &&
	custos hold list >l && grep -q "^m  *released  *0 " l &&
	git -C archive/policy show HEAD:holds/m.json | grep -q "\"status\": *\"released\"" &&
	test_exit 1 custos hold release m --reason again 2>err && grep -q "^custos: " err &&
	custos hold show m >s && grep -q "Settled" s &&
	custos audit --json | grep -q "\"action\":\"hold-release\""
'
test_expect 'a hold on a fresh archive, or over records not indexed yet, sees them all' '
	custos init >/dev/null &&
	custos hold create early --query "#topic3" 2>/dev/null | grep -q "over 0 records" &&
	gen_posts 30 >a.ndjson && custos ingest --no-index a.ndjson >/dev/null &&
	custos hold create late --query "#topic3" | grep -q "over 3 records" &&
	custos hold list | grep -q "^early  *active  *3 "
'
test_expect 'usage errors exit 2; --help exits 0' '
	custos init >/dev/null &&
	test_exit 2 custos hold 2>/dev/null &&
	test_exit 2 custos hold create x 2>/dev/null &&
	test_exit 2 custos hold frob 2>/dev/null &&
	test_exit 2 custos hold show 2>/dev/null &&
	custos hold --help | grep -q "usage: custos hold create" &&
	test_exit 1 custos hold show nothing 2>err && grep -q "no hold named" err
'
test_done
