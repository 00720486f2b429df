"""The standard's closed code lists, each member with its Vietnamese name."""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["BusinessDocType", "Priority", "StatusCode"]


class StatusCode(StrEnum):
    """Receipt status codes (trạng thái văn bản)."""

    ARRIVED = "01"
    REJECTED = "02"
    ACCEPTED = "03"
    ASSIGNED = "04"
    PROCESSING = "05"
    COMPLETED = "06"
    RECALL = "13"
    RECALL_AGREED = "15"
    RECALL_REFUSED = "16"

    @property
    def vietnamese_name(self) -> str:
        return _STATUS_NAMES[self]

    @property
    def sent_by_original_sender(self) -> bool:
        """Only a recall (13) comes from the document's sender; the others from a recipient."""
        return self is StatusCode.RECALL


_STATUS_NAMES = {
    StatusCode.ARRIVED: "Đã đến",
    StatusCode.REJECTED: "Từ chối tiếp nhận",
    StatusCode.ACCEPTED: "Đã tiếp nhận",
    StatusCode.ASSIGNED: "Phân công",
    StatusCode.PROCESSING: "Đang xử lý",
    StatusCode.COMPLETED: "Hoàn thành",
    StatusCode.RECALL: "Lấy lại",
    StatusCode.RECALL_AGREED: "Đồng ý cập nhật / lấy lại",
    StatusCode.RECALL_REFUSED: "Từ chối cập nhật / lấy lại",
}


class Priority(IntEnum):
    """Urgency (độ khẩn)."""

    NORMAL = 0
    URGENT = 1
    VERY_URGENT = 2
    EXPRESS = 3
    EXPRESS_SCHEDULED = 4

    @property
    def vietnamese_name(self) -> str:
        return _PRIORITY_NAMES[self]


_PRIORITY_NAMES = {
    Priority.NORMAL: "Thường",
    Priority.URGENT: "Khẩn",
    Priority.VERY_URGENT: "Thượng khẩn",
    Priority.EXPRESS: "Hỏa tốc",
    Priority.EXPRESS_SCHEDULED: "Hỏa tốc hẹn giờ",
}


class BusinessDocType(IntEnum):
    """What a document does: a new one, or an action on one sent before."""

    NEW = 0
    REVOCATION = 1
    UPDATE = 2
    REPLACEMENT = 3

    @property
    def vietnamese_name(self) -> str:
        return _BUSINESS_NAMES[self]

    @property
    def acts_on_earlier_document(self) -> bool:
        return self is not BusinessDocType.NEW


_BUSINESS_NAMES = {
    BusinessDocType.NEW: "Văn bản mới",
    BusinessDocType.REVOCATION: "Thu hồi",
    BusinessDocType.UPDATE: "Cập nhật",
    BusinessDocType.REPLACEMENT: "Thay thế",
}
