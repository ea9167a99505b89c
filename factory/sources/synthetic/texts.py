"""Brazilian-Portuguese review titles and comments that follow the structured facts of an order.

A review is written from its score (1-2 negative, 3 mixed, 4-5 positive) and its situation: what
went wrong with the order, if anything (late delivery with the real number of days, not
received, canceled, defect, wrong product, seller problem, packaging, price). Severe complaints
go with low scores, mild ones with 3 stars, asides with 4-5 stars; some low-score complaints are
ironic ("Ótimo, só chegou um mês depois 🙄"). All choices come from the caller's uniform draws,
so the texts are as deterministic as the numbers.
"""
from __future__ import annotations

import unicodedata
from enum import IntEnum


class Situation(IntEnum):
    NONE = 0
    LATE = 1
    NOT_RECEIVED = 2
    CANCELED = 3
    DEFECT = 4
    WRONG_PRODUCT = 5
    SELLER = 6
    PACKAGING = 7
    PRICE = 8


# The extraction task's complaint category each situation is written to express.
COMPLAINT_CATEGORY = {
    Situation.NONE: "nenhuma", Situation.LATE: "atraso_entrega",
    Situation.NOT_RECEIVED: "produto_nao_recebido", Situation.CANCELED: "atendimento_vendedor",
    Situation.DEFECT: "produto_defeituoso", Situation.WRONG_PRODUCT: "produto_diferente",
    Situation.SELLER: "atendimento_vendedor", Situation.PACKAGING: "embalagem", Situation.PRICE: "preco",
}

POSITIVE = (
    "Produto excelente, exatamente como no anúncio.", "Gostei muito, ótima qualidade.",
    "Produto muito bom, recomendo.", "Tudo certo, chegou direitinho.",
    "Amei o produto, superou minhas expectativas!", "Ótimo custo-benefício.",
    "Produto de qualidade, bem acabado.", "Muito bom, minha filha adorou.",
    "Excelente, funciona perfeitamente.", "Chegou tudo certinho, produto lindo.",
)
POSITIVE_DELIVERY = (
    "Chegou antes do prazo.", "Entrega super rápida.", "Entregue bem antes da data prevista.",
    "Recebi em {days} dias, antes do previsto.",
)
POSITIVE_CLOSE = ("Recomendo!", "Super recomendo.", "Comprarei novamente.", "Nota 10.", "Parabéns à loja.",
                  "Loja de confiança, vendedor atencioso.")
NEUTRAL = (
    "Produto ok, nada demais.", "É razoável pelo preço.", "Atendeu, mas esperava um pouco mais.",
    "Produto simples, cumpre o que promete.", "Bom, mas poderia ter um acabamento melhor.",
)
NEGATIVE = (
    "Produto de baixa qualidade, não gostei.", "Não gostei do produto, muito frágil.",
    "Qualidade péssima, não vale o preço.",
)
NEGATIVE_CLOSE = ("Não recomendo.", "Não compro mais nessa loja.", "Decepcionada.", "Muito insatisfeito.",
                  "Quero meu dinheiro de volta.")

# situation: (severe, mild, aside, ironic) sentences; {late} delay days, {wait} days since purchase,
# {price} / {freight} in BRL with a decimal comma.
COMPLAINTS: dict[Situation, tuple[tuple[str, ...], ...]] = {
    Situation.LATE: (
        ("O produto chegou {late} dias depois do prazo.", "Entrega atrasada, demorou demais para chegar.",
         "Atrasou {late} dias e ninguém deu satisfação.",
         "Prazo de entrega não foi cumprido, chegou com {late} dias de atraso."),
        ("Produto bom, mas a entrega atrasou {late} dias.", "Chegou com atraso, o resto ok."),
        ("Só a entrega que atrasou um pouco.", "Chegou com {late} dias de atraso, mas o produto é ótimo."),
        ("Ótimo, só chegou {late} dias depois do prazo 🙄", "Parabéns pela rapidez... {late} dias de atraso 👏",
         "Entrega relâmpago, só {late} dias atrasada 🙄"),
    ),
    Situation.NOT_RECEIVED: (
        ("Ainda não recebi o produto.", "Comprei há {wait} dias e até agora nada.",
         "Produto não entregue, quero meu dinheiro de volta.", "Não recebi meu pedido e ninguém responde."),
        ("Ainda aguardando a entrega, já passou do prazo.",),
        ("Ainda não chegou, mas a loja disse que está a caminho.",),
        ("Maravilha, paguei e até hoje nada 🙄", "Muito bom pagar por um produto que nunca chega 🙄"),
    ),
    Situation.CANCELED: (
        ("Cancelaram minha compra sem explicação.", "Pedido cancelado, produto indisponível depois de pago.",
         "A loja cancelou o pedido e o estorno não apareceu."),
        ("Pedido cancelado, mas o estorno foi rápido.",),
        ("O pedido foi cancelado, mas fui bem atendido.",),
        ("Excelente loja, vende o que não tem 🙄",),
    ),
    Situation.DEFECT: (
        ("Veio com defeito, não liga.", "O produto veio quebrado.", "Parou de funcionar em poucos dias.",
         "Produto com defeito de fabricação."),
        ("Veio com um pequeno defeito, mas dá para usar.",),
        ("Veio com um arranhão, mas funciona bem.",),
        ("Adorei, já veio quebrado para eu não ter trabalho 🙄",),
    ),
    Situation.WRONG_PRODUCT: (
        ("Recebi um produto diferente do que comprei.", "Veio outro modelo, não é o do anúncio.",
         "A cor veio errada e o tamanho também.", "Produto não corresponde à foto do anúncio."),
        ("Veio em outra cor, mas gostei assim mesmo.",),
        ("Veio em outra cor, mas ficou bonito.",),
        ("Pedi azul e veio rosa, que surpresa boa 🙄",),
    ),
    Situation.SELLER: (
        ("O vendedor não responde minhas mensagens.", "Péssimo atendimento da loja.",
         "Pedi a troca e a loja ignorou.", "Vendedor enrolou e não resolveu nada."),
        ("O vendedor demorou para responder.",),
        ("O vendedor demorou a responder, mas resolveu.",),
        ("Atendimento nota 10, se o objetivo é não responder ninguém 🙄",),
    ),
    Situation.PACKAGING: (
        ("A embalagem chegou toda amassada e rasgada.", "Veio mal embalado, caixa aberta."),
        ("Embalagem simples demais, chegou amassada.",),
        ("A caixa chegou um pouco amassada.",),
        ("Linda embalagem, toda amassada 🙄",),
    ),
    Situation.PRICE: (
        ('Achei bem "salgado" o valor do frete, R${freight} por um produto de R${price}!',
         "Paguei R${price} e não vale isso.", "Preço alto demais para a qualidade."),
        ('O frete foi meio "salgado", R${freight}.', "Preço um pouco alto."),
        ("Só o frete que é caro.",),
        ("Barato, só R${price} 🙄",),
    ),
}

TITLES = {
    "positive": ("Recomendo", "Ótimo", "Super recomendo", "Excelente", "Muito bom", "Amei", "Ótimo produto",
                 "10", "Perfeito", "recomendo"),
    "neutral": ("Razoável", "Ok", "Regular", "Mais ou menos", "Bom"),
    "negative": ("Péssimo", "Não recomendo", "Decepcionado", "Ruim", "Horrível"),
}
SITUATION_TITLES = {
    Situation.LATE: "Atraso na entrega", Situation.NOT_RECEIVED: "Não recebi",
    Situation.CANCELED: "Pedido cancelado", Situation.DEFECT: "Produto com defeito",
    Situation.WRONG_PRODUCT: "Produto errado", Situation.SELLER: "Péssimo atendimento",
    Situation.PACKAGING: "Embalagem ruim", Situation.PRICE: "Frete caro",
}
EMOJI = {"positive": ("😍", "👍", "👏", "😊", "❤️"), "negative": ("😡", "😤", "👎", "😞")}


def brl(value: float) -> str:
    """12.5 -> '12,50' (Brazilian decimal comma)."""
    return f"{value:.2f}".replace(".", ",")


def _pick(bank: tuple[str, ...], u: float) -> str:
    return bank[min(int(u * len(bank)), len(bank) - 1)]


_ACCENTED = "áàâãäéèêëíìîïóòôõöúùûüçÁÀÂÃÉÊÍÓÔÕÚÇ"
_UNACCENT = str.maketrans({c: unicodedata.normalize("NFD", c)[0] for c in _ACCENTED})


def _plain(text: str) -> str:
    """Informal typing: lower case without accents (emoji kept)."""
    return text.lower().translate(_UNACCENT)


def polarity(score: int) -> str:
    return "positive" if score >= 4 else "neutral" if score == 3 else "negative"


def comment(score: int, situation: Situation, u: list[float], *, late: int = 0, wait: int = 0,
            days: int = 0, price: float = 0.0, freight: float = 0.0) -> str:
    """One comment; `u` holds 9 uniform draws in [0, 1) that make every choice."""
    sentences: list[str] = []
    if situation == Situation.NONE:
        if score >= 4:
            sentences.append(_pick(POSITIVE, u[0]))
            if u[1] < 0.4:
                sentences.append(_pick(POSITIVE_DELIVERY, u[2]))
            if u[3] < 0.35:
                sentences.append(_pick(POSITIVE_CLOSE, u[4]))
        elif score == 3:
            sentences.append(_pick(NEUTRAL, u[0]))
        else:
            sentences.append(_pick(NEGATIVE, u[0]))
            if u[3] < 0.5:
                sentences.append(_pick(NEGATIVE_CLOSE, u[4]))
    else:
        severe, mild, aside, ironic = COMPLAINTS[situation]
        if score <= 2:
            sentences.append(_pick(ironic if u[5] < 0.12 else severe, u[0]))
            if u[3] < 0.45:
                sentences.append(_pick(NEGATIVE_CLOSE, u[4]))
        elif score == 3:
            sentences.append(_pick(mild, u[0]))
        else:
            sentences.extend([_pick(POSITIVE, u[1]), _pick(aside, u[0])])
    text = ("\n" if u[6] < 0.12 else " ").join(sentences)
    if late >= 25:
        text = text.replace("{late} dias depois do prazo", "um mês depois")
    if "{" in text:
        text = text.format(late=late, wait=wait, days=days, price=brl(price), freight=brl(freight))
    style = u[7]
    if style < 0.04:
        text = text.upper()
    elif style < 0.12:
        text = _plain(text)
    if u[8] < 0.06 and "🙄" not in text:
        text += " " + _pick(EMOJI["positive" if score >= 4 else "negative"], u[8] / 0.06)
    elif u[8] > 0.92:
        text += " "
    return text


def title(score: int, situation: Situation, u: float) -> str:
    if score <= 2 and situation != Situation.NONE and u < 0.5:
        return SITUATION_TITLES[situation]
    return _pick(TITLES[polarity(score)], (u * 2) % 1.0 if score <= 2 else u)
