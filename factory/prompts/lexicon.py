"""PT-BR review lexicon: regular expressions over folded text (lower case, no accents).

Each complaint category of `schemas.tasks.COMPLAINT_CATEGORIES` has its cue phrases; polarity words,
negators, irony markers and repeat/recommend intents complete what the rule labeler reads.
The lists are short on purpose: they are documented rules, not a model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# Complaint cues in priority order: the first category that matches names the main complaint.
COMPLAINT_CUES: dict[str, tuple[str, ...]] = {
    "produto_nao_recebido": (
        r"nao (recebi|chegou|foi entregue|veio)", r"nunca (chega|chegou|recebi)", r"ainda (nao|n) (recebi|chegou)",
        r"nao recebemos", r"aguardando (a )?entrega", r"extraviad", r"veio (so|somente|apenas) (um|uma|1|parte)",
        r"faltou", r"falta(ndo|ram)? (um|uma|\d|itens|pecas|produtos?)", r"recebi (so|somente|apenas) (um|uma|1|parte)",
    ),
    "produto_defeituoso": (
        r"defeit", r"quebrad", r"nao funciona", r"parou de funcionar", r"estragad", r"danificad", r"rachad",
        r"veio com problema", r"amassad", r"riscad", r"furad", r"com vazamento", r"nao liga", r"queimou",
    ),
    "produto_diferente": (
        r"diferente d[oa] (anunciad|pedid|que|foto|imagem|descri)", r"produto errado", r"veio errad", r"cor errada",
        r"tamanho errado", r"nao (e|era) o (que|mesmo|produto)", r"nao corresponde", r"veio outro",
        r"falsificad", r"nao e original", r"modelo (errado|diferente)", r"(veio|mandaram|enviaram) (trocad|diferente)",
        r"\berrad[oa]\b",
    ),
    "atraso_entrega": (
        r"atras", r"demor", r"fora do prazo", r"depois do prazo", r"apos o prazo", r"prazo (nao|estourou|vencido)",
        r"entrega (lenta|demorada)", r"muito tempo para (chegar|entregar)",
    ),
    "atendimento_vendedor": (
        r"(pessimo|ruim|horrivel|mau|mal|falta de|sem) atendimento", r"atendimento (pessimo|ruim|horrivel|demorad|fraco|precario|lament)",
        r"vendedor(a)? (nao|nunca|pessim|ruim|desonest|some|sumiu)", r"(loja|vendedor|empresa) (nao|nunca) (respond|resolv|da retorno)",
        r"nao (me )?respond", r"sem resposta", r"descaso", r"ninguem (resolve|responde)", r"sem retorno",
        r"cancelaram", r"nao consigo (contato|falar)", r"falta de (respeito|informacao|contato|retorno)",
    ),
    "embalagem": (r"embalage", r"caixa (amassada|aberta|rasgada|violada)", r"mal embalad", r"veio aberto"),
    "preco": (r"\bcaro\b", r"preco (alto|abusivo)", r"frete (caro|abusivo|alto)", r"cobra(ram|do) a mais", r"cobranca"),
}

POSITIVE = (
    r"otim", r"excelente", r"\bbom\b", r"\bboa\b", r"recomendo", r"adorei", r"amei", r"perfeit", r"satisfeit",
    r"gostei", r"maravilh", r"parabens", r"super\b", r"qualidade", r"lindo", r"linda", r"rapid", r"antes do prazo",
    r"no prazo", r"dentro do prazo", r"certinho", r"correto", r"confiavel", r"top\b", r"show\b", r"nota 10",
    r"muito bem", r"eficiente", r"atendeu", r"conforme", r"bem embalad", r"tudo ok", r"ok\b",
)
NEGATIVE = (
    r"pessim", r"horrivel", r"ruim", r"decepcion", r"insatisfeit", r"problema", r"lixo", r"pior", r"fraco",
    r"arrependi", r"vergonha", r"absurdo", r"descaso", r"enganad", r"golpe", r"reclama", r"defeit", r"quebrad",
    r"atras", r"demor", r"nao recebi", r"nao chegou", r"errad", r"nao funciona", r"devolv", r"porcaria",
    r"nao presta", r"infelizmente", r"pena que", r"deixa a desejar", r"nao gostei",
)
# A cue preceded (within a few words) by one of these is read as negated: "nao recomendo", "sem atraso".
NEGATORS = r"\b(nao|nem|nunca|sem|nenhum|nenhuma|jamais)\b(\s+\w+){0,2}\s*$"
IRONY = (
    r"so que nao", r"\bsqn\b", r"parabens pel[ao]s? (demora|atraso|descaso)", r"obrigad[oa] por nada",
    r"(otimo|excelente|maravilh\w*|adorei)[^.!?]{0,40}\b(so que|pena que)\b", r"\bironia\b", r"#sqn",
    r"\"(otimo|excelente|rapido|rapida)\"", r"que beleza[,!]? (demor|atras|nao)",
    r"(otimo|muito bom|maravilh\w*|adorei|parabens|que beleza)[^.!?]{0,60}\b(nunca|nao) (chega|chegou|funciona|veio|recebi)",
    r"[🙄😒]",
)
REPEAT_POSITIVE = (
    r"(compraria|comprarei|vou comprar|volto a comprar|voltarei a comprar|comprarei mais|compro) (de novo|novamente|mais vezes|sempre|outra vez)",
    r"voltarei a comprar", r"comprarei novamente", r"comprarei mais", r"ja (e|foi) minha (segunda|terceira)",
)
REPEAT_NEGATIVE = (
    r"nunca mais", r"nao (compro|comprarei|compraria|volto a comprar) mais", r"ultima vez que compro",
    r"nao (compro|comprarei|compraria) (nunca|novamente|de novo)",
)
RECOMMEND_NO = (r"nao recomendo", r"nao indico", r"nao comprem", r"evitem", r"fujam")
RECOMMEND_YES = (r"recomendo", r"indico", r"podem comprar", r"vale a pena")


@dataclass
class LexiconHits:
    """What the lexicon found in one folded text."""

    positive: int = 0
    negative: int = 0
    complaints: list[str] = field(default_factory=list)   # categories in priority order
    complaint_clause: str = ""                            # clause holding the first complaint cue
    negative_clause: str = ""                             # clause holding the first negative word
    irony: bool = False
    repeat: int = 0                                       # +1 intends to buy again, -1 says never again
    recommend: int = 0                                    # +1 recommends, -1 advises against

    @property
    def polarity(self) -> float:
        """(pos - neg) / (pos + neg) in [-1, 1]; 0 when nothing matched."""
        total = self.positive + self.negative
        return 0.0 if total == 0 else (self.positive - self.negative) / total


def _negated(text: str, start: int) -> bool:
    return re.search(NEGATORS, text[max(0, start - 25):start]) is not None


def _count(patterns: tuple[str, ...], text: str, respect_negation: bool) -> tuple[int, int]:
    """(plain hits, negated hits) of any pattern in `text`."""
    plain = negated = 0
    for pattern in patterns:
        for match in re.finditer(pattern, text):
            if respect_negation and _negated(text, match.start()):
                negated += 1
            else:
                plain += 1
    return plain, negated


def _any(patterns: tuple[str, ...], text: str) -> bool:
    return any(re.search(p, text) for p in patterns)


def scan(folded: str, original_clauses: list[tuple[str, str]]) -> LexiconHits:
    """Read a folded review text; `original_clauses` pairs each folded clause with its original form."""
    hits = LexiconHits()
    pos, pos_negated = _count(POSITIVE, folded, respect_negation=True)
    neg, neg_negated = _count(NEGATIVE, folded, respect_negation=True)
    # "nao gostei" counts against, "sem problema" counts for.
    hits.positive = pos + neg_negated
    hits.negative = neg + pos_negated
    for category, cues in COMPLAINT_CUES.items():
        for cue in cues:
            match = next((m for m in re.finditer(cue, folded) if not _negated(folded, m.start())), None)
            if match is None:
                continue
            hits.complaints.append(category)
            if not hits.complaint_clause:
                hits.complaint_clause = next(
                    (orig for low, orig in original_clauses if re.search(cue, low)), ""
                )
            break
    hits.negative_clause = next(
        (orig for low, orig in original_clauses
         if any(m and not _negated(low, m.start()) for m in (re.search(p, low) for p in NEGATIVE))), ""
    )
    hits.irony = _any(IRONY, folded)
    if _any(REPEAT_NEGATIVE, folded):
        hits.repeat = -1
    elif _any(REPEAT_POSITIVE, folded):
        hits.repeat = 1
    if _any(RECOMMEND_NO, folded):
        hits.recommend = -1
    elif _any(RECOMMEND_YES, folded):
        hits.recommend = 1
    return hits
