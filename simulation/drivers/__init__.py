"""What executes the rules: the batch engine (many runs) and the Mesa model with its agents (one explained run)."""
