"""A minimal valid churn PromptRecord: the outcome is all that the floor and self-test tests vary."""
from __future__ import annotations


def churn_record(n: int, will_churn: bool) -> dict:
    return {"id": f"churn-high-{n:04d}", "task": "churn", "difficulty": "high",
            "messages": [{"role": "system", "content": "Responda em JSON."}, {"role": "user", "content": f"Cliente {n}"}],
            "ground_truth": {"will_churn": will_churn, "churn_probability": 0.8, "cutoff_date": "2018-03-01",
                             "horizon_days": 180},
            "source": {"table": "orders_enriched", "keys": [f"k{n}"]}}
