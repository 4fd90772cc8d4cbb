"""The conversation service: a customer's conversation across messages, workers and hand-offs."""
