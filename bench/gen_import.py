# Generates posts for bench/import_rate.c: gen/recs.ndjson, gen/data/tweets.js (X
# archive), gen/api.jsonl (v1.1 lines), gen/outbox.json + actor.json (Mastodon),
# N of each, 1.2 to 1.7 KB per post. Usage: python3 bench/gen_import.py N
import json, random, sys
random.seed(1)
N = int(sys.argv[1])
words = ["alpha","beta","gamma","delta","product","launch","customer","today","great","news","update","team","market","price","support"]
def text():
    t = " ".join(random.choice(words) for _ in range(30))
    return t + " #launch @bob https://t.co/abc"
def tweet(i):
    return {"tweet": {"edit_info": {"initial": {"editTweetIds": [str(1500000000000000000+i)], "editableUntil": "2022-03-05T10:00:00.000Z", "editsRemaining": "5", "isEditEligible": False}},
      "retweeted": False, "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {"hashtags": [{"text": "launch", "indices": ["180", "187"]}], "symbols": [], "user_mentions": [{"name": "Bob", "screen_name": "bob", "indices": ["188", "192"], "id_str": "2000", "id": "2000"}],
                   "urls": [{"url": "https://t.co/abc", "expanded_url": "https://example.com/some/long/path?x=%d" % i, "display_url": "example.com/some/long", "indices": ["193", "209"]}]},
      "display_text_range": ["0", "209"], "favorite_count": "3", "in_reply_to_status_id_str": str(1400000000000000000+i) if i % 3 == 0 else None,
      "id_str": str(1500000000000000000+i), "truncated": False, "retweet_count": "1", "id": str(1500000000000000000+i), "created_at": "Sat Mar 05 09:31:00 +0000 2022",
      "favorited": False, "full_text": text(), "lang": "en"}}
import os
os.makedirs("gen/data", exist_ok=True)
with open("gen/data/tweets.js", "w") as f:
    f.write("window.YTD.tweets.part0 = [")
    for i in range(N):
        s = json.dumps(tweet(i), indent=2)
        f.write(("," if i else "") + "\n  " + s)
    f.write("\n]")
with open("gen/data/account.js", "w") as f:
    f.write('window.YTD.account.part0 = [ { "account" : { "username" : "acmecorp", "accountId" : "1000", "accountDisplayName" : "Acme" } } ]')
with open("gen/api.jsonl", "w") as f:
    for i in range(N):
        t = tweet(i)["tweet"]; t["user"] = {"id_str": "1000", "screen_name": "acmecorp", "name": "Acme"}; t["text"] = t.pop("full_text")
        f.write(json.dumps(t) + "\n")
with open("gen/recs.ndjson", "w") as f:
    for i in range(N):
        f.write(json.dumps({"id": "x:%d" % (1500000000000000000+i), "platform": "x", "created_at": "2022-03-05T09:31:00Z", "author": {"handle": "acmecorp", "name": "Acme", "id": "1000"}, "text": text(), "lang": "en", "url": "https://x.com/acmecorp/status/%d" % i, "hashtags": ["launch"], "mentions": ["bob"], "urls": ["https://example.com/some/long/path?x=%d" % i], "pad": "x" * 700}) + "\n")
with open("gen/outbox.json", "w") as f:
    f.write('{"@context":"https://www.w3.org/ns/activitystreams","id":"outbox.json","type":"OrderedCollection","orderedItems":[')
    for i in range(N):
        sid = 110000000000000000 + i
        o = {"id": "https://social.example/users/acme/statuses/%d/activity" % sid, "type": "Create", "actor": "https://social.example/users/acme", "published": "2023-04-01T10:00:00Z",
             "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": ["https://social.example/users/acme/followers"],
             "object": {"id": "https://social.example/users/acme/statuses/%d" % sid, "type": "Note", "summary": None, "inReplyTo": None, "published": "2023-04-01T10:00:00Z",
                        "url": "https://social.example/@acme/%d" % sid, "attributedTo": "https://social.example/users/acme", "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": ["https://social.example/users/acme/followers"],
                        "sensitive": False, "content": "<p>" + text() + " <a href=\"https://example.com/x\" rel=\"nofollow\">example.com/x</a></p>", "contentMap": {"en": "<p>x</p>"},
                        "attachment": [], "tag": [{"type": "Hashtag", "href": "https://social.example/tags/launch", "name": "#launch"}]}}
        f.write(("," if i else "") + json.dumps(o))
    f.write("]}")
with open("gen/actor.json", "w") as f:
    f.write('{"id":"https://social.example/users/acme","preferredUsername":"acme","name":"Acme"}')
