"""Where a request came from, for the audit records its services write (AU-01 "where")."""

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
