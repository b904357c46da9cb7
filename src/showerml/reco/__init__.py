"""Reconstruction and identification for the DAMPE-like detector: each ML method next to its classical baseline.

Every task implements :class:`~showerml.reco.task.ReconstructionTask` in its own module of :mod:`.tasks` and is
found through :mod:`.registry`. Building blocks: :mod:`.data` (files → arrays, labels, splits), :mod:`.features`
(ζ, shower shapes, the calorimeter line fit), :mod:`.bdt` (gradient-boosted trees with a pickle-free format),
:mod:`.nets` (CNNs), :mod:`.estimators` (the torch models behind one ``fit`` / ``predict`` interface),
:mod:`.direction` (the axis CNN), :mod:`.direction_likelihood` (the bar likelihood fit), :mod:`.tracking` and
:mod:`.track_finder` (Hough + CNN and the combinatorial χ² finder), :mod:`.charge`, :mod:`.saturation`,
:mod:`.interaction`; :mod:`.results` and :mod:`.runs` hold the typed results.
"""

__all__: list[str] = []
