"""The requester's side (#17): status lookup by ticket number and query code."""
