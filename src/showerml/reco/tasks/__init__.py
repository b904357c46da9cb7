"""One module per reconstruction task; each registers its task(s) with :func:`showerml.reco.registry.register`.

:mod:`showerml.reco.registry` imports every module of this package, so a new task is a new module here.
"""

__all__: list[str] = []
