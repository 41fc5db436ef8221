"""pycloud.testing."""
