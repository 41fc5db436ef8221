"""Amazon EC2: regions and availability zones so far."""
