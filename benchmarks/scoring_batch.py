"""Benchmark (run on demand, not a test): the score stage's local generation, one prompt per call vs batched.

For a checkpoint (default: data/models/base, else a freshly built tiny model) and the first N benchmark
prompts, times `LocalBackend.generate` per prompt (`eval.batch_size: 1`) against `generate_batch` for each
batch size asked for, with the benchmark's decoding made greedy so the answers can be compared, and
prints prompts/s, generated tokens/s, the speed-up and whether every answer is the same.

    python benchmarks/scoring_batch.py [--model data/models/base] [--prompts 16] [--batch-sizes 4 8]
        [--max-tokens 128] [--cpu-threads 2]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving_latency import REPO, _checkpoint, _conversations  # noqa: E402  (also puts the repo on sys.path)


def _run(backend, conversations, decoding, batch_size: int) -> tuple[float, list]:
    start = time.perf_counter()
    if batch_size == 1:
        out = [backend.generate(c, decoding) for c in conversations]
    else:
        out = [g for i in range(0, len(conversations), batch_size)
               for g in backend.generate_batch(conversations[i:i + batch_size], decoding)]
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(REPO / "data" / "models" / "base"))
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--max-tokens", type=int, default=128, help="as params eval.max_new_tokens")
    parser.add_argument("--cpu-threads", type=int, default=2, help="as params eval.cpu_threads (0: torch default)")
    args = parser.parse_args()

    from factory.generation import Decoding
    from factory.scoring.backends import LocalBackend

    model = _checkpoint(args.model)
    backend = LocalBackend("bench", model, cpu_threads=args.cpu_threads or None)
    conversations = _conversations(args.prompts)
    decoding = Decoding(temperature=0.0, max_tokens=args.max_tokens)
    print(f"{model}: {len(conversations)} prompts, greedy, max {args.max_tokens} new tokens, "
          f"{args.cpu_threads or 'default'} threads")
    backend.generate(conversations[0], Decoding(temperature=0.0, max_tokens=4))  # warm-up
    baseline_s, baseline = _run(backend, conversations, decoding, 1)
    for size in [1, *args.batch_sizes]:
        seconds, out = (baseline_s, baseline) if size == 1 else _run(backend, conversations, decoding, size)
        tokens = sum(g.completion_tokens or 0 for g in out)
        same = sum(a.text == b.text for a, b in zip(out, baseline))
        print(f"batch {size:>3}: {seconds:8.1f} s  {len(out) / seconds:6.2f} prompts/s  {tokens / seconds:7.1f} tokens/s"
              f"  x{baseline_s / seconds:4.2f}  same answers {same}/{len(out)}", flush=True)


if __name__ == "__main__":
    main()
