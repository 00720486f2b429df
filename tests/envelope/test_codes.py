from __future__ import annotations

from envelope import BusinessDocType, Priority, StatusCode


def test_status_codes_and_their_vietnamese_names() -> None:
    assert [code.value for code in StatusCode] == [
        "01", "02", "03", "04", "05", "06", "13", "15", "16"
    ]  # fmt: skip
    assert StatusCode("01").vietnamese_name == "Đã đến"
    assert StatusCode("02").vietnamese_name == "Từ chối tiếp nhận"
    assert StatusCode("03").vietnamese_name == "Đã tiếp nhận"
    assert StatusCode("04").vietnamese_name == "Phân công"
    assert StatusCode("05").vietnamese_name == "Đang xử lý"
    assert StatusCode("06").vietnamese_name == "Hoàn thành"
    assert StatusCode("13").vietnamese_name == "Lấy lại"
    assert StatusCode("15").vietnamese_name == "Đồng ý cập nhật / lấy lại"
    assert StatusCode("16").vietnamese_name == "Từ chối cập nhật / lấy lại"
    assert StatusCode.RECALL.sent_by_original_sender
    assert not StatusCode.ACCEPTED.sent_by_original_sender


def test_priorities() -> None:
    assert [int(p) for p in Priority] == [0, 1, 2, 3, 4]
    assert [p.vietnamese_name for p in Priority] == [
        "Thường", "Khẩn", "Thượng khẩn", "Hỏa tốc", "Hỏa tốc hẹn giờ"
    ]  # fmt: skip


def test_business_types() -> None:
    assert [int(t) for t in BusinessDocType] == [0, 1, 2, 3]
    assert BusinessDocType(1).vietnamese_name == "Thu hồi"
    assert not BusinessDocType.NEW.acts_on_earlier_document
    assert BusinessDocType.REPLACEMENT.acts_on_earlier_document
