"""Push notifications, scored as complete messages under the prompt's rules.

A complete notification has a call to action (`cta`: "Confira", "Volte", "Aproveite", ...), a reason
to come back drawn from the customer's data (`reason`: the preferred category the prompt names) and
enough words to say it (`substance`: six words or more, three beyond the category and the call).
Gates that zero the score: over the length limit (linear decay), a discount beyond the allowed one
or any when none is (`discount_ok`), an invented benefit: free shipping, a deadline, a gift, a price
(`invented_ok`), an unfilled placeholder, an echo of the prompt (its template phrases, or its word
4-grams when the prompt is passed).

    task    = gates x reason x (0.1 + 0.45 cta + 0.45 substance)
    partial = gates x (0.5 reason + 0.25 cta + 0.25 substance)

so a bare category ("moveis decoracao!") or a generic line without the category earns little task
credit, and an over-discount or invented free shipping none.
"""
from __future__ import annotations

import re
from typing import Any

from rewards.base import Options
from rewards.mentions import mentions
from rewards.parsing import fold, number_readings, prose, readability, words
from schemas.tasks import PushTruth

_DISCOUNT_WORD = re.compile(r"descont|cupo[mn]|cashback|\boff\b|promocode")
_PERCENT = re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|por\s*cento)")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|\[[^\[\]]*\]|<[^<>]*>|\bX{2,}\b")
_WEEKDAY = r"(?:domingo|segunda|terca|quarta|quinta|sexta|sabado)"
# Benefits the prompt never grants (matched on folded text).
INVENTED: dict[str, re.Pattern] = {
    "free_shipping": re.compile(r"\bfrete\s+(?:gratis|gratuito|zero|free|por\s+nossa\s+conta)|\bentrega\s+(?:gratis|gratuita)"
                                r"|\bsem\s+(?:custo\s+de\s+)?frete\b|\bfree\s+shipping"),
    "deadline": re.compile(r"\b(?:so|somente|apenas)\s+(?:hoje|amanha|agora|ate|nest[ae]|est[ae]|neste|nesta)\b"
                           rf"|\bate\s+(?:hoje|amanha|{_WEEKDAY}|o\s+fi(?:m|nal)|meia[\s-]noite|\d)"
                           r"|\bultim[ao]s?\s+(?:horas?|dias?|unidades|chance|pecas)\b"
                           r"|\b(?:termina|acaba|encerra|expira)m?\s+(?:hoje|amanha|em\s+\d)"
                           r"|\bpor\s+tempo\s+limitado|\b\d+\s*h(?:oras)?\s+(?:restantes|para)|\bhoje\s+so\b"),
    "gift": re.compile(r"\bbrindes?\b|\bpresente\s+gratis|\bde\s+graca\b"),
    "price": re.compile(r"\b(?:a\s+partir\s+de|por\s+apenas|por\s+so|so)\s+r\$"),
}
CTA_WORDS = frozenset({
    "confira", "confere", "aproveite", "aproveita", "volte", "volta", "venha", "vem", "veja", "garanta", "garante",
    "descubra", "descobre", "compre", "clique", "toque", "acesse", "conheca", "experimente", "visite", "resgate",
    "use", "escolha", "corra", "bora", "explore", "encontre", "ative", "pegue", "leve", "peca", "adicione",
    "finalize", "retome", "olhe", "renove", "navegue", "ganhe", "passe",
})
CTA_PHRASES = (("da", "uma", "olhada"), ("de", "uma", "olhada"), ("nao", "perca"))
# Phrases of the push prompt templates: an answer holding two of them repeats the prompt.
PROMPT_PHRASES = ("cliente: mora em", "ultima compra ha", "gasto total de", "categoria preferida:", "regras:",
                  "no maximo", "mencione a categoria", "escreva a notificacao", "nao ofereca nenhum desconto",
                  "voce pode oferecer um cupom", "segmento:", "sem comprar ha mais de", "nao invente")
MIN_WORDS, MIN_OWN_WORDS = 6, 3


def discount_ok(text: str, allowed_pct: float | None) -> bool:
    """No discount at all when none is allowed; otherwise every percentage within the allowance."""
    folded = fold(text)
    percents = [number_readings(m.group(0))[0].value for m in _PERCENT.finditer(folded) if number_readings(m.group(0))]
    if allowed_pct is None:
        return not percents and not _DISCOUNT_WORD.search(folded)
    return all(p <= allowed_pct + 1e-9 for p in percents)


def invented(text: str) -> list[str]:
    """The kinds of benefit the text promises that no prompt grants."""
    folded = fold(text)
    return [kind for kind, pattern in INVENTED.items() if pattern.search(folded)]


def has_cta(tokens: list[str]) -> bool:
    return any(t in CTA_WORDS for t in tokens) or any(
        tuple(tokens[i:i + len(p)]) == p for p in CTA_PHRASES for i in range(len(tokens) - len(p) + 1))


def substance(tokens: list[str], category: str) -> float:
    """1.0 for a sentence (six words, three beyond the category and the call to action), else partial."""
    own = [t for t in tokens if t not in CTA_WORDS and t not in set(words(category))]
    return min(1.0, len(tokens) / MIN_WORDS) * min(1.0, len(own) / MIN_OWN_WORDS) if tokens else 0.0


def echoes_prompt(text: str, prompt: str) -> bool:
    """The answer repeats the prompt: two of its template phrases, or most of its word 4-grams."""
    folded = fold(text)
    if sum(p in folded for p in PROMPT_PHRASES) >= 2:
        return True
    if not prompt:
        return False
    grams = lambda ws: {tuple(ws[i:i + 4]) for i in range(len(ws) - 3)}  # noqa: E731
    mine, theirs = grams(words(text)), grams(words(prompt))
    return bool(mine) and len(mine & theirs) / len(mine) >= 0.6


def score(completion: str, truth: PushTruth, options: Options, prompt: str = "") -> dict[str, Any]:
    text, quality = prose(completion)
    text = text.strip().strip('"“”').strip()
    empty = {"format": 0.0, "partial": 0.0, "task": 0.0, "length_ok": 0.0, "category_ok": 0.0, "reason": 0.0,
             "cta": 0.0, "substance": 0.0, "discount_ok": 0.0, "invented_ok": 0.0, "honest": 0.0,
             "no_placeholder": 0.0, "not_echo": 0.0, "invented": [], "chars": 0}
    if not text:
        return empty
    tokens = words(text)
    over = len(text) - truth.max_chars
    found = invented(text)
    checks = {
        "length_ok": 1.0 if over <= 0 else max(0.0, 1.0 - over / truth.max_chars),
        "discount_ok": 1.0 if discount_ok(text, truth.allowed_discount_pct) else 0.0,
        "invented_ok": 0.0 if found else 1.0,
        "no_placeholder": 0.0 if _PLACEHOLDER.search(text) else 1.0,
        "not_echo": 0.0 if echoes_prompt(text, prompt) else 1.0,
    }
    gates = checks["length_ok"] * checks["discount_ok"] * checks["invented_ok"] * checks["no_placeholder"] * checks["not_echo"]
    reason = 1.0 if mentions(text, truth.category) else 0.0
    cta = 1.0 if has_cta(tokens) else 0.0
    body = substance(tokens, truth.category)
    fluent = readability(text)
    return {
        "format": quality * fluent,
        "partial": fluent * gates * (0.5 * reason + 0.25 * cta + 0.25 * body),
        # a complete notification needs the category, a call to action and substance from the
        # customer's data: "Confira <categoria>!" alone is a generic line and earns little
        "task": fluent * gates * reason * cta * (0.2 + 0.8 * body),
        "readability": fluent, "chars": len(text), **checks,
        "honest": checks["discount_ok"] * checks["invented_ok"],
        "category_ok": reason, "reason": reason, "cta": cta, "substance": body, "invented": found,
    }
