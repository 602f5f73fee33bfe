"""Bulk-load suppliers from a CSV file into the database the CertWatch
server uses, through the same core services (validation, audit ledger,
outbox events) as the REST API.

    python examples/python/bulk_load_suppliers.py \\
        --database-url sqlite://certwatch-data/certwatch.sqlite \\
        --token "$CERTWATCH_TOKEN" suppliers.csv

The CSV has a header row with `name` and any of `external_id`, `country`,
`lei`, `vat`, `website`, and optionally `site` / `site_address` (one site
per row). The token is an API token of the tenant (e.g. from
`certwatch demo --json`). Prints one JSON summary; rows that fail are
reported with the reason and skipped, the others are kept.
"""

import argparse
import csv
import json
import os
import sys

import certwatch

FIELDS = ("name", "external_id", "country", "lei", "vat", "website")


def load(session, rows):
    created, failed = [], []
    for line, row in enumerate(rows, start=2):
        fields = {k: row[k].strip() for k in FIELDS if row.get(k) and row[k].strip()}
        try:
            org = session.create_organization(**fields)
            if row.get("site"):
                session.create_site(org["id"], name=row["site"], address=row.get("site_address") or None)
            created.append(org["id"])
        except certwatch.ValidationError as e:
            failed.append({"line": line, "error": "invalid", "fields": e.errors})
        except certwatch.Conflict as e:
            failed.append({"line": line, "error": "conflict", "message": str(e)})
    return created, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv_file")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--token", default=os.environ.get("CERTWATCH_TOKEN"))
    parser.add_argument("--migrate", action="store_true", help="apply migrations first (a fresh database)")
    args = parser.parse_args()
    if not args.database_url or not args.token:
        parser.error("--database-url (or DATABASE_URL) and --token (or CERTWATCH_TOKEN) are required")
    try:
        session = certwatch.open(args.database_url, migrate=args.migrate).session(args.token)
        with open(args.csv_file, newline="", encoding="utf-8") as f:
            created, failed = load(session, csv.DictReader(f))
    except (certwatch.StoreError, certwatch.AuthenticationError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(json.dumps({"created": len(created), "failed": failed}))
    return 0 if not failed else 3


if __name__ == "__main__":
    sys.exit(main())
