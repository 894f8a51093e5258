"""Measurements: complexity (params, FLOPs, throughput), ..."""
