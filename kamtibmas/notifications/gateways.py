"""Pluggable SMS/WhatsApp gateways. Configure with SMS_GATEWAY (a dotted path)."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class GatewayError(RuntimeError):
    """Delivery failed; the outbox will retry later."""


class Gateway(Protocol):
    def send(self, channel: str, recipient: str, body: str) -> None: ...


class LoggingGateway:
    """Default gateway: logs that a message would be sent, without the number or the text."""

    def send(self, channel: str, recipient: str, body: str) -> None:
        logger.info(
            "%s message of %d characters to a recipient ending %s",
            channel,
            len(body),
            recipient[-2:] if len(recipient) > 6 else "**",
        )


def get_gateway() -> Gateway:
    cls = import_string(settings.SMS_GATEWAY)
    gateway: Gateway = cls()
    return gateway
