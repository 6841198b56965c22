window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : { "edit" : { "initialTweetId" : "1500000000000000001", "editControlInitial" : { "editTweetIds" : [ "1500000000000000001", "1500000000000000002" ], "editableUntil" : "2022-03-05T10:00:00.000Z", "editsRemaining" : "4", "isEditEligible" : true } } },
      "entities" : { "hashtags" : [ { "text" : "launch", "indices" : [ "13", "20" ] } ], "symbols" : [ { "text" : "ACME", "indices" : [ "21", "26" ] } ], "user_mentions" : [ ], "urls" : [ ] },
      "full_text" : "Our product (fixed) #launch $ACME",
      "id_str" : "1500000000000000002",
      "created_at" : "Sat Mar 05 09:31:00 +0000 2022",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : { "initial" : { "editTweetIds" : [ "1500000000000000001", "1500000000000000002" ], "editableUntil" : "2022-03-05T10:00:00.000Z", "editsRemaining" : "4", "isEditEligible" : true } },
      "entities" : { "hashtags" : [ { "text" : "launch", "indices" : [ "13", "20" ] } ], "symbols" : [ ], "user_mentions" : [ ], "urls" : [ ] },
      "full_text" : "Our prodcut #launch",
      "id_str" : "1500000000000000001",
      "created_at" : "Sat Mar 05 09:30:00 +0000 2022",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "entities" : { "hashtags" : [ ], "symbols" : [ ], "user_mentions" : [ { "screen_name" : "bob", "id_str" : "2000", "indices" : [ "0", "4" ] } ], "urls" : [ { "url" : "https://t.co/abc", "expanded_url" : "https://example.com/a?b=1&c=2", "display_url" : "example.com/a", "indices" : [ "25", "41" ] } ] },
      "full_text" : "@bob Q&amp;A is &lt;here&gt; https://t.co/abc",
      "id_str" : "1500000000000000003",
      "in_reply_to_status_id_str" : "1400000000000000000",
      "in_reply_to_screen_name" : "bob",
      "created_at" : "Sun Mar 06 12:00:00 +0000 2022"
    }
  },
  {
    "tweet" : {
      "entities" : { "hashtags" : [ ], "symbols" : [ ], "user_mentions" : [ { "screen_name" : "carol", "indices" : [ "3", "9" ] } ], "urls" : [ ],
        "media" : [ { "media_url_https" : "https://pbs.twimg.com/media/PIC1.jpg", "type" : "photo", "source_status_id_str" : "1300000000000000000" } ] },
      "extended_entities" : { "media" : [ { "media_url_https" : "https://pbs.twimg.com/media/PIC1.jpg", "type" : "photo", "source_status_id_str" : "1300000000000000000" } ] },
      "full_text" : "RT @carol: look at this",
      "id_str" : "1500000000000000004",
      "created_at" : "Mon Mar 07 08:00:00 +0000 2022"
    }
  },
  {
    "tweet" : {
      "entities" : { "hashtags" : [ ], "symbols" : [ ], "user_mentions" : [ ], "urls" : [ { "url" : "https://t.co/q", "expanded_url" : "https://twitter.com/dave/status/1234567890123456789", "indices" : [ "9", "23" ] } ] },
      "extended_entities" : { "media" : [ { "media_url_https" : "https://pbs.twimg.com/media/OWN2.png", "type" : "photo" }, { "media_url_https" : "https://pbs.twimg.com/media/GONE.png", "type" : "photo" } ] },
      "full_text" : "So true! https://t.co/q",
      "id_str" : "1500000000000000005",
      "created_at" : "Tue Mar 08 08:00:00 +0000 2022"
    }
  },
  { "tweet" : { "id_str" : "1500000000000000006", "full_text" : oops } },
  {
    "tweet" : {
      "entities" : { "hashtags" : [ ], "symbols" : [ ], "user_mentions" : [ ], "urls" : [ { "url" : "https://t.co/cut", "expanded_url" : "https://twitter.com/i/web/status/1500000000000000007", "indices" : [ "30", "53" ] } ] },
      "full_text" : "A very long announcement that… https://t.co/cut",
      "id_str" : "1500000000000000007",
      "created_at" : "Thu Mar 10 08:00:00 +0000 2022"
    }
  }
]
