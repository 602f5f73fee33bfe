'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const cw = require('..')

const CASES = {
  Validation: cw.ValidationError,
  NotFound: cw.NotFound,
  Conflict: cw.Conflict,
  LastAdmin: cw.Conflict,
  Transition: cw.InvalidTransition,
  Forbidden: cw.Forbidden,
  Auth: cw.AuthenticationError,
  Store: cw.StoreError,
}

for (const [variant, Cls] of Object.entries(CASES)) {
  test(`core ${variant} maps to ${Cls.name}`, () => {
    assert.throws(() => cw._coreErrorSample(variant), (e) => {
      assert.equal(e.constructor, Cls)
      assert.ok(e instanceof cw.CertWatchError && e instanceof Error)
      assert.equal(e.kind, Cls.name)
      assert.equal(e.name, Cls.name)
      assert.ok(e.message.length > 0 && !e.message.startsWith('certwatch-error:'))
      return true
    })
  })
}

test('details travel with the error', () => {
  assert.throws(() => cw._coreErrorSample('Validation'), (e) => {
    assert.deepEqual(e.errors, [{ field: 'name', message: 'must not be empty' }])
    assert.deepEqual(e.details, { errors: e.errors })
    return true
  })
  assert.throws(() => cw._coreErrorSample('Transition'), (e) => Array.isArray(e.allowed_transitions) && e.allowed_transitions.length === 0)
  assert.throws(() => cw._coreErrorSample('LastAdmin'), /at least one admin/)
})

test('async errors keep their class', async () => {
  await assert.rejects(cw.open('mysql://localhost/x'), (e) => e instanceof cw.StoreError && /unsupported database URL scheme/.test(e.message))
  const store = await cw.open('sqlite::memory:', { migrate: true })
  await assert.rejects(store.session('bogus'), (e) => e instanceof cw.AuthenticationError && e.message === 'unknown token')
})

test('signature and extraction errors', () => {
  assert.throws(() => cw.signWebhook('not-a-secret', 'id', 1, Buffer.alloc(0)), (e) => e instanceof cw.SignatureError && /whsec_/.test(e.message))
  assert.throws(() => cw.pdfText(Buffer.from('garbage')), cw.ExtractionError)
})

test('bad argument types are TypeErrors from napi, not CertWatch errors', () => {
  assert.throws(() => cw.validateLei(42), (e) => e instanceof TypeError && !(e instanceof cw.CertWatchError))
})
