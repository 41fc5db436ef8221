"""pycloud.iam."""
