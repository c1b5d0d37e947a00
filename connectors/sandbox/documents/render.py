"""Renderers: a spec in, PDF bytes plus ground truth out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from connectors.sandbox.documents.canvas import BLACK
from connectors.sandbox.documents.canvas import GREY
from connectors.sandbox.documents.canvas import LEFT
from connectors.sandbox.documents.canvas import LIGHT
from connectors.sandbox.documents.canvas import PAGE_WIDTH
from connectors.sandbox.documents.canvas import RIGHT
from connectors.sandbox.documents.canvas import Page
from connectors.sandbox.documents.canvas import accent_for
from connectors.sandbox.documents.facturx_xml import FACTURX_FILENAME
from connectors.sandbox.documents.facturx_xml import build_cii_xml
from connectors.sandbox.documents.facturx_xml import facturx_xmp
from connectors.sandbox.documents.formatting import city_line
from connectors.sandbox.documents.formatting import country_name
from connectors.sandbox.documents.formatting import currency_mark
from connectors.sandbox.documents.formatting import format_date
from connectors.sandbox.documents.formatting import format_iban
from connectors.sandbox.documents.formatting import format_money
from connectors.sandbox.documents.formatting import format_number
from connectors.sandbox.documents.invoice_layouts import LAYOUT_DRAWERS
from connectors.sandbox.documents.invoice_layouts import InvoiceDraw
from connectors.sandbox.documents.invoice_layouts import draw_forwarded
from connectors.sandbox.documents.labels import labels_for
from connectors.sandbox.documents.model import INVOICE_FIELDS
from connectors.sandbox.documents.model import DocumentKind
from connectors.sandbox.documents.model import InvoiceSpec
from connectors.sandbox.documents.model import InvoiceTotals
from connectors.sandbox.documents.model import InvoiceTruth
from connectors.sandbox.documents.model import OtherSpec
from connectors.sandbox.documents.model import PaymentConfirmationSpec
from connectors.sandbox.documents.model import RemittanceNoticeSpec
from connectors.sandbox.documents.model import RenderedDocument
from connectors.sandbox.documents.model import TransferTruth
from connectors.sandbox.documents.other_texts import other_text
from connectors.sandbox.documents.unseen_layouts import UNSEEN_DRAWERS


def _safe_filename(stem: str) -> str:
    return re.sub(r"[^\w.-]+", "_", stem).strip("_.") + ".pdf"


def _decimal(value: Decimal) -> str:
    return f"{value:.2f}"


def render_invoice(spec: InvoiceSpec) -> RenderedDocument:
    """A supplier invoice, credit note or payment reminder as PDF, in the spec's language and
    layout, with an embedded Factur-X BASIC XML when `spec.embed_facturx`."""
    words = labels_for(spec.language)
    if spec.supplier.country == "US":
        # A US seller charges sales tax, not VAT.
        words = {**words, "vat": "Tax", "vat_rate": "Tax", "vat_total": "Total tax"}
    page = Page(
        created=spec.issue_date,
        offset=spec.offset_mm,
        font="times" if spec.layout == "centered" else "helvetica",
        title=f"{spec.supplier.name} {spec.invoice_number}",
        author=spec.supplier.name,
    )
    draw = InvoiceDraw(
        spec=spec,
        totals=spec.totals(),
        words=words,
        page=page,
        accent=accent_for(spec.supplier.name),
    )
    draw_forwarded(draw)
    {**LAYOUT_DRAWERS, **UNSEEN_DRAWERS}[spec.layout](draw)
    if spec.embed_facturx:
        page.embed(
            FACTURX_FILENAME,
            build_cii_xml(spec),
            created=spec.issue_date,
            description="Factur-X invoice",
            xmp=facturx_xmp(spec),
        )
    title = draw.title.replace(" ", "_")
    return RenderedDocument(
        filename=spec.filename or _safe_filename(f"{title}_{spec.invoice_number}"),
        content=page.output(),
        kind="credit_note" if spec.is_credit_note else "invoice",
        truth=_invoice_truth(spec, draw.totals),
        language=spec.language,
        layout=spec.layout,
        printed=dict(draw.printed),
        extra=_invoice_extra(spec, draw.totals),
    )


def render_payment_confirmation(spec: PaymentConfirmationSpec) -> RenderedDocument:
    """Proof of an executed outgoing transfer, as a bank app exports it."""
    words = labels_for(spec.language)
    language = spec.language
    page = Page(created=spec.execution_date, title=words["pc_title"], author=spec.bank_name)

    def money(value: Decimal, currency: str) -> str:
        return format_money(value, currency, language, spec.money_style)

    executed = format_date(spec.execution_date, language, spec.date_style)
    amount = money(spec.amount, spec.currency)
    beneficiary = spec.beneficiary
    printed = _transfer_printed(spec, amount, executed)
    rows: list[tuple[str, str]] = [(words["beneficiary"], beneficiary.name)]
    if beneficiary.iban:
        rows.append((words["beneficiary_iban"], printed["beneficiary_iban"]))
    rows += beneficiary.labelled(words, ("account_number", "routing_number", "bic"))
    foreign = spec.debited_amount is not None
    rows.append((words["sent_amount"] if foreign else words["amount"], amount))
    if spec.exchange_rate is not None:
        rate = format_number(spec.exchange_rate, language, places=4)
        rows.append((words["exchange_rate"], f"1 {spec.debited_currency} = {rate} {spec.currency}"))
    if spec.debited_amount is not None:
        rows.append((words["debited_amount"], money(spec.debited_amount, spec.debited_currency)))
    if spec.fee is not None:
        rows.append((words["fees"], money(spec.fee, spec.debited_currency)))
    rows.append((words["execution_date"], executed))
    rows.append((words["reference"], spec.reference))
    payer = spec.payer
    account = payer.name + (f" - {format_iban(payer.iban)}" if payer.iban else "")
    rows.append((words["ordering_account"], account))
    rows.append((words["status"], words["executed"]))
    rows.append((words["transfer_id"], spec.transfer_id))
    _draw_confirmation(page, spec, words, rows, amount, executed)
    extra = {"transfer_id": spec.transfer_id}
    if spec.debited_amount is not None:
        extra["debited_amount"] = _decimal(spec.debited_amount)
        extra["debited_currency"] = spec.debited_currency
    if spec.exchange_rate is not None:
        extra["exchange_rate"] = f"{spec.exchange_rate:.4f}"
    if spec.fee is not None:
        extra["fee"] = _decimal(spec.fee)
    stem = f"{words['pc_title']}_{spec.execution_date.isoformat()}_{beneficiary.name}"
    return _transfer_document(spec, page, "payment_confirmation", spec.layout, stem, printed, extra)


def _draw_confirmation(
    page: Page,
    spec: PaymentConfirmationSpec,
    words: Mapping[str, str],
    rows: list[tuple[str, str]],
    amount: str,
    executed: str,
) -> None:
    """The bank's page: a table under the amount, or a letter from the payer listing the rows."""
    accent = accent_for(spec.bank_name)
    payer = spec.payer
    if spec.layout == "table":
        page.text(LEFT, 24, spec.bank_name, size=18, bold=True, color=accent)
        page.text(RIGHT, 24, words["pc_title"], size=13, bold=True, align="R")
        page.text(LEFT, 38, words["pc_intro"], color=GREY)
        page.text(LEFT, 52, amount, size=22, bold=True)
        y = 66.0
        for label, value in rows:
            page.text(LEFT, y, label, color=GREY)
            page.text(78, y, value, bold=label == words["beneficiary"])
            page.line(LEFT, y + 2.2, RIGHT, y + 2.2, color=LIGHT)
            y += 8
    else:
        page.text(LEFT, 24, payer.name, size=14, bold=True, color=accent)
        page.text(LEFT, 29, f"{payer.street}, {city_line(payer)}", color=GREY)
        page.text(LEFT, 48, words["pc_title"], size=15, bold=True)
        y = page.paragraph(LEFT, 58, words["pc_letter"].format(date=executed), width=RIGHT - LEFT)
        y += 4
        for label, value in rows:
            page.text(LEFT + 4, y, f"{label}:", color=GREY)
            page.text(82, y, value)
            y += 5.5
    page.text(
        PAGE_WIDTH / 2,
        282,
        f"{spec.bank_name} · {words['bank_footer']}",
        size=7,
        align="C",
        color=GREY,
    )


def render_remittance_notice(spec: RemittanceNoticeSpec) -> RenderedDocument:
    """A customer's remittance advice: it wired money to us, quoting its own reference."""
    words = labels_for(spec.language)
    language = spec.language
    payer, beneficiary = spec.payer, spec.beneficiary
    page = Page(created=spec.execution_date, title=words["rn_title"], author=payer.name)
    accent = accent_for(payer.name)
    executed = format_date(spec.execution_date, language, spec.date_style)
    amount = format_money(spec.amount, spec.currency, language, spec.money_style)
    page.text(LEFT, 24, payer.name, size=15, bold=True, color=accent)
    page.text(LEFT, 29.5, f"{payer.street}, {city_line(payer)}", color=GREY)
    y = 48.0
    page.text(120, y, beneficiary.name, bold=True)
    for line in (beneficiary.street, city_line(beneficiary)):
        y += 4.5
        page.text(120, y, line)
    page.text(120, y + 9, f"{payer.city}, {executed}")
    page.text(LEFT, 86, words["rn_title"], size=15, bold=True)
    y = page.paragraph(LEFT, 96, words["rn_intro"], width=RIGHT - LEFT) + 4
    rows: list[tuple[str, str]] = [
        (words["payer"], payer.name),
        (words["beneficiary"], beneficiary.name),
    ]
    printed = _transfer_printed(spec, amount, executed)
    if beneficiary.iban:
        rows.append((words["beneficiary_iban"], printed["beneficiary_iban"]))
    rows += [
        (words["amount"], amount),
        (words["value_date"], executed),
        (words["reference"], spec.reference),
    ]
    if spec.invoices_paid:
        rows.append((words["invoices_paid"], ", ".join(spec.invoices_paid)))
    page.box(LEFT, y - 4.5, RIGHT - LEFT, 7.5 * len(rows) + 2, border=LIGHT)
    for label, value in rows:
        page.text(LEFT + 3, y, label, color=GREY)
        page.text(80, y, value, bold=label == words["amount"])
        y += 7.5
    page.text(LEFT, y + 10, words["regards"])
    page.text(LEFT, y + 16, words["accounts_payable"], bold=True)
    page.text(LEFT, y + 21, payer.name, color=GREY)
    if payer.vat_id:
        page.text(
            PAGE_WIDTH / 2, 282, f"{payer.name} · {payer.vat_id}", size=7, align="C", color=GREY
        )
    extra = {"payer_name": payer.name}
    if payer.iban:
        extra["payer_iban"] = payer.iban
    stem = f"{words['rn_title']}_{payer.name}_{spec.execution_date.isoformat()}"
    return _transfer_document(spec, page, "wire_notice", "letter", stem, printed, extra)


def render_other(spec: OtherSpec) -> RenderedDocument:
    """A PDF that is no invoice nor payment: a newsletter or a contract page. Its truth has
    every invoice field set to None."""
    text = other_text(spec.kind, spec.language)
    sender = spec.sender
    page = Page(created=spec.issue_date, title=text.title, author=sender.name)
    accent = accent_for(sender.name)
    when = format_date(spec.issue_date, spec.language, "long")
    if spec.kind == "newsletter":
        page.box(0, 0, PAGE_WIDTH, 34, fill=accent)
        page.text(LEFT, 17, sender.name, size=20, bold=True, color=(255, 255, 255))
        page.text(LEFT, 26, f"{text.title} · {when}", size=10, color=(255, 255, 255))
    else:
        page.text(PAGE_WIDTH / 2, 26, text.title.upper(), size=14, bold=True, align="C")
        parties = f"{sender.name} - {spec.recipient.name}"
        page.text(PAGE_WIDTH / 2, 33, parties, align="C", color=GREY)
    y = 48.0
    for heading, body in text.sections:
        page.text(LEFT, y, heading, size=12, bold=True, color=accent if heading else BLACK)
        y = page.paragraph(
            LEFT, y + 6, body.format(date=when), width=RIGHT - LEFT, size=9.5, leading=4.8
        )
        y += 6
    address = f"{sender.street}, {city_line(sender)}, "
    address += country_name(sender.country, spec.language)
    page.text(PAGE_WIDTH / 2, 282, address, size=7, align="C", color=GREY)
    if spec.kind == "contract":
        page.text(RIGHT, 288, text.page_label, size=7, align="R", color=GREY)
    stem = f"{text.title}_{spec.issue_date.isoformat()}"
    return RenderedDocument(
        filename=spec.filename or _safe_filename(stem),
        content=page.output(),
        kind="other",
        truth=dict.fromkeys(INVOICE_FIELDS),
        language=spec.language,
        layout=spec.kind,
        printed={},
        extra={"other_kind": spec.kind},
    )


def _transfer_printed(
    spec: PaymentConfirmationSpec | RemittanceNoticeSpec, amount: str, executed: str
) -> dict[str, str]:
    """What a transfer document prints of the fields the extraction reads."""
    printed = {
        "amount": amount,
        "currency": currency_mark(spec.currency, spec.money_style),
        "execution_date": executed,
        "beneficiary_name": spec.beneficiary.name,
        "reference": spec.reference,
    }
    if spec.beneficiary.iban:
        printed["beneficiary_iban"] = format_iban(spec.beneficiary.iban)
    return printed


def _transfer_truth(spec: PaymentConfirmationSpec | RemittanceNoticeSpec) -> dict[str, str | None]:
    truth = TransferTruth(
        amount=_decimal(spec.amount),
        currency=spec.currency,
        execution_date=spec.execution_date.isoformat(),
        beneficiary_name=spec.beneficiary.name,
        beneficiary_iban=spec.beneficiary.iban,
        reference=spec.reference,
    )
    return truth._asdict()


def _invoice_truth(spec: InvoiceSpec, totals: InvoiceTotals) -> dict[str, str | None]:
    supplier = spec.supplier
    truth = InvoiceTruth(
        supplier_name=supplier.name,
        supplier_vat_id=supplier.vat_id,
        supplier_iban=supplier.iban,
        supplier_domain=supplier.domain,
        invoice_number=spec.invoice_number,
        issue_date=spec.issue_date.isoformat(),
        due_date=spec.due_date.isoformat() if spec.due_date else None,
        total_amount=_decimal(totals.total),
        tax_amount=_decimal(totals.tax),
        currency=spec.currency,
    )
    return truth._asdict()


def _invoice_extra(spec: InvoiceSpec, totals: InvoiceTotals) -> dict[str, str]:
    extra = {"net_amount": _decimal(totals.net)}
    if spec.credited_invoice_number:
        extra["credited_invoice_number"] = spec.credited_invoice_number
    if spec.payment_reference:
        extra["payment_reference"] = spec.payment_reference
    if spec.embed_facturx:
        extra["facturx"] = "BASIC"
    return extra


def _transfer_document(
    spec: PaymentConfirmationSpec | RemittanceNoticeSpec,
    page: Page,
    kind: DocumentKind,
    layout: str,
    stem: str,
    printed: dict[str, str],
    extra: dict[str, str],
) -> RenderedDocument:
    return RenderedDocument(
        filename=spec.filename or _safe_filename(stem),
        content=page.output(),
        kind=kind,
        truth=_transfer_truth(spec),
        language=spec.language,
        layout=layout,
        printed=printed,
        extra=extra,
    )
