"""Detector geometries and physics simulators (numpy only, no torch)."""
