"""Amazon SNS: topics, subscriptions, filter policies, signed deliveries."""
