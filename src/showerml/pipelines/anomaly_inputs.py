"""What an anomaly run trains and tests on: a labelled pool split per seed, or the official roles as given.

**Pool** (``--data``, optionally ``--reference``): background 60 % → data, 20 % → reference (idealized,
supervised), 20 % → test — or 75 % / 25 % data / test when ``--reference`` gives the reference; signal: ``n_inject``
events → data, of the rest half → labelled training signal (supervised), half → test.

**Roles** (the LHCO R&D protocol of the CATHODE paper, Hallin et al., arXiv:2109.00546, as its data preparation
writes the files): ``train`` = the observed data (``innerdata_train.npy`` + ``outerdata_train.npy``, signal already
injected, labels hidden from the methods); ``val`` = observed data kept for early stopping (``innerdata_val.npy`` +
``outerdata_test.npy``); ``test`` = labelled SR events (``innerdata_test.npy``, optionally
``innerdata_extrabkg_test.npy``); ``reference`` = background-only SR events for the idealized detector
(``innerdata_extrabkg_train.npy``); ``signal`` = labelled SR signal for the supervised classifier
(``innerdata_extrasig_train.npy``). Nothing is re-split.

**Duplicates** (identical feature rows, bit for bit) across inputs are removed, never an error, with one note each:
the roles are ranked train > val > reference > signal > test and a lower role loses the events a higher one holds
(so the test set stays independent of everything trained on, and the data are never changed). Removing rather than
refusing keeps files usable that overlap by construction (some public ``innerdata_test.npy`` files hold all of
``innerdata_val.npy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from showerml.anomaly.base import AnomalyInputs, Regions
from showerml.errors import InputError
from showerml.io.lhco import DijetSample, duplicates

__all__ = ["Roles", "Split", "check_pool", "drop_duplicates", "make_role_split", "make_split"]

BKG_FRACTIONS = (0.6, 0.2, 0.2)  # data, reference, test
BKG_FRACTIONS_WITH_REFERENCE = (0.75, 0.25)  # data, test


@dataclass
class Split:
    inputs: AnomalyInputs
    test_x: np.ndarray
    test_y: np.ndarray
    data_label: np.ndarray
    s_over_b: float
    n_sig_sr: int
    n_bkg_sr: int
    notes: list[str] = field(default_factory=list)


@dataclass
class Roles:
    """Samples by role (see the module docstring); ``train`` and ``test`` are required."""

    train: DijetSample
    test: DijetSample
    val: DijetSample | None = None
    reference: DijetSample | None = None
    signal: DijetSample | None = None


def drop_duplicates(named: Sequence[tuple[str, DijetSample | None]]) -> tuple[list[DijetSample | None], list[str]]:
    """Each sample without the events of the samples before it (rank order); one note per sample that lost any."""
    seen: list[np.ndarray] = []
    kept: list[DijetSample | None] = []
    notes: list[str] = []
    for name, sample in named:
        if sample is None:
            kept.append(None)
            continue
        mask = np.zeros(len(sample), dtype=bool)
        for earlier in seen:
            mask |= duplicates(earlier, sample.features)
        if np.any(mask):
            notes.append(f"{int(mask.sum())} of the {len(sample)} events of {name} also appear in an input ranked "
                         f"above it; removed from {name}")
            sample = sample.subset(~mask)
        kept.append(sample)
        seen.append(sample.features)
    return kept, notes


def _labelled(sample: DijetSample, role: str) -> None:
    if np.any(sample.label < 0):
        raise InputError(f"{role} needs truth labels (0/1) to evaluate the methods; unlabelled events found")


def check_pool(pool: DijetSample, regions: Regions, n_inject: int, external_reference: bool = False) -> None:
    """Bad input as one-line errors before any work: labels, SR inside the data, injection ≤ available signal."""
    _labelled(pool, "the data")
    n_bkg, n_sig = int(np.sum(pool.label == 0)), int(np.sum(pool.label == 1))
    if n_bkg < 100:
        raise InputError(f"need at least 100 background events, the data has {n_bkg}")
    mjj = pool.mjj[pool.label == 0]
    n_sr = int(np.sum(regions.in_sr(mjj)))
    if n_sr < 20:
        raise InputError(
            f"the signal region {regions.sr_lo / 1000:g}–{regions.sr_hi / 1000:g} TeV holds {n_sr} background "
            f"events (data m_jj spans {mjj.min() / 1000:.2f}–{mjj.max() / 1000:.2f} TeV); move --sr inside the data"
        )
    if n_inject > n_sig // 2:
        raise InputError(
            f"--inject {n_inject} exceeds the {n_sig // 2} signal events available (half of the {n_sig} signal "
            "events; the rest train the supervised classifier and test); inject fewer or add signal"
        )
    if n_sig < 40:
        raise InputError(f"need at least 40 labelled signal events for training and testing, the data has {n_sig}")


def _counts(data: np.ndarray, label: np.ndarray, regions: Regions) -> tuple[float, int, int]:
    in_sr = regions.in_sr(data[:, 0])
    n_sig, n_bkg = int(np.sum(in_sr & (label == 1))), int(np.sum(in_sr & (label == 0)))
    s_over_b = float("nan") if np.any(label < 0) else n_sig / max(n_bkg, 1)
    return s_over_b, n_sig, n_bkg


def make_split(
    pool: DijetSample, regions: Regions, n_inject: int, seed: int, reference: DijetSample | None = None
) -> Split:
    """Seeded split of the pool into data, reference (unless given), labelled signal and the SR test set."""
    check_pool(pool, regions, n_inject)
    notes: list[str] = []
    if reference is not None:
        (_, reference), notes = drop_duplicates([("--data", pool), ("--reference", reference)])
        assert reference is not None
        if np.any(reference.label != 0):
            raise InputError(f"--reference must hold background only (label 0); it holds "
                             f"{int(np.sum(reference.label != 0))} other events")
    rng = np.random.default_rng(seed)
    bkg = rng.permutation(np.flatnonzero(pool.label == 0))
    sig = rng.permutation(np.flatnonzero(pool.label == 1))
    if reference is None:
        n_data, n_ref = int(BKG_FRACTIONS[0] * len(bkg)), int(BKG_FRACTIONS[1] * len(bkg))
    else:
        n_data, n_ref = int(BKG_FRACTIONS_WITH_REFERENCE[0] * len(bkg)), 0
    b_data, b_ref, b_test = bkg[:n_data], bkg[n_data : n_data + n_ref], bkg[n_data + n_ref :]
    rest = sig[len(sig) // 2 :]
    s_inj, s_train, s_test = sig[:n_inject], rest[: len(rest) // 2], rest[len(rest) // 2 :]
    f, lab = pool.features, pool.label
    data_idx = rng.permutation(np.concatenate([b_data, s_inj]))
    test_idx = np.concatenate([b_test, s_test])
    test_idx = test_idx[regions.in_sr(f[test_idx, 0])]
    ref = f[b_ref] if reference is None else reference.features
    inputs = AnomalyInputs(f[data_idx], regions, reference=ref, signal=f[s_train])
    return Split(inputs, f[test_idx], lab[test_idx], lab[data_idx], *_counts(f[data_idx], lab[data_idx], regions),
                 notes=notes)


def make_role_split(roles: Roles, regions: Regions) -> Split:
    """The official roles as given (duplicates removed, see the module docstring); the test set cut to the SR."""
    order = [("--train", roles.train), ("--val", roles.val), ("--reference", roles.reference),
             ("--signal", roles.signal), ("--test", roles.test)]
    (train, val, reference, signal, test), notes = drop_duplicates(order)
    assert train is not None and test is not None
    _labelled(test, "--test")
    if reference is not None and np.any(reference.label != 0):
        raise InputError(f"--reference must hold background only (label 0); it holds "
                         f"{int(np.sum(reference.label != 0))} signal events")
    if signal is not None and np.any(signal.label == 0):
        raise InputError(f"--signal must hold signal only (label 1); it holds {int(np.sum(signal.label == 0))} "
                         "background events")
    in_sr = regions.in_sr(test.mjj)
    n_s, n_b = int(np.sum(in_sr & (test.label == 1))), int(np.sum(in_sr & (test.label == 0)))
    if n_s < 10 or n_b < 25:
        raise InputError(f"--test holds {n_s} signal and {n_b} background events in the SR "
                         f"{regions.sr_lo / 1000:g}–{regions.sr_hi / 1000:g} TeV; at least 10 and 25 are needed")
    n_sr = int(np.sum(regions.in_sr(train.mjj)))
    if n_sr < 20:
        raise InputError(f"--train holds {n_sr} events in the SR {regions.sr_lo / 1000:g}–"
                         f"{regions.sr_hi / 1000:g} TeV (m_jj spans {train.mjj.min() / 1000:.2f}–"
                         f"{train.mjj.max() / 1000:.2f} TeV); move --sr inside the data")
    inputs = AnomalyInputs(train.features, regions, reference=None if reference is None else reference.features,
                           signal=None if signal is None else signal.features,
                           validation=None if val is None else val.features)
    test_x, test_y = test.features[in_sr], test.label[in_sr]
    return Split(inputs, test_x, test_y, train.label, *_counts(train.features, train.label, regions), notes=notes)
