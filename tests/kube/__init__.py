"""Tests of mojaloop_perf.kube against a fake Kubernetes API server."""
