"""showerml: machine learning on particle and astroparticle detector data.

simulate → train → evaluate → report, on a laptop CPU. Units inside the code are MeV, mm, ns.
"""

__version__ = "0.1.0"

from showerml.errors import ShowermlError

__all__ = ["ShowermlError", "__version__"]
