"""Plots and self-contained HTML reports (figures embedded as base64 PNG)."""

from showerml.report.html import Report

__all__ = ["Report"]
