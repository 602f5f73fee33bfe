"""Writes tests/fixtures/imports/suppliers.xls (Excel 97-2003, BIFF8) once.

The committed fixture was made with: python3 -m venv /tmp/v && /tmp/v/bin/pip
install xlwt && /tmp/v/bin/python scripts/make_xls_fixture.py
It has a merged title row, German header aliases, numeric supplier ids,
date cells, an empty row, and one row with an unknown certificate type.
"""
import datetime
import xlwt

wb = xlwt.Workbook()
ws = wb.add_sheet("Lieferanten")
date = xlwt.easyxf(num_format_str="DD.MM.YYYY")
ws.write_merge(0, 0, 0, 5, "Lieferantenliste 2026")
for c, h in enumerate(["Lieferantennummer", "Firma", "Land", "Zertifikat", "Zertifikatsnummer", "Gültig bis"]):
    ws.write(2, c, h)
rows = [
    (70001, "Müller Stahlbau GmbH", "DE", "ISO 9001", "Q-70001", datetime.date(2027, 6, 30)),
    (70002, "Schmidt Präzision AG", "AT", "IATF 16949", "I-70002", datetime.date(2025, 1, 31)),
    None,
    (70003, "Weber Logistik KG", "DE", "ISO 9999", "X-1", datetime.date(2027, 1, 1)),
]
r = 3
for row in rows:
    if row is not None:
        ext, name, land, typ, num, until = row
        ws.write(r, 0, float(ext))
        ws.write(r, 1, name)
        ws.write(r, 2, land)
        ws.write(r, 3, typ)
        ws.write(r, 4, num)
        ws.write(r, 5, until, date)
    r += 1
wb.save("tests/fixtures/imports/suppliers.xls")
