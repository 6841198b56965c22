#!/bin/sh
# verify checks the index against the store: lag is reported, not an error;
# a document the store lacks, or at the wrong version, is corruption.
. tests/cli/lib.sh
. tests/cli/gen.sh

rec() { echo "{\"id\":\"x:$1\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2020-01-0$1\",\"text\":\"$2\"}"; }

test_expect 'records not yet indexed are lag, and custos index catches up' '
	custos init >/dev/null && gen_posts 10 >a.ndjson &&
	custos ingest a.ndjson >/dev/null &&
	gen_posts 5 100 >b.ndjson && custos ingest --no-index b.ndjson >/dev/null &&
	custos verify >out && grep -q "it lags by 5 record versions" out &&
	custos verify --json | grep -q "\"index_lag\": 5" &&
	custos index >/dev/null &&
	custos verify >out && grep -q "index: 15 documents agree with the store" out
'
test_expect 'an index holding a record the store lacks fails verify' '
	custos init >/dev/null && rec 1 one >a.ndjson && rec 2 two >>a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos --archive other init >/dev/null &&
	rec 1 one >b.ndjson && rec 9 nine >>b.ndjson && custos --archive other ingest b.ndjson >/dev/null &&
	rm -rf archive/index && cp -r other/index archive/index &&
	test_exit 1 custos verify 2>err &&
	grep -q "holds record x:9, which the store does not" err
'
test_expect 'an index holding the wrong version fails verify' '
	custos init >/dev/null && rec 1 one >a.ndjson && rec 2 two >>a.ndjson &&
	custos ingest a.ndjson >/dev/null &&
	custos --archive other init >/dev/null &&
	rec 2 two >b.ndjson && rec 1 one >>b.ndjson && custos --archive other ingest b.ndjson >/dev/null &&
	rm -rf archive/index && cp -r other/index archive/index &&
	test_exit 1 custos verify 2>err &&
	grep -q "is indexed at seq . but its latest version the index covers is seq ." err
'
test_done
