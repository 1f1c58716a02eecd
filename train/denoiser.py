"""Train the lab's two CNN denoisers on the CPU with PyTorch and write them to ``assets/``.

* ``cnn``: a residual CNN ``D(x) = x − R(x, σ)``, ``R`` a small U-Net in DRUNet's layout.
  The image is pixel-unshuffled 2×2 (four half-resolution channels, as in FFDNet), the noise
  level enters as a constant map ``σ / σ_max``, then 3×3 convolutions with ReLU at three
  scales (H/2, H/4, H/8; 48, 64, 96 channels), pixel-unshuffle + 1×1 convolution down,
  1×1 convolution + pixel shuffle up with skip connections, and a pixel shuffle back.
  It replaced an 8-layer plain stack (48 channels at H/2; 0.34 s per training step against
  the U-Net's 0.25 s): in a 6-minute trial (1,200 plain steps against 1,500 U-Net steps) it
  scored +0.05, +0.08 and +0.37 dB on the held-out images at σ 15, 25, 50; with the full
  budget (7,500 U-Net steps against the plain network's 5,500) +0.45, +0.45 and +0.52 dB.
* ``cnn_gs``: a gradient-step denoiser ``D(x) = x − ∇g(x)`` with ``g(x) = ½‖x − N(x)‖²``
  and ``N(x) = x − R(x, σ)`` for a smaller plain network ``R`` (6 convolutions, 32 channels
  at H/2) with SiLU
  (smooth, so ``g`` is C∞ and ``J_D = I − ∇²g`` is symmetric).  Trained through
  ``torch.autograd.grad(..., create_graph=True)``.

Both are trained on random 64×64 patches (8 flips/rotations) of grey ``skimage.data`` images
(and their half-size copies; images drawn uniformly, nearly flat patches redrawn),
with white Gaussian noise of a per-patch ``σ ~ U[0, 50/255]``, MSE loss on ``D(y)``, Adam
with a cosine learning rate.  The held-out images (camera, astronaut, coffee, chelsea and
its duplicate ``cat``) are never seen; they are used for the reported PSNR, which is
measured with the *numpy* inference of ``red_core.cnn`` (the code the lab runs).

Development only: ``pip install torch==2.13.0`` (CPU build).  Seeded; one run of both
models takes about 41 minutes on 2 cores (``--steps`` scales it)::

    python train/denoiser.py                # both models, default steps
    python train/denoiser.py --model cnn --steps 200 --out /tmp/try   # a quick try

Writes ``<out>/<model>.npz`` (float32 weights in torch layout ``w{i}`` (Cout, Cin, k, k),
``b{i}``, in the order of ``model.convs``) and ``<out>/<model>.json`` (the card:
architecture, training set, steps, time, held-out PSNR).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from skimage import color, data, transform

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from red_core.denoisers import cnn  # noqa: E402  (numpy inference: the held-out PSNR is measured with it)
from red_core.metrics import psnr

#: Held out from training: the images the benchmarks, tests and examples use.
HELD_OUT = ("camera", "astronaut", "coffee", "chelsea")
#: Training images (offline ``skimage.data``); colour ones contribute each channel as a grey image.
#: ``cat`` is the same photograph as ``chelsea``, so it is excluded too.
TRAIN = ("brick", "clock", "coins", "grass", "gravel", "moon", "page", "text", "cell",
         "hubble_deep_field", "immunohistochemistry", "rocket", "retina", "stereo_motorcycle",
         "colorwheel", "microaneurysms", "shepp_logan_phantom")

ARCHITECTURES = {
    "cnn": {"type": "unet", "channels": [48, 64, 96], "activation": "relu", "factor": 2},
    "cnn_gs": {"type": "plain", "channels": 32, "hidden_layers": 4, "activation": "silu",
               "factor": 2},
}
DEFAULT_STEPS = {"cnn": 7500, "cnn_gs": 1800}
PATCH = 64
BATCH = 32
LR = 1.5e-3


def training_images() -> list[np.ndarray]:
    """Grey float32 images in [0, 1]: the training set (colour ones through ``rgb2gray``; both
    views of ``stereo_motorcycle``), each also at half size when its short side is >= 256
    (more detail per patch, as in natural photos at screen size)."""
    grey = []
    for name in TRAIN:
        im = getattr(data, name)()
        views = list(im[:2]) if isinstance(im, tuple) else [im]  # stereo pair: left, right
        for view in views:
            view = np.asarray(view)
            if view.dtype == bool:
                view = view.astype(np.float64)
            elif view.dtype == np.uint8:
                view = view / 255.0
            if view.ndim == 3:
                view = color.rgb2gray(view[..., :3])
            grey.append(view.astype(np.float32))
    images = []
    for im in grey:
        images.append(im)
        if min(im.shape) >= 256:
            images.append(transform.rescale(im, 0.5, anti_aliasing=True).astype(np.float32))
    return [im for im in images if min(im.shape) >= PATCH]


class Sampler:
    """Random patches: an image chosen uniformly (not by area: the large retina and Hubble
    images are mostly black), a random crop (nearly flat crops, std < 0.01, are redrawn up to
    four times), one of the 8 flips/rotations."""

    def __init__(self, images: list[np.ndarray], seed: int) -> None:
        self.images = images
        self.rng = np.random.default_rng(seed)

    def patch(self) -> np.ndarray:
        for _ in range(5):
            im = self.images[self.rng.integers(len(self.images))]
            i = self.rng.integers(0, im.shape[0] - PATCH + 1)
            j = self.rng.integers(0, im.shape[1] - PATCH + 1)
            patch = im[i: i + PATCH, j: j + PATCH]
            if patch.std() >= 0.01:
                break
        patch = np.rot90(patch, self.rng.integers(4))
        return patch[:, ::-1] if self.rng.integers(2) else patch

    def batch(self, n: int) -> np.ndarray:
        out = np.empty((n, 1, PATCH, PATCH), np.float32)
        for k in range(n):
            out[k, 0] = self.patch()
        return out


def _sigma_input(x: torch.Tensor, sigma: torch.Tensor, factor: int) -> torch.Tensor:
    """Pixel-unshuffled image with the constant map ``σ / σ_max`` appended as a channel."""
    z = F.pixel_unshuffle(x, factor)
    smap = (sigma / cnn.SIGMA_MAX).reshape(-1, 1, 1, 1).expand(-1, 1, *z.shape[2:])
    return torch.cat([z, smap.to(z.dtype)], dim=1)


class ResidualNet(torch.nn.Module):
    """``R(x, σ)``: unshuffle → conv/act ×(hidden+1) → conv → shuffle (see module docstring)."""

    def __init__(self, channels: int, hidden_layers: int, activation: str, factor: int,
                 type: str = "plain") -> None:  # noqa: A002  (the card's key)
        super().__init__()
        self.factor = factor
        f2 = factor * factor
        sizes = [f2 + 1] + [channels] * (hidden_layers + 1) + [f2]
        self.convs = torch.nn.ModuleList(
            torch.nn.Conv2d(a, b, 3, padding=1) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.act = {"relu": F.relu, "silu": F.silu}[activation]

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        h = _sigma_input(x, sigma, self.factor)
        for k, conv in enumerate(self.convs):
            h = conv(h)
            if k < len(self.convs) - 1:
                h = self.act(h)
        return F.pixel_shuffle(h, self.factor)


class UNet(torch.nn.Module):
    """``R(x, σ)`` as a small U-Net (DRUNet's layout, ReLU): after the unshuffle and the σ map,
    3×3 convolutions at three scales (H/2, H/4, H/8 with ``channels`` c1, c2, c3); between
    scales a pixel-unshuffle + 1×1 convolution down (a 2×2 stride-2 convolution) and a 1×1
    convolution + pixel shuffle up (a 2×2 transposed convolution), added to the skip.

    The 14 convolutions are ``self.convs`` in this order (the ``w{k}`` of the ``.npz``):
    head, e1, down1, e2a, e2b, down2, b1, b2, up2, d2a, d2b, up1, d1, tail.
    """

    LAYERS = ("head", "e1", "down1", "e2a", "e2b", "down2", "b1", "b2", "up2", "d2a", "d2b",
              "up1", "d1", "tail")

    def __init__(self, channels: list[int], activation: str, factor: int,
                 type: str = "unet") -> None:  # noqa: A002  (the card's key)
        super().__init__()
        if activation != "relu":
            raise ValueError("the U-Net uses ReLU")
        c1, c2, c3 = channels
        f2 = factor * factor
        self.factor = factor
        shapes = {"head": (f2 + 1, c1, 3), "e1": (c1, c1, 3), "down1": (4 * c1, c2, 1),
                  "e2a": (c2, c2, 3), "e2b": (c2, c2, 3), "down2": (4 * c2, c3, 1),
                  "b1": (c3, c3, 3), "b2": (c3, c3, 3), "up2": (c3, 4 * c2, 1),
                  "d2a": (c2, c2, 3), "d2b": (c2, c2, 3), "up1": (c2, 4 * c1, 1),
                  "d1": (c1, c1, 3), "tail": (c1, f2, 3)}
        self.convs = torch.nn.ModuleList(
            torch.nn.Conv2d(a, b, k, padding=k // 2) for a, b, k in
            (shapes[name] for name in self.LAYERS))

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        (head, e1, down1, e2a, e2b, down2, b1, b2, up2, d2a, d2b, up1, d1,
         tail) = self.convs
        h = F.relu(head(_sigma_input(x, sigma, self.factor)))
        s1 = h = F.relu(e1(h))
        h = down1(F.pixel_unshuffle(h, 2))
        s2 = h = F.relu(e2b(F.relu(e2a(h))))
        h = down2(F.pixel_unshuffle(h, 2))
        h = F.relu(b2(F.relu(b1(h))))
        h = F.pixel_shuffle(up2(h), 2) + s2
        h = F.relu(d2b(F.relu(d2a(h))))
        h = F.pixel_shuffle(up1(h), 2) + s1
        h = F.relu(d1(h))
        return F.pixel_shuffle(tail(h), self.factor)


def build_model(kind: str) -> torch.nn.Module:
    """The untrained network of ``kind`` (``ARCHITECTURES[kind]``)."""
    arch = ARCHITECTURES[kind]
    return (UNet if arch["type"] == "unet" else ResidualNet)(**arch)


def denoise(model: torch.nn.Module, kind: str, y: torch.Tensor, sigma: torch.Tensor,
            create_graph: bool = False) -> torch.Tensor:
    """``D(y)``: ``y − R`` for ``cnn``; ``y − ∇g(y)``, ``g = ½‖R‖²`` for ``cnn_gs``."""
    if kind == "cnn":
        return y - model(y, sigma)
    with torch.enable_grad():
        y = y if y.requires_grad else y.clone().requires_grad_(True)
        r = model(y, sigma)
        g = 0.5 * (r * r).sum()
        (grad,) = torch.autograd.grad(g, y, create_graph=create_graph)
    return y - grad


def export(model: torch.nn.Module) -> dict[str, np.ndarray]:
    arrays = {}
    for k, conv in enumerate(model.convs):
        arrays[f"w{k}"] = conv.weight.detach().numpy().astype(np.float32)
        arrays[f"b{k}"] = conv.bias.detach().numpy().astype(np.float32)
    return arrays


def held_out_psnr(kind: str, weights_dir: Path) -> dict[str, dict[str, float]]:
    """PSNR (dB) of the numpy denoiser on the grey held-out images at 15, 25, 50/255."""
    net = cnn.load(kind, directory=weights_dir)
    table = {}
    for level in cnn.HELD_OUT_SIGMAS:
        row = {}
        for name in HELD_OUT:
            clean, noisy = cnn.held_out_pair(name, level / 255)
            row[name] = round(psnr(clean, net.denoise(noisy, level / 255), clip=False), 3)
        row["mean"] = round(float(np.mean(list(row.values()))), 3)
        table[str(level)] = row
    return table


def train(kind: str, steps: int, seed: int, out: Path, log_every: int = 50) -> dict:
    torch.manual_seed(seed)
    arch = ARCHITECTURES[kind]
    model = build_model(kind)
    if kind == "cnn_gs":  # start near D = I (small ∇g): scale the last layer down
        with torch.no_grad():
            model.convs[-1].weight.mul_(0.1)
    sampler = Sampler(training_images(), seed)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)) * 0.99 + 0.01)
    gen = torch.Generator().manual_seed(seed + 1)
    start = time.perf_counter()
    running = 0.0
    for step in range(1, steps + 1):
        clean = torch.from_numpy(sampler.batch(BATCH))
        sigma = torch.rand(BATCH, generator=gen) * cnn.SIGMA_MAX
        noisy = clean + sigma.reshape(-1, 1, 1, 1) * torch.randn(clean.shape, generator=gen)
        out_ = denoise(model, kind, noisy, sigma, create_graph=True)
        loss = F.mse_loss(out_, clean)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running += loss.item()
        if step % log_every == 0 or step == steps:
            n = log_every if step % log_every == 0 else step % log_every
            rmse = math.sqrt(running / n) * 255
            print(f"[{kind}] step {step}/{steps}  rmse {rmse:.2f}/255  "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
            running = 0.0
    seconds = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / f"{kind}.npz", **export(model))
    card = {
        "name": kind,
        "architecture": {**arch, "conv_layers": len(model.convs),
                         "kernel": ("3 (1×1 around the scale changes)" if arch["type"] == "unet"
                                    else 3),
                         "input": "pixel-unshuffled image (factor² channels) + σ/σ_max map",
                         "output": ("residual R; D(x) = x − R(x, σ)" if kind == "cnn" else
                                    "R; D(x) = x − ∇g(x), g(x) = ½‖R(x, σ)‖²"),
                         "parameters": int(sum(p.numel() for p in model.parameters()))},
        "sigma_max": cnn.SIGMA_MAX,
        "training": {"images": list(TRAIN), "grey": "rgb2gray of colour images",
                     "held_out": list(HELD_OUT) + ["cat (= chelsea)"],
                     "patch": PATCH, "batch": BATCH, "steps": steps, "optimizer": "Adam",
                     "lr": LR, "schedule": "cosine to 1%", "noise": "σ ~ U[0, 50/255] per patch",
                     "augmentation": "8 flips/rotations; half-size copies of images >= 256 px; "
                                     "images drawn uniformly; crops with std < 0.01 redrawn",
                     "seed": seed,
                     "seconds": round(seconds, 1), "torch": torch.__version__,
                     "threads": torch.get_num_threads(), "machine": platform.processor() or
                     platform.machine()},
    }
    card_path = out / f"{kind}.json"
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    card["held_out_psnr"] = held_out_psnr(kind, out)
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(card["held_out_psnr"], indent=2), flush=True)
    return card


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("cnn", "cnn_gs", "both"), default="both")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"training steps (default {DEFAULT_STEPS})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=cnn.ASSETS)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    for kind in (("cnn", "cnn_gs") if args.model == "both" else (args.model,)):
        train(kind, args.steps or DEFAULT_STEPS[kind], args.seed, args.out)


if __name__ == "__main__":
    main()
