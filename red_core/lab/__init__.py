"""What the pages compute and draw, as plain functions a notebook can call too.

- ``race``: RED and PnP contenders on one problem, advanced live (the "Restore" page);
- ``offload``: a slow denoiser's calls in low-priority worker processes (a race's slow lane);
- ``field1d``: the RED gradient field of a 1-D signal and RED descent on it;
- ``jacobian_lab``: inputs and analyses of the "Jacobian lab" page;
- ``tweedie``: the 1-D and 2-D demonstrations of the "Score and Tweedie" page;
- ``quiz``: the "Quick check" questions and their feedback;
- ``plots``: every plotly figure (the only module of red_core that imports plotly), built
  from plain figure specs; ``plots.svg`` draws a spec as inline SVG through ``svgplot``;
- ``svgplot``: the SVG drawing of a figure spec, for the charts redrawn on every slider move
  or animation frame (the 1-D page, the race's live curves).

Import the module you need (``from red_core.lab import race``); this package itself imports
nothing.
"""
