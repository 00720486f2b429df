"""``axis bench``: throughput and latency of the whole road, beside the raw limit."""

from __future__ import annotations

import argparse
import json

from axis.bench.run import BenchOptions, run_bench


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = subparsers.add_parser(
        "bench", help="measure submit-to-inbox throughput and latency on a fresh database"
    )
    bench.add_argument("--messages", type=int, default=2000)
    bench.add_argument("--size", type=int, default=20_000, help="envelope size in bytes")
    bench.add_argument("--concurrency", type=int, default=32, help="submissions in flight")
    bench.add_argument("--workers", type=int, default=2, help="server processes")
    bench.add_argument(
        "--rate",
        type=float,
        default=None,
        help="submissions per second (default: as fast as accepted); latency is read below"
        " saturation, e.g. at half the rate a full-speed run reached",
    )
    bench.add_argument(
        "--batch",
        action="store_true",
        help="recipients take the batch pull road: one fetch and one ack per inbox page",
    )
    bench.add_argument("--json", action="store_true", help="print one JSON document")
    bench.set_defaults(handler=_bench)


async def _bench(args: argparse.Namespace) -> int:
    result = await run_bench(
        BenchOptions(
            messages=args.messages,
            size=args.size,
            concurrency=args.concurrency,
            workers=args.workers,
            rate=args.rate,
            batch=args.batch,
        )
    )
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        for key, value in result.as_dict().items():
            print(f"{key:>20}: {value}")
    return 0
