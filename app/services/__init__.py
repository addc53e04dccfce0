"""Business operations: one module per use-case family; each takes the acting user and owns its commit."""
