"""Benchmark scoring: the same prompts and decoding through local checkpoints and API endpoints.

backends  local checkpoint (in-process) / OpenAI-compatible endpoint -> Generation
run       one backend over the benchmark, each completion scored by `rewards.score`
metrics   per-task / per-stratum means, latency, tokens, cost
lineage   the data, checkpoint and params hashes inside every metrics file
benchmark the `score` stage's work: all targets, outputs written all-or-nothing
report    the `report` stage's work: comparison table, plots, worst cases
"""
