"""AWS STS (Security Token Service)."""
