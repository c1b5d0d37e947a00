"""Random but plausible companies and vendor habits, per country, from a seeded generator."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from connectors.sandbox.documents.identifiers import make_iban
from connectors.sandbox.documents.identifiers import make_vat_id
from connectors.sandbox.documents.model import LAYOUTS
from connectors.sandbox.documents.model import DateStyle
from connectors.sandbox.documents.model import Layout
from connectors.sandbox.documents.model import MoneyStyle
from connectors.sandbox.documents.model import Party

COUNTRIES: tuple[str, ...] = ("FR", "DE", "NL", "ES", "IT", "GB", "BE", "US")
LANGUAGE_OF: dict[str, str] = {
    "FR": "fr",
    "DE": "de",
    "NL": "nl",
    "ES": "es",
    "IT": "it",
    "GB": "en",
    "BE": "fr",
    "US": "en",
}
CURRENCY_OF: dict[str, str] = {"GB": "GBP", "US": "USD"}
STANDARD_RATE: dict[str, Decimal] = {
    "FR": Decimal("20"),
    "DE": Decimal("19"),
    "NL": Decimal("21"),
    "ES": Decimal("21"),
    "IT": Decimal("22"),
    "GB": Decimal("20"),
    "BE": Decimal("21"),
    "US": Decimal("0"),
}
REDUCED_RATE: dict[str, Decimal] = {
    "FR": Decimal("5.5"),
    "DE": Decimal("7"),
    "NL": Decimal("9"),
    "ES": Decimal("10"),
    "IT": Decimal("10"),
    "GB": Decimal("5"),
    "BE": Decimal("6"),
    "US": Decimal("0"),
}
_TLD: dict[str, str] = {
    "FR": "fr",
    "DE": "de",
    "NL": "nl",
    "ES": "es",
    "IT": "it",
    "GB": "co.uk",
    "BE": "be",
    "US": "com",
}

_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # (first words, second words, legal forms)
    "FR": (
        ("Atelier", "Maison", "Groupe", "Cabinet", "Imprimerie", "Agence"),
        ("Durand", "Lefèvre", "Marceau", "Boréal", "Lumière", "Garnier", "Vasseur"),
        ("SARL", "SAS", "SA"),
    ),
    "DE": (
        ("Druckerei", "Elektro", "Beratung", "Büro", "Technik", "Medien"),
        ("Albrecht", "Hoffmann", "Krüger", "Schäfer", "Brandt", "Vogel", "Lange"),
        ("GmbH", "AG", "KG"),
    ),
    "NL": (
        ("Bureau", "Drukkerij", "Studio", "Adviesgroep", "Installatie"),
        ("Van Dijk", "De Vries", "Jansen", "Bakker", "Visser", "Smit", "Mulder"),
        ("B.V.", "V.O.F."),
    ),
    "ES": (
        ("Estudio", "Gráficas", "Consultoría", "Talleres", "Distribuciones"),
        ("García", "Navarro", "Lumbre", "Castell", "Ortega", "Ibáñez", "Serrano"),
        ("S.L.", "S.A."),
    ),
    "IT": (
        ("Tipografia", "Studio", "Officine", "Servizi", "Forniture"),
        ("Rossi", "Bianchi", "Ferrari", "Esposito", "Ricci", "Marino", "Greco"),
        ("S.r.l.", "S.p.A.", "S.n.c."),
    ),
    "GB": (
        ("Brightline", "Northgate", "Kingsway", "Harbour", "Redbrick", "Oakfield"),
        ("Events", "Consulting", "Print", "Media", "Supplies", "Partners"),
        ("Ltd", "LLP", "plc"),
    ),
    "BE": (
        ("Brasserie", "Atelier", "Bureau", "Imprimerie"),
        ("Delvaux", "Peeters", "Janssens", "Dubois", "Lambert", "Maes"),
        ("SA", "SRL", "BV"),
    ),
    "US": (
        ("Northwind", "Bluefin", "Summit", "Cascade", "Lakeside", "Redwood"),
        ("Analytics", "Software", "Labs", "Systems", "Cloud", "Data"),
        ("Inc.", "LLC", "Corp."),
    ),
}
_STREETS: dict[str, tuple[str, ...]] = {
    "FR": ("rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "rue des Arts"),
    "DE": ("Hauptstraße", "Bahnhofstraße", "Lindenallee", "Schillerstraße", "Am Markt"),
    "NL": ("Oudegracht", "Stationsplein", "Keizersgracht", "Dorpsstraat"),
    "ES": ("Calle Mayor", "Avenida del Puerto", "Calle de Colón", "Paseo de la Alameda"),
    "IT": ("Via Roma", "Via Garibaldi", "Corso Italia", "Via dell'Indipendenza"),
    "GB": ("High Street", "Station Road", "King's Road", "Church Lane"),
    "BE": ("Rue de la Loi", "Avenue Louise", "Grote Markt", "Rue Neuve"),
    "US": ("Market Street", "Mission Street", "Main Street", "Broadway"),
}
_CITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "FR": (("69002", "Lyon"), ("59100", "Roubaix"), ("33000", "Bordeaux"), ("44000", "Nantes")),
    "DE": (("50667", "Köln"), ("10115", "Berlin"), ("80331", "München"), ("20095", "Hamburg")),
    "NL": (("3511 AA", "Utrecht"), ("1012 AB", "Amsterdam"), ("3011 AD", "Rotterdam")),
    "ES": (("46001", "Valencia"), ("28013", "Madrid"), ("08002", "Barcelona")),
    "IT": (("40121", "Bologna"), ("20121", "Milano"), ("10121", "Torino")),
    "GB": (("EC1A 1BB", "London"), ("M1 1AE", "Manchester"), ("BS1 4DJ", "Bristol")),
    "BE": (("1000", "Bruxelles"), ("4000", "Liège"), ("5000", "Namur")),
    "US": (("CA 94105", "San Francisco"), ("NY 10001", "New York"), ("WA 98101", "Seattle")),
}

# (description, lowest unit price, highest unit price, reduced VAT rate applies)
_PRODUCTS: dict[str, tuple[tuple[str, int, int, bool], ...]] = {
    "en": (
        ("Consulting services", 400, 1200, False),
        ("Monthly subscription", 29, 490, False),
        ("Conference pass", 250, 900, False),
        ("Printed brochures (x500)", 180, 640, False),
        ("Support hours", 60, 140, False),
        ("Training workshop", 350, 1500, False),
        ("Reference book", 25, 80, True),
    ),
    "fr": (
        ("Prestation de conseil", 400, 1200, False),
        ("Abonnement mensuel", 29, 490, False),
        ("Ramettes papier A4", 4, 9, False),
        ("Impression de flyers", 90, 480, False),
        ("Maintenance informatique", 60, 140, False),
        ("Ouvrage technique", 25, 80, True),
        ("Formation (journée)", 450, 1400, False),
    ),
    "de": (
        ("Beratungsleistung", 400, 1200, False),
        ("Übernachtung", 89, 189, True),
        ("Frühstück", 14, 28, False),
        ("Druck Visitenkarten", 40, 160, False),
        ("Wartungsvertrag", 120, 480, False),
        ("Fachbuch", 25, 80, True),
        ("Tagungsraum (ganztägig)", 250, 750, False),
    ),
    "nl": (
        ("Vertaling NL-FR (per 1000 woorden)", 80, 140, False),
        ("Adviesuren", 80, 160, False),
        ("Drukwerk folders", 90, 480, False),
        ("Abonnement", 29, 290, False),
        ("Eindredactie", 45, 95, False),
    ),
    "es": (
        ("Diseño de identidad visual", 800, 2400, False),
        ("Horas de consultoría", 60, 120, False),
        ("Impresión de catálogos", 300, 1200, False),
        ("Cuota mensual", 29, 290, False),
        ("Libro técnico", 25, 80, True),
    ),
    "it": (
        ("Stampa cataloghi", 300, 1400, False),
        ("Consulenza", 80, 160, False),
        ("Biglietti da visita", 40, 160, False),
        ("Canone mensile", 29, 290, False),
        ("Volume tecnico", 25, 80, True),
    ),
}

_NUMBER_PATTERNS: tuple[str, ...] = (
    "F{year}-{n:04d}",
    "RE-{year}-{n:05d}",
    "{n}/{year}",
    "INV-{n:06d}",
    "FV{yy}-{n:04d}",
    "{year}{n:05d}",
    "A-{year}/{n:03d}",
)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def aba_routing_number(rng: random.Random) -> str:
    """A US routing number with a valid ABA checksum (3-7-1 weights, sum divisible by 10)."""
    digits = [rng.randint(0, 9) for _ in range(8)]
    digits[0] = rng.choice((0, 1, 2))
    partial = sum(w * d for w, d in zip((3, 7, 1, 3, 7, 1, 3, 7), digits, strict=True))
    digits.append((10 - partial % 10) % 10)
    return "".join(map(str, digits))


def random_company(
    rng: random.Random, country: str, *, banking: bool = True, name: str | None = None
) -> Party:
    """A company of `country` with address, domain, e-mail and, if `banking`, a checksum-valid
    VAT id and IBAN (or US account and routing numbers)."""
    first, second, forms = _NAMES[country]
    name = name or f"{rng.choice(first)} {rng.choice(second)} {rng.choice(forms)}"
    base = re.sub(
        r"-(sarl|sas|sa|gmbh|ag|kg|bv|b-v|vof|v-o-f|s-l|s-a|s-r-l|s-p-a|s-n-c|ltd|"
        r"llp|plc|srl|inc|llc|corp)$",
        "",
        slugify(name),
    )
    domain = f"{base}.{_TLD[country]}"
    postcode, city = rng.choice(_CITIES[country])
    street = f"{rng.randint(1, 180)} {rng.choice(_STREETS[country])}"
    if country in {"DE", "NL", "IT", "BE", "ES"}:
        number, _, rest = street.partition(" ")
        street = f"{rest} {number}"
    vat_id = iban = bic = account = routing = registration = None
    if banking and country != "US":
        vat_id = make_vat_id(country, rng)
        iban, bic = make_iban(country, rng)
    if banking and country == "US":
        account = f"{rng.randint(10**9, 10**10 - 1)}"
        routing = aba_routing_number(rng)
        registration = f"EIN {rng.randint(10, 99)}-{rng.randint(10**6, 10**7 - 1)}"
    if country == "FR" and vat_id:
        siren = vat_id[4:]
        registration = f"RCS {city} {siren[:3]} {siren[3:6]} {siren[6:]}"
    elif country == "DE":
        registration = f"HRB {rng.randint(10000, 99999)}, Amtsgericht {city}"
    elif country == "GB":
        registration = f"Company no. {rng.randint(10**7, 10**8 - 1):08d}"
    elif country == "NL":
        registration = f"KvK {rng.randint(10**7, 10**8 - 1)}"
    return Party(
        name=name,
        street=street,
        postcode=postcode,
        city=city,
        country=country,
        vat_id=vat_id,
        iban=iban,
        bic=bic,
        domain=domain,
        email=f"{rng.choice(('billing', 'invoices', 'accounts', 'info'))}@{domain}",
        registration=registration,
        account_number=account,
        routing_number=routing,
    )


@dataclass(frozen=True)
class VendorProfile:
    """How one supplier bills: same layout and habits every time, values that move."""

    party: Party
    language: str
    currency: str
    layout: Layout
    money_style: MoneyStyle
    date_style: DateStyle
    number_pattern: str
    first_number: int
    payment_days: int
    products: tuple[tuple[str, int, int, bool], ...]
    standard_rate: Decimal
    reduced_rate: Decimal
    reverse_charge: bool
    embed_facturx: bool

    def invoice_number(self, index: int, year: int) -> str:
        return self.number_pattern.format(n=self.first_number + index, year=year, yy=year % 100)


def random_vendor_profile(rng: random.Random, *, country: str | None = None) -> VendorProfile:
    country = country or rng.choice(COUNTRIES)
    language = LANGUAGE_OF[country]
    if country == "BE" and rng.random() < 0.5:
        language = "nl"
    party = random_company(rng, country)
    # Cross-border services to our French company are reverse-charged about half the time.
    reverse_charge = country not in {"FR", "US"} and rng.random() < 0.4
    return VendorProfile(
        party=party,
        language=language,
        currency=CURRENCY_OF.get(country, "EUR"),
        layout=rng.choice(LAYOUTS),
        money_style=rng.choice(("symbol", "code")),
        date_style="us_long" if country == "US" else rng.choice(("numeric", "numeric", "long")),
        number_pattern=rng.choice(_NUMBER_PATTERNS),
        first_number=rng.randint(20, 900),
        payment_days=rng.choice((0, 14, 30, 30, 45, 60)),
        products=_PRODUCTS[language],
        standard_rate=Decimal("0") if reverse_charge else STANDARD_RATE[country],
        reduced_rate=Decimal("0") if reverse_charge else REDUCED_RATE[country],
        reverse_charge=reverse_charge,
        embed_facturx=country in {"FR", "DE"} and rng.random() < 0.4,
    )
