"""Brazilian-Portuguese rendering helpers shared by the prompt generators (numbers, money, dates, names)."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from schemas.brazil import MONTHS_PT, STATE_NAMES

ORDER_STATUS_PT = {
    "delivered": "entregue", "shipped": "enviado (em trânsito)", "canceled": "cancelado",
    "unavailable": "indisponível", "invoiced": "faturado", "processing": "em processamento",
    "created": "criado", "approved": "aprovado",
}

PAYMENT_PT = {
    "credit_card": "cartão de crédito", "boleto": "boleto", "voucher": "voucher",
    "debit_card": "cartão de débito", "not_defined": "não definido",
}


def number_pt(value: float, decimals: int = 2) -> str:
    """1234.5 -> '1.234,50' (PT-BR grouping and decimal comma)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def brl(value: float) -> str:
    """-1234.5 -> '-R$ 1.234,50'."""
    return f"{'-' if value < 0 else ''}R$ {number_pt(abs(value), 2)}"


def percent_pt(value: float, decimals: int = 1) -> str:
    """0.123 -> '12,3%'."""
    return f"{number_pt(100 * value, decimals)}%"


def month_pt(month: str) -> str:
    """'2018-03' -> 'março de 2018'."""
    year, mm = month.split("-")
    return f"{MONTHS_PT[int(mm) - 1]} de {year}"


def date_pt(value: date | datetime | str) -> str:
    """A date as DD/MM/AAAA."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def category_pt(name: str) -> str:
    """'cama_mesa_banho' -> 'cama mesa banho' (the readable form prompts show and rewards match)."""
    return name.replace("_", " ").strip()


def state_pt(code: str) -> str:
    return f"{STATE_NAMES.get(code, code)} ({code})"


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: the form lexicon rules and overlap checks compare."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip()


def clip_text(text: str, limit: int) -> str:
    """Cut at a word boundary so the result has at most `limit` characters."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.!? ")
    return cut + "…"
