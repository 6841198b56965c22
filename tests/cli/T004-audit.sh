#!/bin/sh
# The audit chain: every action is there, and tampering is caught.
. tests/cli/lib.sh
. tests/cli/gen.sh

test_expect 'init, ingest, show and verify are audited with user and actor' '
	custos --actor "Jane Counsel" init >/dev/null &&
	gen_posts 5 >a.ndjson &&
	CUSTOS_ACTOR=ops custos ingest a.ndjson >/dev/null &&
	custos show x:1 >/dev/null &&
	custos verify >/dev/null &&
	custos audit --json >log &&
	test $(wc -l <log) = 5 &&
	sed -n 1p log | grep -q "\"action\":\"init\"" &&
	sed -n 1p log | grep -q "\"actor\":\"Jane Counsel\"" &&
	sed -n 1p log | grep -q "\"user\":\"$(id -un)\"" &&
	sed -n 3p log | grep -q "\"action\":\"ingest\".*\"added\":5" &&
	sed -n 3p log | grep -q "\"actor\":\"ops\"" &&
	h=$(sha256sum a.ndjson | cut -c1-64) && n=$(wc -c <a.ndjson) &&
	sed -n 2p log | grep -q "\"inputs\":\[{\"path\":\"a.ndjson\",\"bytes\":$n,\"sha256\":\"$h\"}\]" &&
	sed -n 4p log | grep -q "\"action\":\"show\".*\"x:1\"" &&
	custos audit >table && grep -q "ingest" table
'
test_expect 'each entry names the hash of the one before' '
	custos init >/dev/null && custos verify >/dev/null &&
	custos audit --json >log &&
	first=$(sed -n 1p log | tr -d "\n" | sha256sum | cut -c1-64) &&
	sed -n 2p log | grep -q "\"prev\":\"$first\"}$"
'
test_expect 'an altered audit line is caught by verify, naming the next line' '
	custos init >/dev/null && gen_posts 3 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos show x:1 >/dev/null &&
	sed -i "3s/\"added\":3/\"added\":4/" archive/audit/audit.log &&
	test_exit 1 custos verify 2>err &&
	grep -q "audit log line 4" err
'
test_expect 'a torn last audit line is cut off and recorded at the next append' '
	custos init >/dev/null &&
	printf "{\"n\":2,\"time\":\"half" >>archive/audit/audit.log &&
	custos verify >/dev/null &&
	custos audit --json >log &&
	tail -n 1 log | grep -q "removed a torn line of" &&
	custos verify >/dev/null
'
test_done
