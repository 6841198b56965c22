#!/bin/sh
# Holds cannot end behind custos's back: with write access to policy/, a
# hold removed, released or shrunk in a pushed commit, or the branch moved
# back, makes retention plan and apply refuse (naming the hold and what to
# do) and verify report it; nothing held is disposed of. A hold ends
# through 'custos hold release', also when one is cut short by a kill
# between its commit and its anchor.
. tests/cli/lib.sh
. tests/cli/gen.sh

# setup: 40 records, 4 of them (#topic1: x:1, x:14, x:27, x:40) held by m1, a schedule under which
# all are past retention
setup() {
	custos init >/dev/null && gen_posts 40 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos hold create m1 --query "#topic1" --reason "matter 1" >/dev/null &&
	printf 'rules:\n  - name: default\n    match: "*"\n    retain: 1d\n' >r.yaml &&
	custos policy set r.yaml >/dev/null &&
	custos retention plan --json | jq -e ".held == 4" >/dev/null
}
# clone, then push: a change made with git behind custos's back
clone() { git clone -q archive/policy clone; }
push() {
	git -C clone -c user.name=Mallory -c user.email=m@example.com commit -qam "$1" &&
	git -C clone push -q origin HEAD:main
}
# refused WHAT: plan and apply refuse naming WHAT, and nothing is disposed
refused() {
	test_exit 1 custos retention plan 2>plan.err && grep -q "$1" plan.err &&
	test_exit 1 custos retention apply --yes 2>apply.err && grep -q "$1" apply.err &&
	test "$(custos stats --json | jq .tombstones)" = 0 &&
	test_exit 1 custos verify 2>verify.err && grep -q "$1" verify.err
}

test_expect 'a hold removed in a pushed commit after refs/custos/known was deleted: refused, nothing disposed' '
	setup && git -C archive/policy update-ref -d refs/custos/known &&
	clone && git -C clone rm -q holds/m1.json && push "drop the hold" &&
	refused "hold .m1. was removed behind custos.s back" &&
	grep -q "Restore holds/m1.json" plan.err &&
	grep -q "refs/custos/known was deleted or moved" verify.err &&
	: "restored by a revert: disposition goes on, and keeps the held records" &&
	git -C clone -c user.name=Mallory -c user.email=m@example.com revert --no-edit HEAD >/dev/null &&
	git -C clone push -q origin HEAD:main &&
	custos retention apply --yes >/dev/null &&
	test "$(custos stats --json | jq .tombstones)" = 36 &&
	custos show x:14 | grep -q "post number 14" &&
	: "what stays is the re-acceptance of the whole history, which verify keeps naming" &&
	test_exit 1 custos verify 2>err && ! grep -q "hold .m1." err && grep -q "accepted again" err
'
test_expect 'a hold released by a commit custos did not make: refused' '
	setup && clone &&
	jq ".status = \"released\" | .released_at = \"2024-01-01T00:00:00Z\" |
	    .released_by = \"Mallory\" | .release_reason = \"settled\"" clone/holds/m1.json >m1 &&
	mv m1 clone/holds/m1.json && push "release by hand" &&
	refused "hold .m1. was released by a commit custos did not make" &&
	grep -q "custos hold release m1" plan.err
'
test_expect 'a hold whose recorded membership was lowered by hand: refused' '
	setup && git -C archive/policy update-ref -d refs/custos/known && clone &&
	jq ".members.count = 1" clone/holds/m1.json >m1 && mv m1 clone/holds/m1.json &&
	push "fewer members" &&
	refused "recorded membership went from 4 entries to 1"
'
test_expect 'the branch moved back with refs/custos/known: refused' '
	setup && custos hold create m2 --query "#topic2" --reason "matter 2" >/dev/null &&
	git -C archive/policy update-ref refs/heads/main HEAD~2 &&
	git -C archive/policy update-ref refs/custos/known HEAD &&
	refused "does not descend from commit"
'
test_expect 'a member file cut short: refused, and verify names the file' '
	setup && head -n 1 archive/holds/m1.members >m && cat m >archive/holds/m1.members &&
	test_exit 1 custos retention apply --yes 2>err && grep -q "m1.members" err &&
	test "$(custos stats --json | jq .tombstones)" = 0 &&
	test_exit 1 custos verify 2>err && grep -q "holds/m1.members has 1 entries" err
'
test_expect 'custos hold release ends a hold, also when killed between its commit and its anchor' '
	setup && custos hold create m2 --query "#topic2" --reason "matter 2" >/dev/null &&
	crash_at hold-release-before-anchor "$CUSTOS" hold release m1 --reason settled &&
	custos hold list >list && grep -q "^m1  *released" list &&
	custos verify >/dev/null &&
	: "m1 ended: only m2 (#topic2: x:2, x:15, x:28) holds now" &&
	custos retention plan --json | jq -e ".held == 3" >/dev/null &&
	custos hold release m2 --reason settled >/dev/null &&
	custos retention apply --yes >/dev/null &&
	test "$(custos stats --json | jq .tombstones)" = 40 && custos verify >/dev/null
'
test_done
