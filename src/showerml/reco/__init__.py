"""Reconstruction and identification for the DAMPE-like detector: each ML method next to its classical baseline.

Modules: :mod:`.data` (files → arrays, labels, splits), :mod:`.features` (ζ, shower shapes, the calorimeter line
fit), :mod:`.bdt` (gradient-boosted trees with a pickle-free format), :mod:`.nets` (CNNs), :mod:`.estimators`
(the torch models behind one ``fit`` / ``predict`` interface), :mod:`.direction`, :mod:`.tracking` (Hough + CNN
and the combinatorial χ² finder), :mod:`.charge`, :mod:`.saturation`, :mod:`.interaction`.
"""

__all__: list[str] = []
