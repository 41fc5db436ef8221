"""`python -m pycloud` is the same as the `pycloud` command."""

from pycloud.cli import main

raise SystemExit(main())
