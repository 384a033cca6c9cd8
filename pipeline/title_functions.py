"""Keyword families that map a folded job title to one of LinkedIn's 26 job functions.

Each family has a tier. Tier 1 are unambiguous phrases ("project manager", "customer
success", "account executive"); tier 2 are domain words ("sales", "finance", "legal"); tier 3
are role nouns that only say something when no domain word is present ("engineer",
"designer", "assistant"); tier 4 are hints ("data"). `pipeline.titles` takes the best tier
and, inside a tier, the word that comes first in the title, then the longest ("Sales
Operations Manager" is Sales).

Tables are written as ``Function:`` followed by indented alternatives separated by ``;``.
An alternative is a regular expression over folded words (`pipeline.fold.fold_words`),
matched from a word start to a word end (or open-ended when it ends in ``\\w*``).
"""

from __future__ import annotations

import re

#: Tier 1: phrases whose meaning does not depend on the rest of the title.
_TIER_1 = r"""
Program and Project Management:
    (?:project|program|programme|delivery)
    (?:manager|management|director|lead|leader|coordinator|officer) ; pmo ; scrum master ;
    projekt(?:leiter|manager)\w* ; projectleider ; projectmanager ;
    (?:jefe|gerente|director[a]?|coordinador[a]?) de proyectos? ; chef de projets? ;
    (?:gerente|chefe|gestor[a]?) de projetos? ; responsabile (?:di )?progett\w*
Product Management:
    product (?:manager|management|owner|lead|leader|director|head|strategy|operations|ops) ;
    (?:of|vp|svp|evp|president|head|director|chief) products?$ ; produktmanager\w* ;
    product\w* owner ; (?:gerente|jefe|director[a]?) de producto ; chef de produit ;
    (?:gerente|gestor[a]?) de produto ; responsabile (?:di )?prodotto ; productmanager ;
    chief product
Customer Success and Support:
    customer
    (?:success|support|service|services|care|experience|operations|relations|onboarding) ;
    client (?:success|support|service|services|care|experience) ; service client ; atencion
    al cliente ; kunden(?:service|betreuung|dienst|support)\w* ; atendimento ; sucesso do
    cliente ; exito del cliente ; assistenza clienti ; klantenservice ; call center ;
    technical support ; chief customer
Sales:
    account (?:executive|manager|director|lead) ; key account\w* ; (?:sales|business)
    development (?:representative|rep|executive) ; [sb]dr ; inside sales ; pre ?sales ;
    chief revenue ; business developer
Business Development:
    business development ; biz ?dev ; partnerships? ; alliances? ; desarrollo de negocios? ;
    developpement commercial ; geschaftsentwicklung ; desenvolvimento de negocios ; sviluppo
    (?:commerciale|business) ; corporate development ; partner (?:manager|development) ;
    channel
Human Resources:
    human (?:resources|capital) ; talent (?:acquisition|management|partner) ; people
    (?:operations|ops|partner|team|and culture|business
    partner|officer|director|lead|manager) ; ressources humaines ; recursos humanos ;
    risorse umane ; learning (?:and|&) development ; l&d ; chief people ; hrbp
Administrative:
    (?:executive|personal|administrative|admin|office|team|legal|medical|virtual) assistant
    ; office (?:manager|administrator|coordinator) ; receptionist ; assistant[e]? de
    direction ; assistenz der\w* ; asistente de direccion ; data entry ; secretar\w* ;
    sekretar\w* ; secretaire ; recepcionista ; receptionniste ; empfang\w*
Quality Assurance:
    quality ; qa ; qc ; sdet ; test (?:engineer|analyst|automation|lead|manager) ; tester ;
    calidad ; qualite ; qualitat\w* ; qualidade ; qualita ; kwaliteit\w*
Information Technology:
    information (?:technology|security|systems) ; it
    (?:manager|director|support|specialist|administrator|analyst|consultant|operations|infrastructure|security|lead|head|technician|engineer)
    ; (?:head|director[a]?|manager|vp) (?:of )?it ; systems? administrator ; sysadmin ;
    network\w* ; infrastructure ; help ?desk ; service desk ; desktop support ; cyber
    ?security ; database administrator ; dba ; informatica ; informatique ; informatik\w* ;
    (?:jefe|director[a]?|analista|gerente) de (?:sistemas|ti) ; ict ; chief information ;
    chief digital
Marketing:
    product marketing ; lead gen\w* ; demand gen\w* ; growth marketing ; social media ;
    community manager ; content marketing ; seo ; sem ; brand\w* ; mercadotecnia ; mercadeo ; growth
Real Estate:
    real estate ; realtor ; estate agent ; (?<!intellectual )property ; properties ; leasing
    ; inmobiliari\w* ; immobili\w* ; imobiliari\w* ; makelaar ; vastgoed\w*
"""

#: Tier 2: domain words.
_TIER_2 = r"""
Sales:
    sales\w* ; selling ; ventas? ; vendedor[a]? ; ventes? ; vertrieb\w* ; verkauf\w* ;
    vendas ; vendite ; verkoop\w* ; verkoper ; revenue ; account ; store ; ejecutiv[oa] de
    (?:cuentas|ventas) ; charge d affaires ; accountmanager\w* ; retail ; commercial\w* ;
    comercial ; support ; soporte ; onboarding
Marketing:
    marketing\w* ; marketeer
Purchasing:
    purchas\w* ; procurement ; buyer ; sourcing ; achats? ; acheteu(?:r|se) ; einkauf\w* ;
    einkaufer\w* ; compras? ; comprador[a]? ; acquisti ; inkoop\w* ; inkoper ; supply
Human Resources:
    hr ; rh ; people ; talent ; recruit\w* ; recrut\w* ; reclut\w* ; sourcer ; personnel ;
    payroll ; compensation ; benefits ;
    personal(?:leiter|referent|abteilung|wesen|entwicklung|management|berater|sachbearbeiter)\w*
    ; werving ; selezione
Accounting:
    accounting ; accountant\w* ; audit\w* ; tax ; bookkeep\w* ; accounts
    (?:payable|receivable) ; cpa ; comptab\w* ; contab\w* ; contador[a]? ; buchhalt\w* ;
    wirtschaftsprufer\w* ; steuer\w* ; commercialista ; boekhoud\w* ; revisor\w* ; revisore
    ; fiscal\w*
Finance:
    financ\w* ; finanz\w* ; fp&a ; controll\w* ; treasur\w* ; tesorer\w* ; tresorer\w* ;
    investment\w* ; investor\w* ; banking ; banker ; credit ; actuar\w* ; wealth ; portfolio
    ; risk ; pricing ; financas ; finanza ; loan ; underwrit\w*
Legal:
    legal ; lawyer ; attorney ; counsel ; paralegal ; solicitor ; barrister ; compliance ;
    abogad[oa] ; avocat[e]? ; jurist\w* ; rechtsanw\w* ; advogad[oa] ; avvocato ; advocaat ;
    juridic[oa] ; nota(?:ry|ire|rio) ; privacy ; contracts? ; law ; laws ; litigat\w* ;
    judicial ; judge ; patents? ; trademarks? ; intellectual property ; recht ; derecho ;
    droit ; direito ; diritto
Healthcare Services:
    nurs\w* ; physician ; doctor ; medic\w* ; clinic\w* ; pharmac\w* ; therap\w* ;
    dentist\w* ; surgeon ; health\w* ; patient ; caregiver ; paramedic ; psycholog\w* ;
    enfermer[oa] ; infirmier[e]? ; medecin ; krankenschwester ; pfleg\w* ; arzt ; arztin ;
    enfermeir[oa] ; infermier[ae] ; verpleeg\w* ; apothek\w* ; veterinar\w* ; radiolog\w* ;
    midwife ; dietitian
Education:
    teach\w* ; profess(?:or|ora|eur|oressa) ; lecturer ; tutor ; instructor ; educat\w* ;
    school ; academic ; faculty ; dean ; maestr[oa] ; docente ; enseignant[e]? ; lehrer\w* ;
    dozent\w* ; insegnante ; leraar ; docent ; curriculum ; principal of
Research:
    research\w* ; r&d ; investigador[a]? ; cherch\w* ; forsch\w* ; wissenschaftl\w* ;
    pesquisador[a]? ; ricercat\w* ; onderzoek\w* ; postdoc\w* ; scientific ; laborator\w* ;
    lab ; phd ; insights?
Media and Communication:
    communications? ; public relations ; pr ; journalis\w* ; editor\w* ; writer ; copywriter
    ; reporter ; content ; producer ; broadcast\w* ; press ; spokesperson ; comunica\w* ;
    periodista ; redact\w* ; redakt\w* ; kommunikation\w* ; pressesprecher\w* ; jornalista ;
    giornalista ; communicatie\w* ; translat\w* ; interpret\w* ; media ; video\w* ;
    podcast\w*
Military and Protective Services:
    military ; army ; navy ; air force ; soldier ; police ; fire ?fight\w* ; sergeant ;
    lieutenant ; corporal ; marines? ; security (?:guard|officer) ; guard ; law enforcement
    ; detective ; bomber[oa] ; policia\w* ; pompier ; gendarme\w* ; feuerwehr\w* ; polizi\w*
    ; soldat\w* ; bombeir[oa] ; vigile del fuoco ; carabinier\w* ; brandweer\w* ; politie\w*
    ; militar\w* ; defen[cs]e ; veteran
Community and Social Services:
    social work\w* ; case (?:manager|worker) ; caseworker ; non ?profit ; community ;
    outreach ; youth ; trabajador[a]? social ; travailleu(?:r|se) social[e]? ; sozial\w* ;
    assistente social[e]? ; maatschappelijk\w* ; counselor ; counsellor ; chaplain ; pastor
    ; volunteer coordinator
Operations:
    operations? ; operating ; ops ; logistic\w* ; supply chain ; warehouse ; fulfil?ment ;
    facilit\w* ; operaciones ; operacoes ; operazioni ; operatie\w* ; betrieb ; production ;
    produccion ; produktion\w* ; producao ; manufactur\w* ; plant ; dispatch\w* ; fleet ;
    general manager ; gerente general ; procurement operations ; chief operating
Consulting:
    consulting ; advisory ; beratung ; conseil ; strategy ; estrategia
Arts and Design:
    design\w* ; ux ; ui ; user experience ; graphi\w* ; illustrat\w* ; creative ; animat\w*
    ; photograph\w* ; disen\w* ; gestalt\w* ; grafik\w* ; desenh\w* ; ontwerp\w* ; art ;
    artist\w* ; fotogra\w* ; art director
Engineering:
    software ; firmware ; hardware ; devops ; sre ; full ?stack ; front ?end ; back ?end ;
    mobile ; ios ; android ; embedded ; machine learning ; ml ; ai ; engineering ;
    technology ; data scien\w* ; softwareentwickl\w* ; entwicklung ; development ;
    desarrollo ; desenvolvimento ; sviluppo ; ontwikkel\w*
Information Technology:
    it ; ti ; sistemas ; systemes ; systems ; cloud ; security ; data
    (?:analyst|analytics|management|governance|warehouse|base) ; analytics ; chief data ;
    business intelligence ; bi ; erp ; sap
"""

#: Tier 3: role nouns.
_TIER_3 = r"""
Engineering:
    engineer\w* ; technical ; tech ; developer ; programmer ; architect ; ingenier[oa] ;
    ingenieur[e]?\w* ; engenheir[oa] ; ingegnere ; desarrollador[a]? ; developpeu(?:r|se) ;
    entwickler\w* ; desenvolvedor[a]? ; sviluppatore ; ontwikkelaar ; programador[a]? ;
    programmeu(?:r|se) ; technician ; tecnico ; technicien ; techniker\w* ; mechanic
Research:
    scientist ; cientific[oa] ; scientifique ; economist ; statistician
Consulting:
    consult\w* ; berater\w* ; adviseur ; advis[oe]r ; conseill(?:er|ere) ; consultor[a]? ;
    consulente
Administrative:
    assist\w* ; asistente ; admin\w* ; clerk ; coordinator ; coordinador[a]? ;
    coordinat(?:eur|rice|ore) ; secretary
Entrepreneurship:
    (?:co ?)?founder ; owner ; entrepreneur\w* ; fund(?:ador|adora) ; fondat(?:eur|rice|ore)
    ; (?:mit)?grunder(?:in)? ; (?:mede)?oprichter ; proprietor ; inhaber\w* ; eigenaa?r ;
    self employed ; freelanc\w* ; emprendedor[a]? ; empreendedor[a]? ; unternehmer\w* ;
    imprenditore ; ondernemer ; (?<!vice )president[ea]? ; chief executive ;
    geschaftsfuhr\w* ; managing director ; direct(?:or|eur|ora) general[ea]? ; pdg ;
    amministratore delegato ; consejer[oa] delegad[oa] ; algemeen directeur ;
    bestuursvoorzitter ; vorstand\w*
Operations:
    operator ; driver ; planner ; scheduler ; supervisor ; chief of staff
Sales:
    salesperson ; seller ; cashier ; merchandis\w* ; dealer ; broker
Finance:
    summer analyst ; analyst intern\w*
Legal:
    summer associate ; law clerk ; legal intern\w*
"""

#: Tier 4: words that only hint at a function.
_TIER_4 = r"""
Information Technology:
    data
"""


def _alternative(text: str) -> str:
    """Anchor one alternative at word boundaries (open-ended after ``\\w*`` or ``$``)."""
    open_end = text.endswith("\\w*") or text.endswith("$")
    return rf"\b(?:{text})" + ("" if open_end else r"\b")


def _families(tier: int, table: str) -> list[tuple[int, str, str]]:
    """Parse one tier's table into (tier, function, pattern) triples."""
    families: list[tuple[int, str, str]] = []
    for block in re.split(r"^(?=\S)", table.strip(), flags=re.MULTILINE)[1:]:
        function, _, body = block.partition(":\n")
        alternatives = [" ".join(a.split()) for a in body.split(";")]
        pattern = "|".join(_alternative(a) for a in alternatives if a)
        families.append((tier, function.strip(), pattern))
    return families


#: (tier, function, pattern over folded words), best tier first.
FAMILIES: tuple[tuple[int, str, str], ...] = tuple(
    family
    for tier, table in enumerate((_TIER_1, _TIER_2, _TIER_3, _TIER_4), start=1)
    for family in _families(tier, table)
)
