"""``pycloud bench``: a load generator and benchmark tool for any AWS-compatible endpoint.

Replayable workloads (every request known in advance) are pre-signed and replayed by the native
engine ``pycloud._core.LoadGenerator``; dependent ones (receive then delete, multipart, listing
pages) run in worker processes with lean signing clients. See ``pycloud bench --list``.
"""
