'use strict'
// Extract certificate fields from every PDF in a folder with CertWatch's
// rules (no network, no model), one JSON line per file.
//
//   node examples/node/extract_folder.js path/to/pdfs [reference-date]

const fs = require('node:fs')
const path = require('node:path')
const certwatch = require('certwatch')

const SUMMARY = ['certificate_number', 'certificate_type', 'issuing_body', 'holder_name', 'issue_date', 'expiry_date']

function extract(file, referenceDate) {
  const name = path.basename(file)
  let text
  try {
    text = certwatch.pdfText(fs.readFileSync(file))
  } catch (e) {
    if (e instanceof certwatch.ExtractionError) return { file: name, error: e.message }
    throw e
  }
  if (!text.has_text_layer) return { file: name, error: 'no text layer (a scan: needs OCR)' }
  const found = certwatch.extractFields(text.text, name, referenceDate || null)
  const out = { file: name, is_certificate: found.is_certificate }
  for (const k of SUMMARY) out[k] = found.fields[k] ? found.fields[k].value : null
  return out
}

const [folder, referenceDate] = process.argv.slice(2)
if (!folder || !fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
  console.error('usage: extract_folder.js <folder> [reference-date]')
  process.exit(2)
}
for (const f of fs.readdirSync(folder).sort()) {
  if (f.toLowerCase().endsWith('.pdf')) console.log(JSON.stringify(extract(path.join(folder, f), referenceDate)))
}
