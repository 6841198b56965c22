#!/bin/sh
# The whole ../shared/fixtures folder in one call: every export in it comes
# in, and every file that is not taken is named with why. Per export, the
# number of records comes from the source files themselves (Python below,
# written from the formats, not from custos), and is checked against the
# archive: re-ingesting an export alone afterwards finds every one of its
# records already there (unchanged), adding nothing.
. tests/cli/lib.sh

if ! have_fixtures; then
	test_skip 'the fixtures folder as one collection' "no $FIXTURES: real-data tier skipped"
	test_done
	exit
fi

# The records each export holds, by its own files: "<folder> <count>".
count_records() {
	python3 - "$FIXTURES" <<-'EOF'
	import csv, json, os, re, sys, xml.etree.ElementTree as ET, zipfile
	F = sys.argv[1]
	def ytd(path):   # window.YTD.x.part0 = [...]
	    s = open(path, encoding='utf-8').read()
	    return json.loads(s[s.index('=') + 1:])
	def x_archive(d):
	    n = 0
	    for f in ('tweets.js', 'tweet.js', 'community-tweet.js', 'deleted-tweets.js', 'like.js'):
	        if os.path.exists(f'{d}/data/{f}'):
	            n += len(ytd(f'{d}/data/{f}'))
	    if os.path.exists(f'{d}/data/direct-messages.js'):   # messages, not joins
	        n += sum(1 for c in ytd(f'{d}/data/direct-messages.js')
	                 for m in c['dmConversation']['messages'] if 'messageCreate' in m)
	    if os.path.exists(f'{d}/data/message-event.js'):     # every event
	        n += len(ytd(f'{d}/data/message-event.js'))
	    return n
	def is_tweet(o):
	    return isinstance(o, dict) and 'user' in o and 'created_at' in o and ('text' in o or 'full_text' in o)
	def api_v11(d):
	    n = 0
	    for root, _, files in os.walk(d):
	        for f in files:
	            if not f.endswith('.json'):
	                continue
	            o = json.load(open(os.path.join(root, f)))
	            if isinstance(o, dict) and isinstance(o.get('statuses'), list):
	                n += sum(1 for t in o['statuses'] if is_tweet(t))
	            elif is_tweet(o):
	                n += 1
	            elif isinstance(o, dict) and 'delete' in o:
	                n += 1
	            elif isinstance(o, dict) and 'event' in o:   # the event, and the tweet it is about
	                n += 1 + is_tweet(o.get('target_object'))
	            elif isinstance(o, dict) and isinstance(o.get('events'), list):
	                n += sum(1 for e in o['events'] if e.get('type') == 'message_create')
	    return n
	def api_v2(d):
	    n = 0
	    for f in sorted(os.listdir(d)):
	        if not f.endswith('.jsonl'):
	            continue
	        for line in open(f'{d}/{f}', encoding='utf-8'):
	            try:
	                o = json.loads(line)
	            except ValueError:
	                continue   # the broken line: a bad item
	            if 'action' in o and 'text' not in o:   # a compliance line
	                n += 1
	                continue
	            data = o.get('data', [])
	            n += len(data) if isinstance(data, list) else 1
	            n += sum(1 for t in o.get('includes', {}).get('tweets', [])
	                     if 'created_at' in t and 'author_id' in t and 'text' in t)
	    return n
	def mastodon(d):   # the last "orderedItems", as JSON parsers keep
	    return len(json.load(open(f'{d}/outbox.json'))['orderedItems'])
	def facebook(d):
	    return len(json.load(open(f'{d}/your_posts_1.json')))
	def slack_day_files(names, read):
	    return sum(len(json.loads(read(n))) for n in names
	               if re.fullmatch(r'[^/]+/\d{4}-\d\d-\d\d\.json', n))
	def slack_folder(d):
	    names = [os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs]
	    return slack_day_files(names, lambda n: open(f'{d}/{n}', 'rb').read())
	def slack_zip(p):
	    z = zipfile.ZipFile(p)
	    return slack_day_files(z.namelist(), z.read)
	def linkedin(d):   # a post's media rows are one post; LinkedIn writes \" in comments
	    rows = list(csv.reader(open(f'{d}/Shares.csv', newline='', encoding='utf-8')))[1:]
	    posts = sum(1 for i, r in enumerate(rows) if i == 0 or (r[0], r[1]) != (rows[i - 1][0], rows[i - 1][1]))
	    comments = list(csv.reader(open(f'{d}/Comments.csv', newline='', encoding='utf-8'), escapechar='\\'))[1:]
	    return posts + len(comments)
	def feeds(d):   # items of the feeds XML reads; where it cannot, their start tags
	    n = 0
	    for root, _, files in os.walk(d):
	        for f in files:
	            p = os.path.join(root, f)
	            if not f.endswith('.xml'):
	                continue
	            try:
	                r = ET.parse(p).getroot()
	            except (ET.ParseError, ValueError, LookupError):   # ill-formed, or an encoding it lacks
	                n += len(re.findall(rb'<(?:item|entry)[\s>/]', open(p, 'rb').read()))
	                continue
	            kind = r.tag.split('}')[-1]
	            if kind in ('rss', 'RDF', 'feed', 'channel'):
	                want = 'entry' if kind == 'feed' else 'item'
	                n += sum(1 for e in r.iter() if isinstance(e.tag, str) and e.tag.split('}')[-1] == want)
	    return n
	exports = [
	    ('x-archive-milahu104', x_archive), ('x-archive-2021-larsbrinkhoff', x_archive),
	    ('twitter-api-v1.1-twitter-types', api_v11), ('twitter-api-v2-twarc-csv', api_v2),
	    ('mastodon-archive-dealingwith', mastodon), ('facebook-dyi-lucasfdz', facebook),
	    ('slack-export-viewer-testarchive/testarchive.zip', slack_zip),
	    ('slack-export-viewer-testarchive/unzipped', slack_folder),
	    ('linkedin-sanand0', linkedin), ('feedparser-tests', feeds)]
	for name, fn in exports:
	    print(name, fn(f'{F}/{name}'))
	EOF
}

test_expect 'every export in the fixtures folder comes in with one ingest' '
	count_records >expected_counts &&
	cat expected_counts >&2 &&
	custos init >/dev/null &&
	custos ingest --skip-bad --json "$FIXTURES" >all 2>warnings &&
	total=$(awk "{ n += \$2 } END { print n }" expected_counts) &&
	test "$(jq ".added + .versions + .unchanged" all)" = "$total" &&
	while read -r name n; do
		custos ingest --skip-bad --json "$FIXTURES/$name" >again 2>/dev/null &&
		jq -e --argjson n "$n" ".added == 0 and .versions == 0 and .unchanged == \$n" again \
			>/dev/null || { echo "$name: expected $n: $(cat again)"; return 1; }
	done <expected_counts &&
	test "$(custos search --count platform:mastodon)" = "$(grep ^mastodon expected_counts | cut -d" " -f2)" &&
	test "$(custos search --count platform:facebook)" = "$(grep ^facebook expected_counts | cut -d" " -f2)" &&
	test "$(custos search --count platform:linkedin)" = "$(grep ^linkedin expected_counts | cut -d" " -f2)" &&
	test "$(custos search --count platform:slack)" = "$(grep unzipped expected_counts | cut -d" " -f2)" &&
	custos verify >/dev/null
'

test_expect 'every file the fixtures hold that is not taken is named, with why' '
	custos init >/dev/null &&
	custos ingest --skip-bad --json "$FIXTURES" >all 2>/dev/null &&
	jq -r ".not_taken[] | .file + \"|\" + .why" all | sed "s|^$FIXTURES/||" | sort >actual &&
	sort >expect <<-EOF &&
	SOURCES.md|format not recognised
	facebook-dyi-lucasfdz/likes_and_reactions_1.json|likes and reactions (no posts or comments): not imported
	feedparser-tests/LICENSE|format not recognised
	feedparser-tests/illformed/rss_empty_document.xml|format not recognised
	feedparser-tests/wellformed/base/cdf_item_abstract_xml_base.xml|format not recognised
	mastodon-api-recorded/LICENSE|format not recognised
	mastodon-api-recorded/test_conversations.yaml|format not recognised
	mastodon-api-recorded/test_fetch_next_previous.yaml|format not recognised
	mastodon-api-recorded/test_list_timeline.yaml|format not recognised
	mastodon-api-recorded/test_min_max_id.yaml|format not recognised
	mastodon-api-recorded/test_status_context.yaml|format not recognised
	mastodon-api-recorded/test_status_delete_media.yaml|format not recognised
	mastodon-api-recorded/test_status_edit.yaml|format not recognised
	mastodon-api-recorded/test_timeline_link_fails.yaml|format not recognised
	mastodon-archive-dealingwith/avatar.jpg|the account'"'"'s profile image: not imported
	mastodon-archive-dealingwith/bookmarks.json|the account'"'"'s bookmarks (other people'"'"'s posts it saved): not imported
	mastodon-archive-dealingwith/likes.json|the account'"'"'s likes (other people'"'"'s posts it liked): not imported
	rsmf-relativity-samples/Documentation/RSMFValidatorSampleCode.pdf|format not recognised
	rsmf-relativity-samples/Documentation/Sample1/rsmf_manifest.json|format not recognised
	rsmf-relativity-samples/Documentation/Sample2/avatar.png|format not recognised
	rsmf-relativity-samples/Documentation/Sample2/rsmf.zip!/rsmf_manifest.json|format not recognised
	rsmf-relativity-samples/Documentation/Sample3/message.eml|format not recognised
	rsmf-relativity-samples/Documentation/Sample3/sample.rsmf|format not recognised
	rsmf-relativity-samples/Documentation/Sample4/rsmf_manifest.json|format not recognised
	rsmf-relativity-samples/LICENSE-first-part.txt|format not recognised
	rsmf-relativity-samples/README.md|format not recognised
	rsmf-relativity-samples/RSMFManifestSchema/rsmf_schema_2_0_0.json|format not recognised
	slack-export-viewer-testarchive/LICENSE|format not recognised
	slack-export-viewer-testarchive/testarchive.zip!/integration_logs.json|Slack'"'"'s log of the workspace'"'"'s integrations: not imported
	slack-export-viewer-testarchive/unzipped/integration_logs.json|Slack'"'"'s log of the workspace'"'"'s integrations: not imported
	twitter-api-v1.1-twitter-types/LICENSE|format not recognised
	twitter-api-v1.1-twitter-types/entity01.json|format not recognised
	twitter-api-v1.1-twitter-types/error_not_authorized.json|format not recognised
	twitter-api-v1.1-twitter-types/list_thimura_haskell.json|format not recognised
	twitter-api-v1.1-twitter-types/user_thimura.json|format not recognised
	twitter-api-v1.1-twitter-types/user_thimura_lang_null.json|format not recognised
	twitter-api-v2-twarc-csv/LICENSE|format not recognised
	twitter-text-conformance/LICENSE|format not recognised
	twitter-text-conformance/README.md|format not recognised
	twitter-text-conformance/autolink.yml|format not recognised
	twitter-text-conformance/config/v1.json|format not recognised
	twitter-text-conformance/config/v2.json|format not recognised
	twitter-text-conformance/config/v3.json|format not recognised
	twitter-text-conformance/extract.yml|format not recognised
	twitter-text-conformance/hit_highlighting.yml|format not recognised
	twitter-text-conformance/tld_lib.yml|format not recognised
	twitter-text-conformance/tlds.yml|format not recognised
	twitter-text-conformance/validate.yml|format not recognised
	x-archive-2021-larsbrinkhoff/data/README.txt|X'"'"'s description of the archive'"'"'s files: not imported
	x-archive-milahu104/LICENSE.txt|a file of a x-archive export that its importer does not read
	x-archive-milahu104/data/README.txt|X'"'"'s description of the archive'"'"'s files: not imported
	x-archive-milahu104/data/account-timezone.js|X'"'"'s account-timezone data: not imported (custos takes posts, deleted posts, direct messages, likes and message events)
	x-archive-milahu104/data/direct-message-headers.js|X'"'"'s direct-message-headers data: not imported (custos takes posts, deleted posts, direct messages, likes and message events)
	x-archive-milahu104/data/profile.js|X'"'"'s profile data: not imported (custos takes posts, deleted posts, direct messages, likes and message events)
	x-archive-milahu104/data/screen-name-change.js|X'"'"'s screen-name-change data: not imported (custos takes posts, deleted posts, direct messages, likes and message events)
	x-archive-milahu104/data/tweet-headers.js|X'"'"'s tweet-headers data: not imported (custos takes posts, deleted posts, direct messages, likes and message events)
	EOF
	test_cmp expect actual &&
	jq -e "(.not_taken | length) == $(wc -l <expect)" all >/dev/null &&
	custos audit --json | grep "\"action\":\"ingest\"" | tail -n 1 |
		jq -e "(.result.not_taken | length) == $(wc -l <expect)" >/dev/null
'
test_done
