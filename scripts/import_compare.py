"""The reference stack's way, for comparison with CertWatch's import bench:
parse a spreadsheet with pandas (+ openpyxl for .xlsx) and validate every row
like the import does (header aliases, required name, country code, website,
certificate type, expiry date) — parsing and validating only, no database.

    python3 -m venv /tmp/cmp && /tmp/cmp/bin/pip install pandas openpyxl
    IMPORT_COMPARE_PYTHON=/tmp/cmp/bin/python cargo bench -p certwatch-tests --bench imports
    # or directly: /tmp/cmp/bin/python scripts/import_compare.py FILE.csv FILE.xlsx

Each file is measured in a child process of its own: wall time and peak RSS.
"""
import re
import resource
import subprocess
import sys
import time

ALIASES = {
    "external_id": {"externalid", "supplierid", "suppliernumber", "vendorid", "lieferantennummer"},
    "name": {"name", "company", "companyname", "supplier", "suppliername", "firma"},
    "country": {"country", "countrycode", "land"},
    "website": {"website", "web", "url", "homepage"},
    "vat": {"vat", "vatid", "vatnumber", "ustid"},
    "certificate_type": {"certificatetype", "certtype", "type", "certificate"},
    "certificate_number": {"certificatenumber", "certno", "certnumber"},
    "issuing_body": {"issuingbody", "issuer", "certificationbody"},
    "expiry_date": {"expirydate", "expiry", "validuntil", "expires"},
}
TYPES = {"iso9001", "iso14001", "iatf16949", "isoiec27001", "iso27001"}


def fold(s):
    return re.sub(r"[\s_\-./#:*()]", "", str(s)).lower()


def one(path):
    import pandas as pd

    started = time.perf_counter()
    if path.endswith(".csv"):
        df = pd.read_csv(path, sep=None, engine="python", dtype=str, encoding="utf-8-sig")
    else:
        df = pd.read_excel(path, engine="openpyxl", dtype=object)
    cols = {}
    for c in df.columns:
        for field, names in ALIASES.items():
            if fold(c) in names and field not in cols:
                cols[field] = c
    errors = 0
    valid = 0
    for row in df.itertuples(index=False):
        vals = dict(zip(df.columns, row))
        get = lambda f: vals.get(cols[f]) if f in cols else None  # noqa: E731
        ok = True
        name = get("name")
        if name is None or str(name).strip() == "" or str(name) == "nan":
            ok = False
        country = get("country")
        if country is not None and not re.fullmatch(r"[A-Z]{2}", str(country).strip().upper()):
            ok = False
        web = get("website")
        if web is not None and not str(web).startswith(("http://", "https://")):
            ok = False
        typ = get("certificate_type")
        if typ is not None and fold(typ).split(":")[0] not in TYPES:
            ok = False
        exp = get("expiry_date")
        if exp is not None and pd.isna(pd.to_datetime(exp, errors="coerce")):
            ok = False
        ext = get("external_id")
        if isinstance(ext, float) and ext.is_integer():
            ext = str(int(ext))
        valid += ok
        errors += not ok
    secs = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pandas+openpyxl {path.rsplit('/', 1)[-1]}: {len(df)} rows ({valid} valid, {errors} invalid) "
          f"parsed and validated in {secs:.2f} s, peak RSS {peak_mb:.0f} MB (no database writes)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        one(sys.argv[2])
    else:
        for p in sys.argv[1:]:
            subprocess.run([sys.executable, __file__, "--one", p], check=True)
