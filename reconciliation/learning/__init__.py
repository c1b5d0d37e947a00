"""Per-vendor learned mapping: "tune on the first ten".

When a reviewer corrects (or confirms) a field, Well stores for that vendor *how to find it*
on the vendor's layout: the label printed next to the value (its folded text), where the
value sits relative to that label (right of it or below it, as a share of the page size),
how many words it spans, and its format (date order, decimal mark, the shape of an invoice
number). On the vendor's next documents the mapping is tried first; a value it finds and that
parses raises that field's confidence, and when it finds nothing the generic extractor's
value stands. A vendor is "in training" until ten of its documents were reviewed.

Who calls what
--------------
* Parsing, after `enrichment.resolve_vendor` found a vendor::

      learned = apply_learned_mapping(vendor=v, words=extraction.words,
                                      page_sizes=extraction.page_sizes)
      combined = combine_with_learned(extracted=extraction.fields, learned=learned)
      # combined.fields go on to enrichment.enrich_fields

* The review screen, when a reviewer saves a document (instead of calling
  `invoice.approve()` itself)::

      record_review(invoice=invoice, user=request.user,
                    corrections={"invoice_number": "INV-0042", "issue_date": "2026-03-05"},
                    approve=True)

  Corrections are strings as typed (dates ISO, amounts with "." as decimal mark). It writes
  the corrected values on the invoice (fields JSON and columns) with an "edit" Decision,
  learns each corrected and confirmed field from the document's words, counts the document
  toward the vendor's training once, and with `approve=True` approves the invoice (an
  "approve" Decision) and activates a new vendor.
"""

from reconciliation.learning.layout import build_lines
from reconciliation.learning.layout import read_value
from reconciliation.learning.layout import values_equal
from reconciliation.learning.layout import words_from_json
from reconciliation.learning.review import CorrectionError
from reconciliation.learning.review import ReviewResult
from reconciliation.learning.review import parse_correction
from reconciliation.learning.review import record_review
from reconciliation.learning.rules import LEARNABLE_FIELDS
from reconciliation.learning.rules import CombinedFields
from reconciliation.learning.rules import LearnedField
from reconciliation.learning.rules import apply_learned_mapping
from reconciliation.learning.rules import combine_with_learned
from reconciliation.learning.rules import learn_from_correction
from reconciliation.learning.rules import learn_rule
from reconciliation.learning.rules import learned_confidence

__all__ = [
    "LEARNABLE_FIELDS",
    "CombinedFields",
    "CorrectionError",
    "LearnedField",
    "ReviewResult",
    "apply_learned_mapping",
    "build_lines",
    "combine_with_learned",
    "learn_from_correction",
    "learn_rule",
    "learned_confidence",
    "parse_correction",
    "read_value",
    "record_review",
    "values_equal",
    "words_from_json",
]
