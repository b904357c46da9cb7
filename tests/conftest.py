"""Shared fixtures: the reference data folder (outside the project) and small simulated samples."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
GEANT4_CALOGAN = SHARED_DATA / "geant4_calogan_eplus_51.h5"


@pytest.fixture
def geant4_calogan() -> Path:
    if not GEANT4_CALOGAN.exists():
        pytest.skip(f"reference data {GEANT4_CALOGAN} not found (it lives outside the project, in ../shared/data)")
    return GEANT4_CALOGAN
