"""The theory the lab makes tangible, computed exactly (no plotting, no display names).

- ``regulariser``: RED's regulariser ``ρ``, its objective ``E = f + λρ`` and gradients;
- ``diagnostics``: Jacobian symmetry, local homogeneity and RED-gradient errors of a denoiser;
- ``score``: Gaussian mixtures, their exact MMSE denoisers and scores (Tweedie);
- ``landscape``: the objective on a 2-D slice through an iterate.

Import the module you need (``from red_core.theory import diagnostics``); this package itself
imports nothing.
"""
