"""Reference facts the synthetic source draws from: Brazilian states, cities, CEP ranges, and the
real Olist category names (the 71 rows of the upstream translation file, in upstream order).

Weights are rounded shares of the public Olist data (customers by state, sellers by state, order
items by category); they shape the synthetic data, they are not claims about it.
"""
from __future__ import annotations

# state: (customer %, seller %, region, first CEP prefix, last CEP prefix, cities with weights)
STATES: dict[str, tuple[float, float, str, int, int, tuple[tuple[str, float], ...]]] = {
    "SP": (41.7, 59.7, "SE", 1000, 19999, (
        ("sao paulo", 37), ("campinas", 3.5), ("guarulhos", 3), ("sao bernardo do campo", 2),
        ("santo andre", 2), ("osasco", 2), ("santos", 1.8), ("sorocaba", 1.7), ("ribeirao preto", 1.7),
        ("sao jose dos campos", 1.7), ("jundiai", 1.2), ("piracicaba", 1), ("mogi das cruzes", 1),
        ("barueri", 1), ("bauru", .9), ("limeira", .8), ("franca", .8), ("taubate", .8),
        ("sao carlos", .7), ("indaiatuba", .7), ("maua", .7), ("diadema", .7), ("carapicuiba", .6),
        ("praia grande", .6), ("sao jose do rio preto", .9), ("americana", .6), ("marilia", .5),
        ("araraquara", .5), ("suzano", .6), ("cotia", .6), ("jacarei", .5), ("hortolandia", .4),
        ("mogi guacu", .4), ("sumare", .5), ("itu", .4), ("guaruja", .4), ("atibaia", .4),
        ("valinhos", .4), ("presidente prudente", .5), ("ibitinga", .3))),
    "RJ": (12.9, 5.5, "SE", 20000, 28999, (
        ("rio de janeiro", 50), ("niteroi", 8), ("sao goncalo", 6), ("nova iguacu", 5),
        ("duque de caxias", 4), ("campos dos goytacazes", 3), ("petropolis", 3), ("volta redonda", 3),
        ("belford roxo", 2), ("macae", 2), ("teresopolis", 2), ("nova friburgo", 2), ("resende", 1.5),
        ("cabo frio", 1.5), ("itaborai", 1), ("marica", 1), ("sao joao de meriti", 1.5),
        ("barra mansa", 1))),
    "MG": (11.7, 7.9, "SE", 30000, 39999, (
        ("belo horizonte", 25), ("juiz de fora", 6), ("uberlandia", 6), ("contagem", 5), ("betim", 3),
        ("montes claros", 3), ("uberaba", 3), ("divinopolis", 2.5), ("ipatinga", 2),
        ("governador valadares", 2), ("pocos de caldas", 2), ("sete lagoas", 2), ("varginha", 1.5),
        ("pouso alegre", 1.5), ("lavras", 1), ("itajuba", 1), ("patos de minas", 1),
        ("teofilo otoni", 1))),
    "RS": (5.5, 4.2, "S", 90000, 99999, (
        ("porto alegre", 30), ("caxias do sul", 7), ("canoas", 5), ("pelotas", 5), ("santa maria", 5),
        ("novo hamburgo", 4), ("gravatai", 3), ("passo fundo", 3), ("sao leopoldo", 3), ("viamao", 2),
        ("rio grande", 2))),
    "PR": (5.1, 11.3, "S", 80000, 87999, (
        ("curitiba", 35), ("londrina", 10), ("maringa", 8), ("ponta grossa", 5), ("cascavel", 4),
        ("sao jose dos pinhais", 4), ("foz do iguacu", 4), ("colombo", 3), ("guarapuava", 2),
        ("apucarana", 2), ("arapongas", 2))),
    "SC": (3.7, 6.1, "S", 88000, 89999, (
        ("florianopolis", 15), ("joinville", 12), ("blumenau", 10), ("sao jose", 8), ("itajai", 6),
        ("criciuma", 6), ("chapeco", 5), ("balneario camboriu", 5), ("palhoca", 5),
        ("jaragua do sul", 4), ("lages", 3), ("brusque", 3))),
    "BA": (3.4, 0.6, "NE", 40000, 48999, (
        ("salvador", 40), ("feira de santana", 8), ("vitoria da conquista", 5), ("lauro de freitas", 5),
        ("camacari", 4), ("itabuna", 4), ("ilheus", 3), ("juazeiro", 3), ("barreiras", 2),
        ("porto seguro", 2), ("teixeira de freitas", 2), ("jequie", 2))),
    "DF": (2.2, 1.0, "CO", 70000, 72799, (
        ("brasilia", 80), ("taguatinga", 5), ("ceilandia", 4), ("gama", 3), ("aguas claras", 3),
        ("sobradinho", 3), ("guara", 2))),
    "ES": (2.0, 0.7, "SE", 29000, 29999, (
        ("vila velha", 25), ("vitoria", 20), ("serra", 20), ("cariacica", 12),
        ("cachoeiro de itapemirim", 8), ("linhares", 6), ("colatina", 5), ("guarapari", 4))),
    "GO": (2.0, 1.3, "CO", 72800, 76799, (
        ("goiania", 45), ("aparecida de goiania", 12), ("anapolis", 10), ("rio verde", 5),
        ("luziania", 4), ("valparaiso de goias", 4), ("catalao", 3), ("itumbiara", 3), ("jatai", 2),
        ("formosa", 2))),
    "PE": (1.7, 0.3, "NE", 50000, 56999, (
        ("recife", 40), ("jaboatao dos guararapes", 12), ("olinda", 8), ("caruaru", 7), ("petrolina", 7),
        ("paulista", 6), ("cabo de santo agostinho", 3), ("garanhuns", 3), ("vitoria de santo antao", 2),
        ("camaragibe", 2))),
    "CE": (1.3, 0.4, "NE", 60000, 63999, (
        ("fortaleza", 60), ("caucaia", 6), ("juazeiro do norte", 6), ("maracanau", 5), ("sobral", 5),
        ("crato", 3), ("itapipoca", 2))),
    "PA": (1.0, 0.1, "N", 66000, 68899, (
        ("belem", 45), ("ananindeua", 12), ("santarem", 8), ("maraba", 7), ("castanhal", 5),
        ("parauapebas", 4), ("paragominas", 3))),
    "MT": (0.9, 0.2, "CO", 78000, 78899, (
        ("cuiaba", 40), ("varzea grande", 15), ("rondonopolis", 10), ("sinop", 8),
        ("tangara da serra", 4), ("sorriso", 4), ("primavera do leste", 3), ("lucas do rio verde", 3))),
    "MA": (0.75, 0.05, "NE", 65000, 65999, (
        ("sao luis", 45), ("imperatriz", 12), ("timon", 5), ("caxias", 5), ("sao jose de ribamar", 5),
        ("codo", 3), ("acailandia", 3), ("bacabal", 3))),
    "MS": (0.72, 0.2, "CO", 79000, 79999, (
        ("campo grande", 50), ("dourados", 12), ("tres lagoas", 7), ("corumba", 5), ("ponta pora", 5),
        ("navirai", 3))),
    "PB": (0.54, 0.2, "NE", 58000, 58999, (
        ("joao pessoa", 50), ("campina grande", 20), ("santa rita", 5), ("patos", 5), ("bayeux", 4),
        ("sousa", 3))),
    "PI": (0.5, 0.03, "NE", 64000, 64999, (
        ("teresina", 60), ("parnaiba", 10), ("picos", 7), ("floriano", 5), ("piripiri", 4))),
    "RN": (0.49, 0.2, "NE", 59000, 59999, (
        ("natal", 55), ("mossoro", 12), ("parnamirim", 12), ("sao goncalo do amarante", 4),
        ("caico", 3))),
    "AL": (0.42, 0.03, "NE", 57000, 57999, (
        ("maceio", 60), ("arapiraca", 12), ("rio largo", 4), ("palmeira dos indios", 4), ("penedo", 3))),
    "SE": (0.35, 0.05, "NE", 49000, 49999, (
        ("aracaju", 60), ("nossa senhora do socorro", 8), ("lagarto", 6), ("itabaiana", 6),
        ("sao cristovao", 5))),
    "TO": (0.28, 0.03, "N", 77000, 77999, (
        ("palmas", 45), ("araguaina", 20), ("gurupi", 10), ("porto nacional", 5),
        ("paraiso do tocantins", 4))),
    "RO": (0.25, 0.05, "N", 76800, 76999, (
        ("porto velho", 45), ("ji-parana", 12), ("ariquemes", 8), ("vilhena", 8), ("cacoal", 7))),
    "AM": (0.15, 0.03, "N", 69000, 69299, (
        ("manaus", 90), ("parintins", 3), ("itacoatiara", 3), ("manacapuru", 2))),
    "AC": (0.08, 0.03, "N", 69900, 69999, (("rio branco", 80), ("cruzeiro do sul", 10), ("sena madureira", 5))),
    "AP": (0.07, 0.01, "N", 68900, 68999, (("macapa", 80), ("santana", 15))),
    "RR": (0.05, 0.01, "N", 69300, 69399, (("boa vista", 90), ("rorainopolis", 5))),
}

# Typical delivery days from the carrier to a customer in each region (Olist-like, before noise).
TRANSIT_DAYS = {"SE": 5.0, "S": 7.0, "CO": 8.5, "NE": 12.0, "N": 15.0}

# Accented / decorated spellings that upstream users typed for some cities.
ACCENTED = {
    "sao paulo": "são paulo", "brasilia": "brasília", "goiania": "goiânia",
    "florianopolis": "florianópolis", "maceio": "maceió", "niteroi": "niterói",
    "ribeirao preto": "ribeirão preto", "sao jose dos campos": "são josé dos campos", "belem": "belém",
    "cuiaba": "cuiabá", "vitoria": "vitória", "macapa": "macapá", "sao luis": "são luís",
    "joao pessoa": "joão pessoa", "jundiai": "jundiaí", "maringa": "maringá",
    "uberlandia": "uberlândia", "sao goncalo": "são gonçalo", "santo andre": "santo andré",
}

# (pt, en) exactly as the upstream translation file, in its order, and a share of order items and
# a median item price in BRL per category.
CATEGORIES: tuple[tuple[str, str, float, float], ...] = (
    ("beleza_saude", "health_beauty", 183, 65), ("informatica_acessorios", "computers_accessories", 162, 72),
    ("automotivo", "auto", 84, 60), ("cama_mesa_banho", "bed_bath_table", 197, 70),
    ("moveis_decoracao", "furniture_decor", 192, 70), ("esporte_lazer", "sports_leisure", 181, 80),
    ("perfumaria", "perfumery", 64, 81), ("utilidades_domesticas", "housewares", 145, 60),
    ("telefonia", "telephony", 87, 30), ("relogios_presentes", "watches_gifts", 114, 135),
    ("alimentos_bebidas", "food_drink", 5, 27), ("bebes", "baby", 58, 104),
    ("papelaria", "stationery", 54, 84), ("tablets_impressao_imagem", "tablets_printing_image", 2, 99),
    ("brinquedos", "toys", 73, 87), ("telefonia_fixa", "fixed_telephony", 4, 60),
    ("ferramentas_jardim", "garden_tools", 98, 60),
    ("fashion_bolsas_e_acessorios", "fashion_bags_accessories", 53, 49),
    ("eletroportateis", "small_appliances", 20, 178), ("consoles_games", "consoles_games", 21, 80),
    ("audio", "audio", 6, 62), ("fashion_calcados", "fashion_shoes", 8, 35),
    ("cool_stuff", "cool_stuff", 88, 130), ("malas_acessorios", "luggage_accessories", 21, 110),
    ("climatizacao", "air_conditioning", 6, 157),
    ("construcao_ferramentas_construcao", "construction_tools_construction", 14, 129),
    ("moveis_cozinha_area_de_servico_jantar_e_jardim", "kitchen_dining_laundry_garden_furniture", 6, 221),
    ("construcao_ferramentas_jardim", "costruction_tools_garden", 7, 198),
    ("fashion_roupa_masculina", "fashion_male_clothing", 5, 111), ("pet_shop", "pet_shop", 36, 80),
    ("moveis_escritorio", "office_furniture", 46, 160), ("market_place", "market_place", 6, 46),
    ("eletronicos", "electronics", 50, 19), ("eletrodomesticos", "home_appliances", 22, 57),
    ("artigos_de_festas", "party_supplies", 2, 191), ("casa_conforto", "home_confort", 7, 90),
    ("construcao_ferramentas_ferramentas", "costruction_tools_tools", 1, 30),
    ("agro_industria_e_comercio", "agro_industry_and_commerce", 5, 110),
    ("moveis_colchao_e_estofado", "furniture_mattress_and_upholstery", 1, 120),
    ("livros_tecnicos", "books_technical", 8, 67), ("casa_construcao", "home_construction", 9, 187),
    ("instrumentos_musicais", "musical_instruments", 13, 186), ("moveis_sala", "furniture_living_room", 11, 104),
    ("construcao_ferramentas_iluminacao", "construction_tools_lights", 4, 205),
    ("industria_comercio_e_negocios", "industry_commerce_and_business", 5, 75),
    ("alimentos", "food", 9, 28), ("artes", "art", 4, 90), ("moveis_quarto", "furniture_bedroom", 1, 120),
    ("livros_interesse_geral", "books_general_interest", 9, 45),
    ("construcao_ferramentas_seguranca", "construction_tools_safety", 7, 350),
    ("fashion_underwear_e_moda_praia", "fashion_underwear_beach", 4, 154),
    ("fashion_esporte", "fashion_sport", 2, 57), ("sinalizacao_e_seguranca", "signaling_and_security", 3, 140),
    ("pcs", "computers", 4, 620), ("artigos_de_natal", "christmas_supplies", 3, 46),
    ("fashion_roupa_feminina", "fashio_female_clothing", 1, 65),
    ("eletrodomesticos_2", "home_appliances_2", 7, 199), ("livros_importados", "books_imported", 2, 404),
    ("bebidas", "drinks", 10, 51), ("cine_foto", "cine_photo", 1, 69), ("la_cuisine", "la_cuisine", 1, 150),
    ("musica", "music", 1, 299), ("casa_conforto_2", "home_comfort_2", 1, 60),
    ("portateis_casa_forno_e_cafe", "small_appliances_home_oven_and_coffee", 1, 579),
    ("cds_dvds_musicais", "cds_dvds_musicals", 1, 45), ("dvds_blu_ray", "dvds_blu_ray", 2, 30),
    ("flores", "flowers", 1, 40), ("artes_e_artesanato", "arts_and_craftmanship", 1, 130),
    ("fraldas_higiene", "diapers_and_hygiene", 1, 60),
    ("fashion_roupa_infanto_juvenil", "fashion_childrens_clothes", 1, 60),
    ("seguros_e_servicos", "security_and_services", 1, 100),
)

# Used by products upstream but missing from the translation file.
UNTRANSLATED: tuple[tuple[str, float, float], ...] = (
    ("pc_gamer", 1, 1200), ("portateis_cozinha_e_preparadores_de_alimentos", 1, 250),
)
