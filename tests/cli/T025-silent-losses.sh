#!/bin/sh
# Inputs that lost records with exit 0 and no word: each is now read, or an
# error, or a named skip in the list of files not taken.
. tests/cli/lib.sh

rec() { printf '{"id":"x:%s","platform":"x","author":{"handle":"a"},"created_at":"2020-01-01","text":"%s"}\n' "$1" "$2"; }
tw() { printf '{"tweet": {"id_str": "%s", "full_text": "%s", "created_at": "Sat Mar 05 09:31:00 +0000 2022"}}' "$1" "$2"; }
# pyzip ZIP NAME=DATA...: a zip with members named exactly so ('..' kept)
pyzip() {
	python3 -c 'import sys, zipfile, warnings
warnings.simplefilter("ignore")
z = zipfile.ZipFile(sys.argv[1], "w")
for spec in sys.argv[2:]:
    n, d = spec.split("=", 1)
    z.writestr(n, d + "\n")
z.close()' "$@"
}

test_expect 'zip members named with .. are named, not skipped without a word' '
	custos init >/dev/null &&
	pyzip z.zip "ok.ndjson=$(rec 1 in)" "../evil.ndjson=$(rec 2 out)" &&
	custos ingest --json z.zip >out 2>err &&
	jq -e ".added == 1" out >/dev/null &&
	jq -r ".not_taken[] | .file + \"|\" + .why" out >actual &&
	echo "z.zip!/../evil.ndjson|a member name with '"'"'..'"'"' would lie outside the export: not read" >expect &&
	test_cmp expect actual
'

test_expect 'of two zip members of one name the one not read is named' '
	custos init >/dev/null &&
	pyzip twice.zip "p.ndjson=$(rec 1 first)" "p.ndjson=$(rec 2 second)" &&
	custos ingest --json twice.zip >out 2>err &&
	jq -e ".added == 1" out >/dev/null &&
	test "$(custos search --count second)" = 1 &&
	jq -r ".not_taken[] | .why" out >actual &&
	echo "the zip holds 2 members named '"'"'p.ndjson'"'"': this one (entry 1 of the zip) is not read, the last one is (as unzip extracts it)" >expect &&
	test_cmp expect actual
'

test_expect 'a tweets.js holding a second array: its posts come in too' '
	custos init >/dev/null && mkdir -p a/data &&
	{ printf "window.YTD.tweets.part0 = [ %s ]\n" "$(tw 1500000000000000001 one)" &&
	  printf "window.YTD.tweets.part1 = [ %s, %s ]" "$(tw 1500000000000000002 two)" \
		"$(tw 1500000000000000003 three)"; } >a/data/tweets.js &&
	custos ingest --json a >out 2>err &&
	jq -e ".added == 3" out >/dev/null &&
	test "$(custos search --count three)" = 1
'

test_expect 'a tweets.js with a byte order mark or a blank start is recognised' '
	custos init >/dev/null &&
	printf "\357\273\277window.YTD.tweets.part0 = [ %s ]" "$(tw 1500000000000000011 bom)" >bom.js &&
	printf "\n  window.YTD.tweets.part0 = [ %s ]" "$(tw 1500000000000000012 blank)" >blank.js &&
	custos ingest --json bom.js blank.js >out 2>err &&
	jq -e ".added == 2 and (.not_taken | length) == 0" out >/dev/null
'

# feed HEAD-ITEMS: an RSS feed whose DOCTYPE holds what $1 says, then items
feed() {
	printf "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n%s]>\n<rss version=\"2.0\"><channel><title>T</title><link>http://ex.com/</link>\n%s</channel></rss>\n" "$1" "$2"
}
item() { printf "<item><title>%s</title><guid>%s</guid><pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate></item>\n" "$2" "$1"; }

test_expect 'a feed whose DTD runs past the first 4 KB is recognised' '
	custos init >/dev/null &&
	ents=$(i=0; while [ $i -lt 200 ]; do printf "<!ENTITY e%d \"entity number %d\">\n" $i $i; i=$((i + 1)); done) &&
	feed "$ents" "$(item g1 "one &e5;")" >bigdtd.xml &&
	test "$(wc -c <bigdtd.xml)" -gt 4096 &&
	custos ingest --json bigdtd.xml >out 2>err &&
	jq -e ".added == 1 and (.not_taken | length) == 0" out >/dev/null &&
	test "$(custos search --count "entity number 5")" = 1
'

test_expect 'a billion-laughs feed: the item after the bad entity comes in, the entity is named' '
	custos init >/dev/null &&
	lol="<!ENTITY lol \"lol\">
<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">" &&
	i=2 && while [ $i -le 9 ]; do
		p=$((i - 1)) &&
		lol="$lol
<!ENTITY lol$i \"&lol$p;&lol$p;&lol$p;&lol$p;&lol$p;&lol$p;&lol$p;&lol$p;&lol$p;&lol$p;\">" &&
		i=$((i + 1))
	done &&
	feed "$lol
" "$(item g1 before)$(item g2 "bad &lol9;")$(item g3 after)" >laughs.xml &&
	custos ingest --json laughs.xml >out 2>err &&
	jq -e ".added == 3" out >/dev/null &&
	test "$(custos search --count after)" = 1 &&
	grep -q "laughs.xml: line 15: the entity .lol9. is not expanded" err
'

test_expect 'entities that expand past 16 MB stop the feed with an error naming file and line' '
	custos init >/dev/null &&
	big=$(head -c 60000 /dev/zero | tr "\0" x) &&
	refs=$(i=0; while [ $i -lt 100 ]; do printf "&big;"; i=$((i + 1)); done) &&
	items=$(i=0; while [ $i -lt 40 ]; do item "g$i" "$refs"; i=$((i + 1)); done) &&
	feed "<!ENTITY big \"$big\">
" "$items" >flood.xml &&
	test_exit 1 custos ingest flood.xml >out 2>err &&
	grep -q "^custos: flood.xml:8: entity references expand to more than 16 MB of text (reached at line 8, a reference to .big.): refused from there (2 items read before)" err &&
	custos ingest --skip-bad --json flood.xml >out 2>err &&
	jq -e ".quarantined == 1" out >/dev/null
'

test_expect 'a UTF-16 or UTF-32 file set aside keeps all its bytes' '
	custos init >/dev/null &&
	for enc in utf-16 utf-32; do
		python3 -c "import sys; open(sys.argv[1], \"wb\").write((\"<?xml version=\\\"1.0\\\" encoding=\\\"$enc\\\"?>\n<html><body>\" + \"x\" * 400 + \"</body></html>\n\").encode(\"$enc\"))" "$enc.xml" &&
		custos ingest --skip-bad --format feed --json "$enc.xml" >out 2>err &&
		jq -e ".quarantined == 1" out >/dev/null || return 1
	done &&
	custos quarantine show --raw 1 >raw16 && cmp raw16 utf-16.xml &&
	custos quarantine show --raw 2 >raw32 && cmp raw32 utf-32.xml
'
test_done
