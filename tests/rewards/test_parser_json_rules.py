"""Each rule of `rewards.parsing` (see its docstring) on realistic PT-BR model outputs, read the way
the task scorers read them (expected keys, placeholders rejected by the field specs)."""
from __future__ import annotations

import json

import pytest

from rewards import churn, extraction, sentiment
from rewards.parsing import MINUS_SIGNS, extract_json_object, json_objects

SENTIMENT = sentiment.ANSWER
EXTRACTION = extraction.ANSWER
CHURN = churn.ANSWER
RIGHT = {"sentiment": "negativo", "sentiment_score": -0.8}


def read(text: str, answer=SENTIMENT):
    """(value, quality) as the scorer of `answer` reads `text`."""
    parsed = extract_json_object(text, answer.names, answer.keep)
    return parsed.value, parsed.quality


# --- rule 1: the answer follows the last </think> -------------------------------------------------

@pytest.mark.parametrize("text", [
    '<think>Rascunho: {"sentiment": "positivo", "sentiment_score": 0.9}. Não, a cliente reclamou do atraso.</think>\n'
    '{"sentiment": "negativo", "sentiment_score": -0.8}',
    '<think>primeira ideia</think><think>{"sentiment": "neutro"}</think> {"sentiment": "negativo", "sentiment_score": -0.8}',
    'O template abriu o bloco no prompt, então só fecho: {"sentiment": "positivo"} </think>'
    '{"sentiment": "negativo", "sentiment_score": -0.8}',
])
def test_the_answer_is_what_follows_the_last_think(text: str) -> None:
    assert read(text) == (RIGHT, 1.0)


@pytest.mark.parametrize("text", [
    '<think>Acho que é {"sentiment": "negativo", "sentiment_score": -0.8}',   # cut off while thinking
    '<think>{"sentiment": "negativo", "sentiment_score": -0.8}</think>\n<think>vou revisar',
])
def test_an_unclosed_think_has_no_answer(text: str) -> None:
    assert read(text) == (None, 0.0)


# --- rules 2-3: which object ----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    '```json\n{"sentiment": "negativo", "sentiment_score": -0.8}\n```',
    'Claro! Segue a classificação: {"sentiment": "negativo", "sentiment_score": -0.8}. Espero ter ajudado!',
    'Resposta:\n```\n{\n  "sentiment": "negativo",\n  "sentiment_score": -0.8\n}\n```\nObs.: o cliente citou atraso.',
])
def test_objects_are_found_fenced_bare_and_in_prose(text: str) -> None:
    assert read(text) == (RIGHT, 1.0)


def test_the_last_object_wins_over_a_draft() -> None:
    text = ('Primeira tentativa: {"sentiment": "positivo", "sentiment_score": 0.7}\n'
            'Relendo: a cliente diz que "nunca mais compra". Corrigindo:\n'
            '```json\n{"sentiment": "negativo", "sentiment_score": -0.8}\n```')
    assert read(text) == (RIGHT, 1.0)


def test_a_complete_object_beats_a_later_truncated_one() -> None:
    text = '{"sentiment": "negativo", "sentiment_score": -0.8}\nOu, em outro formato: {"sentiment": "positivo", "sent'
    assert read(text) == (RIGHT, 1.0)
    # alone, the truncated one keeps its complete field
    assert read('{"sentiment": "positivo", "sent') == ({"sentiment": "positivo"}, 0.5)


def test_braces_inside_strings_and_prose_braces_are_not_objects() -> None:
    text = ('Preencha o modelo {campo: valor} abaixo.\n'
            '{"sentiment": "negativo", "sentiment_score": -0.8, "nota": "veio {quebrado} e sem } manual"}')
    assert read(text) == (RIGHT, 1.0)
    (found,) = json_objects('{"txt": "a } b { c", "n": 1}')
    assert found.value == {"txt": "a } b { c", "n": 1} and found.complete and found.clean


@pytest.mark.parametrize("text", [
    "{}",
    "```json\n{}\n```",
    '{"modelo": "assistente", "tokens": 42}',
    "Não sei responder no formato {campo: valor}.",
    '{"sentiment": "positivo|neutro|negativo", "sentiment_score": "<número de -1 a 1>"}',
    '{"sentiment": "positivo, neutro ou negativo", "sentiment_score": "-1 a 1"}',
    '{"sentiment": <positivo/neutro/negativo>, "sentiment_score": <número>}',
    '{"sentiment": "...", "sentiment_score": "número entre -1 e 1"}',
])
def test_empty_metadata_prose_braces_and_echoed_format_examples_are_not_answers(text: str) -> None:
    assert read(text) == (None, 0.0)


def test_an_echoed_example_before_the_answer_is_skipped_and_after_it_too() -> None:
    echo = '{"sentiment": "positivo|neutro|negativo", "sentiment_score": "<número de -1 a 1>"}'
    answer = '{"sentiment": "negativo", "sentiment_score": -0.8}'
    assert read(f"O formato pedido é {echo}. Minha resposta: {answer}") == (RIGHT, 1.0)
    assert read(f"{answer}\n(formato: {echo})") == (RIGHT, 1.0)


def test_placeholders_for_booleans_probabilities_and_text() -> None:
    assert read('{"will_churn": true ou false, "churn_probability": 0 a 1}', CHURN) == (None, 0.0)
    assert read('{"will_churn": "true|false", "churn_probability": "<probabilidade>"}', CHURN) == (None, 0.0)
    value, _ = read('{"will_churn": true, "churn_probability": "<de 0 a 1>"}', CHURN)
    assert value == {"will_churn": True}             # the real value stays, the placeholder does not
    value, _ = read('{"main_complaint": "<texto>", "delivery_issue": "sim/não", "sentiment": "negativo"}', EXTRACTION)
    assert value == {"sentiment": "negativo"}


# --- rule 4: wrappers ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    '{"resposta": {"sentiment": "negativo", "sentiment_score": -0.8}}',
    '{"analise": {"sentiment": "negativo", "sentiment_score": -0.8}, "idioma": "pt-BR"}',
    '{"resultado": {"classificacao": {"sentiment": "negativo", "sentiment_score": -0.8}}}',
    '[{"sentiment": "negativo", "sentiment_score": -0.8}]',
    '{"respostas": [{"sentiment": "negativo", "sentiment_score": -0.8}]}',
])
def test_a_wrapper_is_looked_into(text: str) -> None:
    assert read(text) == (RIGHT, 1.0)


def test_a_wrapper_holding_json_as_a_string() -> None:
    assert read('{"resposta": "{\\"sentiment\\": \\"negativo\\", \\"sentiment_score\\": -0.8}"}')[0] == RIGHT


def test_keys_are_compared_like_labels() -> None:
    assert read('{"Sentiment": "negativo", "Sentiment Score": -0.8}')[0] == RIGHT


# --- rule 5: lexical repairs (value kept, quality 0.5) ---------------------------------------------

@pytest.mark.parametrize("name, text", [
    ("trailing comma", '{"sentiment": "negativo", "sentiment_score": -0.8,}'),
    ("doubled comma", '{"sentiment": "negativo",, "sentiment_score": -0.8}'),
    ("missing comma", '{"sentiment": "negativo"\n"sentiment_score": -0.8}'),
    ("missing comma, one line", '{"sentiment": "negativo" "sentiment_score": -0.8}'),
    ("single quotes", "{'sentiment': 'negativo', 'sentiment_score': -0.8}"),
    ("curly quotes", "{\u201csentiment\u201d: \u201cnegativo\u201d, \u201csentiment_score\u201d: -0.8}"),
    ("curly single quotes", "{\u2018sentiment\u2019: \u2018negativo\u2019, \u2018sentiment_score\u2019: -0.8}"),
    ("mismatched quotes", "{\"sentiment': 'negativo\", 'sentiment_score\": -0.8}"),
    ("bare keys", '{sentiment: "negativo", sentiment_score: -0.8}'),
    ("bare one-word value", '{"sentiment": negativo, "sentiment_score": -0.8}'),
    ("line comments", '{\n  "sentiment": "negativo", // a cliente reclamou\n  "sentiment_score": -0.8 # forte\n}'),
    ("block comment", '{"sentiment": "negativo", /* atraso */ "sentiment_score": -0.8}'),
    ("bracket closer", '{"sentiment": "negativo", "sentiment_score": -0.8]'),
    ("leading dot", '{"sentiment": "negativo", "sentiment_score": -.8}'),
    ("plus sign", '{"sentiment": "negativo", "sentiment_score": -0.8, "extra": +1}'),
    ("twice encoded", json.dumps(json.dumps(RIGHT))),
    ("escaped without outer quotes", json.dumps(RIGHT).replace('"', '\\"')),
])
def test_lexical_repairs(name: str, text: str) -> None:
    value, quality = read(text)
    assert value == RIGHT and quality == 0.5, name


def test_python_and_js_literals() -> None:
    value, quality = read("{'sentiment': 'negativo', 'delivery_issue': True, 'product_issue': False, "
                          "'main_complaint': None}", EXTRACTION)
    assert value == {"sentiment": "negativo", "delivery_issue": True, "product_issue": False, "main_complaint": None}
    assert quality == 0.5
    value, _ = read('{"sentiment": "negativo", "main_complaint": undefined, "seller_issue": NaN}', EXTRACTION)
    assert value == {"sentiment": "negativo", "main_complaint": None, "seller_issue": None}


def test_strict_json_literals_and_escapes_stay_clean() -> None:
    value, quality = read('{"sentiment": "negativo", "main_complaint": "veio \\"quebrado\\"\\nsem nota", '
                          '"delivery_issue": true, "seller_issue": null}', EXTRACTION)
    assert quality == 1.0 and value["main_complaint"] == 'veio "quebrado"\nsem nota'


# --- rule 6: notation (value kept, quality 1.0) ------------------------------------------------------

@pytest.mark.parametrize("text, score", [
    ('{"sentiment": "negativo", "sentiment_score": -0,8}', -0.8),
    ('{"sentiment": "negativo", "sentiment_score": 0,25}', 0.25),
    ('{"sentiment": "negativo", "sentiment_score": 1.234,56}', 1234.56),
    ('{"sentiment": "negativo", "sentiment_score": - 0,8}', -0.8),
    ('{"sentiment": "negativo", "sentiment_score": 12.345.678,9}', 12345678.9),
])
def test_decimal_commas_and_thousands(text: str, score: float) -> None:
    assert read(text) == ({"sentiment": "negativo", "sentiment_score": score}, 1.0)


@pytest.mark.parametrize("sign", list(MINUS_SIGNS))
def test_every_minus_sign_keeps_the_sign(sign: str) -> None:
    for number in ("0,8", "0.8"):
        text = f'{{"sentiment": "negativo", "sentiment_score": {sign}{number}}}'
        assert read(text) == (RIGHT, 1.0), (hex(ord(sign)), number)
        # the same inside a string and in a truncated answer (a complete member before the cut)
        assert read(f'{{"sentiment_score": "{sign}{number}", "sentiment": "negativo"}}')[0]["sentiment_score"] == \
            f"{sign}{number}"
        assert read(f'{{"sentiment_score": {sign}{number}, "sentiment": "neg')[0] == {"sentiment_score": -0.8}


def test_arrays_keep_json_commas() -> None:
    (found,) = json_objects('{"ids": [1,2,3], "n": 1,5}')
    assert found.value == {"ids": [1, 2, 3], "n": 1.5}


def test_bare_sim_nao_are_notation() -> None:
    value, quality = read('{"delivery_issue": sim, "product_issue": Não, "seller_issue": falso, '
                          '"would_recommend": verdadeiro}', EXTRACTION)
    assert quality == 1.0
    assert value == {"delivery_issue": True, "product_issue": False, "seller_issue": False, "would_recommend": True}


def test_notation_inside_strings_is_left_alone() -> None:
    value, quality = read('{"main_complaint": "nota: 4,5, veio sim", "sentiment": "negativo"}', EXTRACTION)
    assert quality == 1.0 and value["main_complaint"] == "nota: 4,5, veio sim"


# --- rule 7: truncation ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, kept", [
    ('{"sentiment": "negativo", "sentiment_score": -0.', {"sentiment": "negativo"}),
    ('{"sentiment": "negativo", "sentiment_score": -0', {"sentiment": "negativo"}),
    ('{"sentiment": "negativo", "sentiment_score": 0,', {"sentiment": "negativo"}),   # may be 0,8
    ('{"sentiment": "negativo", "sentiment_score": -0,8', {"sentiment": "negativo"}),
    ('{"sentiment_score": -0.8, "sentiment": "nega', {"sentiment_score": -0.8}),
    ('{"sentiment_score": -0.8, "sentiment": nega', {"sentiment_score": -0.8}),
    ('{"sentiment_score": -0.8, "sentiment": "negativo"', RIGHT),
    ('{"sentiment_score": -0.8, "sentiment"', {"sentiment_score": -0.8}),
    ('{"sentiment_score": -0.8, "sentiment": ', {"sentiment_score": -0.8}),
    ('{"resposta": {"sentiment": "negativo", "sentiment_score": -0.8', {"sentiment": "negativo"}),
])
def test_a_truncated_answer_keeps_only_complete_values(text: str, kept: dict) -> None:
    assert read(text) == (kept, 0.5)


@pytest.mark.parametrize("text", ['{"delivery_issue": fal', '{"delivery_issue": tr', '{"delivery_issue": n',
                                  '{"main_complaint": "Chegou com atr', '{"sentiment": "nega', '{"sentiment_score": 0,'])
def test_a_half_written_value_is_never_kept(text: str) -> None:
    assert read(text, EXTRACTION) == (None, 0.0)


def test_every_prefix_of_a_gold_answer(records: list[dict]) -> None:
    """Truncations at every position of each JSON gold answer: never a crash, never a value the full
    answer does not hold, never fewer fields than a shorter prefix."""
    for record in records:
        answer = {"extraction": EXTRACTION, "sentiment": SENTIMENT, "churn": CHURN}.get(record["task"])
        if answer is None:
            continue
        full = {k: record["ground_truth"][k] for k in (s.name for s in answer.specs)}
        for text in (json.dumps(full, ensure_ascii=False), json.dumps(full, ensure_ascii=False, indent=2),
                     "```json\n" + json.dumps(full, ensure_ascii=False).replace(".", ",") + "\n```"):
            seen: set[str] = set()
            for end in range(len(text) + 1):
                value, quality = read(text[:end], answer)
                value = value or {}
                for name, got in value.items():
                    spec = answer.by_name[name]
                    assert spec.coerce(got) == spec.coerce(full[name]), (text[:end], name, got)
                assert seen <= value.keys(), (text[:end], seen, value)
                seen = set(value)
                assert (quality == 0.0) == (not value)
            assert seen == set(full)


# --- rule 8: types are coerced in one place --------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("sim", True), ("Não", False), ("verdadeiro", True), ("falso", False), ("true", True), ("FALSE", False),
    (1, True), (0, False), (1.0, True), ("1", True), ("talvez", None), (2, None), ([True], None), ({"v": 1}, None),
])
def test_boolean_fields_coerce(raw, expected) -> None:
    assert EXTRACTION.by_name["delivery_issue"].coerce(raw) is expected


@pytest.mark.parametrize("raw, expected", [
    ("-0,8", -0.8), ("\u22120,8", -0.8), (" 0.35 ", 0.35), (-1, -1.0), ("alto", None), (True, None), ([0.5], None),
    (None, None), (float("inf"), None),
])
def test_number_fields_coerce(raw, expected) -> None:
    assert EXTRACTION.by_name["sentiment_score"].coerce(raw) == expected


def test_a_probability_in_percent() -> None:
    assert CHURN.by_name["churn_probability"].coerce("80%") == 0.8


@pytest.mark.parametrize("text", [
    "{" * 20000, '{"a":' * 5000 + "1" + "}" * 5000, '{"a": "' + '"' * 10000, '{"sentiment": "' + "x" * 100000,
    '"{\\"a\\": ' * 3000, '{"a": 0,5, ' * 3000, "{'a': x, " * 2000, "palavra {nome} " * 3000, '{"a": [' * 3000,
])
def test_hostile_input_is_read_in_bounded_time(text: str) -> None:
    import time

    start = time.process_time()
    assert read(text) == (None, 0.0)
    assert time.process_time() - start < 2.0  # ~50 ms on an idle core; generous for a loaded machine
