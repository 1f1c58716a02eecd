"""Bad uploads on "Restore an image": a message for the user, never a traceback.

Streamlit 1.67's ``AppTest`` simulates ``st.file_uploader`` (``at.file_uploader(key=...)
.upload(name, bytes, mime)``): the bytes go through the same ``UploadedFile`` path as a browser
upload, including the server-side check of the file extension against the uploader's ``type``
list. Each case uploads a file, checks the message the page shows (``st.error`` for files it
cannot use, ``st.info`` notices for files it changed), that no exception is shown, and that the
page keeps working afterwards (a built-in image renders again).
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from helpers import degradation_case, open_app

APP = str(Path(__file__).parents[2] / "app.py")
SIZE = 64  # the page's smallest "Size (longer side)": uploads are scaled to it


# --------------------------------------------------------------------------- files


def _png(array: np.ndarray, **save) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", **save)
    return buffer.getvalue()


def _ramp(height: int, width: int) -> np.ndarray:
    """A smooth grey test picture (compresses well: big images stay small files)."""
    y, x = np.mgrid[0:height, 0:width]
    return ((np.sin(x / 7.0) * np.cos(y / 11.0) + 1) * 127.5).astype(np.uint8)


def valid_png() -> bytes:
    return _png(_ramp(80, 100))


def png_16bit() -> bytes:
    return _png(_ramp(70, 90).astype(np.uint16) * 257)  # uses the whole 0..65535 range


def truncated_png() -> bytes:
    data = _png(np.random.default_rng(0).integers(0, 256, (120, 120), dtype=np.uint8))
    return data[: len(data) // 2]


def huge_png() -> bytes:
    return _png(np.dstack([_ramp(2400, 3600)] * 2 + [_ramp(2400, 3600)[::-1]]))


def bomb_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A PNG header claiming 3.6 gigapixels over a few bytes of data (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


def _frames() -> list[Image.Image]:
    return [Image.fromarray(np.roll(_ramp(48, 48), 8 * k, axis=1)).convert("P")
            for k in range(3)]


def animated_gif() -> bytes:
    buffer = io.BytesIO()
    first, *rest = _frames()
    first.save(buffer, format="GIF", save_all=True, append_images=rest, duration=100, loop=0)
    return buffer.getvalue()


def animated_png() -> bytes:
    buffer = io.BytesIO()
    first, *rest = (f.convert("L") for f in _frames())
    first.save(buffer, format="PNG", save_all=True, append_images=list(rest), duration=100)
    return buffer.getvalue()


# --------------------------------------------------------------------------- driving the page


def restore_page() -> AppTest:
    at = open_app("pages/restore.py", timeout=120)
    at.selectbox(key="size").set_value(SIZE).run()
    assert not at.exception, at.exception
    return at


def set_degradation(at: AppTest, case: str) -> AppTest:
    """Choose a degradation case (``super_resolution_x3``: super-resolution, factor 3)."""
    name, params = degradation_case(case)
    at.selectbox(key="degradation").set_value(name).run()
    for key, value in params.items():
        at.selectbox(key=f"{name}.{key}").set_value(value)
    return at


def upload(at: AppTest, name: str, data: bytes, mime: str = "image/png",
           degradation: str | None = None) -> AppTest:
    if degradation is not None:
        set_degradation(at, degradation)
    at.selectbox(key="image").set_value("upload").run()
    assert not at.exception, at.exception
    assert any("Choose an image file" in i.value for i in at.info)
    at.file_uploader(key="upload").upload(name, data, mime).run()
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def notices(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


def degraded_psnr(at: AppTest) -> float | None:
    values = [m.value for m in at.metric if m.label.startswith("PSNR of the degraded image")]
    return float(values[0].split()[0]) if values else None


def assert_page_still_works(at: AppTest) -> None:
    """No exception now, and switching back to a built-in image renders the problem."""
    assert not at.exception, at.exception
    at.selectbox(key="image").set_value("coins")
    at.selectbox(key="degradation").set_value("gaussian_blur").run()
    assert not at.exception, at.exception
    assert not at.error, errors(at)
    assert degraded_psnr(at) is not None


@pytest.fixture(autouse=True)
def full_error_details():
    """.streamlit/config.toml hides error details from users (and from AppTest); a failing
    test here should show the real exception."""
    previous = st_config.get_option("client.showErrorDetails")
    st_config.set_option("client.showErrorDetails", "full")
    yield
    st_config.set_option("client.showErrorDetails", previous)


@pytest.fixture
def at() -> AppTest:
    return restore_page()


# --------------------------------------------------------------------------- good files


def test_valid_png_renders_the_problem(at):
    upload(at, "photo.png", valid_png())
    assert not at.exception, at.exception
    assert not at.error, errors(at)
    assert degraded_psnr(at) > 10
    # 100×80 scaled so that its longer side is the selected size (64): 64×51.
    assert any("scaled down from 100×80 to 64×51" in n for n in notices(at)), notices(at)
    captions = [c for image in at.image for c in image.captions]
    assert "Truth (64×51)" in captions, captions
    assert_page_still_works(at)


def test_16_bit_png_is_read_as_16_bit(at):
    data = png_16bit()
    assert data[24] == 16  # IHDR bit depth: really a 16-bit PNG
    upload(at, "deep.png", data)
    assert not at.exception, at.exception
    assert not at.error, errors(at)
    assert degraded_psnr(at) > 10
    assert not any("8-bit" in n for n in notices(at)), notices(at)
    assert_page_still_works(at)


@pytest.mark.slow
def test_huge_image_is_scaled_down_with_a_notice(at):
    data = huge_png()
    assert len(data) < 10 * 2**20  # under server.maxUploadSize (.streamlit/config.toml)
    upload(at, "panorama.png", data)
    assert not at.exception, at.exception
    assert not at.error, errors(at)
    assert any("scaled down from 3600×2400 to 64×43" in n for n in notices(at)), notices(at)
    assert degraded_psnr(at) is not None
    assert_page_still_works(at)


def test_animated_png_uses_its_first_frame(at):
    upload(at, "animation.png", animated_png())
    assert not at.exception, at.exception
    assert any("animated PNG has 3 frames; only the first frame is used" in n
               for n in notices(at)), notices(at)
    assert degraded_psnr(at) is not None
    assert_page_still_works(at)


def test_animated_gif_uses_its_first_frame(at):
    at.selectbox(key="image").set_value("upload").run()
    allowed = {t.lstrip(".").lower() for t in at.file_uploader(key="upload").allowed_type}
    assert "gif" in allowed, "the uploader must accept GIF, which red_core.images reads"
    upload(at, "animation.gif", animated_gif(), "image/gif")
    assert not at.exception, at.exception
    assert any("animated GIF has 3 frames; only the first frame is used" in n
               for n in notices(at)), notices(at)
    assert_page_still_works(at)


# --------------------------------------------------------------------------- bad files

BAD_FILES = {
    "truncated PNG": ("cut.png", truncated_png, "incomplete or damaged"),
    "text renamed .png": ("notes.png", lambda: b"These are my notes, not a picture.\n" * 20,
                          "This file contains text, not an image."),
    "empty file": ("empty.png", lambda: b"", "The file is empty."),
    "random bytes": ("noise.png", lambda: np.random.default_rng(1).bytes(4096),
                     "not an image in a format we can read"),
    "decompression bomb": ("bomb.png", bomb_png, "more pixels than we can open safely"),
    "too elongated": ("strip.png", lambda: _png(_ramp(20, 2000)), "too elongated"),
    # load() needs 16 pixels a side whatever the degradation
    "7×5 image, super-resolution ×3": ("tiny.png", lambda: _png(_ramp(5, 7)),
                                       "This image is 7×5 pixels; RED Lab needs at least 16"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_shows_a_message_and_the_page_keeps_working(at, case):
    name, make, message = BAD_FILES[case]
    upload(at, name, make(), degradation="super_resolution_x3" if "×3" in case else None)
    assert not at.exception, at.exception
    assert any(message in e for e in errors(at)), (case, errors(at))
    assert degraded_psnr(at) is None  # the page stopped before the problem
    assert_page_still_works(at)


def test_image_too_small_for_super_resolution_names_the_minimum(at):
    """20×20 passes the loader but not ×3 super-resolution (8 low-resolution pixels a side)."""
    upload(at, "small.png", _png(_ramp(20, 20)), degradation="super_resolution_x3")
    assert not at.exception, at.exception
    assert errors(at) == [
        "This image is 20×20 pixels; super-resolution ×3 needs at least 24 pixels on each side."
    ]
    set_degradation(at, "super_resolution_x2").run()  # needs 16: fine
    assert not at.error, errors(at)
    assert degraded_psnr(at) is not None
    assert_page_still_works(at)


# --------------------------------------------------------------------------- across pages


def _result_titles(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


def test_upload_survives_a_page_change_with_its_results(at):
    """Upload, race, visit another page, come back: the upload is still the problem (same
    degraded PSNR, no notice about ignored link settings) and the finished race's results are
    still shown."""
    upload(at, "photo.png", valid_png())
    assert not at.error, errors(at)
    before = degraded_psnr(at)
    at.number_input(key="a_iters").set_value(3)
    at.number_input(key="b_iters").set_value(3)
    at.button(key="run").click().run()
    assert at.session_state["race"].wait(120)
    at.run()
    assert "4 · Results" in _result_titles(at), _result_titles(at)
    for page in ("pages/home.py", "pages/compare.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        at.switch_page("pages/restore.py").run()
        assert not at.exception, at.exception
        assert at.selectbox(key="image").value == "upload"
        assert degraded_psnr(at) == before, page
        captions = [c.value for c in at.caption]
        assert any("Using your image **photo.png**" in c for c in captions), captions
        assert not any("Link settings not used" in c or "Ignored" in c for c in captions), captions
        assert not any("set-up changed" in i for i in notices(at)), notices(at)
        assert "4 · Results" in _result_titles(at), (page, _result_titles(at))
    # A new file replaces the kept one.
    at.file_uploader(key="upload").upload("ramp.png", _png(_ramp(64, 64)), "image/png").run()
    assert degraded_psnr(at) != before
    assert any("set-up changed" in i for i in notices(at)), notices(at)


