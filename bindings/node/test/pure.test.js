'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const cw = require('..')
const { corpusDir } = require('./helpers')

test('state machine matches the spec', () => {
  assert.deepEqual(cw.statuses(), ['PENDING', 'ACTIVE', 'SUSPENDED', 'EXPIRED', 'REVOKED'])
  assert.deepEqual(cw.allowedTransitions('EXPIRED'), ['ACTIVE'])
  assert.deepEqual(cw.allowedTransitions('REVOKED'), [])
  assert.deepEqual(cw.allowedTransitions('active'), ['EXPIRED', 'REVOKED', 'SUSPENDED'])
  assert.throws(() => cw.allowedTransitions('ACTIVATED'), cw.ValidationError)
})

test('applyTransition with dates', () => {
  assert.deepEqual(cw.applyTransition('EXPIRED', 'ACTIVE', '2026-01-10', '2026-01-01', '2027-01-01'), { status: 'ACTIVE', expiry_date: '2027-01-01' })
  assert.throws(() => cw.applyTransition('EXPIRED', 'ACTIVE', '2026-01-10', '2026-01-01'), (e) => {
    assert.ok(e instanceof cw.InvalidTransition && e instanceof cw.CertWatchError)
    assert.deepEqual(e.allowed_transitions, ['ACTIVE'])
    assert.match(e.message, /expiry date must be in the future/)
    return true
  })
  assert.throws(() => cw.applyTransition('SUSPENDED', 'ACTIVE', '2026-01-10', '2026-01-09'), /has expired/)
  assert.throws(() => cw.applyTransition('ACTIVE', 'REVOKED', '10.01.2026'), (e) => {
    assert.deepEqual(e.errors, [{ field: 'today', message: 'must be a date as YYYY-MM-DD' }])
    return e instanceof cw.ValidationError
  })
})

test('validators canonicalise and refuse', () => {
  assert.equal(cw.validateLei(' 5493001kjtiigc8y1r12 '), '5493001KJTIIGC8Y1R12')
  assert.equal(cw.validateCountry('de'), 'DE')
  assert.equal(cw.validateUrl('https://Example.com/a b'), 'https://example.com/a%20b')
  for (const [fn, raw, field] of [
    [cw.validateLei, '5493001KJTIIGC8Y1R13', 'lei'],
    [cw.validateCountry, 'XX', 'country'],
    [cw.validateUrl, 'ftp://example.com', 'website'],
    [cw.validateUrl, 'https://user:pw@example.com', 'website'],
  ]) {
    assert.throws(() => fn(raw), (e) => e instanceof cw.ValidationError && e.errors[0].field === field)
  }
})

const TEXT = 'CERTIFICATE ISO 9001:2015 Certificate No. 12 100 4711 TMS This is to certify that Muster GmbH has established a quality management system. Valid until 2027-03-31.'

test('simhash, hamming distance, similarity', () => {
  const a = cw.simhash(TEXT)
  assert.equal(typeof a, 'bigint')
  assert.ok(a > 0n && a < 2n ** 64n)
  assert.equal(cw.simhash(''), 0n)
  assert.equal(cw.simhash('iso 9001'), cw.simhash('ISO-9001'))
  assert.deepEqual(cw.simhashMany([TEXT, '', TEXT]), [a, 0n, a])
  assert.equal(cw.hammingDistance(a, a), 0)
  assert.equal(cw.hammingDistance(0n, 2n ** 64n - 1n), 64)
  assert.equal(cw.similarity(a, a), 1)
  assert.equal(cw.similarity(0n, 2n ** 64n - 1n), 0)
  assert.throws(() => cw.hammingDistance(-1n, 0n))
})

test('duplicate score', () => {
  const a = { certificate_number: '12 100 4711 TMS', certificate_type: 'ISO_9001' }
  const b = { certificate_number: '12-100-4711-tms', certificate_type: 'iso_9001' }
  assert.deepEqual(cw.duplicateScore(a, b), { score: 0.95, verdict: 'duplicate', rule: 'certificate_number' })
  const s = cw.duplicateScore({ ...a, simhash: cw.simhash(TEXT) }, { ...b, certificate_type: 'ISO_14001', simhash: cw.simhash(TEXT) })
  assert.equal(s.rule, 'type_differs')
  assert.equal(s.verdict, 'distinct')
  assert.throws(() => cw.duplicateScore({ issue_date: 'yesterday' }, {}), cw.ValidationError)
})

const CERT_TEXT = 'CERTIFICATE\n\nCertificate No.\t12 100 4711 TMS\n\nThis is to certify that\n\nMuster GmbH\nHauptstrasse 1, 70173 Stuttgart\n\nhas established and applies a quality management system according to ISO 9001:2015\nValid until: 31.03.2027\n'

test('extractFields from text', () => {
  const e = cw.extractFields(CERT_TEXT, 'Zertifikat_ISO9001.pdf', '2026-11-01')
  assert.equal(e.is_certificate, true)
  assert.equal(e.fields.certificate_number.value, '12 100 4711 TMS')
  assert.equal(e.fields.certificate_type.value, 'ISO_9001')
  assert.equal(e.fields.expiry_date.value, '2027-03-31')
  assert.equal(e.fields.expiry_date.evidence, 'Valid until: 31.03.2027')
  assert.equal(e.fields.issuing_body, null)
  assert.equal(cw.extractFields('Invoice no. 4711, total 12.00 EUR').is_certificate, false)
  assert.throws(() => cw.extractFields(CERT_TEXT, null, 'soon'), cw.ValidationError)
})

test('pdfText', () => {
  const dir = path.join(corpusDir(), 'docs')
  const pdf = fs.readdirSync(dir).filter((f) => f.endsWith('.pdf')).sort()[0]
  const t = cw.pdfText(fs.readFileSync(path.join(dir, pdf)))
  assert.deepEqual(Object.keys(t).sort(), ['has_text_layer', 'pages', 'text'])
  assert.equal(t.text, t.pages.join('\n\f\n'))
  assert.throws(() => cw.pdfText(Buffer.from('%PDF-1.7 this is not a pdf')), (e) => e instanceof cw.ExtractionError && /not a readable PDF/.test(e.message))
  assert.throws(() => cw.pdfText(Buffer.alloc(0)), cw.ExtractionError)
})
