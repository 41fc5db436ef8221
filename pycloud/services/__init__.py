"""pycloud.services."""
