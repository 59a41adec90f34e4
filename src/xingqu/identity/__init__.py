"""Identity and access: users, roles, password log-in and API tokens (stored hashed)."""
