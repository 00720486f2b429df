"""Parse time and peak memory of :func:`envelope.parse` for 20 KB, 1 MB and 100 MB envelopes.

Run: ``python -m benchmarks.envelope_parse [--json] [--sizes 20000,1000000,100000000]``

Time is the median wall time of repeated parses in this process. Memory is measured in a
fresh child process per size, as peak RSS (``ru_maxrss``) minus the RSS just before the file
is read, so it counts the envelope's own bytes, libxml2's tree and everything Python
allocates while parsing, validating and sizing the attachments. Peak RSS is the kernel's
high-water mark ``VmHWM``, not ``ru_maxrss``, which on Linux survives ``exec`` and so would
report the parent's size. (tracemalloc cannot see libxml2's allocations.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from envelope import (
    Attachment,
    Document,
    Organization,
    Priority,
    Reference,
    build,
    parse,
    parse_valid,
)
from envelope.header import OtherInfo
from envelope.safe_xml import parse_xml

DEFAULT_SIZES = (20_000, 1_000_000, 100_000_000)


def envelope_of_size(size: int) -> bytes:
    """A realistic document whose one attachment brings the envelope to about ``size`` bytes."""
    skeleton = _document(b"")
    overhead = len(build(skeleton))
    payload_bytes = max(size - overhead, 0) * 3 // 4
    block = bytes(range(256)) * 4096
    data = (block * (payload_bytes // len(block) + 1))[:payload_bytes]
    return build(_document(data))


def _document(data: bytes) -> Document:
    content_id = "cid:3f2b9c1e-5d4a-4c1b-9a7e-0c6d2f1a8b11"
    return Document(
        sender=Organization("000.00.00.G22", organ_name="Văn phòng Chính phủ"),
        recipients=tuple(Organization(f"000.00.00.H{n:02d}", organ_name="UBND") for n in range(5)),
        document_id="000.00.00.G22,2026/11/20,1234/VPCP-KSTT",
        subject="V/v báo cáo tình hình cung cấp dịch vụ công trực tuyến toàn trình",
        other_info=OtherInfo(priority=Priority.URGENT),
        references=(Reference(content_id, "application/pdf", "vanban.pdf"),),
        attachments=(Attachment.of_bytes(content_id, "vanban.pdf", "application/pdf", data),),
    )


def _current_rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def measure_memory(path: str) -> dict[str, Any]:
    """In this process: parse, validate and size the file at ``path``; report peak RSS."""
    before = _current_rss()
    data = Path(path).read_bytes()
    started = time.perf_counter()
    message = parse(data)
    parsed = time.perf_counter() - started
    assert isinstance(message, Document)
    sizes = [attachment.size for attachment in message.attachments]
    parse_valid(data)
    peak = _peak_rss()
    return {
        "bytes": len(data),
        "parse_s": parsed,
        "attachment_bytes": sum(sizes),
        "peak_rss_delta_bytes": peak - before,
        "peak_ratio": (peak - before) / len(data),
    }


def measure_in_child(path: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.envelope_parse", "--measure-memory", path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def _median_seconds(function: Any, budget_s: float = 1.0) -> float:
    timings: list[float] = []
    spent = 0.0
    while spent < budget_s or len(timings) < 3:
        started = time.perf_counter()
        function()
        elapsed = time.perf_counter() - started
        timings.append(elapsed)
        spent += elapsed
        if len(timings) >= 20_000:
            break
    return statistics.median(timings)


def run(sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        data = envelope_of_size(size)
        with tempfile.NamedTemporaryFile(suffix=".edxml", delete=False) as handle:
            handle.write(data)
        try:
            memory = measure_in_child(handle.name)
        finally:
            os.unlink(handle.name)
        rows.append(
            {
                "size_bytes": len(data),
                "safe_xml_parse_us": _median_seconds(lambda d=data: parse_xml(d)) * 1e6,
                "parse_us": _median_seconds(lambda d=data: parse(d)) * 1e6,
                "parse_valid_us": _median_seconds(lambda d=data: parse_valid(d)) * 1e6,
                "peak_rss_delta_mb": memory["peak_rss_delta_bytes"] / 1e6,
                "peak_ratio_to_size": memory["peak_ratio"],
            }
        )
        del data
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sizes", default=",".join(str(size) for size in DEFAULT_SIZES))
    parser.add_argument("--measure-memory", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_memory:
        print(json.dumps(measure_memory(args.measure_memory)))
        return 0
    rows = run(tuple(int(size) for size in args.sizes.split(",")))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("memory: peak RSS of a fresh process minus its RSS before reading the file")
    print(
        f"{'size':>12} {'parse_xml':>12} {'parse':>12} {'parse_valid':>12} "
        f"{'peak RSS':>10} {'x size':>7}"
    )
    for row in rows:
        print(
            f"{row['size_bytes']:>12,} {row['safe_xml_parse_us']:>10.0f}us "
            f"{row['parse_us']:>10.0f}us {row['parse_valid_us']:>10.0f}us "
            f"{row['peak_rss_delta_mb']:>8.1f}MB {row['peak_ratio_to_size']:>7.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
