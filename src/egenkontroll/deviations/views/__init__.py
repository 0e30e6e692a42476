"""The deviation pages under /avvikelser/. Access policy (also in docs/deviations.md and `rights`):

- list (GET): every role with figures. Person-level roles see the deviations they may read, one
  row each, with filters, counts, the summary and the downloads; the nämnd sees only two tables
  of counts for a year (month × category, förvaltning × status), masked for small numbers —
  never a title, a description or a unit below förvaltning;
- new report (POST): every person-level role except the read-only inspektor, for a unit in the
  subtrees of their assignments (a handläggare for their group);
- detail (GET): person-level roles that may read the deviation (its unit in their reading reach,
  or they reported it); another deviation is 404, as a case outside the scope is;
- status changes, utredning and bedömning, the anmälan to IVO, actions (POST): enhetschef,
  avdelningschef and verksamhetscontroller whose subtree holds the deviation's unit; others who
  may read it get 403;
- admin without another role: 403 everywhere.

Logging: a deviation names no client by design, and title and description are masked for
personnummer — but a name or a child's situation typed into the free text cannot be found by a
pattern. So every look at titles or descriptions (the list, a deviation, a download of the list)
is access-checked and written to the access log with the deviation's number (never its text), as
person-level pages are. The nämnd's masked counts are not logged, as other aggregated pages are not.
"""
