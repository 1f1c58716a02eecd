r"""Forward models :math:`y = A x` of the restoration problems.

Every operator is linear and knows its adjoint, its output shape, its operator norm and how to
solve the normal equations :math:`(\alpha A^\top A + \beta I)\,x = r` quickly (FFT closed forms
for the blurs and super-resolution, element-wise for masks), which is all the RED and PnP solvers
need. Images are ``(H, W)`` grey or ``(H, W, 3)`` colour float arrays; the same spatial operator
acts on every channel.

The degradations a user can pick are entries of one registry (:class:`Degradation`: builder,
label, parameters with ranges and help, minimum side, cropping rule), registered next to their
operator class:

- ``base``: the :class:`Operator` interface and the generic norm / normal-equation fall-backs;
- ``identity``: ``denoise``;
- ``blurs``: ``gaussian_blur``, ``uniform_blur``, ``motion_blur`` (circular convolutions);
- ``decimation``: ``super_resolution``;
- ``masks``: ``inpainting``.

Examples
--------
>>> from red_core import operators
>>> operators.names()
('denoise', 'gaussian_blur', 'uniform_blur', 'motion_blur', 'super_resolution', 'inpainting')
>>> A = operators.build("super_resolution", (48, 48), factor=3)
>>> A.out_shape, operators.entry("super_resolution").min_side(A.params)
((16, 16), 24)
"""

from red_core.operators.base import Operator, power_norm, solve_normal_cg, spatial_shape
from red_core.operators.registry import Degradation, build, entry, names, register, unregister

# The entries register themselves, in the order pages list them.
from red_core.operators.identity import Identity  # isort: skip
from red_core.operators.blurs import (  # isort: skip
    CircularConvolution, gaussian_kernel, motion_kernel, transfer_function,
)
from red_core.operators.decimation import Decimation  # isort: skip
from red_core.operators.masks import Mask  # isort: skip

#: The built-in degradations (``names()`` also lists those registered later).
NAMES: tuple[str, ...] = names()

__all__ = [
    "NAMES", "CircularConvolution", "Decimation", "Degradation", "Identity", "Mask", "Operator",
    "build", "entry", "gaussian_kernel", "motion_kernel", "names", "power_norm", "register",
    "solve_normal_cg", "spatial_shape", "transfer_function", "unregister",
]
