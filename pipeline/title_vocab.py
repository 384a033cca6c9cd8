"""Multilingual vocabulary behind `pipeline.titles`: rank words and job-function families.

Patterns are regular expressions over folded titles (see `pipeline.fold.fold_words`):
lower-case, no accents, words separated by one space. They cover English, Spanish, French,
German, Portuguese, Dutch and Italian title words. Keep them general: a pattern names a
kind of word, never one company's title.
"""

from __future__ import annotations

#: C-suite acronyms and the job function their middle letters imply.
CXO_FUNCTIONS: dict[str, str | None] = {
    "ceo": "Entrepreneurship",
    "cto": "Engineering",
    "cpto": "Engineering",
    "ctpo": "Engineering",
    "coo": "Operations",
    "cfo": "Finance",
    "cmo": "Marketing",
    "cio": "Information Technology",
    "ciso": "Information Technology",
    "cso": "Sales",
    "cro": "Sales",
    "cco": "Sales",
    "cpo": "Product Management",
    "cdo": "Information Technology",
    "chro": "Human Resources",
    "cpeo": "Human Resources",
    "clo": "Legal",
    "cao": "Accounting",
    "cbo": "Business Development",
    "cgo": "Marketing",
    "csco": "Operations",
    "cxo": None,
    "cino": "Research",
}

#: Words that make a title the head of a whole company without the "Chief … Officer" form.
CXO_WORDS = (
    r"\bpresident[ea]?\b|\bchair(?:man|woman|person)?\b|\bpdg\b|\bdg\b"
    r"|\bdirect(?:or|eur|rice|ora) general[ea]?\b"
    r"|\bdiret(?:or|ora) (?:presidente|geral|executiv[oa])\b|\bgeschaftsfuhr(?:er|erin|ung)\b"
    r"|\bvorstand\w*|\bconsejer[oa] delegad[oa]\b|\bamministratore delegato\b"
    r"|\balgemeen directeur\b|\bbestuursvoorzitter\b"
)

#: Prefixes that turn "president" into a lower rank.
VICE = r"\b(?:vice|vize|vice-) ?$"

#: Founders, owners and proprietors in the seven languages.
OWNER_WORDS = (
    r"\b(?:co ?)?founder\b|\bfund(?:ador|adora)\b|\bfondat(?:eur|rice|ore)\b"
    r"|\b(?:mit)?grunder(?:in)?\b|\b(?:mede)?oprichter\b|\bproprietor\b|\bpropri(?:etaire|etario|etaria)\b"
    r"|\bpropietari[oa]\b|\binhaber(?:in)?\b|\beigenaa?r\b|\bself employed\b|\bentrepreneur\b"
    r"|\bautonom[oa]\b|\bempresari[oa]\b|\bunternehmer(?:in)?\b|\bimprenditore\b|\bondernemer\b"
    r"|\bsoci[oa] fundador[a]?\b"
)

#: "X Owner" nouns where "owner" names an agile or governance role, not the proprietor.
ROLE_OWNERS = frozenset(
    "product process data service system risk control technical application platform"
    " feature content budget business-process program".split()
)

#: Partner words; `pipeline.titles` checks the neighbours before calling one a rank.
PARTNER_WORDS = r"\bpartner(?:in)?\b|\bsoci[oa]\b|\bassociee?\b|\bvennoot\b|\bteilhaber(?:in)?\b"

#: Words before "partner" that make it a job name ("HR Business Partner").
PARTNER_JOB_PREV = frozenset(
    "business acquisition talent hr people recruiting recruitment learning channel alliance"
    " alliances technology implementation strategic success solutions customer delivery"
    " integration integrations training reseller referral".split()
)

#: Words after "partner" that make it a modifier ("Partner Manager", "Partner Marketing").
PARTNER_JOB_NEXT = frozenset(
    "manager management marketing sales success development account accounts solutions"
    " engineer engineering program programs programme ecosystem operations relations"
    " enablement specialist lead director executive integrations network alliances"
    " partnerships support onboarding experience community strategy coordinator"
    " representative head channel".split()
)

#: Vice presidents, spelled out or abbreviated.
VP_WORDS = (
    r"\bvice president[ea]?\b|\bvice pres\b|\bvicepresident[ea]?\b|\bvizeprasident(?:in)?\b"
    r"|\b[searg]?vp\b|\bvp[se]?\b|\bvice chair(?:man|woman|person)?\b"
)

#: Directors and heads, including "Deputy/Associate Director" and German "Leiter".
DIRECTOR_WORDS = (
    r"\bdirect(?:or|ora|eur|rice|orate)\b|\bdirektor(?:in)?\b|\bdiret(?:or|ora)\b"
    r"|\bdirett(?:ore|rice)\b|\bhead\b|\bboard member\b|\bmember of the board\b|\bhoofd\b"
    r"|\bchief\b|\bleitung\b"
    r"|\b(?:abteilungs|bereichs|hauptabteilungs|niederlassungs|fach|zentral|geschafts)?leiter(?:in)?\b"
    r"|\b(?:vertriebs|verkaufs|einkaufs|marketing|personal|finanz|it|produktions|entwicklungs"
    r"|logistik|qualitats|kommunikations|rechts|technik)leiter(?:in)?\b"
)

#: Managers, team leads and supervisors; "Responsable", "Gerente", "Jefe", "Teamleiter".
MANAGER_WORDS = (
    r"\b\w*manager(?:in)?\b|\bmgr\b|\bgerente\b|\bgestor[a]?\b|\bresponsab(?:le|ile)\b"
    r"|\bjef[ea]\b|\bencargad[oa]\b|\bsupervis(?:or|ora|eur|eure)\b|\bsuperintendent\b"
    r"|\bteam lead(?:er)?\b|\bleader\b|\bchef (?:de|d|du|des)\b|\bcapo\b|\bforeman\b"
    r"|\b(?:team|gruppen|projekt|filial|schicht|bau|abschnitts|kuchen|markt)leiter(?:in)?\b"
    r"|\bteamlead\b|\bprojectleider\b|\bteamleider\b|\bmanagerin\b|\bcoordinador[a]? general\b"
)

#: Nouns that make "Lead X" an individual contributor rank (Senior), not a manager.
IC_NOUNS = frozenset(
    "engineer developer designer architect scientist analyst programmer consultant researcher"
    " data software qa test tester ux ui frontend backend devops sre copywriter writer"
    " accountant auditor recruiter counsel attorney nurse teacher".split()
)

#: Senior individual contributors: Senior/Sr/Principal/Staff engineer/Architect/Expert.
SENIOR_WORDS = (
    r"\bsenior\b|\bsr\b|\bsnr\b|\bprincipal\b|\bdistinguished\b|\bfellow\b|\bexpert[ea]?\b"
    r"|\bstaff (?:engineer|scientist|developer|designer|architect|software|data|product|ml)"
    r"|\btech(?:nical)? lead\b|\barchitect\w*|\barquitect[oa]\b|\bfounding\b|\bleitender?\b"
    r"|\b(?:iii|iv|v|vi|3|4|5)$"
)

#: Interns, trainees, apprentices and students.
TRAINING_WORDS = (
    r"\bintern(?:ship)?\b|\btrainee\b|\bapprenti(?:ce|ceship|e)?\b|\bstagiaire?\b|\bstagist[ae]\b"
    r"|\bpraktikant(?:in)?\b|\bwerkstudent(?:in)?\b|\bauszubildende[r]?\b|\bazubi\b"
    r"|\bbecari[oa]\b|\bpasante\b|\bpracticante\b|\bestagiari[oa]\b|\bestagio\b|\baprendiz\b"
    r"|\btirocinante\b|\bapprendista\b|\bworking student\b|\bstudent\b|\bco op\b|\bpraktikum\b"
    r"|\bleerling\b|\balternan(?:t|te|ce)\b|\bgraduate trainee\b|\bestudiante\b|\bstudente\b"
    r"|\bsummer (?:analyst|associate|intern\w*|student|clerk|law clerk|hire|fellow|trainee)\b"
)

#: Volunteers and unpaid positions.
UNPAID_WORDS = (
    r"\bvolunteer(?:ing)?\b|\bunpaid\b|\bpro bono\b|\bvoluntari[oa]\b|\bbenevole\b"
    r"|\behrenamt\w*|\bfreiwillige[r]?\b|\bvrijwillig(?:er)?\b|\bvolontari[oa]\b|\bvolontaire\b"
)

#: "Volunteer X" where X is a paid job managing volunteers.
VOLUNTEER_JOBS = (
    r"\bvolunteer (?:coordinator|manager|management|program|services|engagement|recruit)"
)

#: Assistant-like nouns: "<noun> to/of/for <someone>" describes someone else after the noun.
ASSISTANT_NOUNS = (
    r"\b(?:assistant[e]?|assistente|asistente|assistenz|secretary|secretaria|secretaire"
    r"|sekretar(?:in)?|pa|aide|advisor|adviser|counsel|chief of staff|attache)"
)
