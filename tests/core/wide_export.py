"""A small export in the generic wide layout (one row per case, a dated column per step), as files."""

from __future__ import annotations

import datetime as dt

from tests.cases.factory import personnummer

BOY, GIRL = personnummer(dt.date(2013, 4, 2), 271), personnummer(dt.date(2016, 9, 30), 482)

ENHETER = """enhet_id;overordnad_id;namn;niva
S;;Exempelstad;Stad
F1;S;Norra förvaltningen;Stadsdelsförvaltning
G1;F1;Barngruppen;Arbetsgrupp
"""
HANDLAGGARE = """handlaggare_id;namn;enhet_id;titel;anstalld_fran;anstalld_till
h1;Åsa Öberg;G1;socialsekreterare;2020-01-01;
"""
ARENDEN = (
    "arende_id;personnummer;kon;ensamkommande;enhet_id;handlaggare_id;anmalan_datum;anmalare;"
    "skyddsbedomning_datum;skyddsbedomning;forhandsbedomning_datum;beslut;utredning_start;"
    "forlangning_datum;forlangd_till;utredning_slut;utredning_resultat;insats;lagrum;insats_start;"
    "vardplan_datum;genomforandeplan_datum;insats_slut;avslutat_datum\n"
    f"A1;{BOY};Pojke;Nej;G1;h1;2024-01-08;Polis;2024-01-08;Ej akut;2024-01-19;Inleda utredning;2024-01-19;"
    ";;2024-05-10;Insats;Familjehem;LVU 2 §;2024-05-13;2024-05-13;;2024-11-01;2024-11-15\n"
    f"A2;{GIRL};Flicka;Ja;G1;h1;2024-02-01;Skola;;;2024-02-09;Ej inleda;;;;;;;;;;;;2024-02-09\n"
    f"A3;{GIRL};Flicka;Ja;G1;h1;2024-13-45;Skola;2024-03-01;Akut;;;;;;;;;;;;;;\n"
)


def write_export(directory, encoding="utf-8"):
    directory.mkdir()
    for name, text in {"enheter": ENHETER, "handlaggare": HANDLAGGARE, "arenden": ARENDEN}.items():
        (directory / f"{name}.csv").write_bytes(text.encode(encoding))
    return directory
