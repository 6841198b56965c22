#!/bin/sh
# The audit trail streamed to a real rsyslog on loopback (RFC 5424 over TCP
# with octet counting, and JSON lines), resumed after a restart; /metrics
# checked by promtool.
. tests/cli/lib.sh
. tests/cli/gen.sh
. tests/cli/serve.sh

free_port() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }

# syslog_start PORT: rsyslogd on 127.0.0.1:PORT writing what it receives to
# ./received, one message a line: the RFC 5424 fields, then the message
syslog_start() {
	mkdir -p rs && cat >rs.conf <<CONF
global(workDirectory="$PWD/rs")
module(load="imtcp")
template(name="fields" type="string" string="%protocol-version% %app-name% %msgid% %structured-data% %msg%\n")
ruleset(name="in") { action(type="omfile" file="$PWD/received" template="fields") }
input(type="imtcp" address="127.0.0.1" port="$1" ruleset="in")
CONF
	rsyslogd -n -f rs.conf -i "$PWD/rs/pid" >rs.log 2>&1 &
	echo $! >syslog.pid
	wait_for 10 sh -c "ss -ltn | grep -q 127.0.0.1:$1"
}
syslog_stop() { kill "$(cat syslog.pid)"; wait "$(cat syslog.pid)" 2>/dev/null; return 0; }

if ! command -v rsyslogd >/dev/null 2>&1; then
	test_skip 'the SIEM stream into rsyslog' 'rsyslogd is missing (Debian package rsyslog)'
else
test_expect 'every audit entry reaches rsyslog as RFC 5424, and a restart goes on where it stopped' '
	custos init >/dev/null && token i ingest && token l legal &&
	p=$(free_port) && syslog_start "$p" &&
	serve_start --no-poll --siem "syslog+tcp://127.0.0.1:$p" &&
	gen_posts 3 >a.ndjson &&
	test "$(api i POST /v1/records -H "Content-Type: application/x-ndjson" --data-binary @a.ndjson)" = 200 &&
	test "$(api l GET /v1/stats)" = 200 &&
	test "$(api l GET /v1/audit)" = 403 &&
	serve_stop &&
	n=$(wc -l <archive/audit/audit.log) &&
	wait_for 10 sh -c "test \$(wc -l <received) -ge $n" &&
	test "$(wc -l <received)" = "$n" &&
	grep -q "^1 custos init \[custos@32473 n=\"1\" action=\"init\"" received &&
	grep -q "^1 custos submit \[custos@32473 n=\"[0-9]*\" action=\"submit\" user=\"[^\"]*\" role=\"ingest\" token=\"i\" client=\"127.0.0.1:[0-9]*\" status=\"ok\"\] {\"n\":" received &&
	grep -q "^1 custos audit-read .*token=\"l\".*status=\"not allowed for this role\"" received &&
	serve_start --no-poll --siem "syslog+tcp://127.0.0.1:$p" &&
	test "$(api l GET /v1/stats)" = 200 && serve_stop &&
	n=$(wc -l <archive/audit/audit.log) &&
	wait_for 10 sh -c "test \$(wc -l <received) -ge $n" &&
	test "$(wc -l <received)" = "$n" &&
	cut -d" " -f5 received | sort | uniq -d >dups && test ! -s dups &&
	syslog_stop
'

test_expect 'JSON lines to the SIEM, and events kept while it is down' '
	custos init >/dev/null && token l legal &&
	p=$(free_port) &&
	serve_start --no-poll --siem "json+tcp://127.0.0.1:$p" &&
	test "$(api l GET /v1/stats)" = 200 &&
	syslog_start "$p" &&
	test "$(api l GET /v1/stats)" = 200 &&
	n=$(wc -l <archive/audit/audit.log) &&
	wait_for 15 sh -c "test \$(wc -l <received) -ge $n" &&
	serve_stop && syslog_stop &&
	grep -q "{\"n\":1,\"time\":" received && grep -q "\"action\":\"siem-start\"" received
'
fi

if ! command -v promtool >/dev/null 2>&1; then
	test_skip '/metrics passes promtool' 'promtool is missing (Debian package prometheus)'
else
test_expect '/metrics passes promtool check metrics' '
	custos init >/dev/null && token a auditor && token i ingest &&
	custos source add feed1 --feed http://127.0.0.1:9/x --interval 60 >/dev/null &&
	serve_start --poll-tick 200 && gen_posts 5 >a.ndjson &&
	test "$(api i POST /v1/records -H "Content-Type: application/x-ndjson" --data-binary @a.ndjson)" = 200 &&
	expect_status 200 a GET /metrics && cp body m1 &&
	promtool check metrics <m1 &&
	grep -q "^custos_records 5$" m1 &&
	grep -q "^custos_submitted_lines_total{outcome=\"added\"} 5$" m1 &&
	grep -q "custos_http_requests_total{route=\"POST /v1/records\",code=\"200\"} 1" m1 &&
	grep -q "^custos_source_status{source=\"feed1\"," m1 &&
	serve_stop
'
fi

serve_reap
test_done
