"""Image loading, validation and built-in test images.

Every image handed to the rest of RED Lab is a ``float64`` array with values in [0, 1],
shaped ``(H, W)`` (grey) or ``(H, W, 3)`` (colour).

Two sources:

- :func:`builtin` — scikit-image's bundled test images (:data:`BUILTIN`; all of them ship with
  scikit-image, none is downloaded), resized so that the **longer side** is ``size`` (aspect
  ratio kept, never square-resized).
- :func:`load` — an uploaded file, given as bytes only (its name or extension is never looked
  at). It returns a :class:`LoadedImage`: the array plus the *notices* the user should read
  (down-scaled, first frame of an animation, transparency filled with white, ...).
  :func:`load_array` returns just the array. Any problem with the data raises
  :class:`ImageError` whose message is one sentence meant for the user, never another
  exception type.

Decisions made by :func:`load` (each one announced by a notice when it changes the picture):

- Size: files claiming more than :data:`MAX_PIXELS` pixels are refused before any pixel is
  decoded (decompression bombs); images whose longer side exceeds ``max_side`` are scaled down
  (box-average by an integer factor, then an anti-aliased ``skimage.transform.resize``) —
  never up; images with a side shorter than ``min_side`` (also after down-scaling) are refused.
- Orientation: the EXIF orientation tag of photos is applied, as every image viewer does.
- Transparency (alpha channel, palette or ``tRNS`` transparency) is composited on white.
- Animations and multi-page files: the first frame/page is used.
- Colour that is really grey: an RGB image with red = green = blue at every pixel becomes a
  ``(H, W)`` greyscale image (denoisers then treat it as the grey image it is).
- Integer pixel values are divided by 255 (when all values are at most 255), else by 65535
  (when all are at most 65535); a 16- or 32-bit file that only uses 8-bit values is therefore
  read as 8-bit instead of showing almost black. Integer data outside [0, 65535] and float
  data outside [0, 1] are rescaled linearly (min → 0, max → 1); float data that is already
  inside [0, 1] is kept as is; NaN or infinite values are refused.

Sizes in messages are written width × height, the way image sizes are usually quoted; numpy
shapes are (height, width).
"""

from __future__ import annotations

import functools
import io
import warnings
from dataclasses import dataclass, field

import numpy as np
import skimage.data
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from skimage.measure import block_reduce
from skimage.transform import resize

__all__ = [
    "BUILTIN",
    "MAX_PIXELS",
    "ImageError",
    "LoadedImage",
    "builtin",
    "check_size",
    "crop_to_multiple",
    "load",
    "load_array",
    "to_png_bytes",
    "to_uint8",
]

BUILTIN: tuple[str, ...] = (
    "camera",
    "astronaut",
    "coins",
    "moon",
    "text",
    "brick",
    "grass",
    "coffee",
    "chelsea",
)
MAX_PIXELS = 40_000_000
"""Files whose header claims more pixels than this are refused before decoding."""

# Formats Pillow may open: the common raster formats only (a smaller attack surface).
_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "GIF", "WEBP", "PPM")  # "JPEG" also opens MPO
_FORMAT_NAMES = "PNG, JPEG, TIFF, BMP, GIF, WebP or PPM"
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")
_GREY_MODES = ("1", "L", "LA", "La", "I", "F") + ("I;16", "I;16L", "I;16B", "I;16N")


class ImageError(ValueError):
    """A file or image RED Lab cannot use; the message is one sentence for the user."""


@dataclass
class LoadedImage:
    """An uploaded image ready for RED Lab, with what the user should be told about it.

    Attributes
    ----------
    image : numpy.ndarray
        ``float64`` in [0, 1], shaped ``(H, W)`` or ``(H, W, 3)``.
    notices : list of str
        One sentence each, e.g. that the image was scaled down or that only the first frame
        of an animated GIF is used. Empty when the file was used exactly as stored.
    original_shape : tuple of int
        Shape of the image at full resolution (after applying the EXIF orientation, before
        any down-scaling), with the same channel layout as ``image``.
    format : str
        The file format as detected from the bytes: ``"PNG"``, ``"JPEG"``, ``"TIFF"``, ...
    """

    image: np.ndarray
    notices: list[str] = field(default_factory=list)
    original_shape: tuple[int, ...] = ()
    format: str = ""


# ----------------------------------------------------------------------------- built-ins


@functools.cache
def _builtin_full(name: str) -> np.ndarray:
    image = getattr(skimage.data, name)().astype(np.float64) / 255.0
    image.setflags(write=False)
    return image


def builtin(name: str, size: int | None = 256) -> np.ndarray:
    """Return one of scikit-image's bundled test images as a float image in [0, 1].

    Parameters
    ----------
    name : str
        One of :data:`BUILTIN`. ``"astronaut"``, ``"coffee"`` and ``"chelsea"`` are colour,
        the others grey.
    size : int or None, optional
        Length in pixels of the longer side after resizing; the aspect ratio is kept (the
        image is not made square). Down-scaling is anti-aliased, up-scaling (only if ``size``
        exceeds the stored size) is bilinear. ``None`` keeps the stored size.

    Returns
    -------
    numpy.ndarray
        ``float64`` in [0, 1], ``(H, W)`` or ``(H, W, 3)``; a new array the caller may modify.
    """
    if name not in BUILTIN:
        raise ValueError(f"Unknown built-in image {name!r}; choose one of: {', '.join(BUILTIN)}.")
    image = _builtin_full(name)
    if size is None:
        return image.copy()
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive integer or None, got {size!r}.")
    return _resize(image, _target_shape(*image.shape[:2], int(size)))


# ------------------------------------------------------------------------- small helpers


def _check_layout(image: np.ndarray) -> None:
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"Expected an image of shape (H, W) or (H, W, 3), got {image.shape}.")


def _size_text(height: int, width: int) -> str:
    return f"{width}×{height}"


def _require_min_side(height: int, width: int, min_side: int, what: str) -> None:
    if min(height, width) < min_side:
        raise ImageError(
            f"This image is {_size_text(height, width)} pixels; {what} needs at least "
            f"{min_side} pixels on each side."
        )


def check_size(image: np.ndarray, min_side: int, what: str) -> None:
    """Raise :class:`ImageError` if either side of ``image`` is shorter than ``min_side``.

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W)`` or ``(H, W, 3)``.
    min_side : int
        Smallest allowed height and width, in pixels.
    what : str
        What needs the size, completing "… needs at least N pixels on each side", e.g.
        ``"super-resolution ×3"``.

    Raises
    ------
    ImageError
        e.g. "This image is 7×5 pixels; super-resolution ×3 needs at least 24 pixels on each
        side." (width × height).
    """
    image = np.asarray(image)
    _check_layout(image)
    _require_min_side(image.shape[0], image.shape[1], min_side, what)


def crop_to_multiple(image: np.ndarray, k: int) -> np.ndarray:
    """Centre-crop height and width down to the nearest multiples of ``k``.

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W)`` or ``(H, W, 3)``.
    k : int
        Positive integer, e.g. the decimation factor of super-resolution.

    Returns
    -------
    numpy.ndarray
        A view of ``image`` of shape ``(k ⌊H/k⌋, k ⌊W/k⌋[, 3])``; when pixels must go, the
        extra one goes at the bottom/right.

    Raises
    ------
    ImageError
        If a side is shorter than ``k``.
    """
    image = np.asarray(image)
    _check_layout(image)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    height, width = image.shape[:2]
    _require_min_side(height, width, k, f"cropping to a multiple of {k}")
    top, left = (height % k) // 2, (width % k) // 2
    return image[top : top + height - height % k, left : left + width - width % k]


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Convert a [0, 1] image to ``uint8``: clip to [0, 1], then round ``255 x``.

    NaN becomes 0 and ±inf are clipped like any other value, so a diverged iterate can still be
    shown. A ``uint8`` input is returned unchanged.
    """
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    unit = np.clip(np.nan_to_num(image.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0), 0, 1)
    return np.round(unit * 255.0).astype(np.uint8)


def to_png_bytes(image: np.ndarray) -> bytes:
    """Encode a ``(H, W)`` or ``(H, W, 3)`` image in [0, 1] (or ``uint8``) as 8-bit PNG bytes."""
    image = np.asarray(image)
    _check_layout(image)
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buffer, format="PNG")
    return buffer.getvalue()


def _target_shape(height: int, width: int, longer: int) -> tuple[int, int]:
    scale = longer / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if image.shape[:2] != shape:
        image = resize(image, shape + image.shape[2:], order=1, anti_aliasing=True, mode="reflect")
    return np.clip(image, 0.0, 1.0)  # also a new array


# ------------------------------------------------------------------------------- loading


def load_array(data: bytes, max_side: int = 512, min_side: int = 16) -> np.ndarray:
    """Like :func:`load`, returning only the float image (the notices are dropped)."""
    return load(data, max_side=max_side, min_side=min_side).image


def load(data: bytes, max_side: int = 512, min_side: int = 16) -> LoadedImage:
    """Decode an uploaded image file into a float image in [0, 1].

    Parameters
    ----------
    data : bytes
        The file's content (``bytes``, ``bytearray`` or ``memoryview``). The format is
        detected from the bytes: PNG (8/16-bit), JPEG (also CMYK), TIFF (8/16-bit, float),
        BMP, GIF, WebP, PPM/PGM/PBM.
    max_side : int, optional
        Longer side, in pixels, above which the image is scaled down (anti-aliased) so that
        its longer side is exactly ``max_side``.
    min_side : int, optional
        Shortest side accepted, in pixels, checked after down-scaling.

    Returns
    -------
    LoadedImage
        ``.image`` (``float64``, ``(H, W)`` or ``(H, W, 3)``), ``.notices``,
        ``.original_shape`` and ``.format``. See the module docstring for how pixel values,
        transparency, orientation and animations are handled.

    Raises
    ------
    ImageError
        For any data that is not a usable image; the message is one sentence for the user.
    TypeError, ValueError
        For wrong argument types or values (programming errors, not bad data).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}.")
    for name, value in (("max_side", max_side), ("min_side", min_side)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if min_side > max_side:
        raise ValueError(f"min_side ({min_side}) must not exceed max_side ({max_side}).")
    data = bytes(data)
    if not data:
        raise ImageError("The file is empty.")
    try:
        return _load(data, max_side, min_side)
    except ImageError:
        raise
    except Image.DecompressionBombError as error:
        raise _too_many_pixels() from error
    except Exception as error:  # the contract: bad data never escapes as another exception
        raise _unreadable(error) from error


def _load(data: bytes, max_side: int, min_side: int) -> LoadedImage:
    notices: list[str] = []
    decoded = _decode_pillow(data, notices)
    if decoded is None:  # Pillow cannot open float RGB and other less common TIFFs; tifffile can
        decoded = _decode_tiff(data, notices)
    raw, colour, fmt = decoded
    height, width = raw.shape[:2]
    _require_min_side(height, width, min_side, "RED Lab")
    target = (height, width)
    if max(height, width) > max_side:
        target = _target_shape(height, width, max_side)
        if min(target) < min_side:
            raise ImageError(
                f"This image is {_size_text(height, width)} pixels, too elongated: scaled down "
                f"so that its longer side is {max_side} pixels, its shorter side would be "
                f"{min(target)}, below the minimum of {min_side}."
            )
    if colour and all(np.array_equal(raw[..., 0], raw[..., c]) for c in (1, 2)):
        raw = raw[..., 0]
        notices.append(
            "The image is stored in colour but every pixel is grey, so it is used as a "
            "greyscale image."
        )
    offset, span = _value_scaling(raw, notices)
    if target == (height, width):
        image = np.clip((raw.astype(np.float64) - offset) / span, 0.0, 1.0)
    else:
        image = _downscale(raw, offset, span, target)
        notices.append(
            f"The image was scaled down from {_size_text(height, width)} to "
            f"{_size_text(*target)} pixels to keep the computations fast."
        )
    return LoadedImage(image, notices, (height, width) + image.shape[2:], fmt)


def _check_pixel_count(height: int, width: int) -> None:
    if height < 1 or width < 1:
        raise ImageError(f"This image is {_size_text(height, width)} pixels, so it has no pixels.")
    if height * width > MAX_PIXELS:
        raise ImageError(
            f"This image is {_size_text(height, width)} pixels "
            f"({height * width / 1e6:.0f} megapixels), more than the {MAX_PIXELS / 1e6:.0f} "
            "megapixels we can open safely."
        )


def _decode_pillow(data: bytes, notices: list[str]) -> tuple[np.ndarray, bool, str] | None:
    """First frame, oriented, alpha composited: (raw pixels, is_colour, format).

    ``None`` if Pillow does not recognise a file that starts like a TIFF.
    """
    try:
        # Pillow only warns between its own limit and twice it; refuse those files as well.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=_FORMATS)
    except Image.DecompressionBombWarning as error:
        raise _too_many_pixels() from error
    except UnidentifiedImageError as error:
        if data.startswith(_TIFF_MAGIC):
            return None
        raise _not_an_image(data) from error
    _check_pixel_count(im.height, im.width)
    fmt = "JPEG" if im.format == "MPO" else str(im.format)
    frames = getattr(im, "n_frames", 1)
    if frames > 1 and fmt != "JPEG":  # the extra frames of a phone's MPO "JPEG" are previews
        _notice_frames(notices, fmt, frames)
    im.load()
    if _exif_orientation(im) not in (1, None):
        im = ImageOps.exif_transpose(im)
    colour = im.mode not in _GREY_MODES
    if im.mode in _ALPHA_MODES or (im.mode in ("P", "L", "RGB") and "transparency" in im.info):
        im = _composite_on_white(im.convert("RGBA" if colour else "LA"), notices)
    elif im.mode not in _GREY_MODES + ("RGB",):
        im = im.convert("RGB")  # palette, CMYK, YCbCr, ...
    return np.asarray(im), colour, fmt


def _notice_frames(notices: list[str], fmt: str, frames: int) -> None:
    if fmt == "TIFF":
        notices.append(
            f"This multi-page TIFF file has {frames} pages; only the first page is used."
        )
    else:
        notices.append(f"This animated {fmt} has {frames} frames; only the first frame is used.")


def _exif_orientation(im: Image.Image) -> int | None:
    try:
        return im.getexif().get(ExifTags.Base.Orientation)
    except Exception:  # a damaged EXIF block should not cost the user the picture
        return None


def _composite_on_white(im: Image.Image, notices: list[str]) -> Image.Image:
    """Composite an ``LA``/``RGBA`` image on white; returns ``L``/``RGB``."""
    alpha = im.getchannel("A")
    lowest, highest = alpha.getextrema()
    base = im.convert(im.mode[:-1])
    if lowest == 255:
        return base
    white = Image.new(base.mode, base.size, 255 if base.mode == "L" else (255, 255, 255))
    white.paste(base, mask=alpha)
    if highest == 0:
        notices.append("The image is fully transparent, so it shows as plain white.")
    else:
        notices.append("Transparent parts of the image were filled with white.")
    return white


def _decode_tiff(data: bytes, notices: list[str]) -> tuple[np.ndarray, bool, str]:
    """Read the first page of a TIFF file with tifffile: (raw pixels, is_colour, "TIFF")."""
    import tifffile  # only needed for the rare TIFFs Pillow cannot open

    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        page = tif.pages[0]
        axes, shape = page.axes, page.shape
        if axes == "SYX":  # planar channels -> channels last
            axes, shape = "YXS", shape[1:] + shape[:1]
        if axes not in ("YX", "YXS") or (axes == "YXS" and shape[2] not in (1, 3)):
            layout = "×".join(str(n) for n in page.shape)
            raise ImageError(
                f"This TIFF file stores its pixels in a layout we cannot read ({layout} values); "
                "please save it as a plain greyscale or RGB image without transparency."
            )
        _check_pixel_count(shape[0], shape[1])
        if len(tif.pages) > 1:
            _notice_frames(notices, "TIFF", len(tif.pages))
        raw = page.asarray()
    if raw.shape[0] != shape[0]:
        raw = np.moveaxis(raw, 0, -1)
    if raw.ndim == 3 and raw.shape[2] == 1:
        raw = raw[..., 0]
    return raw, raw.ndim == 3, "TIFF"


def _value_scaling(raw: np.ndarray, notices: list[str]) -> tuple[float, float]:
    """(offset, span) so that ``(raw - offset) / span`` lies in [0, 1]; see module docstring."""
    if raw.dtype == np.bool_:
        return 0.0, 1.0
    if raw.dtype.kind == "f" and not np.isfinite(raw).all():
        raise ImageError("This image contains undefined (NaN or infinite) pixel values.")
    lowest, highest = raw.min().item(), raw.max().item()
    if raw.dtype.kind in "ui" and lowest >= 0 and highest <= 65535:
        if highest > 255:
            return 0.0, 65535.0
        if highest > 0 and raw.dtype.itemsize > 1:
            notices.append(
                f"This image is stored with more than 8 bits per value but its values only go "
                f"up to {highest}, so they were read as 8-bit values (0 to 255)."
            )
        return 0.0, 255.0
    if raw.dtype.kind == "f" and 0.0 <= lowest and highest <= 1.0:
        return 0.0, 1.0
    if highest == lowest:
        notices.append(
            f"Every pixel has the value {highest:.4g}, outside the range 0 to 1, so it was "
            f"set to {min(max(highest, 0.0), 1.0):g}."
        )
        return lowest - min(max(highest, 0.0), 1.0), 1.0
    notices.append(
        f"Pixel values ranged from {lowest:.4g} to {highest:.4g}; they were rescaled linearly "
        "to the range 0 to 1."
    )
    return lowest, highest - lowest


def _downscale(raw: np.ndarray, offset: float, span: float, target: tuple[int, int]) -> np.ndarray:
    """Anti-aliased down-scaling of ``(raw - offset) / span`` to ``target``, as float64.

    Memory stays bounded whatever the file (a 40-megapixel colour image takes 1 GB as float64):
    a box average by an integer factor first brings each side below 4× its target, then the
    Gaussian anti-aliasing and the resize run in float32.
    """
    factor = max(1, min(raw.shape[0] // (2 * target[0]), raw.shape[1] // (2 * target[1])))
    if factor > 1:
        block = (factor, factor) + (1,) * (raw.ndim - 2)
        raw = block_reduce(
            crop_to_multiple(raw, factor), block, np.mean, func_kwargs={"dtype": np.float32}
        )
    image = raw.astype(np.float32)  # a new array: safe to modify in place
    image -= np.float32(offset)
    image /= np.float32(span)
    return _resize(image, target).astype(np.float64)


# ------------------------------------------------------------------------------ messages


def _too_many_pixels() -> ImageError:
    return ImageError(
        f"This image has more pixels than we can open safely (the limit is "
        f"{MAX_PIXELS / 1e6:.0f} megapixels)."
    )


def _not_an_image(data: bytes) -> ImageError:
    sample = data[:2048].decode("utf-8", errors="replace")
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in sample if ch != "\ufffd")
    if printable >= 0.95 * len(sample):
        if "<svg" in sample.lower():
            return ImageError("SVG drawings are not supported; please export the drawing as PNG.")
        return ImageError("This file contains text, not an image.")
    return ImageError(f"This file is not an image in a format we can read ({_FORMAT_NAMES}).")


def _unreadable(error: Exception) -> ImageError:
    reason = (str(error).strip().splitlines() or [""])[0].rstrip(".").replace(". ", "; ")
    if "truncated" in reason.lower() or isinstance(error, EOFError):
        return ImageError("This image file is incomplete or damaged (its data ends too early).")
    if isinstance(error, MemoryError):
        reason = "not enough memory"
    if not reason or len(reason) > 100:
        reason = "its content is damaged or uses an unsupported variant of the format"
    return ImageError(f"We could not read this file as an image ({reason}).")
