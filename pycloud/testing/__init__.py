"""Testing helpers: a live pycloud server on a free port, and boto3 clients bound to it.

Installed as a pytest plugin (``pycloud.testing.plugin``): request the ``pycloud`` fixture for the
session's server, or ``pycloud_client`` for a client factory::

    def test_bucket(pycloud_client):
        s3 = pycloud_client("s3")
        s3.create_bucket(Bucket="b")
"""

from pycloud.testing.server import PycloudServer

__all__ = ["PycloudServer"]
