import json, os, sys, random
N = int(sys.argv[1])
random.seed(1)
words = "the quick brown fox jumps over lazy dog través café niño #launch @acme https://example.com/x".split()
def txt(k): return " ".join(random.choice(words) for _ in range(k))
# facebook
with open("your_posts_1.json", "w") as f:
    f.write("[\n")
    for i in range(N):
        e = {"timestamp": 1276950712 + i, "attachments": [{"data": [{"external_context": {"url": "http://example.com/%d" % i}}]}],
             "data": [{"post": txt(25).encode("utf-8").decode("latin-1")}, {"update_timestamp": 1276950712 + i}],
             "title": "Lucas Vivo ha compartido un enlace."}
        f.write(("," if i else "") + json.dumps(e, indent=2) + "\n")
    f.write("]\n")
# slack
os.makedirs("slack/general", exist_ok=True)
json.dump([{"id": "C001", "name": "general"}], open("slack/channels.json", "w"))
json.dump([{"id": "U%03d" % k, "name": "user%d" % k, "real_name": "User %d" % k} for k in range(50)], open("slack/users.json", "w"))
per = 1000
for d in range(N // per):
    msgs = []
    for j in range(per):
        ts = "%d.%06d" % (1600000000 + d * 86400 + j, j)
        m = {"type": "message", "user": "U%03d" % (j % 50), "text": "hi <@U%03d> see <https://example.com/%d|link> %s" % ((j + 1) % 50, j, txt(15)), "ts": ts}
        if j % 10: m["thread_ts"] = "%d.%06d" % (1600000000 + d * 86400 + j - j % 10, j - j % 10)
        msgs.append(m)
    y, mo, da = 2000 + d // 360, 1 + (d // 30) % 12, 1 + d % 30
    json.dump(msgs, open("slack/general/%04d-%02d-%02d.json" % (y, mo, da), "w"), indent=4)
# linkedin
with open("Shares.csv", "w") as f:
    f.write("Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\n")
    for i in range(N):
        body = '""\n""'.join([txt(12), "", txt(10).replace("fox", '""fox""')])
        f.write('2025-07-01 14:33:22,https://www.linkedin.com/feed/update/urn%%3Ali%%3Ashare%%3A%d,"%s","","",MEMBER_NETWORK\n' % (7345821826846990338 + i, body))
# feed
with open("feed.xml", "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Big</title><link>http://news.example.com/</link>\n')
    for i in range(N):
        f.write("<item><guid>g%d</guid><title>Item %d</title><link>http://news.example.com/p/%d</link><pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate><description>&lt;p&gt;%s &amp;amp; more&lt;/p&gt;</description><author>jo@example.com (Jo)</author></item>\n" % (i, i, i, txt(25)))
    f.write("</channel></rss>\n")
# ndjson with the same posts, the canonical record
with open("posts.ndjson", "w") as f:
    for i in range(N):
        f.write(json.dumps({"id": "x:%d" % i, "platform": "x", "created_at": "2021-05-18T19:24:56Z", "author": {"handle": "acme"}, "text": txt(25), "kind": "post"}) + "\n")
