"""Brazilian reference names shared by validation, prompt rendering and reward matching."""
from __future__ import annotations

STATE_NAMES = {
    "AC": "Acre", "AL": "Alagoas", "AM": "Amazonas", "AP": "Amapá", "BA": "Bahia", "CE": "Ceará",
    "DF": "Distrito Federal", "ES": "Espírito Santo", "GO": "Goiás", "MA": "Maranhão",
    "MG": "Minas Gerais", "MS": "Mato Grosso do Sul", "MT": "Mato Grosso", "PA": "Pará",
    "PB": "Paraíba", "PE": "Pernambuco", "PI": "Piauí", "PR": "Paraná", "RJ": "Rio de Janeiro",
    "RN": "Rio Grande do Norte", "RO": "Rondônia", "RR": "Roraima", "RS": "Rio Grande do Sul",
    "SC": "Santa Catarina", "SE": "Sergipe", "SP": "São Paulo", "TO": "Tocantins",
}
UF = tuple(sorted(STATE_NAMES))

MONTHS_PT = (
    "janeiro", "fevereiro", "março", "abril", "maio", "junho",
    "julho", "agosto", "setembro", "outubro", "novembro", "dezembro",
)

# The article each state's name takes ("do Paraná", "da Bahia", "de São Paulo"): "o", "a" or "".
STATE_ARTICLES = {
    "AC": "o", "AL": "", "AM": "o", "AP": "o", "BA": "a", "CE": "o", "DF": "o", "ES": "o", "GO": "",
    "MA": "o", "MG": "", "MS": "", "MT": "", "PA": "o", "PB": "a", "PE": "", "PI": "o", "PR": "o",
    "RJ": "o", "RN": "o", "RO": "", "RR": "", "RS": "o", "SC": "", "SE": "", "SP": "", "TO": "o",
}
_CONTRACTIONS = {("de", "o"): "do", ("de", "a"): "da", ("em", "o"): "no", ("em", "a"): "na",
                 ("a", "o"): "ao", ("a", "a"): "à", ("por", "o"): "pelo", ("por", "a"): "pela"}


def state_with(preposition: str, code: str, name: str | None = None) -> str:
    """A state's name after a preposition, with its article: ("de", "PR") -> "do Paraná",
    ("em", "BA") -> "na Bahia", ("de", "SP") -> "de São Paulo"; `name` overrides the shown name
    (e.g. "Paraná (PR)"). An unknown code takes no article."""
    shown = name if name is not None else STATE_NAMES.get(code, code)
    article = STATE_ARTICLES.get(code, "")
    if not article:
        return f"{preposition} {shown}" if preposition else shown
    if not preposition:
        return f"{article} {shown}"
    return f"{_CONTRACTIONS.get((preposition, article), preposition + ' ' + article)} {shown}"
