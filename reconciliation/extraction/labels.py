"""Multilingual label lexicons (EN, FR, DE, NL, ES, IT), as regex fragments for folded text
(lowercase, no accents). Spaces are optional because some PDFs drop them ("Rechnungsnr.",
"RechnungssummeohneUSt.")."""

from __future__ import annotations

import re

from reconciliation.extraction.document import compile_terms
from reconciliation.extraction.document import fold

_S = r"\s*"  # optional space
_NO = r"(?:n[or°º]\.?|nr\.?|nummer|number|num(?:ero)?\.?|#|no\s*\.|n\.|nbr)"

INVOICE_NUMBER_STRONG = compile_terms(
    # EN
    rf"invoice{_S}(?:{_NO}|id|ref(?:erence)?)",
    rf"inv{_S}\.?{_S}(?:{_NO})",
    rf"(?:tax{_S})?invoice{_S}(?:number|no)",
    rf"bill{_S}(?:{_NO})",
    rf"credit{_S}note{_S}(?:{_NO})",
    # DE
    rf"rechnungs{_S}-?{_S}(?:nummer|nr\.?|no\.?)",
    rf"[a-z]*rechnung{_S}(?:{_NO})",
    rf"re\.?{_S}-?{_S}nr\.?",
    rf"beleg{_S}-?{_S}(?:nummer|nr\.?)",
    rf"gutschrifts?{_S}-?{_S}(?:nummer|nr\.?)",
    # FR
    rf"(?:facture|avoir){_S}(?:{_NO}|numero)",
    rf"(?:numero|n[°º]|no){_S}(?:de{_S})?(?:la{_S})?(?:facture|d'avoir|avoir)",
    # NL
    rf"factuur{_S}-?{_S}(?:nummer|nr\.?|no\.?)",
    rf"creditnota{_S}(?:nummer|nr\.?)",
    # ES
    rf"(?:numero|num\.?|n[°º]|no\.?){_S}(?:de{_S})?factura",
    rf"factura{_S}(?:{_NO})",
    # IT
    rf"(?:numero|num\.?|n\.?|nr\.?){_S}(?:della{_S})?fattura",
    rf"fattura{_S}(?:{_NO})",
)
# A document title, a few words, then a number sign: "Rechnung des Versicherers (575) Nr. 12",
# "Handelsrechnung (380) Nr. E20180920".
INVOICE_NUMBER_TITLED = compile_terms(
    r"(?:[a-z]*rechnung|invoice|facture|factuur|factura|fattura|gutschrift|avoir|credit\s*note)"
    rf"(?:\s+[a-z()\d.'-]+){{0,4}}?\s*(?:{_NO})",
)
# Weaker: a document title followed by the number ("Facture FA-2017-0010", "Invoice: 123").
INVOICE_NUMBER_WEAK = compile_terms(
    r"invoice",
    r"(?:handels)?rechnung",
    r"facture",
    r"factuur",
    r"factura",
    r"fattura",
    r"document\s*(?:no|number|nr)",
    r"dokument\s*(?:nummer|nr)",
    r"ref(?:erence)?\s*(?:no|number)",
    r"numero",
)

ISSUE_DATE = compile_terms(
    rf"invoice{_S}date",
    rf"date{_S}of{_S}(?:invoice|issue)",
    rf"issue{_S}date",
    rf"date{_S}issued",
    rf"issued{_S}(?:on|at)",
    rf"ausgestellt{_S}am",
    rf"emise?{_S}le",
    rf"billing{_S}date",
    rf"rechnungs{_S}-?{_S}datum",
    rf"beleg{_S}-?{_S}datum",
    rf"ausstellungs{_S}-?{_S}datum",
    rf"date{_S}(?:de{_S}(?:la{_S})?)?(?:facture|facturation|l'avoir|emission)",
    rf"facture{_S}du",
    rf"factuur{_S}-?{_S}datum",
    rf"fecha{_S}(?:de{_S})?(?:la{_S})?(?:factura|emision|expedicion)",
    rf"data{_S}(?:della{_S})?(?:fattura|emissione|documento)",
)
GENERIC_DATE = compile_terms(r"date", r"datum", r"fecha", r"data", r"dated", r"le")
# Dates that are not the issue date.
OTHER_DATE = compile_terms(
    r"order", r"bestell", r"commande", r"bestel", r"pedido", r"ordine", r"auftrag",
    r"deliver", r"liefer", r"livraison", r"lever", r"entrega", r"consegna", r"leistung",
    r"shipping", r"ship", r"versand", r"expedition",
    r"due", r"falli", r"zahlbar", r"echeance", r"verval", r"vencimiento", r"scadenza",
    r"period", r"zeitraum", r"periode", r"periodo", r"contract", r"vertrag", r"print",
    r"druck", r"skonto", r"valid", r"gultig", r"from", r"to", r"bis", r"au", r"du",
    r"prelevement", r"mandat", r"abbuchung", r"lastschrift",
)  # fmt: skip

DUE_DATE = compile_terms(
    rf"due{_S}date",
    rf"date{_S}due",
    rf"payment{_S}due(?:{_S}date)?",
    rf"pay(?:able|ment)?{_S}(?:by|before|until|no{_S}later{_S}than)",
    r"due\s*(?:on|by)?",
    rf"falligkeit(?:{_S}sdatum)?",
    rf"fallig{_S}(?:am|bis(?:{_S}zum)?)",
    rf"zahlungs{_S}-?{_S}ziel",
    rf"zahlbar{_S}(?:bis|am)(?:{_S}zum)?",
    rf"netto{_S}bis(?:{_S}zum)?",
    rf"zu{_S}zahlen{_S}bis(?:{_S}zum)?",
    rf"date{_S}(?:d'|de{_S})?echeance",
    r"echeance",
    rf"date{_S}limite{_S}(?:de{_S})?(?:paiement|reglement)",
    rf"(?:a|payable|a{_S}regler|a{_S}payer){_S}(?:avant|au\s*plus\s*tard){_S}(?:le)?",
    rf"verval{_S}datum",
    r"vervaldag",
    rf"uiterste{_S}betaal{_S}datum",
    rf"te{_S}betalen{_S}(?:voor|uiterlijk(?:{_S}op)?)",
    rf"betalen{_S}(?:voor|binnen)",
    rf"(?:please{_S})?(?:remit|pay|settle){_S}(?:until|by|before|no{_S}later{_S}than)",
    rf"(?:zahl|uberweis|begleich|entricht)\w*{_S}(?:sie{_S})?(?:den{_S}betrag{_S})?(?:bitte{_S})?"
    rf"bis(?:{_S}zum|{_S}spatestens)?",
    r"falligkeits\w*",
    rf"betrag[^.]{{0,60}}?wird{_S}am",
    rf"(?:a{_S}regler|a{_S}payer|payable){_S}(?:le|avant{_S}le|au{_S}plus{_S}tard{_S}le)",
    rf"fecha{_S}(?:de{_S})?vencimiento",
    r"vencimiento",
    rf"data{_S}(?:di{_S})?scadenza",
    r"scadenza",
    rf"da{_S}pagare{_S}entro(?:{_S}il)?",
)

CURRENCY_LABEL = compile_terms(
    r"currency", r"wahrung", r"rechnungswahrung", r"devise", r"monnaie", r"valuta",
    r"munt", r"moneda", r"divisa", r"betrage\s*in", r"amounts\s*in", r"montants\s*en",
    r"bedragen\s*in", r"importes\s*en", r"importi\s*in",
)  # fmt: skip

# Parties. A line that starts a seller block, and one that starts the buyer's.
SELLER_ROLE = compile_terms(
    r"seller", r"supplier", r"vendor", r"sold\s*by", r"issued\s*by", r"service\s*provider",
    r"emise?\s*par", r"ausgestellt\s*von", r"uitgegeven\s*door", r"emitida?\s*por",
    r"emess[ao]\s*da",
    r"bill(?:ed)?\s*from", r"from", r"payee",
    r"verkaufer", r"lieferant", r"rechnungs\s*-?\s*steller", r"leistungs\s*-?\s*erbringer",
    r"auftragnehmer", r"absender", r"zahlungsempfanger",
    r"vendeur", r"fournisseur", r"emetteur", r"prestataire", r"beneficiaire",
    r"verkoper", r"leverancier", r"afzender", r"begunstigde",
    r"proveedor", r"emisor", r"vendedor", r"emitente",
    r"fornitore", r"venditore", r"cedente", r"prestatore", r"mittente",
)  # fmt: skip
BUYER_ROLE = compile_terms(
    r"bill(?:ed)?\s*to", r"billing\s*address", r"invoice\s*to", r"invoiced\s*to", r"sold\s*to",
    r"ship(?:ped)?\s*to", r"shipping\s*address", r"delivery\s*address", r"deliver\s*to",
    r"customer", r"client", r"buyer", r"purchaser", r"recipient", r"attn", r"your",
    r"kaufer", r"rechnungs\s*-?\s*empfanger", r"leistungs\s*-?\s*empfanger", r"kunde[n]?",
    r"warenempfanger", r"empfanger", r"lieferanschrift", r"rechnungsanschrift",
    r"auftraggeber", r"ihre?", r"lieferadresse",
    r"factur[ee]\s*a", r"adresse\s*de\s*(?:facturation|livraison)", r"destinataire", r"livre\s*a",
    r"acheteur", r"votre", r"vos",
    r"factuuradres", r"afleveradres", r"klant", r"afnemer", r"koper", r"uw", r"leveradres",
    r"facturar\s*a", r"cliente", r"comprador", r"destinatario", r"direccion\s*de\s*entrega",
    r"spett(?:\.|abile)", r"committente", r"cessionario", r"vostro", r"vostra",
)  # fmt: skip

VAT_LABEL = compile_terms(
    r"vat", r"v\.a\.t\.?", r"tax\s*id", r"tax\s*reg\w*", r"vat\s*reg", r"gstin",
    r"gst\s*(?:no|number|reg)", r"ust\W{0,3}id\w*", r"umsatzsteuer\W{0,3}id\w*",
    r"mwst\W{0,3}(?:nr|id)\w*", r"uid(?:\W{0,3}nr)?", r"steuer\W{0,3}nr\w*", r"steuernummer",
    r"tva", r"n[°o]\s*tva", r"tva\s*intra\w*", r"identifiant\s*tva",
    r"btw", r"btw\W{0,3}(?:nummer|nr|id)\w*", r"omzetbelasting\w*",
    r"nif", r"cif", r"n\.?i\.?f\.?", r"iva", r"p\.\s*iva", r"partita\s*iva", r"codice\s*fiscale",
)  # fmt: skip
IBAN_LABEL = compile_terms(
    r"iban", r"i\.b\.a\.n\.?", r"iban\s*-?\s*nr", r"bankverbindung", r"bank\s*details",
    r"bank\s*account", r"coordonnees\s*bancaires", r"rib", r"rekening(?:nummer)?",
    r"bankrekening", r"cuenta(?:\s*bancaria)?", r"conto(?:\s*corrente)?", r"konto(?:nummer)?",
)  # fmt: skip
EMAIL_LABEL = compile_terms(r"e\s*-?\s*mail", r"email", r"courriel", r"mail")
WEB_LABEL = compile_terms(r"web(?:site)?", r"internet", r"site", r"homepage", r"url")

# Legal forms that end (or start) a company name.
LEGAL_FORMS = (
    r"gmbh\s*&\s*co\.?(?:\s*kg(?:aa)?)?", r"gmbh", r"ag", r"kg", r"ohg", r"gbr", r"e\.\s*k\.",
    r"e\.\s*v\.", r"a\.\s*g\.", r"ug(?:\s*\(haftungsbeschrankt\))?", r"se", r"kgaa", r"mbh",
    r"sas", r"sasu", r"sarl", r"eurl", r"sa", r"s\.a\.", r"snc", r"sci", r"scop",
    r"s\.a\.s\.?", r"s\.a\.r\.l\.?",
    r"ltd\.?", r"limited", r"llc", r"l\.l\.c\.", r"llp", r"inc\.?", r"incorporated",
    r"corp\.?", r"corporation", r"plc", r"co\.?,?\s*ltd\.?", r"pvt\.?\s*ltd\.?",
    r"private\s*limited", r"pty\.?\s*ltd\.?", r"gbr",
    r"b\.\s*v\.?", r"bv", r"n\.\s*v\.?", r"nv", r"v\.o\.f\.?", r"vof", r"bvba", r"cv",
    r"s\.\s*l\.\s*u?\.?", r"sl", r"slu", r"s\.\s*a\.\s*u\.?", r"sau", r"s\.\s*coop\.?",
    r"s\.\s*p\.\s*a\.?", r"spa", r"s\.\s*r\.\s*l\.?", r"srl", r"s\.\s*n\.\s*c\.?",
    r"s\.\s*a\.\s*s\.?", r"scrl",
    r"oy", r"oyj", r"ab", r"a/s", r"aps", r"as", r"asa", r"ou", r"sp\.\s*z\s*o\.\s*o\.?",
    r"s\.\s*r\.\s*o\.?", r"a\.\s*s\.", r"kft", r"zrt", r"d\.o\.o\.", r"lda",
)  # fmt: skip
LEGAL_FORM = compile_terms(*LEGAL_FORMS)

# Titles that name the document (used to strip "Invoice" from a letterhead line).
DOCUMENT_TITLES = compile_terms(
    r"(?:tax\s*|commercial\s*|pro\s*-?\s*forma\s*)?invoice", r"bill", r"receipt",
    r"credit\s*note", r"statement",
    r"(?:handels|beitrags|kosten|schluss|teil|abschlags)?rechnung", r"gutschrift", r"quittung",
    r"facture(?:\s*d'acompte)?", r"avoir", r"factuur", r"creditnota", r"factura", r"fattura",
    r"nota\s*di\s*credito", r"nota\s*de\s*credito", r"kopie", r"copy", r"duplicate", r"original",
)  # fmt: skip

# --- what a name is not ---------------------------------------------------------------------

# Words that only ever head a block or introduce a value: roles, bank and tax headings.
_HEADING_WORDS = compile_terms(
    r"bic", r"swift(?:\s*code)?", r"bank(?:\s*(?:details|account|name|code))?", r"bankverbindung",
    r"bankgegevens", r"datos\s*bancarios", r"coordinate\s*bancarie", r"kontoinhaber",
    r"account\s*(?:holder|name|number)", r"blz", r"sort\s*code", r"routing(?:\s*number)?",
    r"(?:tax|fiscal|vat)\s*representative", r"fiskalvertreter", r"steuerlicher\s*vertreter",
    r"representant\s*fiscal", r"fiscaal\s*vertegenwoordiger", r"representante\s*fiscal",
    r"rappresentante\s*fiscale", r"address", r"adresse", r"anschrift", r"adres", r"direccion",
    r"indirizzo", r"contact", r"kontakt", r"page", r"seite", r"pagina", r"tel(?:efon|ephone)?",
    r"phone", r"fax", r"e\s*-?\s*mail", r"web(?:site)?", r"details", r"information",
    r"angaben", r"informations?", r"gegevens", r"datos", r"dati", r"total", r"summe", r"betrag",
    r"amount", r"montant", r"bedrag", r"importe", r"importo", r"date", r"datum", r"fecha",
    r"data", r"nr\.?", r"no\.?", r"n[°º]", r"number", r"nummer", r"numero", r"id", r"ref",
    r"of", r"de", r"du", r"der", r"des", r"van", r"del", r"di", r"and", r"und", r"et", r"en",
    r"y", r"e", r"la", r"le", r"the", r"to", r"a", r"an", r"by", r"per", r"par", r"por",
)  # fmt: skip
# Lines that instruct rather than name: "Payment by transfer", "Zahlbar sofort", "Merci de ...".
_INSTRUCTION = re.compile(
    r"^\W*(?:payment|payable|pay|please|remit|transfer|wire|zahlbar|zahlung|zahlungs\w*|bitte|"
    r"uberweis\w*|uberweisung|paiement|payable|reglement|regler|virement|merci|veuillez|"
    r"betaling|betalen|gelieve|overschrijving|pago|pagar|transferencia|pagamento|bonifico|"
    r"si\s*prega|vielen\s*dank|thank|danke|gracias|grazie|bedankt)(?![a-z])"
)


# Lines that name a person's role or a company register, not the company: "Geschäftsführer
# Max Mustermann", "Amtsgericht Köln HRB 12345", "RCS Lyon 812 345 672".
_ROLE_OR_REGISTER = re.compile(
    r"^\W*(?:geschafts\s*fuhr\w*|managing\s*director|director|ceo|gerant\w*|president\w*|"
    r"directeur|bestuurder|administrador\w*|amministrator\w*|inhaber\w*|owner|vorstand\w*|"
    r"amtsgericht|registergericht|handelsregister|hr[ab]|rcs|siren|siret|kvk|"
    r"company\s*(?:no|number|reg\w*)|registered|sitz|capital|capitale|tribunal|registro|"
    r"reg(?:istration)?\.?\s*no)(?![a-z])"
)


def looks_like_label(text: str) -> bool:
    """Whether a line is a label, a heading or an instruction rather than a company name:
    "BIC", "Bankverbindung:", "Tax representative", "Payment by transfer", "Käufer",
    "Invoice date", a person's role or a register entry. A legal form keeps it a name
    ("Lieferant GmbH", "Capital Printing Ltd")."""
    folded = fold(text).strip()
    if not re.search(r"[a-z]{2}", folded) or folded.endswith(":"):
        return True
    if LEGAL_FORM.search(folded):
        return bool(_INSTRUCTION.match(folded))
    if _INSTRUCTION.match(folded) or _ROLE_OR_REGISTER.match(folded):
        return True
    rest = folded
    for pattern in (
        _HEADING_WORDS, SELLER_ROLE, BUYER_ROLE, DOCUMENT_TITLES, VAT_LABEL, IBAN_LABEL,
        ISSUE_DATE, DUE_DATE, OTHER_DATE, INVOICE_NUMBER_STRONG, CURRENCY_LABEL,
    ):  # fmt: skip
        rest = pattern.sub(" ", rest)
    return not re.search(r"[a-z]{2}", rest)
