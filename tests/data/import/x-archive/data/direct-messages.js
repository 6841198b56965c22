window.YTD.direct_messages.part0 = [
  {
    "dmConversation" : {
      "conversationId" : "1000-2000",
      "messages" : [
        {
          "messageCreate" : { "recipientId" : "2000", "urls" : [ ], "text" : "hello bob", "mediaUrls" : [ ], "senderId" : "1000", "id" : "1600000000000000001", "createdAt" : "2022-03-10T10:00:00.000Z" }
        },
        {
          "messageCreate" : { "recipientId" : "1000", "urls" : [ ], "text" : "hi acme", "mediaUrls" : [ ], "senderId" : "2000", "id" : "1600000000000000002", "createdAt" : "2022-03-10T10:01:00.000Z" }
        }
      ]
    }
  }
]
