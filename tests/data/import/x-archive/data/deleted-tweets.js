window.YTD.deleted_tweets.part0 = [
  {
    "tweet" : {
      "entities" : { "hashtags" : [ ], "symbols" : [ ], "user_mentions" : [ ], "urls" : [ ] },
      "full_text" : "regrettable",
      "id_str" : "1500000000000000009",
      "created_at" : "Wed Mar 09 08:00:00 +0000 2022",
      "deleted_at" : "2022-03-09T09:00:00.000Z"
    }
  }
]
