"""AWS Lambda (package named so because ``lambda`` is a Python keyword)."""
