"""Tests of the run report (mojaloop_perf.report)."""
