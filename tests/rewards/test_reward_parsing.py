"""Reading model output: think blocks, fences, damaged JSON and PT-BR notation."""
from __future__ import annotations

import pytest

from rewards.parsing import (
    coerce_bool,
    coerce_label,
    code_fences,
    extract_json_object,
    numbers_in_text,
    parse_number,
    prose,
    strip_think,
)
from schemas.tasks import COMPLAINT_CATEGORIES


@pytest.mark.parametrize("text, expected", [
    ("<think>pensando {\"a\": 1}</think>\n{\"b\": 2}", '{"b": 2}'),
    ("raciocínio solto</think> resposta", "resposta"),      # template opened the block in the prompt
    ("resposta <think>nunca fechado", "resposta"),
    ("<THINK>x</THINK>ok", "ok"),
    ("  sem bloco  ", "sem bloco"),
])
def test_strip_think(text: str, expected: str) -> None:
    assert strip_think(text) == expected


def test_code_fences_labelled_unlabelled_inline_and_unterminated() -> None:
    fences = code_fences("a\n```json\n{\"x\": 1}\n```\nb ```sql SELECT 1``` c\n```\nfim sem fechar")
    assert [(f.lang, f.body) for f in fences] == [("json", '{"x": 1}'), ("sql", "SELECT 1"), ("", "fim sem fechar")]


@pytest.mark.parametrize("completion", [
    '{"a": 1, "b": "x"}',
    '```json\n{"a": 1, "b": "x"}\n```',
    '<think>hmm {"a": 9}</think>```\n{"a": 1, "b": "x"}\n```',
    'Claro! Aqui está: {"a": 1, "b": "x"} Espero ter ajudado.',
])
def test_clean_json_is_found_anywhere(completion: str) -> None:
    parsed = extract_json_object(completion)
    assert parsed.value == {"a": 1, "b": "x"} and parsed.quality == 1.0


def test_damaged_json_is_repaired_at_lower_quality() -> None:
    parsed = extract_json_object('{"a": 1, "b": "x",')
    assert parsed.value == {"a": 1, "b": "x"} and parsed.quality == 0.5
    assert extract_json_object("{'a': 1}").value == {"a": 1}
    assert extract_json_object("sem json nenhum").value is None
    assert extract_json_object("[1, 2, 3]").value is None  # an array is not the answer object


def test_portuguese_decimal_comma_keeps_arrays_and_strings() -> None:
    parsed = extract_json_object('{"score": 4,5, "ids": [1,2,3], "txt": "nota: 4,5, ok", "v": 1.234,56, "n": -0,25}')
    assert parsed.quality == 1.0
    assert parsed.value == {"score": 4.5, "ids": [1, 2, 3], "txt": "nota: 4,5, ok", "v": 1234.56, "n": -0.25}
    parsed = extract_json_object('{"sentiment_score": 4,5, "ids": [1,2,3], "txt": "a, b: 4,5"}')
    assert parsed.quality == 1.0
    assert parsed.value == {"sentiment_score": 4.5, "ids": [1, 2, 3], "txt": "a, b: 4,5"}


def test_valid_json_with_integers_is_never_rewritten() -> None:
    assert extract_json_object('{"a": 1,"b": 2}').value == {"a": 1, "b": 2}


def test_bare_portuguese_booleans() -> None:
    parsed = extract_json_object('{"ok": sim, "bad": Não, "t": verdadeiro, "f": falso, "s": "sim"}')
    assert parsed.quality == 1.0
    assert parsed.value == {"ok": True, "bad": False, "t": True, "f": False, "s": "sim"}


@pytest.mark.parametrize("raw, expected", [
    ("4,5", 4.5), ("1.234,56", 1234.56), ("1,234.56", 1234.56), ("-0,8", -0.8), ("R$ 12,30", 12.3),
    ("50%", 50.0), (3, 3.0), (0.25, 0.25), ("1.234.567", 1234567.0), ("abc", None), (True, None),
    (float("nan"), None), ("", None), ("1,2 mil", 1200.0), ("\u2212 0,8", -0.8), ("\u20130,5", -0.5),
])
def test_parse_number(raw, expected) -> None:
    assert parse_number(raw) == expected


def test_ambiguous_thousands_dot_gives_both_readings() -> None:
    (readings,) = numbers_in_text("foram 1.234 pedidos")
    assert [r.value for r in readings] == [1234.0, 1.234]
    assert [r.value for r in numbers_in_text("0.125")[0]] == [0.125]


@pytest.mark.parametrize("raw, expected", [
    ("sim", True), ("Não", False), ("nao", False), ("verdadeiro", True), ("FALSO", False), (True, True),
    (0, False), ("talvez", None), (None, None), ("yes", True),
])
def test_coerce_bool(raw, expected) -> None:
    assert coerce_bool(raw) is expected


@pytest.mark.parametrize("raw, expected", [
    ("atraso_entrega", "atraso_entrega"), ("Atraso na Entrega", "atraso_entrega"),
    ("PRODUTO NÃO RECEBIDO", "produto_nao_recebido"), ("produto-defeituoso", "produto_defeituoso"),
    ("Atendimento do vendedor", "atendimento_vendedor"), ("inexistente", None), (3, None),
])
def test_coerce_category_ignores_accents_case_and_separators(raw, expected) -> None:
    assert coerce_label(raw, COMPLAINT_CATEGORIES) == expected


def test_prose_format_quality() -> None:
    assert prose("Texto simples.") == ("Texto simples.", 1.0)
    assert prose("```\nTexto cercado\n```") == ("Texto cercado", 0.5)
    assert prose('{"mensagem": "Oi"}') == ("Oi", 0.5)
    assert prose("<think>só pensei</think>") == ("", 0.0)


@pytest.mark.parametrize("sign", list("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"))
def test_every_minus_sign_is_a_sign_in_text_and_strings(sign: str) -> None:
    assert parse_number(f"{sign}0,8") == -0.8
    (readings,) = numbers_in_text(f"A variação foi de {sign}12,5% no trimestre.")
    assert readings[0].value == -12.5


def test_dashes_between_numbers_are_not_signs() -> None:
    assert [r[0].value for r in numbers_in_text("entre 2017\u20132018 e de 10\u201320 pedidos")] == [2017, 2018, 10, 20]
