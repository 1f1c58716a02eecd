"""Tests for red_core.images: every file is generated here, nothing is downloaded."""

from __future__ import annotations

import io
import re
import struct
import time
import tracemalloc
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import tifffile
from PIL import Image, ImageFile

from red_core import images
from red_core.images import ImageError, LoadedImage

RNG = np.random.default_rng(1234)
GREY = RNG.integers(0, 256, (24, 32), dtype=np.uint8)
COLOUR = RNG.integers(0, 256, (24, 32, 3), dtype=np.uint8)


def encode(image: np.ndarray | Image.Image, fmt: str = "PNG", **options) -> bytes:
    """The bytes of ``image`` saved by Pillow in ``fmt``."""
    im = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    im.save(buffer, fmt, **options)
    return buffer.getvalue()


def tiff_bytes(array: np.ndarray, **options) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, **options)
    return buffer.getvalue()


def png_with_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width × height grey pixels, followed by far too little data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + payload))
        return struct.pack(">I", len(payload)) + kind + payload + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def assert_valid(loaded: LoadedImage, shape: tuple[int, ...], fmt: str | None = None) -> None:
    image = loaded.image
    assert image.shape == shape
    assert image.dtype == np.float64
    assert np.isfinite(image).all()
    assert image.min() >= 0.0 and image.max() <= 1.0
    if fmt is not None:
        assert loaded.format == fmt


def assert_user_sentence(message: str) -> None:
    """One plain sentence: no traceback, no exception class names, no object reprs."""
    assert message and "\n" not in message
    assert message.endswith(".")
    assert "Traceback" not in message and "<" not in message
    assert not re.search(r"[A-Za-z]+(Error|Exception|Warning)\b", message), message
    assert len(re.findall(r"[.!?](?:\s|$)", message)) == 1, message


def load_error(data: bytes, **options) -> str:
    with pytest.raises(ImageError) as info:
        images.load(data, **options)
    message = str(info.value)
    assert_user_sentence(message)
    return message


# ----------------------------------------------------------------------------- built-ins


@pytest.mark.parametrize("name", images.BUILTIN)
def test_builtin_longer_side_and_range(name: str) -> None:
    original = getattr(skimage.data, name)()
    image = images.builtin(name)
    assert image.dtype == np.float64
    assert 0.0 <= image.min() and image.max() <= 1.0
    assert max(image.shape[:2]) == 256
    assert image.ndim == original.ndim  # colour ones stay colour
    ratio = original.shape[0] / original.shape[1]
    assert image.shape[0] / image.shape[1] == pytest.approx(ratio, rel=0.02)


@pytest.mark.parametrize("name", images.BUILTIN)
def test_builtin_ships_with_scikit_image(name: str) -> None:
    """No built-in image needs a download: each is a file inside the installed package."""
    assert (Path(skimage.data.__file__).parent / f"{name}.png").is_file()


def test_builtin_size_none_keeps_original_and_copies() -> None:
    image = images.builtin("coffee", size=None)
    np.testing.assert_array_equal(image, skimage.data.coffee() / 255.0)
    image[:] = 0  # the caller owns the array: the cached original must not change
    assert images.builtin("coffee", size=None).max() > 0


def test_builtin_colour_and_grey() -> None:
    assert images.builtin("astronaut", 64).shape == (64, 64, 3)
    assert images.builtin("chelsea", 64).shape == (43, 64, 3)
    assert images.builtin("camera", 100).shape == (100, 100)


def test_builtin_unknown_name_lists_choices() -> None:
    with pytest.raises(ValueError, match="camera, astronaut, coins.*chelsea"):
        images.builtin("lena")


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_builtin_bad_size(size) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        images.builtin("camera", size)


# --------------------------------------------------------------------- formats and modes


def test_png_8bit_grey_and_colour_exact() -> None:
    grey = images.load(encode(GREY))
    assert_valid(grey, GREY.shape, "PNG")
    np.testing.assert_array_equal(grey.image, GREY / 255.0)
    assert grey.notices == [] and grey.original_shape == GREY.shape
    colour = images.load(encode(COLOUR))
    assert_valid(colour, COLOUR.shape, "PNG")
    np.testing.assert_array_equal(colour.image, COLOUR / 255.0)
    assert colour.notices == []


def test_png_16bit_scaled_by_65535() -> None:
    values = np.array([0, 257, 40000, 65535], dtype=np.uint16)
    array = np.resize(values, (20, 20)).astype(np.uint16)
    loaded = images.load(encode(array))
    assert_valid(loaded, (20, 20), "PNG")
    np.testing.assert_array_equal(loaded.image, array / 65535.0)
    assert loaded.notices == []


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16bit_holding_8bit_values_is_read_as_8bit(fmt: str) -> None:
    array = GREY.astype(np.uint16)  # Pillow mode "I;16", values 0..255
    loaded = images.load(encode(array, fmt))
    np.testing.assert_array_equal(loaded.image, GREY / 255.0)
    assert any("read as 8-bit values" in notice for notice in loaded.notices)


def test_tiff_16bit() -> None:
    array = (GREY.astype(np.uint16) * 257 + 3).astype(np.uint16)
    loaded = images.load(encode(array, "TIFF"))
    assert_valid(loaded, GREY.shape, "TIFF")
    np.testing.assert_array_equal(loaded.image, array / 65535.0)


def test_grey_with_alpha_composited_on_white() -> None:
    alpha = np.full(GREY.shape, 255, np.uint8)
    alpha[:, :8] = 0
    alpha[:, 8:16] = 128
    loaded = images.load(encode(np.stack([GREY, alpha], axis=-1)))  # mode LA
    assert_valid(loaded, GREY.shape)
    expected = (GREY * (alpha / 255.0) + 255.0 * (1 - alpha / 255.0)) / 255.0
    np.testing.assert_allclose(loaded.image, expected, atol=1.01 / 255)
    assert (loaded.image[:, :8] == 1.0).all()
    assert loaded.notices == ["Transparent parts of the image were filled with white."]


def test_rgba_composited_on_white() -> None:
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[...] = (200, 0, 0, 128)
    rgba[:10] = (10, 20, 30, 255)
    loaded = images.load(encode(rgba))
    assert_valid(loaded, (20, 20, 3))
    half = 128 / 255
    expected = np.array([200 * half + 255 * (1 - half), 255 * (1 - half), 255 * (1 - half)])
    np.testing.assert_allclose(loaded.image[15, 15], expected / 255, atol=1.01 / 255)
    np.testing.assert_array_equal(loaded.image[5, 5], np.array([10, 20, 30]) / 255)
    assert "filled with white" in loaded.notices[0]


def test_opaque_alpha_needs_no_notice() -> None:
    rgba = np.concatenate([COLOUR, np.full(GREY.shape + (1,), 255, np.uint8)], axis=-1)
    loaded = images.load(encode(rgba))
    np.testing.assert_array_equal(loaded.image, COLOUR / 255.0)
    assert loaded.notices == []


def test_fully_transparent_image_is_white() -> None:
    rgba = np.concatenate([COLOUR, np.zeros(GREY.shape + (1,), np.uint8)], axis=-1)
    loaded = images.load(encode(rgba))
    assert_valid(loaded, GREY.shape)  # white everywhere is grey: (H, W)
    assert (loaded.image == 1.0).all()
    assert "The image is fully transparent, so it shows as plain white." in loaded.notices


def palette_image(indices: np.ndarray) -> Image.Image:
    im = Image.frombytes("P", indices.shape[::-1], indices.astype(np.uint8).tobytes())
    im.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 40, 40, 40])
    return im


PALETTE_RGB = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [40, 40, 40]]) / 255.0
INDICES = RNG.integers(0, 4, (20, 30))


def test_palette_without_transparency() -> None:
    loaded = images.load(encode(palette_image(INDICES)))
    assert_valid(loaded, (20, 30, 3), "PNG")
    np.testing.assert_array_equal(loaded.image, PALETTE_RGB[INDICES])
    assert loaded.notices == []


def test_palette_with_transparency() -> None:
    loaded = images.load(encode(palette_image(INDICES), transparency=2))  # blue is transparent
    expected = PALETTE_RGB[INDICES]
    expected[INDICES == 2] = 1.0
    np.testing.assert_array_equal(loaded.image, expected)
    assert loaded.notices == ["Transparent parts of the image were filled with white."]


def test_grey_png_with_trns_transparency() -> None:
    loaded = images.load(encode(GREY, transparency=int(GREY[0, 0])))
    assert loaded.image.shape == GREY.shape
    assert (loaded.image[GREY == GREY[0, 0]] == 1.0).all()
    assert "filled with white" in loaded.notices[0]


def test_jpeg_exif_orientation_applied() -> None:
    stored = np.zeros((24, 48), np.uint8)  # stored landscape, left half dark
    stored[:, 24:] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    loaded = images.load(encode(stored, "JPEG", exif=exif, quality=95))
    assert_valid(loaded, (48, 24), "JPEG")
    assert loaded.original_shape == (48, 24)
    expected = np.rot90(stored, k=-1) / 255.0  # clockwise: the dark half ends on top
    assert np.abs(loaded.image - expected).mean() < 0.02


def test_jpeg_without_orientation_keeps_layout() -> None:
    loaded = images.load(encode(COLOUR, "JPEG", quality=95))
    assert_valid(loaded, COLOUR.shape, "JPEG")
    assert loaded.notices == []


def test_cmyk_jpeg_converted_to_rgb() -> None:
    blocks = np.kron(RNG.integers(0, 256, (3, 4, 3)), np.ones((16, 16, 1))).astype(np.uint8)
    data = encode(Image.fromarray(blocks).convert("CMYK"), "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    loaded = images.load(data)
    assert_valid(loaded, blocks.shape, "JPEG")
    assert np.abs(loaded.image - blocks / 255.0).mean() < 0.03


def test_float_tiff_inside_unit_range_kept_exactly() -> None:
    array = RNG.random((20, 24)).astype(np.float32)
    loaded = images.load(encode(array, "TIFF"))  # Pillow mode "F"
    assert_valid(loaded, array.shape, "TIFF")
    np.testing.assert_array_equal(loaded.image, array.astype(np.float64))
    assert loaded.notices == []


def test_float_tiff_outside_unit_range_rescaled_with_notice() -> None:
    array = RNG.uniform(-1.0, 3.0, (20, 24)).astype(np.float32)
    array[0, 0], array[0, 1] = -1.0, 3.0
    loaded = images.load(encode(array, "TIFF"))
    assert_valid(loaded, array.shape, "TIFF")
    np.testing.assert_allclose(loaded.image, (array + 1.0) / 4.0, atol=1e-12)
    assert loaded.notices == [
        "Pixel values ranged from -1 to 3; they were rescaled linearly to the range 0 to 1."
    ]


def test_constant_float_tiff_outside_range_clipped() -> None:
    loaded = images.load(encode(np.full((20, 20), 5.0, np.float32), "TIFF"))
    assert (loaded.image == 1.0).all()
    assert loaded.notices == [
        "Every pixel has the value 5, outside the range 0 to 1, so it was set to 1."
    ]


def test_float_tiff_with_nan_refused() -> None:
    array = RNG.random((20, 20)).astype(np.float32)
    array[3, 3] = np.nan
    assert "NaN" in load_error(encode(array, "TIFF"))


@pytest.mark.parametrize("planar", ["contig", "separate"])
def test_float_rgb_tiff_read_with_tifffile(planar: str) -> None:
    array = RNG.random((20, 24, 3)).astype(np.float32)
    stored = array if planar == "contig" else np.moveaxis(array, -1, 0)  # (3, H, W) planes
    data = tiff_bytes(stored, photometric="rgb", planarconfig=planar)
    with pytest.raises(Image.UnidentifiedImageError):
        Image.open(io.BytesIO(data))  # Pillow alone cannot
    loaded = images.load(data)
    assert_valid(loaded, (20, 24, 3), "TIFF")
    np.testing.assert_array_equal(loaded.image, array.astype(np.float64))


def test_float_rgba_tiff_refused_clearly() -> None:
    data = tiff_bytes(RNG.random((20, 24, 4)).astype(np.float32), photometric="rgb")
    assert "layout we cannot read" in load_error(data)


def test_multipage_tiff_first_page() -> None:
    pages = [Image.fromarray(GREY), Image.fromarray(255 - GREY)]
    data = encode(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    loaded = images.load(data)
    np.testing.assert_array_equal(loaded.image, GREY / 255.0)
    assert loaded.notices == ["This multi-page TIFF file has 2 pages; only the first page is used."]


def test_bmp() -> None:
    loaded = images.load(encode(COLOUR, "BMP"))
    assert_valid(loaded, COLOUR.shape, "BMP")
    np.testing.assert_array_equal(loaded.image, COLOUR / 255.0)


@pytest.mark.parametrize(("fmt", "options"), [("WEBP", {"lossless": True}), ("PPM", {})])
def test_other_formats(fmt: str, options: dict) -> None:
    loaded = images.load(encode(COLOUR, fmt, **options))
    assert_valid(loaded, COLOUR.shape, fmt)
    np.testing.assert_array_equal(loaded.image, COLOUR / 255.0)


def test_animated_gif_first_frame_with_notice() -> None:
    frames = [Image.fromarray(np.full((20, 20), value, np.uint8)) for value in (30, 130, 230)]
    frames[0].putpixel((0, 0), 200)
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    loaded = images.load(data)
    assert_valid(loaded, (20, 20), "GIF")
    assert loaded.image[0, 0] == pytest.approx(200 / 255)
    assert loaded.image[5, 5] == pytest.approx(30 / 255)
    assert "This animated GIF has 3 frames; only the first frame is used." in loaded.notices


@pytest.mark.parametrize(
    ("array", "fmt"),
    [
        (GREY.astype(np.int32), "TIFF"),  # Pillow mode "I", values 0..255
        (GREY.astype(np.uint16), "PNG"),  # Pillow mode "I;16"
    ],
)
def test_wide_integer_modes_holding_uint8(array: np.ndarray, fmt: str) -> None:
    data = encode(array, fmt)
    assert Image.open(io.BytesIO(data)).mode in ("I", "I;16")
    loaded = images.load(data)
    assert_valid(loaded, GREY.shape, fmt)
    np.testing.assert_array_equal(loaded.image, GREY / 255.0)


def test_mode_i_with_negative_values_rescaled() -> None:
    array = GREY.astype(np.int32) - 100
    loaded = images.load(encode(array, "TIFF"))
    np.testing.assert_allclose(loaded.image, (GREY - GREY.min()) / np.ptp(GREY), atol=1e-12)
    assert "rescaled linearly" in loaded.notices[0]


def test_mode_f_holding_uint8_values_rescaled() -> None:
    data = encode(GREY.astype(np.float32), "TIFF")
    assert Image.open(io.BytesIO(data)).mode == "F"
    loaded = images.load(data)
    assert_valid(loaded, GREY.shape, "TIFF")
    np.testing.assert_allclose(loaded.image, (GREY - GREY.min()) / np.ptp(GREY), atol=1e-12)
    assert "rescaled linearly" in loaded.notices[0]


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF"])
def test_bilevel_mode_1(fmt: str) -> None:
    bits = RNG.random((20, 24)) > 0.5
    data = encode(Image.fromarray(bits), fmt)
    assert Image.open(io.BytesIO(data)).mode == "1"
    loaded = images.load(data)
    assert_valid(loaded, bits.shape, fmt)
    np.testing.assert_array_equal(loaded.image, bits.astype(np.float64))


def test_colour_file_that_is_grey_becomes_2d() -> None:
    loaded = images.load(encode(np.stack([GREY] * 3, axis=-1)))
    assert_valid(loaded, GREY.shape)
    assert loaded.original_shape == GREY.shape
    np.testing.assert_array_equal(loaded.image, GREY / 255.0)
    assert loaded.notices == [
        "The image is stored in colour but every pixel is grey, so it is used as a greyscale image."
    ]
    almost = np.stack([GREY] * 3, axis=-1)
    almost[3, 4, 1] ^= 1  # one pixel with a trace of colour keeps it colour
    assert images.load(encode(almost)).image.shape == almost.shape


def test_constant_grey_image_is_fine() -> None:
    loaded = images.load(encode(np.full((20, 20), 77, np.uint8)))
    assert_valid(loaded, (20, 20))
    assert (loaded.image == 77 / 255).all()
    assert loaded.notices == []


def test_format_detected_from_bytes_not_name() -> None:
    """``load`` takes bytes only: the same content gives the same result whatever it is called."""
    assert images.load(encode(GREY, "BMP")).format == "BMP"
    assert images.load(encode(GREY, "JPEG")).format == "JPEG"
    assert list(images.load.__annotations__) == ["data", "max_side", "min_side", "return"]


# ------------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (1, 40)])
def test_too_small_images_refused_naming_minimum(shape: tuple[int, int]) -> None:
    data = encode(np.full(shape, 100, np.uint8))
    message = load_error(data)
    assert message == (
        f"This image is {shape[1]}×{shape[0]} pixels; RED Lab needs at least 16 pixels on each "
        "side."
    )
    loaded = images.load(data, min_side=1)  # allowed when the caller allows it
    assert_valid(loaded, shape)


def test_one_row_image_downscaled() -> None:
    loaded = images.load(encode(RNG.integers(0, 256, (1, 1000), dtype=np.uint8)), min_side=1)
    assert_valid(loaded, (1, 512))


def test_elongated_image_refused_after_downscaling() -> None:
    message = load_error(encode(np.zeros((20, 2000), np.uint8)))
    assert "too elongated" in message and "would be 5" in message and "minimum of 16" in message


def test_check_size_message() -> None:
    with pytest.raises(ImageError) as info:
        images.check_size(np.zeros((5, 7, 3)), 24, "super-resolution ×3")
    assert str(info.value) == (
        "This image is 7×5 pixels; super-resolution ×3 needs at least 24 pixels on each side."
    )
    images.check_size(np.zeros((24, 30)), 24, "super-resolution ×3")  # exactly enough


def test_check_size_rejects_bad_layout() -> None:
    with pytest.raises(ValueError, match=r"\(H, W\) or \(H, W, 3\)"):
        images.check_size(np.zeros((5, 7, 4)), 2, "x")


def test_large_image_downscaled_with_notice() -> None:
    array = RNG.integers(0, 256, (600, 1000, 3), dtype=np.uint8)
    loaded = images.load(encode(array))
    assert_valid(loaded, (307, 512, 3))
    assert loaded.original_shape == (600, 1000, 3)
    assert loaded.notices == [
        "The image was scaled down from 1000×600 to 512×307 pixels to keep the computations fast."
    ]
    assert images.load(encode(array), max_side=1000).image.shape == (600, 1000, 3)


@pytest.mark.parametrize("side", [1536, 2600])  # resize only; box pre-reduction + resize
def test_downscaling_is_anti_aliased(side: int) -> None:
    checkerboard = ((np.indices((side, side)).sum(axis=0) % 2) * 255).astype(np.uint8)
    loaded = images.load(encode(checkerboard))
    assert loaded.image.shape == (512, 512)
    # Without anti-aliasing a 1-pixel checkerboard aliases to stripes/flat black or white.
    assert np.abs(loaded.image - 0.5).max() < 0.02


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to decode pixels fails the test (load would report an unreadable file)."""

    def refuse(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize(("width", "height"), [(7000, 7000), (40_001, 1000), (30000, 30000)])
def test_decompression_bomb_refused_before_decoding(
    width: int, height: int, no_decoding: None
) -> None:
    data = png_with_header_only(width, height)
    assert len(data) < 200
    start = time.perf_counter()
    message = load_error(data)
    assert time.perf_counter() - start < 1.0
    megapixels = round(width * height / 1e6)
    assert (
        message
        == (
            f"This image is {width}×{height} pixels ({megapixels} megapixels), more than the 40 "
            "megapixels we can open safely."
        )
        or message
        == "This image has more pixels than we can open safely (the limit is 40 megapixels)."
    )


@pytest.mark.parametrize("side", [10_000, 30_000])  # Pillow's warning, Pillow's error
def test_pillow_bomb_warning_and_error_become_image_error(
    side: int, no_decoding: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 10**12)  # only Pillow's own limits remain
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        message = load_error(png_with_header_only(side, side))
    assert message.startswith("This image has more pixels than we can open safely")
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_downscaling_never_makes_a_full_size_float64_copy() -> None:
    side = 4000  # as float64 the 4000×4000 image would take 128 MB; its uint8 pixels take 16 MB
    data = encode(np.kron(GREY[:4, :4], np.ones((side // 4, side // 4), np.uint8)))
    tracemalloc.start()
    try:
        loaded = images.load(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert loaded.image.shape == (512, 512) and loaded.image.dtype == np.float64
    assert peak < 80e6, f"peak {peak / 1e6:.0f} MB"


# ------------------------------------------------------------------------- bad data


def test_empty_file() -> None:
    assert load_error(b"") == "The file is empty."


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_png(keep: float) -> None:
    data = encode(COLOUR)
    message = load_error(data[: int(len(data) * keep)])
    assert message == "This image file is incomplete or damaged (its data ends too early)."


def test_truncated_jpeg() -> None:
    data = encode(COLOUR, "JPEG")
    assert "incomplete or damaged" in load_error(data[: len(data) // 2])


def test_text_file_renamed_png() -> None:
    assert load_error(b"Dear user,\nthis is not a picture.\n" * 5) == (
        "This file contains text, not an image."
    )


def test_svg_file() -> None:
    assert "SVG" in load_error(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')


def test_random_bytes() -> None:
    message = load_error(RNG.bytes(4096))
    assert message.startswith("This file is not an image in a format we can read (PNG, JPEG")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            RuntimeError("decoder hiccup"),
            "We could not read this file as an image (decoder hiccup).",
        ),
        (KeyError("x" * 300), "We could not read this file as an image (its content is damaged"),
        (MemoryError(), "We could not read this file as an image (not enough memory)."),
    ],
)
def test_unexpected_pillow_failures_wrapped(
    error: Exception, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_open(*args, **kwargs):
        raise error

    monkeypatch.setattr(Image, "open", failing_open)
    assert load_error(encode(GREY)).startswith(expected)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the damaged tags
def test_fuzzed_files_only_raise_image_error() -> None:
    """Truncated and byte-flipped files of every format: a valid image or an ImageError."""
    rng = np.random.default_rng(7)
    sources = [encode(COLOUR, fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")]
    outcomes = {"ok": 0, "refused": 0}
    for trial in range(300):
        data = bytearray(sources[trial % len(sources)])
        if trial % 3 == 0:
            data = data[: rng.integers(1, len(data))]
        else:
            for _ in range(rng.integers(1, 8)):
                data[rng.integers(0, len(data))] = rng.integers(0, 256)
        try:
            loaded = images.load(bytes(data), min_side=1)
        except ImageError as refusal:
            assert_user_sentence(str(refusal))
            outcomes["refused"] += 1
        else:
            assert loaded.image.dtype == np.float64
            assert 0.0 <= loaded.image.min() and loaded.image.max() <= 1.0
            outcomes["ok"] += 1
    assert outcomes["ok"] > 0 and outcomes["refused"] > 0


def test_programming_errors_are_not_image_errors() -> None:
    with pytest.raises(TypeError, match="bytes"):
        images.load("picture.png")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_side must be a positive integer"):
        images.load(encode(GREY), max_side=0)
    with pytest.raises(ValueError, match="must not exceed"):
        images.load(encode(GREY), max_side=8, min_side=16)


def test_load_array_and_memoryview() -> None:
    data = encode(COLOUR)
    np.testing.assert_array_equal(images.load_array(data), images.load(data).image)
    np.testing.assert_array_equal(images.load_array(memoryview(data)), COLOUR / 255.0)


# ------------------------------------------------------------------------ array helpers


def test_to_uint8_clips_and_rounds() -> None:
    values = np.array([-0.5, 0.0, 0.6 / 255, 0.5, 1.0, 1.7, np.nan, np.inf])
    np.testing.assert_array_equal(images.to_uint8(values), [0, 0, 1, 128, 255, 255, 0, 255])
    assert images.to_uint8(values).dtype == np.uint8
    assert images.to_uint8(COLOUR) is COLOUR


@pytest.mark.parametrize("image", [GREY / 255.0, COLOUR / 255.0])
def test_png_bytes_round_trip(image: np.ndarray) -> None:
    data = images.to_png_bytes(image)
    assert data.startswith(b"\x89PNG")
    np.testing.assert_array_equal(images.load(data).image, image)


@pytest.mark.parametrize("shape", [(25, 31), (25, 31, 3)])
def test_crop_to_multiple_centres(shape: tuple[int, ...]) -> None:
    image = RNG.random(shape)
    cropped = images.crop_to_multiple(image, 4)
    assert cropped.shape == (24, 28) + shape[2:]
    np.testing.assert_array_equal(cropped, image[0:24, 1:29])
    assert images.crop_to_multiple(image, 1).shape == shape


def test_crop_to_multiple_too_small_and_bad_k() -> None:
    with pytest.raises(ImageError, match="needs at least 3 pixels on each side"):
        images.crop_to_multiple(np.zeros((2, 8)), 3)
    with pytest.raises(ValueError, match="positive integer"):
        images.crop_to_multiple(np.zeros((8, 8)), 0)
