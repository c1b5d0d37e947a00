"""The shared text rules, one home each, pure (no Django, no I/O: the extraction engine imports
them in its isolated process): folding (`folding`), company names and their similarity
(`names`), VAT ids and IBANs (`identifiers`), web domains (`domains`), payment references
(`references`), percentages in sentences (`percents`)."""
