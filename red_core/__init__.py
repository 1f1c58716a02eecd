"""RED Lab core: forward models, denoisers, RED/PnP solvers and diagnostics.

The package never imports streamlit; it is usable from a notebook or a script.
"""
