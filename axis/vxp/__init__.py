"""The VXP-compatible surface: the SDK's thirteen operations on the broker core.

Everything the VXP Java SDK (``com.vpcp.services``) needs is decided here:
header authentication, parameter handling, how each operation maps onto the
messages, deliveries and registry of the native API, and answers the SDK can
read. ``endpoints.vxp`` only moves bytes between aiohttp and ``VxpService``.
"""

from axis.vxp.service import OPERATIONS, Request, Response, VxpService

__all__ = ["OPERATIONS", "Request", "Response", "VxpService"]
