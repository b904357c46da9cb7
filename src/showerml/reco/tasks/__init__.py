"""One module per reconstruction task; each lists its task instance(s) in a module-level ``REGISTERED`` tuple.

:mod:`showerml.reco.registry` imports every module of this package and registers them, so a new task is a new module
here.
"""

__all__: list[str] = []
