"""Kubernetes: the client code of the AWS target and validation of rendered objects."""
