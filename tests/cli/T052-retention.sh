#!/bin/sh
# custos retention plan/apply: disposition by the schedule in force, never
# under a hold, leaving tombstones, refusing a lagging index or a future date.
. tests/cli/lib.sh
. tests/cli/gen.sh

# 30 posts of 2023; #topic1 is x:1, x:14, x:27; x:14 mentions @user15.
setup() {
	custos init >/dev/null && gen_posts 30 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n  - name: keep-others\n    match: \"NOT #topic1\"\n    retain: 7y\n" >r.yaml &&
	custos --actor Carla policy set r.yaml -m "schedule" >/dev/null &&
	custos --actor Lena hold create matter --query "@user15" >/dev/null
}
slot_hex() { od -v -An -tx1 -j $(($1 * 32)) -N 32 archive/keys/slots | tr -d " \n"; }
zero64=0000000000000000000000000000000000000000000000000000000000000000

test_expect 'plan lists what is past retention and under no hold, with rule and commit' '
	setup && commit=$(git -C archive/policy log -1 --format=%H -- retention.yaml) &&
	custos retention plan >p &&
	grep -q "^schedule: commit $commit" p &&
	grep -q "^default  *1y  *30  *3  *2  *1$" p && grep -q "^keep-others  *7y  *27  *27  *0  *0$" p &&
	grep -q "^x:1 " p && grep -q "^x:27 " p && ! grep -q "^x:14 " p &&
	grep -q "^2 of 30 records past retention and under no hold; 1 more kept by legal holds" p &&
	custos retention plan --json >j &&
	grep -q "\"policy_commit\":\"$commit\"" j && grep -q "\"eligible\":2,\"held\":1" j &&
	grep -q "{\"id\":\"x:1\",\"created_at\":\"2023-02-02T10:00:00Z\",\"expired_at\":\"2024-02-02T10:00:00Z\",\"rule\":\"default\",\"policy_commit\":\"$commit\"}" j &&
	custos retention plan --csv >c &&
	head -n 1 c | grep -q "^id,created_at,expired_at,rule,policy_commit$" &&
	grep -q "^x:27,2023-04-28T10:00:00Z,2024-04-28T10:00:00Z,default,$commit$" c &&
	test $(wc -l <c) = 3
'
test_expect 'the as-of date: later dates make more records eligible; none before the schedule' '
	setup &&
	custos retention plan --as-of 2031-01-01 --json >j &&
	grep -q "\"eligible\":29,\"held\":1" j &&
	test_exit 1 custos retention plan --as-of 2020-01-01 2>err &&
	grep -q "^custos: cannot plan the disposition: no retention schedule was in force" err &&
	test_exit 2 custos retention plan --as-of yesterdayish 2>/dev/null
'
test_expect 'apply without --yes only prints what it would do' '
	setup &&
	custos retention apply >out &&
	grep -q "nothing disposed: .custos retention apply --yes. would dispose of these 2 records" out &&
	custos show x:1 >/dev/null && custos verify >v && grep -q " 0 tombstones" v
'
test_expect 'apply disposes, leaves tombstones, verify accounts for them, search misses them' '
	setup && commit=$(git -C archive/policy log -1 --format=%H -- retention.yaml) &&
	test "$(slot_hex 1)" != "$zero64" &&
	custos --actor Carla retention apply --yes >out &&
	grep -q "^disposed of 2 records (2 versions)" out &&
	test "$(slot_hex 1)" = "$zero64" && test "$(slot_hex 27)" = "$zero64" &&
	test "$(slot_hex 14)" != "$zero64" &&
	custos show x:1 >s &&
	grep -q "^status  *disposed of" s && grep -q "^rule  *default$" s &&
	grep -q "^policy_commit  *$commit$" s && grep -q "^actor  *Carla$" s &&
	! grep -q "post number 1 " s &&
	custos show --json x:27 | grep -q "\"disposed\":true,\"tombstone\":{\"id\":\"x:27\"" &&
	custos show x:14 | grep -q "post number 14" &&
	custos verify >v && grep -q " 2 tombstones" v &&
	custos search --count "#topic1" >n && grep -q "^1" n &&
	custos index --rebuild >/dev/null && custos search --count "#topic1" >n2 && grep -q "^1" n2 &&
	custos audit --json >log &&
	grep "\"action\":\"retention-apply\"" log | grep -q "\"records\":2.*\"default\":{\"eligible\":2,\"held\":1}" &&
	custos retention apply --yes >again && grep -q "^disposed of 0 records" again
'
test_expect 'apply first brings the index up to the store, and refuses a future date' '
	setup &&
	gen_posts 5 31 >b.ndjson && custos ingest --no-index b.ndjson >/dev/null &&
	custos verify --json | grep -q "\"index_lag\": 5" &&
	test_exit 1 custos retention apply --yes --as-of 2031-01-01 2>err2 &&
	grep -q "in the future" err2 &&
	custos show x:1 >/dev/null &&
	custos retention apply --yes >out && grep -q "^disposed of 2 records" out &&
	custos verify --json | grep -q "\"index_lag\": 0" &&
	custos audit --json | grep "retention-apply" | grep -v "\"status\":\"ok\"" | grep -q "future"
'
test_expect 'a crash after the tombstones commit is finished by the next run' '
	setup &&
	crash_at dispose-before-shred "$CUSTOS" retention apply --yes &&
	test "$(slot_hex 1)" != "$zero64" &&
	custos verify >v && grep -q " 2 tombstones" v &&
	custos retention apply --yes >out &&
	test "$(slot_hex 1)" = "$zero64" && test "$(slot_hex 27)" = "$zero64" &&
	custos search --count "#topic1" | grep -q "^1" &&
	custos verify >v2 && grep -q " 2 tombstones" v2
'
test_expect 'the policy history, holds included, is what git shows' '
	setup && custos hold release matter --reason "closed" >/dev/null &&
	git -C archive/policy log --format=%s >log &&
	test $(wc -l <log) = 4 &&
	custos policy log --json >j && test $(grep -o "\"commit\":" j | wc -l) = 4
'
test_expect 'usage errors exit 2; --help exits 0' '
	custos init >/dev/null &&
	test_exit 2 custos retention 2>/dev/null &&
	test_exit 2 custos retention frob 2>/dev/null &&
	test_exit 2 custos retention plan --yes 2>/dev/null &&
	test_exit 2 custos retention apply --csv 2>/dev/null &&
	test_exit 2 custos retention plan extra 2>/dev/null &&
	custos retention --help | grep -q "usage: custos retention plan" &&
	custos retention apply --help >/dev/null
'
test_done
