"""Tests of mlperf.kube against a fake Kubernetes API server."""
