"""12345–110 linkage: hand-offs both ways through an outbox."""
