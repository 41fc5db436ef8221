"""AWS Organizations."""
