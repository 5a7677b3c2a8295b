"""``classicmat IMAGE TRIMAP``: one alpha matte (and cut-out, foreground, composite).

Every option and path is checked before any work (exit status 2); then the
inputs are read, the matte and every other output computed, and all the
outputs written together (:func:`classicmat.io.write_images`): a failure
leaves none of them, and an input is never overwritten.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

from .._version import __version__
from ._common import (
    EXIT_OK,
    PROG,
    LazyChoices,
    Parser,
    UsageError,
    add_method_arguments,
    check_input,
    check_output,
    foreground_registry,
    given_method_options,
    is_colour,
    method_options,
    show_warning,
)

#: The automatic trimap: (option of estimate_alpha, flag, metavar, help).
AUTO_TRIMAP_OPTIONS = (
    (
        "trimap_fg_threshold",
        "--trimap-fg-threshold",
        "X",
        "mask values >= X are known foreground (default 0.95)",
    ),
    (
        "trimap_bg_threshold",
        "--trimap-bg-threshold",
        "X",
        "mask values <= X are known background (default 0.05)",
    ),
    (
        "trimap_kernel_size",
        "--trimap-kernel-size",
        "N",
        "width of the erosion that opens the unknown band, px (default 11)",
    ),
)

EPILOG = f"""\
subcommands:
  methods               list the alpha matting methods, their papers and options
  evaluate              errors (SAD, MSE, Grad, Conn) of methods on a dataset:
                        results.csv, results.json, summary.md (see
                        'classicmat evaluate --help')
  batch                 alpha mattes of a folder of images and trimaps (see
                        'classicmat batch --help')
  score                 the same errors for predictions saved by any method
                        (your own model's PNGs): scores.csv and the means (see
                        'classicmat score --help')
  compile               compile and cache every numba kernel now (for a Docker
                        layer or a CI cache; see 'classicmat compile --help')
  edit                  a local page to paint the trimap or scribbles and see the
                        matte after each stroke (see 'classicmat edit --help')
  (a first argument that names a subcommand runs it: write ./methods for an
  image file called "methods")

trimap:
  gray, 0 = background, 255 = foreground, anything between = unknown
  (after scaling to [0, 1]: <= 0.1 background, >= 0.9 foreground).
  Left out with --method onnx and a trimap-free model, and with
  --auto-trimap MODEL: a trimap-free ONNX model's mask, thresholded and
  eroded, becomes the trimap, then --method refines the unknown band.

method options:
  --epsilon, --radius, --solver, ... are passed to the method only when
  given (otherwise its defaults apply); an option the method does not take
  is an error. --option NAME=VALUE reaches any option of any method,
  methods of plugins included. 'classicmat methods' lists them all.

onnx (pip install "classicmat[onnx]"):
  --method onnx --model M.onnx runs a deep matting network with onnxruntime;
  --spec names how to feed it (default: inferred from its inputs). See
  docs/onnx.md.

exit status:
  0 success; 2 usage error (bad option or value, missing input file, output
  path that is an input file or a directory, a lossy format for a matte);
  1 failure while processing (unreadable image, sizes differ, trimap
  without foreground or background); 130 interrupted. An input file is
  never overwritten and a failed or interrupted run leaves no output file.

examples:
  {PROG} lemur.png lemur_trimap.png              writes lemur_alpha.png
  {PROG} lemur.png lemur_trimap.png --cutout lemur_cutout.png
  {PROG} lemur.png lemur_trimap.png --background beach.jpg --composite lemur_beach.png
  {PROG} photo.jpg trimap.png -o out/alpha.png --16bit
  {PROG} photo.jpg trimap.png --epsilon 1e-5 --solver cg-amg
  {PROG} photo.jpg trimap.png --method knn --option n_neighbors=10,2
  {PROG} photo.jpg trimap.png --method onnx --model vitmatte.onnx
  {PROG} portrait.jpg --auto-trimap modnet.onnx --method cf
"""


def parser() -> Parser:
    result = Parser(
        prog=PROG,
        usage="%(prog)s [options] IMAGE TRIMAP\n"
        "       %(prog)s [options] IMAGE [TRIMAP] --method onnx --model M.onnx\n"
        "       %(prog)s [options] IMAGE --auto-trimap M.onnx [--method NAME]\n"
        "       %(prog)s [options] IMAGE --scribbles PAINTED [--method NAME]\n"
        "       %(prog)s methods\n"
        "       %(prog)s evaluate --dataset DIR --layout NAME --out DIR ...\n"
        "       %(prog)s batch IMAGES_DIR TRIMAPS_DIR -o OUT_DIR ...\n"
        "       %(prog)s compile [--method NAME]\n"
        "       %(prog)s edit IMAGE [TRIMAP] [--port P] [--no-browser]\n"
        "       %(prog)s --version",
        description="Estimate the alpha matte of IMAGE given TRIMAP and write it as a "
        "grayscale PNG.",
        epilog=EPILOG,
    )
    result.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    # both optional for argparse; _check_positionals says what is missing
    result.add_argument(
        "image", metavar="IMAGE", nargs="?", help="input image (PNG, JPEG, TIFF, ...)"
    )
    result.add_argument(
        "trimap",
        metavar="TRIMAP",
        nargs="?",
        help="trimap of the same size as IMAGE (not with --auto-trimap; optional with "
        "--method onnx and a trimap-free model)",
    )
    result.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output file (default: <IMAGE stem>_alpha.png in the current directory); "
        "an existing file is replaced, an input file never",
    )
    add_method_arguments(result)
    result.add_argument(
        "--16bit", dest="bit16", action="store_true", help="write a 16-bit PNG (default: 8-bit)"
    )
    result.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    auto = result.add_argument_group(
        "automatic trimap (a trimap-free ONNX model's mask, thresholded and eroded)"
    )
    auto.add_argument(
        "--auto-trimap",
        metavar="MODEL",
        help="make the trimap with this trimap-free ONNX model (instead of TRIMAP); "
        "--method then refines it",
    )
    for _, flag, metavar, text in AUTO_TRIMAP_OPTIONS:
        auto.add_argument(flag, metavar=metavar, default=None, help=text)
    result.add_argument(
        "--scribbles",
        metavar="PAINTED",
        help="instead of TRIMAP: a copy of IMAGE with strokes painted white over the "
        "foreground and black over the background (Levin et al.); a label map (gray, "
        "0/255 strokes on 128) is a TRIMAP",
    )
    fg = result.add_argument_group(
        "foreground, cutout and composite (the foreground colours are estimated from "
        "the image and the alpha matte, so the old background does not bleed through)"
    )
    fg.add_argument("--foreground", metavar="FG", help="write the estimated foreground (RGB)")
    fg.add_argument(
        "--cutout",
        metavar="CUT",
        help="write the cutout: RGBA PNG with straight (not premultiplied) alpha",
    )
    fg.add_argument(
        "--background",
        metavar="BG",
        help="new background for --composite: an image of any size, or a colour #RRGGBB or #RGB",
    )
    fg.add_argument(
        "--composite", metavar="OUT2", help="write the foreground composited over --background"
    )
    fg.add_argument(
        "--fit",
        choices=("cover", "stretch", "tile"),
        default="cover",
        help="how a background image of another size is fitted: %(choices)s "
        "(default: %(default)s: scaled to cover, centre cropped)",
    )
    fg.add_argument(
        "--foreground-method",
        metavar="NAME",
        default=None,
        choices=LazyChoices(lambda: foreground_registry().names()),
        help="foreground estimation method: %(choices)s (default: multilevel)",
    )
    return result


# ---------------------------------------------------------------- checks


def _check_positionals(args: argparse.Namespace) -> None:
    """IMAGE is required; TRIMAP too, unless --auto-trimap, --scribbles or --method onnx."""
    trimap_optional = (
        args.method == "onnx" or args.auto_trimap is not None or args.scribbles is not None
    )
    if args.image is None:
        missing = "IMAGE" if trimap_optional else "IMAGE, TRIMAP"
        raise UsageError(f"the following arguments are required: {missing}")
    if args.scribbles is not None:
        if args.trimap is not None or args.auto_trimap is not None:
            raise UsageError("give one of TRIMAP, --scribbles and --auto-trimap")
    if args.auto_trimap is not None:
        if args.trimap is not None:
            raise UsageError(
                f"give TRIMAP or --auto-trimap, not both (got TRIMAP '{args.trimap}')"
            )
        return
    for name, flag, *_ in AUTO_TRIMAP_OPTIONS:
        if getattr(args, name) is not None:
            raise UsageError(f"{flag} needs --auto-trimap MODEL")
    if args.trimap is None and not trimap_optional:
        raise UsageError(
            "the following arguments are required: TRIMAP (or --auto-trimap MODEL, or "
            "--method onnx with a trimap-free model)"
        )


def _auto_trimap_options(args: argparse.Namespace) -> dict[str, Any]:
    from .._options import Option

    specs = {
        "trimap_fg_threshold": Option("trimap_fg_threshold", "float", "", low=0.0, high=1.0),
        "trimap_bg_threshold": Option("trimap_bg_threshold", "float", "", low=0.0, high=1.0),
        "trimap_kernel_size": Option("trimap_kernel_size", "int", "", low=1),
    }
    values = {}
    for name, flag, *_ in AUTO_TRIMAP_OPTIONS:
        text = getattr(args, name)
        if text is None:
            continue
        try:
            values[name] = specs[name].parse(text)
        except ValueError as exc:
            raise UsageError(f"argument {flag}: {exc}") from None
    fg = values.get("trimap_fg_threshold", 0.95)
    bg = values.get("trimap_bg_threshold", 0.05)
    if bg >= fg:
        raise UsageError(
            f"--trimap-bg-threshold ({bg:g}) must be below --trimap-fg-threshold ({fg:g})"
        )
    return values


def _check_paths(args: argparse.Namespace, options: dict) -> dict[str, Any]:
    """Check every input and output path before any work; raise UsageError."""
    inputs = {"image": check_input("image", Path(args.image))}
    if args.trimap is not None:
        inputs["trimap"] = check_input("trimap", Path(args.trimap))
    if args.scribbles is not None:
        inputs["scribbles"] = check_input("scribbles", Path(args.scribbles))
    if isinstance(options.get("model"), str):
        inputs["model"] = check_input("model", Path(options["model"]), "an ONNX file")
    if args.auto_trimap is not None:
        inputs["--auto-trimap model"] = check_input(
            "--auto-trimap model", Path(args.auto_trimap), "an ONNX file"
        )
    if (args.composite is None) != (args.background is None):
        raise UsageError("--composite and --background go together: give both or neither")
    if args.background is not None and not is_colour(args.background):
        if args.background.startswith("#"):
            raise UsageError(
                f"argument --background: expected a colour #RRGGBB or #RGB, or an image "
                f"file, got {args.background!r}"
            )
        inputs["background"] = check_input("background", Path(args.background))
    if args.foreground_method is not None and not (
        args.foreground or args.cutout or args.composite
    ):
        raise UsageError("--foreground-method needs --foreground, --cutout or --composite")
    output = Path(args.output) if args.output else Path(f"{inputs['image'].stem}_alpha.png")
    outputs: dict[Path, str] = {}
    check_output("output", output, inputs, outputs, bit16=args.bit16, matte=True)
    paths: dict[str, Any] = {"inputs": inputs, "output": output}
    for flag in ("foreground", "cutout", "composite"):
        value = getattr(args, flag)
        if value is not None:
            path = Path(value)
            check_output(f"--{flag}", path, inputs, outputs, with_alpha=flag == "cutout")
            paths[flag] = path
    return paths


# ---------------------------------------------------------------- the run


def _open_sessions(args: argparse.Namespace, options: dict, has_trimap: bool) -> dict:
    """Load the ONNX models before reading the images; return the auto-trimap options.

    With ``--method onnx`` the session replaces the model options in
    ``options``. Raises UsageError when the model and the given inputs do
    not go together (a trimap-based model without TRIMAP, a trimap-based
    model for --auto-trimap).
    """
    auto: dict[str, Any] = {}
    if args.method != "onnx" and args.auto_trimap is None:
        return auto
    from ..deep import get_session

    if args.method == "onnx":
        model_options = {
            k: options.pop(k) for k in ("spec", "providers", "threads") if k in options
        }
        session = get_session(options["model"], **model_options)
        options["model"] = session
        if session.needs_trimap and not has_trimap and args.auto_trimap is None:
            raise UsageError(
                f"model '{Path(session.path).name}' takes a trimap "
                f"({session.spec.describe_inputs()}): give TRIMAP, or --auto-trimap MODEL"
            )
    if args.auto_trimap is not None:
        session = get_session(args.auto_trimap)
        if session.needs_trimap:
            raise UsageError(
                f"--auto-trimap model '{args.auto_trimap}' takes a trimap "
                f"({session.spec.describe_inputs()}); it must be trimap-free (one RGB input)"
            )
        auto["trimap_model"] = session
        auto.update(_auto_trimap_options(args))
    return auto


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    _check_positionals(args)
    func, options = method_options(args.method, given_method_options(args))
    if args.scribbles is not None and not getattr(func, "scribbles", True):
        raise UsageError(
            f"method {args.method!r} needs a trimap (known samples around every unknown "
            f"pixel), not scribbles; with --scribbles use cf, knn or another Laplacian method"
        )
    if args.auto_trimap is not None:
        _auto_trimap_options(args)  # checked now; used once the model is loaded
    paths = _check_paths(args, options)
    from .. import _ahead

    ahead = getattr(func, "ahead", None)  # kernel modules to compile meanwhile
    for module in ahead(func.check(options)) if ahead is not None else ():
        _ahead.start(module)

    from .._warnings import ClassicmatWarning
    from ..io import read_image, write_images

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("default", ClassicmatWarning)
        warnings.showwarning = show_warning
        auto = _open_sessions(args, options, args.trimap is not None)
        image = read_image(paths["inputs"]["image"], kind="image", name="image")
        background = None
        if "background" in paths["inputs"]:  # read before the long part: fail early
            background = read_image(paths["inputs"]["background"], kind="image", name="background")
        if auto:
            from ..alpha import estimate_alpha

            alpha = estimate_alpha(image, "auto", method=args.method, **auto, **options)
        else:
            trimap = None
            if args.trimap is not None:
                trimap = read_image(paths["inputs"]["trimap"], kind="trimap", name="trimap")
            elif args.scribbles is not None:
                from ..scribbles import read_scribbles

                painted = read_image(paths["inputs"]["scribbles"], kind="image", name="scribbles")
                trimap = read_scribbles(painted, image)
            alpha = func(image, trimap, **options)
            del trimap
        # compute every output first, then write them all together, so that a
        # failure leaves no output at all
        outputs = [(paths["output"], alpha, args.bit16)]
        outputs += _foreground_outputs(args, paths, image, alpha, background)
        write_images(outputs)
    elapsed = time.perf_counter() - start
    if not args.quiet:
        height, width = alpha.shape[:2]
        names = ", ".join(str(path) for path, _, _ in outputs)
        method = f"{args.method}, auto trimap" if auto else args.method
        print(f"wrote {names} ({width}x{height}, {method}, {elapsed:.2f} s)")
    return EXIT_OK


def _foreground_outputs(args, paths, image, alpha, background) -> list:
    """(path, array, bit16) of the --foreground, --cutout and --composite outputs."""
    if not (args.foreground or args.cutout or args.composite):
        return []

    from .._validation import as_image
    from ..compose import blend, parse_colour, rgba
    from ..foreground import FOREGROUND_METHODS

    # image converted once; alpha comes validated from the method; the
    # functions below take validated arrays (no second check of either)
    rgb = as_image(image)
    method = FOREGROUND_METHODS.get(args.foreground_method or "multilevel")
    foreground = method.core(rgb, alpha)
    outputs = []
    if args.foreground:
        outputs.append((paths["foreground"], foreground, None))
    if args.cutout:
        outputs.append((paths["cutout"], rgba(foreground, alpha), None))
    if args.composite:
        if background is None:
            back = parse_colour(args.background)
        else:
            back = as_image(background, name="background")
        outputs.append((paths["composite"], blend(foreground, alpha, back, args.fit), None))
    return outputs
