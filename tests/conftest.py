"""Shared fixtures: the integration tests use the project's own pytest plugin (`pycloud` fixture)."""
