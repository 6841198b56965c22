#!/bin/sh
# A folder is a collection: every export in it comes in, at any depth, and
# every file that is not taken is named, in the summary and in the ingest's
# audit entry, with why. Files not taken leave the exit status at 0; a file
# taken that fails makes it 1.
. tests/cli/lib.sh

# coll/: an X archive, a Mastodon export and a LinkedIn export side by side,
# a Slack export two folders down, and files no importer takes. (The X
# archive holds one broken post: ingests of it take --skip-bad.)
make_collection() {
	mkdir -p coll/deep/er &&
	cp -r "$TOP/tests/data/import/x-archive" "$TOP/tests/data/import/mastodon" \
		"$TOP/tests/data/import-b/linkedin-export" coll/ &&
	cp -r "$TOP/tests/data/import-b/slack-mini" coll/deep/er/ &&
	printf '{"orderedItems":[]}' >coll/mastodon/likes.json &&
	printf '{"orderedItems":[]}' >coll/mastodon/bookmarks.json &&
	printf 'notes\n' >coll/README.txt
}

# added NAME: the "added" count of the JSON summary in file NAME
added() { jq -r .added "$1"; }

test_expect 'exports side by side all come in, as many records as each alone' '
	make_collection &&
	total=0 &&
	for e in x-archive mastodon linkedin-export deep/er/slack-mini; do
		rm -rf one && custos --archive one init >/dev/null &&
		custos --archive one ingest --skip-bad --json "coll/$e" >alone 2>/dev/null &&
		n=$(added alone) && test "$n" -gt 0 && total=$((total + n)) || return 1
	done &&
	custos init >/dev/null &&
	custos ingest --skip-bad --json coll >all 2>err &&
	test "$(added all)" = "$total" &&
	jq -r ".not_taken[] | .file + \"|\" + .why" all | sort >actual &&
	cat >expect <<-EOF &&
	coll/README.txt|format not recognised
	coll/mastodon/bookmarks.json|the account'"'"'s bookmarks (other people'"'"'s posts it saved): not imported
	coll/mastodon/likes.json|the account'"'"'s likes (other people'"'"'s posts it liked): not imported
	coll/x-archive/data/profile_media/1000-avatar.jpg|the account'"'"'s profile images: not imported
	EOF
	test_cmp expect actual &&
	test "$(custos search --count platform:slack)" = 7 &&
	test "$(custos search --count platform:mastodon)" -gt 0 &&
	test "$(custos search --count platform:linkedin)" = 1
'

test_expect 'the summary lists the files not taken, and the audit entry too' '
	make_collection && custos init >/dev/null &&
	custos ingest --skip-bad coll >out 2>err &&
	grep -q "^not taken    4$" out &&
	grep -q "^  coll/mastodon/likes.json: the account.s likes" out &&
	custos audit --json | grep "\"action\":\"ingest\"" | tail -n 1 >entry &&
	jq -r ".result.not_taken[] | .file" entry | sort >actual &&
	printf "%s\n" coll/README.txt coll/mastodon/bookmarks.json coll/mastodon/likes.json \
		coll/x-archive/data/profile_media/1000-avatar.jpg >expect &&
	test_cmp expect actual
'

test_expect 'files not taken leave the exit status at 0; a file taken that fails makes it 1' '
	custos init >/dev/null && mkdir only && printf "hello\n" >only/a.txt &&
	printf "\xff\xd8\xff" >only/b.jpg &&
	custos ingest --json only >out &&
	jq -e ".added == 0 and (.not_taken | length) == 2" out >/dev/null &&
	make_collection && printf "{not json\n" >coll/broken.ndjson &&
	sed -i "1s/^/{\"id\":\"x:77\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2020-01-01\",\"text\":\"t\"}\n/" coll/broken.ndjson &&
	rm -rf archive && custos init >/dev/null &&
	test_exit 1 custos ingest coll >out 2>err &&
	grep -q "coll/broken.ndjson:2: " err
'

test_expect 'a zip inside a zip is named as not taken, its neighbours come in' '
	custos init >/dev/null && mkdir z &&
	printf "{\"id\":\"x:5\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2020-01-01\",\"text\":\"in\"}\n" >z/a.ndjson &&
	(cd z && zip -q inner.zip a.ndjson && zip -q ../outer.zip inner.zip a.ndjson) &&
	custos ingest --json outer.zip >out 2>err &&
	test "$(added out)" = 1 &&
	jq -r ".not_taken[] | .file + \"|\" + .why" out >actual &&
	echo "outer.zip!/inner.zip|a zip inside a zip: not opened" >expect &&
	test_cmp expect actual
'

test_expect 'an export one folder down in a zip is found' '
	custos init >/dev/null && make_collection &&
	(cd coll && zip -qr ../x.zip x-archive) &&
	custos ingest --skip-bad --json x.zip >out 2>err &&
	rm -rf one && custos --archive one init >/dev/null &&
	custos --archive one ingest --skip-bad --json coll/x-archive >alone 2>/dev/null &&
	test "$(added out)" = "$(added alone)"
'
test_done
