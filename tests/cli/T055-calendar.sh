#!/bin/sh
# A time is accepted only when custos can read it back: one whose offset
# carries it past 9999-12-31 or before 0000-01-01 in UTC, or an epoch number
# outside those years, is a validation error naming it (quarantined with
# --skip-bad), in every format; the archive stays readable.
. tests/cli/lib.sh

rss() {
	printf '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>t</title><link>https://e.com/</link><description>d</description>\n'
	printf '<item><title>ok</title><link>https://e.com/0</link><pubDate>Fri, 31 Dec 9999 23:59:59 +0000</pubDate><description>fine</description></item>\n'
	printf '<item><title>far</title><link>https://e.com/1</link><pubDate>Fri, 31 Dec 9999 23:59:59 -0100</pubDate><description>x</description></item>\n'
	printf '</channel></rss>\n'
}
post() {  # post ID CREATED_AT
	printf '{"id":"x:%s","platform":"x","author":{"handle":"a"},"created_at":"%s","text":"t%s"}\n' "$1" "$2" "$1"
}

test_expect 'RFC 3339 and RFC 822 times at the edge: kept when they read back, refused by name otherwise' '
	custos init >/dev/null &&
	post 1 9999-12-31T23:59:59-00:01 >edge.ndjson &&
	test_exit 1 custos ingest edge.ndjson 2>err &&
	echo "custos: edge.ndjson:1: field '"'"'created_at'"'"': time '"'"'9999-12-31T23:59:59-00:01'"'"' is outside the years 0000 to 9999 (UTC) that custos can keep" >expect &&
	test_cmp expect err &&
	{ post 2 9999-12-31T23:59:59Z && post 3 0000-01-01T00:00:00Z && post 4 0000-01-01T00:30:00+01:00 &&
	  post 5 9999-12-31T23:59:59-00:01 && post 6 "Fri Dec 31 23:59:59 -0100 9999"; } >mixed.ndjson &&
	rss >feed.rss &&
	custos ingest --skip-bad mixed.ndjson feed.rss >/dev/null &&
	custos quarantine list --json | jq -r ".items[] | .file + \":\" + (.line|tostring) + \" \" + .reason" >q &&
	cat >expect <<-EOF &&
	mixed.ndjson:3 field '"'"'created_at'"'"': time '"'"'0000-01-01T00:30:00+01:00'"'"' is outside the years 0000 to 9999 (UTC) that custos can keep
	mixed.ndjson:4 field '"'"'created_at'"'"': time '"'"'9999-12-31T23:59:59-00:01'"'"' is outside the years 0000 to 9999 (UTC) that custos can keep
	mixed.ndjson:5 field '"'"'created_at'"'"': time '"'"'Fri Dec 31 23:59:59 -0100 9999'"'"' is outside the years 0000 to 9999 (UTC) that custos can keep
	feed.rss:4 field '"'"'created_at'"'"': 10000-01-01T00:59:59Z is outside the years 0000 to 9999 (UTC) that custos can keep
	EOF
	test_cmp expect q &&
	custos show --json x:2 | jq -r .created_at >t && echo 9999-12-31T23:59:59Z >expect && test_cmp expect t &&
	custos show --json x:3 | jq -r .created_at >t && echo 0000-01-01T00:00:00Z >expect && test_cmp expect t &&
	custos verify >/dev/null && custos index --rebuild >/dev/null &&
	test "$(custos search --count "platform:x OR platform:feed")" = 3
'
test_expect 'epoch numbers (Slack ts, Facebook timestamp) outside the years are refused' '
	custos init >/dev/null &&
	mkdir -p s/general fb/your_facebook_activity/posts &&
	echo "[{\"id\": \"C001\", \"name\": \"general\", \"created\": 1700000000, \"members\": [\"U001\"]}]" >s/channels.json &&
	echo "[{\"id\": \"U001\", \"name\": \"ana\"}]" >s/users.json &&
	echo "[{\"type\":\"message\",\"user\":\"U001\",\"text\":\"ok\",\"ts\":\"1704153600.000100\"},
	       {\"type\":\"message\",\"user\":\"U001\",\"text\":\"far\",\"ts\":\"253402300800.000100\"},
	       {\"type\":\"message\",\"user\":\"U001\",\"text\":\"huge\",\"ts\":\"99999999999999999999.1\"}]" >s/general/2024-01-02.json &&
	echo "{\"status_updates_v2\":[{\"timestamp\":1700000200,\"data\":[{\"post\":\"ok\"}]},
	       {\"timestamp\":253402300800,\"data\":[{\"post\":\"far\"}]},
	       {\"timestamp\":-62167219201,\"data\":[{\"post\":\"before\"}]},
	       {\"timestamp\":9223372036854775807,\"data\":[{\"post\":\"max\"}]}]}" >fb/your_facebook_activity/posts/your_posts_1.json &&
	custos ingest --skip-bad s >/dev/null && custos ingest --skip-bad fb >/dev/null &&
	custos quarantine list --json | jq -r ".items[] | .reason" >q &&
	cat >expect <<-EOF &&
	"ts" is outside the years 0000 to 9999
	"ts" is outside the years 0000 to 9999
	"timestamp" is outside the years 0000 to 9999
	"timestamp" is outside the years 0000 to 9999
	"timestamp" is outside the years 0000 to 9999
	EOF
	test_cmp expect q &&
	test "$(custos stats --json | jq .records)" = 2 &&
	custos verify >/dev/null
'
test_done
