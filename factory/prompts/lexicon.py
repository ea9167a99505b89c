"""PT-BR review lexicon: regular expressions over folded text (lower case, no accents).

Each complaint category of `schemas.tasks.COMPLAINT_CATEGORIES` has its cue phrases, written to the
labeling guide (docs/labeling.md); polarity words, negators, irony markers, seller blame and
repeat/recommend intents complete what the rule labeler reads. They are documented rules, not a model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# Words that name an order or what was in it (for "faltou ..." and "só veio ...").
_ITEM = r"(um|uma|\d+|o|a|os|as|duas|dois|tres|metade|parte|pecas?|parafusos?|acessorios?|itens?|produtos?|unidades?|kits?|rolos?)\b"
# "chegou/recebi/entregue": every spelling customers use.
_NOT = r"(nao|n)"
_ARRIVE = r"(recebi|recebemos|recebe|recebido|chegou|chego|chegaram|foi entregue|foram entregues|entregou|entregaram|entregam|entregue)"

# An item of the order is missing: always produto_nao_recebido (the guide), never a lateness.
MISSING_ITEM = (
    r"veio faltando", r"vieram faltando", r"faltou(?! (apenas |so |mesmo )?(ter|entrar|o aplicativo))", r"faltaram",
    r"\bfalta(m|ndo)? (de )?(uma|um|o|a|os|as|\d+) (?!de |instruc|manual)", r"\bfaltam\b(?! (as )?(instruc|especificac|informac|medidas))",
    rf"(recebi|recebemos|veio|vieram|chegou|entregaram|enviou|enviaram|mandou|mandaram) (so|somente|apenas) {_ITEM}", r"apenas um dos",
    rf"(so|somente|apenas) (veio|vieram|chegou|recebi|recebemos|entregaram|me mandaram|me enviaram|mandaram|enviaram) {_ITEM}",
    rf"(foi entregue|foram entregues|entregue|entregou|entregaram) (so|somente|apenas) {_ITEM}",
    r"so recebi as", r"recebi so o", r"comprei (\d+|dois|duas) \w+ \w+ (\d+|um|uma)$", r"entrega parcial", r"(veio|chegou) pela metade", r"nao veio (na caixa(?! (do produto )?original)|a |o |os |as )",
    r"recebi um (produto )?dos dois", r"dois[^.!?]{0,40}so (chegou|veio) um", r"(comprei|pedi|paguei|paga|pago|compra) (\d+|dois|duas)[^.!?]{0,30}rece?b\w* (\d+|um|uma|apenas|so)\b",
    r"comprei junto[^.!?]{0,60}nao chegou", r"nao entregaram a quantidade", r"ainda nao recebi (as|os) (?!produtos?\b)",
)
# The order (or the customer's parcel) has not arrived: atraso_entrega when the order is late, else
# produto_nao_recebido (decided by the labeler from the facts and LATE cues).
NOT_RECEIVED = (
    rf"{_NOT} {_ARRIVE}(?! (o |a |meu |minha |nenhum |nenhuma |nem )?(dinheiro|valor|comunicado|reembolso|estorno|resposta|retorno|nota|e-?mail|informac|posicao|contato))(?! (o produto |a mercadoria |o pedido )?(conforme|como) (o )?(anunciad|descrit|pedid|comprad))", rf"nunca {_ARRIVE}", r"nem chegou", r"nem (ao menos )?foi entregue", r"nao (foi|foram) entregue",
    r"(produto|pedido|mercadoria|encomenda) nao (foi )?entregue", r"(produto|pedido|mercadoria|encomenda) nao (chegar|chegou)\b(?! (conforme|como))", r"ainda aguardo (o produto|a entrega|o pedido|meu pedido|a mercadoria)",
    r"(sequer|nem|nao) (chegou a ser|foi) enviad", r"nao entrega e\b", r"aguardando (a )?(entrega|chegada)", r"extraviad",
    r"(estou|fico|estamos) (no aguardo|aguardando|esperando)(?![^.!?]{0,40}(troca|resposta|retorno|e-?mail|devoluc|reembols|estorno|dinheiro|posicao|solucao|providenc|andamento))",
    r"ainda (estou )?(esperando|aguardando)(?![^.!?]{0,40}(troca|resposta|retorno|devoluc|reembols|estorno|dinheiro|posicao|solucao|andamento))",
    r"solicitar a entrega", r"(quando|como|se) (irei|vou|vai) (fazer para )?(receber|chegar)",
    r"\b(ate agora|ate hoje|ate o momento) nada\b(?! (a |de |mais|demais))", r"entregue no endereco errado",
    r"nem (foi )?entregue a transportadora",
)
CANCELED = (r"\bcancel", r"desisti da compra", r"extraviad", r"extravio", r"roubad", r"roubo de carga", r"incendio", r"sem estoque", r"falta de estoque", r"nao (tinha|tem|havia) (em |no )?estoque", r"nao havia no estoque")
# Lateness words: with NOT_RECEIVED they make atraso_entrega; alone they are a delivery complaint.
LATE = (
    r"atras(o|ou|ad|ar|a\b)", r"demor(?!ei)\w*(?![^.!?,]{0,30}\b(pra|para|a) (assar|carregar|esquentar|aquecer|ligar|funcionar|usar|testar))",
    r"fora do prazo", r"(passou|apos|depois|alem) (d?o) prazo", r"passou (o|a) (prazo|data)", r"prazo (nao|estourou|vencido|muito longo|de entrega (nao|foi))",
    r"nao (chegou|foi entregue|entregou|entregaram|me entregou|veio) (no|dentro do) prazo", r"nao chegou na data", 
    r"entrega (lenta|demorada)", r"entrega[^.!?]{0,40}deixa(ndo)? (muito )?a desejar", r"nao chega\w* no (dia|prazo|tempo)",
    r"(?<!usando )(?<!uso )(?<!tenho )(faz|fazem|ha|ja faz|ja tem|ja se passaram|a mais de) (mais de |quase |quais )?(\d+|um|uma|dois|duas|tres) (dias|semanas|mes|meses)(?![^.!?]{0,15}(tento|tentando|de uso|usando|que (uso|tenho|comprei)))",
    r"(\d+|um|uma|dois|duas|tres|trinta|vinte|quarenta|quinze) (dias|semanas|mes|meses) (para|pra) (receber|chegar|entregar)", r"prazo[^.!?]{0,25}muito (maior|longo|grande)",
    r"mais de (\d+|trinta|vinte|quarenta|quinze) dias(?! de uso)", r"(\d+|trinta|vinte|quarenta|quinze) (dias|semanas|meses) (esperando|aguardando|de espera)", r"(entrega|envio) (deve|deveria|precisa|poderia) ser mais rapid", r"muito tempo para (chegar|entregar)", r"prazo muito", r"nao respeitaram os prazos",
    r"ja passou (\d+|um|uma|mais de|o prazo|da data)", r"mais de (um )?mes (esperando|aguardando)", r"quase um mes",
    r"esperava mais agilidade", r"nota fiscal (ainda )?nao (foi )?emitida", r"nem nota fiscal",
)
# The customer names a due date: a parcel not yet arrived is then late (atraso_entrega).
DEADLINE = (r"\bprazo\b", r"data (prevista|combinada|marcada|para receber|pra receber|de entrega)", r"previst[oa] (pra|para)",
            r"(entrega|prazo) (era|seria) (ate|para|pra)")
# ... unless the customer says the due date has not passed yet: then a parcel not yet here is not late.
WITHIN_DEADLINE = (r"ainda (esta|estamos|estou)? ?(no|dentro do) prazo", r"prazo (vence|vencera|vai vencer|e ate|vai ate|que me foi dado)",
                   r"vou esperar ate", r"(esta|estamos) dentro do prazo", r"ainda nao (venceu|passou) o prazo", r"antes do prazo (vencer|acabar)")
# Wishes and suggestions: a complaint that does not turn a 4-5 star review negative.
WISHES = (r"poderia", r"deveria", r"faltou (apenas|so) ", r"sugest", r"so nao (foi|e) perfeit")
# Complaint cues of the other categories, in the guide's priority order (after produto_nao_recebido).
COMPLAINT_CUES: dict[str, tuple[str, ...]] = {
    "produto_defeituoso": (
        r"(?<!contra )defeit", r"quebrad", r"(?<!caiu e )quebrou", r"nao funciona", r"nao funcionou", r"funciona mal", r"nao funciona bem",
        r"parou de funcionar", r"estragad", r"estragou", r"danificad", r"rachad", r"rachadura", r"trincad", r"rasgad", r"rasgo",
        r"amassad", r"amacad", r"riscad", r"arranhad", r"furad", r"vazando", r"\bvaza\b", r"vazamento", r"nao (liga|ligava|ligou)\b",
        r"queimou(?! o filme)", r"nao carrega", r"nao instala", r"com problemas?\b", r"apresent\w+ (problemas?|defeito)", r"problemas? (com|na|no) (o |a )?(aparelho|camera|controle|produto|tela)",
        r"\b(pessima|baixa|ma|ruim|duvidosa) qualidade", r"qualidade (ruim|baixa|pessima|inferior|duvidosa|razoavel)", r"nao tem a mesma qualidade",
        r"mal (feito|produzid|acabad)", r"nao (gela|esquenta|aquece|resfria|seca|corta|limpa|desembaraca|prende|fixa|segura)\b",
        r"(gela|esquenta|aquece|resfria) (muito |mto )?pouco", r"nao vale nada", r"descarrega", r"esquenta (tanto|demais|muito)",
        r"(nao (sao|e|esta|estao) bem|mal) fixad", r"instab", r"nao (se mostrou|e|foi) eficaz", r"interferencia", r"probleminha",
        r"ruidos?\b", r"barulh", r"distorc", r"desconect", r"sem funcionamento", r"tela (preta|azul|apagada)", r"arranh",
        r"nao (consigo|consegui) (nem )?(colocar|encaixar|ligar)", r"nao deixa (entrar|encaixar)", r"nao (e|eh) (muito|tao|mto) bo[am]", r"precisa melhorar", r"\bqueima(m)? (toda|muito|facil|sempre|com)", r"derret",
        r"comec\w* a (queimar|pegar fogo|soltar|vazar|descascar)", r"nao tem boa (fixacao|qualidade|durabilidade)", r"nao agradou",
        r"produto (muito )?(fraco|ruim|fragil)", r"pifou", r"desbot", r"enferruj", r"oxid", r"descasc", r"vazou", r"trincou",
        r"lascad", r"empenad", r"travand", r"travou", r"superaquec", r"nao (conecta|acende|reconhece|le)\b", r"falhand",
        r"chiado", r"durou (muito )?pouco", r"descostur", r"desfiad", r"estourou", r"deu (problema|defeito)", r"nao presta",
        r"quebradic", r"(material|acabamento|tecido|costura|malha) (e |eh |muito |bem )*(fraco|ruim|pessim|inferior|fino)", r"nao (esta )?(fecha|fechando|abre|abrindo|funciona|funcionando|encaixa) direito", r"acabamento (nao|ruim|fraco)", r"(muito|bem|mto) (fina|fino|fragil|fraco|fraca|ruins)\b", r"\bfragil\b",
        r"(produto|material|tecido) (e|eh) fino", r"\bsujo\b", r"\bsuja\b", r"manchad", r"(estava|veio|esta|ficou|chegou) tort[oa]", r"soltando", r"fica solto", r"sem firmeza",
        r"(produto|estava|veio) aberto", r"cheiro (muito )?forte", r"nao (pode|aguenta) (colocar )?muit", r"nao mantem",
        r"demora muito (pra|para) (assar|carregar)", r"dura (so |apenas )?\d+ minutos", r"baixo alcance",
        r"nao atend\w+ (a )?minha necessidade", r"nao cumpre o que promete", r"nao (e|eh) eficiente", r"nao durou", r"nao dura",
        r"(ja )?(estragou|(?<!caiu e )quebrou|parou)", r"nao e bom", r"piores compras", r"\bregular\b", r"travad", r"nao encaixa",
        r"sem (nenhum )?conforto|conforte nem", r"(configuracoes|desempenho) (muito )?(melhor|inferior)", r"nao (sao|e) (dos|das|o|a) melhor",
        r"material[^.!?]{0,20}(estranho|pessimo|ruim)", r"tamanhos diferentes", r"som estranho", r"bambo",
    ),
    "produto_diferente": (
        r"diferente d[aoe]s? (anunciad|pedid|que|foto|imagem|descri|comprad|solicitad)", r"(esta|e|veio|eh) diferente da foto",
        r"produto errado", r"veio errad", r"(cor|tamanho|modelo|numero) (errad|incorret|diferente)(?![^.!?]{0,30}mais (bonit|lind))", r"(na|no) (tamanho|cor) (errad|incorret)",
        r"nao (e|era|eh) (o|a) (que|mesm|produto|da|do|cor)", r"nao (e|era|eh) da cor", r"nao corresponde", r"nao condiz", r"nao confere",
        r"(pedido|produto|modelo|tamanho|cor|medidas?) divergente", r"divergente d[aoe]", r"veio outr", r"(mandaram|enviaram|entregaram|chegou) (um |uma )?(outr|produto diferente|um aparelho inferior)",
        r"chegou esse", r"(veio|esta|estava|mandaram|enviaram) (trocad|diferente)", r"\btrocado\b",
        r"falsificad", r"(e|eh|era|produto|veio) pirata", r"nao (e|eh|era|sao|eram) originai?s?", r"nao originais", r"\bcopia\b", r"selo de original",
        r"propaganda enganosa", r"enganosa", r"(bem|muito|super|mto) (menor|pequen)", r"menor do que", r"maior do que (eu )?esperava",
        r"muito grande", r"nao serviu", r"fora das medidas", r"(?<!endereco )(?<!preco )(?<!preco esta )(?<!preco ta )\berrad[oa]\b", r"inferior (ao|no preco)", r"sendo que comprei",
        r"nao (e |eh |era )?tao \w+ (quanto|como)", r"parecia (ser )?(mais|maior)", r"parece (ser )?maior",
        r"\bparaguai", r"sintetic", r"nao tem (o )?selo", r"nao (ter )?(veio|vindo) (a|o) (cor|tamanho|modelo|numero) que",
        r"nao (foi|era|e) (a|o) que (eu )?(tinha )?(comprad|pedi|escolhi)", r"nao (recebi|veio|chegou)[^.!?]{0,25}(conforme|como) (o )?(anunciad|descrit|pedid)", r"(esperava|achei que)[^.!?]{0,30}(mais|fosse)", r"nao pode(m)? (ser|serem) usad",
        r"nao funciona com", r"todos iguais", r"nao (e|eh) (o )?mesmo (produto|modelo|da foto)", r"produto trocado",
        r"veio (outra|em outra) cor", r"(pequen[oa]|grande|apertad[oa]) demais", r"incompativel", r"nao (e|eh) compativel", r"imitacao",
        r"\breplica\b", r"(nao|n) (e|eh|era) de (couro|inox|madeira|algodao|vidro|metal|aco|prata|ouro)", r"diferente do (site|anuncio|anunciado)",
        r"(pedi|comprei|solicitei|encomendei)\b[^.!?]{0,80}\b(recebi|veio|chegou) (um|uma) (?!unidade|so\b|apenas)",
        r"(pedi|comprei|solicitei|encomendei)\b[^.!?]{0,80}\be (veio|vieram|chegou|recebi) (?!(o |a |os |as )?(produto|pedido|mercadoria)|com\b|em\b|no\b|na\b|dentro|antes|rapid|bem\b|certinho|perfeit|tudo|conforme|exatamente|direitinho|faltando|quebrad|amassad|danificad|errad|trocad|apenas|so\b|somente|\d|um\b|uma\b)\w+",
        r"(pedi|comprei|solicitei|encomendei)\b[^.!?]{0,60}\bme (enviaram|mandaram|entregaram) (?!(o|a|os|as) (produto|pedido))\w+",
    ),
    "atraso_entrega": LATE,
    "atendimento_vendedor": (
        r"(pessimo|ruim|horrivel|mau|mal|falta de|sem|lixo de) atendimento", r"atendimento (pessimo|ruim|horrivel|demorad|fraco|precario|lament|um lixo|muito demorado)",
        r"terceiros", r"nao (os|aos|dos) terceiros", r"falta de informac\w* (na venda|ao cliente)", r"(descricao|anuncio)[^.!?]{0,30}nao (informa|diz|fala|menciona)", r"faltam especificac", r"aguardando a troca", r"(solicitei|pedi) a (devolucao|troca)[^.!?]{0,80}(ninguem|nao|sem)",
    ),
    "embalagem": (
        r"(embalagem|caixa|embalagens)[^.!?]{0,40}(rasgad|amassad|danificad|violad|abert|estourad|avari|rudimentar|nao era|ruim|pessim|faltando|velha)",
        r"nao veio na caixa (do produto )?original", r"sem a caixa original",
        r"(mal|pessimamente|muito mal) embalad", r"nao veio bem embalad", r"avaria na embalagem", r"(sem|nenhuma|nemguma) (nenhuma )?protecao",
        r"embalagem que nao", r"caixa (toda )?(amassada|aberta|rasgada|violada|danificada)", r"lacre (rompido|violado|aberto)", r"sem lacre",
    ),
    "preco": (
        r"\bcaro\b", r"muito caro", r"frete[^.!?]{0,40}(caro|abusivo|salgad|alto|atrapalh)", r"(caro|abusivo|salgad\w*)[^.!?]{0,40}frete",
        r"preco (alto|abusivo|absurdo)", r"err\w* (o|os) preco", r"preco (esta|ta) (certo|errado)", r"cobrando frete",
        r"cobra(ram|do|ndo) a mais", r"carissim", r"(valor|preco) (muito )?(alto|salgado)", r"nao compensa", r"(mais barato|metade do preco) em outr", r"pelo (mesmo )?preco[^.!?]{0,40}(outros|melhor|mais modern)", r"nao (acho que )?vale o (que custa|preco)", r"(colocou|colocaram) esse preco", r"custar tudo isso", r"pela quantidade[^.!?]{0,20}nao vale", r"aument\w* absurdamente o frete",
    ),
}
# Delivery hassles that are neither lateness nor non-delivery (the guide's `outro`, with delivery_issue).
DELIVERY_OTHER = (
    r"(buscar|retirar|ir buscar)[^.!?]{0,20}(no|nos) correios?", r"(nao|sem) (conseguia|consegui|consigo|tem como) rastrear",
    r"area de risco", r"voltou ao remetente", r"problemas? com (os )?correios", r"servico de entrega",
    r"problemas? (na entrega )?com a transportadora",
)
# Specific complaints outside the categories (the guide's `outro`): delivery hassles, manuals, wishes, irony.
OTHER_CUES = DELIVERY_OTHER + (
    r"manual", r"ponto negativo", r"deveria ser", r"poderia ser maior", r"(so |apenas )?faltou (mesmo )?(o |um |uma )?(aplicativo|app|entrar)",
    r"unico problema", r"(achei|pensei) que (viria|vinha)", r"pensei que era", r"deveriam incluir", r"#?\bsqn\b", r"so que nao\s*($|[.!,?])", r"faltou (apenas |so )?ter", r"nao vem (com )?(um|uma) ", r"peso acima|muito pesad",
)
# The text blames the seller or the store (not the carrier, not the manufacturer).
SELLER_BLAME = (
    r"(pessimo|ruim|horrivel|mau|falta de|lixo de|sem) atendimento", r"atendimento (foi |e |esta |muito )*(pessim|ruim|horrivel|demorad|fraco|um lixo)",
    r"nao (me )?respond", r"sem feedback", r"(nao|nem) (me )?(ligaram|retornaram|mandaram nada)", r"lixo de (site|loja)",
    r"nao recebi (o|meu) dinheiro", r"desrespeito", r"(site|loja|empresa) (e |eh )?(muito )?desorganizad", r"\bgolpe\b",
    r"liguei (varias|diversas) vezes", r"vend\w* (produtos? )?(pirata|falsificad|falso)", r"(nao (disponibiliza|existe|existi|tem)|sem) (um )?(acesso|telefone|canal)",
    r"nao consigo resolver", r"(tentando|tentei)[^.!?]{0,40}(contato|falar)[^.!?]{0,40}(nao|sem)", r"ninguem se manifest", r"atendimento[^.!?]{0,30}\bpessim", r"recus\w* a (trocar|devolver|fazer a troca)", r"(eles|e) negaram",
    r"atendimento[^.!?]{0,30}\b(e|foi|esta|muito) (pessim|ruim|horrivel|fraco)", r"(descricao|anuncio)[^.!?]{0,30}nao (informa|diz|fala|menciona)", r"nao recomend\w* (nunca )?(a|esta|essa|esse|este|o) (loja|empresa|vendedor|site)", r"(sem|nenhum|nenhuma) (resposta|reposta|retorno|satisfacao|posicao|posicionamento)", r"nao (tive|tenho|obtive|recebi|recebo) (nenhum |nenhuma )?(retorno|resposta|posicao|o comunicado)",
    r"ninguem (me )?(atende|responde|resolve|da|entra em contato|buscou)", r"nao (me )?(da|deu|dao|deram) (nenhum )?(retorno|satisfacao)",
    r"sem nenhuma explicac", r"nao se resolveu", r"nada (foi|se) (feito|resolv)", r"postura da loja",
    r"responsabiliz\w* (a|as|o|os)? ?(loja|empresa|vendedor)", r"querem cobrar", r"nao (consegui|conseguir|consigo) (a )?(devolucao|reembolso|estorno)",
    r"mais atencao (na hora de|ao) (enviar|separar|embalar)", r"(empresa|loja|vendedor) (levou|demorou)[^.!?]{0,30}(emitir|enviar|despachar)",
    r"nao (consigo|consegui) (nenhum )?(contato|falar|entrar em contato)", r"descaso", r"falta de (respeito|compromisso|responsabilidade|informac)",
    r"(sem|nao teve) comprometimento", r"nao (devolveram|reembolsaram|ressarciram|estornaram|me ressarciram|me reembolsaram)", r"(nao|sem) (houve )?estorno",
    r"nao (tive|houve) (o )?estorno", r"ainda nao me (reembolsaram|ressarciram)", r"esperando meu dinheiro",
    r"nao (efetua|fez|faz|aceita) a troca", r"aguardando a troca", r"nao foi feita a troca", r"nao pode pedir pra trocar",
    r"vend\w*[^.!?]{0,40}(nao tinha|nao tem|sem estoque)", r"(oferecido|disponivel)[^.!?]{0,40}(nao tinha|sem estoque|nao tinha em estoque)",
    r"como se tivesse em estoque", r"lojas? parceir", r"parceiros?\b", r"terceiros", r"enganad", r"enganacao", r"lesad", r"bando de", r"nao entrou em contato",
    r"cancelaram", r"vendedor cancelou", r"por parte da loja", r"politica lixo", 
    r"(pessimo|pessima) (sac|servico)", r"\bsac\b[^.!?]{0,20}(nao|pessim)", r"nao (me )?(informaram|avisaram)", r"so fui avisado",
    r"(loja|empresa|fornecedor|vendedor|site|americanas)[^.!?]{0,40}(nao (respond|resolv|da|deu|retorn|entrou|quer)|pessim|ruim|piada|lixo|ignorando|nao tem uma boa)",
    r"erro grosseiro", r"(esta|estao) (descontando|cobrando)", r"debita na fatura", r"cobrou e", r"falta de informac", r"faltam especificac",
    r"insatisfeit\w* com (essa|esta|a) (loja|empresa)", r"(mais|a mais) do (que o )?prometido", r"(brav[oa]|irritad\w*) com (essa|esse|a|o) ",
    r"fornecedor nao deu", r"nenhum esforco", r"(nao|ninguem) (resolvem|resolveram|resolve)", r"enrola(ndo|cao|m)", r"central de atendimento[^.!?]{0,30}(nao|pessim)", r"so me enviam e-?mail", r"e-?mail automatico", r"procurar outra loja",
)

POSITIVE = (
    r"otim", r"excelente", r"\bbo(m|a|ns|as)\b(?! (dia|tarde|noite)\b)", r"(so|apenas) esse detalhe", r"recomendo", r"adorei", r"amei", r"\bamou\b", r"perfeit", r"satisfeit", r"gostei",
    r"gostou", r"maravilh", r"parabens", r"lind[oa]", r"rapid", r"antes d[oa] (prazo|previsto|combinado|tratado|data)",
    r"no prazo", r"dentro do prazo", r"certinho", r"direitinho", r"\bcorret", r"corretamente", r"confiavel", r"\btop\b", r"\bshow\b",
    r"nota (10|dez)", r"muito bem", r"eficiente", r"atendeu", r"atende (bem|ao)", r"conforme", r"bem embalad", r"tudo (ok|certo)",
    r"\bok\b", r"bonit", r"vale (a pena|o preco|muito)", r"custo.?beneficio", r"recomend", r"espetacular", r"incrivel", r"sensaciona",
    r"feliz", r"superou", r"contente", r"aprovo", r"resistente", r"funcional", r"cumpre (o que promete|com o que promete)", r"o esperado",
    r"preco (justo|bom|otimo)", r"barato", r"\bvaleu\b", r"vale (super|muito) a pena", r"facil", r"\blegal\b", r"compensa", r"no geral",
    r"(so|apenas) nao (foi|e|ficou) perfeit", r"condizente com o preco", r"bem (fabricad|feit|acabad)", r"sem (nenhum )?(defeito|problema)", r"original", r"funcionando",
)
STRONG_POSITIVE = (
    r"excelente", r"perfeit", r"amei", r"adorei", r"maravilh", r"sensaciona", r"espetacular", r"incrivel", r"superou",
    r"muito (bo[am]|satisfeit|feliz|lind|bonit)", r"super (recomendo|satisfeit|rapid)", r"gostei muito", r"nota (10|dez)", r"parabens",
    r"recomendo[^.!?]{0,30}(excelente|otim|perfeit)", r"show de bola", r"melhor compra", r"imperdivel",
)
WEAK_POSITIVE = (r"^\W*(ok|bom|boa|razoavel)\W*(\n\W*(ok|bom|boa)\W*)?$", r"nao (testei|testamos|usei|abri)", r"ainda nao (testei|testamos|usei|abri|pude usar)",
                 r"parece (tudo certo|bom)", r"aparentemente")
NEGATIVE = (
    r"pessim", r"horrivel", r"ruim", r"decepcion", r"insatisf", r"problema", r"lixo", r"pior", r"fraco", r"arrependi",
    r"vergonha", r"absurd", r"descaso", r"enganad", r"golpe", r"reclama", r"defeit", r"quebr", r"atras", r"demor",
    r"nao receb", r"nao chegou", r"errad", r"nao funciona", r"porcaria", r"nao presta", r"infelizmente",
    r"pena que", r"deixa(ndo)? (muito )?a desejar", r"nao gostei", r"frustra", r"chatead", r"chatiad", r"indignad", r"furios",
    r"revoltad", r"palhacada", r"afronta", r"complicado", r"desconfian", r"insegur", r"procon", r"justica", r"direitos",
)
STRONG_NEGATIVE = (
    r"pessim", r"horrivel", r"lixo", r"absurd", r"vergonha", r"palhacada", r"porcaria", r"nunca mais", r"procon", r"justica",
    r"meus direitos", r"indignad", r"furios", r"revoltad", r"muito (insatisfeit|decepcionad|chatead)", r"totalmente insatisfeit",
    r"super (insatisfeit|decepcionad|decpcionad)", r"descaso", r"!!!", r"enganad", r"lesad", r"afronta", r"nao comprem", r"pior",
    r"piores", r"recursos legais", r"boletim|moletin", r"propaganda enganosa",
)
# Lukewarm words: on 1-3 stars they make the review neutral.
NEUTRAL = (r"nem bom,? nem ruim", r"mais ou menos", r"\bmediano\b", r"(^|\. )medio( \.|$)")
# Customers who complain politely: the mild band of the guide.
MILD_NEGATIVE = (r"infelizmente nao tenho como", r"nao tenho como avaliar", r"entendo o atraso", r"so esse detalhe", r"obrigad[oa]\b",
                 r"por favor", r"gostaria (de|muito)", r"\batt\b", r"razoavel", r"um pequeno", r"levemente")
# A cue preceded (within a few words) by one of these is read as negated: "nao recomendo", "sem atraso".
NEGATORS = re.compile(r"\b(nao|n|nem|nunca|sem|nenhum|nenhuma|jamais)\b(\s+\w+){0,2}\s*$")
IRONY = (
    r"so que nao\s*($|[.!,?])", r"\bsqn\b", r"parabens (\w+ )?pel[ao]s? (pessim|demora|atraso|descaso)", r"obrigad[oa] por nada",
    r"(otimo|excelente|maravilh\w*|adorei)[^.!?]{0,40}\b(so que|pena que)\b", r"\bironia\b", r"#sqn",
    r"\"(otimo|excelente|rapido|rapida)\"", r"que beleza[,!]? (demor|atras|nao)",
    r"(otimo|muito bom|maravilh\w*|adorei|parabens|que beleza)[,!.\s]{1,4}(\w+ ){0,3}(nunca|nao) (chega|chegou|funciona|veio|recebi)",
    r"pegadinha", r"(pra|para) quem ganhou na (mega|loteria)", r"[🙄😒]",
)
REPEAT_POSITIVE = (
    r"(compraria|comprarei|vou comprar|volto a comprar|voltarei a comprar|comprarei mais|compro) (de novo|novamente|mais vezes|sempre|outra vez|mais)",
    r"voltarei a comprar", r"comprarei novamente", r"comprarei mais", r"ja (e|foi) (minha|o meu|o) (segunda|terceira|segundo|terceiro)",
    r"compro sempre", r"vou logo adquirir", r"com certeza vou comprar", r"segundo que compro",
)
REPEAT_NEGATIVE = (
    r"nunca mais", r"nao (compro|comprarei|compraria|volto a comprar) mais", r"ultima vez que compro", r"deixarei de comprar",
    r"nao (compro|comprarei|compraria) (nunca|novamente|de novo)", r"nao compro mais", r"to fora dessa loja", r"nao compro mais nada",
)
RECOMMEND_NO = (r"nao recomend", r"nao indico", r"nao comprem", r"evitem", r"fujam", r"nao recomento")
RECOMMEND_YES = (r"recomendo", r"indico", r"podem comprar", r"comprem sem medo", r"pode comprar")
# A category named in the title as "propaganda enganosa" outranks a defect (the guide: the named main complaint).
MISLEADING_AD = r"propaganda enganosa"



def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in patterns)


# Compiled once: the labeler runs every pattern over every review (the re module's cache holds fewer).
MISSING_ITEM, NOT_RECEIVED, CANCELED, LATE, DEADLINE, WITHIN_DEADLINE, WISHES = map(
    _compiled, (MISSING_ITEM, NOT_RECEIVED, CANCELED, LATE, DEADLINE, WITHIN_DEADLINE, WISHES))
COMPLAINT_CUES = {category: _compiled(cues) for category, cues in COMPLAINT_CUES.items()}
DELIVERY_OTHER, OTHER_CUES, SELLER_BLAME, POSITIVE, STRONG_POSITIVE, WEAK_POSITIVE = map(
    _compiled, (DELIVERY_OTHER, OTHER_CUES, SELLER_BLAME, POSITIVE, STRONG_POSITIVE, WEAK_POSITIVE))
NEGATIVE, STRONG_NEGATIVE, NEUTRAL, MILD_NEGATIVE, IRONY = map(
    _compiled, (NEGATIVE, STRONG_NEGATIVE, NEUTRAL, MILD_NEGATIVE, IRONY))
REPEAT_POSITIVE, REPEAT_NEGATIVE, RECOMMEND_NO, RECOMMEND_YES = map(
    _compiled, (REPEAT_POSITIVE, REPEAT_NEGATIVE, RECOMMEND_NO, RECOMMEND_YES))


@dataclass
class LexiconHits:
    """What the lexicon found in one folded text."""

    positive: int = 0
    negative: int = 0
    complaints: list[str] = field(default_factory=list)   # categories whose cues matched, in priority order
    clauses: dict[str, str] = field(default_factory=dict)  # category -> original clause holding its first cue
    missing_item: bool = False                            # an item of the order is missing
    not_received: bool = False                            # the order (or a parcel) has not arrived
    late: bool = False                                    # the text complains of lateness or slowness
    deadline: bool = False                                # the text names a due date
    within_deadline: bool = False                         # ... and says it has not passed yet
    neutral: bool = False                                 # "nem bom nem ruim", "mediano"
    pickup: bool = False                                  # had to pick the parcel up (outro, not non-delivery)
    wish: bool = False                                    # the complaint is a wish or suggestion
    canceled: bool = False                                # the text says the order was canceled / out of stock
    delivery_other: bool = False                          # other delivery hassle (pickup, tracking, address)
    seller_blame: bool = False                            # the text blames the seller or the store
    misleading_ad: bool = False
    strong_positive: bool = False
    weak_positive: bool = False
    strong_negative: bool = False
    mild_negative: bool = False
    negative_clause: str = ""                             # clause holding the first negative word
    irony: bool = False
    repeat: int = 0                                       # +1 intends to buy again, -1 says never again
    recommend: int = 0                                    # +1 recommends, -1 advises against


_STARTS_NEGATED = re.compile(r"(nao|n|nem|nunca|sem|ninguem|nenhum|nenhuma|nemguma)\b")


# "poderia ter danificado", "pode quebrar": a feared damage is not a damage.
HYPOTHETICAL = r"\b(poderia|podia|pode|podem|poderiam|risco de|medo de)\b(\s+\w+){0,2}\s*$"
# A LATE cue about the service, not the delivery: "atendimento foi demorado".
NOT_DELIVERY = r"atendimento(\s+\w+){0,2}\s*$"


def _negated(text: str, start: int) -> bool:
    """Whether a negator (or a hypothetical) governs the words at `start`, within its sentence."""
    window = re.split(r"[.!?;]", text[max(0, start - 25):start])[-1]
    if re.search(r"\bnunca (vi|tinha visto)\s*$", window):  # "nunca vi demorarem tanto" intensifies
        return False
    if re.search(r"\bnao (gostei|gosto|recomendo|indico|sei)\s*$", window):  # "nao gostei, demorou": a verdict, not a negation
        return False
    return re.search(NEGATORS, window) is not None or re.search(HYPOTHETICAL, window) is not None


def _count(patterns: tuple[re.Pattern, ...], text: str, respect_negation: bool) -> tuple[int, int]:
    """(plain hits, negated hits) of any pattern in `text`."""
    plain = negated = 0
    for pattern in patterns:
        for match in pattern.finditer(text):
            if respect_negation and _negated(text, match.start()):
                negated += 1
            else:
                plain += 1
    return plain, negated


def _find(patterns: tuple[re.Pattern, ...], text: str, context_excludes: str | None = None,
          skip_spans: tuple[tuple[int, int], ...] = ()) -> re.Match | None:
    """The first match of any pattern that is not negated (a pattern that starts with a negator is
    its own negation: "nao chegou" is read as is), not preceded by `context_excludes` and not
    inside one of `skip_spans`."""
    best = None
    for pattern in patterns:
        for match in pattern.finditer(text):
            if any(a <= match.start() < b for a, b in skip_spans):
                continue
            if context_excludes and re.search(context_excludes, text[max(0, match.start() - 25):match.start()]):
                continue
            if _STARTS_NEGATED.match(match.group(0)) or not _negated(text, match.start()):
                if best is None or match.start() < best.start():
                    best = match
                break
    return best


def _any(patterns: tuple[re.Pattern, ...], text: str) -> bool:
    return any(p.search(text) for p in patterns)


def _clause_of(match: re.Match, original_clauses: list[tuple[str, str]]) -> str:
    """The original clause that holds `match` (the first clause whose folded form contains it)."""
    for snippet in (match.group(0), match.group(0)[:12]):
        clause = next((orig for low, orig in original_clauses if snippet in low), "")
        if clause:
            return clause
    return ""


def scan(folded: str, original_clauses: list[tuple[str, str]]) -> LexiconHits:
    """Read a folded review text; `original_clauses` pairs each folded clause with its original form."""
    hits = LexiconHits()
    pos, pos_negated = _count(POSITIVE, folded, respect_negation=True)
    neg, neg_negated = _count(NEGATIVE, folded, respect_negation=True)
    # "nao gostei" counts against, "sem problema" counts for.
    hits.positive = pos + neg_negated
    hits.negative = neg + pos_negated
    found: dict[str, re.Match] = {}
    # Damage words inside a packaging complaint ("caixa amassada") describe the box, not the product,
    # and a box "faltando uma parte" is not a missing item.
    packaging = tuple(m.span() for cue in COMPLAINT_CUES["embalagem"] for m in cue.finditer(folded))
    missing = _find(MISSING_ITEM, folded, skip_spans=packaging)
    not_received = _find(NOT_RECEIVED, folded)
    hits.missing_item, hits.not_received = missing is not None, not_received is not None
    hits.canceled = _find(CANCELED, folded) is not None
    hits.deadline = _any(DEADLINE, folded)
    hits.within_deadline = _any(WITHIN_DEADLINE, folded)
    hits.wish = _any(WISHES, folded)
    hits.neutral = _any(NEUTRAL, folded)
    hits.pickup = _find(DELIVERY_OTHER[:1], folded) is not None
    if missing or not_received:
        found["produto_nao_recebido"] = missing or not_received
    for category, cues in COMPLAINT_CUES.items():
        match = _find(cues, folded, context_excludes=NOT_DELIVERY if category == "atraso_entrega" else None,
                      skip_spans=packaging if category == "produto_defeituoso" else ())
        if match is not None:
            found[category] = match
    hits.late = "atraso_entrega" in found
    other = _find(OTHER_CUES, folded)
    if other is not None:
        found["outro"] = other
    order = ("produto_nao_recebido", *COMPLAINT_CUES, "outro")
    hits.complaints = [c for c in order if c in found]
    hits.clauses = {c: _clause_of(found[c], original_clauses) for c in hits.complaints}
    hits.delivery_other = _find(DELIVERY_OTHER, folded) is not None
    hits.seller_blame = _find(SELLER_BLAME, folded) is not None
    hits.misleading_ad = re.search(MISLEADING_AD, folded) is not None
    hits.strong_positive = _find(STRONG_POSITIVE, folded) is not None
    hits.weak_positive = _any(WEAK_POSITIVE, folded)
    hits.strong_negative = _any(STRONG_NEGATIVE, folded)
    hits.mild_negative = _any(MILD_NEGATIVE, folded)
    hits.negative_clause = next(
        (orig for low, orig in original_clauses
         if any(m and not _negated(low, m.start()) for m in (p.search(low) for p in NEGATIVE))), ""
    )
    hits.irony = _any(IRONY, folded)
    if _any(REPEAT_NEGATIVE, folded):
        hits.repeat = -1
    elif _any(REPEAT_POSITIVE, folded):
        hits.repeat = 1
    if _any(RECOMMEND_NO, folded):
        hits.recommend = -1
    elif _find(RECOMMEND_YES, folded):
        hits.recommend = 1
    return hits
