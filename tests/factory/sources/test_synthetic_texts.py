"""Synthetic review texts: composed from parts, diverse like the real sample's, and still labelable
(the rule labeler reads the complaint the order's situation implies)."""
from __future__ import annotations

import numpy as np
import pytest

from factory.prompts.labeler import ReviewFacts, RuleLabeler
from factory.sources import diversity
from factory.sources.synthetic import texts
from factory.sources.synthetic.texts import COMPLAINT_CATEGORY, Situation

STATUS = {Situation.NOT_RECEIVED: "shipped", Situation.CANCELED: "canceled"}


def _draws(seed: int, n: int) -> list[list[float]]:
    return np.random.default_rng(seed).random((n, 10)).tolist()


def _comment(score: int, situation: Situation, u: list[float], long: bool = False) -> str:
    late = 3 + int(u[9] * 20) if situation == Situation.LATE else -(1 + int(u[9] * 6))
    return texts.comment(score, situation, u, late=late, wait=15 + int(u[9] * 20), days=4 + int(u[9] * 9),
                         price=89.9, freight=17.5, product="relogios_presentes" if not long else "Notebook", long=long)


# --- diversity ---------------------------------------------------------------------------------

def test_measure_counts_distinct_normalized_texts_and_4grams():
    figures = diversity.measure(["Ótimo produto, chegou rápido!", "otimo produto chegou rapido", None, " ",
                                 "Produto ótimo e chegou antes do prazo"])
    assert figures["texts"] == 3
    assert figures["distinct_share"] == round(2 / 3, 4)  # accents, case and punctuation do not count
    # 4-grams: {otimo produto chegou rapido} and 4 of the 7-word text
    assert figures["distinct_4grams_per_text"] == round(5 / 3, 3)


def test_measure_subsamples_to_a_fixed_size_deterministically():
    many = [f"texto numero {i} da lista" for i in range(3000)]
    first, second = diversity.measure(many), diversity.measure(many)
    assert first == second and first["texts"] == diversity.SAMPLE_SIZE


def test_synthetic_ingest_reports_diversity_close_to_the_real_sample(synthetic_run):
    raw, _ = synthetic_run
    figures = diversity.report(raw)
    real = figures["real_sample"]
    for part in ("olist_comments", "b2w_texts"):
        mine, theirs = figures["this_data"][part], real[part]
        assert mine["distinct_share"] >= theirs["distinct_share"] - 0.05, part
        # the old phrase banks gave ~1.1 distinct 4-grams per comment against the real ~9 (Olist) and ~19 (B2W)
        assert mine["distinct_4grams_per_text"] >= 0.7 * theirs["distinct_4grams_per_text"], part


def test_real_sample_reference_figures_match_the_shared_data(shared_data):
    assert diversity.measure_real_sample(shared_data) == diversity.REAL_SAMPLE


def test_ingest_stage_writes_the_diversity_figures(tmp_path, monkeypatch):
    import json

    import stages.ingest as stage

    from .conftest import synthetic

    monkeypatch.setattr(stage, "RAW_DIR", tmp_path / "raw")
    monkeypatch.chdir(tmp_path)  # the stage writes reports/metrics and reports/details under the working folder
    monkeypatch.setattr(stage, "load_params", lambda: {"data": synthetic(orders=300, b2w_reviews=100)})
    assert stage.main() == 0
    figures = json.loads((tmp_path / "reports" / "details" / "ingest.json").read_text())["text_diversity"]
    assert figures["real_sample"] == diversity.REAL_SAMPLE
    assert figures["this_data"] == diversity.of_raw(tmp_path / "raw")
    assert figures["this_data"]["olist_comments"]["texts"] > 50


# --- composition -------------------------------------------------------------------------------

def test_same_draws_same_text_other_draws_other_text():
    u = _draws(1, 1)[0]
    assert _comment(1, Situation.DEFECT, u) == _comment(1, Situation.DEFECT, u)
    made = {_comment(5, Situation.NONE, v) for v in _draws(2, 300)}
    assert len(made) > 250


def test_texts_carry_the_order_facts():
    u = _draws(3, 200)
    late = [texts.comment(1, Situation.LATE, v, late=13, product="relogios_presentes") for v in u]
    assert np.mean(["13 dias" in t for t in late]) > 0.5
    assert not any("12 dias de atraso" in t for t in late)
    early = [texts.comment(5, Situation.NONE, v, late=-4, days=6) for v in u]
    mentions = [t for t in early if "antes" in t.lower() or "dias" in t.lower()]
    assert mentions and not any("atras" in t.lower() for t in early)
    named = [texts.comment(5, Situation.NONE, v, product="relogios_presentes") for v in u]
    assert any("relógio" in t.lower() or "relogio" in t.lower() for t in named)
    assert all("{" not in t and "[" not in t for t in late + early + named)


def test_one_day_is_singular():
    text = texts.comment(1, Situation.LATE, [0.5] * 10, late=1)
    assert "1 dias" not in text


# Cue words of each situation's complaint, independent of the generator's banks and of the lexicon.
CUES = {
    Situation.LATE: ("atras", "demor", "depois do prazo", "mês depois", "mes depois"),
    Situation.NOT_RECEIVED: ("recebi", "não chegou", "nao chegou", "nunca chega", "entreg", "chegar"),
    Situation.CANCELED: ("cancel", "indispon", "não tem", "nao tem"),
    Situation.DEFECT: ("defeito", "quebrad", "parou de funcionar", "riscad", "não funciona", "nao funciona"),
    Situation.WRONG_PRODUCT: ("diferente", "errad", "corresponde", "veio outro"),
    Situation.SELLER: ("vendedor", "atendimento", "loja", "respond"),
    Situation.PACKAGING: ("embalage", "embalad", "caixa"),
    Situation.PRICE: ("caro", "preço alto", "preco alto", "alto demais", "salgado"),
}


@pytest.mark.parametrize("situation", list(CUES))
def test_every_complaint_names_its_situation(situation):
    """Every 1-3 star comment about a problem carries a cue of that problem (typos never touch one);
    at 4-5 stars most do (a late order's happy customer may not mention the delay)."""
    named = []
    for i, u in enumerate(_draws(10 + situation, 1000)):  # enough texts that the 4-5 star share is stable
        score = 1 + i % 5
        text = _comment(score, situation, u, long=bool(i % 2)).lower()
        has_cue = any(cue in text for cue in CUES[situation])
        assert has_cue or score >= 4, (score, text)
        named.append(has_cue)
    assert np.mean(named) > 0.9


def test_rule_labeler_finds_the_complaints_and_the_praise():
    """The rule labeler (whatever its current lexicon) sees a complaint in 1-3 star problem texts, none
    in 5-star praise, and mostly the category the situation implies."""
    labeler = RuleLabeler()
    complaint, intended = [], []
    for situation in CUES:
        for i, u in enumerate(_draws(20 + situation, 60)):
            score = 1 + i % 3
            facts = ReviewFacts(text=_comment(score, situation, u, long=bool(i % 2)), stars=score,
                                order_status=STATUS.get(situation, "delivered"), is_late=situation == Situation.LATE,
                                delay_days=10.0 if situation == Situation.LATE else None)
            category = labeler.label(facts).truth.complaint_category
            complaint.append(category != "nenhuma")
            intended.append(category == COMPLAINT_CATEGORY[situation])
    praise = [labeler.label(ReviewFacts(text=_comment(5, Situation.NONE, u, long=bool(i % 2)), stars=5,
                                        order_status="delivered", is_late=False)).truth
              for i, u in enumerate(_draws(4, 300))]
    assert np.mean(complaint) > 0.95
    assert np.mean(intended) > 0.6
    assert np.mean([t.sentiment == "positivo" for t in praise]) == 1.0
    assert np.mean([t.complaint_category == "nenhuma" for t in praise]) > 0.85


def test_irony_only_on_low_scores_and_marked():
    for score in (3, 4, 5):
        assert not any("🙄" in _comment(score, s, u) for s in Situation for u in _draws(5, 40))
    ironic = [t for s in Situation if s != Situation.NONE for u in _draws(6, 80)
              if "🙄" in (t := _comment(1, s, u)) or "só que não" in t.lower()]
    assert ironic


def test_registers_typos_and_line_breaks_occur():
    made = [_comment(5, Situation.NONE, u) for u in _draws(7, 600)]
    assert any(t.isupper() for t in made)                                  # all caps
    assert any(w in t.split() for t in made for w in ("pra", "vc", "tb", "blz", "mto", "tá"))  # informal
    assert any("\n" in t for t in made)
    assert any(t.endswith(" ") for t in made)
