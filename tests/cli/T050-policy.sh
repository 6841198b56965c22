#!/bin/sh
# custos policy: the retention schedule and policy documents in the archive's
# git repository, with git itself as the independent witness.
. tests/cli/lib.sh

schedule() {
	printf 'rules:\n  - name: default\n    match: "*"\n    retain: %s\n' "$1"
	printf '  - name: support-replies\n    match: "platform:x kind:reply"\n    retain: 90d\n'
}

test_expect 'init creates the policy repository; policy set commits with the actor as author' '
	custos init >/dev/null &&
	test -d archive/policy &&
	schedule 7y >r.yaml &&
	custos --actor "Carla Compliance" policy set r.yaml -m "First schedule" >out &&
	grep -q "^schedule committed: [0-9a-f]\{40\}$" out &&
	git -C archive/policy log --format="%an|%s" >log &&
	head -n 1 log >first &&
	echo "Carla Compliance|First schedule" >expect && test_cmp expect first &&
	test $(wc -l <log) = 2 &&
	git -C archive/policy show HEAD:retention.yaml >shown && test_cmp r.yaml shown
'
test_expect 'policy show, log and diff follow the history; git agrees' '
	custos init >/dev/null &&
	schedule 7y >a.yaml && schedule 5y >b.yaml &&
	custos policy set a.yaml -m one >/dev/null && custos policy set b.yaml -m two >/dev/null &&
	custos policy show >shown && grep -q "retain: 5y" shown &&
	custos policy show --at HEAD~1 >old && grep -q "retain: 7y" old &&
	custos policy show --json >j && grep -q "\"retain\":\"5y\"" j &&
	grep -q "\"commit\":\"$(git -C archive/policy rev-parse HEAD)\"" j &&
	custos policy log >log && test $(grep -c "^[0-9a-f]\{40\} " log) = 3 &&
	custos policy log --json >lj && grep -q "\"message\":\"two\"" lj &&
	git -C archive/policy log --format=%H >glog &&
	grep -o "^[0-9a-f]\{40\}" log >ours && test_cmp glog ours &&
	custos policy diff HEAD~1 HEAD >d &&
	grep -q "^-    retain: 7y" d && grep -q "^+    retain: 5y" d
'
test_expect 'setting the same schedule again makes no commit' '
	custos init >/dev/null && schedule 7y >a.yaml &&
	custos policy set a.yaml >/dev/null && custos policy set a.yaml >out &&
	grep -q "unchanged" out &&
	test $(git -C archive/policy rev-list --count HEAD) = 2
'
test_expect 'an invalid schedule names file, line and problem; nothing is committed' '
	custos init >/dev/null &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 7yy\n  - name: default\n    match: \"from:((\"\n    bogus: 1\n" >bad.yaml &&
	test_exit 1 custos policy set bad.yaml 2>err &&
	grep -q "^custos: invalid schedule .bad.yaml., nothing committed" err &&
	grep -q "^bad.yaml:4:.*unparseable duration" err &&
	grep -q "^bad.yaml:5:.*duplicate rule name" err &&
	grep -q "^bad.yaml:6:.*bad query" err &&
	grep -q "^bad.yaml:7:.*unknown field .bogus." err &&
	printf "rules: [\n" >syntax.yaml &&
	test_exit 1 custos policy set syntax.yaml 2>err2 && grep -q "^syntax.yaml:[0-9]" err2 &&
	printf "rules:\n  - name: only-x\n    match: \"platform:x\"\n    retain: 1y\n" >noall.yaml &&
	test_exit 1 custos policy set noall.yaml 2>err3 && grep -qi "every record" err3 &&
	test $(git -C archive/policy rev-list --count HEAD) = 1 &&
	test_exit 1 custos policy show 2>err4 && grep -q "no retention schedule" err4
'
test_expect 'policy documents: add, list, show, and show as of a date' '
	custos init >/dev/null &&
	echo "Use of social media, v1" >smp.txt &&
	custos policy doc add smp.txt -m "Social media policy" >/dev/null &&
	sleep 1.1 && before=$(date -u +%Y-%m-%dT%H:%M:%SZ) && sleep 1.1 &&
	echo "Use of social media, v2" >smp.txt &&
	custos policy doc add smp.txt >/dev/null &&
	custos policy doc list >l && grep -q "^smp.txt " l &&
	custos policy doc list --json >lj && grep -q "\"name\":\"smp.txt\"" lj &&
	custos policy doc show smp.txt >now && grep -q v2 now &&
	custos policy doc show smp.txt --at "$before" >then && grep -q v1 then &&
	test_exit 1 custos policy doc show nothing.txt 2>err && grep -q "no policy document" err &&
	git -C archive/policy show HEAD:docs/smp.txt | grep -q v2
'
test_expect 'a commit made with git behind custos'"'"'s back is accepted and audited' '
	custos init >/dev/null && schedule 7y >a.yaml && custos policy set a.yaml >/dev/null &&
	git clone -q archive/policy clone &&
	schedule 3y >clone/retention.yaml &&
	git -C clone -c user.name="Git User" -c user.email=g@example.com commit -qam "by hand" &&
	git -C clone push -q origin HEAD &&
	custos policy show >shown && grep -q "retain: 3y" shown &&
	custos audit --json >audit && grep -q "\"action\":\"policy-accept\".*by hand" audit &&
	test $(git -C archive/policy rev-list --count HEAD) = 3
'
test_expect 'an invalid schedule pushed with git is refused clearly and history is kept' '
	custos init >/dev/null && schedule 7y >a.yaml && custos policy set a.yaml >/dev/null &&
	git clone -q archive/policy clone &&
	printf "rules:\n  - name: x\n    match: \"*\"\n    retain: soon\n" >clone/retention.yaml &&
	git -C clone -c user.name=G -c user.email=g@e commit -qam "bad by hand" &&
	git -C clone push -q origin HEAD &&
	test_exit 1 custos policy show 2>err &&
	grep -q "^custos: " err && grep -qi "retain\|duration\|soon" err &&
	git -C archive/policy log --format=%s >log && grep -q "bad by hand" log
'
test_expect 'every policy action is audited with the actor' '
	custos init >/dev/null && schedule 7y >a.yaml &&
	custos --actor Carla policy set a.yaml >/dev/null && custos policy show >/dev/null &&
	custos policy log >/dev/null && custos policy diff HEAD~1 HEAD >/dev/null &&
	custos audit --json >log &&
	grep -q "\"action\":\"policy-set\".*\"actor\":\"Carla\"" log ||
	grep -q "\"actor\":\"Carla\".*\"action\":\"policy-set\"" log &&
	grep -q "\"action\":\"policy-show\"" log && grep -q "\"action\":\"policy-log\"" log &&
	grep -q "\"action\":\"policy-diff\"" log
'
test_expect 'usage errors exit 2; --help exits 0' '
	custos init >/dev/null &&
	test_exit 2 custos policy 2>/dev/null &&
	test_exit 2 custos policy frobnicate 2>/dev/null &&
	test_exit 2 custos policy set 2>/dev/null &&
	test_exit 2 custos policy diff HEAD 2>/dev/null &&
	test_exit 2 custos policy doc 2>/dev/null &&
	custos policy --help | grep -q "usage: custos policy set FILE" &&
	custos policy set --help >/dev/null && custos policy doc add --help >/dev/null &&
	test_exit 1 custos policy set missing.yaml 2>err && grep -q "^custos: cannot read .missing.yaml." err
'
test_done
