"""How much a set of review texts repeats itself: the share of distinct comments and the distinct
word 4-grams per comment, measured the same way on synthetic and real texts.

Texts are compared normalized (lower case, no accents, words only), so "Ótimo!" and "otimo" are
the same comment. Both figures grow or shrink with the number of texts, so they are measured on a
fixed-size, seeded subsample (`SAMPLE_SIZE` texts, all of them when there are fewer) to make a
5,000-order synthetic run comparable with the 858 comments of the real Olist sample.
"""
from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator, Sequence

SAMPLE_SIZE = 800
NGRAM = 4

# Measured with `python -m factory.sources.diversity /work/shared/data` (see `measure_real_sample`)
# on the real developer samples: Olist olist_order_reviews_dataset.csv (non-empty comments) and
# B2W B2W-Reviews01.sample.csv (non-empty review_text), read with the ingest's own reader.
# tests/factory/sources/test_synthetic_texts.py recomputes them when ../shared/data is present.
REAL_SAMPLE = {
    "olist_comments": {"texts": 800, "words_per_text": 11.97, "distinct_share": 0.9375, "distinct_4grams_per_text": 8.71},
    "b2w_texts": {"texts": 800, "words_per_text": 21.8, "distinct_share": 0.9888, "distinct_4grams_per_text": 18.084},
}


def normalize(text: str) -> tuple[str, ...]:
    """The words of `text`, lower case and without accents."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return tuple(re.findall(r"\w+", plain))


def shuffled(n: int, seed: int) -> Iterator[int]:
    """`random.Random(seed).sample(range(n), n)`, one index at a time: the same random draws and
    swaps as `sample` (its pool branch, which it takes whenever k = n), so a caller that stops
    early has not paid for shuffling all n."""
    randbelow = random.Random(seed)._randbelow
    swapped: dict[int, int] = {}
    for i in range(n):
        j, last = randbelow(n - i), n - i - 1
        yield swapped.get(j, j)
        swapped[j] = swapped.get(last, last)


def measure(texts: Iterable[str | None], sample_size: int = SAMPLE_SIZE, seed: int = 0) -> dict[str, float | int]:
    """{texts, words_per_text, distinct_share, distinct_4grams_per_text} over a seeded subsample of the
    non-empty texts (words_per_text says whether a higher 4-gram count comes only from longer texts)."""
    return _measure_nonempty([t for t in texts if t and t.strip()], sample_size, seed)


def measure_column(column, sample_size: int = SAMPLE_SIZE, seed: int = 0) -> dict[str, float | int]:
    """`measure` of an Arrow string column, without turning the whole column into Python strings."""
    return _measure_nonempty(_ArrowCandidates(column), sample_size, seed)


def _measure_nonempty(candidates: Sequence[str], sample_size: int, seed: int) -> dict[str, float | int]:
    words = []
    for i in shuffled(len(candidates), seed):  # normalise only as many texts as the sample takes
        normalized = normalize(candidates[i])
        if normalized:
            words.append(normalized)
            if len(words) == sample_size:
                break
    if not words:
        return {"texts": 0, "words_per_text": 0.0, "distinct_share": 0.0, "distinct_4grams_per_text": 0.0}
    grams = {w[i:i + NGRAM] for w in words for i in range(len(w) - NGRAM + 1)}
    return {"texts": len(words), "words_per_text": round(sum(map(len, words)) / len(words), 2),
            "distinct_share": round(len(set(words)) / len(words), 4),
            "distinct_4grams_per_text": round(len(grams) / len(words), 3)}


class _ArrowCandidates(Sequence):
    """The non-empty texts (`t and t.strip()`) of an Arrow string column, without turning the whole
    column into Python strings: a text starting with a printable ASCII character other than space
    is non-empty for sure (picked out by Arrow); only the others (NULLs excluded) are tested in
    Python. Items are fetched one by one, in the order the sample asks for them."""

    def __init__(self, column):
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        sure = pc.fill_null(pc.match_substring_regex(column, r"^[!-~]"), False).to_numpy(zero_copy_only=False)
        unsure = np.flatnonzero(~sure & column.is_valid().to_numpy(zero_copy_only=False))
        keep = sure.copy()
        keep[unsure] = [bool(t and t.strip()) for t in column.take(pa.array(unsure, pa.int64())).to_pylist()]
        self.column, self.at = column, np.flatnonzero(keep)

    def __len__(self) -> int:
        return len(self.at)

    def __getitem__(self, i: int) -> str:
        return self.column[int(self.at[i])].as_py()


def of_raw(raw_dir: Path) -> dict[str, dict[str, float | int]]:
    """The figures for the Olist comments and B2W texts of an ingested data/raw folder."""
    import pyarrow.parquet as pq

    raw_dir = Path(raw_dir)
    olist = pq.read_table(raw_dir / "order_reviews.parquet", columns=["review_comment_message"])
    b2w = pq.read_table(raw_dir / "b2w_reviews.parquet", columns=["review_text"])
    return {"olist_comments": measure_column(olist.column(0)), "b2w_texts": measure_column(b2w.column(0))}


def report(raw_dir: Path) -> dict[str, object]:
    """The ingest metric: this data's figures next to the real sample's reference figures."""
    return {"this_data": of_raw(raw_dir), "real_sample": REAL_SAMPLE,
            "method": f"word {NGRAM}-grams, normalized texts, seeded subsample of at most {SAMPLE_SIZE}"}


def measure_real_sample(shared_data: Path) -> dict[str, dict[str, float | int]]:
    """Recompute `REAL_SAMPLE` from the developer samples in `shared_data` (../shared/data)."""
    from factory.sources.reader import read_b2w, read_olist_table
    from schemas.raw import OrderReview

    shared_data = Path(shared_data)
    reviews, _ = read_olist_table(shared_data / "olist-sample" / OrderReview.source_file, OrderReview)
    b2w = read_b2w(shared_data / "b2w-sample" / "B2W-Reviews01.sample.csv").table
    return {"olist_comments": measure_column(reviews.column("review_comment_message")),
            "b2w_texts": measure_column(b2w.column("review_text"))}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(measure_real_sample(Path(sys.argv[1])), indent=2))
