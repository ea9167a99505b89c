"""Brazilian-Portuguese review titles and comments composed from parts that follow the order's facts.

A comment is put together from an optional opening, the core (praise, a mixed remark or a complaint
about the order's situation, as severe as the stars say), facts of the order (delivery days, days
late or early, the product named after its category, prices), optional details and a closing; then
a register is applied (formal, informal with slang, all caps), and sometimes typos, emoji or a line
break. Low-score complaints are sometimes ironic ("Ótimo, só chegou 12 dias depois do prazo 🙄").

Every choice comes from a `random.Random` seeded by the caller's uniform draws, so the texts are as
deterministic as the numbers. Each complaint carries a cue word of its category (`atrasou`,
`não recebi`, `veio quebrado`, `cor errada`, ...) and typos never touch such words, so a rule
labeler reads the category the order's facts imply.
"""
from __future__ import annotations

import hashlib
import random
import re
import struct
import unicodedata
from enum import IntEnum
from typing import Sequence


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


# The extraction task's complaint category each situation is written to express (issue 11's
# labeling policy: an order never delivered, canceled included, is `produto_nao_recebido`).
COMPLAINT_CATEGORY = {
    Situation.NONE: "nenhuma", Situation.LATE: "atraso_entrega",
    Situation.NOT_RECEIVED: "produto_nao_recebido", Situation.CANCELED: "produto_nao_recebido",
    Situation.DEFECT: "produto_defeituoso", Situation.WRONG_PRODUCT: "produto_diferente",
    Situation.SELLER: "atendimento_vendedor", Situation.PACKAGING: "embalagem", Situation.PRICE: "preco",
}

# --- the product a review talks about: (noun phrase with article, gender) ---------------------------
GENERIC_NOUNS = (("o produto", "m"), ("o produto", "m"), ("o produto", "m"), ("o item", "m"),
                 ("a mercadoria", "f"))
NOUNS: dict[str, tuple[tuple[str, str], ...]] = {
    # Olist product_category_name
    "cama_mesa_banho": (("a colcha", "f"), ("o jogo de cama", "m"), ("a toalha", "f"), ("o lençol", "m")),
    "moveis_decoracao": (("o quadro", "m"), ("a luminária", "f"), ("o espelho", "m"), ("a prateleira", "f")),
    "beleza_saude": (("o creme", "m"), ("a escova", "f"), ("o secador", "m"), ("o kit de maquiagem", "m")),
    "esporte_lazer": (("a garrafa", "f"), ("a bola", "f"), ("o tênis", "m"), ("a luva", "f")),
    "informatica_acessorios": (("o mouse", "m"), ("o teclado", "m"), ("o cabo", "m"), ("o headset", "m")),
    "utilidades_domesticas": (("a panela", "f"), ("a garrafa térmica", "f"), ("o jogo de copos", "m")),
    "relogios_presentes": (("o relógio", "m"), ("o relógio", "m"), ("a pulseira", "f")),
    "ferramentas_jardim": (("a mangueira", "f"), ("a furadeira", "f"), ("o kit de ferramentas", "m")),
    "cool_stuff": (("a luminária", "f"), ("o chaveiro", "m"), ("a caneca", "f")),
    "telefonia": (("a capinha", "f"), ("o carregador", "m"), ("a película", "f"), ("o fone", "m")),
    "automotivo": (("o tapete", "m"), ("a capa de banco", "f"), ("o suporte", "m")),
    "brinquedos": (("o brinquedo", "m"), ("a boneca", "f"), ("o carrinho", "m"), ("o quebra-cabeça", "m")),
    "perfumaria": (("o perfume", "m"), ("a colônia", "f")),
    "bebes": (("a mamadeira", "f"), ("o body", "m"), ("o carrinho de bebê", "m")),
    "papelaria": (("o caderno", "m"), ("a agenda", "f"), ("o estojo", "m")),
    "fashion_bolsas_e_acessorios": (("a bolsa", "f"), ("a carteira", "f"), ("a mochila", "f")),
    "eletronicos": (("o fone de ouvido", "m"), ("a caixa de som", "f"), ("o controle remoto", "m")),
    "moveis_escritorio": (("a cadeira", "f"), ("a mesa", "f")),
    "pet_shop": (("a caminha", "f"), ("o comedouro", "m"), ("a coleira", "f")),
    "eletrodomesticos": (("o ventilador", "m"), ("o aspirador", "m")),
    "consoles_games": (("o controle", "m"), ("o jogo", "m")),
    "eletroportateis": (("a cafeteira", "f"), ("o liquidificador", "m"), ("a fritadeira", "f")),
    # B2W site_category_lv2
    "Notebook": (("o notebook", "m"),), "Smartphone": (("o celular", "m"), ("o smartphone", "m")),
    "Acessórios para Celular": (("a película", "f"), ("a capinha", "f")),
    "Cafeteira": (("a cafeteira", "f"),), "Liquidificador": (("o liquidificador", "m"),),
    "Copos, Taças e Canecas": (("o copo", "m"), ("o jogo de taças", "m")), "Bonecas": (("a boneca", "f"),),
    "Perfumes": (("o perfume", "m"),), "TV": (("a TV", "f"), ("a televisão", "f")),
    "Literatura Estrangeira": (("o livro", "m"),), "Geladeira": (("a geladeira", "f"),),
    "Jogo de Cama": (("o jogo de cama", "m"),),
}
# What people say about a product of a kind (B2W reviews are long and specific).
KIND_DETAILS: dict[str, tuple[str, ...]] = {
    "Notebook": ("A bateria dura [bastante|umas {k} horas|o dia inteiro].", "Roda tudo que preciso [para o trabalho|para a faculdade|sem travar].",
                 "Liga [rápido|em segundos] e é [leve|fácil de carregar].", "A tela tem [boa resolução|cores bonitas|um ótimo brilho].",
                 "O teclado é [confortável|macio|silencioso]."),
    "Smartphone": ("A câmera tira fotos [lindas|ótimas|muito nítidas][ até à noite|].", "A bateria aguenta [o dia todo|mais de um dia].",
                   "Tela [grande|enorme] e [nítida|com cores vivas].", "[Rápido|Ágil] para abrir os aplicativos.",
                   "O som [é alto|é limpo|é bom] [para ligações|para vídeos|]."),
    "Acessórios para Celular": ("[Encaixou|Serviu] perfeitamente no [meu celular|aparelho].", "Protege bem [a tela|o aparelho|contra quedas]."),
    "TV": ("A imagem é [muito nítida|perfeita|linda].", "Fácil de instalar os aplicativos.", "O som é [bom|ótimo] para o tamanho.",
           "[Conectou|Conecta] no wi-fi [sem problema|rapidinho]."),
    "Cafeteira": ("Faz o café [rapidinho|em poucos minutos|bem quentinho].", "Fácil de limpar.", "O café fica [saboroso|forte|uma delícia]."),
    "Liquidificador": ("Tritura [gelo|frutas congeladas|tudo] sem esforço.", "[Potente|Forte] e [fácil de limpar|silencioso].",
                       "O copo é [grande|resistente] e não vaza."),
    "Geladeira": ("Cabe bastante coisa.", "Gela [muito bem|rápido] e é [silenciosa|econômica].", "[Bonita|Elegante] na cozinha."),
    "Literatura Estrangeira": ("A história prende do começo ao fim.", "Edição [bonita|caprichada], letra boa de ler.",
                               "Li em [{k} dias|um fim de semana|poucos dias]."),
    "Perfumes": ("O cheiro fixa [o dia todo|bastante|por horas].", "Fragrância [suave|marcante|deliciosa]."),
    "Bonecas": ("Minha filha [brinca todo dia|não larga mais|adorou].", "[As roupinhas|Os detalhes] são [lindos|caprichados]."),
    "Copos, Taças e Canecas": ("[Cabe|Comporta] bastante [líquido|bebida].", "O [vidro|acrílico] é [resistente|grosso]."),
    "Jogo de Cama": ("O tecido é [macio|gostoso|fresquinho].", "Serviu [direitinho|perfeitamente] na cama."),
    "relogios_presentes": ("O pulso ajusta fácil.", "Muito elegante."),
    "cama_mesa_banho": ("O tecido é [macio|gostoso].", "Serviu direitinho na cama."),
    "informatica_acessorios": ("Funciona em qualquer computador.", "O clique é silencioso."),
}
# --- parts of a comment ---------------------------------------------------------------------------
# Sentences are templates: [a|b|c] picks one alternative (may be empty), {slot}s are filled after.
# Slots: {P}/{p} the product with its article (capitalised or not), {n} the bare noun, {o} its
# article, {a}/{do}/{bom}/{um} agree with its gender, {u} with the reviewer's, {muito} an intensifier,
# {who} whom it was bought for; facts: {late} days late, {early} days early, {days} delivery days,
# {wait} days since purchase, {k} a small count of days, {price} / {freight} in BRL.
OPENINGS = ("Bom dia.", "Boa tarde!", "Boa noite.", "Olá.", "Então,", "Bom,", "Sinceramente,", "Olha,",
            "Gente,", "[Primeira|Segunda|Terceira] compra [na loja|no site|com vocês].",
            "Comprei [para dar de presente|para {who}|de presente para {who}].",
            "Comprei na [promoção|black friday|liquidação].", "Comprei para usar no dia a dia.",
            "Fiz a compra pelo [site|aplicativo|celular].", "Pesquisei bastante antes de comprar.",
            "[Comprei|Pedi] {um} {n} para {who}.", "Comprei {p} [há pouco tempo|semana passada|este mês].",
            "Estava precisando {do} {n}.", "Já [tinha|conhecia] {um} {n} igual.")
WHO = ("minha mãe", "meu pai", "minha filha", "meu filho", "minha esposa", "meu marido", "minha irmã",
       "minha avó", "o escritório", "a casa de praia", "o aniversário do meu sobrinho", "o dia das mães",
       "o natal", "minha namorada", "meu namorado", "minha sogra", "uma amiga", "o trabalho", "a escola")
MUITO = ("muito", "muito", "bem", "super", "bastante", "realmente", "extremamente", "")

PRAISE = ("{P} é {muito} lind{a}", "{P} é {muito} {bom}", "{P} é [excelente|ótim{a}|perfeit{a}]",
          "{P} é de [ótima|excelente|muito boa] qualidade", "{P} chegou perfeit{a}", "[Amei|Adorei] {p}",
          "Gostei muito {do} {n}", "[Excelente|Ótim{a}|Lind{a}|Perfeit{a}] {n}",
          "{P} é {muito} {bom}, [recomendo|super recomendo|vale a pena]", "Produto de [ótima|boa|excelente] qualidade",
          "{P} é [excelente|ótim{a}], [exatamente|igualzinh{a}|idêntic{a}] [como no anúncio|à foto|ao site]",
          "{P} [superou|passou] [minhas|todas as minhas|as] expectativas, [é|muito] [ótim{a}|excelente|lind{a}]", "Muito {bom} {o} {n}",
          "Tudo certo com {p}", "{P} é lind{a} e de qualidade", "[Produto|Item] [excelente|ótimo|perfeito]",
          "[Ótimo|Excelente] produto", "Muito bom [mesmo|demais|]", "Perfeit{a}, igualzinh{a} à foto",
          "{P} [é|ficou] [exatamente|bem] como eu [queria|esperava|imaginava], [excelente|perfeit{a}|ótim{a}]")
PRAISE_TAIL = ("", "", "", "", ", [bem|muito bem|super bem] acabad{a}", ", material de [qualidade|primeira]",
               ", [exatamente|igualzinh{a}] como na foto", ", {muito} resistente", ", vale cada centavo",
               " e o [preço|valor] [foi|estava|é] [ótimo|justo|excelente|camarada]", ", igual ao anúncio", ", superou minhas expectativas",
               " e {muito} bonit{a}", ", [cor|acabamento|tamanho] perfeito", ", [melhor|maior|mais bonit{a}] [do que eu esperava|do que imaginei|que o esperado|do que parecia na foto]")
PRAISE_DETAIL = ("{who} adorou.", "[Uso|Estou usando] [todo dia|todos os dias|há {k} dias] e [estou gostando|sem problemas|está ótimo].",
                 "Cor [linda|perfeita|igual à da foto].", "O tamanho é [certinho|perfeito|ideal].",
                 "Material {muito} resistente.", "Ótimo custo-benefício.", "Fácil de [montar|usar|instalar].",
                 "Funciona {muito} bem.", "Todo mundo [aqui em casa|da família|no trabalho] adorou.",
                 "[Bem|Muito] [melhor|mais bonito] do que [eu esperava|imaginei|parecia].", "É do jeito que eu queria.",
                 "[Dei|Comprei] de presente para {who} e [foi um sucesso|adorou|gostou muito].",
                 "[Já é|Este é] {o} [segund{a}|terceir{a}] que compro.", "Vale [muito|super|] a pena.")
SHORT_PRAISE = ("Recomendo", "Ótimo", "Excelente", "Muito bom", "Amei", "Perfeito", "Tudo certo",
                "Ótimo produto", "Produto excelente", "Muito bom!", "Recomendo!", "Nota 10", "Excelente!",
                "Super recomendo", "Produto de qualidade", "Amei!", "Perfeito!", "Ótimo!")
DELIVERY_EARLY = ("[Chegou|Foi entregue|Veio|Recebi] {early} dias antes do [prazo|previsto|combinado|esperado|prometido].",
                  "[Chegou|Foi entregue|Recebi] [bem|muito|] antes do [prazo|previsto|combinado].",
                  "Entrega [super|muito|] rápida[, {early} dias antes do prazo|].",
                  "[Entregue|Recebi|Chegou] antes [da data prevista|da data marcada|do dia previsto|do dia combinado].",
                  "Recebi em {days} dias, [antes do previsto|bem antes do prazo|muito rápido].",
                  "[Chegou|Veio] rapidinho, {early} dias antes do [prazo|previsto].",
                  "A entrega foi [rápida|super rápida|ótima][, só {days} dias|].",
                  "[O prazo era de|A previsão era de|Prometeram em] {window} dias e [chegou|veio|recebi] em {days}.")
DELIVERY_ON_TIME = ("Chegou dentro do prazo.", "Entregue no prazo[ combinado|].", "[Chegou|Recebi] em {days} dias.",
                    "A entrega levou {days} dias, dentro do prazo.", "Chegou no prazo certinho.",
                    "Chegou [bem embalado|em perfeito estado] e no prazo.")
SELLER_PRAISE = ("Vendedor [atencioso|educado|prestativo].", "Loja [de confiança|séria|nota 10].",
                 "[Ótimo|Excelente] atendimento[ da loja| do vendedor|].", "A loja respondeu [rápido|todas as dúvidas].")
POSITIVE_CLOSE = ("Recomendo!", "Super recomendo.", "Recomendo [a loja|o vendedor|a todos|].",
                  "[Comprarei|Vou comprar] [novamente|de novo|mais vezes].", "Voltarei a comprar.", "Nota 10.",
                  "Parabéns [à loja|ao vendedor|pelo produto|].", "[Obrigado|Obrigada|Muito obrigad{u}]!",
                  "Estou [muito|super|] satisfeit{u}.", "Super indico.", "Valeu!", "[Amei|Adorei] a compra.")

NEUTRAL = ("{P} é ok, nada demais", "É razoável pelo preço", "Atendeu, mas esperava [um pouco|bem|] mais",
           "{P} é simples, cumpre o que promete", "{P} é {bom}, mas o [acabamento|material] poderia ser melhor",
           "Mais ou menos", "{P} é bonit{a}, mas um pouco frágil", "Nem bom nem ruim", "Dá pro gasto",
           "{P} é [menor|maior|mais fino] do que parece na foto", "Produto mediano",
           "{P} é razoável, o material é simples", "Cumpre o básico", "{P} serve, mas não é tudo aquilo",
           "Esperava mais pelo que paguei", "{P} é [bonit{a}|útil], mas [o acabamento deixa a desejar|a cor é mais clara]")
NEUTRAL_CLOSE = ("Por enquanto está ok.", "Vamos ver se dura.", "Poderia ser melhor.", "Nada de especial.",
                 "Pelo preço, tudo bem.", "Não sei se compraria de novo.", "[Ainda|Só] [estou testando|vou ver com o uso].")
# After a mild complaint: a closing that adds no complaint of its own.
MILD_CLOSE = ("Por enquanto está ok.", "Pelo preço, tudo bem.", "Não sei se compraria de novo.", "No mais, tudo certo.",
              "Fora isso, ok.", "[Ainda|Só] [estou testando|vou ver com o uso].")
NEGATIVE = ("{P} é de baixa qualidade", "Não gostei {do} {n}", "{P} é {muito} frágil", "Qualidade péssima",
            "{P} não vale o preço", "Material [muito|super|] fraco, não gostei", "{P} é bem pior do que na foto, péssim{a}",
            "Péssima qualidade", "Não gostei, {o} {n} é {muito} frágil", "{P} é de baixa qualidade, [desmanchou|descascou] logo",
            "Produto horrível, não gostei", "{P} [é|parece] de plástico [barato|muito fino], péssim{a}")
NEGATIVE_CLOSE = ("Não recomendo.", "Não [compro|comprarei] mais nessa loja.", "Decepcionad{u}.",
                  "[Muito|Super|Completamente] insatisfeit{u}.", "Quero [meu dinheiro de volta|o reembolso|o estorno já].",
                  "Dinheiro jogado fora.", "Me arrependi da compra.", "Péssima experiência.",
                  "Nunca mais compro [aqui|nessa loja|neste site].", "Não recomendo a ninguém.")
NEGATIVE_DETAIL = ("Já abri reclamação [no site|no Reclame Aqui].", "Fiquei muito chatead{u}.",
                   "Vou procurar o Procon.", "Vou buscar os meus direitos.", "Ninguém me dá uma posição.",
                   "Já mandei [mensagem|e-mail] e nada.", "Quero uma solução urgente.")

# Attribute remarks ("O acabamento ficou super caprichado."), composed word by word.
ATTRIBUTES = (("a cor", "f"), ("o acabamento", "m"), ("o material", "m"), ("o tamanho", "m"), ("a qualidade", "f"),
              ("o design", "m"), ("o formato", "m"), ("a aparência", "f"), ("a durabilidade", "f"),
              ("o visual", "m"), ("a montagem", "f"))
ATTRIBUTE_VERBS = ("é", "ficou", "está", "é", "parece")
GOOD_ADJ = ("lind{a}", "ótim{a}", "perfeit{a}", "excelente", "bonit{a}", "impecável", "caprichad{a}",
            "maravilhos{a}", "de primeira", "muito {bom}", "nota 10", "show")
PLAIN_ADJ = ("simples", "razoável", "regular", "bem comum", "mais ou menos", "um pouco frac{a}", "ok")
USAGE = ("[Uso|Estou usando|Já usei] {p} [para trabalhar|em casa|no dia a dia|nas viagens|todos os dias|com frequência]"
         "[ e [estou gostando|está ótimo|funciona bem|não tive problemas|recomendo]|].",
         "[Faz|Já faz|Tem] {k} [dias|semanas] que [uso|estou usando] e [está perfeito|nenhum problema|estou gostando].",
         "[Serviu|Ficou] [perfeitamente|direitinho|muito bem] [no que eu precisava|para o que eu queria|].")
COMPARE = ("[Comparei com|Já tive|Pesquisei|Já usei] [outras marcas|outros modelos|o da concorrência|similares] e [este é [melhor|superior]|não tem comparação|este ganha [fácil|disparado]|este é o [melhor|mais bonito] de todos].",
           "[Pelo preço de|Por|Custando|Paguei só] R${price}, [vale muito a pena|é um ótimo negócio|não tem igual|compensa demais|está de bom tamanho].",
           "[Paguei|Gastei|Foram] R${price} [e valeu cada centavo|e não me arrependo|e achei justo|bem gastos|sem arrependimento].")
# Longer texts (B2W) tell a bit of the story around the purchase.
STORY_GOOD = ("[Estava procurando|Queria|Precisava de] {um} {n} [assim|desse tipo|com esse preço|bom e barato] há [tempos|meses|um bom tempo|{k} meses] e "
              "[finalmente achei|encontrei aqui|valeu a espera].",
              "[Minha irmã|Meu vizinho|Um colega de trabalho|Minha cunhada] [indicou|recomendou|tem {um} igual] e "
              "[resolvi comprar|decidi testar|não me arrependi].",
              "[Foi|É] [a melhor compra|uma ótima compra|um ótimo investimento] [do ano|que fiz|dos últimos tempos].",
              "[A marca|Essa marca|O fabricante] [é|sempre foi|continua] [confiável|de qualidade|muito bom|referência].",
              "[Vou|Pretendo] comprar mais [um|uma|] [para {who}|em breve|no natal].",
              "[O manual é claro|As instruções são [fáceis de entender|bem explicadas]|Veio com manual [em português|completo]|A montagem foi [tranquila|fácil]].")
STORY_BAD = ("Comprei {p} [para {who}|para usar no trabalho|para dar de presente] e [me arrependi|foi uma decepção|não deu certo].",
             "[Entrei em contato|Falei] com o SAC [{k} vezes|várias vezes] e [nada mudou|só me enrolaram|nada foi feito].",
             "[É a primeira vez|Nunca tinha acontecido] [isso|algo assim] [comigo|com uma compra aqui].",
             "[Paguei|Gastei] R${price} [à vista|no cartão|em {k} vezes] [e estou no prejuízo|para nada|e fiquei na mão].")
STORY_MIXED = ("[No geral|No fim das contas|Pesando tudo], [dá para usar|não é ruim|serve].",
               "[Pelo|Pelo valor de] R${price} [dá pra|é possível] [relevar|aceitar].",
               "[Quem sabe|Talvez] [com o tempo|depois de usar mais] eu mude de opinião.")
CONTACT = ("Já [entrei em contato|mandei mensagem|abri chamado|liguei] [{k} vezes|várias vezes|duas vezes|] e "
           "[nada|até agora nada|nada foi resolvido].",
           "[Abri|Fiz] [uma reclamação|um chamado] [no site|no SAC|por e-mail] [há {k} dias|ontem|] e nada.")
CONNECTORS = ("Enfim,", "Aliás,", "Inclusive,", "No geral,", "Pra falar a verdade,", "De verdade,", "Resumindo:",
              "Além disso,", "E", "Mas enfim,")

# situation: (severe, mild, aside, ironic tails, follow-ups)
COMPLAINTS: dict[Situation, tuple[tuple[str, ...], ...]] = {
    Situation.LATE: (
        ("{P} chegou {late} dias depois do prazo.", "A entrega atrasou {late} dias.",
         "Atrasou {late} dias e ninguém deu [satisfação|explicação].", "[Chegou|Recebi] com {late} dias de atraso.",
         "Prazo de entrega não foi cumprido, [chegou|recebi] com {late} dias de atraso.",
         "Demorou demais para chegar, foram {late} dias de atraso.", "Entrega muito demorada, atrasou {late} dias.",
         "A entrega atrasou [muito|demais].", "Demorou {late} dias a mais que o prazo.", "Entrega atrasada, péssimo."),
        ("{P} é {bom}, mas a entrega atrasou {late} dias.", "Chegou com atraso, o resto ok.",
         "Demorou [um pouco|bem] mais que o previsto, a entrega atrasou {late} dias.",
         "Atrasou {late} dias, {o} {n} em si é ok.", "A entrega demorou, mas {o} {n} é razoável."),
        ("Só a entrega que atrasou um pouco.", "Chegou com {late} dias de atraso, mas {o} {n} é ótim{a}.",
         "Demorou {late} dias a mais, mas valeu a espera.", "A entrega atrasou, mas {o} {n} é lind{a}.",
         "Atrasou {late} dias, mas {o} {n} compensou."),
        ("só chegou {late} dias depois do prazo", "parabéns pela rapidez, {late} dias de atraso",
         "entrega relâmpago, só {late} dias atrasada", "que beleza, atrasou {late} dias"),
        ("Ninguém deu satisfação.", "O rastreio ficou parado por [dias|{k} dias].", "Tive que ligar várias vezes.",
         "Precisava para [uma data|o aniversário|o natal] e não deu tempo.", "Era um presente e ficou para depois."),
    ),
    Situation.NOT_RECEIVED: (
        ("Ainda não recebi {p}.", "Comprei há {wait} dias e até agora não recebi nada.",
         "{P} não foi entregue, quero meu dinheiro de volta.", "Não recebi meu pedido e ninguém responde.",
         "Já se passaram {wait} dias e {p} não chegou.", "O rastreio diz que saiu para entrega, mas não recebi nada.",
         "Até hoje não chegou, comprei há {wait} dias.", "Paguei e não recebi {p}.",
         "Não recebi [o produto|minha compra|meu pedido] até agora."),
        ("Ainda aguardando a entrega, já passou do prazo.", "{P} ainda não chegou, já faz {wait} dias.",
         "Não recebi ainda, espero que chegue logo."),
        ("Ainda não chegou, mas a loja disse que está a caminho.", "Ainda não recebi, mas está dentro do prazo.",
         "Não recebi ainda, avalio quando chegar."),
        ("paguei e até hoje não recebi nada", "muito bom pagar por um produto que nunca chega",
         "{wait} dias esperando e nunca chega"),
        ("Já mandei [mensagem|e-mail] e nada.", "O rastreio não atualiza há [dias|{k} dias].",
         "Preciso de uma posição.", "Quero uma solução."),
    ),
    Situation.CANCELED: (
        ("Cancelaram minha compra, não recebi nada e ninguém explicou.", "Pedido cancelado, produto indisponível depois de pago.",
         "A loja cancelou o pedido e o estorno não apareceu.", "Meu pedido foi cancelado e não recebi {p}.",
         "Comprei {p} e depois de {wait} dias disseram que estava indisponível, pedido cancelado.",
         "Pedido cancelado sem aviso.", "Pedido cancelado, não recebi nada."),
        ("Pedido cancelado e não recebi, mas o estorno foi rápido.",
         "Não recebi: {p} estava indisponível e o pedido foi cancelado, pelo menos devolveram o dinheiro."),
        ("Não recebi porque o pedido foi cancelado, mas fui bem atendid{u}.",
         "Pedido cancelado por falta de estoque e não recebi, mas o estorno veio certo."),
        ("vende o que não tem", "cancelaram depois de {wait} dias e não recebi nada"),
        ("Quero o estorno.", "Ninguém explicou o motivo.", "Perdi a promoção por causa disso."),
    ),
    Situation.DEFECT: (
        ("{P} veio com defeito.", "{P} veio quebrad{a}.", "{P} parou de funcionar em {k} dias.",
         "{P} tem defeito de fabricação.", "{P} chegou com uma peça quebrada.", "{P} veio com defeito, não liga.",
         "Parou de funcionar na primeira semana.", "Veio quebrad{a}, não dá para usar.",
         "{P} veio com defeito e não funciona."),
        ("Veio com um pequeno defeito, mas dá para usar.", "{P} tem um defeito no acabamento, mas funciona.",
         "Veio com um defeito pequeno na [costura|pintura|tampa]."),
        ("Veio um pouco riscad{a}, mas funciona bem.", "Tem um pequeno defeito, mas nada que atrapalhe."),
        ("já veio quebrad{a} para eu não ter trabalho", "durou {k} dias, parou de funcionar"),
        ("Quero trocar.", "Pedi a devolução.", "Já pedi a troca.", "Vou ter que devolver."),
    ),
    Situation.WRONG_PRODUCT: (
        ("Recebi um produto diferente do que comprei.", "Veio outro modelo, diferente do anúncio.",
         "A cor veio errada e o tamanho também.", "{P} não corresponde à foto do anúncio.",
         "Mandaram o tamanho errado.", "{P} é diferente da foto.", "Veio o modelo errado."),
        ("Veio com a cor errada, mas gostei assim mesmo.", "{P} é um pouco diferente da foto."),
        ("Veio numa cor diferente da foto, mas ficou bonit{a}.", "O modelo veio diferente, mas serviu."),
        ("pedi um e veio outro, que surpresa", "veio a cor errada, adorei a surpresa"),
        ("Quero trocar pelo certo.", "Vou ter que devolver.", "Já pedi a troca."),
    ),
    Situation.SELLER: (
        ("O vendedor não responde minhas mensagens.", "Péssimo atendimento da loja.",
         "Pedi a troca e a loja ignorou, sem resposta.", "Pedi a troca e o vendedor nunca respondeu.", "Vendedor enrolou e não resolveu nada.",
         "A loja não dá retorno, péssimo atendimento.", "Mandei {k} mensagens e o vendedor não responde."),
        ("O vendedor foi lento nas respostas, atendimento fraco.", "Atendimento ruim, mas o produto é ok."),
        ("Atendimento fraco, mas resolveram.", "O vendedor não respondeu logo, mas resolveu."),
        ("atendimento nota 10, se o objetivo é não responder ninguém", "vendedor super atencioso, não responde nunca"),
        ("Ninguém resolve nada.", "Fiquei sem resposta.", "Descaso total."),
    ),
    Situation.PACKAGING: (
        ("Embalagem péssima, chegou toda rasgada.", "Veio mal embalado, caixa aberta.",
         "A caixa chegou violada, péssima embalagem.", "Veio mal embalado, sem proteção."),
        ("Embalagem simples demais, chegou meio rasgada.", "Veio mal embalado, mas inteiro."),
        ("A embalagem chegou um pouco rasgada, mas {o} {n} está inteir{a}.", "A embalagem poderia ser melhor."),
        ("linda embalagem, toda rasgada",),
        ("Podiam caprichar mais na embalagem.",),
    ),
    Situation.PRICE: (
        ('Achei o frete caro demais, bem "salgado": R${freight} por um produto de R${price}!',
         "Paguei R${price} e não vale isso, preço alto demais.", "Preço alto demais para a qualidade.",
         'Frete "salgado", R${freight}, caro demais.'),
        ('O frete é caro, R${freight}, bem "salgado".', "Preço alto para o que é.",
         "Achei caro pelo que é."),
        ("Só o frete que é caro.", "Só o frete que é caro, R${freight}."),
        ("que pechincha, frete de R${freight}, caro demais", "preço camarada, só R${price}, caro demais"),
        ("Pesquisem antes de comprar.",),
    ),
}
IRONY_OPENERS = ("Ótimo", "Maravilha", "Excelente", "Parabéns", "Nossa, incrível", "Que beleza")
IRONY_MARKERS = (" 🙄", " 🙄", " 🙄", "... só que não", ", só que não 🙄", " 👏 🙄")

TITLES = {
    "positive": ("Recomendo", "Ótimo", "Super recomendo", "Excelente", "Muito bom", "Amei", "Ótimo produto",
                 "10", "Perfeito", "recomendo", "Produto excelente", "Gostei", "Top", "Nota 10", "Satisfeito",
                 "Adorei", "Chegou rápido", "Muito satisfeita", "Bom produto", "Vale a pena"),
    "neutral": ("Razoável", "Ok", "Regular", "Mais ou menos", "Bom", "Mediano", "Poderia ser melhor", "Normal"),
    "negative": ("Péssimo", "Não recomendo", "Decepcionado", "Ruim", "Horrível", "Decepcionada",
                 "Insatisfeito", "Péssima compra", "Não comprem"),
}
SITUATION_TITLES = {
    Situation.LATE: ("Atraso na entrega", "Entrega atrasada", "Demorou demais"),
    Situation.NOT_RECEIVED: ("Não recebi", "Produto não entregue", "Cadê meu pedido?"),
    Situation.CANCELED: ("Pedido cancelado", "Compra cancelada"),
    Situation.DEFECT: ("Produto com defeito", "Veio quebrado", "Defeito"),
    Situation.WRONG_PRODUCT: ("Produto errado", "Veio diferente", "Cor errada"),
    Situation.SELLER: ("Péssimo atendimento", "Vendedor não responde"),
    Situation.PACKAGING: ("Embalagem ruim", "Mal embalado"),
    Situation.PRICE: ("Frete caro", "Caro demais"),
}
EMOJI = {"positive": ("😍", "👍", "👏", "😊", "❤️", "👍👍", "😀"), "negative": ("😡", "😤", "👎", "😞", "😠")}

# Informal spellings (whole words only) and the slang some customers add.
# ("não" and "que" stay: they are part of the complaint cues.)
INFORMAL = {"você": "vc", "porque": "pq", "também": "tb", "está": "tá", "estou": "tô", "para": "pra",
            "beleza": "blz", "obrigado": "obg", "obrigada": "obg", "mesmo": "msm", "comigo": "cmg",
            "hoje": "hj", "quando": "qdo", "muito": "mto"}
INFORMAL_P = {"muito": 0.2}
SLANG_POSITIVE = ("Top demais!", "Show de bola!", "Curti demais.", "Nota mil!", "Chegou voando!", "kkkk amei",
                  "Valeu a pena demais.", "Tô amando!")
LAUGH = (" kkk", " rs", " kkkkk", " haha")
# Words that carry meaning for a reader or the labeler: typos never touch a word holding one of these.
PROTECTED_STEMS = ("atras", "demor", "receb", "cheg", "entreg", "defeit", "quebr", "pessim", "péssim", "recomend",
                   "cancel", "errad", "diferent", "dinheiro", "insatisf", "decepcion", "respond", "amass", "nunca",
                   "nada", "gost", "qualidade", "fragil", "frágil", "prazo", "corresponde", "funcion", "ignor",
                   "alto", "embal", "excelent", "otim", "ótim", "amei", "adorou", "adorei", "perfeit", "muito",
                   "bom", "boa", "lind", "certo", "previst", "rapid", "rápid", "nota", "frete", "caro", "preço",
                   "vendedor", "atendimento", "loja", "falt", "veio", "original", "cor", "tamanho", "modelo",
                   "indispon", "rasgad", "violad", "aberta", "salgado", "pedido", "produto", "ainda", "nao",
                   "não", "estorno", "troca", "devol", "riscad", "aguard", "satisf", "ruim", "horr", "fraco", "outr",
                   "parou", "respond", "ignor", "rastreio", "resolv", "diferen", "mês", "dias", "depois", "antes")


def brl(value: float) -> str:
    """12.5 -> '12,50' (Brazilian decimal comma)."""
    return f"{value:.2f}".replace(".", ",")


def polarity(score: int) -> str:
    return "positive" if score >= 4 else "neutral" if score == 3 else "negative"


_ACCENTED = "áàâãäéèêëíìîïóòôõöúùûüçÁÀÂÃÉÊÍÓÔÕÚÇ"
_UNACCENT = str.maketrans({c: unicodedata.normalize("NFD", c)[0] for c in _ACCENTED})


def _plain(text: str) -> str:
    """Informal typing: lower case without accents (emoji kept)."""
    return text.lower().translate(_UNACCENT)


_PROTECTED = re.compile("|".join(sorted({re.escape(_plain(stem)) for stem in PROTECTED_STEMS})))
# Patterns compiled once: the per-sentence and per-comment passes below run hundreds of thousands of times.
_ALTERNATIVES = re.compile(r"\[([^\[\]]*)\]")
_SPACES = re.compile(r"  +")
_SPACE_BEFORE_MARK = re.compile(r" +([,.!?])")
_WORD = re.compile(r"\w+")
_LONG_WORD = re.compile(r"\w{5,}")
_ONE_DIAS = re.compile(r"\b1 dias\b")


def _rng(draws: Sequence[float]) -> random.Random:
    """A random stream that depends only on the caller's draws (stable across processes)."""
    digest = hashlib.blake2b(struct.pack(f"<{len(draws)}d", *draws), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "little"))


def _pick(rng: random.Random, options: Sequence):
    """One of `options`, uniformly: one draw of `rng.random()`, several times cheaper than `rng.choice`."""
    return options[int(rng.random() * len(options))]


def noun_for(product: str | None, rng: random.Random, brand: str | None = None) -> tuple[str, str]:
    """(noun phrase with article, gender) for a product category (sometimes with its brand), or a generic one."""
    kinds = NOUNS.get(product or "")
    if kinds and rng.random() < 0.55:
        phrase, gender = _pick(rng, kinds)
        return (f"{phrase} {brand}" if brand and rng.random() < 0.35 else phrase), gender
    return _pick(rng, GENERIC_NOUNS)


_PARSED: dict[str, tuple[list[str], list[list[str]]] | None] = {}


def _parsed(template: str) -> tuple[list[str], list[list[str]]] | None:
    """A template without nested alternatives as (literal pieces, option lists), parsed once; None when nested."""
    if template not in _PARSED:
        pieces = _ALTERNATIVES.split(template)  # literal, options, literal, options, ..., literal
        literals, options = pieces[0::2], [p.split("|") for p in pieces[1::2]]
        _PARSED[template] = None if any("[" in lit or "]" in lit for lit in literals) else (literals, options)
    return _PARSED[template]


def _slots(noun: tuple[str, str], reviewer: str, values: dict[str, str]) -> dict[str, str]:
    """The format slots of one comment: the noun, its article and gender agreements, the reviewer, the facts."""
    phrase, gender = noun
    article, bare = phrase.split(" ", 1)
    female = gender == "f"
    return {"p": phrase, "P": phrase[0].upper() + phrase[1:], "n": bare, "o": article,
            "a": "a" if female else "o", "do": "da" if female else "do", "bom": "boa" if female else "bom",
            "um": "uma" if female else "um", "u": reviewer, **values}


def _fill(template: str, rng: random.Random, slots: dict[str, str]) -> str:
    """One sentence: alternatives picked (left to right, innermost first), then the intensifier and slots filled."""
    parsed = _parsed(template)
    if parsed is not None:
        literals, options = parsed
        text = literals[0]
        for choices, literal in zip(options, literals[1:]):
            text += _pick(rng, choices) + literal
    else:
        text = template
        while "[" in text:  # innermost alternatives first
            text = _ALTERNATIVES.sub(lambda m: _pick(rng, m.group(1).split("|")), text)
    while "{muito}" in text:  # left to right, one draw each (as a regex substitution would)
        text = text.replace("{muito}", _pick(rng, MUITO), 1)
    while "{who}" in text:
        text = text.replace("{who}", _pick(rng, WHO), 1)
    text = _tidy(text.format(**slots))
    return text[0].upper() + text[1:]


def _tidy(text: str) -> str:
    """Tidy the gaps an empty alternative leaves ("muito  bom", "rápida ,")."""
    if "  " not in text and " ," not in text and " ." not in text and " !" not in text and " ?" not in text:
        return text.strip()
    return _SPACE_BEFORE_MARK.sub(r"\1", _SPACES.sub(" ", text)).strip()


def _join(rng: random.Random, sentences: list[str]) -> str:
    """Sentences with their closing punctuation, separated by spaces or (sometimes) line breaks."""
    out = []
    for s in sentences:
        if s.endswith(","):
            out.append(s)
            continue
        if s[-1] not in ".!?" and not s.endswith(("🙄", "👏")):
            s += _pick(rng, (".", ".", ".", "!", "!!", "...", ""))
        out.append(s)
    text = out[0]
    newline = rng.random() < 0.12
    for prev, s in zip(out, out[1:]):
        if not prev.endswith(",") and rng.random() < 0.1:
            s = _pick(rng, CONNECTORS) + " " + s[0].lower() + s[1:]
        if prev.endswith(","):
            text += " " + s[0].lower() + s[1:]
        elif newline:
            text += "\n" + s
        else:
            text += _pick(rng, (" ", " ", " ", " ", "", "  ")) + s
    return text


def _typo(word: str, rng: random.Random) -> str:
    """One typing slip in a word: a dropped, doubled or swapped letter."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        return word[:i] + word[i + 1:]
    if kind < 0.7:
        return word[:i] + word[i] + word[i:]
    return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]


def _register(text: str, score: int, rng: random.Random) -> str:
    """Formal as written, or informal (slang, no accents, laughter), all caps, and typos."""
    style = rng.random()
    if style < 0.22:
        def informal(m: re.Match) -> str:
            word = m.group(0)
            low = word.lower()
            if low in INFORMAL and rng.random() < INFORMAL_P.get(low, 0.7):
                return INFORMAL[low]
            return word
        text = _WORD.sub(informal, text)
        if score >= 4 and rng.random() < 0.3:
            text += " " + _pick(rng, SLANG_POSITIVE)
        if rng.random() < 0.5:
            text = _plain(text)
        if score >= 4 and rng.random() < 0.2:
            text += _pick(rng, LAUGH)
    elif style < 0.25:
        text = text.upper()
    elif style < 0.30:
        text = text[0].lower() + text[1:]
    if rng.random() < 0.12:
        words = [(m.start(), m.end()) for m in _LONG_WORD.finditer(text) if not _PROTECTED.search(_plain(m.group(0)))]
        for start, end in sorted(rng.sample(words, min(len(words), _pick(rng, (1, 1, 2)))), reverse=True):
            text = text[:start] + _typo(text[start:end], rng) + text[end:]
    return text


def _ironic(situation: Situation, rng: random.Random) -> str:
    tail = _pick(rng, COMPLAINTS[situation][3])
    return f"{_pick(rng, IRONY_OPENERS)}, {tail}{_pick(rng, IRONY_MARKERS)}"


def _attribute(rng: random.Random, good: bool) -> str:
    """A remark on one attribute of the product, in agreement with the attribute's gender."""
    phrase, gender = _pick(rng, ATTRIBUTES)
    adjective = _pick(rng, GOOD_ADJ if good else PLAIN_ADJ)
    adjective = adjective.replace("{a}", "a" if gender == "f" else "o").replace("{bom}", "boa" if gender == "f" else "bom")
    intensity = _pick(rng, MUITO) if good and adjective.endswith(("a", "o")) and " " not in adjective else ""
    sentence = " ".join(w for w in (phrase[0].upper() + phrase[1:], _pick(rng, ATTRIBUTE_VERBS), intensity, adjective) if w)
    return sentence.replace("{", "{{").replace("}", "}}") + "."


def _positive(rng: random.Random, late: int, delivered: bool, long: bool, product: str | None) -> list[str]:
    """Praise, and sometimes the delivery (only when it was on time), details, the seller, a closing."""
    sentences = [_pick(rng, PRAISE) + _pick(rng, PRAISE_TAIL)]
    extras = []
    if delivered and late <= 0 and rng.random() < 0.45:
        extras.append(_pick(rng, DELIVERY_EARLY if late < 0 else DELIVERY_ON_TIME))
    if rng.random() < (0.6 if long else 0.3):
        extras.append(_attribute(rng, good=True))
    if rng.random() < (0.6 if long else 0.2):
        extras.append(_pick(rng, USAGE + PRAISE_DETAIL))
    if rng.random() < (0.35 if long else 0.08):
        extras.append(_pick(rng, COMPARE))
    if product in KIND_DETAILS and rng.random() < (0.6 if long else 0.12):
        extras.append(_pick(rng, KIND_DETAILS[product]))
    if long and rng.random() < 0.45:
        extras.append(_pick(rng, STORY_GOOD))
    if rng.random() < 0.12:
        extras.append(_pick(rng, SELLER_PRAISE))
    rng.shuffle(extras)
    sentences += extras
    if rng.random() < 0.4:
        sentences.append(_pick(rng, POSITIVE_CLOSE))
    return sentences


def _neutral(rng: random.Random, late: int, delivered: bool, long: bool) -> list[str]:
    sentences = [_pick(rng, NEUTRAL)]
    if rng.random() < (0.6 if long else 0.3):
        sentences.append(_attribute(rng, good=rng.random() < 0.4))
    if long and rng.random() < 0.5:
        sentences.append(_pick(rng, STORY_MIXED))
    if delivered and late <= 0 and rng.random() < 0.3:
        sentences.append(_pick(rng, DELIVERY_ON_TIME))
    if rng.random() < (0.6 if long else 0.35):
        sentences.append(_pick(rng, NEUTRAL_CLOSE))
    return sentences


def _negative_tail(rng: random.Random, long: bool) -> list[str]:
    """What an unhappy customer adds: contact attempts, feelings, a closing."""
    out = []
    if rng.random() < (0.5 if long else 0.2):
        out.append(_pick(rng, CONTACT + NEGATIVE_DETAIL))
    if long and rng.random() < 0.6:
        out.append(_pick(rng, STORY_BAD))
    if rng.random() < 0.45:
        out.append(_pick(rng, NEGATIVE_CLOSE))
    return out


def _complaint(rng: random.Random, score: int, situation: Situation, late: int, long: bool) -> list[str]:
    """The complaint as severe as the stars: severe or ironic (1-2), mild (3), an aside in praise (4-5)."""
    severe, mild, aside, _, follow_ups = COMPLAINTS[situation]
    if score <= 2:
        if rng.random() < 0.12:
            sentences = [_ironic(situation, rng)]
        else:
            sentences = [_pick(rng, severe)]
            if rng.random() < (0.6 if long else 0.35):
                sentences.append(_pick(rng, follow_ups))
        if situation in (Situation.DEFECT, Situation.WRONG_PRODUCT) and late > 0 and rng.random() < 0.3:
            sentences.append("[Além disso|E ainda|Fora que], atrasou {late} dias.")
        return sentences + _negative_tail(rng, long)
    if score == 3:
        sentences = [_pick(rng, mild)]
        if rng.random() < (0.5 if long else 0.2):
            sentences.append(_attribute(rng, good=True))
        if long and rng.random() < 0.5:
            sentences.append(_pick(rng, STORY_MIXED))
        if rng.random() < 0.25:
            sentences.append(_pick(rng, MILD_CLOSE))
        return sentences
    sentences = [_pick(rng, PRAISE), _pick(rng, aside)]
    if long and rng.random() < 0.5:
        sentences.insert(1, _attribute(rng, good=True))
    if rng.random() < 0.3:
        sentences.append(_pick(rng, POSITIVE_CLOSE))
    return sentences


def comment(score: int, situation: Situation, u: Sequence[float], *, late: int = 0, wait: int = 0,
            days: int = 0, price: float = 0.0, freight: float = 0.0, product: str | None = None,
            brand: str | None = None, long: bool = False) -> str:
    """One comment for a review of `score` stars about an order in `situation`.

    `u` holds the caller's uniform draws (they seed every choice); `late` is days after the
    estimated date (negative: days early), `days` the delivery time, `wait` the days since purchase,
    `product` an Olist category or a B2W second-level category (it names the product), `brand`
    its maker, `long` asks for the longer, more detailed texts of B2W.
    """
    rng = _rng(u)
    noun = noun_for(product, rng, brand)
    reviewer = _pick(rng, "oa")
    delivered = situation not in (Situation.NOT_RECEIVED, Situation.CANCELED)
    values = {"late": str(late), "early": str(-late), "wait": str(wait), "days": str(max(days, 1)),
              "window": str(max(days, 1) - late), "k": str(2 + int(rng.random() * 12)),
              "price": brl(price), "freight": brl(freight)}
    if situation == Situation.NONE and score >= 4 and not long and rng.random() < 0.1:
        sentences = [_pick(rng, SHORT_PRAISE)]
    else:
        sentences = [_pick(rng, OPENINGS)] if rng.random() < (0.3 if long else 0.15) else []
        if situation == Situation.NONE:
            if score >= 4:
                sentences += _positive(rng, late, delivered, long, product)
            elif score == 3:
                sentences += _neutral(rng, late, delivered, long)
            else:
                sentences += [_pick(rng, NEGATIVE)] + _negative_tail(rng, long)
        elif situation == Situation.LATE and score >= 4 and rng.random() < 0.2:
            # late but happy, and not saying so: the text alone shows no complaint
            sentences += _positive(rng, 0, False, long, product)
        else:
            sentences += _complaint(rng, score, situation, late, long)
    slots = _slots(noun, reviewer, values)
    text = _join(rng, [_fill(s, rng, slots) for s in sentences])
    if late >= 25:
        text = re.sub(rf"\b{late} dias depois do prazo", "um mês depois do prazo", text)
    text = _ONE_DIAS.sub("1 dia", text)
    text = _register(text, score, rng)
    emoji = rng.random()
    if emoji < 0.06 and "🙄" not in text:
        text += " " + _pick(rng, EMOJI["positive" if score >= 4 else "negative"])
    elif emoji > 0.9:
        text += " "
    return text


def title(score: int, situation: Situation, u: float) -> str:
    rng = _rng([u])
    if score <= 2 and situation != Situation.NONE and rng.random() < 0.5:
        text = _pick(rng, SITUATION_TITLES[situation])
    else:
        text = _pick(rng, TITLES[polarity(score)])
    style = rng.random()
    if style < 0.1:
        text = text.lower()
    elif style < 0.15:
        text = text.upper()
    elif style < 0.2:
        text += "!"
    return text
