"""Logging filters: mask anything looking like a personnummer, and keep refused requests to one line.

Attached to every handler in settings.LOGGING, so records from any logger (Django's request
errors included) pass through it: the message with its arguments, an exception's traceback and
stack information are rendered and masked as `YYYYMMDD-****` (see `core.identity.mask`).
"""

from __future__ import annotations

import logging

from egenkontroll.core.identity import mask

_formatter = logging.Formatter()


class MaskIdentityFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


class ClientErrorWithoutTracebackFilter(logging.Filter):
    """A 403 or 404 is an everyday answer, not a fault: Django's one-line warning without the traceback.

    Django logs "Forbidden (Permission denied): /path" with the exception attached, which writes a
    whole traceback per refused request and buries real errors. Runs before MaskIdentityFilter.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
