"""pycloud: a local AWS cloud in one process, speaking the real AWS wire protocols."""

__version__ = "0.1.0"
