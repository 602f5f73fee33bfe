'use strict'
// The Node examples, run as a user would (as separate processes that
// `require('certwatch')`), so they cannot rot.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const cw = require('..')
const { REPO, corpusDir, oracle, tempDir, onboard } = require('./helpers')

const EXAMPLES = path.join(REPO, 'examples', 'node')
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

// A node_modules holding only `certwatch` (this package), as `npm install`
// in examples/node would make it.
const modules = path.join(tempDir(), 'node_modules')
fs.mkdirSync(modules)
fs.symlinkSync(path.resolve(__dirname, '..'), path.join(modules, 'certwatch'), 'dir')
const env = { ...process.env, NODE_PATH: modules }

function run(script, args) {
  return spawnSync(process.execPath, [path.join(EXAMPLES, script), ...args.map(String)], { encoding: 'utf8', env })
}

test('webhook receiver accepts server signatures only', async () => {
  const child = spawn(process.execPath, [path.join(EXAMPLES, 'webhook_receiver.js'), '0'], {
    env: { ...env, CERTWATCH_WEBHOOK_SECRET: SECRET },
  })
  let out = ''
  child.stdout.on('data', (c) => { out += c })
  try {
    const port = await new Promise((resolve, reject) => {
      let err = ''
      child.stderr.on('data', (c) => {
        err += c
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(err)
        if (m) resolve(Number(m[1]))
      })
      child.on('exit', (code) => reject(new Error(`receiver exited ${code}: ${err}`)))
    })
    const body = JSON.stringify({ type: 'certificate.updated', data: { id: 'c1' } })
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, 'body'), body)
    const headers = JSON.parse(oracle(['sign', SECRET, 'd-1', Math.floor(Date.now() / 1000), path.join(dir, 'body')]).stdout)
    const post = async (b, h) => (await fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', body: b, headers: h })).status
    assert.equal(await post(body, headers), 200)
    assert.equal(await post(body + ' ', headers), 401)
    assert.equal(await post(body, {}), 401)
    assert.match(out, /"webhook_id":"d-1"/)
  } finally {
    child.kill()
  }
})

test('bulk load into the same database', async () => {
  const url = `sqlite://${path.join(tempDir(), 'server.sqlite')}`
  const store = await cw.open(url, { migrate: true })
  const { session, token } = await onboard(store)
  const csv = path.join(tempDir(), 'suppliers.csv')
  fs.writeFileSync(csv, 'name,external_id,country,lei,website,site,site_address\n' +
    'Muster GmbH,ERP-1,DE,5493001KJTIIGC8Y1R12,https://muster.example,Werk 1,Hafenstr. 1\n' +
    'Acme Ltd,ERP-2,gb,,,,\n' +
    'Bad Country,ERP-3,XX,,,,\n' +
    'Duplicate,ERP-1,DE,,,,\n')
  const p = run('bulk_load_suppliers.js', ['--database-url', url, '--token', token, csv])
  assert.equal(p.status, 3, p.stderr)
  const summary = JSON.parse(p.stdout)
  assert.equal(summary.created, 2)
  assert.deepEqual(summary.failed.map((f) => [f.line, f.error]), [[4, 'invalid'], [5, 'conflict']])
  const page = await session.listOrganizations()
  assert.deepEqual(page.items.map((o) => o.name).sort(), ['Acme Ltd', 'Muster GmbH'])
  const muster = page.items.find((o) => o.name === 'Muster GmbH')
  assert.deepEqual((await session.listSites(muster.id)).map((s) => s.name), ['Werk 1'])
  const bad = run('bulk_load_suppliers.js', ['--database-url', url, '--token', 'bogus', csv])
  assert.equal(bad.status, 1)
  assert.match(bad.stderr, /unknown token/)
})

test('extract a folder of PDFs', () => {
  const corpus = corpusDir()
  const manifest = JSON.parse(fs.readFileSync(path.join(corpus, 'manifest.json'), 'utf8'))
  const docs = manifest.documents.filter((d) => d.format === 'text_pdf').slice(0, 3)
  const scan = manifest.documents.find((d) => d.format === 'scanned_pdf')
  const dir = tempDir()
  for (const d of [...docs, scan]) fs.copyFileSync(path.join(corpus, d.path), path.join(dir, d.file))
  fs.writeFileSync(path.join(dir, 'broken.pdf'), 'not a pdf')
  const p = run('extract_folder.js', [dir, manifest.reference_date])
  assert.equal(p.status, 0, p.stderr)
  const lines = Object.fromEntries(p.stdout.trim().split('\n').map(JSON.parse).map((r) => [r.file, r]))
  assert.equal(Object.keys(lines).length, 5)
  assert.match(lines['broken.pdf'].error, /not a readable PDF/)
  assert.match(lines[scan.file].error, /OCR/)
  for (const d of docs) {
    const text = cw.pdfText(fs.readFileSync(path.join(corpus, d.path))).text
    const want = cw.extractFields(text, d.file, manifest.reference_date).fields
    assert.equal(lines[d.file].certificate_number, want.certificate_number?.value ?? null)
    assert.equal(lines[d.file].expiry_date, want.expiry_date?.value ?? null)
  }
})
