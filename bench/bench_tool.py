"""The project's server benchmarks, run with ``pycloud bench`` itself, and the ceilings beside them.

In one run:
- the generator alone: nginx serving a 4 KiB file, measured by ``pycloud bench http-get`` and by
  ``wrk`` with the same 64 keep-alive connections (the tool must not cap what it measures);
- raw loopback TCP bandwidth (one socket, 4 MiB writes);
- s3-get, s3-put (4 KiB), sqs-send and sqs-receive on a spawned pycloud and a spawned moto server,
  interleaved, with the ratios ``pycloud bench`` prints.

Run: ``pip install '.[bench]' && apt-get install wrk nginx && python bench/bench_tool.py``
(``--duration 20`` by default; ``--skip-moto`` to leave moto out). Writes ``bench/results/tool.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_gateway import write_results, wrk  # noqa: E402
from bench_s3 import loopback_mb_s, nginx_serving_4k  # noqa: E402

WORKLOADS = ("s3-get", "s3-put", "sqs-send", "sqs-receive")


def pycloud_bench(*argv: str) -> list[dict]:
    """Run ``pycloud bench`` with ``argv``; its --json runs."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "runs.json"
        done = subprocess.run([sys.executable, "-P", "-m", "pycloud", "bench", *argv, "--json", str(out)],
                              text=True, capture_output=True)
        print(done.stdout, flush=True)
        if done.returncode != 0:
            raise RuntimeError(f"pycloud bench {' '.join(argv)} failed:\n{done.stderr}")
        return json.loads(out.read_text())["runs"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--skip-moto", action="store_true")
    args = parser.parse_args()
    report: dict[str, object] = {}

    with nginx_serving_4k() as url:
        path = "/" + url.split("/", 3)[3]
        endpoint = url[: -len(path)]
        runs = pycloud_bench("http-get", "--endpoint", f"nginx={endpoint}", "--path", path,
                             "--duration", str(args.duration), "--concurrency", "64")
        report["nginx_4k_pycloud_bench_per_s"] = runs[0]["ops_per_s"]
        report["nginx_4k_wrk_per_s"] = wrk(url, args.duration)
    report["loopback_mb_s"] = loopback_mb_s()

    spawn = ["--spawn", "pycloud"] + ([] if args.skip_moto else ["--spawn", "moto"])
    for workload in WORKLOADS:
        # moto answers a receive+delete pair in about half a second: few connections keep it honest
        concurrency = "8" if workload == "sqs-receive" else "64"
        runs = pycloud_bench(workload, *spawn, "--duration", str(args.duration), "--concurrency", concurrency)
        report[workload] = {run["endpoint"]: {k: run[k] for k in ("ops_per_s", "mb_per_s", "latency_ms", "errors")}
                            for run in runs}

    tool, wrk_rate = report["nginx_4k_pycloud_bench_per_s"], report["nginx_4k_wrk_per_s"]
    print(f"generator alone on nginx 4 KiB: pycloud bench {tool:,.0f} req/s, wrk {wrk_rate:,.0f} req/s "
          f"({tool / wrk_rate:.2f}x wrk); loopback {report['loopback_mb_s']:,.0f} MB/s")
    for workload in WORKLOADS:
        rows = report[workload]
        ours = rows.get("pycloud", {}).get("ops_per_s", 0.0)
        # an sqs-receive op is a Receive(10) + DeleteMessageBatch pair: up to 10 messages moved
        per = 10 if workload == "sqs-receive" else 1
        unit = "msgs/s (pairs x 10)" if per == 10 else "ops/s"
        line = f"{workload:<12} pycloud {ours * per:>10,.0f} {unit}  ({ours * per / wrk_rate:.2f}x nginx)"
        if "moto" in rows and rows["moto"]["ops_per_s"]:
            theirs = rows["moto"]["ops_per_s"]
            line += f"  moto {theirs * per:>8,.1f} {unit}  ({ours / theirs:.1f}x moto)"
        print(line)
    write_results("tool", report)
    return 0


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE.parent]
    raise SystemExit(main())
