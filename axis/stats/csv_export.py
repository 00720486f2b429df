"""The statistics as CSV, for the reports agencies send to the government.

UTF-8 with a byte order mark: Excel, which most offices open CSV files with,
reads a file without one as the local ANSI code page and garbles every
Vietnamese letter. Comma-separated, CRLF line ends (RFC 4180). Headers are
the JSON field names, or Vietnamese labels (``labels="vi"``) for people.
Durations are in seconds, shares as fractions (0.25), empty when unknown.
Text that a spreadsheet would run as a formula (a subject starting with
``=``, ``+``, ``-`` or ``@``, written by an agency) is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

FIGURE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("organ_id", "Mã định danh"),
    ("name", "Tên cơ quan"),
    ("parent_id", "Cơ quan cấp trên"),
    ("rollup", "Phạm vi"),
    ("agencies", "Số đơn vị"),
    ("sent", "Văn bản gửi"),
    ("received", "Văn bản nhận"),
    ("delivered", "Đã chuyển đến"),
    ("answered", "Đã phản hồi"),
    ("accepted", "Đã tiếp nhận (03)"),
    ("finished", "Hoàn thành (06)"),
    ("rejected", "Từ chối (02)"),
    ("rejected_share", "Tỷ lệ từ chối"),
    ("overdue_receipt", "Quá hạn phản hồi"),
    ("overdue_due_date", "Quá hạn xử lý"),
    ("to_01_median_seconds", "Trung vị đến 01 (giây)"),
    ("to_01_p90_seconds", "P90 đến 01 (giây)"),
    ("to_03_median_seconds", "Trung vị đến 03 (giây)"),
    ("to_03_p90_seconds", "P90 đến 03 (giây)"),
    ("to_06_median_seconds", "Trung vị đến 06 (giây)"),
    ("to_06_p90_seconds", "P90 đến 06 (giây)"),
    ("silent_agencies", "Đơn vị không phản hồi"),
)
DAY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("day", "Ngày"),
    ("sent", "Văn bản gửi"),
    ("received", "Văn bản nhận"),
    ("delivered", "Đã chuyển đến"),
)
SILENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("organ_id", "Mã định danh"),
    ("name", "Tên cơ quan"),
    ("parent_id", "Cơ quan cấp trên"),
    ("received", "Văn bản nhận"),
    ("delivered", "Đã chuyển đến"),
    ("first_sent_at", "Văn bản đầu tiên"),
    ("last_sent_at", "Văn bản gần nhất"),
)
OVERDUE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("message_id", "Mã văn bản trên trục"),
    ("code_number", "Số"),
    ("code_notation", "Ký hiệu"),
    ("subject", "Trích yếu"),
    ("sender_id", "Nơi gửi"),
    ("recipient_id", "Nơi nhận"),
    ("sent_at", "Thời điểm gửi"),
    ("delivered_at", "Thời điểm chuyển đến"),
    ("receipt_deadline", "Hạn phản hồi"),
    ("due_date", "Hạn xử lý"),
    ("overdue_since", "Quá hạn từ"),
    ("receipt_overdue", "Quá hạn phản hồi"),
    ("due_date_overdue", "Quá hạn xử lý"),
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value if value[:1] in _FORMULA_STARTS else value
    return str(value)


def to_csv(
    columns: Sequence[tuple[str, str]], rows: Iterable[Mapping[str, Any]], *, labels: str = "keys"
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(label if labels == "vi" else key for key, label in columns)
    for row in rows:
        writer.writerow(_cell(row.get(key)) for key, _ in columns)
    return (BOM + out.getvalue()).encode("utf-8")


def file_name(kind: str, first: str, last: str) -> str:
    return f"axis-{kind}-{first}-{last}.csv"
