"""Read-out geometries of the calorimeters showerml simulates or reads.

- CaloGAN (Paganini, de Oliveira, Nachman, arXiv:1712.10321; hep-lbdl/CaloGAN): three Pb/LAr layers of depth
  90 / 347 / 43 mm with cells 5×160, 40×40 and 80×40 mm (x × y) in a ±240 mm window.
- CaloChallenge 2022 (Krause et al., arXiv:2410.21611): voxel binnings given per layer as radial edges and a number of
  angular bins in the challenge's ``binning_*.xml`` files; dataset 2 is 45 layers × 16 α × 9 r.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from showerml.errors import DataFileError
from showerml.geometry import CartesianLayer, CylindricalLayer, Geometry, Layer

__all__ = [
    "CALOGAN",
    "CALOCHALLENGE_2",
    "CALOCHALLENGE_2_LAYER_DEPTH",
    "calochallenge_binning_from_xml",
    "known_calochallenge_geometry",
]

CALOGAN = Geometry(
    "calogan",
    (
        CartesianLayer(nx=96, ny=3, cell_x=5.0, cell_y=160.0, z0=0.0, z1=90.0),
        CartesianLayer(nx=12, ny=12, cell_x=40.0, cell_y=40.0, z0=90.0, z1=437.0),
        CartesianLayer(nx=6, ny=12, cell_x=80.0, cell_y=40.0, z0=437.0, z1=480.0),
    ),
)

#: dataset 2: two physical layers (1.4 mm W + 0.3 mm Si) per read-out layer
CALOCHALLENGE_2_LAYER_DEPTH = 3.4
_DS2_R_EDGES = tuple(round(4.65 * i, 2) for i in range(10))
CALOCHALLENGE_2 = Geometry(
    "calochallenge2",
    tuple(
        CylindricalLayer(
            r_edges=_DS2_R_EDGES,
            n_alpha=16,
            z0=i * CALOCHALLENGE_2_LAYER_DEPTH,
            z1=(i + 1) * CALOCHALLENGE_2_LAYER_DEPTH,
        )
        for i in range(45)
    ),
)


def calochallenge_binning_from_xml(path: str | os.PathLike[str], name: str | None = None) -> Geometry:
    """Read a CaloChallenge ``binning_*.xml``; layers without radial bins (``r_edges="0"``) hold no voxels."""
    p = Path(path)
    try:
        root = ET.parse(p).getroot()
    except (OSError, ET.ParseError) as exc:
        raise DataFileError(p, f"not a readable CaloChallenge binning XML ({exc})") from None
    bins = root.findall("Bin")
    if not bins:
        raise DataFileError(p, "no <Bin> element: not a CaloChallenge binning XML")
    layers: list[Layer] = []
    for i, el in enumerate(bins[0].findall("Layer")):
        edges = tuple(float(v) for v in el.get("r_edges", "0").split(",") if v.strip())
        if len(edges) < 2:
            continue
        layers.append(CylindricalLayer(r_edges=edges, n_alpha=int(el.get("n_bin_alpha", "1")), z0=i, z1=i + 1))
    if not layers:
        raise DataFileError(p, "no layer with radial bins")
    return Geometry(name or p.stem, tuple(layers))


def known_calochallenge_geometry(n_voxels: int) -> Geometry | None:
    """The built-in geometry with this voxel count, if there is one."""
    return {CALOCHALLENGE_2.n_voxels: CALOCHALLENGE_2}.get(n_voxels)
