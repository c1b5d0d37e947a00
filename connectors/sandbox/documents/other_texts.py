"""Wording of the non-invoice PDFs the classifier must learn to set aside. They mention
prices and dates on purpose, as real newsletters and contracts do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OtherText:
    title: str
    sections: tuple[tuple[str, str], ...]
    page_label: str = ""


_TEXTS: dict[tuple[str, str], OtherText] = {
    ("newsletter", "en"): OtherText(
        title="Newsletter",
        sections=(
            (
                "What's new this month",
                "Our team shipped faster exports and a new dashboard. "
                "Everything is live since {date}; no action is needed on your side.",
            ),
            (
                "Early-bird tickets",
                "Join our customer day in Lyon. Early-bird tickets cost "
                "€149 until the end of the month, then €199. Seats are limited.",
            ),
            (
                "Tip of the month",
                "Tag your documents as soon as they arrive: month-end closing "
                "takes half the time. Reply to this e-mail to unsubscribe.",
            ),
        ),
    ),
    ("newsletter", "fr"): OtherText(
        title="Lettre d'information",
        sections=(
            (
                "Les nouveautés du mois",
                "Notre équipe a accéléré les exports et lancé un "
                "nouveau tableau de bord, disponible depuis le {date}. Aucune action n'est "
                "requise de votre part.",
            ),
            (
                "Billets à tarif réduit",
                "Rejoignez notre journée clients à Lyon : 149 € jusqu'à "
                "la fin du mois, puis 199 €. Places limitées.",
            ),
            (
                "L'astuce du mois",
                "Classez vos justificatifs dès leur arrivée : la clôture "
                "mensuelle prend deux fois moins de temps. Pour vous désabonner, répondez à cet "
                "e-mail.",
            ),
        ),
    ),
    ("newsletter", "de"): OtherText(
        title="Newsletter",
        sections=(
            (
                "Neu in diesem Monat",
                "Schnellere Exporte und ein neues Dashboard sind seit dem "
                "{date} verfügbar. Sie müssen nichts weiter tun.",
            ),
            (
                "Frühbuchertickets",
                "Besuchen Sie unseren Kundentag in Köln: 149 € bis "
                "Monatsende, danach 199 €. Die Plätze sind begrenzt.",
            ),
            (
                "Tipp des Monats",
                "Ordnen Sie Belege sofort zu, dann ist der Monatsabschluss "
                "doppelt so schnell erledigt.",
            ),
        ),
    ),
    ("contract", "en"): OtherText(
        title="Service agreement",
        sections=(
            (
                "Article 1 - Purpose",
                "The provider delivers the services described in Annex A "
                "to the client from {date} for an initial term of twelve months.",
            ),
            (
                "Article 2 - Fees",
                "The client pays a monthly fee of €1,500.00 excluding VAT, "
                "invoiced at the start of each month and payable within thirty days.",
            ),
            (
                "Article 3 - Termination",
                "Either party may terminate this agreement with three "
                "months' written notice. Sections 5 to 9 survive termination.",
            ),
        ),
        page_label="Page 2 of 7 - Initials: ____ / ____",
    ),
    ("contract", "fr"): OtherText(
        title="Contrat de prestation de services",
        sections=(
            (
                "Article 1 - Objet",
                "Le prestataire réalise pour le client les prestations "
                "décrites en annexe A à compter du {date}, pour une durée initiale de douze mois.",
            ),
            (
                "Article 2 - Prix",
                "Le client verse une redevance mensuelle de 1 500,00 € HT, "
                "facturée en début de mois et payable à trente jours.",
            ),
            (
                "Article 3 - Résiliation",
                "Chaque partie peut résilier le contrat par lettre "
                "recommandée avec un préavis de trois mois.",
            ),
        ),
        page_label="Page 2/7 - Paraphes : ____ / ____",
    ),
    ("contract", "de"): OtherText(
        title="Dienstleistungsvertrag",
        sections=(
            (
                "§ 1 Vertragsgegenstand",
                "Der Auftragnehmer erbringt ab dem {date} die in "
                "Anlage A beschriebenen Leistungen für zunächst zwölf Monate.",
            ),
            (
                "§ 2 Vergütung",
                "Der Auftraggeber zahlt monatlich 1.500,00 € zzgl. USt., "
                "fällig innerhalb von dreißig Tagen nach Rechnungsstellung.",
            ),
            (
                "§ 3 Kündigung",
                "Der Vertrag kann mit einer Frist von drei Monaten schriftlich gekündigt werden.",
            ),
        ),
        page_label="Seite 2 von 7",
    ),
}


def other_text(kind: str, language: str) -> OtherText:
    """The text in `language`, or in English where no translation is written."""
    return _TEXTS.get((kind, language)) or _TEXTS[(kind, "en")]
