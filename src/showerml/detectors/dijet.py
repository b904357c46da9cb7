"""Dijet events from Pythia 8 + FastJet, reduced to the LHC Olympics R&D high-level features.

Physics (√s = 13 TeV pp, Pythia 8 default tune Monash, MPI and hadronisation on):

- ``qcd``: ``HardQCD:all`` with ``PhaseSpace:pTHatMin`` (default 1000 GeV), which populates m_jj ≈ 2.5–5 TeV once
  the trigger below is applied. ``PhaseSpace:mHatMin`` (default 0: off) spends the CPU on the high-mass tail: with
  m̂ ≥ 2.6 TeV the m_jj spectrum is unbiased above ≈ 2.9 TeV (final-state radiation moves m_jj below m̂, never
  far above), i.e. over the LHCO signal region 3.3–3.7 TeV and its sidebands.
- ``signal``: W' → X Y with X → qq̄', Y → qq̄ (LHCO R&D benchmark: m_W' = 3.5 TeV, m_X = 500 GeV, m_Y = 100 GeV).
  Implemented with Pythia's ``NewGaugeBoson:ffbar2Wprime`` forced into its W Z channel (``Wprime:coup2WZ = 1``,
  zero by default), where the W (PDG 24) is re-massed to m_X and the Z (23) to m_Y, both forced to decay to quarks
  (u, d, s, c, b). W'± → W± Z conserves charge, so X is charged and Y neutral; only their masses and two-prong
  decays matter for the features.

Reconstruction: all visible final-state particles with |η| < ``eta_max`` are clustered with anti-kT, R = 1.0
(Cacciari, Salam, Soyez, JHEP 04 (2008) 063); the event is kept when the leading jet has p_T > ``min_leading_pt``
(LHCO: 1.2 TeV). Events are first clustered by Pythia's own ``SlowJet`` (anti-kT, same R, |η| and visible
particles, its fjcore back end) and only those within 2 % of the trigger go through FastJet, so the rejected
majority costs no Python work; the FastJet result decides. The two leading-p_T jets give the features, all in
**GeV** (the LHCO files use TeV; conversion happens only in :mod:`showerml.io.lhco`):

    m_jj,  m_j1 = min(m_a, m_b),  Δm = max(m_a, m_b) − m_j1,  τ21 of the lighter jet,  τ21 of the heavier jet.

N-subjettiness (Thaler, Van Tilburg, JHEP 03 (2011) 015, β = 1): τ_N = Σ_k p_T,k min_j ΔR_jk / (Σ_k p_T,k R),
with the N axes from exclusive kT clustering of the jet's constituents and ΔR in (rapidity, φ). τ21 = τ2/τ1.

Optional Gaussian smearing (a stand-in for a detector): each jet's p_T and mass are multiplied by
(1 + σ·g), g ~ N(0, 1), before m_jj is formed. Everything drawn is seeded from the chunk's ``SeedSequence``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from showerml.errors import InputError
from showerml.optional import require
from showerml.spectra import Spectrum

__all__ = ["DijetConfig", "DijetGenerator", "FEATURE_NAMES", "dijet_features", "nsubjettiness"]

#: feature columns of the ``features`` dataset (GeV, dimensionless τ21)
FEATURE_NAMES = ("mjj", "mj1", "delta_mj", "tau21j1", "tau21j2")
_PROCESSES = ("qcd", "signal")
_QUARKS = "1 2 3 4 5"


@dataclass(frozen=True)
class DijetConfig:
    """Generator settings; energies and masses in GeV. They are written into the output file's attributes."""

    process: str = "qcd"
    sqrt_s: float = 13000.0
    pthat_min: float = 1000.0
    mhat_min: float = 0.0
    m_wprime: float = 3500.0
    m_x: float = 500.0
    m_y: float = 100.0
    jet_r: float = 1.0
    eta_max: float = 5.0
    min_leading_pt: float = 1200.0
    smear_pt: float = 0.0
    smear_m: float = 0.0
    mpi: bool = True

    def __post_init__(self) -> None:
        if self.process not in _PROCESSES:
            raise InputError(f"unknown dijet process '{self.process}': use qcd or signal")
        for name in ("sqrt_s", "pthat_min", "m_wprime", "m_x", "m_y", "jet_r", "eta_max"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise InputError(f"{name} must be positive and finite, got {value}")
        if self.m_x + self.m_y >= self.m_wprime:
            raise InputError(
                f"m_X + m_Y = {self.m_x + self.m_y:g} GeV must be below m_W' = {self.m_wprime:g} GeV for the decay"
            )
        if self.m_wprime >= self.sqrt_s:
            raise InputError(f"m_W' = {self.m_wprime:g} GeV must be below √s = {self.sqrt_s:g} GeV")
        if not (np.isfinite(self.mhat_min) and 0 <= self.mhat_min < self.sqrt_s):
            raise InputError(f"mhat_min must lie in [0, √s), got {self.mhat_min:g} GeV")
        if self.smear_pt < 0 or self.smear_m < 0:
            raise InputError("smearing widths must be non-negative fractions (e.g. 0.05)")

    def pythia_settings(self, seed: int) -> list[str]:
        """The Pythia 8 ``readString`` lines for this configuration and seed (1 ≤ seed ≤ 900 000 000)."""
        lines = [
            f"Beams:eCM = {self.sqrt_s:g}",
            "Random:setSeed = on",
            f"Random:seed = {seed}",
            "Print:quiet = on",
            "Next:numberCount = 0",
            f"PartonLevel:MPI = {'on' if self.mpi else 'off'}",
        ]
        if self.process == "qcd":
            return lines + [
                "HardQCD:all = on",
                f"PhaseSpace:pTHatMin = {self.pthat_min:g}",
                f"PhaseSpace:mHatMin = {self.mhat_min:g}",
            ]
        mx, my = self.m_x, self.m_y
        return lines + [
            "NewGaugeBoson:ffbar2Wprime = on",
            f"34:m0 = {self.m_wprime:g}",
            "Wprime:coup2WZ = 1.0",
            "34:onMode = off",
            "34:onIfMatch = 24 23",
            f"24:m0 = {mx:g}",
            f"24:mMin = {0.5 * mx:g}",
            f"24:mMax = {1.5 * mx:g}",
            "24:onMode = off",
            f"24:onIfAny = {_QUARKS}",
            f"23:m0 = {my:g}",
            f"23:mMin = {0.5 * my:g}",
            f"23:mMax = {1.5 * my:g}",
            "23:onMode = off",
            f"23:onIfAny = {_QUARKS}",
        ]


def nsubjettiness(
    pt: np.ndarray, rap: np.ndarray, phi: np.ndarray, axes: np.ndarray, radius: float
) -> float:
    """τ_N = Σ_k p_T,k min_j ΔR(k, axis_j) / (Σ_k p_T,k · R); ``axes`` is (N, 2) of (rapidity, φ).

    Thaler & Van Tilburg, arXiv:1011.2268, eq. (1)-(2) with β = 1. Returns 0 for an empty jet or no axes.
    """
    if len(pt) == 0 or len(axes) == 0:
        return 0.0
    dphi = np.abs(phi[:, None] - axes[None, :, 1])
    dphi = np.where(dphi > np.pi, 2 * np.pi - dphi, dphi)
    dr = np.sqrt((rap[:, None] - axes[None, :, 0]) ** 2 + dphi**2)
    return float(np.sum(pt * dr.min(axis=1)) / (np.sum(pt) * radius))


def _kinematics(p4: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p_T, rapidity and φ of (n, 4) momenta (px, py, pz, E)."""
    px, py, pz, e = p4.T
    pt = np.hypot(px, py)
    rap = 0.5 * np.log(np.maximum(e + pz, 1e-12) / np.maximum(e - pz, 1e-12))
    return pt, rap, np.arctan2(py, px)


_BANNERS_SHOWN = False


def _silence_banners(fastjet: Any, pythia8mc: Any) -> None:
    """FastJet and Pythia's fjcore print a banner to C stdout at their first clustering; run both firsts with fd 1
    redirected to /dev/null so the command's output stays clean."""
    global _BANNERS_SHOWN
    if _BANNERS_SHOWN:
        return
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        one = [fastjet.PseudoJet(1.0, 0.0, 0.0, 2.0)]
        fastjet.ClusterSequence(one, fastjet.JetDefinition(fastjet.kt_algorithm, 1.0))
        event = pythia8mc.Event()
        event.append(211, 1, 0, 0, 1.0, 0.0, 0.0, 2.0, 0.14)
        pythia8mc.SlowJet(-1, 1.0, 0.0, 5.0, 2, 2).analyze(event)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    _BANNERS_SHOWN = True


class DijetGenerator:
    """Pythia 8 + FastJet dijet events for :func:`showerml.pipelines.simulate.simulate_to_file`.

    ``simulate(n, spectrum, seed)`` returns ``n`` events passing the trigger; the ``spectrum`` argument of the runner
    is not used (the beam energy is ``config.sqrt_s``). Picklable: Pythia is created inside each chunk.
    """

    def __init__(self, config: DijetConfig | None = None, chunk_size: int = 500) -> None:
        self.config = config or DijetConfig()
        if chunk_size <= 0:
            raise InputError(f"chunk size must be positive, got {chunk_size}")
        self.chunk_size = chunk_size
        require("pythia8mc", "collider", "dijet generation")
        require("fastjet", "collider", "dijet generation")

    def attrs(self) -> dict[str, Any]:
        cfg = asdict(self.config)
        attrs: dict[str, Any] = {f"gen_{k}": v for k, v in cfg.items()}
        attrs.update(
            detector="dijet",
            generator="Pythia 8 (pythia8mc) + FastJet anti-kT",
            layout="showerml-dijet",
            feature_names=",".join(FEATURE_NAMES),
            units="GeV",
            label=int(self.config.process == "signal"),
            tau_axes="exclusive kT, beta=1",
        )
        return attrs

    def simulate(self, n: int, spectrum: Spectrum, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
        """``n`` triggered events: ``features`` (n, 5) GeV, ``label``, ``jets`` (n, 2, 4) as (p_T, η, φ, m) of the
        two leading jets, ``tau`` (n, 2, 3) τ1..τ3 of those jets, ``trials`` (generated events per kept event)."""
        pythia8mc = require("pythia8mc", "collider", "dijet generation")
        fastjet = require("fastjet", "collider", "dijet generation")
        _silence_banners(fastjet, pythia8mc)
        cfg = self.config
        pythia_seed, smear_seed = seed.spawn(2)
        pseed = int(pythia_seed.generate_state(1)[0] % 900_000_000) + 1
        rng = np.random.default_rng(smear_seed)
        pythia = pythia8mc.Pythia("", False)
        for line in cfg.pythia_settings(pseed):
            pythia.readString(line)
        if not pythia.init():
            raise InputError(f"Pythia failed to initialise with settings {cfg}")
        antikt = fastjet.JetDefinition(fastjet.antikt_algorithm, cfg.jet_r)
        kt = fastjet.JetDefinition(fastjet.kt_algorithm, 10.0 * cfg.jet_r)
        # SlowJet(power −1 = anti-kT, R, pT_min, |η|_max, select 2 = visible final state, massSet 2 = true masses)
        pretrigger = pythia8mc.SlowJet(-1, cfg.jet_r, 20.0, cfg.eta_max, 2, 2)
        jets = np.zeros((n, 2, 4))
        taus = np.zeros((n, 2, 3))
        trials = np.zeros(n, dtype=np.int32)
        kept, tries = 0, 0
        while kept < n:
            tries += 1
            if not pythia.next():
                continue
            pretrigger.analyze(pythia.event)
            if pretrigger.sizeJet() < 2 or pretrigger.pT(0) < 0.98 * cfg.min_leading_pt:
                continue
            p4 = np.array(
                [(q.px(), q.py(), q.pz(), q.e()) for q in pythia.event if q.isFinal() and q.isVisible()]
            )
            if len(p4) < 2:
                continue
            pt, rap, phi = _kinematics(p4)
            p = np.sqrt(pt**2 + p4[:, 2] ** 2)
            eta = np.arctanh(np.clip(p4[:, 2] / np.maximum(p, 1e-12), -1 + 1e-15, 1 - 1e-15))
            inside = np.flatnonzero(np.abs(eta) < cfg.eta_max)
            pjs = []
            for i in inside:
                pj = fastjet.PseudoJet(*p4[i])
                pj.set_user_index(int(i))
                pjs.append(pj)
            seq = fastjet.ClusterSequence(pjs, antikt)
            leading = fastjet.sorted_by_pt(seq.inclusive_jets(20.0))
            if len(leading) < 2 or leading[0].pt() < cfg.min_leading_pt:
                continue
            for j, jet in enumerate(leading[:2]):
                idx = np.array([c.user_index() for c in jet.constituents()])
                jets[kept, j] = (jet.pt(), jet.eta(), jet.phi_std(), jet.m())
                sub = fastjet.ClusterSequence(list(jet.constituents()), kt)
                for k in range(3):
                    axes = (
                        np.array([(a.rap(), a.phi_std()) for a in sub.exclusive_jets(k + 1)])
                        if len(idx) > k
                        else np.zeros((0, 2))
                    )
                    taus[kept, j, k] = nsubjettiness(pt[idx], rap[idx], phi[idx], axes, cfg.jet_r)
            trials[kept] = tries
            kept, tries = kept + 1, 0
        if cfg.smear_pt > 0 or cfg.smear_m > 0:
            jets[..., 0] *= np.clip(1 + cfg.smear_pt * rng.standard_normal((n, 2)), 0.05, None)
            jets[..., 3] *= np.clip(1 + cfg.smear_m * rng.standard_normal((n, 2)), 0.0, None)
        return {
            "features": dijet_features(jets, taus),
            "label": np.full(n, int(cfg.process == "signal"), dtype=np.int8),
            "jets": jets.astype(np.float32),
            "tau": taus.astype(np.float32),
            "trials": trials,
        }


def dijet_features(jets: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """(n, 5) features (m_jj, m_j1, Δm, τ21 lighter, τ21 heavier) from jets (p_T, η, φ, m) and τ1..τ3."""
    pt, eta, phi, m = (jets[..., i] for i in range(4))
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    e = np.sqrt(px**2 + py**2 + pz**2 + m**2)
    mjj = np.sqrt(np.maximum(e.sum(1) ** 2 - px.sum(1) ** 2 - py.sum(1) ** 2 - pz.sum(1) ** 2, 0.0))
    tau21 = np.where(taus[..., 0] > 0, taus[..., 1] / np.where(taus[..., 0] > 0, taus[..., 0], 1.0), 0.0)
    light = np.argmin(m, axis=1)
    rows = np.arange(len(m))
    mj1, mj2 = m[rows, light], m[rows, 1 - light]
    return np.stack([mjj, mj1, mj2 - mj1, tau21[rows, light], tau21[rows, 1 - light]], axis=1)
