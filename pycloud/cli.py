"""The ``pycloud`` command: serve | status | reset | bench."""

from __future__ import annotations

import argparse
import sys

from pycloud import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pycloud", description="A local AWS cloud in one process.")
    parser.add_argument("--version", action="version", version=f"pycloud {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the endpoint (default 127.0.0.1:4566)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 4566; 0 picks a free one)")
    serve.add_argument("--data-dir", help="where state is persisted (default ./.pycloud)")
    serve.add_argument("--ephemeral", action="store_const", const=True, help="keep all state in memory only")
    serve.add_argument("--strict", action="store_const", const=True, help="reject unknown access keys")
    serve.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="default warning")
    serve.add_argument("--default-account", help="account id of unknown/default keys (default 000000000000)")
    serve.add_argument("--config", help="TOML config file (settings and [[accounts]])")
    serve.add_argument("--fsync", choices=["always", "batch", "never"], help="object durability (default batch)")
    serve.add_argument("--nbd-port", type=int, help="serve EBS volumes over NBD on 127.0.0.1 (0 picks a free port)")
    serve.add_argument("--ebs-time-scale", type=float, help="EBS burst credits drain/refill this many times faster")
    serve.add_argument(
        "--provider",
        action="append",
        metavar="SERVICE=MODULE:CLASS",
        help="use your own provider class for a service (repeatable)",
    )

    # listed here for --help; `pycloud bench ...` is dispatched before parsing (see main), so the
    # benchmark tool is only imported when it runs
    commands.add_parser("bench", help="benchmark this or any AWS-compatible endpoint (pycloud bench --help)",
                        add_help=False)

    for name, text in (("status", "show a running server's health"), ("reset", "wipe a running server's state")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--endpoint", default="http://127.0.0.1:4566", help="the server's URL")
    return parser


def _admin_call(endpoint: str, method: str, path: str) -> dict:
    import json
    import urllib.request

    request = urllib.request.Request(endpoint.rstrip("/") + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``pycloud`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from pycloud.bench.cli import main as bench_main

        return bench_main(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from pycloud.config import ConfigError, load_settings
        from pycloud.gateway.app import serve

        overrides = {
            "host": args.host,
            "port": args.port,
            "data_dir": args.data_dir,
            "ephemeral": args.ephemeral,
            "strict": args.strict,
            "log_level": args.log_level,
            "default_account": args.default_account,
            "fsync": args.fsync,
            "nbd_port": args.nbd_port,
            "ebs_time_scale": args.ebs_time_scale,
            "providers": ",".join(args.provider) if args.provider else None,
        }
        try:
            settings = load_settings(args.config, overrides)
        except ConfigError as exc:
            print(f"pycloud: {exc}", file=sys.stderr)
            return 2
        return serve(settings)
    import json

    path, method = ("/_pycloud/health", "GET") if args.command == "status" else ("/_pycloud/reset", "POST")
    try:
        result = _admin_call(args.endpoint, method, path)
    except OSError as exc:  # urllib's URLError is an OSError
        print(f"pycloud: cannot reach {args.endpoint}: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0
