"""Mojaloop end-to-end performance testing workspace: scenarios, stages, lab, k6 and results."""

__version__ = "0.1.0"
