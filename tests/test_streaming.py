"""Training from an HDF5 file read batch by batch (DataLoader workers, chunked reads) gives the batches — and so the
weights — of the same training on tensors in memory."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from showerml.errors import DataFileError, InputError
from showerml.nn import TrainConfig, train
from showerml.nn.splits import split_train_val
from showerml.nn.streaming import H5Rows
from tests.test_training import _model, mse


def _file(tmp_path, n=512, chunk=50):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    y = x @ torch.tensor([1.5, -2.0, 0.5]) + 0.1 * torch.randn(n, generator=g)
    path = tmp_path / "toy.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=x.double().numpy(), chunks=(chunk, 3), compression="gzip")  # stored float64
        f.create_dataset("y", data=y.numpy(), chunks=(chunk,))
    return path, x, y


def test_fetch_returns_the_rows_in_batch_order_with_the_requested_dtype(tmp_path):
    path, x, y = _file(tmp_path)
    rows = H5Rows(path, ["x", "y"], [torch.float32, torch.float32])
    idx = torch.tensor([511, 3, 260, 3, 0, 149, 150])  # across chunks, repeated, unsorted
    bx, by = rows.fetch(idx)
    assert bx.dtype == torch.float32 and torch.equal(bx, x[idx]) and torch.equal(by, y[idx])
    part = rows.subset(np.array([10, 20, 30]))
    assert len(part) == 3 and torch.equal(part[1][0], x[20])


def test_streamed_training_equals_the_in_memory_training(tmp_path):
    path, x, y = _file(tmp_path)
    tr, va = split_train_val(len(x), 0.2, seed=3)
    cfg = TrainConfig(epochs=2, lr=1e-2, batch_size=32, progress=False, patience=100)
    memory = _model()
    r1 = train(memory, mse, (x[tr], y[tr]), (x[va], y[va]), cfg)
    whole = H5Rows(path, ["x", "y"], [torch.float32, torch.float32], workers=2)
    streamed = _model()
    seen: list[torch.Tensor] = []

    def recording(model, batch):
        seen.append(batch[1])
        return mse(model, batch)

    r2 = train(streamed, recording, whole.subset(tr), whole.subset(va), cfg)
    assert r1.train_loss == r2.train_loss and r1.val_loss == r2.val_loss
    for a, b in zip(memory.state_dict().values(), streamed.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    order = torch.Generator().manual_seed(cfg.seed)
    first = torch.randperm(len(tr), generator=order)[:32]
    assert torch.equal(seen[0], y[tr][first])  # the first batch is the seeded shuffle's, read from the file


def test_bad_streamed_inputs_are_one_line_errors(tmp_path):
    path, _, _ = _file(tmp_path)
    with pytest.raises(DataFileError, match="no dataset 'z'"):
        H5Rows(path, ["x", "z"])
    with pytest.raises(InputError, match="rows outside"):
        H5Rows(path, ["x"], rows=[0, 512])
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    with pytest.raises(DataFileError, match="cannot be read as HDF5"):
        H5Rows(tmp_path / "junk.h5", ["x"])
    with h5py.File(tmp_path / "ragged.h5", "w") as f:
        f["a"], f["b"] = np.zeros(3), np.zeros(4)
    with pytest.raises(DataFileError, match="differ in length"):
        H5Rows(tmp_path / "ragged.h5", ["a", "b"])
