window.__THAR_CONFIG = {
  "userInfo" : { "accountId" : "1000", "userName" : "acmecorp", "displayName" : "Acme Corp" },
  "dataTypes" : {
    "tweets" : { "files" : [ { "fileName" : "data/tweets.js", "globalName" : "YTD.tweets.part0", "count" : "6" } ] },
    "deletedTweets" : { "files" : [ { "fileName" : "data/deleted-tweets.js", "globalName" : "YTD.deleted_tweets.part0", "count" : "1" } ] },
    "directMessages" : { "files" : [ { "fileName" : "data/direct-messages.js", "globalName" : "YTD.direct_messages.part0", "count" : "1" } ] }
  }
}
