"""pycloud.state."""
