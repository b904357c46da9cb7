"""HERD-like calorimeter and the new architectures: simulation speed, 3D-CNN direction vs the classical axis fit,
e/p with the 3D CNN / vision transformer / graph network vs the Fisher moments baseline (trained on 0.1–1 TeV
deposits, tested on 0.1–1 and 1–10 TeV: the cross-energy generalisation), and the transformer and graph network on
the DAMPE-like e/p task vs the 2D CNN at comparable parameter count. Training time and inference events/s for every
model.

Run (one command; samples are simulated into ``DIR/data`` and reused):
``MPLBACKEND=Agg nice -n 5 .venv/bin/python benchmarks/bench_herd.py [--out runs/herd_bench] [--epochs 4]``
Writes ``DIR/results.json`` and the figures ``DIR/*.png``; prints one JSON line per headline figure.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from showerml.detectors.dampe.simulator import DampeSimulator
from showerml.detectors.herd.simulator import HerdSimulator
from showerml.pipelines.simulate import simulate_to_file
from showerml.reco.data import RecoSample, load_sample, split_indices
from showerml.reco.herd_data import load_herd_sample
from showerml.reco.task import RunContext, TaskResult
from showerml.reco.tasks.herd import HerdDirectionTask, HerdEPTask
from showerml.reco.tasks.herd_dampe import DampeArchitecturesTask
from showerml.spectra import parse_spectrum

#: (file, detector, particle, events, spectrum GeV, seed)
SAMPLES = (
    ("herd_e.h5", "herd", "e-", 2000, "loguniform:100,10000", 21),
    ("herd_p.h5", "herd", "p", 4000, "loguniform:300,30000", 22),
    ("herd_e_dir.h5", "herd", "e-", 2000, "loguniform:50,20000", 23),
    ("herd_e_100.h5", "herd", "e-", 500, "fixed:100", 24),
    ("herd_e_1000.h5", "herd", "e-", 500, "fixed:1000", 25),
    ("herd_e_10000.h5", "herd", "e-", 500, "fixed:10000", 26),
    ("dampe_e.h5", "dampe", "e-", 2000, "loguniform:100,5000", 27),
    ("dampe_p.h5", "dampe", "p", 6000, "loguniform:300,20000", 28),
)


def _simulate(data: Path, workers: int, needed: set[str], dir_events: int) -> dict[str, float]:
    rates = {}
    for name, det, particle, n, spec, seed in SAMPLES:
        if name == "herd_e_dir.h5":
            name, n = _dir_file(dir_events), dir_events
        path = data / name
        if path.exists() or not any(name.startswith(k) for k in needed):
            continue
        sim = HerdSimulator(particle) if det == "herd" else DampeSimulator(particle, max_clusters=256)
        t0 = time.perf_counter()
        simulate_to_file(sim, n, parse_spectrum(spec), seed, path, workers=workers, progress=False)
        rates[name] = n / (time.perf_counter() - t0)
    return rates


def _speed(data: Path, workers: int) -> dict[str, float]:
    """Events/s of the HERD simulator at 1 TeV (e−, p; 2,000 events) with ``workers`` processes: wall clock from the
    start (worker start-up included) and steady state (from the first chunk received to the last)."""
    from showerml.pipelines.simulate import simulate_chunks

    out = {}
    for particle in ("e-", "p"):
        t0 = time.perf_counter()
        first, n_first, n = 0.0, 0, 0
        for chunk in simulate_chunks(HerdSimulator(particle), 2000, parse_spectrum("fixed:1000"), 5, workers):
            n += len(chunk["energy"])
            if not first:
                first, n_first = time.perf_counter(), n
        end = time.perf_counter()
        out[f"herd_{particle}_1TeV_events_per_s_{workers}_workers_wall"] = n / (end - t0)
        out[f"herd_{particle}_1TeV_events_per_s_{workers}_workers_steady"] = (n - n_first) / max(end - first, 1e-9)
    return out


def physics() -> dict[str, Any]:
    """The 3D-geometry figures the physics tests check (vertical e− at the centre of a cube column; protons)."""
    from showerml.detectors.herd import geometry as geo
    from showerml.detectors.herd.em import deposit_em_cubes
    from showerml.detectors.physics.em import gflash_longitudinal
    from showerml.detectors.physics.materials import LYSO

    def vertical(e_gev: float, n: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        dep = deposit_em_cubes(np.arange(n), np.full(n, e_gev * 1e3), np.tile([0.0, 0.0, geo.HALF], (n, 1)),
                               np.tile([0.0, 0.0, -1.0], (n, 1)), False, n, rng)
        return dep.reshape(n, geo.N_SIDE, geo.N_SIDE, geo.N_SIDE)

    out: dict[str, Any] = {}
    t_mid = (np.arange(geo.N_SIDE) + 0.5) * geo.PITCH / LYSO.x0
    for e in (100.0, 1000.0):
        dep = vertical(e, 500, 1)
        layer = dep.sum(axis=(2, 3))[:, ::-1]
        cog = (layer * t_mid).sum(axis=1) / layer.sum(axis=1)
        a, t = gflash_longitudinal(np.full(50000, e * 1e3), LYSO, np.random.default_rng(0))
        cols = dep.sum(axis=1)
        tot = cols.sum(axis=(1, 2))
        out[f"e_{e:g}GeV"] = {"cog_x0": float(cog.mean()), "gflash_mean_x0": float(np.mean(a * t / (a - 1))),
                              "beyond_10_layers": float((layer[:, 10:].sum(axis=1) / layer.sum(axis=1)).mean()),
                              "central_column": float((cols[:, 10, 10] / tot).mean()),
                              "three_by_three": float((cols[:, 9:12, 9:12].sum(axis=(1, 2)) / tot).mean())}
    out["linearity"] = {f"{e:g}": float(vertical(e, 100, int(e)).sum(axis=(1, 2, 3)).mean() / (e * 1e3))
                        for e in (20.0, 100.0, 1000.0, 10000.0)}
    spec = parse_spectrum("fixed:200")
    for particle in ("e-", "p"):
        o = HerdSimulator(particle, incidence="vertical").simulate(300, spec, np.random.SeedSequence(5))
        idx, en = o["calo_index"].astype(np.int64), o["calo_energy"].astype(float)
        k = np.where(idx >= 0, idx // (geo.N_SIDE**2), 0)
        cog = (en * (geo.N_SIDE - 0.5 - k) * geo.PITCH / LYSO.x0).sum(axis=1) / np.maximum(en.sum(axis=1), 1e-9)
        out[f"cog_200GeV_{particle}_median_x0"] = float(np.median(cog))
        out[f"deposit_over_E_200GeV_{particle}_median"] = float(np.median(o["deposit_true"] / o["energy"]))
    return out


def _split(s: RecoSample, seed: int) -> tuple[RecoSample, RecoSample, RecoSample]:
    tr, va, te = (s.take(i) for i in split_indices(len(s), seed))
    return tr, va, te


def _deposit_gev(s: RecoSample) -> np.ndarray:
    return s["calo_energy"].astype(np.float64).sum(axis=1) / 1000.0


def _json(result: TaskResult) -> dict[str, Any]:
    return result.to_json()


def herd_ep(data: Path, models: Path, epochs: int, seed: int, train_range: tuple[float, float]) -> dict[str, Any]:
    task = HerdEPTask()
    s = task.select(load_herd_sample([data / "herd_e.h5", data / "herd_p.h5"]))
    tr, va, te = _split(s, seed)
    lo, hi = train_range
    keep_tr = np.flatnonzero((_deposit_gev(tr) >= lo) & (_deposit_gev(tr) < hi))
    keep_va = np.flatnonzero((_deposit_gev(va) >= lo) & (_deposit_gev(va) < hi))
    tr, va = tr.take(keep_tr), va.take(keep_va)
    out: dict[str, Any] = {"train_deposit_gev": [lo, hi], "n_train": len(tr), "n_val": len(va), "n_test": len(te),
                           "runs": {}}
    for method in ("cnn3d", "vit", "gnn"):
        ctx = RunContext(models / f"herd_ep_{method}_{lo:g}_{hi:g}", seed, epochs)
        info = task.train(method, tr, va, ctx)
        out["runs"][method] = _json(task.evaluate(ctx.out, info, te).result)
        print(json.dumps({"herd_ep": method, "train_gev": [lo, hi], **_summary_ep(out["runs"][method])}), flush=True)
    return out


def _summary_ep(run: dict[str, Any]) -> dict[str, Any]:
    return {m: [(r["low"], r["rejection"], r["lower_limit"], r["n_background"]) for r in v["rejection_at_90"]]
            for m, v in run["methods"].items()}


def _dir_file(n: int) -> str:
    return "herd_e_dir.h5" if n == 2000 else f"herd_e_dir_{n}.h5"


def herd_direction(data: Path, models: Path, epochs: int, seed: int, dir_events: int) -> dict[str, Any]:
    task = HerdDirectionTask()
    s = task.select(load_herd_sample([data / _dir_file(dir_events)]))
    tr, va, _ = _split(s, seed)
    test = task.select(load_herd_sample([data / f"herd_e_{e}.h5" for e in (100, 1000, 10000)]))
    ctx = RunContext(models / f"herd_direction_cnn3d_{dir_events}_{epochs}", seed, epochs)
    info = task.train("cnn3d", tr, va, ctx)
    ev = task.evaluate(ctx.out, info, test)
    res = _json(ev.result)
    rows = {m: {round(b["low"]): b["value"] for b in v["psf68_deg"]} for m, v in res["methods"].items()}
    ratio = {k: rows["pca"][k] / rows["cnn3d"][k] for k in rows["cnn3d"]}
    print(json.dumps({"herd_direction_psf68_deg": rows, "classical_over_cnn": ratio, "target_100GeV": 2.0}),
          flush=True)
    _plot_direction(ev.arrays, models.parent / "herd_direction.png")
    return {"n_train": len(tr), "n_val": len(va), "n_test": len(test), "result": res, "classical_over_cnn": ratio}


def dampe_ep(data: Path, models: Path, epochs: int, seed: int) -> dict[str, Any]:
    task = DampeArchitecturesTask()
    s = load_sample([data / "dampe_e.h5", data / "dampe_p.h5"])
    tr, va, te = _split(s, seed)
    out: dict[str, Any] = {"runs": {}}
    for method in ("cnn", "vit", "gnn"):
        ctx = RunContext(models / f"dampe_ep_{method}", seed, epochs)
        info = task.train(method, tr, va, ctx)
        out["runs"][method] = _json(task.evaluate(ctx.out, info, te).result)
        out["n_train"] = info.n_train
        print(json.dumps({"dampe_ep": method, **_summary_ep(out["runs"][method])}), flush=True)
    return out


def _plot_direction(arrays: dict[str, np.ndarray], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2), constrained_layout=True)
    e = arrays["energy_gev"]
    for m, label in (("pca", "principal axis (√E)"), ("cnn3d", "3D CNN")):
        xs, ys = [], []
        for target in (100.0, 1000.0, 10000.0):
            sel = np.isclose(e, target)
            if sel.any():
                xs.append(target)
                ys.append(np.quantile(arrays[m][sel], 0.68))
        ax.plot(xs, ys, "o-", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("electron energy [GeV]")
    ax.set_ylabel("PSF68 of the axis angle [deg]")
    ax.set_title("HERD-like: shower direction (path ≥ 300 mm)")
    ax.legend()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_ep(results: dict[str, Any], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for ax, (key, title) in zip(axes, (("herd_ep", "HERD-like e/p (trained on 0.1–1 TeV deposits)"),
                                       ("dampe_ep", "DAMPE-like e/p (preselected)")), strict=True):
        block = results.get(key)
        if not block:
            continue
        runs = block["runs"]
        base = "moments" if key == "herd_ep" else "zeta"
        methods = list(runs) + [base]
        width = 0.8 / len(methods)
        for j, m in enumerate(methods):
            src = runs[m]["methods"][m] if m in runs else next(iter(runs.values()))["methods"][base]
            rows = [r for r in src["rejection_at_90"] if r["n_background"] > 0]
            x = np.arange(len(rows)) + (j - len(methods) / 2) * width
            ax.bar(x, [r["rejection"] if np.isfinite(r["rejection"]) else r["lower_limit"] for r in rows], width,
                   label=m)
            ax.set_xticks(np.arange(len(rows)), [f"{r['low'] / 1000:g}–{r['high'] / 1000:g} TeV" for r in rows])
        ax.set_yscale("log")
        ax.set_ylabel("proton rejection at 90 % e efficiency")
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    # one intra-op thread: on two shared cores, torch's spinning thread pool slows small models ~10× under load
    import torch

    torch.set_num_threads(1)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("runs/herd_bench"))
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--direction-events", type=int, default=2000, help="e− simulated for the direction training")
    ap.add_argument("--data", type=Path, default=None, help="sample folder (default: OUT/data)")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: speed,physics,direction,herd_ep,"
                                               "dampe_ep,reverse")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    data, models = args.data or args.out / "data", args.out / "models"
    data.mkdir(parents=True, exist_ok=True)
    models.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    results: dict[str, Any] = {"epochs": args.epochs, "seed": args.seed, "load_at_start": load}
    t0 = time.perf_counter()
    needed = {"herd_e_dir"} if "direction" not in skip else set()
    needed |= {"herd_e_1", "herd_e_10"} if "direction" not in skip else set()
    needed |= {"herd_e.h5", "herd_p.h5"} if not {"herd_ep", "reverse"} <= skip else set()
    needed |= {"dampe"} if "dampe_ep" not in skip else set()
    results["sample_rates_events_per_s"] = _simulate(data, args.workers, needed, args.direction_events)
    if "speed" not in skip:
        results["speed"] = _speed(data, args.workers)
        print(json.dumps(results["speed"]), flush=True)
    if "physics" not in skip:
        results["physics"] = physics()
        print(json.dumps(results["physics"]), flush=True)
    def save() -> None:
        (args.out / "results.json").write_text(json.dumps(results, indent=1, default=float))

    save()
    parts = (("herd_ep", "herd_ep", lambda: herd_ep(data, models, args.epochs, args.seed, (100.0, 1000.0))),
             ("dampe_ep", "dampe_ep", lambda: dampe_ep(data, models, args.epochs, args.seed)),
             ("direction", "herd_direction", lambda: herd_direction(data, models, args.epochs, args.seed,
                                                                      args.direction_events)),
             ("reverse", "herd_ep_reverse", lambda: herd_ep(data, models, args.epochs, args.seed, (1000.0, 10000.0))))
    for flag, key, run in parts:
        if flag not in skip:
            t1 = time.perf_counter()
            results[key] = run()
            results[key]["part_seconds"] = time.perf_counter() - t1
            save()
    results["seconds"] = time.perf_counter() - t0
    results["load_at_end"] = os.getloadavg()
    save()
    _plot_ep(results, args.out / "herd_ep.png")
    print(json.dumps({"seconds": results["seconds"], "load": [load, results["load_at_end"]]}), flush=True)


if __name__ == "__main__":
    main()
