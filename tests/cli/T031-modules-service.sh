#!/bin/sh
# The service without its import module (docs/ARCHITECTURE.md, "The binary
# and its modules"): an upload is refused or its job fails naming the
# missing module, never as an "unknown format".
. tests/cli/lib.sh
. tests/cli/gen.sh
. tests/cli/serve.sh

BIN=$(readlink -f "$CUSTOS")
MODDIR=$(dirname "$(dirname "$BIN")")/lib/custos

test_expect 'a service without the import module names it for an upload, with or without a format' '
	custos init >/dev/null && token i ingest && gen_posts 5 >p.ndjson &&
	mkdir -p bare/bin bare/lib/custos && cp "$BIN" bare/bin/custos &&
	cp "$MODDIR/serve.so" bare/lib/custos/ &&
	CUSTOS=$TEST_DIR/bare/bin/custos serve_start --no-poll &&
	code=$(api i POST "/v1/imports?name=p.ndjson&format=ndjson" --data-binary @p.ndjson) &&
	test "$code" -ge 400 && ! grep -q "unknown format" body &&
	grep -q "cannot load the import module: $TEST_DIR/bare/lib/custos/import.so" body &&
	test "$(api i POST "/v1/imports?name=p.ndjson" --data-binary @p.ndjson)" = 202 && id=$(job_id) &&
	! job_wait i "$id" done >job.out &&
	grep -q "\"state\":\"failed\"" job.out &&
	grep -q "cannot load the import module" job.out &&
	serve_stop && test "$(custos stats --json | jq .records)" = 0
'

serve_reap
test_done
