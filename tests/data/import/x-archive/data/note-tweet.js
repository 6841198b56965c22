window.YTD.note_tweet.part0 = [
  {
    "noteTweet" : {
      "noteTweetId" : "1500000000000009999",
      "updatedAt" : "2022-03-10T08:00:00.000Z",
      "lifecycle" : { "value" : "2", "name" : "Live", "originalName" : "Live", "annotations" : { } },
      "createdAt" : "2022-03-10T08:00:00.412Z",
      "core" : {
        "styletags" : [ ],
        "urls" : [ { "shortUrl" : "https://t.co/long1", "expandedUrl" : "https://example.com/longform", "displayUrl" : "example.com/longform" } ],
        "text" : "A very long announcement that and then it goes on and on well past the old limit of two hundred and eighty characters, with a link https://t.co/long1 #longform",
        "mentions" : [ ],
        "cashtags" : [ ],
        "hashtags" : [ { "text" : "longform" } ]
      }
    }
  }
]