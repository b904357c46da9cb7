"""``showerml reweight``: DCTR weights for a generated shower sample (e.g. a fastsim model's output) against a
reference, on showerml's high-level shower features (:func:`~showerml.features.inputs.high_level_inputs`: layer
energies, centroids, widths … and log E_inc). Writes ``weights.h5`` (one weight per generated shower, in file order),
``metrics.json`` (AUC and separation powers before/after, ESS) and a weight-distribution figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from showerml.errors import InputError
from showerml.features.inputs import high_level_inputs
from showerml.features.showers import informative_features, shower_features
from showerml.inference.dctr import DctrResult, dctr
from showerml.io.hdf5 import EventWriter
from showerml.io.runfolder import RunFolder
from showerml.io.showers import load_showers

__all__ = ["run_reweight"]


def run_reweight(out: Path, generated: Path, reference: Path, max_events: int | None, seed: int,
                 overwrite: bool = False) -> tuple[DctrResult, dict[str, Any]]:
    """Check both files (same geometry) before writing anything, then reweight and write the run folder."""
    gen = load_showers(generated, max_events)
    ref = load_showers(reference, max_events)
    if gen.geometry != ref.geometry:
        raise InputError(f"{generated} has geometry '{gen.geometry.name}' ({gen.geometry.n_voxels} voxels) but "
                         f"{reference} has '{ref.geometry.name}' ({ref.geometry.n_voxels}); reweight showers of one "
                         "geometry")
    t_ref, t_gen = shower_features(ref), shower_features(gen)
    names = informative_features(t_ref)
    x_ref = high_level_inputs(ref, t_ref, names)
    x_gen = high_level_inputs(gen, t_gen, names)
    with RunFolder(out, overwrite=overwrite) as run:
        res = dctr(x_ref, x_gen, [*names, "log_E_inc"], seed)
        with EventWriter(run.path / "weights.h5", attrs={"content": "DCTR weights w = D/(1-D) per generated shower",
                                                        "generated": str(generated),
                                                        "reference": str(reference)}) as w:
            w.append({"weight": res.weights})
        metrics = {"generated": str(generated), "reference": str(reference), "n_generated": len(gen),
                   "n_reference": len(ref), **res.as_dict()}
        run.write_json("metrics.json", metrics)
        import matplotlib.pyplot as plt

        from showerml.inference.plots import draw_weights

        (run.path / "figures").mkdir()
        fig = draw_weights({"DCTR weights": res.weights})
        fig.savefig(run.path / "figures" / "weights.png", dpi=90, bbox_inches="tight")
        plt.close(fig)
    if not np.isfinite(res.weights).all():  # pragma: no cover - isotonic output is clipped away from 0 and 1
        raise InputError("non-finite weights")
    return res, metrics
