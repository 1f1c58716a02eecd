"""One vocabulary for every page: names, symbols, units and one-line help.

Every page labels its widgets, table columns, curves and statuses from here, so a word means
the same thing everywhere. The conventions:

- pixel values live in [0, 1] in the library; **every noise level a page shows — the noise
  σₑ of the observation and the denoiser σ_d — is in units of 1/255** (grey levels of an 8-bit
  image): ``noise σₑ = 10`` on a page is ``noise_sigma = 10/255`` in code;
- **λ is shown as the scale-free weight λ·σₑ²** (the regulariser against the data term
  ``f = ‖Ax − y‖²/(2σₑ²)``); its absolute value λ is given next to it;
- the **stationarity residual** is ``‖∇f(x) + λ(x − D(x))‖`` (zero at RED's fixed points); the
  **relative change** is ``‖x_k − x_{k−1}‖ / ‖x_{k−1}‖`` (zero at any algorithm's fixed point).
  Neither is called "the residual" alone.

Examples
--------
>>> from red_core import glossary
>>> glossary.label("noise_sigma")
'Noise σₑ (×1/255)'
>>> glossary.term("residual").name
'stationarity residual'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PIXEL_UNIT", "STATUS", "TERMS", "Term", "column", "help_text", "label", "term"]

#: How a page shows a noise level: σ in [0, 1] pixel units is ``σ · PIXEL_UNIT`` on screen.
PIXEL_UNIT = 255.0


@dataclass(frozen=True)
class Term:
    """One quantity: its words, symbol, unit (as shown) and one line of help."""

    key: str
    name: str
    symbol: str = ""
    unit: str = ""
    help: str = ""

    @property
    def label(self) -> str:
        """``Name symbol (unit)``, e.g. ``Noise σₑ (×1/255)``."""
        text = self.name[0].upper() + self.name[1:]
        if self.symbol:
            text += f" {self.symbol}"
        return f"{text} ({self.unit})" if self.unit else text


_TERMS = (
    # the problem
    Term("noise_sigma", "noise", "σₑ", "×1/255",
         "Standard deviation of the white Gaussian noise added to Ax, in grey levels of 255."),
    Term("denoiser_sigma", "denoiser", "σ_d", "×1/255",
         "The noise level the denoiser is tuned for (not the noise of the image): larger "
         "smooths more. Linked, it follows the noise, the algorithm and the denoiser."),
    Term("seed", "seed", "", "", "Draws the noise (and the inpainting mask): same seed, same "
         "problem."),
    Term("size", "size", "", "pixels", "The longer side of the image after resizing."),
    Term("lipschitz", "Lipschitz constant of ∇f", "L_f", "", "‖AᵀA‖/σₑ²: the step bounds of "
         "gradient methods are fractions of 1/L_f."),
    Term("degraded_psnr", "PSNR of the degraded image", "", "dB",
         "The starting point the solvers see (the observation, up-sampled or hole-filled)."),
    # the algorithms
    Term("lam", "regularisation weight", "λσₑ²", "",
         "How much the denoiser prior weighs against the data term, scale free (λ times σₑ²): "
         "larger smooths more, smaller trusts the noisy data more."),
    Term("step", "step size", "μ", "", "Gradient step; RED-GD is safe below 2/(L_f + λ), "
         "PnP-PGD at or below 1/L_f."),
    Term("beta", "penalty", "β", "", "Couples the data step and the denoiser step of a splitting "
         "method."),
    # per-iteration quantities
    Term("iter", "iteration", "k"),
    Term("psnr", "PSNR", "", "dB", "Peak signal-to-noise ratio against the truth: higher is "
         "better; +1 dB is a visible gain."),
    Term("ssim", "SSIM", "", "", "Structural similarity against the truth, 1 is perfect."),
    Term("objective", "objective", "E(x)", "", "RED's E(x) = f(x) + λρ(x), or f(x) + λg(x) for "
         "a gradient-step denoiser: what RED minimises when its assumptions hold."),
    Term("residual", "stationarity residual", "‖∇f + λ(x − D(x))‖", "",
         "Zero exactly at RED's fixed points (stationary points of E when J is symmetric)."),
    Term("rel_change", "relative change", "‖xₖ − xₖ₋₁‖/‖xₖ₋₁‖", "",
         "How much the iterate still moves: zero at any algorithm's fixed point (PnP's kind)."),
    Term("time", "algorithm time", "", "s", "Seconds of the algorithm's own work (statistics "
         "excluded)."),
    Term("denoiser_calls", "denoiser calls", "", "", "Calls the algorithm made to D "
         "(statistics excluded): one per iteration for every method here."),
    Term("best_psnr", "best PSNR", "", "dB", "The best PSNR over the run (its iterate is kept)."),
    Term("best_iter", "best at iteration", "", ""),
    Term("iterations", "iterations", "", ""),
    Term("seconds", "time", "", "s", "Wall time of the algorithm's own work."),
    Term("ms_per_iteration", "time per iteration", "", "ms"),
    # sweeps (red_core.sweeps): the axes and the extra columns of the results table
    Term("lam_scale", "weight scale", "λ/λ₀", "", "λ as a multiple of the algorithm's default λ₀ "
         "(RED only): 1 is the default, 2 twice as strong a prior."),
    Term("sigma_scale", "denoiser scale", "σ_d/σ_d⁰", "", "The denoiser σ_d as a multiple of the "
         "suggested one (it follows the noise, the algorithm and the denoiser)."),
    Term("beta_scale", "penalty scale", "β/β₀", "", "β as a multiple of its default (the methods "
         "that have β)."),
    Term("step_scale", "step scale", "μ/μ₀", "", "The step μ as a multiple of its default "
         "(RED-GD, PnP-PGD)."),
    Term("max_iter", "iteration limit", "", "", "The run stops after this many iterations "
         "unless it converged before."),
    Term("suggested_sigma", "suggested denoiser", "σ_d⁰", "×1/255", "The σ_d a run takes when "
         "none is given: a multiple of the noise σₑ per algorithm group and denoiser."),
    Term("seconds_to_99", "time to 99 % of the best", "", "s", "Algorithm time until the PSNR "
         "first reached 99 % of the run's best PSNR (in dB)."),
    Term("run_seconds", "run time", "", "s", "Wall time of the whole solvers.run call, "
         "statistics (objective, stationarity residual) included."),
    Term("setup_seconds", "set-up time", "", "s", "Building the problem and the denoiser on the "
         "worker before the run."),
    Term("flag", "health", "", "", "The most serious health flag of the run: oscillating, "
         "peaked, stalled, or ok."),
    Term("cached", "from the cache", "", "", "The row was computed before and answered by the "
         "sweep cache (no new run)."),
    Term("worker", "worker", "", "", "The Dask worker that ran the cell."),
    Term("status", "status", "", "", "How the run ended (see the statuses)."),
    Term("health", "health", "", "", "What the curves say beyond the status: peaked, "
         "oscillating, stalled, or ok."),
    Term("method", "algorithm"),
    Term("denoiser", "denoiser"),
    Term("run", "lane"),
    # what an iteration costs (RED vs PnP)
    Term("calls_per_iteration", "denoiser calls per iteration", "", "", "Calls to D per "
         "iteration (statistics excluded): 1 for every method here, the source's identical "
         "work."),
    Term("data_steps_per_iteration", "data-term steps per iteration", "", "", "Gradient steps "
         "∇f or proxes of f per iteration: 1 for every method here."),
    Term("data_step", "data step", "", "", "How f enters an iteration: a gradient ∇f (RED-GD, "
         "PnP-PGD: one product with AᵀA) or a prox / linear solve of f (the others: an FFT "
         "solve, or conjugate gradients)."),
    Term("denoiser_ms_per_call", "denoiser time per call", "", "ms", "Measured. It depends on "
         "the denoiser and its σ_d (TV iterates longer at a larger σ_d), not on the algorithm."),
    Term("overhead_ms_per_iteration", "other time per iteration", "", "ms", "Measured time "
         "besides the denoiser: the data step and the vector updates."),
    Term("fixed_point", "fixed point sought", "", "", "A stationary point of E (RED: "
         "∇f + λ(x − D(x)) = 0) or an operator fixed point x = T(x) (PnP), which need not be "
         "stationary for any E."),
    Term("stationarity_ratio", "stationarity residual / first", "", "", "The last stationarity "
         "residual over the first: how far the run got towards a stationary point of E."),
    Term("step_bound", "step bound", "", "", "The largest step size the algorithm's theory "
         "allows on this problem (RED-GD: 2/(L_f + λ), PnP-PGD: 1/L_f)."),
    # the Jacobian lab
    Term("lipschitz_J", "local Lipschitz constant of D", "‖J‖₂", "", "Largest gain of D on a "
         "small perturbation of x; at most 1 means D is locally non-expansive (what PnP's "
         "convergence proofs ask)."),
    Term("eig_sym", "eigenvalues of (J + Jᵀ)/2", "[λ_min, λ_max]", "", "RED-GD's safe step "
         "assumes them in [0, 1]; λ_max ≤ 1 makes x − D(x) locally monotone."),
    Term("symmetric_by_design", "symmetric by construction", "", "", "The registry says "
         "J = Jᵀ by construction (linear symmetric smoothers, gradient-step denoisers, the "
         "MMSE denoiser)."),
    Term("crop_size", "crop size", "", "pixels", "Side of the square crop: J is size² × size²."),
    # the score page (a toy prior on the real line, not an image)
    Term("score_sigma", "noise", "σ", "units of x", "Standard deviation of the Gaussian noise "
         "on the toy prior's values. The prior lives on the real line, not on pixels, so this "
         "σ is not in ×1/255."),
    # the Jacobian
    Term("symmetry", "symmetry error", "e_J", "", "‖J − Jᵀ‖²_F / ‖J‖²_F: 0 for a symmetric "
         "Jacobian; RED's gradient is exact only then (and with homogeneity)."),
    Term("homogeneity", "homogeneity error", "", "", "‖J(x)x − D(x)‖² / ‖D(x)‖²: 0 when D is "
         "locally homogeneous, D((1+ε)x) = (1+ε)D(x) — a property of D."),
    Term("gradient", "RED-gradient error", "", "", "‖∇ρ(x) − (x − D(x))‖ / ‖∇ρ(x)‖: how far "
         "RED's gradient is from the true gradient of ρ."),
    # the 1-D gradient field
    Term("signal", "signal", "", "", "The clean 1-D test signal; the seed draws its noise."),
    Term("length", "length", "n", "samples", "Number of samples of the 1-D signal."),
    Term("link_sigma", "link σ_d to the noise", "", "", "Linked, the denoiser σ_d is set "
         "from the noise σₑ; unlink it to set σ_d by hand."),
    Term("step_fraction", "step fraction", "μ/(2/(L_f + λ))", "", "RED-GD's step as a fraction "
         "of its safe bound 2/(L_f + λ): below 1 is safe when the eigenvalues of D's Jacobian "
         "lie in [0, 1]; 0.5 is μ = 1/(L_f + λ), no overshoot along the data term."),
)
TERMS: dict[str, Term] = {t.key: t for t in _TERMS}

#: What each final status means, in one line.
STATUS: dict[str, str] = {
    "running": "still iterating",
    "converged": "the relative change fell below the tolerance twice in a row",
    "max_iter": "stopped at the iteration limit",
    "diverged": "the iterate left every sensible range: lower the parameter named",
    "stopped": "stopped by the user (or nobody watched)",
    "error": "the denoiser or the operator refused: its message says why",
}


def term(key: str) -> Term:
    """The :class:`Term` of ``key``."""
    try:
        return TERMS[key]
    except KeyError:
        raise ValueError(f"no glossary term {key!r}") from None


def label(key: str) -> str:
    """The on-screen label of ``key`` (``Term.label``); the key itself when it has no term."""
    return TERMS[key].label if key in TERMS else key


def help_text(key: str) -> str:
    """The one-line help of ``key`` ('' when none)."""
    return TERMS[key].help if key in TERMS else ""


def column(key: str) -> str:
    """A table column header: the name with its unit, e.g. ``PSNR (dB)``."""
    t = TERMS.get(key)
    if t is None:
        return key
    name = t.name[0].upper() + t.name[1:]
    return f"{name} ({t.unit})" if t.unit else name
