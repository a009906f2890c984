"""Who someone is and what they may do: link tokens, signed cookies, CSRF, route guards."""
