"""Benchmarks: each stage of Enclave measured against the raw library beneath it, in one run.

`python main.py bench {generate,ingest,retrieve,startup}` drives these modules; they are plain
Python (no Qt) so tests and scripts can call them too. Laptops and shared machines are noisy,
so every figure is the median of several runs, reported beside the hardware it ran on and as
a ratio to the raw component measured on the same input in the same process.
"""
