"""CaloFlow teacher and IAF student: log-density by the change of variables equals zuko's, inversion is exact, and
a distilled student reproduces its teacher's samples (CaloFlow II)."""

import math

import numpy as np
import pytest
import torch

from showerml.generative import CaloFlowStudent, CaloFlowTeacher, load_model
from showerml.nn.training import TrainConfig
from tests.fastsim_helpers import SMALL, TINY, tiny_showers


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _flow_map(model, c):
    """y ↦ z of the two-stage flow (flow I on y_L; flow II on y_V given c and y_L)."""
    n1 = model.n_layers

    def f(y):
        y = y[None]
        z1 = model.net.flow1(c).transform(y[:, :n1])
        z2 = model.net.flow2(torch.cat([c, y[:, :n1]], dim=1)).transform(y[:, n1:])
        return torch.cat([z1, z2], dim=1)[0]

    return f


@pytest.mark.parametrize("cls", [CaloFlowTeacher, CaloFlowStudent])
def test_log_prob_is_the_change_of_variables(cls):
    torch.manual_seed(0)
    model = cls(TINY, **SMALL["caloflow"])
    with torch.no_grad():  # non-trivial weights
        for p in model.net.parameters():
            p.add_(0.3 * torch.randn_like(p))
    y = torch.randn(4, model.dim)
    c = torch.randn(4, 1)
    expected = []
    for i in range(4):
        f = _flow_map(model, c[i : i + 1])
        z = f(y[i])
        jac = torch.autograd.functional.jacobian(f, y[i])
        _, logdet = torch.linalg.slogdet(jac)
        expected.append(-0.5 * (z**2).sum() - 0.5 * model.dim * math.log(2 * math.pi) + logdet)
    got = model._log_prob(y, c)
    torch.testing.assert_close(got, torch.stack(expected).detach(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("cls", [CaloFlowTeacher, CaloFlowStudent])
def test_sampling_inverts_the_density_map(cls):
    torch.manual_seed(1)
    model = cls(TINY, **SMALL["caloflow"])
    c = torch.randn(6, 1)
    y = model._generate(c, torch.Generator().manual_seed(0))
    z = torch.stack([_flow_map(model, c[i : i + 1])(y[i]) for i in range(6)])
    g = torch.Generator().manual_seed(0)  # the latents _generate drew: flow I first, then flow II
    z_ref = torch.cat([torch.randn(6, model.n_layers, generator=g), torch.randn(6, TINY.n_voxels, generator=g)], 1)
    torch.testing.assert_close(z, z_ref, rtol=1e-4, atol=1e-4)


def test_student_is_one_pass_and_mirrors_the_teacher_orders():
    teacher = CaloFlowTeacher(TINY, **SMALL["caloflow"])
    student = CaloFlowStudent(TINY, **SMALL["caloflow"])
    t_orders = [t.order for t in teacher.net.flow2.transform.transforms]
    s_orders = [t.transform.order for t in student.net.flow2.transform.transforms]
    assert all(torch.equal(a, b) for a, b in zip(t_orders, s_orders, strict=True))


def test_distilled_student_reproduces_the_teacher():
    data = tiny_showers(1500, seed=2)
    teacher = CaloFlowTeacher(TINY, **SMALL["caloflow"])
    teacher.fit(data, TrainConfig(epochs=15, lr=3e-3, batch_size=128, progress=False, seed=0))
    student = CaloFlowStudent(TINY, **SMALL["caloflow"])
    c = torch.as_tensor(teacher.prep.context(data.incident[:500]), dtype=torch.float32)

    def gap(model):
        with torch.no_grad():
            a = teacher._generate(c, torch.Generator().manual_seed(5))
            b = model._generate(c, torch.Generator().manual_seed(5))
        return float((a - b).abs().mean()), float(a.std())

    student.net.flow1.load_state_dict(teacher.net.flow1.state_dict())
    before, spread = gap(student)
    student.fit(data, TrainConfig(epochs=40, lr=3e-3, batch_size=128, patience=40, progress=False, seed=0),
                parent=teacher)
    after, _ = gap(student)
    print(f"teacher-student gap {before:.3f} -> {after:.3f} (spread {spread:.3f})")
    assert after < 0.1 * spread and after < 0.25 * before, (before, after, spread)
    lp_t, lp_s = teacher.log_prob(data.subset(slice(0, 300))), student.log_prob(data.subset(slice(0, 300)))
    assert abs(np.mean(lp_t) - np.mean(lp_s)) < 0.1 * abs(np.mean(lp_t)) + 1.0


def test_random_orders_are_saved_and_the_student_takes_the_trained_teachers(tmp_path):
    data = tiny_showers(300, seed=4)
    hp = {**SMALL["caloflow"], "voxel_randperm": True}
    teacher = CaloFlowTeacher(TINY, **hp)
    teacher.fit(data, TrainConfig(epochs=1, batch_size=64, progress=False, seed=3))
    orders = [t.order for t in teacher.net.flow2.transform.transforms]
    assert any(not torch.equal(o, torch.arange(TINY.n_voxels)) and not torch.equal(o, torch.arange(TINY.n_voxels)
               .flip(0)) for o in orders)  # not the alternating default
    teacher.save(tmp_path / "t")
    again = load_model(tmp_path / "t")
    assert all(torch.equal(a.order, b.order) for a, b in zip(
        teacher.net.flow2.transform.transforms, again.net.flow2.transform.transforms, strict=True))
    np.testing.assert_array_equal(teacher.sample(data.incident[:20], seed=1).voxels,
                                  again.sample(data.incident[:20], seed=1).voxels)
    torch.manual_seed(123)  # a different global RNG state than the teacher's build must not change the orders
    student = CaloFlowStudent(TINY, **hp)
    student.fit(data, TrainConfig(epochs=1, batch_size=64, progress=False, seed=7), parent=teacher)
    s_orders = [t.transform.order for t in student.net.flow2.transform.transforms]
    assert all(torch.equal(a, b) for a, b in zip(orders, s_orders, strict=True))
