"""A HERD-like 3D calorimeter of LYSO cubes with five-sided charge layers (``showerml simulate herd``)."""
