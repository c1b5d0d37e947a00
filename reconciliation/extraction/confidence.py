"""From extractor features to a calibrated probability that the value is right.

One small logistic model per field over a handful of interpretable features: label strength,
check digits passed, net + tax = total, agreement between occurrences, and whether another
value competes. The weights are set by hand, deliberately few and round, then checked
against the DEV corpus with XML reading switched off and against generated invoices in six
languages: values reported at 0.85 or more must be right at least 97% of the time
(``bench/parse.py`` prints the calibration table). Evidence that the DEV demo documents
happen to satisfy but real ones may not (a labelled IBAN or VAT id with wrong check digits)
is kept below 0.85 on purpose.
"""

from __future__ import annotations

import math

# field -> (bias, {feature: weight})
WEIGHTS: dict[str, tuple[float, dict[str, float]]] = {
    "supplier_name": (
        -1.0,
        {
            "domain_match": 0.6,
            "near_identifier": 0.5,
            "contested": -2.0,
            "seller_label": 1.2,
            "name_label": 0.8,
            "legal_form": 0.8,
            "support": 0.35,
            "margin": 0.8,
            "return_address": 0.6,
            "letterhead": -0.4,
            "header": 0.3,
        },
    ),
    "supplier_vat_id": (
        -0.5,
        # A number that fails its check digits is kept (demo ids do) but never trusted alone.
        {"contested": -2.0, "labelled": 1.2, "valid": 1.9, "support": 0.3, "margin": 0.5},
    ),
    "supplier_iban": (
        -0.5,
        {
            "contested": -2.0,
            "labelled": 1.0,
            "valid": 2.2,
            "payment_context": 0.3,
            "support": 0.2,
            "margin": 0.3,
        },
    ),
    "supplier_domain": (
        -1.0,
        {
            "contested": -2.0,
            "matches_name": 1.5,
            "at_edge": 0.4,
            "from_email": 0.3,
            "support": 0.3,
            "hosts": -0.4,
            "margin": 0.6,
        },
    ),
    "invoice_number": (
        -1.2,
        {
            "contested": -2.0,
            "strong_label": 2.0,
            "same_line": 0.7,
            "support": 0.3,
            "margin": 1.0,
            "prose": -1.0,
            "long": 0.5,
        },
    ),
    "issue_date": (
        -0.8,
        {
            "contested": -2.0,
            "strong_label": 2.0,
            "same_line": 0.5,
            "support": 0.3,
            "margin": 0.8,
            "ambiguous": -0.6,
            "unlabelled": -0.8,
        },
    ),
    "due_date": (
        -0.8,
        {
            "contested": -2.0,
            "strong_label": 1.2,
            "same_line": 0.5,
            "support": 0.3,
            "margin": 0.8,
            "after_issue": 0.8,
            "ambiguous": -0.6,
        },
    ),
    "total_amount": (
        -1.0,
        {
            "consistent": 2.6,
            "strength": 1.2,
            "competitors": -0.6,
            "currency_near": 0.3,
            "largest": 0.5,
        },
    ),
    "tax_amount": (
        -1.2,
        {"consistent": 2.8, "strength": 0.8, "derived": -0.5, "competitors": -0.5},
    ),
    "currency": (
        -0.5,
        {
            "contested": -2.0,
            "currency_label": 2.0,
            "iso_code": 1.0,
            "support": 0.3,
            "dollar": -0.6,
            "margin": 0.3,
            "default": -1.5,
        },
    ),
    "amount": (
        -0.5,
        {"contested": -2.0, "labelled": 1.5, "same_line": 0.3, "support": 0.2, "margin": 0.4},
    ),
    "execution_date": (
        -0.5,
        {"contested": -2.0, "strong_label": 1.5, "ambiguous": -0.6, "margin": 0.4},
    ),
    "beneficiary_name": (
        -0.7,
        {"contested": -2.0, "labelled": 1.2, "same_line": 0.3, "margin": 0.3},
    ),
    "beneficiary_iban": (
        -0.5,
        {"contested": -2.0, "beneficiary": 1.2, "valid": 1.2, "ordering": -1.5},
    ),
    "reference": (-0.7, {"contested": -2.0, "labelled": 1.2, "same_line": 0.3, "margin": 0.3}),
}
# Features are capped so one runaway count cannot push a guess to certainty.
CAPS = {"support": 4.0, "margin": 1.5, "competitor": 2.0, "competitors": 3.0, "hosts": 4.0}


def confidence(field_name: str, features: dict[str, float]) -> float:
    bias, weights = WEIGHTS.get(field_name, (-0.5, {}))
    z = bias
    for name, weight in weights.items():
        value = features.get(name, 0.0)
        cap = CAPS.get(name)
        if cap is not None:
            value = max(-cap, min(cap, value))
        z += weight * value
    probability = 1 / (1 + math.exp(-z))
    return round(min(max(probability, 0.01), 0.99), 4)
