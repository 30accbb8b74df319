"""Named domain errors; views turn them into clear messages (Chinese in the UI and JSON)."""

from services.supermarket.kiosk_phrases import phrase

#: what the app answers for an HTTP error status (app.py; JSON for the kiosk API, a page elsewhere)
HTTP_ERROR_MESSAGES = {400: "请求有误", 403: "没有权限访问此页面", 404: "页面不存在", 405: "不支持这种操作",
                       413: "上传的文件太大", 429: "操作太频繁,请稍后再试", 500: "系统出错了,本次操作没有保存"}


class DomainError(Exception):
    #: machine-readable code for the JSON API
    code = "error"
    #: HTTP status the views answer with
    status = 400
    #: default message shown to people (Chinese)
    message = "操作未能完成"

    def __init__(self, message: str | None = None, **details):
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)

    def to_json(self) -> dict:
        return {"error": self.code, "message": self.message, **self.details}


class ValidationFailed(DomainError):
    code = "invalid"
    message = "输入有误"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "没有找到"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    message = "没有权限"


class InsufficientPoints(DomainError):
    code = "insufficient_points"
    status = 409
    message = phrase("refusal.insufficient_points")


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    status = 409
    message = "这笔记录已经提交过,但内容不同;请刷新后重新操作"


class LedgerRefused(DomainError):
    code = "ledger_refused"
    status = 409
    message = "账本拒绝了这次操作"


class ConcurrentChange(DomainError):
    code = "concurrent_change"
    status = 409
    message = "数据刚被其他人修改,请重试"
