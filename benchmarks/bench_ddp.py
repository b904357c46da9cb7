"""Data-parallel training (issue 23, item 4): 1 process vs 2 gloo processes at the same global batch size.

Model: the CaloFlow teacher (``caloflow``, showerml's default hyper-parameters: two MADE flows, 4 + 4 transforms,
hidden 64,64 and 256,256; Krause & Shih, arXiv:2106.05285) trained through the one training loop on e+ showers in the
CaloGAN geometry (504 voxels) made by showerml's simulator, uniform 1–100 GeV. Both configurations get the same
showers, seed, global batch size (256), epochs and learning rate; the 1-process run uses every core for torch's
intra-op threads (``THREADS`` = 2), each of the 2 processes uses ``THREADS / 2``; a third run, 1 process with
``THREADS / 2`` threads, gives the scaling of the same per-process work.

Prints one JSON line per figure (``benchmark``, ``value``, ``unit``, ``anchor`` — the issue's target where there is
one — ``ratio`` and context): training throughput of each configuration (showers/s over the epochs, the training
loop's own clock), the ratio (target ≥ 1.5), the per-epoch validation losses of both runs and their largest relative
difference (the losses differ through the dequantisation noise, drawn per rank), and what a GPU run would need,
from a profile of one training step on the CPU: parameters, optimiser state, activation memory per batch (the
profiler's allocations during forward + backward), FLOPs per step, and the time per epoch that FLOP count implies on
a GPU at an assumed sustained rate (``GPU_TFLOPS``, default 5: about a quarter of an NVIDIA A100's 19.5 TFLOP/s FP32
peak, A100 datasheet, 2020 — small MADE layers do not reach peak), or the kernel-launch floor if higher (the step's
aten operator calls × ``LAUNCH_US``, default 10 µs each); an estimate, not a measurement.

Environment (defaults in brackets): ``SHOWERML_BENCH_DDP_N`` [8000] showers (10 % validation),
``SHOWERML_BENCH_DDP_EPOCHS`` [2], ``SHOWERML_BENCH_DDP_THREADS`` [2], ``SHOWERML_BENCH_DDP_GPU_TFLOPS`` [5],
``SHOWERML_BENCH_DDP_LAUNCH_US`` [10], ``SHOWERML_BENCH_DDP_DIR`` [runs/bench_ddp].
Run: ``.venv/bin/python benchmarks/bench_ddp.py`` (a few minutes on 2 idle cores at the defaults).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TARGET_SPEEDUP = 1.5
BATCH = 256
KIND = "caloflow"


def _env(name: str, default: float) -> float:
    return float(os.environ.get(f"SHOWERML_BENCH_DDP_{name}", default))


def emit(benchmark: str, value: float | None, unit: str, anchor: float | None = None, **extra: object) -> None:
    ratio = None if value is None or not anchor else round(value / anchor, 4)
    print(json.dumps({"benchmark": benchmark, "value": None if value is None else round(float(value), 5),
                      "unit": unit, "anchor": anchor, "ratio": ratio, **extra}), flush=True)


def _data(n: int, path: Path) -> Path:
    from showerml.detectors.calogan import CaloGANSimulator
    from showerml.io.showers import load_showers
    from showerml.pipelines.simulate import simulate_to_file
    from showerml.spectra import parse_spectrum

    if not path.exists() or load_showers(path).incident.shape[0] != n:
        path.parent.mkdir(parents=True, exist_ok=True)
        simulate_to_file(CaloGANSimulator("e+"), n, parse_spectrum("uniform:1,100"), 1, path, workers=2,
                         overwrite=True, progress=False)
    return path


def _model(data):
    from showerml.generative import PreprocessConfig
    from showerml.generative.registry import build_model

    return build_model(KIND, data.geometry, {}, PreprocessConfig(calib_showers=0))


def _cfg(epochs: int):
    from showerml.nn import TrainConfig

    return TrainConfig(epochs=epochs, batch_size=BATCH, lr=1e-3, patience=100, grad_clip=5.0, seed=0, progress=False)


def _worker(rank: int, world: int, port: int, path: str, epochs: int, threads: int, out: str) -> None:
    """One training process (what ``torchrun --nproc-per-node WORLD`` starts), timing the loop's epochs."""
    import torch

    if world > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                          LOCAL_RANK=str(rank))
    torch.set_num_threads(threads)
    from showerml.io.showers import load_showers

    data = load_showers(path)
    model = _model(data)
    result = model.fit(data, _cfg(epochs))
    if rank == 0:
        Path(out).write_text(json.dumps({"seconds": result.seconds, "val": result.val_loss,
                                         "train": result.train_loss, "n_train": model.record["n_train"]}))


def _run(world: int, path: Path, epochs: int, threads: int, folder: Path) -> dict:
    import torch.multiprocessing as mp

    out = folder / f"world{world}.json"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    mp.start_processes(_worker, args=(world, port, str(path), epochs, threads, str(out)), nprocs=world, join=True,
                       start_method="spawn")
    record = json.loads(out.read_text())
    record["wall"] = time.perf_counter() - t0
    return record


def _profile(path: Path, threads: int) -> dict:
    """Memory and FLOPs of one training step (forward + backward + Adam) at the global batch size, on the CPU."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    from showerml.io.showers import load_showers

    torch.set_num_threads(threads)
    data = load_showers(path)
    model = _model(data)
    inc, vox = model.prepare(data, 0)
    torch.manual_seed(0)
    net = model.net
    loss_fn = model.training_loss(model._loss)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    batch = (inc[:BATCH], vox[:BATCH])
    loss_fn(net, batch).backward()  # warm-up
    opt.step()
    opt.zero_grad()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True, with_flops=True) as prof:
        loss = loss_fn(net, batch)
        loss.backward()
        opt.step()
        opt.zero_grad()
    events = prof.key_averages()
    flops = sum(e.flops for e in events)
    allocated = sum(max(e.self_cpu_memory_usage, 0) for e in events)
    n_params = sum(p.numel() for p in net.parameters())
    calls = sum(e.count for e in events if e.key.startswith("aten::"))
    return {"params": n_params, "flops": flops, "allocated": allocated, "calls": calls}


def main() -> None:
    import torch

    n, epochs = int(_env("N", 8000)), int(_env("EPOCHS", 2))
    threads, tflops, launch_us = int(_env("THREADS", 2)), _env("GPU_TFLOPS", 5.0), _env("LAUNCH_US", 10.0)
    folder = Path(os.environ.get("SHOWERML_BENCH_DDP_DIR", ROOT / "runs" / "bench_ddp"))
    folder.mkdir(parents=True, exist_ok=True)
    path = _data(n, folder / "calogan_eplus.h5")
    load = os.getloadavg()
    common = {"model": KIND, "showers": n, "global_batch": BATCH, "epochs": epochs, "threads_total": threads,
              "load_avg_1min_at_start": round(load[0], 2), "cores": os.cpu_count(), "torch": torch.__version__}
    half = max(threads // 2, 1)
    one = _run(1, path, epochs, threads, folder)
    two = _run(2, path, epochs, half, folder)
    one_half = _run(1, path, epochs, half, folder)
    rate1 = epochs * one["n_train"] / one["seconds"]
    rate2 = epochs * two["n_train"] / two["seconds"]
    rate_half = epochs * one_half["n_train"] / one_half["seconds"]
    emit("ddp_throughput_1proc", rate1, "showers/s", **common, loop_seconds=round(one["seconds"], 2),
         wall_seconds=round(one["wall"], 2))
    emit("ddp_throughput_1proc_half_threads", rate_half, "showers/s", **common, threads=half,
         loop_seconds=round(one_half["seconds"], 2))
    emit("ddp_throughput_2proc_gloo", rate2, "showers/s", **common, loop_seconds=round(two["seconds"], 2),
         wall_seconds=round(two["wall"], 2))
    emit("ddp_speedup_2proc", rate2 / rate1, "x", TARGET_SPEEDUP, passed=rate2 / rate1 >= TARGET_SPEEDUP,
         vs_1proc_half_threads=round(rate2 / rate_half, 3), **common)
    diff = max(abs(a - b) / max(abs(a), 1e-12) for a, b in zip(one["val"], two["val"], strict=True))
    emit("ddp_val_loss_max_rel_diff", diff, "fraction", val_1proc=[round(v, 4) for v in one["val"]],
         val_2proc=[round(v, 4) for v in two["val"]], train_1proc=[round(v, 4) for v in one["train"]],
         train_2proc=[round(v, 4) for v in two["train"]], **common)
    prof = _profile(path, threads)
    state_bytes = 4 * prof["params"] * 4  # weights, gradients, Adam's two moments, float32
    compute_s, launch_s = prof["flops"] / (tflops * 1e12), prof["calls"] * launch_us * 1e-6
    emit("gpu_memory_per_batch", (state_bytes + prof["allocated"]) / 2**20, "MiB", params=prof["params"],
         weights_grads_adam_mib=round(state_bytes / 2**20, 2),
         activations_alloc_mib=round(prof["allocated"] / 2**20, 2), **common)
    emit("gpu_expected_epoch_seconds", max(compute_s, launch_s) * one["n_train"] / BATCH, "s",
         flops_per_step=prof["flops"], aten_calls_per_step=prof["calls"], assumed_tflops=tflops,
         assumed_launch_us=launch_us, compute_ms_per_step=round(compute_s * 1e3, 3),
         launch_ms_per_step=round(launch_s * 1e3, 3), cpu_epoch_seconds_1proc=round(one["seconds"] / epochs, 2),
         note="FLOPs from torch.profiler (matmul/addmm only), assumed rates: an estimate", **common)


if __name__ == "__main__":
    main()
