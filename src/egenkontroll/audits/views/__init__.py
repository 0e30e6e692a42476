"""The audit pages under /granskning/. Access policy (also in docs/audits.md):

- results (list, audit page, downloads): every role with figures; the nämnd, and anyone whose
  figure scope does not cover every district of the audit, sees the counts masked for small
  numbers; case ids only in the sample list, and only for person-level roles, only their cases;
- auditors — inspektor (whole city) and verksamhetscontroller (own subtree) — draw samples,
  fill protocols and add or close findings, only for districts and cases in their reach;
- enhetschef and avdelningschef close (mark åtgärdad, or open again) findings whose responsible
  unit lies in their subtree;
- handläggare and arbetsledare read results (and the protocols of sampled cases they may open);
- admin without another role: nothing (403).

Protocols are person-level pages: scope-checked like the case page and logged in the access log.
"""
