"""``classicmat edit IMAGE [TRIMAP]``: a local page to paint the trimap and see the matte.

Every option and path is checked before anything is read (exit status 2);
then the image is read, the server bound and its address printed, and the
server runs until Ctrl-C (exit status 130, ``classicmat: interrupted``).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import warnings
from pathlib import Path

from ._common import (
    EXIT_OK,
    PROG,
    LazyChoices,
    Parser,
    UsageError,
    check_input,
    method_registry,
    one_line,
    same_file,
    show_warning,
)

EPILOG = f"""\
the page:
  paint known foreground, known background or unknown with a round brush of
  the chosen size, or thin strokes (scribbles); after each stroke the matte
  is solved again and shown as alpha, or as the cut-out over a checkerboard
  or a colour. Ctrl+Z undoes a stroke. Save writes <IMAGE stem>_trimap.png,
  <IMAGE stem>_alpha.png and <IMAGE stem>_cutout.png next to the image (or in
  --out DIR), all three or none; an existing output is replaced, an input
  file never.

the HTTP API (for scripts; see docs/edit.md):
  GET  /api/methods, /api/info, /image, /trimap
  POST /api/alpha?method=NAME    body: a PNG trimap of the image's size,
                                 Content-Type: image/png, at most
                                 4 x width x height + 1 MiB bytes; answers
                                 the 8-bit alpha PNG
  POST /api/cutout?method=NAME, POST /api/save?method=NAME

security:
  the server listens on 127.0.0.1 only, and answers only requests addressed
  to it (Host header). --host makes the page, and its Save, reachable from
  other machines, without any password: use it on a trusted network only.

exit status:
  2 usage error (bad option, missing input file, --out not a writable
  folder, a host that cannot be resolved); 1 failure (unreadable image,
  trimap of another size, port in use); 130 stopped with Ctrl-C.

examples:
  {PROG} edit lemur.png                        paint scribbles from scratch
  {PROG} edit lemur.png lemur_trimap.png --out edited/
  {PROG} edit photo.jpg --port 8765 --no-browser
"""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be in 0-65535 (0: a free port), got {value}")
    return value


def _page_methods() -> list[str]:
    return [name for name in method_registry().names() if name != "onnx"]


def parser() -> Parser:
    result = Parser(
        prog=f"{PROG} edit",
        usage="%(prog)s [options] IMAGE [TRIMAP]",
        description="Serve a local page to paint the trimap (or a few scribbles) of IMAGE "
        "and see its alpha matte and cut-out after each stroke; prints the page's address "
        "and opens it in the browser.",
        epilog=EPILOG,
    )
    result.add_argument("image", metavar="IMAGE", help="the photo (PNG, JPEG, TIFF, ...)")
    result.add_argument(
        "trimap",
        metavar="TRIMAP",
        nargs="?",
        help="a trimap of the same size to start from (default: every pixel unknown)",
    )
    result.add_argument(
        "--method",
        metavar="NAME",
        default="cf",
        choices=LazyChoices(_page_methods),
        help="the method the page starts with: %(choices)s (default: %(default)s)",
    )
    result.add_argument(
        "--port",
        metavar="P",
        type=_port,
        default=0,
        help="port to listen on (default: a free one)",
    )
    result.add_argument(
        "--host",
        metavar="H",
        default=None,
        help="address to listen on (default: 127.0.0.1, this machine only); another "
        "address makes the page reachable from other machines",
    )
    result.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="folder that Save writes to (default: the image's folder)",
    )
    result.add_argument(
        "--no-browser", action="store_true", help="do not open the page; only print its address"
    )
    return result


def _check(args: argparse.Namespace) -> dict:
    """Every path and option, before anything is read; raise UsageError."""
    inputs = {"image": check_input("image", Path(args.image))}
    if args.trimap is not None:
        inputs["trimap"] = check_input("trimap", Path(args.trimap))
        if same_file(inputs["image"], inputs["trimap"]):
            raise UsageError(f"TRIMAP '{args.trimap}' is the IMAGE file")
    folder = Path(args.out) if args.out is not None else inputs["image"].parent
    if not folder.is_dir():
        what = "is not a directory" if folder.exists() else "does not exist"
        raise UsageError(f"output directory '{folder}' {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"output directory '{folder}' is not writable")
    host = "127.0.0.1" if args.host is None else args.host.strip()
    if not host:
        raise UsageError("argument --host: expected an address, got an empty one")
    try:
        socket.getaddrinfo(host, args.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise UsageError(f"argument --host: cannot resolve {host!r}: {one_line(exc)}") from None
    return {"inputs": inputs, "folder": folder, "host": host}


def _open_browser(url: str) -> None:
    import threading
    import webbrowser

    def target() -> None:
        try:
            if not webbrowser.open(url):
                print(f"{PROG}: no browser found; open {url}", file=sys.stderr, flush=True)
        except Exception as exc:  # a broken browser setting must not stop the server
            print(f"{PROG}: cannot open a browser ({one_line(exc)}); open {url}", file=sys.stderr)

    threading.Thread(target=target, name="classicmat-browser", daemon=True).start()


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    checked = _check(args)
    inputs, folder, host = checked["inputs"], checked["folder"], checked["host"]

    from .._warnings import ClassicmatWarning
    from ..edit import EditServer, Workspace, is_loopback, output_paths

    for kind, path in output_paths(inputs["image"], folder).items():
        for name, source in inputs.items():
            if same_file(path, source):
                print(
                    f"{PROG}: warning: the {kind} output '{path}' is the {name} file: Save "
                    f"will refuse to overwrite it; give --out DIR to save elsewhere",
                    file=sys.stderr,
                )

    def saved(paths: list[Path]) -> None:
        print(f"saved {', '.join(str(p) for p in paths)}", flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("default", ClassicmatWarning)
        warnings.showwarning = show_warning
        workspace = Workspace(
            inputs["image"],
            inputs.get("trimap"),
            out_dir=folder,
            method=args.method,
            on_save=saved,
        )
        try:
            server = EditServer(workspace, host, args.port)
        except OSError as exc:
            reason = exc.strerror or one_line(exc)
            raise OSError(f"cannot listen on {host} port {args.port}: {reason}") from None
        with server:
            if not is_loopback(host):
                print(
                    f"{PROG}: warning: listening on {host}: the page and its API (which "
                    f"saves files) are reachable from other machines, with no password",
                    file=sys.stderr,
                    flush=True,
                )
            print(f"serving {inputs['image'].name} at {server.url} (Ctrl-C to stop)", flush=True)
            if not args.no_browser:
                _open_browser(server.url)
            server.serve_forever()
    return EXIT_OK
