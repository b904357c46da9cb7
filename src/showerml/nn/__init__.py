"""Torch building blocks shared by every model: the one training loop and safe (de)serialisation."""

from showerml.nn.serialization import load_state, save_state
from showerml.nn.training import TrainConfig, TrainResult, train

__all__ = ["TrainConfig", "TrainResult", "load_state", "save_state", "train"]
