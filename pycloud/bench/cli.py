"""``pycloud bench WORKLOAD [options]`` and ``pycloud bench --list``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from pycloud.bench import endpoints as eps
from pycloud.bench.client import TransportError
from pycloud.bench.driver import RunConfig, run_plan
from pycloud.bench.session import BenchError, Credentials
from pycloud.bench.workloads import WORKLOADS, SpecError, Workload, all_options


class UsageError(ValueError):
    """Bad arguments (exit status 2)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``bench`` options (shared by the subcommand and ``python -m pycloud.bench.cli``)."""
    parser.add_argument("workload", nargs="*", help="workload name(s), e.g. s3-get (see --list); "
                        "several run interleaved")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    parser.add_argument("--endpoint", action="append", default=[], metavar="[LABEL=]URL",
                        help="an endpoint to measure (repeatable; the table compares to the first)")
    parser.add_argument("--spawn", action="append", default=[], choices=eps.SPAWNABLE,
                        help="start a local server on a free port for the run (repeatable)")
    parser.add_argument("--duration", type=float, help="seconds per workload and endpoint")
    parser.add_argument("--requests", type=int, help="operations per workload and endpoint")
    parser.add_argument("--concurrency", type=int, default=64, help="concurrent connections (default 64)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="open loop: requests/s, latency from the intended send time (replayable workloads)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes / native threads (default: one per core)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the interleaved runs (A, B, A, B ...)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout in seconds")
    parser.add_argument("--engine", choices=["auto", "native", "python"], default="auto",
                        help="replay engine for replayable workloads (default: native when it can)")
    parser.add_argument("--json", metavar="PATH", help="write every measurement as JSON")
    parser.add_argument("--plot", metavar="PATH.png", help="write throughput and latency plots (needs matplotlib)")
    parser.add_argument("--allow-remote", action="store_true", help="allow non-loopback endpoints")
    parser.add_argument("--region", default="us-east-1", help="signing region (default us-east-1)")
    parser.add_argument("--access-key", default=os.environ.get("AWS_ACCESS_KEY_ID", "test"))
    parser.add_argument("--secret-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"))
    parser.add_argument("--session-token", default=os.environ.get("AWS_SESSION_TOKEN"))
    group = parser.add_argument_group("workload options (defaults depend on the workload)")
    for option in all_options().values():
        group.add_argument(f"--{option.name}", dest=option.dest, metavar=option.name.upper().replace("-", "_"),
                           help=option.help)


def list_workloads() -> str:
    """One line per workload: name, kind, help, options."""
    lines = []
    width = max(len(n) for n in WORKLOADS)
    for name, cls in WORKLOADS.items():
        kind = "replay " if cls.replayable else "dynamic"
        opts = ", ".join(f"--{o.name} {o.default}" for o in cls.options)
        lines.append(f"{name.ljust(width)}  {kind}  {cls.help}" + (f"  [{opts}]" if opts else ""))
    return "\n".join(lines)


def select_workloads(args: argparse.Namespace) -> list[tuple[type[Workload], dict[str, Any]]]:
    """The chosen workload classes with their parsed options; UsageError on anything wrong."""
    names = [n.strip() for spec in args.workload for n in spec.split(",") if n.strip()]
    if not names:
        raise UsageError("give a workload to run (pycloud bench --list shows them)")
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        raise UsageError(f"unknown workload {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")
    classes = [WORKLOADS[n] for n in dict.fromkeys(names)]
    given = {o.dest: o for o in all_options().values() if getattr(args, o.dest, None) is not None}
    for dest, option in given.items():
        if not any(dest in {o.dest for o in cls.options} for cls in classes):
            users = [n for n, c in WORKLOADS.items() if dest in {o.dest for o in c.options}]
            raise UsageError(f"--{option.name} does not apply to {', '.join(names)} (it is for {', '.join(users)})")
    out = []
    for cls in classes:
        settings: dict[str, Any] = {}
        for option in cls.options:
            text = getattr(args, option.dest, None)
            if text is not None:
                try:
                    settings[option.dest] = option.parse(text)
                except SpecError as exc:
                    raise UsageError(f"{cls.name}: {exc}") from None
                except ValueError as exc:
                    raise UsageError(f"{cls.name}: --{option.name} {text!r}: {exc}") from None
        try:
            cls(settings)
        except SpecError as exc:
            raise UsageError(f"{cls.name}: {exc}") from None
        out.append((cls, settings))
    return out


def build_config(args: argparse.Namespace, workloads: list[tuple[type[Workload], dict[str, Any]]]) -> RunConfig:
    """The run bounds and pacing; UsageError on anything wrong."""
    if args.duration is None and args.requests is None:
        raise UsageError("every run must be bounded: give --duration SECONDS and/or --requests N")
    if args.duration is not None and args.duration <= 0:
        raise UsageError("--duration must be positive")
    if args.requests is not None and args.requests < 1:
        raise UsageError("--requests must be at least 1")
    for name in ("concurrency", "workers", "rounds"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name} must be at least 1")
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if args.rate < 0:
        raise UsageError("--rate must not be negative")
    if args.rate > 0:
        dynamic = [cls.name for cls, _ in workloads if not cls.replayable]
        if dynamic:
            raise UsageError(f"--rate applies to replayable workloads only; {', '.join(dynamic)} is dynamic "
                             "(each request depends on an earlier answer)")
    return RunConfig(
        duration=args.duration, requests=args.requests, concurrency=args.concurrency, rate=args.rate,
        workers=args.workers, rounds=args.rounds, timeout=args.timeout, engine=args.engine,
        credentials=Credentials(args.access_key, args.secret_key, args.region, args.session_token),
    )


def parse_endpoints(args: argparse.Namespace) -> list[eps.Endpoint]:
    """The --endpoint list (labels made unique); UsageError when there is nothing to measure."""
    if not args.endpoint and not args.spawn:
        raise UsageError("give --endpoint [LABEL=]URL and/or --spawn pycloud|moto")
    try:
        endpoints = [eps.parse_endpoint(spec) for spec in args.endpoint]
    except eps.EndpointError as exc:
        raise UsageError(str(exc)) from None
    return endpoints


def _unique_labels(endpoints: list[eps.Endpoint]) -> None:
    seen: dict[str, int] = {}
    for e in endpoints:
        n = seen[e.label] = seen.get(e.label, 0) + 1
        if n > 1:
            e.label = f"{e.label}#{n}"


def _check_outputs(args: argparse.Namespace) -> None:
    for flag in ("json", "plot"):
        path = getattr(args, flag)
        if path:
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise UsageError(f"--{flag} {path}: folder {folder} does not exist")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install 'pycloud[bench]'") from None


def run(args: argparse.Namespace) -> int:
    """Run ``pycloud bench`` with parsed arguments; returns the exit status."""
    from pycloud.bench import report

    if args.list:
        print(list_workloads())
        return 0
    try:
        workloads = select_workloads(args)
        config = build_config(args, workloads)
        endpoints = parse_endpoints(args)
        _check_outputs(args)
        remote = eps.check_remote(endpoints, args.allow_remote)
    except (UsageError, eps.EndpointError) as exc:
        print(f"pycloud bench: {exc}", file=sys.stderr)
        return 2
    if remote:
        print(f"pycloud bench: measuring remote endpoint(s) {', '.join(e.url for e in remote)}; each run creates "
              "and then deletes:", file=sys.stderr)
        for cls, settings in workloads:
            for item in cls(settings).resources():
                print(f"  {cls.name}: {item} (a fresh name per run)", file=sys.stderr)
    reporter = report.make_reporter()
    spawned: list[eps.Endpoint] = []
    try:
        for kind in args.spawn:
            reporter.phase(f"starting {kind}")
            spawned.append(eps.spawn(kind))
        all_endpoints = endpoints + spawned
        _unique_labels(all_endpoints)
        results = run_plan(workloads, all_endpoints, config, reporter)
    except (BenchError, eps.EndpointError) as exc:
        print(f"pycloud bench: {exc}", file=sys.stderr)
        return 1
    except TransportError as exc:
        print(f"pycloud bench: cannot reach the endpoint: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pycloud bench: interrupted", file=sys.stderr)
        return 130
    finally:
        for endpoint in spawned:
            eps.stop(endpoint)
    print(report.format_table(results))
    if args.json:
        settings = {"workloads": [cls.name for cls, _ in workloads], "endpoints": [
            {"label": e.label, "url": e.url} for e in all_endpoints], "duration": config.duration,
            "requests": config.requests, "concurrency": config.concurrency, "rate": config.rate,
            "workers": config.workers, "rounds": config.rounds}
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report.to_json(results, settings), f, indent=1)
    if args.plot:
        report.plot(results, args.plot)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m pycloud.bench.cli``: the same as ``pycloud bench``."""
    parser = argparse.ArgumentParser(prog="pycloud bench", description="Benchmark AWS-compatible endpoints.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
