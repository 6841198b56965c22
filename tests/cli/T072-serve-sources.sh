#!/bin/sh
# Polling connectors against a real loopback server serving the recorded
# fixtures: feeds with conditional GET (a 304), a server that times out, a
# Mastodon account paged by since_id and Link, a page that fails (a gap the
# monitor reports and a later poll fills), rate limits, and the monitor in
# `source list`, /metrics and the audit chain.
. tests/cli/lib.sh
. tests/cli/serve.sh

ACCT=117020565966271181
if ! have_fixtures; then
	skip_all "no ../shared/fixtures: the polling connectors are not tested"
	test_done; exit 0
fi
if ! python3 -c "import yaml" 2>/dev/null; then
	skip_all "python3 with yaml (python3-yaml) is needed for the loopback fixture server"
	test_done; exit 0
fi

fx_start() {
	python3 "$TOP/tests/cli/fixture_server.py" "$FIXTURES" fx.port >fx.log 2>&1 &
	echo $! >fx.pid
	wait_for 10 test -s fx.port && FX="http://127.0.0.1:$(cat fx.port)"
}
fx_stop() { kill "$(cat fx.pid)" 2>/dev/null; wait "$(cat fx.pid)" 2>/dev/null; return 0; }
fx() { curl -s -o /dev/null "$FX/control?$1"; }
state() { custos source list --json >list && cat list; }
# polled NAME N: waits until source NAME has been polled N times
polled() { wait_for 20 sh -c "\"$CUSTOS\" source list --json | grep -q '\"name\": \"$1\",.*\"polls\": $2,'"; }

test_expect 'a feed: captured, then 304 Not Modified, then a changed feed with a gap alert' '
	custos init >/dev/null && fx_start &&
	fx "feed=news&file=wellformed/rss/item_pubDate.xml" &&
	custos source add news --feed "$FX/feed/news" --interval 1 >/dev/null &&
	serve_start --poll-tick 200 &&
	polled news 1 && polled news 2 &&
	fx "feed=news&file=wellformed/atom10/entry_id.xml" && polled news 3 &&
	curl -s "$FX/log" >reqs && serve_stop && fx_stop &&
	test "$(grep -c "^GET /feed/news inm=\"[0-9a-f]*\" ims=" reqs)" = 2 &&
	custos source list --json >list &&
	grep -q "\"status\": \"gaps\"" list && grep -q "\"not_modified\": 1," list &&
	grep -q "\"records\": 2," list && grep -q "\"kind\": \"gap\"" list &&
	custos stats --json | grep -q "\"records\": 2," &&
	grep -q "\"action\":\"source-alert\".*\"alert\":\"gap\"" archive/audit/audit.log
'

test_expect 'a server that times out: the source is failing with the reason, the rest goes on' '
	custos init >/dev/null && fx_start &&
	fx "feed=ok&file=wellformed/rss/item_pubDate.xml" &&
	custos source add slow --feed "$FX/slow/feed" --interval 60 --timeout 1 >/dev/null &&
	custos source add ok --feed "$FX/feed/ok" --interval 60 >/dev/null &&
	serve_start --poll-tick 200 && polled slow 1 && polled ok 1 &&
	serve_stop && fx_stop && custos source list >list && cat list &&
	grep -A8 "^slow" list | grep -q "\[failing\]" &&
	grep -A8 "^slow" list | grep -q "last error.*timed out" &&
	grep -A8 "^ok " list | grep -q "\[ok\]"
'

test_expect 'mastodon: every recorded status captured through since_id and Link paging' '
	custos init >/dev/null && fx_start &&
	custos source add masto --mastodon "$FX" --account $ACCT --interval 1 --page-limit 4 >/dev/null &&
	serve_start --poll-tick 200 && polled masto 1 && polled masto 2 &&
	curl -s "$FX/log" >reqs && serve_stop && fx_stop &&
	custos stats --json | grep -q "\"records\": 10," &&
	custos source list --json >list && grep -q "\"status\": \"ok\"" list &&
	grep -q "\"cursor\": \"117020580518794573\"" list &&
	grep -q "statuses?limit=4&max_id=" reqs &&
	grep -q "statuses?limit=4&since_id=117020580518794573 " reqs &&
	custos verify >/dev/null
'

test_expect 'mastodon: a page that fails is a gap, alerted once, filled by a later poll' '
	custos init >/dev/null && fx_start && fx "gap=1" &&
	custos source add masto --mastodon "$FX" --account $ACCT --interval 1 --page-limit 4 >/dev/null &&
	serve_start --poll-tick 200 && polled masto 2 &&
	custos source list --json >list1 &&
	grep -q "\"status\": \"gaps\"" list1 && grep -q "\"to\": \"117020580496489811\"" list1 &&
	test "$(custos stats --json | sed "s/.*\"records\": \([0-9]*\),.*/\1/")" = 4 &&
	token m auditor && expect_status 200 m GET /metrics &&
	grep -q "custos_source_open_alerts{source=\"masto\",kind=\"gap\"} 1" body &&
	fx "gap=0" && polled masto 4 &&
	serve_stop && fx_stop &&
	custos source list --json >list2 && grep -q "\"status\": \"ok\"" list2 &&
	custos stats --json | grep -q "\"records\": 10," &&
	test "$(grep -c "\"action\":\"source-alert\"" archive/audit/audit.log)" = 1 &&
	grep -q "\"action\":\"source-alert-closed\"" archive/audit/audit.log
'

test_expect 'mastodon: no requests while the rate limit says none are left' '
	custos init >/dev/null && fx_start && fx "limit0=1" &&
	custos source add masto --mastodon "$FX" --account $ACCT --interval 1 --page-limit 4 >/dev/null &&
	serve_start --poll-tick 200 && polled masto 1 && sleep 2 &&
	curl -s "$FX/log" | grep -c "/statuses" >n && serve_stop && fx_stop &&
	test "$(cat n)" = 1 && custos source list --json | grep -q "\"polls\": 1,"
'

test_expect 'a source that stops reporting is alerted in source list' '
	custos init >/dev/null &&
	custos source add gone --feed http://127.0.0.1:9/none --interval 1 >/dev/null &&
	sleep 3.2 && custos source list >list && grep -q "\[stopped\]" list &&
	grep -q "ALERT stopped" list &&
	test_exit 1 custos source add gone --feed http://127.0.0.1:9/x 2>err && grep -q "already" err &&
	test_exit 1 custos source add bad --feed ftp://x 2>err && grep -q "http" err &&
	custos source remove gone >/dev/null && custos source list >list && grep -q "no sources" list
'

serve_reap
test_done
