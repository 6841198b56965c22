window.YTD.account.part0 = [
  {
    "account" : {
      "username" : "acmecorp",
      "accountId" : "1000",
      "accountDisplayName" : "Acme Corp"
    }
  }
]
