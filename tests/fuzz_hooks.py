"""schemathesis hooks of test_api_fuzz.py: how to send a body of a media type it has no
serializer for (support-service's inbound mail, ``message/rfc822``)."""

from typing import Any

import schemathesis


@schemathesis.serializer("message/rfc822")
def rfc822(ctx: Any, value: Any) -> bytes:
    """The generated value as the raw message: bytes as they are, anything else as text."""
    return value if isinstance(value, bytes) else str(value).encode()
