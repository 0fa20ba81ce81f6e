"""Tests of the run report (mlperf.report)."""
