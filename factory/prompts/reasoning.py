"""General reasoning in PT-BR: procedural e-commerce word problems with exact answers, plus local HF mixes.

Every problem is built from a template and seeded numbers; the answer is computed with `Decimal`
(rounded half-up to cents) and the reference is a worked solution that ends in "Resposta: <valor>".
`ReasoningTruth.decimals` records the rounding the question asks for (two decimals, or none for a
count), so an answer written with more decimals that rounds to it is right too.
Rows from `mix.hf_datasets` (see `hf_mix.py`) come first in the pool, so the split prefers them.
"""
from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Iterable

from factory.prompts.base import Candidate, TaskGenerator
from factory.prompts.hf_mix import mixed_rows
from factory.prompts.text import MONTHS_PT, brl, number_pt
from schemas.tasks import ReasoningTruth

SYSTEM = (
    "Você é um assistente que resolve problemas de raciocínio em português do Brasil. Resolva passo a "
    "passo, de forma curta, e termine com uma linha no formato 'Resposta: <valor>' contendo apenas o "
    "número (use vírgula como separador decimal; valores em reais com duas casas)."
)

NAMES = ("Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela", "Heitor", "Isabela", "João",
         "Larissa", "Marcos", "Natália", "Otávio", "Paula", "Rafael", "Sofia", "Tiago", "Vitória", "Yuri")
PRODUCTS = ("camisetas", "canecas", "fones de ouvido", "capas de celular", "toalhas", "livros", "luminárias",
            "mochilas", "garrafas térmicas", "jogos de lençol", "relógios", "perfumes", "cadernos", "tênis")
CENT = Decimal("0.01")

TEMPLATES: dict[str, str] = {
    "cart_total": "{name} comprou {qty} {product} por {price} cada e pagou {freight} de frete. Quanto {name} pagou no total, em reais?",
    "average_orders": "Uma loja on-line recebeu {a} pedidos na segunda-feira, {b} na terça-feira e {c} na quarta-feira. Qual foi a média de pedidos por dia nesses três dias? Responda com duas casas decimais.",
    "installment": "Um pedido de {total} foi parcelado em {n} vezes iguais, sem juros. Qual é o valor de cada parcela, em reais?",
    "stock": "Um vendedor tinha {stock} unidades de {product} em estoque. Vendeu {s1} pela manhã, {s2} à tarde e recebeu uma reposição de {r} unidades. Com quantas unidades ficou?",
    "discount": "Um kit de {product} custa {price}. Com um cupom de {d}% de desconto, qual é o preço final, em reais?",
    "growth": "As vendas de uma loja passaram de {a} pedidos em {m1} para {b} pedidos em {m2}. Qual foi a variação percentual das vendas? Responda em pontos percentuais, com duas casas decimais.",
    "late_rate": "De {n} pedidos entregues no mês, {k} chegaram depois da data prevista. Qual é a porcentagem de pedidos atrasados? Responda com duas casas decimais.",
    "commission": "Um marketplace cobra {c}% de comissão sobre cada venda. Um vendedor vendeu {total} no mês. Quanto ele pagou de comissão, em reais?",
    "coupon_cart": "{name} colocou no carrinho {q1} {product} de {p1} cada e {q2} unidades de um acessório de {p2} cada. Aplicou um cupom de {d}% sobre os produtos. O frete custa {freight}, mas é grátis para compras acima de {free} depois do desconto. Quanto {name} pagou no total, em reais?",
    "interest": "Um produto de {price} foi vendido em {n} parcelas, com juros simples de {j}% ao mês sobre o preço, cobrados por todas as {n} parcelas. Qual é o valor de cada parcela, em reais?",
    "rating_mean": "Um produto recebeu {a} avaliações de 5 estrelas, {b} de 4 estrelas, {c} de 3 estrelas e {d} de 1 estrela. Qual é a nota média do produto? Responda com duas casas decimais.",
    "profit": "{name} comprou {q} {product} por {cost} cada e vendeu {sold} unidades por {price} cada, pagando {fee}% de taxa ao marketplace sobre o valor vendido. Qual foi o lucro de {name}, em reais, considerando todas as unidades compradas?",
}

STRATUM_OF = {
    "cart_total": "arithmetic", "average_orders": "arithmetic", "installment": "arithmetic", "stock": "arithmetic",
    "discount": "percentage", "growth": "percentage", "late_rate": "percentage", "commission": "percentage",
    "coupon_cart": "multi_step", "interest": "multi_step", "rating_mean": "multi_step", "profit": "multi_step",
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(rng: random.Random, low: int, high: int) -> Decimal:
    """A price like 49,90: whole reais in [low, high] plus common cents."""
    return Decimal(rng.randint(low, high)) + Decimal(rng.choice(("0.00", "0.50", "0.90", "0.99", "0.49")))


def show(value: Decimal, money_value: bool = False) -> str:
    """The answer as the reference writes it: money with two decimals, integers plain."""
    if money_value or value != value.to_integral_value():
        return number_pt(float(value), 2)
    return number_pt(float(value), 0).replace(".", "")


Problem = tuple[dict[str, object], list[str], Decimal, bool]  # slots, steps, answer, is money


def _cart_total(rng: random.Random) -> Problem:
    qty, price, freight = rng.randint(2, 9), money(rng, 9, 120), money(rng, 8, 35)
    total = qty * price + freight
    steps = [f"Produtos: {qty} × {brl(price)} = {brl(qty * price)}.", f"Com o frete: {brl(qty * price)} + {brl(freight)} = {brl(total)}."]
    return dict(name=rng.choice(NAMES), qty=qty, product=rng.choice(PRODUCTS), price=brl(price), freight=brl(freight)), steps, total, True


def _average_orders(rng: random.Random) -> Problem:
    a, b, c = (rng.randint(20, 400) for _ in range(3))
    mean = cents(Decimal(a + b + c) / 3)
    return dict(a=a, b=b, c=c), [f"Soma: {a} + {b} + {c} = {a + b + c}.", f"Média: {a + b + c} ÷ 3 = {show(mean)}."], mean, False


def _installment(rng: random.Random) -> Problem:
    total, n = money(rng, 80, 3000), rng.choice((2, 3, 4, 5, 6, 8, 10, 12))
    each = cents(total / n)
    return dict(total=brl(total), n=n), [f"Cada parcela: {brl(total)} ÷ {n} = {brl(each)}."], each, True


def _stock(rng: random.Random) -> Problem:
    stock = rng.randint(50, 500)
    s1, s2 = rng.randint(1, stock // 3), rng.randint(1, stock // 3)
    r = rng.randint(5, 200)
    left = Decimal(stock - s1 - s2 + r)
    steps = [f"Depois das vendas: {stock} − {s1} − {s2} = {stock - s1 - s2}.", f"Com a reposição: {stock - s1 - s2} + {r} = {show(left)}."]
    return dict(stock=stock, product=rng.choice(PRODUCTS), s1=s1, s2=s2, r=r), steps, left, False


def _discount(rng: random.Random) -> Problem:
    price, d = money(rng, 30, 900), rng.choice((5, 10, 12, 15, 20, 25, 30, 35, 40))
    off = cents(price * d / 100)
    final = price - off
    steps = [f"Desconto: {d}% de {brl(price)} = {brl(off)}.", f"Preço final: {brl(price)} − {brl(off)} = {brl(final)}."]
    return dict(product=rng.choice(PRODUCTS), price=brl(price), d=d), steps, final, True


def _growth(rng: random.Random) -> Problem:
    a = rng.randint(50, 900)
    b = max(1, a + rng.randint(-a // 2, a))
    m = rng.randint(0, 10)
    change = cents(Decimal(b - a) * 100 / a)
    steps = [f"Diferença: {b} − {a} = {b - a}.", f"Variação: {b - a} ÷ {a} × 100 = {show(change, True)}%."]
    return dict(a=a, b=b, m1=MONTHS_PT[m], m2=MONTHS_PT[m + 1]), steps, change, False


def _late_rate(rng: random.Random) -> Problem:
    n = rng.randint(40, 900)
    k = rng.randint(1, n // 4)
    rate = cents(Decimal(k) * 100 / n)
    return dict(n=n, k=k), [f"Atrasados: {k} ÷ {n} × 100 = {show(rate, True)}%."], rate, False


def _commission(rng: random.Random) -> Problem:
    c, total = rng.choice((8, 10, 12, 13, 15, 16, 18, 20)), money(rng, 500, 40000)
    fee = cents(total * c / 100)
    return dict(c=c, total=brl(total)), [f"Comissão: {c}% de {brl(total)} = {brl(fee)}."], fee, True


def _coupon_cart(rng: random.Random) -> Problem:
    q1, p1, q2, p2 = rng.randint(1, 4), money(rng, 20, 250), rng.randint(1, 5), money(rng, 5, 40)
    d, freight, free = rng.choice((5, 10, 15, 20)), money(rng, 10, 40), Decimal(rng.choice((99, 150, 199, 299)))
    gross = q1 * p1 + q2 * p2
    net = cents(gross * (100 - d) / 100)
    pay = net + (Decimal(0) if net > free else freight)
    steps = [
        f"Produtos: {q1} × {brl(p1)} + {q2} × {brl(p2)} = {brl(gross)}.",
        f"Com {d}% de desconto: {brl(gross)} × {100 - d}% = {brl(net)}.",
        (f"{brl(net)} passa de {brl(free)}, então o frete é grátis: total {brl(pay)}." if net > free
         else f"{brl(net)} não passa de {brl(free)}, então soma o frete: {brl(net)} + {brl(freight)} = {brl(pay)}."),
    ]
    slots = dict(name=rng.choice(NAMES), q1=q1, product=rng.choice(PRODUCTS), p1=brl(p1), q2=q2, p2=brl(p2), d=d,
                 freight=brl(freight), free=brl(free))
    return slots, steps, pay, True


def _interest(rng: random.Random) -> Problem:
    price, n, j = money(rng, 100, 5000), rng.choice((3, 4, 5, 6, 10, 12)), rng.choice((1, 2, 3))
    total = cents(price * (100 + j * n) / 100)
    each = cents(total / n)
    steps = [f"Juros: {j}% × {n} meses = {j * n}% do preço.", f"Total: {brl(price)} × {100 + j * n}% = {brl(total)}.",
             f"Parcela: {brl(total)} ÷ {n} = {brl(each)}."]
    return dict(price=brl(price), n=n, j=j), steps, each, True


def _rating_mean(rng: random.Random) -> Problem:
    a, b, c, d = (rng.randint(0, 60) for _ in range(4))
    a += 1
    count = a + b + c + d
    points = 5 * a + 4 * b + 3 * c + d
    mean = cents(Decimal(points) / count)
    steps = [f"Pontos: 5×{a} + 4×{b} + 3×{c} + 1×{d} = {points}.", f"Avaliações: {count}.",
             f"Média: {points} ÷ {count} = {show(mean, True)}."]
    return dict(a=a, b=b, c=c, d=d), steps, mean, False


def _profit(rng: random.Random) -> Problem:
    q = rng.randint(5, 60)
    sold = rng.randint(1, q)
    cost, fee = money(rng, 5, 80), rng.choice((10, 12, 15, 20))
    price = cost + money(rng, 5, 60)
    revenue = sold * price
    fee_value = cents(revenue * fee / 100)
    profit = revenue - fee_value - q * cost
    steps = [f"Receita: {sold} × {brl(price)} = {brl(revenue)}.", f"Taxa: {fee}% de {brl(revenue)} = {brl(fee_value)}.",
             f"Custo: {q} × {brl(cost)} = {brl(q * cost)}.",
             f"Lucro: {brl(revenue)} − {brl(fee_value)} − {brl(q * cost)} = {brl(profit)}."]
    slots = dict(name=rng.choice(NAMES), q=q, product=rng.choice(PRODUCTS), cost=brl(cost), sold=sold, price=brl(price), fee=fee)
    return slots, steps, profit, True


# Families whose answer is a whole count; every other family asks for two decimals (money, rates, means).
INTEGER_ANSWERS = frozenset({"stock"})

BUILDERS: dict[str, Callable[[random.Random], Problem]] = {
    "cart_total": _cart_total, "average_orders": _average_orders, "installment": _installment, "stock": _stock,
    "discount": _discount, "growth": _growth, "late_rate": _late_rate, "commission": _commission,
    "coupon_cart": _coupon_cart, "interest": _interest, "rating_mean": _rating_mean, "profit": _profit,
}


def reference(steps: list[str], answer: Decimal, is_money: bool) -> str:
    return "\n".join(steps + [f"Resposta: {show(answer, is_money)}"])


class ReasoningGenerator(TaskGenerator):
    task = "reasoning"
    system = SYSTEM
    templates = tuple(TEMPLATES.values())
    uses_db = False

    def candidates(self) -> Iterable[Candidate]:
        rows, skipped = mixed_rows(self.ctx.params["mix"].get("hf_datasets") or [])
        for reason, n in skipped.items():
            self.reject(reason, n)
        self.notes["hf_rows"] = len(rows)
        for row in rows:
            truth = ReasoningTruth(answer=row.answer, reference=f"{row.answer_text}\nResposta: {number_pt(row.answer, 2)}")
            yield Candidate(row.difficulty, row.question, truth, f"hf:{row.dataset}", (f"hf:{row.dataset}:{row.index}",))
        rng = self.rng("procedural")
        kinds = sorted(BUILDERS)
        for i in range(10 ** 6):
            kind = kinds[i % len(kinds)]
            slots, steps, answer, is_money = BUILDERS[kind](rng)
            truth = ReasoningTruth(answer=float(answer), reference=reference(steps, answer, is_money),
                                   decimals=0 if kind in INTEGER_ANSWERS else 2)
            yield Candidate(STRATUM_OF[kind], TEMPLATES[kind].format(**slots), truth, "procedural", (f"procedural:{kind}:{i}",))
