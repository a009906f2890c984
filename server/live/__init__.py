"""The live forum: websocket endpoint, rooms (one writer per forum), peers, holds."""
