#!/bin/sh
# tsan: yes
# custos serve: records over HTTP (per-line results, nothing of a bad request
# committed, re-sending adds nothing), the same JSON as the command line,
# limits on bodies, headers, time and connections, concurrent ingest and
# search, the command line beside a running server, and a clean SIGTERM.
. tests/cli/lib.sh
. tests/cli/gen.sh
. tests/cli/serve.sh

post() {   # post TOKEN FILE: POST /v1/records, prints the HTTP status
	api "$1" POST /v1/records -H "Content-Type: application/x-ndjson" --data-binary "@$2"
}
port() { echo "${URL##*:}"; }

test_expect 'records: per-line outcomes, quarantine in a 2xx, re-sending adds nothing' '
	custos init >/dev/null && token i ingest && token l legal && serve_start --no-poll &&
	gen_posts 3 >a.ndjson && { cat a.ndjson; echo "{\"id\":\"x:9\"}"; echo; } >b.ndjson &&
	test "$(post i b.ndjson)" = 200 &&
	sed "s/,\"first_seq.*//" body >actual &&
	echo "{\"added\":3,\"versions\":0,\"unchanged\":0,\"quarantined\":1" >expect && test_cmp expect actual &&
	grep -q "{\"item\":4,\"outcome\":\"quarantined\",\"quarantine\":1,\"why\":\"missing field" body &&
	test "$(post i b.ndjson)" = 200 &&
	grep -q "^{\"added\":0,\"versions\":0,\"unchanged\":3,\"quarantined\":0" body &&
	gen_posts 1 2 " edited" >c.ndjson && test "$(post i c.ndjson)" = 200 &&
	grep -q "\"outcome\":\"version\",\"id\":\"x:2\",\"seq\":4,\"version\":2" body &&
	serve_stop && custos verify >/dev/null
'

test_expect 'a line that is not JSON refuses the whole request, naming the line, nothing committed' '
	custos init >/dev/null && token i ingest && serve_start --no-poll &&
	gen_posts 5 >a.ndjson && { head -n 2 a.ndjson; echo "{not json"; tail -n 3 a.ndjson; } >bad.ndjson &&
	test "$(post i bad.ndjson)" = 400 &&
	grep -q "line 3 is not JSON" body && grep -q "nothing was taken" body &&
	serve_stop && custos stats --json >st && grep -q "\"records\": 0," st
'

test_expect 'search and show answer the JSON of the command line, byte for byte' '
	custos init >/dev/null && token i ingest && token l legal && serve_start --no-poll &&
	gen_posts 40 >a.ndjson && test "$(post i a.ndjson)" = 200 &&
	wait_for 10 sh -c "\"$CUSTOS\" search --count post | grep -qx 40" &&
	test "$(api l GET "/v1/search?q=post+%23topic3&limit=5&sort=-date&facets=platform,year")" = 200 &&
	custos search --json --limit 5 --sort -date --facets platform,year "post #topic3" >expect &&
	test_cmp expect body &&
	test "$(api l GET /v1/records/x:7)" = 200 && custos show --json x:7 >expect && test_cmp expect body &&
	test "$(api l GET /v1/records/x:7/raw)" = 200 && custos show --raw x:7 >expect && test_cmp expect body &&
	test "$(api l GET "/v1/search?q=from:")" = 400 && grep -q "bad query" body &&
	test "$(api l GET /v1/records/x:999)" = 404 &&
	serve_stop
'

test_expect 'a search after a 2xx sees the records, or says the watermark it answered at' '
	custos init >/dev/null && token i ingest && token l legal && serve_start --no-poll &&
	for k in 1 2 3 4 5; do
		gen_posts 200 $((k * 1000)) >p.ndjson && test "$(post i p.ndjson)" = 200 &&
		last=$(sed "s/.*\"last_seq\":\([0-9]*\).*/\1/" body) &&
		test "$(api l GET "/v1/search?q=post&count=1")" = 200 &&
		total=$(sed "s/.*\"total\": \([0-9]*\).*/\1/" body) &&
		wm=$(sed "s/.*\"watermark\": \([0-9]*\).*/\1/" body) &&
		{ [ "$total" = $((k * 200)) ] || [ "$wm" -lt "$last" ]; } || { echo "total $total, watermark $wm, last $last"; exit 1; }
	done && serve_stop
'

test_expect 'bodies and headers over their limits, unknown paths, wrong methods, bad JSON' '
	custos init >/dev/null && token i ingest && token l legal && serve_start --no-poll --max-body 1K --max-header 8K &&
	gen_posts 20 >big.ndjson && test "$(post i big.ndjson)" = 413 && grep -q "over the limit of 1024" body &&
	{ curl -s -o body -H "Authorization: Bearer $(cat tok.i)" -H "Transfer-Encoding: chunked" \
		-H "Content-Type: application/x-ndjson" --data-binary @big.ndjson "$URL/v1/records" && exit 1 || true; } &&
	code=$(api l GET /v1/stats -H "X-Big: $(head -c 20000 /dev/zero | tr "\0" a)") &&
	case $code in 431|413|000) ;; *) echo "big headers: $code"; exit 1 ;; esac &&
	test "$(api l GET /v1/nothing)" = 404 &&
	test "$(api l PUT /v1/stats)" = 405 &&
	test "$(api l POST /v1/holds -H "Content-Type: application/json" --data-binary "{\"name\":")" = 400 &&
	grep -q "must be a JSON object" body &&
	test "$(post i /dev/null)" = 200 &&
	test "$(api i POST /v1/records -H "Content-Type: text/csv" --data-binary @big.ndjson)" = 413 &&
	serve_stop && custos stats --json >st && grep -q "\"records\": 0," st
'

test_expect 'slow and stuck clients are cut off; others are served meanwhile' '
	custos init >/dev/null && token l legal &&
	serve_start --no-poll --idle-timeout 1 --request-timeout 2 --max-per-ip 3 &&
	{ python3 "$TOP/tests/cli/slow_client.py" "$(port)" trickle 4 >trickle & } &&
	p1=$! &&
	{ python3 "$TOP/tests/cli/slow_client.py" "$(port)" stall >stall & } &&
	p2=$! &&
	{ python3 "$TOP/tests/cli/slow_client.py" "$(port)" stallbody >stallbody & } &&
	p3=$! &&
	sleep 0.3 && test "$(api l GET /v1/stats --interface 127.0.0.2)" = 200 &&
	wait $p1 && wait $p2 && wait $p3 &&
	cat trickle stall stallbody &&
	grep -q "^HTTP/1.1 408" trickle &&
	grep -q "^closed" stall && grep -q "^closed" stallbody &&
	{ python3 "$TOP/tests/cli/slow_client.py" "$(port)" hold 3 >hold & } &&
	ph=$! &&
	wait_for 5 grep -q holding hold &&
	test "$(api l GET /v1/stats --max-time 3)" != 200 &&
	test "$(api l GET /v1/stats --interface 127.0.0.2)" = 200 &&
	kill $ph && wait $ph 2>/dev/null; serve_stop
'

test_expect 'concurrent ingest and search: every acknowledged record is there' '
	custos init >/dev/null && token i ingest && token l legal && serve_start --no-poll &&
	pids="" &&
	for k in 1 2 3 4 5 6 7 8; do
		( for j in 1 2 3 4 5; do
			gen_posts 100 $((k * 10000 + j * 100)) >p$k.ndjson &&
			c=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(cat tok.i)" \
				-H "Content-Type: application/x-ndjson" --data-binary @p$k.ndjson "$URL/v1/records") &&
			[ "$c" = 200 ] || { echo "post $k.$j: $c"; exit 1; }
		  done ) &
		pids="$pids $!"
	done &&
	for k in 1 2 3 4; do
		( for j in 1 2 3 4 5 6 7 8 9 10; do
			c=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(cat tok.l)" "$URL/v1/search?q=post+%23topic$j") &&
			[ "$c" = 200 ] || { echo "search $k.$j: $c"; exit 1; }
		  done ) &
		pids="$pids $!"
	done &&
	fails=0 && for p in $pids; do wait $p || fails=$((fails + 1)); done &&
	test $fails = 0 &&
	serve_stop && custos stats --json >st && grep -q "\"records\": 4000," st && custos verify >/dev/null
'

test_expect 'beside a running server, reads work and writes are refused naming the server' '
	custos init >/dev/null && gen_posts 10 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	serve_start --no-poll && pid=$(cat serve.pid) &&
	custos search --count post >n && test "$(cat n)" = 10 &&
	custos stats >/dev/null && custos show x:3 >/dev/null && custos audit >/dev/null &&
	test_exit 1 custos ingest a.ndjson 2>err &&
	grep -q "pid $pid: custos serve" err && grep -q "hint: a custos server holds this archive" err &&
	test_exit 1 timeout 10 "$CUSTOS" hold create h --query post 2>err && grep -q "custos serve" err &&
	test_exit 1 timeout 10 "$CUSTOS" index 2>err && grep -q "custos serve" err &&
	serve_stop && grep -q "Terminated: stopping" serve.err
'

if ! command -v certtool >/dev/null 2>&1; then
	test_skip 'HTTPS with --tls-cert and --tls-key' 'certtool is missing (Debian package gnutls-bin)'
else
test_expect 'HTTPS with --tls-cert and --tls-key' '
	custos init >/dev/null && token l legal &&
	certtool --generate-privkey --outfile key.pem 2>/dev/null &&
	printf "cn = 127.0.0.1\nip_address = 127.0.0.1\nexpiration_days = 2\ntls_www_server\nsigning_key\nencryption_key\n" >t.tmpl &&
	certtool --generate-self-signed --load-privkey key.pem --template t.tmpl --outfile cert.pem 2>/dev/null &&
	serve_start --no-poll --tls-cert cert.pem --tls-key key.pem &&
	case $URL in https://*) ;; *) exit 1 ;; esac &&
	test "$(api l GET /v1/stats --cacert cert.pem)" = 200 &&
	! curl -s -o /dev/null "http://${URL#https://}/healthz" --max-time 3 &&
	serve_stop &&
	test_exit 2 custos serve --tls-cert cert.pem
'
fi

serve_reap
test_done
