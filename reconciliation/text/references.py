"""Payment references: make what customers, suppliers and banks write comparable.

A reference travels from an invoice to a payer, through their bank and back to us, and each hop
rewrites it: case, spaces and punctuation change, leading zeros and prefixes (INV, FAC, FACT, RE,
RG, NO, N°) come and go, banks cut long remittance texts, people abbreviate ("inv 42" for
"INV-2024-0042"). Two structured forms carry check digits and are recognised wherever they
appear: ISO 11649 creditor references (``RF18 5390 0754 7034``) and Belgian structured
communications (``+++010/8068/17183+++``). A string that looks structured but whose check digits
fail is treated as free text and flagged.

:func:`normalize_reference` gives the one key stored in ``normalized_reference`` columns;
:class:`ReferenceIndex` finds which known references a free-text remittance names, by exact key,
abbreviation or truncation.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Hashable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from typing import Generic
from typing import Literal
from typing import NamedTuple
from typing import TypeVar

from stdnum import iso11649
from stdnum.be import ogm_vcs

from reconciliation.text.folding import fold_upper_ascii as fold

ReferenceKind = Literal["rf", "structured", "free", "empty"]
MatchTier = Literal["exact", "abbreviated", "truncated"]
DocumentKind = Literal["invoice", "credit_note", ""]

#: Words that introduce a number and are dropped from its front ("N°" folds to "N").
PREFIXES = frozenset(
    {
        "INV", "INVOICE", "FAC", "FACT", "FACTURE", "FACTURA", "FATTURA", "FA", "RE",
        "RECHNUNG", "RECH", "RG", "NO", "NR", "N", "NUM", "NUMBER", "NUMERO", "REF",
        "REFERENCE", "OUR", "YOUR", "ID",
    }
)  # fmt: skip
#: Words that label a reference field on a page or a statement, never a reference themselves.
LABEL_WORDS = PREFIXES | frozenset(
    {
        "REFERENZ", "REFERENCIA", "RIFERIMENTO", "COMMUNICATION", "MOTIF", "LIBELLE",
        "VERWENDUNGSZWECK", "BETREFF", "PURPOSE", "DESCRIPTION", "REMITTANCE", "INFORMATION",
        "INFO", "MESSAGE", "OBJET", "CAUSALE", "CONCEPTO", "KENMERK", "OMSCHRIJVING",
        "BETALINGSKENMERK", "PAYMENT", "ZAHLUNG", "PAIEMENT", "VOTRE", "NOTRE", "IHRE",
        "UNSERE", "DE", "DU", "LA", "THE", "OF", "DETAILS",
    }
)  # fmt: skip
#: Words that say which kind of document a number belongs to. When both the reference and the
#: words before a number in a remittance name a kind, they must agree: "Credit note CN-2026-66"
#: never names the invoice INV-2026-00066, whatever their numbers share.
INVOICE_WORDS = frozenset(
    {
        "INV", "INVOICE", "FAC", "FACT", "FACTURE", "FACTURA", "FATTURA", "FA", "RE",
        "RECHNUNG", "RECH", "RG", "BILL", "FAKT", "FAKTURA", "FACTUUR",
    }
)  # fmt: skip
CREDIT_NOTE_WORDS = frozenset(
    {"CN", "CREDIT", "CREDITNOTE", "GUTSCHRIFT", "GS", "AVOIR", "AV", "NC", "CREDITNOTA"}
)
#: A truncated reference must keep at least this many characters to be trusted.
MIN_TRUNCATED_LENGTH = 5
#: A reference whose number is shorter than this names no document ("RE6", "INV-01", "PB8").
MIN_NAMING_LENGTH = 4
#: Longest run of tokens considered as one reference inside a remittance text.
MAX_RUN_TOKENS = 4
MAX_NORMALIZED_LENGTH = 140

_RF_START = re.compile(r"(?<![A-Z0-9])RF\d\d")
_STRUCTURED = re.compile(
    r"(?P<open>\+{3}|\*{3})?\s*(?P<a>\d{3})\s*/\s*(?P<b>\d{4})\s*/\s*(?P<c>\d{5})\s*(?P<close>\+{3}|\*{3})?"
    r"|(?P<wrap>\+{3}|\*{3})\s*(?P<digits>\d{12})\s*(?:\+{3}|\*{3})"
)
_TOKEN = re.compile(r"[A-Z]+|\d+")
_WORD = re.compile(r"[A-Z0-9]+")
_PREFIX_HEAD = re.compile("^(" + "|".join(sorted(PREFIXES, key=len, reverse=True)) + r")(?=\d)")
_LETTERS = re.compile(r"[A-Z]+")


def kind_of_word(word: str) -> DocumentKind:
    """The document kind a word names ("CN", "Gutschrift", "INV"…), "" for any other word."""
    if word in CREDIT_NOTE_WORDS:
        return "credit_note"
    if word in INVOICE_WORDS:
        return "invoice"
    return ""


def _named_kinds(tokens: list[str]) -> list[DocumentKind]:
    """For each token, the kind the words before it name: the nearest kind word, with at most
    three other words (numbers aside) in between ("Credit note 2026-66": 2026 and 66 both
    belong to a credit note)."""
    named: list[DocumentKind] = []
    recent: DocumentKind = ""
    words = 0
    for token in tokens:
        named.append(recent if words <= 3 else "")
        if token.isdigit():
            continue
        if kind := kind_of_word(token):
            recent, words = kind, 0
        else:
            words += 1
    return named


def _kinds_differ(first: DocumentKind, second: DocumentKind) -> bool:
    return bool(first) and bool(second) and first != second


def tokens_of(text: str) -> list[str]:
    """The words of ``text`` (upper-case ASCII, split on anything not a letter or digit), with
    a prefix glued to its number split off: "INV20240042" gives ["INV", "20240042"]."""
    tokens: list[str] = []
    for word in _WORD.findall(fold(text)):
        head = _PREFIX_HEAD.match(word)
        if head is not None:
            tokens += [head.group(1), word[head.end() :]]
        else:
            tokens.append(word)
    return tokens


@dataclass(frozen=True)
class ParsedReference:
    """One reference as written (``raw``) and the forms used to compare it."""

    raw: str
    kind: ReferenceKind
    #: The comparison key (also what ``normalized_reference`` columns store).
    normalized: str
    #: Tokens after prefix removal with leading zeros stripped: ``("2024", "42")``.
    tokens: tuple[str, ...]
    #: True when the text looks like an RF or structured reference whose check digits fail.
    check_failed: bool = False
    #: The kind of document its own leading word names ("INV-…" an invoice, "CN-…" a credit
    #: note), "" when it names none.
    document_kind: DocumentKind = ""

    @property
    def dotted(self) -> str:
        """Tokens joined with dots: the key under which "2024-42" equals "INV-2024-0042"."""
        return ".".join(self.tokens)


def creditor_reference_in(text: str) -> str | None:
    """The first valid ISO 11649 creditor reference in ``text``, compact (``RF18539007547034``).

    Banks print them in groups of four and sometimes glue words after them, so every length
    from the longest down is tried and the first whose check digits hold wins.
    """
    folded = fold(text)
    for start in _RF_START.finditer(folded):
        body: list[str] = []
        for char in folded[start.start() :]:
            if char.isalnum():
                body.append(char)
            elif char != " ":
                break
            if len(body) == 25:
                break
        for end in range(len(body), 4, -1):
            candidate = "".join(body[:end])
            if iso11649.is_valid(candidate):
                return str(iso11649.compact(candidate))
    return None


@lru_cache(maxsize=65_536)
def is_label(text: str | None) -> bool:
    """Whether ``text`` is the label printed where a reference goes ("/ référence",
    "Reference:", "Verwendungszweck") rather than a reference: no digit, and nothing but
    label words and punctuation. A label is never compared as a reference."""
    words = _WORD.findall(fold(text or ""))
    return not any(char.isdigit() for word in words for char in word) and all(
        word in LABEL_WORDS for word in words
    )


def looks_like_creditor_reference(text: str) -> bool:
    return bool(_RF_START.search(fold(text)))


def structured_communication_in(text: str) -> tuple[str | None, bool]:
    """(12 digits of the first valid Belgian structured communication, whether one that looked
    structured failed its mod-97 check)."""
    failed = False
    for found in _STRUCTURED.finditer(text):
        if found.group("digits"):
            digits = found.group("digits")
        else:
            is_wrapped = bool(found.group("open") or found.group("close"))
            digits = found.group("a") + found.group("b") + found.group("c")
            if not is_wrapped and not re.fullmatch(r"\s*\d{3}/\d{4}/\d{5}\s*", found.group(0)):
                continue
        if ogm_vcs.is_valid(digits):
            return digits, failed
        failed = True
    return None, failed


def is_valid_creditor_reference(text: str) -> bool:
    return bool(iso11649.is_valid(text))


def is_valid_structured_communication(text: str) -> bool:
    return bool(ogm_vcs.is_valid(text))


def _strip_zeros(token: str) -> str:
    if token.isdigit():
        return token.lstrip("0") or "0"
    return token


def _drop_prefixes(tokens: list[str]) -> list[str]:
    start = 0
    # Keep at least one token: a reference that is only "INV" stays "INV".
    while start < len(tokens) - 1 and tokens[start] in PREFIXES:
        start += 1
    return tokens[start:]


def _key(raw_tokens: Iterable[str]) -> str:
    return "".join(raw_tokens).lstrip("0")[:MAX_NORMALIZED_LENGTH]


@lru_cache(maxsize=65_536)
def parse_reference(text: str | None) -> ParsedReference:
    """Recognise ``text`` as a whole reference (an invoice number, a receivable's reference or
    a transaction's reference field)."""
    raw = (text or "").strip()
    if not raw:
        return ParsedReference(raw="", kind="empty", normalized="", tokens=())
    creditor = creditor_reference_in(raw)
    if creditor is not None:
        return ParsedReference(raw=raw, kind="rf", normalized=creditor, tokens=(creditor,))
    digits, structured_failed = structured_communication_in(raw)
    if digits is not None:
        stripped = _strip_zeros(digits)
        return ParsedReference(raw=raw, kind="structured", normalized=stripped, tokens=(stripped,))
    words = tokens_of(raw)
    tokens = _drop_prefixes(words)
    head = _LETTERS.match(words[0]) if words else None
    return ParsedReference(
        raw=raw,
        kind="free" if tokens else "empty",
        normalized=_key(tokens),
        tokens=tuple(_strip_zeros(token) for token in tokens),
        check_failed=structured_failed or looks_like_creditor_reference(raw),
        document_kind=kind_of_word(head.group(0)) if head else "",
    )


def normalize_reference(text: str | None) -> str:
    """The comparison key of ``text``: "INV-2024-0042", "inv 2024/0042" and "INV20240042" all
    give ``"20240042"``; RF references their compact form; structured communications their
    digits without leading zeros."""
    return parse_reference(text).normalized


_CHUNK = re.compile(r"[A-Z0-9]+(?:[-/._][A-Z0-9]+)*")
_DATE_CHUNK = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}-\d{2}-\d{2}")
#: A date, perhaps cut by the bank ("vom 02.06.20").
_DATE_START = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]")


@lru_cache(maxsize=65_536)
def remittance_reference(text: str | None) -> ParsedReference:
    """The reference a free-text remittance carries ("Payment INV-2024-0042, thanks" names
    "INV-2024-0042"): an RF or structured reference when present, else the number that follows
    a prefix word (INV, N°, ...), else the word with the most digits that is not a date."""
    raw = (text or "").strip()
    whole = parse_reference(raw)
    if whole.kind in ("rf", "structured", "empty"):
        return whole
    chunks: list[str] = []
    after_prefix: list[bool] = []
    for chunk in _CHUNK.findall(fold(raw)):
        # "2024 0042": digit groups separated by spaces are one number.
        if chunks and chunk.isdigit() and chunks[-1].replace(" ", "").isdigit():
            chunks[-1] = f"{chunks[-1]} {chunk}"
            continue
        after_prefix.append(bool(chunks) and chunks[-1] in PREFIXES)
        chunks.append(chunk)
    numbered = [
        (index, chunk)
        for index, chunk in enumerate(chunks)
        if any(c.isdigit() for c in chunk) and not _DATE_CHUNK.fullmatch(chunk)
    ]
    if not numbered:
        return whole
    preferred = [(i, c) for i, c in numbered if after_prefix[i] or _starts_with_prefix(c)]
    pool = preferred or numbered
    best = max(pool, key=lambda pair: sum(c.isdigit() for c in pair[1]))[1]
    return parse_reference(best)


def _starts_with_prefix(chunk: str) -> bool:
    head = _TOKEN.match(chunk)
    return head is not None and head.group(0) in PREFIXES and len(chunk) > len(head.group(0))


@lru_cache(maxsize=65_536)
def compare_references(expected: str | None, given: str | None) -> MatchTier | None:
    """How ``given`` (a remittance text) names ``expected`` (a reference), if it does (pure,
    so cached: a window compares the same invoice number with many bank lines)."""
    hits = _single(expected or "").find(given)
    return hits[0][0].tier if hits else None


@lru_cache(maxsize=65_536)
def _alphanumerics(text: str) -> str:
    """The letters and digits of ``text`` run together ("INV-2024/0042" gives "INV20240042")."""
    return "".join(_WORD.findall(fold(text)))


@lru_cache(maxsize=16_384)
def _single(reference: str) -> ReferenceIndex[int]:
    """An index of one reference, built once per reference (only `find` reads it)."""
    index: ReferenceIndex[int] = ReferenceIndex()
    index.add(reference, 1)
    return index


def names_nothing(text: str | None) -> bool:
    """Whether a remittance is too short to name any document: empty, only words ("Rechnung"),
    or a number of fewer than `MIN_NAMING_LENGTH` characters ("RE 4", "PB8")."""
    key = remittance_reference(text).normalized
    return not any(char.isdigit() for char in key) or len(key) < MIN_NAMING_LENGTH


def is_cut_start(expected: str | None, given: str | None) -> bool:
    """Whether ``given`` ends with the start of ``expected``, cut too short to name it: weak
    evidence, that neither names nor contradicts the reference. The bank cuts the end of a
    text, so the cut is the whole reference ("BT6" for "BT69279") or its last words ("Kd-Nr
    44812 / RE 4" for "RE 44354"), compared with the number as printed too ("RE6" for
    "RE 63826": its prefix is part of what was cut)."""
    keys = {normalize_reference(expected), _alphanumerics(expected or "")}
    return any(
        2 <= len(cut) < len(key) and key.startswith(cut)
        for key in keys
        if _may_start(key, given or "")
        for cut in _cut_ends(given or "")
    )


def _may_start(key: str, text: str) -> bool:
    """A quick, exact pre-test of `is_cut_start`: every end `_cut_ends` keeps starts where a
    word or a number (leading zeros aside) of ``text`` starts, so the key must start so too.
    Most bank lines have no such start, and this costs a fraction of reading their ends. Text
    that is not ASCII skips the test (a structured reference is read from it as written)."""
    if not text.isascii():
        return True
    heads = _heads(text)
    return key[:2] in heads or key[:1] in heads


@lru_cache(maxsize=65_536)
def _heads(text: str) -> frozenset[str]:
    """The first one or two characters of each word of ``text``, of each of its numbers
    without leading zeros, and of its structured communication: where a reference read from the
    text may start."""
    heads = set()
    for word in tokens_of(text):  # a word's first token starts where the word does
        for start in (word, word.lstrip("0")):
            if start:
                heads.add(start[:2])
    # A structured communication may start inside a word ("BE010/8068/17183").
    digits, _ = structured_communication_in(text)
    if digits is not None:
        heads.add(_strip_zeros(digits)[:2])
    return frozenset(heads)


@lru_cache(maxsize=65_536)
def _cut_ends(text: str) -> frozenset[str]:
    """What the bank may have kept of a number at the end of ``text``: the remittance's key,
    and its last one to `MAX_RUN_TOKENS` words run together (not a date), each with a digit."""
    chunks = _CHUNK.findall(fold(text))
    ends = {remittance_reference(text).normalized}
    if chunks and not _DATE_START.match(chunks[-1]):
        ends |= {
            "".join(_WORD.findall("".join(chunks[-size:]))) for size in range(1, 1 + MAX_RUN_TOKENS)
        }
    return frozenset(end for end in ends if any(char.isdigit() for char in end))


@dataclass(frozen=True)
class Hit:
    """A known reference named by a remittance text: ``length`` is how many characters of the
    key agreed (longer hits are more specific)."""

    reference: ParsedReference
    tier: MatchTier
    length: int


class _Run(NamedTuple):
    """A run of tokens of a remittance (a tuple: a long text has hundreds of them)."""

    concatenated: str
    dotted: str
    last: str
    size: int
    is_tail: bool
    #: The document kind the words before the run (or its own first word) name.
    named_kind: DocumentKind = ""


def _runs(text: str) -> tuple[tuple[_Run, ...], tuple[str, ...]]:
    """Contiguous runs of the remittance's meaningful tokens, plus structured keys found.
    (Not cached: measured, a cache of them costs more than it saves.)"""
    structured: list[str] = []
    creditor = creditor_reference_in(text)
    if creditor is not None:
        structured.append(creditor)
        # An ISO 11649 reference wraps the issuer's own reference ("RF19" + "INV20260044"):
        # with its check digits verified, the payload names INV-2026-0044 exactly.
        payload = parse_reference(creditor[4:])
        if payload.kind == "free" and payload.normalized:
            structured.append(payload.normalized)
    digits, _ = structured_communication_in(text)
    if digits is not None:
        structured.append(_strip_zeros(digits))
    raw_tokens = tokens_of(text)
    count = len(raw_tokens)
    stripped = [_strip_zeros(token) for token in raw_tokens]
    named_before = _named_kinds(raw_tokens)
    runs: list[_Run] = []
    # A run may not start with a prefix word ("INV 42" is the run "42").
    for start in range(count):
        if raw_tokens[start] in PREFIXES and start < count - 1:
            continue
        named = kind_of_word(raw_tokens[start]) or named_before[start]
        joined = dotted = ""
        for end in range(start + 1, min(count, start + MAX_RUN_TOKENS) + 1):
            joined += raw_tokens[end - 1]
            last = stripped[end - 1]
            dotted = f"{dotted}.{last}" if dotted else last
            key = joined.lstrip("0")[:MAX_NORMALIZED_LENGTH]
            runs.append(_Run(key, dotted, last, end - start, end == count, named))
    return tuple(runs), tuple(structured)


_T = TypeVar("_T", bound=Hashable)


@dataclass
class ReferenceIndex(Generic[_T]):
    """Known references (open receivables, invoice numbers) and the items they belong to.

    :meth:`find` answers which of them a free-text remittance names, best tier first:
    ``exact`` (same key, anywhere in the text), then ``abbreviated`` (the text repeats the
    reference's last number only, "inv 42" for "INV-2024-0042"), then ``truncated`` (the text's
    end is the start of the reference, as banks cut long texts). Several hits in the best tier
    mean the text is ambiguous; the caller decides with amounts and names.
    """

    _by_key: dict[str, list[tuple[ParsedReference, _T]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _by_dotted: dict[str, list[tuple[ParsedReference, _T]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _by_last: dict[str, list[tuple[ParsedReference, _T]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _sorted_keys: list[str] = field(default_factory=list)
    _is_sorted: bool = True
    #: Each key's first `MIN_TRUNCATED_LENGTH` characters (a shorter key whole), by length.
    _key_heads: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    _head_count: int = 0

    def add(self, reference: str, item: _T) -> ParsedReference:
        parsed = parse_reference(reference)
        if not parsed.normalized:
            return parsed
        entry = (parsed, item)
        self._by_key[parsed.normalized].append(entry)
        if len(parsed.tokens) > 1:
            self._by_dotted[parsed.dotted].append(entry)
            self._by_last[parsed.tokens[-1]].append(entry)
        self._sorted_keys.append(parsed.normalized)
        self._is_sorted = False
        head = parsed.normalized[:MIN_TRUNCATED_LENGTH]
        if head not in self._key_heads[len(head)]:
            self._key_heads[len(head)].add(head)
            self._head_count += 1
        return parsed

    def __len__(self) -> int:
        return len(self._sorted_keys)

    def find(self, text: str | None) -> list[tuple[Hit, _T]]:
        """Hits of the best tier present, longest key first (empty when nothing matches)."""
        if not text or not self._sorted_keys or not self._may_name(text):
            return []
        runs, structured = _runs(text)
        return self._exact(runs, structured) or self._abbreviated(runs) or self._truncated(runs)

    def find_all(self, text: str | None) -> list[tuple[Hit, _T]]:
        """Every item the text may name, each with its best tier: a bank-cut "INV-2026-013"
        names INV-2026-00013 exactly (leading zeros aside) and INV-2026-01383 by its start;
        amounts and names then decide."""
        if not text or not self._sorted_keys or not self._may_name(text):
            return []
        runs, structured = _runs(text)
        merged: dict[_T, tuple[Hit, _T]] = {}
        for tier in (self._exact(runs, structured), self._abbreviated(runs), self._truncated(runs)):
            for hit, item in tier:
                merged.setdefault(item, (hit, item))
        return list(merged.values())

    def _may_name(self, text: str) -> bool:
        """A quick, exact pre-test of the tiers below: each needs a key, or a key's first
        `MIN_TRUNCATED_LENGTH` characters, in the text's letters and digits run together (an
        exact or structured key, the start a bank cut kept), or one of the text's numbers to be
        a key's last (an abbreviation, a dotted key). Most bank lines have neither, and this
        costs a fraction of splitting them into runs. Text that is not ASCII skips the test (a
        structured reference is read from the text as written)."""
        if not text.isascii():
            return True
        letters = _alphanumerics(text)
        if self._head_count < len(letters):  # a few known references: look for each
            held = any(head in letters for heads in self._key_heads.values() for head in heads)
        else:  # many: look up each stretch of the text
            held = any(
                letters[start : start + size] in heads
                for size, heads in self._key_heads.items()
                for start in range(len(letters) - size + 1)
            )
        lasts = self._by_last.keys()
        if held or not lasts:
            return held
        if len(lasts) < len(letters) and not any(last in letters for last in lasts):
            return False
        return any(_strip_zeros(token) in lasts for token in tokens_of(text))

    def _exact(self, runs: tuple[_Run, ...], structured: tuple[str, ...]) -> list[tuple[Hit, _T]]:
        exact: dict[_T, tuple[Hit, _T]] = {}
        for key in structured:
            for parsed, item in self._by_key.get(key, ()):
                exact[item] = (Hit(parsed, "exact", len(key)), item)
        for run in runs:
            for table, key in ((self._by_key, run.concatenated), (self._by_dotted, run.dotted)):
                for parsed, item in table.get(key, ()):
                    if _kinds_differ(parsed.document_kind, run.named_kind):
                        continue
                    hit = Hit(parsed, "exact", len(parsed.normalized))
                    if item not in exact or exact[item][0].length < hit.length:
                        exact[item] = (hit, item)
        return _longest_first(exact.values()) if exact else []

    def _abbreviated(self, runs: tuple[_Run, ...]) -> list[tuple[Hit, _T]]:
        abbreviated: dict[_T, tuple[Hit, _T]] = {}
        for run in runs:
            if run.size != 1 or not run.last.isdigit():
                continue
            for parsed, item in self._by_last.get(run.last, ()):
                if _kinds_differ(parsed.document_kind, run.named_kind):
                    continue
                abbreviated[item] = (Hit(parsed, "abbreviated", len(run.last)), item)
        return _longest_first(abbreviated.values()) if abbreviated else []

    def _truncated(self, runs: tuple[_Run, ...]) -> list[tuple[Hit, _T]]:
        if not self._is_sorted:
            self._sorted_keys.sort()
            self._is_sorted = True
        found: dict[_T, tuple[Hit, _T]] = {}
        for run in runs:
            prefix = run.concatenated
            if not run.is_tail or len(prefix) < MIN_TRUNCATED_LENGTH:
                continue
            position = bisect.bisect_left(self._sorted_keys, prefix)
            seen: set[str] = set()
            while position < len(self._sorted_keys):
                key = self._sorted_keys[position]
                if not key.startswith(prefix):
                    break
                position += 1
                if key == prefix or key in seen:
                    continue
                seen.add(key)
                for parsed, item in self._by_key[key]:
                    if _kinds_differ(parsed.document_kind, run.named_kind):
                        continue
                    hit = Hit(parsed, "truncated", len(prefix))
                    if item not in found or found[item][0].length < hit.length:
                        found[item] = (hit, item)
        return _longest_first(found.values()) if found else []


def _longest_first(hits: Iterable[tuple[Hit, _T]]) -> list[tuple[Hit, _T]]:
    ordered = sorted(hits, key=lambda pair: -pair[0].length)
    if not ordered:
        return []
    best = ordered[0][0].length
    # Within a tier, a longer agreement is more specific: "2024-0042" beats a receivable "42".
    return [pair for pair in ordered if pair[0].length == best]
