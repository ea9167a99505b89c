"""Free-text rewards must not pay for degenerate output (a repeated token), the usual small-model failure."""
import pytest

import rewards
from rewards.parsing import readability
from schemas.tasks import Fact, InsightsTruth, PushTruth

INSIGHTS = InsightsTruth(
    facts=[Fact(name="receita SP", value=1234.5, unit="R$")], entities=["São Paulo"],
    reference="Em São Paulo a receita foi de R$ 1.234,50. Vale reforçar a logística do estado.",
).model_dump()
PUSH = PushTruth(max_chars=120, category="cama mesa banho", allowed_discount_pct=None,
                 reference="Novidades em cama mesa banho esperando por você. Vem ver!").model_dump()
DEGENERATE = [  # shapes seen in real generations of the tiny model
    "\n\n " + " ".join(["reduzir"] * 32) + "DistritoDistritoDistritoDistrito",
    "\n" + "aria" * 30 + "Vo" * 40,
]


@pytest.mark.parametrize("text", DEGENERATE)
def test_degenerate_text_scores_far_below_the_gold(text):
    assert readability(text) < 0.3
    assert rewards.score("insights", text, INSIGHTS)["reward"] < 0.1
    assert rewards.score("push", text, PUSH)["reward"] < 0.15


def test_ordinary_prose_keeps_full_credit():
    assert readability(INSIGHTS["reference"]) == 1.0
    assert rewards.score("insights", INSIGHTS["reference"], INSIGHTS)["reward"] >= 0.99
    assert rewards.score("push", PUSH["reference"], PUSH)["reward"] >= 0.99
