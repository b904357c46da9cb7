"""The TA-like simulator: showers (:mod:`.showers`) → expected densities at every station (:mod:`.ldf`) → arrival
times (:mod:`.front`) → two-layer FADC traces (:mod:`.response`) → triggers (:mod:`.trigger`) → the per-event station
arrays and the network window (:mod:`.network_input`), laid out as :mod:`.layout` says.

Only showers that pass the array trigger are kept; ``n_trials`` counts the showers thrown per kept event (the trigger
efficiency over the array). Stations are off at random, independently per event, with probability ``off_fraction``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from showerml.detectors.ta import front, ldf, response, trigger
from showerml.detectors.ta.grid import ArrayLayout, default_layout
from showerml.detectors.ta.layout import M_MAX, ta_layout
from showerml.detectors.ta.network_input import STATE_OFF, STATE_OK, STATE_SATURATED, network_window
from showerml.detectors.ta.primaries import Composition, parse_composition
from showerml.detectors.ta.showers import Showers, throw_showers
from showerml.errors import InputError
from showerml.spectra import Spectrum

__all__ = ["TaSimulator"]

#: expected particles through a counter below which a station is not simulated (its level-0 chance is negligible)
MIN_PARTICLES = 0.05
#: expected particles above which an off station counts as inside the footprint (and is listed)
OFF_LISTED_PARTICLES = 0.6
LATE_FRACTION = 0.03
#: GPS time-stamping of each station, ≈ 20 ns rms (AbuZayyad et al., NIM A 689 (2012) 87)
#: [recalled; not verified: the paper text was not reachable]
CLOCK_JITTER_NS = 20.0
PRE_TRIGGER_NS = 160.0
#: the EM signal of the mean of the two layers relative to the upper layer's (the lower sees 0.8 of the particles)
EM_LAYER_MEAN = 0.5 * (1.0 + response.READOUT.lower_em_transmission)
#: deposit per layer below which a station is not read out (it cannot reach level 0 = 0.3 VEM)
READ_OUT_VEM = 0.2


@dataclass(frozen=True)
class TaSimulator:
    """Showers of a ``composition`` on the TA-like array ``layout`` (default: 507 stations, 1.2 km)."""

    composition: str = "p:1,He:1,N:1,Fe:1"
    layout: ArrayLayout = field(default_factory=default_layout)
    off_fraction: float = 0.01
    window: int = 6
    chunk_size: int = 250

    def __post_init__(self) -> None:
        self.mixture  # noqa: B018 - validates the composition
        if not (0.0 <= self.off_fraction < 1.0):
            raise InputError(f"--off-fraction must be in [0, 1), got {self.off_fraction}")
        if not 2 <= self.window <= 12:
            raise InputError(f"--window must be between 2 and 12 stations, got {self.window}")
        if self.chunk_size < 1:
            raise InputError("chunk_size must be positive")

    @cached_property
    def mixture(self) -> Composition:
        return parse_composition(self.composition)

    def attrs(self) -> dict[str, Any]:
        return {
            "detector": "ta",
            "layout": self.layout.name,
            "composition": self.mixture.spec,
            "off_fraction": self.off_fraction,
            "max_stations": M_MAX,
            "network_window": self.window,
            "grid_spacing_m": self.layout.spacing,
            "n_stations_grid": len(self.layout),
            "grid_xy": self.layout.xy.astype(np.float64),
            "units": "energies EeV, lengths m, times ns, signals VEM, angles rad",
            "datasets": ta_layout(M_MAX, self.window).describe(),
            "geometry": "TA-like SD: 2 x 1.2 cm scintillator layers of 3 m2 on a square grid at 1400 m a.s.l. "
                        "(AbuZayyad et al., NIM A 689 (2012) 87)",
        }

    # --- simulation ------------------------------------------------------------------------------------------
    def simulate(self, n: int, spectrum: Spectrum, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        events: list[dict[str, np.ndarray]] = []
        thrown, since_last = 0, 0
        while len(events) < n:
            need = n - len(events)
            eff = len(events) / thrown if thrown else 1.0
            if thrown > 1000 and eff < 2e-3:
                raise InputError(f"fewer than 0.2 % of the showers at {spectrum.spec} (EeV × 1e9) trigger the array; "
                                 "choose higher energies")
            m = int(np.clip(1.1 * need / max(eff, 1e-3) + 4, 8, 4 * self.chunk_size))
            showers = throw_showers(rng, m, spectrum, self.mixture, self.layout)
            last = -1
            for i, ev in self._events(showers, rng, need):
                ev["n_trials"] = np.int32(since_last + i - last)
                since_last, last = 0, i
                events.append(ev)
            since_last += m - 1 - last
            thrown += m
        return {k: np.stack([e[k] for e in events]) for k in events[0]}

    def _events(self, sh: Showers, rng: np.random.Generator, limit: int) -> Iterator[tuple[int, dict[str, Any]]]:
        """Yield (index in the batch, arrays) of the first ``limit`` showers that trigger the array."""
        lay = self.layout
        m = len(sh.energy_eev)
        u = front.axis(sh.theta, sh.phi)
        t_plane, r = front.plane_time_and_distance(lay.xy[None], sh.core[:, None], u[:, None])
        cos_t = np.cos(sh.theta)[:, None]
        rho_em = sh.s800_em[:, None] * ldf.component_ldf(r, sh.theta[:, None], False, sh.age_shift[:, None])
        rho_mu = sh.s800_mu[:, None] * ldf.component_ldf(r, sh.theta[:, None], muon=True)
        n_em = rho_em / response.READOUT.em_vem * response.AREA_M2 * cos_t
        n_mu = rho_mu * response.AREA_M2 * cos_t
        expected = n_em + n_mu
        off = rng.random(r.shape) < self.off_fraction
        ev, st = np.nonzero((expected >= MIN_PARTICLES) & ~off)
        td, ts = front.front_delay(r[ev, st], rho_em[ev, st] + rho_mu[ev, st])
        lead = t_plane[ev, st] + np.maximum(front.MUON_TIME_FACTOR * (td - 2 * ts), 0.0) - PRE_TRIGGER_NS
        t_start = np.floor(lead / response.BIN_NS) * response.BIN_NS
        offset = t_plane[ev, st] - t_start
        arrivals = response.Arrivals(n_mu[ev, st], n_em[ev, st], LATE_FRACTION * expected[ev, st], offset, td, ts,
                                     front.MUON_TIME_FACTOR, front.LATE_DELAY_NS)
        crossed, dep = response.deposits(arrivals, 1.0 / np.cos(sh.theta[ev]), rng)
        # a station whose deposit is below 0.2 VEM in a layer cannot pass level 0 (noise: 0.05 VEM per 8 bins)
        ok = dep.sum(axis=-1).min(axis=1) >= READ_OUT_VEM
        live, dep = crossed[ok], dep[ok]
        ev, st, t_start = ev[live], st[live], t_start[live]
        traces, sat = response.read_out(dep, rng)
        l0, l1 = trigger.station_levels(traces)
        signal = traces.sum(axis=-1, dtype=np.float64)
        t_abs = t_start + trigger.leading_edge(traces) + rng.normal(0.0, CLOCK_JITTER_NS, len(traces))
        bounds = np.searchsorted(ev, np.arange(m + 1))
        for i in range(m):
            if limit <= 0:
                return
            rows = np.arange(bounds[i], bounds[i + 1])
            hit1 = rows[l1[rows]]
            if not trigger.array_trigger(lay.indices[st[hit1]], t_abs[hit1]):
                continue
            hit = rows[l0[rows]]
            hit = hit[np.argsort(-signal[hit].sum(axis=1), kind="stable")]
            off_st = np.flatnonzero(off[i] & (expected[i] >= OFF_LISTED_PARTICLES))
            off_st = off_st[np.argsort(-expected[i, off_st], kind="stable")]
            limit -= 1
            yield i, self._arrays(sh, i, st[hit], hit, off_st, traces, sat, signal, t_abs)

    def _arrays(self, sh: Showers, i: int, hit_st: np.ndarray, hit: np.ndarray, off_st: np.ndarray,
                traces: np.ndarray, sat: np.ndarray, signal: np.ndarray, t_abs: np.ndarray) -> dict[str, Any]:
        lay = self.layout
        t_rel = t_abs[hit] - t_abs[hit].min()
        state_hit = np.where(sat[hit], STATE_SATURATED, STATE_OK).astype(np.int8)
        stations = np.concatenate([hit_st, off_st])
        state = np.concatenate([state_hit, np.full(len(off_st), STATE_OFF, np.int8)])
        sig = np.concatenate([signal[hit], np.zeros((len(off_st), 2))])
        times = np.concatenate([t_rel, np.zeros(len(off_st))])
        trc = np.concatenate([traces[hit], np.zeros((len(off_st), 2, response.N_BINS), np.float32)])
        net_traces, net_features = network_window(lay, stations, state, sig.sum(axis=1), times, trc, self.window)
        k = min(len(stations), M_MAX)
        out_xy = np.zeros((M_MAX, 2), np.float32)
        out_state = np.zeros(M_MAX, np.int8)
        out_sig = np.zeros((M_MAX, 2), np.float32)
        out_t = np.zeros(M_MAX, np.float32)
        out_tr = np.zeros((M_MAX, 2, response.N_BINS), np.float16)
        out_xy[:k], out_state[:k], out_sig[:k], out_t[:k] = lay.xy[stations[:k]], state[:k], sig[:k], times[:k]
        out_tr[:k] = trc[:k]
        return {
            "station_xy": out_xy, "station_state": out_state, "station_signal": out_sig, "station_time": out_t,
            "station_traces": out_tr, "n_stations": np.int16(k), "n_triggered": np.int16(len(hit)),
            "net_traces": net_traces.astype(np.float16), "net_features": net_features,
            "energy_eev": np.float64(sh.energy_eev[i]), "theta": np.float32(sh.theta[i]),
            "phi": np.float32(sh.phi[i]), "core": sh.core[i].astype(np.float32),
            "mass_number": np.int16(sh.mass_number[i]), "xmax": np.float32(sh.xmax[i]),
            "n_mu": np.float32(sh.n_mu[i]), "s800": np.float32(EM_LAYER_MEAN * sh.s800_em[i] + sh.s800_mu[i]),
            "s800_mu": np.float32(sh.s800_mu[i]),
        }
