"""Wire protocols: botocore-model-driven parsers and serializers, one per AWS protocol."""
