'use strict'
// Bulk-load suppliers from a CSV file into the database the CertWatch
// server uses, through the same core services as the REST API.
//
//   node examples/node/bulk_load_suppliers.js --database-url sqlite://certwatch-data/certwatch.sqlite \
//     --token "$CERTWATCH_TOKEN" suppliers.csv
//
// The CSV has a header row with `name` and any of `external_id`, `country`,
// `lei`, `vat`, `website`, `site`, `site_address` (simple CSV: no quoted
// commas). Prints one JSON summary; failing rows are reported and skipped.

const fs = require('node:fs')
const { parseArgs } = require('node:util')
const certwatch = require('certwatch')

const FIELDS = ['name', 'external_id', 'country', 'lei', 'vat', 'website']

async function load(session, rows) {
  const failed = []
  let created = 0
  for (const [i, row] of rows.entries()) {
    const line = i + 2
    const input = Object.fromEntries(FIELDS.filter((k) => row[k]).map((k) => [k, row[k]]))
    try {
      const org = await session.createOrganization(input)
      if (row.site) await session.createSite(org.id, { name: row.site, address: row.site_address || null })
      created += 1
    } catch (e) {
      if (e instanceof certwatch.ValidationError) failed.push({ line, error: 'invalid', fields: e.errors })
      else if (e instanceof certwatch.Conflict) failed.push({ line, error: 'conflict', message: e.message })
      else throw e
    }
  }
  return { created, failed }
}

function parseCsv(text) {
  const [header, ...lines] = text.split(/\r?\n/).filter((l) => l.trim())
  const keys = header.split(',').map((k) => k.trim())
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v.trim()])))
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'database-url': { type: 'string' }, token: { type: 'string' }, migrate: { type: 'boolean' } },
  })
  const url = values['database-url'] || process.env.DATABASE_URL
  const token = values.token || process.env.CERTWATCH_TOKEN
  if (!url || !token || positionals.length !== 1) {
    console.error('usage: bulk_load_suppliers.js --database-url URL --token TOKEN suppliers.csv')
    return 2
  }
  try {
    const store = await certwatch.open(url, { migrate: Boolean(values.migrate) })
    const session = await store.session(token)
    const summary = await load(session, parseCsv(fs.readFileSync(positionals[0], 'utf8')))
    console.log(JSON.stringify(summary))
    return summary.failed.length ? 3 : 0
  } catch (e) {
    if (e instanceof certwatch.CertWatchError || e.code === 'ENOENT') {
      console.error(`error: ${e.message}`)
      return 1
    }
    throw e
  }
}

main().then((code) => { process.exitCode = code })
