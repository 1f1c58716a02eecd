"""Image quality metrics (scikit-image): the one PSNR and SSIM of the lab."""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

__all__ = ["psnr", "ssim"]


def psnr(truth: np.ndarray, x: np.ndarray, clip: bool = True) -> float:
    """PSNR in dB of ``x`` against ``truth`` (data range 1).

    ``x`` is clipped to [0, 1] first, as it is displayed (``clip=False`` scores the raw values,
    as the CNN model cards do for a denoiser's own output).
    """
    return float(peak_signal_noise_ratio(truth, np.clip(x, 0.0, 1.0) if clip else x,
                                         data_range=1.0))


def ssim(truth: np.ndarray, x: np.ndarray) -> float:
    """SSIM of ``x`` clipped to [0, 1] against ``truth``; colour images use ``channel_axis=-1``."""
    channel_axis = -1 if truth.ndim == 3 else None
    small = min(truth.shape[:2])
    win = min(7, small if small % 2 else small - 1)
    return float(structural_similarity(truth, np.clip(x, 0.0, 1.0), data_range=1.0,
                                       channel_axis=channel_axis, win_size=max(win, 3)))
