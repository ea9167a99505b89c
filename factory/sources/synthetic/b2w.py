"""Seeded generator of B2W-Reviews01-style product reviews, and its CSV in the sample's format.

Ratings follow the corpus's shape (many 5s, a bump at 1), recommendations and texts agree with
the rating, and reviewer fields have the corpus's gaps ("null") and oddities (implausible birth
years, digit-only titles, doubled quotes in product names). About one row in a thousand is
written with its review text unquoted, so the text spills into the unnamed columns at its commas
as in the two broken rows of the real sample; the reader repairs these.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from factory.sources.columns import arrow_schema
from factory.sources.dialects import dialect_of
from factory.sources.synthetic import catalog, texts
from factory.sources.synthetic.pool import TextPool
from factory.sources.synthetic.olist import STATE_CODES, weighted_choice
from factory.sources.synthetic.texts import Situation
from factory.sources.writer import format_cells
from schemas.raw import B2wReview

# (site_category_lv1, site_category_lv2, product name templates, brands)
SITE_PRODUCTS = (
    ("Informática", "Notebook", ('Notebook {brand} Intel Core i5 8GB 1TB Tela LED 15,6" Windows 10',
                                 'Notebook {brand} Celeron Dual Core 4GB 500GB Tela 14" Windows 10'),
     ("Asus", "Dell", "Lenovo", "Samsung", "Acer")),
    ("Celulares e Smartphones", "Smartphone",
     ('Smartphone {brand} Dual Chip Android 7.0 Tela 5" 32GB 4G Câmera 13MP - Preto',
      'Smartphone {brand} 16GB Tela 5,5" Câmera 12MP - Dourado'), ("Motorola", "Samsung", "LG", "Xiaomi")),
    ("Celulares e Smartphones", "Acessórios para Celular",
     ("Película de Vidro Temperado {brand} Galaxy J7", "Capa Protetora Anti Impacto {brand}"),
     ("Protouch", "Gshield")),
    ("Eletroportáteis", "Cafeteira", ("Cafeteira Elétrica {brand} 30 Xícaras - Preta",
                                      "Cafeteira Expresso {brand} 15 Bar - Inox"), ("Mondial", "Britânia", "Arno")),
    ("Eletroportáteis", "Liquidificador", ("Liquidificador {brand} 12 Velocidades 900W",),
     ("Philco", "Mondial", "Arno")),
    ("Utilidades Domésticas", "Copos, Taças e Canecas", ("Copo Acrílico Com Canudo 500ml {brand}",
                                                          "Jogo de Taças 6 Peças {brand}"), ("Rocie", "Nadir")),
    ("Brinquedos", "Bonecas", ("Boneca Bebê Reborn {brand}", "Boneca Fashion {brand} 30cm"), ("Estrela", "Mattel")),
    ("Beleza e Perfumaria", "Perfumes", ("Perfume {brand} Feminino Eau de Parfum 100ml",), ("Natura", "Boticário")),
    ("TV e Home Theater", "TV", ('Smart TV LED 43" {brand} Full HD com Conversor Digital',
                                 'TV LED 32" {brand} HD 2 HDMI'), ("Samsung", "LG", "Philco", "TCL")),
    ("Livros", "Literatura Estrangeira", ("Livro - O Pequeno Príncipe", "Livro - A Culpa é das Estrelas"),
     ("Intrínseca",)),
    ("Eletrodomésticos", "Geladeira", ("Geladeira {brand} Frost Free Duplex 375L - Inox",),
     ("Brastemp", "Consul", "Electrolux")),
    ("Cama, Mesa e Banho", "Jogo de Cama", ("Jogo de Cama Casal 4 Peças 100% Algodão {brand}",),
     ("Santista", "Buddemeyer")),
)
RATING_P = (0.187, 0.058, 0.115, 0.248, 0.392)
# What a review of each rating is about (NONE, LATE, NOT_RECEIVED, DEFECT, WRONG_PRODUCT, SELLER, PRICE).
TOPICS = (Situation.NONE, Situation.LATE, Situation.NOT_RECEIVED, Situation.DEFECT, Situation.WRONG_PRODUCT,
          Situation.SELLER, Situation.PRICE)
TOPIC_P = {1: (.05, .25, .25, .25, .1, .05, .05), 2: (.15, .25, .1, .25, .1, .05, .1),
           3: (.4, .2, .0, .1, .05, .05, .2), 4: (.85, .08, 0, .02, 0, 0, .05), 5: (.95, .03, 0, 0, 0, 0, .02)}
START = np.datetime64("2018-01-01T00:00:00", "s").astype(np.int64)
END = np.datetime64("2018-06-01T00:00:00", "s").astype(np.int64)
PRODUCT_ID_LOW, PRODUCT_ID_HIGH = 1_000_000, 140_000_000


def _distinct_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """At least `n` distinct product ids in B2W's range, sorted: a few spare draws, topped up from the
    same stream while collisions leave too few (about n**2 / 2.8e8 collide, so large n need it)."""
    ids = np.unique(rng.integers(PRODUCT_ID_LOW, PRODUCT_ID_HIGH, n + 16))
    while len(ids) < n:
        ids = np.union1d(ids, rng.integers(PRODUCT_ID_LOW, PRODUCT_ID_HIGH, n - len(ids) + 16))
    return ids


def generate(seed: int, n_reviews: int) -> pa.Table:
    return start(seed, n_reviews)()


def start(seed: int, n_reviews: int, pool: TextPool | None = None) -> Callable[[], pa.Table]:
    """Draw the reviews and hand their texts to `pool`; the returned function waits for the texts and
    builds the table (so that the caller can do other work meanwhile)."""
    pool = pool or TextPool(1)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    n = n_reviews
    if n < 1:
        return arrow_schema(B2wReview).empty_table
    submitted = np.sort(rng.integers(START, END, n))
    n_reviewers = max(1, int(n * 0.9))
    # n_reviewers draws of rng.bytes(32) in one call: the same uint32 words from the stream, in order
    pool_hex = rng.integers(0, 2**32, size=8 * n_reviewers, dtype=np.uint32).astype("<u4").tobytes().hex()
    reviewer_pool = np.array([pool_hex[i:i + 64] for i in range(0, 64 * n_reviewers, 64)], dtype=object)
    del pool_hex
    reviewer = reviewer_pool[weighted_choice(rng, rng.pareto(3.0, n_reviewers) + 1, n)]
    del reviewer_pool
    n_products = max(1, int(n * 0.7))
    site = rng.integers(0, len(SITE_PRODUCTS), n_products)
    product_ids = rng.permutation(_distinct_ids(rng, n_products))[:n_products].astype(str).astype(object)
    names, brands, makers = [], [], []  # makers: the brand as a review names it
    for s in site:
        _, _, templates, brand_pool = SITE_PRODUCTS[s]
        brand = brand_pool[rng.integers(len(brand_pool))]
        names.append(templates[rng.integers(len(templates))].format(brand=brand))
        brands.append(brand.lower() if rng.random() > 0.62 else None)
        makers.append(brand)
    product = weighted_choice(rng, rng.pareto(2.0, n_products) + 1, n)

    rating = 1 + weighted_choice(rng, RATING_P, n)
    recommend = rng.random(n) < np.array([0, .08, .1, .5, .95, .98])[rating]
    draws = rng.random((n, 11))
    cdf = np.cumsum([TOPIC_P[r] for r in range(1, 6)], axis=1)
    cdf /= cdf[:, -1:]
    topic_index = np.minimum((draws[:, 10, None] > cdf[rating - 1]).sum(axis=1), len(TOPICS) - 1)
    topic = np.array(TOPICS)[topic_index]
    kind = np.array([SITE_PRODUCTS[s][1] for s in site], dtype=object)  # names the product (texts.NOUNS)
    pending_texts = pool.submit(review_texts, rating, topic, draws, kind[product], np.array(makers, dtype=object)[product])
    del draws, makers

    birth = np.clip(np.round(rng.normal(1981, 12, n)), 1935, 2004).astype(np.int64).astype(object)
    birth[rng.random(n) < 0.067] = None
    odd = rng.random(n) < 0.002
    birth[odd] = np.array([61, 2009, 2010], dtype=object)[rng.integers(0, 3, odd.sum())]
    gender = np.array(["M", "F", None], dtype=object)[weighted_choice(rng, [.5, .45, .05], n)]
    state_weights = [v[0] for v in catalog.STATES.values()]
    state = np.array(STATE_CODES, dtype=object)[weighted_choice(rng, state_weights, n)]
    state[rng.random(n) < 0.05] = None
    lv2 = kind[product]
    lv2[rng.random(n) < 0.02] = None
    lv1 = np.array([SITE_PRODUCTS[s][0] for s in site], dtype=object)

    def finish() -> pa.Table:
        composed = pending_texts.result()
        title, text = [t for t, _ in composed], [b for _, b in composed]
        del composed
        return pa.Table.from_pydict({
            "submission_date": pa.array(submitted.astype("datetime64[s]").astype("datetime64[us]")),
            "reviewer_id": reviewer, "product_id": product_ids[product],
            "product_name": np.array(names, dtype=object)[product],
            "product_brand": np.array(brands, dtype=object)[product],
            "site_category_lv1": lv1[product], "site_category_lv2": lv2, "review_title": title,
            "overall_rating": rating, "recommend_to_a_friend": recommend, "review_text": text,
            "reviewer_birth_year": birth, "reviewer_gender": gender, "reviewer_state": state,
        }, schema=arrow_schema(B2wReview))
    return finish


def review_texts(rating, topic, draws, kind, maker) -> list[tuple[str, str]]:
    """(title, text) of each review row (per row: any chunking gives the same)."""
    out = []
    for r, t, u, product, brand in zip(rating.tolist(), topic.tolist(), draws.tolist(), kind, maker):
        situation = Situation(t)
        # B2W has no order facts: a late review says how late, any other one may say how early.
        late = 2 + int(u[9] * 18) if situation == Situation.LATE else -(1 + int(u[9] * 7))
        body = texts.comment(r, situation, u[:9], late=late, wait=10 + int(u[9] * 30), days=2 + int(u[9] * 10),
                             price=49.9 + 900 * u[9], freight=9.9 + 30 * u[9], product=product, brand=brand,
                             long=True)
        out.append((texts.title(r, situation, u[9]), body.replace("\n", " ")))
    return out


def spill_rows(table: pa.Table, seed: int) -> np.ndarray:
    """Rows written with an unquoted text: about 1 in 1000 (at least one from 500 rows) whose text
    has 1-5 commas and no quote or line break, so the spill is repairable."""
    text = table.column("review_text").combine_chunks()
    commas = pc.count_substring(text, ",")
    fits = pc.and_(pc.and_(pc.greater(pc.utf8_length(text), 0), pc.greater_equal(commas, 1)),
                   pc.and_(pc.less_equal(commas, 5), pc.invert(pc.match_substring(text, '"'))))
    eligible = np.flatnonzero(pc.fill_null(fits, False).to_numpy(zero_copy_only=False)).astype(np.int64)
    if not len(eligible):
        return eligible
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    wanted = max(int(len(text) >= 500), rng.binomial(len(text), 0.001))
    return np.sort(rng.choice(eligible, min(wanted, len(eligible)), replace=False))


def spilled_lines(table: pa.Table, spilled: np.ndarray) -> dict[int, str]:
    """The CSV lines of the `spilled` rows, their review text written unquoted (the rest as usual)."""
    if not len(spilled):
        return {}
    text_at = table.schema.get_field_index("review_text")
    unnamed = dialect_of(B2wReview).unnamed_columns
    cells = format_cells(table.take(pa.array(spilled)), B2wReview)
    lines = {}
    for j, row in enumerate(spilled.tolist()):
        values = [c[j].as_py() for c in cells]
        raw_text = table.column("review_text")[row].as_py()
        values[text_at] = raw_text
        lines[row] = ",".join(values) + "," * (unnamed - raw_text.count(","))
    return lines
