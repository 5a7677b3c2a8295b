"""``classicmat edit``: a local page to paint a trimap or scribbles and see the matte.

:class:`Workspace` holds the image, its starting trimap and the files a save
writes; :class:`EditServer` serves the page (``page/`` in this package:
plain HTML, JavaScript and CSS, no build step, nothing loaded from the
network) and the HTTP API the page and scripts use (``docs/edit.md``).

>>> from classicmat.edit import body_limit
>>> body_limit(640, 480)  # bytes: 4 x width x height + 1 MiB
2277376
"""

from __future__ import annotations

from ._server import EditServer, is_loopback
from ._workspace import OUTPUT_KINDS, RequestError, Workspace, body_limit, output_paths

__all__ = [
    "OUTPUT_KINDS",
    "EditServer",
    "RequestError",
    "Workspace",
    "body_limit",
    "is_loopback",
    "output_paths",
]
