"""Every model on every geometry: sample shape and physics sanity, seeded determinism, save/load round trip,
resume after a kill, and one-line errors for folders that are not models."""

import json
from functools import cache

import numpy as np
import pytest
import torch

from showerml.errors import DataFileError, InputError
from showerml.generative import MODELS, build_model, load_model
from showerml.nn.training import TrainConfig
from tests.fastsim_helpers import SMALL, simulated, tiny_showers

KINDS = ["caloflow", "student", "cfm", "ddpm", "edm", "vae", "gan"]
SIZES = {"calogan": 200, "calochallenge2": 120}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _cfg(epochs=1, **kw):
    return TrainConfig(epochs=epochs, batch_size=64, progress=False, seed=0, **kw)


@cache
def trained(kind: str, geometry: str):
    data = simulated(geometry, SIZES[geometry])
    model = build_model(kind, data.geometry, SMALL[kind])
    if kind == "student":
        model.fit(data, _cfg(), parent=trained("caloflow", geometry))
    else:
        model.fit(data, _cfg())
    return model


def test_registry_names_every_model():
    assert sorted(MODELS) == sorted(KINDS)


SLOW_FLOWS = pytest.mark.slow(reason="zuko builds a 6480-feature MADE in ~1 min per block, samples it in 6480 passes")


@pytest.mark.parametrize(
    ("kind", "geometry"),
    [(k, "calogan") for k in KINDS]
    + [pytest.param(k, "calochallenge2", marks=SLOW_FLOWS) if k in ("caloflow", "student") else (k, "calochallenge2")
       for k in KINDS],
)
def test_samples_are_physical_showers(kind, geometry):
    model = trained(kind, geometry)
    ref = simulated(geometry, SIZES[geometry])
    incident = ref.incident[:20]
    out = model.sample(incident, seed=4, batch_size=8)
    assert out.voxels.shape == (20, ref.geometry.n_voxels) and out.voxels.dtype == np.float32
    assert np.all(np.isfinite(out.voxels)) and np.all(out.voxels >= 0)
    thr = model.prep.threshold
    assert np.all((out.voxels == 0) | (out.voxels >= thr))
    np.testing.assert_array_equal(out.incident, incident)
    # the total is generated as a fraction of E_inc: same order as the incident energy (allow a poorly trained net)
    ratio = out.voxels.sum(axis=1) / incident
    assert np.all(ratio < 20)
    again = model.sample(incident, seed=4, batch_size=8)
    np.testing.assert_array_equal(out.voxels, again.voxels)  # same seed → same showers
    assert not np.array_equal(out.voxels, model.sample(incident, seed=5).voxels)


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_round_trip(kind, tmp_path):
    model = trained(kind, "calogan")
    model.save(tmp_path / kind)
    assert {p.name for p in (tmp_path / kind).iterdir()} == {"config.json", "weights.safetensors"}
    config = json.loads((tmp_path / kind / "config.json").read_text())
    assert config["model"] == kind and config["geometry"] == model.geometry.to_json()
    loaded = load_model(tmp_path / kind)
    assert type(loaded) is type(model) and loaded.prep.energy_range == model.prep.energy_range
    e = simulated("calogan", 200).incident[:30]
    np.testing.assert_array_equal(model.sample(e, seed=9).voxels, loaded.sample(e, seed=9).voxels)
    if model.has_log_prob:
        d = simulated("calogan", 200).subset(slice(0, 10))
        np.testing.assert_allclose(model.log_prob(d), loaded.log_prob(d), rtol=1e-6)
    else:
        with pytest.raises(InputError, match="no tractable log-likelihood"):
            loaded.log_prob(simulated("calogan", 200))


class Killed(Exception):
    pass


@pytest.mark.parametrize("kind", ["cfm", "gan"])
def test_resume_after_a_kill_matches_an_uninterrupted_run(kind, tmp_path):
    data = tiny_showers(300)
    full = build_model(kind, data.geometry, SMALL[kind])
    history = full.fit(data, _cfg(epochs=4, patience=10)).val_loss
    killed = build_model(kind, data.geometry, SMALL[kind])
    calls = {"n": 0}
    loss = killed._loss

    def dying(net, batch):
        calls["n"] += 1
        if calls["n"] == 14:  # in the third epoch (5 training batches + 1 validation batch per epoch)
            raise Killed
        return loss(net, batch)

    killed._loss = dying
    with pytest.raises(Killed):
        killed.fit(data, _cfg(epochs=4, patience=10), checkpoint_dir=tmp_path)
    resumed = build_model(kind, data.geometry, SMALL[kind])
    result = resumed.fit(data, _cfg(epochs=4, patience=10), checkpoint_dir=tmp_path, resume=True)
    assert result.epochs_run == 4 and result.val_loss == history  # bit-identical to the uninterrupted run
    for (name, a), b in zip(full.net.state_dict().items(), resumed.net.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_gan_trains_both_players():
    data = tiny_showers(300)
    gan = build_model("gan", data.geometry, SMALL["gan"])
    gan.fit(data, _cfg(epochs=2))
    torch.manual_seed(0)  # the initial weights fit() starts from (seeded with the training seed)
    ref_state = gan._build().state_dict()
    moved = {k: not torch.equal(v, ref_state[k]) for k, v in gan.net.state_dict().items()}
    assert any(v for k, v in moved.items() if k.startswith("discriminator"))
    assert any(v for k, v in moved.items() if k.startswith("generator"))


def test_folders_that_are_not_models_fail_in_one_line(tmp_path):
    with pytest.raises(DataFileError, match="not a showerml model folder"):
        load_model(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"hello": 1}))
    (tmp_path / "weights.safetensors").write_bytes(b"junk")
    with pytest.raises(DataFileError) as err:
        load_model(tmp_path)
    assert "\n" not in str(err.value)
    trained("cfm", "calogan").save(tmp_path / "m")
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    cfg["hparams"]["width"] = 64
    (tmp_path / "m" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(DataFileError, match="weights do not match"):
        load_model(tmp_path / "m")


def test_showers_of_another_geometry_are_refused():
    with pytest.raises(InputError, match="6480 voxels"):
        trained("caloflow", "calogan").log_prob(simulated("calochallenge2", 120))
    model = trained("cfm", "calogan")
    with pytest.raises(InputError, match="6480 voxels"):
        build_model("cfm", model.geometry, SMALL["cfm"]).fit(simulated("calochallenge2", 120), _cfg())
    with pytest.raises(InputError, match="no option"):
        build_model("cfm", model.geometry, {"depth": 3})


def test_samples_reproduce_the_empty_voxel_fraction_after_calibration(tmp_path):
    kind = "cfm"  # the calibrated cut only removes deposits: a model with too many empty voxels (ddpm) stays so
    data = tiny_showers(1500)
    model = build_model(kind, data.geometry, SMALL[kind])
    model.fit(data, _cfg(epochs=2))
    assert len(model.prep.cuts) > 0
    out = model.sample(data.incident, seed=3)
    for s in data.geometry.layer_slices:
        assert (out.voxels[:, s] == 0).mean() == pytest.approx((data.voxels[:, s] == 0).mean(), abs=0.05)
    again = load_model(model.save(tmp_path / kind))  # the cuts travel with the model
    np.testing.assert_array_equal(again.sample(data.incident, seed=3).voxels, out.voxels)


@pytest.mark.slow
def test_bench_variants_are_rows_of_one_trained_model_with_their_own_sampler(tmp_path):
    from showerml.metrics.classifier import ClassifierConfig
    from showerml.pipelines.evaluate import EvaluateConfig
    from showerml.pipelines.fastsim_bench import BenchConfig, BenchModel, run_bench

    entry = BenchModel("edm", hparams=SMALL["edm"], train={"epochs": 1}, timing_batches=(1,),
                       variants={"edm@dpmpp2m-2": {"sampler": "dpmpp2m", "steps": 2}})
    cfg = BenchConfig(n_reference=600, models=[entry], progress=False, timing_repeats=1,
                      evaluate=EvaluateConfig(multiclass=False, distances=False,
                                              classifier=ClassifierConfig(epochs=2)))
    rows = run_bench(simulated("calogan", 1300, seed=5), tmp_path / "b", cfg).models
    assert set(rows) == {"edm", "edm@dpmpp2m-2"}
    assert (rows["edm"].hparams["sampler"], rows["edm"].hparams["steps"]) == ("heun", SMALL["edm"]["steps"])
    assert (rows["edm@dpmpp2m-2"].hparams["sampler"], rows["edm@dpmpp2m-2"].hparams["steps"]) == ("dpmpp2m", 2)
    assert rows["edm"].train_seconds == rows["edm@dpmpp2m-2"].train_seconds  # one training
    assert all(0.5 <= r.auc_low_level <= 1.0 for r in rows.values())
    assert (tmp_path / "b" / "samples" / "edm@dpmpp2m-2.h5").is_file()
