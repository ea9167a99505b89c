"""Benchmark (run on demand, not a test): generation latency in-process vs through factory.serving.

For a checkpoint (default: data/models/sft, else a freshly built tiny model) and the first N
benchmark prompts (or built-in ones), prints per-prompt latency p50/p95 and tokens/s for the
in-process ChatModel (what `score` uses for local models) and for the same requests over HTTP
through common.openai_client (what endpoint baselines and the judge use), so the HTTP overhead shows.

    python benchmarks/serving_latency.py [--model data/models/sft] [--prompts 20] [--max-tokens 64] [--cpu-threads 1]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "factory" / "scoring"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _conversations(n: int) -> list[list[dict[str, str]]]:
    bench = REPO / "data" / "prompts" / "benchmark.jsonl"
    if bench.is_file():
        from common.io import read_jsonl

        rows = read_jsonl(bench)[:n]
    else:
        from conftest import benchmark_records

        rows = (benchmark_records() * n)[:n]
    return [[{"role": m["role"], "content": m["content"]} for m in r["messages"]] for r in rows]


def _checkpoint(model: str) -> Path:
    """The checkpoint folder asked for, else a freshly built tiny model (a fresh clone has no data/models)."""
    model_dir = Path(model)
    if not (model_dir / "config.json").is_file():
        from conftest import corpus
        from factory.training.base_model import build_tiny_model

        model_dir = build_tiny_model(Path(tempfile.mkdtemp()) / "tiny", corpus(), seed=0)
        print(f"{model} absent: built a tiny model in {model_dir}")
    return model_dir


def _report(name: str, latencies: list[float], tokens: int) -> None:
    q = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    print(f"{name:<12} p50 {statistics.median(latencies) * 1000:8.1f} ms   p95 {q[18] * 1000:8.1f} ms   "
          f"{tokens / sum(latencies):8.1f} tokens/s   ({len(latencies)} prompts, {tokens} tokens)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(REPO / "data" / "models" / "sft"))
    parser.add_argument("--prompts", type=int, default=20)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--cpu-threads", type=int, default=1, help="as params eval.cpu_threads (0: torch default)")
    args = parser.parse_args()

    from common.openai_client import ChatClient
    from conftest import serve
    from factory.generation import Decoding
    from factory.serving import ChatModel

    model_dir = _checkpoint(args.model)
    conversations = _conversations(args.prompts)
    decoding = Decoding(temperature=0.1, max_tokens=args.max_tokens, seed=0)

    local = ChatModel(model_dir, cpu_threads=args.cpu_threads or None)
    local.chat(conversations[0], decoding)  # warm-up
    latencies, tokens = [], 0
    for c in conversations:
        start = time.perf_counter()
        tokens += local.chat(c, decoding).completion_tokens
        latencies.append(time.perf_counter() - start)
    _report("in-process", latencies, tokens)

    with serve(model_dir, "bench") as url:
        client = ChatClient(url, max_retries=0)
        request = dict(model="bench", temperature=0.1, top_p=1.0, max_tokens=args.max_tokens, seed=0)
        client.chat({**request, "messages": conversations[0]})  # warm-up
        latencies, tokens = [], 0
        for c in conversations:
            start = time.perf_counter()
            tokens += client.chat({**request, "messages": c}).completion_tokens
            latencies.append(time.perf_counter() - start)
        _report("HTTP", latencies, tokens)


if __name__ == "__main__":
    main()
