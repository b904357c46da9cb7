"""Generative shower surrogates behind one interface: CaloFlow teacher and IAF student, flow matching, DDPM,
EDM-preconditioned score diffusion, VAE, GAN.

Every model maps showers through the shared invertible :mod:`~showerml.generative.preprocessing` and trains through
the one loop :func:`showerml.nn.train`; see :class:`~showerml.generative.base.ShowerGenerator`.
"""

from showerml.generative.base import ShowerGenerator
from showerml.generative.diffusion import DDPM, FlowMatching
from showerml.generative.flows import CaloFlowStudent, CaloFlowTeacher
from showerml.generative.latent import ConditionalGAN, ConditionalVAE
from showerml.generative.preprocessing import PreprocessConfig, ShowerPreprocessor
from showerml.generative.registry import MODELS, build_model, load_model, model_class
from showerml.generative.score import EDMDiffusion

__all__ = [
    "DDPM",
    "MODELS",
    "EDMDiffusion",
    "CaloFlowStudent",
    "CaloFlowTeacher",
    "ConditionalGAN",
    "ConditionalVAE",
    "FlowMatching",
    "PreprocessConfig",
    "ShowerGenerator",
    "ShowerPreprocessor",
    "build_model",
    "load_model",
    "model_class",
]
