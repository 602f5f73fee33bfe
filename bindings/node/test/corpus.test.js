'use strict'
// Extraction from Node equals extraction from Rust on the corpus's text PDFs.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const cw = require('..')
const { corpusDir, oracle } = require('./helpers')

test('Node extraction equals Rust on every text PDF', () => {
  const dir = corpusDir()
  const rust = JSON.parse(oracle(['extract', dir]).stdout)
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'))
  const docs = manifest.documents.filter((d) => d.format === 'text_pdf')
  assert.ok(docs.length > 0)
  assert.equal(Object.keys(rust).length, docs.length)
  for (const d of docs) {
    const text = cw.pdfText(fs.readFileSync(path.join(dir, d.path)))
    assert.equal(text.text, rust[d.file].text, d.file)
    assert.deepEqual(cw.extractFields(text.text, d.file, d.reference_date), rust[d.file].extraction, d.file)
  }
})
