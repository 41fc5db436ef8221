"""pycloud.gateway."""
