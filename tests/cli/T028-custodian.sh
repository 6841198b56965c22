#!/bin/sh
# --custodian at ingest records whose collection it is (a person or team,
# not the platform account); custodian: finds it; stats --custodians lists
# every custodian with its records.
. tests/cli/lib.sh
. tests/cli/gen.sh

test_expect 'ingest --custodian stores it in each record, outside the content hash' '
	custos init >/dev/null && gen_posts 3 >a.ndjson &&
	custos ingest --custodian "Jane Roe" a.ndjson >/dev/null &&
	custos show --json x:1 >r &&
	jq -e ".custodian == \"Jane Roe\" and .account != \"Jane Roe\"" r >/dev/null &&
	custos audit --json | grep "\"action\":\"ingest\"" | tail -n 1 |
		jq -e ".params.custodian == \"Jane Roe\"" >/dev/null &&
	custos verify >/dev/null
'

test_expect 'custodian: finds a custodian'"'"'s records, any case' '
	custos init >/dev/null && gen_posts 5 >a.ndjson && gen_posts 3 10 >b.ndjson &&
	custos ingest --custodian "Jane Roe" a.ndjson >/dev/null &&
	custos ingest --custodian legal-team b.ndjson >/dev/null &&
	test "$(custos search --count "custodian:\"jane roe\"")" = 5 &&
	test "$(custos search --count custodian:Legal-Team)" = 3 &&
	test "$(custos search --count "NOT custodian:legal-team")" = 5 &&
	custos index --rebuild >/dev/null &&
	test "$(custos search --count custodian:legal-team)" = 3
'

test_expect 'stats --custodians lists every custodian with its records' '
	custos init >/dev/null && gen_posts 5 >a.ndjson && gen_posts 3 10 >b.ndjson &&
	gen_posts 2 20 >c.ndjson &&
	custos ingest --custodian "Jane Roe" a.ndjson >/dev/null &&
	custos ingest --custodian legal-team b.ndjson >/dev/null &&
	custos ingest c.ndjson >/dev/null &&
	custos stats --custodians --json | jq -c .custodians >actual &&
	echo "[{\"custodian\":\"Jane Roe\",\"records\":5},{\"custodian\":\"legal-team\",\"records\":3},{\"custodian\":null,\"records\":2}]" >expect &&
	test_cmp expect actual &&
	custos stats --custodians | tail -n 4 >actual &&
	printf "%-32s %10s\n%-32s %10s\n%-32s %10s\n%-32s %10s\n" custodian records "Jane Roe" 5 \
		legal-team 3 "(none)" 2 >expect &&
	test_cmp expect actual
'

test_expect 'a custodian that cannot be one is refused' '
	custos init >/dev/null && gen_posts 1 >a.ndjson &&
	test_exit 2 custos ingest --custodian "" a.ndjson 2>err &&
	long=$(head -c 300 /dev/zero | tr "\0" a) &&
	custos ingest --skip-bad --json --custodian "$long" a.ndjson >out 2>err &&
	jq -e ".added == 0 and .quarantined == 1" out >/dev/null
'
test_done
